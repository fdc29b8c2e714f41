/**
 * The CronJob controller end to end on a SimCluster (upstream `pkg/controller/cronjob`, and
 * test/e2e/apps/cronjob.go for the scenarios): the kubernetes.io `cronjob.yaml` makes a Job a
 * minute; Forbid, Replace and Allow; suspend and missed schedules; history limits; time zones;
 * admission of bad schedules. No Job controller runs: the test finishes Jobs through their
 * status subresource, as a Job controller would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CronJobs, Events, Jobs, formatTime, isApiError } from '@kubeloop/core';
import type { CronJob, Event, Job } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, cronJobPlugin } from '@kubeloop/controllers';

/** kubernetes.io's `application/job/cronjob.yaml`, unchanged. */
const CRONJOB_YAML = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
`;

const key = (name: string) => ({ namespace: 'default', name });

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function cronCluster(): Promise<SimCluster> {
  cluster = await SimCluster.create({ seed: 1, nodes: 1, controllerManager: { plugins: [cronJobPlugin()] } });
  return cluster;
}

function cronJob(name: string, spec: Record<string, unknown>): object {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: { jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...spec },
  };
}

/** Advances to `seconds` past the next whole minute (virtual time starts at 2026-01-01T00:00:00Z). */
async function toSecond(c: SimCluster, seconds: number): Promise<void> {
  const now = c.clock.now();
  const next = Math.floor(now / 60_000) * 60_000 + seconds * 1000;
  await c.advance(next > now ? next - now : next + 60_000 - now);
}

const jobsOf = async (c: SimCluster, name: string) => (await c.list(Jobs, { namespace: 'default' })).items.filter((j) => j.metadata.ownerReferences?.[0]?.name === name);
const names = (jobs: readonly Job[]) => jobs.map((j) => j.metadata.name);
const eventsOf = async (c: SimCluster, reason: string) => (await c.list(Events, { namespace: 'default' })).items.filter((e: Event) => e.reason === reason).map((e) => e.message);

/** Marks a Job finished through its status subresource, as the Job controller would. */
async function finish(c: SimCluster, name: string, type: 'Complete' | 'Failed'): Promise<void> {
  const job = await c.get(Jobs, key(name));
  const now = formatTime(c.clock.now());
  await c.server.updateStatus(Jobs, {
    ...job,
    status: {
      ...job.status,
      startTime: job.status.startTime ?? now,
      ...(type === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
      conditions: [{ type, status: 'True', lastTransitionTime: now, lastProbeTime: now }],
    },
  });
  await c.advance(10);
}

const minute = (iso: string) => Date.parse(iso) / 60_000;

describe('cronjob.yaml (kubernetes.io)', () => {
  it('creates a Job every minute, named by the minute, owned by the CronJob and listed in status.active', async () => {
    const c = await cronCluster();
    await c.apply(CRONJOB_YAML, 'cronjob.yaml');
    await toSecond(c, 0);
    await c.advance(2 * 60_000 + 1_000);
    const jobs = await jobsOf(c, 'hello');
    expect(names(jobs)).toEqual([`hello-${minute('2026-01-01T00:01:00Z')}`, `hello-${minute('2026-01-01T00:02:00Z')}`, `hello-${minute('2026-01-01T00:03:00Z')}`]);
    const cj = await c.get(CronJobs, key('hello'));
    expect(jobs[0]!.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(jobs[0]!.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).toBe('2026-01-01T00:01:00Z');
    expect(jobs[0]!.spec.template.spec.containers[0]!.command).toEqual(['/bin/sh', '-c', 'date; echo Hello from the Kubernetes cluster']);
    expect(cj.status.active?.map((a) => a.name)).toEqual(names(jobs));
    expect(cj.status.lastScheduleTime).toBe('2026-01-01T00:03:00Z');
    expect(await eventsOf(c, 'SuccessfulCreate')).toEqual(names(jobs).map((n) => `Created job ${n}`));
  });

  it('sees Jobs finish: out of status.active, lastSuccessfulTime, and the history limits (3 successful, 1 failed) delete the oldest', async () => {
    const c = await cronCluster();
    await c.apply(CRONJOB_YAML, 'cronjob.yaml');
    await toSecond(c, 0);
    for (let i = 0; i < 6; i++) {
      await toSecond(c, 30);
      const [job] = (await jobsOf(c, 'hello')).filter((j) => (j.status.conditions ?? []).length === 0);
      await finish(c, job!.metadata.name!, i === 2 || i === 3 ? 'Failed' : 'Complete');
    }
    const cj = await c.get(CronJobs, key('hello'));
    expect(cj.status.active ?? []).toEqual([]);
    const jobs = await jobsOf(c, 'hello');
    const kept = (type: string) => names(jobs.filter((j) => j.status.conditions?.[0]?.type === type));
    // Jobs of minutes 1..6: 3 and 4 failed (only 4 kept), 1, 2, 5, 6 succeeded (2, 5, 6 kept).
    expect(kept('Complete')).toEqual([2, 5, 6].map((m) => `hello-${minute('2026-01-01T00:00:00Z') + m}`));
    expect(kept('Failed')).toEqual([`hello-${minute('2026-01-01T00:04:00Z')}`]);
    expect(cj.status.lastSuccessfulTime).toBe(jobs.at(-1)!.status.completionTime);
    expect(await eventsOf(c, 'SawCompletedJob')).toContain(`Saw completed job: hello-${minute('2026-01-01T00:03:00Z')}, condition: Failed`);
    expect(await eventsOf(c, 'SuccessfulDelete')).toEqual([`Deleted job hello-${minute('2026-01-01T00:03:00Z')}`, `Deleted job hello-${minute('2026-01-01T00:01:00Z')}`]);
  });
});

describe('concurrencyPolicy', () => {
  it('Forbid: skips the times while a Job runs (JobAlreadyActive); once it finishes, the most recent missed time runs at once', async () => {
    const c = await cronCluster();
    await c.apply(cronJob('forbid', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' }));
    await toSecond(c, 0);
    await c.advance(3 * 60_000 + 1_000);
    expect(names(await jobsOf(c, 'forbid'))).toEqual([`forbid-${minute('2026-01-01T00:01:00Z')}`]);
    expect((await eventsOf(c, 'JobAlreadyActive'))[0]).toBe('Not starting job because prior execution is running and concurrency policy is Forbid');
    await finish(c, `forbid-${minute('2026-01-01T00:01:00Z')}`, 'Complete');
    expect(names(await jobsOf(c, 'forbid'))).toEqual([`forbid-${minute('2026-01-01T00:01:00Z')}`, `forbid-${minute('2026-01-01T00:04:00Z')}`]);
    await toSecond(c, 1);
    expect(await jobsOf(c, 'forbid')).toHaveLength(2);
  });

  it('Forbid: an unfinished Job it controls but does not list (a crash between the create and the status write) counts as active: UnexpectedJob, and no second Job', async () => {
    const c = await cronCluster();
    await c.apply(cronJob('forbid', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' }));
    await c.advance(1_000);
    const cj = await c.get(CronJobs, key('forbid'));
    const owner = { apiVersion: 'batch/v1', kind: 'CronJob', name: 'forbid', uid: cj.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
    const template = (cj.spec.jobTemplate.spec as Job['spec']).template;
    await c.server.create(Jobs, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'forgotten', namespace: 'default', ownerReferences: [owner] }, spec: { template }, status: {} } as unknown as Job);
    await c.advance(2 * 60_000);
    expect(await eventsOf(c, 'UnexpectedJob')).toEqual(['Saw a job that the controller did not create or forgot: forgotten']);
    expect(names(await jobsOf(c, 'forbid'))).toEqual(['forgotten']);
    expect((await c.get(CronJobs, key('forbid'))).status.active?.map((a) => a.name)).toEqual(['forgotten']);
  });

  it('Replace: deletes the running Job and creates the new one; Allow: runs them side by side', async () => {
    const c = await cronCluster();
    await c.apply([cronJob('replace', { schedule: '* * * * *', concurrencyPolicy: 'Replace' }), cronJob('allow', { schedule: '* * * * *' })]);
    await toSecond(c, 0);
    await c.advance(2 * 60_000 + 1_000);
    expect(names(await jobsOf(c, 'replace'))).toEqual([`replace-${minute('2026-01-01T00:03:00Z')}`]);
    expect(await eventsOf(c, 'SuccessfulDelete')).toEqual([`Deleted job replace-${minute('2026-01-01T00:01:00Z')}`, `Deleted job replace-${minute('2026-01-01T00:02:00Z')}`]);
    expect((await c.get(CronJobs, key('replace'))).status.active?.map((a) => a.name)).toEqual([`replace-${minute('2026-01-01T00:03:00Z')}`]);
    expect(await jobsOf(c, 'allow')).toHaveLength(3);
  });
});

describe('suspend, missed schedules and startingDeadlineSeconds', () => {
  it('a suspended CronJob creates nothing; resumed, it runs only the most recent missed time', async () => {
    const c = await cronCluster();
    await c.apply(cronJob('nap', { schedule: '*/5 * * * *', suspend: true }));
    await c.advance(17 * 60_000);
    expect(await jobsOf(c, 'nap')).toEqual([]);
    await c.server.patch(CronJobs, key('nap'), { type: 'merge', body: { spec: { suspend: false } } });
    await c.advance(1_000);
    expect(names(await jobsOf(c, 'nap'))).toEqual([`nap-${minute('2026-01-01T00:15:00Z')}`]);
  });

  it('more than 100 missed times: the TooManyMissedTimes warning, and the most recent time still runs', async () => {
    const c = await cronCluster();
    await c.apply(cronJob('late', { schedule: '* * * * *', suspend: true }));
    await c.advance(102 * 60_000);
    await c.server.patch(CronJobs, key('late'), { type: 'merge', body: { spec: { suspend: false } } });
    await c.advance(1_000);
    expect(await eventsOf(c, 'TooManyMissedTimes')).toEqual(['too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew']);
    expect(await jobsOf(c, 'late')).toHaveLength(1);
  });

  it('startingDeadlineSeconds: a time missed by more than the deadline is not run; the next one is', async () => {
    const c = await cronCluster();
    await c.apply(cronJob('tight', { schedule: '*/5 * * * *', suspend: true, startingDeadlineSeconds: 30 }));
    await toSecond(c, 0);
    await c.advance(5 * 60_000 + 45_000); // 00:05:45, 45 s after the 00:05 time
    await c.server.patch(CronJobs, key('tight'), { type: 'merge', body: { spec: { suspend: false } } });
    await c.advance(1_000);
    expect(await jobsOf(c, 'tight')).toEqual([]);
    await c.advance(5 * 60_000);
    expect(names(await jobsOf(c, 'tight'))).toEqual([`tight-${minute('2026-01-01T00:10:00Z')}`]);
  });
});

describe('time zones', () => {
  it('runs at the wall-clock time of spec.timeZone and annotates the Job in that zone', async () => {
    const c = await cronCluster();
    // 00:05 UTC on 1 January 2026 is 09:05 in Tokyo.
    await c.apply(cronJob('tokyo', { schedule: '5 9 * * *', timeZone: 'Asia/Tokyo' }));
    await c.advance(6 * 60_000);
    const [job] = await jobsOf(c, 'tokyo');
    expect(job?.metadata.name).toBe(`tokyo-${minute('2026-01-01T00:05:00Z')}`);
    expect(job?.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).toBe('2026-01-01T09:05:00+09:00');
  });
});

describe('admission', () => {
  const refusal = async (c: SimCluster, cj: object): Promise<string> => {
    try {
      await c.server.create(CronJobs, cj as CronJob);
    } catch (error) {
      if (isApiError(error, 'Invalid')) return (error as Error).message;
      throw error;
    }
    return 'admitted';
  };

  it("refuses a bad schedule or time zone with the field path and upstream's message", async () => {
    const c = await cronCluster();
    expect(await refusal(c, cronJob('a', { schedule: '61 * * * *' }))).toContain('spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61');
    expect(await refusal(c, cronJob('b', { schedule: '0 0 * * 7' }))).toContain('spec.schedule: Invalid value: "0 0 * * 7": end of range (7) above maximum (6): 7');
    expect(await refusal(c, cronJob('c', { schedule: 'TZ=UTC 0 * * * *' }))).toContain('spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
    expect(await refusal(c, cronJob('d', { schedule: '0 * * * *', timeZone: 'Mars/Olympus_Mons' }))).toContain('spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons');
    // Core's shallow check of the kind, in robfig's words too.
    expect(await refusal(c, cronJob('f', { schedule: '* * * *' }))).toContain('spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]');
    expect(await refusal(c, cronJob('e', { schedule: '@hourly', timeZone: 'Europe/Paris' }))).toBe('admitted');
  });

  it('checks an update only when it changes the schedule or the zone', async () => {
    const c = await cronCluster();
    await c.apply(cronJob('edit', { schedule: '@hourly' }));
    await expect(c.server.patch(CronJobs, key('edit'), { type: 'merge', body: { spec: { schedule: '@fortnightly' } } })).rejects.toThrow('unrecognized descriptor: @fortnightly');
    await c.server.patch(CronJobs, key('edit'), { type: 'merge', body: { spec: { suspend: true } } });
    expect((await c.get(CronJobs, key('edit'))).spec.suspend).toBe(true);
  });
});
