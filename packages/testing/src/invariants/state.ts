/**
 * Cluster states built from a SimCluster's trace: one writer (the tracker, reading the trace
 * forward) and immutable snapshots for the invariants.
 *
 * @module
 */
import type { KubeObject } from '@kubeloop/core';
import type { SimCluster } from '../sim/cluster.js';
import type { TraceEntry } from '../sim/trace.js';
import type { ClusterState } from './types.js';

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/**
 * The by-key index of a kind's object list. Successive states share the list of every kind
 * that did not change between them (see {@link StateTracker.snapshot}), so they share its
 * index too instead of each building its own.
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

class Snapshot implements ClusterState {
  readonly t: number;
  readonly changes: readonly TraceEntry[];
  readonly previous: ClusterState | undefined;
  readonly #byKind: ReadonlyMap<string, readonly KubeObject[]>;
  readonly #index = new Map<string, Map<string, KubeObject>>();
  #kinds: readonly string[] | undefined;

  constructor(t: number, byKind: ReadonlyMap<string, readonly KubeObject[]>, changes: readonly TraceEntry[], previous?: ClusterState) {
    this.t = t;
    this.changes = changes;
    this.previous = previous;
    this.#byKind = byKind;
  }

  get kinds(): readonly string[] {
    return (this.#kinds ??= [...this.#byKind.keys()].sort());
  }

  of<T extends KubeObject = KubeObject>(kind: string): readonly T[] {
    return (this.#byKind.get(kind) ?? []) as readonly T[];
  }

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
 * Follows a cluster's trace and takes {@link ClusterState} snapshots of it.
 *
 * Invariants: `#live` holds the last state of every object the trace shows alive up to
 * `#cursor`; a kind's sorted array in `#arrays` is valid iff the kind is not in `#dirty`.
 */
export class StateTracker {
  readonly #trace: () => readonly TraceEntry[];
  readonly #now: () => number;
  #cursor = 0;
  readonly #live = new Map<string, Map<string, KubeObject>>();
  readonly #arrays = new Map<string, readonly KubeObject[]>();
  readonly #dirty = new Set<string>();
  #last: ClusterState | undefined;

  /** Follows `cluster`'s trace from its beginning. */
  constructor(cluster: Pick<SimCluster, 'trace' | 'now'>) {
    this.#trace = () => cluster.trace();
    this.#now = () => cluster.now();
  }

  /**
   * The state now. `extra` adds objects the trace does not hold (custom resources, listed by
   * the caller), replacing the trace's view of their kinds.
   */
  snapshot(extra: readonly KubeObject[] = []): ClusterState {
    const entries = this.#trace();
    const changes = entries.slice(this.#cursor);
    for (; this.#cursor < entries.length; this.#cursor++) {
      const { type, object } = entries[this.#cursor]!;
      let kind = this.#live.get(object.kind);
      if (kind === undefined) this.#live.set(object.kind, (kind = new Map()));
      if (type === 'DELETED') kind.delete(keyOf(object));
      else kind.set(keyOf(object), object);
      this.#dirty.add(object.kind);
    }
    for (const k of this.#dirty) {
      const objects = [...this.#live.get(k)!.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, o]) => o);
      this.#arrays.set(k, objects);
    }
    this.#dirty.clear();
    const arrays = new Map(this.#arrays);
    if (extra.length > 0) {
      const byKind = new Map<string, KubeObject[]>();
      for (const o of extra) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
      for (const [k, list] of byKind) arrays.set(k, list.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0)));
    }
    this.#last = new Snapshot(this.#now(), arrays, changes, this.#last);
    return this.#last;
  }
}

/**
 * A {@link ClusterState} made of the given objects (e.g. to test an invariant on a hand-built
 * state): by kind, sorted by `namespace/name`; `previous` chains it after an earlier one.
 */
export function clusterState(objects: readonly KubeObject[], t = 0, changes: readonly TraceEntry[] = [], previous?: ClusterState): ClusterState {
  const byKind = new Map<string, KubeObject[]>();
  for (const o of objects) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
  for (const list of byKind.values()) list.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  return new Snapshot(t, byKind, changes, previous);
}
