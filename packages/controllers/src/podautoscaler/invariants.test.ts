/**
 * The HPA's history invariants on hand-built traces: each flags the step a broken controller
 * would take and accepts what upstream's controller does (with and without its memory).
 */
import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH_MS, formatTime } from '@kubeloop/core';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, KubeObject, StateChange } from '@kubeloop/core';
import { hpaScaleDownsStabilized, hpaScaleStepsWithinPolicies } from './invariants.js';

/** Trace ms of virtual second `s`. */
const T = (s: number) => s * 1000;

function hpa(s: number, from: number, to: number, behavior?: HorizontalPodAutoscalerBehavior, min = 1, max = 100): StateChange {
  const object: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: min, maxReplicas: max, ...(behavior === undefined ? {} : { behavior }) },
    status: { currentReplicas: from, desiredReplicas: to, lastScaleTime: formatTime(VIRTUAL_EPOCH_MS + T(s)) },
  };
  return { type: 'MODIFIED', object, t: T(s) + 10 };
}

function deployment(s: number, replicas: number): StateChange {
  return { type: 'MODIFIED', object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas } } as KubeObject, t: T(s) + 5 };
}

function event(s: number, size: number, reason: string): StateChange {
  const at = formatTime(VIRTUAL_EPOCH_MS + T(s));
  return {
    type: 'ADDED',
    object: { apiVersion: 'v1', kind: 'Event', metadata: { name: `web.${s}`, namespace: 'default' }, involvedObject: { kind: 'HorizontalPodAutoscaler', name: 'web', namespace: 'default', uid: 'u1' }, reason: 'SuccessfulRescale', message: `New size: ${size}; reason: ${reason}`, firstTimestamp: at, lastTimestamp: at, count: 1 } as KubeObject,
    t: T(s) + 7,
  };
}

/** An HPA's rescale from `from` to `to` at second `s`: the Deployment write, the event (upstream's reason), then the status. */
const step = (s: number, from: number, to: number, behavior?: HorizontalPodAutoscalerBehavior) => [
  deployment(s, to),
  event(s, to, to > from ? 'cpu resource utilization (percentage of request) above target' : 'All metrics below target'),
  hpa(s, from, to, behavior),
];
const start = (replicas: number) => ({ type: 'ADDED', object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas } } as KubeObject, t: 0 }) as StateChange;

const onePodPerMinute: HorizontalPodAutoscalerBehavior = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };

describe('hpaScaleStepsWithinPolicies', () => {
  it('flags one step above the policy (4 → 6 with +1 pod per 60 s), in both forms', () => {
    const trace = [start(4), ...step(100, 4, 6, onePodPerMinute)];
    expect(hpaScaleStepsWithinPolicies(trace).map((v) => v.message)).toEqual([expect.stringContaining('from 4 to 6') as string]);
    expect(hpaScaleStepsWithinPolicies(trace, { rememberScaleSteps: true })).toHaveLength(1);
  });

  it('strict form: flags two +1 steps within one 60 s period; the fault-proof form does not (a restarted controller forgets the first)', () => {
    const trace = [start(4), ...step(100, 4, 5, onePodPerMinute), ...step(130, 5, 6, onePodPerMinute)];
    expect(hpaScaleStepsWithinPolicies(trace, { rememberScaleSteps: true })).toHaveLength(1);
    expect(hpaScaleStepsWithinPolicies(trace)).toEqual([]);
    // a period later, the second step is fine
    const later = [start(4), ...step(100, 4, 5, onePodPerMinute), ...step(161, 5, 6, onePodPerMinute)];
    expect(hpaScaleStepsWithinPolicies(later, { rememberScaleSteps: true })).toEqual([]);
  });

  it('measures from the replicas at the period start: a scale-down within the period widens the next scale-up (10 → 6 → 10 with +4 pods per 15 s)', () => {
    const b: HorizontalPodAutoscalerBehavior = { scaleUp: { policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] }, scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } };
    const trace = [start(10), ...step(100, 10, 6, b), ...step(110, 6, 14, b)];
    expect(hpaScaleStepsWithinPolicies(trace)).toEqual([]);
    expect(hpaScaleStepsWithinPolicies(trace, { rememberScaleSteps: true })).toEqual([]);
    expect(hpaScaleStepsWithinPolicies([start(10), ...step(100, 10, 6, b), ...step(110, 6, 15, b)])).toHaveLength(1);
  });

  it('holds the legacy limit max(2 × current, 4) without behavior, selectPolicy Disabled, and exempts the correction into [min, max]', () => {
    expect(hpaScaleStepsWithinPolicies([start(3), ...step(100, 3, 6)])).toEqual([]);
    expect(hpaScaleStepsWithinPolicies([start(3), ...step(100, 3, 7)])).toHaveLength(1);
    expect(hpaScaleStepsWithinPolicies([start(3), ...step(100, 3, 4, { scaleUp: { selectPolicy: 'Disabled' } })])).toHaveLength(1);
    const corrected = [start(1), deployment(100, 20), hpa(100, 1, 20, onePodPerMinute, 20, 30)];
    expect(hpaScaleStepsWithinPolicies(corrected)).toEqual([]);
  });

  it('bounds a scale-down too (at most 1 pod per 60 s), with Min picking the least generous policy', () => {
    const b: HorizontalPodAutoscalerBehavior = { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }, { type: 'Percent', value: 50, periodSeconds: 60 }] } };
    expect(hpaScaleStepsWithinPolicies([start(10), ...step(100, 10, 9, b)])).toEqual([]);
    expect(hpaScaleStepsWithinPolicies([start(10), ...step(100, 10, 8, b)])).toHaveLength(1);
  });
});

describe('hpaScaleDownsStabilized', () => {
  const window60: HorizontalPodAutoscalerBehavior = { scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } };

  it('flags a scale-down below a size scaled up to within the window; accepts it after the window', () => {
    expect(hpaScaleDownsStabilized([start(2), ...step(100, 2, 6, window60), ...step(130, 6, 3, window60)]).map((v) => v.message)).toEqual([expect.stringContaining('inside the 60s stabilization window') as string]);
    expect(hpaScaleDownsStabilized([start(2), ...step(100, 2, 6, window60), ...step(161, 6, 3, window60)])).toEqual([]);
  });

  it('uses 5 minutes without behavior, and exempts the correction down to maxReplicas', () => {
    expect(hpaScaleDownsStabilized([start(2), ...step(100, 2, 6), ...step(350, 6, 3)])).toHaveLength(1);
    expect(hpaScaleDownsStabilized([start(2), ...step(100, 2, 6), ...step(401, 6, 3)])).toEqual([]);
    expect(hpaScaleDownsStabilized([start(2), ...step(100, 2, 6), deployment(130, 4), hpa(130, 6, 4, undefined, 1, 4)])).toEqual([]);
  });

  it('promises nothing of a scale-up the window itself made (upstream: reason All metrics below target)', () => {
    const windowUp = [deployment(100, 6), event(100, 6, 'All metrics below target'), hpa(100, 2, 6, window60)];
    expect(hpaScaleDownsStabilized([start(2), ...windowUp, ...step(130, 6, 3, window60)])).toEqual([]);
  });

  it('allows a scale-down that stays at or above every recent scale-up (someone scaled the target to 8 meanwhile)', () => {
    expect(hpaScaleDownsStabilized([start(2), ...step(100, 2, 6, window60), deployment(120, 8), ...step(130, 8, 6, window60)])).toEqual([]);
    expect(hpaScaleDownsStabilized([start(2), ...step(100, 2, 6, window60), deployment(120, 8), ...step(130, 8, 5, window60)])).toHaveLength(1);
  });
});
