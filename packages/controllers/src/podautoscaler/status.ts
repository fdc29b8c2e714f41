/**
 * The HPA's status helpers (pure): conditions as upstream's `setConditionInList`, quantities as
 * `resource.NewMilliQuantity(..., DecimalSI)` prints them, and the metric samples read from
 * PodMetrics.
 *
 * @module
 */
import { formatTime, parseDuration, parseTime, tryParseQuantity } from '@kubeloop/core';
import type { Condition, PodMetrics } from '@kubeloop/core';
import type { PodMetricSample } from './replicas.js';

/** The HPA condition types. */
export type HpaConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

/**
 * Sets condition `type` in `conditions` (upstream `setConditionInList`): added at the end if
 * absent; `lastTransitionTime` moves to `nowMs` only when the status changes.
 */
export function setCondition(conditions: readonly Condition[], type: HpaConditionType, status: 'True' | 'False', reason: string, message: string, nowMs: number): Condition[] {
  const out = conditions.slice();
  const i = out.findIndex((c) => c.type === type);
  const existing = i >= 0 ? out[i]! : undefined;
  const lastTransitionTime = existing !== undefined && existing.status === status && existing.lastTransitionTime !== undefined ? existing.lastTransitionTime : formatTime(nowMs);
  const next: Condition = { type, status, lastTransitionTime, reason, message };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/** A milli-value as upstream's `NewMilliQuantity(v, DecimalSI)` prints it: `300m`, `1`, `1500m`. */
export function formatMilliQuantity(milli: number): string {
  return milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`;
}

/**
 * The per-pod samples of `resource` from PodMetrics (upstream `resourceMetricsClient.GetResourceMetric`):
 * each pod's containers summed, in milli-units, with the sample's timestamp and window. Pods
 * that lack the resource in any container are left out, as upstream drops them. With
 * `container` (ContainerResource metrics, upstream `getContainerMetrics`), only that container
 * counts; a pod whose metrics lack it fails the whole read (`container c not present in metrics
 * for pod ns/name`).
 */
export function samplesFromPodMetrics(items: readonly PodMetrics[], resource: string, podNames: ReadonlySet<string>, container?: string): Map<string, PodMetricSample> {
  const out = new Map<string, PodMetricSample>();
  for (const m of items) {
    const name = m.metadata.name ?? '';
    if (!podNames.has(name)) continue;
    let sum = 0;
    const containers = container === undefined ? m.containers : m.containers.filter((c) => c.name === container);
    if (container !== undefined && containers.length === 0) {
      throw new Error(`container ${container} not present in metrics for pod ${m.metadata.namespace ?? ''}/${name}`);
    }
    let complete = containers.length > 0;
    for (const c of containers) {
      const q = c.usage[resource] === undefined ? undefined : tryParseQuantity(String(c.usage[resource]));
      if (q === undefined) {
        complete = false;
        break;
      }
      sum += q.milliValue();
    }
    if (!complete) continue;
    out.set(name, { milliValue: Math.round(sum), timestampMs: parseTime(m.timestamp), windowMs: parseDuration(m.window) });
  }
  return out;
}
