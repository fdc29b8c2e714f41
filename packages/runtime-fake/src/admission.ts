/**
 * Kubelet admission of a pod bound to the node (upstream `generalFilter` in the kubelet's
 * `predicateAdmitHandler`), in upstream's order, the first failure reported:
 * 1. the pod must fit in what the admitted pods leave of the node's allocatable cpu, memory
 *    and pod count;
 * 2. the node must match its `nodeSelector` and required node affinity;
 * 3. its host ports must be free on the node;
 * 4. it must tolerate the node's `NoExecute` taints (the kubelet ignores the other effects).
 *
 * The scheduler normally guarantees all four; a pod bound by hand, by a scheduler with a stale
 * cache, or bound before its node was re-provisioned with other labels or taints is rejected.
 *
 * @module
 */
import type { HostPort, Node, Pod } from '@kubeloop/core';
import { findUntoleratedTaint, matchesNodeSelectorAndAffinity, podHostPorts, podRequests as exactPodRequests, portsConflict, tryParseQuantity } from '@kubeloop/core';

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
 * What a pod requests, in admission units: core's `podRequests` (upstream `PodRequests`: app
 * containers and sidecars summed, each regular init container with the sidecars started before
 * it, the larger figure, plus the overhead), with cpu in millicores and memory in bytes; one pod.
 *
 * @example
 * ```ts
 * // containers 100m + 200m, an init container 500m: the pod requests 500m
 * // a 600m container and a 500m sidecar (restartPolicy Always) run together: 1100m
 * podRequests(meshed); // { cpu: 1100, memory: 0, pods: 1 }
 * ```
 */
export function podRequests(pod: Pod): AdmissionResources {
  // A stored pod is frozen, so one spec object always asks for the same: the kubelet sums the
  // requests of its pods at every admission, and the spec survives the pod's status writes.
  const known = requestsBySpec.get(pod.spec);
  if (known !== undefined) return known;
  const r = exactPodRequests(pod);
  const requests = { cpu: r.get('cpu')?.milliValue() ?? 0, memory: r.get('memory')?.value() ?? 0, pods: 1 };
  if (Object.isFrozen(pod.spec)) requestsBySpec.set(pod.spec, requests);
  return requests;
}

/** {@link podRequests} of frozen pod specs, computed once each. */
const requestsBySpec = new WeakMap<Pod['spec'], AdmissionResources>();

/** A node's allocatable resources in admission units. */
export function allocatableResources(allocatable: Readonly<Record<string, string>>): AdmissionResources {
  return { cpu: amount(allocatable['cpu'], true), memory: amount(allocatable['memory'], false), pods: amount(allocatable['pods'], false) };
}

/** What the kubelet puts before a rejection's reason in the pod's status message (upstream `rejectPod`). */
export const POD_REJECTED_PREFIX = 'Pod was rejected: ';

/**
 * The message of the Warning event for a rejection: upstream's `rejectPod` records the event
 * with the bare reason and writes `Pod was rejected: <reason>` only into the pod's status.
 *
 * @example
 * ```ts
 * rejectionEventMessage({ reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, ..." });
 * // "Node didn't have enough resource: cpu, ..."
 * ```
 */
export function rejectionEventMessage(rejection: AdmissionRejection): string {
  return rejection.message.startsWith(POD_REJECTED_PREFIX) ? rejection.message.slice(POD_REJECTED_PREFIX.length) : rejection.message;
}

/**
 * Why a pod was rejected: upstream reason (`OutOfcpu`, `OutOfmemory`, `OutOfpods`,
 * `NodeAffinity`, `NodePorts`, `TaintToleration`) and the pod's status message (with
 * {@link POD_REJECTED_PREFIX}; the event leaves it out, see {@link rejectionEventMessage}).
 */
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

/**
 * The host-port predicate of kubelet admission (upstream NodePorts): undefined when none of the
 * pod's host ports collides with `used` (the host ports of the pods admitted on the node),
 * else the rejection upstream's kubelet writes (reason `NodePorts`).
 *
 * @example
 * ```ts
 * // a second pod asking for hostPort 8080/TCP on the node
 * hostPortsRejection(second, [{ hostIP: '0.0.0.0', protocol: 'TCP', port: 8080 }]);
 * // { reason: 'NodePorts', message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" }
 * ```
 */
export function hostPortsRejection(pod: Pod, used: readonly HostPort[]): AdmissionRejection | undefined {
  if (used.length === 0) return undefined;
  for (const want of podHostPorts(pod)) {
    if (used.some((u) => portsConflict(want, u))) {
      return { reason: 'NodePorts', message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" };
    }
  }
  return undefined;
}

/**
 * The taint predicate of kubelet admission: undefined when the pod tolerates every `NoExecute`
 * taint of `node` (the kubelet ignores `NoSchedule` and `PreferNoSchedule`: those only steer
 * the scheduler), else the rejection upstream's kubelet writes (reason `TaintToleration`).
 *
 * @example
 * ```ts
 * noExecuteTaintRejection(podWithoutTolerations, nodeTainted({ key: 'maintenance', effect: 'NoExecute' }));
 * // { reason: 'TaintToleration', message: "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" }
 * ```
 */
export function noExecuteTaintRejection(pod: Pod, node: Node): AdmissionRejection | undefined {
  if (findUntoleratedTaint(node.spec.taints, pod.spec.tolerations, ['NoExecute']) === undefined) return undefined;
  return { reason: 'TaintToleration', message: "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" };
}

/** What the kubelet knows when it admits a pod: its Node now and what the admitted pods use. */
export interface AdmissionContext {
  /** The Node as the API server has it now. */
  readonly node: Node;
  /** The node's allocatable resources. */
  readonly allocatable: AdmissionResources;
  /** What the admitted, unfinished pods request together. */
  readonly used: AdmissionResources;
  /** The host ports the admitted, unfinished pods hold. */
  readonly usedPorts: readonly HostPort[];
}

/**
 * Kubelet admission of `pod`: undefined when it is admitted, else the first failed predicate in
 * upstream's order (resources, node affinity, host ports, `NoExecute` taints).
 */
export function admissionRejection(pod: Pod, context: AdmissionContext): AdmissionRejection | undefined {
  return (
    admitPod(podRequests(pod), context.used, context.allocatable) ??
    nodeAffinityRejection(pod, context.node) ??
    hostPortsRejection(pod, context.usedPorts) ??
    noExecuteTaintRejection(pod, context.node)
  );
}
