/**
 * Invariants any cluster should keep, whatever its controllers.
 *
 * @module
 */
import { podRequests, tryParseQuantity } from '@kubeloop/core';
import type { KubeObject, Node, Pod } from '@kubeloop/core';
import { podPhaseTransitionsAllowed, podRestartPolicyHonoured } from './kubelet.js';
import { invariant, refOf, transitionInvariant } from './types.js';
import type { Invariant, Violation } from './types.js';

/**
 * Safety: no object has two owner references with `controller: true` (upstream's API server
 * rejects such an object; a controller that adopts without checking could still try).
 */
export const noObjectWithTwoControllers: Invariant = invariant(
  'noObjectWithTwoControllers',
  'No object has more than one owner reference with controller: true.',
  (state) => {
    const out: Violation[] = [];
    for (const kind of state.kinds) {
      for (const o of state.of(kind)) {
        const refs = o.metadata.ownerReferences;
        // Checked after every step on every object: count first, build the list only for a violation.
        if (refs === undefined || refs.length < 2) continue;
        let count = 0;
        for (const r of refs) if (r.controller === true) count++;
        if (count < 2) continue;
        const controllers = refs.filter((r) => r.controller === true);
        out.push({ message: `${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} has ${controllers.length} controller owners (${controllers.map((r) => `${r.kind} ${r.name}`).join(', ')})`, objects: [refOf(o)] });
      }
    }
    return out;
  },
  'safety',
);

/**
 * After settling: every owner reference names a live object of that kind, name and uid in the
 * same namespace (the garbage collector removes dependents of deleted owners). Dependents that
 * are being deleted, and owner kinds the cluster state never saw (custom resources outside the
 * trace), are not checked.
 */
export const ownerReferencesResolve: Invariant = invariant(
  'ownerReferencesResolve',
  'Every owner reference names a live object with that uid (checked after settling).',
  (state) => {
    const out: Violation[] = [];
    const known = new Set(state.kinds);
    for (const kind of state.kinds) {
      for (const o of state.of(kind)) {
        // A dependent being deleted is the garbage collector's work done (a pod on a stopped node stays Terminating).
        if (o.metadata.deletionTimestamp !== undefined) continue;
        for (const r of o.metadata.ownerReferences ?? []) {
          if (!known.has(r.kind)) continue;
          const owner = state.get(r.kind, o.metadata.namespace, r.name) ?? state.get(r.kind, undefined, r.name);
          if (owner === undefined || owner.metadata.uid !== r.uid) {
            out.push({ message: `${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} has an owner reference to ${r.kind} ${r.name} (uid ${r.uid}) that ${owner === undefined ? 'does not exist' : `has uid ${owner.metadata.uid}`}`, objects: [refOf(o)] });
          }
        }
      }
    }
    return out;
  },
);

/** Safety: every bound pod names a Node that exists (for clusters whose nodes are never deleted). */
export const podsBoundToExistingNodes: Invariant = invariant('podsBoundToExistingNodes', 'Every pod with spec.nodeName names an existing Node.', (state) => {
  const out: Violation[] = [];
  for (const p of state.of<Pod>('Pod')) {
    const node = p.spec.nodeName;
    if (node !== undefined && node !== '' && state.get('Node', undefined, node) === undefined) out.push({ message: `pod ${p.metadata.namespace}/${p.metadata.name} is bound to node ${node}, which does not exist`, objects: [refOf(p)] });
  }
  return out;
});

/**
 * Each pod's effective requests in nano-units (core's `podRequests`, upstream `PodRequests`:
 * sidecars count with the app containers), by pod version: states share their frozen objects,
 * so a pod is summed once.
 */
const requestsOf = new WeakMap<Pod, Map<string, bigint>>();

function nanoRequests(p: Pod): Map<string, bigint> {
  const known = requestsOf.get(p);
  if (known !== undefined) return known;
  const sum = new Map([...podRequests(p)].map(([name, q]) => [name, q.nanoValue()]));
  requestsOf.set(p, sum);
  return sum;
}

/**
 * Safety: on every node, the requests of the pods bound to it that have not terminated fit the
 * node's allocatable cpu, memory and pod count (the kube-scheduler's `NodeResourcesFit`).
 */
export const nodeCapacityRespected: Invariant = invariant('nodeCapacityRespected', "The requests of a node's non-terminated pods fit its allocatable cpu, memory and pods.", (state) => {
  const byNode = new Map<string, Pod[]>();
  for (const p of state.of<Pod>('Pod')) {
    const node = p.spec.nodeName;
    if (!node || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const list = byNode.get(node);
    if (list === undefined) byNode.set(node, [p]);
    else list.push(p);
  }
  const out: Violation[] = [];
  for (const [name, pods] of byNode) {
    const node = state.get<Node>('Node', undefined, name);
    const allocatable = node?.status?.allocatable;
    if (allocatable === undefined) continue;
    const used = new Map<string, bigint>([['pods', BigInt(pods.length) * 1_000_000_000n]]);
    for (const p of pods) for (const [r, v] of nanoRequests(p)) used.set(r, (used.get(r) ?? 0n) + v);
    for (const [r, v] of used) {
      const cap = allocatable[r] === undefined ? undefined : tryParseQuantity(String(allocatable[r]));
      if (cap !== undefined && v > cap.nanoValue()) out.push({ message: `node ${name}: pods request more ${r} than allocatable ${String(allocatable[r])}`, objects: [refOf(node!), ...pods.map(refOf)] });
    }
  }
  return out;
}, 'safety');

/**
 * Transition: an object's `metadata.generation` never decreases while its uid stays the same.
 * Checks the objects that changed since the previous state (`state.changes`), or every object
 * when the state lists no changes (a state built by hand).
 */
export const generationNeverDecreases: Invariant = transitionInvariant('generationNeverDecreases', "An object's metadata.generation never decreases (same uid).", (previous, state) => {
  const out: Violation[] = [];
  const candidates = state.changes.length > 0 ? state.changes.filter((c) => c.type !== 'DELETED').map((c) => c.object) : state.kinds.flatMap((k) => state.of(k));
  const seen = new Set<string>();
  for (const changed of candidates) {
    // Kinds without a generation (Events, Leases) cannot break it: skip them before any lookup.
    if (changed.metadata.generation === undefined) continue;
    const kind = changed.kind;
    const key = `${kind}/${changed.metadata.namespace ?? ''}/${changed.metadata.name ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const o: KubeObject | undefined = state.get(kind, changed.metadata.namespace, changed.metadata.name ?? '');
    const before: KubeObject | undefined = previous.get(kind, changed.metadata.namespace, changed.metadata.name ?? '');
    if (o === undefined || before === undefined || before.metadata.uid !== o.metadata.uid) continue;
    if ((o.metadata.generation ?? 0) < (before.metadata.generation ?? 0)) out.push({ message: `${kind} ${o.metadata.name}: generation went from ${before.metadata.generation} to ${o.metadata.generation}`, objects: [refOf(o)] });
  }
  return out;
});

/**
 * The generic invariants that hold after every step: {@link noObjectWithTwoControllers},
 * {@link podsBoundToExistingNodes}, {@link nodeCapacityRespected},
 * {@link generationNeverDecreases} and {@link podPhaseTransitionsAllowed}.
 */
export const GENERIC_SAFETY: readonly Invariant[] = [noObjectWithTwoControllers, podsBoundToExistingNodes, nodeCapacityRespected, generationNeverDecreases, podPhaseTransitionsAllowed, podRestartPolicyHonoured];

/**
 * Liveness: after settling, no object is left with a `deletionTimestamp` (every finalizer was
 * removed by the controller that owns it, every graceful deletion completed).
 */
export const noObjectStuckTerminating: Invariant = invariant('noObjectStuckTerminating', 'After settling, no object still has a deletionTimestamp (no finalizer left behind).', (state) => {
  const out: Violation[] = [];
  for (const kind of state.kinds) {
    for (const o of state.of(kind)) {
      if (o.metadata.deletionTimestamp !== undefined) out.push({ message: `${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} is still terminating (finalizers: ${(o.metadata.finalizers ?? []).join(', ') || 'none'})`, objects: [refOf(o)] });
    }
  }
  return out;
});
