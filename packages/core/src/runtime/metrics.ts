/**
 * Prometheus metrics of the controller runtime, with controller-runtime's names and labels, on a
 * per-manager prom-client `Registry` (never the global one: tests run several managers in one
 * process).
 *
 * Every duration is measured on the injected clock and recorded with `observe(seconds)`;
 * prom-client's `startTimer` (which reads the wall clock) is never used.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `controller_runtime_reconcile_total` | counter | `controller`, `result` (`success`, `error`, `requeue`, `requeue_after`) |
 * | `controller_runtime_reconcile_errors_total` | counter | `controller` |
 * | `controller_runtime_terminal_reconcile_errors_total` | counter | `controller` |
 * | `controller_runtime_reconcile_time_seconds` | histogram | `controller` |
 * | `controller_runtime_max_concurrent_reconciles` | gauge | `controller` |
 * | `controller_runtime_active_workers` | gauge | `controller` |
 * | `workqueue_depth` | gauge | `name`, `controller` |
 * | `workqueue_adds_total` | counter | `name`, `controller` |
 * | `workqueue_queue_duration_seconds` | histogram | `name`, `controller` |
 * | `workqueue_work_duration_seconds` | histogram | `name`, `controller` |
 * | `workqueue_unfinished_work_seconds` | gauge | `name`, `controller` |
 * | `workqueue_longest_running_processor_seconds` | gauge | `name`, `controller` |
 * | `workqueue_retries_total` | counter | `name`, `controller` |
 * | `leader_election_master_status` | gauge | `name` |
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkqueueMetricsProvider } from '../workqueue/metrics.js';

/**
 * The `result` label of `controller_runtime_reconcile_total`. `requeue` is controller-runtime's
 * rate-limited `Requeue: true`; kubeloop's `Result` has no such outcome (throw to retry),
 * so that series stays at 0 and exists only so dashboards written for controller-runtime work.
 */
export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

const RESULT_LABELS: readonly ReconcileResultLabel[] = ['success', 'error', 'requeue', 'requeue_after'];

/** controller-runtime's buckets for `controller_runtime_reconcile_time_seconds`. */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0,
  2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** controller-runtime's workqueue buckets: `ExponentialBuckets(10e-9, 10, 12)` (10 ns … 1000 s). */
const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));

/** What a controller records about its reconciles. Created by {@link RuntimeMetrics.controller}. */
export interface ControllerMetrics {
  /** One finished reconcile: its result label and how long it took, in clock seconds. */
  reconciled(result: ReconcileResultLabel, seconds: number): void;
  /** One failed reconcile; `terminal` for a `TerminalError`. */
  failed(terminal: boolean): void;
  /** Sets `controller_runtime_max_concurrent_reconciles`. */
  setMaxConcurrentReconciles(n: number): void;
  /** Adds `delta` (±1) to `controller_runtime_active_workers`. */
  addActiveWorkers(delta: number): void;
}

/**
 * The metrics of one manager: a prom-client `Registry` of its own and the controller-runtime
 * metric families registered in it.
 *
 * Guarantees: independent of prom-client's global registry and of every other instance; the
 * series of a controller exist (at 0) as soon as {@link RuntimeMetrics.controller} is called, as
 * controller-runtime initialises them.
 *
 * @example
 * ```ts
 * const metrics = new RuntimeMetrics();
 * const m = metrics.controller('widgets');
 * m.reconciled('success', 0.012);
 * const text = await metrics.text(); // contains controller_runtime_reconcile_total{controller="widgets",result="success"} 1
 * ```
 */
export class RuntimeMetrics {
  /** The prom-client registry holding every metric of this manager; add your own metrics here. */
  readonly registry: Registry;

  readonly #reconcileTotal: Counter<'controller' | 'result'>;
  readonly #reconcileErrors: Counter<'controller'>;
  readonly #terminalErrors: Counter<'controller'>;
  readonly #reconcileTime: Histogram<'controller'>;
  readonly #maxConcurrent: Gauge<'controller'>;
  readonly #activeWorkers: Gauge<'controller'>;
  readonly #depth: Gauge<'name' | 'controller'>;
  readonly #adds: Counter<'name' | 'controller'>;
  readonly #queueDuration: Histogram<'name' | 'controller'>;
  readonly #workDuration: Histogram<'name' | 'controller'>;
  readonly #unfinished: Gauge<'name' | 'controller'>;
  readonly #longest: Gauge<'name' | 'controller'>;
  readonly #retries: Counter<'name' | 'controller'>;
  readonly #leader: Gauge<'name'>;

  /** Creates an empty registry with the controller-runtime metric families. */
  constructor() {
    const registers = [(this.registry = new Registry())];
    this.#reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.#reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.#terminalErrors = new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.#reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#maxConcurrent = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    });
    this.#activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    const wq = ['name', 'controller'] as const;
    this.#depth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: wq, registers });
    this.#adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: wq, registers });
    this.#queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: wq,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.#workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: wq,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.#unfinished = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.',
      labelNames: wq,
      registers,
    });
    this.#longest = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: wq,
      registers,
    });
    this.#retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: wq, registers });
    this.#leader = new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. \'name\' is the string used to identify the lease.',
      labelNames: ['name'],
      registers,
    });
  }

  /** The reconcile metrics of controller `name`, with its series initialised to 0. */
  controller(name: string): ControllerMetrics {
    const controller = { controller: name };
    for (const result of RESULT_LABELS) this.#reconcileTotal.inc({ controller: name, result }, 0);
    this.#reconcileErrors.inc(controller, 0);
    this.#terminalErrors.inc(controller, 0);
    this.#activeWorkers.set(controller, 0);
    return {
      reconciled: (result, seconds) => {
        this.#reconcileTotal.inc({ controller: name, result });
        this.#reconcileTime.observe(controller, seconds);
      },
      failed: (terminal) => {
        this.#reconcileErrors.inc(controller);
        if (terminal) this.#terminalErrors.inc(controller);
      },
      setMaxConcurrentReconciles: (n) => this.#maxConcurrent.set(controller, n),
      addActiveWorkers: (delta) => this.#activeWorkers.inc(controller, delta),
    };
  }

  /**
   * A {@link WorkqueueMetricsProvider} binding a queue's metrics to the `workqueue_*` families,
   * labelled `name` (the queue's name) and `controller` (the same, as controller-runtime names a
   * controller's queue after the controller).
   */
  workqueueProvider(): WorkqueueMetricsProvider {
    const labels = (name: string): { name: string; controller: string } => ({ name, controller: name });
    return {
      newDepthMetric: (name) => {
        const l = labels(name);
        this.#depth.set(l, 0);
        return { inc: () => this.#depth.inc(l), dec: () => this.#depth.dec(l) };
      },
      newAddsMetric: (name) => {
        const l = labels(name);
        this.#adds.inc(l, 0);
        return { inc: () => this.#adds.inc(l) };
      },
      newLatencyMetric: (name) => {
        const l = labels(name);
        return { observe: (s) => this.#queueDuration.observe(l, s) };
      },
      newWorkDurationMetric: (name) => {
        const l = labels(name);
        return { observe: (s) => this.#workDuration.observe(l, s) };
      },
      newUnfinishedWorkSecondsMetric: (name) => {
        const l = labels(name);
        this.#unfinished.set(l, 0);
        return { set: (v) => this.#unfinished.set(l, v) };
      },
      newLongestRunningProcessorSecondsMetric: (name) => {
        const l = labels(name);
        this.#longest.set(l, 0);
        return { set: (v) => this.#longest.set(l, v) };
      },
      newRetriesMetric: (name) => {
        const l = labels(name);
        this.#retries.inc(l, 0);
        return { inc: () => this.#retries.inc(l) };
      },
    };
  }

  /** Sets `leader_election_master_status{name}`: 1 while leading the lease `name`, else 0. */
  setLeader(name: string, leading: boolean): void {
    this.#leader.set({ name }, leading ? 1 : 0);
  }

  /** The Prometheus text exposition of every metric in {@link RuntimeMetrics.registry}. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
