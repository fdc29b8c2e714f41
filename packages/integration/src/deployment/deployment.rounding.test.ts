/**
 * The toolkit's boundary arbitraries (`replicaCounts`, `rollingUpdates`, `intOrPercents`) were
 * biased to where rollout arithmetic rounds (1–3 replicas, percentages that do not divide them,
 * `maxSurge`/`maxUnavailable` 0) so that a rounding bug shows in a property's default run, not
 * only in a deep one. This file shows it: the same default-count check of rollouts drawn from
 * them passes with the real Deployment controller and fails, with `rolloutBounds`, on one broken
 * on purpose that rounds a percentage `maxUnavailable` up instead of down.
 *
 * Upstream (`GetScaledValueFromIntOrPercent` through `ResolveFenceposts`) rounds `maxSurge` up and
 * `maxUnavailable` down: 25% of 3 replicas allows 1 extra pod and 0 unavailable ones. A
 * controller that rounds both up (one helper for both, a natural slip) takes 1 old pod down
 * before its replacement is ready: 2 available of 3, where the documentation promises at least
 * `replicas − maxUnavailable` = 3.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deployments, transitionInvariant } from '@kubeloop/core';
import type { Deployment, Plugin } from '@kubeloop/core';
import { CheckFailure, DEFAULT_RUNS, checkCluster, everyState, replicaCounts, rollingUpdates, rolloutBoundsInvariant } from '@kubeloop/testing';
import type { CheckClusterOptions, RollingUpdateStrategy, RunContext, SimCluster } from '@kubeloop/testing';
import { deploymentPlugin, replicaSetPlugin } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

/** A run: create a Deployment of the drawn shape and settle, then change its template a few times. */
type Step = { readonly kind: 'create'; readonly replicas: number; readonly strategy: RollingUpdateStrategy } | { readonly kind: 'template'; readonly version: number; readonly waitMs: number };

const KEY = { namespace: 'default', name: 'web' };

const template = (version: number) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25', env: [{ name: 'VERSION', value: `v${version}` }] }] } });

/**
 * Whether the bounds apply to the states since the last check: the Deployment settled with every
 * replica available (it is never scaled), and the check is not the one right after its creation
 * (its pods were starting).
 */
interface RunState {
  armed: boolean;
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

/** Replicas, maxSurge and maxUnavailable from the toolkit's boundary arbitraries; template changes back to back or seconds apart. */
const steps: fc.Arbitrary<readonly Step[]> = fc
  .tuple(
    fc.record({ kind: fc.constant('create' as const), replicas: replicaCounts(), strategy: rollingUpdates() }),
    fc.array(fc.record({ kind: fc.constant('template' as const), version: fc.integer({ min: 1, max: 3 }), waitMs: fc.integer({ min: 1, max: 10_000 }) }), { minLength: 1, maxLength: 4 }),
  )
  .map(([create, rest]): Step[] => [create, ...rest]);

function describeStep(s: Step): string {
  return s.kind === 'create' ? `create web: replicas ${s.replicas}, maxSurge ${s.strategy.rollingUpdate.maxSurge}, maxUnavailable ${s.strategy.rollingUpdate.maxUnavailable}; settle` : `template v${s.version}, wait ${s.waitMs} ms`;
}

/** The default-count check of rollouts drawn from the boundary arbitraries, with `deployment` as the Deployment controller. */
function options(name: string, deployment: Plugin): CheckClusterOptions<Step, RunState> {
  const bounds = everyState(rolloutBoundsInvariant(), { kinds: ['Deployment', 'ReplicaSet', 'Pod'] });
  return {
    name,
    cluster: { nodes: 3, controllerManager: { plugins: [replicaSetPlugin(), deployment] } },
    runState: () => ({ armed: false, skip: false }),
    actions: steps,
    perform,
    describe: describeStep,
    safety: (run) => [
      transitionInvariant(bounds.name, bounds.description, (previous, state) => {
        const judged = run.armed && !run.skip;
        run.skip = false;
        return judged ? bounds.check(state, previous) : [];
      }),
    ],
    stepMs: 1,
  };
}

/**
 * A Deployment controller broken on purpose: it resolves a percentage `maxUnavailable` against
 * `spec.replicas` rounding up, as it should `maxSurge` (its view of each Deployment carries the
 * rounded-up count instead of the percentage); whole numbers are read as they are.
 */
function roundsMaxUnavailableUp(): Plugin {
  const view = (d: Deployment): Deployment => {
    const ru = d.spec.strategy.type === 'RollingUpdate' ? d.spec.strategy.rollingUpdate : undefined;
    const value = ru?.maxUnavailable;
    if (ru === undefined || typeof value !== 'string' || !value.endsWith('%')) return d;
    const roundedUp = Math.ceil((Number.parseInt(value, 10) * d.spec.replicas) / 100);
    return { ...d, spec: { ...d.spec, strategy: { ...d.spec.strategy, rollingUpdate: { ...ru, maxUnavailable: roundedUp } } } };
  };
  return sabotaged(deploymentPlugin(), {
    read: (resource, o) => (resource.kind === 'Deployment' ? view(o as Deployment) : o),
    get: (resource, _key, o) => (resource.kind === 'Deployment' ? view(o as Deployment) : o),
  });
}

/**
 * The pods a rollout may take down (upstream `ResolveFenceposts`, stated here for the
 * measurement below): `maxUnavailable` resolved with `round`, 1 when it and the rounded-up
 * `maxSurge` are both 0, never more than `replicas`.
 */
function unavailableBudget(replicas: number, s: RollingUpdateStrategy['rollingUpdate'], round: (x: number) => number): number {
  const resolve = (v: number | string, r: (x: number) => number) => (typeof v === 'number' ? v : r((Number.parseInt(v, 10) * replicas) / 100));
  const surge = resolve(s.maxSurge, Math.ceil);
  const unavailable = resolve(s.maxUnavailable, round);
  return Math.min(surge === 0 && unavailable === 0 ? 1 : unavailable, replicas);
}

describe(`rollouts drawn from the boundary arbitraries, the default ${DEFAULT_RUNS} runs`, () => {
  it('draw a Deployment whose unavailable budget the broken rounding raises in more than one run in five, so the default runs miss it less than once in a hundred', () => {
    // Why the default run finds the bug: the first template change of a run rolls out at the
    // drawn shape, and the broken controller then takes down more pods than the budget allows.
    const drawn = fc.sample(fc.tuple(replicaCounts(), rollingUpdates()), { numRuns: 2_000, seed: 3 });
    const raised = drawn.filter(([r, s]) => unavailableBudget(r, s.rollingUpdate, Math.ceil) > unavailableBudget(r, s.rollingUpdate, Math.floor)).length / drawn.length;
    expect(raised).toBeGreaterThan(1 / 5);
    expect((1 - raised) ** DEFAULT_RUNS).toBeLessThan(1 / 100);
  });

  it('keep at least replicas − maxUnavailable available and at most replicas + maxSurge active pods with the real Deployment controller', async () => {
    await checkCluster(options('deployment rounding: real', deploymentPlugin()));
  }, 120_000);

  it('catch a Deployment controller that rounds a percentage maxUnavailable up: rolloutBounds fails', async () => {
    const failure = await checkCluster(options('deployment rounding: maxUnavailable rounded up', roundsMaxUnavailableUp())).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(CheckFailure);
    const outcome = (failure as CheckFailure).outcome;
    expect(outcome.failure?.invariant).toBe('rolloutBounds');
    expect(outcome.failure?.violations[0]?.message).toMatch(/^at t=\d+: \d+ available pods, fewer than replicas \d+ − maxUnavailable \d+$/);
  }, 120_000);
});
