/**
 * Default plugins that look at one node at a time: PrioritySort, NodeName, NodeUnschedulable,
 * NodeAffinity (with `nodeSelector`), TaintToleration, NodePorts and ImageLocality, with
 * upstream's semantics and reason strings; and the matching helpers they share.
 *
 * @module
 */
import type { HostPort, Pod, Taint, Toleration } from '@kubeloop/core';
import { findUntoleratedTaint, matchesNodeSelectorAndAffinity, matchesRequirement, matchesTerm, podHostPorts, portsConflict, toleratesTaint } from '@kubeloop/core';
import {
  MAX_NODE_SCORE,
  SKIP,
  SUCCESS,
  defaultNormalizeScore,
  filterEachNode,
  unresolvable,
  unschedulable,
  type CycleState,
  type FilterPlugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type QueueSortPlugin,
  type ScorePlugin,
} from '../framework.js';
import { normalizedImageName, type NodeInfoView, type Snapshot } from '../nodeinfo.js';

// ---------------------------------------------------------------------------------------------
// Matching helpers (node selection, taints and host ports are core's, shared with the kubelet;
// re-exported here)

export { findUntoleratedTaint, matchesNodeSelectorAndAffinity, matchesRequirement, matchesTerm, portsConflict, toleratesTaint };

// ---------------------------------------------------------------------------------------------
// PrioritySort

/** Orders the active queue by `spec.priority` (higher first), then by queue timestamp (earlier first). */
export const prioritySort: QueueSortPlugin = {
  name: 'PrioritySort',
  less(a, b) {
    const pa = a.pod.spec.priority ?? 0;
    const pb = b.pod.spec.priority ?? 0;
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  },
};

// ---------------------------------------------------------------------------------------------
// NodeName

/** Upstream's NodeName reason. */
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

/** A pod with `spec.nodeName` only fits that node. */
export const nodeName: FilterPlugin = {
  name: 'NodeName',
  filter(_s, pod, node) {
    const want = pod.spec.nodeName;
    return want === undefined || want === '' || want === node.name ? SUCCESS : unresolvable(ERR_REASON_NODE_NAME);
  },
  filterNodes(state, pod, nodes, snapshot, failed) {
    const want = pod.spec.nodeName;
    if (want === undefined || want === '') return;
    filterEachNode(this, state, pod, nodes, snapshot, failed);
  },
};


// ---------------------------------------------------------------------------------------------
// NodeUnschedulable

/** Upstream's NodeUnschedulable reason. */
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
/** The taint a cordoned node is treated as having. */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** A cordoned node (`spec.unschedulable`) only takes pods tolerating `node.kubernetes.io/unschedulable:NoSchedule`. */
export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_s, pod, node) {
    if (!node.unschedulable) return SUCCESS;
    const taint: Taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };
    return (pod.spec.tolerations ?? []).some((t) => toleratesTaint(t, taint)) ? SUCCESS : unresolvable(ERR_REASON_UNSCHEDULABLE);
  },
  filterNodes(state, pod, nodes, snapshot, failed) {
    filterEachNode(this, state, pod, nodes, snapshot, failed, schedulable);
  },
};

// ---------------------------------------------------------------------------------------------
// NodeAffinity

/** Upstream's NodeAffinity reason (nodeSelector and required node affinity alike). */
export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

/**
 * Filter: `nodeSelector` and required node affinity (see {@link matchesNodeSelectorAndAffinity}).
 * Score: the sum of the weights of the preferred terms the node matches, normalized so the
 * best node gets 100.
 *
 * @example Preferred terms `zone=a` (weight 80) and `disk=ssd` (weight 20): a node with both
 * scores 100, one in zone a 80 → normalized 80, one with neither 0.
 */
export const nodeAffinity: FilterPlugin & PreScorePlugin & ScorePlugin = {
  name: 'NodeAffinity',
  filter(_s, pod, node) {
    return matchesNodeSelectorAndAffinity(pod, node.node) ? SUCCESS : unresolvable(ERR_REASON_NODE_AFFINITY);
  },
  filterNodes(state, pod, nodes, snapshot, failed) {
    if (pod.spec.nodeSelector === undefined && pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution === undefined) return;
    filterEachNode(this, state, pod, nodes, snapshot, failed);
  },
  preScore(_s, pod) {
    return (pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 ? SUCCESS : SKIP;
  },
  score(_s, pod, node) {
    let sum = 0;
    for (const t of pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (matchesTerm(t.preference, node.node)) sum += t.weight;
    }
    return sum;
  },
  normalizeScore(_s, _pod, scores) {
    defaultNormalizeScore(scores, false);
  },
};

// ---------------------------------------------------------------------------------------------
// TaintToleration

/** Upstream's TaintToleration reason for `taint`: `node(s) had untolerated taint {key: value}`. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

const TAINT_KEY = 'PreScoreTaintToleration';
/** The taint effects the filter enforces. */
const FILTERED_EFFECTS: readonly string[] = Object.freeze(['NoSchedule', 'NoExecute']);
/** A node whose taints no filter can object to. */
const untainted = (node: NodeInfoView): boolean => node.taints.length === 0;
/** A node that is not cordoned. */
const schedulable = (node: NodeInfoView): boolean => !node.unschedulable;

/**
 * Filter: every `NoSchedule` and `NoExecute` taint must be tolerated. Score: the number of
 * untolerated `PreferNoSchedule` taints, normalized in reverse (fewest → 100).
 *
 * @example Nodes with 0, 1 and 2 untolerated PreferNoSchedule taints score 100, 50 and 0.
 */
export const taintToleration: FilterPlugin & PreScorePlugin & ScorePlugin = {
  name: 'TaintToleration',
  filter(_s, pod, node) {
    const taint = findUntoleratedTaint(node.taints, pod.spec.tolerations, FILTERED_EFFECTS);
    return taint === undefined ? SUCCESS : unresolvable(untoleratedTaintReason(taint));
  },
  filterNodes(state, pod, nodes, snapshot, failed) {
    filterEachNode(this, state, pod, nodes, snapshot, failed, untainted);
  },
  preScore(state, pod) {
    state.set(TAINT_KEY, (pod.spec.tolerations ?? []).filter((t) => t.effect === undefined || t.effect === '' || t.effect === 'PreferNoSchedule'));
    return SUCCESS;
  },
  scoreNodes(state, pod, nodes, snapshot, scores) {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      scores[i] = node.taints.length === 0 ? 0 : this.score(state, pod, node, snapshot);
    }
  },
  score(state, pod, node) {
    const taints = node.taints;
    if (taints.length === 0) return 0;
    const tolerations =
      (state.get(TAINT_KEY) as Toleration[] | undefined) ??
      (pod.spec.tolerations ?? []).filter((t) => t.effect === undefined || t.effect === '' || t.effect === 'PreferNoSchedule');
    let n = 0;
    for (const taint of taints) {
      if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => toleratesTaint(t, taint))) n++;
    }
    return n;
  },
  normalizeScore(_s, _pod, scores) {
    defaultNormalizeScore(scores, true);
  },
};

// ---------------------------------------------------------------------------------------------
// NodePorts

/** Upstream's NodePorts reason. */
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const PORTS_KEY = 'PreFilterNodePorts';

/** A pod's host ports must not collide with ports already used on the node. */
export const nodePorts: PreFilterPlugin & FilterPlugin = {
  name: 'NodePorts',
  preFilter(state, pod) {
    const ports = podHostPorts(pod);
    if (ports.length === 0) return SKIP;
    state.set(PORTS_KEY, ports);
    return SUCCESS;
  },
  filter(state, _pod, node) {
    const want = state.get(PORTS_KEY) as HostPort[] | undefined;
    if (want === undefined) return SUCCESS;
    for (const w of want) for (const used of node.usedPorts) if (portsConflict(w, used)) return unschedulable(ERR_REASON_NODE_PORTS);
    return SUCCESS;
  },
};

// ---------------------------------------------------------------------------------------------
// ImageLocality

const MB = 1024 * 1024;
/** Below this sum of image sizes a node scores 0 (upstream `minThreshold`, 23 MB). */
export const IMAGE_MIN_THRESHOLD = 23 * MB;
/** Per container, the sum that scores 100 (upstream `maxContainerThreshold`, 1000 MB). */
export const IMAGE_MAX_CONTAINER_THRESHOLD = 1000 * MB;

/**
 * Favors nodes that already have the pod's images (upstream ImageLocality): for each container
 * image present on the node, its size × (nodes having it / all nodes), summed, clamped to
 * [23 MB, 1000 MB × containers] and scaled to 0..100.
 *
 * @example One container, a 500 MB image present on all 4 nodes: sum = 500 MB;
 * score = 100 × (500 − 23) / (1000 − 23) = 48 (integer division).
 */
export const imageLocality: PreScorePlugin & ScorePlugin = {
  name: 'ImageLocality',
  preScore(state, pod, _nodes, snapshot) {
    const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    const spread = new Map<string, number>();
    for (const c of containers) {
      if (c.image === undefined) continue;
      const name = normalizedImageName(c.image);
      if (spread.has(name)) continue;
      spread.set(name, snapshot.imageNodeCount(name) / Math.max(1, snapshot.nodes.length));
    }
    state.set(IMAGE_KEY, { containers: containers.map((c) => (c.image === undefined ? undefined : normalizedImageName(c.image))), spread } satisfies ImageState);
    return SUCCESS;
  },
  score(state, pod, node: NodeInfoView, snapshot) {
    return imageLocalityScore(imageState(state, pod, snapshot), node);
  },
  scoreNodes(state, pod, nodes, snapshot, scores) {
    const s = imageState(state, pod, snapshot);
    let none: number | undefined;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      scores[i] = node.images.size > 0 ? imageLocalityScore(s, node) : (none ??= imageLocalityScore(s, node));
    }
  },
};

/** The cycle's {@link ImageState}, computed by PreScore (or now, if PreScore did not run). */
function imageState(state: CycleState, pod: Pod, snapshot: Snapshot): ImageState {
  let s = state.get(IMAGE_KEY) as ImageState | undefined;
  if (s === undefined) {
    imageLocality.preScore(state, pod, snapshot.nodes, snapshot);
    s = state.get(IMAGE_KEY) as ImageState;
  }
  return s;
}

/** ImageLocality's score of one node: the spread-weighted sizes of the pod's images it has, clamped and scaled. */
function imageLocalityScore(s: ImageState, node: NodeInfoView): number {
  let sum = 0;
  if (node.images.size > 0) {
    for (const name of s.containers) {
      if (name === undefined) continue;
      const size = node.images.get(name);
      if (size !== undefined) sum += Math.trunc(size * s.spread.get(name)!);
    }
  }
  const max = IMAGE_MAX_CONTAINER_THRESHOLD * s.containers.length;
  if (sum < IMAGE_MIN_THRESHOLD) sum = IMAGE_MIN_THRESHOLD;
  else if (sum > max) sum = max;
  return Math.trunc((MAX_NODE_SCORE * (sum - IMAGE_MIN_THRESHOLD)) / (max - IMAGE_MIN_THRESHOLD));
}

const IMAGE_KEY = 'PreScoreImageLocality';
interface ImageState {
  /** Normalized image per container (init containers first). */
  readonly containers: readonly (string | undefined)[];
  /** Image → share of nodes that have it. */
  readonly spread: ReadonlyMap<string, number>;
}
