/**
 * A controller's memory of the objects it has just written, for as long as its cache lags
 * behind them: a controller that allocates from what its objects hold (load balancer
 * addresses) must count its own last writes even before the informer shows them, or it hands
 * the same thing out twice.
 *
 * @module
 */
import { keyString, objectKey } from '@kubeloop/core';
import type { KubeObject } from '@kubeloop/core';

/**
 * The objects a controller wrote last, by key, each kept until the cache holds that version or
 * a newer one (by resourceVersion), or another object of the same name (another uid).
 *
 * @example
 * ```ts
 * const mine = new OwnWrites<Service>();
 * mine.remember(await client.updateStatus(Services, next));
 * const svc = mine.current(cache.get(key)!); // the written status until the cache catches up
 * ```
 */
export class OwnWrites<T extends KubeObject & { readonly status?: unknown }> {
  readonly #written = new Map<string, T>();

  /** Remembers an object as the server returned it after this controller's write. */
  remember(written: T): void {
    this.#written.set(keyString(objectKey(written)), written);
  }

  /** Forgets the object at `key` (e.g. it is gone from the cache). */
  forget(key: string): void {
    this.#written.delete(key);
  }

  /**
   * The cached object, with the status this controller last wrote while the cache has not caught
   * up with that write; the cached object as it is otherwise (and the memory of it dropped).
   */
  current(cached: T): T {
    const key = keyString(objectKey(cached));
    const mine = this.#written.get(key);
    if (mine === undefined) return cached;
    if (mine.metadata.uid !== cached.metadata.uid || Number(cached.metadata.resourceVersion ?? 0) >= Number(mine.metadata.resourceVersion ?? 0)) {
      this.#written.delete(key);
      return cached;
    }
    return { ...cached, status: mine.status };
  }
}
