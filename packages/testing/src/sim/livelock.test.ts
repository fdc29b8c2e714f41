/**
 * The livelock guard: a loop of writes that never lets virtual time pass fails the cluster with
 * a clear error naming the objects in the loop, instead of hanging `advance` until the process
 * runs out of memory.
 */
import { describe, expect, it } from 'vitest';
import { ConfigMaps, controllerFor, done } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { SimCluster, SimClusterError, runCase } from '../index.js';

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
});
