/**
 * The object arbitraries reach the boundaries where controllers round wrong (replicas 1–3,
 * percentages that round, `maxSurge`/`maxUnavailable` 0) often enough that the default run of a
 * property finds a rounding bug, not only a deep run: measured on the distributions, and on a
 * rollout check drawn from them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deployments, transitionInvariant } from '@kubeloop/core';
import { deploymentPlugin, replicaSetPlugin, rolloutBoundsInvariant } from '@kubeloop/controllers';
import { DEFAULT_RUNS, checkCluster, everyState, replicaCounts, rollingUpdates } from '../index.js';
import type { RollingUpdateStrategy, RunContext, SimCluster } from '../index.js';

/** `GetScaledValueFromIntOrPercent`, for the measurements below. */
const scaled = (v: number | string, total: number, up: boolean) => (typeof v === 'number' ? v : (up ? Math.ceil : Math.floor)((Number.parseInt(v, 10) * total) / 100));
const rounds = (v: number | string, total: number) => scaled(v, total, true) !== scaled(v, total, false);

describe('boundary arbitraries', () => {
  it('draw 1–3 replicas about two times in three and 0 about one time in eight', () => {
    const counts = fc.sample(replicaCounts(), { numRuns: 2_000, seed: 1 });
    expect(counts.every((n) => Number.isInteger(n) && n >= 0 && n <= 5)).toBe(true);
    expect(counts.filter((n) => n >= 1 && n <= 3).length / counts.length).toBeGreaterThan(0.6);
    expect(counts.filter((n) => n === 0).length / counts.length).toBeGreaterThan(0.1);
    expect(new Set(counts).size).toBe(6);
  });

  it('draw strategies whose maxSurge rounds, whose maxUnavailable is 0, and whose both resolve to 0, each in more than one Deployment in ten', () => {
    const drawn = fc.sample(fc.tuple(replicaCounts(), rollingUpdates()), { numRuns: 2_000, seed: 2 });
    const share = (p: (r: number, s: RollingUpdateStrategy['rollingUpdate']) => boolean) => drawn.filter(([r, s]) => p(r, s.rollingUpdate)).length / drawn.length;
    expect(share((_, s) => (s.maxSurge === 0 || s.maxSurge === '0%') && (s.maxUnavailable === 0 || s.maxUnavailable === '0%'))).toBe(0);
    expect(share((r, s) => r > 0 && rounds(s.maxSurge, r))).toBeGreaterThan(0.25);
    expect(share((r, s) => r > 0 && rounds(s.maxUnavailable, r))).toBeGreaterThan(0.25);
    expect(share((r, s) => r > 0 && scaled(s.maxUnavailable, r, false) === 0)).toBeGreaterThan(0.3);
    expect(share((r, s) => r > 0 && scaled(s.maxSurge, r, true) === 0 && scaled(s.maxUnavailable, r, false) === 0)).toBeGreaterThan(0.02);
    expect(share((r, s) => r > 0 && rounds(s.maxSurge, r) && scaled(s.maxUnavailable, r, false) === 0)).toBeGreaterThan(0.1);
  });
});

/** A rollout run: create a Deployment of the drawn shape and settle, then change its template. */
type Step = { readonly kind: 'create'; readonly replicas: number; readonly strategy: RollingUpdateStrategy } | { readonly kind: 'template'; readonly version: number; readonly waitMs: number };

const KEY = { namespace: 'default', name: 'web' };
const template = (version: number) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25', env: [{ name: 'VERSION', value: `v${version}` }] }] } });

/** Whether the bounds apply: the Deployment settled with every replica available (and so never scaled since). */
interface RunState {
  armed: boolean;
  /** The check right after the creation covers the states while it started: not judged. */
  skip: boolean;
}

async function perform(cluster: SimCluster, s: Step, context: RunContext<RunState>): Promise<void> {
  if (s.kind === 'create') {
    await cluster.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: KEY, spec: { replicas: s.replicas, selector: { matchLabels: { app: 'web' } }, strategy: s.strategy, template: template(0) } });
    await context.settle();
    const d = await cluster.get(Deployments, KEY);
    context.state.armed = d.status?.observedGeneration === d.metadata.generation && (d.status?.availableReplicas ?? 0) === d.spec.replicas;
    context.state.skip = true;
    return;
  }
  await cluster.server.patch(Deployments, KEY, { type: 'merge', body: { spec: { template: template(s.version) } } });
  await context.advance(s.waitMs);
}

const steps = fc
  .tuple(
    fc.record({ kind: fc.constant('create' as const), replicas: replicaCounts(), strategy: rollingUpdates() }),
    fc.array(fc.record({ kind: fc.constant('template' as const), version: fc.integer({ min: 1, max: 3 }), waitMs: fc.integer({ min: 1, max: 10_000 }) }), { minLength: 1, maxLength: 4 }),
  )
  .map(([create, rest]): Step[] => [create, ...rest]);

describe('a rollout drawn from the boundary arbitraries', () => {
  it(`keeps every state between replicas − maxUnavailable ready and replicas + maxSurge active pods (${DEFAULT_RUNS} runs by default)`, async () => {
    const bounds = everyState(rolloutBoundsInvariant({ availabilityCounts: 'ready' }), { kinds: ['Deployment', 'ReplicaSet', 'Pod'] });
    let run: RunState = { armed: false, skip: false };
    await checkCluster<Step, RunState>({
      name: 'boundaries: rollout bounds',
      cluster: { nodes: 3, controllerManager: { plugins: [replicaSetPlugin(), deploymentPlugin()] } },
      runState: () => (run = { armed: false, skip: false }),
      actions: steps,
      perform,
      describe: (s) => (s.kind === 'create' ? `create web: replicas ${s.replicas}, ${JSON.stringify(s.strategy.rollingUpdate)}; settle` : `template v${s.version}, wait ${s.waitMs} ms`),
      // The bounds hold once the Deployment settled at its replicas, and it is never scaled.
      safety: [
        transitionInvariant(bounds.name, bounds.description, (previous, state) => {
          const judged = run.armed && !run.skip;
          run.skip = false;
          return judged ? bounds.check(state, previous) : [];
        }),
      ],
      stepMs: 1,
    });
  }, 120_000);
});
