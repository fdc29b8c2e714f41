/**
 * The scheduling queue (upstream `PriorityQueue`): an active queue ordered by the QueueSort
 * plugin, a backoff queue of pods waiting out their backoff, and the unschedulable pods that
 * wait for the cluster to change. Time comes from the injected clock.
 *
 * Invariants (checked by {@link SchedulingQueue.assertInvariants}): a pod key is in at most one
 * of `active`, `backoff`, `unschedulable`, or is `inFlight` (popped, being scheduled); every
 * backoff entry has a timer due no later than its expiry.
 *
 * @module
 */
import type { Clock, Pod, Timer } from '@kubeloop/core';
import type { QueuedPodInfo, QueueSortPlugin } from './framework.js';

/** Upstream's initial pod backoff: 1 s. */
export const POD_INITIAL_BACKOFF_MS = 1_000;
/** Upstream's maximum pod backoff: 10 s. */
export const POD_MAX_BACKOFF_MS = 10_000;
/** Upstream's `podMaxInUnschedulablePodsDuration`: an unschedulable pod is retried after 5 minutes anyway. */
export const POD_MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;

/**
 * The backoff after `attempts` failed attempts: 1 s doubled per further attempt, at most 10 s.
 *
 * @example attempts 1 → 1 s, 2 → 2 s, 3 → 4 s, 4 → 8 s, 5 and more → 10 s.
 */
export function podBackoffMs(attempts: number): number {
  let d = POD_INITIAL_BACKOFF_MS;
  for (let i = 1; i < attempts && d < POD_MAX_BACKOFF_MS; i++) d *= 2;
  return Math.min(d, POD_MAX_BACKOFF_MS);
}

interface Entry {
  info: QueuedPodInfo;
  /** When the last attempt failed (clock ms); backoff counts from here. */
  lastFailure: number;
}

/** A binary heap ordered by `less`. */
class Heap {
  readonly items: Entry[] = [];
  constructor(private readonly less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean) {}
  push(e: Entry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!.info, a[p]!.info)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Entry | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!.info, a[m]!.info)) m = l;
        if (r < a.length && this.less(a[r]!.info, a[m]!.info)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
  remove(key: string): Entry | undefined {
    const i = this.items.findIndex((e) => e.info.key === key);
    if (i < 0) return undefined;
    const [e] = this.items.splice(i, 1);
    const rest = this.items.splice(0);
    for (const x of rest) this.push(x);
    return e;
  }
}

/** The scheduling queue. One writer: the scheduler. */
export class SchedulingQueue {
  readonly #clock: Clock;
  readonly #active: Heap;
  readonly #activeKeys = new Map<string, Entry>();
  readonly #backoff = new Map<string, Entry & { expiry: number }>();
  readonly #unschedulable = new Map<string, Entry & { since: number; plugins: ReadonlySet<string> }>();
  readonly #inFlight = new Map<string, number>();
  /** Bumped on every cluster event that may make pods schedulable (upstream `moveRequestCycle`). */
  #moveCycle = 0;
  #timer: Timer | undefined;
  #timerAt = Infinity;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(clock: Clock, sort: QueueSortPlugin) {
    this.#clock = clock;
    this.#active = new Heap((a, b) => sort.less(a, b));
  }

  /** Adds a new pending pod to the active queue (a no-op when already queued or in flight; then its object is refreshed). */
  add(pod: Pod): void {
    const key = keyOf(pod);
    if (this.update(pod)) return;
    this.#pushActive({ info: { pod, key, timestamp: this.#clock.now(), attempts: 0 }, lastFailure: 0 });
  }

  /**
   * Refreshes a queued pod's object. An unschedulable pod whose spec, labels or annotations
   * changed is retried (to backoff or active); status-only writes (such as the scheduler's own
   * `PodScheduled` condition) do not count, as upstream `isPodUpdated`. Returns whether the pod
   * was known.
   */
  update(pod: Pod): boolean {
    const key = keyOf(pod);
    const a = this.#activeKeys.get(key);
    if (a !== undefined) {
      a.info = { ...a.info, pod };
      return true;
    }
    const b = this.#backoff.get(key);
    if (b !== undefined) {
      b.info = { ...b.info, pod };
      return true;
    }
    const u = this.#unschedulable.get(key);
    if (u !== undefined) {
      if (!podUpdated(u.info.pod, pod)) {
        u.info = { ...u.info, pod };
        return true;
      }
      this.#unschedulable.delete(key);
      this.#requeue({ info: { ...u.info, pod }, lastFailure: u.lastFailure });
      return true;
    }
    return this.#inFlight.has(key);
  }

  /** Forgets a pod (deleted, or bound by someone else). */
  delete(key: string): void {
    if (this.#activeKeys.delete(key)) this.#active.remove(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
  }

  /**
   * The next pod to schedule, in QueueSort order; waits until one is active. Resolves
   * `undefined` once the queue is closed. The pod is in flight until {@link done},
   * {@link addUnschedulable} or {@link addBackoff}.
   */
  async pop(): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const e = this.#active.pop();
      if (e !== undefined) {
        this.#activeKeys.delete(e.info.key);
        this.#inFlight.set(e.info.key, this.#moveCycle);
        return { ...e.info, attempts: e.info.attempts + 1 };
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The pod was scheduled (or dropped): it leaves the queue. */
  done(key: string): void {
    this.#inFlight.delete(key);
  }

  /**
   * The pod fits nowhere: it waits in the unschedulable set for a cluster change — unless a
   * change happened while it was being scheduled, in which case it goes straight to backoff
   * (upstream's move-request cycle), so no event is lost. `plugins` are the plugins that
   * rejected it (upstream's `UnschedulablePlugins`), used by {@link moveAllToActiveOrBackoff}'s filter.
   */
  addUnschedulable(info: QueuedPodInfo, plugins: ReadonlySet<string> = new Set()): void {
    const cycle = this.#inFlight.get(info.key);
    this.#inFlight.delete(info.key);
    const now = this.#clock.now();
    if (cycle !== undefined && cycle < this.#moveCycle) {
      this.#requeue({ info, lastFailure: now });
      return;
    }
    this.#unschedulable.set(info.key, { info, lastFailure: now, since: now, plugins });
    this.#arm(now + POD_MAX_IN_UNSCHEDULABLE_MS);
  }

  /** The attempt failed with an error (e.g. the bind failed): retry after the pod's backoff. */
  addBackoff(info: QueuedPodInfo): void {
    this.#inFlight.delete(info.key);
    const now = this.#clock.now();
    this.#pushBackoff({ info, lastFailure: now, expiry: now + podBackoffMs(info.attempts) });
  }

  /**
   * A cluster change (node added or updated, pod deleted, volume bound, …): every
   * unschedulable pod moves to backoff (if its backoff has not expired) or to active. With
   * `rejectedBy`, only pods rejected by one of those plugins move (upstream registers each
   * plugin for the events that can make it change its mind, e.g. an assigned pod being added
   * only matters to InterPodAffinity and PodTopologySpread).
   */
  moveAllToActiveOrBackoff(rejectedBy?: readonly string[]): void {
    this.#moveCycle++;
    for (const [k, e] of this.#unschedulable) {
      if (rejectedBy !== undefined && !rejectedBy.some((p) => e.plugins.has(p))) continue;
      this.#unschedulable.delete(k);
      this.#requeue(e);
    }
  }

  /** Stops the queue: pending and future `pop`s resolve `undefined`; timers are cancelled. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#wake();
  }

  /** Counts per sub-queue, for tests and metrics. */
  sizes(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.#activeKeys.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size, inFlight: this.#inFlight.size };
  }

  /** Which sub-queue holds `key`, if any. */
  where(key: string): 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined {
    if (this.#activeKeys.has(key)) return 'active';
    if (this.#backoff.has(key)) return 'backoff';
    if (this.#unschedulable.has(key)) return 'unschedulable';
    if (this.#inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  /** Throws if a key is in two sub-queues or a backoff entry has no timer due by its expiry. */
  assertInvariants(): void {
    const seen = new Set<string>();
    for (const keys of [this.#activeKeys.keys(), this.#backoff.keys(), this.#unschedulable.keys(), this.#inFlight.keys()]) {
      for (const k of keys) {
        if (seen.has(k)) throw new Error(`pod ${k} is in two sub-queues`);
        seen.add(k);
      }
    }
    if (this.#active.items.length !== this.#activeKeys.size) throw new Error('active heap and key index disagree');
    if (!this.#closed) for (const b of this.#backoff.values()) if (this.#timerAt > b.expiry) throw new Error(`backoff of ${b.info.key} has no timer`);
  }

  #requeue(e: Entry): void {
    const expiry = e.lastFailure + podBackoffMs(e.info.attempts);
    if (e.info.attempts > 0 && expiry > this.#clock.now()) this.#pushBackoff({ ...e, expiry });
    else this.#pushActive(e);
  }

  #pushActive(e: Entry): void {
    this.#activeKeys.set(e.info.key, e);
    this.#active.push(e);
    this.#wake();
  }

  #pushBackoff(e: Entry & { expiry: number }): void {
    this.#backoff.set(e.info.key, e);
    this.#arm(e.expiry);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const resolve of w) resolve();
  }

  /** Makes sure a timer fires by `at`. */
  #arm(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimer(Math.max(0, at - this.#clock.now()), () => this.#onTimer());
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    let next = Infinity;
    for (const [k, b] of this.#backoff) {
      if (b.expiry <= now) {
        this.#backoff.delete(k);
        this.#pushActive(b);
      } else next = Math.min(next, b.expiry);
    }
    for (const [k, u] of this.#unschedulable) {
      if (u.since + POD_MAX_IN_UNSCHEDULABLE_MS <= now) {
        this.#unschedulable.delete(k);
        this.#requeue(u);
      } else next = Math.min(next, u.since + POD_MAX_IN_UNSCHEDULABLE_MS);
    }
    for (const b of this.#backoff.values()) next = Math.min(next, b.expiry);
    if (next < Infinity) this.#arm(next);
  }
}

/** `namespace/name` of a pod. */
export function keyOf(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** Whether a pod changed beyond its status and bookkeeping metadata (upstream `isPodUpdated`). */
function podUpdated(old: Pod, pod: Pod): boolean {
  if (old === pod) return false;
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, ...meta } = p.metadata as Pod['metadata'] & { managedFields?: unknown };
    return JSON.stringify([meta, p.spec]);
  };
  return strip(old) !== strip(pod);
}
