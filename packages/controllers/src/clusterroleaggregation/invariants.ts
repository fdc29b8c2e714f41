/**
 * The invariant of the cluster role aggregation controller, stated from the API's rule in its
 * own code: after settling, an aggregated ClusterRole holds every rule of every ClusterRole its
 * selectors match, and nothing else.
 *
 * @module
 */
import { deepEqual, invariant, matchesLabelSelector, refOf } from '@kubeloop/core';
import type { ClusterRole, Invariant, InvariantViolation, PolicyRule } from '@kubeloop/core';

/** A rule as a comparable value: absent and empty lists alike, lists as given. */
function key(rule: PolicyRule): unknown {
  return [rule.verbs, rule.apiGroups ?? [], rule.resources ?? [], rule.resourceNames ?? [], rule.nonResourceURLs ?? []];
}

/** The aggregated ClusterRoles whose rules are not the set of their matched roles' rules. */
export function aggregationIncomplete(roles: readonly ClusterRole[]): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const role of roles) {
    if (role.aggregationRule === undefined) continue;
    const selectors = role.aggregationRule.clusterRoleSelectors ?? [];
    const expected = roles
      .filter((r) => r.metadata.name !== role.metadata.name && selectors.some((s) => matchesLabelSelector(s, r.metadata.labels)))
      .flatMap((r) => (r.rules ?? []).map(key));
    const held = (role.rules ?? []).map(key);
    const missing = expected.filter((e) => !held.some((h) => deepEqual(h, e)));
    const extra = held.filter((h) => !expected.some((e) => deepEqual(h, e)));
    if (missing.length > 0 || extra.length > 0) out.push({ message: `aggregated rules lack ${missing.length} and hold ${extra.length} extra rule(s)`, objects: [refOf(role)] });
  }
  return out;
}

/** Liveness: {@link aggregationIncomplete} — after settling, every aggregated ClusterRole holds exactly its sources' rules. */
export const clusterRolesAggregatedInvariant: Invariant = invariant(
  'clusterRolesAggregated',
  "After settling, every ClusterRole with an aggregationRule holds exactly the rules of the ClusterRoles its selectors match.",
  (state) => aggregationIncomplete(state.of<ClusterRole>('ClusterRole')),
);

/** The invariants the cluster role aggregation plugin registers. */
export const CLUSTER_ROLE_AGGREGATION_INVARIANTS: readonly Invariant[] = [clusterRolesAggregatedInvariant];
