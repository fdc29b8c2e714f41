/**
 * Liveness and safety of the ReplicaSet and ReplicationController controllers under random
 * scale changes, pod deletions, label edits on pods and node failures, with and without
 * controller-manager crashes and cut watches: once the faults stop and the cluster settles,
 * every owner controls exactly `spec.replicas` active pods with a truthful status, and no pod
 * ever has two controllers (upstream's level-triggered `syncReplicaSet` with expectations).
 */
import { describe, expect, it } from 'vitest';
import { fc } from '@fast-check/vitest';
import { Pods, ReplicaSets, ReplicationControllers, VirtualClockError, latency } from '@kubeloop/core';
import type { ClientInterceptor, Clock } from '@kubeloop/core';
import { SimCluster, bufferWatches, expireWatches } from '@kubeloop/testing';
import { replicaSetPlugin, replicationControllerPlugin } from './plugin.js';
import { replicaInvariants, singleController } from './invariants.js';
import type { ReplicaState } from './invariants.js';

const DEEP = process.env.KUBELOOP_DEEP === '1';
const RUNS = DEEP ? 100 : 10;
const NODES = ['node-1', 'node-2', 'node-3'];
const APPS = ['a', 'b', 'c'] as const;

type Step =
  | { readonly kind: 'scale'; readonly owner: number; readonly replicas: number }
  | { readonly kind: 'deletePod'; readonly pick: number }
  | { readonly kind: 'relabel'; readonly pick: number; readonly app: string | undefined }
  | { readonly kind: 'stopNode'; readonly node: number }
  | { readonly kind: 'restoreNode'; readonly node: number }
  | { readonly kind: 'restart' }
  | { readonly kind: 'wait'; readonly ms: number };

const baseStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('scale' as const), owner: fc.nat(2), replicas: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('relabel' as const), pick: fc.nat(50), app: fc.constantFrom<string | undefined>('a', 'b', 'c', 'stray', undefined) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stopNode' as const), node: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restoreNode' as const), node: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 120_000 })) }) },
);
const withRestarts: fc.Arbitrary<Step> = fc.oneof({ weight: 6, arbitrary: baseStep }, { weight: 1, arbitrary: fc.constant<Step>({ kind: 'restart' }) });

/** Owners: ReplicaSets `a` and `b`, ReplicationController `c`, each selecting `app=<name>`. */
function owners(): object[] {
  const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } });
  return [
    ...['a', 'b'].map((app) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: app, namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: { app } }, template: template(app) } })),
    { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'c', namespace: 'default' }, spec: { replicas: 2, selector: { app: 'c' }, template: template('c') } },
  ];
}

async function snapshot(cluster: SimCluster): Promise<ReplicaState> {
  return {
    pods: (await cluster.server.list(Pods)).items,
    replicaSets: (await cluster.server.list(ReplicaSets)).items,
    replicationControllers: (await cluster.server.list(ReplicationControllers)).items,
  };
}

async function run(steps: readonly Step[], seed: number, interceptors?: (clock: Clock) => readonly ClientInterceptor[], quietMs?: number): Promise<void> {
  const cluster = await SimCluster.create({
    seed,
    nodes: 3,
    controllerManager: { plugins: [replicaSetPlugin(), replicationControllerPlugin()], ...(interceptors === undefined ? {} : { interceptors }) },
  });
  try {
    await cluster.apply(owners());
    await cluster.advance(5_000);
    const stopped = new Set<string>();
    for (const step of steps) {
      await apply(cluster, step, stopped);
      // Safety holds after every step, not only once settled.
      expect(singleController(await snapshot(cluster))).toEqual([]);
    }
    for (const node of stopped) await cluster.restoreNode(node);
    await cluster.settle({ maxMs: 1_200_000, ...(quietMs === undefined ? {} : { quietMs }) });
    expect(replicaInvariants(await snapshot(cluster))).toEqual([]);
  } finally {
    await cluster.stop();
  }
}

async function apply(cluster: SimCluster, step: Step, stopped: Set<string>): Promise<void> {
  const server = cluster.server;
  switch (step.kind) {
    case 'scale': {
      const name = APPS[step.owner]!;
      // kubectl scale: a patch without a resourceVersion, so it never conflicts with status writes.
      const patch = { type: 'merge' as const, body: { spec: { replicas: step.replicas } } };
      if (name === 'c') await server.patch(ReplicationControllers, { namespace: 'default', name }, patch);
      else await server.patch(ReplicaSets, { namespace: 'default', name }, patch);
      return;
    }
    case 'deletePod': {
      const pods = (await server.list(Pods, { namespace: 'default' })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
      const pod = pods[step.pick % Math.max(1, pods.length)];
      if (pod !== undefined) await server.delete(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'relabel': {
      const pods = (await server.list(Pods, { namespace: 'default' })).items;
      const pod = pods[step.pick % Math.max(1, pods.length)];
      if (pod === undefined) return;
      await server
        .patch(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }, { type: 'merge', body: { metadata: { labels: { app: step.app ?? null } } } })
        .catch(() => undefined);
      return;
    }
    case 'stopNode': {
      const node = NODES[step.node]!;
      if (stopped.has(node)) return;
      stopped.add(node);
      cluster.stopNode(node);
      return;
    }
    case 'restoreNode': {
      const node = NODES[step.node]!;
      if (!stopped.delete(node)) return;
      await cluster.restoreNode(node);
      return;
    }
    case 'restart':
      await restart(cluster);
      return;
    case 'wait':
      await cluster.advance(step.ms);
      return;
  }
}

/**
 * Crashes and restarts the controller manager, letting virtual time pass (1 ms steps) while the
 * restart is under way, so the crash lands inside reconciles asleep in a write's latency.
 * Works whether or not the restart waits for the crashed manager's workers: while
 * `restartControllerManager` flushes the clock, an advance is refused as `busy`, and the
 * restart is then waited for on its own.
 */
async function restart(cluster: SimCluster): Promise<void> {
  const busy = (error: unknown): boolean => error instanceof VirtualClockError && error.code === 'busy';
  let finished = false;
  const restarted = cluster.restartControllerManager().then(
    () => {
      finished = true;
    },
    (error: unknown) => {
      finished = true;
      if (!busy(error)) throw error;
    },
  );
  for (let i = 0; !finished && i < 10_000; i++) {
    try {
      await cluster.clock.advance(1);
    } catch (error) {
      if (!busy(error)) throw error;
      break;
    }
  }
  await restarted;
}

describe('ReplicaSet and ReplicationController under random changes', () => {
  it('for any sequence of scale changes, pod deletions, label edits on pods and node failures, after settling the active owned pods equal spec.replicas and no pod has two controllers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(baseStep, { minLength: 1, maxLength: 10 }), fc.nat(1000), async (steps, seed) => run(steps, seed)),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('the same holds when the controller manager crashes and restarts between steps and inside reconciles (writes take virtual time)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(withRestarts, { minLength: 1, maxLength: 10 }), fc.nat(1000), async (steps, seed) => run(steps, seed, (clock) => [latency(clock, (r) => (r.verb === 'list' || r.verb === 'watch' ? 0 : 5))])),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('the same holds when every watch of the controller manager is cut with 410 Gone every 15 s', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(baseStep, { minLength: 1, maxLength: 10 }), fc.nat(1000), async (steps, seed) =>
        // A watch cut with no event since the last cut backs off up to 30 s before relisting, so
        // the store can look quiet for longer than settle's default 20 s while a cache is stale.
        run(steps, seed, (clock) => [expireWatches(clock, 15_000)], 75_000),
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('the same holds when the pod cache lags the store (up to 3 events, 1 s) and the controller manager restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(withRestarts, { minLength: 1, maxLength: 10 }), fc.nat(1000), async (steps, seed) =>
        run(steps, seed, (clock) => [bufferWatches(clock, { lag: 3, holdMs: 1_000, applies: (r) => r.resource?.kind === 'Pod' })]),
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
