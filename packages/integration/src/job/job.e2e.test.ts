/**
 * The Job controller end to end on a SimCluster (upstream `pkg/controller/job`): pods run to
 * completion with the tracking finalizer, counted once; Indexed Jobs; back-off between
 * failures; backoffLimit, pod failure policy, activeDeadlineSeconds, suspend; the conditions,
 * status and events upstream publishes. Containers succeed or fail through the fake runtime's
 * `kubeloop.dev/behavior` annotation, which also makes them stop at once on SIGTERM unless a
 * test says otherwise (busybox's shell as PID 1 would ignore it and be killed at the end of the
 * grace period).
 */
import { describe, expect, it } from 'vitest';
import { Events, Jobs, Nodes, Pods, parseTime } from '@kubeloop/core';
import type { Job, Pod } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { finishedJobHasNoActivePods, garbageCollectorPlugin, indexesSucceedOnce, succeededWithinCompletions, jobPlugin, ttlAfterFinishedPlugin } from '@kubeloop/controllers';

async function cluster(nodes = 2): Promise<SimCluster> {
  return SimCluster.create({ seed: 3, nodes, controllerManager: { plugins: [garbageCollectorPlugin(), jobPlugin(), ttlAfterFinishedPlugin()] } });
}

function jobYaml(name: string, spec: string, behavior = 'complete-after=5s', restartPolicy = 'Never'): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => `  ${l}`)
  .join('\n')}
  template:
    metadata:
      annotations:
        kubeloop.dev/behavior: ${behavior.includes('stop-after=') ? behavior : `${behavior},stop-after=0s`}
    spec:
      restartPolicy: ${restartPolicy}
      containers:
      - name: main
        image: busybox
`;
}

async function job(c: SimCluster, name: string): Promise<Job> {
  return c.get(Jobs, { namespace: 'default', name });
}

async function podsOf(c: SimCluster, name: string): Promise<readonly Pod[]> {
  return (await c.list(Pods, { namespace: 'default', labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
}

async function events(c: SimCluster, name: string): Promise<string[]> {
  return (await c.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name && e.involvedObject.kind === 'Job').map((e) => `${e.reason}: ${e.message}`);
}

const conditions = (j: Job) => (j.status.conditions ?? []).filter((x) => x.status === 'True').map((x) => `${x.type}/${x.reason ?? ''}`);

async function invariantsHold(c: SimCluster): Promise<void> {
  const state = { jobs: (await c.list(Jobs)).items, pods: (await c.list(Pods)).items };
  expect([...succeededWithinCompletions(state), ...indexesSucceedOnce(state), ...finishedJobHasNoActivePods(state)]).toEqual([]);
}

describe('Job controller', () => {
  it('runs a NonIndexed Job to Complete: parallelism pods at a time, each counted once, finalizers removed', async () => {
    const c = await cluster();
    await c.apply(jobYaml('pi', 'completions: 4\nparallelism: 2'));
    await c.advance(1000);
    const running = await podsOf(c, 'pi');
    expect(running).toHaveLength(2);
    expect(running[0]!.metadata.finalizers).toContain('batch.kubernetes.io/job-tracking');
    expect(running[0]!.metadata.labels).toMatchObject({ 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi' });
    expect(running[0]!.metadata.generateName).toBe('pi-');
    await c.settle();
    const j = await job(c, 'pi');
    expect(conditions(j)).toEqual(['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    expect(j.status).toMatchObject({ succeeded: 4, failed: 0, active: 0, ready: 0, terminating: 0 });
    expect(j.status.uncountedTerminatedPods).toEqual({});
    expect(j.status.startTime).toBeDefined();
    expect(parseTime(j.status.completionTime!) - parseTime(j.status.startTime!)).toBeGreaterThanOrEqual(10_000);
    const pods = await podsOf(c, 'pi');
    expect(pods).toHaveLength(4);
    for (const p of pods) expect(p.metadata.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
    const ev = await events(c, 'pi');
    expect(ev.filter((e) => e.startsWith('SuccessfulCreate'))).toHaveLength(4);
    expect(ev).toContain('Completed: Job completed');
    await invariantsHold(c);
  });

  it('runs an Indexed Job: one pod per index named <job>-<index>-, with the index annotation, label and env', async () => {
    const c = await cluster();
    await c.apply(jobYaml('indexed-job', 'completions: 5\nparallelism: 3\ncompletionMode: Indexed'));
    await c.advance(1000);
    const first = await podsOf(c, 'indexed-job');
    expect(first.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort()).toEqual(['0', '1', '2']);
    const p0 = first.find((p) => p.metadata.labels?.['batch.kubernetes.io/job-completion-index'] === '0')!;
    expect(p0.metadata.name).toMatch(/^indexed-job-0-[a-z0-9]{5}$/);
    expect(p0.spec.hostname).toBe('indexed-job-0');
    expect(p0.spec.containers[0]!.env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } });
    await c.settle();
    const j = await job(c, 'indexed-job');
    expect(j.status).toMatchObject({ succeeded: 5, completedIndexes: '0-4' });
    expect(conditions(j)).toContain('Complete/CompletionsReached');
    await invariantsHold(c);
  });

  it('fails a Job past its backoffLimit, with back-off of 10 s, 20 s between replacements', async () => {
    const c = await cluster();
    await c.apply(jobYaml('fail', 'backoffLimit: 2', 'crash-after=1s,exit-code=3'));
    await c.settle();
    const j = await job(c, 'fail');
    expect(conditions(j)).toEqual(['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    expect(j.status.conditions?.find((x) => x.type === 'Failed')?.message).toBe('Job has reached the specified backoff limit');
    expect(j.status).toMatchObject({ failed: 3, succeeded: 0, active: 0 });
    const created = (await podsOf(c, 'fail')).map((p) => parseTime(p.metadata.creationTimestamp!)).sort((a, b) => a - b);
    expect(created).toHaveLength(3);
    // Each pod runs 1 s; the next one waits 10 s, then 20 s after that failure.
    expect(created[1]! - created[0]!).toBeGreaterThanOrEqual(11_000);
    expect(created[1]! - created[0]!).toBeLessThan(14_000);
    expect(created[2]! - created[1]!).toBeGreaterThanOrEqual(21_000);
    expect(created[2]! - created[1]!).toBeLessThan(24_000);
    expect(await events(c, 'fail')).toContain('BackoffLimitExceeded: Job has reached the specified backoff limit');
    await invariantsHold(c);
  });

  it('deletes a finished Job ttlSecondsAfterFinished later, with its pods', async () => {
    const c = await cluster();
    await c.apply(jobYaml('ttl', 'ttlSecondsAfterFinished: 100'));
    await c.advance(60_000);
    const j = await job(c, 'ttl');
    expect(conditions(j)).toContain('Complete/CompletionsReached');
    const finished = parseTime(j.status.completionTime!);
    await c.advance(120_000);
    await c.settle();
    await expect(job(c, 'ttl')).rejects.toMatchObject({ reason: 'NotFound' });
    expect(await podsOf(c, 'ttl')).toHaveLength(0);
    // Deleted in the foreground: first marked, at finish + 100 s.
    const marked = c.trace().find((e) => e.type === 'MODIFIED' && e.object.kind === 'Job' && e.object.metadata.deletionTimestamp !== undefined);
    expect(marked?.object.metadata.finalizers).toContain('foregroundDeletion');
    expect(parseTime(marked!.object.metadata.deletionTimestamp!) - finished).toBe(100_000);
  });

  it('fails the kubernetes.io pod failure policy example with reason PodFailurePolicy when its container exits 42', async () => {
    const c = await cluster(3);
    // kubernetes.io/docs/tasks/job/pod-failure-policy: `bash -c 'echo "Hello world!" && sleep 5 && exit 42'`.
    await c.apply(`apiVersion: batch/v1
kind: Job
metadata:
  name: job-pod-failure-policy-example
spec:
  completions: 12
  parallelism: 3
  template:
    metadata:
      annotations:
        kubeloop.dev/behavior: crash-after=5s,exit-code=42
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: docker.io/library/bash:5
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes:
        containerName: main
        operator: In
        values: [42]
    - action: Ignore
      onPodConditions:
      - type: DisruptionTarget
`);
    await c.settle();
    const j = await job(c, 'job-pod-failure-policy-example');
    expect(conditions(j)).toEqual(['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
    const failed = j.status.conditions!.find((x) => x.type === 'Failed')!;
    expect(failed.message).toMatch(/^Container main for pod default\/job-pod-failure-policy-example-[a-z0-9]{5} failed with exit code 42 matching FailJob rule at index 0$/);
    expect(j.status.active).toBe(0);
    expect((j.status.failed ?? 0) + (j.status.succeeded ?? 0)).toBe(3);
    expect((await events(c, 'job-pod-failure-policy-example')).some((e) => e.startsWith('PodFailurePolicy: Container main'))).toBe(true);
    await invariantsHold(c);
  });

  it('fails a Job running past activeDeadlineSeconds with DeadlineExceeded and deletes its pods', async () => {
    const c = await cluster();
    await c.apply(jobYaml('slow', 'activeDeadlineSeconds: 10\nparallelism: 2\ncompletions: 2', 'complete-after=100s'));
    await c.settle();
    const j = await job(c, 'slow');
    expect(conditions(j)).toEqual(['FailureTarget/DeadlineExceeded', 'Failed/DeadlineExceeded']);
    const failed = j.status.conditions!.find((x) => x.type === 'Failed')!;
    expect(failed.message).toBe('Job was active longer than specified deadline');
    expect(parseTime(failed.lastTransitionTime!) - parseTime(j.status.startTime!)).toBeGreaterThanOrEqual(10_000);
    expect(parseTime(failed.lastTransitionTime!) - parseTime(j.status.startTime!)).toBeLessThan(15_000);
    expect(j.status.active).toBe(0);
    expect(await events(c, 'slow')).toContain('DeadlineExceeded: Job was active longer than specified deadline');
    await invariantsHold(c);
  });

  it('creates no pod while suspended (Suspended/JobSuspended, no startTime), and starts on resume (JobResumed)', async () => {
    const c = await cluster();
    await c.apply(jobYaml('later', 'suspend: true\ncompletions: 2'));
    await c.settle();
    let j = await job(c, 'later');
    expect(await podsOf(c, 'later')).toHaveLength(0);
    expect(j.status.conditions?.find((x) => x.type === 'Suspended')).toMatchObject({ status: 'True', reason: 'JobSuspended', message: 'Job suspended' });
    expect(j.status.startTime).toBeUndefined();
    await c.server.update(Jobs, { ...j, spec: { ...j.spec, suspend: false } });
    await c.settle();
    j = await job(c, 'later');
    expect(j.status.conditions?.find((x) => x.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed', message: 'Job resumed' });
    expect(conditions(j)).toContain('Complete/CompletionsReached');
    expect(await events(c, 'later')).toEqual(expect.arrayContaining(['Suspended: Job suspended', 'Resumed: Job resumed']));
  });

  it('suspending a running Job deletes its active pods', async () => {
    const c = await cluster();
    await c.apply(jobYaml('pause', 'completions: 3\nparallelism: 3', 'complete-after=60s'));
    await c.advance(5_000);
    let j = await job(c, 'pause');
    expect(j.status.active).toBe(3);
    await c.server.update(Jobs, { ...j, spec: { ...j.spec, suspend: true } });
    await c.settle();
    j = await job(c, 'pause');
    expect(j.status.active).toBe(0);
    expect((await podsOf(c, 'pause')).filter((p) => p.metadata.deletionTimestamp === undefined && p.status?.phase === 'Running')).toHaveLength(0);
    expect(conditions(j)).toContain('Suspended/JobSuspended');
  });

  it('fails an index after backoffLimitPerIndex, carrying the failure count to the replacement, and the Job at maxFailedIndexes', async () => {
    const c = await cluster();
    await c.apply(jobYaml('per-index', 'completions: 4\nparallelism: 2\ncompletionMode: Indexed\nbackoffLimitPerIndex: 1\nmaxFailedIndexes: 1', 'crash-after=1s'));
    await c.advance(120_000);
    await c.settle();
    const j = await job(c, 'per-index');
    expect(conditions(j)).toEqual(['FailureTarget/MaxFailedIndexesExceeded', 'Failed/MaxFailedIndexesExceeded']);
    expect(j.status.conditions!.find((x) => x.type === 'Failed')!.message).toBe('Job has exceeded the specified maximal number of failed indexes');
    expect(j.status.failedIndexes).toBe('0,1');
    const counts = (await podsOf(c, 'per-index')).map((p) => `${p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']}:${p.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count']}`).sort();
    expect(counts).toEqual(['0:0', '0:1', '1:0', '1:1']);
    await invariantsHold(c);
  });

  it('fails an Indexed Job whose every index ended with some failed (FailedIndexes)', async () => {
    const c = await cluster();
    await c.apply(jobYaml('all-fail', 'completions: 2\nparallelism: 2\ncompletionMode: Indexed\nbackoffLimitPerIndex: 0', 'crash-after=1s'));
    await c.settle();
    const j = await job(c, 'all-fail');
    expect(conditions(j)).toEqual(['FailureTarget/FailedIndexes', 'Failed/FailedIndexes']);
    expect(j.status).toMatchObject({ failedIndexes: '0,1', failed: 2, succeeded: 0 });
  });

  it('completes an Indexed Job early when its success policy is met (SuccessPolicy)', async () => {
    const c = await cluster();
    await c.apply(jobYaml('leader', 'completions: 5\nparallelism: 1\ncompletionMode: Indexed\nsuccessPolicy:\n  rules:\n  - succeededIndexes: "0"'));
    await c.settle();
    const j = await job(c, 'leader');
    expect(conditions(j)).toEqual(['SuccessCriteriaMet/SuccessPolicy', 'Complete/SuccessPolicy']);
    expect(j.status.conditions!.find((x) => x.type === 'Complete')!.message).toBe('Matched rules at index 0');
    expect(j.status).toMatchObject({ completedIndexes: '0', succeeded: 1, active: 0 });
  });

  it('counts container restarts against backoffLimit under restartPolicy OnFailure', async () => {
    const c = await cluster();
    await c.apply(jobYaml('restarts', 'backoffLimit: 2', 'crash-after=1s', 'OnFailure'));
    await c.settle({ maxMs: 1_200_000 });
    const j = await job(c, 'restarts');
    expect(conditions(j)).toEqual(['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
  });

  it.each([
    ['TerminatingOrFailed', 'after the back-off (10 s), while the deleted pod is still terminating', 10_000, 12_000],
    ['Failed', 'only once the deleted pod has failed (killed at its 30 s grace period), after the back-off', 40_000, 43_000],
  ])('podReplacementPolicy %s replaces a deleted pod %s', async (policy, _when, min, max) => {
    const c = await cluster();
    await c.apply(jobYaml('replace', `podReplacementPolicy: ${policy}`, 'complete-after=300s,stop-after=60s,stop-exit-code=143'));
    await c.advance(5_000);
    const [first] = await podsOf(c, 'replace');
    const deleted = await c.server.delete(Pods, { namespace: 'default', name: first!.metadata.name ?? '' });
    const deletedAt = parseTime(deleted.metadata.deletionTimestamp!) - (deleted.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
    await c.advance(2_000);
    expect((await job(c, 'replace')).status).toMatchObject({ terminating: 1, active: 0 });
    await c.advance(90_000);
    const replacement = (await podsOf(c, 'replace')).find((p) => p.metadata.name !== first!.metadata.name);
    expect(replacement).toBeDefined();
    const createdAfter = parseTime(replacement!.metadata.creationTimestamp!) - deletedAt;
    expect(createdAfter).toBeGreaterThanOrEqual(min);
    expect(createdAfter).toBeLessThanOrEqual(max);
    expect((await job(c, 'replace')).status).toMatchObject({ failed: 1, active: 1, terminating: 0 });
  });

  it.each([
    ['ignores the failure of a pod evicted by a NoExecute taint (DisruptionTarget) and replaces it', true, ['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached'], 0],
    ['without an Ignore rule, counts it and fails at backoffLimit 0', false, ['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded'], 1],
  ])('a pod failure policy %s', async (_name, ignore, expected, failed) => {
    const c = await SimCluster.create({ seed: 3, nodes: 2, nodeLifecycle: true, controllerManager: { plugins: [garbageCollectorPlugin(), jobPlugin()] } });
    const rules = ['- action: FailJob', '  onExitCodes:', '    operator: In', '    values: [42]', ...(ignore ? ['- action: Ignore', '  onPodConditions:', '  - type: DisruptionTarget'] : [])];
    await c.apply(jobYaml('drain', `backoffLimit: 0\npodFailurePolicy:\n  rules:\n${rules.map((r) => `  ${r}`).join('\n')}`, 'complete-after=60s,stop-exit-code=143'));
    await c.advance(5_000);
    const [first] = await podsOf(c, 'drain');
    const node = await c.get(Nodes, { name: first!.spec.nodeName! });
    await c.server.update(Nodes, { ...node, spec: { ...node.spec, taints: [{ key: 'example.com/maintenance', effect: 'NoExecute' }] } });
    await c.advance(60_000);
    const disrupted = c.trace().filter((e) => e.object.kind === 'Pod' && e.object.metadata.name === first!.metadata.name && ((e.object as Pod).status?.conditions ?? []).some((x) => x.type === 'DisruptionTarget' && x.status === 'True'));
    expect(disrupted.length).toBeGreaterThan(0);
    await c.settle();
    const j = await job(c, 'drain');
    expect(conditions(j)).toEqual(expected);
    expect(j.status.failed).toBe(failed);
  });
});
