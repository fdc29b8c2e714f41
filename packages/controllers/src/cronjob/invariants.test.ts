/**
 * The CronJob invariants find what they promise, on states a controller broken on purpose
 * would leave: two running Jobs under Forbid, a Job for a time the schedule does not name (or
 * misnamed, or for a time in the future), a time run twice.
 */
import { describe, expect, it } from 'vitest';
import { CronJobSchema, JobSchema, clusterState } from '@kubeloop/core';
import type { CronJob, Job, StateChange } from '@kubeloop/core';
import { cronJobActiveMatchesJobsInvariant, cronJobForbidConcurrencyInvariant, cronJobJobsOnScheduleInvariant, cronJobOneJobPerTimeInvariant } from './invariants.js';

const cron = (spec: Record<string, unknown> = {}): CronJob =>
  CronJobSchema.parse({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default', uid: 'uid-hello', creationTimestamp: '2024-01-01T09:00:00Z' },
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...spec },
  });

/** A Job of the CronJob for `scheduled`, named as it should be unless `name` says otherwise. */
const job = (scheduled: string, opts: { name?: string; done?: boolean; created?: string; uid?: string } = {}): Job =>
  JobSchema.parse({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: opts.name ?? `hello-${Date.parse(scheduled) / 60_000}`,
      namespace: 'default',
      uid: opts.uid ?? `uid-${scheduled}`,
      creationTimestamp: opts.created ?? scheduled,
      annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': scheduled },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'uid-hello', controller: true }],
    },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    status: { conditions: opts.done === true ? [{ type: 'Complete', status: 'True' }] : [] },
  });

const messages = (vs: readonly { message: string }[]) => vs.map((v) => v.message);

describe('cronJobForbidConcurrency', () => {
  it('holds with one running Job and finished ones', () => {
    const s = clusterState([cron({ concurrencyPolicy: 'Forbid' }), job('2024-01-01T10:00:00Z', { done: true }), job('2024-01-01T10:05:00Z')]);
    expect(cronJobForbidConcurrencyInvariant.check(s, undefined)).toEqual([]);
  });

  it('fails when a Forbid CronJob has two running Jobs (a controller that ignores the policy)', () => {
    const s = clusterState([cron({ concurrencyPolicy: 'Forbid' }), job('2024-01-01T10:00:00Z'), job('2024-01-01T10:05:00Z')]);
    expect(messages(cronJobForbidConcurrencyInvariant.check(s, undefined))).toEqual(['concurrencyPolicy is Forbid and 2 Jobs are active: hello-28401720, hello-28401725']);
    expect(cronJobForbidConcurrencyInvariant.check(clusterState([cron(), job('2024-01-01T10:00:00Z'), job('2024-01-01T10:05:00Z')]), undefined)).toEqual([]);
  });
});

describe('cronJobJobsOnSchedule', () => {
  it('holds for Jobs at schedule times, also in a time zone', () => {
    expect(cronJobJobsOnScheduleInvariant.check(clusterState([cron(), job('2024-01-01T10:05:00Z')]), undefined)).toEqual([]);
    const tokyo = cron({ schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' });
    expect(cronJobJobsOnScheduleInvariant.check(clusterState([tokyo, job('2024-01-02T09:00:00+09:00')]), undefined)).toEqual([]);
  });

  it('fails for a time the schedule does not name, a wrong name, a time in the future or before the CronJob', () => {
    const cases: [Job, string][] = [
      [job('2024-01-01T10:03:00Z'), 'the schedule does not name 2024-01-01T10:03:00Z in UTC'],
      [job('2024-01-01T10:05:00Z', { name: 'hello-1' }), 'name is not hello-28401725 for 2024-01-01T10:05:00Z'],
      [job('2024-01-01T10:05:00Z', { created: '2024-01-01T10:04:00Z' }), "scheduled time 2024-01-01T10:05:00Z is after the Job's creation 2024-01-01T10:04:00Z"],
      [job('2024-01-01T08:55:00Z'), "scheduled time 2024-01-01T08:55:00Z is not after the CronJob's creation 2024-01-01T09:00:00Z"],
    ];
    for (const [j, why] of cases) {
      expect(messages(cronJobJobsOnScheduleInvariant.check(clusterState([cron(), j]), undefined))).toEqual([`Job ${j.metadata.name} of CronJob hello (*/5 * * * *): ${why}`]);
    }
    // 09:00 UTC is 18:00 in Tokyo: not a time of `0 9 * * *` there.
    const tokyo = cron({ schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' });
    expect(cronJobJobsOnScheduleInvariant.check(clusterState([tokyo, job('2024-01-02T09:00:00Z')]), undefined)).toHaveLength(1);
  });
});

describe('cronJobOneJobPerTime', () => {
  const added = (j: Job): StateChange => ({ type: 'ADDED', object: j });
  const deleted = (j: Job): StateChange => ({ type: 'DELETED', object: j });

  it('holds when each time gets one Job', () => {
    const a = job('2024-01-01T10:00:00Z');
    const b = job('2024-01-01T10:05:00Z');
    const s0 = clusterState([cron(), a], 0, [added(a)]);
    const s1 = clusterState([cron(), a, b], 1, [added(b)], s0);
    expect(cronJobOneJobPerTimeInvariant.check(s1, s0)).toEqual([]);
  });

  it('fails when a time is run again after its Job was deleted (a controller that forgets lastScheduleTime)', () => {
    const a = job('2024-01-01T10:00:00Z');
    const again = job('2024-01-01T10:00:00Z', { uid: 'uid-again' });
    const s0 = clusterState([cron(), a], 0, [added(a)]);
    const s1 = clusterState([cron()], 1, [deleted(a)], s0);
    const s2 = clusterState([cron(), again], 2, [added(again)], s1);
    expect(messages(cronJobOneJobPerTimeInvariant.check(s2, s1))).toEqual(['Job hello-28401720 is a second Job for the scheduled time 2024-01-01T10:00:00Z (after hello-28401720)']);
  });

  it('fails for two Jobs of one time created in the same step, whatever their names', () => {
    const a = job('2024-01-01T10:00:00Z');
    const b = job('2024-01-01T10:00:00Z', { name: 'hello-other', uid: 'uid-b' });
    const s0 = clusterState([cron()], 0, []);
    const s1 = clusterState([cron(), a, b], 1, [added(a), added(b)], s0);
    expect(cronJobOneJobPerTimeInvariant.check(s1, s0)).toHaveLength(1);
  });
});

describe('cronJobActiveMatchesJobs', () => {
  const withActive = (names: string[]) => CronJobSchema.parse({ ...cron(), status: { active: names.map((n) => ({ kind: 'Job', namespace: 'default', name: n, uid: `uid-${n}` })) } });

  it('holds when status.active lists the running Jobs', () => {
    const running = job('2024-01-01T10:05:00Z', { uid: 'uid-hello-28401725' });
    expect(cronJobActiveMatchesJobsInvariant.check(clusterState([withActive(['hello-28401725']), running, job('2024-01-01T10:00:00Z', { done: true })]), undefined)).toEqual([]);
  });

  it('fails for a finished Job still listed, or a running Job left out (a controller that never updates active)', () => {
    const done = job('2024-01-01T10:00:00Z', { done: true, uid: 'uid-hello-28401720' });
    expect(messages(cronJobActiveMatchesJobsInvariant.check(clusterState([withActive(['hello-28401720']), done]), undefined))).toEqual(['status.active lists [hello-28401720], the active Jobs are []']);
    expect(messages(cronJobActiveMatchesJobsInvariant.check(clusterState([withActive([]), job('2024-01-01T10:05:00Z')]), undefined))).toEqual(['status.active lists [], the active Jobs are [hello-28401725]']);
  });
});
