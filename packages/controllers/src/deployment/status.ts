/**
 * The Deployment's status and conditions — upstream's `calculateStatus` (sync.go),
 * `syncRolloutStatus` and `requeueStuckDeployment` (progress.go), `checkPausedConditions`, and
 * the `DeploymentComplete` / `DeploymentProgressing` / `DeploymentTimedOut` predicates of
 * `deployment_util.go`. Pure: the time comes in as `nowMs`.
 *
 * @module
 */
import { deepEqual, formatTime, parseTime } from '@kubeloop/core';
import type { Deployment, DeploymentStatus, ReplicaSet, WorkloadCondition } from '@kubeloop/core';
import { getCondition, removeCondition, setCondition } from '../shared/index.js';
import { actualReplicas, availableReplicas, maxUnavailable, readyReplicas, specReplicas } from './decide.js';

/** Condition reasons and messages of upstream's `deployment_util.go`. */
export const DeploymentReasons = {
  /** Available=True. */
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  /** Available=False. */
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  /** Progressing=True: the new ReplicaSet was created. */
  newReplicaSetCreated: 'NewReplicaSetCreated',
  /** Progressing=True: an existing ReplicaSet became the new one. */
  foundNewReplicaSet: 'FoundNewReplicaSet',
  /** Progressing=True: the rollout made progress. */
  replicaSetUpdated: 'ReplicaSetUpdated',
  /** Progressing=True: the rollout is complete. */
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  /** Progressing=False: no progress for `progressDeadlineSeconds`. */
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** Progressing=Unknown: paused. */
  deploymentPaused: 'DeploymentPaused',
  /** Progressing=Unknown: resumed. */
  deploymentResumed: 'DeploymentResumed',
  /** Progressing=False: creating the new ReplicaSet failed. */
  replicaSetCreateError: 'ReplicaSetCreateError',
} as const;

/** The `progressDeadlineSeconds` that means "no deadline" (upstream: `math.MaxInt32`). */
export const NO_PROGRESS_DEADLINE = 2_147_483_647;

/**
 * Whether the Deployment has a progress deadline (upstream `HasProgressDeadline`): without one
 * the controller keeps no Progressing condition at all.
 */
export function hasProgressDeadline(d: Deployment): boolean {
  return d.spec.progressDeadlineSeconds !== NO_PROGRESS_DEADLINE;
}

/** A condition stamped at `nowMs` (upstream `NewDeploymentCondition`). */
export function deploymentCondition(type: string, status: WorkloadCondition['status'], reason: string, message: string, nowMs: number): WorkloadCondition {
  const t = formatTime(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/**
 * The status the ReplicaSets add up to (upstream `calculateStatus`): replicas, updated, ready
 * and available from the ReplicaSets' status, unavailable = Σ spec.replicas − available (never
 * negative), `observedGeneration` the Deployment's generation, `collisionCount` kept, and
 * `Available` True when available ≥ replicas − maxUnavailable.
 *
 * Worked example: 10 replicas, maxUnavailable 2, old at 5 (5 available), new at 5 (3
 * available) → replicas 10, updated 5, available 8, unavailable 2, Available=True.
 */
export function calculateStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const unavailable = Math.max(0, specReplicas(allRSs) - available);
  let conditions: readonly WorkloadCondition[] = d.status.conditions ?? [];
  if (available >= d.spec.replicas - maxUnavailable(d)) {
    conditions = setCondition(conditions, deploymentCondition('Available', 'True', DeploymentReasons.minimumReplicasAvailable, 'Deployment has minimum availability.', nowMs));
  } else {
    conditions = setCondition(conditions, deploymentCondition('Available', 'False', DeploymentReasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', nowMs));
  }
  return {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    ...(d.status.collisionCount === undefined ? {} : { collisionCount: d.status.collisionCount }),
    conditions: [...conditions],
  };
}

/** Whether the rollout is complete (upstream `DeploymentComplete`). */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const r = d.spec.replicas;
  return status.updatedReplicas === r && status.replicas === r && status.availableReplicas === r && (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/**
 * Whether `status` shows progress over the Deployment's current status (upstream
 * `DeploymentProgressing`): more updated, ready or available replicas, or fewer old ones.
 */
export function deploymentProgressing(d: Deployment, status: DeploymentStatus): boolean {
  const old = d.status;
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/**
 * Whether the rollout ran out of time (upstream `DeploymentTimedOut`): the Progressing
 * condition was last updated more than `progressDeadlineSeconds` before `nowMs` (strictly), and
 * is not `NewReplicaSetAvailable`.
 */
export function deploymentTimedOut(d: Deployment, status: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(status.conditions, 'Progressing');
  if (c === undefined) return false;
  if (c.reason === DeploymentReasons.newReplicaSetAvailable) return false;
  if (c.reason === DeploymentReasons.progressDeadlineExceeded) return true;
  const from = c.lastUpdateTime === undefined ? nowMs : parseTime(c.lastUpdateTime);
  return from + d.spec.progressDeadlineSeconds * 1000 < nowMs;
}

/**
 * The status after a rollout step (upstream `syncRolloutStatus`): {@link calculateStatus},
 * then (with a progress deadline; without one the Progressing condition is removed) the
 * Progressing condition — `NewReplicaSetAvailable` when complete, `ReplicaSetUpdated`
 * (refreshing `lastUpdateTime`) on progress, `ProgressDeadlineExceeded` when timed out — unless
 * the current rollout already completed; and `ReplicaFailure` copied from the ReplicaSets.
 */
export function rolloutStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): DeploymentStatus {
  let status = calculateStatus(allRSs, newRS, d, nowMs);
  let conditions: readonly WorkloadCondition[] = status.conditions ?? [];
  const current = getCondition(d.status.conditions, 'Progressing');
  if (!hasProgressDeadline(d)) conditions = removeCondition(conditions, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === DeploymentReasons.newReplicaSetAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS === undefined ? `Deployment "${d.metadata.name ?? ''}"` : `ReplicaSet "${newRS.metadata.name ?? ''}"`;
    if (deploymentComplete(d, status)) {
      conditions = setCondition(conditions, deploymentCondition('Progressing', 'True', DeploymentReasons.newReplicaSetAvailable, `${subject} has successfully progressed.`, nowMs));
    } else if (deploymentProgressing(d, status)) {
      let c = deploymentCondition('Progressing', 'True', DeploymentReasons.replicaSetUpdated, `${subject} is progressing.`, nowMs);
      if (current !== undefined) {
        if (current.status === 'True' && current.lastTransitionTime !== undefined) c = { ...c, lastTransitionTime: current.lastTransitionTime };
        conditions = removeCondition(conditions, 'Progressing');
      }
      conditions = setCondition(conditions, c);
    } else if (deploymentTimedOut(d, { ...status, conditions: [...conditions] }, nowMs)) {
      conditions = setCondition(conditions, deploymentCondition('Progressing', 'False', DeploymentReasons.progressDeadlineExceeded, `${subject} has timed out progressing.`, nowMs));
    }
  }
  const failure = replicaFailure(allRSs);
  conditions = failure === undefined ? removeCondition(conditions, 'ReplicaFailure') : setCondition(conditions, failure);
  status = { ...status, conditions: [...conditions] };
  return status;
}

/** The first `ReplicaFailure=True` condition among the ReplicaSets (upstream `getReplicaFailures`). */
function replicaFailure(allRSs: readonly (ReplicaSet | undefined)[]): WorkloadCondition | undefined {
  for (const rs of allRSs) {
    const c = getCondition(rs?.status.conditions, 'ReplicaFailure');
    if (c?.status === 'True') return { type: 'ReplicaFailure', status: 'True', ...(c.lastTransitionTime === undefined ? {} : { lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime }), ...(c.reason === undefined ? {} : { reason: c.reason }), ...(c.message === undefined ? {} : { message: c.message }) };
  }
  return undefined;
}

/**
 * The conditions after a pause or resume (upstream `checkPausedConditions`): Progressing=Unknown
 * `DeploymentPaused` ("Deployment is paused") when paused, `DeploymentResumed` ("Deployment is
 * resumed") when no longer; undefined when nothing changes, and never over a
 * `ProgressDeadlineExceeded`.
 */
export function pausedConditions(d: Deployment, nowMs: number): readonly WorkloadCondition[] | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const c = getCondition(d.status.conditions, 'Progressing');
  if (c?.reason === DeploymentReasons.progressDeadlineExceeded) return undefined;
  const pausedCond = c?.reason === DeploymentReasons.deploymentPaused;
  if (d.spec.paused === true && !pausedCond) {
    return setCondition(d.status.conditions, deploymentCondition('Progressing', 'Unknown', DeploymentReasons.deploymentPaused, 'Deployment is paused', nowMs));
  }
  if (d.spec.paused !== true && pausedCond) {
    return setCondition(d.status.conditions, deploymentCondition('Progressing', 'Unknown', DeploymentReasons.deploymentResumed, 'Deployment is resumed', nowMs));
  }
  return undefined;
}

/**
 * When to look again to notice a missed deadline (upstream `requeueStuckDeployment`), in ms
 * from `nowMs`: the Progressing condition's `lastUpdateTime + progressDeadlineSeconds − now`,
 * plus one second (upstream's skew margin); 1 s when that is under a second; undefined when
 * the rollout is complete, already timed out, or has no Progressing condition.
 *
 * Worked example (upstream's comment): updated at 00:00, deadline 600 s, now 00:03 → 7 min + 1 s.
 */
export function deadlineRequeueMs(d: Deployment, status: DeploymentStatus, nowMs: number): number | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const c = getCondition(status.conditions, 'Progressing');
  if (c === undefined || c.lastUpdateTime === undefined) return undefined;
  if (deploymentComplete(d, status) || c.reason === DeploymentReasons.progressDeadlineExceeded || c.reason === DeploymentReasons.newReplicaSetAvailable) return undefined;
  if (c.reason === DeploymentReasons.deploymentPaused) return undefined;
  const after = parseTime(c.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 - nowMs;
  return after < 1000 ? 1000 : after + 1000;
}

/** Whether two statuses are the same (upstream compares with `reflect.DeepEqual`). */
export function sameStatus(a: DeploymentStatus, b: DeploymentStatus): boolean {
  return deepEqual(normalize(a), normalize(b));
}

function normalize(s: DeploymentStatus): DeploymentStatus {
  return { ...s, conditions: s.conditions ?? [] };
}
