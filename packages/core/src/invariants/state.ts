/**
 * Cluster states made of objects: the {@link ClusterState} implementation that checkers and
 * tests build.
 *
 * @module
 */
import type { KubeObject } from '../api/meta.js';
import type { ClusterState, StateChange } from './types.js';

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
const byKey = (a: KubeObject, b: KubeObject): number => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

/**
 * The by-key index of a kind's object list. Successive states may share the list of every kind
 * that did not change between them, so they share its index too instead of each building its own.
 */
const indexes = new WeakMap<readonly KubeObject[], Map<string, KubeObject>>();

function indexOf(objects: readonly KubeObject[]): Map<string, KubeObject> {
  let index = indexes.get(objects);
  if (index === undefined) {
    index = new Map(objects.map((o) => [keyOf(o), o]));
    indexes.set(objects, index);
  }
  return index;
}

/**
 * A {@link ClusterState} over lists of objects by kind, for checkers that follow a cluster and
 * take a state at each check.
 *
 * Assumes: each list is sorted by `namespace/name` and is never changed afterwards (successive
 * states may share the lists of the kinds that did not change, and their indexes with them).
 */
export class ClusterSnapshot implements ClusterState {
  /** Virtual ms since the cluster was created. */
  readonly t: number;
  /** The changes since `previous`. */
  readonly changes: readonly StateChange[];
  /** The state before this one. */
  readonly previous: ClusterState | undefined;
  /** The ms the clock had jumped by this state. */
  readonly jumpedMs: number;
  /** The watch events lost by this state (see {@link ClusterState.lostWatchEvents}). */
  readonly lostWatchEvents: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  readonly #byKind: ReadonlyMap<string, readonly KubeObject[]>;
  readonly #index = new Map<string, Map<string, KubeObject>>();
  #kinds: readonly string[] | undefined;

  /**
   * A state at `t` of the objects `byKind` (each list sorted by `namespace/name`), after the
   * clock had jumped `jumpedMs` in all (see {@link ClusterState.jumpedMs}) and watches had lost
   * `lostWatchEvents` (see {@link ClusterState.lostWatchEvents}; never changed afterwards).
   */
  constructor(
    t: number,
    byKind: ReadonlyMap<string, readonly KubeObject[]>,
    changes: readonly StateChange[] = [],
    previous?: ClusterState,
    jumpedMs = 0,
    lostWatchEvents?: ReadonlyMap<string, ReadonlySet<string>>,
  ) {
    this.t = t;
    this.changes = changes;
    this.previous = previous;
    this.jumpedMs = jumpedMs;
    this.lostWatchEvents = lostWatchEvents;
    this.#byKind = byKind;
  }

  /** The kinds seen, sorted. */
  get kinds(): readonly string[] {
    return (this.#kinds ??= [...this.#byKind.keys()].sort());
  }

  /** The live objects of a kind. */
  of<T extends KubeObject = KubeObject>(kind: string): readonly T[] {
    return (this.#byKind.get(kind) ?? []) as readonly T[];
  }

  /** One object by kind, namespace and name. */
  get<T extends KubeObject = KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    let index = this.#index.get(kind);
    if (index === undefined) {
      index = indexOf(this.of(kind));
      this.#index.set(kind, index);
    }
    return index.get(`${namespace ?? ''}/${name}`) as T | undefined;
  }
}

/**
 * A {@link ClusterState} made of the given objects (e.g. to test an invariant on a hand-built
 * state): by kind, sorted by `namespace/name`; `previous` chains it after an earlier one,
 * `jumpedMs` says how far the clock had jumped by then (see {@link ClusterState.jumpedMs}) and
 * `lostWatchEvents` which watch events faults had lost (see {@link ClusterState.lostWatchEvents}).
 *
 * @example
 * ```ts
 * expect(singleControllerInvariant.check(clusterState([replicaSet, pod]), undefined)).toEqual([]);
 * ```
 */
export function clusterState(
  objects: readonly KubeObject[],
  t = 0,
  changes: readonly StateChange[] = [],
  previous?: ClusterState,
  jumpedMs = 0,
  lostWatchEvents?: ReadonlyMap<string, ReadonlySet<string>>,
): ClusterState {
  const byKind = new Map<string, KubeObject[]>();
  for (const o of objects) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
  for (const list of byKind.values()) list.sort(byKey);
  return new ClusterSnapshot(t, byKind, changes, previous, jumpedMs, lostWatchEvents);
}

