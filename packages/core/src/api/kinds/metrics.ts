/**
 * The Resource Metrics API (`metrics.k8s.io/v1beta1`, upstream `k8s.io/metrics`): PodMetrics
 * and NodeMetrics, as metrics-server serves them. They are not built in: the metrics-server
 * plugin registers them and is their only writer (a cluster without it has no such kinds, as a
 * cluster without metrics-server has no `metrics.k8s.io`). Readers: the HPA, `kubectl top`.
 *
 * Shapes as upstream: `timestamp` is when the sample was taken, `window` the interval the
 * usage is averaged over (metrics-server: its scrape resolution, `15s`), CPU in nanocores
 * (`12345678n`) and memory in kibibytes (`10240Ki`).
 *
 * @module
 */
import { z } from 'zod';
import { ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { ResourceListSchema } from './internal.js';

/** One container's usage in a PodMetrics. */
export const ContainerMetricsSchema = z.object({ name: z.string(), usage: ResourceListSchema.prefault({}) });
/** One container's usage. */
export type ContainerMetrics = z.infer<typeof ContainerMetricsSchema>;

/** A pod's usage, per container (metrics.k8s.io/v1beta1 PodMetrics). */
export const PodMetricsSchema = z.object({
  apiVersion: z.literal('metrics.k8s.io/v1beta1'),
  kind: z.literal('PodMetrics'),
  metadata: ObjectMetaSchema,
  timestamp: z.string(),
  window: z.string(),
  containers: z.array(ContainerMetricsSchema).prefault([]),
});
/** A pod's usage. */
export type PodMetrics = z.infer<typeof PodMetricsSchema>;

/** A node's usage (metrics.k8s.io/v1beta1 NodeMetrics). */
export const NodeMetricsSchema = z.object({
  apiVersion: z.literal('metrics.k8s.io/v1beta1'),
  kind: z.literal('NodeMetrics'),
  metadata: ObjectMetaSchema,
  timestamp: z.string(),
  window: z.string(),
  usage: ResourceListSchema.prefault({}),
});
/** A node's usage. */
export type NodeMetrics = z.infer<typeof NodeMetricsSchema>;

/** PodMetrics (`pods.metrics.k8s.io`): what metrics-server last scraped of each running pod. */
export const PodMetricses = defineResource({
  group: 'metrics.k8s.io',
  version: 'v1beta1',
  kind: 'PodMetrics',
  generation: 'none',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  schema: PodMetricsSchema,
  // Read-only for clients, as upstream's metrics API: metrics-server writes it with internalWrite.
  verbs: ['get', 'list'],
});

/** NodeMetrics (`nodes.metrics.k8s.io`): what metrics-server last scraped of each node. */
export const NodeMetricses = defineResource({
  group: 'metrics.k8s.io',
  version: 'v1beta1',
  kind: 'NodeMetrics',
  generation: 'none',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  schema: NodeMetricsSchema,
  verbs: ['get', 'list'],
});
