/**
 * The invariants of the reference controllers (`@kubeloop/controllers`), as toolkit
 * {@link Invariant}s, so that a property test of your own controller can reuse them.
 *
 * Each wrapper reads the kinds it needs from a {@link ClusterState}, calls the controller's
 * invariant function and turns its violations into toolkit {@link Violation}s naming the objects
 * at fault. Safety invariants hold after every step, liveness ones once the cluster has settled
 * (as each function's documentation says); see {@link REFERENCE_SAFETY} and
 * {@link REFERENCE_LIVENESS}.
 *
 * @module
 */
import { VIRTUAL_EPOCH_MS } from '@kubeloop/core';
import type { ControllerRevision, DaemonSet, Deployment, EndpointSlice, Endpoints, KubeObject, Node, Pod, ReplicaSet, ReplicationController, Service } from '@kubeloop/core';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  daemonPodsUpdated,
  daemonSetStatusMatches,
  endpointsMatchPods,
  foregroundOrder,
  noDanglingDependents,
  noEndpointsWithoutService,
  noLiveOwnerCollected,
  oneDaemonPodPerEligibleNode,
  orphansKept,
  replicaCountsMatch,
  rollingUpdateAvailability,
  rolloutBounds,
  singleActiveReplicaSetAfterSettle,
  singleController,
  statusMatches,
  statusMatchesPods,
} from '@kubeloop/controllers';
import type { DaemonSetState, DaemonSetViolation, DeploymentState, GcTraceEntry, InvariantViolation, ReplicaState, RolloutBoundsOptions } from '@kubeloop/controllers';
import { podsNotOvercreatedInvariant } from './creations.js';
import { invariant, transitionInvariant } from './types.js';
import type { ClusterState, Invariant, ObjectRef, Violation } from './types.js';

/**
 * The wall-clock time (ms since the epoch) of a state of a SimCluster: its clock starts at
 * `VIRTUAL_EPOCH_MS` from `@kubeloop/core` and `state.t` counts from there. Pod conditions carry
 * wall-clock times, so availability (`minReadySeconds`) is judged against this.
 */
export function stateNowMs(state: ClusterState): number {
  return VIRTUAL_EPOCH_MS + state.t;
}

/** Parses `Kind namespace/name` (or `Kind name`) as the reference invariants name an object. */
function parseRef(text: string): ObjectRef {
  const space = text.indexOf(' ');
  const kind = space < 0 ? '' : text.slice(0, space);
  const rest = space < 0 ? text : text.slice(space + 1);
  const slash = rest.indexOf('/');
  return slash < 0 ? { kind, name: rest } : { kind, namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

/** A reference controller's violation as a toolkit one: the message says which object, the refs name it. */
function convert(v: InvariantViolation): Violation {
  return { message: `${v.object}: ${v.message}`, objects: [parseRef(v.object)] };
}

function replicaState(state: ClusterState): ReplicaState {
  return { pods: state.of<Pod>('Pod'), replicaSets: state.of<ReplicaSet>('ReplicaSet'), replicationControllers: state.of<ReplicationController>('ReplicationController') };
}

function deploymentState(state: ClusterState): DeploymentState {
  return { deployments: state.of<Deployment>('Deployment'), replicaSets: state.of<ReplicaSet>('ReplicaSet'), pods: state.of<Pod>('Pod'), nowMs: stateNowMs(state) };
}

function daemonSetState(state: ClusterState): DaemonSetState {
  return { daemonSets: state.of<DaemonSet>('DaemonSet'), nodes: state.of<Node>('Node'), pods: state.of<Pod>('Pod') };
}

/** A DaemonSet violation names the DaemonSet (`namespace/name`) and, when it is about one, the node. */
function convertDaemonSet(v: DaemonSetViolation): Violation {
  const slash = v.daemonSet.indexOf('/');
  const ds: ObjectRef = { kind: 'DaemonSet', namespace: v.daemonSet.slice(0, slash), name: v.daemonSet.slice(slash + 1) };
  return { message: v.message, objects: v.node === undefined ? [ds] : [ds, { kind: 'Node', name: v.node }] };
}

// ReplicaSets and ReplicationControllers

/**
 * Liveness: after settling, every ReplicaSet and ReplicationController not being deleted
 * controls exactly `spec.replicas` active pods (`replicaCountsMatch` of `@kubeloop/controllers`).
 * Not a safety property: between steps the controller lags by design.
 */
export const replicaCountsMatchInvariant: Invariant = invariant('replicaCountsMatch', 'After settling, every ReplicaSet and ReplicationController controls exactly spec.replicas active pods.', (state) =>
  replicaCountsMatch(replicaState(state)).map(convert),
);

/**
 * Safety: no pod has two controller references, a controller reference names a kind, a name and
 * a uid, and one whose uid is a known ReplicaSet or ReplicationController names that kind
 * (`singleController` of `@kubeloop/controllers`). Holds after every step: the API server
 * rejects two controllers and adoption never rewrites another owner's reference.
 */
export const singleControllerInvariant: Invariant = invariant('singleController', 'No pod has two controllers, and a controller reference names the kind its uid belongs to.', (state) =>
  singleController(replicaState(state)).map(convert),
);

/**
 * Liveness: after settling, the status of every ReplicaSet and ReplicationController matches
 * its pods (`replicas`, `readyReplicas`, `availableReplicas ≤ readyReplicas`,
 * `observedGeneration`) (`statusMatchesPods` of `@kubeloop/controllers`).
 */
export const replicaStatusMatchesPodsInvariant: Invariant = invariant('statusMatchesPods', 'After settling, each ReplicaSet and ReplicationController status matches its pods and generation.', (state) =>
  statusMatchesPods(replicaState(state)).map(convert),
);

// Deployments

/**
 * Liveness: after settling, each Deployment has exactly one ReplicaSet with pods and
 * `replicas > 0` (none when scaled to 0), at the Deployment's template unless paused, with
 * `spec.replicas` active pods (`singleActiveReplicaSetAfterSettle` of `@kubeloop/controllers`).
 * Not a safety property: a rollout has two active ReplicaSets by design.
 *
 * Precondition: every pod that is not Ready can still become so. A rolling update waits for its
 * new pods to be available (with `maxUnavailable: 0` it cannot scale the old ReplicaSet down
 * otherwise), so a new pod that cannot be scheduled, or is bound to a node whose kubelet is down
 * and that no node lifecycle controller evicts, leaves two ReplicaSets with pods for good — as
 * upstream. Guard it in scenarios that stop nodes or taint them all (see
 * `check/reference.test.ts` for a guard).
 */
export const singleActiveReplicaSetInvariant: Invariant = invariant(
  'singleActiveReplicaSetAfterSettle',
  "After settling, each Deployment has exactly one ReplicaSet with pods, at its template, with spec.replicas active pods.",
  (state) => singleActiveReplicaSetAfterSettle(deploymentState(state)).map(convert),
);

/**
 * Liveness: after settling, each Deployment's status adds up its ReplicaSets' (upstream
 * `calculateStatus`; `statusMatches` of `@kubeloop/controllers`).
 */
export const deploymentStatusMatchesInvariant: Invariant = invariant('deploymentStatusMatches', "After settling, each Deployment's status adds up its ReplicaSets' and observes its generation.", (state) =>
  statusMatches(deploymentState(state)).map(convert),
);

/**
 * The rollout bounds of Deployments (`rolloutBounds` of `@kubeloop/controllers`): active pods at
 * most `replicas + maxSurge`, available ones at least `replicas − maxUnavailable`.
 *
 * A safety property only for stable windows: it is sound in states where no Deployment's
 * `spec.replicas` changed since the cluster last settled, nodes have room and no fault is
 * injected (upstream cannot make pods available on its own, and right after a scale the pod
 * counts lag). It is therefore in neither {@link REFERENCE_SAFETY} nor
 * {@link REFERENCE_LIVENESS}: check it in scenarios that keep those preconditions. `options`
 * chooses what the upper bound counts (see `RolloutBoundsOptions` of `@kubeloop/controllers`).
 */
export function rolloutBoundsInvariant(options: RolloutBoundsOptions = {}): Invariant {
  return invariant('rolloutBounds', 'Active pods of a Deployment stay within replicas + maxSurge and available ones at or above replicas − maxUnavailable (stable windows only).', (state) =>
    rolloutBounds(deploymentState(state), options).map(convert),
  );
}

// DaemonSets

/**
 * Liveness: after settling, every node a DaemonSet should run on has exactly one of its active
 * pods, nodes it must leave have none, and nodes that only refuse new pods at most one
 * (`oneDaemonPodPerEligibleNode` of `@kubeloop/controllers`). Not a safety property: right after
 * a node change or during a surging rollout it does not hold yet.
 */
export const oneDaemonPodPerEligibleNodeInvariant: Invariant = invariant('oneDaemonPodPerEligibleNode', 'After settling, every eligible node runs exactly one pod of each DaemonSet, and ineligible nodes none.', (state) =>
  oneDaemonPodPerEligibleNode(daemonSetState(state)).map(convertDaemonSet),
);

/** The `controller-revision-hash` of a DaemonSet's newest ControllerRevision in `state` ('' if none). */
function currentRevisionHash(state: ClusterState, ds: DaemonSet): string {
  let best: ControllerRevision | undefined;
  for (const r of state.of<ControllerRevision>('ControllerRevision')) {
    if (r.metadata.namespace !== ds.metadata.namespace || !(r.metadata.ownerReferences ?? []).some((o) => o.uid === ds.metadata.uid)) continue;
    if (best === undefined || r.revision > best.revision) best = r;
  }
  return best?.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

/**
 * Liveness: after settling, every DaemonSet's status counts equal what its pods and the nodes
 * say, judged against its newest ControllerRevision, and `observedGeneration` is its generation
 * (`daemonSetStatusMatches` of `@kubeloop/controllers`; availability at {@link stateNowMs}).
 */
export const daemonSetStatusMatchesInvariant: Invariant = invariant('daemonSetStatusMatches', "After settling, each DaemonSet's status counts match its pods, the nodes and its current revision.", (state) =>
  daemonSetStatusMatches(daemonSetState(state), (ds) => currentRevisionHash(state, ds), stateNowMs(state)).map(convertDaemonSet),
);

/**
 * Liveness: after settling, every active pod of a RollingUpdate DaemonSet is of its newest
 * ControllerRevision — the rollout completed (`daemonPodsUpdated` of `@kubeloop/controllers`;
 * `OnDelete` DaemonSets are not checked).
 *
 * Not in {@link REFERENCE_LIVENESS}: a rollout whose new pods never become Ready (an image that
 * crashes, a node whose kubelet is down) stops after `maxUnavailable` nodes and stays half done
 * for good, as upstream's does. Use it in scenarios where new pods can run.
 */
export const daemonPodsUpdatedInvariant: Invariant = invariant('daemonPodsUpdated', "After settling, every pod of a RollingUpdate DaemonSet is of its current revision (the rollout completed).", (state) =>
  daemonPodsUpdated(daemonSetState(state), (ds) => currentRevisionHash(state, ds)).map(convertDaemonSet),
);

/**
 * Safety under preconditions: a RollingUpdate DaemonSet without surge has at most
 * `maxUnavailable` of the nodes that should run its pod without a Ready pod of it
 * (`rollingUpdateAvailability` of `@kubeloop/controllers`). Check it on every store state, as
 * the controller may exceed its budget for a moment only:
 *
 * ```ts
 * safety: [everyState(rollingUpdateAvailabilityInvariant, { kinds: ['DaemonSet', 'Node', 'Pod'] })]
 * ```
 *
 * Not in {@link REFERENCE_SAFETY}: it is sound only while every node that should run the pod is
 * up and can make it Ready, and once the DaemonSet's pods were all Ready (e.g. after the setup
 * settled); a stopped kubelet or a new eligible node breaks it without any controller at fault.
 */
export const rollingUpdateAvailabilityInvariant: Invariant = invariant('rollingUpdateAvailability', 'A RollingUpdate DaemonSet without surge has at most maxUnavailable nodes without a ready daemon pod (nodes up, pods ready once).', (state) =>
  rollingUpdateAvailability(daemonSetState(state)).map(convertDaemonSet),
);

// Garbage collection

/** Every live object of `state`. */
function allObjects(state: ClusterState): KubeObject[] {
  return state.kinds.flatMap((k) => [...state.of(k)]);
}

/**
 * The trace from `previous` to `state`: every object live in `previous` (as ADDED, in a
 * deterministic order), then `state.changes`. Returns the synthetic prefix and the whole trace.
 */
function traceBetween(previous: ClusterState, state: ClusterState): { prefix: GcTraceEntry[]; trace: GcTraceEntry[] } {
  const prefix = allObjects(previous).map((object) => ({ type: 'ADDED' as const, object }));
  return { prefix, trace: [...prefix, ...state.changes] };
}

/** The violations of `all` that are not in `before` (as multisets, by message). */
function newViolations(all: readonly InvariantViolation[], before: readonly InvariantViolation[]): InvariantViolation[] {
  const seen = new Map<string, number>();
  for (const v of before) seen.set(v.message, (seen.get(v.message) ?? 0) + 1);
  return all.filter((v) => {
    const n = seen.get(v.message) ?? 0;
    if (n === 0) return true;
    seen.set(v.message, n - 1);
    return false;
  });
}

/**
 * Transition safety: an owner deleted in the foreground goes only after its blocking dependents
 * (`foregroundOrder` of `@kubeloop/controllers`), over the changes between two checked states.
 * Holds after every step: the garbage collector removes the `foregroundDeletion` finalizer only
 * once no blocking dependent is left.
 *
 * A second delete of the owner with another policy also takes the finalizer away, and the trace
 * cannot tell it from the collector's removal: `switchedAway(uid)` is true for the owners the
 * test deleted again that way during their foreground deletion (default: none), which are not
 * checked. Generated `delete` actions can do that, so this invariant is not in
 * {@link REFERENCE_SAFETY}.
 */
export function foregroundOrderInvariant(switchedAway: (uid: string) => boolean = () => false): Invariant {
  return transitionInvariant('foregroundOrder', 'An owner deleted in the foreground is deleted only after its blocking dependents.', (previous, state) => {
    const { trace } = traceBetween(previous, state);
    // A synthetic ADDED never reports: only a DELETED entry does.
    return foregroundOrder({ trace, switchedAway }).map(convert);
  });
}

/**
 * Transition safety: nothing is collected while it has a live owner (`noLiveOwnerCollected` of
 * `@kubeloop/controllers`), over the changes between two checked states. The trace does not say
 * who deleted an object, so the test tells which deletions are its own: `deletedByUser(uid)` is
 * true for the uids it (or its generated actions) deleted directly, which are not checked. With
 * generated `delete` actions on dependents, pass a predicate that knows them, or do not use it.
 */
export function noLiveOwnerCollectedInvariant(deletedByUser: (uid: string) => boolean): Invariant {
  return transitionInvariant('noLiveOwnerCollected', 'Nothing the test did not delete itself is collected while it has a live owner.', (previous, state) => {
    const { prefix, trace } = traceBetween(previous, state);
    const uids = new Set<string>();
    for (const entry of trace) {
      const uid = entry.object.metadata.uid ?? '';
      if (deletedByUser(uid)) uids.add(uid);
    }
    // The synthetic prefix reports objects already terminating in `previous`: drop those.
    return newViolations(noLiveOwnerCollected({ trace, deletedByUser: uids }), noLiveOwnerCollected({ trace: prefix, deletedByUser: uids })).map(convert);
  });
}

/** Every change since the cluster's start: the changes of `state` and of the states before it, oldest first. */
function fullTrace(state: ClusterState): GcTraceEntry[] {
  const parts: ClusterState['changes'][] = [];
  for (let s: ClusterState | undefined = state; s !== undefined; s = s.previous) parts.push(s.changes);
  return parts.reverse().flat();
}

/**
 * Liveness: orphan deletions orphan — no dependent of an owner deleted with `Orphan` was
 * collected while it still referenced that owner (`orphansKept` of `@kubeloop/controllers`),
 * judged over the whole trace up to the state (the chain of `previous` states), so check it
 * after settling rather than at every step. As for {@link noLiveOwnerCollectedInvariant}, the
 * trace does not say who deleted an object: `deletedByUser(uid)` is true for the uids the test
 * deleted itself (not checked), and `switchedAway(uid)` for the owners whose last delete by the
 * test used another policy than Orphan (default: none), which takes the `orphan` finalizer away.
 * Not in {@link REFERENCE_LIVENESS}, as it needs that knowledge.
 */
export function orphansKeptInvariant(deletedByUser: (uid: string) => boolean, switchedAway: (uid: string) => boolean = () => false): Invariant {
  return invariant('orphansKept', 'No dependent of an owner deleted with Orphan is collected while it still references that owner.', (state) => {
    const trace = fullTrace(state);
    const uids = new Set<string>();
    for (const entry of trace) {
      const uid = entry.object.metadata.uid ?? '';
      if (deletedByUser(uid)) uids.add(uid);
    }
    return orphansKept({ trace, deletedByUser: uids, switchedAway }).map(convert);
  });
}

/**
 * Liveness: after settling, no object that is not being deleted has owner references that all
 * point at absent owners (`noDanglingDependents` of `@kubeloop/controllers`). A kind counts as
 * namespaced when an object of it in the state has a namespace; cluster-scoped dependents of an
 * owner kind never seen are skipped, as the function documents. Weaker than the generic
 * `ownerReferencesResolve` (which asks every reference to resolve).
 */
export const noDanglingDependentsInvariant: Invariant = invariant('noDanglingDependents', 'After settling, no object whose owners are all gone is left.', (state) => {
  const namespacedKinds = new Map<string, boolean>();
  for (const kind of state.kinds) {
    const objects = state.of(kind);
    if (objects.length > 0) namespacedKinds.set(kind, objects.some((o) => o.metadata.namespace !== undefined && o.metadata.namespace !== ''));
  }
  return noDanglingDependents({ objects: allObjects(state), namespaced: (_apiVersion, kind) => namespacedKinds.get(kind) }).map(convert);
});

// Services

/**
 * Liveness: after settling, every Service with a selector has Endpoints and EndpointSlices that
 * list exactly its selected pods, ready or not (`endpointsMatchPods` of `@kubeloop/controllers`).
 */
export const endpointsMatchPodsInvariant: Invariant = invariant('endpointsMatchPods', "After settling, each Service's Endpoints and EndpointSlices list exactly its selected pods.", (state) =>
  endpointsMatchPods({ services: state.of<Service>('Service'), pods: state.of<Pod>('Pod'), endpoints: state.of<Endpoints>('Endpoints'), endpointSlices: state.of<EndpointSlice>('EndpointSlice') }).map(convert),
);

/**
 * Liveness: after settling, no Endpoints object is left without its Service (the API server's
 * `default/kubernetes` aside) (`noEndpointsWithoutService` of `@kubeloop/controllers`).
 *
 * Not in {@link REFERENCE_LIVENESS}: upstream's Endpoints controller deletes leftovers only when
 * their Service goes (and once at start-up), so Endpoints that another writer (your controller,
 * a test) keeps for a name that never had a Service, or a cluster without the Endpoints
 * controller, would fail it with nothing wrong.
 */
export const noEndpointsWithoutServiceInvariant: Invariant = invariant('noEndpointsWithoutService', 'After settling, the Endpoints of a deleted Service are gone.', (state) =>
  noEndpointsWithoutService({ services: state.of<Service>('Service'), endpoints: state.of<Endpoints>('Endpoints') }).map(convert),
);

// Ready-made lists

/**
 * The reference controllers' invariants that hold after every step, whatever the actions and
 * faults: {@link singleControllerInvariant} and {@link podsNotOvercreatedInvariant} (with its
 * default window). {@link foregroundOrderInvariant} needs to know the test's own deletions, and
 * {@link noLiveOwnerCollectedInvariant} too: add them with that knowledge.
 */
export const REFERENCE_SAFETY: readonly Invariant[] = [singleControllerInvariant, podsNotOvercreatedInvariant()];

/**
 * The Deployment and ReplicaSet invariants that hold once the cluster has settled (see the
 * precondition of {@link singleActiveReplicaSetInvariant} for scenarios that stop nodes).
 */
export const DEPLOYMENT_LIVENESS: readonly Invariant[] = [replicaCountsMatchInvariant, replicaStatusMatchesPodsInvariant, singleActiveReplicaSetInvariant, deploymentStatusMatchesInvariant];

/**
 * Every reference controller invariant that holds once the cluster has settled (ReplicaSets,
 * Deployments, DaemonSets, garbage collection, endpoints). Each reads only its own kinds, so a
 * cluster without DaemonSets or Services passes those trivially.
 */
export const REFERENCE_LIVENESS: readonly Invariant[] = [
  ...DEPLOYMENT_LIVENESS,
  oneDaemonPodPerEligibleNodeInvariant,
  daemonSetStatusMatchesInvariant,
  noDanglingDependentsInvariant,
  endpointsMatchPodsInvariant,
];

