/**
 * The ReplicaSet status (upstream `replica_set_utils.go`: `calculateReplicaStatus` and the check in
 * `updateReplicaSetStatus`), as pure functions of the pods the ReplicaSet controls.
 *
 * Worked example (replicas 3, minReadySeconds 10, template labels `app=web,tier=fe`, now 100 s):
 *
 * ```
 * pod a: app=web,tier=fe  Ready since  50 s   → labeled, ready, available
 * pod b: app=web          Ready since  95 s   → ready, available at 105 s (+1 ms)
 * pod c: app=web,tier=fe  not ready           → labeled
 * status: replicas 3, fullyLabeledReplicas 2, readyReplicas 2, availableReplicas 1
 * requeue after msUntilAvailable(b) = 5 001 ms
 * ```
 *
 * @module
 */
import { formatTime, selectorFromSet } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../shared/index.js';
import type { ReplicaCondition, ReplicaStatus } from './kind.js';

/** The condition type set when pods cannot be created or deleted. */
export const REPLICA_FAILURE = 'ReplicaFailure';
/** The `ReplicaFailure` reason when creates failed. */
export const FAILED_CREATE = 'FailedCreate';
/** The `ReplicaFailure` reason when deletes failed. */
export const FAILED_DELETE = 'FailedDelete';

/** What {@link calculateReplicaStatus} needs to know about the owner. */
export interface StatusInput {
  /** The current status. */
  readonly status: ReplicaStatus;
  /** `spec.replicas`. */
  readonly replicas: number;
  /** `spec.minReadySeconds`. */
  readonly minReadySeconds: number;
  /** `spec.template.metadata.labels`. */
  readonly templateLabels: Readonly<Record<string, string>> | undefined;
}

/**
 * The new status (upstream `calculateReplicaStatus`), given the active pods the owner controls
 * (`pods`) and the error of this sync's creates/deletes (`manageError`):
 *
 * - `replicas`: the pods; `fullyLabeledReplicas`: those whose labels include every template
 *   label; `readyReplicas`: Ready ones; `availableReplicas`: Ready for more than
 *   `minReadySeconds`;
 * - `ReplicaFailure`: added (status True, reason `FailedCreate` when there are fewer pods than
 *   replicas, `FailedDelete` when more, message the error) when the sync failed and there is
 *   none yet; removed when the sync did not fail. An existing one is left as it is.
 *
 * `observedGeneration` is left to {@link replicaStatusUpToDate}'s caller, as upstream sets it when
 * writing.
 */
export function calculateReplicaStatus(input: StatusInput, pods: readonly Pod[], manageError: unknown, nowMs: number): ReplicaStatus {
  const template = selectorFromSet(input.templateLabels);
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (template.matches(pod.metadata.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, input.minReadySeconds, nowMs)) available++;
    }
  }
  let conditions = input.status.conditions;
  // Stryker disable next-line ConditionalExpression: equivalent, ReplicaFailure is the only condition type of both kinds (upstream's ReplicaSetConditionType), and only this controller writes their status
  const failure = conditions?.find((c) => c.type === REPLICA_FAILURE);
  if (manageError !== undefined && failure === undefined) {
    const diff = pods.length - input.replicas;
    // Stryker disable next-line StringLiteral: equivalent for the controller, whose syncs fail only when they create or delete, never at diff 0
    const reason = diff < 0 ? FAILED_CREATE : diff > 0 ? FAILED_DELETE : '';
    const condition: ReplicaCondition = {
      type: REPLICA_FAILURE,
      status: 'True',
      lastTransitionTime: formatTime(nowMs),
      // Stryker disable next-line StringLiteral,ConditionalExpression: equivalent for the controller, the reason is never empty (see above)
      ...(reason === '' ? {} : { reason }),
      message: errorMessage(manageError),
    };
    conditions = [...(conditions ?? []), condition];
  } else if (manageError === undefined && failure !== undefined) {
    // Stryker disable next-line OptionalChaining,ArrowFunction,ConditionalExpression: equivalent, a failure was found among the conditions, and it is the only condition type of both kinds (see above)
    conditions = conditions?.filter((c) => c.type !== REPLICA_FAILURE);
  }
  return {
    ...input.status,
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    ...(conditions === undefined ? {} : { conditions }),
  };
}

/**
 * Whether writing `next` would change nothing (upstream's early return in
 * `updateReplicaSetStatus`): the four counts are equal, `observedGeneration` is current, and the
 * conditions are equal.
 */
export function replicaStatusUpToDate(current: ReplicaStatus, next: ReplicaStatus, generation: number | undefined): boolean {
  return (
    current.replicas === next.replicas &&
    (current.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (current.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (current.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    (current.observedGeneration ?? 0) === (generation ?? 0) &&
    sameConditions(current.conditions, next.conditions)
  );
}

function sameConditions(a: readonly ReplicaCondition[] | undefined, b: readonly ReplicaCondition[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every((c, i) => {
    const d = y[i]!;
    return c.type === d.type && c.status === d.status && c.reason === d.reason && c.message === d.message && c.lastTransitionTime === d.lastTransitionTime;
  });
}

/**
 * When to look again so that `availableReplicas` is published on time: the least
 * {@link @kubeloop/controllers!msUntilAvailable | msUntilAvailable} over the ready pods that are
 * not available yet, or undefined when none is waiting (or `minReadySeconds` is 0).
 */
export function nextAvailabilityCheck(pods: readonly Pod[], minReadySeconds: number, nowMs: number): number | undefined {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a short cut, equivalent: at 0 every ready pod is available, so the loop finds none waiting either
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    const ms = msUntilAvailable(pod, minReadySeconds, nowMs);
    if (ms !== undefined && ms > 0) next = next === undefined ? ms : Math.min(next, ms);
  }
  return next;
}

/** The message of an error, as upstream's `err.Error()`. */
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
