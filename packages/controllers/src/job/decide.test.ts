/**
 * The Job controller's arithmetic, pinned to upstream's (`pkg/controller/job`): the back-off
 * between pod failures (`backoff_utils.go`), index bookkeeping (`indexed_job_utils.go`), pod
 * failure policy matching (`pod_failure_policy.go`) and success policies (`success_policy.go`).
 */
import { describe, expect, it } from 'vitest';
import { JobSchema, PodSchema } from '@kubeloop/core';
import type { Job, Pod } from '@kubeloop/core';
import {
  activePodsForRemoval,
  firstPendingIndexes,
  isIndexFailed,
  isPodFailed,
  matchPodFailurePolicy,
  matchSuccessPolicy,
  newIndexFailureCounts,
  nextBackoffRecord,
  pastBackoffLimitOnFailure,
  podFailureBackoffMs,
  podGenerateNameWithIndex,
  remainingBackoffMs,
  wantActive,
} from './decide.js';
import { countIndexes, formatIndexes, hasIndex, parseIndexes, withIndexes } from './indexes.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

function job(spec: Record<string, unknown> = {}): Job {
  return JobSchema.parse({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'default', uid: 'uid-j' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } }, ...spec },
  });
}

interface PodOptions {
  phase?: string;
  exitCode?: number;
  container?: string;
  finishedAt?: number;
  conditions?: { type: string; status: string }[];
  index?: number;
  failureCount?: number;
  deleting?: boolean;
  name?: string;
  restarts?: number;
}

function pod(o: PodOptions = {}): Pod {
  const annotations: Record<string, string> = {};
  if (o.index !== undefined) annotations['batch.kubernetes.io/job-completion-index'] = String(o.index);
  if (o.failureCount !== undefined) annotations['batch.kubernetes.io/job-index-failure-count'] = String(o.failureCount);
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name ?? 'p', namespace: 'default', uid: `uid-${o.name ?? 'p'}`, annotations, creationTimestamp: at(0), ...(o.deleting ? { deletionTimestamp: at(50) } : {}) },
    spec: { containers: [{ name: o.container ?? 'main', image: 'x' }] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.conditions ?? [],
      containerStatuses: [
        {
          name: o.container ?? 'main',
          ready: false,
          restartCount: o.restarts ?? 0,
          image: 'x',
          imageID: '',
          state: o.exitCode === undefined ? { running: {} } : { terminated: { exitCode: o.exitCode, finishedAt: at(o.finishedAt ?? 10) } },
        },
      ],
    },
  });
}

describe('pod failure back-off (upstream getRemainingTimeForFailuresCount)', () => {
  it.each([
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [4, 80_000],
    [5, 160_000],
    [6, 320_000],
    [7, 600_000], // 640 s, capped at MaxJobPodFailureBackOff = 10 min
    [20, 600_000],
  ])('after %i failures waits %i ms', (failures, ms) => {
    expect(podFailureBackoffMs(failures)).toBe(ms);
  });

  it('takes the time since the last failure off, and waits nothing once it has passed', () => {
    const record = { failuresAfterLastSuccess: 2, lastFailureTime: T0 };
    expect(remainingBackoffMs(record, T0 + 5_000)).toBe(15_000);
    expect(remainingBackoffMs(record, T0 + 20_000)).toBe(0);
    expect(remainingBackoffMs(record, T0 + 25_000)).toBe(0);
  });

  it('adds new failures up and resets on a success, keeping the failures that finished after it (upstream newBackoffRecord)', () => {
    const f = (s: number) => pod({ phase: 'Failed', exitCode: 1, finishedAt: s, name: `f${s}` });
    const ok = (s: number) => pod({ phase: 'Succeeded', exitCode: 0, finishedAt: s, name: `s${s}` });
    const one = nextBackoffRecord({ failuresAfterLastSuccess: 0 }, [], [f(10)]);
    expect(one).toEqual({ failuresAfterLastSuccess: 1, lastFailureTime: T0 + 10_000 });
    const three = nextBackoffRecord(one, [], [f(30), f(20)]);
    expect(three).toEqual({ failuresAfterLastSuccess: 3, lastFailureTime: T0 + 30_000 });
    expect(nextBackoffRecord(three, [ok(40)], [])).toEqual({ failuresAfterLastSuccess: 0 });
    expect(nextBackoffRecord(three, [ok(40)], [f(35), f(45), f(50)])).toEqual({ failuresAfterLastSuccess: 2, lastFailureTime: T0 + 50_000 });
  });
});

describe('completed indexes (upstream orderedIntervals)', () => {
  it.each([
    ['', []],
    ['0', [[0, 0]]],
    ['1,3-5', [[1, 1], [3, 5]]],
    ['1,3-5,7', [[1, 1], [3, 5]]], // 7 is not below 6
    ['0,1', [[0, 1]]],
    ['0-2,3', [[0, 3]]],
    ['2-9', [[2, 5]]], // cut at completions - 1 (6 completions)
    ['1,x,3', [[1, 1], [3, 3]]], // a corrupted item is skipped
    ['4,8', [[4, 4]]], // indexes at or beyond completions are dropped
  ])('parses %j (completions 6)', (text, intervals) => {
    expect(parseIndexes(text, 6)).toEqual(intervals.map(([first, last]) => ({ first, last })));
  });

  it.each([
    [[0, 1, 3, 4, 5, 7], '0,1,3-5,7'],
    [[1, 3, 4, 5, 7], '1,3-5,7'],
    [[0, 1, 2, 3, 4], '0-4'],
    [[5], '5'],
    [[], ''],
  ])('formats %j as %j', (indexes, text) => {
    expect(formatIndexes(withIndexes([], indexes))).toBe(text);
  });

  it('adds indexes in any order, merging neighbours, and counts and finds them', () => {
    const set = withIndexes(parseIndexes('1,3-5,7', 10), [6, 2, 9]);
    expect(formatIndexes(set)).toBe('1-7,9');
    expect(countIndexes(set)).toBe(8);
    expect([0, 1, 7, 8, 9].map((i) => hasIndex(set, i))).toEqual([false, true, true, false, true]);
  });

  it('finds the lowest pending indexes around succeeded, active, failed and terminating ones (upstream firstPendingIndexes)', () => {
    expect(firstPendingIndexes({ succeeded: parseIndexes('0,2', 8), active: [1], failed: [], terminating: [] }, 3, 8)).toEqual([3, 4, 5]);
    expect(firstPendingIndexes({ succeeded: [], active: [0], failed: parseIndexes('1', 8), terminating: [2] }, 2, 8)).toEqual([3, 4]);
    expect(firstPendingIndexes({ succeeded: parseIndexes('0-3', 5), active: [], failed: [], terminating: [] }, 4, 5)).toEqual([4]);
    expect(firstPendingIndexes({ succeeded: [], active: [], failed: [], terminating: [] }, 0, 5)).toEqual([]);
  });

  it('names indexed pods <job>-<index>- within 58 characters (upstream podGenerateNameWithIndex)', () => {
    expect(podGenerateNameWithIndex('indexed-job', 3)).toBe('indexed-job-3-');
    const long = 'a'.repeat(60);
    expect(podGenerateNameWithIndex(long, 12)).toBe(`${'a'.repeat(54)}-12-`);
  });
});

describe('pod failure policy (upstream matchPodFailurePolicy)', () => {
  const policy = {
    rules: [
      { action: 'FailJob' as const, onExitCodes: { containerName: 'main', operator: 'In' as const, values: [42] } },
      { action: 'Ignore' as const, onPodConditions: [{ type: 'DisruptionTarget', status: 'True' as const }] },
      { action: 'Count' as const, onExitCodes: { operator: 'NotIn' as const, values: [1, 2] } },
    ],
  };

  it('fails the Job on a FailJob rule, naming the container, pod, exit code and rule index', () => {
    expect(matchPodFailurePolicy(policy, pod({ phase: 'Failed', exitCode: 42, name: 'j-abcde' }))).toEqual({
      failJobMessage: 'Container main for pod default/j-abcde failed with exit code 42 matching FailJob rule at index 0',
      countFailed: true,
      action: 'FailJob',
    });
  });

  it('ignores a disrupted pod (not counted towards backoffLimit)', () => {
    expect(matchPodFailurePolicy(policy, pod({ phase: 'Failed', exitCode: 1, conditions: [{ type: 'DisruptionTarget', status: 'True' }] }))).toEqual({ countFailed: false, action: 'Ignore' });
  });

  it('matches a FailJob rule on a pod condition with the condition message', () => {
    const byCondition = { rules: [{ action: 'FailJob' as const, onPodConditions: [{ type: 'DisruptionTarget', status: 'True' as const }] }] };
    expect(matchPodFailurePolicy(byCondition, pod({ phase: 'Failed', name: 'j-1', conditions: [{ type: 'DisruptionTarget', status: 'True' }] })).failJobMessage).toBe('Pod default/j-1 has condition DisruptionTarget matching FailJob rule at index 0');
  });

  it.each([
    [42, 'other', { countFailed: true, action: 'Count' }], // rule 0 names container main only; NotIn [1,2] counts
    [1, 'main', { countFailed: true }], // nothing matches: counted, no action
    [0, 'main', { countFailed: true }], // exit code 0 never matches onExitCodes
  ])('exit code %i of container %s → %j', (exitCode, container, expected) => {
    expect(matchPodFailurePolicy(policy, pod({ phase: 'Failed', exitCode, container }))).toEqual(expected);
  });

  it('without a policy every failure counts', () => {
    expect(matchPodFailurePolicy(undefined, pod({ phase: 'Failed', exitCode: 42 }))).toEqual({ countFailed: true });
  });

  it('a deleted pod is failed unless the Job replaces only failed pods (podFailurePolicy or podReplacementPolicy Failed)', () => {
    const deleting = pod({ deleting: true });
    expect(isPodFailed(deleting, job())).toBe(true);
    expect(isPodFailed(deleting, job({ podReplacementPolicy: 'Failed' }))).toBe(false);
    expect(isPodFailed(pod({ deleting: true, phase: 'Succeeded', exitCode: 0 }), job())).toBe(false);
  });
});

describe('per-index back-off (upstream isIndexFailed, getNewIndexFailureCounts)', () => {
  const indexed = job({ completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1 });

  it('fails an index once a pod with backoffLimitPerIndex earlier failures fails', () => {
    expect(isIndexFailed(indexed, pod({ phase: 'Failed', exitCode: 1, index: 0, failureCount: 0 }))).toBe(false);
    expect(isIndexFailed(indexed, pod({ phase: 'Failed', exitCode: 1, index: 0, failureCount: 1 }))).toBe(true);
  });

  it('carries the failure count to the replacement; an ignored failure goes to the ignored count', () => {
    expect(newIndexFailureCounts(indexed, undefined)).toEqual([0, 0]);
    expect(newIndexFailureCounts(indexed, pod({ phase: 'Failed', exitCode: 1, index: 0, failureCount: 2 }))).toEqual([3, 0]);
    const ignoring = job({ completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [7] } }] } });
    expect(newIndexFailureCounts(ignoring, pod({ phase: 'Failed', exitCode: 7, index: 0, failureCount: 2 }))).toEqual([2, 1]);
  });

  it('a FailIndex rule fails the index at once', () => {
    const failIndex = job({ completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 5, podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [9] } }] } });
    expect(isIndexFailed(failIndex, pod({ phase: 'Failed', exitCode: 9, index: 1 }))).toBe(true);
  });
});

describe('success policy (upstream matchSuccessPolicy)', () => {
  it.each([
    [{ rules: [{ succeededIndexes: '0' }] }, '0', 'Matched rules at index 0'],
    [{ rules: [{ succeededIndexes: '0-2' }] }, '0,1', undefined],
    [{ rules: [{ succeededIndexes: '0-2', succeededCount: 2 }] }, '1,2,4', 'Matched rules at index 0'],
    [{ rules: [{ succeededCount: 4 }] }, '0-2', undefined],
    [{ rules: [{ succeededIndexes: '9' }, { succeededCount: 3 }] }, '0-2', 'Matched rules at index 1'],
    [{ rules: [{ succeededIndexes: '0' }] }, '', undefined],
  ])('%j with completed %j → %j', (policy, completed, expected) => {
    expect(matchSuccessPolicy(policy, 5, parseIndexes(completed, 5))).toBe(expected);
  });
});

describe('active pods', () => {
  it.each([
    [{ completions: 10, parallelism: 5 }, 0, 0, 5],
    [{ completions: 10, parallelism: 5 }, 3, 8, 2],
    [{ completions: 10, parallelism: 5 }, 0, 12, 0],
    [{ parallelism: 3 }, 0, 0, 3], // a work queue: parallelism until one succeeded
    [{ parallelism: 3 }, 2, 1, 2], // then no new pod
  ])('%j with %i active and %i succeeded wants %i', (spec, active, succeeded, want) => {
    expect(wantActive(spec, active, succeeded)).toBe(want);
  });

  it('removes pods without a valid index and duplicated indexes first (upstream activePodsForRemoval)', () => {
    const indexed = job({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const pods = [pod({ name: 'a', index: 0 }), pod({ name: 'b', index: 0 }), pod({ name: 'c', index: 5 }), pod({ name: 'd' }), pod({ name: 'e', index: 1 })];
    const removed = activePodsForRemoval(indexed, pods, 0, T0).map((p) => p.metadata.name);
    expect(removed).toHaveLength(3);
    expect(removed).toEqual(expect.arrayContaining(['c', 'd']));
    expect(removed.filter((n) => n === 'a' || n === 'b')).toHaveLength(1);
  });

  it('counts container restarts of pending and running pods against backoffLimit under OnFailure', () => {
    const onFailure = (limit: number) => job({ backoffLimit: limit, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'x' }] } } });
    expect(pastBackoffLimitOnFailure(onFailure(2), [pod({ restarts: 1 })])).toBe(false);
    expect(pastBackoffLimitOnFailure(onFailure(2), [pod({ restarts: 1 }), pod({ restarts: 1 })])).toBe(true);
    expect(pastBackoffLimitOnFailure(onFailure(0), [pod({ restarts: 1 })])).toBe(true);
    expect(pastBackoffLimitOnFailure(job({ backoffLimit: 0 }), [pod({ restarts: 5 })])).toBe(false);
  });
});
