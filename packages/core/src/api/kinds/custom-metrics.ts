/**
 * The custom and external metrics APIs (`custom.metrics.k8s.io/v1beta2` MetricValue,
 * `external.metrics.k8s.io/v1beta1` ExternalMetricValue, upstream `k8s.io/metrics`), as a
 * metrics adapter (Prometheus-adapter style) serves them to the HPA.
 *
 * Upstream serves them through an aggregated query API (`.../namespaces/ns/pods/*\/requests-per-second`)
 * that asks the adapter's provider on every request. kubeloop stores the adapter's latest answer
 * per series as an object instead, as it does for PodMetrics: the adapter plugin is their only
 * writer (a cluster without it has no such kinds, so reading them fails as upstream's request to
 * an unregistered API does), and a reader selects the series it wants with the labels the adapter
 * puts on each object:
 *
 * - MetricValue: {@link METRIC_NAME_LABEL} (the metric's name) and
 *   {@link DESCRIBED_KIND_LABEL} (the described object's kind, e.g. `Pod`, `Ingress`); the
 *   series' own labels, which a metric `selector` matches, are in `metricLabels`.
 * - ExternalMetricValue: {@link METRIC_NAME_LABEL}; the series' labels in `metricLabels`.
 *
 * Values are quantities (`1500m`, `30`); `timestamp` is when the adapter sampled the series and
 * `windowSeconds` the interval its rate is computed over.
 *
 * @module
 */
import { z } from 'zod';
import { ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { QuantitySchema } from './internal.js';

/** The label naming the metric of a MetricValue or ExternalMetricValue object. */
export const METRIC_NAME_LABEL = 'metrics.kubeloop.dev/metric';
/** The label naming the kind of the object a MetricValue describes. */
export const DESCRIBED_KIND_LABEL = 'metrics.kubeloop.dev/described-kind';

/**
 * The value of {@link METRIC_NAME_LABEL} (or {@link DESCRIBED_KIND_LABEL}) for `name`: the name
 * itself when it is a valid label value (`requests-per-second`, `http_requests_total`), else
 * undefined (the object then carries no such label, and readers select by its fields).
 */
export function metricLabelValue(name: string): string | undefined {
  return name.length <= 63 && /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?)$/.test(name) ? name : undefined;
}

/** The object a custom metric describes (upstream `ObjectReference`). */
export const DescribedObjectSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
});
/** The object a custom metric describes. */
export type DescribedObject = z.infer<typeof DescribedObjectSchema>;

/** One series of a custom metric (custom.metrics.k8s.io/v1beta2 MetricValue). */
export const MetricValueSchema = z.object({
  apiVersion: z.literal('custom.metrics.k8s.io/v1beta2'),
  kind: z.literal('MetricValue'),
  metadata: ObjectMetaSchema,
  describedObject: DescribedObjectSchema,
  metric: z.object({ name: z.string() }),
  /** The series' labels (what a metric selector matches). */
  metricLabels: z.record(z.string(), z.string()).prefault({}),
  timestamp: z.string(),
  windowSeconds: z.number().int().optional(),
  value: QuantitySchema,
});
/** One series of a custom metric. */
export type MetricValue = z.infer<typeof MetricValueSchema>;

/** One series of an external metric (external.metrics.k8s.io/v1beta1 ExternalMetricValue). */
export const ExternalMetricValueSchema = z.object({
  apiVersion: z.literal('external.metrics.k8s.io/v1beta1'),
  kind: z.literal('ExternalMetricValue'),
  metadata: ObjectMetaSchema,
  metricName: z.string(),
  /** The series' labels (what a metric selector matches). */
  metricLabels: z.record(z.string(), z.string()).prefault({}),
  timestamp: z.string(),
  window: z.number().int().optional(),
  value: QuantitySchema,
});
/** One series of an external metric. */
export type ExternalMetricValue = z.infer<typeof ExternalMetricValueSchema>;

/** MetricValues (`metricvalues.custom.metrics.k8s.io`): the custom metrics adapter's latest series. */
export const MetricValues = defineResource({
  group: 'custom.metrics.k8s.io',
  version: 'v1beta2',
  kind: 'MetricValue',
  generation: 'none',
  plural: 'metricvalues',
  namespaced: true,
  schema: MetricValueSchema,
});

/** ExternalMetricValues (`externalmetricvalues.external.metrics.k8s.io`): the external metrics adapter's latest series. */
export const ExternalMetricValues = defineResource({
  group: 'external.metrics.k8s.io',
  version: 'v1beta1',
  kind: 'ExternalMetricValue',
  generation: 'none',
  plural: 'externalmetricvalues',
  namespaced: true,
  schema: ExternalMetricValueSchema,
});
