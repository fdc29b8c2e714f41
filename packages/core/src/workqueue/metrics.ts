/**
 * Workqueue metrics hooks, shaped like client-go's `workqueue.MetricsProvider` so that a
 * Prometheus binding can expose controller-runtime's metric names one to one.
 *
 * @module
 */
import type { Clock, Timer } from '../clock/clock.js';

/** A gauge that goes up and down (`workqueue_depth`). */
export interface WorkqueueGauge {
  /** Adds one. */
  inc(): void;
  /** Subtracts one. */
  dec(): void;
}

/** A monotonically increasing counter (`workqueue_adds_total`, `workqueue_retries_total`). */
export interface WorkqueueCounter {
  /** Adds one. */
  inc(): void;
}

/** A gauge set to an absolute value (`workqueue_unfinished_work_seconds`, …). */
export interface WorkqueueSettableGauge {
  /** Sets the value. */
  set(value: number): void;
  /**
   * Optional: from now on, take the value from `read()` whenever the gauge is scraped instead
   * of waiting for `set`. When both in-flight gauges support it, the queue reads its in-flight
   * work at scrape time and runs no 500 ms refresh timer (each timer firing costs a turn of a
   * virtual clock, and a simulated cluster runs many queues).
   */
  sample?(read: () => number): void;
}

/** A distribution of observations in seconds (`workqueue_queue_duration_seconds`, …). */
export interface WorkqueueHistogram {
  /** Records one observation, in seconds. */
  observe(seconds: number): void;
}

/**
 * Makes the metrics of one named queue; a queue calls each method once, at construction, with
 * its name (controller-runtime uses the controller name, and labels every series with it).
 *
 * Each method maps to one controller-runtime metric (all labelled `name`, plus `controller`):
 *
 * | method | metric | what the queue records |
 * |---|---|---|
 * | `newDepthMetric` | `workqueue_depth` | +1 per accepted add, −1 per item handed out |
 * | `newAddsMetric` | `workqueue_adds_total` | +1 per accepted (not deduplicated) add |
 * | `newLatencyMetric` | `workqueue_queue_duration_seconds` | time from first add to being handed out |
 * | `newWorkDurationMetric` | `workqueue_work_duration_seconds` | time from being handed out to `done` |
 * | `newUnfinishedWorkSecondsMetric` | `workqueue_unfinished_work_seconds` | summed age of in-flight items |
 * | `newLongestRunningProcessorSecondsMetric` | `workqueue_longest_running_processor_seconds` | age of the oldest in-flight item |
 * | `newRetriesMetric` | `workqueue_retries_total` | +1 per `addAfter` / `addRateLimited` |
 *
 * Guarantees: durations are measured on the queue's injected clock and reported in seconds;
 * depth rises when an item becomes dirty (even while it is being processed) and falls when it
 * is handed to a worker, exactly as client-go counts it.
 *
 * Caveats: the two in-flight gauges are refreshed every 500 ms of clock time (client-go's
 * period) while at least one item is being processed, and set to 0 when none is; this keeps a
 * timer pending on a virtual clock while a worker holds an item.
 */
export interface WorkqueueMetricsProvider {
  /** `workqueue_depth`. */
  newDepthMetric(name: string): WorkqueueGauge;
  /** `workqueue_adds_total`. */
  newAddsMetric(name: string): WorkqueueCounter;
  /** `workqueue_queue_duration_seconds`. */
  newLatencyMetric(name: string): WorkqueueHistogram;
  /** `workqueue_work_duration_seconds`. */
  newWorkDurationMetric(name: string): WorkqueueHistogram;
  /** `workqueue_unfinished_work_seconds`. */
  newUnfinishedWorkSecondsMetric(name: string): WorkqueueSettableGauge;
  /** `workqueue_longest_running_processor_seconds`. */
  newLongestRunningProcessorSecondsMetric(name: string): WorkqueueSettableGauge;
  /** `workqueue_retries_total`. */
  newRetriesMetric(name: string): WorkqueueCounter;
}

const noop = { inc() {}, dec() {}, set() {}, observe() {} };

/** A provider whose metrics record nothing; queues given it skip all metrics bookkeeping. */
export const noopWorkqueueMetricsProvider: WorkqueueMetricsProvider = {
  newDepthMetric: () => noop,
  newAddsMetric: () => noop,
  newLatencyMetric: () => noop,
  newWorkDurationMetric: () => noop,
  newUnfinishedWorkSecondsMetric: () => noop,
  newLongestRunningProcessorSecondsMetric: () => noop,
  newRetriesMetric: () => noop,
};

/** client-go's `defaultUnfinishedWorkUpdatePeriod`. */
const UNFINISHED_WORK_UPDATE_PERIOD_MS = 500;

/**
 * The bookkeeping behind the metrics of one queue (client-go's `defaultQueueMetrics`).
 * Internal: queues hold one only when metrics are enabled.
 */
export class QueueMetrics<T> {
  private readonly depth: WorkqueueGauge;
  private readonly adds: WorkqueueCounter;
  private readonly latency: WorkqueueHistogram;
  private readonly workDuration: WorkqueueHistogram;
  private readonly unfinishedWork: WorkqueueSettableGauge;
  private readonly longestRunning: WorkqueueSettableGauge;
  private readonly retries: WorkqueueCounter;
  /** When each dirty item was first added since it was last handed out. */
  private readonly addTimes = new Map<T, number>();
  /** When each in-flight item was handed out. */
  private readonly startTimes = new Map<T, number>();
  /** The in-flight gauges' refresh timer; set exactly while `startTimes` is non-empty (unless sampled). */
  private ticker: Timer | undefined;
  /** Whether the in-flight gauges read {@link QueueMetrics.inFlight} when scraped (no timer then). */
  private readonly sampled: boolean = false;

  constructor(
    private readonly clock: Clock,
    name: string,
    provider: WorkqueueMetricsProvider,
  ) {
    this.depth = provider.newDepthMetric(name);
    this.adds = provider.newAddsMetric(name);
    this.latency = provider.newLatencyMetric(name);
    this.workDuration = provider.newWorkDurationMetric(name);
    this.unfinishedWork = provider.newUnfinishedWorkSecondsMetric(name);
    this.longestRunning = provider.newLongestRunningProcessorSecondsMetric(name);
    this.retries = provider.newRetriesMetric(name);
    if (this.unfinishedWork.sample !== undefined && this.longestRunning.sample !== undefined) {
      this.unfinishedWork.sample(() => this.inFlight().total / 1000);
      this.longestRunning.sample(() => this.inFlight().longest / 1000);
      this.sampled = true;
    }
  }

  /** An add that made the item dirty. */
  add(item: T): void {
    this.adds.inc();
    this.depth.inc();
    if (!this.addTimes.has(item)) this.addTimes.set(item, this.clock.now());
  }

  /** The item was handed to a worker. */
  get(item: T): void {
    const now = this.clock.now();
    this.depth.dec();
    this.startTimes.set(item, now);
    const added = this.addTimes.get(item);
    if (added !== undefined) {
      this.latency.observe((now - added) / 1000);
      this.addTimes.delete(item);
    }
    if (this.ticker === undefined && !this.sampled) this.ticker = this.clock.setTimer(UNFINISHED_WORK_UPDATE_PERIOD_MS, this.tick);
  }

  /** A worker called `done`. */
  done(item: T): void {
    const started = this.startTimes.get(item);
    if (started !== undefined) {
      this.workDuration.observe((this.clock.now() - started) / 1000);
      this.startTimes.delete(item);
    }
  }

  /** A delayed or rate-limited add. */
  retry(): void {
    this.retries.inc();
  }

  /** Stops the refresh timer and zeroes the in-flight gauges (on shutdown, once nothing is in flight). */
  stop(): void {
    if (this.ticker === undefined) return;
    this.ticker.cancel();
    this.ticker = undefined;
    this.unfinishedWork.set(0);
    this.longestRunning.set(0);
  }

  /** The summed and the longest age (ms) of the items in flight, now. */
  private inFlight(): { total: number; longest: number } {
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const started of this.startTimes.values()) {
      const age = now - started;
      total += age;
      if (age > longest) longest = age;
    }
    return { total, longest };
  }

  private readonly tick = (): void => {
    this.ticker = undefined;
    const { total, longest } = this.inFlight();
    this.unfinishedWork.set(total / 1000);
    this.longestRunning.set(longest / 1000);
    if (this.startTimes.size > 0) this.ticker = this.clock.setTimer(UNFINISHED_WORK_UPDATE_PERIOD_MS, this.tick);
  };
}
