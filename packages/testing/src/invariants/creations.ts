/**
 * A transition invariant over the trace: ReplicaSets and ReplicationControllers never create
 * pods beyond their replica count — what upstream's expectations guarantee even when the
 * controller's caches lag.
 *
 * @module
 */
import { matchesLabelSelector, selectorFromSet } from '@kubeloop/core';
import type { KubeObject, LabelSelector, Pod } from '@kubeloop/core';
import { refOf, transitionInvariant } from './types.js';
import type { ClusterState, Invariant, Violation } from './types.js';

/** Options of {@link podsNotOvercreatedInvariant}. */
export interface PodsNotOvercreatedOptions {
  /**
   * How far back (virtual ms, default 60 000) a replica count still justifies a creation: a
   * controller may act on a ReplicaSet as its cache showed it that long ago (a cut watch waits
   * up to 30 s to relist). The counts from `windowMs` before the step's first pod creation on
   * count, and the one current then.
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

/** Raises `max` of an owner's uid to this version's `spec.replicas` (other kinds are ignored). */
function noteReplicas(max: Map<string, number>, o: KubeObject): void {
  if (!OWNER_KINDS.has(o.kind) || o.metadata.uid === undefined) return;
  const replicas = (o as Owner).spec?.replicas ?? 1;
  max.set(o.metadata.uid, Math.max(max.get(o.metadata.uid) ?? 0, replicas));
}

/**
 * The largest `spec.replicas` of each owner (by uid) that the states up to `state` show from
 * `since` on: the versions current at `since` (the objects of the last state taken before it,
 * or of the first state), and every later version in the changes of the states after it.
 */
function recentReplicas(state: ClusterState, since: number): Map<string, number> {
  const max = new Map<string, number>();
  let s: ClusterState = state;
  while (s.t >= since && s.previous !== undefined) {
    for (const c of s.changes) if ((c.t ?? s.t) >= since) noteReplicas(max, c.object);
    s = s.previous;
  }
  for (const kind of OWNER_KINDS) for (const o of s.of(kind)) noteReplicas(max, o);
  return max;
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
      const replicas = recentReplicas(previous, (firstCreation.t ?? state.t) - windowMs);
      const owners = new Map<string, Owner>();
      for (const kind of OWNER_KINDS) for (const o of previous.of<Owner>(kind)) if (o.metadata.uid !== undefined) owners.set(o.metadata.uid, o);
      const pods = new Map<string, Pod>(previous.of<Pod>('Pod').map((p) => [podKey(p), p]));
      const out: Violation[] = [];
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
          const bound = replicas.get(uid) ?? owner.spec?.replicas ?? 1;
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
