/**
 * Fault schedules as fast-check arbitraries: each fault a plain object, so a failing schedule
 * shrinks to the few faults that matter and prints as a list.
 *
 * @module
 */
import fc from 'fast-check';
import type { Fault, FaultSchedule, InjectedWriteError } from '../faults/schedule.js';

/** Which faults {@link faultSchedules} draws, and their bounds. */
export interface FaultScheduleOptions {
  /** The fault kinds to draw from (default: every kind). */
  readonly kinds?: readonly Fault['kind'][] | undefined;
  /** At most this many faults (default 4). */
  readonly maxFaults?: number | undefined;
  /** Writes are numbered 1..maxWrite (default 30). */
  readonly maxWrite?: number | undefined;
  /** Steps are numbered 0..steps-1 (default 20). */
  readonly steps?: number | undefined;
  /** Nodes are numbered 0..nodes-1 (default 3). */
  readonly nodes?: number | undefined;
  /**
   * The longest delay a fault may add (latency, a held or coalesced event, a slowed image
   * pull; default 5 000 ms, 10 000 ms for a slowed pull).
   * Keep it below the step of a test whose invariants compare consecutive steps.
   */
  readonly maxDelayMs?: number | undefined;
  /**
   * How long after it opens a watch an `expireWatches` fault ends it with 410 Gone (default
   * 500 ms to 30 s). Cut watches often to test relists; keep `min` above the time a relist
   * takes to show a cache that stays behind.
   */
  readonly expireWatchesAfterMs?: { readonly min: number; readonly max: number } | undefined;
  /** The resources watch faults target (default `*` and `pods`). */
  readonly resources?: readonly string[] | undefined;
  /**
   * Images a `slowImagePulls` fault may slow alone (default none: it slows every pull of its
   * node). Given, it slows one of them, or every pull, as drawn (shrinking toward every pull).
   */
  readonly images?: readonly string[] | undefined;
}

const ALL_KINDS: readonly Fault['kind'][] = ['crash', 'crashBeforeStep', 'writeError', 'staleReads', 'coalesce', 'dropEvents', 'expireWatches', 'latency', 'stopNode', 'restoreNode', 'clockJump', 'slowImagePulls'];
const WRITE_ERRORS: readonly InjectedWriteError[] = ['Conflict', 'InternalError', 'ServiceUnavailable', 'TooManyRequests'];

/** An arbitrary {@link Fault} of the given kinds. */
export function faultArbitrary(options: FaultScheduleOptions = {}): fc.Arbitrary<Fault> {
  const maxWrite = options.maxWrite ?? 30;
  const steps = Math.max(1, options.steps ?? 20);
  const nodes = Math.max(1, options.nodes ?? 3);
  const delay = (min: number, max: number) => fc.integer({ min: Math.min(min, options.maxDelayMs ?? max), max: Math.min(max, options.maxDelayMs ?? max) });
  const resource = fc.constantFrom(...(options.resources ?? ['*', 'pods']));
  const write = fc.integer({ min: 1, max: maxWrite });
  const step = fc.nat({ max: steps - 1 });
  const node = fc.nat({ max: nodes - 1 });
  const byKind: { readonly [K in Fault['kind']]: fc.Arbitrary<Extract<Fault, { kind: K }>> } = {
    crash: fc.record({ kind: fc.constant('crash' as const), write, committed: fc.boolean() }),
    crashBeforeStep: fc.record({ kind: fc.constant('crashBeforeStep' as const), step }),
    writeError: fc.record({ kind: fc.constant('writeError' as const), write, code: fc.constantFrom(...WRITE_ERRORS) }),
    staleReads: fc.record({ kind: fc.constant('staleReads' as const), resource, lag: fc.integer({ min: 1, max: 5 }), holdMs: delay(100, 5_000) }),
    coalesce: fc.record({ kind: fc.constant('coalesce' as const), resource, windowMs: delay(50, 3_000) }),
    dropEvents: fc.record({ kind: fc.constant('dropEvents' as const), resource, every: fc.integer({ min: 1, max: 4 }) }),
    expireWatches: fc.record({ kind: fc.constant('expireWatches' as const), afterMs: fc.integer(options.expireWatchesAfterMs ?? { min: 500, max: 30_000 }) }),
    latency: fc.record({ kind: fc.constant('latency' as const), ms: delay(1, 500) }),
    stopNode: fc.record({ kind: fc.constant('stopNode' as const), step, node }),
    restoreNode: fc.record({ kind: fc.constant('restoreNode' as const), step, node }),
    clockJump: fc.record({ kind: fc.constant('clockJump' as const), step, ms: fc.integer({ min: 1_000, max: 120_000 }) }),
    // At most 10 s, so that a slowed pull stays well inside settle's 20 s quiet window.
    slowImagePulls: slowImagePulls(step, node, delay(1_000, 10_000), options.images ?? []),
  };
  return fc.oneof(...(options.kinds ?? ALL_KINDS).map((k) => byKind[k] as fc.Arbitrary<Fault>));
}

function slowImagePulls(step: fc.Arbitrary<number>, node: fc.Arbitrary<number>, ms: fc.Arbitrary<number>, images: readonly string[]): fc.Arbitrary<Extract<Fault, { kind: 'slowImagePulls' }>> {
  const base = fc.record({ kind: fc.constant('slowImagePulls' as const), step, node, ms });
  if (images.length === 0) return base;
  return fc.tuple(base, fc.option(fc.constantFrom(...images), { nil: undefined })).map(([f, image]) => (image === undefined ? f : { ...f, image }));
}

/**
 * An arbitrary {@link FaultSchedule}: up to `maxFaults` faults of the given kinds. Shrinks
 * toward fewer faults, earlier writes and steps, and milder values.
 */
export function faultSchedules(options: FaultScheduleOptions = {}): fc.Arbitrary<FaultSchedule> {
  return fc.array(faultArbitrary(options), { maxLength: options.maxFaults ?? 4 });
}

/**
 * Fault schedules that always hold one fault drawn from each of `always` (e.g. a crash within
 * the first writes, so that every run crashes), followed by the faults `more` draws. The
 * `always` faults shrink in their values but never away.
 *
 * @example
 * ```ts
 * faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['stopNode', 'restoreNode'], maxFaults: 2 }));
 * ```
 */
export function faultSchedulesWith(always: readonly fc.Arbitrary<Fault>[], more: fc.Arbitrary<FaultSchedule> = fc.constant([])): fc.Arbitrary<FaultSchedule> {
  return fc.tuple(fc.tuple(...always), more).map(([fixed, drawn]) => [...fixed, ...drawn]);
}
