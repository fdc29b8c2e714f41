import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import { ApiHandler } from './handler.js';

// Server-side apply and the OpenAPI documents through the HTTP handler, in front of an
// in-memory API server on a virtual clock.
const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
const api = new ApiHandler({ client: server, registry: server.registry, clock, timeoutClock: new VirtualClock(), token: 'secret', version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
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

function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; json: () => Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { Authorization: 'Bearer secret', ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const applyYaml = { 'Content-Type': 'application/apply-patch+yaml' };
const configMap = (name: string, data: Record<string, string>) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`;
const path = (name: string) => `/api/v1/namespaces/default/configmaps/${name}`;

describe('server-side apply through the handler', () => {
  it('refuses an apply without a fieldManager and force on other patches with upstream’s 422', async () => {
    const missing = await call('PATCH', path('x'), configMap('x', { a: '1' }), applyYaml);
    expect(missing.status).toBe(422);
    expect(missing.json().message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const force = await call('PATCH', `${path('x')}?force=true`, '{}', { 'Content-Type': 'application/merge-patch+json' });
    expect(force.status).toBe(422);
    expect(force.json().message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });

  it('creates with 201, applies again with 200, answers a conflict with a 409 Status naming the owner, and force takes the field', async () => {
    const created = await call('PATCH', `${path('cfg')}?fieldManager=alice`, configMap('cfg', { a: '1' }), applyYaml);
    expect(created.status).toBe(201);
    expect((created.json().metadata as { managedFields: unknown[] }).managedFields).toEqual([
      { manager: 'alice', operation: 'Apply', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } },
    ]);
    const shared = await call('PATCH', `${path('cfg')}?fieldManager=bob`, configMap('cfg', { a: '1', b: '2' }), applyYaml);
    expect(shared.status).toBe(200);
    expect(shared.json().data).toEqual({ a: '1', b: '2' });

    const conflict = await call('PATCH', `${path('cfg')}?fieldManager=alice`, configMap('cfg', { a: '1', b: '3' }), applyYaml);
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      message: 'Apply failed with 1 conflict: conflict with "bob": .data.b',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "bob"', field: '.data.b' }] },
    });
    const forced = await call('PATCH', `${path('cfg')}?fieldManager=alice&force=true`, configMap('cfg', { a: '1', b: '3' }), applyYaml);
    expect(forced.status).toBe(200);
    expect(forced.json().data).toEqual({ a: '1', b: '3' });
  });

  it('records a merge patch’s manager as an Update, and an apply that drops its only field gives it up', async () => {
    await call('PATCH', `${path('rec')}?fieldManager=alice`, configMap('rec', { a: '1' }), applyYaml);
    const patched = await call('PATCH', `${path('rec')}?fieldManager=editor`, JSON.stringify({ data: { c: '9' } }), { 'Content-Type': 'application/merge-patch+json' });
    const entries = (patched.json().metadata as { managedFields: { manager: string; operation: string }[] }).managedFields;
    expect(entries.map((e) => [e.manager, e.operation])).toEqual([
      ['alice', 'Apply'],
      ['editor', 'Update'],
    ]);
  });
});

describe('the OpenAPI documents', () => {
  it('serves /openapi/v2 as JSON with upstream definition names, and as protobuf to kubectl', async () => {
    const v2 = await call('GET', '/openapi/v2', undefined, { Accept: 'application/json' });
    expect(v2.status).toBe(200);
    const doc = v2.json() as { swagger: string; definitions: Record<string, { 'x-kubernetes-group-version-kind'?: unknown }>; paths: Record<string, unknown> };
    expect(doc.swagger).toBe('2.0');
    expect(doc.definitions['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(doc.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
    expect(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']).toBeDefined();
    const proto = await call('GET', '/openapi/v2', undefined, { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(proto.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  });

  it('serves /openapi/v3 documents whose references all resolve, listed in the index with their hash', async () => {
    const index = (await call('GET', '/openapi/v3')).json() as { paths: Record<string, { serverRelativeURL: string }> };
    const url = index.paths['apis/apps/v1']!.serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const doc = (await call('GET', url)).json() as { components: { schemas: Record<string, Record<string, unknown>> } };
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas)).toContain('io.k8s.api.apps.v1.Deployment');
    expect(Object.keys(schemas)).toContain('io.k8s.api.core.v1.Container');
    expect(Object.keys(schemas)).not.toContain('io.k8s.api.batch.v1.Job');
    JSON.stringify(doc, (key, value: unknown) => {
      if (key === '$ref') expect(schemas[(value as string).replace('#/components/schemas/', '')], value as string).toBeDefined();
      return value;
    });
    expect((await call('GET', '/openapi/v3/apis/nothing.example.com/v1')).status).toBe(404);
  });
});
