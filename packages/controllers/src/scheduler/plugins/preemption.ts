/**
 * DefaultPreemption, as far as the message: kubeloop does not evict, but it explains, as
 * upstream does, why preemption could not help.
 *
 * @module
 */
import type { Pod } from '@kubeloop/core';
import { type Framework, type PostFilterPlugin, type Status, filterOnNode } from '../framework.js';
import { ClusterIndex, NodeInfo, type NodeInfoView, type Snapshot } from '../nodeinfo.js';

/** Upstream's reason for a node where the pod failed a filter that evicting pods cannot change. */
export const ERR_REASON_PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
/** Upstream's reason for a node without lower-priority pods. */
export const ERR_REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';

/** The snapshot with `node` replaced by `replacement` (for a dry run). */
function withNode(snapshot: Snapshot, node: NodeInfoView, replacement: NodeInfoView): Snapshot {
  const swap = (n: NodeInfoView) => (n === node ? replacement : n);
  const nodes = snapshot.nodes.map(swap);
  const has = (set: ReadonlySet<NodeInfoView>, pick: (n: NodeInfoView) => number) => {
    const out = new Set<NodeInfoView>();
    for (const n of set) if (n !== node) out.add(n);
    if (pick(replacement) > 0) out.add(replacement);
    return out;
  };
  return {
    ...snapshot,
    nodes,
    get: (name) => (name === node.name ? replacement : snapshot.get(name)),
    havePodsWithAffinity: has(snapshot.havePodsWithAffinity, (n) => n.podsWithAffinity.size),
    havePodsWithRequiredAntiAffinity: has(snapshot.havePodsWithRequiredAntiAffinity, (n) => n.podsWithRequiredAntiAffinity.size),
    imageNodeCount: (name) => snapshot.imageNodeCount(name),
    pvc: (ns, name) => snapshot.pvc(ns, name),
    pv: (name) => snapshot.pv(name),
    pvs: () => snapshot.pvs(),
    storageClass: (name) => snapshot.storageClass(name),
    namespaceLabels: (name) => snapshot.namespaceLabels(name),
  };
}

/**
 * Why preempting on `node` cannot help `pod` (upstream `SelectVictimsOnNode`): the reasons when
 * it cannot, or `undefined` when evicting its lower-priority pods would make room (a candidate).
 * - `UnschedulableAndUnresolvable` filter failures: {@link ERR_REASON_PREEMPTION_NOT_HELPFUL};
 * - no pod on the node has a lower `spec.priority`: {@link ERR_REASON_NO_VICTIMS};
 * - otherwise the filters are run again without every lower-priority pod; their failure reasons.
 */
export function preemptionReasons(fw: Framework, pod: Pod, snapshot: Snapshot, node: NodeInfoView, status: Status): readonly string[] | undefined {
  if (status.code === 'UnschedulableAndUnresolvable') return [ERR_REASON_PREEMPTION_NOT_HELPFUL];
  const priority = pod.spec.priority ?? 0;
  const keep = [...node.pods.values()].filter((p) => (p.pod.spec.priority ?? 0) >= priority);
  if (keep.length === node.pods.size) return [ERR_REASON_NO_VICTIMS];
  const without = new NodeInfo(node.node, new ClusterIndex());
  for (const p of keep) without.addPod(p);
  const s = filterOnNode(fw, pod, withNode(snapshot, node, without), without);
  return s.code === 'Success' ? undefined : s.reasons;
}

/**
 * DefaultPreemption's PostFilter message, without preemption: when no node could make room by
 * evicting lower-priority pods, `preemption: 0/N nodes are available: <counts>` over
 * {@link preemptionReasons} (sorted like the main message); for a pod with
 * `preemptionPolicy: Never`, `preemption: not eligible due to preemptionPolicy=Never`.
 *
 * Caveats: when some node could make room, upstream would evict there and nominate the node;
 * kubeloop does not preempt, and leaves the sentence out (as upstream's message for that cycle
 * does). PodDisruptionBudgets and nominated pods are not considered.
 *
 * @example
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.
 * preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.`
 */
export const defaultPreemption: PostFilterPlugin = {
  name: 'DefaultPreemption',
  postFilter(_state, pod, snapshot, failed, fw) {
    if (pod.spec.preemptionPolicy === 'Never') return { message: 'preemption: not eligible due to preemptionPolicy=Never' };
    const counts = new Map<string, number>();
    for (const [name, status] of failed) {
      const node = snapshot.get(name);
      const reasons = node === undefined ? [ERR_REASON_PREEMPTION_NOT_HELPFUL] : preemptionReasons(fw, pod, snapshot, node, status);
      if (reasons === undefined) return {}; // a candidate: upstream would preempt here
      for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { message: `preemption: 0/${snapshot.nodes.length} nodes are available: ${parts.join(', ')}` };
  },
};
