/**
 * What the HPA guarantees, stated from the API's rules (not from the controller's code).
 *
 * @module
 */
import { DEFAULT_HPA_SCALE_DOWN, DEFAULT_HPA_SCALE_UP, VIRTUAL_EPOCH_MS, parseTime, refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Event, HorizontalPodAutoscaler, Invariant, InvariantViolation, KubeObject, StateChange } from '@kubeloop/core';

/** Upstream's `--horizontal-pod-autoscaler-downscale-stabilization` default, stated here on its own: 5 minutes. */
const DEFAULT_DOWNSCALE_STABILIZATION_WINDOW_MS = 5 * 60_000;

function hpaKey(h: HorizontalPodAutoscaler): string {
  return `${h.metadata.namespace ?? ''}/${h.metadata.name ?? ''}`;
}

/**
 * Over the changes after the HPAs `previous`: every rescale an HPA records (its `status.lastScaleTime` moves) wrote a
 * size (`status.desiredReplicas`) within `[spec.minReplicas, spec.maxReplicas]` of the HPA as
 * it stood then. The HPA's scale writes and its status are one decision (upstream writes the
 * status after the scale), so the status is where the size it chose can be read.
 */
export function hpaScalesWithinBounds(previous: readonly HorizontalPodAutoscaler[], changes: ClusterState['changes']): InvariantViolation[] {
  const last = new Map<string, HorizontalPodAutoscaler>();
  for (const h of previous) last.set(hpaKey(h), h);
  const out: InvariantViolation[] = [];
  for (const change of changes) {
    if (change.object.kind !== 'HorizontalPodAutoscaler') continue;
    const hpa = change.object as HorizontalPodAutoscaler;
    const before = last.get(hpaKey(hpa));
    if (change.type === 'DELETED') {
      last.delete(hpaKey(hpa));
      continue;
    }
    last.set(hpaKey(hpa), hpa);
    const scaledAt = hpa.status.lastScaleTime;
    if (scaledAt === undefined || scaledAt === before?.status.lastScaleTime) continue;
    const min = hpa.spec.minReplicas;
    const max = hpa.spec.maxReplicas;
    const size = hpa.status.desiredReplicas;
    if (size < min || size > max) {
      out.push({ message: `scaled its target to ${size} replicas at ${scaledAt}, outside [minReplicas ${min}, maxReplicas ${max}]`, objects: [refOf(hpa)] });
    }
  }
  return out;
}

/** Transition: {@link hpaScalesWithinBounds}. */
export const hpaScalesWithinBoundsInvariant: Invariant = transitionInvariant(
  'hpaScalesWithinBounds',
  'A HorizontalPodAutoscaler never scales its target outside [minReplicas, maxReplicas].',
  (previous, state) => {
    if (!state.changes.some((c) => c.object.kind === 'HorizontalPodAutoscaler')) return [];
    return hpaScalesWithinBounds(previous.of<HorizontalPodAutoscaler>('HorizontalPodAutoscaler'), state.changes);
  },
);



/** One rescale an HPA recorded, as its status tells it. */
export interface ObservedRescale {
  /** The HPA as it stood when it recorded the rescale. */
  readonly hpa: HorizontalPodAutoscaler;
  /** `status.lastScaleTime`, ms (second precision). */
  readonly atMs: number;
  /** When the store saw the status, in the trace's ms. */
  readonly seenT: number;
  /** `status.currentReplicas`: the target's replicas before. */
  readonly from: number;
  /** `status.desiredReplicas`: what it scaled to. */
  readonly to: number;
}

/** A change of the target's `spec.replicas`, by anyone. */
interface ReplicaChange {
  readonly seenT: number;
  readonly delta: number;
}

const DAY_MS = 24 * 3600_000;

/**
 * Reads the rescales and the targets' replica changes from `changes` (in trace order), given the
 * objects as they stood before them (`before`, e.g. the oldest state of a look-back).
 */
function readHistory(changes: readonly StateChange[], before: ClusterState | undefined): { rescales: ObservedRescale[]; replicas: Map<string, ReplicaChange[]>; aboveTarget: Map<string, { size: number; atMs: number }[]> } {
  const aboveTarget = new Map<string, { size: number; atMs: number }[]>();
  const lastHpa = new Map<string, HorizontalPodAutoscaler>();
  const lastReplicas = new Map<string, number | undefined>();
  const rescales: ObservedRescale[] = [];
  const replicas = new Map<string, ReplicaChange[]>();
  const specReplicas = (o: KubeObject | undefined): number | undefined => {
    const r = (o as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
    return typeof r === 'number' ? r : undefined;
  };
  for (const change of changes) {
    const o = change.object;
    const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
    if (o.kind === 'Event') {
      const e = o as Event;
      if (change.type === 'DELETED' || e.reason !== 'SuccessfulRescale' || e.involvedObject.kind !== 'HorizontalPodAutoscaler') continue;
      const m = /New size: (\d+); reason: (.*)$/.exec(e.message ?? '');
      const at = e.lastTimestamp ?? e.firstTimestamp;
      if (m === null || !m[2]!.endsWith(' above target') || at === undefined || at === null) continue;
      const list = aboveTarget.get(e.involvedObject.uid ?? '') ?? [];
      list.push({ size: Number(m[1]), atMs: parseTime(at) });
      aboveTarget.set(e.involvedObject.uid ?? '', list);
      continue;
    }
    if (o.kind === 'HorizontalPodAutoscaler') {
      const hpa = o as HorizontalPodAutoscaler;
      const uidKey = hpa.metadata.uid ?? key;
      const previous = lastHpa.get(uidKey) ?? (before?.get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', hpa.metadata.namespace, hpa.metadata.name ?? '')?.metadata.uid === hpa.metadata.uid ? before?.get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', hpa.metadata.namespace, hpa.metadata.name ?? '') : undefined);
      lastHpa.set(uidKey, hpa);
      if (change.type === 'DELETED') continue;
      const at = hpa.status.lastScaleTime;
      if (at === undefined || at === previous?.status.lastScaleTime || hpa.status.currentReplicas === undefined) continue;
      rescales.push({ hpa, atMs: parseTime(at), seenT: change.t ?? 0, from: hpa.status.currentReplicas, to: hpa.status.desiredReplicas });
      continue;
    }
    const now = change.type === 'DELETED' ? undefined : specReplicas(o);
    const was = lastReplicas.has(key) ? lastReplicas.get(key) : specReplicas(before?.get(o.kind, o.metadata.namespace, o.metadata.name ?? ''));
    lastReplicas.set(key, now);
    if (now !== undefined && was !== undefined && now !== was) {
      const list = replicas.get(key) ?? [];
      list.push({ seenT: change.t ?? 0, delta: now - was });
      replicas.set(key, list);
    }
  }
  return { rescales, replicas, aboveTarget };
}

function targetKey(hpa: HorizontalPodAutoscaler): string {
  return `${hpa.spec.scaleTargetRef.kind}/${hpa.metadata.namespace ?? ''}/${hpa.spec.scaleTargetRef.name}`;
}

/** Whether a rescale went through the metrics (upstream's normal path), not the correction of a count outside [min, max]. */
function throughMetrics(r: ObservedRescale): boolean {
  return r.from >= r.hpa.spec.minReplicas && r.from <= r.hpa.spec.maxReplicas;
}

/**
 * Over the changes `changes` (trace order): every rescale an HPA made through its metrics stays
 * within what its scaling policies allow (the Kubernetes `behavior` API's rule, stated here on
 * its own): a scale-up from `c` to `d` adds at most, per policy, `value` pods or `value`% of the
 * replicas the target had at the start of the policy's `periodSeconds` — `selectPolicy: Max`
 * takes the most generous policy, `Min` the least, `Disabled` allows no scale-up — and a
 * scale-down likewise removes at most that. Without `behavior`, a scale-up goes to at most
 * `max(2c, 4)` (upstream's legacy limit). A rescale that brings a count from outside
 * `[minReplicas, maxReplicas]` back into it is exempt, as upstream's is.
 *
 * `rememberScaleSteps` (the strict form): the replicas at a period's start are `c` minus the
 * HPA's own scale-ups and plus its scale-downs within the period. Without it (the form that
 * holds whatever faults strike): the controller keeps that memory in its process, as upstream,
 * and a restarted controller forgets it; so a scale-up is measured from `c` plus every decrease
 * of the target's replicas within the period (by anyone), a scale-down from `c` minus every
 * increase — never stricter than any controller memory could be.
 *
 * Caveats: times are the status's `lastScaleTime` (seconds) and the store's, so a period is
 * widened by a second on each side.
 */
export function hpaScaleStepsWithinPolicies(changes: readonly StateChange[], options: { readonly rememberScaleSteps?: boolean; readonly before?: ClusterState | undefined; readonly only?: (r: ObservedRescale) => boolean } = {}): InvariantViolation[] {
  const { rescales, replicas } = readHistory(changes, options.before);
  const out: InvariantViolation[] = [];
  for (const [i, r] of rescales.entries()) {
    if (options.only !== undefined && !options.only(r)) continue;
    if (r.to === r.from || !throughMetrics(r)) continue;
    const up = r.to > r.from;
    const behavior = r.hpa.spec.behavior;
    if (behavior === undefined) {
      const limit = Math.max(2 * r.from, 4);
      if (up && r.to > limit) out.push({ message: `scaled its target from ${r.from} to ${r.to} at ${r.hpa.status.lastScaleTime ?? ''}, above the limit max(2 × ${r.from}, 4) = ${limit} of an HPA without behavior`, objects: [refOf(r.hpa)] });
      continue;
    }
    const rules = up ? behavior.scaleUp : behavior.scaleDown;
    const policies = rules?.policies ?? (up ? DEFAULT_HPA_SCALE_UP.policies : DEFAULT_HPA_SCALE_DOWN.policies);
    const select = rules?.selectPolicy ?? 'Max';
    const bounds: number[] = [];
    for (const p of policies) {
      const periodMs = p.periodSeconds * 1000;
      let start = r.from;
      if (options.rememberScaleSteps === true) {
        // the HPA's own earlier steps: those that make the bound stricter only when surely in the
        // period, those that make it more lenient whenever possibly in it (lastScaleTime is in seconds)
        for (const e of rescales.slice(0, i)) {
          if (e.hpa.metadata.uid !== r.hpa.metadata.uid || !throughMetrics(e) || e.to === e.from) continue;
          const sure = e.atMs > r.atMs + 1000 - periodMs;
          const possible = e.atMs + 1000 > r.atMs - periodMs;
          const stricter = (e.to > e.from) === up;
          if (stricter ? sure : possible) start -= e.to - e.from;
        }
      } else {
        // anyone's changes of the target's replicas possibly within the period that could only
        // have widened the bound: decreases before a scale-up, increases before a scale-down
        for (const c of replicas.get(targetKey(r.hpa)) ?? []) {
          if (c.seenT >= r.seenT || VIRTUAL_EPOCH_MS + c.seenT <= r.atMs - periodMs) continue;
          if (up ? c.delta < 0 : c.delta > 0) start -= c.delta;
        }
      }
      start = Math.max(start, 0);
      bounds.push(up ? (p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100))) : p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100)));
    }
    let allowed: number;
    if (select === 'Disabled' || bounds.length === 0) allowed = r.from;
    else if (up) allowed = Math.max(r.from, select === 'Max' ? Math.max(...bounds) : Math.min(...bounds));
    else allowed = Math.min(r.from, select === 'Max' ? Math.min(...bounds) : Math.max(...bounds));
    if (up ? r.to > allowed : r.to < allowed) {
      out.push({
        message: `scaled its target from ${r.from} to ${r.to} at ${r.hpa.status.lastScaleTime ?? ''}, beyond the ${up ? 'scaleUp' : 'scaleDown'} policies (selectPolicy ${select}), which allow ${up ? 'at most' : 'at least'} ${allowed}`,
        objects: [refOf(r.hpa)],
      });
    }
  }
  return out;
}

/**
 * Over the changes `changes`: an HPA never scales down, inside its scale-down stabilization
 * window (`behavior.scaleDown.stabilizationWindowSeconds`, or `legacyWindowMs` without behavior
 * — upstream's `--horizontal-pod-autoscaler-downscale-stabilization`, 5 minutes), below a size
 * its metrics drove it up to within that window.
 *
 * The rule, from the behavior API: a scale-down follows the highest recommendation of the
 * window; a scale-up whose `SuccessfulRescale` event says `<metric> above target` had a
 * recommendation of at least its new size (a scale-up can also come from the window itself —
 * upstream's event then says `All metrics below target` — and then promises nothing).
 * Exempt: a rescale that brings a count above `maxReplicas` back to it, and a scale-down from
 * below that size (someone else scaled the target down meanwhile: the HPA would otherwise have
 * scaled it back up).
 *
 * Holds across controller restarts: a restarted controller's first recommendation is the
 * current count. Times are widened by a second for `lastScaleTime`'s precision; a rescale and
 * its event are paired when the event comes within one sync (15 s) of the status's time, and a
 * lost event only weakens the check.
 */
export function hpaScaleDownsStabilized(changes: readonly StateChange[], options: { readonly legacyWindowMs?: number; readonly before?: ClusterState | undefined; readonly only?: (r: ObservedRescale) => boolean } = {}): InvariantViolation[] {
  const { rescales, aboveTarget } = readHistory(changes, options.before);
  const windowOf = (hpa: HorizontalPodAutoscaler): number =>
    hpa.spec.behavior === undefined ? (options.legacyWindowMs ?? DEFAULT_DOWNSCALE_STABILIZATION_WINDOW_MS) : (hpa.spec.behavior.scaleDown?.stabilizationWindowSeconds ?? DEFAULT_HPA_SCALE_DOWN.stabilizationWindowSeconds) * 1000;
  const drivenByMetrics = (e: ObservedRescale): boolean => (aboveTarget.get(e.hpa.metadata.uid ?? '') ?? []).some((x) => x.size === e.to && x.atMs >= e.atMs && x.atMs < e.atMs + 15_000);
  const out: InvariantViolation[] = [];
  for (const [i, r] of rescales.entries()) {
    if (options.only !== undefined && !options.only(r)) continue;
    if (r.to >= r.from || !throughMetrics(r)) continue;
    for (const e of rescales.slice(0, i)) {
      if (e.hpa.metadata.uid !== r.hpa.metadata.uid || e.to <= e.from || !throughMetrics(e) || r.from < e.to || !drivenByMetrics(e)) continue;
      const window = Math.min(windowOf(e.hpa), windowOf(r.hpa));
      if (e.atMs >= r.atMs - window + 1000 && r.to < e.to) {
        out.push({
          message: `scaled its target down to ${r.to} at ${r.hpa.status.lastScaleTime ?? ''}, inside the ${window / 1000}s stabilization window of its scale-up to ${e.to} at ${e.hpa.status.lastScaleTime ?? ''} (metrics above target)`,
          objects: [refOf(r.hpa)],
        });
        break;
      }
    }
  }
  return out;
}

/** The longest look-back the two history invariants need: a policy period is at most 1800 s, a window 3600 s. */
const LOOK_BACK_MS = 3600_000 + 2000;

/** The changes of the states from `lookBackMs` before `state` up to it, in trace order, and the oldest state before them. */
function recentChanges(state: ClusterState, lookBackMs: number): { changes: StateChange[]; before: ClusterState | undefined } {
  const chunks: (readonly StateChange[])[] = [];
  let s: ClusterState | undefined = state;
  let before: ClusterState | undefined;
  while (s !== undefined) {
    chunks.push(s.changes);
    before = s.previous;
    if (s.t < state.t - lookBackMs) break;
    s = s.previous;
  }
  return { changes: chunks.reverse().flat(), before };
}

function rescaledNow(state: ClusterState): Set<string> {
  const out = new Set<string>();
  for (const c of state.changes) if (c.object.kind === 'HorizontalPodAutoscaler' && c.type !== 'DELETED') out.add(`${(c.object as HorizontalPodAutoscaler).metadata.uid ?? ''}/${(c.object as HorizontalPodAutoscaler).status.lastScaleTime ?? ''}`);
  return out;
}

/** Transition: {@link hpaScaleStepsWithinPolicies} in the form that holds under every fault (controller restarts included). */
export const hpaScaleStepsWithinPoliciesInvariant: Invariant = transitionInvariant(
  'hpaScaleStepsWithinPolicies',
  "No HorizontalPodAutoscaler rescale exceeds its behavior's scaling policies within the policies' periods (max(2 × current, 4) without behavior).",
  (_previous, state) => {
    const now = rescaledNow(state);
    if (now.size === 0) return [];
    const { changes, before } = recentChanges(state, LOOK_BACK_MS);
    return hpaScaleStepsWithinPolicies(changes, { before, only: (r) => now.has(`${r.hpa.metadata.uid ?? ''}/${r.hpa.status.lastScaleTime ?? ''}`) && r.seenT >= (state.previous?.t ?? -DAY_MS) });
  },
);

/** Transition: {@link hpaScaleDownsStabilized}. */
export const hpaScaleDownsStabilizedInvariant: Invariant = transitionInvariant(
  'hpaScaleDownsStabilized',
  'A HorizontalPodAutoscaler never scales down, inside its scale-down stabilization window, below a size its metrics drove it up to within that window.',
  (_previous, state) => {
    const now = rescaledNow(state);
    if (now.size === 0) return [];
    const { changes, before } = recentChanges(state, LOOK_BACK_MS);
    return hpaScaleDownsStabilized(changes, { before, only: (r) => now.has(`${r.hpa.metadata.uid ?? ''}/${r.hpa.status.lastScaleTime ?? ''}`) && r.seenT >= (state.previous?.t ?? -DAY_MS) });
  },
);

/** The invariants the HPA plugin registers: bounds, policies (the fault-proof form) and stabilization. */
export const HPA_INVARIANTS: readonly Invariant[] = [hpaScalesWithinBoundsInvariant, hpaScaleStepsWithinPoliciesInvariant, hpaScaleDownsStabilizedInvariant];
