/**
 * The same controller code, unchanged, against `kubeloop serve` over HTTPS: the Greeting
 * example's controller runs in a `Manager` whose client is core's `HttpClient`, loaded from the
 * kubeconfig serve writes (CA data, bearer token). The cluster only serves the Greeting
 * resource; the controller runs here, as an operator runs outside its cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defer, from, switchMap } from 'rxjs';
import { ConfigMaps, Deployments, HttpClient, Informer, Namespaces, RealClock, createBuiltinRegistry, createManager, isApiError, loadKubeconfig, seededRng, withInterceptors } from '@kubeloop/core';
import type { ApiError, Manager } from '@kubeloop/core';
import { startServe } from '@kubeloop/cli';
import type { RunningServe } from '@kubeloop/cli';
import { greetingController } from '../../../../examples/greeting/controller.js';
import { GREETING_FINALIZER } from '../../../../examples/greeting/decide.js';
import { Greetings } from '../../../../examples/greeting/greeting.js';
import { greetingResource } from './greeting-resource.js';


const clock = new RealClock();
let serve: RunningServe;
let client: HttpClient;
let manager: Manager;

/** Polls `check` on the real clock (serve follows it) until it holds, at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = clock.now() + ms;
  while (!(await check())) {
    if (clock.now() > deadline) throw new Error('condition not reached in time');
    await clock.sleep(50);
  }
}

beforeAll(async () => {
  serve = await startServe({ nodes: 1, plugins: [greetingResource] });
  // QPS 50: the test and the controller share one client; client-go's 5 would only make the suite slower.
  client = new HttpClient({ connection: loadKubeconfig({ text: serve.kubeconfig }), clock, qps: 50, burst: 100 });
  const registry = createBuiltinRegistry().register(Greetings);
  manager = createManager({ client, clock, rng: seededRng(7), registry, name: 'greeting-over-http' });
  greetingController(manager);
  await manager.start();
});
afterAll(async () => {
  await manager?.stop();
  client?.close();
  await serve?.stop();
});

const greeting = (name: string, message: string) => ({ apiVersion: 'example.kubeloop.dev/v1' as const, kind: 'Greeting' as const, metadata: { name, namespace: 'default' }, spec: { message } });
const key = (name: string) => ({ namespace: 'default', name });
const configMapOf = (name: string) => serve.cluster.server.get(ConfigMaps, key(`${name}-greeting`)).catch((e: unknown) => (isApiError(e, 'NotFound') ? undefined : Promise.reject(e)));

describe('the Greeting controller over HttpClient against kubeloop serve', () => {
  it('reconciles a Greeting created over HTTP: finalizer, owned ConfigMap, Ready status with the generation it saw', async () => {
    const created = await client.create(Greetings, greeting('hello', 'Hello, world'));
    await eventually(async () => (await client.get(Greetings, key('hello'))).status?.observedGeneration === 1);
    const g = await client.get(Greetings, key('hello'));
    expect(g.metadata.finalizers).toEqual([GREETING_FINALIZER]);
    expect(g.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const cm = await configMapOf('hello');
    expect(cm?.data).toEqual({ message: 'Hello, world', language: 'en' });
    expect(cm?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Greeting', name: 'hello', uid: created.metadata.uid, controller: true });
  });

  it('publishes a changed message, repairs a ConfigMap edited behind its back, and cleans up on delete through the finalizer', async () => {
    await client.create(Greetings, greeting('bye', 'Goodbye'));
    await eventually(async () => (await configMapOf('bye')) !== undefined);
    // A merge patch: the controller writes the Greeting meanwhile, an update could meet a Conflict.
    await client.patch(Greetings, key('bye'), { type: 'merge', body: { spec: { message: 'Farewell' } } });
    await eventually(async () => (await configMapOf('bye'))?.data?.['message'] === 'Farewell');

    // Someone edits the ConfigMap directly in the cluster: the controller, watching it over HTTP, puts it back.
    const cm = (await configMapOf('bye'))!;
    await serve.cluster.server.update(ConfigMaps, { ...cm, data: { message: 'vandalised', language: 'en' } });
    await eventually(async () => (await configMapOf('bye'))?.data?.['message'] === 'Farewell');

    await client.delete(Greetings, key('bye'));
    await eventually(async () => (await configMapOf('bye')) === undefined && (await client.get(Greetings, key('bye')).then(() => false, (e: unknown) => isApiError(e, 'NotFound'))));
  });

  it('an informer over HTTP keeps the informer contract: a closed stream is re-watched from its revision; after a 410 what changed meanwhile arrives by relist, deletions as synthetic deletes', async () => {
    // A gate in front of the client's watches holds the informer's re-watch while the cluster changes.
    let open!: () => void;
    let gate: Promise<void> = Promise.resolve();
    let lists = 0;
    const gated = withInterceptors(client, {
      request: (request, next) => {
        if (request.verb === 'list') lists++;
        return next();
      },
      watch: (_request, next) => defer(() => from(gate)).pipe(switchMap(() => next())),
    });
    const errors: unknown[] = [];
    const informer = new Informer(gated, ConfigMaps, { clock, namespace: 'watched', onError: (e) => void errors.push(e) });
    const events: string[] = [];
    await serve.cluster.server.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched' } });
    const cm = (name: string, value: string) => ({ apiVersion: 'v1' as const, kind: 'ConfigMap' as const, metadata: { name, namespace: 'watched' }, data: { value } });
    await serve.cluster.server.create(ConfigMaps, cm('kept', '1'));
    await serve.cluster.server.create(ConfigMaps, cm('changed', '1'));
    await serve.cluster.server.create(ConfigMaps, cm('deleted', '1'));
    informer.events$.subscribe((e) => events.push(`${e.type} ${e.object.metadata.name}`));
    informer.start();
    await informer.synced;
    expect(lists).toBe(1);

    // The server ends the stream: the watcher re-watches from its last revision, no relist.
    serve.api.closeWatches();
    await serve.cluster.server.create(ConfigMaps, cm('after-close', '1'));
    await eventually(async () => informer.cache.get({ namespace: 'watched', name: 'after-close' }) !== undefined);
    expect(lists).toBe(1);

    gate = new Promise<void>((resolve) => (open = resolve));
    serve.api.closeWatches(); // the stream ends; the watcher's re-watch waits at the gate
    const changed = await serve.cluster.server.get(ConfigMaps, { namespace: 'watched', name: 'changed' });
    await serve.cluster.server.update(ConfigMaps, { ...changed, data: { value: '2' } });
    await serve.cluster.server.delete(ConfigMaps, { namespace: 'watched', name: 'deleted' });
    await serve.cluster.server.create(ConfigMaps, cm('added', '1'));
    serve.cluster.server.compact(); // the informer's revision leaves the window
    events.length = 0;
    open();

    await eventually(async () => informer.cache.get({ namespace: 'watched', name: 'added' }) !== undefined);
    expect(errors.some((e) => isApiError(e, 'Expired'))).toBe(true); // the server's 410, as an ApiError
    expect(lists).toBe(2);
    expect(informer.cache.list('watched').map((c) => `${c.metadata.name}=${c.data?.['value']}`).sort()).toEqual(['added=1', 'after-close=1', 'changed=2', 'kept=1']);
    expect(events.sort()).toEqual(['add added', 'delete deleted', 'update changed']);
    informer.stop();
  });
});

describe('HttpClient against kubeloop serve: TLS, authentication, subresources', () => {
  it('verifies the server certificate by default: without the CA the request fails, with insecure-skip-tls-verify it passes', async () => {
    const connection = loadKubeconfig({ text: serve.kubeconfig });
    const noCa = new HttpClient({ connection: { ...connection, certificateAuthority: undefined }, clock });
    const error = await noCa.list(ConfigMaps, { namespace: 'default' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'ServiceUnavailable' });
    expect(String((error as Error).message)).toMatch(/certificate/);
    noCa.close();
    const insecure = new HttpClient({ connection: { ...connection, certificateAuthority: undefined, insecureSkipTlsVerify: true }, clock });
    expect((await insecure.list(ConfigMaps, { namespace: 'default' })).kind).toBe('ConfigMapList');
    insecure.close();
  });

  it('gets the server 401 as an Unauthorized ApiError with a wrong token', async () => {
    const wrong = new HttpClient({ connection: { ...loadKubeconfig({ text: serve.kubeconfig }), token: 'wrong' }, clock });
    await expect(wrong.get(ConfigMaps, { namespace: 'default', name: 'x' })).rejects.toMatchObject({ reason: 'Unauthorized', code: 401 });
    wrong.close();
  });

  it('gets the same NotFound, AlreadyExists, Conflict and Invalid errors as the in-process server', async () => {
    const inProcess = serve.cluster.server;
    const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (e as ApiError).toStatus());
    const cm = { apiVersion: 'v1' as const, kind: 'ConfigMap' as const, metadata: { name: 'same-errors', namespace: 'default' } };
    await client.create(ConfigMaps, cm);
    expect(await errorOf(client.get(ConfigMaps, { namespace: 'default', name: 'nothing' }))).toEqual(await errorOf(inProcess.get(ConfigMaps, { namespace: 'default', name: 'nothing' })));
    expect(await errorOf(client.create(ConfigMaps, cm))).toEqual(await errorOf(inProcess.create(ConfigMaps, cm)));
    const stale = { ...cm, metadata: { ...cm.metadata, resourceVersion: '1' } };
    expect(await errorOf(client.update(ConfigMaps, stale))).toEqual(await errorOf(inProcess.update(ConfigMaps, stale)));
    // An object without a namespace lands where the in-process server puts it (`default`).
    const viaHttp = await client.create(ConfigMaps, { ...cm, metadata: { name: 'no-namespace-http' } });
    const local = await inProcess.create(ConfigMaps, { ...cm, metadata: { name: 'no-namespace-local' } });
    expect(viaHttp.metadata.namespace).toBe(local.metadata.namespace);
    const bad = { ...cm, metadata: { name: 'Not_A_Name', namespace: 'default' } };
    const invalid = await errorOf(client.create(ConfigMaps, bad));
    expect(invalid).toMatchObject({ reason: 'Invalid', code: 422 });
    expect(invalid).toEqual(await errorOf(inProcess.create(ConfigMaps, bad)));
  });

  it('reads and writes the scale subresource, and deletes with the Status of a removed object', async () => {
    await client.create(Deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'scaled', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'scaled' } }, template: { metadata: { labels: { app: 'scaled' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const scale = await client.getScale(Deployments, { namespace: 'default', name: 'scaled' });
    expect(scale.spec.replicas).toBe(1);
    const updated = await client.updateScale(Deployments, { namespace: 'default', name: 'scaled' }, { ...scale, spec: { replicas: 3 } });
    expect(updated.spec.replicas).toBe(3);
    expect((await client.get(Deployments, { namespace: 'default', name: 'scaled' })).spec.replicas).toBe(3);
    const removed = await client.delete(ConfigMaps, { namespace: 'default', name: 'same-errors' });
    expect(removed).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same-errors', namespace: 'default' } });
    expect(removed.metadata.uid).toBeDefined();
  });
});
