/**
 * Invariants of ReplicaSets and ReplicationControllers over a snapshot of cluster state, for
 * tests and checkers. Each returns the violations it finds, naming the objects by reference;
 * an empty list means the invariant holds.
 *
 * `replicaCountsMatch` and `statusMatchesPods` are liveness checks (they hold once the cluster
 * has settled); `singleController` is a safety check (it must hold after every step), and
 * {@link podsNotOvercreatedInvariant} a transition one, over every pod creation of the trace. The same
 * rules as core {@link Invariant}s over a {@link ClusterState} ({@link replicaCountsMatchInvariant},
 * …) are what the plugins register.
 *
 * @module
 */
import { activeMs, controllerRef, invariant, isPodActive, isPodReady, matchesLabelSelector, parseQuantity, parseTime, refOf, selectorFromSet, stateNowMs, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, KubeObject, LabelSelector, Pod, ReplicaSet, ReplicationController, ResourceQuota } from '@kubeloop/core';
import { podsNotOverdeletedInvariant, scaleDownDeletesLowestRankedInvariant } from './deletion-order.js';

/** One broken invariant (core's {@link InvariantViolation}). */
export type ReplicaViolation = InvariantViolation;

/** The state the invariants look at. Missing lists count as empty. */
export interface ReplicaState {
  /** Every pod. */
  readonly pods: readonly Pod[];
  /** Every ReplicaSet. */
  readonly replicaSets?: readonly ReplicaSet[] | undefined;
  /** Every ReplicationController. */
  readonly replicationControllers?: readonly ReplicationController[] | undefined;
  /**
   * The time of the snapshot (ms since the epoch), for `minReadySeconds`: with it,
   * {@link statusMatchesPods} checks `availableReplicas` exactly; without it, only that it does
   * not exceed `readyReplicas`.
   */
  readonly nowMs?: number | undefined;
  /**
   * Every ResourceQuota: an owner whose namespace has one used up may stay short of pods (its
   * creates are refused, upstream's documented cause of `ReplicaFailure`).
   */
  readonly resourceQuotas?: readonly ResourceQuota[] | undefined;
}

/**
 * Whether a ResourceQuota of `namespace` is used up in some resource (`status.used` at or above
 * `status.hard`, as the quota controller and admission keep them), so that it may refuse a pod
 * create (upstream's `exceeded quota`).
 */
function quotaUsedUp(state: ReplicaState, namespace: string | undefined): boolean {
  return (state.resourceQuotas ?? []).some((q) => {
    if (q.metadata.namespace !== namespace) return false;
    const used = q.status?.used ?? {};
    return Object.entries(q.status?.hard ?? {}).some(([resource, hard]) => {
      const now = used[resource];
      try {
        return now !== undefined && parseQuantity(String(now)).cmp(parseQuantity(String(hard))) >= 0;
      } catch {
        return false;
      }
    });
  });
}

/** Whether `owner` (not being deleted) controls fewer active pods than `spec.replicas` while a quota of its namespace is used up. */
function shortUnderQuota(state: ReplicaState, active: number, want: number, owner: KubeObject): boolean {
  return active < want && quotaUsedUp(state, owner.metadata.namespace);
}

function owned(pods: readonly Pod[], owner: KubeObject): Pod[] {
  return pods.filter((p) => isPodActive(p) && controllerRef(p)?.uid === owner.metadata.uid);
}

/**
 * `check` applied to every ReplicaSet and ReplicationController. The two kinds name the fields
 * these invariants read alike (`spec.replicas`, `spec.template`, `spec.minReadySeconds`,
 * `status`), so they are read here directly, not through the controller's kind adapter.
 */
function each(state: ReplicaState, check: (owner: ReplicaSet | ReplicationController) => ReplicaViolation[]): ReplicaViolation[] {
  return [...(state.replicaSets ?? []), ...(state.replicationControllers ?? [])].flatMap((owner) => check(owner));
}

/**
 * After settling, every ReplicaSet and ReplicationController not being deleted controls exactly
 * `spec.replicas` active pods (not Succeeded, not Failed, not being deleted) — or fewer while a
 * ResourceQuota of its namespace is used up (its creates are refused; never more).
 */
export function replicaCountsMatch(state: ReplicaState): ReplicaViolation[] {
  return each(state, (owner) => {
    if (owner.metadata.deletionTimestamp !== undefined) return [];
    const active = owned(state.pods, owner).length;
    const want = owner.spec.replicas ?? 1;
    if (active === want || shortUnderQuota(state, active, want, owner)) return [];
    return [{ message: `controls ${active} active pods, spec.replicas is ${want}`, objects: [refOf(owner)] }];
  });
}

/**
 * At all times (a safety check): no pod has more than one owner reference with
 * `controller: true`; a controller reference names a kind, a name and a uid; and a reference
 * whose uid belongs to a known ReplicaSet or ReplicationController names that object's kind.
 * A reference to an owner that is gone is not a violation (the garbage collector's business).
 */
export function singleController(state: ReplicaState): ReplicaViolation[] {
  const kindOf = new Map<string, string>();
  for (const rs of state.replicaSets ?? []) kindOf.set(rs.metadata.uid ?? '', 'ReplicaSet');
  for (const rc of state.replicationControllers ?? []) kindOf.set(rc.metadata.uid ?? '', 'ReplicationController');
  const out: ReplicaViolation[] = [];
  for (const pod of state.pods) {
    const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.controller === true);
    if (refs.length > 1) {
      out.push({ message: `has ${refs.length} controller references: ${refs.map((r) => `${r.kind} ${r.name}`).join(', ')}`, objects: [refOf(pod)] });
      continue;
    }
    const ref = refs[0];
    if (ref === undefined) continue;
    if (ref.kind === '' || ref.name === '' || ref.uid === '') {
      out.push({ message: `has a controller reference without a kind, name or uid: ${JSON.stringify(ref)}`, objects: [refOf(pod)] });
      continue;
    }
    const actual = kindOf.get(ref.uid);
    if (actual !== undefined && actual !== ref.kind) {
      out.push({ message: `is controlled by ${ref.kind} ${ref.name} whose uid belongs to a ${actual}`, objects: [refOf(pod)] });
    }
  }
  return out;
}

/** Whether `labels` include every label of `wanted` (a template's labels, read as a selector). */
function hasAllLabels(labels: Readonly<Record<string, string>> | undefined, wanted: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => labels?.[k] === v);
}

/**
 * Whether a pod is available at `nowMs` as upstream's `IsPodAvailable` says: its `Ready`
 * condition is `True` and, with `minReadySeconds` above 0, has been since strictly more than
 * `minReadySeconds` before `nowMs` (its `lastTransitionTime`; a ready pod without one is not
 * available yet).
 */
function availableAt(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = typeof ready.lastTransitionTime === 'string' ? parseTime(ready.lastTransitionTime) : NaN;
  return since + minReadySeconds * 1000 < nowMs;
}

/**
 * After settling, each owner's status is what upstream's `calculateStatus` publishes for its
 * pods, counting only the active ones it controls that match its selector (a terminating pod,
 * e.g. one on a node that went down, is not counted; nor is a pod relabelled away from an owner
 * being deleted, which upstream's `ClaimPods` neither counts nor releases then): `replicas` = those pods; `fullyLabeledReplicas` = those whose
 * labels include every label of the pod template; `readyReplicas` = the Ready ones (0 when
 * absent); `availableReplicas` = the ones Ready for more than `spec.minReadySeconds` at the
 * snapshot's time (with {@link ReplicaState.nowMs}; otherwise only ≤ `readyReplicas`);
 * `observedGeneration` = `metadata.generation`; and no `ReplicaFailure` condition (upstream
 * removes it on the first sync whose creates and deletes succeed, and a settled owner's last
 * sync had none to fail) — except on an owner short of pods while a ResourceQuota of its
 * namespace is used up, which carries one, `True` with reason `FailedCreate` (each of its syncs
 * tries to create the missing pods and the quota refuses them; upstream `calculateStatus`).
 */
export function statusMatchesPods(state: ReplicaState): ReplicaViolation[] {
  return each(state, (owner) => {
    const pods = owned(state.pods, owner).filter((p) => selects(owner, p));
    const status = owner.status ?? { replicas: 0 };
    const problems: string[] = [];
    if (status.replicas !== pods.length) problems.push(`status.replicas ${status.replicas}, active pods ${pods.length}`);
    const labeled = pods.filter((p) => hasAllLabels(p.metadata.labels, owner.spec.template?.metadata?.labels)).length;
    if ((status.fullyLabeledReplicas ?? 0) !== labeled) problems.push(`status.fullyLabeledReplicas ${status.fullyLabeledReplicas ?? 0}, pods with every template label ${labeled}`);
    const ready = pods.filter(isPodReady).length;
    if ((status.readyReplicas ?? 0) !== ready) problems.push(`status.readyReplicas ${status.readyReplicas ?? 0}, ready pods ${ready}`);
    const { nowMs } = state;
    if (nowMs === undefined) {
      if ((status.availableReplicas ?? 0) > (status.readyReplicas ?? 0)) problems.push(`status.availableReplicas ${status.availableReplicas ?? 0} > readyReplicas ${status.readyReplicas ?? 0}`);
    } else {
      const minReadySeconds = owner.spec.minReadySeconds ?? 0;
      const available = pods.filter((p) => availableAt(p, minReadySeconds, nowMs)).length;
      if ((status.availableReplicas ?? 0) !== available) problems.push(`status.availableReplicas ${status.availableReplicas ?? 0}, pods ready for more than ${minReadySeconds} s ${available}`);
    }
    if ((status.observedGeneration ?? 0) !== (owner.metadata.generation ?? 0)) problems.push(`status.observedGeneration ${status.observedGeneration ?? 0}, generation ${owner.metadata.generation ?? 0}`);
    const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure');
    if (owner.metadata.deletionTimestamp === undefined && shortUnderQuota(state, pods.length, owner.spec.replicas ?? 1, owner)) {
      // Every sync of an owner short of pods tries to create them, and the quota refuses them.
      if (failure?.status !== 'True' || failure.reason !== 'FailedCreate') {
        problems.push(`is short of pods (${pods.length} of ${owner.spec.replicas ?? 1}) under a used-up ResourceQuota without a True ReplicaFailure condition of reason FailedCreate (${failure === undefined ? 'none' : `${failure.status}, ${failure.reason ?? 'no reason'}`})`);
      }
    } else if (failure !== undefined) problems.push(`has a ReplicaFailure condition (${failure.reason ?? 'no reason'}: ${failure.message ?? ''}) though its pods are settled`);
    return problems.map((message) => ({ message, objects: [refOf(owner)] }));
  });
}

/**
 * After settling, ownership follows the selectors (upstream's `ControllerRefManager`, the
 * ReplicaSet documentation's "Pod acquisition" and "Isolating Pods from a ReplicaSet"): every
 * active pod a ReplicaSet or ReplicationController not being deleted controls matches its
 * selector (one that no longer matches is released), and no active pod without a controller
 * matches the selector of an owner not being deleted in its namespace (a matching orphan is
 * adopted).
 */
export function ownershipFollowsSelectors(state: ReplicaState): ReplicaViolation[] {
  const owners: Owner[] = [...(state.replicaSets ?? []), ...(state.replicationControllers ?? [])];
  const byUid = new Map(owners.map((o) => [o.metadata.uid ?? '', o]));
  const out: ReplicaViolation[] = [];
  for (const pod of state.pods) {
    if (!active(pod)) continue;
    const ref = pod.metadata.ownerReferences?.find((r) => r.controller === true);
    if (ref !== undefined) {
      const owner = byUid.get(ref.uid);
      // An owner being deleted releases nothing (upstream's ClaimPods): its pods may stop matching.
      if (owner !== undefined && owner.kind === ref.kind && owner.metadata.deletionTimestamp === undefined && !selects(owner, pod)) {
        out.push({ message: `is controlled by ${owner.kind} ${owner.metadata.name} whose selector it does not match`, objects: [refOf(pod), refOf(owner)] });
      }
      continue;
    }
    for (const owner of owners) {
      if (owner.metadata.namespace !== pod.metadata.namespace || owner.metadata.deletionTimestamp !== undefined || !selects(owner, pod)) continue;
      out.push({ message: `has no controller but matches the selector of ${owner.kind} ${owner.metadata.name}`, objects: [refOf(pod), refOf(owner)] });
    }
  }
  return out;
}

/** Every invariant above, in order (for a settled cluster). */
export function replicaInvariants(state: ReplicaState): ReplicaViolation[] {
  return [...singleController(state), ...replicaCountsMatch(state), ...statusMatchesPods(state), ...ownershipFollowsSelectors(state)];
}

// As core invariants over cluster states

/** The kinds of replicated owners an invariant over a {@link ClusterState} judges. */
type Owners = readonly ('ReplicaSet' | 'ReplicationController')[];

function replicaState(state: ClusterState, owners: Owners = ['ReplicaSet', 'ReplicationController']): ReplicaState {
  return {
    pods: state.of<Pod>('Pod'),
    replicaSets: owners.includes('ReplicaSet') ? state.of<ReplicaSet>('ReplicaSet') : [],
    replicationControllers: owners.includes('ReplicationController') ? state.of<ReplicationController>('ReplicationController') : [],
    nowMs: stateNowMs(state),
    resourceQuotas: state.of<ResourceQuota>('ResourceQuota'),
  };
}

const COUNTS = 'After settling, every ReplicaSet and ReplicationController controls exactly spec.replicas active pods (fewer only while a ResourceQuota of its namespace is used up).';
const OWNERSHIP = 'After settling, every active pod a ReplicaSet or ReplicationController not being deleted controls matches its selector, and no active orphan matches the selector of one not being deleted.';
const STATUS =
  'After settling, each ReplicaSet and ReplicationController status counts the active pods it controls that match its selector (replicas, fully labeled, ready, available for minReadySeconds), observes its generation, and carries a ReplicaFailure condition (True, FailedCreate) exactly when it is short of pods under a used-up ResourceQuota.';

/**
 * Liveness: {@link replicaCountsMatch} — after settling, every ReplicaSet and
 * ReplicationController not being deleted controls exactly `spec.replicas` active pods. Not a
 * safety property: between steps the controller lags by design.
 */
export const replicaCountsMatchInvariant: Invariant = invariant('replicaCountsMatch', COUNTS, (state) => replicaCountsMatch(replicaState(state)));

/**
 * Safety: {@link singleController} — no pod has two controller references, a controller
 * reference names a kind, a name and a uid, and one whose uid is a known ReplicaSet or
 * ReplicationController names that kind. Holds after every step: the API server rejects two
 * controllers and adoption never rewrites another owner's reference.
 */
export const singleControllerInvariant: Invariant = invariant('singleController', 'No pod has two controllers, and a controller reference names the kind its uid belongs to.', (state) => singleController(replicaState(state)), 'safety');

/**
 * Liveness: {@link statusMatchesPods} — after settling, the status of every ReplicaSet and
 * ReplicationController matches its active pods (`replicas`, `fullyLabeledReplicas`,
 * `readyReplicas`, `availableReplicas` with `minReadySeconds` at the state's time), observes its
 * generation and has a `ReplicaFailure` condition (`True`, `FailedCreate`) exactly when it is
 * short of pods under a used-up ResourceQuota.
 */
export const replicaStatusMatchesPodsInvariant: Invariant = invariant('statusMatchesPods', STATUS, (state) => statusMatchesPods(replicaState(state)));

/**
 * Liveness: {@link ownershipFollowsSelectors} — after settling, controlled active pods match
 * their owner's selector and no active orphan matches a live owner's selector (adoption and
 * release, upstream's `ControllerRefManager`).
 */
export const ownershipFollowsSelectorsInvariant: Invariant = invariant('ownershipFollowsSelectors', OWNERSHIP, (state) => ownershipFollowsSelectors(replicaState(state)));

// Creations beyond the replica count (what expectations prevent), over the trace

/** Options of {@link podsNotOvercreatedInvariant}. */
export interface PodsNotOvercreatedOptions {
  /**
   * How far back (ms the cluster ran, clock jumps left out: see `activeMs`; default 60 000) a
   * replica count still justifies a creation: a controller may act on a ReplicaSet as its
   * cache showed it that long ago (a cut watch waits up to 30 s to relist). The counts from
   * `windowMs` before the step's first pod creation on count, and the one current then.
   */
  readonly windowMs?: number | undefined;
}

const OWNER_KINDS = new Set(['ReplicaSet', 'ReplicationController']);

type Owner = KubeObject & { readonly spec?: { readonly replicas?: number; readonly selector?: LabelSelector | Readonly<Record<string, string>> } };

const podKey = (p: KubeObject) => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;

function controllerUid(pod: KubeObject): string | undefined {
  const ref = pod.metadata.ownerReferences?.find((r) => r.controller === true);
  return ref !== undefined && OWNER_KINDS.has(ref.kind) ? ref.uid : undefined;
}

function active(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp === undefined && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function selects(owner: Owner, pod: Pod): boolean {
  const selector = owner.spec?.selector;
  // A ReplicationController's selector is a plain label map; a ReplicaSet's a LabelSelector.
  if (owner.kind === 'ReplicationController') return selectorFromSet(selector as Readonly<Record<string, string>> | undefined).matches(pod.metadata.labels);
  return matchesLabelSelector(selector as LabelSelector | undefined, pod.metadata.labels);
}

/** The least and the largest `spec.replicas` an owner had over a window. */
interface ReplicaRange {
  readonly min: number;
  readonly max: number;
}

/** Widens the range of an owner's uid to this version's `spec.replicas` (other kinds are ignored). */
function noteReplicas(ranges: Map<string, ReplicaRange>, o: KubeObject): void {
  if (!OWNER_KINDS.has(o.kind) || o.metadata.uid === undefined) return;
  const replicas = (o as Owner).spec?.replicas ?? 1;
  const range = ranges.get(o.metadata.uid);
  ranges.set(o.metadata.uid, range === undefined ? { min: replicas, max: replicas } : { min: Math.min(range.min, replicas), max: Math.max(range.max, replicas) });
}

/**
 * The least and largest `spec.replicas` of each owner (by uid) that the states up to `state`
 * show from `since` on (in {@link activeMs}: a clock jump does not age a cached version): the
 * versions current at `since` (the objects of the last state taken before it, or of the first
 * state), and every later version in the changes of the states after it.
 */
function recentReplicas(state: ClusterState, since: number): Map<string, ReplicaRange> {
  const ranges = new Map<string, ReplicaRange>();
  let s: ClusterState = state;
  while (activeMs(s) >= since && s.previous !== undefined) {
    // Every version of a state that ends inside the window counts, even one changed a little
    // before `since`: the version current at `since` may be among them (the state before this
    // one is older still), and a wider range can only excuse, never accuse.
    for (const c of s.changes) noteReplicas(ranges, c.object);
    s = s.previous;
  }
  for (const kind of OWNER_KINDS) for (const o of s.of(kind)) noteReplicas(ranges, o);
  return ranges;
}

/**
 * Transition (safety): a ReplicaSet or ReplicationController creates a pod only while it
 * controls fewer active pods matching its selector than the largest `spec.replicas` it had
 * since `windowMs` before the step's first creation (see {@link PodsNotOvercreatedOptions}).
 * Every pod creation since the previous state is replayed in trace order, so a surplus created
 * and deleted again between two checks is still seen.
 *
 * This is what upstream's expectations are for: a controller that trusts a lagging pod cache
 * without them syncs again before it sees its own creations, and creates the same pods twice
 * (the surplus is deleted later, so only this invariant, not the replica counts after settling,
 * catches it). Adopted pods (an owner reference added to an existing pod) are not creations
 * and may exceed the count until the controller deletes the surplus.
 */
export function podsNotOvercreatedInvariant(options: PodsNotOvercreatedOptions = {}): Invariant {
  const windowMs = options.windowMs ?? 60_000;
  return transitionInvariant(
    'podsNotOvercreated',
    `A ReplicaSet or ReplicationController creates a pod only while it has fewer active pods than the largest spec.replicas it had within ${windowMs} ms.`,
    (previous, state) => {
      const firstCreation = state.changes.find((c) => c.type === 'ADDED' && c.object.kind === 'Pod');
      if (firstCreation === undefined) return [];
      // The most replicas up to the previous state since the window before the step's first
      // creation; the replay below adds each later version as it comes.
      const replicas = recentReplicas(previous, activeMs(state, firstCreation.t ?? state.t) - windowMs);
      const owners = new Map<string, Owner>();
      for (const kind of OWNER_KINDS) for (const o of previous.of<Owner>(kind)) if (o.metadata.uid !== undefined) owners.set(o.metadata.uid, o);
      const pods = new Map<string, Pod>(previous.of<Pod>('Pod').map((p) => [podKey(p), p]));
      const out: InvariantViolation[] = [];
      for (const c of state.changes) {
        if (OWNER_KINDS.has(c.object.kind)) {
          if (c.type === 'DELETED') owners.delete(c.object.metadata.uid ?? '');
          else if (c.object.metadata.uid !== undefined) owners.set(c.object.metadata.uid, c.object as Owner);
          noteReplicas(replicas, c.object);
          continue;
        }
        if (c.object.kind !== 'Pod') continue;
        const pod = c.object as Pod;
        if (c.type === 'DELETED') {
          pods.delete(podKey(pod));
          continue;
        }
        const uid = c.type === 'ADDED' ? controllerUid(pod) : undefined;
        const owner = uid === undefined ? undefined : owners.get(uid);
        if (uid !== undefined && owner !== undefined) {
          let count = 0;
          for (const p of pods.values()) if (controllerUid(p) === uid && active(p) && selects(owner, p)) count++;
          const bound = replicas.get(uid)?.max ?? owner.spec?.replicas ?? 1;
          if (count >= bound) {
            out.push({ message: `${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name} created pod ${pod.metadata.name} while it already had ${count} active pods (the most replicas it had within ${windowMs} ms: ${bound})`, objects: [refOf(owner), refOf(pod)] });
          }
        }
        pods.set(podKey(pod), pod);
      }
      return out;
    },
  );
}

/** Options of {@link noCreationsWhileDeletingInvariant}. */
export interface NoCreationsWhileDeletingOptions {
  /**
   * How long (ms the cluster ran, clock jumps left out; default 60 000) after its deletion began an owner may still create a
   * pod: its controller may act on a cache that does not show the `deletionTimestamp` yet (a
   * cut watch waits up to 30 s to relist).
   */
  readonly windowMs?: number | undefined;
}

/**
 * Transition (safety): a ReplicaSet or ReplicationController being deleted (a
 * `deletionTimestamp`, e.g. held by the `foregroundDeletion` finalizer while its pods go)
 * creates no pod once its deletion is more than `windowMs` old. Upstream's `syncReplicaSet`
 * creates and deletes pods only when `DeletionTimestamp` is nil: in a foreground deletion the
 * garbage collector removes the pods, and an owner replacing them would never let it finish.
 * Every pod creation since the previous state is replayed in trace order.
 */
export function noCreationsWhileDeletingInvariant(options: NoCreationsWhileDeletingOptions = {}): Invariant {
  const windowMs = options.windowMs ?? 60_000;
  return transitionInvariant(
    'noCreationsWhileDeleting',
    `A ReplicaSet or ReplicationController being deleted creates no pod once its deletion is more than ${windowMs} ms old.`,
    (previous, state) => {
      // Each deleting owner (by uid) and when its deletion began (ms since the epoch).
      const deletingSince = new Map<string, { readonly owner: KubeObject; readonly since: number }>();
      const note = (o: KubeObject) => {
        const since = o.metadata.deletionTimestamp;
        if (typeof since === 'string') deletingSince.set(o.metadata.uid ?? '', { owner: o, since: parseTime(since) });
        else deletingSince.delete(o.metadata.uid ?? '');
      };
      for (const kind of OWNER_KINDS) for (const o of previous.of(kind)) note(o);
      // The wall-clock time of virtual time 0, as deletion timestamps are wall-clock times.
      const epoch = stateNowMs(state) - state.t;
      const out: InvariantViolation[] = [];
      for (const c of state.changes) {
        if (OWNER_KINDS.has(c.object.kind)) {
          if (c.type === 'DELETED') deletingSince.delete(c.object.metadata.uid ?? '');
          else note(c.object);
          continue;
        }
        if (c.object.kind !== 'Pod' || c.type !== 'ADDED') continue;
        const deleting = deletingSince.get(controllerUid(c.object) ?? '');
        if (deleting === undefined) continue;
        // How long the cluster ran since the deletion began: a clock jump in between (a paused
        // process) gave the controller's cache no time to catch up.
        const elapsed = activeMs(state, c.t ?? state.t) - activeMs(state, deleting.since - epoch);
        if (elapsed <= windowMs) continue;
        const { owner } = deleting;
        out.push({
          message: `${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name} created pod ${c.object.metadata.name} ${elapsed} ms after its deletion began (more than ${windowMs} ms)`,
          objects: [refOf(owner), refOf(c.object)],
        });
      }
      return out;
    },
  );
}

/** An owner as the trace shows it, with the status fields {@link replicaFailureConditionInvariant} reads. */
type OwnerWithStatus = Owner & {
  readonly status?: {
    readonly replicas?: number;
    readonly conditions?: readonly { readonly type: string; readonly status?: string; readonly reason?: string; readonly message?: string; readonly lastTransitionTime?: string }[];
  };
};

function replicaFailure(owner: OwnerWithStatus) {
  return owner.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
}

/** Options of {@link replicaFailureConditionInvariant}. */
export interface ReplicaFailureConditionOptions {
  /**
   * How far back (ms the cluster ran, clock jumps left out; default 60 000) a `spec.replicas` still explains a condition's
   * reason: the controller computes it from the owner as its cache showed it (a cut watch waits
   * up to 30 s to relist), and writes it on the version it re-reads after a conflict.
   */
  readonly windowMs?: number | undefined;
}

/**
 * Transition (safety): every version of a ReplicaSet or ReplicationController the trace shows
 * has at most one condition of each type (conditions are a map keyed by `type`), and a
 * `ReplicaFailure` condition is what upstream's `calculateStatus` adds when a sync's pod
 * creates or deletes fail: `status: "True"`, a `lastTransitionTime`, the error as a non-empty
 * `message`, and reason `FailedCreate` when the owner had fewer pods than it wanted
 * (`status.replicas` below a `spec.replicas` it had within `windowMs`) or `FailedDelete` when it
 * had more — the reason judged on the version that adds the condition, as upstream leaves an
 * existing one as it is. Every change is replayed, so a condition added and removed between two
 * checks is still judged.
 */
export function replicaFailureConditionInvariant(options: ReplicaFailureConditionOptions = {}): Invariant {
  const windowMs = options.windowMs ?? 60_000;
  return transitionInvariant(
    'replicaFailureCondition',
    `A ReplicaSet or ReplicationController has at most one condition per type, and a ReplicaFailure condition is True, timed, with the error as message and reason FailedCreate below or FailedDelete above a spec.replicas it had within ${windowMs} ms.`,
    (previous, state) => {
      const first = state.changes.find((c) => OWNER_KINDS.has(c.object.kind));
      if (first === undefined) return [];
      const replicas = recentReplicas(previous, activeMs(state, first.t ?? state.t) - windowMs);
      // Whether each owner's last version had a ReplicaFailure condition: the reason is judged
      // on the version that adds it (upstream leaves an existing one as it is).
      const hadFailure = new Map<string, boolean>();
      for (const kind of OWNER_KINDS) for (const o of previous.of<OwnerWithStatus>(kind)) hadFailure.set(o.metadata.uid ?? '', replicaFailure(o) !== undefined);
      const out: InvariantViolation[] = [];
      for (const c of state.changes) {
        if (!OWNER_KINDS.has(c.object.kind) || c.type === 'DELETED') continue;
        noteReplicas(replicas, c.object);
        const owner = c.object as OwnerWithStatus;
        const added = hadFailure.get(owner.metadata.uid ?? '') !== true;
        hadFailure.set(owner.metadata.uid ?? '', replicaFailure(owner) !== undefined);
        const conditions = owner.status?.conditions ?? [];
        const name = `${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name}`;
        const problems: string[] = [];
        const types = conditions.map((x) => x.type);
        if (new Set(types).size !== types.length) problems.push(`has two conditions of one type: ${types.join(', ')}`);
        const failure = replicaFailure(owner);
        if (failure !== undefined) {
          const pods = owner.status?.replicas ?? 0;
          const range = replicas.get(owner.metadata.uid ?? '') ?? { min: owner.spec?.replicas ?? 1, max: owner.spec?.replicas ?? 1 };
          if (failure.status !== 'True') problems.push(`has a ReplicaFailure condition with status ${failure.status ?? '(none)'}, not True`);
          if (failure.lastTransitionTime === undefined || failure.lastTransitionTime === '') problems.push('has a ReplicaFailure condition without a lastTransitionTime');
          if (failure.message === undefined || failure.message === '') problems.push('has a ReplicaFailure condition without a message');
          if (added && (failure.reason === 'FailedCreate' ? pods >= range.max : failure.reason === 'FailedDelete' ? pods <= range.min : true)) {
            problems.push(`has a ReplicaFailure condition with reason ${failure.reason ?? '(none)'} at status.replicas ${pods}, while spec.replicas was between ${range.min} and ${range.max} within ${windowMs} ms`);
          }
        }
        for (const message of problems) out.push({ message: `${name} ${message}`, objects: [refOf(owner)] });
      }
      return out;
    },
  );
}

/** {@link podsNotOvercreatedInvariant} with its default window, as the plugins register it. */
const podsNotOvercreated = podsNotOvercreatedInvariant();
/** Options of {@link availableNotBeforeMinReadySecondsInvariant}. */
export interface AvailableNotEarlyOptions {
  /**
   * How far back (ms the cluster ran, clock jumps left out; default 60 000) a pod's versions count: the controller may count
   * a pod as its cache showed it that long ago.
   */
  readonly windowMs?: number | undefined;
}

/**
 * Transition (safety): no status a ReplicaSet or ReplicationController publishes counts in
 * `availableReplicas` a pod before it has been Ready for more than `spec.minReadySeconds`
 * (upstream `IsPodAvailable`, which `calculateStatus` counts): at each status write,
 * `availableReplicas` is at most the number of pods it controls of which some version within
 * `windowMs` (a lagging cache may show an older one) was Ready since strictly more than
 * `minReadySeconds` before the write. The settled status cannot tell this (every pod is long
 * available by then); a rollout gated on `minReadySeconds` relies on it.
 */
export function availableNotBeforeMinReadySecondsInvariant(options: AvailableNotEarlyOptions = {}): Invariant {
  const windowMs = options.windowMs ?? 60_000;
  return transitionInvariant(
    'availableNotBeforeMinReadySeconds',
    `A ReplicaSet or ReplicationController counts a pod in availableReplicas only once it has been Ready for more than spec.minReadySeconds (judged on its versions within ${windowMs} ms).`,
    (previous, state) => {
      const writes = state.changes.filter((c) => OWNER_KINDS.has(c.object.kind) && c.type !== 'DELETED');
      if (writes.length === 0) return [];
      // Every version of every pod since the window before the first write, to the end of the
      // step; the window in the time the cluster ran (a clock jump does not age a cached pod).
      const since = activeMs(state, writes[0]!.t ?? state.t) - windowMs;
      const versions: Pod[] = [...state.changes.filter((c) => c.object.kind === 'Pod').map((c) => c.object as Pod)];
      let s: ClusterState = previous;
      while (activeMs(s) >= since && s.previous !== undefined) {
        for (const c of s.changes) if (c.object.kind === 'Pod') versions.push(c.object as Pod);
        s = s.previous;
      }
      versions.push(...s.of<Pod>('Pod'));
      const lastStatus = new Map<string, string>();
      for (const kind of OWNER_KINDS) for (const o of previous.of<OwnerWithStatus>(kind)) lastStatus.set(o.metadata.uid ?? '', JSON.stringify(o.status ?? {}));
      const epoch = stateNowMs(state) - state.t;
      const out: InvariantViolation[] = [];
      for (const c of writes) {
        const owner = c.object as OwnerWithStatus & { readonly spec?: { readonly minReadySeconds?: number }; readonly status?: { readonly availableReplicas?: number } };
        const uid = owner.metadata.uid ?? '';
        const status = JSON.stringify(owner.status ?? {});
        if (lastStatus.get(uid) === status) continue;
        lastStatus.set(uid, status);
        const claimed = owner.status?.availableReplicas ?? 0;
        if (claimed === 0) continue;
        const minReadySeconds = owner.spec?.minReadySeconds ?? 0;
        const at = epoch + (c.t ?? state.t);
        const available = new Set<string>();
        for (const pod of versions) if (controllerUid(pod) === uid && availableAt(pod, minReadySeconds, at)) available.add(pod.metadata.uid ?? '');
        if (claimed > available.size) {
          out.push({
            message: `${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name} published availableReplicas ${claimed} at t=${c.t ?? state.t} ms, but only ${available.size} of its pods had been Ready for more than ${minReadySeconds} s`,
            objects: [refOf(owner)],
          });
        }
      }
      return out;
    },
  );
}

/** {@link availableNotBeforeMinReadySecondsInvariant} with its default window, as the plugins register it. */
const availableNotBeforeMinReadySeconds = availableNotBeforeMinReadySecondsInvariant();
/** {@link noCreationsWhileDeletingInvariant} with its default window, as the plugins register it. */
const noCreationsWhileDeleting = noCreationsWhileDeletingInvariant();
/** {@link replicaFailureConditionInvariant} with its default window, as the plugins register it. */
const replicaFailureCondition = replicaFailureConditionInvariant();
/** {@link scaleDownDeletesLowestRankedInvariant} with its default windows, as the plugins register it. */
const scaleDownDeletesLowestRanked = scaleDownDeletesLowestRankedInvariant();
/** {@link podsNotOverdeletedInvariant} with its default windows, as the plugins register it. */
const podsNotOverdeleted = podsNotOverdeletedInvariant();

function ownInvariants(kind: 'ReplicaSet' | 'ReplicationController'): readonly Invariant[] {
  return [
    singleControllerInvariant,
    podsNotOvercreated,
    noCreationsWhileDeleting,
    replicaFailureCondition,
    availableNotBeforeMinReadySeconds,
    scaleDownDeletesLowestRanked,
    podsNotOverdeleted,
    invariant('replicaCountsMatch', COUNTS, (state) => replicaCountsMatch(replicaState(state, [kind]))),
    invariant('statusMatchesPods', STATUS, (state) => statusMatchesPods(replicaState(state, [kind]))),
    invariant('ownershipFollowsSelectors', OWNERSHIP, (state) => ownershipFollowsSelectors(replicaState(state, [kind]))),
  ];
}

/**
 * The invariants the ReplicaSet plugin (`ReplicaSet`) or the ReplicationController plugin
 * registers: {@link singleControllerInvariant}, {@link podsNotOvercreatedInvariant},
 * {@link noCreationsWhileDeletingInvariant}, {@link replicaFailureConditionInvariant},
 * {@link availableNotBeforeMinReadySecondsInvariant},
 * {@link scaleDownDeletesLowestRankedInvariant} and {@link podsNotOverdeletedInvariant} (with their
 * default windows; each judges either kind), and the replica counts and statuses of that
 * kind only (a cluster may serve ReplicationControllers without running their controller),
 * under the names of {@link replicaCountsMatchInvariant},
 * {@link replicaStatusMatchesPodsInvariant} and {@link ownershipFollowsSelectorsInvariant},
 * which judge both kinds.
 */
export const REPLICA_INVARIANTS: Readonly<Record<'ReplicaSet' | 'ReplicationController', readonly Invariant[]>> = {
  ReplicaSet: ownInvariants('ReplicaSet'),
  ReplicationController: ownInvariants('ReplicationController'),
};
