/**
 * Workload conditions (`Available`, `Progressing`, `ReplicaFailure`) on Deployment, ReplicaSet
 * and DaemonSet status, as upstream's `deploymentutil` and `replicaset` helpers handle them.
 *
 * @module
 */
import type { WorkloadCondition } from '@kubeloop/core';

/** The condition of `type`, if present. */
export function getCondition(conditions: readonly WorkloadCondition[] | undefined, type: string): WorkloadCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * `conditions` with `condition` set (upstream `SetDeploymentCondition`): an existing condition
 * with the same status and reason is left alone (no churn); one with the same status keeps its
 * `lastTransitionTime`; otherwise the new one replaces it. Returns the input array when nothing
 * changed.
 */
export function setCondition(conditions: readonly WorkloadCondition[] | undefined, condition: WorkloadCondition): readonly WorkloadCondition[] {
  const list = conditions ?? [];
  const current = list.find((c) => c.type === condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return list;
  const next = current && current.status === condition.status && current.lastTransitionTime !== undefined ? { ...condition, lastTransitionTime: current.lastTransitionTime } : condition;
  return [...list.filter((c) => c.type !== condition.type), next];
}

/** `conditions` without the condition of `type`; the input array when there was none. */
export function removeCondition(conditions: readonly WorkloadCondition[] | undefined, type: string): readonly WorkloadCondition[] {
  const list = conditions ?? [];
  return list.some((c) => c.type === type) ? list.filter((c) => c.type !== type) : list;
}
