import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import { ApiHandler, MAX_REQUEST_BODY_BYTES } from './handler.js';

// The handler over plain HTTP on port 0, in front of an in-memory API server on a virtual clock.
const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry(), historySize: 5 });
const timeouts = new VirtualClock();
const api = new ApiHandler({ client: server, registry: server.registry, clock, timeoutClock: timeouts, token: 'secret', version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
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

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

function call(method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string>; token?: string | null; chunked?: boolean } = {}): Promise<Reply> {
  const headers: Record<string, string> = {
    ...(options.token === null ? {} : { Authorization: `Bearer ${options.token ?? 'secret'}` }),
    // Node's client sends a DELETE's body without chunking: it needs its length.
    ...(options.body !== undefined && !options.chunked ? { 'Content-Length': String(Buffer.byteLength(options.body)) } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const cm = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'web' } }, data: { a: '1' }, ...extra });
const json = { 'Content-Type': 'application/json' };

describe('the HTTP API handler', () => {
  it('answers a request without the bearer token, or with a wrong one, with a 401 Status', async () => {
    for (const token of [null, 'wrong']) {
      const reply = await call('GET', '/api/v1/namespaces/default/configmaps', { token });
      expect(reply.status).toBe(401);
      expect(reply.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
    expect((await call('GET', '/healthz', { token: null })).text).toBe('ok');
  });

  it('answers an unknown path or resource with a 404 Status', async () => {
    for (const path of ['/nope', '/api/v1/widgets', '/api/v1/configmaps/one', '/api/v1/namespaces/default/nodes', '/apis/apps/v1/namespaces/default/deployments/web/nothing', '/apis/nothing.io/v1']) {
      const reply = await call('GET', path);
      expect(reply.status, path).toBe(404);
      expect(reply.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    }
  });

  it('serves /version and discovery generated from the registry, legacy and aggregated', async () => {
    expect((await call('GET', '/version')).json()).toMatchObject({ major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' });
    const core = (await call('GET', '/api/v1')).json() as { resources: { name: string; shortNames?: string[]; namespaced: boolean; categories?: string[]; verbs: string[] }[] };
    expect(core.resources.find((r) => r.name === 'pods')).toMatchObject({ kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'] });
    expect(core.resources.find((r) => r.name === 'pods/binding')).toMatchObject({ kind: 'Binding', verbs: ['create'] });
    // Another group's kind names its group and version, even when the version is the same word
    // (kubectl drain evicts only when it finds pods/eviction's policy/v1).
    expect(core.resources.find((r) => r.name === 'pods/eviction')).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction' });
    expect(core.resources.find((r) => r.name === 'pods/log')).toMatchObject({ kind: 'Pod', verbs: ['get'] });
    const groups = (await call('GET', '/apis')).json() as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toContain('apps');
    const aggregated = await call('GET', '/apis', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    expect(aggregated.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const list = aggregated.json() as { kind: string; items: { metadata: { name: string }; versions: { version: string; resources: { resource: string; scope: string; subresources?: { subresource: string }[] }[] }[] }[] };
    expect(list.kind).toBe('APIGroupDiscoveryList');
    const deployments = list.items.find((g) => g.metadata.name === 'apps')!.versions[0]!.resources.find((r) => r.resource === 'deployments')!;
    expect(deployments.scope).toBe('Namespaced');
    expect(deployments.subresources?.map((s) => s.subresource)).toEqual(['status', 'scale']);
  });

  it('creates, gets, lists with selectors, updates, patches and deletes, answering errors with upstream Status', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('one'), headers: json });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'one', namespace: 'default' } });
    const again = await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('one'), headers: json });
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "one" already exists', details: { name: 'one', kind: 'configmaps' } });
    const invalid = await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('two', { data: { a: 1 } }), headers: json });
    expect(invalid.status).toBe(422);
    expect(invalid.json()).toMatchObject({ reason: 'Invalid' });
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/nope')).json()).toMatchObject({ code: 404, message: 'configmaps "nope" not found' });
    expect(((await call('GET', '/api/v1/configmaps?labelSelector=app%3Dweb')).json().items as unknown[]).length).toBe(1);
    expect(((await call('GET', '/api/v1/configmaps?labelSelector=app%3Dother')).json().items as unknown[]).length).toBe(0);
    expect((await call('GET', '/api/v1/configmaps?fieldSelector=spec.x%3D1')).status).toBe(400);
    const patched = await call('PATCH', '/api/v1/namespaces/default/configmaps/one', { body: JSON.stringify({ data: { b: '2' } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
    expect(patched.json()).toMatchObject({ data: { a: '1', b: '2' } });
    const jsonPatched = await call('PATCH', '/api/v1/namespaces/default/configmaps/one', { body: JSON.stringify([{ op: 'remove', path: '/data/a' }]), headers: { 'Content-Type': 'application/json-patch+json' } });
    expect(jsonPatched.json()).toMatchObject({ data: { b: '2' } });
    const listed = (await call('GET', '/api/v1/namespaces/default/configmaps/one')).json();
    const stale = JSON.stringify({ ...listed, metadata: { ...(listed.metadata as object), resourceVersion: '1' } });
    const conflict = await call('PUT', '/api/v1/namespaces/default/configmaps/one', { body: stale, headers: json });
    expect(conflict.json()).toMatchObject({ code: 409, reason: 'Conflict' });
    const wrongName = await call('PUT', '/api/v1/namespaces/default/configmaps/other', { body: JSON.stringify(listed), headers: json });
    expect(wrongName.json()).toMatchObject({ code: 400, reason: 'BadRequest', message: 'the name of the object (one) does not match the name on the URL (other)' });
    const deleted = await call('DELETE', '/api/v1/namespaces/default/configmaps/one', { body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }), headers: json });
    expect(deleted.json()).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'one', kind: 'configmaps' } });
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/one')).status).toBe(404);
  });

  it("binds a pod through pods/binding only when it is the pod of the Binding's uid, as upstream's BindingREST", async () => {
    const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const binding = (uid: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound', uid }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } });
    const old = (await call('POST', '/api/v1/namespaces/default/pods', { body: pod, headers: json })).json() as { metadata: { uid: string } };
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/bound')).status).toBe(200);
    const recreated = (await call('POST', '/api/v1/namespaces/default/pods', { body: pod, headers: json })).json() as { metadata: { uid: string } };
    const refused = await call('POST', '/api/v1/namespaces/default/pods/bound/binding', { body: binding(old.metadata.uid), headers: json });
    expect(refused.json()).toMatchObject({ code: 409, reason: 'Conflict', message: `Operation cannot be fulfilled on pods "bound": Precondition failed: UID in precondition: ${old.metadata.uid}, UID in object meta: ${recreated.metadata.uid}` });
    expect((await call('POST', '/api/v1/namespaces/default/pods/bound/binding', { body: binding(recreated.metadata.uid), headers: json })).status).toBe(201);
    expect(((await call('GET', '/api/v1/namespaces/default/pods/bound')).json() as { spec: { nodeName?: string } }).spec.nodeName).toBe('node-1');
  });

  it('answers a malformed path with a 400 Status', async () => {
    expect((await call('GET', '/api/v1/namespaces/%E0%A4%A/configmaps')).json()).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
  });

  it('answers malformed JSON with 400, a body over 3 MiB with 413, and changes nothing', async () => {
    const before = server.resourceVersion;
    const malformed = await call('POST', '/api/v1/namespaces/default/configmaps', { body: '{"metadata": ', headers: json });
    expect(malformed.status).toBe(400);
    expect(malformed.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const huge = await call('POST', '/api/v1/namespaces/default/configmaps', { body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x20), headers: json });
    expect(huge.status).toBe(413);
    expect(huge.json()).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    // Without a Content-Length, the body is counted as it streams in.
    const streamed = await call('POST', '/api/v1/namespaces/default/configmaps', { body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x20), headers: json, chunked: true });
    expect(streamed.json()).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413 });
    for (const body of ['[]', 'null', '"x"', '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}', '{"metadata":[]}']) {
      const reply = await call('POST', '/api/v1/namespaces/default/configmaps', { body, headers: json });
      expect(reply.status, body).toBeGreaterThanOrEqual(400);
      expect(reply.status, body).toBeLessThan(500);
    }
    expect((await call('PATCH', '/api/v1/namespaces/default/configmaps/x', { body: '{}', headers: { 'Content-Type': 'text/plain' } })).status).toBe(415);
    // A protobuf body (what kubectl's typed clients send) of a kind kubeloop does not decode: 415,
    // not a JSON parse error; a truncated one: 400.
    const protobuf = await call('POST', '/api/v1/namespaces/default/configmaps', { body: Buffer.from('k8s\u0000\n\u0009\n\u0002v1\u0012\u0003Pod'), headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' } });
    expect(protobuf.json()).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    const truncated = await call('POST', '/api/v1/namespaces/default/configmaps', { body: Buffer.from('k8s\u0000\n\u000f'), headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' } });
    expect(truncated.json()).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(server.resourceVersion).toBe(before);
  });

  it('enforces fieldValidation=Strict with upstream strict decoding error, and creates nothing', async () => {
    const reply = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { body: cm('strict', { bogus: 1 }), headers: json });
    expect(reply.json()).toMatchObject({ code: 400, message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"' });
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/strict')).status).toBe(404);
    const warned = await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('warned', { bogus: 1 }), headers: json });
    expect(warned.status).toBe(201);
    expect(warned.headers.warning).toBe('299 - "unknown field \\"bogus\\""');
  });

  it('serves a server-side Table with the column definitions and cells of the CLI printers', async () => {
    const reply = await call('GET', '/api/v1/namespaces/default/configmaps', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
    const table = reply.json() as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string; metadata: { name: string } } }[] };
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(table.rows[0]).toMatchObject({ cells: ['warned', 1, '0s'], object: { kind: 'PartialObjectMetadata', metadata: { name: 'warned' } } });
  });

  it('streams watch events as JSON lines and ends a watch from a too old resourceVersion with a 410 ERROR event', async () => {
    const lines: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request(`${base}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0`, { headers: { Authorization: 'Bearer secret' } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          lines.push(...chunk.split('\n').filter(Boolean));
          if (lines.length >= 2) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('watched'), headers: json });
    await done;
    expect(lines.map((l) => (JSON.parse(l) as { type: string; object: { metadata: { name: string } } }).object.metadata.name)).toEqual(['warned', 'watched']);
    // Push the first revisions out of the five-event history window.
    for (let i = 0; i < 6; i++) await call('PATCH', '/api/v1/namespaces/default/configmaps/watched', { body: JSON.stringify({ data: { i: String(i) } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
    const expired = await call('GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2');
    const event = JSON.parse(expired.text.trim()) as { type: string; object: { code: number; reason: string } };
    expect(event).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    expect(api.openWatches).toBe(0);
  });

  it('pages a list with limit and continue (JSON and Table), and deletes a collection by label selector', async () => {
    await server.create(server.registry.forResource('namespaces')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paged' } });
    for (const name of ['page-a', 'page-b', 'page-c']) await call('POST', '/api/v1/namespaces/paged/configmaps', { body: cm(name, { metadata: { name, labels: { page: 'yes' } } }), headers: json });
    const first = (await call('GET', '/api/v1/namespaces/paged/configmaps?limit=2')).json() as { metadata: { continue?: string; remainingItemCount?: number; resourceVersion: string }; items: { metadata: { name: string } }[] };
    expect(first.items.map((i) => i.metadata.name)).toEqual(['page-a', 'page-b']);
    expect(first.metadata.remainingItemCount).toBe(1);
    await call('DELETE', '/api/v1/namespaces/paged/configmaps/page-c');
    const second = (await call('GET', `/api/v1/namespaces/paged/configmaps?limit=2&continue=${encodeURIComponent(first.metadata.continue!)}`)).json() as typeof first;
    // The continuation reads the first page's revision: page-c, deleted since, is still listed.
    expect(second.items.map((i) => i.metadata.name)).toEqual(['page-c']);
    expect(second.metadata).toEqual({ resourceVersion: first.metadata.resourceVersion });
    const table = (await call('GET', '/api/v1/namespaces/paged/configmaps?limit=1', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } })).json() as { kind: string; rows: unknown[]; metadata: { continue?: string } };
    expect(table).toMatchObject({ kind: 'Table', rows: [expect.anything()] });
    expect(table.metadata.continue).toEqual(expect.any(String));
    expect((await call('GET', '/api/v1/namespaces/paged/configmaps?continue=bogus')).status).toBe(400);
    expect((await call('GET', '/api/v1/namespaces/paged/configmaps?resourceVersionMatch=Exact')).status).toBe(422);

    const deleted = await call('DELETE', '/api/v1/namespaces/paged/configmaps?labelSelector=page%3Dyes');
    expect(deleted.status).toBe(200);
    expect(deleted.json()).toMatchObject({ kind: 'ConfigMapList', items: [{ metadata: { name: 'page-a' } }, { metadata: { name: 'page-b' } }] });
    expect((await server.list(server.registry.forResource('configmaps')!, { namespace: 'paged' })).items).toEqual([]);
    // deletecollection is not served at the cluster scope of a namespaced kind, as upstream.
    expect((await call('DELETE', '/api/v1/configmaps')).status).toBe(405);
    // Without a log source (no kubelets), pods/log is not served.
    expect((await call('GET', '/api/v1/namespaces/paged/pods/x/log')).status).toBe(404);
  });

  it('sends the events a burst of writes fans out in one turn as one chunk of lines, in order', async () => {
    await server.create(server.registry.forResource('namespaces')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'burst' } });
    const port = (http.address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (raw += c));
    socket.write(`GET /api/v1/namespaces/burst/configmaps?watch=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\n\r\n`);
    const before = api.openWatches;
    while (api.openWatches === before || !raw.includes('\r\n\r\n')) await new Promise<void>((resolve) => setImmediate(resolve));
    const def = server.registry.forResource('configmaps')!;
    // Ten creates in one turn (each takes effect when called).
    for (let i = 0; i < 10; i++) void server.create(def, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `b-${i}`, namespace: 'burst' } });
    while ((raw.match(/"type":"ADDED"/g) ?? []).length < 10) await new Promise<void>((resolve) => setImmediate(resolve));
    socket.destroy();
    // The body after the headers: one chunk frame (its size in hex, CRLF, the lines, CRLF).
    const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    const frame = /^([0-9a-f]+)\r\n/.exec(body)!;
    const lines = body.slice(frame[0].length, frame[0].length + parseInt(frame[1]!, 16));
    expect(lines.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name)).toEqual(Array.from({ length: 10 }, (_, i) => `b-${i}`));
  });

  it('ends a watch after timeoutSeconds on the timeout clock', async () => {
    const ended = call('GET', '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=30');
    while (api.openWatches === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    await timeouts.advance(29_000);
    expect(api.openWatches).toBe(1);
    await timeouts.advance(1_000);
    expect((await ended).status).toBe(200);
    expect(api.openWatches).toBe(0);
  });
});
