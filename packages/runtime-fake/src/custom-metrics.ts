/**
 * A custom and external metrics adapter (in the manner of `kubernetes-sigs/prometheus-adapter`
 * on `custom-metrics-apiserver`): metrics *providers* say which series exist and what they are
 * worth now; the adapter publishes them every resolution as `custom.metrics.k8s.io`
 * MetricValues and `external.metrics.k8s.io` ExternalMetricValues, which the HPA's `Pods`,
 * `Object` and `External` metrics read.
 *
 * One provider is built in ({@link requestRatesProvider}): request rates per pod and per
 * Ingress from a {@link RequestRateSource} ({@link TrafficRequestRates} reads the traffic
 * model's; {@link RequestRates} is a settable one), plus values set by hand:
 *
 * - a Pod, Service or Ingress annotated `kubeloop.dev/metric.<name>: <quantity>` has the custom
 *   metric `<name>` with that value (pods get it from their template, so a Deployment's
 *   template annotation gives every pod the series);
 * - a ConfigMap labelled `kubeloop.dev/external-metric: <name>` with `data.value: <quantity>` is
 *   one series of the external metric `<name>` in its namespace, whose labels are the
 *   ConfigMap's other labels (what an HPA's `metric.selector` matches).
 *
 * @module
 */
import {
  ConfigMaps,
  DESCRIBED_KIND_LABEL,
  ExternalMetricValues,
  Ingresses,
  METRIC_NAME_LABEL,
  MetricValues,
  Pods,
  Services,
  formatTime,
  isApiError,
  metricLabelValue,
  tryParseQuantity,
} from '@kubeloop/core';
import type { Client, DescribedObject, ExternalMetricValue, KubeObject, Manager, MetricValue, Plugin, Runnable } from '@kubeloop/core';

/** The adapter's default resolution: it republishes every series every 15 s. */
export const DEFAULT_ADAPTER_RESOLUTION_MS = 15_000;
/** The plugin's name. */
export const CUSTOM_METRICS_ADAPTER_PLUGIN_NAME = 'kubeloop.dev/custom-metrics-adapter';
/** The annotation prefix of hand-set custom metric values: `kubeloop.dev/metric.<name>: <quantity>`. */
export const METRIC_ANNOTATION_PREFIX = 'kubeloop.dev/metric.';
/** The ConfigMap label that makes it a series of an external metric: `kubeloop.dev/external-metric: <name>`. */
export const EXTERNAL_METRIC_LABEL = 'kubeloop.dev/external-metric';
/** The custom metric the built-in provider serves for request rates, per pod and per Ingress. */
export const REQUESTS_PER_SECOND = 'requests-per-second';

/** One series of a custom metric: the object it describes, the metric, its labels and value in milli-units. */
export interface CustomMetricSample {
  /** The described object; `namespace` required for namespaced kinds. */
  readonly describedObject: DescribedObject & { readonly namespace: string };
  /** The metric's name. */
  readonly metric: string;
  /** The series' labels (what an HPA's `metric.selector` matches). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** The value, in milli-units (`1500` is 1.5). */
  readonly milliValue: number;
}

/** One series of an external metric. */
export interface ExternalMetricSample {
  /** The namespace it is served in (upstream's external metrics are namespaced requests). */
  readonly namespace: string;
  /** The metric's name. */
  readonly metric: string;
  /** The series' labels. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** The value, in milli-units. */
  readonly milliValue: number;
}

/** What a provider reads from: the cluster's API and the virtual time. */
export interface MetricsProviderContext {
  /** The adapter's client. */
  readonly client: Client;
  /** Now, ms. */
  readonly nowMs: number;
}

/**
 * A metrics provider (upstream `custom-metrics-apiserver`'s `CustomMetricsProvider` and
 * `ExternalMetricsProvider`, turned around: the adapter asks for every series each resolution
 * rather than per request). Either method may be absent.
 *
 * Errors: a provider that throws loses its series for that round (the adapter keeps the
 * previous objects, as a Prometheus scrape failure leaves the last value) and the error goes to
 * the adapter's `onError`.
 */
export interface MetricsProvider {
  /** A name for errors. */
  readonly name: string;
  /** Every custom metric series it serves now. */
  customMetrics?(context: MetricsProviderContext): Promise<readonly CustomMetricSample[]> | readonly CustomMetricSample[];
  /** Every external metric series it serves now. */
  externalMetrics?(context: MetricsProviderContext): Promise<readonly ExternalMetricSample[]> | readonly ExternalMetricSample[];
}

/** A request rate of one pod or Ingress. */
export interface RequestRate {
  /** Its namespace. */
  readonly namespace: string;
  /** Its name. */
  readonly name: string;
  /** Requests per second (fractions allowed). */
  readonly requestsPerSecond: number;
}

/**
 * Where request rates come from: the traffic model (requests routed through Services and
 * Ingresses to ready endpoints) implements it; {@link RequestRates} is a settable stand-in.
 */
export interface RequestRateSource {
  /** The rate each pod receives now. */
  podRequestRates(nowMs: number): Iterable<RequestRate>;
  /** The rate each Ingress receives now. */
  ingressRequestRates(nowMs: number): Iterable<RequestRate>;
}

/** A {@link RequestRateSource} set by hand (tests, scenarios); the traffic model's is {@link TrafficRequestRates}. */
export class RequestRates implements RequestRateSource {
  readonly #pods = new Map<string, RequestRate>();
  readonly #ingresses = new Map<string, RequestRate>();

  /** Sets (or with `undefined` removes) the rate of pod `namespace/name`. */
  setPod(namespace: string, name: string, requestsPerSecond: number | undefined): void {
    if (requestsPerSecond === undefined) this.#pods.delete(`${namespace}/${name}`);
    else this.#pods.set(`${namespace}/${name}`, { namespace, name, requestsPerSecond });
  }

  /** Sets (or with `undefined` removes) the rate of Ingress `namespace/name`. */
  setIngress(namespace: string, name: string, requestsPerSecond: number | undefined): void {
    if (requestsPerSecond === undefined) this.#ingresses.delete(`${namespace}/${name}`);
    else this.#ingresses.set(`${namespace}/${name}`, { namespace, name, requestsPerSecond });
  }

  /** The pods' rates, in the order they were first set. */
  podRequestRates(): Iterable<RequestRate> {
    return this.#pods.values();
  }

  /** The Ingresses' rates, in the order they were first set. */
  ingressRequestRates(): Iterable<RequestRate> {
    return this.#ingresses.values();
  }
}

function annotatedSamples(objects: readonly KubeObject[], kind: string, apiVersion: string): CustomMetricSample[] {
  const out: CustomMetricSample[] = [];
  for (const o of objects) {
    if (o.metadata.deletionTimestamp !== undefined) continue;
    for (const [key, text] of Object.entries(o.metadata.annotations ?? {})) {
      if (!key.startsWith(METRIC_ANNOTATION_PREFIX)) continue;
      const q = tryParseQuantity(text);
      if (q === undefined) continue;
      out.push({ describedObject: { apiVersion, kind, name: o.metadata.name ?? '', namespace: o.metadata.namespace ?? '' }, metric: key.slice(METRIC_ANNOTATION_PREFIX.length), milliValue: Math.round(q.milliValue()) });
    }
  }
  return out;
}

/**
 * The built-in provider: `requests-per-second` of each pod and Ingress from `source` (when
 * given), and the hand-set values of annotations and labelled ConfigMaps (see the module
 * documentation). Pods count only while Running, as a Prometheus target is scraped only then.
 */
export function requestRatesProvider(source?: RequestRateSource): MetricsProvider {
  return {
    name: 'kubeloop.dev/request-rates',
    async customMetrics({ client, nowMs }) {
      const out: CustomMetricSample[] = [];
      if (source !== undefined) {
        // truncated to milli-units, as prometheus-adapter's NewMilliQuantity(int64(value * 1000)):
        // 100 req/s over 6 pods is 16666m each, and the HPA's ceil(6 × 16666 / 20000) is 5, not 6
        for (const r of source.podRequestRates(nowMs)) {
          out.push({ describedObject: { apiVersion: 'v1', kind: 'Pod', namespace: r.namespace, name: r.name }, metric: REQUESTS_PER_SECOND, milliValue: Math.trunc(r.requestsPerSecond * 1000) });
        }
        for (const r of source.ingressRequestRates(nowMs)) {
          out.push({ describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: r.namespace, name: r.name }, metric: REQUESTS_PER_SECOND, milliValue: Math.trunc(r.requestsPerSecond * 1000) });
        }
      }
      const pods = (await client.list(Pods)).items.filter((p) => p.status.phase === 'Running');
      out.push(...annotatedSamples(pods, 'Pod', 'v1'));
      out.push(...annotatedSamples((await client.list(Services)).items, 'Service', 'v1'));
      out.push(...annotatedSamples((await client.list(Ingresses)).items, 'Ingress', 'networking.k8s.io/v1'));
      return out;
    },
    async externalMetrics({ client }) {
      const out: ExternalMetricSample[] = [];
      for (const cm of (await client.list(ConfigMaps, { labelSelector: EXTERNAL_METRIC_LABEL })).items) {
        const metric = cm.metadata.labels?.[EXTERNAL_METRIC_LABEL] ?? '';
        const q = tryParseQuantity(String(cm.data?.['value'] ?? ''));
        if (metric === '' || q === undefined) continue;
        const { [EXTERNAL_METRIC_LABEL]: _, ...labels } = cm.metadata.labels ?? {};
        out.push({ namespace: cm.metadata.namespace ?? '', metric, labels, milliValue: Math.round(q.milliValue()) });
      }
      return out;
    },
  };
}

/** A DNS-1123 label from any text: lowercase, other characters as `-`, trimmed to 40. */
function dnsPart(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return (s === '' ? 'x' : s).slice(0, 40).replace(/-+$/, '');
}

/** A short stable hash (FNV-1a, base 36) of `text`. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

function labelsOf(...pairs: [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    const value = metricLabelValue(v);
    if (value !== undefined) out[k] = value;
  }
  return out;
}

function milliQuantity(milli: number): string {
  return milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`;
}

/** The MetricValue object of a custom sample (pure). */
export function metricValueOf(sample: CustomMetricSample, nowMs: number, resolutionMs: number): MetricValue {
  const d = sample.describedObject;
  const labels = sample.labels ?? {};
  const id = `${d.kind}/${d.name}/${sample.metric}/${JSON.stringify(Object.entries(labels).sort())}`;
  return {
    apiVersion: 'custom.metrics.k8s.io/v1beta2',
    kind: 'MetricValue',
    metadata: {
      name: `${dnsPart(d.kind)}.${dnsPart(d.name)}.${dnsPart(sample.metric)}.${hash(id)}`,
      namespace: d.namespace,
      labels: labelsOf([METRIC_NAME_LABEL, sample.metric], [DESCRIBED_KIND_LABEL, d.kind]),
    },
    describedObject: { ...d },
    metric: { name: sample.metric },
    metricLabels: { ...labels },
    timestamp: formatTime(nowMs),
    windowSeconds: Math.round(resolutionMs / 1000),
    value: milliQuantity(sample.milliValue),
  } as MetricValue;
}

/** The ExternalMetricValue object of an external sample (pure). */
export function externalMetricValueOf(sample: ExternalMetricSample, nowMs: number, resolutionMs: number): ExternalMetricValue {
  const labels = sample.labels ?? {};
  const id = `${sample.metric}/${JSON.stringify(Object.entries(labels).sort())}`;
  return {
    apiVersion: 'external.metrics.k8s.io/v1beta1',
    kind: 'ExternalMetricValue',
    metadata: { name: `${dnsPart(sample.metric)}.${hash(id)}`, namespace: sample.namespace, labels: labelsOf([METRIC_NAME_LABEL, sample.metric]) },
    metricName: sample.metric,
    metricLabels: { ...labels },
    timestamp: formatTime(nowMs),
    window: Math.round(resolutionMs / 1000),
    value: milliQuantity(sample.milliValue),
  } as ExternalMetricValue;
}

type Published = MetricValue | ExternalMetricValue;

/**
 * One adapter's publication rounds: asks every provider, writes the series it got, deletes
 * those no provider serves any more. Errors: none thrown; they go to `onError`.
 */
export class MetricsAdapter {
  readonly #client: Client;
  readonly #providers: readonly MetricsProvider[];
  readonly #onError: (error: unknown) => void;
  readonly #written = new Map<string, Published>();

  /** An adapter over `providers`, writing through `client`. */
  constructor(client: Client, providers: readonly MetricsProvider[], onError: (error: unknown) => void = () => undefined) {
    this.#client = client;
    this.#providers = providers;
    this.#onError = onError;
  }

  /** One round at `nowMs`. */
  async publish(nowMs: number, resolutionMs: number): Promise<void> {
    const next = new Map<string, Published>();
    const failed = new Set<string>();
    const context = { client: this.#client, nowMs };
    for (const p of this.#providers) {
      try {
        for (const s of (await p.customMetrics?.(context)) ?? []) {
          const o = metricValueOf(s, nowMs, resolutionMs);
          next.set(`c/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`, o);
        }
        for (const s of (await p.externalMetrics?.(context)) ?? []) {
          const o = externalMetricValueOf(s, nowMs, resolutionMs);
          next.set(`e/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`, o);
        }
      } catch (error) {
        failed.add(p.name);
        this.#onError(error);
      }
    }
    for (const [key, o] of next) await this.#write(key, o);
    if (failed.size > 0) return;
    for (const [key, o] of [...this.#written]) {
      if (next.has(key)) continue;
      this.#written.delete(key);
      try {
        await this.#client.delete((key.startsWith('c/') ? MetricValues : ExternalMetricValues) as never, { namespace: o.metadata.namespace, name: o.metadata.name ?? '' });
      } catch (error) {
        if (!isApiError(error, 'NotFound')) this.#onError(error);
      }
    }
  }

  async #write(key: string, next: Published): Promise<void> {
    const resource = (key.startsWith('c/') ? MetricValues : ExternalMetricValues) as never;
    const previous = this.#written.get(key);
    try {
      const stored = previous === undefined
        ? await this.#client.create(resource, next as never)
        : await this.#client.update(resource, { ...next, metadata: { ...next.metadata, resourceVersion: previous.metadata.resourceVersion } } as never);
      this.#written.set(key, stored as Published);
    } catch (error) {
      this.#written.delete(key);
      if (isApiError(error, 'AlreadyExists') || isApiError(error, 'Conflict') || isApiError(error, 'NotFound')) {
        try {
          this.#written.set(key, (await this.#client.get(resource, { namespace: next.metadata.namespace, name: next.metadata.name ?? '' })) as Published);
        } catch (e) {
          if (!isApiError(e, 'NotFound')) this.#onError(e);
        }
        return;
      }
      this.#onError(error);
    }
  }
}

/** Options of {@link customMetricsAdapterPlugin}. */
export interface CustomMetricsAdapterOptions {
  /** The providers (default: the built-in {@link requestRatesProvider} without a rate source). */
  readonly providers?: readonly MetricsProvider[] | undefined;
  /** How often the series are republished, ms (default {@link DEFAULT_ADAPTER_RESOLUTION_MS}). */
  readonly resolutionMs?: number | undefined;
  /** Failed writes and providers (the next round retries); default: ignored. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/**
 * The adapter as a plugin: registers MetricValue and ExternalMetricValue and publishes its
 * providers' series every resolution (regardless of leader election, as a separate Deployment).
 *
 * @example
 * ```ts
 * const rates = new RequestRates();
 * host.use(customMetricsAdapterPlugin({ providers: [requestRatesProvider(rates)] }));
 * rates.setIngress('default', 'main-route', 2000); // an HPA's Object metric requests-per-second on Ingress main-route reads 2k
 * ```
 */
export function customMetricsAdapterPlugin(options: CustomMetricsAdapterOptions = {}): Plugin {
  const resolutionMs = options.resolutionMs ?? DEFAULT_ADAPTER_RESOLUTION_MS;
  const providers = options.providers ?? [requestRatesProvider()];
  return {
    name: CUSTOM_METRICS_ADAPTER_PLUGIN_NAME,
    register(api) {
      api.addResource(MetricValues);
      api.addResource(ExternalMetricValues);
      api.addRunnable((manager: Manager): Runnable => ({
        name: 'custom-metrics-adapter',
        needLeaderElection: false,
        async start(signal: AbortSignal): Promise<void> {
          const adapter = new MetricsAdapter(manager.client, providers, options.onError ?? (() => undefined));
          while (!signal.aborted) {
            try {
              await manager.clock.sleep(resolutionMs, signal);
            } catch {
              return;
            }
            await adapter.publish(manager.clock.now(), resolutionMs);
          }
        },
      }));
    },
  };
}
