/**
 * The toolkit on the reference controllers: a Deployment on 3 nodes under generated actions
 * and faults keeps the generic invariants (the bench's scenario, bench/toolkit.bench.ts).
 */
import { describe, it } from 'vitest';
import { deploymentPlugin, garbageCollectorPlugin, replicaSetPlugin } from '@kubeloop/controllers';
import { DEEP, GENERIC_SAFETY, checkCluster, clusterActions, faultSchedules, ownerReferencesResolve } from '../index.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', resources: { requests: { cpu: '100m' } } }] } } },
};

describe('checkCluster on the reference workload controllers', () => {
  it('a Deployment under generated actions and faults keeps the generic invariants, and owner references resolve after settling', async () => {
    await checkCluster({
      name: 'reference deployment',
      cluster: { nodes: 3, controllerManager: { plugins: [replicaSetPlugin(), deploymentPlugin(), garbageCollectorPlugin()] } },
      setup: async (cluster) => {
        await cluster.apply(deployment);
        await cluster.settle();
      },
      actions: clusterActions({ workloads: ['Deployment'], nodes: 3, maxActions: 20 }),
      faults: faultSchedules({ maxFaults: 4, steps: 20, nodes: 3 }),
      safety: GENERIC_SAFETY,
      liveness: [ownerReferencesResolve],
      stableMs: 20_000,
      runs: DEEP ? 200 : 8,
    });
  });
});
