/**
 * The SimCluster's controller manager: controllers in a manager of their own that a test can
 * crash and restart, with interceptors on their client.
 */
import { describe, expect, it } from 'vitest';
import { ConfigMaps, controllerFor, done, faults, isApiError, latency, ApiError } from '@kubeloop/core';
import type { ClientRequest, Plugin } from '@kubeloop/core';
import { SimCluster, SimClusterError, expireWatches } from '../index.js';

/** A controller that copies each ConfigMap's `data.want` to `data.got`, one write per reconcile. */
function copier(log: string[]): Plugin {
  return {
    name: 'test/copier',
    register(api) {
      api.addController((manager) =>
        controllerFor(manager, ConfigMaps).complete(async (request) => {
          const cm = manager.cache(ConfigMaps).get(request);
          if (!cm?.data?.['want'] || cm.data['got'] === cm.data['want']) return done;
          log.push(`${manager.name}:${request.name}`);
          await manager.client.update(ConfigMaps, { ...cm, data: { ...cm.data, got: cm.data['want'] } });
          return done;
        }),
      );
    },
  };
}

const configMap = (name: string, want: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { want } });

describe('SimCluster controller manager', () => {
  it('runs its plugins in a manager of their own, named kube-controller-manager', async () => {
    const log: string[] = [];
    const cluster = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: { plugins: [copier(log)] } });
    await cluster.apply(configMap('a', '1'));
    await cluster.advance(1_000);
    expect((await cluster.get(ConfigMaps, { namespace: 'default', name: 'a' })).data?.['got']).toBe('1');
    expect(log).toEqual(['kube-controller-manager:a']);
    expect(cluster.controllerManager).not.toBe(cluster.manager);
    await cluster.stop();
  });

  it('resyncs its informers every resyncMs, so a controller reconciles an unchanged object again, and in every incarnation', async () => {
    const seen: number[] = [];
    const counter: Plugin = {
      name: 'test/counter',
      register(api) {
        api.addController((manager) =>
          controllerFor(manager, ConfigMaps).complete(() => {
            seen.push(manager.clock.now());
            return Promise.resolve(done);
          }),
        );
      },
    };
    const cluster = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: { plugins: [counter], resyncMs: 60_000 } });
    await cluster.apply(configMap('a', '1'));
    await cluster.advance(1_000);
    expect(seen).toHaveLength(1);
    await cluster.advance(180_000);
    expect(seen).toHaveLength(4); // the first reconcile and one per minute
    await cluster.restartControllerManager();
    await cluster.advance(60_000);
    expect(seen).toHaveLength(6); // the new incarnation's first reconcile, and its own resync
    await cluster.stop();

    const quiet = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: { plugins: [counter] } });
    seen.length = 0;
    await quiet.apply(configMap('a', '1'));
    await quiet.advance(181_000);
    expect(seen).toHaveLength(1); // no resync by default
    await quiet.stop();
  });

  it('refuses a resync period that is not a positive number of milliseconds', async () => {
    for (const resyncMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(SimCluster.create({ seed: 1, nodes: 0, controllerManager: { resyncMs } })).rejects.toThrow(`controllerManager.resyncMs must be a positive number of milliseconds, got ${resyncMs}`);
    }
  });

  it('after a restart, a fresh incarnation catches up with what changed while it was down', async () => {
    const log: string[] = [];
    const cluster = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: { plugins: [copier(log)] } });
    const first = cluster.controllerManager;
    await cluster.restartControllerManager();
    expect(cluster.controllerManager).not.toBe(first);
    expect(cluster.controllerManagerRestarts).toBe(1);
    await cluster.apply(configMap('b', '2'));
    await cluster.advance(1_000);
    expect((await cluster.get(ConfigMaps, { namespace: 'default', name: 'b' })).data?.['got']).toBe('2');
    await cluster.stop();
  });

  it('fails every call of a crashed incarnation, so a reconcile in flight stops between writes', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: { plugins: [copier([])] } });
    const old = cluster.controllerManager!;
    await cluster.restartControllerManager();
    const error = await old.client.get(ConfigMaps, { namespace: 'default', name: 'x' }).catch((e: unknown) => e);
    expect(isApiError(error, 'ServiceUnavailable')).toBe(true);
    await cluster.stop();
  });

  it('applies its interceptors to every incarnation', async () => {
    const seen: ClientRequest[] = [];
    const refuseUpdates = faults((r) => {
      if (r.verb === 'update') {
        seen.push(r);
        return new ApiError('InternalError', 'injected');
      }
      return undefined;
    });
    const cluster = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: { plugins: [copier([])], interceptors: [refuseUpdates] } });
    await cluster.apply(configMap('c', '3'));
    await cluster.advance(100);
    await cluster.restartControllerManager();
    await cluster.advance(100);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect((await cluster.get(ConfigMaps, { namespace: 'default', name: 'c' })).data?.['got']).toBeUndefined();
    await cluster.stop();
  });

  it('starts, runs and restarts with latency on every call of the controller manager (virtual time passes only when the cluster advances)', async () => {
    const log: string[] = [];
    const cluster = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: { plugins: [copier(log)], interceptors: (clock) => [latency(clock, 50)] } });
    await cluster.apply(configMap('d', '4'));
    await cluster.advance(1_000);
    expect((await cluster.get(ConfigMaps, { namespace: 'default', name: 'd' })).data?.['got']).toBe('4');
    await cluster.stop();
  });

  it('a write asleep in an injected delay when the controller manager crashes never reaches the API server', async () => {
    const cluster = await SimCluster.create({
      seed: 1,
      nodes: 0,
      controllerManager: { plugins: [copier([])], interceptors: (clock) => [latency(clock, (r) => (r.verb === 'update' ? 5_000 : 0))] },
    });
    await cluster.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'e', namespace: 'default' }, data: { v: 'before' } });
    await cluster.advance(100);
    const old = cluster.controllerManager!;
    const current = await cluster.get(ConfigMaps, { namespace: 'default', name: 'e' });
    const late = old.client.update(ConfigMaps, { ...current, data: { v: 'late' } }).catch((e: unknown) => e);
    await cluster.advance(1_000); // the update is asleep in its 5 s delay
    await cluster.restartControllerManager();
    await cluster.advance(5_000); // it wakes, after the crash
    expect(isApiError(await late, 'ServiceUnavailable')).toBe(true);
    expect((await cluster.get(ConfigMaps, { namespace: 'default', name: 'e' })).data).toEqual({ v: 'before' });
    await cluster.stop();
  });

  it('refuses a restart when the cluster runs no controller manager', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: false });
    await expect(cluster.restartControllerManager()).rejects.toThrow(SimClusterError);
    expect(cluster.controllerManager).toBeUndefined();
    await cluster.stop();
  });
});

describe('expireWatches', () => {
  it('cuts the controller manager watches with 410 so its informers relist, and the controller still converges', async () => {
    const log: string[] = [];
    let cuts = 0;
    const cluster = await SimCluster.create({
      seed: 2,
      nodes: 0,
      controllerManager: { plugins: [copier(log)], interceptors: (clock) => [expireWatches(clock, (r) => (r.resource?.resource === 'configmaps' ? (cuts++, 5_000) : undefined))] },
    });
    for (let i = 0; i < 5; i++) {
      await cluster.apply(configMap(`m${i}`, String(i)));
      await cluster.advance(7_000);
    }
    await cluster.advance(60_000);
    expect(cuts).toBeGreaterThan(3);
    for (let i = 0; i < 5; i++) expect((await cluster.get(ConfigMaps, { namespace: 'default', name: `m${i}` })).data?.['got']).toBe(String(i));
    await cluster.stop();
  });
});
