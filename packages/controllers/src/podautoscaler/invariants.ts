/**
 * What the HPA guarantees, stated from the API's rules (not from the controller's code).
 *
 * @module
 */
import { refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, HorizontalPodAutoscaler, Invariant, InvariantViolation } from '@kubeloop/core';

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

/** The invariants the HPA plugin registers. */
export const HPA_INVARIANTS: readonly Invariant[] = [hpaScalesWithinBoundsInvariant];
