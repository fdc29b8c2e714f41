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
import { Registry } from 'prom-client';
import { HistogramFamily, ValueFamily, type HistogramCell, type ValueCell } from './cells.js';
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

  readonly #reconcileTotal: ValueFamily;
  readonly #reconcileErrors: ValueFamily;
  readonly #terminalErrors: ValueFamily;
  readonly #reconcileTime: HistogramFamily;
  readonly #maxConcurrent: ValueFamily;
  readonly #activeWorkers: ValueFamily;
  readonly #depth: ValueFamily;
  readonly #adds: ValueFamily;
  readonly #queueDuration: HistogramFamily;
  readonly #workDuration: HistogramFamily;
  readonly #unfinished: ValueFamily;
  readonly #longest: ValueFamily;
  readonly #retries: ValueFamily;
  readonly #leader: ValueFamily;

  /** Creates an empty registry with the controller-runtime metric families. */
  constructor() {
    const r = (this.registry = new Registry());
    this.#reconcileTotal = new ValueFamily(r, 'counter', 'controller_runtime_reconcile_total', 'Total number of reconciliations per controller');
    this.#reconcileErrors = new ValueFamily(r, 'counter', 'controller_runtime_reconcile_errors_total', 'Total number of reconciliation errors per controller');
    this.#terminalErrors = new ValueFamily(r, 'counter', 'controller_runtime_terminal_reconcile_errors_total', 'Total number of terminal reconciliation errors per controller');
    this.#reconcileTime = new HistogramFamily(r, 'controller_runtime_reconcile_time_seconds', 'Length of time per reconciliation per controller', RECONCILE_BUCKETS);
    this.#maxConcurrent = new ValueFamily(r, 'gauge', 'controller_runtime_max_concurrent_reconciles', 'Maximum number of concurrent reconciles per controller');
    this.#activeWorkers = new ValueFamily(r, 'gauge', 'controller_runtime_active_workers', 'Number of currently used workers per controller');
    this.#depth = new ValueFamily(r, 'gauge', 'workqueue_depth', 'Current depth of workqueue');
    this.#adds = new ValueFamily(r, 'counter', 'workqueue_adds_total', 'Total number of adds handled by workqueue');
    this.#queueDuration = new HistogramFamily(r, 'workqueue_queue_duration_seconds', 'How long in seconds an item stays in workqueue before being requested', WORKQUEUE_BUCKETS);
    this.#workDuration = new HistogramFamily(r, 'workqueue_work_duration_seconds', 'How long in seconds processing an item from workqueue takes', WORKQUEUE_BUCKETS);
    this.#unfinished = new ValueFamily(
      r,
      'gauge',
      'workqueue_unfinished_work_seconds',
      "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
    );
    this.#longest = new ValueFamily(r, 'gauge', 'workqueue_longest_running_processor_seconds', 'How many seconds has the longest running processor for workqueue been running.');
    this.#retries = new ValueFamily(r, 'counter', 'workqueue_retries_total', 'Total number of retries handled by workqueue');
    this.#leader = new ValueFamily(
      r,
      'gauge',
      'leader_election_master_status',
      "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.",
    );
  }

  /** The reconcile metrics of controller `name`, with its series initialised to 0. */
  controller(name: string): ControllerMetrics {
    const controller = { controller: name };
    const results = new Map(RESULT_LABELS.map((result) => [result, this.#reconcileTotal.cell({ controller: name, result })]));
    const errors = this.#reconcileErrors.cell(controller);
    const terminal = this.#terminalErrors.cell(controller);
    const active = this.#activeWorkers.cell(controller);
    let time: HistogramCell | undefined; // a histogram series appears with its first sample, as prom-client's
    let maxConcurrent: ValueCell | undefined;
    return {
      reconciled: (result, seconds) => {
        results.get(result)!.value++;
        (time ??= this.#reconcileTime.cell(controller)).observe(seconds);
      },
      failed: (isTerminal) => {
        errors.value++;
        if (isTerminal) terminal.value++;
      },
      setMaxConcurrentReconciles: (n) => void ((maxConcurrent ??= this.#maxConcurrent.cell(controller)).value = n),
      addActiveWorkers: (delta) => void (active.value += delta),
    };
  }

  /**
   * A {@link WorkqueueMetricsProvider} binding a queue's metrics to the `workqueue_*` families,
   * labelled `name` (the queue's name) and `controller` (the same, as controller-runtime names a
   * controller's queue after the controller).
   */
  workqueueProvider(): WorkqueueMetricsProvider {
    const labels = (name: string): { name: string; controller: string } => ({ name, controller: name });
    const histogram = (family: HistogramFamily, name: string): { observe(seconds: number): void } => {
      let cell: HistogramCell | undefined;
      return { observe: (s) => (cell ??= family.cell(labels(name))).observe(s) };
    };
    return {
      newDepthMetric: (name) => {
        const c = this.#depth.cell(labels(name));
        return { inc: () => void c.value++, dec: () => void c.value-- };
      },
      newAddsMetric: (name) => {
        const c = this.#adds.cell(labels(name));
        return { inc: () => void c.value++ };
      },
      newLatencyMetric: (name) => histogram(this.#queueDuration, name),
      newWorkDurationMetric: (name) => histogram(this.#workDuration, name),
      newUnfinishedWorkSecondsMetric: (name) => {
        const c = this.#unfinished.cell(labels(name));
        return { set: (v) => void (c.value = v), sample: (read) => void (c.read = read) };
      },
      newLongestRunningProcessorSecondsMetric: (name) => {
        const c = this.#longest.cell(labels(name));
        return { set: (v) => void (c.value = v), sample: (read) => void (c.read = read) };
      },
      newRetriesMetric: (name) => {
        const c = this.#retries.cell(labels(name));
        return { inc: () => void c.value++ };
      },
    };
  }

  /** Sets `leader_election_master_status{name}`: 1 while leading the lease `name`, else 0. */
  setLeader(name: string, leading: boolean): void {
    this.#leader.cell({ name }).value = leading ? 1 : 0;
  }

  /** The Prometheus text exposition of every metric in {@link RuntimeMetrics.registry}. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
