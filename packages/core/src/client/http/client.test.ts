/**
 * HttpClient against a canned HTTP server: how responses map back to core's contract (errors,
 * watch streams, tokens, rate limiting). The whole API (kubeloop serve, informers, managers) is
 * exercised in packages/integration/src/http.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors.js';
import { ConfigMaps, Namespaces } from '../../api/kinds/core.js';
import { VirtualClock } from '../../clock/virtual.js';
import type { WarningSink } from '../../store/registry/store.js';
import type { WriteOptions } from '../types.js';
import { HttpClient, apiErrorFromResponse } from './client.js';
import type { ClusterConnection } from './config.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let reply: (req: Seen, res: ServerResponse) => void = (_req, res) => res.writeHead(500).end();
const seen: Seen[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    seen.push(s);
    reply(s, res);
  });
});
let connection: ClusterConnection;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  connection = { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'secret', namespace: 'default' };
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const json = (res: ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}) =>
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));

function client(extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient {
  return new HttpClient({ connection, clock: new VirtualClock(), qps: 0, ...extra });
}

describe('HttpClient', () => {
  it('sends the verbs to the resource URLs with the bearer token, and fills in apiVersion/kind of list items', async () => {
    const c = client();
    seen.length = 0;
    reply = (req, res) => {
      if (req.method === 'GET' && req.url.startsWith('/api/v1/namespaces/default/configmaps?')) return json(res, 200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'a', namespace: 'default' } }] });
      return json(res, 200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default', resourceVersion: '8' } });
    };
    const list = await c.list(ConfigMaps, { namespace: 'default', labelSelector: { matchLabels: { app: 'web' } } });
    expect(list.metadata.resourceVersion).toBe('7');
    expect(list.items[0]).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } });
    expect(Object.isFrozen(list.items[0]!.metadata)).toBe(true);
    await c.get(ConfigMaps, { namespace: 'default', name: 'a' });
    await c.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } }, { dryRun: true, fieldManager: 'me' });
    await c.updateStatus(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns-1' } });
    await c.patch(ConfigMaps, { namespace: 'default', name: 'a' }, { type: 'json', body: [{ op: 'remove', path: '/data' }] });
    await c.delete(ConfigMaps, { namespace: 'default', name: 'a' }, { propagationPolicy: 'Foreground', preconditions: { uid: 'u' } });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb',
      'GET /api/v1/namespaces/default/configmaps/a',
      'POST /api/v1/namespaces/default/configmaps?dryRun=All&fieldManager=me',
      'PUT /api/v1/namespaces/ns-1/status',
      'PATCH /api/v1/namespaces/default/configmaps/a',
      'DELETE /api/v1/namespaces/default/configmaps/a',
    ]);
    expect(seen.every((s) => s.headers.authorization === 'Bearer secret')).toBe(true);
    expect(JSON.parse(seen[2]!.body)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } });
    expect(seen[4]!.headers['content-type']).toBe('application/json-patch+json');
    expect(JSON.parse(seen[5]!.body)).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground', preconditions: { uid: 'u' } });
    c.close();
  });

  it("posts a pod's binding with its preconditions in the Binding's metadata, as upstream's DefaultBinder sends the pod's uid", async () => {
    const c = client();
    seen.length = 0;
    reply = (_req, res) => json(res, 201, { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 });
    await c.bind({ namespace: 'default', name: 'web' }, { name: 'node-1' }, { preconditions: { uid: 'u-1' } });
    await c.bind({ namespace: 'default', name: 'web' }, { name: 'node-1' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/v1/namespaces/default/pods/web/binding', 'POST /api/v1/namespaces/default/pods/web/binding']);
    expect(seen.map((s) => (JSON.parse(s.body) as { metadata: unknown }).metadata)).toEqual([{ name: 'web', namespace: 'default', uid: 'u-1' }, { name: 'web', namespace: 'default' }]);
    c.close();
  });

  it('asks for a list at an exact revision with resourceVersion and resourceVersionMatch', async () => {
    const c = client();
    seen.length = 0;
    reply = (_req, res) => json(res, 200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '5' }, items: [] });
    expect((await c.list(ConfigMaps, { namespace: 'default', resourceVersion: '5', resourceVersionMatch: 'Exact' })).metadata.resourceVersion).toBe('5');
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/namespaces/default/configmaps?resourceVersion=5&resourceVersionMatch=Exact']);
    c.close();
  });

  it('rebuilds the server Status as the same ApiError the in-process server throws (reason, code, message, details)', async () => {
    const c = client();
    const status = { apiVersion: 'v1', kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, message: 'ConfigMap "a" is invalid: data: Too many', details: { name: 'a', kind: 'ConfigMap', causes: [{ reason: 'FieldValueTooMany', message: 'Too many', field: 'data' }] } };
    reply = (_req, res) => json(res, 422, status);
    const error = await c.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).toStatus()).toEqual(status);

    reply = (_req, res) => res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
    const bare = await c.get(ConfigMaps, { namespace: 'default', name: 'a' }).catch((e: unknown) => e);
    expect(bare).toMatchObject({ reason: 'NotFound', code: 404, message: 'the server responded with the status code 404 but did not return more information' });
    c.close();
  });

  it('maps reasons core does not know by their code (413 RequestEntityTooLarge is a BadRequest) and keeps Expired apart from Gone', () => {
    expect(apiErrorFromResponse(413, { kind: 'Status', code: 413, reason: 'RequestEntityTooLarge', message: 'too large' })).toMatchObject({ reason: 'BadRequest', message: 'too large' });
    expect(apiErrorFromResponse(410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' }).reason).toBe('Expired');
    expect(apiErrorFromResponse(410, undefined).reason).toBe('Gone');
    expect(apiErrorFromResponse(429, { kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'slow down', details: { retryAfterSeconds: 3 } }).details.retryAfterSeconds).toBe(3);
  });

  it('passes Warning headers to onWarning', async () => {
    const c = client();
    reply = (_req, res) => json(res, 201, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, { Warning: ['299 - "unknown field \\"spec.foo\\""', '299 - "second"'] });
    const warnings: string[] = [];
    const options: WriteOptions & WarningSink = { fieldManager: 'test', onWarning: (w) => void warnings.push(w) };
    await c.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } }, options);
    expect(warnings).toEqual(['unknown field "spec.foo"', 'second']);
    c.close();
  });

  it('streams a chunked watch split anywhere, and errors with Expired on a 410 ERROR event', async () => {
    const c = client();
    const lines = [
      { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '5' } } },
      { type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '6' } } },
      { type: 'DELETED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', resourceVersion: '7' } } },
      { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 4 (7)' } },
    ];
    reply = (req, res) => {
      expect(req.url).toBe('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=4&allowWatchBookmarks=true&timeoutSeconds=300');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
      // In pieces of 7 bytes: events straddle chunks.
      for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7));
    };
    const events: string[] = [];
    const error = await new Promise<unknown>((resolve) => {
      c.watch(ConfigMaps, { namespace: 'default', resourceVersion: '4', allowWatchBookmarks: true }).subscribe({
        next: (e) => events.push(`${e.type} ${e.object.metadata.resourceVersion} ${'kind' in e.object ? String(e.object.kind) : ''}`),
        error: resolve,
        complete: () => resolve('completed'),
      });
    });
    expect(events).toEqual(['ADDED 5 ConfigMap', 'BOOKMARK 6 ConfigMap', 'DELETED 7 ConfigMap']);
    expect(error).toMatchObject({ reason: 'Expired', code: 410, message: 'too old resource version: 4 (7)' });
    expect(c.openWatches).toBe(0);
    c.close();
  });

  it('completes a watch when the server ends the stream, and fails one the server refuses with its Status', async () => {
    const c = client();
    reply = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '9' } } })}\n`);
    };
    const all = await firstValueFrom(c.watch(ConfigMaps, {}).pipe(toArray()));
    expect(all.map((e) => e.type)).toEqual(['MODIFIED']);
    reply = (_req, res) => json(res, 403, { kind: 'Status', code: 403, reason: 'Forbidden', message: 'configmaps is forbidden: User "x" cannot watch resource "configmaps"' });
    await expect(firstValueFrom(c.watch(ConfigMaps, {}))).rejects.toMatchObject({ reason: 'Forbidden' });
    c.close();
  });

  it('ends open watches on close()', async () => {
    const c = client();
    reply = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '1' } } })}\n`);
    };
    const done = new Promise<string>((resolve) => {
      c.watch(ConfigMaps, {}).subscribe({ next: () => c.close(), complete: () => resolve('completed'), error: () => resolve('error') });
    });
    expect(await done).toBe('completed');
    expect(c.openWatches).toBe(0);
  });

  it('reads a tokenFile and reads it again after tokenFileRefreshMs on the injected clock', async () => {
    const clock = new VirtualClock();
    let token = 'first';
    const c = new HttpClient({ connection: { server: connection.server, tokenFile: '/sa/token', namespace: 'default' }, clock, qps: 0, readFile: () => `${token}\n` });
    seen.length = 0;
    reply = (_req, res) => json(res, 200, { metadata: { name: 'a' } });
    await c.get(ConfigMaps, { namespace: 'default', name: 'a' });
    token = 'rotated';
    await c.get(ConfigMaps, { namespace: 'default', name: 'a' });
    await clock.advance(60_000);
    await c.get(ConfigMaps, { namespace: 'default', name: 'a' });
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer first', 'Bearer first', 'Bearer rotated']);
    c.close();
  });

  it('rate-limits requests with a token bucket on the injected clock (qps 1, burst 2: the third request waits a second)', async () => {
    const clock = new VirtualClock();
    const c = new HttpClient({ connection, clock, qps: 1, burst: 2 });
    seen.length = 0;
    reply = (_req, res) => json(res, 200, { metadata: { name: 'a' } });
    const calls = [0, 1, 2].map(() => c.get(ConfigMaps, { namespace: 'default', name: 'a' }));
    await Promise.all(calls.slice(0, 2));
    expect(seen).toHaveLength(2);
    await clock.advance(999);
    expect(seen).toHaveLength(2);
    await clock.advance(1);
    await calls[2];
    expect(seen).toHaveLength(3);
    c.close();
  });

  it('fails with ServiceUnavailable, the socket error as cause, when nothing listens', async () => {
    const c = new HttpClient({ connection: { server: 'http://127.0.0.1:1', namespace: 'default' }, clock: new VirtualClock(), qps: 0 });
    const error = await c.get(ConfigMaps, { namespace: 'default', name: 'a' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    c.close();
  });
});
