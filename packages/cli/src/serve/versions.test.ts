/**
 * A kind served in a second version (autoscaling/v1 HorizontalPodAutoscalers beside the stored
 * autoscaling/v2) through `kubeloop serve`'s handler: discovery lists it after the preferred
 * version, its URLs answer in its own form, and every write through it lands in the stored
 * object's v2 fields.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, HorizontalPodAutoscalers, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import { ApiHandler } from './handler.js';
import { httpCall } from './http-harness.js';
import type { HttpAnswer } from './http-harness.js';

const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
const api = new ApiHandler({ client: server, registry: server.registry, clock, token: 'secret', version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
const http = createServer(api.handle);
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  api.closeWatches();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

function call(method: string, path: string, body?: unknown, contentType = 'application/json', accept?: string): Promise<HttpAnswer> {
  return httpCall(base, method, path, { token: 'secret', body, contentType, ...(accept ? { headers: { Accept: accept } } : {}) });
}

const v1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const v2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const manifest = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name }, spec: { scaleTargetRef, maxReplicas: 5, targetCPUUtilizationPercentage: 50, ...spec } });
const cpu = (averageUtilization: number) => ({ type: 'Resource' as const, resource: { name: 'cpu', target: { type: 'Utilization' as const, averageUtilization } } });

/** The first `n` lines of a watch, then the stream is dropped. */
function watchLines(path: string, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { Authorization: 'Bearer secret' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString('utf8');
        const lines = text.split('\n').filter((l) => l !== '');
        if (lines.length >= n) {
          req.destroy();
          resolve(lines.slice(0, n));
        }
      });
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end();
  });
}

describe('autoscaling/v1 through kubeloop serve', () => {
  it('is listed in discovery after autoscaling/v2, which stays preferred', async () => {
    expect((await call('GET', '/apis/autoscaling')).json()).toMatchObject({
      versions: [{ groupVersion: 'autoscaling/v2', version: 'v2' }, { groupVersion: 'autoscaling/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'autoscaling/v2' },
    });
    const resources = (await call('GET', '/apis/autoscaling/v1')).json().resources as { name: string; kind: string; shortNames?: string[] }[];
    expect(resources.map((r) => [r.name, r.kind])).toEqual([
      ['horizontalpodautoscalers', 'HorizontalPodAutoscaler'],
      ['horizontalpodautoscalers/status', 'HorizontalPodAutoscaler'],
    ]);
    const aggregated = (await call('GET', '/apis', undefined, undefined, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')).json();
    const group = (aggregated.items as { metadata: { name?: string }; versions: { version: string }[] }[]).find((g) => g.metadata.name === 'autoscaling');
    expect(group?.versions.map((v) => v.version)).toEqual(['v2', 'v1']);
    // The OpenAPI v3 index lists only what has a document.
    const index = (await call('GET', '/openapi/v3')).json().paths as Record<string, unknown>;
    expect(Object.keys(index)).toContain('apis/autoscaling/v2');
    expect(Object.keys(index)).not.toContain('apis/autoscaling/v1');
  });

  it('creates from a v1 body, answers in v1, stores v2 and reads back the same object in either version', async () => {
    const created = await call('POST', v1, manifest('web'));
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { scaleTargetRef, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 }, status: { currentReplicas: 0, desiredReplicas: 0 } });
    const stored = await server.get(HorizontalPodAutoscalers, { namespace: 'default', name: 'web' });
    expect(stored.spec.metrics).toEqual([cpu(50)]);
    expect((await call('GET', `${v2}/web`)).json()).toMatchObject({ apiVersion: 'autoscaling/v2', spec: { metrics: [cpu(50)] } });
    expect((await call('GET', `${v1}/web`)).json()).toMatchObject({ apiVersion: 'autoscaling/v1', metadata: { resourceVersion: stored.metadata.resourceVersion }, spec: { targetCPUUtilizationPercentage: 50 } });
    const list = (await call('GET', v1)).json();
    expect(list).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscalerList' });
    expect((list.items as { apiVersion: string }[]).map((i) => i.apiVersion)).toEqual(['autoscaling/v1']);
  });

  it('refuses a v2 body sent to the v1 URL, as upstream, and changes nothing', async () => {
    const reply = await call('POST', v1, { ...manifest('wrong'), apiVersion: 'autoscaling/v2' });
    expect(reply.status).toBe(400);
    expect(reply.json().message).toBe('the API version in the data (autoscaling/v2) does not match the expected API version (autoscaling/v1)');
    expect((await call('GET', `${v2}/wrong`)).status).toBe(404);
  });

  it('patches in v1 (merge, JSON and strategic) and keeps what only v2 can say through an update in v1', async () => {
    await server.create(HorizontalPodAutoscalers, { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'mixed', namespace: 'default' }, spec: { scaleTargetRef, maxReplicas: 4, metrics: [{ type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } } }, cpu(60)], behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } } });
    const merged = await call('PATCH', `${v1}/mixed`, { spec: { targetCPUUtilizationPercentage: 70 } }, 'application/merge-patch+json');
    expect(merged.status).toBe(200);
    expect(merged.json()).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { targetCPUUtilizationPercentage: 70 } });
    expect((await call('PATCH', `${v1}/mixed`, [{ op: 'replace', path: '/spec/maxReplicas', value: 6 }], 'application/json-patch+json')).status).toBe(200);
    expect((await call('PATCH', `${v1}/mixed`, { spec: { minReplicas: 2 } }, 'application/strategic-merge-patch+json')).status).toBe(200);
    // A whole v1 object written back (what `kubectl edit` does) keeps the Pods metric and the behavior.
    const read = (await call('GET', `${v1}/mixed`)).json();
    expect((await call('PUT', `${v1}/mixed`, read)).status).toBe(200);
    const stored = await server.get(HorizontalPodAutoscalers, { namespace: 'default', name: 'mixed' });
    expect(stored.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6, metrics: [{ type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } } }, cpu(70)] });
    expect(stored.spec.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(30);
    expect(stored.metadata.annotations).toBeUndefined();
    // A patch naming a stale resourceVersion is a conflict, not retried.
    const stale = await call('PATCH', `${v1}/mixed`, { metadata: { resourceVersion: '1' }, spec: { maxReplicas: 7 } }, 'application/merge-patch+json');
    expect(stale.status).toBe(409);
  });

  it('prints tables from the stored fields, watches in v1 and deletes', async () => {
    const table = (await call('GET', `${v1}/web`, undefined, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io')).json() as { rows: { cells: unknown[] }[] };
    expect(table.rows[0]!.cells.slice(0, 4)).toEqual(['web', 'Deployment/web', 'cpu: <unknown>/50%', '1']);
    const [first] = await watchLines(`${v1}?watch=1&fieldSelector=metadata.name%3Dweb`, 1);
    expect(JSON.parse(first!)).toMatchObject({ type: 'ADDED', object: { apiVersion: 'autoscaling/v1', spec: { targetCPUUtilizationPercentage: 50 } } });
    expect((await call('DELETE', `${v1}/web`)).status).toBe(200);
    expect((await call('GET', `${v2}/web`)).status).toBe(404);
  });
});
