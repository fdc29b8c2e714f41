/**
 * The CronJob status from its Jobs (the first half of upstream `syncCronJob`): which Jobs are
 * active, which finished since the last look, and the last successful time.
 *
 * @module
 */
import { formatTime, parseTime } from '@kubeloop/core';
import type { CronJob, CronJobStatus, Job, ObjectReference } from '@kubeloop/core';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, finishedCondition, jobReference } from './decide.js';
import type { CronJobEvent } from './decide.js';

/** What {@link reconcileActive} found. */
export interface ActiveReconciliation {
  /** The status with finished Jobs out of `active` and `lastSuccessfulTime` brought forward. */
  readonly status: CronJobStatus;
  /** `SawCompletedJob` for each finished Job taken out of `active`. */
  readonly events: readonly CronJobEvent[];
  /**
   * Unfinished Jobs the CronJob controls, not being deleted, that `active` does not list:
   * upstream re-reads the CronJob (its cache may lag its own status write) and reports the ones
   * still missing as `UnexpectedJob` (the controller here also adds them to `active`).
   */
  readonly unexpected: readonly Job[];
  /** Entries of `active` whose Job is not among `jobs`: the caller confirms with a live read that each is gone. */
  readonly missing: readonly ObjectReference[];
}

/**
 * Brings a CronJob's status up to date with the Jobs it controls (upstream `syncCronJob`
 * before the schedule): a finished Job (`Complete` or `Failed` condition True) listed in
 * `active` leaves it with a `SawCompletedJob` event (`Saw completed job: <name>, condition:
 * Complete`); the latest `completionTime` of a succeeded Job becomes `lastSuccessfulTime`
 * (never moved back). Upstream sets `lastSuccessfulTime` on the sync after the one that saw the
 * Job finish; here it is the same sync (the same status one write earlier).
 */
export function reconcileActive(cronJob: CronJob, jobs: readonly Job[]): ActiveReconciliation {
  const active = cronJob.status.active ?? [];
  const uids = new Set(jobs.map((j) => j.metadata.uid));
  const listed = new Set(active.map((a) => a.uid));
  const events: CronJobEvent[] = [];
  const unexpected: Job[] = [];
  const finishedUids = new Set<string>();
  let lastSuccessful = cronJob.status.lastSuccessfulTime;
  for (const job of jobs) {
    const uid = job.metadata.uid ?? '';
    const finished = finishedCondition(job);
    if (finished === undefined) {
      if (!listed.has(uid) && job.metadata.deletionTimestamp === undefined) unexpected.push(job);
      continue;
    }
    if (listed.has(uid)) {
      finishedUids.add(uid);
      events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${job.metadata.name ?? ''}, condition: ${finished.type}` });
    }
    const completed = job.status.completionTime;
    if (finished.type === 'Complete' && completed !== undefined && (lastSuccessful === undefined || parseTime(completed) > parseTime(lastSuccessful))) {
      lastSuccessful = completed;
    }
  }
  const missing = active.filter((a) => !uids.has(a.uid));
  const status: CronJobStatus = {
    ...cronJob.status,
    active: active.filter((a) => !finishedUids.has(a.uid ?? '')),
    ...(lastSuccessful === undefined ? {} : { lastSuccessfulTime: lastSuccessful }),
  };
  return { status, events, unexpected, missing };
}

/**
 * Counts Jobs the CronJob controls but does not list as active (a deviation: upstream only
 * warns, see {@link ActiveReconciliation.unexpected}): each joins `active`, and
 * `lastScheduleTime` moves forward to the latest scheduled time among them (their
 * `batch.kubernetes.io/cronjob-scheduled-timestamp`), as the sync that created them would have
 * set it — so a time whose Job is deleted later is not run again.
 *
 * Worked example: after a crash between creating `hello-28401725` (10:05) and writing the
 * status, `active` is empty and `lastScheduleTime` 10:00; adopting gives `active`
 * `[hello-28401725]` and `lastScheduleTime` 10:05.
 */
export function adoptUnexpected(status: CronJobStatus, unexpected: readonly Job[]): CronJobStatus {
  if (unexpected.length === 0) return status;
  let last = status.lastScheduleTime === undefined ? Number.NEGATIVE_INFINITY : parseTime(status.lastScheduleTime);
  let lastText = status.lastScheduleTime;
  for (const job of unexpected) {
    const text = job.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION];
    const t = text === undefined ? Number.NaN : parseTime(text);
    if (!Number.isNaN(t) && t > last) {
      last = t;
      lastText = formatTime(t);
    }
  }
  return { ...status, active: [...(status.active ?? []), ...unexpected.map(jobReference)], ...(lastText === undefined ? {} : { lastScheduleTime: lastText }) };
}

/** Whether two statuses say the same (the write is skipped when they do). */
export function cronJobStatusEqual(a: CronJobStatus, b: CronJobStatus): boolean {
  const refs = (s: CronJobStatus) => (s.active ?? []).map((r) => `${r.namespace}/${r.name}/${r.uid}`).join(',');
  return refs(a) === refs(b) && a.lastScheduleTime === b.lastScheduleTime && a.lastSuccessfulTime === b.lastSuccessfulTime;
}
