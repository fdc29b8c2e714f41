/**
 * Invariants of taint-based eviction (upstream `pkg/controller/tainteviction`), stated from the
 * Kubernetes documentation ("Taints and Tolerations": a pod that tolerates a `NoExecute` taint
 * with `tolerationSeconds` stays bound for that long after the taint is added; one that
 * tolerates it without `tolerationSeconds` stays forever; one that does not tolerate it is
 * evicted at once). The toleration matching is upstream's `Toleration.ToleratesTaint`, written
 * here again rather than taken from the scheduler the controller uses, so that a bug there is a
 * disagreement these invariants see.
 *
 * And of node health (upstream `pkg/controller/nodelifecycle`, documented in "Nodes" → "Node
 * status" and "Taint based Evictions"): a node whose kubelet has not been heard from for the
 * `--node-monitor-grace-period` has its `Ready`, `MemoryPressure`, `DiskPressure` and
 * `PIDPressure` conditions `Unknown`, and not before; a node whose `Ready` is `False` carries
 * `node.kubernetes.io/not-ready`, one whose `Ready` is `Unknown` carries
 * `node.kubernetes.io/unreachable` (`NoSchedule`, and `NoExecute` unless its zone is partially
 * disrupted or every zone is fully disrupted), a `Ready` node neither; a lifecycle taint keeps
 * its `timeAdded` while it stays; pods on a node that is not `Ready` are not `Ready` either.
 * These are written here from the documentation, never by calling the controller's decisions.
 *
 * @module
 */
import { NODE_LEASE_NAMESPACE, formatTime, invariant, parseTime, refOf, stateNowMs, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, Lease, Node, Pod, StateChange, Taint, Toleration } from '@kubeloop/core';

/** The `DisruptionTarget` reason the taint eviction controller marks a pod with before deleting it. */
const DELETION_BY_TAINT_MANAGER = 'DeletionByTaintManager';

/** Upstream `Toleration.ToleratesTaint` (the `Equal`, `Exists` and empty operators). */
function tolerates(toleration: Toleration, taint: Taint): boolean {
  if ((toleration.effect ?? '') !== '' && toleration.effect !== taint.effect) return false;
  if ((toleration.key ?? '') !== '' && toleration.key !== taint.key) return false;
  const operator = toleration.operator ?? 'Equal';
  if (operator === 'Exists') return true;
  if (operator === 'Equal') return (toleration.value ?? '') === (taint.value ?? '');
  return false;
}

function timeOf(text: string | null | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const t = parseTime(text);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The earliest wall-clock time (ms) a pod with `tolerations` may be evicted from a node with
 * `taints`: −∞ when a `NoExecute` taint is not tolerated; else the least, over the `NoExecute`
 * taints, of the taint's `timeAdded` (or `firstSeen(taint)` without one) plus the
 * `tolerationSeconds` (at least 0) of the first toleration that tolerates it (upstream
 * `GetMatchingTolerations`), a toleration without seconds counting as forever; +∞ when every
 * taint is tolerated forever, or there is none.
 *
 * Worked example: `unreachable:NoExecute` added at t=100 s, tolerated for 300 s, and
 * `example.com/maintenance:NoExecute` added at t=350 s, tolerated for 10 s: 360 s.
 */
export function earliestTaintEviction(tolerations: readonly Toleration[] | undefined, taints: readonly Taint[] | undefined, firstSeen: (taint: Taint) => number): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const taint of taints ?? []) {
    if (taint.effect !== 'NoExecute') continue;
    const toleration = (tolerations ?? []).find((t) => tolerates(t, taint));
    if (toleration === undefined) return Number.NEGATIVE_INFINITY;
    if (toleration.tolerationSeconds === undefined || toleration.tolerationSeconds === null) continue;
    const added = timeOf(taint.timeAdded) ?? firstSeen(taint);
    earliest = Math.min(earliest, added + Math.max(0, toleration.tolerationSeconds) * 1000);
  }
  return earliest;
}

/** Options of {@link noEvictionBeforeTolerationInvariant}. */
export interface TaintEvictionOptions {
  /**
   * How stale (virtual ms, default 30 000) the node cache an eviction was decided on may be:
   * an eviction is early only if it was early on every state of the node in this window
   * before it (a taint removed a moment ago may still be in the controller's cache).
   */
  readonly graceMs?: number | undefined;
}

const taintKey = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
const isMarked = (pod: Pod) => pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === DELETION_BY_TAINT_MANAGER) ?? false;

/** The versions of one node over a window: the one current at its start, then each change. */
interface NodeHistory {
  readonly versions: { readonly t: number; readonly node: Node | undefined }[];
}

/**
 * Transition (safety), for suites in which the taint eviction controller is the only one that
 * deletes pods: every pod deletion (the pod gets a `deletionTimestamp`, or is removed without
 * one) comes after the pod was marked with the condition `DisruptionTarget=True`, reason
 * `DeletionByTaintManager` (upstream writes it before deleting, "Pod disruption conditions").
 * Without the mark, {@link noEvictionBeforeTolerationInvariant} would not see the eviction at
 * all, so a suite names both.
 */
export const taintEvictionsMarkedInvariant: Invariant = transitionInvariant(
  'taintEvictionsMarked',
  'Every pod the taint eviction controller deletes carries DisruptionTarget=True with reason DeletionByTaintManager when it is deleted.',
  (previous, state) => {
    const terminating = new Set(previous.of<Pod>('Pod').filter((p) => p.metadata.deletionTimestamp !== undefined).map((p) => p.metadata.uid));
    const out: InvariantViolation[] = [];
    for (const c of state.changes) {
      if (c.object.kind !== 'Pod') continue;
      const pod = c.object as Pod;
      const deleted = c.type === 'DELETED' || pod.metadata.deletionTimestamp !== undefined;
      if (!deleted || terminating.has(pod.metadata.uid)) continue;
      terminating.add(pod.metadata.uid);
      if (!isMarked(pod)) out.push({ message: `pod ${pod.metadata.namespace}/${pod.metadata.name} was deleted without the DisruptionTarget condition of the taint manager (conditions ${JSON.stringify((pod.status?.conditions ?? []).map((k) => [k.type, k.status, k.reason ?? '']))})`, objects: [refOf(pod)] });
    }
    return out;
  },
);

/**
 * Transition (safety): the taint eviction controller never evicts a pod before the earliest
 * time its node's `NoExecute` taints allow (see {@link earliestTaintEviction}): not before the
 * taint's `timeAdded` plus the pod's `tolerationSeconds` for it, and never while every taint is
 * tolerated forever.
 *
 * An eviction is the controller's mark on the pod (condition `DisruptionTarget`, reason
 * `DeletionByTaintManager`, which upstream writes before it deletes); the time it appears is
 * the eviction's. Deletions by anyone else are not judged. The node's taints are read from
 * every version the node had in the `graceMs` before the eviction (a cache may lag), and the
 * eviction is early only if it was early on each; a tolerated taint without `timeAdded` is not
 * judged (its time counts from the controller's first sight of it, which the trace does not
 * show).
 */
export function noEvictionBeforeTolerationInvariant(options: TaintEvictionOptions = {}): Invariant {
  const graceMs = options.graceMs ?? 30_000;
  return transitionInvariant(
    'noEvictionBeforeToleration',
    "The taint eviction controller never evicts a pod before its node's NoExecute taint was added plus the pod's tolerationSeconds, nor one that tolerates it forever.",
    (previous, state) => {
      const marks: { readonly change: StateChange; readonly pod: Pod }[] = [];
      const marked = new Set(previous.of<Pod>('Pod').filter(isMarked).map((p) => p.metadata.uid));
      for (const c of state.changes) {
        if (c.object.kind !== 'Pod' || c.type === 'DELETED') continue;
        const pod = c.object as Pod;
        if (!isMarked(pod) || marked.has(pod.metadata.uid)) continue;
        marked.add(pod.metadata.uid);
        marks.push({ change: c, pod });
      }
      if (marks.length === 0) return [];
      const epoch = stateNowMs(state) - state.t;
      const out: InvariantViolation[] = [];
      for (const { change, pod } of marks) {
        const nodeName = pod.spec.nodeName ?? '';
        if (nodeName === '') continue;
        const at = change.t ?? state.t;
        const history = nodeHistory(state, nodeName, at - graceMs, at);
        let allowedAt = Number.POSITIVE_INFINITY;
        // A taint without timeAdded counts from when the controller first saw it, which the
        // trace does not tell: it is not judged.
        for (const { node } of history.versions) allowedAt = Math.min(allowedAt, earliestTaintEviction(pod.spec.tolerations, node?.spec.taints, () => Number.NEGATIVE_INFINITY));
        if (epoch + at >= allowedAt) continue;
        const taints = (history.versions.at(-1)?.node?.spec.taints ?? []).filter((t) => t.effect === 'NoExecute').map((t) => `${taintKey(t)}${t.timeAdded ? ` added ${t.timeAdded}` : ''}`);
        const when = Number.isFinite(allowedAt) ? `before ${formatTime(allowedAt)}` : 'although it tolerates them forever';
        out.push({
          message: `pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName} was evicted at t=${at} ms ${when} (taints ${taints.join(', ') || 'none'}; tolerations ${JSON.stringify(pod.spec.tolerations ?? [])})`,
          objects: [refOf(pod), { kind: 'Node', name: nodeName }],
        });
      }
      return out;
    },
  );
}

/** The versions node `name` had from `from` to `to` (virtual ms), from the states' changes. */
function nodeHistory(state: ClusterState, name: string, from: number, to: number): NodeHistory {
  const states: ClusterState[] = [];
  let base: ClusterState = state;
  while (base.previous !== undefined && base.t >= from) {
    states.push(base);
    base = base.previous;
  }
  const versions: { t: number; node: Node | undefined }[] = [{ t: from, node: base.get<Node>('Node', undefined, name) }];
  for (let i = states.length - 1; i >= 0; i--) {
    for (const c of states[i]!.changes) {
      if (c.object.kind !== 'Node' || c.object.metadata.name !== name) continue;
      const t = c.t ?? states[i]!.t;
      if (t > to) return { versions };
      const node = c.type === 'DELETED' ? undefined : (c.object as Node);
      if (t < from) versions[0] = { t: from, node };
      else versions.push({ t, node });
    }
  }
  return { versions };
}

/**
 * Liveness: after settling, no active pod is bound to a node with a `NoExecute` taint it does
 * not tolerate, or whose toleration ran out (see {@link earliestTaintEviction}): the taint
 * eviction controller evicted them all. A taint without `timeAdded` is not judged (its start is
 * the controller's first sight of it).
 */
export const taintedPodsEvictedInvariant: Invariant = invariant(
  'taintedPodsEvicted',
  'After settling, no active pod is bound to a node whose NoExecute taint it does not tolerate, or tolerates no longer.',
  (state) => {
    const now = stateNowMs(state);
    const nodes = new Map(state.of<Node>('Node').map((n) => [n.metadata.name ?? '', n]));
    const out: InvariantViolation[] = [];
    for (const pod of state.of<Pod>('Pod')) {
      if (pod.metadata.deletionTimestamp !== undefined || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const node = nodes.get(pod.spec.nodeName ?? '');
      if (node === undefined) continue;
      const earliest = earliestTaintEviction(pod.spec.tolerations, node.spec.taints, () => Number.POSITIVE_INFINITY);
      if (earliest <= now) out.push({ message: `pod ${pod.metadata.namespace}/${pod.metadata.name} is still bound to node ${node.metadata.name} past its NoExecute tolerations`, objects: [refOf(pod), refOf(node)] });
    }
    return out;
  },
);

// ---------------------------------------------------------------------------------------------
// Node health: conditions, lifecycle taints and the pods of a node that is not Ready

/** The taint of a node whose Ready condition is `False` (documented in "Taint based Evictions"). */
const NOT_READY = 'node.kubernetes.io/not-ready';
/** The taint of a node whose Ready condition is `Unknown`. */
const UNREACHABLE = 'node.kubernetes.io/unreachable';
/** The conditions the node controller sets to `Unknown` when the kubelet goes silent. */
const MONITORED = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

const readyOf = (node: Node): string | undefined => node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const isLifecycle = (t: Taint) => (t.key === NOT_READY || t.key === UNREACHABLE) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute');
/** The lifecycle taint key a node with this Ready status should carry; none when `True` (or when it never posted one). */
const expectedKey = (ready: string | undefined) => (ready === 'False' ? NOT_READY : ready === 'Unknown' ? UNREACHABLE : undefined);
const zoneOf = (node: Node) => `${node.metadata.labels?.['topology.kubernetes.io/region'] ?? ''}:${node.metadata.labels?.['topology.kubernetes.io/zone'] ?? ''}`;

/** How many nodes of a zone have `Ready=True`, and how many do not (`False`, `Unknown`, or no Ready condition yet). */
interface ZoneCount {
  ready: number;
  notReady: number;
}

/** The {@link ZoneCount} of each zone (`region:zone`) of `nodes`. */
function zoneCounts(nodes: Iterable<Node>): Map<string, ZoneCount> {
  const zones = new Map<string, ZoneCount>();
  for (const node of nodes) {
    const z = zones.get(zoneOf(node)) ?? { ready: 0, notReady: 0 };
    if (readyOf(node) === 'True') z.ready++;
    else z.notReady++;
    zones.set(zoneOf(node), z);
  }
  return zones;
}

/**
 * Whether a zone is partially disrupted ("Rate limits on eviction"): some node is still Ready
 * (else the zone is fully disrupted), more than 2 are not, and they are at least
 * `unhealthyZoneThreshold` of the zone.
 */
const partiallyDisrupted = (z: ZoneCount, unhealthyZoneThreshold: number): boolean => z.ready > 0 && z.notReady > 2 && z.notReady / (z.ready + z.notReady) >= unhealthyZoneThreshold;

/** Options of the node health invariants: the controller's flags they judge against. */
export interface NodeHealthOptions {
  /** `--node-monitor-grace-period` in ms (default 50 000). */
  readonly gracePeriodMs?: number | undefined;
  /** `--node-startup-grace-period` in ms (default 60 000): the grace of a node that never posted a Ready condition. */
  readonly startupGracePeriodMs?: number | undefined;
  /** `--node-monitor-period` in ms (default 5 000): how late after the grace the controller may notice. */
  readonly monitorPeriodMs?: number | undefined;
  /** `--unhealthy-zone-threshold` (default 0.55). */
  readonly unhealthyZoneThreshold?: number | undefined;
}

/**
 * Safety: the node controller never declares a node's kubelet silent within the grace period. A
 * node condition set `Unknown` with reason `NodeStatusUnknown` keeps the kubelet's last
 * `lastHeartbeatTime` and takes the controller's time as `lastTransitionTime`; the gap between
 * the two must exceed `gracePeriodMs` (upstream: `now.After(probeTimestamp + gracePeriod)`). A
 * node that never posted a Ready condition gets its conditions with reason
 * `NodeStatusNeverUpdated`, the node's creation as heartbeat, and the startup grace
 * (`startupGracePeriodMs`) instead.
 * Both are `metav1.Time`, whole seconds (truncated): a gap of `gracePeriodMs` itself may be a
 * true gap of up to a second more, so only a gap below it is reported.
 *
 * Worked example: heartbeat at t=100 s, grace 50 s: `Unknown` stamped 149 s is early; 150 s may
 * be 150.8 s, and is not reported.
 */
export function noNodeUnknownWithinGraceInvariant(options: NodeHealthOptions = {}): Invariant {
  const monitorGraceMs = options.gracePeriodMs ?? 50_000;
  const startupGraceMs = options.startupGracePeriodMs ?? 60_000;
  return invariant(
    'noNodeUnknownWithinGrace',
    "The node controller never sets a node's conditions Unknown before the kubelet has been silent for the node monitor grace period.",
    (state) => {
      const out: InvariantViolation[] = [];
      for (const node of state.of<Node>('Node')) {
        const neverReady = node.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'NodeStatusNeverUpdated';
        const graceMs = neverReady ? startupGraceMs : monitorGraceMs;
        for (const c of node.status?.conditions ?? []) {
          if (c.status !== 'Unknown' || (c.reason !== 'NodeStatusUnknown' && c.reason !== 'NodeStatusNeverUpdated')) continue;
          const heartbeat = timeOf(c.lastHeartbeatTime);
          const transition = timeOf(c.lastTransitionTime);
          if (heartbeat === undefined || transition === undefined || transition - heartbeat >= graceMs) continue;
          out.push({ message: `node ${node.metadata.name} condition ${c.type} was set Unknown at ${c.lastTransitionTime}, ${transition - heartbeat} ms after the kubelet's last heartbeat (${c.lastHeartbeatTime}): within the ${graceMs} ms grace period`, objects: [refOf(node)] });
        }
      }
      return out;
    },
    'safety',
  );
}

/**
 * Liveness: after settling, a node whose kubelet was last heard from (the later of its Lease's
 * `renewTime` and its Ready condition's `lastHeartbeatTime`) more than `gracePeriodMs` plus a
 * `monitorPeriodMs` ago has its `Ready`, `MemoryPressure`, `DiskPressure` and `PIDPressure`
 * conditions `Unknown`; so has a node never heard from (no Lease, no Ready condition) created
 * more than `startupGracePeriodMs` plus a `monitorPeriodMs` ago.
 */
export function silentNodesUnknownInvariant(options: NodeHealthOptions = {}): Invariant {
  const lateMs = (options.gracePeriodMs ?? 50_000) + (options.monitorPeriodMs ?? 5_000);
  const startupLateMs = (options.startupGracePeriodMs ?? 60_000) + (options.monitorPeriodMs ?? 5_000);
  return invariant('silentNodesUnknown', "After settling, every node whose kubelet has been silent past the node monitor grace period has its Ready and pressure conditions Unknown.", (state) => {
    const now = stateNowMs(state);
    const leases = new Map(state.of<Lease>('Lease').filter((l) => l.metadata.namespace === NODE_LEASE_NAMESPACE).map((l) => [l.metadata.name ?? '', l]));
    const out: InvariantViolation[] = [];
    for (const node of state.of<Node>('Node')) {
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      const heartbeat = Math.max(timeOf(leases.get(node.metadata.name ?? '')?.spec.renewTime) ?? Number.NEGATIVE_INFINITY, timeOf(ready?.lastHeartbeatTime) ?? Number.NEGATIVE_INFINITY);
      const heard = Number.isFinite(heartbeat) ? heartbeat : (timeOf(node.metadata.creationTimestamp) ?? Number.POSITIVE_INFINITY);
      if (now <= heard + (Number.isFinite(heartbeat) ? lateMs : startupLateMs)) continue;
      const known = MONITORED.filter((type) => node.status?.conditions?.find((c) => c.type === type)?.status !== 'Unknown');
      if (known.length > 0) out.push({ message: `node ${node.metadata.name} was last heard from (or created) at ${formatTime(heard)}, ${now - heard} ms ago, but its ${known.join(', ')} condition(s) are not Unknown`, objects: [refOf(node)] });
    }
    return out;
  });
}

/**
 * Liveness: after settling, every node carries the lifecycle taints its Ready condition calls
 * for ("Taint based Evictions"): `Ready=False` → `node.kubernetes.io/not-ready`,
 * `Ready=Unknown` → `node.kubernetes.io/unreachable`, each with effect `NoSchedule`, and with
 * effect `NoExecute` too, except that a zone in partial disruption (more than 2 nodes not Ready,
 * at least `unhealthyZoneThreshold` of it, some Ready) is not judged for `NoExecute` (see
 * {@link partialDisruptionTaintingInvariant}), and when every zone is
 * fully disrupted (no node Ready anywhere) no node carries a lifecycle `NoExecute` taint
 * (upstream's "master disruption" mode: the control plane is assumed cut off, not the nodes). A
 * `Ready=True` node carries neither key; no node carries the other key's taints.
 */
export function lifecycleTaintsFollowReadyInvariant(options: NodeHealthOptions = {}): Invariant {
  const threshold = options.unhealthyZoneThreshold ?? 0.55;
  return invariant('lifecycleTaintsFollowReady', "After settling, each node carries the not-ready or unreachable taints its Ready condition calls for, and a Ready node none.", (state) => {
    const nodes = state.of<Node>('Node');
    const zones = zoneCounts(nodes);
    const allFullyDisrupted = zones.size > 0 && [...zones.values()].every((z) => z.ready === 0);
    const out: InvariantViolation[] = [];
    for (const node of nodes) {
      const ready = readyOf(node);
      const key = expectedKey(ready);
      const taints = node.spec.taints ?? [];
      const has = (effect: string) => taints.some((t) => t.key === key && t.effect === effect);
      const problems: string[] = [];
      for (const t of taints) if (isLifecycle(t) && t.key !== key) problems.push(`carries ${t.key}:${t.effect}`);
      const z = zones.get(zoneOf(node))!;
      const partial = partiallyDisrupted(z, threshold);
      if (key !== undefined && !has('NoSchedule')) problems.push(`lacks ${key}:NoSchedule`);
      if (key !== undefined && allFullyDisrupted && has('NoExecute')) problems.push(`carries ${key}:NoExecute although every zone is fully disrupted`);
      if (key !== undefined && !allFullyDisrupted && !partial && !has('NoExecute')) problems.push(`lacks ${key}:NoExecute`);
      if (problems.length > 0) out.push({ message: `node ${node.metadata.name} (Ready ${ready ?? 'absent'}) ${problems.join(', ')}`, objects: [refOf(node)] });
    }
    return out;
  });
}

/**
 * Every update of a Node between `previous` and `state`, in order, as the version before and the
 * version after. Two registrations of a node (another uid) are two nodes: no update.
 */
function nodeUpdates(previous: ClusterState, state: ClusterState): [Node, Node][] {
  const last = new Map(previous.of<Node>('Node').map((n) => [n.metadata.name ?? '', n]));
  const out: [Node, Node][] = [];
  for (const c of state.changes) {
    if (c.object.kind !== 'Node') continue;
    const name = c.object.metadata.name ?? '';
    const before = last.get(name);
    const node = c.type === 'DELETED' ? undefined : (c.object as Node);
    if (before !== undefined && node !== undefined && before.metadata.uid === node.metadata.uid) out.push([before, node]);
    if (node === undefined) last.delete(name);
    else last.set(name, node);
  }
  return out;
}

/**
 * Transition (safety): a lifecycle taint keeps its `timeAdded` while the node carries it. Its
 * `timeAdded` is when the node became not Ready or unreachable, which `tolerationSeconds` count
 * from: a controller that restamped it would postpone every eviction.
 */
export const lifecycleTaintTimeAddedKeptInvariant: Invariant = transitionInvariant(
  'lifecycleTaintTimeAddedKept',
  'A not-ready or unreachable taint keeps its timeAdded for as long as the node carries it.',
  (previous, state) => {
    const out: InvariantViolation[] = [];
    for (const [before, node] of nodeUpdates(previous, state)) {
      const name = node.metadata.name ?? '';
      for (const t of node.spec.taints ?? []) {
        if (!isLifecycle(t)) continue;
        const was = (before.spec.taints ?? []).find((b) => b.key === t.key && b.effect === t.effect);
        if (was !== undefined && was.timeAdded !== t.timeAdded) out.push({ message: `node ${name}'s taint ${t.key}:${t.effect} had timeAdded ${was.timeAdded ?? 'none'} and now ${t.timeAdded ?? 'none'}`, objects: [refOf(node)] });
      }
    }
    return out;
  },
);

/** Options of {@link readyChangesActedOnInvariant}. */
export interface PromptnessOptions {
  /** How long (virtual ms, default 15 000: a 5 s monitor period, and slack) the controller has to act on a Ready change. */
  readonly withinMs?: number | undefined;
}

/**
 * Safety (timed): within `withinMs` of a node's Ready condition changing, the node controller
 * has acted on it (upstream's `doNoScheduleTaintingPass` runs on every node change, and
 * `MarkPodsNotReady` on every monitor pass): a node `Ready=False` or `Unknown` since longer
 * carries the `not-ready` / `unreachable` `NoSchedule` taint (never rate limited), a `Ready`
 * one carries no lifecycle taint, and no pod on a node that is not Ready is `Ready`. The change
 * is read from the Ready condition's `lastTransitionTime`, whole seconds. Holds while the
 * controller runs and is not slowed down: a suite with crashes or write latency does not name
 * it; {@link lifecycleTaintsFollowReadyInvariant} and {@link podsOnUnreadyNodesNotReadyInvariant}
 * state the eventual outcome.
 */
export function readyChangesActedOnInvariant(options: PromptnessOptions = {}): Invariant {
  const withinMs = options.withinMs ?? 15_000;
  return invariant(
    'readyChangesActedOn',
    "Within a monitor period or two of a node's Ready condition changing, its NoSchedule lifecycle taint follows it and its pods are not Ready while it is not.",
    (state) => {
      const now = stateNowMs(state);
      const out: InvariantViolation[] = [];
      const unready = new Set<string>();
      for (const node of state.of<Node>('Node')) {
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
        const since = timeOf(ready?.lastTransitionTime);
        if (ready === undefined || since === undefined || now - since < withinMs) continue;
        const key = expectedKey(ready.status);
        const taints = node.spec.taints ?? [];
        const problems: string[] = [];
        if (key !== undefined && !taints.some((t) => t.key === key && t.effect === 'NoSchedule')) problems.push(`lacks ${key}:NoSchedule`);
        for (const t of taints) if (isLifecycle(t) && t.key !== key) problems.push(`carries ${t.key}:${t.effect}`);
        if (problems.length > 0) out.push({ message: `node ${node.metadata.name} has been Ready=${ready.status} since ${ready.lastTransitionTime}, ${now - since} ms, and ${problems.join(', ')}`, objects: [refOf(node)] });
        if (key !== undefined) unready.add(node.metadata.name ?? '');
      }
      for (const pod of state.of<Pod>('Pod')) {
        if (!unready.has(pod.spec.nodeName ?? '')) continue;
        if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) out.push({ message: `pod ${pod.metadata.namespace}/${pod.metadata.name} is still Ready on node ${pod.spec.nodeName}, not Ready for over ${withinMs} ms`, objects: [refOf(pod), { kind: 'Node', name: pod.spec.nodeName ?? '' }] });
      }
      return out;
    },
    'safety',
  );
}

/**
 * Transition (safety): the node controller's taint writes touch only its own taints. A Node
 * update that adds, removes or changes a `not-ready` or `unreachable` taint leaves every other
 * taint (a user's `NoExecute` maintenance taint, say) as it was. Sound where nobody else
 * writes a lifecycle taint and another taint in one update (a person editing both at once):
 * suites with such an actor do not name it.
 */
export const lifecycleTaintWritesKeepOtherTaintsInvariant: Invariant = transitionInvariant(
  'lifecycleTaintWritesKeepOtherTaints',
  'An update that changes the not-ready or unreachable taints of a node leaves its other taints as they were.',
  (previous, state) => {
    const text = (taints: readonly Taint[]) => JSON.stringify(taints.map((t) => [t.key, t.value ?? '', t.effect, t.timeAdded ?? '']).sort());
    const out: InvariantViolation[] = [];
    for (const [before, node] of nodeUpdates(previous, state)) {
      const [was, now] = [before.spec.taints ?? [], node.spec.taints ?? []];
      const others = [text(was.filter((t) => !isLifecycle(t))), text(now.filter((t) => !isLifecycle(t)))];
      if (text(was.filter(isLifecycle)) !== text(now.filter(isLifecycle)) && others[0] !== others[1]) {
        out.push({ message: `an update of node ${node.metadata.name ?? ''} changed its lifecycle taints and its other taints too: ${others[0]} became ${others[1]}`, objects: [refOf(node)] });
      }
    }
    return out;
  },
);

/** Options of {@link noExecuteTaintRateInvariant}. */
export interface TaintingRateOptions {
  /** `--node-eviction-rate`, nodes per second per zone (default 0.1: one node every 10 s). */
  readonly nodeEvictionRate?: number | undefined;
}

/**
 * The nodes of `state`'s changes that got a first lifecycle `NoExecute` taint (none before),
 * with the time of the change; a `not-ready` swapped for `unreachable` is not a first one.
 */
function firstNoExecuteTaints(state: ClusterState): { readonly node: Node; readonly t: number }[] {
  const hasNoExecute = (node: Node | undefined) => (node?.spec.taints ?? []).some((t) => isLifecycle(t) && t.effect === 'NoExecute');
  const last = new Map<string, Node | undefined>();
  const out: { node: Node; t: number }[] = [];
  for (const c of state.changes) {
    if (c.object.kind !== 'Node') continue;
    const name = c.object.metadata.name ?? '';
    const before = last.has(name) ? last.get(name) : state.previous?.get<Node>('Node', undefined, name);
    const node = c.type === 'DELETED' ? undefined : (c.object as Node);
    if (node !== undefined && hasNoExecute(node) && !hasNoExecute(before)) out.push({ node, t: c.t ?? state.t });
    last.set(name, node);
  }
  return out;
}

/**
 * Transition (safety): the node controller taints the nodes of a zone `NoExecute` at most
 * `nodeEvictionRate` nodes a second (`--node-eviction-rate`, "Rate limits on eviction"): two
 * nodes of one zone (`topology.kubernetes.io/region` and `zone` labels) get their first
 * lifecycle `NoExecute` taint at least `1 / nodeEvictionRate` seconds apart. Holds while the
 * controller runs: a restarted one starts with a full bucket, as upstream's, so a suite with
 * crashes does not name it.
 *
 * Worked example at 0.1: node-2 tainted at t=60 s, node-3 of the same zone at t=65 s is too
 * early; at t=70 s it is not.
 */
export function noExecuteTaintRateInvariant(options: TaintingRateOptions = {}): Invariant {
  const intervalMs = 1000 / (options.nodeEvictionRate ?? 0.1);
  return transitionInvariant(
    'noExecuteTaintRate',
    'The node controller gives the nodes of a zone their first NoExecute taint no faster than the node eviction rate.',
    (_previous, state) => {
      const added = firstNoExecuteTaints(state);
      if (added.length === 0) return [];
      // Earlier ones, from the states of the last interval.
      const earlier: { readonly node: Node; readonly t: number }[] = [];
      for (let s = state.previous; s !== undefined && s.t >= added[0]!.t - intervalMs - 1; s = s.previous) earlier.push(...firstNoExecuteTaints(s));
      const out: InvariantViolation[] = [];
      for (const [i, a] of added.entries()) {
        for (const b of [...earlier, ...added.slice(0, i)]) {
          // A millisecond of slack: a write lands a fraction of a ms after the pass that made it.
          if (zoneOf(b.node) !== zoneOf(a.node) || a.t - b.t >= intervalMs - 1) continue;
          out.push({ message: `nodes ${b.node.metadata.name} and ${a.node.metadata.name} of zone "${zoneOf(a.node)}" got their first NoExecute taint ${a.t - b.t} ms apart, less than ${intervalMs} ms`, objects: [refOf(b.node), refOf(a.node)] });
        }
      }
      return out;
    },
  );
}

/** Options of {@link partialDisruptionTaintingInvariant}: the controller's flags it judges against. */
export interface PartialDisruptionOptions {
  /** `--secondary-node-eviction-rate`, nodes per second in a large partially disrupted zone (default 0.01). */
  readonly secondaryNodeEvictionRate?: number | undefined;
  /** `--large-cluster-size-threshold` (default 50): a partially disrupted zone of at most this many nodes gets no `NoExecute` taint. */
  readonly largeClusterSizeThreshold?: number | undefined;
  /** `--unhealthy-zone-threshold` (default 0.55). */
  readonly unhealthyZoneThreshold?: number | undefined;
}

/**
 * Transition (safety): while a zone is partially disrupted, the node controller slows its
 * `NoExecute` tainting down ("Rate limits on eviction": when at least
 * `--unhealthy-zone-threshold` of a zone's nodes, and more than 2, are not Ready, a zone of at
 * most `--large-cluster-size-threshold` nodes gets no new `NoExecute` taint, a larger one at
 * most `--secondary-node-eviction-rate` nodes a second). A node's first lifecycle `NoExecute`
 * taint is judged when its zone, in the store, was partially disrupted before the taint's
 * instant, or became so at that instant by a node set `Unknown` (which only the node controller
 * writes, in the same pass that decides the taints: upstream updates every node's health, then
 * sets each zone's rate, then taints). In a small zone such a taint is a violation; in a large
 * one, so is another first taint of the zone less than `1 / secondaryNodeEvictionRate` seconds
 * earlier while the zone stayed partially disrupted (upstream swaps in a fresh rate limiter when
 * a zone's state changes, so only taints within one disrupted spell are compared). A zone whose
 * nodes are all not Ready is fully disrupted, not partially, and tainted at the normal rate.
 * Holds while the controller runs with caches that keep up: a suite with crashes or lagging
 * caches does not name it.
 *
 * Worked example, defaults: zone-b has node-2, node-3 and two nodes that never posted status;
 * node-2 has been silent past the grace period, so 3 of 4 nodes are not Ready (75% ≥ 55%) and
 * node-3 still is. node-2 must not get `unreachable:NoExecute` (4 ≤ 50 nodes). Once node-3 goes
 * silent too, the zone is fully disrupted and node-2, node-3 are tainted 10 s apart.
 */
export function partialDisruptionTaintingInvariant(options: PartialDisruptionOptions = {}): Invariant {
  const threshold = options.unhealthyZoneThreshold ?? 0.55;
  const large = options.largeClusterSizeThreshold ?? 50;
  const intervalMs = 1000 / (options.secondaryNodeEvictionRate ?? 0.01);
  const hasNoExecute = (node: Node | undefined) => (node?.spec.taints ?? []).some((t) => isLifecycle(t) && t.effect === 'NoExecute');
  return transitionInvariant(
    'partialDisruptionTainting',
    'While a zone is partially disrupted, the node controller gives no new NoExecute taint in a small zone, and in a large one no faster than the secondary eviction rate.',
    (_previous, state) => {
      const tainted = state.changes.filter((c) => c.object.kind === 'Node' && c.type !== 'DELETED' && hasNoExecute(c.object as Node));
      if (tainted.length === 0) return [];
      // The states back to before the window the earliest taint may be judged over, oldest first.
      const from = (tainted[0]!.t ?? state.t) - intervalMs - 1;
      const chain: ClusterState[] = [state];
      while (chain[0]!.previous !== undefined && chain[0]!.t >= from) chain.unshift(chain[0]!.previous!);
      const base = chain.shift()!;
      // Replay every node change since `base` in order, tracking each zone's disrupted spell.
      const nodes = new Map(base.of<Node>('Node').map((n) => [n.metadata.name ?? '', n]));
      const zoneState = (zone: string) => {
        const z = zoneCounts([...nodes.values()].filter((n) => zoneOf(n) === zone)).get(zone) ?? { ready: 0, notReady: 0 };
        return { partial: partiallyDisrupted(z, threshold), size: z.ready + z.notReady, notReady: z.notReady };
      };
      /**
       * Per zone: since when it has been partially disrupted (at the latest: the base's time if
       * it was then), whether a node set `Unknown` made it so, and its first taints since.
       */
      const spells = new Map<string, { readonly since: number; readonly byUnknown: boolean; readonly taints: { readonly node: string; readonly t: number }[] }>();
      for (const zone of new Set([...nodes.values()].map(zoneOf))) if (zoneState(zone).partial) spells.set(zone, { since: base.t, byUnknown: false, taints: [] });
      const out: InvariantViolation[] = [];
      for (const s of chain) {
        for (const c of s.changes) {
          if (c.object.kind !== 'Node') continue;
          const name = c.object.metadata.name ?? '';
          const before = nodes.get(name);
          const node = c.type === 'DELETED' ? undefined : (c.object as Node);
          const t = c.t ?? s.t;
          const zone = zoneOf(node ?? (c.object as Node));
          const spell = spells.get(zone);
          if (node !== undefined && hasNoExecute(node) && !hasNoExecute(before) && spell !== undefined) {
            const { size, notReady } = zoneState(zone);
            const judged = s === state && (spell.since < t || spell.byUnknown);
            if (judged && size <= large) {
              out.push({ message: `node ${name} got a first NoExecute taint at t=${t} ms while its zone "${zone}" of ${size} nodes (at most ${large}) was partially disrupted (${notReady} not Ready)`, objects: [refOf(node)] });
            } else if (judged) {
              // A millisecond of slack: a write lands a fraction of a ms after the pass that made it.
              const early = spell.taints.find((e) => t - e.t < intervalMs - 1);
              if (early !== undefined) out.push({ message: `nodes ${early.node} and ${name} of the partially disrupted zone "${zone}" (${size} nodes) got their first NoExecute taint ${t - early.t} ms apart, less than ${intervalMs} ms`, objects: [{ kind: 'Node', name: early.node }, refOf(node)] });
            }
            spell.taints.push({ node: name, t });
          }
          if (node === undefined) nodes.delete(name);
          else nodes.set(name, node);
          const byUnknown = node !== undefined && readyOf(node) === 'Unknown' && (before === undefined || readyOf(before) !== 'Unknown');
          // A node relabelled into another zone leaves its old one too.
          for (const z of new Set([zone, ...(before !== undefined ? [zoneOf(before)] : [])])) {
            const partial = zoneState(z).partial;
            if (partial && !spells.has(z)) spells.set(z, { since: t, byUnknown, taints: [] });
            else if (!partial) spells.delete(z);
          }
        }
      }
      return out;
    },
  );
}

/**
 * Liveness: after settling, no pod bound to a node whose Ready condition is `False` or
 * `Unknown` is `Ready` (upstream `MarkPodsNotReady`: the kubelet cannot report on them, so the
 * node controller sets their `Ready` condition `False`, taking them out of Services' endpoints).
 */
export const podsOnUnreadyNodesNotReadyInvariant: Invariant = invariant(
  'podsOnUnreadyNodesNotReady',
  'After settling, no pod on a node whose Ready condition is False or Unknown has Ready=True.',
  (state) => {
    const unready = new Set(state.of<Node>('Node').filter((n) => readyOf(n) === 'False' || readyOf(n) === 'Unknown').map((n) => n.metadata.name ?? ''));
    const out: InvariantViolation[] = [];
    for (const pod of state.of<Pod>('Pod')) {
      if (!unready.has(pod.spec.nodeName ?? '')) continue;
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) out.push({ message: `pod ${pod.metadata.namespace}/${pod.metadata.name} is Ready on node ${pod.spec.nodeName}, whose Ready condition is not True`, objects: [refOf(pod), { kind: 'Node', name: pod.spec.nodeName ?? '' }] });
    }
    return out;
  },
);

/**
 * The invariants the node lifecycle plugin registers, judged against its own flags: the
 * safety ones ({@link noEvictionBeforeTolerationInvariant} with its default window,
 * {@link noNodeUnknownWithinGraceInvariant} with the plugin's grace period,
 * {@link lifecycleTaintTimeAddedKeptInvariant}). The liveness ones
 * ({@link taintedPodsEvictedInvariant}, {@link silentNodesUnknownInvariant},
 * {@link lifecycleTaintsFollowReadyInvariant}, {@link podsOnUnreadyNodesNotReadyInvariant}) are
 * for suites that settle long enough to name: a suite that settles within the grace period of a
 * kubelet it stopped, or within a pod's tolerationSeconds, sees them not hold yet, rightly.
 */
export function nodeLifecycleInvariants(options: NodeHealthOptions = {}): readonly Invariant[] {
  return [noEvictionBeforeTolerationInvariant(), noNodeUnknownWithinGraceInvariant(options), lifecycleTaintTimeAddedKeptInvariant];
}
