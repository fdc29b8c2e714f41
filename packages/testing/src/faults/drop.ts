/**
 * Dropped notifications: a watch interceptor that loses MODIFIED events, so a cache never sees
 * some intermediate states — and is repaired only by a later event of the object or a relist.
 *
 * @module
 */
import { Observable } from 'rxjs';
import { expired } from '@kubeloop/core';
import type { ClientInterceptor, ClientRequest, KubeObject, WatchEvent } from '@kubeloop/core';

/** How {@link dropWatchEvents} loses events. */
export interface DropOptions {
  /** Drops every `every`-th MODIFIED event of a watch (1 drops them all). */
  readonly every: number;
  /** Which watches (default: every one). */
  readonly applies?: ((request: ClientRequest) => boolean) | undefined;
  /** Whether dropping is on right now. */
  readonly active?: (() => boolean) | undefined;
}

/** The controls of a {@link dropWatchEvents} interceptor. */
export interface WatchDropper extends ClientInterceptor {
  /** How many events were dropped so far. */
  readonly dropped: number;
  /**
   * The events dropped so far: the `resourceVersion`s each object's lost MODIFIED events
   * carried, by `kind/namespace/name` (live: it grows as events are dropped).
   */
  readonly lost: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Ends, with 410 `Expired`, every open watch that dropped an event, so its informer relists
   * and its cache matches the store again (call it when faults stop).
   */
  repair(): void;
}

/**
 * An interceptor that drops every `every`-th MODIFIED event of the watches it applies to.
 * ADDED and DELETED events always pass, so a cache never misses an object's existence, only
 * some of its states.
 *
 * Guarantees: deterministic (counts events, no randomness); the events that pass keep their
 * order; {@link WatchDropper.repair} makes each damaged stream relist.
 */
export function dropWatchEvents(options: DropOptions): WatchDropper {
  const damaged = new Set<{ cut(): void }>();
  let dropped = 0;
  const lost = new Map<string, Set<string>>();
  return {
    get dropped() {
      return dropped;
    },
    lost,
    repair() {
      for (const s of [...damaged]) s.cut();
    },
    watch<T extends KubeObject>(request: ClientRequest, next: () => Observable<WatchEvent<T>>): Observable<WatchEvent<T>> {
      if (options.applies !== undefined && !options.applies(request)) return next();
      return new Observable<WatchEvent<T>>((subscriber) => {
        let modified = 0;
        const stream = {
          cut: () => {
            damaged.delete(stream);
            inner.unsubscribe();
            subscriber.error(expired(`too old resource version: the watch of ${request.resource?.resource ?? 'objects'} dropped events (injected fault)`));
          },
        };
        const inner = next().subscribe({
          next: (event) => {
            if (event.type === 'MODIFIED' && (options.active?.() ?? true) && ++modified % Math.max(1, options.every) === 0) {
              dropped++;
              damaged.add(stream);
              const m = event.object.metadata;
              const key = `${event.object.kind}/${m.namespace ?? ''}/${m.name ?? ''}`;
              let versions = lost.get(key);
              if (versions === undefined) lost.set(key, (versions = new Set()));
              versions.add(m.resourceVersion ?? '');
              return;
            }
            subscriber.next(event);
          },
          error: (e: unknown) => {
            damaged.delete(stream);
            subscriber.error(e);
          },
          complete: () => {
            damaged.delete(stream);
            subscriber.complete();
          },
        });
        return () => {
          damaged.delete(stream);
          inner.unsubscribe();
        };
      });
    },
  };
}
