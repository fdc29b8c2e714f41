/**
 * The metrics API through `kubeloop serve`, as upstream's: discovery lists `get` and `list` for
 * `pods` and `nodes` of `metrics.k8s.io/v1beta1`, reads are served, and a client's create,
 * update, patch or delete (`kubectl delete podmetrics …`) gets the 405 MethodNotAllowed Status.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, NodeMetricses, PodMetricses, VirtualClock, createBuiltinRegistry, internalWrite, seededRng } from '@kubeloop/core';
import { ApiHandler } from './handler.js';
import { httpCall } from './http-harness.js';
import type { HttpAnswer } from './http-harness.js';

const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry().register(PodMetricses).register(NodeMetricses) });
const api = new ApiHandler({ client: server, registry: server.registry, clock, token: 'secret', version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
const http = createServer(api.handle);
let base = '';

beforeAll(async () => {
  await server.create(
    PodMetricses,
    { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name: 'web', namespace: 'default' }, timestamp: '2026-01-01T00:00:15Z', window: '15s', containers: [{ name: 'app', usage: { cpu: '300000000n', memory: '12288Ki' } }] },
    internalWrite(),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<HttpAnswer> {
  return httpCall(base, method, path, { token: 'secret', body, contentType });
}

const pods = '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods';

describe('the metrics API over HTTP', () => {
  it('lists only get and list in discovery', async () => {
    const list = (await call('GET', '/apis/metrics.k8s.io/v1beta1')).json() as { resources: { name: string; verbs: string[] }[] };
    expect(list.resources.map((r) => [r.name, r.verbs])).toEqual([
      ['pods', ['get', 'list']],
      ['nodes', ['get', 'list']],
    ]);
    expect((await call('GET', '/api/v1')).json().resources).toContainEqual(expect.objectContaining({ name: 'pods', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }));
  });

  it('serves reads and answers every write with the 405 MethodNotAllowed Status', async () => {
    expect((await call('GET', `${pods}/web`)).status).toBe(200);
    expect((await call('GET', pods)).status).toBe(200);
    const body = { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name: 'other', namespace: 'default' }, timestamp: '2026-01-01T00:00:15Z', window: '15s', containers: [] };
    const writes: [string, string, unknown, string?][] = [
      ['POST', pods, body],
      ['PUT', `${pods}/web`, { ...body, metadata: { name: 'web', namespace: 'default' } }],
      ['PATCH', `${pods}/web`, { window: '1s' }, 'application/merge-patch+json'],
      ['DELETE', `${pods}/web`, undefined],
      ['DELETE', pods, undefined],
    ];
    for (const [method, path, payload, type] of writes) {
      const reply = await call(method, path, payload, type);
      expect(reply.status, `${method} ${path}`).toBe(405);
      expect(reply.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'MethodNotAllowed', code: 405, message: 'the server does not allow this method on the requested resource' });
    }
    expect((await server.list(PodMetricses, { namespace: 'default' })).items.map((p) => [p.metadata.name, p.window])).toEqual([['web', '15s']]);
  });
});
