/**
 * The reference controllers' invariants, grouped for tests that check them in a cluster of
 * their own. Each controller states its invariants itself (in `@kubeloop/controllers`) and its
 * plugin registers those valid in any cluster that runs it, so {@link checkCluster} checks them
 * without being told; these lists are for runs that want them explicitly.
 *
 * @module
 */
import { pluginInvariants } from '@kubeloop/core';
import type { Invariant } from '@kubeloop/core';
import { deploymentStatusMatchesInvariant, replicaCountsMatchInvariant, replicaStatusMatchesPodsInvariant, singleActiveReplicaSetInvariant } from '@kubeloop/controllers';
import { DEFAULT_CONTROLLER_PLUGINS } from '../sim/cluster.js';

/** What the default controller manager's plugins register. */
const registered = pluginInvariants(DEFAULT_CONTROLLER_PLUGINS);

/**
 * The reference controllers' invariants that hold after every step, whatever the actions and
 * faults: the safety and transition invariants their plugins register (`singleController`, and
 * `podsNotOvercreated` with its default window). `foregroundOrderInvariant` and
 * `noLiveOwnerCollectedInvariant` need to know the test's own deletions: add them with that
 * knowledge.
 */
export const REFERENCE_SAFETY: readonly Invariant[] = registered.filter((i) => i.kind !== 'liveness');

/**
 * The Deployment and ReplicaSet invariants that hold once the cluster has settled (see the
 * precondition of `singleActiveReplicaSetInvariant` for scenarios that stop nodes).
 */
export const DEPLOYMENT_LIVENESS: readonly Invariant[] = [replicaCountsMatchInvariant, replicaStatusMatchesPodsInvariant, singleActiveReplicaSetInvariant, deploymentStatusMatchesInvariant];

/**
 * Every reference controller invariant that holds once the cluster has settled: the liveness
 * invariants the plugins of the default controller manager register (ReplicaSets,
 * ReplicationControllers, Deployments, DaemonSets, garbage collection, endpoints). Each reads
 * only its own kinds, so a cluster without DaemonSets or Services passes those trivially.
 */
export const REFERENCE_LIVENESS: readonly Invariant[] = registered.filter((i) => i.kind === 'liveness');
