/**
 * The invariant vocabulary: named, documented properties of cluster states, and the violations
 * they report, naming the objects at fault by reference. Controllers state their invariants in
 * it and register them through the plugin API ({@link PluginApi.addInvariant}); the testing
 * toolkit collects them from the plugins a cluster runs and checks them, each at the moments
 * its {@link InvariantKind} says.
 *
 * @module
 */
import { VIRTUAL_EPOCH_MS } from '../clock/virtual.js';
import type { KubeObject } from '../api/meta.js';

/** An object named in a violation: its kind, namespace (absent when cluster-scoped) and name. */
export interface ObjectRef {
  /** Its kind, e.g. `Pod`. */
  readonly kind: string;
  /** Its namespace (absent for cluster-scoped objects). */
  readonly namespace?: string | undefined;
  /** Its name. */
  readonly name: string;
}

/**
 * One breach of an invariant: what is wrong, and which objects show it, as references (never
 * as text to parse back).
 *
 * @example
 * ```ts
 * const v: InvariantViolation = { message: 'controls 1 active pods, spec.replicas is 2', objects: [refOf(replicaSet)] };
 * ```
 */
export interface InvariantViolation {
  /** What is wrong, in one sentence, with the numbers (e.g. `controls 1 active pods, spec.replicas is 2`). */
  readonly message: string;
  /** The offending objects, the one at fault first (may be empty when no object is to blame). */
  readonly objects: readonly ObjectRef[];
}

/** One change between two {@link ClusterState}s, as a watch saw it. */
export interface StateChange {
  /** What happened to the object. */
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (for DELETED, its last state). */
  readonly object: KubeObject;
  /** When, in the ms of {@link ClusterState.t} (absent on hand-built states). */
  readonly t?: number | undefined;
}

/**
 * A read-only view of a cluster at one instant: every live object by kind, and the changes
 * since the state before.
 *
 * Guarantees: a state never changes after it is taken; objects are in the order of their keys
 * (`namespace/name`), so a check that iterates them is deterministic.
 */
export interface ClusterState {
  /** Virtual ms since the cluster was created (see {@link stateNowMs} for the wall-clock time). */
  readonly t: number;
  /** The live objects of a kind (empty for a kind never seen). */
  of<T extends KubeObject = KubeObject>(kind: string): readonly T[];
  /**
   * The changes since the previous state, in order, so that a transition invariant also sees
   * the states in between: e.g. an object created and deleted between two states.
   */
  readonly changes: readonly StateChange[];
  /**
   * The state before this one (chained back to the first), so that an invariant can look
   * further back than one step; undefined for the first state and for hand-built ones.
   */
  readonly previous?: ClusterState | undefined;
  /** The kinds seen so far (some may have no live object left). */
  readonly kinds: readonly string[];
  /** One object by kind, namespace and name. */
  get<T extends KubeObject = KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined;
  /**
   * The ms the cluster's clock had jumped by this state (clock-jump faults, see
   * `VirtualClock.jump`), included in {@link ClusterState.t}; absent (0) when it never jumped.
   * See {@link activeMs}.
   */
  readonly jumpedMs?: number | undefined;
  /**
   * The MODIFIED watch events that faults kept from a watching cache by this state
   * (dropped-notification faults), as the `resourceVersion`s they carried, by object
   * `kind/namespace/name`; absent when none was lost. Such a cache holds the object at an older
   * version until a later event of it arrives or it relists — however long that takes — so an
   * invariant that bounds how stale a cache may be widens the bound for these objects only.
   * Cumulative: an event once lost stays listed (a relist repairs the cache, not the record).
   */
  readonly lostWatchEvents?: ReadonlyMap<string, ReadonlySet<string>> | undefined;
}

/**
 * When an invariant holds, and so when a checker checks it:
 * - `safety`: in every state, whatever the actions and faults — checked after every step;
 * - `liveness`: once faults stop and the cluster has settled (controllers lag by design in
 *   between) — checked after settling and over the stable window that follows;
 * - `transition`: between every two consecutive states (it reads `previous` and the changes
 *   between them) — checked after every step, as safety.
 */
export type InvariantKind = 'safety' | 'liveness' | 'transition';

/**
 * A named, documented property of cluster states.
 *
 * `check` receives the current state and the state checked before it (`previous`, undefined
 * for the first state); it returns no violation when the property holds. It must be pure: same
 * states, same answer. A transition invariant returns none on the first state.
 *
 * An invariant is an independent oracle: it states the rule from the Kubernetes spec in its own
 * code and does not call the decision code of the controller it checks.
 */
export interface Invariant {
  /** A short name, unique among the invariants a test checks, used in reports, e.g. `singleController`. */
  readonly name: string;
  /** What it states, in one or two sentences. */
  readonly description: string;
  /** When it holds (see {@link InvariantKind}). */
  readonly kind: InvariantKind;
  /** The violations in `state` (and between `previous` and `state`, for a transition). */
  check(state: ClusterState, previous: ClusterState | undefined): readonly InvariantViolation[];
}

/**
 * Builds an {@link Invariant} over one state, of kind `liveness` (the default: it holds once
 * the cluster has settled) or `safety` (it holds in every state).
 *
 * @example
 * ```ts
 * const noPendingPods = invariant('noPendingPods', 'After settling, no pod is Pending.', (state) =>
 *   state.of<Pod>('Pod').filter((p) => p.status?.phase === 'Pending').map((p) => ({ message: 'is Pending', objects: [refOf(p)] })),
 * );
 * ```
 */
export function invariant(name: string, description: string, check: (state: ClusterState) => readonly InvariantViolation[], kind: 'safety' | 'liveness' = 'liveness'): Invariant {
  return { name, description, kind, check: (state) => check(state) };
}

/** Builds a `transition` {@link Invariant}, over two consecutive states (none reported on the first). */
export function transitionInvariant(name: string, description: string, check: (previous: ClusterState, state: ClusterState) => readonly InvariantViolation[]): Invariant {
  return { name, description, kind: 'transition', check: (state, previous) => (previous === undefined ? [] : check(previous, state)) };
}

/** The {@link ObjectRef} of an object. */
export function refOf(object: KubeObject): ObjectRef {
  return object.metadata.namespace === undefined ? { kind: object.kind, name: object.metadata.name ?? '' } : { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name ?? '' };
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), as reports print an object. */
export function formatRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`;
}

/**
 * The wall-clock time (ms since the epoch) of a state of a cluster on the `VirtualClock`
 * (SimCluster's): the clock starts at {@link VIRTUAL_EPOCH_MS} and `state.t` counts from there.
 * Pod conditions carry wall-clock times, so an invariant judges availability
 * (`minReadySeconds`) against this.
 */
export function stateNowMs(state: ClusterState): number {
  return VIRTUAL_EPOCH_MS + state.t;
}

/**
 * The ms the clock had jumped by virtual time `t` (default `state.t`), per the chain of states
 * ending at `state` (see {@link ClusterState.jumpedMs}). A jump happens between two states, at
 * the start of the later one's step: a time from the earlier state's `t` plus the jump on counts
 * it; an earlier time (or one inside the skipped interval) does not.
 */
export function jumpedMsAt(state: ClusterState, t: number = state.t): number {
  let s = state;
  while (s.previous !== undefined && t < s.previous.t + (s.jumpedMs ?? 0) - (s.previous.jumpedMs ?? 0)) s = s.previous;
  return s.jumpedMs ?? 0;
}

/**
 * Virtual time `t` (default `state.t`) less the clock jumps before it: the time the cluster
 * actually ran. A clock jump models a paused process — nothing ran and no watch caught up while
 * the clock skipped — so a window that bounds how stale a controller's view may be ("a cache
 * may show a version up to 60 s old") is measured in this time, not in `t`; otherwise a jump
 * longer than the window makes a view a few ms behind look older than the window.
 *
 * @example
 * ```ts
 * // the states of the last 60 s the cluster ran, however far the clock jumped meanwhile
 * const since = activeMs(state) - 60_000;
 * for (let s = state; s.previous !== undefined && activeMs(s) >= since; s = s.previous) { ... }
 * ```
 */
export function activeMs(state: ClusterState, t: number = state.t): number {
  return t - jumpedMsAt(state, t);
}
