/**
 * The Cluster Autoscaler's decisions, as pure functions over a {@link ClusterSimulation}:
 * which pods need a new node and which group would host them (upstream `core/scaleup` and the
 * binpacking estimator), which expander picks among the options (`expander/*`), which pods
 * can move off a node (`simulator/drainability/rules`), which nodes are unneeded
 * (`core/scaledown/unneeded`, `simulator/utilization`).
 *
 * @module
 */
import type { KubeObject, Node, Pod, PodDisruptionBudget, Rng } from '@kubeloop/core';
import { budgetsForPod, controllerRef } from '@kubeloop/core';
import { amountOf, podRequests } from '../scheduler/nodeinfo.js';
import type { NodeInfoView } from '../scheduler/nodeinfo.js';
import type { ClusterSimulation } from './simulator.js';

// ─── Names users match on ───────────────────────────────────────────────────

/** The taint a node gets before the autoscaler drains and deletes it. */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';
/** Pod annotation: `"false"` keeps the pod's node, `"true"` lets any pod move. */
export const SAFE_TO_EVICT_ANNOTATION = 'cluster-autoscaler.kubernetes.io/safe-to-evict';
/** Node annotation: `"true"` keeps the node out of scale-down. */
export const SCALE_DOWN_DISABLED_ANNOTATION = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';
/** Upstream's skipped-group reason when a group is at its max size. */
export const MAX_LIMIT_REACHED_REASON = 'max node group size reached';
/** Upstream's NotTriggerScaleUp reason when `--max-nodes-total` is reached (`ScaleUpLimitedByMaxNodesTotal`). */
export const MAX_NODES_TOTAL_REACHED_REASON = 'max total nodes in cluster reached';
/** The kube-system namespace, whose pods need a PDB to be moved. */
const KUBE_SYSTEM = 'kube-system';
/** The mirror-pod annotation (static pods the kubelet mirrors). */
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

// ─── Scale-up ───────────────────────────────────────────────────────────────

/** A node group as scale-up sees it. */
export interface GroupView {
  readonly id: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** Machines asked for, booting ones included. */
  readonly targetSize: number;
  /** The Node a new machine registers. */
  readonly template: Node;
  /**
   * Why the group may not grow now (upstream `IsNodeGroupReadyToScaleUp`: back-off after a
   * failed scale-up, an unhealthy group), or undefined; a skipped group gives no option.
   */
  readonly skipReason?: string | undefined;
}

/** One way to scale up: `nodeCount` new nodes of `group` would host `pods`. */
export interface ScaleUpOption {
  readonly group: GroupView;
  readonly nodeCount: number;
  readonly pods: readonly Pod[];
}

/** Why a pod did not trigger a scale-up of a group (upstream `RejectedNodeGroups`/`SkippedNodeGroups`). */
export interface NoScaleUpInfo {
  readonly pod: Pod;
  /** Per group id: the reasons (a filter's, or {@link MAX_LIMIT_REACHED_REASON}). */
  readonly reasons: ReadonlyMap<string, readonly string[]>;
}

/** What scale-up planning found. */
export interface ScaleUpPlan {
  /** The options, one per group that could host some pods, in group order. */
  readonly options: readonly ScaleUpOption[];
  /** Pods that fit on a node that exists or is booting: they wait for the scheduler. */
  readonly schedulable: readonly Pod[];
  /** Pods no group can host, with the reasons per group. */
  readonly remain: readonly NoScaleUpInfo[];
}

/** A copy of a group's template under another name (a simulated new node). */
export function templateCopy(template: Node, name: string): Node {
  return {
    ...template,
    metadata: { ...template.metadata, name, labels: { ...template.metadata.labels, 'kubernetes.io/hostname': name } },
  };
}

/**
 * Plans a scale-up (upstream `ScaleUp` with the binpacking estimator):
 * 1. the booting machines of each group (`targetSize` − registered) join the simulation as
 *    copies of the template, and each pending pod that fits on a node there is `schedulable`;
 * 2. for each group below `maxSize`, the remaining pods that pass the scheduler's filters on
 *    an empty template node are packed first-fit onto new template nodes, at most
 *    `maxSize − targetSize` of them (pods in their given order; a pod that needs one more node
 *    than allowed stays out of the option);
 * 3. a pod that no option holds is in `remain` with each group's reasons: the filters' failure
 *    on the template, {@link MAX_LIMIT_REACHED_REASON}, or the group's `skipReason` (a group in
 *    back-off or unhealthy is not simulated at all).
 *
 * Worked example: group `pool` (2 cpu, max 3, target 1 registered), pending pods of 1500m,
 * 1500m, 400m: on the template the first takes a node, the second needs a second, the 400m
 * fits beside the first: option `pool` +2 nodes, three pods.
 */
export function planScaleUp(sim: ClusterSimulation, pending: readonly Pod[], groups: readonly GroupView[], registered: ReadonlyMap<string, number>): ScaleUpPlan {
  // 1. Booting machines.
  const existing = sim.nodeNames();
  for (const g of groups) {
    const booting = Math.max(0, g.targetSize - (registered.get(g.id) ?? 0));
    for (let i = 0; i < booting; i++) sim.addNode(templateCopy(g.template, `${g.template.metadata.name ?? g.id}-upcoming-${i}`));
  }
  const all = sim.nodeNames();
  const schedulable: Pod[] = [];
  const rest: Pod[] = [];
  for (const pod of pending) (sim.placeOnFirstFit(pod, all) === undefined ? rest : schedulable).push(pod);
  void existing;
  // 2. Options per group.
  const reasons = new Map<Pod, Map<string, readonly string[]>>(rest.map((p) => [p, new Map()]));
  const options: ScaleUpOption[] = [];
  for (const g of groups) {
    if (g.skipReason !== undefined) {
      for (const p of rest) reasons.get(p)!.set(g.id, [g.skipReason]);
      continue;
    }
    const room = g.maxSize - g.targetSize;
    if (room <= 0) {
      for (const p of rest) reasons.get(p)!.set(g.id, [MAX_LIMIT_REACHED_REASON]);
      continue;
    }
    const probe = `${g.template.metadata.name ?? g.id}-probe`;
    sim.addNode(templateCopy(g.template, probe));
    const fitting: Pod[] = [];
    for (const p of rest) {
      const s = sim.fits(p, probe);
      if (s.code === 'Success') fitting.push(p);
      else reasons.get(p)!.set(g.id, s.reasons.length > 0 ? s.reasons : ['predicate failed']);
    }
    sim.removeNode(probe);
    if (fitting.length === 0) continue;
    const added: string[] = [];
    const placed: Pod[] = [];
    for (const p of fitting) {
      if (sim.placeOnFirstFit(p, added) !== undefined) {
        placed.push(p);
        continue;
      }
      if (added.length >= room) {
        reasons.get(p)!.set(g.id, [MAX_LIMIT_REACHED_REASON]);
        continue;
      }
      const name = `${g.template.metadata.name ?? g.id}-new-${added.length}`;
      sim.addNode(templateCopy(g.template, name));
      added.push(name);
      if (sim.placeOnFirstFit(p, [name]) !== undefined) placed.push(p);
    }
    for (const n of added) sim.removeNode(n);
    if (added.length > 0) options.push({ group: g, nodeCount: added.length, pods: placed });
  }
  const chosen = new Set(options.flatMap((o) => o.pods));
  const remain = rest.filter((p) => !chosen.has(p)).map((pod) => ({ pod, reasons: reasons.get(pod)! }));
  return { options, schedulable, remain };
}

/**
 * Upstream's NotTriggerScaleUp message body (`ReasonsMessage`): each reason with how many
 * groups gave it, e.g. `1 Insufficient cpu, 1 max node group size reached`, in first-seen order.
 */
export function reasonsMessage(info: NoScaleUpInfo): string {
  const counts = new Map<string, number>();
  for (const rs of info.reasons.values()) for (const r of rs) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).join(', ');
}

/** Upstream's ScaleUpInfo as `%v` prints it in TriggeredScaleUp: `{pool 1->3 (max: 5)}`. */
export function scaleUpInfo(group: GroupView, newSize: number): string {
  return `{${group.id} ${group.targetSize}->${newSize} (max: ${group.maxSize})}`;
}

// ─── Expanders ──────────────────────────────────────────────────────────────

/** The expanders (upstream `--expander`): how one option is picked among several. */
export type ExpanderName = 'least-waste' | 'random' | 'most-pods' | 'priority';

/** The ConfigMap (in kube-system) the priority expander reads. */
export const PRIORITY_EXPANDER_CONFIGMAP = 'cluster-autoscaler-priority-expander';

/**
 * Parses the priority expander's `priorities` (YAML: priority → list of regular expressions on
 * group ids), e.g. `"10:\n  - .*small.*\n50:\n  - .*large.*"`.
 *
 * Errors: throws a `SyntaxError` for a line that is neither `N:` nor `- regex` or a bad regex.
 */
export function parsePriorities(text: string): { priority: number; patterns: RegExp[] }[] {
  const out: { priority: number; patterns: RegExp[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trimEnd();
    if (line.trim() === '') continue;
    const head = /^\s*(-?\d+)\s*:\s*(\[\s*\])?$/.exec(line);
    if (head !== null) {
      out.push({ priority: Number(head[1]), patterns: [] });
      continue;
    }
    const item = /^\s*-\s*(.+)$/.exec(line);
    if (item === null || out.length === 0) throw new SyntaxError(`priorities: unexpected line "${line.trim()}"`);
    const pattern = item[1]!.trim().replace(/^(['"])(.*)\1$/, '$2');
    out[out.length - 1]!.patterns.push(new RegExp(pattern));
  }
  return out;
}

/** The options an expander keeps as equally best (a later expander, then random, breaks ties). */
export function bestOptions(expander: ExpanderName, options: readonly ScaleUpOption[], priorities?: readonly { priority: number; patterns: RegExp[] }[]): readonly ScaleUpOption[] {
  if (options.length <= 1) return options;
  switch (expander) {
    case 'random':
      return options;
    case 'most-pods': {
      const most = Math.max(...options.map((o) => o.pods.length));
      return options.filter((o) => o.pods.length === most);
    }
    case 'least-waste': {
      const scores = options.map(wastedScore);
      const least = Math.min(...scores);
      return options.filter((_, i) => scores[i] === least);
    }
    case 'priority': {
      const prio = (o: ScaleUpOption): number | undefined => {
        let best: number | undefined;
        for (const p of priorities ?? []) if (p.patterns.some((r) => r.test(o.group.id)) && (best === undefined || p.priority > best)) best = p.priority;
        return best;
      };
      const ps = options.map(prio);
      const known = ps.filter((p): p is number => p !== undefined);
      if (known.length === 0) return options;
      const top = Math.max(...known);
      return options.filter((_, i) => ps[i] === top);
    }
  }
}

/**
 * The least-waste score (upstream `expander/waste`): the fraction of the new nodes' CPU left
 * unrequested plus that of memory. Two 2-cpu/8Gi nodes for pods of 3 cpu and 4Gi:
 * (4 − 3) / 4 + (16 − 4) / 16 = 0.25 + 0.75 = 1.
 */
export function wastedScore(option: ScaleUpOption): number {
  const alloc = option.group.template.status.allocatable ?? option.group.template.status.capacity ?? {};
  const cpu = amountOf('cpu', alloc['cpu'] ?? '0') * option.nodeCount;
  const mem = amountOf('memory', alloc['memory'] ?? '0') * option.nodeCount;
  let reqCpu = 0;
  let reqMem = 0;
  for (const p of option.pods) {
    const r = podRequests(p);
    reqCpu += r.get('cpu') ?? 0;
    reqMem += r.get('memory') ?? 0;
  }
  const waste = (avail: number, used: number): number => (avail > 0 ? (avail - used) / avail : 0);
  return waste(cpu, reqCpu) + waste(mem, reqMem);
}

/**
 * Picks one option: each expander of the chain keeps its best options, then a uniform draw
 * with `rng` breaks the remaining tie (upstream's fallback to `random`).
 */
export function chooseOption(chain: readonly ExpanderName[], options: readonly ScaleUpOption[], rng: Rng, priorities?: readonly { priority: number; patterns: RegExp[] }[]): ScaleUpOption | undefined {
  let left = options;
  for (const e of chain) left = bestOptions(e, left, priorities);
  if (left.length === 0) return undefined;
  return left.length === 1 ? left[0] : left[rng.int(left.length)];
}

// ─── Scale-down ─────────────────────────────────────────────────────────────

/** Why a pod keeps its node (upstream `drain.BlockingPodReason`). */
export type BlockingReason = 'NotSafeToEvictAnnotation' | 'NotReplicated' | 'UnmovableKubeSystemPod' | 'LocalStorageRequested' | 'NotEnoughPdb';

/** What draining a node would do with one pod. */
export type Drainability =
  /** Goes with the node: DaemonSet and mirror pods, finished or long-terminating pods. */
  | { readonly kind: 'skip' }
  /** Must be evicted and rescheduled elsewhere. */
  | { readonly kind: 'move' }
  /** Keeps the node. */
  | { readonly kind: 'block'; readonly reason: BlockingReason; readonly message: string };

/**
 * Upstream's drainability rules, in their order: mirror pods, terminal and terminating pods
 * skip; `safe-to-evict: "true"` moves; DaemonSet pods skip; then `safe-to-evict: "false"`,
 * no controller (`NotReplicated`), kube-system without a PodDisruptionBudget, `emptyDir` /
 * `hostPath` volumes (`LocalStorageRequested`), and a budget that allows no disruption
 * (`NotEnoughPdb`) block.
 */
export function podDrainability(pod: Pod, pdbs: readonly PodDisruptionBudget[]): Drainability {
  const name = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
  if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) return { kind: 'skip' };
  if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed' || pod.metadata.deletionTimestamp !== undefined) return { kind: 'skip' };
  const safe = pod.metadata.annotations?.[SAFE_TO_EVICT_ANNOTATION];
  if (safe === 'true') return { kind: 'move' };
  const ref = controllerRef(pod as KubeObject);
  if (ref?.kind === 'DaemonSet') return { kind: 'skip' };
  if (safe === 'false') return { kind: 'block', reason: 'NotSafeToEvictAnnotation', message: `pod annotated as not safe to evict present: ${pod.metadata.name ?? ''}` };
  if (ref === undefined) return { kind: 'block', reason: 'NotReplicated', message: `${name} is not replicated` };
  const budgets = budgetsForPod(pdbs, pod.metadata.namespace ?? '', pod.metadata.labels);
  if (pod.metadata.namespace === KUBE_SYSTEM && budgets.length === 0) {
    return { kind: 'block', reason: 'UnmovableKubeSystemPod', message: `non-daemonset, non-mirrored, non-pdb-assigned kube-system pod present: ${pod.metadata.name ?? ''}` };
  }
  if ((pod.spec.volumes ?? []).some((v) => v.emptyDir !== undefined || v.hostPath !== undefined)) {
    return { kind: 'block', reason: 'LocalStorageRequested', message: `pod with local storage present: ${pod.metadata.name ?? ''}` };
  }
  if (budgets.some((b) => (b.status?.disruptionsAllowed ?? 0) < 1)) return { kind: 'block', reason: 'NotEnoughPdb', message: `not enough pod disruption budget to move ${name}` };
  return { kind: 'move' };
}

/**
 * A node's utilization (upstream `utilization.Calculate`): the larger of requested CPU over
 * allocatable CPU and requested memory over allocatable memory, every pod on it counted.
 * A 4-cpu/16Gi node with pods requesting 1 cpu and 10Gi: max(0.25, 0.625) = 0.625.
 */
export function nodeUtilization(node: NodeInfoView): number {
  const cpu = node.allocatableCPU > 0 ? node.requestedCPU / node.allocatableCPU : 0;
  const mem = node.allocatableMemory > 0 ? node.requestedMemory / node.allocatableMemory : 0;
  return Math.max(cpu, mem);
}

/** One node scale-down could remove. */
export interface RemovableNode {
  readonly name: string;
  readonly group: string;
  /** Pods to evict (their new node found in the simulation). */
  readonly podsToMove: readonly Pod[];
}

/** Why a node is not unneeded (upstream `simulator.UnremovableReason`, simplified). */
export interface UnremovableNode {
  readonly name: string;
  readonly reason: 'ScaleDownDisabledAnnotation' | 'NotUnderutilized' | 'NoPlaceToMovePods' | 'BlockedByPod' | 'NodeGroupMinSizeReached' | 'NotAutoscaled' | 'BeingDeleted';
  readonly message: string;
}

/** Inputs of {@link findUnneededNodes}. */
export interface UnneededInput {
  readonly sim: ClusterSimulation;
  /** Candidate Nodes with their group (nodes of no group are never candidates). */
  readonly candidates: readonly { readonly node: Node; readonly group: GroupView }[];
  /** Pods, to find those bound to each candidate. */
  readonly pods: readonly Pod[];
  readonly pdbs: readonly PodDisruptionBudget[];
  /** Nodes below this utilization are candidates (upstream default 0.5). */
  readonly utilizationThreshold: number;
}

/**
 * The nodes that could go now (upstream `unneeded.Update` over `RemovalSimulator`): in the
 * order given, a candidate not annotated scale-down-disabled, not already being deleted, under
 * the threshold, whose pods have no blocker and all fit elsewhere — on nodes that are not
 * themselves removed, with the pods already moved off earlier candidates taking their room.
 * Each group keeps at least `minSize` machines.
 */
export function findUnneededNodes(input: UnneededInput): { readonly removable: readonly RemovableNode[]; readonly unremovable: readonly UnremovableNode[] } {
  const { sim } = input;
  const removable: RemovableNode[] = [];
  const unremovable: UnremovableNode[] = [];
  const removed = new Set<string>();
  const left = new Map<string, number>();
  for (const { group } of input.candidates) left.set(group.id, group.targetSize);
  for (const { node, group } of input.candidates) {
    const name = node.metadata.name ?? '';
    if (node.metadata.annotations?.[SCALE_DOWN_DISABLED_ANNOTATION] === 'true') {
      unremovable.push({ name, reason: 'ScaleDownDisabledAnnotation', message: 'node has scale-down-disabled annotation' });
      continue;
    }
    if ((node.spec.taints ?? []).some((t) => t.key === TO_BE_DELETED_TAINT)) {
      unremovable.push({ name, reason: 'BeingDeleted', message: 'node is being deleted' });
      continue;
    }
    const info = sim.node(name);
    if (info === undefined) continue;
    const util = nodeUtilization(info);
    if (util >= input.utilizationThreshold) {
      unremovable.push({ name, reason: 'NotUnderutilized', message: `utilization ${util.toFixed(3)} is not below the threshold ${input.utilizationThreshold}` });
      continue;
    }
    if ((left.get(group.id) ?? 0) <= group.minSize) {
      unremovable.push({ name, reason: 'NodeGroupMinSizeReached', message: `node group ${group.id} is at its min size ${group.minSize}` });
      continue;
    }
    const onNode = input.pods.filter((p) => p.spec.nodeName === name);
    const toMove: Pod[] = [];
    let blocked: Drainability | undefined;
    for (const p of onNode) {
      const d = podDrainability(p, input.pdbs);
      if (d.kind === 'block') {
        blocked = d;
        break;
      }
      if (d.kind === 'move') toMove.push(p);
    }
    if (blocked?.kind === 'block') {
      unremovable.push({ name, reason: 'BlockedByPod', message: blocked.message });
      continue;
    }
    const others = sim.nodeNames().filter((n) => n !== name && !removed.has(n) && !removable.some((r) => r.name === n));
    const placed: [Pod, string][] = [];
    let ok = true;
    for (const p of toMove) {
      sim.unplace(p, name);
      const to = sim.placeOnFirstFit(p, others);
      if (to === undefined) {
        ok = false;
        sim.place(p, name);
        break;
      }
      placed.push([p, to]);
    }
    if (!ok) {
      // Undo: the pods placed elsewhere go back to this node.
      for (const [p, to] of placed) {
        sim.unplace(p, to);
        sim.place(p, name);
      }
      unremovable.push({ name, reason: 'NoPlaceToMovePods', message: 'no place to move pods' });
      continue;
    }
    removed.add(name);
    left.set(group.id, (left.get(group.id) ?? 0) - 1);
    removable.push({ name, group: group.id, podsToMove: toMove });
  }
  return { removable, unremovable };
}
