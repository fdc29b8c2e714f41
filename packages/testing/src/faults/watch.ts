/**
 * Watch faults: interceptors that cut watch streams so informers must relist, the way an API
 * server drops long watches or compacts history (410 Gone / `Expired`).
 *
 * @module
 */
import { Observable } from 'rxjs';
import { expired } from '@kubeloop/core';
import type { Clock, ClientInterceptor, ClientRequest, KubeObject, WatchEvent } from '@kubeloop/core';

/**
 * An interceptor that ends every watch stream with a 410 `Expired` error `afterMs` of (virtual)
 * time after it was opened — the informer relists and rebuilds its cache from a fresh list,
 * emitting synthetic deltas for what it missed. `afterMs` may depend on the request (return
 * undefined to leave that watch alone).
 *
 * Guarantees: deterministic on a virtual clock; the timer is cancelled when the watch is
 * unsubscribed first.
 *
 * Caveats: an informer whose watches keep failing without delivering events backs off before
 * relisting (up to 30 s), so its cache can stay stale longer than `SimCluster.settle`'s default
 * 20 s quiet window: pass a longer `quietMs` (e.g. 75 000) when settling under this fault.
 *
 * @example
 * ```ts
 * // every watch of the controller manager expires 30 s after it opens
 * await SimCluster.create({ seed, nodes: 3, controllerManager: { plugins, interceptors: [expireWatches(clock, 30_000)] } });
 * ```
 */
export function expireWatches(clock: Clock, afterMs: number | ((request: ClientRequest) => number | undefined)): ClientInterceptor {
  return {
    watch<T extends KubeObject>(request: ClientRequest, next: () => Observable<WatchEvent<T>>): Observable<WatchEvent<T>> {
      const delay = typeof afterMs === 'number' ? afterMs : afterMs(request);
      if (delay === undefined) return next();
      return new Observable<WatchEvent<T>>((subscriber) => {
        // A plain observer, not `subscriber` itself: unsubscribing `inner` must not close `subscriber`.
        const inner = next().subscribe({ next: (e) => subscriber.next(e), error: (e: unknown) => subscriber.error(e), complete: () => subscriber.complete() });
        const timer = clock.setTimer(delay, () => {
          inner.unsubscribe();
          subscriber.error(expired(`too old resource version: the watch of ${request.resource?.resource ?? 'objects'} was cut by an injected fault`));
        });
        return () => {
          timer.cancel();
          inner.unsubscribe();
        };
      });
    },
  };
}
