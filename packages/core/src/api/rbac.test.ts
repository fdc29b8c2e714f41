/**
 * RBAC rule evaluation, pinned to upstream's `pkg/apis/rbac/v1/evaluation_helpers.go` and
 * `plugin/pkg/auth/authorizer/rbac/rbac_test.go`, and the validation of the four RBAC kinds
 * (`pkg/apis/rbac/validation`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.js';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding } from './kinds/rbac.js';
import { ClusterRoleBindings, ClusterRoles, RoleBindings, Roles } from './kinds/rbac.js';
import type { KubeObject } from './meta.js';
import type { ResourceDefinition } from './registry.js';
import { authorize, forbiddenStatusMessage, rbacObjects, ruleAllows, rulesFor, serviceAccountGroups, serviceAccountUsername, subjectMatches } from './rbac.js';
import type { RequestAttributes, ResourceAttributes, UserInfo } from './rbac.js';

const res = (verb: string, resource: string, extra: Partial<ResourceAttributes> = {}): ResourceAttributes => ({ kind: 'resource', verb, group: '', resource, subresource: '', namespace: 'default', name: '', ...extra });
const rule = (r: Partial<PolicyRule> & { verbs: string[] }): PolicyRule => r;

describe('ruleAllows (upstream RuleAllows)', () => {
  const cases: [string, PolicyRule, RequestAttributes, boolean][] = [
    ['the exact verb, group and resource', rule({ verbs: ['list'], apiGroups: [''], resources: ['pods'] }), res('list', 'pods'), true],
    ['another verb', rule({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }), res('list', 'pods'), false],
    ['the * verb', rule({ verbs: ['*'], apiGroups: [''], resources: ['pods'] }), res('deletecollection', 'pods'), true],
    ['another group', rule({ verbs: ['list'], apiGroups: ['apps'], resources: ['pods'] }), res('list', 'pods'), false],
    ['the * group', rule({ verbs: ['list'], apiGroups: ['*'], resources: ['deployments'] }), res('list', 'deployments', { group: 'apps' }), true],
    ['no apiGroups at all', rule({ verbs: ['list'], resources: ['pods'] }), res('list', 'pods'), false],
    ['the * resource, with a subresource too', rule({ verbs: ['get'], apiGroups: [''], resources: ['*'] }), res('get', 'pods', { subresource: 'log', name: 'p' }), true],
    ['pods does not cover pods/log', rule({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }), res('get', 'pods', { subresource: 'log', name: 'p' }), false],
    ['pods/log covers pods/log', rule({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }), res('get', 'pods', { subresource: 'log', name: 'p' }), true],
    ['pods/log does not cover pods', rule({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }), res('get', 'pods', { name: 'p' }), false],
    ['*/scale covers deployments/scale', rule({ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }), res('update', 'deployments', { group: 'apps', subresource: 'scale', name: 'w' }), true],
    ['*/scale does not cover the main resource', rule({ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }), res('update', 'deployments', { group: 'apps', name: 'w' }), false],
    ['a listed resource name', rule({ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }), res('get', 'configmaps', { name: 'a' }), true],
    ['an unlisted resource name', rule({ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }), res('get', 'configmaps', { name: 'b' }), false],
    ['resource names never cover a collection', rule({ verbs: ['list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }), res('list', 'configmaps'), false],
    ['a resource rule never covers a path', rule({ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }), { kind: 'nonResource', verb: 'get', path: '/version' }, false],
    ['the exact path', rule({ verbs: ['get'], nonResourceURLs: ['/version'] }), { kind: 'nonResource', verb: 'get', path: '/version' }, true],
    ['a path prefix with *', rule({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }), { kind: 'nonResource', verb: 'get', path: '/apis/apps/v1' }, true],
    ['a prefix is not the path without its slash', rule({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }), { kind: 'nonResource', verb: 'get', path: '/apis' }, false],
    ['the * path', rule({ verbs: ['*'], nonResourceURLs: ['*'] }), { kind: 'nonResource', verb: 'post', path: '/anything' }, true],
    ['a path rule never covers a resource', rule({ verbs: ['*'], nonResourceURLs: ['*'] }), res('get', 'pods', { name: 'p' }), false],
  ];
  for (const [name, r, attributes, allowed] of cases) {
    it(`${allowed ? 'allows' : 'denies'}: ${name}`, () => expect(ruleAllows(r, attributes)).toBe(allowed));
  }
});

describe('ruleAllows (properties)', () => {
  const word = fc.constantFrom('', 'apps', 'pods', 'log', 'status', 'web', 'get', 'list', 'default');
  const attributes = fc.record({ kind: fc.constant('resource' as const), verb: fc.constantFrom('get', 'list', 'create', 'delete'), group: word, resource: fc.constantFrom('pods', 'deployments', 'configmaps'), subresource: word, namespace: word, name: word });
  it('a rule naming exactly the request allows it; without the verb, the group, the resource or the name it does not', () => {
    fc.assert(
      fc.property(attributes, (a) => {
        const combined = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
        const exact: PolicyRule = { verbs: [a.verb], apiGroups: [a.group], resources: [combined], ...(a.name !== '' ? { resourceNames: [a.name] } : {}) };
        expect(ruleAllows(exact, a)).toBe(true);
        expect(ruleAllows({ ...exact, verbs: ['watch'] }, a)).toBe(false);
        expect(ruleAllows({ ...exact, apiGroups: [`${a.group}x`] }, a)).toBe(false);
        expect(ruleAllows({ ...exact, resources: [`${combined}x`] }, a)).toBe(false);
        expect(ruleAllows({ ...exact, resourceNames: [`${a.name}x`] }, a)).toBe(false);
        // cluster-admin's rule allows every resource request
        expect(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, a)).toBe(true);
      }),
    );
  });
});

describe('subjectMatches (upstream appliesToUser)', () => {
  const jane: UserInfo = { username: 'jane', groups: ['devs', 'system:authenticated'] };
  const sa: UserInfo = { username: serviceAccountUsername('ci', 'builder'), groups: serviceAccountGroups('ci') };
  it('matches a User by name and a Group by membership', () => {
    expect(subjectMatches(jane, { kind: 'User', name: 'jane' }, 'default')).toBe(true);
    expect(subjectMatches(jane, { kind: 'User', name: 'john' }, 'default')).toBe(false);
    expect(subjectMatches(jane, { kind: 'Group', name: 'devs' }, '')).toBe(true);
    expect(subjectMatches(jane, { kind: 'Group', name: 'ops' }, '')).toBe(false);
  });
  it("matches a ServiceAccount by its username, defaulting the namespace to the binding's", () => {
    expect(sa.username).toBe('system:serviceaccount:ci:builder');
    expect(sa.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated']);
    expect(subjectMatches(sa, { kind: 'ServiceAccount', name: 'builder' }, 'ci')).toBe(true);
    expect(subjectMatches(sa, { kind: 'ServiceAccount', name: 'builder' }, 'default')).toBe(false);
    expect(subjectMatches(sa, { kind: 'ServiceAccount', name: 'builder', namespace: 'ci' }, 'default')).toBe(true);
    // A ClusterRoleBinding's ServiceAccount subject without a namespace matches nobody.
    expect(subjectMatches(sa, { kind: 'ServiceAccount', name: 'builder' }, '')).toBe(false);
  });
});

const clusterRole = (name: string, rules: PolicyRule[]): ClusterRole => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules });
const role = (namespace: string, name: string, rules: PolicyRule[]): Role => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { namespace, name }, rules });
const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const roleBinding = (namespace: string, name: string, ref: { kind: string; name: string }, subjects = [user('jane')]): RoleBinding => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { namespace, name },
  subjects,
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...ref },
});
const clusterRoleBinding = (name: string, ref: string, subjects: RoleBinding['subjects']): ClusterRoleBinding => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name },
  subjects,
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ref },
});

describe('authorize (system:masters, then RBAC)', () => {
  const objects = rbacObjects({
    roles: [role('dev', 'pod-reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }])],
    clusterRoles: [
      clusterRole('deployer', [{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] }]),
      clusterRole('version-reader', [{ verbs: ['get'], nonResourceURLs: ['/version'] }]),
    ],
    roleBindings: [roleBinding('dev', 'read-pods', { kind: 'Role', name: 'pod-reader' }), roleBinding('dev', 'deploy', { kind: 'ClusterRole', name: 'deployer' }), roleBinding('qa', 'ghost', { kind: 'Role', name: 'missing' })],
    clusterRoleBindings: [clusterRoleBinding('versions', 'version-reader', [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' }])],
  });
  const jane: UserInfo = { username: 'jane', groups: ['system:authenticated'] };

  it('lets system:masters do anything without a single binding', () => {
    expect(authorize(rbacObjects({}), { username: 'admin', groups: ['system:masters'] }, res('delete', 'nodes', { namespace: '', name: 'n' })).allowed).toBe(true);
  });
  it('allows by a RoleBinding only in its own namespace', () => {
    expect(authorize(objects, jane, res('list', 'pods', { namespace: 'dev' }))).toEqual({ allowed: true, reason: '' });
    expect(authorize(objects, jane, res('list', 'pods', { namespace: 'prod' }))).toEqual({ allowed: false, reason: '' });
    // Across all namespaces is cluster scope: a RoleBinding does not reach it.
    expect(authorize(objects, jane, res('list', 'pods', { namespace: '' })).allowed).toBe(false);
  });
  it('grants a ClusterRole through a RoleBinding inside that namespace only', () => {
    expect(authorize(objects, jane, res('create', 'deployments', { group: 'apps', namespace: 'dev' })).allowed).toBe(true);
    expect(authorize(objects, jane, res('create', 'deployments', { group: 'apps', namespace: 'default' })).allowed).toBe(false);
  });
  it('allows a non-resource path through a ClusterRoleBinding to a group', () => {
    expect(authorize(objects, jane, { kind: 'nonResource', verb: 'get', path: '/version' }).allowed).toBe(true);
    expect(authorize(objects, jane, { kind: 'nonResource', verb: 'get', path: '/metrics' }).allowed).toBe(false);
  });
  it('gives the missing role as the reason, as RBAC does', () => {
    expect(authorize(objects, jane, res('get', 'pods', { namespace: 'qa', name: 'p' }))).toEqual({ allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "missing" not found' });
  });
  it("lists a user's rules in a namespace for SelfSubjectRulesReview", () => {
    const rules = rulesFor(objects, jane, 'dev');
    expect(rules.resourceRules).toEqual([
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] },
    ]);
    expect(rules.nonResourceRules).toEqual([{ verbs: ['get'], nonResourceURLs: ['/version'] }]);
    expect(rules.incomplete).toBe(false);
    expect(rulesFor(objects, jane, 'qa')).toMatchObject({ incomplete: true, evaluationError: 'role.rbac.authorization.k8s.io "missing" not found' });
  });
});

describe('forbiddenStatusMessage (upstream responsewriters.forbiddenMessage + NewForbidden)', () => {
  const jane: UserInfo = { username: 'jane', groups: [] };
  it('words the namespaced, named, subresource, cluster and path variants as kube-apiserver does', () => {
    expect(forbiddenStatusMessage(jane, res('list', 'pods'))).toBe('pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"');
    expect(forbiddenStatusMessage(jane, res('get', 'deployments', { group: 'apps', name: 'web' }))).toBe(
      'deployments.apps "web" is forbidden: User "jane" cannot get resource "deployments" in API group "apps" in the namespace "default"',
    );
    expect(forbiddenStatusMessage(jane, res('get', 'pods', { subresource: 'log', name: 'p' }))).toBe('pods "p" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "default"');
    expect(forbiddenStatusMessage(jane, res('list', 'nodes', { namespace: '' }))).toBe('nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope');
    expect(forbiddenStatusMessage(jane, { kind: 'nonResource', verb: 'get', path: '/version' })).toBe('forbidden: User "jane" cannot get path "/version"');
    expect(forbiddenStatusMessage(jane, res('list', 'pods'), 'RBAC: role.rbac.authorization.k8s.io "x" not found')).toBe(
      'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default": RBAC: role.rbac.authorization.k8s.io "x" not found',
    );
  });
});

/** Decode and validate (and validate the update against `oldRaw`) as admission does. */
function errorsOf<T extends KubeObject>(def: ResourceDefinition<T>, raw: unknown, oldRaw?: unknown): string[] {
  const obj = def.schema.parse(raw);
  const errs = [...(def.validate?.(obj) ?? [])];
  if (oldRaw !== undefined) errs.push(...(def.validateUpdate?.(obj, def.schema.parse(oldRaw)) ?? []));
  return errs.map(formatFieldError);
}

describe('validation of the RBAC kinds (pkg/apis/rbac/validation)', () => {
  const R = 'rbac.authorization.k8s.io/v1';
  it('requires verbs, and groups and resources on a resource rule', () => {
    expect(errorsOf(Roles, { apiVersion: R, kind: 'Role', metadata: { name: 'r', namespace: 'd' }, rules: [{ verbs: [] }] })).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ]);
  });
  it('refuses non-resource URLs in a Role and next to resources in a ClusterRole', () => {
    expect(errorsOf(Roles, { apiVersion: R, kind: 'Role', metadata: { name: 'r', namespace: 'd' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] })).toEqual([
      'rules[0].nonResourceURLs: Invalid value: ["/x"]: namespaced rules cannot apply to non-resource URLs',
    ]);
    expect(errorsOf(ClusterRoles, { apiVersion: R, kind: 'ClusterRole', metadata: { name: 'r' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }] })).toEqual([
      'rules[0].nonResourceURLs: Invalid value: ["/x"]: rules cannot apply to both regular resources and non-resource URLs',
    ]);
    expect(errorsOf(ClusterRoles, { apiVersion: R, kind: 'ClusterRole', metadata: { name: 'r' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] })).toEqual([]);
  });
  it('checks role references and subjects, and keeps roleRef immutable', () => {
    const rb = (roleRef: object, subjects: object[]) => ({ apiVersion: R, kind: 'RoleBinding', metadata: { name: 'b', namespace: 'd' }, roleRef, subjects });
    expect(errorsOf(RoleBindings, rb({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' }, { kind: 'ServiceAccount', name: 'default' }]))).toEqual([]);
    expect(errorsOf(RoleBindings, rb({ apiGroup: 'x', kind: 'Pod', name: '' }, [{ kind: 'Robot', name: 'r' }, { kind: 'User', name: 'jane' }]))).toEqual([
      'roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Pod": supported values: "Role", "ClusterRole"',
      'roleRef.name: Required value',
      'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[1].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
    ]);
    const crb = (roleRef: object, subjects: object[]) => ({ apiVersion: R, kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef, subjects });
    expect(errorsOf(ClusterRoleBindings, crb({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, [{ kind: 'ServiceAccount', name: 'default' }]))).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
    const old = rb({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, []);
    expect(errorsOf(RoleBindings, rb({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'other' }, []), old)).toEqual([
      'roleRef: Invalid value: {"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"other"}: cannot change roleRef',
    ]);
  });
});
