/**
 * The VPA under random usage changes (rollouts of a new `kubeloop.dev/cpu-usage`), scaling
 * and waits, with controller-manager crashes: every pod whose requests the VPA set has them
 * within the VPA's minAllowed and maxAllowed (`vpaRequestsWithinBounds`, registered by the
 * plugin). Shown to fail on a recommender broken on purpose: one blind to the resource policy.
 *
 * Settling allows for the recommender narrowing its bounds as its history grows (a status write
 * that only moves lowerBound up and upperBound down toward an unchanged target is a heartbeat,
 * as upstream's recommender writes one at every sync for days); a recommender whose bounds
 * widen again never settles.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deployments, isApiError, parseQuantity } from '@kubeloop/core';
import { DEEP, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster, SimClusterOptions } from '@kubeloop/testing';
import { VerticalPodAutoscalers, verticalPodAutoscalerPlugin } from '@kubeloop/controllers';
import type { RecommendedContainerResources, VerticalPodAutoscaler } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 100 : 4;
const MAX_STEPS = 6;

type Step =
  | { readonly kind: 'usage'; readonly milli: number }
  | { readonly kind: 'scale'; readonly replicas: number }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('usage' as const), milli: fc.integer({ min: 10, max: 2_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('scale' as const), replicas: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 10_000, max: 180_000 }) }) },
);

function workload(): object[] {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' }, annotations: { 'kubeloop.dev/cpu-usage': '300m' } },
          spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } }] },
        },
      },
    },
    {
      apiVersion: 'autoscaling.k8s.io/v1',
      kind: 'VerticalPodAutoscaler',
      metadata: { name: 'app', namespace: 'default' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app' },
        updatePolicy: { updateMode: 'Auto', minReplicas: 1 },
        resourcePolicy: { containerPolicies: [{ containerName: '*', minAllowed: { cpu: '150m', memory: '300Mi' }, maxAllowed: { cpu: '250m', memory: '1Gi' } }] },
      },
    },
  ];
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  if (s.kind === 'wait') return context.advance(s.ms);
  const body = s.kind === 'scale' ? { spec: { replicas: s.replicas } } : { spec: { template: { metadata: { annotations: { 'kubeloop.dev/cpu-usage': `${s.milli}m` } } } } };
  try {
    await cluster.server.patch(Deployments, { namespace: 'default', name: 'app' }, { type: 'merge', body });
  } catch (error) {
    if (!isApiError(error)) throw error;
  }
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>, cluster: Partial<SimClusterOptions> = {}): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: 2, metricsServer: true, verticalPodAutoscaler: true, ...cluster },
    setup: async (c) => {
      await c.apply(workload());
      await c.advance(10_000);
    },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: (s) => (s.kind === 'wait' ? `wait ${s.ms} ms` : s.kind === 'scale' ? `scale app to ${s.replicas}` : `roll out a usage of ${s.milli}m`),
    faults,
    stepMs: 1_000,
    // the recommender and updater act every minute, a rollout after an eviction takes more
    settleMaxMs: 900_000,
    settleQuietMs: 150_000,
    stableMs: 60_000,
    runs: RUNS,
  };
}

describe('Vertical Pod Autoscaler under usage changes', () => {
  it('with controller-manager crashes: the requests it sets stay within minAllowed and maxAllowed', async () => {
    await checkCluster(options('vpa: crashes', faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: 2 }))));
  }, 300_000);

  it('a recommender blind to the resource policy gives pods requests above maxAllowed', async () => {
    const blind = sabotaged(verticalPodAutoscalerPlugin(), {
      read: (r, o) => (r.resource === VerticalPodAutoscalers.resource ? ({ ...o, spec: { ...(o as VerticalPodAutoscaler).spec, resourcePolicy: undefined } } as typeof o) : o),
    });
    const { actions: _a, faults: _f, runs: _r, ...run } = options('vpa: blind', fc.constant([]), { verticalPodAutoscaler: false, plugins: [blind] });
    const steps: Step[] = [{ kind: 'wait', ms: 180_000 }];
    const failure = (await runCase(run, 1, steps, [])).failure;
    expect(failure?.invariant).toBe('vpaRequestsWithinBounds');
    const { actions: _a2, faults: _f2, runs: _r2, ...real } = options('vpa: real', fc.constant([]));
    expect((await runCase(real, 1, steps, [])).failure).toBeUndefined();
  }, 120_000);

  it('settles while the recommender keeps narrowing its bounds toward the target as its history grows', async () => {
    // Found by a deep run (vpa: crashes@667725313; its crash does not matter). After the rollout
    // of 216m, the CPU lower bound, (1 + 0.001/confidence)^-2 × the 0.5 percentile + 15 %, lies
    // between minAllowed and maxAllowed and rises at every one-minute sync, and from 17 minutes
    // on the memory upper bound falls below maxAllowed: the recommender writes the VPA every
    // minute for about an hour, as upstream's would. Settling used to fail after 900 s.
    const { actions: _a, faults: _f, runs: _r, ...run } = options('vpa: narrowing bounds', fc.constant([]));
    const steps: Step[] = [{ kind: 'wait', ms: 122_149 }, { kind: 'usage', milli: 10 }, { kind: 'usage', milli: 216 }, { kind: 'wait', ms: 73_851 }];
    const outcome = await runCase(run, 0, steps, []);
    expect(outcome.failure).toBeUndefined();
    const lowerCpus = outcome.traceJson
      .split('\n')
      .map((line) => JSON.parse(line) as { object: VerticalPodAutoscaler })
      .filter((e) => e.object.kind === 'VerticalPodAutoscaler')
      .map((e) => e.object.status.recommendation?.containerRecommendations?.[0]?.lowerBound?.['cpu'])
      .filter((q) => q !== undefined);
    // The bound did move while the target stayed (150m → 163m at t = 6 min).
    expect(new Set(lowerCpus).size).toBeGreaterThan(1);
  }, 120_000);

  it('a recommender whose lower bound is halved in every other minute never settles', async () => {
    // It never sees its own lower bound, so it writes at every sync; in even minutes the write
    // halves the CPU lower bound. Half of its writes narrow the bounds, half widen them again:
    // every bound-only change being a heartbeat would let it settle.
    const recommendations = (o: VerticalPodAutoscaler): readonly RecommendedContainerResources[] => o.status.recommendation?.containerRecommendations ?? [];
    const withLowerCpu = (o: VerticalPodAutoscaler, cpu: (q: string) => string): VerticalPodAutoscaler => ({
      ...o,
      status: { ...o.status, recommendation: { containerRecommendations: recommendations(o).map((r) => ({ ...r, lowerBound: { ...r.lowerBound, ...(r.lowerBound?.['cpu'] === undefined ? {} : { cpu: cpu(r.lowerBound['cpu']) }) } })) } },
    });
    const halved = (q: string): string => `${Math.trunc(parseQuantity(q).milliValue() / 2)}m`;
    const flapping = sabotaged(verticalPodAutoscalerPlugin(), (manager) => ({
      read: (r, o) => (r.resource === VerticalPodAutoscalers.resource ? withLowerCpu(o as VerticalPodAutoscaler, () => '0') : o),
      rewriteStatus: (r, o) => (r.resource === VerticalPodAutoscalers.resource && Math.floor(manager.clock.now() / 60_000) % 2 === 0 ? withLowerCpu(o as VerticalPodAutoscaler, halved) : o),
    }));
    const { actions: _a, faults: _f, runs: _r, ...run } = options('vpa: flapping', fc.constant([]), { verticalPodAutoscaler: false, plugins: [flapping] });
    const failure = (await runCase(run, 1, [{ kind: 'wait', ms: 180_000 }], [])).failure;
    expect(failure?.invariant).toBe('eventuallyStable');
    expect(failure?.violations[0]?.message).toMatch(/VerticalPodAutoscaler: \d+/);
  }, 120_000);
});
