/**
 * The CronJob controller's decisions (upstream `pkg/controller/cronjob/utils.go` and the
 * choices of `syncCronJob`), as pure functions of the CronJob, its Jobs and the time.
 *
 * @module
 */
import { formatTime, parseTime } from '@kubeloop/core';
import type { CronJob, Job, JobCondition, ObjectReference, OwnerReference } from '@kubeloop/core';
import { wallClockMs } from './schedule.js';
import type { CronSchedule } from './schedule.js';

/** The annotation with a Job's scheduled time (upstream `batch.kubernetes.io/cronjob-scheduled-timestamp`), RFC 3339 in the CronJob's zone. */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** Upstream's `nextScheduleDelta`: the controller wakes this long after a schedule time (NTP skew). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

/** More missed schedule times than this is `TooManyMissedTimes` (upstream's "somewhat arbitrarily picked 100"). */
export const MAX_MISSED_SCHEDULES = 100;

/** How many schedule times passed unrun: none, a few, or more than {@link MAX_MISSED_SCHEDULES}. */
export type MissedSchedules = 'none' | 'few' | 'many';

/** The result of {@link mostRecentScheduleTime}. */
export interface MostRecentSchedule {
  /** The time counting starts from: `lastScheduleTime`, else the creation time (ms). */
  readonly earliest: number;
  /** The latest schedule time at or before now after `earliest`, if any (ms). */
  readonly mostRecent?: number | undefined;
  /** How many schedule times were missed. */
  readonly missed: MissedSchedules;
  /** Upstream's error for a schedule whose two next times are less than a second apart (or absent). */
  readonly error?: string | undefined;
}

/**
 * Upstream's `mostRecentScheduleTime`. Counting starts at `status.lastScheduleTime`, else the
 * CronJob's creation; with `includeStartingDeadline`, no earlier than `now −
 * startingDeadlineSeconds`. With `t1`, `t2` the two schedule times after it: nothing is due
 * when now < t1; t1 is when now < t2; otherwise the missed count is estimated as upstream does,
 * `⌊(now − t1) / (t2 − t1)⌋ + 1` in whole seconds, and the most recent time is found by
 * walking the schedule from `t1 + (count − 2)·(t2 − t1)`.
 *
 * Worked example: `*\/5 * * * *`, last scheduled 10:00, now 10:17 → t1 10:05, t2 10:10, 5-minute
 * interval, (17 − 5)/5 + 1 = 3 missed (10:05, 10:10, 10:15: "few"), most recent 10:15.
 * An hourly schedule last run 101 hours and 30 minutes ago has 101 missed: "many".
 */
export function mostRecentScheduleTime(cronJob: CronJob, now: number, schedule: CronSchedule, includeStartingDeadline: boolean): MostRecentSchedule {
  let earliest = parseTime(cronJob.metadata.creationTimestamp ?? '');
  if (cronJob.status.lastScheduleTime !== undefined) earliest = parseTime(cronJob.status.lastScheduleTime);
  if (Number.isNaN(earliest)) earliest = now;
  const deadline = cronJob.spec.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined) earliest = Math.max(earliest, now - deadline * 1000);
  const t1 = schedule.next(earliest);
  const t2 = t1 === undefined ? undefined : schedule.next(t1);
  const broken = { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' } as const;
  // robfig's zero time (no schedule time within five years, e.g. `0 0 31 2 *`) makes upstream's
  // interval negative: the same error.
  if (t1 === undefined) return broken;
  if (now < t1) return { earliest, missed: 'none' };
  if (t2 === undefined) return broken;
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const interval = Math.round((t2 - t1) / 1000);
  if (interval < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  const elapsed = Math.trunc((now - t1) / 1000);
  const count = Math.trunc(elapsed / interval) + 1;
  let mostRecent: number | undefined;
  for (let t = schedule.next(t1 + (count - 2) * interval * 1000); t !== undefined && t <= now; t = schedule.next(t)) mostRecent = t;
  const missed: MissedSchedules = count > MAX_MISSED_SCHEDULES ? 'many' : count > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/**
 * Upstream's `nextScheduleTimeDuration`: how long (ms) until the controller should look again,
 * {@link NEXT_SCHEDULE_DELTA_MS} after the next schedule time following the most recent one
 * (following now when the schedule is broken or times were missed without a recent one).
 */
export function nextScheduleDelay(cronJob: CronJob, now: number, schedule: CronSchedule): number | undefined {
  const r = mostRecentScheduleTime(cronJob, now, schedule, false);
  let from: number;
  if (r.error !== undefined) from = now;
  else if (r.mostRecent !== undefined) from = r.mostRecent;
  else from = r.missed === 'none' ? r.earliest : now;
  const next = schedule.next(from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - now;
}

/**
 * The name of the Job for a schedule time (upstream `getJobName`): the CronJob's name and the
 * time in minutes since the epoch, e.g. `hello-28470000` for 2024-02-18T16:00:00Z.
 */
export function cronJobJobName(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/**
 * An instant as RFC 3339 in a zone, as Go's `t.In(loc).Format(time.RFC3339)`:
 * `2024-03-10T03:30:00-04:00`, or `...Z` at a zero offset.
 */
export function formatInZone(ms: number, timeZone: string): string {
  const wall = wallClockMs(timeZone, ms);
  const offsetMin = Math.round((wall - ms) / 60_000);
  const base = formatTime(wall).slice(0, -1);
  // Go's `Z07:00` prints `Z` for any zero offset (London in winter too).
  if (offsetMin === 0) return `${base}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * The Job a CronJob creates for a schedule time (upstream `getJobFromTemplate2`): the
 * template's labels, annotations and spec, the name of {@link cronJobJobName}, the
 * {@link CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION}, and a controller reference to the CronJob.
 */
export function jobFromTemplate(cronJob: CronJob, scheduledMs: number, scheduledTimestamp: string): Job {
  const template = cronJob.spec.jobTemplate;
  const owner: OwnerReference = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    name: cronJob.metadata.name ?? '',
    uid: cronJob.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: cronJobJobName(cronJob.metadata.name ?? '', scheduledMs),
      namespace: cronJob.metadata.namespace,
      labels: { ...template.metadata.labels },
      annotations: { ...template.metadata.annotations, [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: scheduledTimestamp },
      ownerReferences: [owner],
    },
    spec: structuredClone(template.spec),
    status: {},
  };
}

/** The Job's finished condition (`Complete` or `Failed` with status True), as upstream's `FinishedCondition`. */
export function finishedCondition(job: Job): JobCondition | undefined {
  return job.status.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** A reference to a Job as `status.active` holds it (upstream `ref.GetReference`). */
export function jobReference(job: Job): ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    namespace: job.metadata.namespace,
    name: job.metadata.name,
    uid: job.metadata.uid,
    resourceVersion: job.metadata.resourceVersion,
  };
}

/**
 * The finished Jobs to delete beyond a history limit (upstream `removeOldestJobs`): the oldest
 * by `status.startTime` (Jobs without one last), ties by name.
 *
 * Worked example: limit 1 and Jobs started at 10:00, 10:01, 10:02 → delete the first two.
 */
export function oldestJobsBeyond(jobs: readonly Job[], limit: number): Job[] {
  const excess = jobs.length - limit;
  if (excess <= 0) return [];
  const start = (j: Job) => (j.status.startTime === undefined ? Number.POSITIVE_INFINITY : parseTime(j.status.startTime));
  const sorted = [...jobs].sort((a, b) => start(a) - start(b) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0));
  return sorted.slice(0, excess);
}

/** The Jobs to delete under the history limits (upstream `cleanupFinishedJobs`): successful beyond `successfulJobsHistoryLimit`, failed beyond `failedJobsHistoryLimit`. */
export function jobsBeyondHistoryLimits(cronJob: CronJob, jobs: readonly Job[]): Job[] {
  const succeeded = jobs.filter((j) => finishedCondition(j)?.type === 'Complete');
  const failed = jobs.filter((j) => finishedCondition(j)?.type === 'Failed');
  return [...oldestJobsBeyond(succeeded, cronJob.spec.successfulJobsHistoryLimit), ...oldestJobsBeyond(failed, cronJob.spec.failedJobsHistoryLimit)];
}

/** An event the controller records on the CronJob. */
export interface CronJobEvent {
  /** `Normal` or `Warning`. */
  readonly type: 'Normal' | 'Warning';
  /** Upstream's reason, e.g. `MissSchedule`. */
  readonly reason: string;
  /** Upstream's message. */
  readonly message: string;
}

/**
 * What a sync does about the schedule (the second half of upstream `syncCronJob`):
 * - `wait`: nothing is due (or the schedule time was already processed, or missed its
 *   starting deadline, or a running Job forbids another); look again after `requeueMs`;
 * - `start`: create the Job for `scheduledTime` (after deleting `replace`, the active Jobs
 *   under `concurrencyPolicy: Replace`), then look again after `requeueMs`;
 * - `stop`: the schedule is broken; do nothing until the CronJob changes.
 */
export type ScheduleDecision =
  | { readonly action: 'wait'; readonly requeueMs: number | undefined; readonly events: readonly CronJobEvent[] }
  | { readonly action: 'start'; readonly scheduledTime: number; readonly replace: readonly ObjectReference[]; readonly events: readonly CronJobEvent[] }
  | { readonly action: 'stop'; readonly events: readonly CronJobEvent[] };

/** A time as upstream's events print it: Go's RFC 1123 with a numeric zone, in UTC (`Sun, 10 Mar 2024 07:30:00 +0000`). */
export function formatRfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

/**
 * Decides what to do about the schedule of a CronJob that is not suspended nor being deleted,
 * whose `status.active` has been brought up to date with its Jobs (upstream `syncCronJob`
 * from `nextScheduleTime` on):
 *
 * 1. the most recent due schedule time, counted from `now − startingDeadlineSeconds` at the
 *    earliest; none → wait (more than 100 missed → `TooManyMissedTimes`, and the time is still run);
 * 2. past its starting deadline → `MissSchedule`, wait;
 * 3. its Job is already in `status.active`, or it is `lastScheduleTime` → wait;
 * 4. `Forbid` with an active Job → `JobAlreadyActive`, wait;
 * 5. otherwise start it (replacing the active Jobs under `Replace`).
 */
export function decideSchedule(cronJob: CronJob, now: number, schedule: CronSchedule): ScheduleDecision {
  const events: CronJobEvent[] = [];
  const r = mostRecentScheduleTime(cronJob, now, schedule, true);
  if (r.error !== undefined) {
    return { action: 'stop', events: [{ type: 'Warning', reason: 'InvalidSchedule', message: `invalid schedule: ${cronJob.spec.schedule} : ${r.error}` }] };
  }
  const requeueMs = () => nextScheduleDelay(cronJob, now, schedule);
  const scheduledTime = r.mostRecent;
  if (scheduledTime === undefined || scheduledTime > now) return { action: 'wait', requeueMs: requeueMs(), events };
  if (r.missed === 'many') {
    events.push({ type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' });
  }
  const deadline = cronJob.spec.startingDeadlineSeconds;
  if (deadline !== undefined && scheduledTime + deadline * 1000 < now) {
    events.push({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${formatRfc1123z(scheduledTime)}` });
    return { action: 'wait', requeueMs: requeueMs(), events };
  }
  const name = cronJobJobName(cronJob.metadata.name ?? '', scheduledTime);
  const active = cronJob.status.active ?? [];
  const last = cronJob.status.lastScheduleTime;
  if (active.some((a) => a.name === name && a.namespace === cronJob.metadata.namespace) || (last !== undefined && parseTime(last) === scheduledTime)) {
    return { action: 'wait', requeueMs: requeueMs(), events };
  }
  if (cronJob.spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
    events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return { action: 'wait', requeueMs: requeueMs(), events };
  }
  return { action: 'start', scheduledTime, replace: cronJob.spec.concurrencyPolicy === 'Replace' ? active : [], events };
}
