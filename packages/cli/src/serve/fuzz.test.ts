import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { KubeObject } from '@kubeloop/core';
import { ApiHandler } from './handler.js';

// Fuzzing the HTTP API: seeded random requests, each carrying at least one defect (a malformed
// or mistyped body, a wrong content type, an unknown path, a bad query, a missing object, a bad
// token). Every one must be answered with a 4xx Status — never a 5xx, never a dropped
// connection — and the store must be exactly as before.
const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(7), registry: createBuiltinRegistry() });
const api = new ApiHandler({ client: server, registry: server.registry, clock, timeoutClock: new VirtualClock(), token: 'secret', version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
const http = createServer(api.handle);
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  const def = (plural: string) => server.registry.forResource(plural)!;
  await server.create(def('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'existing', namespace: 'default' }, data: { a: '1' } });
  await server.create(def('deployments.apps'), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'existing', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } });
});
afterAll(async () => {
  api.closeWatches();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer | undefined;
}

function send(r: FuzzRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const headers = { Authorization: 'Bearer secret', ...(body !== undefined ? { 'Content-Length': String(body.length) } : {}), ...r.headers };
    const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const json = { 'Content-Type': 'application/json' };
const collections = ['/api/v1/namespaces/default/configmaps', '/apis/apps/v1/namespaces/default/deployments', '/api/v1/namespaces/default/pods', '/api/v1/nodes', '/api/v1/namespaces'];
const objects = ['/api/v1/namespaces/default/configmaps/existing', '/apis/apps/v1/namespaces/default/deployments/existing'];
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** A name no object has: writes to it find nothing. */
const missing = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/).map((s) => `fuzz-missing-${s}`);
const write = fc.constantFrom('POST', 'PUT', 'PATCH');
const text = fc.string({ maxLength: 200 });

/** Text that is not JSON (random, or valid JSON cut short). */
const notJson = fc.oneof(
  text.filter((s) => {
    try {
      JSON.parse(s);
      return s.trim() === '';
    } catch {
      return true;
    }
  }),
  anyJson.map((v) => JSON.stringify({ metadata: { name: 'x' }, v })).map((s) => s.slice(0, s.length - 1)),
);

const requests: fc.Arbitrary<FuzzRequest> = fc.oneof(
  // Malformed JSON to any write.
  fc.record({ method: write, path: fc.constantFrom(...collections, ...objects), headers: fc.constant(json), body: notJson }).map((r) => ({ ...r, headers: r.method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : r.headers })),
  // A body that is JSON but not an object (creates and updates).
  fc.record({ method: fc.constantFrom('POST', 'PUT'), path: fc.constantFrom(...collections.slice(0, 2)).chain((c) => fc.constantFrom(c, `${c}/existing`)), headers: fc.constant(json), body: fc.oneof(fc.array(anyJson, { maxLength: 3 }), fc.integer(), fc.string(), fc.constant(null)).map((v) => JSON.stringify(v)) }),
  // A ConfigMap of another kind or apiVersion than the URL's.
  fc.record({ kind: fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== 'ConfigMap'), apiVersion: fc.constantFrom('v1', 'apps/v1', 'v2', 'nonsense/v1'), data: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })) }).map((o) => ({ method: 'POST', path: collections[0]!, headers: json, body: JSON.stringify({ ...o, metadata: { name: 'fuzzed' } }) })),
  // An invalid name (upper case, underscores, too long) with otherwise random content.
  fc.record({ bad: fc.oneof(fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,8}$/), fc.stringMatching(/^[a-z]{1,5}_[a-z]{1,5}$/), fc.constant('x'.repeat(254)), fc.constant('-lead'), fc.constant('')), data: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 8 })) }).map((o) => ({ method: 'POST', path: collections[0]!, headers: json, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: o.bad }, data: o.data }) })),
  // A Deployment with mistyped or out-of-range fields.
  fc.record({ replicas: fc.oneof(fc.integer({ max: -1 }), fc.string(), fc.constant(1.5), fc.array(fc.integer(), { maxLength: 2 })), image: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null).map(() => undefined)) }).map((o) => ({ method: 'POST', path: collections[1]!, headers: json, body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'fuzzed' }, spec: { replicas: o.replicas, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: o.image }] } } } }) })),
  // A namespace in the body that is not the URL's.
  fc.stringMatching(/^[a-z]{1,10}$/).filter((n) => n !== 'default').map((ns) => ({ method: 'POST', path: collections[0]!, headers: json, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fuzzed', namespace: ns } }) })),
  // A content type the server does not read.
  fc.record({ method: write, path: fc.constantFrom(...objects), type: fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'image/png', 'application/cbor'), body: anyJson.map((v) => JSON.stringify(v)) }).map((r) => ({ method: r.method === 'POST' ? 'PATCH' : r.method, path: r.path, headers: { 'Content-Type': r.type }, body: r.body })).filter((r) => r.method === 'PATCH'),
  // Protobuf bodies that are garbage, with and without the magic bytes.
  fc.record({ magic: fc.boolean(), bytes: fc.uint8Array({ maxLength: 64 }) }).map((r) => ({ method: 'POST', path: collections[0]!, headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' }, body: Buffer.concat([r.magic ? Buffer.from('k8s\0') : Buffer.alloc(0), Buffer.from(r.bytes), Buffer.from([0xff])]) })),
  // Writes and reads of objects that do not exist, with any body.
  fc.record({ method: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE'), name: missing, body: anyJson }).map((r) => ({
    method: r.method,
    path: `${collections[0]}/${r.name}`,
    headers: r.method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : json,
    body: r.method === 'GET' ? undefined : JSON.stringify(r.method === 'PUT' ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: r.name } } : typeof r.body === 'object' && r.body !== null && !Array.isArray(r.body) ? r.body : {}),
  })),
  // Evictions and bindings of pods that do not exist.
  fc.record({ sub: fc.constantFrom('eviction', 'binding'), name: missing, body: anyJson }).map((r) => ({ method: 'POST', path: `/api/v1/namespaces/default/pods/${r.name}/${r.sub}`, headers: json, body: JSON.stringify(r.sub === 'binding' ? { target: { name: 'node-1' } } : { metadata: { name: r.name } }) })),
  // Unknown paths: groups, resources and subresources that are not served.
  fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), segment: fc.stringMatching(/^[a-z0-9]{1,12}$/), shape: fc.integer({ min: 0, max: 4 }) }).map((r) => ({
    method: r.method,
    path: [`/apis/zz${r.segment}.fuzz/v1/things`, `/api/v1/zz${r.segment}`, `/api/v1/namespaces/default/configmaps/existing/zz${r.segment}`, `/zz${r.segment}/v1`, `/apis/apps/v9/zz${r.segment}`][r.shape]!,
    headers: json,
    body: r.method === 'GET' || r.method === 'DELETE' ? undefined : '{}',
  })),
  // Bad list and watch queries.
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 6 }).filter((s) => !/^-?\d+$/.test(s)).map((s) => `limit=${encodeURIComponent(s)}`),
    fc.string({ minLength: 1, maxLength: 20 }).map((s) => `continue=${encodeURIComponent(`!${s}`)}`),
    fc.string({ maxLength: 10 }).map((s) => `resourceVersionMatch=${encodeURIComponent(s || 'Exact')}`),
    fc.stringMatching(/^[a-z]{1,8}$/).map((s) => `fieldSelector=${encodeURIComponent(`spec.zz${s}=1`)}`),
    fc.constantFrom('labelSelector=a%20in%20(', 'labelSelector=%3D%3D', 'labelSelector=a%3D%3Db%3Dc', 'labelSelector=!!a'),
    fc.stringMatching(/^[a-z]{1,6}$/).map((s) => `watch=true&resourceVersion=${s}`),
  ).map((query) => ({ method: 'GET', path: `${collections[0]}?${query}`, headers: {} })),
  // Deletes with bad options on objects that exist.
  fc.oneof(fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !['Orphan', 'Background', 'Foreground'].includes(s)).map((p) => ({ propagationPolicy: p })), fc.oneof(fc.string({ minLength: 1 }), fc.constant(1.5)).map((g) => ({ gracePeriodSeconds: g }))).chain((options) =>
    fc.constantFrom(...objects).map((path) => ({ method: 'DELETE', path, headers: json, body: JSON.stringify(options) })),
  ),
  // No token, or a wrong one.
  fc.record({ method: fc.constantFrom('GET', 'POST', 'DELETE'), path: fc.constantFrom(...collections, ...objects), token: fc.stringMatching(/^[A-Za-z0-9]{0,20}$/) }).map((r) => ({ method: r.method, path: r.path, headers: r.token === '' ? { Authorization: '' } : { Authorization: `Bearer ${r.token}x` }, body: r.method === 'POST' ? '{}' : undefined })),
);

/** Every object in the store, by key, with its resourceVersion. */
async function snapshot(): Promise<string> {
  const out: string[] = [];
  for (const def of server.registry.all()) {
    const list = await server.list(def as never);
    for (const o of list.items as KubeObject[]) out.push(`${def.plural}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}@${o.metadata.resourceVersion ?? ''}`);
  }
  return out.sort().join('\n');
}

describe('the HTTP API under fuzzed requests', () => {
  it('answers 10,000 defective requests (bodies, paths, queries, content types, tokens) with a 4xx Status and changes nothing', async () => {
    const before = await snapshot();
    const rvBefore = server.resourceVersion;
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const reply = await send(r);
        expect(reply.status, `${r.method} ${r.path} ${String(r.body ?? '').slice(0, 200)}\n${reply.text}`).toBeGreaterThanOrEqual(400);
        expect(reply.status, `${r.method} ${r.path} ${String(r.body ?? '').slice(0, 200)}\n${reply.text}`).toBeLessThan(500);
        const status = JSON.parse(reply.text) as { kind: string; code: number; status: string };
        expect(status).toMatchObject({ kind: 'Status', status: 'Failure', code: reply.status });
      }),
      { seed: 20261205, numRuns: 10_000 },
    );
    expect(server.resourceVersion).toBe(rvBefore);
    expect(await snapshot()).toBe(before);
    expect(api.openWatches).toBe(0);
  }, 120_000);
});
