/**
 * The node lifecycle controller (a periodic runnable, like upstream's `monitorNodeHealth`
 * loop) and the taint eviction controller (a pod reconciler, like upstream's
 * `tainteviction` controller). They read the manager's caches, call the pure decisions in
 * `decide.ts` and write the results.
 *
 * @module
 */
import { Leases, NODE_LEASE_NAMESPACE, NODE_NAME_INDEX, Nodes, Pods, controllerFor, done, formatTime, isApiError, predicateFuncs, requeueAfter } from '@kubeloop/core';
import type { Controller, Manager, Node, Pod, Reconciler, Request, Result, Runnable } from '@kubeloop/core';
import {
  DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD,
  DEFAULT_NODE_EVICTION_RATE,
  DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS,
  DEFAULT_NODE_MONITOR_PERIOD_MS,
  DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS,
  DEFAULT_SECONDARY_NODE_EVICTION_RATE,
  DEFAULT_UNHEALTHY_ZONE_THRESHOLD,
  desiredTaints,
  evictable,
  evictionDecision,
  noExecuteTaintsChanged,
  needsNoExecuteToken,
  nodeHealth,
  notReadyPodStatus,
  podEvictionInputsChanged,
  readyStatus,
  sameTaints,
  takeToken,
  taintingRate,
  unknownConditions,
  zoneKey,
  zoneState,
  type ReadyStatus,
  type ZoneState,
} from './decide.js';

/** Options of the node lifecycle controller, named after kube-controller-manager's flags. */
export interface NodeLifecycleOptions {
  /** `--node-monitor-period` in ms (default 5 000). */
  readonly nodeMonitorPeriodMs?: number | undefined;
  /** `--node-monitor-grace-period` in ms (default 50 000, upstream's since 1.32). */
  readonly nodeMonitorGracePeriodMs?: number | undefined;
  /** `--node-startup-grace-period` in ms (default 60 000). */
  readonly nodeStartupGracePeriodMs?: number | undefined;
  /** `--node-eviction-rate`, nodes per second per zone (default 0.1). */
  readonly nodeEvictionRate?: number | undefined;
  /** `--secondary-node-eviction-rate`, nodes per second (default 0.01). */
  readonly secondaryNodeEvictionRate?: number | undefined;
  /** `--large-cluster-size-threshold`, nodes (default 50). */
  readonly largeClusterSizeThreshold?: number | undefined;
  /** `--unhealthy-zone-threshold`, a share (default 0.55). */
  readonly unhealthyZoneThreshold?: number | undefined;
}

/** The component name events are recorded under, as upstream's. */
export const NODE_CONTROLLER_COMPONENT = 'node-controller';
/** The name of the taint eviction controller. */
export const TAINT_EVICTION_CONTROLLER_NAME = 'taint-eviction-controller';

/**
 * The node lifecycle controller: every `nodeMonitorPeriodMs` it checks each node's Lease and
 * Ready heartbeat, sets the conditions of silent nodes to `Unknown`, keeps the `not-ready` and
 * `unreachable` taints in line with the Ready condition (`NoSchedule` at once, `NoExecute`
 * through a per-zone rate limiter), and marks pods on not-Ready nodes not Ready.
 *
 * Guarantees: level-triggered — each pass derives everything from the cache, so a missed pass
 * or a restart only delays the outcome; a write that fails (e.g. a conflict) is retried on the
 * next pass. Removing taints from a node that is Ready again is never rate limited.
 *
 * Caveats: not modelled — the `memory-pressure`/`disk-pressure`/`pid-pressure` and
 * `unschedulable` taints, deleting nodes whose cloud instance is gone, and upstream's
 * observation-time probe stamps (see {@link nodeHealth}).
 */
export class NodeLifecycleController implements Runnable {
  /** For diagnostics. */
  readonly name = 'node-lifecycle-controller';
  /** Runs only on the leader, as upstream's controller manager. */
  readonly needLeaderElection = true;
  readonly #manager: Manager;
  readonly #o: Required<{ [K in keyof NodeLifecycleOptions]: number }>;
  /** Per zone: when the zone's `NoExecute` token bucket last gave a token. */
  readonly #buckets = new Map<string, number | undefined>();
  #lastError: unknown;

  /** Builds the controller on a manager; it starts with the manager. */
  constructor(manager: Manager, options: NodeLifecycleOptions = {}) {
    this.#manager = manager;
    this.#o = {
      nodeMonitorPeriodMs: options.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS,
      nodeMonitorGracePeriodMs: options.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS,
      nodeStartupGracePeriodMs: options.nodeStartupGracePeriodMs ?? DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS,
      nodeEvictionRate: options.nodeEvictionRate ?? DEFAULT_NODE_EVICTION_RATE,
      secondaryNodeEvictionRate: options.secondaryNodeEvictionRate ?? DEFAULT_SECONDARY_NODE_EVICTION_RATE,
      largeClusterSizeThreshold: options.largeClusterSizeThreshold ?? DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD,
      unhealthyZoneThreshold: options.unhealthyZoneThreshold ?? DEFAULT_UNHEALTHY_ZONE_THRESHOLD,
    };
  }

  /**
   * Runs a pass every `nodeMonitorPeriodMs` until `signal` aborts, once the Node, Lease and Pod
   * caches have synced. Errors: a failed pass does not stop the controller; see {@link lastError}.
   */
  async start(signal: AbortSignal): Promise<void> {
    const nodes = this.#manager.cache(Nodes);
    const leases = this.#manager.cache(Leases);
    const pods = this.#manager.cache(Pods);
    while (!signal.aborted) {
      try {
        await this.#manager.clock.sleep(this.#o.nodeMonitorPeriodMs, signal);
      } catch {
        break;
      }
      if (!(nodes.hasSynced() && leases.hasSynced() && pods.hasSynced())) continue;
      try {
        await this.monitor();
        this.#lastError = undefined;
      } catch (error) {
        // As upstream, a failed pass is logged and the next one starts over from the cache.
        this.#lastError = error;
      }
    }
  }

  /** The error of the last pass, if it failed (the next pass retries from the cache). */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** One pass over every node (upstream `monitorNodeHealth`); exposed for tests. */
  async monitor(): Promise<void> {
    const { clock } = this.#manager;
    const now = clock.now();
    const nowTime = formatTime(now);
    const grace = { monitorGracePeriodMs: this.#o.nodeMonitorGracePeriodMs, startupGracePeriodMs: this.#o.nodeStartupGracePeriodMs };
    const leases = this.#manager.cache(Leases);
    const observed: { node: Node; ready: ReadyStatus }[] = [];
    for (const cached of this.#manager.cache(Nodes).list()) {
      let node = cached;
      const name = node.metadata.name ?? '';
      const lease = leases.get({ namespace: NODE_LEASE_NAMESPACE, name });
      if (nodeHealth(node, lease, now, grace).stale) {
        const conditions = unknownConditions(node, nowTime);
        if (conditions !== undefined) {
          const wasReady = readyStatus(node) === 'True';
          const written = await this.#write(() => this.#manager.client.updateStatus(Nodes, { ...node, status: { ...node.status, conditions } }));
          if (written === undefined) continue;
          node = written;
          if (wasReady) void this.#manager.recorder(NODE_CONTROLLER_COMPONENT).event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        }
      }
      observed.push({ node, ready: readyStatus(node) });
    }

    // Zones: their state decides how fast their nodes may get NoExecute taints.
    const zones = new Map<string, { ready: number; notReady: number }>();
    for (const { node, ready } of observed) {
      const z = zones.get(zoneKey(node)) ?? { ready: 0, notReady: 0 };
      if (ready === 'True') z.ready++;
      else z.notReady++;
      zones.set(zoneKey(node), z);
    }
    const states = new Map<string, ZoneState>();
    for (const [key, z] of zones) states.set(key, zoneState(z.ready, z.notReady, this.#o.unhealthyZoneThreshold));
    const allFull = states.size > 0 && [...states.values()].every((s) => s === 'FullDisruption');

    for (const { node, ready } of observed) {
      const zone = zoneKey(node);
      let noExecute: 'allowed' | 'if-present' | 'never' = allFull ? 'never' : 'if-present';
      if (!allFull && needsNoExecuteToken(node, ready)) {
        const z = zones.get(zone)!;
        const rate = taintingRate(states.get(zone)!, z.ready + z.notReady, allFull, this.#o);
        const token = takeToken(this.#buckets.get(zone), now, rate);
        this.#buckets.set(zone, token.lastTakenAt);
        if (token.granted) noExecute = 'allowed';
      }
      const taints = desiredTaints(node, ready, noExecute, nowTime);
      if (!sameTaints(taints, node.spec.taints)) {
        await this.#write(() => this.#manager.client.update(Nodes, { ...node, spec: { ...node.spec, taints } }));
      }
      if (ready === 'False' || ready === 'Unknown') await this.#markPodsNotReady(node, nowTime);
    }
  }

  async #markPodsNotReady(node: Node, nowTime: string): Promise<void> {
    for (const pod of this.#manager.cache(Pods).list()) {
      if (pod.spec.nodeName !== node.metadata.name) continue;
      const status = notReadyPodStatus(pod, nowTime);
      if (status !== undefined) await this.#write(() => this.#manager.client.updateStatus(Pods, { ...pod, status }));
    }
  }

  /** Runs a write; a conflict or a vanished object is left to the next pass. */
  async #write<T>(write: () => Promise<T>): Promise<T | undefined> {
    try {
      return await write();
    } catch (error) {
      if (isApiError(error, 'Conflict') || isApiError(error, 'NotFound')) return undefined;
      throw error;
    }
  }
}

/**
 * The taint eviction controller's reconciler (upstream `pkg/controller/tainteviction`): a pod
 * on a node with `NoExecute` taints it does not tolerate is deleted at once; one tolerating
 * them for `tolerationSeconds` is looked at again when that runs out (a requeue on the
 * injected clock) and deleted then; one tolerating them forever stays.
 *
 * Deletion is not rate limited, as upstream's: the rate limit is on tainting nodes (see
 * {@link NodeLifecycleController}). Before deleting, the pod gets the `DisruptionTarget`
 * condition with reason `DeletionByTaintManager`, and a `TaintManagerEviction` event.
 */
export class TaintEvictionReconciler implements Reconciler {
  readonly #manager: Manager;
  /** When each pod (by uid) was first seen on a node with `NoExecute` taints lacking `timeAdded`. */
  readonly #firstSeen = new Map<string, number>();

  /** A reconciler reading the manager's caches and writing through its client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** Evicts the pod now, later (requeue) or never, per {@link evictionDecision}. */
  async reconcile(request: Request): Promise<Result> {
    const pod = this.#manager.cache(Pods).get(request);
    if (pod === undefined || !evictable(pod)) return done;
    const node = this.#manager.cache(Nodes).get({ name: pod.spec.nodeName ?? '' });
    const uid = pod.metadata.uid ?? '';
    const now = this.#manager.clock.now();
    const decision = evictionDecision(pod.spec.tolerations, node?.spec.taints, this.#firstSeen.get(uid) ?? now);
    switch (decision.kind) {
      case 'keep':
        this.#firstSeen.delete(uid);
        return done;
      case 'evict-at':
        if (!this.#firstSeen.has(uid)) this.#firstSeen.set(uid, now);
        if (decision.at > now) return requeueAfter(decision.at - now);
        await this.#evict(pod, now);
        return done;
      case 'evict':
        await this.#evict(pod, now);
        return done;
    }
  }

  async #evict(pod: Pod, now: number): Promise<void> {
    const { client } = this.#manager;
    const key = { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' };
    this.#firstSeen.delete(pod.metadata.uid ?? '');
    try {
      const conditions = (pod.status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: formatTime(now) });
      await client.updateStatus(Pods, { ...pod, status: { ...pod.status, conditions } });
      void this.#manager.recorder(TAINT_EVICTION_CONTROLLER_NAME).event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key.namespace}/${key.name}`);
      await client.delete(Pods, key, { preconditions: { uid: pod.metadata.uid ?? '' } });
    } catch (error) {
      if (isApiError(error, 'NotFound')) return;
      throw error;
    }
  }
}

/**
 * Builds the taint eviction controller on a manager. As upstream's event handlers, a pod is
 * reconciled when it appears bound, when its node or tolerations change and when it goes, and
 * every pod bound to a node when that node's `NoExecute` taints change or it comes or goes;
 * other changes (status writes, node heartbeats) leave the decisions as they were. Resyncs
 * pass, to repair what a failed write left undone.
 */
export function taintEvictionController(manager: Manager): Controller {
  const podChanged = predicateFuncs<Pod>({
    create: (pod) => evictable(pod),
    update: (old, pod) => old === pod || podEvictionInputsChanged(old, pod),
  });
  const taintsChanged = predicateFuncs<Node>({ update: (old, node) => old === node || noExecuteTaintsChanged(old, node) });
  // Through the node-name index, as upstream's taint manager: a node's change costs its own
  // pods, not a scan of every pod in the cluster.
  const podsOn = (node: Node): Request[] =>
    manager
      .cache(Pods)
      .byIndex(NODE_NAME_INDEX, node.metadata.name ?? '')
      .map((p) => ({ namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '' }));
  return controllerFor(manager, Pods, { predicates: [podChanged] }).named(TAINT_EVICTION_CONTROLLER_NAME).watches(Nodes, podsOn, { predicates: [taintsChanged] }).complete(new TaintEvictionReconciler(manager));
}
