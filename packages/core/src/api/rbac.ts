/**
 * RBAC as kube-apiserver evaluates it (`plugin/pkg/auth/authorizer/rbac` and
 * `pkg/apis/rbac/v1/evaluation_helpers.go`): who a request comes from ({@link UserInfo}), what
 * it asks for ({@link RequestAttributes}), whether a {@link PolicyRule} allows it, which
 * bindings apply to a user, and the decision over a cluster's roles and bindings. Pure
 * functions over plain objects: the HTTP server's authorizer, SubjectAccessReviews and tests
 * share them.
 *
 * @module
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from './kinds/rbac.js';

/** Who a request comes from, as upstream's `user.Info`. */
export interface UserInfo {
  /** e.g. `jane`, `system:serviceaccount:default:builder`. */
  readonly username: string;
  /** A stable id, when the authenticator knows one. */
  readonly uid?: string | undefined;
  /** e.g. `system:masters`, `system:authenticated`. */
  readonly groups: readonly string[];
  /** Extra attributes (e.g. the ServiceAccount token's pod binding). */
  readonly extra?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** The group every request of `system:masters` belongs to: it bypasses authorization (upstream's privileged group). */
export const SYSTEM_MASTERS = 'system:masters';
/** The group every authenticated user is in. */
export const SYSTEM_AUTHENTICATED = 'system:authenticated';
/** The group of every ServiceAccount. */
export const SYSTEM_SERVICE_ACCOUNTS = 'system:serviceaccounts';

/** The username of a ServiceAccount: `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The groups of a ServiceAccount: `system:serviceaccounts`, `system:serviceaccounts:<namespace>`, `system:authenticated`. */
export function serviceAccountGroups(namespace: string): string[] {
  return [SYSTEM_SERVICE_ACCOUNTS, `${SYSTEM_SERVICE_ACCOUNTS}:${namespace}`, SYSTEM_AUTHENTICATED];
}

/** A request for a resource (upstream `ResourceAttributes` with `IsResourceRequest()`). */
export interface ResourceAttributes {
  /** Discriminant. */
  readonly kind: 'resource';
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or any custom verb. */
  readonly verb: string;
  /** API group, `''` for the core group. */
  readonly group: string;
  /** Plural resource, e.g. `pods`. */
  readonly resource: string;
  /** e.g. `log`, `status`; `''` for the main resource. */
  readonly subresource: string;
  /** `''` for a cluster-scoped request (or one across all namespaces). */
  readonly namespace: string;
  /** The object's name; `''` for collections. */
  readonly name: string;
}

/** A request for a non-resource path, e.g. `GET /version` (upstream's non-resource requests). */
export interface NonResourceAttributes {
  /** Discriminant. */
  readonly kind: 'nonResource';
  /** Lowercase HTTP verb: `get`, `post`, ... */
  readonly verb: string;
  /** The URL path, e.g. `/apis/apps`. */
  readonly path: string;
}

/** What a request asks for. */
export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

/** `*` or the verb itself (upstream `VerbMatches`). */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

/** `*` or the group itself (upstream `APIGroupMatches`). */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === '*' || g === group);
}

/**
 * Upstream `ResourceMatches`: `*`, the resource with its subresource (`pods/log`), or a star
 * followed by `/log` for that subresource of every resource. `pods` does not cover `pods/log`.
 */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

/** No `resourceNames` matches every name; else the name must be listed (so a collection never matches). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** `*`, the path itself, or a prefix ending in `*` (`/apis/*` covers `/apis/apps/v1`) (upstream `NonResourceURLMatches`). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

/** Whether `rule` allows the request (upstream `RuleAllows`). */
export function ruleAllows(rule: PolicyRule, attributes: RequestAttributes): boolean {
  if (attributes.kind === 'nonResource') return verbMatches(rule, attributes.verb) && nonResourceURLMatches(rule, attributes.path);
  return (
    verbMatches(rule, attributes.verb) &&
    apiGroupMatches(rule, attributes.group) &&
    resourceMatches(rule, attributes.resource, attributes.subresource) &&
    resourceNameMatches(rule, attributes.name)
  );
}

/**
 * Whether a binding's subject names `user` (upstream `appliesToUser`): a `User` by name, a
 * `Group` by membership, a `ServiceAccount` by its username, its namespace defaulting to the
 * binding's (`bindingNamespace`, `''` for a ClusterRoleBinding, where it must be given).
 */
export function subjectMatches(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return namespace !== '' && user.username === serviceAccountUsername(namespace, subject.name);
    }
    default:
      return false;
  }
}

/** The roles and bindings an authorizer reads: a cluster's RBAC objects (an informer cache, a list, a test's table). */
export interface RbacObjects {
  /** Every ClusterRoleBinding. */
  readonly clusterRoleBindings: readonly ClusterRoleBinding[];
  /** The RoleBindings of `namespace`. */
  roleBindings(namespace: string): readonly RoleBinding[];
  /** The Role `name` of `namespace`, if it exists. */
  role(namespace: string, name: string): Role | undefined;
  /** The ClusterRole `name`, if it exists. */
  clusterRole(name: string): ClusterRole | undefined;
}

/** {@link RbacObjects} over plain arrays (what a list of each kind returns). */
export function rbacObjects(objects: { roles?: readonly Role[]; clusterRoles?: readonly ClusterRole[]; roleBindings?: readonly RoleBinding[]; clusterRoleBindings?: readonly ClusterRoleBinding[] }): RbacObjects {
  const roles = objects.roles ?? [];
  const clusterRoles = new Map((objects.clusterRoles ?? []).map((r) => [r.metadata.name ?? '', r]));
  const roleBindings = objects.roleBindings ?? [];
  return {
    clusterRoleBindings: objects.clusterRoleBindings ?? [],
    roleBindings: (namespace) => roleBindings.filter((b) => b.metadata.namespace === namespace),
    role: (namespace, name) => roles.find((r) => r.metadata.namespace === namespace && r.metadata.name === name),
    clusterRole: (name) => clusterRoles.get(name),
  };
}

/**
 * Visits every rule that applies to `user` in `namespace` (upstream `VisitRulesFor`): the rules
 * of the ClusterRoles bound by ClusterRoleBindings, then, for a namespaced request, those of the
 * roles bound by the namespace's RoleBindings. A binding whose role is missing is reported as an
 * error (`clusterrole.rbac.authorization.k8s.io "x" not found`). `visit` returns false to stop.
 */
export function visitRulesFor(objects: RbacObjects, user: UserInfo, namespace: string, visit: (rule: PolicyRule) => boolean, onError: (message: string) => void = () => {}): void {
  const rulesOf = (kind: string, name: string, roleNamespace: string): readonly PolicyRule[] | undefined => {
    if (kind === 'ClusterRole') {
      const role = objects.clusterRole(name);
      if (role === undefined) onError(`clusterrole.rbac.authorization.k8s.io "${name}" not found`);
      return role?.rules ?? [];
    }
    if (kind === 'Role') {
      const role = objects.role(roleNamespace, name);
      if (role === undefined) onError(`role.rbac.authorization.k8s.io "${name}" not found`);
      return role?.rules ?? [];
    }
    onError(`unsupported role reference kind: "${kind}"`);
    return undefined;
  };
  for (const binding of objects.clusterRoleBindings) {
    if (!(binding.subjects ?? []).some((s) => subjectMatches(user, s, ''))) continue;
    for (const rule of rulesOf(binding.roleRef.kind, binding.roleRef.name, '') ?? []) if (!visit(rule)) return;
  }
  if (namespace === '') return;
  for (const binding of objects.roleBindings(namespace)) {
    if (!(binding.subjects ?? []).some((s) => subjectMatches(user, s, namespace))) continue;
    for (const rule of rulesOf(binding.roleRef.kind, binding.roleRef.name, namespace) ?? []) if (!visit(rule)) return;
  }
}

/** The outcome of {@link authorize}: `allow`, or `deny` (upstream's no opinion) with the reason RBAC gives, if any. */
export interface AuthorizationDecision {
  /** Whether the request may proceed. */
  readonly allowed: boolean;
  /** Why not, e.g. `RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`; `''` when RBAC has nothing to add. */
  readonly reason: string;
}

/**
 * kube-apiserver's authorization chain without the node authorizer: members of
 * `system:masters` may do anything; anyone else needs an RBAC rule that allows the request.
 *
 * @example
 * ```ts
 * authorize(objects, { username: 'jane', groups: ['system:authenticated'] },
 *   { kind: 'resource', verb: 'list', group: '', resource: 'pods', subresource: '', namespace: 'default', name: '' });
 * // { allowed: true, reason: '' } when a RoleBinding in default grants jane a role with list on pods
 * ```
 */
export function authorize(objects: RbacObjects, user: UserInfo, attributes: RequestAttributes): AuthorizationDecision {
  if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
  const errors: string[] = [];
  let allowed = false;
  const namespace = attributes.kind === 'resource' ? attributes.namespace : '';
  visitRulesFor(
    objects,
    user,
    namespace,
    (rule) => !(allowed = ruleAllows(rule, attributes)),
    (e) => errors.push(e),
  );
  if (allowed) return { allowed: true, reason: '' };
  return { allowed: false, reason: errors.length === 0 ? '' : `RBAC: ${errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`}` };
}

/**
 * The attributes of a request, read from its method and URL as upstream's `RequestInfoFactory`
 * does: `/api/v1/...` and `/apis/<group>/<version>/...` with a resource are resource requests
 * (`GET` of a collection is `list`, or `watch` with `?watch=true`; `DELETE` of one is
 * `deletecollection`; `/namespaces/<ns>` scopes the rest), everything else is a non-resource
 * request with the lowercase method as its verb.
 */
export function requestAttributes(method: string, url: URL): RequestAttributes {
  const path = url.pathname;
  const parts = path.split('/').filter(Boolean);
  const nonResource: RequestAttributes = { kind: 'nonResource', verb: method.toLowerCase(), path };
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, rest] = [parts[1]!, parts.slice(3)];
  else return nonResource;
  const verbs: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  let verb = verbs[method] ?? '';
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && rest[2] !== 'status' && rest[2] !== 'finalize') rest = rest.slice(2);
  }
  let name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  const resource = rest[0] ?? '';
  if (name === '' && verb === 'get') {
    const watch = url.searchParams.get('watch');
    verb = watch === 'true' || watch === '1' ? 'watch' : 'list';
    const pinned = /^metadata\.name==?([^,]+)$/.exec(url.searchParams.get('fieldSelector') ?? '');
    if (pinned && !pinned[1]!.includes('/') && !pinned[1]!.includes('%')) name = pinned[1]!;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  return { kind: 'resource', verb, group, resource, subresource, namespace, name };
}

/**
 * The text after `is forbidden: ` in a 403 (upstream `forbiddenMessage`):
 * `User "jane" cannot list resource "pods" in API group "" in the namespace "default"`,
 * `... at the cluster scope`, or `User "jane" cannot get path "/version"`.
 */
export function forbiddenMessage(user: UserInfo, attributes: RequestAttributes): string {
  if (attributes.kind === 'nonResource') return `User ${JSON.stringify(user.username)} cannot ${attributes.verb} path ${JSON.stringify(attributes.path)}`;
  const resource = attributes.subresource === '' ? attributes.resource : `${attributes.resource}/${attributes.subresource}`;
  const scope = attributes.namespace === '' ? 'at the cluster scope' : `in the namespace ${JSON.stringify(attributes.namespace)}`;
  return `User ${JSON.stringify(user.username)} cannot ${attributes.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attributes.group)} ${scope}`;
}

/**
 * The whole message of upstream's 403 (`apierrors.NewForbidden` over {@link forbiddenMessage}
 * and the authorizer's reason): `pods is forbidden: User "jane" cannot list resource "pods" in
 * API group "" in the namespace "default"`, `deployments.apps "web" is forbidden: ...`,
 * `forbidden: User "jane" cannot get path "/version"`.
 */
export function forbiddenStatusMessage(user: UserInfo, attributes: RequestAttributes, reason = ''): string {
  const detail = reason === '' ? forbiddenMessage(user, attributes) : `${forbiddenMessage(user, attributes)}: ${reason}`;
  if (attributes.kind === 'nonResource') return `forbidden: ${detail}`;
  const qualified = attributes.group === '' ? attributes.resource : `${attributes.resource}.${attributes.group}`;
  return attributes.name === '' ? `${qualified} is forbidden: ${detail}` : `${qualified} ${JSON.stringify(attributes.name)} is forbidden: ${detail}`;
}

/** The rules a user has in a namespace, as a SelfSubjectRulesReview reports them. */
export interface SubjectRules {
  /** Resource rules (`verbs`, `apiGroups`, `resources`, `resourceNames`). */
  readonly resourceRules: PolicyRule[];
  /** Non-resource rules (`verbs`, `nonResourceURLs`). */
  readonly nonResourceRules: PolicyRule[];
  /** Whether some binding could not be evaluated (a missing role). */
  readonly incomplete: boolean;
  /** The errors, joined, when incomplete. */
  readonly evaluationError: string;
}

/**
 * Every rule `user` has in `namespace` (upstream `RulesFor` behind SelfSubjectRulesReview);
 * `system:masters` gets `*` on everything, as the privileged group authorizer answers.
 */
export function rulesFor(objects: RbacObjects, user: UserInfo, namespace: string): SubjectRules {
  if (user.groups.includes(SYSTEM_MASTERS)) {
    return { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false, evaluationError: '' };
  }
  const resourceRules: PolicyRule[] = [];
  const nonResourceRules: PolicyRule[] = [];
  const errors: string[] = [];
  visitRulesFor(
    objects,
    user,
    namespace,
    (rule) => {
      if ((rule.nonResourceURLs ?? []).length > 0) nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
      else resourceRules.push({ verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [], ...(rule.resourceNames && rule.resourceNames.length > 0 ? { resourceNames: rule.resourceNames } : {}) });
      return true;
    },
    (e) => errors.push(e),
  );
  return { resourceRules, nonResourceRules, incomplete: errors.length > 0, evaluationError: errors.join(', ') };
}
