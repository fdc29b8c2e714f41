/**
 * The CronJob controller's decisions pin upstream's arithmetic (pkg/controller/cronjob/utils.go
 * `mostRecentScheduleTime`, `nextScheduleTimeDuration`, `getJobName`, `getJobFromTemplate2`,
 * `byJobStartTime`, and the checks of `syncCronJob`).
 */
import { describe, expect, it } from 'vitest';
import { CronJobSchema, JobSchema } from '@kubeloop/core';
import type { CronJob, Job } from '@kubeloop/core';
import {
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  cronJobJobName,
  decideSchedule,
  formatInZone,
  formatRfc1123z,
  jobFromTemplate,
  jobsBeyondHistoryLimits,
  mostRecentScheduleTime,
  nextScheduleDelay,
} from './decide.js';
import { parseCronSchedule } from './schedule.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z'));

function cronJob(spec: Record<string, unknown>, status: Record<string, unknown> = {}, created = '2024-01-01T10:00:00Z'): CronJob {
  return CronJobSchema.parse({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default', uid: 'uid-hello', creationTimestamp: created },
    spec: {
      jobTemplate: { metadata: { labels: { app: 'hello' }, annotations: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
    status,
  });
}

describe('mostRecentScheduleTime (upstream utils.go)', () => {
  const cases: {
    name: string;
    schedule: string;
    created?: string;
    last?: string;
    deadline?: number;
    now: string;
    include?: boolean;
    want: { mostRecent?: string; missed: string; error?: string };
  }[] = [
    { name: 'nothing due before the first time after creation', schedule: '*/5 * * * *', now: '2024-01-01T10:03:00Z', want: { missed: 'none' } },
    { name: 'the first time is due at that very instant', schedule: '*/5 * * * *', now: '2024-01-01T10:05:00Z', want: { mostRecent: '2024-01-01T10:05:00Z', missed: 'none' } },
    { name: 'one due, the next not yet', schedule: '*/5 * * * *', last: '2024-01-01T10:05:00Z', now: '2024-01-01T10:14:59Z', want: { mostRecent: '2024-01-01T10:10:00Z', missed: 'none' } },
    { name: 'three missed (10:05, 10:10, 10:15): the most recent is run', schedule: '*/5 * * * *', last: '2024-01-01T10:00:00Z', now: '2024-01-01T10:17:00Z', want: { mostRecent: '2024-01-01T10:15:00Z', missed: 'few' } },
    { name: 'hourly, 100 missed is still few', schedule: '0 * * * *', last: '2024-01-01T10:00:00Z', now: '2024-01-05T14:30:00Z', want: { mostRecent: '2024-01-05T14:00:00Z', missed: 'few' } },
    { name: 'hourly, 101 missed is many', schedule: '0 * * * *', last: '2024-01-01T10:00:00Z', now: '2024-01-05T15:30:00Z', want: { mostRecent: '2024-01-05T15:00:00Z', missed: 'many' } },
    {
      name: 'startingDeadlineSeconds bounds the count: 200 s back from 101 h later, nothing is due',
      schedule: '0 * * * *',
      last: '2024-01-01T10:00:00Z',
      deadline: 200,
      now: '2024-01-05T15:30:00Z',
      want: { missed: 'none' },
    },
    {
      name: 'startingDeadlineSeconds of an hour: only the last time is in reach, none missed',
      schedule: '0 * * * *',
      last: '2024-01-01T10:00:00Z',
      deadline: 3600,
      now: '2024-01-05T15:30:00Z',
      want: { mostRecent: '2024-01-05T15:00:00Z', missed: 'none' },
    },
    {
      name: 'the deadline is ignored for the requeue computation',
      schedule: '0 * * * *',
      last: '2024-01-01T10:00:00Z',
      deadline: 200,
      now: '2024-01-05T15:30:00Z',
      include: false,
      want: { mostRecent: '2024-01-05T15:00:00Z', missed: 'many' },
    },
    {
      name: 'an irregular schedule (30 6-16/4 * * 1-5) over a weekend',
      schedule: '30 6-16/4 * * 1-5',
      last: '2024-01-05T14:30:00Z',
      now: '2024-01-08T11:00:00Z',
      want: { mostRecent: '2024-01-08T10:30:00Z', missed: 'few' },
    },
    { name: '@every 1h counts from the creation time', schedule: '@every 1h', now: '2024-01-01T13:30:00Z', want: { mostRecent: '2024-01-01T13:00:00Z', missed: 'few' } },
    {
      name: 'a time zone: 09:00 in Tokyo is 00:00 UTC',
      schedule: '0 9 * * *',
      created: '2023-12-31T12:00:00Z',
      now: '2024-01-01T00:00:30Z',
      want: { mostRecent: '2024-01-01T00:00:00Z', missed: 'none' },
    },
    {
      name: 'a schedule that never comes (59 23 31 2 *) is an error',
      schedule: '59 23 31 2 *',
      now: '2024-01-01T11:00:00Z',
      want: { missed: 'none', error: 'time difference between two schedules is less than 1 second' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const timeZone = c.name.includes('Tokyo') ? 'Asia/Tokyo' : undefined;
      const cj = cronJob({ schedule: c.schedule, startingDeadlineSeconds: c.deadline, timeZone }, c.last === undefined ? {} : { lastScheduleTime: c.last }, c.created);
      const r = mostRecentScheduleTime(cj, at(c.now), parseCronSchedule(c.schedule, timeZone), c.include ?? true);
      expect({ mostRecent: iso(r.mostRecent), missed: r.missed, error: r.error }).toEqual({ mostRecent: c.want.mostRecent, missed: c.want.missed, error: c.want.error });
    });
  }
});

describe('nextScheduleDelay (upstream nextScheduleTimeDuration)', () => {
  it('wakes 100 ms after the next schedule time', () => {
    const cj = cronJob({ schedule: '*/5 * * * *' }, { lastScheduleTime: '2024-01-01T10:05:00Z' });
    expect(nextScheduleDelay(cj, at('2024-01-01T10:06:00Z'), parseCronSchedule('*/5 * * * *'))).toBe(4 * 60_000 + 100);
  });

  it('after missed times, counts from the most recent one', () => {
    const cj = cronJob({ schedule: '0 * * * *' }, { lastScheduleTime: '2024-01-01T10:00:00Z' });
    expect(nextScheduleDelay(cj, at('2024-01-05T15:30:00Z'), parseCronSchedule('0 * * * *'))).toBe(30 * 60_000 + 100);
  });

  it('before the first time, counts from the creation', () => {
    const cj = cronJob({ schedule: '*/5 * * * *' });
    expect(nextScheduleDelay(cj, at('2024-01-01T10:01:00Z'), parseCronSchedule('*/5 * * * *'))).toBe(4 * 60_000 + 100);
  });
});

describe('decideSchedule (upstream syncCronJob)', () => {
  const every5 = parseCronSchedule('*/5 * * * *');
  const ref = (name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'default', name, uid: `uid-${name}` });

  it('waits until the next time when nothing is due', () => {
    expect(decideSchedule(cronJob({ schedule: '*/5 * * * *' }), at('2024-01-01T10:01:00Z'), every5)).toEqual({ action: 'wait', requeueMs: 240_100, events: [] });
  });

  it('starts the due time', () => {
    const d = decideSchedule(cronJob({ schedule: '*/5 * * * *' }), at('2024-01-01T10:05:01Z'), every5);
    expect(d).toEqual({ action: 'start', scheduledTime: at('2024-01-01T10:05:00Z'), replace: [], events: [] });
  });

  it('does not start a time already run (lastScheduleTime) nor one whose Job is active', () => {
    const byLast = cronJob({ schedule: '*/5 * * * *' }, { lastScheduleTime: '2024-01-01T10:05:00Z' });
    expect(decideSchedule(byLast, at('2024-01-01T10:06:00Z'), every5).action).toBe('wait');
    const byActive = cronJob({ schedule: '*/5 * * * *' }, { active: [ref(cronJobJobName('hello', at('2024-01-01T10:05:00Z')))] });
    expect(decideSchedule(byActive, at('2024-01-01T10:06:00Z'), every5).action).toBe('wait');
  });

  it('Forbid: skips the time while a Job runs, with JobAlreadyActive', () => {
    const cj = cronJob({ schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid' }, { active: [ref('hello-1')] });
    expect(decideSchedule(cj, at('2024-01-01T10:05:00Z'), every5)).toEqual({
      action: 'wait',
      requeueMs: 300_100,
      events: [{ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' }],
    });
  });

  it('Replace: starts the time after deleting the active Jobs; Allow: alongside them', () => {
    const replace = cronJob({ schedule: '*/5 * * * *', concurrencyPolicy: 'Replace' }, { active: [ref('hello-1')] });
    expect(decideSchedule(replace, at('2024-01-01T10:05:00Z'), every5)).toMatchObject({ action: 'start', replace: [ref('hello-1')] });
    const allow = cronJob({ schedule: '*/5 * * * *' }, { active: [ref('hello-1')] });
    expect(decideSchedule(allow, at('2024-01-01T10:05:00Z'), every5)).toMatchObject({ action: 'start', replace: [] });
  });

  it('more than 100 missed times: TooManyMissedTimes, and the most recent still runs', () => {
    const cj = cronJob({ schedule: '0 * * * *' }, { lastScheduleTime: '2024-01-01T10:00:00Z' });
    const d = decideSchedule(cj, at('2024-01-05T15:30:00Z'), parseCronSchedule('0 * * * *'));
    expect(d).toEqual({
      action: 'start',
      scheduledTime: at('2024-01-05T15:00:00Z'),
      replace: [],
      events: [{ type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' }],
    });
  });

  it('startingDeadlineSeconds: a time older than the deadline is not run', () => {
    const cj = cronJob({ schedule: '*/5 * * * *', startingDeadlineSeconds: 60 });
    expect(decideSchedule(cj, at('2024-01-01T10:06:30Z'), every5).action).toBe('wait');
    expect(decideSchedule(cj, at('2024-01-01T10:05:59Z'), every5).action).toBe('start');
  });

  it('a schedule that never comes stops with InvalidSchedule', () => {
    const cj = cronJob({ schedule: '59 23 31 2 *' });
    expect(decideSchedule(cj, at('2024-01-02T00:00:00Z'), parseCronSchedule('59 23 31 2 *'))).toEqual({
      action: 'stop',
      events: [{ type: 'Warning', reason: 'InvalidSchedule', message: 'invalid schedule: 59 23 31 2 * : time difference between two schedules is less than 1 second' }],
    });
  });

  it('prints missed times as Go RFC 1123 with a numeric zone', () => {
    expect(formatRfc1123z(at('2024-03-10T07:30:00Z'))).toBe('Sun, 10 Mar 2024 07:30:00 +0000');
  });
});

describe('the Jobs a CronJob creates (upstream getJobFromTemplate2)', () => {
  it('names a Job after its schedule time in minutes since the epoch', () => {
    expect(cronJobJobName('hello', at('2024-02-18T16:00:00Z'))).toBe('hello-28471200');
    expect(cronJobJobName('hello', at('2024-02-18T16:00:59Z'))).toBe('hello-28471200');
  });

  it('writes the scheduled time in the CronJob zone, RFC 3339', () => {
    expect(formatInZone(at('2024-03-10T07:30:00Z'), 'America/New_York')).toBe('2024-03-10T03:30:00-04:00');
    expect(formatInZone(at('2024-01-01T03:30:00Z'), 'Asia/Kolkata')).toBe('2024-01-01T09:00:00+05:30');
    expect(formatInZone(at('2024-01-01T03:30:00Z'), 'UTC')).toBe('2024-01-01T03:30:00Z');
    expect(formatInZone(at('2024-01-01T03:30:00Z'), 'Europe/London')).toBe('2024-01-01T03:30:00Z');
    expect(formatInZone(at('2024-07-01T03:30:00Z'), 'Europe/London')).toBe('2024-07-01T04:30:00+01:00');
  });

  it("copies the template's labels, annotations and spec, and points its controller reference at the CronJob", () => {
    const cj = cronJob({ schedule: '*/5 * * * *' });
    const job = jobFromTemplate(cj, at('2024-01-01T10:05:00Z'), '2024-01-01T10:05:00Z');
    expect(job.metadata).toEqual({
      name: 'hello-28401725',
      namespace: 'default',
      labels: { app: 'hello' },
      annotations: { team: 'a', [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: '2024-01-01T10:05:00Z' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'uid-hello', controller: true, blockOwnerDeletion: true }],
    });
    expect(job.spec).toEqual(cj.spec.jobTemplate.spec);
  });
});

describe('history limits (upstream cleanupFinishedJobs / removeOldestJobs)', () => {
  const job = (name: string, condition: 'Complete' | 'Failed' | undefined, startTime?: string): Job =>
    JobSchema.parse({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: 'default' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
      status: { startTime, conditions: condition === undefined ? [] : [{ type: condition, status: 'True' }] },
    });

  it('deletes the oldest successful beyond 3 and failed beyond 1, by start time (none last), ties by name; never an active Job', () => {
    const jobs = [
      job('s-b', 'Complete', '2024-01-01T10:01:00Z'),
      job('s-a', 'Complete', '2024-01-01T10:01:00Z'),
      job('s-none', 'Complete'),
      job('s-c', 'Complete', '2024-01-01T10:00:00Z'),
      job('s-d', 'Complete', '2024-01-01T10:03:00Z'),
      job('f-1', 'Failed', '2024-01-01T10:00:00Z'),
      job('f-2', 'Failed', '2024-01-01T10:02:00Z'),
      job('running', undefined, '2023-01-01T00:00:00Z'),
    ];
    expect(jobsBeyondHistoryLimits(cronJob({ schedule: '* * * * *' }), jobs).map((j) => j.metadata.name)).toEqual(['s-c', 's-a', 'f-1']);
    expect(jobsBeyondHistoryLimits(cronJob({ schedule: '* * * * *', successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 5 }), jobs).map((j) => j.metadata.name)).toEqual([
      's-c',
      's-a',
      's-b',
      's-d',
      's-none',
    ]);
  });
});
