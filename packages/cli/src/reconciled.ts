/**
 * Telling a user when nothing in the cluster acts on what they applied (pure).
 *
 * Which kinds need a controller: those with a `status` subresource. Upstream gives a kind a
 * status subresource exactly when something other than the user writes its status, because
 * something acts on its spec: a controller (Deployment, StatefulSet, Job, HPA, PDB, Ingress…),
 * the scheduler and kubelet (Pod, Node), the endpoints and load-balancer controllers (Service).
 * Kinds without one are data that others read (ConfigMap, Secret, ServiceAccount, StorageClass,
 * IngressClass, LimitRange, Endpoints…): applying them needs nothing to run. One exception is
 * written down: a Namespace's status (its phase) is written by the API server itself, so a
 * Namespace works as soon as it is created.
 *
 * Which kinds are acted on: those the cluster's plugins declare with core's
 * `PluginApi.reconciles` (`SimCluster.reconciledResources()`).
 *
 * @module
 */
import type { KubeObject, ResourceDefinition } from '@kubeloop/core';

/** Kinds with a status subresource whose status the API server writes itself: no controller needed to use them. */
const STATUS_WRITTEN_BY_THE_API_SERVER: readonly string[] = ['Namespace'];

/** Whether objects of `resource` need something in the cluster to act on them (see the module documentation). */
export function needsController(resource: ResourceDefinition): boolean {
  return resource.subresources?.status === true && !(resource.group === '' && STATUS_WRITTEN_BY_THE_API_SERVER.includes(resource.kind));
}

/**
 * The warnings for `applied` objects that need a controller ({@link needsController}) when no
 * resource of `reconciled` serves their kind: `warning: nothing in this cluster reconciles
 * StatefulSet "web"`, one per object, in the order given.
 */
export function unreconciledWarnings(applied: readonly { readonly resource: ResourceDefinition; readonly object: KubeObject }[], reconciled: readonly ResourceDefinition[]): string[] {
  const acted = new Set(reconciled.map((r) => `${r.group}/${r.kind}`));
  return applied
    .filter(({ resource }) => needsController(resource) && !acted.has(`${resource.group}/${resource.kind}`))
    .map(({ object }) => `warning: nothing in this cluster reconciles ${object.kind} "${object.metadata.name ?? ''}"`);
}
