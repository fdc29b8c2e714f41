/**
 * The Job invariants find what they promise, each shown failing on the state a controller broken
 * on purpose would leave (a pod counted twice, an index completed twice, a pod left running under
 * a finished Job, a pod created beyond parallelism or the completions missing).
 */
import { describe, expect, it } from 'vitest';
import { JobSchema, PodSchema, clusterState } from '@kubeloop/core';
import type { Job, Pod } from '@kubeloop/core';
import { finishedJobHasNoActivePods, indexesSucceedOnce, jobNotOvercreatedInvariant, succeededWithinCompletions } from './invariants.js';

function job(spec: Record<string, unknown>, status: Record<string, unknown> = {}): Job {
  return JobSchema.parse({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'default', uid: 'uid-j' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } }, ...spec },
    status,
  });
}

function pod(name: string, phase = 'Running'): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'uid-j', controller: true }] },
    spec: { containers: [{ name: 'main', image: 'x' }] },
    status: { phase },
  });
}

const complete = { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:00:10Z' }] };

describe('Job invariants', () => {
  it('jobSucceededWithinCompletions: a controller that counts a pod twice', () => {
    expect(succeededWithinCompletions({ jobs: [job({ completions: 3, parallelism: 1 }, { succeeded: 3 })], pods: [] })).toEqual([]);
    expect(succeededWithinCompletions({ jobs: [job({ completions: 3, parallelism: 1 }, { succeeded: 4 })], pods: [] }).map((v) => v.message)).toEqual(['status.succeeded 4 exceeds completions 3 (+ 0 pods running in parallel)']);
    // Pods running in parallel when the count was reached may succeed too (upstream's TooManySucceededPods).
    expect(succeededWithinCompletions({ jobs: [job({ completions: 3, parallelism: 3 }, { succeeded: 5 })], pods: [] })).toEqual([]);
    expect(succeededWithinCompletions({ jobs: [job({ completions: 3, parallelism: 3 }, { succeeded: 6 })], pods: [] })).toHaveLength(1);
  });

  it('jobIndexesSucceedOnce: an index completed twice, beyond completions, or both completed and failed', () => {
    const indexed = (status: Record<string, unknown>) => job({ completionMode: 'Indexed', completions: 3 }, status);
    expect(indexesSucceedOnce({ jobs: [indexed({ completedIndexes: '0-2', succeeded: 3 })], pods: [] })).toEqual([]);
    expect(indexesSucceedOnce({ jobs: [indexed({ completedIndexes: '0,1,1', succeeded: 3 })], pods: [] }).map((v) => v.message)).toEqual(['index 1 is completed twice in "0,1,1"', 'status.succeeded 3, completed indexes 2']);
    expect(indexesSucceedOnce({ jobs: [indexed({ completedIndexes: '2-3', succeeded: 2 })], pods: [] }).map((v) => v.message)).toEqual(['completed index 3 is not below completions 3']);
    expect(indexesSucceedOnce({ jobs: [indexed({ completedIndexes: '0', succeeded: 1, failedIndexes: '0' })], pods: [] }).map((v) => v.message)).toEqual(['index 0 is both completed and failed']);
  });

  it('finishedJobHasNoActivePods: a controller that marks the Job Complete with a pod still running', () => {
    expect(finishedJobHasNoActivePods({ jobs: [job({ completions: 1 }, complete)], pods: [pod('done', 'Succeeded')] })).toEqual([]);
    const violations = finishedJobHasNoActivePods({ jobs: [job({ completions: 1 }, complete)], pods: [pod('done', 'Succeeded'), pod('straggler')] });
    expect(violations.map((v) => v.message)).toEqual(['Job j has finished but its pod straggler is active (Running)']);
  });

  it('jobPodsWithinParallelism: a controller that creates beyond parallelism, or beyond the completions missing', () => {
    const j = job({ completions: 10, parallelism: 2 }, { succeeded: 0 });
    const before = clusterState([j, pod('a'), pod('b', 'Succeeded')], 0);
    const ok = clusterState([j, pod('a'), pod('b', 'Succeeded'), pod('c')], 1000, [{ type: 'ADDED', object: pod('c'), t: 1000 }], before);
    expect(jobNotOvercreatedInvariant.check(ok, before)).toEqual([]);
    const third = clusterState([j, pod('a'), pod('b', 'Succeeded'), pod('c'), pod('d')], 1000, [{ type: 'ADDED', object: pod('c'), t: 1000 }, { type: 'ADDED', object: pod('d'), t: 1000 }], before);
    expect(jobNotOvercreatedInvariant.check(third, before).map((v) => v.message)).toEqual(['Job j created pod d while it had 2 active pods (parallelism 2)']);
    const almostDone = job({ completions: 10, parallelism: 5 }, { succeeded: 9 });
    const prev = clusterState([almostDone, pod('a')], 0);
    const extra = clusterState([almostDone, pod('a'), pod('e')], 1000, [{ type: 'ADDED', object: pod('e'), t: 1000 }], prev);
    expect(jobNotOvercreatedInvariant.check(extra, prev).map((v) => v.message)).toEqual(['Job j created pod e while it had 1 active pods and 1 completions missing']);
  });
});
