/**
 * `@kubernetes/client-node` 1.x (the JavaScript client most Node operators use; 2.x crashes on
 * Node 20) against `kubeloop serve`: its `makeInformer` — list, then watch from the list's
 * resourceVersion, re-watch when the stream ends, relist on a 410 `ERROR` event — sees adds,
 * updates and deletes, and recovers after the server expired its revision.
 */
import { CoreV1Api, KubeConfig, makeInformer } from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMaps, Namespaces, RealClock } from '@kubeloop/core';
import { startServe } from '@kubeloop/cli';
import type { RunningServe } from '@kubeloop/cli';

const clock = new RealClock();
const NS = 'client-node';
let serve: RunningServe;

beforeAll(async () => {
  serve = await startServe({ nodes: 1 });
  await serve.cluster.server.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  await serve?.stop();
});

async function eventually(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = clock.now() + ms;
  while (!check()) {
    if (clock.now() > deadline) throw new Error('condition not reached in time');
    await clock.sleep(25);
  }
}

const cm = (name: string, value: string) => ({ apiVersion: 'v1' as const, kind: 'ConfigMap' as const, metadata: { name, namespace: NS }, data: { value } });
const key = (name: string) => ({ namespace: NS, name });

describe('@kubernetes/client-node makeInformer against kubeloop serve', () => {
  it('sees adds, updates and deletes, and recovers after a 410 by relisting', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(serve.kubeconfig);
    const api = kc.makeApiClient(CoreV1Api);
    let lists = 0;
    const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${NS}/configmaps`, () => {
      lists++;
      return api.listNamespacedConfigMap({ namespace: NS });
    });
    const events: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata?.name}=${o.data?.['value']}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name}=${o.data?.['value']}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
    informer.on('error', (e) => errors.push(e));
    const server = serve.cluster.server;
    await server.create(ConfigMaps, cm('listed', '1'));
    await informer.start();
    await eventually(() => events.includes('add listed=1'));

    // Adds, updates and deletes through the watch stream.
    await server.create(ConfigMaps, cm('a', '1'));
    await eventually(() => events.includes('add a=1'));
    await server.update(ConfigMaps, { ...(await server.get(ConfigMaps, key('a'))), data: { value: '2' } });
    await eventually(() => events.includes('update a=2'));
    await server.delete(ConfigMaps, key('a'));
    await eventually(() => events.includes('delete a'));
    expect(events).toEqual(['add listed=1', 'add a=1', 'update a=2', 'delete a']);
    expect(lists).toBe(1);

    // The server ends the stream while the informer's revision is still in the window: it re-watches, no relist.
    serve.api.closeWatches();
    await server.create(ConfigMaps, cm('after-close', '1'));
    await eventually(() => events.includes('add after-close=1'));
    expect(lists).toBe(1);

    // The informer is away (stopped) while the namespace changes and the store compacts its
    // history: on restart its watch gets the 410 ERROR event, and it relists — the add, the
    // update and the delete it missed arrive as events, and its cache is the store's.
    await informer.stop();
    events.length = 0;
    await server.create(ConfigMaps, cm('b', '1'));
    await server.update(ConfigMaps, { ...(await server.get(ConfigMaps, key('listed'))), data: { value: '2' } });
    await server.delete(ConfigMaps, key('after-close'));
    server.compact();
    await informer.start(); // watches from its old revision: the server answers with the 410 ERROR event
    await eventually(() => lists === 2 && events.length === 3);
    expect(events.sort()).toEqual(['add b=1', 'delete after-close', 'update listed=2']);
    expect(informer.list(NS).map((o) => `${o.metadata?.name}=${o.data?.['value']}`).sort()).toEqual(['b=1', 'listed=2']);
    // The only error handlers saw: client-node aborting its own watch on stop().
    expect(errors.filter((e) => (e as { type?: unknown }).type !== 'aborted')).toEqual([]);

    // And it keeps watching after the relist.
    await server.delete(ConfigMaps, key('b'));
    await eventually(() => events.includes('delete b'));
    await informer.stop();
  });
});
