/**
 * What the VPA guarantees, stated from its API's rules in code of its own (it does not call
 * the recommender's or admission's decisions).
 *
 * @module
 */
import { parseQuantity, refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, Pod } from '@kubeloop/core';
import type { ContainerResourcePolicy, VerticalPodAutoscaler } from './kind.js';

const UPDATED_BY = /^Pod resources updated by ([^:]+):/;

function policyFor(vpa: VerticalPodAutoscaler, container: string): ContainerResourcePolicy | undefined {
  const all = vpa.spec.resourcePolicy?.containerPolicies ?? [];
  return all.find((p) => p.containerName === container) ?? all.find((p) => p.containerName === '*' || p.containerName === undefined);
}

/**
 * Over the changes: every pod created with requests set by a VPA (its `vpaUpdates` annotation
 * names the VPA) has, for each container the VPA's policy bounds, requests within
 * `[minAllowed, maxAllowed]` of that VPA as it stands.
 */
export function vpaRequestsWithinBounds(state: ClusterState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const c of state.changes) {
    if (c.type !== 'ADDED' || c.object.kind !== 'Pod') continue;
    const pod = c.object as Pod;
    const m = UPDATED_BY.exec(pod.metadata.annotations?.['vpaUpdates'] ?? '');
    if (m === null) continue;
    const vpa = state.get<VerticalPodAutoscaler>('VerticalPodAutoscaler', pod.metadata.namespace, m[1]!);
    if (vpa === undefined) continue;
    for (const container of pod.spec.containers) {
      const policy = policyFor(vpa, container.name);
      const requests = (container.resources?.requests ?? {}) as Record<string, string>;
      for (const resource of ['cpu', 'memory']) {
        const request = requests[resource];
        if (request === undefined) continue;
        const value = parseQuantity(request);
        const min = policy?.minAllowed?.[resource];
        const max = policy?.maxAllowed?.[resource];
        if (min !== undefined && value.cmp(parseQuantity(min)) < 0) out.push({ message: `container ${container.name} got a ${resource} request of ${request} from VPA ${m[1]!}, below its minAllowed ${min}`, objects: [refOf(pod), refOf(vpa)] });
        if (max !== undefined && value.cmp(parseQuantity(max)) > 0) out.push({ message: `container ${container.name} got a ${resource} request of ${request} from VPA ${m[1]!}, above its maxAllowed ${max}`, objects: [refOf(pod), refOf(vpa)] });
      }
    }
  }
  return out;
}

/** Transition: {@link vpaRequestsWithinBounds}. */
export const vpaRequestsWithinBoundsInvariant: Invariant = transitionInvariant(
  'vpaRequestsWithinBounds',
  'A pod whose requests a VerticalPodAutoscaler set has them within the VPA\'s minAllowed and maxAllowed.',
  (_previous, state) => vpaRequestsWithinBounds(state),
);

/** The invariants the VPA plugin registers. */
export const VPA_INVARIANTS: readonly Invariant[] = [vpaRequestsWithinBoundsInvariant];
