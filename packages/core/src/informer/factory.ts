/**
 * One shared informer per resource and selection per process (client-go's
 * `SharedInformerFactory`): controllers that watch the same kind share one watch and one cache.
 *
 * @module
 */
import type { KubeObject, LabelSelector } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Client, SelectorInput } from '../client/types.js';
import type { Clock } from '../clock/clock.js';
import type { Rng } from '../rng/rng.js';
import { InformerError } from './errors.js';
import { Informer } from './informer.js';
import type { BackoffPolicy } from './watcher.js';

/** Options shared by every informer of a factory. */
export interface SharedInformerFactoryOptions {
  /** Timers for backoff and resync. */
  readonly clock: Clock;
  /** Jitter of the watchers' backoff. Each informer gets its own fork, in creation order. */
  readonly rng?: Rng | undefined;
  /** Resync period of informers that do not set their own; none when 0 or absent. */
  readonly defaultResyncMs?: number | undefined;
  /** Only this namespace, for every informer that does not set its own. */
  readonly namespace?: string | undefined;
  /** Retry delays of the watchers. */
  readonly backoff?: BackoffPolicy | undefined;
  /** Called with every list/watch failure an informer recovers from. */
  readonly onError?: ((resource: ResourceDefinition, error: unknown, retryInMs: number) => void) | undefined;
}

/** What one informer of a factory selects. Informers are shared per resource and selection. */
export interface InformerSelection {
  /** Only this namespace (overrides the factory's). */
  readonly namespace?: string | undefined;
  /** Only objects whose labels match. */
  readonly labelSelector?: SelectorInput | undefined;
  /** Only objects whose fields match. */
  readonly fieldSelector?: string | undefined;
  /**
   * Resync period. Only the first request of a shared informer decides it; later requests get
   * the informer as it is.
   */
  readonly resyncPeriodMs?: number | undefined;
}

/** The selection of an informer of everything (shared: never written to). */
const NO_SELECTION: InformerSelection = Object.freeze({});

/**
 * Hands out shared informers.
 *
 * @example
 * ```ts
 * const factory = new SharedInformerFactory(client, { clock, defaultResyncMs: 30_000 });
 * const pods = factory.informerFor(Pods);
 * const deployments = factory.informerFor(Deployments);
 * factory.start();
 * await factory.waitForCacheSync(signal);
 * ```
 *
 * Guarantees: `informerFor` returns the same {@link Informer} for the same resource and
 * selection (structured label selectors compared in canonical form, string ones as written); informers requested after `start()`
 * are started at once (client-go requires another `Start` call; controller-runtime's cache
 * starts them lazily, as here).
 *
 * Caveats: indexers must be added to an informer before the factory starts it.
 */
export class SharedInformerFactory {
  readonly #client: Client;
  readonly #options: SharedInformerFactoryOptions;
  readonly #informers = new Map<string, Informer<KubeObject>>();
  /** The informers asked for with no selection, by definition: the common lookup, kept cheap. */
  readonly #unselected = new WeakMap<ResourceDefinition, Informer<KubeObject>>();
  #state: 'new' | 'started' | 'shutdown' = 'new';

  constructor(client: Client, options: SharedInformerFactoryOptions) {
    this.#client = client;
    this.#options = options;
  }

  /**
   * The shared informer for `resource` and `selection`, created on first request.
   *
   * @throws {@link InformerError} `stopped` after {@link SharedInformerFactory.shutdown}.
   */
  informerFor<T extends KubeObject>(resource: ResourceDefinition<T>, selection: InformerSelection = NO_SELECTION): Informer<T> {
    if (this.#state === 'shutdown') throw new InformerError('stopped', 'the informer factory was shut down');
    // Controllers call this (through `Manager.cache`) on every reconcile and many events: the
    // common call, with no selection, allocates nothing.
    const unselected = selection === NO_SELECTION || (selection.namespace === undefined && selection.labelSelector === undefined && selection.fieldSelector === undefined && selection.resyncPeriodMs === undefined);
    const known = unselected ? this.#unselected.get(resource) : undefined;
    if (known !== undefined) return known as unknown as Informer<T>;
    const namespace = selection.namespace ?? this.#options.namespace;
    const key = informerKey(resource, namespace, selection);
    const existing = this.#informers.get(key);
    if (existing !== undefined) {
      if (unselected) this.#unselected.set(resource, existing);
      return existing as unknown as Informer<T>;
    }
    const o = this.#options;
    const onError = o.onError;
    const informer = new Informer<T>(this.#client, resource, {
      clock: o.clock,
      rng: o.rng?.fork(),
      namespace,
      labelSelector: selection.labelSelector,
      fieldSelector: selection.fieldSelector,
      resyncPeriodMs: selection.resyncPeriodMs ?? o.defaultResyncMs,
      backoff: o.backoff,
      onError: onError === undefined ? undefined : (error, retryInMs) => onError(resource, error, retryInMs),
    });
    this.#informers.set(key, informer as unknown as Informer<KubeObject>);
    if (unselected) this.#unselected.set(resource, informer as unknown as Informer<KubeObject>);
    if (this.#state === 'started') informer.start();
    return informer;
  }

  /** Starts every informer created so far; later ones start when created. Idempotent. */
  start(): void {
    if (this.#state === 'shutdown') throw new InformerError('stopped', 'the informer factory was shut down');
    this.#state = 'started';
    for (const informer of this.#informers.values()) informer.start();
  }

  /**
   * Resolves when every informer created so far has synced.
   *
   * Errors: rejects with `signal.reason` if `signal` aborts first (client-go's
   * `WaitForCacheSync` returning false on stop).
   *
   * Caveats: informers that are never started never sync: call {@link SharedInformerFactory.start}
   * first. On a virtual clock, advance the clock while waiting if lists may fail (retries wait on
   * it).
   */
  waitForCacheSync(signal?: AbortSignal): Promise<void> {
    const all = Promise.all([...this.#informers.values()].map((i) => i.synced)).then(() => undefined);
    if (signal === undefined) return all;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      all.then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      );
    });
  }

  /** Whether every informer created so far has synced. */
  hasSynced(): boolean {
    for (const informer of this.#informers.values()) if (!informer.hasSynced()) return false;
    return true;
  }

  /** Every informer created so far. */
  informers(): readonly Informer<KubeObject>[] {
    return [...this.#informers.values()];
  }

  /** Stops every informer; the factory cannot be used afterwards. Idempotent. */
  shutdown(): void {
    this.#state = 'shutdown';
    for (const informer of this.#informers.values()) informer.stop();
  }
}

function informerKey(resource: ResourceDefinition, namespace: string | undefined, s: InformerSelection): string {
  return JSON.stringify([
    resource.resource,
    resource.version,
    namespace ?? '',
    canonicalSelector(s.labelSelector),
    s.fieldSelector ?? '',
  ]);
}

function canonicalSelector(selector: SelectorInput | undefined): string {
  if (selector === undefined) return '';
  // The string form is compared as written (whitespace aside): parsing it is the server's job.
  if (typeof selector === 'string') return `s:${selector.replace(/\s+/g, '')}`;
  return canonicalStructured(selector);
}

function canonicalStructured(selector: LabelSelector): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    const values = [...(r.values ?? [])].sort().join('|');
    parts.push(`${r.key} ${r.operator} (${values})`);
  }
  return `o:${parts.sort().join(',')}`;
}
