/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics
 * (`tools/leaderelection`): candidates race to write their identity into the Lease with
 * optimistic concurrency; the holder renews it every retry period; a candidate takes over
 * once the holder has not renewed for a whole lease duration.
 *
 * The decision of one attempt is a pure function ({@link decideLease}); {@link LeaderElector}
 * only reads the Lease, calls it, writes the result and sleeps on the injected clock.
 *
 * Worked timeline with the defaults (duration 15 s, renew deadline 10 s, retry period 2 s):
 * A acquires at t=0 and renews at 2, 4, 6 … s. Writes of A start failing after its renew at
 * t=20: the next renewal starts at t=22 with a deadline of 22 + 10 = 32; A retries at 22, 24 …
 * 30 and gives up at t=32, calling `onStoppedLeading`. B, polling every 2 s (plus jitter), sees
 * the Lease expire at 20 + 15 = 35 s and acquires on its first attempt after that, with
 * `leaseTransitions + 1`. A stopped leading 3 s before B could start.
 *
 * @module
 */
import { isApiError } from '../api/errors.js';
import type { Lease, LeaseSpec } from '../api/kinds/coordination.js';
import { Leases } from '../api/kinds/coordination.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Client } from '../client/types.js';
import type { Clock } from '../clock/clock.js';
import { formatMicroTime, parseTime } from '../clock/clock.js';
import type { Rng } from '../rng/rng.js';
import { RuntimeError } from './errors.js';

/** client-go's `JitterFactor`: retries wait `retryPeriod · (1 + 1.2 · random)`. */
export const LEADER_ELECTION_JITTER = 1.2;

/** What one attempt should do, given the Lease as read. */
export type LeaseDecision =
  /** No Lease exists: create it holding it. */
  | { readonly kind: 'create'; readonly spec: LeaseSpec }
  /** Write `spec` (a renewal when `renew`, else an acquisition). */
  | { readonly kind: 'update'; readonly spec: LeaseSpec; readonly renew: boolean }
  /** Someone else holds a valid Lease until `expiresAtMs`. */
  | { readonly kind: 'held'; readonly holder: string; readonly expiresAtMs: number };

/**
 * Decides one acquire-or-renew attempt (client-go's `tryAcquireOrRenew`), purely.
 *
 * - no Lease → create it: holder = me, `acquireTime` = `renewTime` = now, `leaseTransitions` 0;
 * - I hold it → renew: `renewTime` = now, `acquireTime` and `leaseTransitions` kept;
 * - another holder whose `renewTime + leaseDurationSeconds` is still in the future → held;
 * - otherwise (expired, released or never held) → acquire: holder = me, both times = now,
 *   `leaseTransitions + 1`.
 *
 * Caveats: client-go judges expiry by when *it* last saw the record change (tolerating skew
 * between machines' clocks); here every component shares one injected clock, so the Lease's
 * own `renewTime` is used, and a Lease left by a crashed holder is taken as soon as it expires.
 *
 * @example
 * ```ts
 * decideLease({ holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.000000Z' },
 *   'b', Date.parse('2026-01-01T00:00:10Z'), 15_000);
 * // → { kind: 'held', holder: 'a', expiresAtMs: Date.parse('2026-01-01T00:00:15Z') }
 * ```
 */
export function decideLease(current: LeaseSpec | undefined, identity: string, nowMs: number, leaseDurationMs: number): LeaseDecision {
  const now = formatMicroTime(nowMs);
  const seconds = Math.ceil(leaseDurationMs / 1000);
  if (current === undefined) {
    return { kind: 'create', spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } };
  }
  const holder = current.holderIdentity ?? '';
  if (holder === identity) {
    return { kind: 'update', renew: true, spec: { ...current, leaseDurationSeconds: seconds, renewTime: now } };
  }
  if (holder !== '') {
    const renewed = parseTime(current.renewTime ?? '');
    const expiresAtMs = (Number.isNaN(renewed) ? -Infinity : renewed) + (current.leaseDurationSeconds ?? 0) * 1000;
    if (expiresAtMs > nowMs) return { kind: 'held', holder, expiresAtMs };
  }
  return {
    kind: 'update',
    renew: false,
    spec: { ...current, holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: (current.leaseTransitions ?? 0) + 1 },
  };
}

/** What a {@link LeaderElector} tells its owner. */
export interface LeaderCallbacks {
  /** This candidate became the leader; `signal` aborts when it stops leading. */
  onStartedLeading?(signal: AbortSignal): void;
  /** This candidate stopped leading (lost the Lease, or shut down). Only called after `onStartedLeading`. */
  onStoppedLeading?(): void;
  /** The observed holder changed (to another candidate or to this one). */
  onNewLeader?(identity: string): void;
}

/** How a {@link LeaderElector} is configured. Durations in milliseconds, defaults as client-go's. */
export interface LeaderElectionOptions {
  /** Reads and writes the Lease. */
  readonly client: Client;
  /** Every wait and timestamp. */
  readonly clock: Clock;
  /** Retry jitter; none without it. */
  readonly rng?: Rng | undefined;
  /** This candidate's unique identity (`holderIdentity`), e.g. the pod name. */
  readonly identity: string;
  /** Where the Lease lives. */
  readonly lease: { readonly namespace: string; readonly name: string };
  /** How long a non-renewed Lease stays valid (default 15 000, `leaseDurationSeconds` 15). */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps retrying a failing renewal before giving up (default 10 000). */
  readonly renewDeadlineMs?: number;
  /** Wait between attempts (default 2 000). */
  readonly retryPeriodMs?: number;
  /** Give the Lease up when stopped, so another candidate takes over at once (default true). */
  readonly releaseOnCancel?: boolean;
  /** The Lease resource (default the built-in `Leases`). */
  readonly resource?: ResourceDefinition<Lease>;
  /** Notifications. */
  readonly callbacks?: LeaderCallbacks;
  /** Called with every failed read or write of the Lease (they are retried). */
  readonly onError?: (error: unknown) => void;
}

/**
 * A leader-election candidate (client-go's `LeaderElector`).
 *
 * Guarantees:
 * - at most one candidate believes it leads at a time, provided every candidate shares the
 *   clock and `renewDeadline < leaseDuration` (a leader gives up before its Lease can expire);
 * - every write carries the `resourceVersion` it read, so two candidates racing for an expired
 *   Lease cannot both win (the loser gets 409 Conflict and keeps polling);
 * - `run(signal)` settles after the signal aborts (and, with `releaseOnCancel`, after the
 *   release was attempted) or after leadership was lost.
 *
 * Errors: the constructor throws {@link RuntimeError} `invalid-option` unless
 * `leaseDuration > renewDeadline > 1.2 · retryPeriod > 0` and the identity is non-empty, as
 * client-go's `NewLeaderElector`.
 *
 * @example
 * ```ts
 * const elector = new LeaderElector({ client, clock, identity: 'manager-a',
 *   lease: { namespace: 'kube-system', name: 'widget-controller' },
 *   callbacks: { onStartedLeading: (signal) => startControllers(signal) } });
 * void elector.run(stop.signal);
 * ```
 */
export class LeaderElector {
  /** This candidate's identity. */
  readonly identity: string;
  readonly #o: LeaderElectionOptions;
  readonly #durationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #resource: ResourceDefinition<Lease>;
  #leading = false;
  #observedHolder = '';
  #running = false;

  /** Validates the options; see the class Errors. */
  constructor(options: LeaderElectionOptions) {
    this.#o = options;
    this.identity = options.identity;
    this.#durationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryMs = options.retryPeriodMs ?? 2_000;
    this.#resource = options.resource ?? Leases;
    const problems: string[] = [];
    if (!(this.#durationMs > this.#renewDeadlineMs)) problems.push('leaseDuration must be greater than renewDeadline');
    if (!(this.#renewDeadlineMs > LEADER_ELECTION_JITTER * this.#retryMs)) problems.push('renewDeadline must be greater than retryPeriod*JitterFactor');
    if (!(this.#retryMs > 0)) problems.push('retryPeriod must be greater than zero');
    if (options.identity === '') problems.push('identity must not be empty');
    if (problems.length > 0) throw new RuntimeError('invalid-option', `invalid leader election options: ${problems.join('; ')}`, { issues: problems });
  }

  /** Whether this candidate currently leads. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last observed in the Lease (`''` when none). */
  getLeader(): string {
    return this.#observedHolder;
  }

  /**
   * Campaigns until `signal` aborts: acquire, lead while renewals succeed, and stop leading when
   * they fail past the renew deadline. Resolves when it stops (it does not campaign again after
   * losing, as client-go's `Run`: build a new elector — in practice, restart the process).
   *
   * @throws {@link RuntimeError} `controller-state` if already running.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new RuntimeError('controller-state', `leader elector ${this.identity} is already running`);
    this.#running = true;
    try {
      if (!(await this.#acquire(signal))) return;
      const leading = new AbortController();
      this.#setLeading(true);
      this.#o.callbacks?.onStartedLeading?.(leading.signal);
      await this.#renewLoop(signal);
      leading.abort();
      if (signal.aborted && this.#o.releaseOnCancel !== false) await this.#release();
      this.#setLeading(false);
      this.#o.callbacks?.onStoppedLeading?.();
    } finally {
      this.#running = false;
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew()) return true;
      if (!(await this.#sleep(this.#jittered(), signal))) return false;
    }
    return false;
  }

  async #renewLoop(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (!(await this.#sleep(this.#retryMs, signal))) return;
      const deadline = this.#o.clock.now() + this.#renewDeadlineMs;
      let renewed = false;
      for (;;) {
        if (signal.aborted) return;
        renewed = (await this.#tryAcquireOrRenew()) && this.#o.clock.now() < deadline;
        if (renewed || this.#o.clock.now() + this.#retryMs >= deadline) break;
        if (!(await this.#sleep(this.#retryMs, signal))) return;
      }
      if (!renewed) {
        if (this.#o.clock.now() < deadline) await this.#sleep(deadline - this.#o.clock.now(), signal);
        return;
      }
    }
  }

  /** One attempt: read, decide, write. Returns whether this candidate holds the Lease now. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, clock, lease } = this.#o;
    let current: Lease | undefined;
    try {
      current = await client.get(this.#resource, lease);
    } catch (error) {
      if (!isApiError(error, 'NotFound')) {
        this.#o.onError?.(error);
        return false;
      }
    }
    this.#observe(current?.spec.holderIdentity ?? '');
    const decision = decideLease(current?.spec, this.identity, clock.now(), this.#durationMs);
    try {
      switch (decision.kind) {
        case 'held':
          return false;
        case 'create':
          await client.create(this.#resource, { apiVersion: this.#resource.apiVersion, kind: 'Lease', metadata: { namespace: lease.namespace, name: lease.name }, spec: decision.spec });
          break;
        case 'update':
          await client.update(this.#resource, { ...current!, spec: decision.spec });
          break;
      }
    } catch (error) {
      this.#o.onError?.(error);
      return false;
    }
    this.#observe(this.identity);
    return true;
  }

  /** client-go's `release`: empty holder, duration 1 s, times now, transitions kept. */
  async #release(): Promise<void> {
    const { client, clock, lease } = this.#o;
    try {
      const current = await client.get(this.#resource, lease);
      if (current.spec.holderIdentity !== this.identity) return;
      const now = formatMicroTime(clock.now());
      await client.update(this.#resource, {
        ...current,
        spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      });
    } catch (error) {
      this.#o.onError?.(error);
    }
  }

  #observe(holder: string): void {
    if (holder === this.#observedHolder) return;
    this.#observedHolder = holder;
    if (holder !== '') this.#o.callbacks?.onNewLeader?.(holder);
  }

  #jittered(): number {
    const rng = this.#o.rng;
    return rng === undefined ? this.#retryMs : this.#retryMs * (1 + LEADER_ELECTION_JITTER * rng.next());
  }

  /** Sleeps on the clock; false if `signal` aborted first. */
  async #sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#o.clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }
}
