/**
 * The PodDisruptionBudget rules the eviction subresource and the disruption controller share:
 * which budgets guard a pod (policy/v1: an empty selector matches every pod, a missing one
 * none), and the `DisruptionAllowed` condition (upstream `UpdateDisruptionAllowedCondition`,
 * `ConditionsAreUpToDate`).
 */
import { describe, expect, it } from 'vitest';
import { formatTime } from '../clock/clock.js';
import { budgetsForPod, disruptionAllowedConditionUpToDate, disruptionAllowedConditions, setStatusCondition } from './disruption.js';
import type { DisruptionBudgetLike } from './disruption.js';
import type { LabelSelector } from './meta.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function pdb(name: string, selector: LabelSelector | undefined, namespace = 'default'): DisruptionBudgetLike {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace }, spec: selector === undefined ? {} : { selector } };
}

describe('budgetsForPod', () => {
  const zk = pdb('zk', { matchLabels: { app: 'zk' } });
  it.each([
    ['a matching selector', [zk], 'default', { app: 'zk' }, ['zk']],
    ['another namespace', [zk], 'other', { app: 'zk' }, []],
    ['labels that do not match', [zk], 'default', { app: 'web' }, []],
    ['an empty selector matches every pod (policy/v1)', [pdb('all', {})], 'default', {}, ['all']],
    ['a missing selector matches none', [pdb('none', undefined)], 'default', { app: 'zk' }, []],
    ['an invalid selector matches none', [pdb('bad', { matchExpressions: [{ key: 'app', operator: 'Bogus' as never }] })], 'default', { app: 'zk' }, []],
    ['two budgets, both returned', [zk, pdb('all', {})], 'default', { app: 'zk' }, ['zk', 'all']],
  ])('%s', (_name, budgets, namespace, labels, expected) => {
    expect(budgetsForPod(budgets, namespace, labels).map((b) => b.metadata.name)).toEqual(expected);
  });
});

describe('the DisruptionAllowed condition', () => {
  it('is True/SufficientPods above 0 and False/InsufficientPods at 0, with the observed generation', () => {
    expect(disruptionAllowedConditions(undefined, 1, 3, T0)).toEqual([{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', observedGeneration: 3, lastTransitionTime: formatTime(T0) }]);
    expect(disruptionAllowedConditions(undefined, 0, 3, T0)).toEqual([{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', observedGeneration: 3, lastTransitionTime: formatTime(T0) }]);
  });

  it('keeps lastTransitionTime while the status stays, moves it when the status flips (meta.SetStatusCondition)', () => {
    const first = disruptionAllowedConditions(undefined, 2, 1, T0);
    expect(disruptionAllowedConditions(first, 1, 2, T0 + 60_000)[0]).toMatchObject({ status: 'True', observedGeneration: 2, lastTransitionTime: formatTime(T0) });
    expect(disruptionAllowedConditions(first, 0, 2, T0 + 60_000)[0]).toMatchObject({ status: 'False', lastTransitionTime: formatTime(T0 + 60_000) });
  });

  it('setStatusCondition keeps the other conditions in place and drops a stale message', () => {
    const list = [{ type: 'A', status: 'True' as const }, { type: 'DisruptionAllowed', status: 'False' as const, reason: 'SyncFailed', message: 'boom', lastTransitionTime: formatTime(T0) }];
    expect(setStatusCondition(list, { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }, T0 + 1000)).toEqual([
      { type: 'A', status: 'True' },
      { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', lastTransitionTime: formatTime(T0) },
    ]);
  });

  it('is up to date only when it agrees with disruptionsAllowed at the current generation (ConditionsAreUpToDate)', () => {
    const budget = (allowed: number, generation: number, observed: number, status: 'True' | 'False', reason: string): DisruptionBudgetLike => ({
      ...pdb('b', {}),
      metadata: { name: 'b', namespace: 'default', generation },
      status: { disruptionsAllowed: allowed, observedGeneration: observed, conditions: [{ type: 'DisruptionAllowed', status, reason }] },
    });
    expect(disruptionAllowedConditionUpToDate(budget(1, 1, 1, 'True', 'SufficientPods'))).toBe(true);
    expect(disruptionAllowedConditionUpToDate(budget(0, 1, 1, 'False', 'InsufficientPods'))).toBe(true);
    expect(disruptionAllowedConditionUpToDate(budget(0, 1, 1, 'False', 'SyncFailed'))).toBe(false);
    expect(disruptionAllowedConditionUpToDate(budget(1, 1, 1, 'False', 'InsufficientPods'))).toBe(false);
    expect(disruptionAllowedConditionUpToDate(budget(1, 2, 1, 'True', 'SufficientPods'))).toBe(false);
    expect(disruptionAllowedConditionUpToDate(pdb('b', {}))).toBe(false);
  });
});
