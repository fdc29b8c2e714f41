/**
 * Fault schedules: plain data that says which faults hit a simulated cluster and when, so that
 * fast-check can generate, shrink and print them; and the {@link FaultInjector} that plays one.
 *
 * Two clocks drive a schedule. Faults on the controller manager's writes (`crash`,
 * `writeError`) count its writes, 1 for the first write after {@link FaultInjector.start};
 * faults on the cluster (`stopNode`, `restoreNode`, `clockJump`, `slowImagePulls`) fire before a numbered step of
 * the test (`crashBeforeStep` too). Watch faults (`staleReads`, `coalesce`, `expireWatches`) and `latency` hold while
 * the faults are on.
 *
 * @module
 */
import { ApiError, VirtualClockError, WRITE_VERBS } from '@kubeloop/core';
import type { Clock, ClientInterceptor, ClientRequest } from '@kubeloop/core';
import type { SimCluster } from '../sim/cluster.js';
import { bufferWatches } from './buffer.js';
import type { WatchBuffer } from './buffer.js';
import { dropWatchEvents } from './drop.js';
import type { WatchDropper } from './drop.js';
import { expireWatches } from './watch.js';

/** The API errors a `writeError` fault returns. */
export type InjectedWriteError = 'Conflict' | 'InternalError' | 'ServiceUnavailable' | 'TooManyRequests';

/**
 * One fault, as data.
 *
 * - `crash`: the controller manager dies at its `write`-th write — after the write reached the
 *   store (`committed: true`) or before (`false`) — and restarts with empty caches and queues.
 *   From the crash until the restart, each call of the dead incarnation fails.
 * - `crashBeforeStep`: the controller manager dies before step `step`, wherever its reconciles
 *   are (each one in flight fails at its next call), and restarts with empty caches and queues.
 *   Unlike `crash`, where it dies does not move when an earlier step makes more or fewer writes.
 * - `writeError`: the `write`-th write fails with `code` without reaching the store.
 * - `staleReads`: the controller manager's watches of `resource` (a plural such as `pods`, or
 *   `*`) lag by up to `lag` events, each held at most `holdMs`, and no longer than 1,000 other
 *   events take to pass (virtual time stands still while the cluster works at one instant).
 * - `coalesce`: MODIFIED events of one object within `windowMs` are coalesced (only the last
 *   is delivered), on watches of `resource`.
 * - `dropEvents`: every `every`-th MODIFIED event of watches of `resource` is lost; when the
 *   faults stop, the damaged watches end with 410 so the caches relist.
 * - `expireWatches`: each watch of the controller manager ends with 410 after `afterMs`.
 * - `latency`: each request of the controller manager takes `ms` more.
 * - `stopNode` / `restoreNode`: the kubelet of node number `node` (0-based, modulo the node
 *   count) stops (heartbeat loss, node death) or starts again, before step `step`.
 * - `clockJump`: the cluster's clock jumps `ms` forward before step `step`.
 * - `slowImagePulls`: from step `step` on, every image pull that begins on node number `node`
 *   (as for `stopNode`) takes `ms` more (a slow link), until the faults stop; with `image`,
 *   only pulls of that image do (a slow registry or a huge layer), on top of any node-wide
 *   extra time. A later `slowImagePulls` of the same node (and image) replaces the extra time.
 *   Pulls under way keep their end. Keep `ms` well below settle's quiet window (20 s by default): a pod waiting for
 *   its image changes nothing, so a longer pull may outlast a quiet window.
 */
export type Fault =
  | { readonly kind: 'crash'; readonly write: number; readonly committed: boolean }
  | { readonly kind: 'crashBeforeStep'; readonly step: number }
  | { readonly kind: 'writeError'; readonly write: number; readonly code: InjectedWriteError }
  | { readonly kind: 'staleReads'; readonly resource: string; readonly lag: number; readonly holdMs: number }
  | { readonly kind: 'coalesce'; readonly resource: string; readonly windowMs: number }
  | { readonly kind: 'dropEvents'; readonly resource: string; readonly every: number }
  | { readonly kind: 'expireWatches'; readonly afterMs: number }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'stopNode'; readonly step: number; readonly node: number }
  | { readonly kind: 'restoreNode'; readonly step: number; readonly node: number }
  | { readonly kind: 'clockJump'; readonly step: number; readonly ms: number }
  | { readonly kind: 'slowImagePulls'; readonly step: number; readonly node: number; readonly ms: number; readonly image?: string | undefined };

/** A list of faults; the order only matters for printing. */
export type FaultSchedule = readonly Fault[];

/** One line per fault, as a failure report prints them. */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'crash':
      return `crash the controller manager at its write #${f.write} (${f.committed ? 'after' : 'before'} it reaches the store)`;
    case 'crashBeforeStep':
      return `before step ${f.step}: crash the controller manager`;
    case 'writeError':
      return `fail write #${f.write} with ${f.code}`;
    case 'staleReads':
      return `watches of ${f.resource} lag by up to ${f.lag} events (${f.holdMs} ms at most)`;
    case 'coalesce':
      return `MODIFIED events of one ${f.resource} object coalesced within ${f.windowMs} ms`;
    case 'dropEvents':
      return `every ${f.every === 1 ? '' : `${f.every}th `}MODIFIED event of ${f.resource} is lost`;
    case 'expireWatches':
      return `watches expire (410) after ${f.afterMs} ms`;
    case 'latency':
      return `every request takes ${f.ms} ms more`;
    case 'stopNode':
      return `before step ${f.step}: stop node #${f.node}`;
    case 'restoreNode':
      return `before step ${f.step}: restore node #${f.node}`;
    case 'clockJump':
      return `before step ${f.step}: clock jumps ${f.ms} ms forward`;
    case 'slowImagePulls':
      return `from step ${f.step}: ${f.image === undefined ? 'image pulls' : `pulls of ${f.image}`} on node #${f.node} take ${f.ms} ms more`;
  }
}

const matches = (resource: string, request: ClientRequest) => resource === '*' || request.resource?.resource === resource;

/**
 * Plays a {@link FaultSchedule} on a {@link SimCluster}: give {@link FaultInjector.interceptors}
 * to the cluster's controller manager, {@link FaultInjector.attach} the cluster once built, then
 * {@link FaultInjector.start}; call {@link FaultInjector.beforeStep} before each step and
 * {@link FaultInjector.poll} often while time moves (it performs pending restarts);
 * {@link FaultInjector.stop} ends every fault and repairs the cluster.
 *
 * Guarantees: everything it does is a function of the schedule, the order of the controller
 * manager's writes and the virtual clock, so a run replays exactly.
 *
 * Caveats: a crash only marks the incarnation dead at once; the restart itself begins at the
 * next {@link FaultInjector.poll}, because `SimCluster.restartControllerManager` cannot run
 * inside a clock timer (it flushes the clock), and completes while the clock advances (it waits
 * for the dead incarnation's reconciles in flight). Until then, every call of the dead
 * incarnation fails with `ServiceUnavailable`, as a crashed process makes no calls.
 */
export class FaultInjector {
  readonly schedule: FaultSchedule;
  #cluster: SimCluster | undefined;
  #on = false;
  #writes = 0;
  #down = false;
  #pendingRestart = false;
  #restarting = false;
  #restartError: unknown;
  readonly #buffers: WatchBuffer[] = [];
  readonly #droppers: WatchDropper[] = [];
  /** The last copy {@link FaultInjector.lostWatchEvents} made, and how many drops it holds. */
  #lost: { readonly dropped: number; readonly copy: ReadonlyMap<string, ReadonlySet<string>> } | undefined;
  readonly #stopped = new Set<string>();
  /** The slowed pulls, by `<node> <image or ''>`, in the order first slowed. */
  readonly #slowed = new Map<string, { readonly node: string; readonly image: string | undefined }>();
  /** What the injector did, in order (for reports and tests). */
  readonly log: string[] = [];

  constructor(schedule: FaultSchedule) {
    this.schedule = schedule;
  }

  /** Whether the faults are on. */
  get active(): boolean {
    return this.#on;
  }

  /**
   * The MODIFIED events the `dropEvents` faults kept from the controller manager's watches so
   * far, as `ClusterState.lostWatchEvents` reports them: by `kind/namespace/name`, the
   * `resourceVersion`s they carried; undefined while none was lost. Each call returns a copy
   * that never changes (the same one until another event is lost).
   */
  lostWatchEvents(): ReadonlyMap<string, ReadonlySet<string>> | undefined {
    const dropped = this.#droppers.reduce((n, d) => n + d.dropped, 0);
    if (dropped === 0) return undefined;
    if (this.#lost?.dropped !== dropped) {
      const copy = new Map<string, Set<string>>();
      for (const d of this.#droppers) for (const [key, versions] of d.lost) copy.set(key, new Set([...(copy.get(key) ?? []), ...versions]));
      this.#lost = { dropped, copy };
    }
    return this.#lost.copy;
  }

  /** How many writes of the controller manager were counted since {@link FaultInjector.start}. */
  get writes(): number {
    return this.#writes;
  }

  /** The interceptors for the controller manager (pass as `controllerManager.interceptors`). */
  interceptors(clock: Clock): ClientInterceptor[] {
    const out: ClientInterceptor[] = [this.#writeFaults(clock)];
    for (const f of this.schedule) {
      if (f.kind === 'latency') out.push(this.#latency(clock, f.ms));
      else if (f.kind === 'dropEvents') {
        const dropper = dropWatchEvents({ every: f.every, applies: (r) => matches(f.resource, r), active: () => this.#on });
        this.#droppers.push(dropper);
        out.push(dropper);
      } else if (f.kind === 'expireWatches') out.push(expireWatches(clock, () => (this.#on ? f.afterMs : undefined)));
      else if (f.kind === 'staleReads' || f.kind === 'coalesce') {
        const buffer = bufferWatches(clock, {
          ...(f.kind === 'staleReads' ? { lag: f.lag, holdMs: f.holdMs } : { coalesceMs: f.windowMs }),
          applies: (r) => matches(f.resource, r),
          active: () => this.#on,
        });
        this.#buffers.push(buffer);
        out.push(buffer);
      }
    }
    return out;
  }

  /** Binds the injector to the cluster it plays on (once it is built). */
  attach(cluster: SimCluster): void {
    this.#cluster = cluster;
  }

  /** Turns the faults on; writes are counted from here. */
  start(): void {
    this.#on = true;
    this.#writes = 0;
  }

  /** Plays the cluster faults due before step `step` (0-based), then any pending restart. */
  async beforeStep(step: number): Promise<void> {
    const cluster = this.#need();
    if (!this.#on) return;
    for (const f of this.schedule) {
      if (!('step' in f) || f.step !== step) continue;
      if (f.kind === 'crashBeforeStep') {
        // Restarted by the poll below; a restart under way takes this one after it.
        this.log.push(`step ${step}: crash the controller manager at t=${cluster.now()}`);
        this.#down = true;
        this.#pendingRestart = true;
        continue;
      }
      if (f.kind === 'clockJump') {
        this.log.push(`step ${step}: clock jump ${f.ms} ms`);
        cluster.clock.jump(f.ms);
        await cluster.advance(0);
        continue;
      }
      const names = nodeNames(cluster);
      if (names.length === 0) continue;
      const name = names[f.node % names.length]!;
      if (f.kind === 'slowImagePulls') {
        this.log.push(`step ${step}: ${f.image === undefined ? 'image pulls' : `pulls of ${f.image}`} on ${name} take ${f.ms} ms more`);
        this.#slowed.set(`${name} ${f.image ?? ''}`, { node: name, image: f.image });
        setExtraPullMs(cluster, name, f.image, f.ms);
      } else if (f.kind === 'stopNode' && !this.#stopped.has(name)) {
        this.log.push(`step ${step}: stop ${name}`);
        this.#stopped.add(name);
        cluster.stopNode(name);
      } else if (f.kind === 'restoreNode' && this.#stopped.has(name)) {
        this.log.push(`step ${step}: restore ${name}`);
        this.#stopped.delete(name);
        await cluster.restoreNode(name);
      }
    }
    await this.poll();
  }

  /**
   * Starts the restart of the controller manager if a crash is pending. The restart runs while
   * the caller keeps advancing the clock: stopping the crashed incarnation waits for its
   * reconciles in flight, which may sleep on the clock.
   */
  async poll(): Promise<void> {
    if (!this.#pendingRestart || this.#restarting) return;
    const cluster = this.#need();
    this.#pendingRestart = false;
    this.log.push(`restart the controller manager at t=${cluster.now()}`);
    // The old incarnation is marked dead synchronously by the call: from then on only the new one calls.
    const restarting = cluster.restartControllerManager();
    this.#down = false;
    this.#restarting = true;
    restarting.then(
      () => (this.#restarting = false),
      (e: unknown) => {
        this.#restarting = false;
        // Its final clock flush may collide with the caller's advance; the restart itself is done.
        if (!isBusy(e)) this.#restartError ??= e;
      },
    );
    // Let the restart finish here (usually within a few drains; longer if the dead incarnation's
    // reconciles in flight sleep on the clock), so that no flush of it is left to collide with
    // the caller's next use of the clock.
    for (let i = 0; this.#restarting; i++) await this.#retry(() => cluster.advance(i < 10 ? 0 : 100));
  }

  /**
   * Advances the cluster's clock by `ms` in slices of at most `sliceMs`, starting pending
   * restarts between slices (use it instead of `cluster.advance` while faults may crash the
   * controller manager).
   */
  async advance(ms: number, sliceMs = 250): Promise<void> {
    const cluster = this.#need();
    // Without a crash in the schedule there is nothing to poll for: one advance is cheaper.
    if (!this.schedule.some((f) => f.kind === 'crash')) sliceMs = ms;
    for (let left = ms; left > 0; left -= sliceMs) {
      await cluster.advance(Math.min(sliceMs, left));
      await this.poll();
    }
  }

  /** Runs a clock-driving call, waiting out the final flush of a restart if it collides with it. */
  async #retry(call: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        if (!isBusy(e) || attempt > 100) throw e;
        // The restart's flush holds the clock until its drain's macrotask runs: let it finish.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  /** Whether a restart is still under way. */
  get restarting(): boolean {
    return this.#restarting;
  }

  /**
   * Ends every fault: pending restarts happen, held watch events are delivered, watches that
   * dropped events relist, stopped nodes come back, image pulls that begin from now on take
   * their normal time. Writes are no longer counted.
   */
  async stop(): Promise<void> {
    this.#on = false;
    await this.poll();
    const cluster = this.#need();
    if (this.#restartError !== undefined) throw new Error('the controller manager failed to restart', { cause: this.#restartError });
    for (const b of this.#buffers) b.releaseAll();
    for (const d of this.#droppers) d.repair();
    for (const name of [...this.#stopped]) {
      this.log.push(`faults stop: restore ${name}`);
      await cluster.restoreNode(name);
    }
    this.#stopped.clear();
    for (const { node, image } of this.#slowed.values()) {
      this.log.push(`faults stop: normal ${image === undefined ? 'image pulls' : `pulls of ${image}`} on ${node}`);
      setExtraPullMs(cluster, node, image, 0);
    }
    this.#slowed.clear();
    await cluster.advance(0);
  }

  #need(): SimCluster {
    if (this.#cluster === undefined) throw new Error('FaultInjector: attach(cluster) first');
    return this.#cluster;
  }

  #latency(clock: Clock, ms: number): ClientInterceptor {
    return {
      request: async <R>(_request: ClientRequest, next: () => Promise<R>): Promise<R> => {
        if (this.#on && ms > 0) await clock.sleep(ms);
        return next();
      },
    };
  }

  #writeFaults(clock: Clock): ClientInterceptor {
    return {
      request: async <R>(request: ClientRequest, next: () => Promise<R>): Promise<R> => {
        if (this.#down) throw new ApiError('ServiceUnavailable', 'injected fault: the controller manager crashed');
        if (!this.#on || !WRITE_VERBS.has(request.verb)) return next();
        const n = ++this.#writes;
        const what = `${request.verb} ${request.resource?.resource ?? 'pods'} ${request.key?.namespace ?? ''}/${request.key?.name ?? ''}`;
        for (const f of this.schedule) {
          if (f.kind === 'writeError' && f.write === n) {
            this.log.push(`write #${n} (${what}): ${f.code}`);
            throw new ApiError(f.code, `injected fault: write #${n} fails with ${f.code}`);
          }
        }
        const crash = this.schedule.find((f) => f.kind === 'crash' && f.write === n);
        if (crash === undefined || crash.kind !== 'crash') return next();
        this.log.push(`write #${n} (${what}): crash ${crash.committed ? 'after' : 'before'} the write at t=${this.#cluster?.now() ?? clock.now()}`);
        this.#down = true;
        this.#pendingRestart = true;
        if (!crash.committed) throw new ApiError('ServiceUnavailable', 'injected fault: the controller manager crashed');
        return next();
      },
    };
  }
}

function isBusy(e: unknown): boolean {
  return e instanceof VirtualClockError && e.code === 'busy';
}

function setExtraPullMs(cluster: SimCluster, node: string, image: string | undefined, ms: number): void {
  for (const k of cluster.nodes.kubelets()) {
    if (k.nodeName !== node) continue;
    if (image === undefined) k.runtime.extraPullMs = ms;
    else k.runtime.setImageExtraPullMs(image, ms);
  }
}

function nodeNames(cluster: SimCluster): string[] {
  return cluster.nodes.kubelets().map((k) => k.nodeName);
}
