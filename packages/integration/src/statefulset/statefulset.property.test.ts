/**
 * Safety and liveness of the StatefulSet controller under random scale changes, with
 * controller-manager crashes and cut watches: at any time no two pods share an ordinal, and
 * under OrderedReady no pod is created before every lower ordinal is Running and Ready; once
 * the faults stop and the cluster settles, each set has exactly its `spec.replicas` pods with
 * the ordinals of its range.
 *
 * Pod deletions by users and lagging caches are left out of this first suite: a pod deleted
 * (or made unready) between the controller's read and its create makes upstream's controller,
 * and this one, create the next ordinal too; the invariant judges the store.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { StatefulSets } from '@kubeloop/core';
import { DEEP, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { onePodPerOrdinalInvariant, orderedReadyCreationInvariant, statefulPodsInRangeInvariant, statefulSetPlugin } from '@kubeloop/controllers';

const RUNS = DEEP ? 200 : 8;
const MAX_STEPS = 8;
const NODES = 2;
const SETS = ['ordered', 'parallel'] as const;

type Step = { readonly kind: 'scale'; readonly set: number; readonly replicas: number } | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('scale' as const), set: fc.nat(1), replicas: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 60_000 })) }) },
);

function sets(): object[] {
  return SETS.map((name) => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 2,
      podManagementPolicy: name === 'parallel' ? 'Parallel' : 'OrderedReady',
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } },
    },
  }));
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  if (s.kind === 'wait') return context.advance(s.ms);
  await cluster.server.patch(StatefulSets, { namespace: 'default', name: SETS[s.set]! }, { type: 'merge', body: { spec: { replicas: s.replicas } } });
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODES, controllerManager: { plugins: [statefulSetPlugin()] } },
    setup: async (cluster) => {
      await cluster.apply(sets());
      await cluster.advance(5_000);
    },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: (s) => (s.kind === 'wait' ? `wait ${s.ms} ms` : `scale ${SETS[s.set]} to ${s.replicas}`),
    faults,
    safety: [onePodPerOrdinalInvariant, orderedReadyCreationInvariant],
    liveness: [statefulPodsInRangeInvariant],
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}

describe('StatefulSet under random scale changes', () => {
  it('with controller-manager crashes: no ordinal twice, ordered creation under OrderedReady, and exactly the range after settling', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }));
    await checkCluster(options('statefulset: crashes', faults));
  }, 120_000);

  it('the same when every watch of the controller manager is cut with 410 Gone while the faults last', async () => {
    await checkCluster(options('statefulset: cut watches', faultSchedulesWith([faultArbitrary({ kinds: ['expireWatches'] })], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);
});
