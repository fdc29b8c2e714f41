/**
 * Safety and liveness of the Job controller under random Jobs (NonIndexed and Indexed, pods that
 * succeed or fail), pod deletions, suspensions, parallelism changes and node failures, with and
 * without controller-manager crashes, cut watches and a lagging pod cache. In every state the
 * store went through (a controller may break a rule with one write and mend it with the next): no
 * NonIndexed Job counts more successes than its completions allow, no index succeeds twice, no
 * finished Job has an active pod, no pod is created beyond `parallelism` or the completions
 * missing. After settling: every Job has finished, its pods carry no tracking finalizer and
 * nothing is left uncounted — each pod counted exactly once, whatever the controller missed
 * (upstream's finalizer-based tracking).
 *
 * The faults are the toolkit's (`@kubeloop/testing`), played by `checkCluster`, which shrinks a
 * failure and prints a replay command.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Jobs, Pods, invariant, refOf } from '@kubeloop/core';
import type { Invariant, Job, Patch, Plugin } from '@kubeloop/core';
import { DEEP, checkCluster, everyState, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import {
  EXPECTATIONS_TIMEOUT_MS,
  finishedJobHasNoActivePodsInvariant,
  indexesSucceedOnceInvariant,
  jobNotOvercreatedInvariant,
  jobPlugin,
  succeededWithinCompletionsInvariant,
  trackingFinalizersReleasedInvariant,
} from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 200 : 8;
const MAX_STEPS = 8;
const NODES = 3;

/** A Job the test creates: its shape and what its pods do. */
interface JobShape {
  readonly indexed: boolean;
  readonly completions: number;
  readonly parallelism: number;
  readonly backoffLimit: number;
  /** Seconds each pod runs. */
  readonly runS: number;
  /** Exit code of each pod (0 succeeds). */
  readonly exitCode: number;
}

type Step =
  | { readonly kind: 'create'; readonly job: JobShape }
  | { readonly kind: 'deletePod'; readonly pick: number }
  | { readonly kind: 'suspend'; readonly pick: number; readonly suspend: boolean }
  | { readonly kind: 'parallelism'; readonly pick: number; readonly parallelism: number }
  | { readonly kind: 'wait'; readonly ms: number }
  /** Deletes Job #pick with its pods left behind (fixed cases only: the cluster runs no garbage collector). */
  | { readonly kind: 'deleteJob'; readonly pick: number };

const shape: fc.Arbitrary<JobShape> = fc.record({
  indexed: fc.boolean(),
  completions: fc.integer({ min: 1, max: 5 }),
  parallelism: fc.integer({ min: 1, max: 3 }),
  backoffLimit: fc.integer({ min: 0, max: 3 }),
  runS: fc.integer({ min: 1, max: 20 }),
  exitCode: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 42) }),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('create' as const), job: shape }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('suspend' as const), pick: fc.nat(10), suspend: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('parallelism' as const), pick: fc.nat(10), parallelism: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 30_000 })) }) },
);
const steps = fc.array(step, { minLength: 1, maxLength: MAX_STEPS });

let created = 0;

function manifest(name: string, s: JobShape): object {
  const behavior = s.exitCode === 0 ? `complete-after=${s.runS}s` : `crash-after=${s.runS}s,exit-code=${s.exitCode}`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      completions: s.completions,
      parallelism: s.parallelism,
      backoffLimit: s.backoffLimit,
      ...(s.indexed ? { completionMode: 'Indexed' } : {}),
      template: { metadata: { annotations: { 'kubeloop.dev/behavior': behavior } }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
    },
  };
}

async function pickJob(cluster: SimCluster, pick: number): Promise<Job | undefined> {
  const jobs = (await cluster.server.list(Jobs, { namespace: 'default' })).items;
  return jobs[pick % Math.max(1, jobs.length)];
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  const server = cluster.server;
  switch (s.kind) {
    case 'create':
      await cluster.apply([manifest(`job-${created++}`, s.job)]);
      return;
    case 'deletePod': {
      const pods = (await server.list(Pods, { namespace: 'default' })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
      const pod = pods[s.pick % Math.max(1, pods.length)];
      if (pod !== undefined) await server.delete(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'suspend': {
      const job = await pickJob(cluster, s.pick);
      if (job !== undefined) await server.patch(Jobs, { namespace: 'default', name: job.metadata.name ?? '' }, { type: 'merge', body: { spec: { suspend: s.suspend } } }).catch(() => undefined);
      return;
    }
    case 'parallelism': {
      const job = await pickJob(cluster, s.pick);
      if (job !== undefined) await server.patch(Jobs, { namespace: 'default', name: job.metadata.name ?? '' }, { type: 'merge', body: { spec: { parallelism: s.parallelism } } }).catch(() => undefined);
      return;
    }
    case 'wait':
      await context.advance(s.ms);
      return;
    case 'deleteJob': {
      const job = await pickJob(cluster, s.pick);
      if (job !== undefined) await server.delete(Jobs, { namespace: 'default', name: job.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'create':
      return `create a Job ${JSON.stringify(s.job)}`;
    case 'deletePod':
      return `delete active pod #${s.pick} (modulo their count)`;
    case 'suspend':
      return `set suspend=${s.suspend} on Job #${s.pick}`;
    case 'parallelism':
      return `set parallelism=${s.parallelism} on Job #${s.pick}`;
    case 'wait':
      return `wait ${s.ms} ms`;
    case 'deleteJob':
      return `delete Job #${s.pick}`;
  }
}

/**
 * After settling, every Job that is neither suspended nor at parallelism 0 has finished
 * (`Complete` or `Failed`): its pods all end within seconds, and back-off never exceeds a minute
 * with these back-off limits.
 */
const jobsFinished: Invariant = invariant('jobsFinished', 'After settling, every Job that can run has finished.', (state) =>
  state
    .of<Job>('Job')
    .filter((j) => j.spec.suspend !== true && j.spec.parallelism !== 0)
    .filter((j) => !(j.status.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'))
    .map((j) => ({ message: `has not finished: ${JSON.stringify(j.status)}`, objects: [refOf(j)] })),
);

const RESYNC_MS = EXPECTATIONS_TIMEOUT_MS + 30_000;
const SETTLE_QUIET_MS = EXPECTATIONS_TIMEOUT_MS + RESYNC_MS + 30_000;

const nodeFaults = (maxFaults: number) => faultSchedules({ kinds: ['stopNode', 'restoreNode'], maxFaults, steps: MAX_STEPS, nodes: NODES });
const earlyCrash = faultArbitrary({ kinds: ['crash'], maxWrite: 15 });
const moreCrashes = faultSchedules({ kinds: ['crash', 'stopNode', 'restoreNode'], maxFaults: 3, maxWrite: 40, steps: MAX_STEPS, nodes: NODES });

function options(name: string, faults: fc.Arbitrary<FaultSchedule>, job: Plugin = jobPlugin()): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODES, controllerManager: { plugins: [job], resyncMs: RESYNC_MS } },
    setup: async (cluster) => {
      created = 0;
      await cluster.apply([manifest('seed', { indexed: true, completions: 3, parallelism: 2, backoffLimit: 2, runS: 5, exitCode: 0 })]);
      await cluster.advance(1_000);
    },
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    // Checked on every state the store went through, not only at the end of each step: a
    // controller may break a rule for a moment and mend it with its next write.
    safety: [...[succeededWithinCompletionsInvariant, indexesSucceedOnceInvariant, finishedJobHasNoActivePodsInvariant].map((i) => everyState(i, { kinds: ['Job', 'Pod'] })), jobNotOvercreatedInvariant],
    liveness: [jobsFinished, trackingFinalizersReleasedInvariant],
    stepMs: 1,
    settleQuietMs: SETTLE_QUIET_MS,
    settleMaxMs: 1_800_000,
    stableMs: 10_000,
    runs: RUNS,
  };
}

describe('Job controller under random changes and faults', () => {
  it('for any Jobs, pod deletions, suspensions, parallelism changes and node failures, every pod is counted once and within bounds, and every Job finishes', async () => {
    await checkCluster(options('job: changes and node failures', nodeFaults(3)));
  }, 180_000);

  it('the same holds when the controller manager crashes and restarts inside syncs', async () => {
    const faults = faultSchedulesWith([earlyCrash, faultArbitrary({ kinds: ['latency'], maxDelayMs: 20 })], moreCrashes);
    await checkCluster(options('job: crashes', faults));
  }, 180_000);

  it('the same holds when every watch of the controller manager is cut with 410 Gone (relist)', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['expireWatches'] })], nodeFaults(2));
    await checkCluster(options('job: cut watches', faults));
  }, 180_000);

  it('the same holds when the pod cache lags the store and the controller manager crashes', async () => {
    const faults = faultSchedulesWith(
      [fc.record({ kind: fc.constant('staleReads' as const), resource: fc.constant('pods'), lag: fc.integer({ min: 1, max: 5 }), holdMs: fc.integer({ min: 100, max: 2_000 }) }), earlyCrash],
      moreCrashes,
    );
    await checkCluster(options('job: lagging pod cache', faults));
  }, 180_000);
});

/** A Job of the fixed cases: NonIndexed, 1 completion, 1 at a time, no retry, pods that succeed after 5 s; `over` on top. */
function job(over: Partial<JobShape> = {}): Step {
  return { kind: 'create', job: { indexed: false, completions: 1, parallelism: 1, backoffLimit: 0, runS: 5, exitCode: 0, ...over } };
}

/** A Job controller that sees each Job's spec through `edit` (broken on purpose). */
function seesJobSpec(edit: (spec: Job['spec']) => Job['spec']): Plugin {
  return sabotaged(jobPlugin(), { read: (resource, o) => (resource.kind === 'Job' ? ({ ...o, spec: edit((o as Job).spec) } as Job) : o) });
}

/** A Job controller whose status writes go through `edit`, given the status the API server holds (broken on purpose). */
function writesJobStatus(edit: (status: Job['status'], stored: Job['status']) => Job['status']): Plugin {
  return sabotaged(jobPlugin(), { rewriteStatus: (resource, o, stored) => (resource.kind === 'Job' ? ({ ...o, status: edit((o as Job).status, (stored as Job).status) } as Job) : o) });
}

/** Whether a patch takes a finalizer off (a JSON patch replacing `metadata.finalizers`). */
const removesFinalizer = (patch: Patch): boolean => patch.type === 'json' && (patch.body as { op: string; path: string }[]).some((op) => op.op === 'replace' && op.path === '/metadata/finalizers');

/** The violation of the first invariant a fixed case fails with `broken` (`invariant: message`); the real controller passes it. */
async function brokenFails(broken: Plugin, actions: readonly Step[]): Promise<string | undefined> {
  const real = await runCase(options('job: real', fc.constant([])), 1, actions, []);
  if (real.failure !== undefined) console.error(JSON.stringify(real.failure, null, 2));
  expect(real.failure).toBeUndefined();
  const outcome = await runCase(options('job: broken', fc.constant([]), broken), 1, actions, []);
  return outcome.failure === undefined ? undefined : `${outcome.failure.invariant}: ${outcome.failure.violations[0]?.message ?? ''}`;
}

describe('the Job invariants fail on a Job controller broken on purpose', () => {
  it('one that ignores parallelism (starts every completion at once) fails jobPodsWithinParallelism', async () => {
    const broken = seesJobSpec((spec) => ({ ...spec, parallelism: spec.completions ?? 1 }));
    expect(await brokenFails(broken, [job({ completions: 3 }), { kind: 'wait', ms: 30_000 }])).toMatch(/^jobPodsWithinParallelism: Job job-0 created pod job-0-\w+ while it had 1 active pods \(parallelism 1\)$/);
  }, 60_000);

  it('one that counts each succeeded pod twice fails jobSucceededWithinCompletions', async () => {
    const broken = writesJobStatus((status, stored) => ((status.succeeded ?? 0) > (stored.succeeded ?? 0) ? { ...status, succeeded: 2 * (status.succeeded ?? 0) - (stored.succeeded ?? 0) } : status));
    expect(await brokenFails(broken, [job(), { kind: 'wait', ms: 30_000 }])).toMatch(/^jobSucceededWithinCompletions: at t=\d+: status\.succeeded 2 exceeds completions 1 \(\+ 0 pods running in parallel\)$/);
  }, 60_000);

  it('one that appends the completed indexes to those it had written instead of merging them fails jobIndexesSucceedOnce', async () => {
    // How many indexes a completedIndexes text names (`0,2-4` → 4), to append only when one is new.
    const count = (text: string | undefined) =>
      new Set(
        (text ?? '')
          .split(',')
          .filter((t) => t !== '')
          .flatMap((t) => {
            const [first = 0, last = first] = t.split('-').map(Number);
            return Array.from({ length: last - first + 1 }, (_, k) => first + k);
          }),
      ).size;
    const broken = writesJobStatus((status, stored) =>
      stored.completedIndexes !== undefined && stored.completedIndexes !== '' && count(status.completedIndexes) > count(stored.completedIndexes) ? { ...status, completedIndexes: `${stored.completedIndexes},${status.completedIndexes ?? ''}` } : status,
    );
    expect(await brokenFails(broken, [{ kind: 'wait', ms: 30_000 }])).toMatch(/^jobIndexesSucceedOnce: at t=\d+: index 0 is completed twice in "0,0,1"$/);
  }, 60_000);

  it('one whose pod deletions are lost and that writes Failed at once (not FailureTarget until its pods terminate) fails finishedJobHasNoActivePods', async () => {
    // Either bug alone keeps the rule: the deleted pods are no longer active, or the controller
    // waits for the pods it believes it deleted. Together, the Job fails with a pod running.
    const broken = sabotaged(jobPlugin(), {
      dropDelete: (resource) => resource.kind === 'Pod',
      rewriteStatus: (resource, o) => (resource.kind === 'Job' ? ({ ...o, status: { ...(o as Job).status, conditions: ((o as Job).status.conditions ?? []).map((c) => (c.type === 'FailureTarget' ? { ...c, type: 'Failed' } : c)) } } as Job) : o),
    });
    expect(await brokenFails(broken, [job({ completions: 2, parallelism: 2, runS: 60 }), { kind: 'wait', ms: 3_000 }, { kind: 'deletePod', pick: 0 }, { kind: 'wait', ms: 30_000 }])).toMatch(/^finishedJobHasNoActivePods: at t=\d+: Job job-0 has finished but its pod job-0-\w+ is active \(Running\)$/);
  }, 60_000);

  it('one that never takes the tracking finalizer off fails jobTrackingFinalizersReleased once its Job is deleted', async () => {
    const broken = sabotaged(jobPlugin(), { patch: (resource, _key, patch) => (resource.kind === 'Pod' && removesFinalizer(patch) ? undefined : patch) });
    expect(await brokenFails(broken, [{ kind: 'wait', ms: 2_000 }, { kind: 'deleteJob', pick: 0 }, { kind: 'wait', ms: 1_000 }])).toMatch(/^jobTrackingFinalizersReleased: pod seed-\d-\w+ keeps the job-tracking finalizer of a Job that is gone$/);
  }, 60_000);
});
