/**
 * Request rates from the traffic model, for the custom metrics adapter's built-in provider: a
 * {@link RequestRateSource} whose pod rates are what Prometheus' `rate(http_requests_total[30s])`
 * gives (prometheus-adapter's per-pod requests-per-second query) over the traffic model's
 * per-pod request counters ({@link TrafficModel.requestCount}: the discrete requests and the
 * `wget`/`curl` loops' flows).
 *
 * @module
 */
import type { RequestRate, RequestRateSource } from './custom-metrics.js';
import type { TrafficModel } from './traffic/model.js';

/**
 * The default window of {@link TrafficRequestRates}: 30 s, two of the adapter's 15 s
 * resolutions — the shortest that gives every pod two readings. prometheus-adapter's
 * walkthrough uses `[2m]`; over that long a window the rates of the first pods still count the
 * load from before the scale-out, and the HPA overshoots further (to 8 instead of 6 for a
 * 100 req/s loop at a 20 req/s target).
 */
export const DEFAULT_REQUEST_RATE_WINDOW_MS = 30_000;

/** What {@link TrafficRequestRates} reads of the traffic model. */
export type RequestCounters = Pick<TrafficModel, 'tables' | 'requestCount'>;

/** One reading of a pod's counter. */
interface CounterSample {
  readonly at: number;
  readonly count: number;
}

/**
 * Pod request rates over the traffic model's counters.
 *
 * Each call of {@link TrafficRequestRates.podRequestRates} reads the counter of every running
 * pod with a pod IP (what a Prometheus scrape would reach) and answers, per pod, the counter's
 * increase since the oldest reading within the window, per second: under a steady flow of 50
 * req/s, read every 15 s, that is 50 from the second reading on. A pod read once has no rate yet
 * (Prometheus' `rate()` needs two samples), so it is left out, as are pods gone from the model.
 * The adapter reads every resolution (15 s), so the window holds up to 9 readings.
 *
 * Caveats: Ingress rates are not served yet (none: an `Object` metric on an Ingress then finds no
 * series); a counter that went down (a model that forgot a pod) starts over.
 */
export class TrafficRequestRates implements RequestRateSource {
  readonly #model: () => RequestCounters | undefined;
  readonly #windowMs: number;
  /** Per pod `namespace/name`: readings, oldest first, none older than the window but the first. */
  readonly #samples = new Map<string, CounterSample[]>();

  /**
   * Rates over `model` (or a function giving it, for a model created after the adapter), over
   * `windowMs` (default {@link DEFAULT_REQUEST_RATE_WINDOW_MS}).
   */
  constructor(model: RequestCounters | (() => RequestCounters | undefined), windowMs = DEFAULT_REQUEST_RATE_WINDOW_MS) {
    this.#model = typeof model === 'function' ? model : () => model;
    this.#windowMs = windowMs;
  }

  /** Every running pod's rate over the window up to `nowMs` (see the class). */
  podRequestRates(nowMs: number): Iterable<RequestRate> {
    const model = this.#model();
    if (model === undefined) return [];
    const out: RequestRate[] = [];
    const seen = new Set<string>();
    for (const { pod } of model.tables().podsByIP.values()) {
      if (pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp !== undefined) continue;
      const namespace = pod.metadata.namespace ?? 'default';
      const name = pod.metadata.name ?? '';
      const key = `${namespace}/${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const count = model.requestCount({ namespace, name });
      const samples = (this.#samples.get(key) ?? []).filter((s) => s.at >= nowMs - this.#windowMs && s.at < nowMs && s.count <= count);
      const first = samples[0];
      if (first !== undefined) out.push({ namespace, name, requestsPerSecond: ((count - first.count) * 1000) / (nowMs - first.at) });
      samples.push({ at: nowMs, count });
      this.#samples.set(key, samples);
    }
    for (const key of [...this.#samples.keys()]) if (!seen.has(key)) this.#samples.delete(key);
    return out;
  }

  /** None yet (see the class's caveats). */
  ingressRequestRates(): Iterable<RequestRate> {
    return [];
  }
}
