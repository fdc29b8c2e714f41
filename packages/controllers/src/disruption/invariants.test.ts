/**
 * The PodDisruptionBudget invariants find what they promise, on states a disruption controller
 * (or an eviction subresource) broken on purpose would leave: a status that over-counts, a stale
 * generation, a wrong condition, a leftover disruptedPods entry, an eviction charged to a budget
 * whose pods allowed none; and they stay quiet on a status that merely lags (the race upstream
 * accepts).
 */
import { describe, expect, it } from 'vitest';
import { PodDisruptionBudgetSchema, PodSchema, StatefulSetSchema, formatTime } from '@kubeloop/core';
import type { Pod, PodDisruptionBudget, StateChange } from '@kubeloop/core';
import { budgetStatusMatchesPods, budgetTruth, evictionsRespectBudgets } from './invariants.js';

const T0 = Date.parse('2026-01-01T00:10:00Z');

const zk = StatefulSetSchema.parse({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'zk', namespace: 'default', uid: 'ss-zk' },
  spec: { replicas: 3, selector: { matchLabels: { app: 'zk' } }, template: { metadata: { labels: { app: 'zk' } }, spec: { containers: [] } } },
});

function pod(name: string, opts: { ready?: boolean; deleting?: boolean } = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: 'zk' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'zk', uid: 'ss-zk', controller: true }],
      ...(opts.deleting === true ? { deletionTimestamp: formatTime(T0) } : {}),
    },
    spec: { containers: [] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  });
}

function pdb(status: Record<string, unknown>, spec: Record<string, unknown> = { maxUnavailable: 1 }, generation = 1): PodDisruptionBudget {
  return PodDisruptionBudgetSchema.parse({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'zk-pdb', namespace: 'default', uid: 'pdb', generation },
    spec: { selector: { matchLabels: { app: 'zk' } }, ...spec },
    status,
  });
}

const condition = (allowed: boolean) => [{ type: 'DisruptionAllowed', status: allowed ? 'True' : 'False', reason: allowed ? 'SufficientPods' : 'InsufficientPods' }];
const good = { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1, observedGeneration: 1, conditions: condition(true) };
const three = [pod('zk-0'), pod('zk-1'), pod('zk-2')];
const state = (budgets: PodDisruptionBudget[], pods: Pod[] = three) => ({ budgets, pods, workloads: [zk] });

describe('budgetTruth', () => {
  it.each([
    ['maxUnavailable 1 of 3', { maxUnavailable: 1 }, { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 }],
    ['maxUnavailable "50%" of 3 rounds up to 2', { maxUnavailable: '50%' }, { expectedPods: 3, desiredHealthy: 1, currentHealthy: 3, disruptionsAllowed: 2 }],
    ['minAvailable "50%" of 3 rounds up to 2', { minAvailable: '50%' }, { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 }],
    ['integer minAvailable counts the pods', { minAvailable: 3 }, { expectedPods: 3, desiredHealthy: 3, currentHealthy: 3, disruptionsAllowed: 0 }],
  ])('%s', (_name, spec, expected) => {
    expect(budgetTruth(pdb({}, spec), state([]), T0)).toEqual(expected);
  });

  it('is "failed" when a counted pod names a controller that does not exist', () => {
    expect(budgetTruth(pdb({}), { budgets: [], pods: three, workloads: [] }, T0)).toBe('failed');
  });
});

describe('budgetStatusMatchesPods', () => {
  it('holds on the status the pods call for', () => {
    expect(budgetStatusMatchesPods(state([pdb(good)]), T0)).toEqual([]);
    expect(budgetStatusMatchesPods(state([pdb({ ...good, currentHealthy: 2, disruptionsAllowed: 0, conditions: condition(false) })], [pod('zk-0'), pod('zk-1', { ready: false }), pod('zk-2')]), T0)).toEqual([]);
  });

  it('flags a controller that forgets desiredHealthy, or its condition', () => {
    expect(budgetStatusMatchesPods(state([pdb({ ...good, disruptionsAllowed: 3 })]), T0).map((v) => v.message)).toEqual(['status.disruptionsAllowed is 3, the pods say 1']);
    expect(budgetStatusMatchesPods(state([pdb({ ...good, conditions: condition(false) })]), T0).map((v) => v.message)).toEqual(['condition DisruptionAllowed is False/InsufficientPods, expected True/SufficientPods']);
  });

  it('flags a terminating pod counted healthy, a stale generation, and expectedPods from the pod count under maxUnavailable', () => {
    const pods = [pod('zk-0'), pod('zk-1', { deleting: true }), pod('zk-2')];
    expect(budgetStatusMatchesPods(state([pdb(good)], pods), T0).map((v) => v.message)).toEqual(['status.currentHealthy is 3, the pods say 2', 'status.disruptionsAllowed is 1, the pods say 0', 'condition DisruptionAllowed is True/SufficientPods, expected False/InsufficientPods']);
    expect(budgetStatusMatchesPods(state([pdb(good, { maxUnavailable: 1 }, 2)]), T0).map((v) => v.message)).toEqual(['status.observedGeneration is 1, generation is 2']);
    expect(budgetStatusMatchesPods(state([pdb({ ...good, expectedPods: 2 })], three.slice(0, 2)), T0).map((v) => v.message)).toContain('status.expectedPods is 2, the pods say 3');
  });

  it('flags disruptedPods entries for gone pods and older than 2 minutes, and counts fresh ones out of currentHealthy', () => {
    const fresh = formatTime(T0 - 60_000);
    expect(budgetStatusMatchesPods(state([pdb({ ...good, currentHealthy: 2, disruptionsAllowed: 0, conditions: condition(false), disruptedPods: { 'zk-0': fresh } })]), T0)).toEqual([]);
    expect(budgetStatusMatchesPods(state([pdb({ ...good, disruptedPods: { gone: fresh } })]), T0).map((v) => v.message)).toEqual(['status.disruptedPods still names pod gone, which is gone']);
    const old = formatTime(T0 - 180_000);
    expect(budgetStatusMatchesPods(state([pdb({ ...good, disruptedPods: { 'zk-0': old } })]), T0).map((v) => v.message)).toEqual([`status.disruptedPods still names pod zk-0, approved for eviction at ${old}, more than 2 minutes ago`]);
  });

  it('wants disruptionsAllowed 0 with SyncFailed when a counted controller is missing', () => {
    const missing = { budgets: [pdb(good)], pods: three, workloads: [] };
    expect(budgetStatusMatchesPods(missing, T0).map((v) => v.message)).toEqual(["a counted pod's controller does not exist, yet status says disruptionsAllowed 1 with DisruptionAllowed True/SufficientPods"]);
    const failSafe = pdb({ ...good, disruptionsAllowed: 0, conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "zk-0"' }] });
    expect(budgetStatusMatchesPods({ ...missing, budgets: [failSafe] }, T0)).toEqual([]);
  });
});

describe('evictionsRespectBudgets', () => {
  const at = formatTime(T0);
  const charge = (before: PodDisruptionBudget, name: string): PodDisruptionBudget => ({ ...before, status: { ...before.status, disruptionsAllowed: before.status.disruptionsAllowed - 1, disruptedPods: { ...before.status.disruptedPods, [name]: at } } });

  it('holds for an eviction the pods allowed', () => {
    const before = pdb(good);
    expect(evictionsRespectBudgets(state([before]), [{ type: 'MODIFIED', object: charge(before, 'zk-0') }])).toEqual([]);
  });

  it('flags an eviction charged to a current status whose pods allowed none (the status lied, or the eviction ignored it)', () => {
    const lying = pdb({ ...good, currentHealthy: 2, disruptionsAllowed: 2 });
    const pods = [pod('zk-0'), pod('zk-1', { ready: false }), pod('zk-2')];
    expect(evictionsRespectBudgets(state([lying], pods), [{ type: 'MODIFIED', object: charge(lying, 'zk-0') }]).map((v) => v.message)).toEqual([
      'evicted pod zk-0 while its pods allowed 0 disruption(s) (currentHealthy 2, desiredHealthy 2); status said disruptionsAllowed 2',
    ]);
  });

  it('judges each charge on the state just before it, replaying the changes in between', () => {
    const before = pdb(good);
    const changes: StateChange[] = [
      { type: 'MODIFIED', object: pod('zk-1', { ready: false }) },
      { type: 'MODIFIED', object: pdb({ ...good, currentHealthy: 2, disruptionsAllowed: 0, conditions: condition(false) }) },
      { type: 'MODIFIED', object: { ...pdb({ ...good, currentHealthy: 2, disruptionsAllowed: 1 }), status: { ...good, currentHealthy: 2, disruptionsAllowed: 0, disruptedPods: { 'zk-0': at } } } as PodDisruptionBudget },
    ];
    expect(evictionsRespectBudgets(state([before]), changes).map((v) => v.message)).toEqual(['evicted pod zk-0 while its pods allowed 0 disruption(s) (currentHealthy 2, desiredHealthy 2); status said disruptionsAllowed 0']);
  });

  it('does not judge a status that lags behind the pods (the race upstream accepts)', () => {
    const lagging = pdb(good);
    const pods = [pod('zk-0'), pod('zk-1', { ready: false }), pod('zk-2')];
    expect(evictionsRespectBudgets(state([lagging], pods), [{ type: 'MODIFIED', object: charge(lagging, 'zk-0') }])).toEqual([]);
  });
});
