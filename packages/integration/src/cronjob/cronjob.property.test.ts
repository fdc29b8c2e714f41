/**
 * Safety and liveness of the CronJob controller under random Job completions and failures,
 * Job deletions, suspend toggles and waits, with controller-manager crashes, 5xx and 409 write
 * errors, cut watches, a lagging Job or CronJob cache and clock jumps: a Forbid CronJob never
 * has two active Jobs; every Job is for a time its schedule names (computed with croner in the
 * invariant, not by the controller's code), and no time is run twice; once the faults stop and
 * the cluster settles, `status.active` lists exactly the running Jobs.
 *
 * The invariants are the plugin's (checkCluster collects them); no Job controller runs, the
 * steps finish Jobs through their status subresource as one would.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CronJobs, Jobs, formatTime } from '@kubeloop/core';
import type { CronJob, Plugin } from '@kubeloop/core';
import { DEEP, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { cronJobPlugin } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 250 : 8;
const MAX_STEPS = 10;
const NAMES = ['allow', 'forbid', 'replace', 'kolkata'] as const;

type Step =
  | { readonly kind: 'finish'; readonly pick: number; readonly succeeded: boolean }
  | { readonly kind: 'deleteJob'; readonly pick: number }
  | { readonly kind: 'suspend'; readonly cronJob: number; readonly suspend: boolean }
  | { readonly kind: 'wait'; readonly ms: number }
  /** For the pinned cases: fail, or delete, the newest Job of a CronJob. */
  | { readonly kind: 'newest'; readonly cronJob: number; readonly action: 'fail' | 'delete' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(20), succeeded: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteJob' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('suspend' as const), cronJob: fc.nat(NAMES.length - 1), suspend: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 2_000 }) }, { weight: 3, arbitrary: fc.integer({ min: 20_000, max: 240_000 }) }) }) },
);
const steps = fc.array(step, { minLength: 1, maxLength: MAX_STEPS });

function cronJobs(): object[] {
  const template = { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } };
  const cj = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'default' }, spec: { jobTemplate: template, ...spec } });
  return [
    cj('allow', { schedule: '* * * * *', successfulJobsHistoryLimit: 2 }),
    cj('forbid', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' }),
    cj('replace', { schedule: '* * * * *', concurrencyPolicy: 'Replace', startingDeadlineSeconds: 30 }),
    cj('kolkata', { schedule: '*/4 * * * 1-5', timeZone: 'Asia/Kolkata', concurrencyPolicy: 'Forbid', failedJobsHistoryLimit: 0 }),
  ];
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  const server = cluster.server;
  switch (s.kind) {
    case 'finish': {
      const running = (await server.list(Jobs, { namespace: 'default' })).items.filter((j) => (j.status.conditions ?? []).length === 0 && j.metadata.deletionTimestamp === undefined);
      const job = running[s.pick % Math.max(1, running.length)];
      if (job === undefined) return;
      const now = formatTime(cluster.clock.now());
      const type = s.succeeded ? 'Complete' : 'Failed';
      await server
        .updateStatus(Jobs, { ...job, status: { ...job.status, startTime: job.status.startTime ?? now, ...(s.succeeded ? { completionTime: now, succeeded: 1 } : { failed: 1 }), conditions: [{ type, status: 'True', lastTransitionTime: now }] } })
        .catch(() => undefined);
      return;
    }
    case 'deleteJob': {
      const jobs = (await server.list(Jobs, { namespace: 'default' })).items;
      const job = jobs[s.pick % Math.max(1, jobs.length)];
      if (job !== undefined) await server.delete(Jobs, { namespace: 'default', name: job.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'suspend':
      await server.patch(CronJobs, { namespace: 'default', name: NAMES[s.cronJob]! }, { type: 'merge', body: { spec: { suspend: s.suspend } } });
      return;
    case 'wait':
      await context.advance(s.ms);
      return;
    case 'newest': {
      const name = NAMES[s.cronJob]!;
      const jobs = (await server.list(Jobs, { namespace: 'default' })).items.filter((j) => j.metadata.ownerReferences?.[0]?.name === name);
      const job = jobs.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')).at(-1);
      if (job === undefined) return;
      if (s.action === 'delete') {
        await server.delete(Jobs, { namespace: 'default', name: job.metadata.name ?? '' });
        return;
      }
      const now = formatTime(cluster.clock.now());
      await server.updateStatus(Jobs, { ...job, status: { ...job.status, startTime: now, failed: 1, conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: now }] } });
      return;
    }
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'finish':
      return `${s.succeeded ? 'complete' : 'fail'} running Job #${s.pick} (modulo their count)`;
    case 'deleteJob':
      return `delete Job #${s.pick} (modulo their count)`;
    case 'suspend':
      return `${s.suspend ? 'suspend' : 'resume'} ${NAMES[s.cronJob]}`;
    case 'wait':
      return `wait ${s.ms} ms`;
    case 'newest':
      return `${s.action} the newest Job of ${NAMES[s.cronJob]}`;
  }
}

/** Four CronJobs created, and their first Jobs, before the faults start; the plugin's invariants after every step, while settling and over two minutes after. */
function options(name: string, faults: fc.Arbitrary<FaultSchedule>, cronJob: Plugin = cronJobPlugin()): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: 1, controllerManager: { plugins: [cronJob] } },
    setup: async (cluster) => {
      await cluster.apply(cronJobs());
      await cluster.advance(150_000);
    },
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    stepMs: 1,
    // Under a minute (a Job a minute is a change), over the 30 s an informer may back off.
    settleQuietMs: 35_000,
    settleMaxMs: 300_000,
    // Over two schedule times: a controller that misjudges them shows it after the faults too.
    stableMs: 130_000,
    runs: RUNS,
  };
}

const crashes = faultSchedules({ kinds: ['crash', 'writeError', 'latency'], maxFaults: 4, maxWrite: 30, steps: MAX_STEPS });

describe('CronJob under random changes', () => {
  it('for any sequence of Job completions, failures, deletions, suspends and waits, with crashes and write errors: Forbid never runs two Jobs, every Job is for a schedule time and no time runs twice; after settling, status.active lists the running Jobs', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], crashes);
    await checkCluster(options('cronjob: crashes and write errors', faults));
  }, 180_000);

  it('the same holds with cut watches, lagging Job and CronJob caches and clock jumps', async () => {
    const lag = (resource: string) => fc.record({ kind: fc.constant('staleReads' as const), resource: fc.constant(resource), lag: fc.integer({ min: 1, max: 5 }), holdMs: fc.integer({ min: 100, max: 5_000 }) });
    const faults = faultSchedulesWith(
      [fc.oneof(lag('jobs.batch'), lag('cronjobs.batch'))],
      faultSchedules({ kinds: ['expireWatches', 'clockJump', 'crash'], maxFaults: 3, maxWrite: 30, steps: MAX_STEPS }),
    );
    await checkCluster(options('cronjob: stale caches and clock jumps', faults));
  }, 180_000);
});

describe('CronJob: cases the properties found, pinned', () => {
  it('a CronJob cache one event behind the controller\'s own write does not run a time again once its Job is deleted (fast-check seed 20261122, run 59)', async () => {
    // Forbid's first Job fails, so the 00:02 time runs at once; its Job is deleted 1 ms later,
    // while the controller's CronJob cache still shows the status before that run.
    const actions: Step[] = [
      { kind: 'newest', cronJob: 1, action: 'fail' },
      { kind: 'newest', cronJob: 1, action: 'delete' },
    ];
    const outcome = await runCase(options('cronjob: pinned stale cache', fc.constant([])), 0, actions, [{ kind: 'staleReads', resource: 'cronjobs.batch', lag: 1, holdMs: 100 }]);
    expect(outcome.failure).toBeUndefined();
  });
});

/** A CronJob controller that sees each CronJob through `edit` (broken on purpose). */
function seesCronJob(edit: (cronJob: CronJob) => CronJob): Plugin {
  return sabotaged(cronJobPlugin(), { read: (resource, o) => (resource.kind === 'CronJob' ? edit(o as CronJob) : o) });
}

/** The violation of the first invariant a fixed case fails with `broken` (`invariant: message`); the real controller passes it. */
async function brokenFails(broken: Plugin, actions: readonly Step[]): Promise<string | undefined> {
  const real = await runCase(options('cronjob: real', fc.constant([])), 1, actions, []);
  if (real.failure !== undefined) console.error(JSON.stringify(real.failure, null, 2));
  expect(real.failure).toBeUndefined();
  const outcome = await runCase(options('cronjob: broken', fc.constant([]), broken), 1, actions, []);
  return outcome.failure === undefined ? undefined : `${outcome.failure.invariant}: ${outcome.failure.violations[0]?.message ?? ''}`;
}

describe('the CronJob invariants fail on a CronJob controller broken on purpose', () => {
  it('one that ignores concurrencyPolicy Forbid fails cronJobForbidConcurrency', async () => {
    const broken = seesCronJob((cj) => ({ ...cj, spec: { ...cj.spec, concurrencyPolicy: 'Allow' } }));
    expect(await brokenFails(broken, [{ kind: 'wait', ms: 60_000 }])).toBe('cronJobForbidConcurrency: concurrencyPolicy is Forbid and 2 Jobs are active: forbid-29453761, forbid-29453762');
  }, 60_000);

  it('one that ignores spec.timeZone (schedules in UTC) fails cronJobJobsOnSchedule', async () => {
    const broken = seesCronJob(({ spec: { timeZone: _, ...spec }, ...cj }) => ({ ...cj, spec }) as CronJob);
    expect(await brokenFails(broken, [{ kind: 'wait', ms: 240_000 }])).toBe('cronJobJobsOnSchedule: Job kolkata-29453764 of CronJob kolkata (*/4 * * * 1-5): the schedule does not name 2026-01-01T00:04:00Z in Asia/Kolkata');
  }, 60_000);

  it('one that ignores status.lastScheduleTime (reckons from its creation) runs a time again once its Job is deleted: cronJobOneJobPerTime', async () => {
    const broken = seesCronJob(({ status: { lastScheduleTime: _, ...status }, ...cj }) => ({ ...cj, status }) as CronJob);
    expect(await brokenFails(broken, [{ kind: 'newest', cronJob: 0, action: 'delete' }, { kind: 'wait', ms: 1_000 }])).toBe('cronJobOneJobPerTime: Job allow-29453762 is a second Job for the scheduled time 2026-01-01T00:02:00Z (after allow-29453762)');
  }, 60_000);

  it('one whose status writes never take a Job off status.active fails cronJobActiveMatchesJobs once a Job finishes', async () => {
    const broken = sabotaged(cronJobPlugin(), {
      rewriteStatus: (resource, o, stored) => {
        if (resource.kind !== 'CronJob') return o;
        const kept = ((stored as CronJob).status.active ?? []).filter((a) => !((o as CronJob).status.active ?? []).some((b) => b.uid === a.uid));
        return { ...o, status: { ...(o as CronJob).status, active: [...kept, ...((o as CronJob).status.active ?? [])] } } as CronJob;
      },
    });
    expect(await brokenFails(broken, [{ kind: 'finish', pick: 0, succeeded: true }, { kind: 'wait', ms: 1_000 }])).toBe('cronJobActiveMatchesJobs: status.active lists [allow-29453761, allow-29453762, allow-29453763], the active Jobs are [allow-29453762, allow-29453763]');
  }, 60_000);
});
