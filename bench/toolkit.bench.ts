/**
 * Property-testing toolkit benchmark (issue 5): full-cluster runs per second of `runCase` for a
 * small scenario — 3 fake nodes, one Deployment (with the Deployment, ReplicaSet and garbage
 * collector controllers), 20 generated actions and a generated fault schedule — each run built,
 * set up, driven, settled and checked against the generic invariants.
 */
import fc from 'fast-check';
import { deploymentPlugin, garbageCollectorPlugin, replicaSetPlugin } from '@kubeloop/controllers';
import { GENERIC_SAFETY, clusterAction, faultSchedules, ownerReferencesResolve, runCase } from '@kubeloop/testing';
import type { ClusterAction, FaultSchedule, RunOptions, SimCluster } from '@kubeloop/testing';
import type { Figure } from './harness.js';

const RUNS = 20;

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', resources: { requests: { cpu: '100m' } } }] } } },
};

/** The scenario, shared with the toolkit's tests of the reference controllers. */
export const scenario: RunOptions = {
  name: 'bench: 3 nodes, one Deployment, 20 actions, faults',
  cluster: { nodes: 3, controllerManager: { plugins: [replicaSetPlugin(), deploymentPlugin(), garbageCollectorPlugin()] } },
  setup: async (cluster: SimCluster) => {
    await cluster.apply(deployment);
    await cluster.settle();
  },
  safety: GENERIC_SAFETY,
  liveness: [ownerReferencesResolve],
  stableMs: 20_000,
};

export async function figures(): Promise<Figure[]> {
  const actions = fc.sample(fc.array(clusterAction({ workloads: ['Deployment'], nodes: 3 }), { minLength: 20, maxLength: 20 }), { numRuns: RUNS, seed: 1 }) as ClusterAction[][];
  const sample = fc.sample(faultSchedules({ maxFaults: 4, steps: 20, nodes: 3 }), { numRuns: RUNS, seed: 2 }) as FaultSchedule[];
  let failures = 0;
  let virtualMs = 0;
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const outcome = await runCase(scenario, i, actions[i]!, sample[i]!);
    if (outcome.failure !== undefined) failures++;
    const last = outcome.traceJson.slice(outcome.traceJson.lastIndexOf('\n') + 1);
    virtualMs += (JSON.parse(last) as { t: number }).t;
  }
  const seconds = (performance.now() - start) / 1000;
  return [
    { name: `full-cluster runs/s (3 nodes, 1 Deployment, 20 actions, faults; ${RUNS} runs)`, value: RUNS / seconds, unit: 'runs/s' },
    { name: 'mean virtual time per run', value: virtualMs / RUNS / 1000, unit: 's virtual' },
    { name: 'runs that violated an invariant (reported, not asserted)', value: failures, unit: 'runs' },
  ];
}
