/**
 * Invariants of ReplicaSets and ReplicationControllers over a snapshot of cluster state, for
 * tests and checkers. Each returns the violations it finds, naming the objects by reference;
 * an empty list means the invariant holds.
 *
 * `replicaCountsMatch` and `statusMatchesPods` are liveness checks (they hold once the cluster
 * has settled); `singleController` is a safety check (it must hold after every step). The same
 * rules as core {@link Invariant}s over a {@link ClusterState} ({@link replicaCountsMatchInvariant},
 * …) are what the plugins register.
 *
 * @module
 */
import { controllerRef, invariant, refOf } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, KubeObject, Pod, ReplicaSet, ReplicationController } from '@kubeloop/core';
import { isPodActive, isPodReady } from '../shared/index.js';
import { ReplicaSetKind, ReplicationControllerKind } from './kind.js';
import type { ReplicatedKind } from './kind.js';

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
}

function owned(pods: readonly Pod[], owner: KubeObject): Pod[] {
  return pods.filter((p) => isPodActive(p) && controllerRef(p)?.uid === owner.metadata.uid);
}

function each(state: ReplicaState, check: <T extends KubeObject>(kind: ReplicatedKind<T>, owner: T) => ReplicaViolation[]): ReplicaViolation[] {
  return [
    ...(state.replicaSets ?? []).flatMap((rs) => check(ReplicaSetKind, rs)),
    ...(state.replicationControllers ?? []).flatMap((rc) => check(ReplicationControllerKind, rc)),
  ];
}

/**
 * After settling, every ReplicaSet and ReplicationController not being deleted controls exactly
 * `spec.replicas` active pods (not Succeeded, not Failed, not being deleted).
 */
export function replicaCountsMatch(state: ReplicaState): ReplicaViolation[] {
  return each(state, (kind, owner) => {
    if (owner.metadata.deletionTimestamp !== undefined) return [];
    const active = owned(state.pods, owner).length;
    const want = kind.replicas(owner);
    return active === want ? [] : [{ message: `controls ${active} active pods, spec.replicas is ${want}`, objects: [refOf(owner)] }];
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

/**
 * After settling, each owner's status matches its pods: `replicas` = active controlled pods,
 * `readyReplicas` = the Ready ones (0 when absent), `availableReplicas` ≤ `readyReplicas`, and
 * `observedGeneration` = `metadata.generation`.
 */
export function statusMatchesPods(state: ReplicaState): ReplicaViolation[] {
  return each(state, (kind, owner) => {
    const pods = owned(state.pods, owner);
    const status = kind.status(owner);
    const problems: string[] = [];
    if (status.replicas !== pods.length) problems.push(`status.replicas ${status.replicas}, active pods ${pods.length}`);
    const ready = pods.filter(isPodReady).length;
    if ((status.readyReplicas ?? 0) !== ready) problems.push(`status.readyReplicas ${status.readyReplicas ?? 0}, ready pods ${ready}`);
    if ((status.availableReplicas ?? 0) > (status.readyReplicas ?? 0)) problems.push(`status.availableReplicas ${status.availableReplicas ?? 0} > readyReplicas ${status.readyReplicas ?? 0}`);
    if ((status.observedGeneration ?? 0) !== (owner.metadata.generation ?? 0)) problems.push(`status.observedGeneration ${status.observedGeneration ?? 0}, generation ${owner.metadata.generation ?? 0}`);
    return problems.map((message) => ({ message, objects: [refOf(owner)] }));
  });
}

/** Every invariant above, in order (for a settled cluster). */
export function replicaInvariants(state: ReplicaState): ReplicaViolation[] {
  return [...singleController(state), ...replicaCountsMatch(state), ...statusMatchesPods(state)];
}

// As core invariants over cluster states

/** The kinds of replicated owners an invariant over a {@link ClusterState} judges. */
type Owners = readonly ('ReplicaSet' | 'ReplicationController')[];

function replicaState(state: ClusterState, owners: Owners = ['ReplicaSet', 'ReplicationController']): ReplicaState {
  return {
    pods: state.of<Pod>('Pod'),
    replicaSets: owners.includes('ReplicaSet') ? state.of<ReplicaSet>('ReplicaSet') : [],
    replicationControllers: owners.includes('ReplicationController') ? state.of<ReplicationController>('ReplicationController') : [],
  };
}

const COUNTS = 'After settling, every ReplicaSet and ReplicationController controls exactly spec.replicas active pods.';
const STATUS = 'After settling, each ReplicaSet and ReplicationController status matches its pods and generation.';

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
 * ReplicationController matches its pods (`replicas`, `readyReplicas`, `availableReplicas ≤
 * readyReplicas`, `observedGeneration`).
 */
export const replicaStatusMatchesPodsInvariant: Invariant = invariant('statusMatchesPods', STATUS, (state) => statusMatchesPods(replicaState(state)));

function ownInvariants(kind: 'ReplicaSet' | 'ReplicationController'): readonly Invariant[] {
  return [
    singleControllerInvariant,
    invariant('replicaCountsMatch', COUNTS, (state) => replicaCountsMatch(replicaState(state, [kind]))),
    invariant('statusMatchesPods', STATUS, (state) => statusMatchesPods(replicaState(state, [kind]))),
  ];
}

/**
 * The invariants the ReplicaSet plugin (`ReplicaSet`) or the ReplicationController plugin
 * registers: {@link singleControllerInvariant}, and the replica counts and statuses of that
 * kind only (a cluster may serve ReplicationControllers without running their controller),
 * under the names of {@link replicaCountsMatchInvariant} and
 * {@link replicaStatusMatchesPodsInvariant}, which judge both kinds.
 */
export const REPLICA_INVARIANTS: Readonly<Record<'ReplicaSet' | 'ReplicationController', readonly Invariant[]>> = {
  ReplicaSet: ownInvariants('ReplicaSet'),
  ReplicationController: ownInvariants('ReplicationController'),
};
