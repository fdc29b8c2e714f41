/**
 * The DaemonSet controller's decisions, pure: which nodes should run a daemon pod (upstream
 * `NodeShouldRunDaemonPod`), what to create and delete on one node (`podsShouldBeOnNode`), the
 * pod a node gets (`CreatePodTemplate` + `ReplaceDaemonSetPodNodeNameNodeAffinity`), and the
 * rolling update arithmetic (`rollingUpdate` in upstream's `update.go`).
 *
 * @module
 */
import { parseTime } from '@kubeloop/core';
import type { Affinity, DaemonSet, Node, Pod, PodTemplateSpec, Toleration } from '@kubeloop/core';
import { TAINT_NODE_UNSCHEDULABLE, findUntoleratedTaint, matchesNodeSelectorAndAffinity } from '../scheduler/plugins/node.js';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from '../nodelifecycle/decide.js';
import { isPodAvailable, isPodReady } from '../shared/pods.js';
import { scaledValue } from '../shared/intorpercent.js';

// ---------------------------------------------------------------------------------------------
// Names upstream uses

// The label and annotation names are API names, in core (the invariants read them too).
import { CONTROLLER_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL, TEMPLATE_GENERATION_ANNOTATION } from '@kubeloop/core';
export { CONTROLLER_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL, TEMPLATE_GENERATION_ANNOTATION };
/** The most pods one sync creates or deletes (upstream `BurstReplicas`). */
export const DAEMONSET_BURST_REPLICAS = 250;
/** The field daemon pods are pinned to their node by (`metav1.ObjectNameField`). */
export const OBJECT_NAME_FIELD = 'metadata.name';

/** `node.kubernetes.io/disk-pressure`. */
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
/** `node.kubernetes.io/memory-pressure`. */
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
/** `node.kubernetes.io/pid-pressure`. */
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
/** `node.kubernetes.io/network-unavailable`. */
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

// ---------------------------------------------------------------------------------------------
// Tolerations and the pod of a node

/** Upstream `Toleration.MatchToleration`: same key, operator, value and effect. */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/**
 * Upstream `AddOrUpdateTolerationInPodSpec`: replaces a toleration matching `toleration` (same
 * key, operator, value, effect) by it, or appends it.
 */
function addOrUpdateToleration(tolerations: Toleration[], toleration: Toleration): Toleration[] {
  let updated = false;
  const out = tolerations.map((t) => {
    if (!sameToleration(t, toleration)) return t;
    updated = true;
    return toleration;
  });
  if (!updated) out.push(toleration);
  return out;
}

/**
 * The tolerations every daemon pod gets (upstream `AddOrUpdateDaemonPodTolerations`), so node
 * problems neither evict nor block it: `not-ready` and `unreachable` `NoExecute` with no
 * `tolerationSeconds` (forever), and `disk-pressure`, `memory-pressure`, `pid-pressure`,
 * `unschedulable` `NoSchedule` — plus `network-unavailable` `NoSchedule` for `hostNetwork` pods.
 * All with operator `Exists`; existing tolerations are kept, a matching one is replaced.
 *
 * @example
 * ```ts
 * daemonTolerations([], false).map((t) => `${t.key}:${t.effect}`);
 * // ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute',
 * //  'node.kubernetes.io/disk-pressure:NoSchedule', ..memory-pressure, ..pid-pressure, ..unschedulable]
 * ```
 */
export function daemonTolerations(tolerations: readonly Toleration[] | undefined, hostNetwork: boolean | undefined): Toleration[] {
  let out = [...(tolerations ?? [])];
  const add = (key: string, effect: string): void => {
    out = addOrUpdateToleration(out, { key, operator: 'Exists', effect });
  };
  add(TAINT_NODE_NOT_READY, 'NoExecute');
  add(TAINT_NODE_UNREACHABLE, 'NoExecute');
  add(TAINT_NODE_DISK_PRESSURE, 'NoSchedule');
  add(TAINT_NODE_MEMORY_PRESSURE, 'NoSchedule');
  add(TAINT_NODE_PID_PRESSURE, 'NoSchedule');
  add(TAINT_NODE_UNSCHEDULABLE, 'NoSchedule');
  if (hostNetwork === true) add(TAINT_NODE_NETWORK_UNAVAILABLE, 'NoSchedule');
  return out;
}

/**
 * The template generation of a DaemonSet (upstream `GetTemplateGeneration`): the
 * `deprecated.daemonset.template.generation` annotation, or undefined when it is absent or not
 * an integer (then pods are told apart by their hash alone, as upstream).
 */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const text = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

/**
 * The template daemon pods are made from (upstream `CreatePodTemplate`): the DaemonSet's
 * template with the daemon tolerations, the `pod-template-generation` label (when known) and
 * the `controller-revision-hash` label (when `hash` is not empty).
 */
export function daemonPodTemplate(template: PodTemplateSpec, generation: number | undefined, hash: string): PodTemplateSpec {
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
  if (generation !== undefined) labels[POD_TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash !== '') labels[CONTROLLER_REVISION_HASH_LABEL] = hash;
  return {
    ...template,
    metadata: { ...(template.metadata ?? {}), labels },
    spec: { ...template.spec, tolerations: daemonTolerations(template.spec.tolerations, template.spec.hostNetwork) },
  } as PodTemplateSpec;
}

/**
 * `affinity` with its required node affinity replaced by one term `metadata.name In [nodeName]`
 * (upstream `ReplaceDaemonSetPodNodeNameNodeAffinity`, the way daemon pods reach their node
 * through the default scheduler since 1.12). Preferred node affinity and pod (anti-)affinity
 * are kept; the controller already checked the replaced terms against the node.
 */
export function nodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: OBJECT_NAME_FIELD, operator: 'In' as const, values: [nodeName] }] }] };
  return { ...(affinity ?? {}), nodeAffinity: { ...(affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/**
 * The pod template of the daemon pod for one node: {@link daemonPodTemplate} with the node's
 * {@link nodeNameAffinity}.
 */
export function daemonPodTemplateFor(ds: DaemonSet, nodeName: string, hash: string): PodTemplateSpec {
  const template = daemonPodTemplate(ds.spec.template, templateGeneration(ds), hash);
  return { ...template, spec: { ...template.spec, affinity: nodeNameAffinity(template.spec.affinity, nodeName) } } as PodTemplateSpec;
}

/**
 * The node a daemon pod is for (upstream `GetTargetNodeName`): its `spec.nodeName` when bound,
 * else the value of its required node affinity's `metadata.name In [node]` field requirement;
 * undefined when it has neither (upstream logs an error and skips such a pod).
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec.nodeName !== undefined && pod.spec.nodeName !== '') return pod.spec.nodeName;
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const r of term.matchFields ?? []) {
      if (r.key === OBJECT_NAME_FIELD && r.operator === 'In') return r.values?.length === 1 ? r.values[0] : undefined;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Which nodes run a daemon pod

/**
 * Whether a node should run a daemon pod of a DaemonSet (upstream `NodeShouldRunDaemonPod`):
 * - `shouldRun`: a new daemon pod should be placed there;
 * - `shouldContinueRunning`: a daemon pod already there may stay.
 */
export interface NodePlacement {
  /** The node fits: name, node selector and affinity, and every NoSchedule/NoExecute taint tolerated. */
  readonly shouldRun: boolean;
  /** The node fits by name and affinity, and every NoExecute taint is tolerated. */
  readonly shouldContinueRunning: boolean;
}

/**
 * Decides {@link NodePlacement} for `node` and `ds`, with the pod as it would be created (the
 * daemon tolerations added):
 *
 * | template `nodeName` / node selector + required affinity | untolerated taints | shouldRun | shouldContinueRunning |
 * | --- | --- | --- | --- |
 * | does not match | any | false | false |
 * | matches | none | true | true |
 * | matches | only `NoSchedule` | false | true |
 * | matches | a `NoExecute` | false | false |
 *
 * @example A node tainted `node.kubernetes.io/unschedulable:NoSchedule` (cordoned) still runs
 * daemon pods: the daemon tolerations cover it. One tainted `dedicated=db:NoSchedule` keeps an
 * existing daemon pod but gets no new one.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodePlacement {
  const name = node.metadata.name ?? '';
  const spec = ds.spec.template.spec;
  if (spec.nodeName !== undefined && spec.nodeName !== '' && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  const pod = { metadata: {}, spec: { ...spec, nodeName: undefined } } as unknown as Pod;
  // Stryker disable next-line ObjectLiteral: `{}` leaves both undefined, which every caller reads as false (the node event handler at most enqueues one more sync)
  if (!matchesNodeSelectorAndAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonTolerations(spec.tolerations, spec.hostNetwork);
  if (findUntoleratedTaint(node.spec.taints, tolerations, ['NoSchedule', 'NoExecute']) === undefined) return { shouldRun: true, shouldContinueRunning: true };
  return { shouldRun: false, shouldContinueRunning: findUntoleratedTaint(node.spec.taints, tolerations, ['NoExecute']) === undefined };
}

// ---------------------------------------------------------------------------------------------
// What to do on one node

/**
 * Orders daemon pods oldest first (upstream `podByCreationTimestampAndPhase`): bound before
 * unbound, then by creation time, then by name.
 */
export function compareByCreationAndPhase(a: Pod, b: Pod): number {
  const sa = (a.spec.nodeName ?? '') !== '';
  const sb = (b.spec.nodeName ?? '') !== '';
  if (sa !== sb) return sa ? -1 : 1;
  const ta = a.metadata.creationTimestamp === undefined ? 0 : parseTime(a.metadata.creationTimestamp);
  const tb = b.metadata.creationTimestamp === undefined ? 0 : parseTime(b.metadata.creationTimestamp);
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Whether a pod is of the current revision (upstream `IsPodUpdated`): same hash label, or same template generation label. */
export function isDaemonPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const templateMatches = generation !== undefined && labels[POD_TEMPLATE_GENERATION_LABEL] === String(generation);
  // Stryker disable next-line ConditionalExpression,StringLiteral: `hash` is never '' (the controller labels every revision it creates or adopts with its hash before it decides), so the guard is always true; three killed variants of the line (`false`, and `true` for either comparison) are excluded with them
  const hashMatches = hash !== '' && labels[CONTROLLER_REVISION_HASH_LABEL] === hash;
  return hashMatches || templateMatches;
}

/** What the controller does on one node ({@link podsShouldBeOnNode}). */
export interface NodeAction {
  /** Create a daemon pod for this node. */
  readonly create: boolean;
  /** Pods to delete now (duplicates, succeeded pods, pods on a node they must leave). */
  readonly delete: readonly Pod[];
  /** Failed pods to delete, subject to the per-node failed-pod backoff (upstream `failedPodsBackoff`). */
  readonly failed: readonly Pod[];
}

/** What {@link podsShouldBeOnNode} needs to know besides the node's pods. */
export interface NodeContext {
  /** The node's placement ({@link nodeShouldRunDaemonPod}). */
  readonly placement: NodePlacement;
  /** Whether the DaemonSet surges (`maxSurge` > 0 with RollingUpdate). */
  readonly allowsSurge: boolean;
  /** The current revision's hash. */
  readonly hash: string;
  /** The DaemonSet's template generation, if known. */
  readonly generation?: number | undefined;
  /** `spec.minReadySeconds`. */
  readonly minReadySeconds: number;
  /** Now, in ms. */
  readonly nowMs: number;
}

/**
 * What to do with the daemon pods of one node (upstream `podsShouldBeOnNode`). `pods` are the
 * DaemonSet's pods targeting the node, being deleted ones included (they still count as
 * "exists": no new pod until they are gone, without surge).
 *
 * | placement | pods on the node | action |
 * | --- | --- | --- |
 * | shouldRun | none | create one |
 * | shouldContinueRunning | failed | delete it (with backoff) |
 * | shouldContinueRunning | succeeded | delete it |
 * | shouldContinueRunning, no surge | 2+ running | keep the oldest, delete the rest |
 * | shouldContinueRunning, surge | 0 running, shouldRun | create one |
 * | shouldContinueRunning, surge | 2+ running | keep the oldest new and oldest old; delete the old one when it is not ready or the new one is available; delete any other |
 * | neither | any not being deleted | delete them |
 */
export function podsShouldBeOnNode(pods: readonly Pod[], ctx: NodeContext): NodeAction {
  const { placement } = ctx;
  if (placement.shouldRun && pods.length === 0) return { create: true, delete: [], failed: [] };
  if (placement.shouldContinueRunning) {
    const toDelete: Pod[] = [];
    const failed: Pod[] = [];
    const running: Pod[] = [];
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp !== undefined) continue;
      // Stryker disable next-line OptionalChaining: every stored pod has a status (the API server defaults it to {})
      if (pod.status?.phase === 'Failed') failed.push(pod);
      // Stryker disable next-line OptionalChaining: as above
      else if (pod.status?.phase === 'Succeeded') toDelete.push(pod);
      else running.push(pod);
    }
    running.sort(compareByCreationAndPhase);
    if (!ctx.allowsSurge) {
      toDelete.push(...running.slice(1));
      return { create: false, delete: toDelete, failed };
    }
    if (running.length <= 1) return { create: running.length === 0 && placement.shouldRun, delete: toDelete, failed };
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const pod of running) {
      if ((pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '') === ctx.hash) {
        if (oldestNew === undefined) {
          oldestNew = pod;
          continue;
        }
      } else if (oldestOld === undefined) {
        oldestOld = pod;
        continue;
      }
      toDelete.push(pod);
    }
    if (oldestNew !== undefined && oldestOld !== undefined) {
      if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ctx.minReadySeconds, ctx.nowMs)) toDelete.push(oldestOld);
    }
    return { create: false, delete: toDelete, failed };
  }
  return { create: false, delete: pods.filter((p) => p.metadata.deletionTimestamp === undefined), failed: [] };
}

/**
 * Unbound daemon pods for nodes that do not exist (upstream `getUnscheduledPodsWithoutNode`):
 * they will never be scheduled, and the pod GC only collects bound pods, so the controller
 * deletes them. Bound pods of a deleted node are left to the pod GC, as upstream.
 */
export function unscheduledPodsWithoutNode(nodeNames: ReadonlySet<string>, podsByNode: ReadonlyMap<string, readonly Pod[]>): Pod[] {
  const out: Pod[] = [];
  for (const [node, pods] of podsByNode) {
    if (nodeNames.has(node)) continue;
    for (const pod of pods) if ((pod.spec.nodeName ?? '') === '') out.push(pod);
  }
  return out;
}

/** Groups daemon pods by {@link targetNodeName}; pods with no target are left out. */
export function podsByTargetNode(pods: readonly Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const pod of pods) {
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    const list = out.get(node);
    if (list) list.push(pod);
    else out.set(node, [pod]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rolling updates

/**
 * `maxSurge` resolved against `desiredNumberScheduled` (upstream `SurgeCount`): 0 unless the
 * strategy is RollingUpdate with a `maxSurge`; percentages round up.
 */
export function surgeCount(ds: DaemonSet, desiredNumberScheduled: number): number {
  const us = ds.spec.updateStrategy;
  if (us.type !== 'RollingUpdate' || us.rollingUpdate === undefined) return 0;
  return scaledValue(us.rollingUpdate.maxSurge, desiredNumberScheduled, true);
}

/**
 * `maxUnavailable` resolved against `desiredNumberScheduled` (upstream `UnavailableCount`): 0
 * unless the strategy is RollingUpdate; percentages round up.
 */
export function unavailableCount(ds: DaemonSet, desiredNumberScheduled: number): number {
  const us = ds.spec.updateStrategy;
  if (us.type !== 'RollingUpdate' || us.rollingUpdate === undefined) return 0;
  return scaledValue(us.rollingUpdate.maxUnavailable, desiredNumberScheduled, true);
}

/** Whether the DaemonSet surges during updates (upstream `AllowsSurge`: `maxSurge` of 1 node > 0). */
export function allowsSurge(ds: DaemonSet): boolean {
  return surgeCount(ds, 1) > 0;
}

/**
 * The rolling update budget (upstream `updatedDesiredNodeCounts`): `maxSurge` and
 * `maxUnavailable` of `desiredNumberScheduled`, both rounded up; when both come out 0 with
 * nodes to run on, `maxUnavailable` is 1 so the update can progress.
 *
 * Worked examples (desired 10): `25%`/`0` → maxUnavailable 3, maxSurge 0; `0`/`10%` → 0, 1;
 * `1%`/`0` → 1, 0; desired 0 with `50%`/`0` → 0, 0.
 */
export function rollingUpdateBudget(ds: DaemonSet, desiredNumberScheduled: number): { readonly maxSurge: number; readonly maxUnavailable: number } {
  const maxSurge = surgeCount(ds, desiredNumberScheduled);
  let maxUnavailable = unavailableCount(ds, desiredNumberScheduled);
  if (desiredNumberScheduled > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/**
 * The new and the old pod on a node (upstream `findUpdatedPodsOnNode`), pods being deleted
 * ignored; `ok` false when there are two of either kind (the manage loop cleans that up first).
 */
export function findUpdatedPodsOnNode(pods: readonly Pod[], hash: string, generation: number | undefined): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    if (isDaemonPodUpdated(pod, hash, generation)) {
      if (newPod !== undefined) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod !== undefined) return { ok: false };
      oldPod = pod;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}), ok: true };
}

/** One node as the rolling update sees it: its name, its daemon pods, and whether it should run one. */
export interface RollingNode {
  /** The node's name. */
  readonly name: string;
  /** The DaemonSet's pods targeting it (being deleted ones are ignored). */
  readonly pods: readonly Pod[];
  /** {@link NodePlacement.shouldRun} for it (false for a node that no longer exists). */
  readonly shouldRun: boolean;
}

/** What one rolling update step does: old pods to delete and nodes to surge a new pod onto. */
export interface RollingUpdateStep {
  /** Old (or, with surge, superseded) pods to delete. */
  readonly deletePods: readonly Pod[];
  /** Nodes that get a new pod now (surge only). */
  readonly createOnNodes: readonly string[];
}

/** The inputs of {@link rollingUpdateStep}. */
export interface RollingUpdateInput {
  /** Every node with daemon pods or that should run one. */
  readonly nodes: readonly RollingNode[];
  /** The current revision's hash. */
  readonly hash: string;
  /** The template generation, if known. */
  readonly generation?: number | undefined;
  /** The resolved `maxSurge` ({@link rollingUpdateBudget}). */
  readonly maxSurge: number;
  /** The resolved `maxUnavailable`. */
  readonly maxUnavailable: number;
  /** `status.desiredNumberScheduled` as computed now. */
  readonly desiredNumberScheduled: number;
  /** `spec.minReadySeconds`. */
  readonly minReadySeconds: number;
  /** Now, in ms. */
  readonly nowMs: number;
}

/**
 * One step of a RollingUpdate (upstream `rollingUpdate`).
 *
 * Without surge (`maxSurge` 0) it deletes old pods, keeping the unavailable nodes at most
 * `maxUnavailable`; the manage loop then creates new pods on those nodes. A node counts as
 * unavailable when it has no pod, two pods, an unavailable new pod, or an unavailable old pod
 * (those old pods are replaced at once, whatever the budget).
 *
 * Worked example: 5 nodes with available old pods, `maxUnavailable` 2 → delete 2 old pods.
 * Next step, those 2 nodes have new pods not yet available (2 unavailable) → delete none. Once
 * they are available → delete 2 more; then the last one.
 *
 * With surge it creates a new pod next to an old available one on at most `maxSurge` nodes at
 * a time (nodes whose new pod is not yet available count against it), at once next to an old
 * unavailable one, and deletes an old pod once the new pod beside it is available.
 *
 * Worked example: 4 nodes, `maxSurge` 1, `maxUnavailable` 0 → surge onto 1 node; when its new
 * pod is available, delete the old one there and surge onto the next.
 */
export function rollingUpdateStep(input: RollingUpdateInput): RollingUpdateStep {
  const { hash, generation, minReadySeconds, nowMs } = input;
  const available = (pod: Pod): boolean => isPodAvailable(pod, minReadySeconds, nowMs);
  if (input.maxSurge === 0) {
    let numUnavailable = 0;
    const replacements: Pod[] = [];
    const candidates: Pod[] = [];
    for (const node of input.nodes) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(node.pods, hash, generation);
      if (!ok) {
        numUnavailable++;
        continue;
      }
      if ((oldPod === undefined && newPod === undefined) || (oldPod !== undefined && newPod !== undefined)) {
        numUnavailable++;
      } else if (newPod !== undefined) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod !== undefined) {
        if (!available(oldPod)) {
          replacements.push(oldPod);
          numUnavailable++;
        } else if (numUnavailable < input.maxUnavailable) {
          candidates.push(oldPod);
        }
      }
    }
    const remaining = Math.min(Math.max(input.maxUnavailable - numUnavailable, 0), candidates.length);
    return { deletePods: [...replacements, ...candidates.slice(0, remaining)], createOnNodes: [] };
  }

  const oldPodsToDelete: Pod[] = [];
  const shouldNotRun: Pod[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const node of input.nodes) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(node.pods, hash, generation);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod !== undefined) {
      if (available(oldPod)) numAvailable++;
    } else if (newPod !== undefined && available(newPod)) {
      numAvailable++;
    }
    if (oldPod === undefined) continue;
    if (newPod === undefined) {
      if (!available(oldPod)) {
        if (!node.shouldRun) oldPodsToDelete.push(oldPod);
        else allowedNodes.push(node.name);
      } else if (!node.shouldRun) {
        shouldNotRun.push(oldPod);
      } else if (numSurge < input.maxSurge) {
        candidateNodes.push(node.name);
      }
      continue;
    }
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    oldPodsToDelete.push(oldPod);
  }
  // With surge the owner expects full availability: an old pod on a node that should no longer
  // run one goes only while more pods are available than desired.
  const deletable = Math.min(numAvailable - input.desiredNumberScheduled, shouldNotRun.length);
  for (const pod of shouldNotRun.slice(0, Math.max(0, deletable))) if (available(pod)) oldPodsToDelete.push(pod);
  const remaining = Math.min(Math.max(input.maxSurge - numSurge, 0), candidateNodes.length);
  return { deletePods: oldPodsToDelete, createOnNodes: [...allowedNodes, ...candidateNodes.slice(0, remaining)] };
}

// ---------------------------------------------------------------------------------------------
// Failed pod backoff

/** Upstream's failed-pod backoff: 1 s initial, doubling, at most 15 min (`flowcontrol.NewBackOff`). */
export const FAILED_POD_BACKOFF = { initialMs: 1_000, maxMs: 15 * 60_000 } as const;

/** One backoff entry: the current delay and when it was last stepped. */
export interface BackoffEntry {
  /** The current delay, ms. */
  readonly delayMs: number;
  /** When the entry was last stepped, ms. */
  readonly lastUpdateMs: number;
}

/**
 * Steps a backoff entry (upstream `Backoff.Next`): a new or expired entry (idle for more than
 * twice the maximum) starts at the initial delay, otherwise the delay doubles up to the maximum.
 *
 * Worked example: steps at t=0, 0.5 s, 1 s give delays 1 s, 2 s, 4 s.
 */
export function nextFailedPodBackoff(entry: BackoffEntry | undefined, nowMs: number, limits: { readonly initialMs: number; readonly maxMs: number } = FAILED_POD_BACKOFF): BackoffEntry {
  if (entry === undefined || nowMs - entry.lastUpdateMs > 2 * limits.maxMs) return { delayMs: limits.initialMs, lastUpdateMs: nowMs };
  return { delayMs: Math.min(entry.delayMs * 2, limits.maxMs), lastUpdateMs: nowMs };
}

/** Whether an entry still holds at `nowMs` (upstream `IsInBackOffSinceUpdate`). */
export function inFailedPodBackoff(entry: BackoffEntry | undefined, nowMs: number, limits: { readonly maxMs: number } = FAILED_POD_BACKOFF): boolean {
  if (entry === undefined) return false;
  if (nowMs - entry.lastUpdateMs > 2 * limits.maxMs) return false;
  return nowMs - entry.lastUpdateMs < entry.delayMs;
}
