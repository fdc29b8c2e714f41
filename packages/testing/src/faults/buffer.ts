/**
 * Watch faults that delay notifications: stale reads (a cache lags the store by a bounded number
 * of events) and unobserved intermediate states (MODIFIED events of one object coalesced, so a
 * cache never sees the states in between).
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { Clock, ClientInterceptor, ClientRequest, KubeObject, Timer, WatchEvent } from '@kubeloop/core';

/** How {@link bufferWatches} holds events back. */
export interface WatchBufferOptions {
  /**
   * Stale reads: at most this many events are held at once; when one more arrives, the oldest
   * is released. 0 holds nothing (unless `coalesceMs` is set).
   */
  readonly lag?: number | undefined;
  /** A held event is released at the latest this long after it arrived (default 1 000 ms). */
  readonly holdMs?: number | undefined;
  /**
   * A held event is also released once this many other events (default 1 000) have passed
   * through the buffered watches since it arrived. Virtual time stands still while the cluster
   * works at one instant; a real control plane's clock would move with that work, so a hold
   * bounded only by `holdMs` could outlast any amount of work (a controller acting on one stale
   * object thousands of times at one instant).
   */
  readonly holdEvents?: number | undefined;
  /**
   * Unobserved states: events are held for this window from the first held one, and a MODIFIED
   * event replaces an earlier held MODIFIED of the same object, so only the last is delivered.
   * Overrides `lag` (everything in the window is held).
   */
  readonly coalesceMs?: number | undefined;
  /** Which watches to buffer (default: every one). */
  readonly applies?: ((request: ClientRequest) => boolean) | undefined;
  /** Whether buffering is on right now; when it turns off, the next event releases the backlog. */
  readonly active?: (() => boolean) | undefined;
}

/** The controls of a {@link bufferWatches} interceptor. */
export interface WatchBuffer extends ClientInterceptor {
  /** Delivers every held event now, in order (e.g. when faults stop). */
  releaseAll(): void;
  /** How many events are held right now, over all watches. */
  readonly held: number;
  /** How many MODIFIED events were dropped because a later one of the same object replaced them. */
  readonly coalesced: number;
}

function keyOf(e: WatchEvent<KubeObject>): string | undefined {
  if (e.type === 'BOOKMARK') return undefined;
  return `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name ?? ''}`;
}

/**
 * An interceptor that holds watch events back before the informer sees them.
 *
 * Guarantees:
 * - events are delivered in the order the server sent them, never reordered and never lost,
 *   except a MODIFIED event replaced (with `coalesceMs`) by a later MODIFIED of the same object,
 *   which only drops an intermediate state;
 * - with `lag` n, the informer is at most n events behind, and no event waits longer than
 *   `holdMs` of virtual time, nor while more than `holdEvents` others pass through the buffered
 *   watches;
 * - an error or completion of the stream first delivers what was held;
 * - deterministic on a virtual clock: releases happen on clock timers.
 *
 * @example
 * ```ts
 * // the controller manager's caches lag the store by up to 3 events, 2 s at most
 * interceptors: (clock) => [bufferWatches(clock, { lag: 3, holdMs: 2_000 })]
 * ```
 */
export function bufferWatches(clock: Clock, options: WatchBufferOptions): WatchBuffer {
  const lag = options.lag ?? 0;
  const holdMs = options.holdMs ?? 1_000;
  const holdEvents = options.holdEvents ?? 1_000;
  const coalesceMs = options.coalesceMs;
  const streams = new Set<{ flush(): void; size(): number; releaseSeenBefore(seq: number): void }>();
  /** Events that have entered the buffered watches so far: the work clock of `holdEvents`. */
  let seen = 0;
  /** The lowest arrival number still held in some stream (Infinity when none is known). */
  let oldestHeld = Number.POSITIVE_INFINITY;
  let coalesced = 0;
  return {
    get held() {
      let n = 0;
      for (const s of streams) n += s.size();
      return n;
    },
    get coalesced() {
      return coalesced;
    },
    releaseAll() {
      for (const s of [...streams]) s.flush();
    },
    watch<T extends KubeObject>(request: ClientRequest, next: () => Observable<WatchEvent<T>>): Observable<WatchEvent<T>> {
      if (options.applies !== undefined && !options.applies(request)) return next();
      return new Observable<WatchEvent<T>>((subscriber) => {
        const queue: { event: WatchEvent<T>; key: string | undefined; at: number; seq: number }[] = [];
        let timer: Timer | undefined;
        const deliver = (n: number) => {
          for (const { event } of queue.splice(0, n)) subscriber.next(event);
          if (queue.length > 0) oldestHeld = Math.min(oldestHeld, queue[0]!.seq);
        };
        const rearm = () => {
          timer?.cancel();
          timer = undefined;
          const first = queue[0];
          if (first === undefined) return;
          const due = first.at + (coalesceMs ?? holdMs);
          timer = clock.setTimer(due - clock.now(), () => {
            timer = undefined;
            const now = clock.now();
            if (coalesceMs !== undefined) deliver(queue.length);
            else deliver(queue.filter((q) => q.at + holdMs <= now).length);
            rearm();
          });
        };
        const stream = {
          flush: () => {
            deliver(queue.length);
            rearm();
          },
          size: () => queue.length,
          releaseSeenBefore: (seq: number) => {
            let n = 0;
            while (n < queue.length && queue[n]!.seq < seq) n++;
            if (n > 0) {
              deliver(n);
              rearm();
            }
            if (queue.length > 0) oldestHeld = Math.min(oldestHeld, queue[0]!.seq);
          },
        };
        streams.add(stream);
        const inner = next().subscribe({
          next: (event) => {
            if (options.active !== undefined && !options.active()) {
              stream.flush();
              subscriber.next(event);
              return;
            }
            const key = keyOf(event as WatchEvent<KubeObject>);
            if (coalesceMs !== undefined && event.type === 'MODIFIED') {
              for (let i = queue.length - 1; i >= 0; i--) {
                if (queue[i]!.key !== key) continue;
                if (queue[i]!.event.type === 'MODIFIED') {
                  // Drop the intermediate state; the window still ends at the first held event's deadline.
                  queue.splice(i, 1);
                  coalesced++;
                }
                break;
              }
            }
            queue.push({ event, key, at: clock.now(), seq: seen });
            oldestHeld = Math.min(oldestHeld, seen);
            seen++;
            if (coalesceMs === undefined && queue.length > lag) deliver(queue.length - lag);
            rearm();
            if (seen - oldestHeld > holdEvents) {
              // Some event has waited through holdEvents others: release every one that has.
              oldestHeld = Number.POSITIVE_INFINITY;
              for (const s of [...streams]) s.releaseSeenBefore(seen - holdEvents);
            }
          },
          error: (e: unknown) => {
            stream.flush();
            subscriber.error(e);
          },
          complete: () => {
            stream.flush();
            subscriber.complete();
          },
        });
        return () => {
          streams.delete(stream);
          timer?.cancel();
          inner.unsubscribe();
        };
      });
    },
  };
}
