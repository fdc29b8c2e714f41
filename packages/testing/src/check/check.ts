/**
 * `checkCluster`: one call that states the arbitraries, the actions, the faults and the
 * invariants of a whole-cluster property test, runs it with fast-check, and on failure throws a
 * {@link CheckFailure} with the seed, the shrunk actions and faults, the violated invariant and
 * its objects, the trace tail and a one-line replay command.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import fc from 'fast-check';
import type { ClientInterceptor, Clock, KubeObject, ResourceDefinition } from '@kubeloop/core';
import { SimCluster } from '../sim/cluster.js';
import type { SettleOptions, SimClusterOptions } from '../sim/cluster.js';
import { SimClusterError } from '../sim/errors.js';
import { FaultInjector, describeFault } from '../faults/schedule.js';
import type { FaultSchedule } from '../faults/schedule.js';
import type { TraceEntry } from '../sim/trace.js';
import { StateTracker } from '../invariants/state.js';
import type { ClusterState, Invariant, Violation } from '../invariants/types.js';
import { formatRef } from '../invariants/types.js';
import { describeAction, performAction } from './actions.js';
import type { ClusterAction } from './actions.js';
import { diffStates } from './normalize.js';

/** The environment variable that replays one failure: `name@seed:path` (or `seed:path`). */
export const REPLAY_ENV = 'KUBELOOP_REPLAY';

/** Whether the deep (large run count) suites are on: `KUBELOOP_DEEP=1`, as `pnpm test:deep` sets. */
export const DEEP = process.env['KUBELOOP_DEEP'] === '1';

/** The defaults of {@link checkCluster}: 20 runs (200 with `KUBELOOP_DEEP=1`). */
export const DEFAULT_RUNS = DEEP ? 200 : 20;

/**
 * How many writes one run of {@link checkCluster} or {@link runCase} may make by default before
 * it fails with `boundedWork`: 200,000. Measured on the repository's default test run (749 runs
 * of the property suites of `testing`, `integration` and `examples`), the largest run wrote 476
 * times (a Job suite), so the bound leaves a margin of about 400 times; a write loop reaches it
 * within seconds (a controller rewriting one ConfigMap writes about 60,000 times a second). A
 * suite whose workload is far larger (thousands of pods per run) raises it.
 */
export const DEFAULT_MAX_WRITES_PER_RUN = 200_000;

/**
 * What `setup` and `perform` get for one run: clock moves that keep the run's faults going, and
 * the run's own state.
 *
 * Guarantees: a controller manager that crashes while `advance` runs restarts within 250 virtual
 * ms of its crash (`SimCluster.advance` would leave it down until the step ends), and within 10
 * virtual seconds while `settle` runs; `state` is the value `runState` built for this run.
 */
export interface RunContext<S = undefined> {
  /** The step being performed (0-based), or -1 in `setup`. */
  readonly step: number;
  /** Lets `ms` of virtual time pass (as `SimCluster.advance`), restarting a crashed controller manager as it goes. */
  advance(ms: number): Promise<void>;
  /** Runs the cluster until it is quiet (as `SimCluster.settle`), restarting a crashed controller manager as it goes. */
  settle(options?: SettleOptions): Promise<void>;
  /** This run's state, built by {@link CheckClusterOptions.runState} (undefined without it). */
  readonly state: S;
}

/**
 * Invariants, or a function that builds them for one run from the run's state (so that
 * invariants which read what the actions did keep it per run, not in module variables).
 */
export type RunInvariants<S = undefined> = readonly Invariant[] | ((state: S) => readonly Invariant[]);

/**
 * What {@link checkCluster} runs. `A` is the action type ({@link ClusterAction} by default); `S`
 * the type of the state each run keeps (see {@link CheckClusterOptions.runState}).
 */
export interface CheckClusterOptions<A = ClusterAction, S = undefined> {
  /**
   * The check's name, matched by {@link REPLAY_ENV} (unique within a test file). The replay
   * command selects the running vitest test by its own title; outside vitest it uses this name.
   */
  readonly name: string;
  /**
   * The cluster, without its seed (fast-check draws it, so it shrinks and replays). Its trace is
   * always kept in memory (the states the invariants see are built from it).
   */
  readonly cluster: Omit<SimClusterOptions, 'seed'>;
  /** Runs once the cluster is built, before the faults start (e.g. apply the workload, settle). */
  readonly setup?: ((cluster: SimCluster, context: RunContext<S>) => Promise<void>) | undefined;
  /**
   * Builds a fresh state for each run, handed to `setup` and `perform` (`context.state`) and to
   * the invariant builders of `safety` and `liveness`: what an invariant needs to know about the
   * actions performed so far (e.g. "the Deployment was seen converged since its last scale").
   */
  readonly runState?: (() => S) | undefined;
  /** The actions of one run. */
  readonly actions: fc.Arbitrary<readonly A[]>;
  /**
   * Performs one action (default: {@link performAction}, for {@link ClusterAction}s). Let time
   * pass with `context.advance` and `context.settle` rather than the cluster's own, so that a
   * crash of the controller manager during the step restarts it during the step.
   */
  readonly perform?: ((cluster: SimCluster, action: A, context: RunContext<S>) => Promise<void>) | undefined;
  /** Prints one action (default: {@link describeAction}, else JSON). */
  readonly describe?: ((action: A) => string) | undefined;
  /** The faults of one run (default: none). */
  readonly faults?: fc.Arbitrary<FaultSchedule> | undefined;
  /**
   * Kinds to list from the API server at each check; the listing replaces the trace's view of
   * them in the states the invariants see. Rarely needed: the trace already holds every kind
   * the cluster serves, custom resources of `cluster.plugins` included.
   */
  readonly resources?: readonly ResourceDefinition[] | undefined;
  /** Invariants checked after every step, while settling and over the stable window. */
  readonly safety?: RunInvariants<S> | undefined;
  /** Invariants checked once faults stop and the cluster settled, and over the stable window. */
  readonly liveness?: RunInvariants<S> | undefined;
  /**
   * Check the invariants the cluster's plugins registered (`SimCluster.invariants`; default
   * true): `safety` and `transition` ones with {@link CheckClusterOptions.safety}, `liveness`
   * ones with {@link CheckClusterOptions.liveness}. An invariant of `safety` or `liveness` with
   * the same name replaces a plugin's (e.g. the same rule guarded by a precondition the
   * scenario needs); `false` checks only the invariants given here.
   */
  readonly pluginInvariants?: boolean | undefined;
  /** How many runs (default {@link DEFAULT_RUNS}). */
  readonly runs?: number | undefined;
  /** Virtual time after each action (default 1 000 ms). */
  readonly stepMs?: number | undefined;
  /** The bound on converging once faults stop (default 120 000 ms). */
  readonly settleMaxMs?: number | undefined;
  /**
   * The quiet window of that settle (default SimCluster's, 20 000 ms). Lengthen it when watches
   * are cut repeatedly: an informer backs off up to 30 s before relisting, and a shorter window
   * may call a cluster settled while a cache is still stale.
   */
  readonly settleQuietMs?: number | undefined;
  /** How long the cluster must stay converged after settling (default 60 000 ms). */
  readonly stableMs?: number | undefined;
  /**
   * Differential mode: each run also runs without faults, and the normalised final states of
   * these kinds must be equal (see {@link diffStates}).
   */
  readonly differential?: { readonly kinds: readonly string[] } | undefined;
  /** fast-check's seed (default: fast-check's global seed — fixed in this repository's default test run — else random; printed on failure). */
  readonly seed?: number | undefined;
  /** Replays one failure, as printed (`seed:path`); default from {@link REPLAY_ENV}. */
  readonly replay?: string | undefined;
  /** How many trace entries a failure prints (default 15). */
  readonly traceTail?: number | undefined;
  /**
   * How many writes one run may make in all (default `cluster.maxWritesPerRun`, else
   * {@link DEFAULT_MAX_WRITES_PER_RUN}): past it the API server answers 429 and the run fails
   * with invariant `boundedWork`, naming the families of objects written most, instead of
   * running for minutes (a write loop that lets a little time pass each time round escapes the
   * per-instant livelock bounds).
   */
  readonly maxWritesPerRun?: number | undefined;
}

/** What one run of {@link runCase} needs: a {@link CheckClusterOptions} without its arbitraries. */
export type RunOptions<A = ClusterAction, S = undefined> = Omit<CheckClusterOptions<A, S>, 'actions' | 'faults' | 'runs' | 'seed' | 'replay'>;

/** Where a run went wrong. */
export interface RunFailure {
  /** The invariant (or `eventuallyStable`, `differential`, `action`). */
  readonly invariant: string;
  /** What it states. */
  readonly description: string;
  /** When: `after step 3`, `after settling`, ... */
  readonly when: string;
  /** The violations, naming objects. */
  readonly violations: readonly Violation[];
}

/** One run's outcome: its trace and, if it failed, how. */
export interface RunOutcome {
  /** The failure, or undefined. */
  readonly failure: RunFailure | undefined;
  /**
   * The run's trace (`SimCluster.traceJson`), rendered on first read.
   *
   * Errors: a trace longer than a JavaScript string can hold (hundreds of MB, a very long run)
   * throws `RangeError` here; {@link RunOutcome.traceDigest} and {@link RunOutcome.traceTail}
   * never build the whole text.
   */
  readonly traceJson: string;
  /** {@link traceDigest} of {@link RunOutcome.traceJson}, computed entry by entry. */
  readonly traceDigest: string;
  /** The last `n` changes of the trace, one line each (`t=… TYPE Kind ns/name rv=…`). */
  traceTail(n: number): string;
  /** Virtual milliseconds the run simulated, from the cluster's creation to its last check. */
  readonly virtualMs: number;
  /** What the fault injector did. */
  readonly faultLog: readonly string[];
  /** The objects named by the violations, as they were when the run failed. */
  readonly offending: readonly string[];
}

/**
 * A {@link RunOutcome} whose trace text is rendered only when read: most runs pass, and nobody
 * reads a passing run's trace.
 */
class Outcome implements RunOutcome {
  readonly failure: RunFailure | undefined;
  readonly virtualMs: number;
  readonly faultLog: readonly string[];
  readonly offending: readonly string[];
  readonly #entries: readonly TraceEntry[];
  #traceJson: string | undefined;
  #traceDigest: string | undefined;

  constructor(fields: Pick<RunOutcome, 'failure' | 'virtualMs' | 'faultLog' | 'offending'>, entries: readonly TraceEntry[]) {
    this.failure = fields.failure;
    this.virtualMs = fields.virtualMs;
    this.faultLog = fields.faultLog;
    this.offending = fields.offending;
    this.#entries = entries;
  }

  get traceJson(): string {
    return (this.#traceJson ??= this.#entries.map((e) => JSON.stringify(e)).join('\n'));
  }

  get traceDigest(): string {
    if (this.#traceDigest === undefined) {
      // The same bytes as traceJson, hashed line by line: a trace too long for one string still has a digest.
      const hash = createHash('sha256');
      this.#entries.forEach((e, i) => hash.update(i === 0 ? JSON.stringify(e) : `\n${JSON.stringify(e)}`));
      this.#traceDigest = hash.digest('hex').slice(0, 16);
    }
    return this.#traceDigest;
  }

  traceTail(n: number): string {
    if (this.#entries.length === 0) return '  (no trace)';
    return this.#entries
      .slice(-n)
      .map((e) => {
        const m = e.object.metadata;
        return `  t=${e.t} ${e.type} ${e.object.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name} rv=${m.resourceVersion}`;
      })
      .join('\n');
  }

  /** The same run with another failure (the same trace). */
  withFailure(failure: RunFailure): Outcome {
    return new Outcome({ ...this, failure }, this.#entries);
  }
}

/**
 * The error {@link checkCluster} throws: its message is the whole report; its fields let a test
 * inspect the counterexample.
 */
export class CheckFailure extends Error {
  /** fast-check's seed. */
  readonly seed: number;
  /** fast-check's path to the shrunk counterexample. */
  readonly path: string;
  /** The shrunk counterexample: the cluster seed, the actions and the faults. */
  readonly counterexample: { readonly clusterSeed: number; readonly actions: readonly unknown[]; readonly faults: FaultSchedule };
  /** The replayed run of the counterexample. */
  readonly outcome: RunOutcome;

  constructor(message: string, seed: number, path: string, counterexample: CheckFailure['counterexample'], outcome: RunOutcome) {
    super(message);
    this.name = 'CheckFailure';
    this.seed = seed;
    this.path = path;
    this.counterexample = counterexample;
    this.outcome = outcome;
  }
}

function parseReplay(text: string | undefined, name: string): { seed: number; path: string } | undefined {
  if (text === undefined || text === '') return undefined;
  const at = text.lastIndexOf('@');
  if (at >= 0 && text.slice(0, at) !== name) return undefined;
  const m = /^(-?\d+):([\d:]*)$/.exec(text.slice(at + 1));
  if (m === null) throw new Error(`${REPLAY_ENV} must be [name@]seed:path, got ${text}`);
  return { seed: Number(m[1]), path: m[2]! };
}

function check(invariants: readonly Invariant[], state: ClusterState, previous: ClusterState | undefined, when: string): RunFailure | undefined {
  for (const inv of invariants) {
    const violations = inv.check(state, previous);
    if (violations.length > 0) return { invariant: inv.name, description: inv.description, when, violations };
  }
  return undefined;
}

/**
 * Runs one case: builds the cluster, sets it up, starts the faults, performs the actions
 * checking safety after each, stops the faults, settles, checks liveness and stability.
 * Exported for tests and benchmarks; {@link checkCluster} is the usual entry.
 */
export function runCase<A, S = undefined>(options: RunOptions<A, S>, clusterSeed: number, actions: readonly A[], schedule: FaultSchedule): Promise<RunOutcome> {
  return run(options, clusterSeed, actions, schedule);
}

function invariantsOf<S>(invariants: RunInvariants<S> | undefined, state: S): readonly Invariant[] {
  return typeof invariants === 'function' ? invariants(state) : (invariants ?? []);
}

/**
 * The given invariants, then the plugins' by kind, less those whose name a given one has:
 * `safety` and `transition` ones after every step, `liveness` ones after settling.
 */
function withPluginInvariants(safety: readonly Invariant[], liveness: readonly Invariant[], registered: readonly Invariant[]): { safety: readonly Invariant[]; liveness: readonly Invariant[] } {
  const given = new Set([...safety, ...liveness].map((i) => i.name));
  const extra = registered.filter((i) => !given.has(i.name));
  return { safety: [...safety, ...extra.filter((i) => i.kind !== 'liveness')], liveness: [...liveness, ...extra.filter((i) => i.kind === 'liveness')] };
}

async function run<A, S>(options: RunOptions<A, S>, clusterSeed: number, actions: readonly A[], schedule: FaultSchedule, capture?: Invariant): Promise<Outcome> {
  const injector = new FaultInjector(schedule);
  const cm = options.cluster.controllerManager;
  const userInterceptors = cm === false || cm === undefined ? undefined : cm.interceptors;
  const interceptors = (clock: Clock): readonly ClientInterceptor[] => [
    ...(typeof userInterceptors === 'function' ? userInterceptors(clock) : (userInterceptors ?? [])),
    ...injector.interceptors(clock),
  ];
  // The invariants read the trace: it is always kept in memory here, whatever `trace` says.
  const maxWritesPerRun = options.maxWritesPerRun ?? options.cluster.maxWritesPerRun ?? DEFAULT_MAX_WRITES_PER_RUN;
  const cluster = await SimCluster.create({ ...options.cluster, seed: clusterSeed, trace: 'memory', maxWritesPerRun, controllerManager: cm === false ? false : { ...cm, interceptors } });
  const perform = options.perform ?? (performAction as unknown as (c: SimCluster, a: A, context: RunContext<S>) => Promise<void>);
  const tracker = new StateTracker(cluster, () => injector.lostWatchEvents());
  const state = options.runState?.() as S;
  const { safety, liveness: settled } = withPluginInvariants(invariantsOf(options.safety, state), invariantsOf(options.liveness, state), options.pluginInvariants === false ? [] : cluster.invariants());
  const liveness = [...settled, ...(capture === undefined ? [] : [capture])];
  const context = (step: number): RunContext<S> => ({
    step,
    advance: (ms) => injector.advance(ms),
    settle: (settleOptions = {}) =>
      cluster.settle({
        ...settleOptions,
        onProgress: async () => {
          await injector.poll();
          await settleOptions.onProgress?.();
        },
      }),
    state,
  });
  const stepMs = options.stepMs ?? 1_000;
  let failure: RunFailure | undefined;
  let last: ClusterState | undefined;
  const extra = async (): Promise<KubeObject[]> => {
    const out: KubeObject[] = [];
    for (const r of options.resources ?? []) out.push(...(await cluster.server.list(r)).items);
    return out;
  };
  const observe = async (invariants: readonly Invariant[], when: string): Promise<boolean> => {
    const state = tracker.snapshot(await extra());
    failure = check(invariants, state, last, when);
    last = state;
    return failure !== undefined;
  };
  // Advances in slices so that a crash's restart happens promptly (see FaultInjector.poll).
  const advance = (ms: number) => injector.advance(ms);
  let where = 'during setup';
  try {
    try {
      injector.attach(cluster);
      await options.setup?.(cluster, context(-1));
      injector.start();
      if (!(await observe(safety, 'after setup'))) {
        for (let i = 0; i < actions.length; i++) {
          where = `at step ${i}`;
          await injector.beforeStep(i);
          try {
            await perform(cluster, actions[i]!, context(i));
          } catch (e) {
            failure = { invariant: 'action', description: 'Every action is accepted by the API server.', when: `at step ${i}`, violations: [{ message: e instanceof Error ? e.message : String(e), objects: [] }] };
            break;
          }
          await injector.poll();
          await advance(stepMs);
          if (await observe(safety, `after step ${i} (${(options.describe ?? describeAny)(actions[i]!)})`)) break;
        }
      }
      if (failure === undefined) {
        where = 'once faults stopped';
        await injector.stop();
        try {
          await cluster.settle({ maxMs: options.settleMaxMs ?? 120_000, ...(options.settleQuietMs === undefined ? {} : { quietMs: options.settleQuietMs }) });
        } catch (e) {
          if (!(e instanceof SimClusterError) || e.code === 'livelock' || e.code === 'too-much-work') throw e;
          failure = { invariant: 'eventuallyStable', description: 'Once faults stop, the cluster settles within the bound.', when: 'settling', violations: [{ message: e.message, objects: [] }] };
        }
        if (failure === undefined && !(await observe([...safety, ...liveness], 'after settling'))) {
          const stable = options.stableMs ?? 60_000;
          for (let waited = 0; waited < stable && failure === undefined; waited += 10_000) {
            await cluster.advance(Math.min(10_000, stable - waited));
            await observe([...safety, ...liveness], `${Math.min(waited + 10_000, stable)} ms after settling`);
          }
        }
      }
    } catch (e) {
      // A write loop that never lets virtual time pass, or a run past its work bound: the
      // cluster's guard broke it off.
      if (!(e instanceof SimClusterError && (e.code === 'livelock' || e.code === 'too-much-work')) || failure !== undefined) throw e;
      failure =
        e.code === 'livelock'
          ? { invariant: 'noLivelock', description: 'No loop of writes runs without virtual time passing.', when: where, violations: [{ message: e.message, objects: [] }] }
          : { invariant: 'boundedWork', description: `A run makes at most ${maxWritesPerRun} writes (maxWritesPerRun).`, when: where, violations: [{ message: e.message, objects: [] }] };
    }
    const offending = failure === undefined ? [] : describeOffending(tracker.snapshot(await extra()), failure);
    return new Outcome({ failure, virtualMs: cluster.now(), faultLog: injector.log, offending }, cluster.trace());
  } finally {
    await cluster.stop();
  }
}

function describeAny(a: unknown): string {
  const text = typeof a === 'object' && a !== null && 'kind' in a ? (describeAction(a as ClusterAction) as string | undefined) : undefined;
  return text ?? JSON.stringify(a);
}

function describeOffending(state: ClusterState, failure: RunFailure): string[] {
  const out: string[] = [];
  for (const v of failure.violations) {
    for (const ref of v.objects) {
      const o = state.get(ref.kind, ref.namespace, ref.name);
      const text = o === undefined ? '(gone)' : JSON.stringify({ metadata: { ownerReferences: o.metadata.ownerReferences, finalizers: o.metadata.finalizers, deletionTimestamp: o.metadata.deletionTimestamp, labels: o.metadata.labels }, ...('spec' in o ? { spec: o['spec'] } : {}), ...('data' in o ? { data: o['data'] } : {}) });
      out.push(`${formatRef(ref)}: ${text.length > 400 ? `${text.slice(0, 400)}…` : text}`);
    }
  }
  return [...new Set(out)].slice(0, 10);
}

/** Runs the case twice, with and without faults, and compares the normalised final states. */
async function runDifferential<A, S>(options: RunOptions<A, S>, clusterSeed: number, actions: readonly A[], schedule: FaultSchedule): Promise<Outcome> {
  const kinds = options.differential!.kinds;
  const finals: ClusterState[] = [];
  let faulty: Outcome | undefined;
  for (const s of [schedule, []] as const) {
    let final: ClusterState | undefined;
    // Capture the final state through a liveness check that never fails.
    const outcome = await run(options, clusterSeed, actions, s, { name: 'capture', description: '', kind: 'liveness', check: (state) => ((final = state), []) });
    if (outcome.failure !== undefined) return outcome;
    finals.push(final!);
    faulty ??= outcome;
  }
  const diff = diffStates(finals[0]!, finals[1]!, kinds);
  if (diff.length === 0) return faulty!;
  return faulty!.withFailure({ invariant: 'differential', description: `With and without faults, the settled ${kinds.join(', ')} objects are the same (normalised).`, when: 'after settling', violations: diff });
}

/** `text` in single quotes for a POSIX shell. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The vitest command that runs the current test alone: its file and its title as a `-t`
 * pattern, read from vitest's `expect.getState()` when the check runs inside a vitest test
 * (vitest is then loaded already); else `-t` with the check's name.
 */
async function vitestCommand(name: string): Promise<string> {
  try {
    const { expect } = await import('vitest');
    const state = expect.getState();
    const full = state.currentTestName;
    if (full !== undefined && full !== '') {
      // The title alone: vitest joins the names of the enclosing suites differently in its filter.
      const title = full.split(' > ').at(-1)!;
      const file = state.testPath === undefined ? '' : `${relative(process.cwd(), state.testPath)} `;
      return `npx vitest run ${file}-t ${shellQuote(title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))}`;
    }
  } catch {
    // Not inside vitest: fall through.
  }
  return `npx vitest run -t ${shellQuote(name)}`;
}

/** A short digest of a trace, to compare runs at a glance. */
export function traceDigest(traceJson: string): string {
  return createHash('sha256').update(traceJson).digest('hex').slice(0, 16);
}

/**
 * Runs a whole-cluster property test with fast-check.
 *
 * Each run draws a cluster seed, a list of actions and a fault schedule; builds the cluster;
 * runs `setup`; starts the faults; performs the actions, advancing `stepMs` after each and
 * checking the safety invariants; then stops the faults (held events delivered, crashed
 * controllers restarted, nodes restored), settles within `settleMaxMs` and checks safety and
 * liveness, and again every 10 s over `stableMs` ("eventually stable reconciliation").
 * The invariants are those given, and those the cluster's plugins registered (see
 * {@link CheckClusterOptions.pluginInvariants}): a cluster that runs a controller checks what
 * that controller guarantees without the test naming it.
 *
 * Guarantees: a run is a function of its cluster seed, actions and faults; replaying a failure
 * with {@link REPLAY_ENV} (or `options.replay`) reproduces its trace byte for byte.
 *
 * Errors: {@link CheckFailure} when a run fails, after shrinking; its message prints the seed,
 * the shrunk actions and faults, the violated invariant with the offending objects, the trace
 * tail and the replay command.
 *
 * @example
 * ```ts
 * it('never runs more pods than replicas, even when its cache lags', () =>
 *   checkCluster({ name: 'replicas', cluster: { nodes: 3, controllerManager: { plugins } }, actions, faults: faultSchedules(), safety, liveness }));
 * ```
 */
export async function checkCluster<A = ClusterAction, S = undefined>(options: CheckClusterOptions<A, S>): Promise<void> {
  const faults = options.faults ?? fc.constant<FaultSchedule>([]);
  const runOne = options.differential === undefined ? run : runDifferential;
  const property = fc.asyncProperty(fc.nat({ max: 1_000_000 }), options.actions, faults, async (clusterSeed, actions, schedule) => {
    const outcome = await runOne(options, clusterSeed, actions, schedule);
    return outcome.failure === undefined;
  });
  const replay = parseReplay(options.replay ?? process.env[REPLAY_ENV], options.name);
  const details = await fc.check(property, replay === undefined ? { numRuns: options.runs ?? DEFAULT_RUNS, ...(options.seed === undefined ? {} : { seed: options.seed }) } : { seed: replay.seed, path: replay.path, endOnFailure: true });
  if (!details.failed) return;
  if (details.counterexample === null) throw new Error(`checkCluster ${options.name}: the property threw`, { cause: details.errorInstance });
  const [clusterSeed, actions, schedule] = details.counterexample;
  let outcome: RunOutcome;
  try {
    outcome = await runOne(options, clusterSeed, actions, schedule);
  } catch (e) {
    // The run threw (the harness, a controller's crash of the cluster): report it as the failure.
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    outcome = new Outcome({ failure: { invariant: 'exception', description: 'The run completes without an exception.', when: 'during the run', violations: [{ message, objects: [] }] }, virtualMs: 0, faultLog: [], offending: [] }, []);
  }
  const path = details.counterexamplePath ?? '';
  const describe = options.describe ?? describeAny;
  const lines: string[] = [`checkCluster "${options.name}" failed after ${details.numRuns} run(s) and ${details.numShrinks} shrink(s) (fast-check seed ${details.seed}, cluster seed ${clusterSeed})`];
  if (outcome.failure === undefined) {
    lines.push('the shrunk counterexample passed when replayed: the run is not deterministic', details.errorInstance instanceof Error ? details.errorInstance.message : '');
  } else {
    const f = outcome.failure;
    lines.push(`violated: ${f.invariant} ${f.when}: ${f.description}`);
    for (const v of f.violations.slice(0, 10)) lines.push(`  - ${v.message}${v.objects.length > 0 ? ` [${v.objects.map(formatRef).join(', ')}]` : ''}`);
    if (outcome.offending.length > 0) lines.push('offending objects:', ...outcome.offending.map((o) => `  ${o}`));
  }
  lines.push(`actions (${actions.length}):`, ...actions.map((a, i) => `  ${i}. ${describe(a)}`));
  lines.push(`faults (${schedule.length}):`, ...schedule.map((f) => `  - ${describeFault(f)}`));
  if (outcome.faultLog.length > 0) lines.push('what the faults did:', ...outcome.faultLog.map((l) => `  ${l}`));
  lines.push(`trace tail (digest ${outcome.traceDigest}):`, outcome.traceTail(options.traceTail ?? 15));
  lines.push(`replay: ${REPLAY_ENV}=${shellQuote(`${options.name}@${details.seed}:${path}`)} ${await vitestCommand(options.name)}`);
  throw new CheckFailure(lines.join('\n'), details.seed, path, { clusterSeed, actions, faults: schedule }, outcome);
}
