/**
 * The order a ReplicaSet (or ReplicationController) deletes its pods in when it scales down,
 * as an invariant over the trace: {@link scaleDownDeletesLowestRankedInvariant}.
 *
 * The ranking is upstream's `ActivePodsWithRanks` (`pkg/controller/controller_utils.go`, with
 * the default `PodDeletionCost` and `LogarithmicScaleDown` features), stated again here from
 * upstream's source rather than taken from the controller's `ranking.ts`, so that a bug in the
 * controller's ranking is a disagreement this invariant sees.
 *
 * @module
 */
import { controllerRef, matchesLabelSelector, parseTime, refOf, selectorFromSet, stateNowMs, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Event, Invariant, InvariantViolation, KubeObject, LabelSelector, Pod, StateChange } from '@kubeloop/core';

/** Options of {@link scaleDownDeletesLowestRankedInvariant}. */
export interface ScaleDownOrderOptions {
  /**
   * How stale (virtual ms, default 30 000) the pod cache a deletion was decided on may be: the
   * ranking is judged on every state the store went through in this window before the
   * deletion (an informer backing off before a relist lags up to 30 s), and a deletion is
   * wrong only if it was wrong on each of them. A pod whose watch events the state says were
   * lost may be held at an older version still (see the invariant).
   */
  readonly graceMs?: number | undefined;
  /**
   * How long (virtual ms, default 1 000) after a deletion the owner's other deletions still
   * belong to the same batch: a pod counts as kept only if it is still active and controlled
   * by the owner this long after the deletion.
   */
  readonly batchMs?: number | undefined;
}

const OWNER_KINDS = new Set(['ReplicaSet', 'ReplicationController']);
const DELETED_POD = /Deleted pod: (\S+)$/;

/** How two pods compare for keeping: `better` when the first should be kept over the second. */
type Order = 'better' | 'worse' | 'tie' | 'unknown';

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function controllerUidOf(o: KubeObject): string | undefined {
  const ref = o.metadata.ownerReferences?.find((r) => r.controller === true);
  return ref?.uid;
}

/** Upstream `IsPodActive`: not Succeeded, not Failed, not being deleted. */
function isActive(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp === undefined && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Upstream `podutil.IsPodReady`: the Ready condition is True. */
function isReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Upstream `podReadyTime`: the Ready condition's transition time of a ready pod, else none. */
function readyTime(pod: Pod): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return undefined;
  const t = typeof c.lastTransitionTime === 'string' ? parseTime(c.lastTransitionTime) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
}

function creationTime(pod: Pod): number | undefined {
  const t = pod.metadata.creationTimestamp === undefined ? Number.NaN : parseTime(pod.metadata.creationTimestamp);
  return Number.isNaN(t) ? undefined : t;
}

/** Upstream `podPhaseToOrdinal`: Pending 0, Unknown 1, Running 2 (any other phase 0). */
function phaseOrdinal(pod: Pod): number {
  const phase = pod.status?.phase;
  return phase === 'Running' ? 2 : phase === 'Unknown' ? 1 : 0;
}

/** Upstream `GetDeletionCostFromPodAnnotations`, errors as 0 (as `Less` ignores them). */
function deletionCost(pod: Pod): number {
  const text = pod.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost']?.trim();
  if (text === undefined || !/^[-+]?\d+$/.test(text)) return 0;
  const n = Number(text);
  return n >= -2_147_483_648 && n <= 2_147_483_647 ? n : 0;
}

/** Upstream `maxContainerRestarts`: the most restarts of a regular container, then of a sidecar. */
function restarts(pod: Pod): [number, number] {
  const regular = Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
  const sidecars = new Set((pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const sidecar = Math.max(0, ...(pod.status?.initContainerStatuses ?? []).filter((s) => sidecars.has(s.name)).map((s) => s.restartCount ?? 0));
  return [regular, sidecar];
}

/**
 * Whether upstream's `logarithmicRankDiff` (⌊log₂⌋ of the nanoseconds since each time, −1 for a
 * time not in the past) may be 0 for the times `older` < `newer` at some `now` in
 * [`nowLo`, `nowHi`] (ms). When it may, upstream breaks the tie by uid, which this invariant
 * does not judge; when it may not, the older time ranks higher at every such `now`.
 */
function logRanksMayTie(older: number, newer: number, nowLo: number, nowHi: number): boolean {
  if (nowLo <= older) return true; // both not in the past: both −1
  const gap = (newer - older) * 1e6;
  const lo = (nowLo - newer) * 1e6;
  const hi = (nowHi - newer) * 1e6;
  if (hi <= 0) return false; // newer −1, older ≥ 0
  for (let k = 0, p = 1; k < 80; k++, p *= 2) {
    // ⌊log₂ d⌋ = ⌊log₂ (d + gap)⌋ = k  ⇔  p ≤ d and d + gap < 2p.
    const from = Math.max(p, lo);
    const to = Math.min(2 * p - gap, hi);
    if (from <= to) return true;
  }
  return false;
}

/** Compares two times on upstream's log scale, a missing one first (`afterOrZero`). */
function compareTimes(a: number | undefined, b: number | undefined, nowLo: number, nowHi: number): Order {
  if (a === b) return 'tie';
  if (a === undefined) return 'worse';
  if (b === undefined) return 'better';
  const older = Math.min(a, b);
  if (logRanksMayTie(older, Math.max(a, b), nowLo, nowHi)) return 'unknown';
  return a === older ? 'better' : 'worse';
}

const byNumber = (a: number, b: number, higherIsBetter: boolean): Order => (a === b ? 'tie' : a > b === higherIsBetter ? 'better' : 'worse');

/**
 * How pod `a` (with `rankA` related active pods on its node) compares with pod `b` for keeping,
 * by upstream's `ActivePodsWithRanks.Less` read backwards (the pod upstream deletes first is
 * the `worse` one), first difference wins:
 *
 * 1. assigned over unassigned; 2. Running over Unknown over Pending; 3. ready over not ready;
 * 4. higher `controller.kubernetes.io/pod-deletion-cost`; 5. fewer related pods on its node;
 * 6. of two ready pods, ready for longer (log₂ scale); 7. fewer restarts (regular containers,
 * then sidecars); 8. older (log₂ scale).
 *
 * `unknown` when upstream would break a tie of the log scale by uid (an arbitrary order this
 * invariant does not hold a controller to); `tie` when every key is equal.
 */
function compareForKeeping(a: Pod, rankA: number, b: Pod, rankB: number, nowLo: number, nowHi: number): Order {
  const assignedA = (a.spec.nodeName ?? '') !== '';
  const assignedB = (b.spec.nodeName ?? '') !== '';
  if (a.spec.nodeName !== b.spec.nodeName && assignedA !== assignedB) return assignedA ? 'better' : 'worse';
  const steps: (() => Order)[] = [
    () => byNumber(phaseOrdinal(a), phaseOrdinal(b), true),
    () => byNumber(isReady(a) ? 1 : 0, isReady(b) ? 1 : 0, true),
    () => byNumber(deletionCost(a), deletionCost(b), true),
    () => byNumber(rankA, rankB, false),
    () => (isReady(a) && isReady(b) ? compareTimes(readyTime(a), readyTime(b), nowLo, nowHi) : 'tie'),
    () => byNumber(restarts(a)[0], restarts(b)[0], false),
    () => byNumber(restarts(a)[1], restarts(b)[1], false),
    () => compareTimes(creationTime(a), creationTime(b), nowLo, nowHi),
  ];
  for (const step of steps) {
    const order = step();
    if (order !== 'tie') return order;
  }
  return 'tie';
}

type Owner = KubeObject & { readonly spec?: { readonly selector?: LabelSelector | Readonly<Record<string, string>> } };

function selects(owner: Owner, pod: Pod): boolean {
  const selector = owner.spec?.selector;
  if (owner.kind === 'ReplicationController') return selectorFromSet(selector as Readonly<Record<string, string>> | undefined).matches(pod.metadata.labels);
  return matchesLabelSelector(selector as LabelSelector | undefined, pod.metadata.labels);
}

/** The objects of one moment of the replay: pods and owners by key. */
interface Moment {
  readonly pods: Map<string, Pod>;
  readonly owners: Map<string, Owner>;
}

/**
 * Related active pods on each node (upstream `getPodsRankedByRelatedPodsOnSameNode` over
 * `getIndirectlyRelatedPods`): the pods selected by any owner with the same controller as
 * `owner`. For an owner without a controller upstream has no related pods (every rank 0) and
 * kubeloop ranks against the owner's own pods (a documented deviation): both are returned.
 */
function ranksOf(moment: Moment, owner: Owner): readonly ((pod: Pod) => number)[] {
  const count = (pods: Iterable<Pod>) => {
    const perNode = new Map<string, number>();
    for (const p of pods) if (isActive(p)) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
    return (pod: Pod) => perNode.get(pod.spec.nodeName ?? '') ?? 0;
  };
  const parent = controllerRef(owner);
  if (parent === undefined) {
    const own = [...moment.pods.values()].filter((p) => controllerUidOf(p) === owner.metadata.uid);
    return [() => 0, count(own)];
  }
  const siblings = [...moment.owners.values()].filter((o) => o.kind === owner.kind && o.metadata.namespace === owner.metadata.namespace && controllerRef(o)?.uid === parent.uid);
  const related = [...moment.pods.values()].filter((p) => p.metadata.namespace === owner.metadata.namespace && siblings.some((s) => selects(s, p)));
  return [count(related)];
}

function apply(moment: Moment, change: StateChange): void {
  const o = change.object;
  const map = o.kind === 'Pod' ? (moment.pods as Map<string, KubeObject>) : OWNER_KINDS.has(o.kind) ? (moment.owners as Map<string, KubeObject>) : undefined;
  if (map === undefined) return;
  const key = `${o.kind}/${keyOf(o)}`;
  if (change.type === 'DELETED') map.delete(key);
  else map.set(key, o);
}

/** One deletion the owner's `SuccessfulDelete` event claims. */
interface Claimed {
  readonly ownerUid: string;
  readonly podKey: string;
  readonly eventAt: number;
  readonly event: Event;
}

/**
 * The pod, event and owner changes of the states from `bound` up to `state`, in trace order,
 * and the state before them (`base`), whose objects they apply to.
 */
function changesSince(state: ClusterState, bound: number): { base: ClusterState; changes: StateChange[] } {
  const states: ClusterState[] = [];
  let base: ClusterState = state;
  while (base.previous !== undefined && base.t >= bound) {
    states.push(base);
    base = base.previous;
  }
  const changes: StateChange[] = [];
  for (let i = states.length - 1; i >= 0; i--) {
    for (const c of states[i]!.changes) if (c.object.kind === 'Pod' || c.object.kind === 'Event' || OWNER_KINDS.has(c.object.kind)) changes.push(c);
  }
  return { base, changes };
}

function claimedDeletion(change: StateChange, before: Event | undefined): Claimed | undefined {
  const event = change.object as Event;
  if (change.type === 'DELETED' || event.reason !== 'SuccessfulDelete' || !OWNER_KINDS.has(event.involvedObject.kind ?? '')) return undefined;
  // A new Event, or an aggregated one whose message now names another pod.
  if (change.type === 'MODIFIED' && before?.message === event.message) return undefined;
  const name = DELETED_POD.exec(event.message ?? '')?.[1];
  const ownerUid = event.involvedObject.uid;
  if (name === undefined || ownerUid === undefined) return undefined;
  return { ownerUid, podKey: `Pod/${event.involvedObject.namespace ?? ''}/${name}`, eventAt: change.t ?? 0, event };
}

/**
 * Transition (safety): when a ReplicaSet or ReplicationController scales down, it never
 * deletes a pod that ranks better, by upstream's deletion order (see the module), than a pod
 * it keeps.
 *
 * Who deleted: a deletion is the owner's when the owner's `SuccessfulDelete` event (`Deleted
 * pod: <name>`, what `kubectl describe` shows) claims it; the test's own deletions, evictions
 * and the garbage collector's are never judged. Events are best effort (upstream's spam
 * filter and a crash between the delete and its event lose some), so a few deletions go
 * unjudged, never a wrong one judged.
 *
 * Stale caches: the controller decided on its pod cache, which may lag the store. The deletion
 * of pod V at time t is wrong only if, on every state the store went through from
 * max(t − `graceMs`, the owner's last pod creation before t) until t (a controller syncs again
 * only once it saw its own creations: upstream's expectations), V was active and some kept pod
 * K (active and controlled by the owner then, and still `batchMs` after t) ranked strictly
 * below V; and, since a watch may lose MODIFIED events (a cache then holds each pod at some
 * older version, whatever it holds of the others, even from before the owner's last creation),
 * also only if one such K ranked below V for every pair of versions the two had from t −
 * `graceMs` until t. A lost event is repaired only by a later event of the pod or a relist, so
 * a pod unchanged since may stay at its older version in the cache beyond any window (a pod on
 * a node that went down); for the pods whose events the state says were lost
 * (`ClusterState.lostWatchEvents`), the pairs also take the versions from before the window
 * that every later event of which up to the window was lost. Ties of upstream's log scale, broken by uid upstream, are not judged (at
 * any clock reading from that state, or `batchMs` before the deletion, on). A deletion is
 * judged once `batchMs` have passed after its event, so the last milliseconds of a run go
 * unjudged.
 */
export function scaleDownDeletesLowestRankedInvariant(options: ScaleDownOrderOptions = {}): Invariant {
  const graceMs = options.graceMs ?? 30_000;
  const batchMs = options.batchMs ?? 1_000;
  return transitionInvariant(
    'scaleDownDeletesLowestRanked',
    'A ReplicaSet or ReplicationController scaling down never deletes a pod that ranks better, by upstream’s deletion order, than a pod it keeps.',
    (previous, state) => {
      const from = previous.t - batchMs;
      const to = state.t - batchMs;
      if (to <= from) return [];
      // The changes since well before the first deletion that may be judged, in order, over
      // the objects of the state before them.
      const { base, changes } = changesSince(state, from - graceMs - batchMs);
      const events = new Map<string, Event>();
      const claims: Claimed[] = [];
      for (const c of changes) {
        if (c.object.kind !== 'Event') continue;
        const claim = claimedDeletion(c, events.get(keyOf(c.object)));
        if (c.type === 'DELETED') events.delete(keyOf(c.object));
        else events.set(keyOf(c.object), c.object as Event);
        if (claim !== undefined && claim.eventAt > from && claim.eventAt <= to) claims.push(claim);
      }
      if (claims.length === 0) return [];
      const initial = (): Moment => ({
        pods: new Map(base.of<Pod>('Pod').map((p) => [`Pod/${keyOf(p)}`, p])),
        owners: new Map([...OWNER_KINDS].flatMap((k) => base.of<Owner>(k).map((o) => [`${k}/${keyOf(o)}`, o] as const))),
      });
      const out: InvariantViolation[] = [];
      for (const claim of claims) {
        const violation = judge(claim, initial, changes, graceMs, batchMs, stateNowMs(state) - state.t, { base, lost: state.lostWatchEvents });
        if (violation !== undefined) out.push(violation);
      }
      return out;
    },
  );
}

/** The watch events faults lost (`ClusterState.lostWatchEvents`), and the state before `changes`, whose chain holds the older versions. */
interface LostEvents {
  readonly base: ClusterState;
  readonly lost: ReadonlyMap<string, ReadonlySet<string>> | undefined;
}

/** Judges one claimed deletion; see {@link scaleDownDeletesLowestRankedInvariant}. */
function judge(claim: Claimed, initial: () => Moment, changes: readonly StateChange[], graceMs: number, batchMs: number, epoch: number, lostEvents: LostEvents): InvariantViolation | undefined {
  // Pass 1: when the pod was deleted (its last deletion before the event), the owner's last
  // creation before that, and the pods still kept batchMs after.
  const moment = initial();
  let deletedAt: number | undefined;
  let deletionIndex = -1;
  let victim: Pod | undefined;
  let lastCreation = -1;
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const t = c.t ?? 0;
    if (t > claim.eventAt && deletedAt === undefined) return undefined;
    if (deletedAt !== undefined && t > deletedAt + batchMs) break;
    if (c.object.kind === 'Pod' && t <= claim.eventAt) {
      const key = `Pod/${keyOf(c.object)}`;
      const before = moment.pods.get(key);
      const pod = c.object as Pod;
      if (c.type === 'ADDED' && controllerUidOf(pod) === claim.ownerUid && deletedAt === undefined) lastCreation = i;
      const deletion = before !== undefined && isActive(before) && (c.type === 'DELETED' || pod.metadata.deletionTimestamp !== undefined);
      if (key === claim.podKey && deletion && controllerUidOf(before) === claim.ownerUid) {
        deletedAt = t;
        deletionIndex = i;
        victim = before;
      }
    }
    apply(moment, c);
  }
  if (deletedAt === undefined || victim === undefined) return undefined;
  const kept = new Set<string>();
  for (const [key, p] of moment.pods) if (key !== claim.podKey && isActive(p) && controllerUidOf(p) === claim.ownerUid) kept.add(p.metadata.uid ?? '');
  if (kept.size === 0) return undefined;

  // Pass 2: on every state from the window's start (and after the owner's last creation) up
  // to the deletion, some kept pod ranked below the victim. The state before change i existed
  // from change i − 1 to change i.
  const replay = initial();
  let witness: { pod: Pod; victim: Pod } | undefined;
  let judged = 0;
  let since: number | undefined;
  let dirty = true;
  // Every version each pod had in the window, for pass 3.
  let versions: Map<string, Pod[]> | undefined;
  for (let i = 0; i <= deletionIndex; i++) {
    const c = changes[i]!;
    const t = c.t ?? 0;
    if (versions === undefined && t >= deletedAt - graceMs) versions = new Map([...replay.pods].map(([key, p]) => [key, [p]]));
    if (versions !== undefined && c.object.kind === 'Pod' && c.type !== 'DELETED' && i < deletionIndex) {
      const key = `Pod/${keyOf(c.object)}`;
      versions.set(key, [...(versions.get(key) ?? []), c.object as Pod]);
    }
    if (i > lastCreation && t >= deletedAt - graceMs && dirty) {
      const from = Math.max(deletedAt - graceMs, i === 0 ? t : (changes[i - 1]!.t ?? 0));
      since ??= from;
      // The controller's clock read the time a little before its delete reached the store
      // (writes take time): the log scale is judged over that moment too.
      const found = belowVictim(replay, claim, kept, epoch + Math.min(from, deletedAt - batchMs), epoch + deletedAt);
      if (found === 'no') return undefined;
      if (found !== 'skip') {
        judged++;
        witness ??= found;
      }
      dirty = false;
    }
    if (c.object.kind !== 'Event') {
      apply(replay, c);
      dirty = true;
    }
  }
  if (judged === 0 || witness === undefined) return undefined;
  // Pass 3: a cache that lost watch events (a MODIFIED event never delivered) holds each pod at
  // some version of the window, older than the owner's last creation if need be, whatever
  // version it holds of the others — or, for a pod whose events faults are known to have lost,
  // at a version from before the window. The deletion is wrong only if some kept pod ranks
  // below the victim for every pair of their versions.
  if (versions !== undefined && lostEvents.lost !== undefined) widenByLostEvents(versions, lostEvents.lost, lostEvents.base, changes);
  if (!wrongOnEveryVersionPair(replay, claim, kept, versions ?? new Map(), epoch + deletedAt - batchMs, epoch + deletedAt)) return undefined;
  const owner = [...replay.owners.values()].find((o) => o.metadata.uid === claim.ownerUid);
  const name = owner === undefined ? `${claim.event.involvedObject.kind} ${claim.event.involvedObject.name}` : `${owner.kind} ${keyOf(owner)}`;
  return {
    message: `${name} deleted pod ${witness.victim.metadata.name} at t=${deletedAt} ms but kept pod ${witness.pod.metadata.name}, which ranks below it for deletion on every state of the ${deletedAt - (since ?? deletedAt)} ms before (${describe(witness.victim)} vs ${describe(witness.pod)})`,
    objects: [...(owner === undefined ? [] : [refOf(owner)]), refOf(witness.victim), refOf(witness.pod)],
  };
}

/**
 * Adds to each pod's versions of the window (`versions`, the first being the one it had when
 * the window opened) the versions before it that a cache may still hold because the events of
 * every later one up to the window were lost: a lost MODIFIED event is repaired only by a later
 * event of the object or a relist, so a pod left unchanged since (e.g. on a node that went
 * down) stays at its older version in the cache for as long as the faults last, beyond any
 * window. Only the lost events `lost` names count; the history comes from `base`'s chain and
 * `changes`.
 *
 * Worked example: pod a ADDED unassigned (rv 113), bound to node-1 (rv 114, event lost), then
 * unchanged for 47 s: its versions of a 30 s window are [rv 114]; with rv 114 lost they become
 * [rv 113, rv 114] — a cache may rank a as unassigned.
 */
function widenByLostEvents(versions: Map<string, Pod[]>, lost: ReadonlyMap<string, ReadonlySet<string>>, base: ClusterState, changes: readonly StateChange[]): void {
  let history: Map<string, Pod[]> | undefined;
  for (const [key, list] of versions) {
    const dropped = lost.get(key);
    const first = list[0];
    if (dropped === undefined || first === undefined || !dropped.has(first.metadata.resourceVersion ?? '')) continue;
    history ??= podHistory(base, changes);
    const past = history.get(key) ?? [];
    let i = past.findIndex((p) => p.metadata.resourceVersion === first.metadata.resourceVersion);
    const older: Pod[] = [];
    // Back while the version's own event was lost and the one before is the same pod.
    while (i > 0 && dropped.has(past[i]!.metadata.resourceVersion ?? '') && past[i - 1]!.metadata.uid === first.metadata.uid) older.unshift(past[--i]!);
    if (older.length > 0) versions.set(key, [...older, ...list]);
  }
}

/** Every version each pod had (not its deletion), oldest first, from the chain ending at `base` and then `changes`. */
function podHistory(base: ClusterState, changes: readonly StateChange[]): Map<string, Pod[]> {
  const states: ClusterState[] = [];
  for (let s: ClusterState | undefined = base; s !== undefined; s = s.previous) states.push(s);
  const out = new Map<string, Pod[]>();
  const add = (c: StateChange): void => {
    if (c.object.kind !== 'Pod' || c.type === 'DELETED') return;
    const key = `Pod/${keyOf(c.object)}`;
    const list = out.get(key);
    if (list === undefined) out.set(key, [c.object as Pod]);
    else list.push(c.object as Pod);
  };
  for (let i = states.length - 1; i >= 0; i--) states[i]!.changes.forEach(add);
  changes.forEach(add);
  return out;
}

/**
 * Whether some kept pod ranks below the victim for keeping on every pair of versions the two
 * had in the window (only versions where each was an active pod of the owner count), with each
 * rank function of the state at the deletion.
 */
function wrongOnEveryVersionPair(moment: Moment, claim: Claimed, kept: ReadonlySet<string>, versions: ReadonlyMap<string, readonly Pod[]>, nowLo: number, nowHi: number): boolean {
  const owner = [...moment.owners.values()].find((o) => o.metadata.uid === claim.ownerUid);
  if (owner === undefined) return true;
  const ours = (p: Pod) => isActive(p) && controllerUidOf(p) === claim.ownerUid;
  const victims = (versions.get(claim.podKey) ?? []).filter(ours);
  if (victims.length === 0) return true;
  const ranks = ranksOf(moment, owner);
  for (const [key, list] of versions) {
    if (key === claim.podKey) continue;
    const candidates = list.filter((p) => kept.has(p.metadata.uid ?? '') && ours(p));
    if (candidates.length === 0) continue;
    if (victims.every((v) => candidates.every((k) => ranks.every((rank) => compareForKeeping(v, rank(v), k, rank(k), nowLo, nowHi) === 'better')))) return true;
  }
  return false;
}

function describe(pod: Pod): string {
  return `${pod.spec.nodeName ?? 'unassigned'}, ${pod.status?.phase ?? 'no phase'}, ${isReady(pod) ? 'ready' : 'not ready'}, ${restarts(pod)[0]} restarts, created ${pod.metadata.creationTimestamp ?? '?'}`;
}

/**
 * On one state: `no` when the victim was active and controlled there but no kept pod ranked
 * below it (the deletion may have been decided on it), `skip` when the state cannot have been
 * the controller's (the victim was not an active pod of the owner), else a kept pod that did.
 */
function belowVictim(moment: Moment, claim: Claimed, kept: ReadonlySet<string>, nowLo: number, nowHi: number): 'no' | 'skip' | { pod: Pod; victim: Pod } {
  const victim = moment.pods.get(claim.podKey);
  if (victim === undefined || !isActive(victim) || controllerUidOf(victim) !== claim.ownerUid) return 'skip';
  const owner = [...moment.owners.values()].find((o) => o.metadata.uid === claim.ownerUid);
  if (owner === undefined) return 'skip';
  let witness: Pod | undefined;
  // The controller ranked with one of the rank functions: the deletion is wrong on this state
  // only if it is wrong with each.
  for (const rank of ranksOf(moment, owner)) {
    const below = [...moment.pods.values()].find(
      (p) => kept.has(p.metadata.uid ?? '') && isActive(p) && controllerUidOf(p) === claim.ownerUid && compareForKeeping(victim, rank(victim), p, rank(p), nowLo, nowHi) === 'better',
    );
    if (below === undefined) return 'no';
    witness ??= below;
  }
  return witness === undefined ? 'no' : { pod: witness, victim };
}

// ---------------------------------------------------------------------------------------------
// How many: a scale-down deletes no more pods than the owner has above its replica count
// ---------------------------------------------------------------------------------------------

/** Options of {@link podsNotOverdeletedInvariant}. */
export interface PodsNotOverdeletedOptions {
  /**
   * How stale (virtual ms, default 30 000) the caches a scale-down was decided on may be: the
   * surplus is the largest the store showed in this window before the batch's first deletion.
   */
  readonly graceMs?: number | undefined;
  /**
   * How long (virtual ms, default 1 000) after an owner's first deletion its other deletions
   * still belong to the same scale-down (upstream deletes one sync's victims concurrently).
   */
  readonly batchMs?: number | undefined;
}

/**
 * Transition (safety): a ReplicaSet or ReplicationController scaling down deletes at most as
 * many pods as it has above `spec.replicas` (upstream `manageReplicas`: `diff = active −
 * replicas`, capped at the burst of 500). The pods one scale-down deletes — the pods its
 * `SuccessfulDelete` events name within `batchMs` of the first, with no change of
 * `spec.replicas` in between — never outnumber the pods the
 * owner controlled while active at some moment from `graceMs` before the first deletion to the
 * last, minus the fewest `spec.replicas` it had then. A pod it creates once the batch has begun
 * counts only if the batch deletes it, or if it replaces a pod that had left the owner in the
 * window other than by the owner's own deletion — released (its labels or controller reference
 * changed), deleted by someone else, or finished — and that no earlier creation replaced: one
 * replacement per pod that left. A replacement of a pod the owner deleted itself never counts,
 * so a scale-down that deletes too many and creates the difference again is still named.
 * Generous on purpose: its caches lag (its pod cache and its own cache independently), and two
 * syncs a moment apart may see different pods (an adopted pod arriving after the owner's own
 * went).
 *
 * Who deleted is read from the owner's events, as in
 * {@link scaleDownDeletesLowestRankedInvariant}: the test's, the garbage collector's and
 * evictions' deletions are never counted.
 */
export function podsNotOverdeletedInvariant(options: PodsNotOverdeletedOptions = {}): Invariant {
  const graceMs = options.graceMs ?? 30_000;
  const batchMs = options.batchMs ?? 1_000;
  return transitionInvariant(
    'podsNotOverdeleted',
    'A ReplicaSet or ReplicationController scaling down deletes at most as many pods as it has above spec.replicas.',
    (previous, state) => {
      // A batch is judged once complete: its first deletion event is in (from, to].
      const from = previous.t - batchMs;
      const to = state.t - batchMs;
      if (to <= from) return [];
      const { base, changes } = changesSince(state, from - graceMs - batchMs);
      // The owners' scale-downs: claims grouped per owner, a batch starting at a claim with no
      // claim of the same owner in the batchMs before it.
      const events = new Map<string, Event>();
      const batches: Batch[] = [];
      // Every pod each owner's events claim to have deleted, batch or not.
      const claimed = new Map<string, Set<string>>();
      const open = new Map<string, Batch>();
      const replicas = new Map<string, number>();
      for (const c of changes) {
        if (OWNER_KINDS.has(c.object.kind)) {
          // A new replica count starts a new scale-down: 2 → 0, then 1, then 0 again is two.
          const uid = c.object.metadata.uid ?? '';
          const now = (c.object as { spec?: { replicas?: number } }).spec?.replicas ?? 1;
          if (replicas.has(uid) && replicas.get(uid) !== now) open.delete(uid);
          replicas.set(uid, now);
          continue;
        }
        if (c.object.kind !== 'Event') continue;
        const claim = claimedDeletion(c, events.get(keyOf(c.object)));
        if (c.type === 'DELETED') events.delete(keyOf(c.object));
        else events.set(keyOf(c.object), c.object as Event);
        if (claim === undefined) continue;
        const own = claimed.get(claim.ownerUid);
        if (own === undefined) claimed.set(claim.ownerUid, new Set([claim.podKey]));
        else own.add(claim.podKey);
        const batch = open.get(claim.ownerUid);
        if (batch !== undefined && claim.eventAt - batch.first.eventAt <= batchMs) {
          batch.pods.add(claim.podKey);
          batch.lastAt = claim.eventAt;
          continue;
        }
        const started: Batch = { first: claim, lastAt: claim.eventAt, pods: new Set([claim.podKey]) };
        open.set(claim.ownerUid, started);
        if (claim.eventAt > from && claim.eventAt <= to) batches.push(started);
      }
      const out: InvariantViolation[] = [];
      for (const batch of batches) {
        const violation = judgeCount(batch, claimed.get(batch.first.ownerUid) ?? new Set(), base, changes, graceMs);
        if (violation !== undefined) out.push(violation);
      }
      return out;
    },
  );
}

/** When each pod a batch claims went from active to deleted or terminating, among `changes` up to its last claim. */
function deletionsOf(batch: Batch, moment: Moment, changes: readonly StateChange[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of changes) {
    const t = c.t ?? 0;
    if (t > batch.lastAt) break;
    if (c.object.kind === 'Pod') {
      const key = `Pod/${keyOf(c.object)}`;
      const before = moment.pods.get(key);
      const after = c.type === 'DELETED' ? undefined : (c.object as Pod);
      if (batch.pods.has(key) && !out.has(key) && before !== undefined && isActive(before) && controllerUidOf(before) === batch.first.ownerUid && (after === undefined || !isActive(after))) out.set(key, t);
    }
    if (c.object.kind !== 'Event') apply(moment, c);
  }
  return out;
}

/** One scale-down: an owner's claimed deletions within `batchMs` of the first. */
interface Batch {
  readonly first: Claimed;
  /** When the last claim of the batch was recorded. */
  lastAt: number;
  readonly pods: Set<string>;
}

/**
 * Judges one scale-down; see {@link podsNotOverdeletedInvariant}. The states judged run from
 * `graceMs` before the first claim to the last one: two syncs a moment apart (an adoption's
 * surplus, then a scale to 0) may fall into one batch, and the states between them count too.
 * `ownDeletions` are the pods the owner's events claim to have deleted, in this batch or not.
 */
function judgeCount(batch: Batch, ownDeletions: ReadonlySet<string>, base: ClusterState, changes: readonly StateChange[], graceMs: number): InvariantViolation | undefined {
  const { first } = batch;
  const initial = (): Moment => ({
    pods: new Map(base.of<Pod>('Pod').map((p) => [`Pod/${keyOf(p)}`, p])),
    owners: new Map([...OWNER_KINDS].flatMap((k) => base.of<Owner>(k).map((o) => [`${k}/${keyOf(o)}`, o] as const))),
  });
  // The deletions the claims name, as the store saw them: an event can land long after its
  // delete (a write held by latency across a clock jump), so the window starts at the first
  // deletion found, and a claim whose deletion is not among the changes is not counted.
  const deletedAt = deletionsOf(batch, initial(), changes);
  const count = deletedAt.size;
  if (count === 0) return undefined;
  const moment = initial();
  const windowStart = Math.min(...deletedAt.values()) - graceMs;
  // The caches lag and the syncs of one batch may see different pods (an adopted pod arrives
  // after the owner's own went): every pod the owner controlled while active in the window, and
  // the fewest replicas it had then (its pod cache and its own cache lag independently).
  let owner: Owner | undefined;
  const controlled = new Set<string>();
  let fewestReplicas = Infinity;
  const note = (pod: Pod | undefined): void => {
    if (pod !== undefined && isActive(pod) && controllerUidOf(pod) === first.ownerUid) controlled.add(pod.metadata.uid ?? keyOf(pod));
  };
  const noteOwner = (): void => {
    const found = [...moment.owners.values()].find((o) => o.metadata.uid === first.ownerUid);
    if (found === undefined) return;
    owner = found;
    fewestReplicas = Math.min(fewestReplicas, (found as { spec?: { replicas?: number } }).spec?.replicas ?? 1);
  };
  const start = (): void => {
    for (const p of moment.pods.values()) note(p);
    noteOwner();
  };
  const ours = (pod: Pod | undefined): boolean => pod !== undefined && isActive(pod) && controllerUidOf(pod) === first.ownerUid;
  let seen = false;
  let deleting = false;
  // Pods that left the owner in the window other than by its own deletion, not yet replaced.
  let unreplaced = 0;
  for (const c of changes) {
    const t = c.t ?? 0;
    if (t > batch.lastAt) break;
    if (t >= windowStart && !seen) {
      start();
      seen = true;
    }
    if (c.object.kind === 'Event') continue;
    const key = `${c.object.kind}/${keyOf(c.object)}`;
    const before = c.object.kind === 'Pod' ? moment.pods.get(key) : undefined;
    apply(moment, c);
    if (t < windowStart) continue;
    if (c.object.kind !== 'Pod') {
      if (c.object.metadata.uid === first.ownerUid) noteOwner();
      continue;
    }
    const pod = c.type === 'DELETED' ? undefined : (c.object as Pod);
    const gone = pod === undefined || !isActive(pod);
    if (batch.pods.has(key) && before !== undefined && isActive(before) && gone) deleting = true;
    // A pod leaving the owner by a deletion its events do not claim, a release or its end: the
    // owner replaces it, and may adopt it back later (it then counts once, its replacement once).
    if (ours(before) && !ours(pod) && !(gone && ownDeletions.has(key))) unreplaced++;
    let replaces = false;
    if (c.type === 'ADDED' && ours(pod) && unreplaced > 0) {
      unreplaced--;
      replaces = true;
    }
    // Once the batch has begun, a pod the owner creates counts only if it replaces a pod that
    // left (above), or if the batch deletes it too: a later sync of the batch held it (the owner
    // lost a pod to a label edit, replaced it, then adopted the pod back and deleted the
    // replacement), and it adds one to both sides. Any other is the replacement of a pod the
    // batch deleted. A pod it adopts (an existing pod gaining its controller reference) counts.
    if (!deleting || batch.pods.has(key) || replaces || (c.type === 'MODIFIED' && before !== undefined && controllerUidOf(before) !== first.ownerUid)) note(pod);
  }
  if (!seen) start();
  const mostActive = controlled.size;
  if (owner === undefined) return undefined;
  const allowed = Math.max(0, mostActive - fewestReplicas);
  if (count <= allowed) return undefined;
  return {
    message: `${owner.kind} ${keyOf(owner)} deleted ${count} pods in one scale-down at t=${first.eventAt} ms, but in the ${graceMs} ms before it controlled ${mostActive} active pods in all and had at least ${fewestReplicas} replicas (a surplus of at most ${allowed})`,
    objects: [refOf(owner)],
  };
}
