/**
 * The replica calculator, pinned to the walkthroughs' numbers and to upstream
 * `replica_calculator_test.go` (TestReplicaCalcScaleUp, ...UnreadyLessScale, ...UnreadyNoScale,
 * ...HotCpuLessScale, TestReplicaCalcScaleDown, ...IgnoresUnreadyPods, ...IgnoresFailedPods,
 * ...IgnoresDeletionPods, TestReplicaCalcTolerance, TestReplicaCalcMissingMetrics and the
 * ...NoChange{Eq,Gt,Lt} cases).
 */
import { describe, expect, it } from 'vitest';
import { PodSchema, formatTime } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { ReplicaCalculationError, groupPods, resourceReplicas, resourceUtilizationRatio } from './replicas.js';
import type { PodMetricSample } from './replicas.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const LONG_AGO = NOW - 60 * 60_000;

interface PodOpts {
  readonly request?: string | undefined;
  readonly ready?: boolean;
  readonly phase?: string;
  readonly startMs?: number;
  readonly transitionMs?: number;
  readonly deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const start = o.startMs ?? LONG_AGO;
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(o.deleting === true ? { deletionTimestamp: formatTime(NOW) } : {}) },
    spec: { containers: [{ name: 'c', image: 'php-apache', ...(o.request === undefined ? {} : { resources: { requests: { cpu: o.request } } }) }] },
    status: {
      phase: o.phase ?? 'Running',
      startTime: formatTime(start),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: formatTime(o.transitionMs ?? start) }],
    },
  });
}

function samples(values: Record<string, number>, at = NOW - 10_000): Map<string, PodMetricSample> {
  return new Map(Object.entries(values).map(([k, v]) => [k, { milliValue: v, timestampMs: at, windowMs: 15_000 }]));
}

function cpu(pods: Pod[], values: Record<string, number>, target: number, currentReplicas = pods.length) {
  return resourceReplicas({ currentReplicas, resource: 'cpu', pods, metrics: samples(values), nowMs: NOW, target: { type: 'Utilization', averageUtilization: target } });
}

describe('the walkthroughs (desired = ceil(usageRatio × readyPodCount))', () => {
  it('scales 2 pods at 300m of 200m requests with a 50% target to 6', () => {
    const r = cpu([pod('a', { request: '200m' }), pod('b', { request: '200m' })], { a: 300, b: 300 }, 50);
    expect(r).toEqual({ replicas: 6, utilization: 150, rawAverageValue: 300 });
  });

  it('scales 6 pods at 50m back to 3', () => {
    const pods = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => pod(n, { request: '200m' }));
    const r = cpu(pods, Object.fromEntries(pods.map((p) => [p.metadata.name, 50])), 50);
    expect(r).toEqual({ replicas: 3, utilization: 25, rawAverageValue: 50 });
  });

  it('rounds 3 × 0.5 = 1.5 up to 2', () => {
    const r = cpu([pod('a', { request: '200m' }), pod('b', { request: '200m' }), pod('c', { request: '200m' })], { a: 50, b: 50, c: 50 }, 50);
    expect(r.replicas).toBe(2);
  });

  it('scales one pod with 10m requests at 29m and a 50% target to 6 (290% / 50% = 5.8)', () => {
    const r = cpu([pod('a', { request: '10m' })], { a: 29 }, 50);
    expect(r).toEqual({ replicas: 6, utilization: 290, rawAverageValue: 29 });
  });
});

describe('upstream TestReplicaCalc* (requests 1 CPU unless stated)', () => {
  const one = (name: string, o: PodOpts = {}) => pod(name, { request: '1', ...o });

  it('ScaleUp: 300m, 500m, 700m at a 30% target → 5 (50%)', () => {
    expect(cpu([one('a'), one('b'), one('c')], { a: 300, b: 500, c: 700 }, 30)).toMatchObject({ replicas: 5, utilization: 50 });
  });

  it('ScaleUpUnreadyLessScale: an unready pod counts as 0% on a scale-up → 4 (60%)', () => {
    expect(cpu([one('a', { ready: false }), one('b'), one('c')], { a: 300, b: 500, c: 700 }, 30)).toMatchObject({ replicas: 4, utilization: 60 });
  });

  it('ScaleUpHotCpuLessScale: a pod inside its CPU initialization period whose sample predates a full window is ignored → 4', () => {
    const hot = one('a', { startMs: NOW - 60_000, transitionMs: NOW - 15_000 });
    expect(cpu([hot, one('b'), one('c')], { a: 300, b: 500, c: 700 }, 30)).toMatchObject({ replicas: 4, utilization: 60 });
  });

  it('ScaleUpUnreadyNoScale: when counting unready pods at 0% reverses the direction, the count stays → 3 (40%)', () => {
    expect(cpu([one('a'), one('b', { ready: false }), one('c', { ready: false })], { a: 400, b: 500, c: 700 }, 30)).toMatchObject({ replicas: 3, utilization: 40 });
  });

  it('ScaleUpIgnoresFailedPods and ...DeletionPods: failed and deleting pods count for nothing → 4 (60%)', () => {
    const failed = [one('a'), one('b'), one('c', { phase: 'Failed', ready: false }), one('d', { phase: 'Failed', ready: false })];
    expect(cpu(failed, { a: 500, b: 700 }, 30, 2)).toMatchObject({ replicas: 4, utilization: 60 });
    const deleting = [one('a'), one('b'), one('c', { deleting: true }), one('d', { deleting: true })];
    expect(cpu(deleting, { a: 500, b: 700 }, 30, 2)).toMatchObject({ replicas: 4, utilization: 60 });
  });

  it('ScaleUpPending: a Pending pod counts as 0% on a scale-up', () => {
    // ready: 1200/2000 = 60% → ratio 2; with the pending pod at 0: 1200/3000 = 40% → ceil(1.33 × 3) = 4
    expect(cpu([one('a', { phase: 'Pending', ready: false }), one('b'), one('c')], { b: 500, c: 700 }, 30)).toMatchObject({ replicas: 4, utilization: 60 });
  });

  it('ScaleDown: 100m, 300m, 500m, 250m, 250m at a 50% target → 3 (28%)', () => {
    const pods = ['a', 'b', 'c', 'd', 'e'].map((n) => one(n));
    expect(cpu(pods, { a: 100, b: 300, c: 500, d: 250, e: 250 }, 50)).toMatchObject({ replicas: 3, utilization: 28 });
  });

  it('ScaleDownIgnoresUnreadyPods: unready pods are left out of a scale-down → 2 (30%)', () => {
    const pods = [one('a'), one('b'), one('c'), one('d', { ready: false }), one('e', { ready: false })];
    expect(cpu(pods, { a: 100, b: 300, c: 500, d: 250, e: 250 }, 50)).toMatchObject({ replicas: 2, utilization: 30 });
  });

  it('Tolerance: 102% of a 100% target is within 10% → 3', () => {
    const pods = [pod('a', { request: '900m' }), pod('b', { request: '1' }), pod('c', { request: '1100m' })];
    expect(cpu(pods, { a: 1010, b: 1030, c: 1020 }, 100)).toMatchObject({ replicas: 3, utilization: 102 });
  });

  it('MissingMetrics: on a scale-down missing pods count as 100% → 3 (24%)', () => {
    expect(cpu([one('a'), one('b'), one('c'), one('d')], { a: 400, b: 95 }, 100)).toMatchObject({ replicas: 3, utilization: 24 });
  });

  it('MissingMetricsNoChangeEq / Gt / Lt: missing pods that bring the ratio within tolerance keep the count', () => {
    expect(cpu([one('a'), one('b')], { a: 1000 }, 100)).toMatchObject({ replicas: 2, utilization: 100 });
    expect(cpu([one('a'), one('b')], { a: 1900 }, 100)).toMatchObject({ replicas: 2, utilization: 190 });
    expect(cpu([one('a'), one('b')], { a: 600 }, 100)).toMatchObject({ replicas: 2, utilization: 60 });
  });

  it('fails without pods, without a ready sample, and without a request, with upstream messages', () => {
    expect(() => cpu([], {}, 50)).toThrow('no pods returned by selector while calculating replica count');
    expect(() => cpu([one('a', { ready: false })], { a: 100 }, 50)).toThrow('did not receive metrics for any ready pods');
    expect(() => cpu([pod('a')], { a: 100 }, 50)).toThrow(ReplicaCalculationError);
    expect(() => cpu([pod('a')], { a: 100 }, 50)).toThrow('missing request for cpu in container c of Pod a');
  });
});

describe('AverageValue targets (upstream GetRawResourceReplicas)', () => {
  it('divides the average usage by the per-pod target: 3 pods averaging 300m with a 100m target → 9', () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    const r = resourceReplicas({ currentReplicas: 3, resource: 'cpu', pods, metrics: samples({ a: 200, b: 300, c: 400 }), nowMs: NOW, target: { type: 'AverageValue', milliValue: 100 } });
    expect(r).toEqual({ replicas: 9, utilization: 0, rawAverageValue: 300 });
  });

  it('does not apply CPU readiness rules to memory', () => {
    const pods = [pod('a', { ready: false, request: '1' })];
    const groups = groupPods(pods, samples({ a: 1 }), 'memory', NOW);
    expect(groups.readyPodCount).toBe(1);
  });
});

describe('resourceUtilizationRatio', () => {
  it('truncates the percentage before dividing by the target, as upstream', () => {
    // 299/300 = 99.67% → 99 → ratio 0.99
    expect(resourceUtilizationRatio(new Map([['a', 299]]), new Map([['a', 300]]), 100)).toEqual({ ratio: 0.99, utilization: 99, rawAverageValue: 299 });
  });
});
