/**
 * The normalization of a proposal, pinned to upstream `horizontal.go` and `horizontal_test.go`
 * (TestNormalizeDesiredReplicas, TestNormalizeDesiredReplicasWithBehavior,
 * TestScaleUpOneMetricEmpty..., TestStabilizeRecommendationWithBehaviors, the
 * calculateScale{Up,Down}Limit cases): stabilization windows, policies over periods measured
 * from the replicas at the period's start, min/max and the condition reasons.
 */
import { describe, expect, it } from 'vitest';
import type { HorizontalPodAutoscalerBehavior } from '@kubeloop/core';
import { EMPTY_SCALING_HISTORY, filledRules, initialHistory, normalizeDesiredReplicas, recordScaleEvent, scaleDownLimit, scaleUpLimit } from './behavior.js';
import type { NormalizationInput, ScalingHistory } from './behavior.js';

const T = 1_000_000_000;
const DEFAULTS: HorizontalPodAutoscalerBehavior = {};

function input(over: Partial<NormalizationInput>): NormalizationInput {
  return { currentReplicas: 3, proposedReplicas: 3, minReplicas: 1, maxReplicas: 10, behavior: DEFAULTS, nowMs: T, ...over };
}

describe('scale limits', () => {
  const up = filledRules(undefined, 'up');
  const down = filledRules(undefined, 'down');

  it('allows the larger of +4 pods and +100% per 15 s by default', () => {
    expect(scaleUpLimit(1, EMPTY_SCALING_HISTORY, up, T)).toBe(5);
    expect(scaleUpLimit(3, EMPTY_SCALING_HISTORY, up, T)).toBe(7);
    expect(scaleUpLimit(10, EMPTY_SCALING_HISTORY, up, T)).toBe(20);
  });

  it('measures from the replicas at the start of the period: 2 → 6 ten seconds ago allows 2 × 2 = 4 < 6 (no more)', () => {
    const h: ScalingHistory = { ...EMPTY_SCALING_HISTORY, scaleUpEvents: [{ change: 4, atMs: T - 10_000 }] };
    expect(scaleUpLimit(6, h, up, T)).toBe(6);
    // once the period has passed, the event no longer counts
    expect(scaleUpLimit(6, h, up, T + 5_000)).toBe(12);
  });

  it('allows any scale-down by default (100% per 15 s) and rounds a percentage down', () => {
    expect(scaleDownLimit(6, EMPTY_SCALING_HISTORY, down, T)).toBe(0);
    const halve = filledRules({ policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] }, 'down');
    expect(scaleDownLimit(5, EMPTY_SCALING_HISTORY, halve, T)).toBe(2);
  });

  it('picks the smallest change with selectPolicy Min, and none with Disabled', () => {
    const rules = filledRules({ selectPolicy: 'Min', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] }, 'up');
    expect(scaleUpLimit(10, EMPTY_SCALING_HISTORY, rules, T)).toBe(14);
    expect(scaleUpLimit(10, EMPTY_SCALING_HISTORY, filledRules({ selectPolicy: 'Disabled' }, 'up'), T)).toBe(10);
    const downMin = filledRules({ selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }, { type: 'Percent', value: 50, periodSeconds: 60 }] }, 'down');
    expect(scaleDownLimit(10, EMPTY_SCALING_HISTORY, downMin, T)).toBe(9);
  });
});

describe('normalizeDesiredReplicas with a behavior', () => {
  it('scales up at once within range: ReadyForNewScale, DesiredWithinRange', () => {
    const n = normalizeDesiredReplicas(input({ currentReplicas: 2, proposedReplicas: 6 }), initialHistory(2, T - 15_000));
    expect(n.desiredReplicas).toBe(6);
    expect(n.ableToScale.reason).toBe('ReadyForNewScale');
    expect(n.scalingLimited).toEqual({ status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
  });

  it('limits a scale-up to the policies: 1 → 20 goes to 5 with ScaleUpLimit', () => {
    const n = normalizeDesiredReplicas(input({ currentReplicas: 1, proposedReplicas: 20, maxReplicas: 30 }), EMPTY_SCALING_HISTORY);
    expect(n.desiredReplicas).toBe(5);
    expect(n.scalingLimited).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
  });

  it('clamps to maxReplicas with TooManyReplicas, and to minReplicas with TooFewReplicas', () => {
    const over = normalizeDesiredReplicas(input({ currentReplicas: 8, proposedReplicas: 14, maxReplicas: 10 }), EMPTY_SCALING_HISTORY);
    expect(over.desiredReplicas).toBe(10);
    expect(over.scalingLimited).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
    const under = normalizeDesiredReplicas(input({ currentReplicas: 3, proposedReplicas: 1, minReplicas: 2, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }), EMPTY_SCALING_HISTORY);
    expect(under.desiredReplicas).toBe(2);
    expect(under.scalingLimited).toMatchObject({ status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
  });

  it('holds a scale-down for the 300 s window: ScaleDownStabilized, then scales down once the higher recommendations age out', () => {
    let h = initialHistory(6, T);
    let n = normalizeDesiredReplicas(input({ currentReplicas: 6, proposedReplicas: 3, nowMs: T + 15_000 }), h);
    expect(n.desiredReplicas).toBe(6);
    expect(n.ableToScale.reason).toBe('ScaleDownStabilized');
    h = n.history;
    n = normalizeDesiredReplicas(input({ currentReplicas: 6, proposedReplicas: 3, nowMs: T + 299_999 }), h);
    expect(n.desiredReplicas).toBe(6);
    // upstream keeps recommendations strictly after the cutoff: at exactly 300 s the 6 is out
    n = normalizeDesiredReplicas(input({ currentReplicas: 6, proposedReplicas: 3, nowMs: T + 300_000 }), n.history);
    expect(n.desiredReplicas).toBe(3);
    expect(n.ableToScale.reason).toBe('ReadyForNewScale');
  });

  it('takes the lowest recent recommendation on a scale-up window: ScaleUpStabilized', () => {
    const behavior: HorizontalPodAutoscalerBehavior = { scaleUp: { stabilizationWindowSeconds: 60 } };
    const h: ScalingHistory = { ...EMPTY_SCALING_HISTORY, recommendations: [{ replicas: 4, atMs: T - 30_000 }] };
    const n = normalizeDesiredReplicas(input({ currentReplicas: 3, proposedReplicas: 8, behavior }), h);
    expect(n.desiredReplicas).toBe(4);
    expect(n.ableToScale).toMatchObject({ reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' });
  });

  it('limits a scale-down with ScaleDownLimit from the replicas at the period start', () => {
    const behavior: HorizontalPodAutoscalerBehavior = { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
    let h = recordScaleEvent(EMPTY_SCALING_HISTORY, behavior, 6, 5, T - 30_000);
    let n = normalizeDesiredReplicas(input({ currentReplicas: 5, proposedReplicas: 2, behavior }), h);
    expect(n.desiredReplicas).toBe(5);
    expect(n.scalingLimited).toMatchObject({ status: 'True', reason: 'ScaleDownLimit' });
    h = n.history;
    n = normalizeDesiredReplicas(input({ currentReplicas: 5, proposedReplicas: 2, behavior, nowMs: T + 30_000 }), h);
    expect(n.desiredReplicas).toBe(4);
  });
});

describe('normalizeDesiredReplicas without a behavior (upstream legacy path)', () => {
  it('limits a scale-up to max(2 × current, 4) with ScaleUpLimit', () => {
    const n = normalizeDesiredReplicas(input({ currentReplicas: 1, proposedReplicas: 20, maxReplicas: 30, behavior: undefined }), EMPTY_SCALING_HISTORY);
    expect(n.desiredReplicas).toBe(4);
    expect(n.scalingLimited.reason).toBe('ScaleUpLimit');
  });

  it('keeps the highest recommendation of the last 5 minutes on a scale-down', () => {
    const n = normalizeDesiredReplicas(input({ currentReplicas: 6, proposedReplicas: 3, behavior: undefined }), initialHistory(6, T - 60_000));
    expect(n.desiredReplicas).toBe(6);
    expect(n.ableToScale.reason).toBe('ScaleDownStabilized');
  });

  it('stops at minReplicas: the walkthrough 2 pods at 25% (ceil(0.5 × 2) = 1) stays at 2', () => {
    const n = normalizeDesiredReplicas(input({ currentReplicas: 2, proposedReplicas: 1, minReplicas: 2, behavior: undefined }), EMPTY_SCALING_HISTORY);
    expect(n.desiredReplicas).toBe(2);
    expect(n.scalingLimited).toMatchObject({ status: 'True', reason: 'TooFewReplicas' });
  });
});

describe('recordScaleEvent', () => {
  it('reuses the slot of an event older than the longest policy period', () => {
    let h = recordScaleEvent(EMPTY_SCALING_HISTORY, DEFAULTS, 1, 5, T);
    h = recordScaleEvent(h, DEFAULTS, 5, 10, T + 16_000);
    expect(h.scaleUpEvents).toEqual([{ change: 5, atMs: T + 16_000 }]);
    expect(recordScaleEvent(h, undefined, 10, 2, T)).toBe(h);
  });
});
