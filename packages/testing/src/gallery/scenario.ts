/**
 * The gallery's scenario: one set, the actions a user takes on it, and the invariants a correct
 * set controller keeps.
 *
 * @module
 */
import fc from 'fast-check';
import { ConfigMaps } from '@kubeloop/core';
import type { ConfigMap } from '@kubeloop/core';
import type { SimCluster } from '../sim/cluster.js';
import { invariant, refOf, transitionInvariant } from '../invariants/types.js';
import type { ClusterState, Invariant, Violation } from '../invariants/types.js';
import { ROLE_LABEL, SET_LABEL } from './sets.js';

/** The label of ConfigMaps a user created with a set's label but that no set owns. */
export const FOREIGN_LABEL = 'gallery.kubeloop.dev/foreign';

/** What a user does to the set `set-a`. */
export type SetAction =
  | { readonly kind: 'scale'; readonly replicas: number }
  | { readonly kind: 'deleteMember'; readonly index: number }
  | { readonly kind: 'addForeign'; readonly id: number }
  | { readonly kind: 'touch'; readonly value: number }
  | { readonly kind: 'deleteSet' }
  | { readonly kind: 'advance'; readonly ms: number };

/** The set every gallery run starts with: `set-a`, 2 replicas. */
export function setObject(replicas: number): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'set-a', namespace: 'default', labels: { [ROLE_LABEL]: 'set' } }, data: { replicas: String(replicas) } } as ConfigMap;
}

/** Creates `set-a` and lets the controller bring it up. */
export async function setupSet(cluster: SimCluster): Promise<void> {
  await cluster.apply(setObject(2));
  await cluster.advance(5_000);
}

/** Arbitrary set actions; `kinds` picks which. */
export function setActions(kinds: readonly SetAction['kind'][], maxLength = 8): fc.Arbitrary<readonly SetAction[]> {
  const byKind: Record<SetAction['kind'], fc.Arbitrary<SetAction>> = {
    scale: fc.record({ kind: fc.constant('scale' as const), replicas: fc.nat({ max: 4 }) }),
    deleteMember: fc.record({ kind: fc.constant('deleteMember' as const), index: fc.nat({ max: 3 }) }),
    addForeign: fc.record({ kind: fc.constant('addForeign' as const), id: fc.nat({ max: 2 }) }),
    touch: fc.record({ kind: fc.constant('touch' as const), value: fc.nat({ max: 9 }) }),
    deleteSet: fc.constant({ kind: 'deleteSet' as const }),
    advance: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 100, max: 5_000 }) }),
  };
  return fc.array(fc.oneof(...kinds.map((k) => byKind[k])), { minLength: 1, maxLength });
}

/** Performs a {@link SetAction}; acting on something already gone is a no-op. */
export async function performSetAction(cluster: SimCluster, action: SetAction): Promise<void> {
  const key = { namespace: 'default', name: 'set-a' };
  const exists = async () => (await cluster.list(ConfigMaps, { namespace: 'default' })).items.some((c) => c.metadata.name === 'set-a');
  switch (action.kind) {
    case 'scale':
      if (await exists()) await cluster.server.patch(ConfigMaps, key, { type: 'merge', body: { data: { replicas: String(action.replicas) } } });
      break;
    case 'touch':
      if (await exists()) await cluster.server.patch(ConfigMaps, key, { type: 'merge', body: { metadata: { annotations: { touched: String(action.value) } } } });
      break;
    case 'deleteMember': {
      const members = (await cluster.list(ConfigMaps, { namespace: 'default', labelSelector: { matchLabels: { [SET_LABEL]: 'set-a' } } })).items.filter((c) => c.metadata.labels?.[FOREIGN_LABEL] === undefined);
      const victim = members[action.index % Math.max(1, members.length)];
      if (victim !== undefined) await cluster.delete(ConfigMaps, { namespace: 'default', name: victim.metadata.name ?? '' });
      break;
    }
    case 'addForeign':
      await cluster.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `foreign-${action.id}`, namespace: 'default', labels: { [SET_LABEL]: 'set-a', [FOREIGN_LABEL]: 'true' } } });
      break;
    case 'deleteSet':
      if (await exists()) await cluster.delete(ConfigMaps, key);
      break;
    case 'advance':
      await cluster.advance(action.ms);
      break;
  }
  await cluster.advance(0);
}

/** One line per set action. */
export function describeSetAction(a: SetAction): string {
  switch (a.kind) {
    case 'scale':
      return `scale set-a to ${a.replicas}`;
    case 'deleteMember':
      return `delete member #${a.index} of set-a`;
    case 'addForeign':
      return `create foreign-${a.id} with set-a's label, owned by nobody`;
    case 'touch':
      return `annotate set-a touched=${a.value}`;
    case 'deleteSet':
      return 'delete set-a';
    case 'advance':
      return `advance ${a.ms} ms`;
  }
}

function sets(state: ClusterState): ConfigMap[] {
  return state.of<ConfigMap>('ConfigMap').filter((c) => c.metadata.labels?.[ROLE_LABEL] === 'set');
}

function members(state: ClusterState, set: ConfigMap): ConfigMap[] {
  return state.of<ConfigMap>('ConfigMap').filter((c) => c.metadata.deletionTimestamp === undefined && (c.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid === set.metadata.uid));
}

const replicasOf = (set: ConfigMap) => Number.parseInt(set.data?.['replicas'] ?? '0', 10);

/**
 * Transition: a set's member count only grows up to the largest `replicas` the set (same uid)
 * ever had. A correct controller may act on a `replicas` it has not yet seen changed — for as
 * long as faults delay it (stacked latency makes one decision's creates span several steps) —
 * but never creates more than was ever asked; one that trusts a stale count of its members does.
 */
export const membersNeverOvershoot: Invariant = transitionInvariant('membersNeverOvershoot', "A set's members only increase up to the largest replicas it ever had: the controller never creates more than asked.", (previous, state) => {
  const out: Violation[] = [];
  for (const set of sets(state)) {
    const now = members(state, set).length;
    const before = previous.get<ConfigMap>('ConfigMap', set.metadata.namespace, set.metadata.name ?? '');
    const was = before !== undefined && before.metadata.uid === set.metadata.uid ? members(previous, set).length : 0;
    let bound = replicasOf(set);
    for (let s: ClusterState | undefined = state; s !== undefined; s = s.previous) {
      for (const c of s.changes) if (c.object.metadata.uid === set.metadata.uid) bound = Math.max(bound, replicasOf(c.object as ConfigMap));
      const then = s.get<ConfigMap>('ConfigMap', set.metadata.namespace, set.metadata.name ?? '');
      if (then !== undefined && then.metadata.uid === set.metadata.uid) bound = Math.max(bound, replicasOf(then));
    }
    if (now > was && now > bound) out.push({ message: `set ${set.metadata.name} went from ${was} to ${now} members, more than it ever asked for (${bound})`, objects: [refOf(set), ...members(state, set).map(refOf)] });
  }
  return out;
});

/** Liveness: every set not being deleted has exactly `replicas` members. */
export const membersMatchReplicas: Invariant = invariant('membersMatchReplicas', 'Every live set has exactly data.replicas members.', (state) =>
  sets(state)
    .filter((s) => s.metadata.deletionTimestamp === undefined)
    .flatMap((set) => {
      const m = members(state, set);
      return m.length === replicasOf(set) ? [] : [{ message: `set ${set.metadata.name} has ${m.length} members, wants ${replicasOf(set)}`, objects: [refOf(set), ...m.map(refOf)] }];
    }),
);

/** Transition: ConfigMaps a user created outside any set are never deleted (the actions never delete them). */
export const foreignObjectsSurvive: Invariant = transitionInvariant('foreignObjectsSurvive', 'A ConfigMap no set controls is never deleted by the set controller.', (_previous, state) =>
  state.changes
    .filter((c) => c.type === 'DELETED' && c.object.metadata.labels?.[FOREIGN_LABEL] !== undefined)
    .map((c) => ({ message: `foreign ConfigMap ${c.object.metadata.name} was deleted`, objects: [refOf(c.object)] })),
);
