/**
 * Checking a state invariant on every state the store went through, not only on the states the
 * checks sample.
 *
 * @module
 */
import type { KubeObject } from '@kubeloop/core';
import { clusterState } from './types.js';
import type { ClusterState, Invariant } from './types.js';

/** Options of {@link everyState}. */
export interface EveryStateOptions {
  /**
   * The kinds the invariant reads (default: every kind). The intermediate states hold only
   * these, and only their changes make a new state — much cheaper when Events or Leases change
   * often and the invariant does not read them.
   */
  readonly kinds?: readonly string[] | undefined;
}

const keyOf = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/**
 * `invariant`, checked on every state the store went through since the previous check: the
 * previous state with the changes applied one at a time, in trace order (each intermediate state
 * chained after the one before, so a transition invariant sees consecutive store states), and
 * last the state at the check's time. A bound that a controller breaks for a moment and
 * restores before the next check is caught. On the first state (no previous), it checks that
 * state alone.
 *
 * The first intermediate state that breaks the invariant is reported, its time prefixed to
 * each message (`at t=12034: …`).
 *
 * @example
 * ```ts
 * safety: [everyState(rolloutBoundsInvariant(), { kinds: ['Deployment', 'ReplicaSet', 'Pod'] })]
 * ```
 */
export function everyState(invariant: Invariant, options: EveryStateOptions = {}): Invariant {
  const kinds = options.kinds === undefined ? undefined : new Set(options.kinds);
  return {
    name: invariant.name,
    description: `${invariant.description} (in every state the store went through)`,
    kind: invariant.kind,
    check: (state: ClusterState, previous: ClusterState | undefined) => {
      if (previous === undefined) return invariant.check(state, undefined);
      const live = new Map<string, KubeObject>();
      for (const kind of previous.kinds) {
        if (kinds !== undefined && !kinds.has(kind)) continue;
        for (const o of previous.of(kind)) live.set(keyOf(o), o);
      }
      let before: ClusterState = kinds === undefined ? previous : clusterState([...live.values()], previous.t);
      const step = (now: ClusterState) => {
        const violations = invariant.check(now, before);
        before = now;
        return violations.map((v) => ({ ...v, message: `at t=${now.t}: ${v.message}` }));
      };
      for (const change of state.changes) {
        if (kinds !== undefined && !kinds.has(change.object.kind)) continue;
        if (change.type === 'DELETED') live.delete(keyOf(change.object));
        else live.set(keyOf(change.object), change.object);
        const t = change.t ?? state.t;
        const violations = step(clusterState([...live.values()], t, [{ ...change, t }], before));
        if (violations.length > 0) return violations;
      }
      // Time itself may break a bound (e.g. availability after minReadySeconds): the state now.
      return step(clusterState([...live.values()], state.t, [], before));
    },
  };
}
