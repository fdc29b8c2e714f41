/**
 * Cluster states built from a SimCluster's trace: one writer (the tracker, reading the trace
 * forward) and immutable snapshots (core's `ClusterSnapshot`) for the invariants. Hand-built
 * states come from core's `clusterState`.
 *
 * @module
 */
import { ClusterSnapshot } from '@kubeloop/core';
import type { ClusterState, KubeObject } from '@kubeloop/core';
import type { SimCluster } from '../sim/cluster.js';
import type { TraceEntry } from '../sim/trace.js';

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/**
 * Follows a cluster's trace and takes {@link ClusterState} snapshots of it.
 *
 * Invariants: `#live` holds the last state of every object the trace shows alive up to
 * `#cursor`; a kind's sorted array in `#arrays` is valid iff the kind is not in `#dirty`.
 */
export class StateTracker {
  readonly #trace: () => readonly TraceEntry[];
  readonly #now: () => number;
  readonly #jumped: () => number;
  readonly #lost: () => ReadonlyMap<string, ReadonlySet<string>> | undefined;
  #cursor = 0;
  readonly #live = new Map<string, Map<string, KubeObject>>();
  readonly #arrays = new Map<string, readonly KubeObject[]>();
  readonly #dirty = new Set<string>();
  #last: ClusterState | undefined;

  /**
   * Follows `cluster`'s trace from its beginning (and its clock's jumps, when it has a clock);
   * `lostWatchEvents` tells each snapshot which watch events faults had lost by then (see
   * `ClusterState.lostWatchEvents`; it must return a map that never changes afterwards).
   */
  constructor(
    cluster: Pick<SimCluster, 'trace' | 'now'> & { readonly clock?: { readonly jumpedMs: number } | undefined },
    lostWatchEvents: () => ReadonlyMap<string, ReadonlySet<string>> | undefined = () => undefined,
  ) {
    this.#trace = () => cluster.trace();
    this.#now = () => cluster.now();
    this.#jumped = () => cluster.clock?.jumpedMs ?? 0;
    this.#lost = lostWatchEvents;
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
    this.#last = new ClusterSnapshot(this.#now(), arrays, changes, this.#last, this.#jumped(), this.#lost());
    return this.#last;
  }
}
