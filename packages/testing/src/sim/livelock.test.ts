/**
 * The livelock guard: a loop of writes that never lets virtual time pass fails the cluster with
 * a clear error naming the objects in the loop, instead of hanging `advance` until the process
 * runs out of memory.
 */
import { describe, expect, it } from 'vitest';
import { ConfigMaps, Secrets, controllerFor, done, requeueAfter } from '@kubeloop/core';
import type { AdmissionHook, Clock, KubeObject, Plugin, ResourceDefinition } from '@kubeloop/core';
import * as fc from 'fast-check';
import { CheckFailure, SimCluster, SimClusterError, checkCluster, runCase } from '../index.js';
import { LivelockGuard } from './livelock.js';

/** A controller that bumps `data.count` of every ConfigMap with `data.spin` on each reconcile: its own write wakes it again at once. */
const spinner: Plugin = {
  name: 'test/spinner',
  register(api) {
    api.addController((manager) =>
      controllerFor(manager, ConfigMaps).complete(async (request) => {
        const cm = manager.cache(ConfigMaps).get(request);
        if (cm?.data?.['spin'] === undefined) return done;
        await manager.client.update(ConfigMaps, { ...cm, data: { ...cm.data, count: String(Number(cm.data['count'] ?? '0') + 1) } });
        return done;
      }),
    );
  },
};

const spinning = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'loop', namespace: 'default' }, data: { spin: 'yes' } };

/**
 * A controller that replaces every ConfigMap with `data.respawn` by a new one of the same
 * family at once: no object is written twice, yet the writes never stop (as a ReplicaSet
 * replacing pods that the kubelet rejects at the same instant).
 */
const respawner: Plugin = {
  name: 'test/respawner',
  register(api) {
    api.addController((manager) =>
      controllerFor(manager, ConfigMaps).complete(async (request) => {
        const cm = manager.cache(ConfigMaps).get(request);
        if (cm?.data?.['respawn'] === undefined || cm.metadata.deletionTimestamp !== undefined) return done;
        await manager.client.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'spawn-', namespace: 'default' }, data: { respawn: 'yes' } });
        await manager.client.delete(ConfigMaps, request);
        return done;
      }),
    );
  },
};

/**
 * A controller that stamps every ConfigMap with `data.tick` with the current virtual time, once
 * per millisecond, forever: it lets time pass each time round, so no per-instant bound sees a
 * loop — only the run's work bound does.
 */
const ticker: Plugin = {
  name: 'test/ticker',
  register(api) {
    api.addController((manager) =>
      controllerFor(manager, ConfigMaps).complete(async (request) => {
        const cm = manager.cache(ConfigMaps).get(request);
        if (cm?.data?.['tick'] === undefined) return done;
        const now = String(manager.clock.now());
        if (cm.data['at'] !== now) await manager.client.update(ConfigMaps, { ...cm, data: { ...cm.data, at: now } });
        return requeueAfter(1);
      }),
    );
  },
};

const ticking = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tick', namespace: 'default' }, data: { tick: 'yes' } };

/** No per-instant bound that a test of the run's bounds could trip first. */
const unbounded = { maxObjectWritesPerInstant: 1e9, maxWritesPerInstant: 1e9 };

describe('LivelockGuard counting', () => {
  /** A clock that stands still: every write falls at one instant. */
  const still: Clock = { now: () => 0 } as Clock;
  const write = (hook: AdmissionHook, resource: ResourceDefinition, namespace: string | undefined, name: string, operation: 'CREATE' | 'UPDATE' = 'UPDATE', generateName?: string): void => {
    const object = { apiVersion: 'v1', kind: resource.kind, metadata: { name, ...(namespace === undefined ? {} : { namespace }), ...(generateName === undefined ? {} : { generateName }) } } as KubeObject;
    const oldObject = operation === 'CREATE' ? undefined : object;
    hook.validate!({ operation, resource, subresource: undefined, object, oldObject, dryRun: false, store: undefined as never, now: 0 });
  };

  it('counts each object on its own, kind and namespace included, when objects share a name', () => {
    const guard = new LivelockGuard(still, 3);
    const hook = guard.hook();
    // Objects are counted one by one once the instant saw `limit` writes: three others first.
    for (let i = 0; i < 3; i++) write(hook, ConfigMaps, 'a', `first-${i}`);
    // Twelve writes of four objects named "x", three each: none is past the limit of 3.
    for (let i = 0; i < 3; i++) {
      write(hook, ConfigMaps, 'a', 'x');
      write(hook, Secrets, 'a', 'x');
      write(hook, ConfigMaps, 'b', 'x');
      write(hook, ConfigMaps, undefined, 'x');
    }
    expect(guard.tripped).toBeUndefined();
    // The fourth write of one of them is.
    expect(() => write(hook, ConfigMaps, 'b', 'x')).toThrow('livelock guard: ConfigMap b/x written more than 3 times at virtual time 0 ms without time passing');
    expect(guard.trippedBy).toBe('livelock');
    expect(guard.tripped).toContain('written most: ConfigMap b/x (4), ConfigMap a/x (3), ConfigMap x (3), Secret a/x (3)');
  });

  it("does not count an object's create against it: its updates at one instant are what a loop repeats", () => {
    const guard = new LivelockGuard(still, 3);
    const hook = guard.hook();
    for (let i = 0; i < 3; i++) write(hook, ConfigMaps, 'a', `first-${i}`);
    write(hook, ConfigMaps, 'a', 'x', 'CREATE');
    for (let i = 0; i < 3; i++) write(hook, ConfigMaps, 'a', 'x');
    expect(guard.tripped).toBeUndefined();
    expect(() => write(hook, ConfigMaps, 'a', 'x')).toThrow('ConfigMap a/x written more than 3 times');
  });

  it('names the family a loop of creates writes most, from the latest writes of the instant, when the total bound trips', () => {
    const guard = new LivelockGuard(still, 2, 40);
    const hook = guard.hook();
    for (let i = 0; i < 5; i++) write(hook, Secrets, 'a', `other-${i}`, 'CREATE');
    for (let i = 0; i < 35; i++) write(hook, ConfigMaps, 'a', `spawn-${i}`, 'CREATE', 'spawn-');
    expect(guard.tripped).toBeUndefined();
    expect(() => write(hook, ConfigMaps, 'a', 'spawn-35', 'CREATE', 'spawn-')).toThrow('livelock guard: more than 40 writes at virtual time 0 ms');
    expect(guard.trippedBy).toBe('livelock');
    // The 39 writes past the per-object threshold of 2: three Secrets and 36 ConfigMaps.
    expect(guard.tripped).toContain('written most in its last 39 writes: ConfigMap a/spawn-* (36), Secret a/other-2 (1), Secret a/other-3 (1), Secret a/other-4 (1)');
  });
});

describe('SimCluster livelock guard', () => {
  it('breaks off a write loop that lets no time pass and reports it, naming the object written most', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 1, controllerManager: { plugins: [spinner] }, maxObjectWritesPerInstant: 500 });
    await cluster.apply(spinning);
    const error = await cluster.advance(1_000).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SimClusterError);
    expect((error as SimClusterError).code).toBe('livelock');
    expect((error as SimClusterError).message).toMatch(/written more than 500 times at virtual time \d+ ms without time passing/);
    expect((error as SimClusterError).message).toContain('ConfigMap default/loop');
    await cluster.stop();
  });

  it('leaves a large burst of writes to many objects at one instant alone (1,500 objects, a limit of 500 per object)', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 1, controllerManager: { plugins: [spinner] }, maxObjectWritesPerInstant: 500 });
    const many = Array.from({ length: 1_500 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { n: String(i) } }));
    await cluster.apply(many);
    await cluster.settle();
    expect((await cluster.list(ConfigMaps, { namespace: 'default' })).items.filter((c) => c.metadata.name?.startsWith('cm-'))).toHaveLength(1_500);
    await cluster.stop();
  });

  it('breaks off a loop that writes new objects each time round, once an instant saw more writes than the total bound, naming their family', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: 1, controllerManager: { plugins: [respawner] }, maxObjectWritesPerInstant: 100, maxWritesPerInstant: 2_000 });
    await cluster.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'spawn-first', namespace: 'default' }, data: { respawn: 'yes' } });
    const error = await cluster.advance(1_000).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SimClusterError);
    expect((error as SimClusterError).code).toBe('livelock');
    expect((error as SimClusterError).message).toMatch(/more than 2000 writes at virtual time \d+ ms without time passing/);
    expect((error as SimClusterError).message).toContain('ConfigMap default/spawn-*');
    await cluster.stop();
  });

  it('rejects a limit below one with invalid-option', async () => {
    await expect(SimCluster.create({ seed: 3, nodes: 1, maxObjectWritesPerInstant: 0 })).rejects.toMatchObject({ code: 'invalid-option' });
    await expect(SimCluster.create({ seed: 3, nodes: 1, maxWritesPerInstant: 0 })).rejects.toMatchObject({ code: 'invalid-option' });
  });

  it('turns a livelock in a checked run into a noLivelock failure at the step that started it', async () => {
    const outcome = await runCase(
      {
        name: 'livelock',
        cluster: { nodes: 1, controllerManager: { plugins: [spinner] }, maxObjectWritesPerInstant: 500 },
        perform: async (cluster, action: 'spin' | 'wait') => {
          if (action === 'spin') await cluster.apply(spinning);
        },
        stableMs: 0,
      },
      1,
      ['wait', 'spin', 'wait'],
      [],
    );
    expect(outcome.failure?.invariant).toBe('noLivelock');
    expect(outcome.failure?.when).toBe('at step 1');
    expect(outcome.failure?.violations[0]?.message).toContain('ConfigMap default/loop');
  });

  it.each([
    ['the controller manager', { controllerManager: { plugins: [spinner] } }],
    ['the cluster (like the fake nodes and the scheduler)', { controllerManager: false as const, plugins: [spinner] }],
  ])('lets the event loop turn every 10,000 writes of a loop at one instant, without letting time pass, so that a test timeout can fire (a loop in %s)', async (_where, placement) => {
    const cluster = await SimCluster.create({ seed: 5, nodes: 1, ...placement, ...unbounded, maxWritesPerRun: 30_000 });
    const start = cluster.now();
    const turns: { writes: number; now: number }[] = [];
    let looping = true;
    const turn = (): void => {
      turns.push({ writes: cluster.writes, now: cluster.now() });
      if (looping) setImmediate(turn);
    };
    setImmediate(turn);
    const error = await cluster
      .apply(spinning)
      .then(() => cluster.advance(1_000))
      .then(() => undefined, (e: unknown) => e);
    looping = false;
    // Without the yields, no macrotask would run between the loop's start and the work bound.
    const during = turns.filter((t) => t.writes > 1_000 && t.writes < 25_000);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((t) => t.now === start)).toBe(true);
    expect(error).toBeInstanceOf(SimClusterError);
    expect((error as SimClusterError).code).toBe('too-much-work');
    expect((error as SimClusterError).message).toMatch(/^more than 30000 writes in this run \(at virtual time \d+ ms; the bound is maxWritesPerRun\)/);
    expect((error as SimClusterError).message).toContain('written most in its last 3000 writes: ConfigMap default/loop (3001)');
    await cluster.stop();
  });

  it('yields without changing what a run computes: the same seed gives the same trace, byte for byte', async () => {
    const traceOf = async (): Promise<string> => {
      const cluster = await SimCluster.create({ seed: 6, nodes: 2, controllerManager: { plugins: [respawner] }, ...unbounded, maxWritesPerRun: 25_000, trace: 'memory' });
      await cluster.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'spawn-first', namespace: 'default' }, data: { respawn: 'yes' } });
      await cluster.advance(1_000).catch((e: unknown) => {
        if (!(e instanceof SimClusterError && e.code === 'too-much-work')) throw e;
      });
      expect(cluster.writes).toBeGreaterThan(25_000);
      const json = cluster.traceJson();
      await cluster.stop();
      return json;
    };
    expect(await traceOf()).toBe(await traceOf());
  });

  it('bounds the writes of a run: a loop that lets time pass each time round fails with too-much-work, naming the object written most', async () => {
    const cluster = await SimCluster.create({ seed: 7, nodes: 1, controllerManager: { plugins: [ticker] }, maxWritesPerRun: 3_000 });
    await cluster.apply(ticking);
    const error = await cluster.advance(10_000).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SimClusterError);
    expect((error as SimClusterError).code).toBe('too-much-work');
    expect((error as SimClusterError).message).toContain('written most in its last 300 writes: ConfigMap default/tick');
    await expect(SimCluster.create({ seed: 7, nodes: 1, maxWritesPerRun: 0 })).rejects.toMatchObject({ code: 'invalid-option' });
    await cluster.stop();
  });

  it('fails a checked run of a looping controller with boundedWork and a report naming the loop, instead of hanging', async () => {
    const options = {
      name: 'ticking',
      cluster: { nodes: 1, controllerManager: { plugins: [ticker] } },
      perform: async (cluster: SimCluster, action: 'tick' | 'wait') => {
        if (action === 'tick') await cluster.apply(ticking);
      },
      stableMs: 0,
      maxWritesPerRun: 5_000,
    };
    const outcome = await runCase(options, 1, ['wait', 'tick', 'wait'], []);
    expect(outcome.failure?.invariant).toBe('boundedWork');
    expect(outcome.failure?.description).toBe('A run makes at most 5000 writes (maxWritesPerRun).');
    expect(outcome.failure?.when).toBe('once faults stopped');
    expect(outcome.failure?.violations[0]?.message).toMatch(/^more than 5000 writes in this run .*written most in its last 500 writes: ConfigMap default\/tick \(\d+\)/);
    const failure = await checkCluster({ ...options, actions: fc.constant(['tick' as const]), runs: 1, seed: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(CheckFailure);
    expect((failure as CheckFailure).message).toContain('violated: boundedWork once faults stopped');
    expect((failure as CheckFailure).message).toContain('ConfigMap default/tick');
  });
});
