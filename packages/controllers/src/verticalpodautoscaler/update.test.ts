/**
 * The updater's and admission's decisions by table (upstream `pkg/updater/priority`,
 * `pkg/updater/eviction` and the admission controller's patches).
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '@kubeloop/core';
import { makePod } from '../testing/fixtures.js';
import type { VerticalPodAutoscaler } from './kind.js';
import { applyRecommendation, podsToEvict, shouldUpdate, updatePriority } from './update.js';

const H = 60 * 60 * 1000;
const NOW = 1_800_000_000_000;

const vpa = (mode = 'Auto', policy?: object): VerticalPodAutoscaler =>
  ({
    apiVersion: 'autoscaling.k8s.io/v1',
    kind: 'VerticalPodAutoscaler',
    metadata: { name: 'v', namespace: 'default' },
    spec: { targetRef: { kind: 'Deployment', name: 'd' }, updatePolicy: { updateMode: mode }, ...(policy ? { resourcePolicy: { containerPolicies: [policy] } } : {}) },
    status: { recommendation: { containerRecommendations: [{ containerName: 'c', target: { cpu: '350m' }, lowerBound: { cpu: '200m' }, upperBound: { cpu: '1' } }] } },
  }) as VerticalPodAutoscaler;

const pod = (name: string, cpu: string, o: { phase?: string; ageH?: number; owner?: string; limit?: string } = {}): Pod => {
  const p = makePod(name, { cpu });
  return {
    ...p,
    metadata: { ...p.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.owner ?? 'rs-1', controller: true }] },
    spec: { ...p.spec, containers: [{ ...p.spec.containers[0]!, resources: { requests: { cpu }, ...(o.limit ? { limits: { cpu: o.limit } } : {}) } }] },
    status: { ...p.status, phase: (o.phase ?? 'Running') as Pod['status']['phase'], startTime: new Date(NOW - (o.ageH ?? 1) * H).toISOString() },
  };
};

describe('shouldUpdate', () => {
  it.each([
    ['below the lower bound', '100m', 1, true],
    ['above the upper bound', '2', 1, true],
    ['inside, young', '250m', 1, false],
    ['inside, older than 12 h, 29 % off the target', '250m', 13, true],
    ['inside, older than 12 h, within 10 % of the target', '340m', 13, false],
  ])('%s: request %s, age %ih → %s', (_name, cpu, ageH, expected) => {
    expect(shouldUpdate(pod('p', cpu, { ageH }), vpa(), NOW)).toBe(expected);
  });
  it('measures the relative difference to the target per resource', () => {
    expect(updatePriority(pod('p', '250m'), vpa()).resourceDiff).toBeCloseTo(0.4);
  });
});

describe('podsToEvict', () => {
  it('evicts the one pod of a single replica when minReplicas is 1, none when it is 2', () => {
    const one = [pod('a', '100m')];
    expect(podsToEvict(one, one, 1).map((p) => p.metadata.name)).toEqual(['a']);
    expect(podsToEvict(one, one, 2)).toEqual([]);
  });
  it('evicts at most half of a controller’s pods at once, fewer when some are not running', () => {
    const four = ['a', 'b', 'c', 'd'].map((n) => pod(n, '100m'));
    expect(podsToEvict(four, four, 2).map((p) => p.metadata.name)).toEqual(['a', 'b']);
    const oneDown = [...four.slice(0, 3), pod('d', '100m', { phase: 'Pending' })];
    expect(podsToEvict(oneDown.slice(0, 3), oneDown, 2).map((p) => p.metadata.name)).toEqual(['a']);
  });
});

describe('applyRecommendation', () => {
  it('sets the target as request and keeps the limit’s ratio: 100m/200m → 350m/700m', () => {
    const out = applyRecommendation(pod('p', '100m', { limit: '200m' }), vpa())!;
    expect(out.spec.containers[0]!.resources).toEqual({ requests: { cpu: '350m' }, limits: { cpu: '700m' } });
    expect(out.metadata.annotations).toMatchObject({ vpaUpdates: 'Pod resources updated by v: container 0: cpu request, cpu limit', vpaObservedContainers: 'c' });
  });
  it('leaves limits alone with RequestsOnly, and the pod alone in mode Off', () => {
    const out = applyRecommendation(pod('p', '100m', { limit: '200m' }), vpa('Auto', { containerName: 'c', controlledValues: 'RequestsOnly' }))!;
    expect(out.spec.containers[0]!.resources).toEqual({ requests: { cpu: '350m' }, limits: { cpu: '200m' } });
    expect(applyRecommendation(pod('p', '100m'), vpa('Off'))).toBeUndefined();
  });
});
