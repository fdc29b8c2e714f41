/**
 * checkCluster checks the invariants the cluster's plugins register (core's
 * `PluginApi.addInvariant`) without being told: a new controller brings its invariants along,
 * and nothing in the toolkit names it.
 */
import { describe, expect, it } from 'vitest';
import { invariant, refOf } from '@kubeloop/core';
import type { ConfigMap, Invariant, Plugin } from '@kubeloop/core';
import { SimCluster, runCase } from '../index.js';
import type { RunOptions } from '../index.js';

/** Fails on the ConfigMaps named `name`. */
const noConfigMapNamed = (name: string, kind: 'safety' | 'liveness'): Invariant =>
  invariant(`noConfigMapNamed-${name}`, `No ConfigMap is named ${name}.`, (state) => state.of<ConfigMap>('ConfigMap').filter((c) => c.metadata.name === name).map((c) => ({ message: 'exists', objects: [refOf(c)] })), kind);

const forbidden = noConfigMapNamed('forbidden', 'safety');
const late = noConfigMapNamed('late', 'liveness');

/** A user's plugin: no controller here, only the invariants its controller would guarantee. */
const rulesPlugin: Plugin = {
  name: 'example.com/config-rules',
  register(api) {
    api.addInvariant(forbidden);
    api.addInvariant(late);
  },
};

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: {} });

const scenario = (extra: Partial<RunOptions<string>> = {}): RunOptions<string> => ({
  name: 'config rules',
  cluster: { nodes: 0, controllerManager: { plugins: [rulesPlugin] } },
  perform: async (cluster, name) => void (await cluster.apply(configMap(name))),
  stableMs: 1_000,
  ...extra,
});

describe('invariants registered by plugins', () => {
  it('checks a safety invariant a plugin registers after every step, naming the objects, though the test lists none', async () => {
    const outcome = await runCase(scenario(), 1, ['ok', 'forbidden'], []);
    expect(outcome.failure).toMatchObject({ invariant: 'noConfigMapNamed-forbidden', when: 'after step 1 ("forbidden")', violations: [{ message: 'exists', objects: [{ kind: 'ConfigMap', namespace: 'default', name: 'forbidden' }] }] });
  });

  it('checks a liveness invariant a plugin registers once the cluster has settled, not after each step', async () => {
    const outcome = await runCase(scenario(), 1, ['late', 'ok'], []);
    expect(outcome.failure).toMatchObject({ invariant: 'noConfigMapNamed-late', when: 'after settling' });
  });

  it("collects the invariants of the cluster's own plugins too, not only the controller manager's", async () => {
    const outcome = await runCase(scenario({ cluster: { nodes: 0, plugins: [rulesPlugin], controllerManager: false } }), 1, ['forbidden'], []);
    expect(outcome.failure?.invariant).toBe('noConfigMapNamed-forbidden');
  });

  it("an invariant the test gives under the same name replaces the plugin's; pluginInvariants: false checks only the test's", async () => {
    const lenient = invariant(forbidden.name, 'Anything goes.', () => [], 'safety');
    expect((await runCase(scenario({ safety: [lenient], liveness: [invariant(late.name, 'Anything goes.', () => [])] }), 1, ['forbidden', 'late'], [])).failure).toBeUndefined();
    expect((await runCase(scenario({ pluginInvariants: false }), 1, ['forbidden', 'late'], [])).failure).toBeUndefined();
  });

  it('a SimCluster lists the invariants its plugins registered: by default those of the reference controllers', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 0 });
    try {
      expect(cluster.invariants().map((i) => `${i.name} (${i.kind})`)).toEqual([
        // The API server's Service address allocation, which SimCluster states first
        'serviceClusterIPsUnique (safety)',
        'serviceNodePortsUnique (safety)',
        // The node lifecycle plugin's, which SimCluster runs itself
        'noEvictionBeforeToleration (transition)',
        'noNodeUnknownWithinGrace (safety)',
        'lifecycleTaintTimeAddedKept (transition)',
        // The traffic plugin's (kube-proxy and cluster DNS), which SimCluster runs itself
        'trafficReachesReadyEndpoints (safety)',
        'trafficLocalStaysOnNode (safety)',
        'dnsAnswersReadyEndpoints (liveness)',
        'noDanglingDependents (liveness)',
        'noDanglingReferences (liveness)',
        'singleController (safety)',
        'podsNotOvercreated (transition)',
        'noCreationsWhileDeleting (transition)',
        'replicaFailureCondition (transition)',
        'availableNotBeforeMinReadySeconds (transition)',
        'scaleDownDeletesLowestRanked (transition)',
        'podsNotOverdeleted (transition)',
        // ReplicaSets', then ReplicationControllers' (each plugin judges its own kind)
        'replicaCountsMatch (liveness)',
        'statusMatchesPods (liveness)',
        'ownershipFollowsSelectors (liveness)',
        'replicaCountsMatch (liveness)',
        'statusMatchesPods (liveness)',
        'ownershipFollowsSelectors (liveness)',
        'deploymentStatusMatches (liveness)',
        'oneDaemonPodPerEligibleNode (liveness)',
        'daemonSetStatusMatches (liveness)',
        'statefulPodsInRange (liveness)',
        'onePodPerOrdinal (safety)',
        'orderedReadyCreation (transition)',
        'podMountsOwnClaim (safety)',
        'retainClaimNeverDeleted (transition)',
        'bindingIsMutual (safety)',
        'podsFollowTheirVolumes (safety)',
        'claimNotRemovedWhileMounted (transition)',
        'volumeNotRemovedWhileBound (transition)',
        'endpointsMatchPods (liveness)',
        'budgetStatusMatchesPods (liveness)',
        'evictionsRespectBudgets (transition)',
        'hpaScalesWithinBounds (transition)',
        'hpaScaleStepsWithinPolicies (transition)',
        'hpaScaleDownsStabilized (transition)',
        'jobSucceededWithinCompletions (safety)',
        'jobIndexesSucceedOnce (safety)',
        'finishedJobHasNoActivePods (safety)',
        'jobPodsWithinParallelism (transition)',
        'jobTrackingFinalizersReleased (liveness)',
        'finishedJobsDeletedAfterTtl (liveness)',
        'cronJobForbidConcurrency (safety)',
        'cronJobJobsOnSchedule (safety)',
        'cronJobOneJobPerTime (transition)',
        'cronJobActiveMatchesJobs (liveness)',
        'loadBalancerAddressesUnique (safety)',
        'loadBalancerAddressesInPools (liveness)',
        'clusterRolesAggregated (liveness)',
      ]);
    } finally {
      await cluster.stop();
    }
  });
});
