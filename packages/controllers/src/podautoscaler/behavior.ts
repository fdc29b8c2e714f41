/**
 * From a metric's proposal to the count the HPA writes (upstream `horizontal.go`:
 * `normalizeDesiredReplicas`, `normalizeDesiredReplicasWithBehaviors`,
 * `stabilizeRecommendation[WithBehaviors]`, `convertDesiredReplicasWith{Rules,BehaviorRate}`,
 * `calculateScale{Up,Down}Limit...`, `storeScaleEvent`), as pure functions over an explicit
 * per-HPA memory of recent recommendations and scale events (upstream keeps the same in the
 * controller's maps, lost on restart).
 *
 * Without `spec.behavior` (upstream's legacy path): the highest recommendation of the last 5
 * minutes wins on a scale-down, a scale-up goes at most to `max(2 × current, 4)`, and
 * min/max clamp. With a `behavior`: each direction's stabilization window (up: lowest recent
 * recommendation, down: highest), then its policies, measured from the replicas at the start of
 * each policy's period: e.g. current 10 having added 6 in the last 15 s, a `Percent 100 / 15 s`
 * policy allows `ceil((10 - 6) × 2) = 8`, below current, so no further scale-up this period.
 *
 * @module
 */
import { DEFAULT_HPA_SCALE_DOWN, DEFAULT_HPA_SCALE_UP } from '@kubeloop/core';
import type { HorizontalPodAutoscalerBehavior, HPAScalingRules } from '@kubeloop/core';

/** Upstream's `--horizontal-pod-autoscaler-downscale-stabilization` default: 5 minutes, in ms. */
export const DEFAULT_DOWNSCALE_STABILIZATION_MS = 5 * 60_000;

/** A recommendation the HPA made, and when (upstream `timestampedRecommendation`). */
export interface TimestampedRecommendation {
  /** The unstabilized desired count. */
  readonly replicas: number;
  /** When, ms. */
  readonly atMs: number;
}

/** A scale the HPA performed, and when (upstream `timestampedScaleEvent`). */
export interface TimestampedScaleEvent {
  /** How many replicas it added (scale-up events) or removed (scale-down events), > 0. */
  readonly change: number;
  /** When, ms. */
  readonly atMs: number;
}

/** The per-HPA memory the normalization reads and extends. */
export interface ScalingHistory {
  /** Recent recommendations (a slot older than every window is reused, as upstream). */
  readonly recommendations: readonly TimestampedRecommendation[];
  /** Recent scale-ups. */
  readonly scaleUpEvents: readonly TimestampedScaleEvent[];
  /** Recent scale-downs. */
  readonly scaleDownEvents: readonly TimestampedScaleEvent[];
}

/** An empty history. */
export const EMPTY_SCALING_HISTORY: ScalingHistory = { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };

/**
 * The history of an HPA seen for the first time: one recommendation of its current count, now
 * (upstream `recordInitialRecommendation`), so a fresh HPA does not scale down at once.
 */
export function initialHistory(currentReplicas: number, nowMs: number): ScalingHistory {
  return { ...EMPTY_SCALING_HISTORY, recommendations: [{ replicas: currentReplicas, atMs: nowMs }] };
}

/** A condition the normalization sets: `AbleToScale` (reason of the stabilization) and `ScalingLimited`. */
export interface NormalizationCondition {
  /** `True` or `False`. */
  readonly status: 'True' | 'False';
  /** Upstream's reason. */
  readonly reason: string;
  /** Upstream's message. */
  readonly message: string;
}

/** What {@link normalizeDesiredReplicas} decided. */
export interface Normalization {
  /** The count to write to the target's scale. */
  readonly desiredReplicas: number;
  /** `AbleToScale` (`ReadyForNewScale`, `ScaleUpStabilized` or `ScaleDownStabilized`). */
  readonly ableToScale: NormalizationCondition;
  /** `ScalingLimited` (`DesiredWithinRange`, `TooFewReplicas`, `TooManyReplicas`, `ScaleUpLimit`, `ScaleDownLimit`). */
  readonly scalingLimited: NormalizationCondition;
  /** The history with this recommendation recorded. */
  readonly history: ScalingHistory;
}

/** The inputs of {@link normalizeDesiredReplicas}. */
export interface NormalizationInput {
  /** The target's current `spec.replicas`. */
  readonly currentReplicas: number;
  /** The metrics' proposal (the largest over the metrics). */
  readonly proposedReplicas: number;
  /** `spec.minReplicas`. */
  readonly minReplicas: number;
  /** `spec.maxReplicas`. */
  readonly maxReplicas: number;
  /** `spec.behavior`, or undefined for upstream's legacy path. */
  readonly behavior: HorizontalPodAutoscalerBehavior | undefined;
  /** Now, ms. */
  readonly nowMs: number;
  /** The legacy path's downscale window; default {@link DEFAULT_DOWNSCALE_STABILIZATION_MS}. */
  readonly downscaleStabilizationMs?: number;
}

const READY_FOR_NEW_SCALE: NormalizationCondition = { status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const SCALE_DOWN_STABILIZED: NormalizationCondition = {
  status: 'True',
  reason: 'ScaleDownStabilized',
  message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
};
const SCALE_UP_STABILIZED: NormalizationCondition = {
  status: 'True',
  reason: 'ScaleUpStabilized',
  message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
const WITHIN_RANGE = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const TOO_MANY = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const TOO_FEW = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const UP_LIMIT = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const DOWN_LIMIT = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

/** Records `replicas` at `nowMs`, reusing the slot of the last obsolete sample. */
function record(recs: readonly TimestampedRecommendation[], replicas: number, nowMs: number, isObsolete: (r: TimestampedRecommendation) => boolean): TimestampedRecommendation[] {
  let old = -1;
  recs.forEach((r, i) => {
    if (isObsolete(r)) old = i;
  });
  const next = recs.slice();
  if (old >= 0) next[old] = { replicas, atMs: nowMs };
  else next.push({ replicas, atMs: nowMs });
  return next;
}

/** Scale rules with upstream's defaults filled in (a `behavior` given without one direction gets that direction's defaults). */
export function filledRules(rules: HPAScalingRules | undefined, direction: 'up' | 'down', downscaleStabilizationMs = DEFAULT_DOWNSCALE_STABILIZATION_MS): Required<Omit<HPAScalingRules, 'tolerance'>> {
  const d = direction === 'up' ? DEFAULT_HPA_SCALE_UP : DEFAULT_HPA_SCALE_DOWN;
  const window = rules?.stabilizationWindowSeconds ?? (direction === 'down' ? downscaleStabilizationMs / 1000 : d.stabilizationWindowSeconds);
  return { stabilizationWindowSeconds: window, selectPolicy: rules?.selectPolicy ?? d.selectPolicy, policies: rules?.policies ?? d.policies };
}

/** The replicas changed by `events` within the last `periodSeconds` (upstream `getReplicasChangePerPeriod`: strictly after the cutoff). */
export function replicasChangedInPeriod(periodSeconds: number, events: readonly TimestampedScaleEvent[], nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  let n = 0;
  for (const e of events) if (e.atMs > cutoff) n += e.change;
  return n;
}

/** The replicas at the start of a policy's period: current, minus those added in it, plus those removed in it. */
function periodStartReplicas(currentReplicas: number, periodSeconds: number, history: ScalingHistory, nowMs: number): number {
  return currentReplicas - replicasChangedInPeriod(periodSeconds, history.scaleUpEvents, nowMs) + replicasChangedInPeriod(periodSeconds, history.scaleDownEvents, nowMs);
}

/**
 * The most replicas the scale-up policies allow (upstream `calculateScaleUpLimitWithScalingRules`):
 * per policy, from the replicas at the period's start, `+value` pods or
 * `ceil(start × (1 + value/100))`; `Max` takes the largest proposal, `Min` the smallest;
 * `Disabled` allows none (the current count).
 *
 * @example
 * Defaults (`Pods 4`, `Percent 100`, both per 15 s, `Max`), current 3, nothing added lately:
 * `max(3 + 4, ceil(3 × 2)) = 7`.
 */
export function scaleUpLimit(currentReplicas: number, history: ScalingHistory, rules: Required<Omit<HPAScalingRules, 'tolerance'>>, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const min = rules.selectPolicy === 'Min';
  let result = min ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = periodStartReplicas(currentReplicas, p.periodSeconds, history, nowMs);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = min ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/**
 * The fewest replicas the scale-down policies allow (upstream `calculateScaleDownLimitWithBehaviors`):
 * per policy, from the replicas at the period's start, `−value` pods or
 * `trunc(start × (1 − value/100))`; `Max` takes the smallest (the biggest change), `Min` the
 * largest; `Disabled` allows none.
 *
 * @example
 * Default (`Percent 100` per 15 s): `trunc(6 × 0) = 0`, any scale-down is allowed.
 * `Pods 1 per 60 s` having removed one 30 s ago from 6 (current 5): `6 − 1 = 5`, no more.
 */
export function scaleDownLimit(currentReplicas: number, history: ScalingHistory, rules: Required<Omit<HPAScalingRules, 'tolerance'>>, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const min = rules.selectPolicy === 'Min';
  let result = min ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = periodStartReplicas(currentReplicas, p.periodSeconds, history, nowMs);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = min ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/**
 * Upstream's legacy normalization (no `behavior`): the highest recommendation within the
 * downscale window, then min, max and the scale-up limit `max(2 × current, 4)`.
 */
function normalizeLegacy(input: NormalizationInput, history: ScalingHistory): Normalization {
  const { nowMs, proposedReplicas, currentReplicas, minReplicas, maxReplicas } = input;
  const cutoff = nowMs - (input.downscaleStabilizationMs ?? DEFAULT_DOWNSCALE_STABILIZATION_MS);
  let stabilized = proposedReplicas;
  for (const r of history.recommendations) if (r.atMs >= cutoff && r.replicas > stabilized) stabilized = r.replicas;
  const recommendations = record(history.recommendations, proposedReplicas, nowMs, (r) => r.atMs < cutoff);
  const ableToScale = stabilized !== proposedReplicas ? SCALE_DOWN_STABILIZED : READY_FOR_NEW_SCALE;

  const upLimit = Math.max(2 * currentReplicas, 4);
  const [maxAllowed, overMax] = maxReplicas > upLimit ? [upLimit, UP_LIMIT] : [maxReplicas, TOO_MANY];
  let desired = stabilized;
  let limit = WITHIN_RANGE;
  if (stabilized < minReplicas) [desired, limit] = [minReplicas, TOO_FEW];
  else if (stabilized > maxAllowed) [desired, limit] = [maxAllowed, overMax];
  return {
    desiredReplicas: desired,
    ableToScale,
    scalingLimited: { status: desired === stabilized ? 'False' : 'True', ...limit },
    history: { ...history, recommendations },
  };
}

/**
 * The count the HPA writes for a proposal, and the `AbleToScale` / `ScalingLimited` conditions
 * that explain it (upstream `normalizeDesiredReplicas` without `spec.behavior`,
 * `normalizeDesiredReplicasWithBehaviors` with one). Records the proposal in the history; the
 * caller records the scale itself with {@link recordScaleEvent} once the write succeeded.
 *
 * Guarantees: the result is within `[minReplicas, maxReplicas]` whenever the current count is
 * (the caller handles a current count outside them first, as upstream does).
 */
export function normalizeDesiredReplicas(input: NormalizationInput, history: ScalingHistory): Normalization {
  if (input.behavior === undefined) return normalizeLegacy(input, history);
  const { nowMs, proposedReplicas, currentReplicas, minReplicas, maxReplicas } = input;
  const up = filledRules(input.behavior.scaleUp, 'up', input.downscaleStabilizationMs);
  const down = filledRules(input.behavior.scaleDown, 'down', input.downscaleStabilizationMs);

  // stabilization: a scale-up takes the lowest recommendation of its window, a scale-down the highest
  const upward = proposedReplicas >= currentReplicas;
  const windowS = upward ? up.stabilizationWindowSeconds : down.stabilizationWindowSeconds;
  const cutoff = nowMs - windowS * 1000;
  let stabilized = proposedReplicas;
  for (const r of history.recommendations) {
    if (r.atMs > cutoff) stabilized = upward ? Math.min(r.replicas, stabilized) : Math.max(r.replicas, stabilized);
  }
  const obsoleteCutoff = nowMs - Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
  const recommendations = record(history.recommendations, proposedReplicas, nowMs, (r) => r.atMs < obsoleteCutoff);
  const ableToScale = stabilized !== proposedReplicas ? (upward ? SCALE_UP_STABILIZED : SCALE_DOWN_STABILIZED) : READY_FOR_NEW_SCALE;

  // rate: the policies over their periods, then min/max
  let desired = stabilized;
  let limit = WITHIN_RANGE;
  if (stabilized > currentReplicas) {
    const upTo = Math.max(scaleUpLimit(currentReplicas, history, up, nowMs), currentReplicas);
    const [maxAllowed, reason] = maxReplicas > upTo ? [upTo, UP_LIMIT] : [maxReplicas, TOO_MANY];
    if (stabilized > maxAllowed) [desired, limit] = [maxAllowed, reason];
  } else if (stabilized < currentReplicas) {
    const downTo = Math.min(scaleDownLimit(currentReplicas, history, down, nowMs), currentReplicas);
    const [minAllowed, reason] = minReplicas < downTo ? [downTo, DOWN_LIMIT] : [minReplicas, TOO_FEW];
    if (stabilized < minAllowed) [desired, limit] = [minAllowed, reason];
  }
  return {
    desiredReplicas: desired,
    ableToScale,
    scalingLimited: { status: desired === stabilized ? 'False' : 'True', ...limit },
    history: { ...history, recommendations },
  };
}

/**
 * Records a performed scale from `previous` to `next` (upstream `storeScaleEvent`), reusing the
 * slot of an event older than the direction's longest policy period. Without `behavior` nothing
 * is recorded (the legacy path does not read events).
 */
export function recordScaleEvent(history: ScalingHistory, behavior: HorizontalPodAutoscalerBehavior | undefined, previous: number, next: number, nowMs: number): ScalingHistory {
  if (behavior === undefined || next === previous) return history;
  const upward = next > previous;
  const rules = filledRules(upward ? behavior.scaleUp : behavior.scaleDown, upward ? 'up' : 'down');
  const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds));
  const cutoff = nowMs - longest * 1000;
  const events = upward ? history.scaleUpEvents : history.scaleDownEvents;
  let old = -1;
  events.forEach((e, i) => {
    if (e.atMs < cutoff) old = i;
  });
  const event = { change: Math.abs(next - previous), atMs: nowMs };
  const updated = events.slice();
  if (old >= 0) updated[old] = event;
  else updated.push(event);
  return upward ? { ...history, scaleUpEvents: updated } : { ...history, scaleDownEvents: updated };
}
