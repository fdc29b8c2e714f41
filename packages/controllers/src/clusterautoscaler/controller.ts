/**
 * The Cluster Autoscaler's loop (upstream `core.StaticAutoscaler.RunOnce`), every scan
 * interval: finish the drains in progress, plan a scale-up for the pods the scheduler marked
 * unschedulable, otherwise find the unneeded nodes and remove those unneeded long enough, and
 * publish the `cluster-autoscaler-status` ConfigMap.
 *
 * @module
 */
import {
  ConfigMaps,
  Namespaces,
  Nodes,
  PersistentVolumeClaims,
  PersistentVolumes,
  PodDisruptionBudgets,
  Pods,
  StorageClasses,
  formatTime,
  isApiError,
} from '@kubeloop/core';
import type { ConfigMap, Manager, Node, Pod, Runnable, Taint } from '@kubeloop/core';
import type { CloudProvider, NodeGroup } from './cloudprovider.js';
import {
  BACKOFF_REASON,
  DEFAULT_INITIAL_NODE_GROUP_BACKOFF_MS,
  DEFAULT_MAX_NODE_GROUP_BACKOFF_MS,
  DEFAULT_MAX_NODE_PROVISION_MS,
  DEFAULT_NODE_GROUP_BACKOFF_RESET_MS,
  NOT_READY_REASON,
  backoffGroup,
  goDuration,
  groupReadiness,
  isBackedOff,
  isGroupHealthy,
  isNodeReady,
  isStaleBackoff,
  provisioned,
} from './clusterstate.js';
import type { BackoffConfig, BackoffEntry, Readiness } from './clusterstate.js';
import {
  MAX_NODES_TOTAL_REACHED_REASON,
  PRIORITY_EXPANDER_CONFIGMAP,
  TO_BE_DELETED_TAINT,
  chooseOption,
  findUnneededNodes,
  parsePriorities,
  planScaleUp,
  podDrainability,
  reasonsMessage,
  scaleUpInfo,
} from './decide.js';
import type { ExpanderName, GroupView, RemovableNode } from './decide.js';
import { ClusterSimulation } from './simulator.js';
import { STATUS_CONFIGMAP, renderStatus } from './status.js';
import type { AutoscalerStatus } from './status.js';

/** The component events come from, as upstream's. */
export const CLUSTER_AUTOSCALER_COMPONENT = 'cluster-autoscaler';
/** Upstream's `--scan-interval` default: 10 s. */
export const DEFAULT_SCAN_INTERVAL_MS = 10_000;
/** Upstream's `--scale-down-unneeded-time` default: 10 min. */
export const DEFAULT_SCALE_DOWN_UNNEEDED_MS = 600_000;
/** Upstream's `--scale-down-delay-after-add` default: 10 min. */
export const DEFAULT_SCALE_DOWN_DELAY_AFTER_ADD_MS = 600_000;
/** Upstream's `--scale-down-utilization-threshold` default: 0.5. */
export const DEFAULT_UTILIZATION_THRESHOLD = 0.5;
/** Upstream's `--max-graceful-termination-sec` default (10 min): a drain that takes longer is given up. */
export const DEFAULT_MAX_DRAIN_MS = 600_000;
/** Upstream's `--max-empty-bulk-delete` default: empty nodes deleted at once. */
export const DEFAULT_MAX_EMPTY_BULK_DELETE = 10;
/** Upstream's `--scale-down-unready-time` default: 20 min for an unready node to be unneeded before it goes. */
export const DEFAULT_SCALE_DOWN_UNREADY_MS = 20 * 60_000;
const KUBE_SYSTEM = 'kube-system';

/** Options of the Cluster Autoscaler (upstream flags). */
export interface ClusterAutoscalerOptions {
  /** The cloud whose node groups it grows and shrinks. */
  readonly cloudProvider: CloudProvider;
  /** The expander chain (default `['least-waste']`); a final random draw breaks ties. */
  readonly expander?: readonly ExpanderName[] | undefined;
  /** Default {@link DEFAULT_SCAN_INTERVAL_MS}. */
  readonly scanIntervalMs?: number | undefined;
  /** Default {@link DEFAULT_SCALE_DOWN_UNNEEDED_MS}. */
  readonly scaleDownUnneededMs?: number | undefined;
  /** Default {@link DEFAULT_SCALE_DOWN_DELAY_AFTER_ADD_MS}. */
  readonly scaleDownDelayAfterAddMs?: number | undefined;
  /** Default {@link DEFAULT_UTILIZATION_THRESHOLD}. */
  readonly utilizationThreshold?: number | undefined;
  /** Whether scale-down runs at all (default true). */
  readonly scaleDownEnabled?: boolean | undefined;
  /**
   * Upstream's `--max-nodes-total`: the most Nodes in the cluster (0 or absent: no limit). A
   * scale-up never takes registered plus upcoming nodes past it; once reached, pending pods get
   * `NotTriggerScaleUp` (`max total nodes in cluster reached`) and the status says so.
   */
  readonly maxNodesTotal?: number | undefined;
  /** Upstream's `--max-node-provision-time` (default {@link DEFAULT_MAX_NODE_PROVISION_MS}). */
  readonly maxNodeProvisionTimeMs?: number | undefined;
  /** Upstream's `--scale-down-unready-time` (default {@link DEFAULT_SCALE_DOWN_UNREADY_MS}). */
  readonly scaleDownUnreadyTimeMs?: number | undefined;
  /** Upstream's `--scale-down-unready-enabled` (default true): whether unready nodes may be removed. */
  readonly scaleDownUnreadyEnabled?: boolean | undefined;
  /** Upstream's `--initial-node-group-backoff-duration` (default {@link DEFAULT_INITIAL_NODE_GROUP_BACKOFF_MS}). */
  readonly initialNodeGroupBackoffMs?: number | undefined;
  /** Upstream's `--max-node-group-backoff-duration` (default {@link DEFAULT_MAX_NODE_GROUP_BACKOFF_MS}). */
  readonly maxNodeGroupBackoffMs?: number | undefined;
  /** Upstream's `--node-group-backoff-reset-timeout` (default {@link DEFAULT_NODE_GROUP_BACKOFF_RESET_MS}). */
  readonly nodeGroupBackoffResetMs?: number | undefined;
}

/** A scale-up in progress of one group (upstream `clusterstate.ScaleUpRequest`). */
interface ScaleUpRequest {
  readonly timeMs: number;
  readonly expectedAddMs: number;
  readonly increase: number;
}

interface Drain {
  readonly group: string;
  readonly since: number;
  readonly pods: readonly Pod[];
}

function podKey(p: Pod): string {
  return `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
}

function isUnschedulable(p: Pod): boolean {
  if (p.spec.nodeName !== undefined && p.spec.nodeName !== '') return false;
  if (p.metadata.deletionTimestamp !== undefined) return false;
  return (p.status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
}

/**
 * The Cluster Autoscaler as a runnable of a manager (it is a component of its own upstream,
 * not part of kube-controller-manager): one loop every scan interval.
 *
 * Guarantees: never asks a group for more than `maxSize` machines nor deletes below `minSize`;
 * deletes a node only after tainting it `ToBeDeletedByClusterAutoscaler` and after every pod
 * that must move has left it; a drain not done within {@link DEFAULT_MAX_DRAIN_MS} is given up
 * and the taint removed. State (unneeded-since times, drains) lives in memory, as upstream's.
 *
 * Machines that do not register within the provision time end the group's scale-up as failed
 * (`ScaleUpTimedOut` on the status ConfigMap), back the group off exponentially (5 → 30 min,
 * the expander does not see it meanwhile) and are deleted from the cloud (`DeleteUnregistered`).
 * An unready node is removed once unneeded for the unready time (20 min) instead of 10 min,
 * under the same utilization and pods-can-move checks as a ready one (upstream's
 * `eligibility.Checker` judges utilization for both).
 *
 * Caveats: `NotTriggerScaleUp` is recorded once per pod and message (upstream records it each
 * loop, which a simulated cluster would never see quiet). `--max-nodes-total` counts every
 * registered Node plus the machines still booting (upstream compares ready nodes first, then
 * caps with registered plus upcoming), so the limit holds even while nodes are unready.
 */
export class ClusterAutoscaler implements Runnable {
  /** For diagnostics. */
  readonly name = 'cluster-autoscaler';
  /** Runs only while the manager leads. */
  readonly needLeaderElection = true;
  readonly #m: Manager;
  readonly #o: ClusterAutoscalerOptions;
  readonly #unneededSince = new Map<string, number>();
  readonly #drains = new Map<string, Drain>();
  readonly #notified = new Map<string, string>();
  #lastScaleUpMs = Number.NEGATIVE_INFINITY;
  #lastStatus = '';
  #scaleUpInProgress = false;
  readonly #scaleUpRequests = new Map<string, ScaleUpRequest>();
  readonly #unregisteredSince = new Map<string, number>();
  readonly #backoff = new Map<string, BackoffEntry>();
  #readiness = new Map<string, Readiness>();
  #maxNodesTotalReached = false;

  /** The autoscaler on `manager` (its informers are registered at once). */
  constructor(manager: Manager, options: ClusterAutoscalerOptions) {
    this.#m = manager;
    this.#o = options;
    for (const r of [Nodes, Pods, PodDisruptionBudgets, ConfigMaps, PersistentVolumeClaims, PersistentVolumes, StorageClasses, Namespaces] as const) manager.cache(r as typeof Nodes);
  }

  /** Loops until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const interval = this.#o.scanIntervalMs ?? DEFAULT_SCAN_INTERVAL_MS;
    while (!signal.aborted) {
      try {
        await this.#m.clock.sleep(interval, signal);
      } catch {
        return;
      }
      if (!this.#m.cache(Nodes).hasSynced() || !this.#m.cache(Pods).hasSynced()) continue;
      try {
        await this.runOnce();
      } catch {
        // A failed loop (a conflict, an API error) is retried at the next scan, as upstream.
      }
    }
  }

  #groupView(g: NodeGroup, skipReason?: string): GroupView {
    return { id: g.id, minSize: g.minSize, maxSize: g.maxSize, targetSize: g.targetSize(), template: g.templateNode(), ...(skipReason === undefined ? {} : { skipReason }) };
  }

  #backoffConfig(): BackoffConfig {
    const o = this.#o;
    return { initialMs: o.initialNodeGroupBackoffMs ?? DEFAULT_INITIAL_NODE_GROUP_BACKOFF_MS, maxMs: o.maxNodeGroupBackoffMs ?? DEFAULT_MAX_NODE_GROUP_BACKOFF_MS, resetMs: o.nodeGroupBackoffResetMs ?? DEFAULT_NODE_GROUP_BACKOFF_RESET_MS };
  }

  /**
   * Upstream `ClusterStateRegistry.UpdateNodes`: the readiness of each group's machines, scale-up
   * requests finished (back-off lifted) or timed out (`ScaleUpTimedOut`, back-off with error
   * code `timeout`), stale back-offs dropped; then `removeOldUnregisteredNodes`.
   */
  async #updateClusterState(now: number, nodes: readonly Node[], groups: readonly NodeGroup[]): Promise<void> {
    const provisionMs = this.#o.maxNodeProvisionTimeMs ?? DEFAULT_MAX_NODE_PROVISION_MS;
    const config = this.#backoffConfig();
    const byName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
    const machines = new Set<string>();
    for (const g of groups) {
      for (const name of g.nodes()) {
        machines.add(name);
        if (byName.has(name)) this.#unregisteredSince.delete(name);
        else if (!this.#unregisteredSince.has(name)) this.#unregisteredSince.set(name, now);
      }
    }
    for (const name of [...this.#unregisteredSince.keys()]) if (!machines.has(name)) this.#unregisteredSince.delete(name);
    const readiness = (g: NodeGroup): Readiness => groupReadiness(g.nodes(), byName, this.#unregisteredSince, now, provisionMs);
    for (const [id, entry] of [...this.#backoff]) if (isStaleBackoff(entry, now, config)) this.#backoff.delete(id);
    for (const g of groups) {
      const request = this.#scaleUpRequests.get(g.id);
      if (request === undefined) continue;
      if (g.targetSize() <= provisioned(readiness(g))) {
        this.#scaleUpRequests.delete(g.id);
        this.#backoff.delete(g.id);
        continue;
      }
      if (request.expectedAddMs < now) {
        const took = goDuration(now - request.timeMs);
        await this.#statusEvent('Warning', 'ScaleUpTimedOut', `Nodes added to group ${g.id} failed to register within ${took}`);
        this.#backoff.set(g.id, backoffGroup(this.#backoff.get(g.id), now, config, { errorCode: 'timeout', errorMessage: `Scale-up timed out for node group ${g.id} after ${took}` }));
        this.#scaleUpRequests.delete(g.id);
      }
    }
    // removeOldUnregisteredNodes
    for (const g of groups) {
      for (const name of readiness(g).longUnregistered) {
        if (g.targetSize() - 1 < g.minSize) continue;
        try {
          await g.deleteNodes([name]);
        } catch {
          await this.#statusEvent('Warning', 'FailedToDeleteUnregistered', `Failed to remove node ${name}`);
          continue;
        }
        this.#unregisteredSince.delete(name);
        await this.#statusEvent('Normal', 'DeleteUnregistered', `Removed unregistered node ${name}`);
      }
    }
    this.#readiness = new Map(groups.map((g) => [g.id, readiness(g)]));
  }

  /** Why group `g` may not scale up now (back-off, unhealthy), or undefined. */
  #skipReason(g: NodeGroup, now: number): string | undefined {
    const r = this.#readiness.get(g.id);
    if (r !== undefined && !isGroupHealthy(r, g.targetSize(), this.#scaleUpRequests.get(g.id)?.increase ?? 0)) return NOT_READY_REASON;
    if (isBackedOff(this.#backoff.get(g.id), now)) return BACKOFF_REASON;
    return undefined;
  }

  /** One loop (upstream `RunOnce`). */
  async runOnce(): Promise<void> {
    const m = this.#m;
    const now = m.clock.now();
    const cloud = this.#o.cloudProvider;
    const recorder = m.recorder(CLUSTER_AUTOSCALER_COMPONENT);
    const nodes = m.cache(Nodes).list();
    const pods = m.cache(Pods).list();
    const pdbs = m.cache(PodDisruptionBudgets).list();
    const groups = cloud.nodeGroups();
    const byId = new Map(groups.map((g) => [g.id, g]));
    const registered = new Map<string, number>();
    const groupOf = new Map<string, NodeGroup>();
    for (const n of nodes) {
      const g = cloud.nodeGroupForNode(n);
      if (g === undefined) continue;
      groupOf.set(n.metadata.name ?? '', g);
      registered.set(g.id, (registered.get(g.id) ?? 0) + 1);
    }
    const simulation = (): ClusterSimulation =>
      new ClusterSimulation({
        nodes,
        pods,
        pvcs: m.cache(PersistentVolumeClaims).list(),
        pvs: m.cache(PersistentVolumes).list(),
        storageClasses: m.cache(StorageClasses).list(),
        namespaces: new Map(m.cache(Namespaces).list().map((ns) => [ns.metadata.name ?? '', ns.metadata.labels ?? {}])),
      });

    // 0. What the groups' machines are doing; machines that never registered go.
    await this.#updateClusterState(now, nodes, groups);
    for (const [id, r] of this.#readiness) registered.set(id, (registered.get(id) ?? 0) + r.longUnregistered.length);

    // 1. Drains in progress.
    await this.#continueDrains(now, pods, byId);

    // 2. Scale-up.
    const pending = pods.filter(isUnschedulable);
    let scaledUp = false;
    this.#scaleUpInProgress = groups.some((g) => g.targetSize() > (registered.get(g.id) ?? 0));
    const maxTotal = this.#o.maxNodesTotal ?? 0;
    const upcoming = groups.reduce((sum, g) => sum + Math.max(0, g.targetSize() - (registered.get(g.id) ?? 0)), 0);
    const room = maxTotal > 0 ? maxTotal - nodes.length - upcoming : Number.POSITIVE_INFINITY;
    const wasReached = this.#maxNodesTotalReached;
    this.#maxNodesTotalReached = false;
    if (pending.length > 0) {
      const views = groups.map((g) => this.#groupView(g, this.#skipReason(g, now)));
      const plan = planScaleUp(simulation(), pending, views, registered);
      // the pods to help: those that fit on no node, registered or upcoming (upstream filterOutSchedulable)
      const toHelp = pending.filter((p) => !plan.schedulable.includes(p));
      this.#maxNodesTotalReached = toHelp.length > 0 && room <= 0;
      const chosen = this.#maxNodesTotalReached ? undefined : chooseOption(this.#o.expander ?? ['least-waste'], plan.options, m.rng, this.#priorities());
      if (this.#maxNodesTotalReached) {
        // upstream ScaleUpLimitedByMaxNodesTotal: every pod to help gets the one reason
        if (!wasReached) await this.#statusEvent('Warning', 'MaxNodesTotalReached', `Max total nodes in cluster reached: ${maxTotal}`);
        this.#notTriggered(toHelp.map((pod) => ({ pod, message: `pod didn't trigger scale-up: ${MAX_NODES_TOTAL_REACHED_REASON}` })));
      } else if (chosen !== undefined) {
        const group = byId.get(chosen.group.id)!;
        // capped at the group's max, then at --max-nodes-total (upstream GetCappedNewNodeCount)
        const newSize = Math.min(chosen.group.maxSize, chosen.group.targetSize + Math.min(chosen.nodeCount, room));
        const delta = newSize - group.targetSize();
        if (delta > 0) {
          await group.increaseSize(delta);
          const provisionMs = this.#o.maxNodeProvisionTimeMs ?? DEFAULT_MAX_NODE_PROVISION_MS;
          const previous = this.#scaleUpRequests.get(group.id);
          this.#scaleUpRequests.set(group.id, { timeMs: previous?.timeMs ?? now, expectedAddMs: now + provisionMs, increase: (previous?.increase ?? 0) + delta });
          for (const name of group.nodes()) if (!this.#unregisteredSince.has(name) && !nodes.some((n) => n.metadata.name === name)) this.#unregisteredSince.set(name, now);
          scaledUp = true;
          this.#scaleUpInProgress = true;
          this.#lastScaleUpMs = now;
          const info = `[${scaleUpInfo(chosen.group, newSize)}]`;
          for (const p of chosen.pods) void recorder.event(p, 'Normal', 'TriggeredScaleUp', `pod triggered scale-up: ${info}`);
          await this.#statusEvent('Normal', 'ScaledUpGroup', `Scale-up: setting group ${group.id} size to ${newSize} instead of ${chosen.group.targetSize} (max: ${group.maxSize})`);
        }
      } else {
        this.#notTriggered(plan.remain.map((r) => ({ pod: r.pod, message: `pod didn't trigger scale-up: ${reasonsMessage(r)}` })));
      }
    }
    for (const key of this.#notified.keys()) if (!pending.some((p) => podKey(p) === key)) this.#notified.delete(key);

    // 3. Scale-down.
    let candidates = 0;
    if (!scaledUp && (this.#o.scaleDownEnabled ?? true)) {
      const sim = simulation();
      const unreadyEnabled = this.#o.scaleDownUnreadyEnabled ?? true;
      const candidateNodes = nodes
        .filter((n) => groupOf.has(n.metadata.name ?? '') && !this.#drains.has(n.metadata.name ?? '') && (unreadyEnabled || isNodeReady(n)))
        .map((node) => ({ node, group: this.#groupView(groupOf.get(node.metadata.name ?? '')!) }));
      const { removable } = findUnneededNodes({ sim, candidates: candidateNodes, pods, pdbs, utilizationThreshold: this.#o.utilizationThreshold ?? DEFAULT_UTILIZATION_THRESHOLD });
      const unneeded = new Set(removable.map((r) => r.name));
      for (const name of [...this.#unneededSince.keys()]) if (!unneeded.has(name)) this.#unneededSince.delete(name);
      for (const r of removable) if (!this.#unneededSince.has(r.name)) this.#unneededSince.set(r.name, now);
      candidates = removable.length;
      const delayOver = now - this.#lastScaleUpMs >= (this.#o.scaleDownDelayAfterAddMs ?? DEFAULT_SCALE_DOWN_DELAY_AFTER_ADD_MS);
      if (delayOver && this.#drains.size === 0) {
        const unneededMs = this.#o.scaleDownUnneededMs ?? DEFAULT_SCALE_DOWN_UNNEEDED_MS;
        const unreadyMs = this.#o.scaleDownUnreadyTimeMs ?? DEFAULT_SCALE_DOWN_UNREADY_MS;
        const nodeReady = new Map(nodes.map((n) => [n.metadata.name ?? '', isNodeReady(n)]));
        // NotUnneededLongEnough / NotUnreadyLongEnough: an unready node waits the unready time
        const ready = removable.filter((r) => now - (this.#unneededSince.get(r.name) ?? now) >= (nodeReady.get(r.name) === false ? unreadyMs : unneededMs));
        await this.#scaleDown(ready, nodes, byId, now);
      }
    }

    await this.#writeStatus(now, nodes, groups, registered, candidates);
  }

  /** `NotTriggerScaleUp` on each pod, once per pod and message. */
  #notTriggered(list: readonly { readonly pod: Pod; readonly message: string }[]): void {
    const recorder = this.#m.recorder(CLUSTER_AUTOSCALER_COMPONENT);
    for (const { pod, message } of list) {
      const key = podKey(pod);
      if (this.#notified.get(key) === message) continue;
      this.#notified.set(key, message);
      void recorder.event(pod, 'Normal', 'NotTriggerScaleUp', message);
    }
  }

  #priorities(): { priority: number; patterns: RegExp[] }[] | undefined {
    const cm = this.#m.cache(ConfigMaps).get({ namespace: KUBE_SYSTEM, name: PRIORITY_EXPANDER_CONFIGMAP });
    const text = cm?.data?.['priorities'];
    if (text === undefined) return undefined;
    try {
      return parsePriorities(text);
    } catch {
      return undefined;
    }
  }

  /** Deletes the empty nodes that are ready (up to the bulk limit), else starts one drain. */
  async #scaleDown(ready: readonly RemovableNode[], nodes: readonly Node[], byId: ReadonlyMap<string, NodeGroup>, now: number): Promise<void> {
    const m = this.#m;
    const recorder = m.recorder(CLUSTER_AUTOSCALER_COMPONENT);
    const empty = ready.filter((r) => r.podsToMove.length === 0).slice(0, DEFAULT_MAX_EMPTY_BULK_DELETE);
    const toDrain = empty.length > 0 ? [] : ready.slice(0, 1);
    for (const r of [...empty, ...toDrain]) {
      const group = byId.get(r.group);
      const node = nodes.find((n) => n.metadata.name === r.name);
      if (group === undefined || node === undefined) continue;
      if (group.targetSize() <= group.minSize) continue;
      if (!(await this.#taint(r.name, now))) continue;
      void recorder.event(node, 'Normal', 'ScaleDown', 'marked the node as toBeDeleted/unschedulable');
      this.#unneededSince.delete(r.name);
      // The node is tainted: nothing new lands on it. Its pods as the API server has them now
      // (a pod bound since the cache was read must move too).
      const onNode = await this.#podsToMove(r.name);
      if (onNode === undefined) continue;
      if (onNode.length === 0) {
        await this.#deleteNode(group, node, `Scale-down: removing empty node "${r.name}"`, 'ScaleDownEmpty');
        continue;
      }
      this.#drains.set(r.name, { group: group.id, since: now, pods: onNode });
      for (const p of onNode) {
        void recorder.event(p, 'Normal', 'ScaleDown', 'deleting pod for node scale down');
        await this.#evict(p);
      }
    }
  }

  /** Each drain: evict what is left; once every pod to move is gone, delete the node; give up after the limit. */
  async #continueDrains(now: number, pods: readonly Pod[], byId: ReadonlyMap<string, NodeGroup>): Promise<void> {
    const m = this.#m;
    for (const [name, drain] of [...this.#drains]) {
      const node = m.cache(Nodes).get({ name });
      const group = byId.get(drain.group);
      if (node === undefined || group === undefined) {
        this.#drains.delete(name);
        continue;
      }
      const cached = pods.filter((p) => p.spec.nodeName === name && podDrainability(p, []).kind !== 'skip');
      // Gone from the cache: confirm with the API server before the node goes.
      const left = cached.length > 0 ? cached : await this.#podsToMove(name);
      if (left === undefined) continue;
      if (left.length === 0) {
        this.#drains.delete(name);
        await this.#deleteNode(group, node, `Scale-down: node ${name} removed with drain`, 'ScaleDown');
        continue;
      }
      if (now - drain.since >= DEFAULT_MAX_DRAIN_MS) {
        this.#drains.delete(name);
        await this.#untaint(name);
        void m.recorder(CLUSTER_AUTOSCALER_COMPONENT).event(node, 'Warning', 'ScaleDownFailed', `failed to drain the node, aborting ScaleDown`);
        continue;
      }
      for (const p of left) if (p.metadata.deletionTimestamp === undefined) await this.#evict(p);
    }
  }

  /** The pods bound to node `name` that must move before it goes, read live; undefined when the read fails. */
  async #podsToMove(name: string): Promise<Pod[] | undefined> {
    try {
      const live = (await this.#m.client.list(Pods, { fieldSelector: `spec.nodeName=${name}` })).items;
      return live.filter((p) => podDrainability(p, []).kind !== 'skip');
    } catch {
      return undefined;
    }
  }

  async #deleteNode(group: NodeGroup, node: Node, message: string, reason: string): Promise<void> {
    try {
      await group.deleteNodes([node.metadata.name ?? '']);
    } catch (e) {
      await this.#untaint(node.metadata.name ?? '');
      void this.#m.recorder(CLUSTER_AUTOSCALER_COMPONENT).event(node, 'Warning', 'ScaleDownFailed', `failed to delete the node: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    await this.#statusEvent('Normal', reason, message);
  }

  async #evict(p: Pod): Promise<void> {
    try {
      await this.#m.client.evict({ namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '' });
    } catch {
      // A budget that allows no disruption now (429) or a pod gone: retried on the next loop.
    }
  }

  /** Adds the ToBeDeleted taint (value: the unix time, effect NoSchedule); false when the node is gone. */
  async #taint(name: string, now: number): Promise<boolean> {
    return this.#patchTaints(name, (taints) => (taints.some((t) => t.key === TO_BE_DELETED_TAINT) ? taints : [...taints, { key: TO_BE_DELETED_TAINT, value: String(Math.floor(now / 1000)), effect: 'NoSchedule' }]));
  }

  async #untaint(name: string): Promise<boolean> {
    return this.#patchTaints(name, (taints) => taints.filter((t) => t.key !== TO_BE_DELETED_TAINT));
  }

  async #patchTaints(name: string, change: (taints: readonly Taint[]) => readonly Taint[]): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const node = await this.#m.client.get(Nodes, { name });
        const taints = node.spec.taints ?? [];
        const next = change(taints);
        if (next === taints) return true;
        await this.#m.client.update(Nodes, { ...node, spec: { ...node.spec, taints: [...next] } });
        return true;
      } catch (e) {
        if (isApiError(e, 'NotFound')) return false;
        if (!isApiError(e, 'Conflict')) throw e;
      }
    }
    return false;
  }

  async #statusEvent(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const cm = this.#m.cache(ConfigMaps).get({ namespace: KUBE_SYSTEM, name: STATUS_CONFIGMAP });
    if (cm !== undefined) void this.#m.recorder(CLUSTER_AUTOSCALER_COMPONENT).event(cm, type, reason, message);
  }

  /** Writes the status ConfigMap when what it says (its time aside) changed. */
  async #writeStatus(now: number, nodes: readonly Node[], groups: readonly NodeGroup[], registered: ReadonlyMap<string, number>, candidates: number): Promise<void> {
    const status: AutoscalerStatus = {
      nodes: nodes.length,
      ready: nodes.filter(isNodeReady).length,
      scaleUpInProgress: this.#scaleUpInProgress,
      scaleDownCandidates: candidates,
      groups: groups.map((g) => {
        const r = this.#readiness.get(g.id);
        const backoff = this.#backoff.get(g.id);
        const registeredCount = r === undefined ? (registered.get(g.id) ?? 0) : r.ready.length + r.notStarted.length + r.unready.length;
        return {
          id: g.id,
          minSize: g.minSize,
          maxSize: g.maxSize,
          targetSize: g.targetSize(),
          registered: registeredCount,
          ready: r?.ready.length ?? registeredCount,
          notStarted: r?.notStarted.length ?? 0,
          unready: r?.unready.length ?? 0,
          unregistered: r?.unregistered.length ?? 0,
          longUnregistered: r?.longUnregistered.length ?? 0,
          healthy: r === undefined || isGroupHealthy(r, g.targetSize(), this.#scaleUpRequests.get(g.id)?.increase ?? 0),
          ...(isBackedOff(backoff, now) && backoff !== undefined ? { backoff: { errorCode: backoff.errorCode, errorMessage: backoff.errorMessage } } : {}),
        };
      }),
      ...(this.#maxNodesTotalReached ? { message: `Max total nodes in cluster reached: ${this.#o.maxNodesTotal ?? 0}` } : {}),
    };
    const body = renderStatus(status);
    if (body === this.#lastStatus) return;
    const data = { status: `time: ${formatTime(now)}\n${body}` };
    const client = this.#m.client;
    try {
      const existing = await client.get(ConfigMaps, { namespace: KUBE_SYSTEM, name: STATUS_CONFIGMAP }).catch((e: unknown) => {
        if (isApiError(e, 'NotFound')) return undefined;
        throw e;
      });
      const annotations = { 'cluster-autoscaler.kubernetes.io/last-updated': formatTime(now) };
      if (existing === undefined) {
        await client.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: KUBE_SYSTEM, name: STATUS_CONFIGMAP, annotations }, data } as ConfigMap);
      } else {
        await client.update(ConfigMaps, { ...existing, metadata: { ...existing.metadata, annotations: { ...existing.metadata.annotations, ...annotations } }, data });
      }
      this.#lastStatus = body;
    } catch {
      // Written again at the next loop.
    }
  }
}

/** Builds the Cluster Autoscaler on a manager. */
export function clusterAutoscaler(manager: Manager, options: ClusterAutoscalerOptions): ClusterAutoscaler {
  return new ClusterAutoscaler(manager, options);
}
