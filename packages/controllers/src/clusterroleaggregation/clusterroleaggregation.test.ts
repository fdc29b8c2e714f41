/**
 * ClusterRole aggregation (upstream `pkg/controller/clusterroleaggregation/clusterroleaggregation_controller_test.go`):
 * the aggregated rules are the matched roles' rules, selector by selector, roles by name, each
 * rule once, the role itself skipped; the invariant flags a role that lacks or adds rules.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterRole, PolicyRule } from '@kubeloop/core';
import { BOOTSTRAP_CLUSTER_ROLES } from './bootstrap.js';
import { aggregatedRules, rulesUpToDate } from './decide.js';
import { aggregationIncomplete } from './invariants.js';

const role = (name: string, labels: Record<string, string>, rules: PolicyRule[], selectors?: Record<string, string>[]): ClusterRole => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(selectors ? { aggregationRule: { clusterRoleSelectors: selectors.map((matchLabels) => ({ matchLabels })) } } : {}),
});
const pods: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
const svcs: PolicyRule = { verbs: ['list'], apiGroups: [''], resources: ['services'] };
const nodes: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['nodes'] };

describe('aggregatedRules (upstream syncClusterRole)', () => {
  const monitoring = role('monitoring', {}, [], [{ 'to-monitoring': 'true' }, { 'to-ops': 'true' }]);
  it('gathers the matched roles sorted by name, selector by selector, each rule once, skipping itself', () => {
    const all = [monitoring, role('b-pods', { 'to-monitoring': 'true' }, [pods]), role('a-svcs', { 'to-monitoring': 'true' }, [svcs, pods]), role('c-nodes', { 'to-ops': 'true' }, [nodes, svcs]), role('other', {}, [nodes])];
    expect(aggregatedRules(monitoring, all)).toEqual([svcs, pods, nodes]);
  });
  it('treats an empty list and an absent one as the same rule', () => {
    const all = [monitoring, role('a', { 'to-monitoring': 'true' }, [{ ...pods, resourceNames: [] }]), role('b', { 'to-monitoring': 'true' }, [pods])];
    expect(aggregatedRules(monitoring, all)).toEqual([pods]);
    expect(rulesUpToDate({ ...monitoring, rules: [{ ...pods, resourceNames: [] }] }, [pods])).toBe(true);
    expect(rulesUpToDate({ ...monitoring, rules: [] }, [pods])).toBe(false);
  });
  it('leaves a role without an aggregation rule alone, and gives no rules when nothing matches', () => {
    expect(aggregatedRules(role('plain', {}, [pods]), [])).toBeUndefined();
    expect(aggregatedRules(monitoring, [monitoring])).toEqual([]);
  });
  it('folds view into edit into admin in the bootstrap policy', () => {
    const fixed = (roles: readonly ClusterRole[]): ClusterRole[] => {
      let current = [...roles];
      for (let i = 0; i < 3; i++) current = current.map((r) => ({ ...r, ...(r.aggregationRule ? { rules: aggregatedRules(r, current) ?? [] } : {}) }));
      return current;
    };
    const roles = fixed(BOOTSTRAP_CLUSTER_ROLES);
    const rules = (name: string) => roles.find((r) => r.metadata.name === name)!.rules ?? [];
    const has = (name: string, verb: string, group: string, resource: string) => rules(name).some((r) => r.verbs.includes(verb) && (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource));
    expect(has('view', 'list', '', 'pods')).toBe(true);
    expect(has('view', 'create', 'apps', 'deployments')).toBe(false);
    expect(has('edit', 'list', '', 'pods')).toBe(true);
    expect(has('edit', 'create', 'apps', 'deployments')).toBe(true);
    expect(has('edit', 'create', 'rbac.authorization.k8s.io', 'roles')).toBe(false);
    expect(has('admin', 'create', 'rbac.authorization.k8s.io', 'roles')).toBe(true);
    expect(has('admin', 'create', 'apps', 'deployments')).toBe(true);
    expect(aggregationIncomplete(roles)).toEqual([]);
  });
});

describe('the clusterRolesAggregated invariant', () => {
  it('flags an aggregated role that lacks a matched rule or holds one nothing grants', () => {
    const source = role('src', { 'to-m': 'true' }, [pods]);
    expect(aggregationIncomplete([role('m', {}, [pods], [{ 'to-m': 'true' }]), source])).toEqual([]);
    expect(aggregationIncomplete([role('m', {}, [], [{ 'to-m': 'true' }]), source])).toEqual([{ message: 'aggregated rules lack 1 and hold 0 extra rule(s)', objects: [{ kind: 'ClusterRole', name: 'm' }] }]);
    expect(aggregationIncomplete([role('m', {}, [pods, nodes], [{ 'to-m': 'true' }]), source])).toEqual([{ message: 'aggregated rules lack 0 and hold 1 extra rule(s)', objects: [{ kind: 'ClusterRole', name: 'm' }] }]);
  });
});
