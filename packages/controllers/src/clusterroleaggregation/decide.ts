/**
 * What the cluster role aggregation controller decides (upstream
 * `pkg/controller/clusterroleaggregation`, `syncClusterRole`): the rules an aggregated
 * ClusterRole should hold.
 *
 * @module
 */
import { deepEqual, matchesLabelSelector } from '@kubeloop/core';
import type { ClusterRole, PolicyRule } from '@kubeloop/core';

/** A rule with its empty lists dropped: upstream compares rules semantically, where an empty list equals an absent one. */
export function normalizeRule(rule: PolicyRule): PolicyRule {
  const out: Record<string, unknown> = { verbs: rule.verbs };
  for (const key of ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const) {
    const list = rule[key];
    if (list !== undefined && list.length > 0) out[key] = list;
  }
  return out as PolicyRule;
}

/** Whether two rules are the same rule (semantic equality: empty and absent lists are equal). */
export function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  return deepEqual(normalizeRule(a), normalizeRule(b));
}

/**
 * The rules `role` aggregates from `clusterRoles`, as upstream's `syncClusterRole`: for each
 * selector in order, the matching ClusterRoles sorted by name (the role itself skipped), each
 * of their rules once, in order. `undefined` when `role` has no aggregation rule.
 *
 * @example
 * ```ts
 * // monitoring selects {aggregate-to-monitoring: "true"}; b-pods and a-svcs carry the label
 * aggregatedRules(monitoring, [monitoring, bPods, aSvcs]); // a-svcs' rules, then b-pods'
 * ```
 */
export function aggregatedRules(role: ClusterRole, clusterRoles: readonly ClusterRole[]): PolicyRule[] | undefined {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (role.aggregationRule === undefined) return undefined;
  const rules: PolicyRule[] = [];
  const sorted = [...clusterRoles].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0));
  for (const selector of selectors ?? []) {
    for (const source of sorted) {
      if (source.metadata.name === role.metadata.name || !matchesLabelSelector(selector, source.metadata.labels)) continue;
      for (const rule of source.rules ?? []) if (!rules.some((r) => sameRule(r, rule))) rules.push(normalizeRule(rule));
    }
  }
  return rules;
}

/** Whether `role` already holds exactly `rules`, in order (then the controller writes nothing). */
export function rulesUpToDate(role: ClusterRole, rules: readonly PolicyRule[]): boolean {
  const current = role.rules ?? [];
  return current.length === rules.length && current.every((r, i) => sameRule(r, rules[i]!));
}
