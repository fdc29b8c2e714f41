/**
 * Kubelet admission of a pod bound to the node (upstream `GeneralPredicates` in the kubelet's
 * `predicateAdmitHandler`): the pod must fit in what the admitted pods leave of the node's
 * allocatable cpu, memory and pod count, and the node must match its `nodeSelector` and
 * required node affinity. The scheduler normally guarantees both; a pod bound by hand, by a
 * scheduler with a stale cache, or bound before its node was re-provisioned with other labels
 * is rejected.
 *
 * @module
 */
import type { Node, Pod } from '@kubeloop/core';
import { matchesNodeSelectorAndAffinity, tryParseQuantity } from '@kubeloop/core';

/** Resources in the units admission compares: cpu in millicores, memory in bytes, and a pod count. */
export interface AdmissionResources {
  /** Millicores. */
  readonly cpu: number;
  /** Bytes. */
  readonly memory: number;
  /** Pods. */
  readonly pods: number;
}

function amount(text: string | undefined, milli: boolean): number {
  if (text === undefined) return 0;
  const q = tryParseQuantity(text);
  if (q === undefined) return 0;
  return milli ? q.milliValue() : q.value();
}

/**
 * What a pod requests (upstream `PodRequests`): the larger of the sum over its containers and
 * the largest init container, plus its overhead; one pod.
 *
 * @example
 * ```ts
 * // containers 100m + 200m, an init container 500m: the pod requests 500m
 * ```
 */
export function podRequests(pod: Pod): AdmissionResources {
  const sum = { cpu: 0, memory: 0 };
  for (const c of pod.spec.containers) {
    sum.cpu += amount(c.resources?.requests?.['cpu'], true);
    sum.memory += amount(c.resources?.requests?.['memory'], false);
  }
  for (const c of pod.spec.initContainers ?? []) {
    sum.cpu = Math.max(sum.cpu, amount(c.resources?.requests?.['cpu'], true));
    sum.memory = Math.max(sum.memory, amount(c.resources?.requests?.['memory'], false));
  }
  return { cpu: sum.cpu + amount(pod.spec.overhead?.['cpu'], true), memory: sum.memory + amount(pod.spec.overhead?.['memory'], false), pods: 1 };
}

/** A node's allocatable resources in admission units. */
export function allocatableResources(allocatable: Readonly<Record<string, string>>): AdmissionResources {
  return { cpu: amount(allocatable['cpu'], true), memory: amount(allocatable['memory'], false), pods: amount(allocatable['pods'], false) };
}

/** Why a pod was rejected: upstream reason (`OutOfcpu`, `OutOfmemory`, `OutOfpods`, `NodeAffinity`) and message. */
export interface AdmissionRejection {
  /** `OutOf<resource>`, or the failed predicate's name. */
  readonly reason: string;
  /** `Pod was rejected: Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000`. */
  readonly message: string;
}

/**
 * Admits a pod requesting `requested` on a node whose admitted pods use `used` of
 * `allocatable`; undefined when it fits, else the first resource short (pods, cpu, memory).
 *
 * @example
 * ```ts
 * admitPod({ cpu: 500, memory: 0, pods: 1 }, { cpu: 3800, memory: 0, pods: 3 }, { cpu: 4000, memory: 8e9, pods: 110 });
 * // { reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000" }
 * ```
 */
export function admitPod(requested: AdmissionResources, used: AdmissionResources, allocatable: AdmissionResources): AdmissionRejection | undefined {
  if (used.pods + requested.pods > allocatable.pods) {
    return { reason: 'OutOfpods', message: `Pod was rejected: Node didn't have enough resource: pods, requested: ${requested.pods}, used: ${used.pods}, capacity: ${allocatable.pods}` };
  }
  for (const r of ['cpu', 'memory'] as const) {
    if (requested[r] > 0 && used[r] + requested[r] > allocatable[r]) {
      return { reason: `OutOf${r}`, message: `Pod was rejected: Node didn't have enough resource: ${r}, requested: ${requested[r]}, used: ${used[r]}, capacity: ${allocatable[r]}` };
    }
  }
  return undefined;
}

/**
 * The node-affinity predicate of kubelet admission (checked after resources, as upstream):
 * undefined when `node` matches the pod's `nodeSelector` and required node affinity, else the
 * rejection upstream's kubelet writes (reason `NodeAffinity`).
 *
 * @example
 * ```ts
 * nodeAffinityRejection(podWithSelector({ pool: 'gpu' }), nodeLabelled({ pool: 'cpu' }));
 * // { reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" }
 * ```
 */
export function nodeAffinityRejection(pod: Pod, node: Node): AdmissionRejection | undefined {
  if (matchesNodeSelectorAndAffinity(pod, node)) return undefined;
  return { reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" };
}
