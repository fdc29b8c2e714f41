/**
 * The pod garbage collector's decisions (upstream `pkg/controller/podgc`), pure: which pods to
 * force-delete because they are finished beyond the threshold, bound to a node that no longer
 * exists, or being deleted without ever having been scheduled.
 *
 * @module
 */
import { parseTime } from '@kubeloop/core';
import type { Node, Pod, PodCondition } from '@kubeloop/core';

/** How often the pod GC runs (upstream `gcCheckPeriod`): 20 s. */
export const POD_GC_CHECK_PERIOD_MS = 20_000;
/** How long a pod's node must be missing before the pod is collected (upstream `quarantineTime`): 40 s. */
export const POD_GC_QUARANTINE_MS = 40_000;
/** kube-controller-manager's `--terminated-pod-gc-threshold` default: 12 500 finished pods. */
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12_500;
/** The taint with which an admin declares a node out of service (its terminating pods go at once). */
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

function finished(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * The finished pods to delete so that at most `threshold` remain, oldest (by creation time,
 * then name) first — upstream `gcTerminated`. A threshold of 0 or less disables it.
 *
 * Worked example: 12 503 finished pods, threshold 12 500 → the 3 oldest.
 */
export function terminatedToDelete(pods: readonly Pod[], threshold: number): Pod[] {
  if (threshold <= 0) return [];
  const done = pods.filter((p) => finished(p) && p.metadata.deletionTimestamp === undefined);
  const excess = done.length - threshold;
  if (excess <= 0) return [];
  const created = (p: Pod) => (p.metadata.creationTimestamp ? parseTime(p.metadata.creationTimestamp) : 0);
  return [...done].sort((a, b) => created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')).slice(0, excess);
}

/**
 * Pods bound to a node the cache does not know (upstream `gcOrphaned`, first half): the
 * candidates, with the node names to check. The caller quarantines each missing node for
 * {@link POD_GC_QUARANTINE_MS} and confirms with a live read before deleting.
 */
export function podsOnMissingNodes(pods: readonly Pod[], nodes: readonly Node[]): Map<string, Pod[]> {
  const known = new Set(nodes.map((n) => n.metadata.name ?? ''));
  const out = new Map<string, Pod[]>();
  for (const pod of pods) {
    const node = pod.spec.nodeName;
    if (!node || known.has(node)) continue;
    const list = out.get(node) ?? [];
    list.push(pod);
    out.set(node, list);
  }
  return out;
}

/** Pods being deleted that were never scheduled (upstream `gcUnscheduledTerminating`). */
export function unscheduledTerminating(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => p.metadata.deletionTimestamp !== undefined && !p.spec.nodeName);
}

/**
 * Terminating pods on nodes that are not Ready and carry the `out-of-service` taint (upstream
 * `gcTerminating`, the non-graceful node shutdown feature).
 */
export function terminatingOnOutOfServiceNodes(pods: readonly Pod[], nodes: readonly Node[]): Pod[] {
  const out = new Set<string>();
  for (const node of nodes) {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (!ready && (node.spec.taints ?? []).some((t) => t.key === TAINT_OUT_OF_SERVICE)) out.add(node.metadata.name ?? '');
  }
  return pods.filter((p) => p.metadata.deletionTimestamp !== undefined && p.spec.nodeName !== undefined && out.has(p.spec.nodeName));
}

/**
 * The status the pod GC writes before force-deleting a pod that has not finished (upstream
 * `markFailedAndDeletePod`): phase `Failed` and the `DisruptionTarget` condition with reason
 * `DeletionByPodGC`. Undefined for a finished pod (nothing to mark).
 */
export function failedStatus(pod: Pod, message: string, nowTime: string): Pod['status'] | undefined {
  if (finished(pod)) return undefined;
  const condition: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message, lastTransitionTime: nowTime };
  const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), condition];
  return { ...pod.status, phase: 'Failed', conditions };
}
