/**
 * The node lifecycle decisions, as pure functions of their inputs: whether a node's kubelet
 * is still heard from (its Lease and Ready heartbeat against the grace period), the conditions
 * to write when it is not, the taints a node should carry for its Ready condition, the state
 * of a zone and the rate its nodes may be tainted at, and when a pod on a `NoExecute`-tainted
 * node is to be evicted.
 *
 * @module
 */
import { deepEqual, parseTime } from '@kubeloop/core';
import type { Lease, Node, NodeCondition, Pod, Taint, Toleration } from '@kubeloop/core';
import { toleratesTaint } from '../scheduler/plugins/node.js';

/** Taint key of a node whose Ready condition is `False` (upstream `TaintNodeNotReady`). */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
/** Taint key of a node whose Ready condition is `Unknown` (upstream `TaintNodeUnreachable`). */
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

/**
 * `--node-monitor-grace-period`: 50 s, upstream's default since Kubernetes 1.32 (it was 40 s
 * before; raised so a kubelet posting every 10 s gets five tries, kubernetes/kubernetes#121793).
 */
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 50_000;
/** `--node-startup-grace-period`: 60 s for a node that never posted a Ready condition. */
export const DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS = 60_000;
/** `--node-monitor-period`: how often node health is checked, 5 s. */
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
/** `--node-eviction-rate`: nodes per second per healthy zone that may get a `NoExecute` taint, 0.1. */
export const DEFAULT_NODE_EVICTION_RATE = 0.1;
/** `--secondary-node-eviction-rate`: the rate in a partially disrupted large zone, 0.01. */
export const DEFAULT_SECONDARY_NODE_EVICTION_RATE = 0.01;
/** `--large-cluster-size-threshold`: zones of at most this many nodes stop tainting when partially disrupted. */
export const DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD = 50;
/** `--unhealthy-zone-threshold`: the share of not-Ready nodes (of more than 2) that makes a zone partially disrupted. */
export const DEFAULT_UNHEALTHY_ZONE_THRESHOLD = 0.55;
/** The reason of conditions the controller sets to `Unknown`. */
export const REASON_NODE_STATUS_UNKNOWN = 'NodeStatusUnknown';
/** The message of conditions the controller sets to `Unknown`. */
export const MESSAGE_NODE_STATUS_UNKNOWN = 'Kubelet stopped posting node status.';
/** The reason of conditions the kubelet never posted. */
export const REASON_NODE_STATUS_NEVER_UPDATED = 'NodeStatusNeverUpdated';
/** The message of conditions the kubelet never posted. */
export const MESSAGE_NODE_STATUS_NEVER_UPDATED = 'Kubelet never posted node status.';

/** The conditions the controller sets to `Unknown` when a node goes silent (upstream's four). */
export const MONITORED_NODE_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

/** The status of a node's Ready condition; `undefined` when it has none. */
export type ReadyStatus = 'True' | 'False' | 'Unknown' | undefined;

/** A node's Ready status. */
export function readyStatus(node: Node): ReadyStatus {
  const status = node.status.conditions?.find((c) => c.type === 'Ready')?.status;
  return status === 'True' || status === 'False' || status === 'Unknown' ? status : undefined;
}

/** What {@link nodeHealth} concludes. */
export interface NodeHealth {
  /** The last time the kubelet was heard from (ms), or the node's creation when never. */
  readonly probeAt: number;
  /** The grace period that applies (startup grace when no Ready condition was ever posted). */
  readonly gracePeriodMs: number;
  /** Whether `now` is past `probeAt + gracePeriodMs`: the kubelet stopped posting. */
  readonly stale: boolean;
}

/** Grace periods of {@link nodeHealth}. */
export interface GracePeriods {
  /** `--node-monitor-grace-period` in ms. */
  readonly monitorGracePeriodMs: number;
  /** `--node-startup-grace-period` in ms. */
  readonly startupGracePeriodMs: number;
}

function timeOf(text: string | null | undefined): number {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: Date.parse (parseTime) of undefined or null is NaN too, the value the guard gives
  const t = text === undefined || text === null ? Number.NaN : parseTime(text);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Whether a node's kubelet is still heard from (upstream `tryUpdateNodeHealth`): the probe time
 * is the later of the node Lease's `renewTime` and the Ready condition's `lastHeartbeatTime`.
 *
 * Worked example: a Lease renewed at t=100 s, grace 50 s: healthy at 150 s, stale at 150.001 s.
 *
 * Caveat: upstream stamps the probe with the controller's own clock when it *observes* a change,
 * to survive clock skew between kubelet and controller; on one virtual clock the stamps agree.
 */
export function nodeHealth(node: Node, lease: Lease | undefined, now: number, grace: GracePeriods): NodeHealth {
  const ready = node.status.conditions?.find((c) => c.type === 'Ready');
  const heard = Math.max(timeOf(lease?.spec.renewTime), timeOf(ready?.lastHeartbeatTime));
  const probeAt = Number.isFinite(heard) ? heard : timeOf(node.metadata.creationTimestamp);
  const gracePeriodMs = ready === undefined ? grace.startupGracePeriodMs : grace.monitorGracePeriodMs;
  // Stryker disable next-line BooleanLiteral: unreachable, the API server stamps every Node it stores with a creationTimestamp
  const stale = Number.isFinite(probeAt) ? now > probeAt + gracePeriodMs : false;
  return { probeAt, gracePeriodMs, stale };
}

/**
 * The conditions of a silent node: each of {@link MONITORED_NODE_CONDITIONS} that is not
 * `Unknown` yet becomes `Unknown` with reason `NodeStatusUnknown` (keeping its heartbeat, moving
 * its transition time to `nowTime`); a missing one is added with `NodeStatusNeverUpdated`.
 * Returns `undefined` when nothing changes.
 */
export function unknownConditions(node: Node, nowTime: string): NodeCondition[] | undefined {
  const conditions = [...(node.status.conditions ?? [])];
  let changed = false;
  for (const type of MONITORED_NODE_CONDITIONS) {
    const i = conditions.findIndex((c) => c.type === type);
    const old = conditions[i];
    if (old === undefined) {
      changed = true;
      const heartbeat = node.metadata.creationTimestamp ?? nowTime;
      conditions.push({ type, status: 'Unknown', reason: REASON_NODE_STATUS_NEVER_UPDATED, message: MESSAGE_NODE_STATUS_NEVER_UPDATED, lastHeartbeatTime: heartbeat, lastTransitionTime: nowTime });
    } else if (old.status !== 'Unknown') {
      changed = true;
      conditions[i] = { ...old, status: 'Unknown', reason: REASON_NODE_STATUS_UNKNOWN, message: MESSAGE_NODE_STATUS_UNKNOWN, lastTransitionTime: nowTime };
    }
  }
  return changed ? conditions : undefined;
}

/** The lifecycle taint key for a Ready status: not-ready for `False`, unreachable for `Unknown`. */
export function lifecycleTaintKey(ready: ReadyStatus): string | undefined {
  if (ready === 'False') return TAINT_NODE_NOT_READY;
  if (ready === 'Unknown') return TAINT_NODE_UNREACHABLE;
  return undefined;
}

function isLifecycleTaint(t: Taint): boolean {
  return (t.key === TAINT_NODE_NOT_READY || t.key === TAINT_NODE_UNREACHABLE) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute');
}

/**
 * Whether {@link desiredTaints} may give a node a lifecycle `NoExecute` taint: `allowed` (the
 * zone's rate limiter granted a token), `if-present` (only if it has one already: swapping
 * `not-ready` for `unreachable` is immediate upstream too), `never` (every zone is fully
 * disrupted: upstream removes them all).
 */
export type NoExecutePermission = 'allowed' | 'if-present' | 'never';

/**
 * The taints a node should carry for its Ready status (upstream `doNoScheduleTaintingPass` and
 * `processTaintBaseEviction`): other taints are kept; a `False` node gets `not-ready`, an
 * `Unknown` node `unreachable`, each `:NoSchedule` at once and `:NoExecute` as `noExecute`
 * permits (see {@link NoExecutePermission}); a `True` node loses them all. Taints already present keep their `timeAdded`; new ones get `nowTime`.
 */
export function desiredTaints(node: Node, ready: ReadyStatus, noExecute: NoExecutePermission, nowTime: string): Taint[] {
  const existing = node.spec.taints ?? [];
  const out = existing.filter((t) => !isLifecycleTaint(t));
  const key = lifecycleTaintKey(ready);
  if (key === undefined) return out;
  const keep = (effect: Taint['effect']): Taint => existing.find((t) => t.key === key && t.effect === effect) ?? { key, effect, timeAdded: nowTime };
  out.push(keep('NoSchedule'));
  const hadNoExecute = existing.some((t) => isLifecycleTaint(t) && t.effect === 'NoExecute');
  if (noExecute === 'allowed' || (noExecute === 'if-present' && hadNoExecute)) out.push(keep('NoExecute'));
  return out;
}

/** Whether a node needs a rate-limiter token to reach its desired taints (a first lifecycle `NoExecute` taint). */
export function needsNoExecuteToken(node: Node, ready: ReadyStatus): boolean {
  return lifecycleTaintKey(ready) !== undefined && !(node.spec.taints ?? []).some((t) => isLifecycleTaint(t) && t.effect === 'NoExecute');
}

/** Whether two taint lists are the same, in order. */
export function sameTaints(a: readonly Taint[] | undefined, b: readonly Taint[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

// ---------------------------------------------------------------------------------------------
// Zones and the eviction rate

/** A zone's health (upstream `ZoneState`). */
export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** The zone key of a node: `region:zone` from the `topology.kubernetes.io` labels; `''` for none. */
export function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const region = labels['topology.kubernetes.io/region'] ?? '';
  const zone = labels['topology.kubernetes.io/zone'] ?? '';
  return region === '' && zone === '' ? '' : `${region}:${zone}`;
}

/**
 * A zone's state (upstream `ComputeZoneState`): `FullDisruption` when no node is Ready and some
 * is not; `PartialDisruption` when more than 2 nodes are not Ready and they are at least
 * `unhealthyZoneThreshold` of the zone; otherwise `Normal`.
 *
 * Worked example: 3 of 5 not Ready is 60 % ≥ 55 %: partial; 2 of 2 not Ready: full; 2 of 3: normal.
 */
export function zoneState(readyNodes: number, notReadyNodes: number, unhealthyZoneThreshold = DEFAULT_UNHEALTHY_ZONE_THRESHOLD): ZoneState {
  if (
    readyNodes === 0 &&
    // Stryker disable next-line EqualityOperator,ConditionalExpression: a zone's state is computed only for a zone with a node, so with none Ready one is not Ready
    notReadyNodes > 0
  ) {
    return 'FullDisruption';
  }
  if (notReadyNodes > 2 && notReadyNodes / (readyNodes + notReadyNodes) >= unhealthyZoneThreshold) return 'PartialDisruption';
  // Stryker disable next-line StringLiteral: callers only compare a state with 'PartialDisruption' and 'FullDisruption'
  return 'Normal';
}

/** The rates of {@link taintingRate}. */
export interface EvictionRates {
  /** `--node-eviction-rate`, nodes per second. */
  readonly nodeEvictionRate: number;
  /** `--secondary-node-eviction-rate`, nodes per second. */
  readonly secondaryNodeEvictionRate: number;
  /** `--large-cluster-size-threshold`, nodes. */
  readonly largeClusterSizeThreshold: number;
}

/**
 * How many nodes per second of a zone may get a `NoExecute` taint (upstream `setLimiterInZone`):
 * `nodeEvictionRate` when `Normal` or `FullDisruption`; when `PartialDisruption`, the secondary
 * rate if the zone has more than `largeClusterSizeThreshold` nodes, else 0. When every zone is
 * fully disrupted (`allZonesFullyDisrupted`), 0: upstream assumes the control plane lost the
 * network, not the nodes ("master disruption mode").
 */
export function taintingRate(state: ZoneState, zoneSize: number, allZonesFullyDisrupted: boolean, rates: EvictionRates): number {
  if (allZonesFullyDisrupted) return 0;
  if (state === 'PartialDisruption') return zoneSize > rates.largeClusterSizeThreshold ? rates.secondaryNodeEvictionRate : 0;
  return rates.nodeEvictionRate;
}

/**
 * One step of a token bucket of burst 1 (client-go `NewTokenBucketRateLimiter(qps, 1)`): given
 * when a token was last taken, whether one may be taken at `now` and the new last-taken time.
 *
 * Worked example at 0.1 qps: taken at t=0 s, the next is granted at t=10 s, not at 9.999 s.
 */
export function takeToken(lastTakenAt: number | undefined, now: number, qps: number): { readonly granted: boolean; readonly lastTakenAt: number | undefined } {
  if (qps <= 0) return { granted: false, lastTakenAt };
  if (lastTakenAt === undefined || now >= lastTakenAt + 1000 / qps) return { granted: true, lastTakenAt: now };
  return { granted: false, lastTakenAt };
}

// ---------------------------------------------------------------------------------------------
// Taint-based eviction

/** What to do with a pod on a node with `NoExecute` taints (upstream taint eviction controller). */
export type EvictionDecision =
  /** Leave it: no `NoExecute` taints, or all tolerated forever. */
  | { readonly kind: 'keep' }
  /** Delete it now: a `NoExecute` taint is not tolerated, or a toleration ran out. */
  | { readonly kind: 'evict'; readonly taint: Taint }
  /** Delete it at `at` (ms) unless the taints change first. */
  | { readonly kind: 'evict-at'; readonly at: number; readonly taint: Taint };

/**
 * When a pod on a node with these taints is to be evicted (upstream `processPodOnNode` with
 * `getMinTolerationTime`): for each `NoExecute` taint, the first toleration that tolerates it
 * (scheduler's `toleratesTaint`); a taint with none means evict now; otherwise the least
 * `tolerationSeconds` among those tolerations (those without are forever), counted from when
 * the taint was added (`timeAdded`, else `observedAt`). No finite seconds: keep.
 *
 * Worked example: `unreachable:NoExecute` added at t=100 s, tolerated for 300 s: evict at 400 s.
 *
 * Caveat: upstream counts from when it first saw the pod tainted; `timeAdded` makes the decision
 * a pure function of the stored objects, so a restarted controller keeps the same deadlines.
 */
export function evictionDecision(tolerations: readonly Toleration[] | undefined, taints: readonly Taint[] | undefined, observedAt: number): EvictionDecision {
  let deadline = Number.POSITIVE_INFINITY;
  let deciding: Taint | undefined;
  for (const taint of taints ?? []) {
    if (taint.effect !== 'NoExecute') continue;
    const toleration = (tolerations ?? []).find((t) => toleratesTaint(t, taint));
    if (toleration === undefined) return { kind: 'evict', taint };
    if (toleration.tolerationSeconds === undefined) continue;
    const added = taint.timeAdded === undefined ? observedAt : timeOf(taint.timeAdded);
    const at = (Number.isFinite(added) ? added : observedAt) + Math.max(0, toleration.tolerationSeconds) * 1000;
    // Stryker disable next-line EqualityOperator: on a tie the deadline is the same; which taint decided it is not used by the controller
    if (at < deadline) {
      deadline = at;
      deciding = taint;
    }
  }
  if (deciding === undefined) return { kind: 'keep' };
  return { kind: 'evict-at', at: deadline, taint: deciding };
}

/**
 * Whether a pod's update concerns the taint eviction controller (upstream `PodUpdated`): its
 * node or its tolerations changed. A status write, a label or an annotation changes neither,
 * so the pod is not looked at again for it (a pending eviction is on a timer already).
 */
export function podEvictionInputsChanged(old: Pod, pod: Pod): boolean {
  return old.spec.nodeName !== pod.spec.nodeName || !deepEqual(old.spec.tolerations ?? [], pod.spec.tolerations ?? []);
}

/**
 * Whether a node's update concerns the taint eviction controller (upstream `NodeUpdated`): its
 * `NoExecute` taints changed (a heartbeat, a condition or a `NoSchedule` taint does not
 * concern the pods bound to it).
 */
export function noExecuteTaintsChanged(old: Node, node: Node): boolean {
  const noExecute = (n: Node): Taint[] => (n.spec.taints ?? []).filter((t) => t.effect === 'NoExecute');
  return !deepEqual(noExecute(old), noExecute(node));
}

/** Whether a pod is one the taint eviction controller looks at: bound and not being deleted. */
export function evictable(pod: Pod): boolean {
  // A short cut: a pod without a node would be looked up as node "", which no Node is named, so
  // it would have no taints and be kept all the same.
  // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral,BooleanLiteral: equivalent, see above
  if (pod.spec.nodeName === undefined || pod.spec.nodeName === '') return false;
  return pod.metadata.deletionTimestamp === undefined;
}

/**
 * The status of a pod on a node that is not Ready (upstream `MarkPodsNotReady`): its `Ready`
 * condition `False` (transition time `nowTime`); `undefined` when it is not `True` now.
 */
export function notReadyPodStatus(pod: Pod, nowTime: string): Pod['status'] | undefined {
  const conditions = pod.status?.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === 'Ready');
  if (i < 0 || conditions[i]!.status !== 'True') return undefined;
  const next = [...conditions];
  next[i] = { ...conditions[i]!, status: 'False', lastTransitionTime: nowTime };
  return { ...pod.status, conditions: next };
}
