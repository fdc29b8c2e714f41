/**
 * The default roles and bindings kube-apiserver creates at start (upstream
 * `plugin/pkg/auth/authorizer/rbac/bootstrappolicy`), the part that matters to users:
 * `cluster-admin` for `system:masters`; discovery, the self reviews and the public health and
 * version endpoints for every authenticated user; and the user-facing `admin`, `edit` and
 * `view` roles, aggregated from `system:aggregate-to-*` over the kinds kubeloop serves.
 *
 * @module
 */
import { ClusterRoleBindings, ClusterRoles, RBAC_GROUP, SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, isApiError } from '@kubeloop/core';
import type { Client, ClusterRole, ClusterRoleBinding, PolicyRule } from '@kubeloop/core';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = [...READ, ...WRITE];

/** The label upstream puts on every bootstrap object. */
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' } as const;
/** The annotation that lets the API server reconcile a bootstrap object at start. */
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } as const;

/** A resource rule with its lists sorted, as upstream's rule builder leaves them. */
function rule(verbs: readonly string[], groups: readonly string[], resources: readonly string[]): PolicyRule {
  return { verbs: [...verbs].sort(), apiGroups: [...groups].sort(), resources: [...resources].sort() };
}

/** A non-resource rule. */
function urls(verbs: readonly string[], paths: readonly string[]): PolicyRule {
  return { verbs: [...verbs].sort(), nonResourceURLs: [...paths].sort() };
}

function clusterRole(name: string, rules: PolicyRule[] | undefined, options: { labels?: Record<string, string>; aggregateFrom?: string } = {}): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...options.labels }, annotations: { ...AUTOUPDATE } },
    ...(options.aggregateFrom !== undefined ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [options.aggregateFrom]: 'true' } }] } } : {}),
    ...(rules !== undefined ? { rules } : {}),
  } as ClusterRole;
}

const TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
const TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
const TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

/**
 * The bootstrap ClusterRoles. `admin`, `edit` and `view` carry only their aggregation rules:
 * the aggregation controller fills their rules in (so `edit` ⊂ `admin` and `view` ⊂ `edit`,
 * through the labels `edit` and `view` carry).
 */
export const BOOTSTRAP_CLUSTER_ROLES: readonly ClusterRole[] = [
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  clusterRole('system:discovery', [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
  clusterRole('system:basic-user', [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])]),
  clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
  clusterRole('admin', undefined, { aggregateFrom: TO_ADMIN }),
  clusterRole('edit', undefined, { aggregateFrom: TO_EDIT, labels: { [TO_ADMIN]: 'true' } }),
  clusterRole('view', undefined, { aggregateFrom: TO_VIEW, labels: { [TO_EDIT]: 'true' } }),
  clusterRole('system:aggregate-to-admin', [rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']), rule(READ_WRITE, [RBAC_GROUP], ['rolebindings', 'roles'])], { labels: { [TO_ADMIN]: 'true' } }),
  clusterRole(
    'system:aggregate-to-edit',
    [
      rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
      rule(['impersonate'], [''], ['serviceaccounts']),
      rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      rule(['create'], [''], ['pods/eviction']),
      rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
      rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
      rule(WRITE, ['policy'], ['poddisruptionbudgets']),
      rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
    ],
    { labels: { [TO_EDIT]: 'true' } },
  ),
  clusterRole(
    'system:aggregate-to-view',
    [
      rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
      rule(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
      rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
    ],
    { labels: { [TO_VIEW]: 'true' } },
  ),
];

function clusterRoleBinding(name: string, groups: readonly string[]): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
    subjects: groups.map((g) => ({ kind: 'Group', apiGroup: RBAC_GROUP, name: g })),
  };
}

/** The bootstrap ClusterRoleBindings, each named after its ClusterRole. */
export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  clusterRoleBinding('cluster-admin', [SYSTEM_MASTERS]),
  clusterRoleBinding('system:discovery', [SYSTEM_AUTHENTICATED]),
  clusterRoleBinding('system:basic-user', [SYSTEM_AUTHENTICATED]),
  clusterRoleBinding('system:public-info-viewer', [SYSTEM_AUTHENTICATED, 'system:unauthenticated']),
];

/**
 * Creates the bootstrap roles and bindings that do not exist yet (as kube-apiserver's
 * `rbac/bootstrap-roles` post-start hook; existing objects are left as users changed them).
 *
 * Errors: any write failure but AlreadyExists.
 */
export async function ensureBootstrapPolicy(client: Client): Promise<void> {
  const create = async (write: () => Promise<unknown>): Promise<void> => {
    try {
      await write();
    } catch (error) {
      if (!isApiError(error, 'AlreadyExists')) throw error;
    }
  };
  for (const role of BOOTSTRAP_CLUSTER_ROLES) await create(() => client.create(ClusterRoles, role));
  for (const binding of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) await create(() => client.create(ClusterRoleBindings, binding));
}
