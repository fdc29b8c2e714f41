import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock/virtual.js';
import { seededRng } from '../rng/seeded.js';
import { SharedInformerFactory } from './factory.js';
import { FakeClient, note, Notes } from '../testing/index.js';

describe('SharedInformerFactory', () => {
  it('hands out one informer per resource and selection, whatever order a structured selector is written in', () => {
    const factory = new SharedInformerFactory(new FakeClient(), { clock: new VirtualClock() });
    const all = factory.informerFor(Notes);
    expect(factory.informerFor(Notes)).toBe(all);
    expect(factory.informerFor(Notes, { namespace: 'a' })).not.toBe(all);
    expect(factory.informerFor(Notes, { namespace: 'a' })).toBe(factory.informerFor(Notes, { namespace: 'a' }));
    const sel = factory.informerFor(Notes, { labelSelector: { matchLabels: { app: 'web', tier: 'front' } } });
    expect(factory.informerFor(Notes, { labelSelector: { matchLabels: { tier: 'front', app: 'web' } } })).toBe(sel);
    expect(factory.informerFor(Notes, { labelSelector: 'app=web' })).not.toBe(sel);
    expect(factory.informers()).toHaveLength(4);
  });

  it('starts its informers, waits for all caches, and starts informers requested later at once', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.put(note('a', 'x'));
    client.put(note('b', 'y'));
    const factory = new SharedInformerFactory(client, { clock, rng: seededRng(1) });
    const all = factory.informerFor(Notes);
    expect(factory.hasSynced()).toBe(false);
    factory.start();
    await factory.waitForCacheSync();
    expect([...all.cache.keys()].sort()).toEqual(['a/x', 'b/y']);
    const onlyB = factory.informerFor(Notes, { namespace: 'b' });
    expect(onlyB.isRunning()).toBe(true);
    await factory.waitForCacheSync();
    expect(onlyB.cache.keys()).toEqual(['b/y']);
    expect(factory.hasSynced()).toBe(true);
    factory.shutdown();
    expect(client.openWatches()).toBe(0);
    expect(() => factory.informerFor(Notes)).toThrow(expect.objectContaining({ code: 'stopped' }));
  });

  it('stops waiting for caches when the signal aborts', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.failLists(100);
    const factory = new SharedInformerFactory(client, { clock });
    factory.informerFor(Notes);
    factory.start();
    const controller = new AbortController();
    const waiting = factory.waitForCacheSync(controller.signal);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    factory.shutdown();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('reports recovered failures with the resource they concern', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.failLists(1);
    const seen: [string, number][] = [];
    const factory = new SharedInformerFactory(client, { clock, onError: (r, _e, ms) => seen.push([r.resource, ms]) });
    factory.informerFor(Notes);
    factory.start();
    await clock.flush();
    expect(seen).toEqual([['notes.test.kubeloop.dev', 800]]);
    factory.shutdown();
  });
});
