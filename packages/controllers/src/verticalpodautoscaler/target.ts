/**
 * Which pods a VPA acts on (upstream `target.VpaTargetSelectorFetcher` and the admission
 * controller's `vpa.Matcher`): the pods its target's selector matches.
 *
 * @module
 */
import { DaemonSets, Deployments, Jobs, ReplicaSets, ReplicationControllers, StatefulSets, matchesLabelSelector } from '@kubeloop/core';
import type { KubeObject, LabelSelector, Pod, ResourceDefinition, StoreReader } from '@kubeloop/core';
import type { VerticalPodAutoscaler } from './kind.js';

/** The built-in kinds a VPA may target, by kind. */
const TARGET_KINDS: ReadonlyMap<string, ResourceDefinition> = new Map<string, ResourceDefinition>([
  ['Deployment', Deployments as unknown as ResourceDefinition],
  ['ReplicaSet', ReplicaSets as unknown as ResourceDefinition],
  ['StatefulSet', StatefulSets as unknown as ResourceDefinition],
  ['DaemonSet', DaemonSets as unknown as ResourceDefinition],
  ['Job', Jobs as unknown as ResourceDefinition],
  ['ReplicationController', ReplicationControllers as unknown as ResourceDefinition],
]);

/** The resource of a target kind the VPA understands, or undefined. */
export function targetResource(kind: string): ResourceDefinition | undefined {
  return TARGET_KINDS.get(kind);
}

/** A target object's pod selector: `spec.selector` (a map for ReplicationControllers). */
export function selectorOf(target: KubeObject): LabelSelector | undefined {
  const s = (target as { spec?: { selector?: unknown } }).spec?.selector;
  if (s === undefined || s === null || typeof s !== 'object') return undefined;
  if (target.kind === 'ReplicationController') return { matchLabels: s as Record<string, string> };
  return s as LabelSelector;
}

/** The VPA's target object, read through `get`, or undefined when absent or of a kind it cannot target. */
export function targetOf(vpa: VerticalPodAutoscaler, get: (resource: ResourceDefinition, namespace: string, name: string) => KubeObject | undefined): KubeObject | undefined {
  const resource = targetResource(vpa.spec.targetRef.kind);
  if (resource === undefined) return undefined;
  return get(resource, vpa.metadata.namespace ?? '', vpa.spec.targetRef.name);
}

/** Whether `pod` is one of the pods `target` selects. */
export function selects(target: KubeObject, pod: Pod): boolean {
  if ((target.metadata.namespace ?? '') !== (pod.metadata.namespace ?? '')) return false;
  return matchesLabelSelector(selectorOf(target), pod.metadata.labels);
}

/**
 * The VPA that controls `pod` in the store (upstream `GetControllingVPAForPod`): among the VPAs
 * of its namespace whose target selects it, the oldest (then by name); undefined when none.
 */
export function controllingVpa(pod: Pod, vpas: readonly VerticalPodAutoscaler[], store: StoreReader): VerticalPodAutoscaler | undefined {
  const matching = vpas.filter((v) => {
    const target = targetOf(v, (r, namespace, name) => store.get(r, { namespace, name }));
    return target !== undefined && selects(target, pod);
  });
  matching.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return matching[0];
}
