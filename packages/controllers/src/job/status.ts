/**
 * Job conditions and status (upstream `job_controller.go`'s condition helpers and
 * `pkg/controller/job/util`): the condition types and reasons upstream writes, how a condition
 * is set, and when a Job is finished.
 *
 * @module
 */
import { formatTime } from '@kubeloop/core';
import type { Job, JobCondition } from '@kubeloop/core';

/** The Job condition types. */
export const JobConditionTypes = {
  /** The Job completed (terminal). */
  Complete: 'Complete',
  /** The Job failed (terminal). */
  Failed: 'Failed',
  /** The Job is suspended (`spec.suspend`). */
  Suspended: 'Suspended',
  /** The Job will fail once its pods are terminated and counted (interim). */
  FailureTarget: 'FailureTarget',
  /** The Job will complete once its pods are terminated and counted (interim). */
  SuccessCriteriaMet: 'SuccessCriteriaMet',
} as const;

/** The reasons of the Job conditions, as upstream spells them (`batch.JobReason*`). */
export const JobReasons = {
  /** More pods failed than `backoffLimit` allows (or, with OnFailure, containers restarted as often). */
  BackoffLimitExceeded: 'BackoffLimitExceeded',
  /** The Job ran longer than `activeDeadlineSeconds`. */
  DeadlineExceeded: 'DeadlineExceeded',
  /** A `FailJob` rule of the pod failure policy matched a failed pod. */
  PodFailurePolicy: 'PodFailurePolicy',
  /** More indexes failed than `maxFailedIndexes` allows. */
  MaxFailedIndexesExceeded: 'MaxFailedIndexesExceeded',
  /** Every index finished and some failed (`backoffLimitPerIndex`). */
  FailedIndexes: 'FailedIndexes',
  /** A rule of the success policy was met. */
  SuccessPolicy: 'SuccessPolicy',
  /** `completions` pods succeeded. */
  CompletionsReached: 'CompletionsReached',
  /** `spec.suspend` is true. */
  JobSuspended: 'JobSuspended',
  /** `spec.suspend` turned false. */
  JobResumed: 'JobResumed',
} as const;

/** The messages upstream writes with each reason. */
export const JobMessages = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  DeadlineExceeded: 'Job was active longer than specified deadline',
  MaxFailedIndexesExceeded: 'Job has exceeded the specified maximal number of failed indexes',
  FailedIndexes: 'Job has failed indexes',
  CompletionsReached: 'Reached expected number of succeeded pods',
  JobSuspended: 'Job suspended',
  JobResumed: 'Job resumed',
} as const;

/** The condition of `type` whose status is True, if any. */
export function trueCondition(job: Job, type: string): JobCondition | undefined {
  return job.status.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** Whether the Job has finished: a `Complete` or `Failed` condition that is True (upstream `IsJobFinished`). */
export function isJobFinished(job: Job): boolean {
  return trueCondition(job, JobConditionTypes.Complete) !== undefined || trueCondition(job, JobConditionTypes.Failed) !== undefined;
}

/** When the Job finished (the `lastTransitionTime` of its terminal condition), if it has. */
export function jobFinishTime(job: Job): string | undefined {
  return (trueCondition(job, JobConditionTypes.Complete) ?? trueCondition(job, JobConditionTypes.Failed))?.lastTransitionTime;
}

/** A condition, both its times `nowMs` (upstream `newCondition`). */
export function newJobCondition(type: string, status: JobCondition['status'], reason: string, message: string, nowMs: number): JobCondition {
  const at = formatTime(nowMs);
  return { type, status, lastProbeTime: at, lastTransitionTime: at, reason, message };
}

/**
 * `conditions` with the condition of `type` set to `status`, `reason` and `message` (upstream
 * `ensureJobConditionStatus`): an existing one that differs is replaced; a missing one is added
 * unless `status` is False (nothing → False says nothing). Returns whether anything changed.
 */
export function ensureJobCondition(conditions: readonly JobCondition[] | undefined, type: string, status: JobCondition['status'], reason: string, message: string, nowMs: number): { readonly conditions: JobCondition[]; readonly changed: boolean } {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status === status && (c.reason ?? '') === reason && (c.message ?? '') === message) return { conditions: list, changed: false };
    list[i] = newJobCondition(type, status, reason, message, nowMs);
    return { conditions: list, changed: true };
  }
  if (status === 'False') return { conditions: list, changed: false };
  list.push(newJobCondition(type, status, reason, message, nowMs));
  return { conditions: list, changed: true };
}
