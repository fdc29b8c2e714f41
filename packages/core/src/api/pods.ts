/**
 * Pod predicates, after upstream's `pkg/api/v1/pod` and `pkg/controller/controller_utils.go`:
 * active, terminating, ready, available (with `minReadySeconds`), restarts. Kubernetes rules
 * the workload controllers decide with and their invariants judge by, written once here so
 * that an invariant never borrows its controller's code for them.
 *
 * @module
 */
import { parseTime } from '../clock/clock.js';
import type { Pod, PodCondition } from './kinds/pod.js';

/**
 * Whether a pod counts towards a controller's replicas (upstream `IsPodActive`): not
 * `Succeeded`, not `Failed`, and not being deleted.
 */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata.deletionTimestamp === undefined;
}

/** Whether a pod is being deleted and not yet finished (upstream `isPodTerminating`). */
export function isPodTerminating(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return pod.metadata.deletionTimestamp !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

/** The pod's `Ready` condition, if it has one. */
export function podReadyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Whether the pod's `Ready` condition is `True` (upstream `podutil.IsPodReady`). */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/**
 * When a ready pod became ready (its `Ready` condition's `lastTransitionTime`, in ms), or
 * undefined when it is not ready or the time is not recorded.
 */
export function podReadyTime(pod: Pod): number | undefined {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True' || c.lastTransitionTime === undefined || c.lastTransitionTime === null) return undefined;
  return parseTime(c.lastTransitionTime);
}

/**
 * Whether a pod is available (upstream `podutil.IsPodAvailable`): ready, and ready for more
 * than `minReadySeconds` at `nowMs` (strictly: a pod ready at t=0 with `minReadySeconds: 10` is
 * available after t=10 s, not at it). With `minReadySeconds` 0, ready is available.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadyTime(pod);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/**
 * How long until a ready pod becomes available (ms), 0 when it already is, undefined when it is
 * not ready. Controllers requeue after this to publish `availableReplicas` on time.
 */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (isPodAvailable(pod, minReadySeconds, nowMs)) return 0;
  const since = podReadyTime(pod) ?? nowMs;
  // Available strictly after `since + minReadySeconds`: one millisecond past it.
  return since + minReadySeconds * 1000 - nowMs + 1;
}

/** The highest restart count among the pod's containers (init containers excluded), 0 if none. */
export function maxContainerRestarts(pod: Pod): number {
  let max = 0;
  for (const s of pod.status?.containerStatuses ?? []) max = Math.max(max, s.restartCount ?? 0);
  return max;
}
