/**
 * PodDisruptionBudget rules that both the API server's `eviction` subresource and the disruption
 * controller apply (upstream `component-helpers/apps/poddisruptionbudget` and the budget lookup of
 * `pkg/registry/core/pod/storage/eviction.go`): which budgets guard a pod, and the
 * `DisruptionAllowed` condition.
 *
 * @module
 */
import { formatTime } from '../clock/clock.js';
import { matchesLabelSelector } from './labels.js';
import type { Condition, KubeObject, LabelSelector } from './meta.js';

/** The condition type on a PodDisruptionBudget's status (upstream `policy.DisruptionAllowedCondition`). */
export const DISRUPTION_ALLOWED_CONDITION = 'DisruptionAllowed';

/** The reasons of the `DisruptionAllowed` condition (upstream `policy.*Reason`). */
export const DisruptionAllowedReasons = {
  /** `True`: the budget allows at least one disruption. */
  sufficientPods: 'SufficientPods',
  /** `False`: the budget allows no disruption now. */
  insufficientPods: 'InsufficientPods',
  /** `False`: the disruption controller could not compute the status (its message says why). */
  syncFailed: 'SyncFailed',
} as const;

/**
 * How long an eviction's entry in `status.disruptedPods` keeps its pod out of `currentHealthy`
 * when the pod is not deleted (upstream `DeletionTimeout`, 2 minutes).
 */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

/** The parts of a PodDisruptionBudget these rules read. */
export interface DisruptionBudgetLike extends KubeObject {
  /** The budget's pod selector. */
  spec?: { selector?: LabelSelector | undefined } | undefined;
  /** What the disruption controller last computed. */
  status?:
    | {
        disruptionsAllowed?: number | undefined;
        observedGeneration?: number | undefined;
        conditions?: readonly Condition[] | undefined;
      }
    | undefined;
}

/**
 * The budgets among `budgets` that guard a pod with `labels` in `namespace` (upstream
 * `getPodDisruptionBudgets` of the eviction subresource, and the disruption controller's
 * `GetPodPodDisruptionBudgets`): same namespace, and the selector matches the labels. As in
 * policy/v1, an empty selector (`{}`) matches every pod and a missing one none; an invalid
 * selector matches nothing.
 *
 * @example
 * ```ts
 * budgetsForPod([zkPdb], 'default', { app: 'zk' }); // [zkPdb]  (selector matchLabels app=zk)
 * budgetsForPod([zkPdb], 'other', { app: 'zk' });   // []
 * ```
 */
export function budgetsForPod<B extends DisruptionBudgetLike>(budgets: readonly B[], namespace: string, labels: Readonly<Record<string, string>> | undefined): B[] {
  return budgets.filter((b) => (b.metadata.namespace ?? '') === namespace && matchesLabelSelector(b.spec?.selector, labels));
}

/**
 * `conditions` with the condition of `condition.type` set as upstream's `meta.SetStatusCondition`
 * does: appended when missing; otherwise its reason, message and observedGeneration replaced,
 * and its `lastTransitionTime` moved to `nowMs` only when the status changes. The order of the
 * other conditions is kept.
 */
export function setStatusCondition(conditions: readonly Condition[] | undefined, condition: Omit<Condition, 'lastTransitionTime'>, nowMs: number): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === condition.type);
  const existing = i < 0 ? undefined : list[i];
  if (existing === undefined) return [...list, { ...condition, lastTransitionTime: formatTime(nowMs) }];
  const lastTransitionTime = existing.status === condition.status && existing.lastTransitionTime !== undefined ? existing.lastTransitionTime : formatTime(nowMs);
  const next: Condition = { ...condition, lastTransitionTime };
  if (condition.message === undefined) delete next.message;
  list[i] = next;
  return list;
}

/**
 * The budget's conditions with `DisruptionAllowed` set from `disruptionsAllowed` (upstream
 * `UpdateDisruptionAllowedCondition`): `True`/`SufficientPods` when it is above 0,
 * `False`/`InsufficientPods` otherwise, carrying `observedGeneration`.
 *
 * @example
 * ```ts
 * disruptionAllowedConditions([], 1, 3, now);
 * // [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', observedGeneration: 3, lastTransitionTime: ... }]
 * ```
 */
export function disruptionAllowedConditions(conditions: readonly Condition[] | undefined, disruptionsAllowed: number, observedGeneration: number | undefined, nowMs: number): Condition[] {
  const allowed = disruptionsAllowed > 0;
  return setStatusCondition(
    conditions,
    {
      type: DISRUPTION_ALLOWED_CONDITION,
      status: allowed ? 'True' : 'False',
      reason: allowed ? DisruptionAllowedReasons.sufficientPods : DisruptionAllowedReasons.insufficientPods,
      ...(observedGeneration === undefined ? {} : { observedGeneration }),
    },
    nowMs,
  );
}

/**
 * Whether a budget's `DisruptionAllowed` condition agrees with its status (upstream
 * `ConditionsAreUpToDate`): the status observed the current generation, and the condition is
 * `True`/`SufficientPods` when `disruptionsAllowed > 0`, `False`/`InsufficientPods` otherwise.
 */
export function disruptionAllowedConditionUpToDate(budget: DisruptionBudgetLike): boolean {
  const cond = budget.status?.conditions?.find((c) => c.type === DISRUPTION_ALLOWED_CONDITION);
  if (cond === undefined) return false;
  if ((budget.status?.observedGeneration ?? 0) !== (budget.metadata.generation ?? 0)) return false;
  if ((budget.status?.disruptionsAllowed ?? 0) > 0) return cond.status === 'True' && cond.reason === DisruptionAllowedReasons.sufficientPods;
  return cond.status === 'False' && cond.reason === DisruptionAllowedReasons.insufficientPods;
}
