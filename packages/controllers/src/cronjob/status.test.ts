/** The CronJob status from its Jobs (the first half of upstream `syncCronJob`). */
import { describe, expect, it } from 'vitest';
import { CronJobSchema, JobSchema } from '@kubeloop/core';
import type { CronJob, Job } from '@kubeloop/core';
import { adoptUnexpected, cronJobStatusEqual, reconcileActive } from './status.js';

const ref = (name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'default', name, uid: `uid-${name}` });

function cronJob(status: Record<string, unknown>): CronJob {
  return CronJobSchema.parse({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default', uid: 'uid-hello' },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    status,
  });
}

function job(name: string, condition?: 'Complete' | 'Failed', completionTime?: string): Job {
  return JobSchema.parse({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    status: { completionTime, conditions: condition === undefined ? [] : [{ type: condition, status: 'True' }] },
  });
}

describe('reconcileActive', () => {
  it('takes finished Jobs out of active with SawCompletedJob, keeps running ones', () => {
    const cj = cronJob({ active: [ref('a'), ref('b'), ref('c')] });
    const r = reconcileActive(cj, [job('a', 'Complete', '2024-01-01T10:01:00Z'), job('b', 'Failed'), job('c')]);
    expect(r.status.active).toEqual([ref('c')]);
    expect(r.events).toEqual([
      { type: 'Normal', reason: 'SawCompletedJob', message: 'Saw completed job: a, condition: Complete' },
      { type: 'Normal', reason: 'SawCompletedJob', message: 'Saw completed job: b, condition: Failed' },
    ]);
    expect(r.status.lastSuccessfulTime).toBe('2024-01-01T10:01:00Z');
  });

  it('moves lastSuccessfulTime to the latest completion of a succeeded Job, never back, and not for failed ones', () => {
    const cj = cronJob({ lastSuccessfulTime: '2024-01-01T10:05:00Z' });
    const r = reconcileActive(cj, [job('old', 'Complete', '2024-01-01T10:01:00Z'), job('new', 'Complete', '2024-01-01T10:07:00Z'), job('bad', 'Failed', '2024-01-01T10:09:00Z')]);
    expect(r.status.lastSuccessfulTime).toBe('2024-01-01T10:07:00Z');
    expect(reconcileActive(cj, [job('old', 'Complete', '2024-01-01T10:01:00Z')]).status.lastSuccessfulTime).toBe('2024-01-01T10:05:00Z');
  });

  it('reports unfinished Jobs missing from active (UnexpectedJob candidates) and active entries without a Job (MissingJob candidates)', () => {
    const cj = cronJob({ active: [ref('gone')] });
    const r = reconcileActive(cj, [job('stray'), job('done', 'Complete')]);
    expect(r.unexpected.map((j) => j.metadata.name)).toEqual(['stray']);
    expect(r.missing).toEqual([ref('gone')]);
    expect(r.status.active).toEqual([ref('gone')]);
  });

  it('does not count a Job being deleted as unexpected', () => {
    const deleting = JobSchema.parse({ ...job('going'), metadata: { ...job('going').metadata, deletionTimestamp: '2024-01-01T10:00:00Z' } });
    expect(reconcileActive(cronJob({}), [deleting]).unexpected).toEqual([]);
  });

  it('adopts unexpected Jobs into active and moves lastScheduleTime up to their scheduled time, never back', () => {
    const forgotten = JobSchema.parse({ ...job('hello-28401725'), metadata: { ...job('hello-28401725').metadata, annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2024-01-01T10:05:00Z' } } });
    const adopted = adoptUnexpected({ active: [], lastScheduleTime: '2024-01-01T10:00:00Z' }, [forgotten]);
    expect(adopted).toEqual({ active: [{ apiVersion: 'batch/v1', kind: 'Job', namespace: 'default', name: 'hello-28401725', uid: 'uid-hello-28401725' }], lastScheduleTime: '2024-01-01T10:05:00Z' });
    expect(adoptUnexpected({ lastScheduleTime: '2024-01-01T10:10:00Z' }, [forgotten]).lastScheduleTime).toBe('2024-01-01T10:10:00Z');
    expect(adoptUnexpected({}, [job('no-annotation')])).toMatchObject({ active: [{ name: 'no-annotation' }] });
  });

  it('compares statuses by their active references and times', () => {
    expect(cronJobStatusEqual({ active: [ref('a')] }, { active: [ref('a')] })).toBe(true);
    expect(cronJobStatusEqual({ active: [] }, {})).toBe(true);
    expect(cronJobStatusEqual({ active: [ref('a')] }, { active: [ref('b')] })).toBe(false);
    expect(cronJobStatusEqual({ lastScheduleTime: 'x' }, {})).toBe(false);
  });
});
