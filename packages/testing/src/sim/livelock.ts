/**
 * The livelock guard of a {@link SimCluster}: a loop of writes that never lets virtual time pass
 * (two components undoing each other's writes, a controller that requeues itself at once) would
 * otherwise keep the clock's microtask drain busy forever, and the test would hang until the
 * process ran out of memory instead of failing.
 *
 * @module
 */
import { ApiError } from '@kubeloop/core';
import type { AdmissionHook, Clock } from '@kubeloop/core';

/** How many times one object may be written at one virtual instant, by default, before the guard calls it a livelock. */
export const DEFAULT_MAX_OBJECT_WRITES_PER_INSTANT = 1_000;

/**
 * Counts the writes admitted at each virtual instant. A large burst is fine (applying 10,000
 * pods writes each a few times); one object written more than `limit` times at the same
 * instant is a loop. Past that, every further write to it at that instant is rejected (429
 * `TooManyRequests`), which ends the loop: components see a failed write and retry later, on a
 * timer. The first trip is kept in {@link LivelockGuard.tripped} for the cluster to report.
 * Objects are counted one by one only once `limit` writes happened at the instant, so the
 * common write pays for a clock read and a comparison.
 */
export class LivelockGuard {
  /** What the first trip saw: the instant and the objects written most. */
  tripped: string | undefined;
  readonly #clock: Clock;
  readonly #limit: number;
  #at = Number.NaN;
  #writes = 0;
  readonly #byObject = new Map<string, number>();

  constructor(clock: Clock, limit: number) {
    this.#clock = clock;
    this.#limit = limit;
  }

  /** The validating admission hook that counts and, past the limit, rejects. */
  hook(): AdmissionHook {
    return {
      name: 'kubeloop-livelock-guard',
      validate: ({ resource, object }) => {
        const now = this.#clock.now();
        if (now !== this.#at) {
          this.#at = now;
          this.#writes = 0;
          this.#byObject.clear();
        }
        if (++this.#writes <= this.#limit) return;
        const key = `${resource.kind} ${object.metadata.namespace === undefined ? '' : `${object.metadata.namespace}/`}${object.metadata.name ?? ''}`;
        const count = (this.#byObject.get(key) ?? 0) + 1;
        this.#byObject.set(key, count);
        if (count <= this.#limit) return;
        this.tripped ??= this.#describe(now);
        throw new ApiError('TooManyRequests', `livelock guard: ${key} written more than ${this.#limit} times at virtual time ${now} ms without time passing`);
      },
    };
  }

  #describe(now: number): string {
    const top = [...this.#byObject].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
    return `an object written more than ${this.#limit} times at virtual time ${now} ms without time passing (a write loop: components undoing each other's writes, or a controller requeueing itself at once); written most: ${top.map(([k, n]) => `${k} (${n})`).join(', ')}`;
  }
}
