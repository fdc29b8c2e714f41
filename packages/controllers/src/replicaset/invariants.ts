/**
 * Invariants of ReplicaSets and ReplicationControllers over a snapshot of cluster state, for
 * tests and the testing toolkit. Each returns the violations it finds, naming the objects; an
 * empty list means the invariant holds.
 *
 * `replicaCountsMatch` and `statusMatchesPods` are liveness checks (they hold once the cluster
 * has settled); `singleController` is a safety check (it must hold after every step).
 *
 * @module
 */
import { controllerRef, keyString, objectKey } from '@kubeloop/core';
import type { KubeObject, Pod, ReplicaSet, ReplicationController } from '@kubeloop/core';
import { isPodActive, isPodReady } from '../shared/index.js';
import { ReplicaSetKind, ReplicationControllerKind } from './kind.js';
import type { ReplicatedKind } from './kind.js';
import type { InvariantViolation } from '../shared/index.js';

/** One broken invariant (the shape shared by every reference controller's invariants). */
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

function name(kind: string, object: KubeObject): string {
  return `${kind} ${keyString(objectKey(object))}`;
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
    return active === want ? [] : [{ invariant: 'replicaCountsMatch', object: name(kind.kind, owner), message: `controls ${active} active pods, spec.replicas is ${want}` }];
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
      out.push({ invariant: 'singleController', object: name('Pod', pod), message: `has ${refs.length} controller references: ${refs.map((r) => `${r.kind} ${r.name}`).join(', ')}` });
      continue;
    }
    const ref = refs[0];
    if (ref === undefined) continue;
    if (ref.kind === '' || ref.name === '' || ref.uid === '') {
      out.push({ invariant: 'singleController', object: name('Pod', pod), message: `has a controller reference without a kind, name or uid: ${JSON.stringify(ref)}` });
      continue;
    }
    const actual = kindOf.get(ref.uid);
    if (actual !== undefined && actual !== ref.kind) {
      out.push({ invariant: 'singleController', object: name('Pod', pod), message: `is controlled by ${ref.kind} ${ref.name} whose uid belongs to a ${actual}` });
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
    return problems.map((message) => ({ invariant: 'statusMatchesPods', object: name(kind.kind, owner), message }));
  });
}

/** Every invariant above, in order (for a settled cluster). */
export function replicaInvariants(state: ReplicaState): ReplicaViolation[] {
  return [...singleController(state), ...replicaCountsMatch(state), ...statusMatchesPods(state)];
}
