/**
 * The built-in kinds: zod schemas (with the TypeScript types inferred from them), upstream's
 * defaults and semantic validation, and one {@link ResourceDefinition} per kind, named by its
 * plural (`Pods`, `Deployments`, `HorizontalPodAutoscalers`, ...).
 *
 * @module
 */
import { ResourceRegistry, type ResourceDefinition } from '../registry.js';
import { ControllerRevisions, DaemonSets, Deployments, ReplicaSets, StatefulSets } from './apps.js';
import { ConfigMaps, Events, LimitRanges, Namespaces, ReplicationControllers, ResourceQuotas, Secrets, ServiceAccounts } from './core.js';
import { Nodes } from './node.js';
import { Pods } from './pod.js';
import { Endpoints, Services } from './service.js';
import { PersistentVolumeClaims, PersistentVolumes } from './volume.js';

export * from './pod.js';
export * from './node.js';
export * from './service.js';
export * from './volume.js';
export * from './core.js';
export * from './apps.js';
export { IntOrStringSchema, QuantitySchema, ResourceListSchema } from './internal.js';

/**
 * Every built-in resource definition, core group first, then by API group. Registration order
 * is also the order `kubectl api-resources`-style listings show.
 */
export const builtinResources: readonly ResourceDefinition[] = [
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
  Deployments,
  ReplicaSets,
  StatefulSets,
  DaemonSets,
  ControllerRevisions,
];

/** A registry holding every {@link builtinResources} definition. */
export function createBuiltinRegistry(): ResourceRegistry {
  const registry = new ResourceRegistry();
  for (const def of builtinResources) registry.register(def);
  return registry;
}
