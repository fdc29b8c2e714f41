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
 * Caveats: `NotTriggerScaleUp` is recorded once per pod and message (upstream records it each
 * loop, which a simulated cluster would never see quiet).
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

  #groupView(g: NodeGroup): GroupView {
    return { id: g.id, minSize: g.minSize, maxSize: g.maxSize, targetSize: g.targetSize(), template: g.templateNode() };
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

    // 1. Drains in progress.
    await this.#continueDrains(now, pods, byId);

    // 2. Scale-up.
    const pending = pods.filter(isUnschedulable);
    let scaledUp = false;
    this.#scaleUpInProgress = groups.some((g) => g.targetSize() > (registered.get(g.id) ?? 0));
    if (pending.length > 0) {
      const views = groups.map((g) => this.#groupView(g));
      const plan = planScaleUp(simulation(), pending, views, registered);
      const chosen = chooseOption(this.#o.expander ?? ['least-waste'], plan.options, m.rng, this.#priorities());
      if (chosen !== undefined) {
        const group = byId.get(chosen.group.id)!;
        const newSize = Math.min(chosen.group.maxSize, chosen.group.targetSize + chosen.nodeCount);
        const delta = newSize - group.targetSize();
        if (delta > 0) {
          await group.increaseSize(delta);
          scaledUp = true;
          this.#scaleUpInProgress = true;
          this.#lastScaleUpMs = now;
          const info = `[${scaleUpInfo(chosen.group, newSize)}]`;
          for (const p of chosen.pods) void recorder.event(p, 'Normal', 'TriggeredScaleUp', `pod triggered scale-up: ${info}`);
          await this.#statusEvent('Normal', 'ScaledUpGroup', `Scale-up: setting group ${group.id} size to ${newSize} instead of ${chosen.group.targetSize} (max: ${group.maxSize})`);
        }
      } else {
        for (const r of plan.remain) {
          const message = `pod didn't trigger scale-up: ${reasonsMessage(r)}`;
          const key = podKey(r.pod);
          if (this.#notified.get(key) === message) continue;
          this.#notified.set(key, message);
          void recorder.event(r.pod, 'Normal', 'NotTriggerScaleUp', message);
        }
      }
    }
    for (const key of this.#notified.keys()) if (!pending.some((p) => podKey(p) === key)) this.#notified.delete(key);

    // 3. Scale-down.
    let candidates = 0;
    if (!scaledUp && (this.#o.scaleDownEnabled ?? true)) {
      const sim = simulation();
      const candidateNodes = nodes
        .filter((n) => groupOf.has(n.metadata.name ?? '') && !this.#drains.has(n.metadata.name ?? ''))
        .map((node) => ({ node, group: this.#groupView(groupOf.get(node.metadata.name ?? '')!) }));
      const { removable } = findUnneededNodes({ sim, candidates: candidateNodes, pods, pdbs, utilizationThreshold: this.#o.utilizationThreshold ?? DEFAULT_UTILIZATION_THRESHOLD });
      const unneeded = new Set(removable.map((r) => r.name));
      for (const name of [...this.#unneededSince.keys()]) if (!unneeded.has(name)) this.#unneededSince.delete(name);
      for (const r of removable) if (!this.#unneededSince.has(r.name)) this.#unneededSince.set(r.name, now);
      candidates = removable.length;
      const delayOver = now - this.#lastScaleUpMs >= (this.#o.scaleDownDelayAfterAddMs ?? DEFAULT_SCALE_DOWN_DELAY_AFTER_ADD_MS);
      if (delayOver && this.#drains.size === 0) {
        const unneededMs = this.#o.scaleDownUnneededMs ?? DEFAULT_SCALE_DOWN_UNNEEDED_MS;
        const ready = removable.filter((r) => now - (this.#unneededSince.get(r.name) ?? now) >= unneededMs);
        await this.#scaleDown(ready, nodes, byId, now);
      }
    }

    await this.#writeStatus(now, nodes, groups, registered, candidates);
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
      ready: nodes.filter((n) => (n.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length,
      scaleUpInProgress: this.#scaleUpInProgress,
      scaleDownCandidates: candidates,
      groups: groups.map((g) => ({ id: g.id, minSize: g.minSize, maxSize: g.maxSize, targetSize: g.targetSize(), registered: registered.get(g.id) ?? 0 })),
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
