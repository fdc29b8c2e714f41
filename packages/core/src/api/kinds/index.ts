/**
 * The built-in kinds: zod schemas (with the TypeScript types inferred from them), upstream's
 * defaults and semantic validation, and one {@link ResourceDefinition} per kind, named by its
 * plural (`Pods`, `Deployments`, `HorizontalPodAutoscalers`, ...).
 *
 * @module
 */
import { ResourceRegistry, type ResourceDefinition } from '../registry.js';
import { ControllerRevisions, DaemonSets, Deployments, ReplicaSets, StatefulSets } from './apps.js';
import { HorizontalPodAutoscalers } from './autoscaling.js';
import { CronJobs, Jobs } from './batch.js';
import { Leases } from './coordination.js';
import { ConfigMaps, Events, LimitRanges, Namespaces, ReplicationControllers, ResourceQuotas, Secrets, ServiceAccounts } from './core.js';
import { EndpointSlices } from './discovery.js';
import { IngressClasses, Ingresses } from './networking.js';
import { Nodes } from './node.js';
import { Pods } from './pod.js';
import { PodDisruptionBudgets } from './policy.js';
import { ClusterRoleBindings, ClusterRoles, RoleBindings, Roles } from './rbac.js';
import { Endpoints, Services } from './service.js';
import { PriorityClasses } from './scheduling.js';
import { StorageClasses } from './storage.js';
import { PersistentVolumeClaims, PersistentVolumes } from './volume.js';

// core/v1
export * from './pod.js';
export * from './node.js';
export * from './service.js';
export * from './volume.js';
export * from './core.js';
// apps/v1
export * from './apps.js';
// batch/v1
export * from './batch.js';
// autoscaling/v2
export * from './autoscaling.js';
export * from './autoscaling-v1.js';
// networking.k8s.io/v1
export * from './networking.js';
// discovery.k8s.io/v1
export * from './discovery.js';
// coordination.k8s.io/v1
export * from './coordination.js';
// policy/v1
export * from './policy.js';
// rbac.authorization.k8s.io/v1
export * from './rbac.js';
// scheduling.k8s.io/v1
export * from './scheduling.js';
// storage.k8s.io/v1
export * from './storage.js';
// Value schemas shared by the kinds (and useful to custom resources)
export { IntOrStringSchema, QUANTITY_MESSAGE, QuantitySchema, ResourceListSchema } from './internal.js';

/**
 * Every built-in resource definition: the core group first, then by API group. Registration
 * order is also the order a registry's `all()` lists them.
 */
export const builtinResources: readonly ResourceDefinition[] = [
  // core/v1
  Namespaces,
  Nodes,
  Pods,
  Services,
  Endpoints,
  ConfigMaps,
  Secrets,
  ServiceAccounts,
  PersistentVolumes,
  PersistentVolumeClaims,
  ReplicationControllers,
  Events,
  ResourceQuotas,
  LimitRanges,
  // apps/v1
  Deployments,
  ReplicaSets,
  StatefulSets,
  DaemonSets,
  ControllerRevisions,
  // batch/v1
  Jobs,
  CronJobs,
  // autoscaling/v2
  HorizontalPodAutoscalers,
  // networking.k8s.io/v1
  Ingresses,
  IngressClasses,
  // discovery.k8s.io/v1
  EndpointSlices,
  // coordination.k8s.io/v1
  Leases,
  // policy/v1
  PodDisruptionBudgets,
  // rbac.authorization.k8s.io/v1
  Roles,
  ClusterRoles,
  RoleBindings,
  ClusterRoleBindings,
  // scheduling.k8s.io/v1
  PriorityClasses,
  // storage.k8s.io/v1
  StorageClasses,
];

/**
 * A registry holding every {@link builtinResources} definition, ready for plugins to add
 * their custom resources.
 *
 * @example
 * ```ts
 * const registry = createBuiltinRegistry();
 * registry.lookup('deploy') === Deployments; // true
 * registry.forKind('autoscaling/v1', 'HorizontalPodAutoscaler') === HorizontalPodAutoscalers; // true (converted)
 * ```
 */
export function createBuiltinRegistry(): ResourceRegistry {
  const registry = new ResourceRegistry();
  for (const def of builtinResources) registry.register(def);
  return registry;
}
