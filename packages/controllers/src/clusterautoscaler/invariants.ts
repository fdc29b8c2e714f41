/**
 * What the Cluster Autoscaler guarantees, stated from its documented rules (the FAQ's "what
 * types of pods can prevent CA from removing a node" and the `--nodes=min:max` bounds), in
 * code of their own: none of these calls the autoscaler's decisions.
 *
 * @module
 */
import { controllerRef, invariant, matchesLabelSelector, refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, KubeObject, Node, Pod, PodDisruptionBudget } from '@kubeloop/core';


/** The bounds of one node group, as configured. */
export interface GroupBounds {
  readonly id: string;
  readonly minSize: number;
  readonly maxSize: number;
}

const TAINT = 'ToBeDeletedByClusterAutoscaler';

function tainted(n: Node | undefined): boolean {
  return (n?.spec.taints ?? []).some((t) => t.key === TAINT);
}

/**
 * Safety: every group has at most `maxSize` registered Nodes (`groupOf` maps a Node to its
 * group's id).
 */
export function groupsWithinMax(state: ClusterState, groups: readonly GroupBounds[], groupOf: (node: Node) => string | undefined): InvariantViolation[] {
  const counts = new Map<string, Node[]>();
  for (const n of state.of<Node>('Node')) {
    const g = groupOf(n);
    if (g !== undefined) counts.set(g, [...(counts.get(g) ?? []), n]);
  }
  const out: InvariantViolation[] = [];
  for (const g of groups) {
    const nodes = counts.get(g.id) ?? [];
    if (nodes.length > g.maxSize) out.push({ message: `node group ${g.id} has ${nodes.length} nodes, above its maxSize ${g.maxSize}`, objects: nodes.map(refOf) });
  }
  return out;
}

/**
 * Safety: the cluster has at most `maxNodesTotal` Nodes (upstream `--max-nodes-total`; 0: no
 * limit) — unless the Nodes of the groups are no more than the groups' `minSize`s together,
 * i.e. the cluster was built that large and the autoscaler added nothing.
 */
export function clusterWithinMaxNodesTotal(state: ClusterState, maxNodesTotal: number, groups: readonly GroupBounds[], groupOf: (node: Node) => string | undefined): InvariantViolation[] {
  if (!(maxNodesTotal > 0)) return [];
  const nodes = state.of<Node>('Node');
  if (nodes.length <= maxNodesTotal) return [];
  const ids = new Set(groups.map((g) => g.id));
  const inGroups = nodes.filter((n) => {
    const g = groupOf(n);
    return g !== undefined && ids.has(g);
  });
  const floor = groups.reduce((sum, g) => sum + g.minSize, 0);
  if (inGroups.length <= floor) return [];
  return [{ message: `the cluster has ${nodes.length} nodes, above --max-nodes-total ${maxNodesTotal}`, objects: inGroups.map(refOf) }];
}

/**
 * Transition: a Node the autoscaler deletes (it carried the ToBeDeletedByClusterAutoscaler
 * taint) leaves its group with at least `minSize` Nodes.
 */
export function groupsNotBelowMin(previous: ClusterState, state: ClusterState, groups: readonly GroupBounds[], groupOf: (node: Node) => string | undefined): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const left = new Map<string, number>();
  for (const n of previous.of<Node>('Node')) {
    const g = groupOf(n);
    if (g !== undefined) left.set(g, (left.get(g) ?? 0) + 1);
  }
  for (const c of state.changes) {
    if (c.object.kind !== 'Node') continue;
    const n = c.object as Node;
    const g = groupOf(n);
    if (g === undefined) continue;
    if (c.type === 'ADDED') left.set(g, (left.get(g) ?? 0) + 1);
    if (c.type !== 'DELETED') continue;
    left.set(g, (left.get(g) ?? 0) - 1);
    const bounds = groups.find((b) => b.id === g);
    if (bounds !== undefined && tainted(n) && (left.get(g) ?? 0) < bounds.minSize) {
      out.push({ message: `the autoscaler deleted node ${n.metadata.name ?? ''}, leaving group ${g} ${left.get(g) ?? 0} nodes, below its minSize ${bounds.minSize}`, objects: [refOf(n)] });
    }
  }
  return out;
}

/**
 * Why the FAQ says a pod keeps its node, or undefined: annotated
 * `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`; not annotated `"true"` and either
 * without a controller, with an emptyDir or hostPath volume, or in kube-system without a
 * PodDisruptionBudget. DaemonSet, mirror and finished pods never keep a node.
 */
export function podKeepsNode(pod: Pod, pdbs: readonly PodDisruptionBudget[]): string | undefined {
  const a = pod.metadata.annotations ?? {};
  if (a['kubernetes.io/config.mirror'] !== undefined) return undefined;
  if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return undefined;
  const safe = a['cluster-autoscaler.kubernetes.io/safe-to-evict'];
  if (safe === 'true') return undefined;
  const owner = controllerRef(pod as KubeObject);
  if (owner?.kind === 'DaemonSet') return undefined;
  if (safe === 'false') return 'it is annotated safe-to-evict "false"';
  if (owner === undefined) return 'it has no controller';
  if (pod.metadata.namespace === 'kube-system' && !pdbs.some((b) => b.metadata.namespace === 'kube-system' && matchesLabelSelector(b.spec.selector, pod.metadata.labels))) return 'it is a kube-system pod without a PodDisruptionBudget';
  if ((pod.spec.volumes ?? []).some((v) => v.emptyDir !== undefined || v.hostPath !== undefined)) return 'it has local storage (emptyDir or hostPath)';
  return undefined;
}

/**
 * Transition: the autoscaler only starts removing a node whose pods can all move — when a Node
 * gains the ToBeDeletedByClusterAutoscaler taint, no pod bound to it keeps it
 * ({@link podKeepsNode}); and it deletes a tainted Node only once drained — no pod that must
 * move (not DaemonSet, mirror, finished or terminating) is still bound to it. The changes since
 * `previous` are replayed in order, so each is judged against the pods of its moment.
 */
export function removesOnlyMovableNodes(previous: ClusterState, state: ClusterState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const pdbs = state.of<PodDisruptionBudget>('PodDisruptionBudget');
  const podKey = (p: Pod): string => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
  const pods = new Map<string, Pod>(previous.of<Pod>('Pod').map((p) => [podKey(p), p]));
  const nodes = new Map<string, Node>(previous.of<Node>('Node').map((n) => [n.metadata.name ?? '', n]));
  const mustMove = (p: Pod): boolean =>
    p.metadata.deletionTimestamp === undefined && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed' && controllerRef(p as KubeObject)?.kind !== 'DaemonSet' && p.metadata.annotations?.['kubernetes.io/config.mirror'] === undefined;
  for (const c of state.changes) {
    if (c.object.kind === 'Pod') {
      const p = c.object as Pod;
      if (c.type === 'DELETED') pods.delete(podKey(p));
      else pods.set(podKey(p), p);
      continue;
    }
    if (c.object.kind !== 'Node') continue;
    const n = c.object as Node;
    const name = n.metadata.name ?? '';
    const before = nodes.get(name);
    if (c.type === 'DELETED') {
      nodes.delete(name);
      if (!tainted(n)) continue;
      for (const p of pods.values()) {
        if (p.spec.nodeName === name && mustMove(p)) out.push({ message: `node ${name} was deleted by the autoscaler while pod ${podKey(p)} still ran on it`, objects: [refOf(n), refOf(p)] });
      }
      continue;
    }
    nodes.set(name, n);
    if (!tainted(n) || tainted(before)) continue;
    for (const p of pods.values()) {
      if (p.spec.nodeName !== name) continue;
      const why = podKeepsNode(p, pdbs);
      if (why !== undefined) out.push({ message: `node ${name} was marked for deletion although pod ${podKey(p)} could not move: ${why}`, objects: [refOf(n), refOf(p)] });
    }
  }
  return out;
}

/**
 * The autoscaler's invariants over the groups `groups`, with `groupOf` naming a Node's group;
 * `maxNodesTotal` (upstream `--max-nodes-total`, 0 or absent: no limit) bounds the whole
 * cluster in `clusterAutoscalerWithinMax` as each group's maxSize bounds the group.
 */
export function clusterAutoscalerInvariants(groups: readonly GroupBounds[], groupOf: (node: Node) => string | undefined, limits: { readonly maxNodesTotal?: number | undefined } = {}): Invariant[] {
  const maxNodesTotal = limits.maxNodesTotal ?? 0;
  return [
    invariant(
      'clusterAutoscalerWithinMax',
      'The Cluster Autoscaler never grows a node group past its maxSize, nor the cluster past --max-nodes-total.',
      (state) => [...groupsWithinMax(state, groups, groupOf), ...clusterWithinMaxNodesTotal(state, maxNodesTotal, groups, groupOf)],
      'safety',
    ),
    transitionInvariant('clusterAutoscalerNotBelowMin', 'The Cluster Autoscaler never deletes a node that takes its group below minSize.', (previous, state) => groupsNotBelowMin(previous, state, groups, groupOf)),
    transitionInvariant('clusterAutoscalerRemovesOnlyMovableNodes', 'The Cluster Autoscaler never removes a node whose pods could not move, and deletes it only once drained.', removesOnlyMovableNodes),
  ];
}
