/**
 * Safety and liveness of PodDisruptionBudgets under random evictions and scale changes, with
 * controller-manager crashes and cut watches: no eviction is ever charged to a budget whose pods
 * allowed none while its status described them (`evictionsRespectBudgets`), and once the faults
 * stop and the cluster settles, every budget's status says what its spec says of the pods
 * (`budgetStatusMatchesPods`). A Deployment under `maxUnavailable: 1` and a StatefulSet under
 * `minAvailable: "50%"`.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { Deployments, Pods, isApiError } from '@kubeloop/core';
import { DEEP, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { budgetStatusMatchesPodsInvariant, evictionsRespectBudgetsInvariant } from '@kubeloop/controllers';

const RUNS = DEEP ? 200 : 6;
const MAX_STEPS = 8;
const NODES = 2;

type Step =
  | { readonly kind: 'evict'; readonly pick: number }
  | { readonly kind: 'scale'; readonly replicas: number }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('evict' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('scale' as const), replicas: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 30_000 })) }) },
);

function workloads(): object[] {
  const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } });
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template('web') } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' }, spec: { replicas: 3, serviceName: 'db', podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'db' } }, template: template('db') } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db', namespace: 'default' }, spec: { minAvailable: '50%', selector: { matchLabels: { app: 'db' } } } },
  ];
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  if (s.kind === 'wait') return context.advance(s.ms);
  if (s.kind === 'scale') {
    await cluster.server.patch(Deployments, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { replicas: s.replicas } } });
    return;
  }
  const pods = (await cluster.server.list(Pods, { namespace: 'default' })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
  const names = pods.map((p) => p.metadata.name ?? '').sort();
  if (names.length === 0) return;
  try {
    await cluster.server.evict({ namespace: 'default', name: names[s.pick % names.length]! });
  } catch (error) {
    // Refused (429), a pod two budgets select (500), a race with its deletion (404/409): all answers the API gives.
    if (!isApiError(error)) throw error;
  }
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODES },
    setup: async (cluster) => {
      await cluster.apply(workloads());
      await cluster.advance(10_000);
    },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: (s) => (s.kind === 'wait' ? `wait ${s.ms} ms` : s.kind === 'scale' ? `scale web to ${s.replicas}` : `evict pod #${s.pick}`),
    faults,
    safety: [evictionsRespectBudgetsInvariant],
    liveness: [budgetStatusMatchesPodsInvariant],
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}

describe('PodDisruptionBudgets under random evictions and scale changes', () => {
  it('with controller-manager crashes: no eviction past the budget, and the status matches the pods after settling', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }));
    await checkCluster(options('disruption: crashes', faults));
  }, 180_000);

  it('the same when every watch of the controller manager is cut with 410 Gone while the faults last', async () => {
    await checkCluster(options('disruption: cut watches', faultSchedulesWith([faultArbitrary({ kinds: ['expireWatches'] })], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 180_000);
});
