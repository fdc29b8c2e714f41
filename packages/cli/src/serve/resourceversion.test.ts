import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import { ApiHandler } from './handler.js';
import { httpCall } from './http-harness.js';

// Reads at a resourceVersion, as kube-apiserver serves them: a list with
// `resourceVersionMatch=Exact` (or upstream's legacy equivalent, a `limit` with a revision and no
// match) is the list as it was at that revision, read from the history window as etcd reads at a
// revision, and 410 `The resourceVersion for the provided list is too old.` once the revision has
// been compacted; a GET with a resourceVersion is "not older than" (the watch cache's
// `WaitUntilFreshAndGet`): the current object, or 504 for a revision the store has not reached.
const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry(), historySize: 10 });
const api = new ApiHandler({ client: server, registry: server.registry, clock, timeoutClock: new VirtualClock(), token: 't', version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
const http = createServer(api.handle);
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

type Body = { metadata: { resourceVersion?: string; continue?: string }; items?: { metadata: { name: string; resourceVersion: string }; data?: Record<string, string> }[]; data?: Record<string, string>; code?: number; reason?: string; message?: string };

async function get(path: string): Promise<{ status: number; body: Body }> {
  const answer = await httpCall(base, 'GET', path, { token: 't' });
  return { status: answer.status, body: JSON.parse(answer.text) as Body };
}

const ConfigMaps = server.registry.forResource('configmaps')!;
const names = (b: Body) => (b.items ?? []).map((i) => `${i.metadata.name}:${i.data?.v ?? ''}`);

describe('reads at a resourceVersion', () => {
  it('lists at an exact revision from the history window, with selectors and pages, and 410 once it is compacted', async () => {
    await server.create(server.registry.forResource('namespaces')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rv' } });
    await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'rv', labels: { app: 'x' } }, data: { v: '1' } });
    await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'rv', labels: { app: 'x' } }, data: { v: '1' } });
    const at = server.resourceVersion;
    await server.patch(ConfigMaps, { namespace: 'rv', name: 'a' }, { type: 'merge', body: { metadata: { labels: { app: 'y' } }, data: { v: '2' } } });
    await server.delete(ConfigMaps, { namespace: 'rv', name: 'b' });
    await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'rv', labels: { app: 'x' } }, data: { v: '1' } });
    const now = server.resourceVersion;

    const exact = await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${at}&resourceVersionMatch=Exact`);
    expect(exact.status).toBe(200);
    expect(exact.body.metadata.resourceVersion).toBe(at);
    expect(names(exact.body)).toEqual(['a:1', 'b:1']);
    expect(names((await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${at}&resourceVersionMatch=Exact&labelSelector=app%3Dx`)).body)).toEqual(['a:1', 'b:1']);
    expect(names((await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${now}&resourceVersionMatch=Exact&labelSelector=app%3Dx`)).body)).toEqual(['c:1']);
    // NotOlderThan (and no match without a limit): the current state.
    expect(names((await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${at}&resourceVersionMatch=NotOlderThan`)).body)).toEqual(['a:2', 'c:1']);
    expect(names((await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${at}`)).body)).toEqual(['a:2', 'c:1']);
    // Upstream's legacy exact read: a limit with a revision and no match; the pages stay at that revision.
    const first = await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${at}&limit=1`);
    expect(names(first.body)).toEqual(['a:1']);
    expect(first.body.metadata.resourceVersion).toBe(at);
    const second = await get(`/api/v1/namespaces/rv/configmaps?limit=1&continue=${encodeURIComponent(first.body.metadata.continue!)}`);
    expect(names(second.body)).toEqual(['b:1']);
    // A revision the store has not reached.
    const ahead = await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${Number(now) + 5}&resourceVersionMatch=Exact`);
    expect(ahead).toMatchObject({ status: 504, body: { reason: 'Timeout', message: `Timeout: Too large resource version: ${Number(now) + 5}, current: ${now}` } });

    // Ten more changes push `at` out of the window of ten.
    for (let i = 0; i < 10; i++) await server.patch(ConfigMaps, { namespace: 'rv', name: 'c' }, { type: 'merge', body: { data: { v: String(i) } } });
    const gone = await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${at}&resourceVersionMatch=Exact`);
    expect(gone).toMatchObject({ status: 410, body: { kind: 'Status', code: 410, reason: 'Expired', message: 'The resourceVersion for the provided list is too old.' } });
    expect((await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${at}&limit=5`)).status).toBe(410);
    expect((await get(`/api/v1/namespaces/rv/configmaps?resourceVersion=${server.resourceVersion}&resourceVersionMatch=Exact`)).status).toBe(200);
  });

  it('answers a GET at a resourceVersion with the current object (not older than it), and 504 for a revision not reached', async () => {
    const c = await get('/api/v1/namespaces/rv/configmaps/c');
    const rv = c.body.metadata.resourceVersion!;
    const old = await get(`/api/v1/namespaces/rv/configmaps/c?resourceVersion=1`);
    expect(old).toMatchObject({ status: 200, body: { metadata: { resourceVersion: rv } } });
    expect((await get(`/api/v1/namespaces/rv/configmaps/c?resourceVersion=${server.resourceVersion}`)).body.metadata.resourceVersion).toBe(rv);
    const ahead = Number(server.resourceVersion) + 1;
    expect(await get(`/api/v1/namespaces/rv/configmaps/c?resourceVersion=${ahead}`)).toMatchObject({ status: 504, body: { reason: 'Timeout', message: `Timeout: Too large resource version: ${ahead}, current: ${server.resourceVersion}` } });
    expect((await get('/api/v1/namespaces/rv/configmaps/c?resourceVersion=abc')).status).toBe(400);
  });
});
