/**
 * Tables copied from upstream's tests, same inputs and expected outputs:
 *
 * - `replica_calculator_test.go`: the custom-metric cases (`...CM`, `...CMObject`,
 *   `...PerPodCMObject`, `...CMExternal`, `...PerPodCMExternal`, their tolerance and unready
 *   variants), the missing-metrics cases with unready and hot-CPU pods, superfluous metrics,
 *   a rolling update with maxSurge and the computed-tolerance regression test. Upstream's pods
 *   have two containers each with half the request and half the usage; here one container with
 *   the whole (ratios and counts are the same, `expectedValue` is per pod).
 * - `horizontal_test.go` `TestScalingWithRules` (upstream `convertDesiredReplicasWithBehaviorRate`:
 *   every row, with events spread as `generateEventsUniformDistribution` spreads them) and
 *   `TestNormalizeDesiredReplicas` (the legacy 5-minute stabilization).
 */
import { describe, expect, it } from 'vitest';
import { PodSchema, formatTime } from '@kubeloop/core';
import type { HPAScalingRules, Pod } from '@kubeloop/core';
import { normalizeDesiredReplicas } from './behavior.js';
import type { ScalingHistory, TimestampedScaleEvent } from './behavior.js';
import { perPodTotalReplicas, podsMetricReplicas, resourceReplicas, usageRatioReplicas } from './replicas.js';
import type { PodMetricSample } from './replicas.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
/** upstream `coolCPUCreationTime`: 5 minutes ago (outside the initialization period once a sample is fresh). */
const COOL = NOW - 5 * 60_000;
/** upstream `hotCPUCreationTime`: 1 minute ago (inside the CPU initialization period). */
const HOT = NOW - 60_000;

function pod(i: number, o: { ready?: boolean; phase?: string; start?: number; request?: string } = {}): Pod {
  const start = o.start ?? COOL;
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `test-pod-${i}`, namespace: 'test-namespace' },
    spec: { containers: [{ name: 'container', image: 'app', resources: { requests: { cpu: o.request ?? '1' } } }] },
    status: { phase: o.phase ?? 'Running', startTime: formatTime(start), conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: formatTime(start) }] },
  });
}

/**
 * Samples named test-pod-<i> over a 1-minute window, taken before a hot pod's first full window
 * (upstream's fakes leave the timestamp unset, so a hot pod's sample never covers a window).
 */
function levels(values: readonly number[]): Map<string, PodMetricSample> {
  return new Map(values.map((v, i) => [`test-pod-${i}`, { milliValue: v, timestampMs: NOW - 120_000, windowMs: 60_000 }]));
}

const ready = (bits: readonly boolean[]) => bits.map((r, i) => pod(i, { ready: r }));
const running = (n: number) => Array.from({ length: n }, (_, i) => pod(i));

describe('replica_calculator_test.go: Pods metrics (GetMetricReplicas)', () => {
  const cm = (pods: Pod[], values: number[], target: number, current = pods.length) => podsMetricReplicas({ currentReplicas: current, pods, metrics: levels(values), nowMs: NOW, targetMilliValue: target });

  it.each([
    ['ScaleUpCM', running(3), [20000, 10000, 30000], 15000, 4, 20000],
    ['ScaleDownCM', running(5), [12000, 12000, 12000, 12000, 12000], 20000, 3, 12000],
    ['ToleranceCM', running(3), [20000, 21000, 21000], 20000, 3, 20666],
    ['ScaleUpCMExternal (a pods metric with a selector)', running(1), [8600], 4400, 2, 8600],
  ] as const)('%s', (_, pods, values, target, expected, average) => {
    expect(cm([...pods], [...values], target)).toEqual({ replicas: expected, averageMilliValue: average });
  });

  it('ScaleUpCMUnreadyHotCpuNoLessScale: pods metrics ignore CPU readiness → 6 (30000)', () => {
    const pods = [pod(0), pod(1), pod(2, { ready: false, start: HOT })];
    expect(cm(pods, [50000, 10000, 30000], 15000)).toEqual({ replicas: 6, averageMilliValue: 30000 });
  });

  it('ScaleUpCMUnreadyHotCpuScaleWouldScaleDown → 7 (31666)', () => {
    const pods = [pod(0, { ready: false, start: HOT }), pod(1), pod(2, { ready: false, start: HOT })];
    expect(cm(pods, [50000, 15000, 30000], 15000)).toEqual({ replicas: 7, averageMilliValue: 31666 });
  });
});

describe('replica_calculator_test.go: Object and External metrics', () => {
  it.each([
    // name, currentReplicas, readiness, usage, target, expected
    ['ScaleUpCMObject', 3, [true, true, true], 20000, 15000, 4],
    ['ScaleUpCMObjectIgnoresUnreadyPods (15 if unready pods counted)', 3, [false, true, false], 50000, 10000, 5],
    ['ScaleDownCMObject', 5, [true, true, true, true, true], 12000, 20000, 3],
    ['ToleranceCMObject', 3, [true, true, true], 20666, 20000, 3],
    ['ScaleUpCMExternalIgnoresUnreadyPods (6 if unready pods counted)', 3, [false, true, false], 8600, 4400, 2],
    ['ScaleDownCMExternal', 5, [true, true, true, true, true], 8600, 14334, 3],
    ['ToleranceCMExternal', 3, [true, true, true], 8600, 8888, 3],
  ] as const)('%s: Value target (getUsageRatioReplicaCount)', (_, current, readiness, usage, target, expected) => {
    expect(usageRatioReplicas(current, usage / target, ready(readiness))).toBe(expected);
  });

  it.each([
    // name, statusReplicas, usage, per-pod target, expected, reported average
    ['ScaleUpCMPerPodObject', 3, 20000, 5000, 4, 6667],
    ['ScaleDownPerPodCMObject', 5, 6000, 2000, 3, 1200],
    ['TolerancePerPodCMObject', 4, 20166, 5000, 4, 5042],
    ['ScaleUpPerPodCMExternal', 3, 8600, 2150, 4, 2867],
    ['ScaleDownPerPodCMExternal', 5, 8600, 2867, 3, 1720],
    ['TolerancePerPodCMExternal', 3, 8600, 2900, 3, 2867],
  ] as const)('%s: AverageValue target (usage split over status.replicas)', (_, status, usage, target, expected, average) => {
    expect(perPodTotalReplicas(status, usage, target)).toEqual({ replicas: expected, averageMilliValue: average });
  });

  it('scales from zero replicas with ceil(ratio), without counting pods', () => {
    expect(usageRatioReplicas(0, 2.5, [])).toBe(3);
  });
});

describe('replica_calculator_test.go: CPU utilization corner cases', () => {
  const cpu = (pods: Pod[], values: number[], target: number, current = pods.length) =>
    resourceReplicas({ currentReplicas: current, resource: 'cpu', pods, metrics: levels(values), nowMs: NOW, target: { type: 'Utilization', averageUtilization: target } });

  it.each([
    ['MissingMetricsUnreadyChange', [false, true, true], [100, 450], 50, 3, 45],
    ['MissingMetricsUnreadyScaleUp', [false, true, true], [100, 2000], 50, 4, 200],
    ['MissingMetricsUnreadyScaleDown', [false, true, true, true], [100, 100, 100], 50, 3, 10],
  ] as const)('%s', (_, readiness, values, target, expected, utilization) => {
    expect(cpu(ready(readiness), [...values], target)).toMatchObject({ replicas: expected, utilization });
  });

  it('MissingMetricsHotCpuNoChange → 3 (45%)', () => {
    expect(cpu([pod(0, { start: HOT }), pod(1), pod(2)], [100, 450], 50)).toMatchObject({ replicas: 3, utilization: 45 });
  });

  it('MissingMetricsHotCpuScaleUp → 4 (200%)', () => {
    expect(cpu([pod(0, { ready: false, start: HOT }), pod(1), pod(2)], [100, 2000], 50)).toMatchObject({ replicas: 4, utilization: 200 });
  });

  it('SuperfluousMetrics: samples of pods the selector does not match are left out → 24 (587%, 5875m)', () => {
    expect(cpu(running(4), [4000, 9500, 3000, 7000, 3200, 2000], 100)).toEqual({ replicas: 24, utilization: 587, rawAverageValue: 5875 });
  });

  it('DuringRollingUpdateWithMaxSurge: 3 pods of 2 replicas, a surge pod without metrics → 2 (10%)', () => {
    expect(cpu(running(3), [100, 100], 50, 2)).toMatchObject({ replicas: 2, utilization: 10 });
  });

  it('ComputedToleranceAlgImplementation: just past the tolerance scales 10 → 8; just inside keeps 10', () => {
    // 10 pods at 150m, requests around 300m: 50% used; target 1/(2 × 0.9) + 0.01 = 0.5656 → 56%
    const requests = [400, 200, 310, 290, 302, 298, 301, 299, 300, 300];
    const pods = requests.map((r, i) => pod(i, { request: `${r}m` }));
    const values = requests.map(() => 150);
    expect(cpu(pods, values, 56)).toMatchObject({ replicas: Math.ceil((1500 / (3000 * 0.56)) * 10), utilization: 50 });
    // 1/(2 × 0.9) + 0.004 = 0.5595 → 55%: 50/55 = 0.909, within 10%
    expect(cpu(pods, values, 55)).toMatchObject({ replicas: 10, utilization: 50 });
  });

  it('on a scale-down, a missing pod counts as max(100%, target) of its request (fallbackUtilization)', () => {
    // target 200%: pod 0 at 100m of 1 (10%), pod 1 missing counts as 2000m (200%): (100 + 2000) / 2000 = 105% → ratio 0.525 → ceil(0.525 × 2) = 2 (no change)
    expect(cpu(running(2), [100], 200)).toMatchObject({ replicas: 2, utilization: 10 });
    // counted as 100% it would be (100 + 1000) / 2000 = 55% → 0.275 → 1
  });
});

/** upstream `generateEventsUniformDistribution`: events spread over the last `periodSeconds`, each in the middle of its segment. */
function spread(changes: readonly number[], periodSeconds: number): TimestampedScaleEvent[] {
  const segment = periodSeconds / changes.length;
  return changes.map((change, i) => ({ change, atMs: NOW - Math.trunc(periodSeconds - segment * (i + 1) + segment / 2) * 1000 }));
}

/** upstream `generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow)`. */
function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window: number): HPAScalingRules {
  const policies: NonNullable<HPAScalingRules['policies']> = [];
  if (pods !== 0) policies.push({ type: 'Pods', value: pods, periodSeconds: podsPeriod });
  if (percent !== 0) policies.push({ type: 'Percent', value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: window, selectPolicy: 'Max', policies };
}

interface RuleRow {
  readonly name: string;
  readonly up?: TimestampedScaleEvent[];
  readonly down?: TimestampedScaleEvent[];
  readonly min: number;
  readonly max: number;
  readonly scaleUp?: HPAScalingRules;
  readonly scaleDown?: HPAScalingRules;
  readonly current: number;
  readonly desired: number;
  readonly expected: number;
  readonly condition: string;
}

const SCALING_WITH_RULES: readonly RuleRow[] = [
  { name: 'prenormalized desired replicas within range', current: 5, desired: 7, min: 3, max: 8, expected: 7, condition: 'DesiredWithinRange' },
  { name: 'prenormalized desired replicas < minReplicas', current: 3, desired: 1, min: 2, max: 8, expected: 2, condition: 'TooFewReplicas' },
  { name: 'prenormalized desired replicas within range when minReplicas is 0', current: 1, desired: 0, min: 0, max: 10, expected: 0, condition: 'DesiredWithinRange' },
  { name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit', current: 20, desired: 1000, min: 1, max: 10, expected: 10, condition: 'TooManyReplicas' },
  { name: 'desired replica count is more than the maximum replica count', current: 100, desired: 1000, min: 100, max: 150, expected: 150, condition: 'TooManyReplicas' },
  { name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies', current: 3, desired: 1000, min: 1, max: 2000, expected: 4, condition: 'ScaleUpLimit', scaleUp: rules(0, 0, 1, 60, 0) },
  { name: 'scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies', current: 1000, desired: 3, min: 3, max: 2000, scaleDown: rules(20, 60, 0, 0, 0), expected: 980, condition: 'ScaleDownLimit' },
  { name: 'scaleUp with default behavior', min: 1, max: 1000, current: 10, desired: 50, expected: 20, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with pods policy larger than percent policy', min: 1, max: 1000, scaleUp: rules(100, 60, 100, 60, 0), current: 10, desired: 500, expected: 110, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy larger than pods policy', min: 1, max: 1000, scaleUp: rules(2, 60, 100, 60, 0), current: 10, desired: 500, expected: 20, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with spec MaxReplicas limitation with large pod policy', min: 1, max: 1000, scaleUp: rules(100, 60, 0, 0, 0), current: 10, desired: 50, expected: 50, condition: 'DesiredWithinRange' },
  { name: 'scaleUp with spec MaxReplicas limitation with large percent policy', min: 1, max: 1000, scaleUp: rules(10000, 60, 0, 0, 0), current: 10, desired: 50, expected: 50, condition: 'DesiredWithinRange' },
  { name: 'scaleUp with pod policy limitation', min: 1, max: 1000, scaleUp: rules(30, 60, 0, 0, 0), current: 10, desired: 50, expected: 40, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy limitation', min: 1, max: 1000, scaleUp: rules(0, 0, 200, 60, 0), current: 10, desired: 50, expected: 30, condition: 'ScaleUpLimit' },
  { name: 'scaleDown with percent policy larger than pod policy', min: 1, max: 1000, scaleDown: rules(20, 60, 1, 60, 300), current: 100, desired: 2, expected: 80, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with pod policy larger than percent policy', min: 1, max: 1000, scaleDown: rules(2, 60, 1, 60, 300), current: 100, desired: 2, expected: 98, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy', min: 1, max: 1000, scaleDown: rules(100, 60, 0, 0, 300), current: 10, desired: 0, expected: 1, condition: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large percent policy', min: 5, max: 1000, scaleDown: rules(0, 0, 100, 60, 300), current: 10, desired: 2, expected: 5, condition: 'TooFewReplicas' },
  { name: 'scaleDown with pod policy limitation', min: 1, max: 1000, scaleDown: rules(5, 60, 0, 0, 300), current: 10, desired: 2, expected: 5, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with percent policy limitation', min: 1, max: 1000, scaleDown: rules(0, 0, 50, 60, 300), current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: 'scaleUp with spec MaxReplicas limitation with large pod policy and events', up: spread([1, 5, 9], 120), min: 1, max: 200, scaleUp: rules(300, 60, 0, 0, 0), current: 100, desired: 500, expected: 200, condition: 'TooManyReplicas' },
  { name: 'scaleUp with spec MaxReplicas limitation with large percent policy and events', up: spread([1, 5, 9], 120), min: 1, max: 200, scaleUp: rules(0, 0, 10000, 60, 0), current: 100, desired: 500, expected: 200, condition: 'TooManyReplicas' },
  { name: 'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events', up: spread([1, 5, 9], 120), min: 1, max: 1000, scaleUp: rules(5, 120, 0, 0, 0), current: 100, desired: 500, expected: 100, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with pod policy and previous scale up events', up: spread([1, 5, 9], 120), min: 1, max: 1000, scaleUp: rules(150, 120, 0, 0, 0), current: 100, desired: 500, expected: 235, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy and previous scale up events', up: spread([1, 5, 9], 120), min: 1, max: 1000, scaleUp: rules(0, 0, 200, 120, 0), current: 100, desired: 500, expected: 255, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy and previous scale up and down events', up: spread([4], 120), down: spread([2], 120), min: 1, max: 1000, scaleUp: rules(0, 0, 300, 300, 0), current: 6, desired: 24, expected: 16, condition: 'ScaleUpLimit' },
  { name: 'scaleDown with default policy and previous events', down: spread([1, 5, 9], 120), min: 1, max: 1000, current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events', down: spread([1, 5, 9], 120), min: 1, max: 1000, scaleDown: rules(115, 120, 0, 0, 300), current: 100, desired: 0, expected: 1, condition: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large pod policy and previous events', down: spread([1, 5, 9], 120), min: 5, max: 1000, scaleDown: rules(130, 120, 0, 0, 300), current: 100, desired: 0, expected: 5, condition: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large percent policy and previous events', down: spread([1, 5, 9], 120), min: 5, max: 1000, scaleDown: rules(0, 0, 100, 120, 300), current: 100, desired: 2, expected: 5, condition: 'TooFewReplicas' },
  { name: 'scaleDown with pod policy limitation and previous events', down: spread([1, 5, 9], 120), min: 1, max: 1000, scaleDown: rules(5, 120, 0, 0, 300), current: 100, desired: 2, expected: 100, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with percent policy limitation and previous events', down: spread([2, 4, 6], 120), min: 1, max: 1000, scaleDown: rules(0, 0, 50, 120, 300), current: 100, desired: 0, expected: 56, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with percent policy and previous scale up and down events', up: spread([2], 120), down: spread([4], 120), min: 1, max: 1000, scaleDown: rules(0, 0, 50, 180, 0), current: 10, desired: 1, expected: 6, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with previous events preventing further scale down', down: spread([10, 10, 10], 120), min: 1, max: 1000, scaleDown: rules(0, 0, 10, 120, 300), current: 100, desired: 0, expected: 100, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with with previous events still allowing more scale down', down: spread([10, 10, 10], 120), min: 1, max: 1000, scaleDown: rules(0, 0, 1000, 120, 300), current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: "check 'outdated' flag for events for one behavior for up", up: spread([8, 12, 9, 11], 120), min: 1, max: 1000, scaleUp: rules(1000, 60, 0, 0, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
  { name: "check that events were not marked 'outdated' for two different policies in the behavior for up", up: spread([8, 12, 9, 11], 120), min: 1, max: 1000, scaleUp: rules(1000, 120, 100, 60, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
  { name: "check that events were marked 'outdated' for two different policies in the behavior for up", up: spread([8, 12, 9, 11], 120), min: 1, max: 1000, scaleUp: rules(1000, 30, 100, 60, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
  { name: "check 'outdated' flag for events for one behavior for down", down: spread([8, 12, 9, 11], 120), min: 1, max: 1000, scaleDown: rules(1000, 60, 0, 0, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: "check that events were not marked 'outdated' for two different policies in the behavior for down", down: spread([8, 12, 9, 11], 120), min: 1, max: 1000, scaleDown: rules(1000, 120, 100, 60, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: "check that events were marked 'outdated' for two different policies in the behavior for down", down: spread([8, 12, 9, 11], 120), min: 1, max: 1000, scaleDown: rules(1000, 30, 100, 60, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
];

describe('horizontal_test.go TestScalingWithRules (policies over their periods, then min/max)', () => {
  it.each(SCALING_WITH_RULES.map((r) => [r.name, r] as const))('%s', (_, row) => {
    // no recommendations: the stabilization windows leave the proposal as it is, so only the rate rules act
    const history: ScalingHistory = { recommendations: [], scaleUpEvents: row.up ?? [], scaleDownEvents: row.down ?? [] };
    const behavior = { ...(row.scaleUp === undefined ? {} : { scaleUp: row.scaleUp }), ...(row.scaleDown === undefined ? {} : { scaleDown: row.scaleDown }) };
    const n = normalizeDesiredReplicas({ currentReplicas: row.current, proposedReplicas: row.desired, minReplicas: row.min, maxReplicas: row.max, behavior, nowMs: NOW }, history);
    expect([n.desiredReplicas, n.scalingLimited.reason]).toEqual([row.expected, row.condition]);
  });
});

describe('horizontal_test.go TestNormalizeDesiredReplicas (no behavior: the highest recommendation of 5 minutes)', () => {
  const at = (replicas: number, minutesAgo: number) => ({ replicas, atMs: NOW - minutesAgo * 60_000 });
  it.each([
    ['empty log', [], 5, 5, 1],
    ['stabilize', [at(4, 2), at(5, 1)], 3, 5, 3],
    ['no stabilize', [at(1, 2), at(2, 1)], 3, 3, 3],
    ['no stabilize - old recommendations', [at(10, 10), at(9, 9)], 3, 3, 2],
    ['stabilize - old recommendations', [at(10, 10), at(4, 1), at(5, 2), at(9, 9)], 3, 5, 4],
  ] as const)('%s', (_, recommendations, proposed, stabilized, logLength) => {
    const history: ScalingHistory = { recommendations: [...recommendations], scaleUpEvents: [], scaleDownEvents: [] };
    const n = normalizeDesiredReplicas({ currentReplicas: 100, proposedReplicas: proposed, minReplicas: 1, maxReplicas: 1000, behavior: undefined, nowMs: NOW }, history);
    expect(n.desiredReplicas).toBe(stabilized);
    expect(n.history.recommendations).toHaveLength(logLength);
  });
});

describe('tolerance per direction (upstream behavior.scaleUp.tolerance / scaleDown.tolerance)', () => {
  const cpu = (values: number[], tolerance: NonNullable<Parameters<typeof resourceReplicas>[1]>['tolerance']) =>
    resourceReplicas({ currentReplicas: 2, resource: 'cpu', pods: running(2), metrics: levels(values), nowMs: NOW, target: { type: 'Utilization', averageUtilization: 100 } }, { tolerance });

  it('judges a ratio above 1 by the scale-up tolerance and one below by the scale-down tolerance', () => {
    // 105%: within 10%, not within 1%
    expect(cpu([1050, 1050], 0.1).replicas).toBe(2);
    expect(cpu([1050, 1050], { scaleUp: 0.01, scaleDown: 0.1 }).replicas).toBe(3);
    // 60%: outside 10%, within 50% down
    expect(cpu([600, 600], 0.1).replicas).toBe(2); // ceil(0.6 × 2) = 2 all the same
    expect(cpu([600, 600], { scaleUp: 0.01, scaleDown: 0.5 }).replicas).toBe(2);
    expect(cpu([400, 400], { scaleUp: 0.01, scaleDown: 0.5 }).replicas).toBe(1);
  });
});
