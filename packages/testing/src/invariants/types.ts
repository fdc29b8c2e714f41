/**
 * Invariants: named, documented functions over the state of a simulated cluster that return the
 * violations they find, each naming the objects at fault.
 *
 * @module
 */
import type { KubeObject } from '@kubeloop/core';

/** An object named in a violation. */
export interface ObjectRef {
  /** Its kind, e.g. `Pod`. */
  readonly kind: string;
  /** Its namespace (absent for cluster-scoped objects). */
  readonly namespace?: string | undefined;
  /** Its name. */
  readonly name: string;
}

/** One breach of an invariant: what is wrong, and which objects show it. */
export interface Violation {
  /** What is wrong, in one sentence, e.g. `pod default/web-x2 has 2 controller owners`. */
  readonly message: string;
  /** The offending objects. */
  readonly objects: readonly ObjectRef[];
}

/**
 * The state of a cluster at one instant: every live object by kind.
 *
 * Guarantees: a snapshot never changes after it is taken; objects are in the order of their
 * keys (`namespace/name`), so a check that iterates them is deterministic.
 */
export interface ClusterState {
  /** Virtual ms since the cluster was created. */
  readonly t: number;
  /** The live objects of a kind (empty for a kind never seen). */
  of<T extends KubeObject = KubeObject>(kind: string): readonly T[];
  /**
   * The changes since the previous snapshot, in order (`type` and the object after the change),
   * so that a transition invariant also sees the states in between: e.g. an object created and
   * deleted between two snapshots. States built from a trace give each change its time `t`
   * (virtual ms, as the state's own `t`).
   */
  readonly changes: readonly { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: KubeObject; readonly t?: number | undefined }[];
  /**
   * The state at the check before this one (chained back to the first), so that an invariant
   * can look further back than one step; undefined for the first state and for hand-built ones.
   */
  readonly previous?: ClusterState | undefined;
  /** The kinds seen so far (some may have no live object left). */
  readonly kinds: readonly string[];
  /** One object by kind, namespace and name. */
  get<T extends KubeObject = KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined;
}

/**
 * A named, documented property of cluster states.
 *
 * `check` receives the current state and, for a transition invariant, the state before the last
 * step (`previous` is undefined for the first state); it returns no violation when the property
 * holds. It must be pure: same states, same answer.
 */
export interface Invariant {
  /** A short name, used in reports, e.g. `noObjectWithTwoControllers`. */
  readonly name: string;
  /** What it states, in one or two sentences. */
  readonly description: string;
  /** The violations in `state` (and between `previous` and `state`, for transitions). */
  check(state: ClusterState, previous: ClusterState | undefined): readonly Violation[];
}

/** Builds an {@link Invariant} over one state. */
export function invariant(name: string, description: string, check: (state: ClusterState) => readonly Violation[]): Invariant {
  return { name, description, check: (state) => check(state) };
}

/** Builds a transition {@link Invariant}, over two consecutive states (not checked on the first). */
export function transitionInvariant(name: string, description: string, check: (previous: ClusterState, state: ClusterState) => readonly Violation[]): Invariant {
  return { name, description, check: (state, previous) => (previous === undefined ? [] : check(previous, state)) };
}

/** The {@link ObjectRef} of an object. */
export function refOf(object: KubeObject): ObjectRef {
  return object.metadata.namespace === undefined ? { kind: object.kind, name: object.metadata.name ?? '' } : { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name ?? '' };
}

/** `Kind namespace/name` (or `Kind name`), as reports print an object. */
export function formatRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`;
}
