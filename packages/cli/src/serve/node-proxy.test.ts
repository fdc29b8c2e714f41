/**
 * The node proxy of `kubeloop serve`: `kubectl get --raw /api/v1/nodes/<node>/proxy/stats/summary`
 * and `/metrics/resource` answered by the node's fake kubelet, a 404 Status for an unknown node,
 * and RBAC on `nodes/proxy` as upstream.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, ClusterRoleBindings, ClusterRoles, Pods, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { ClusterRole, ClusterRoleBinding, Pod } from '@kubeloop/core';
import { ensureBootstrapPolicy } from '@kubeloop/controllers';
import type { FakeKubelet } from '@kubeloop/runtime-fake';
import { startFakeNode } from '@kubeloop/runtime-fake';
import { ApiAuth, parseTokenAuthFile } from './auth.js';
import { ApiHandler } from './handler.js';
import { PROMETHEUS_TEXT, nodeProxy } from './node-proxy.js';

const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
const auth = new ApiAuth({ client: server, clock, rng: seededRng('sa'), adminToken: 'admin-token', staticTokens: parseTokenAuthFile('jane-token,jane,uid-jane\nbob-token,bob,uid-bob\n') });
let kubelet: FakeKubelet | undefined;
const api = new ApiHandler({ client: server, registry: server.registry, clock, token: 'unused', gate: auth.gate, version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' }, kubelets: (node) => (node === kubelet?.nodeName ? kubelet : undefined) });
const http = createServer(api.handle);
let base = '';

beforeAll(async () => {
  await ensureBootstrapPolicy(server);
  kubelet = await startFakeNode({ client: server, clock, rng: seededRng(2), node: { index: 0, name: 'node-1' } });
  await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', annotations: { 'kubeloop.dev/cpu-usage': '300m' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } as unknown as Pod);
  await server.bind({ namespace: 'default', name: 'web' }, { name: 'node-1' });
  await clock.advance(30_000);
  const R = 'rbac.authorization.k8s.io/v1';
  await server.create(ClusterRoles, { apiVersion: R, kind: 'ClusterRole', metadata: { name: 'node-stats' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes/proxy'] }] } as ClusterRole);
  await server.create(ClusterRoleBindings, { apiVersion: R, kind: 'ClusterRoleBinding', metadata: { name: 'jane-node-stats' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-stats' } } as ClusterRoleBinding);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  kubelet?.stop();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

function get(path: string, token: string, method = 'GET'): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /api/v1/nodes/<node>/proxy/… (kubectl get --raw)', () => {
  it('answers stats/summary with the kubelet’s Summary API', async () => {
    const reply = await get('/api/v1/nodes/node-1/proxy/stats/summary', 'admin-token');
    expect(reply.status).toBe(200);
    expect(reply.type).toBe('application/json');
    const summary = JSON.parse(reply.text) as { node: { nodeName: string }; pods: { podRef: { name: string }; containers: { name: string; cpu: { usageNanoCores: number } }[] }[] };
    expect(summary.node.nodeName).toBe('node-1');
    expect(summary.pods.map((p) => [p.podRef.name, p.containers[0]?.name, p.containers[0]?.cpu.usageNanoCores])).toEqual([['web', 'app', 300_000_000]]);
  });

  it('answers metrics/resource with the Prometheus text of the resource metrics', async () => {
    const reply = await get('/api/v1/nodes/node-1/proxy/metrics/resource', 'jane-token');
    expect(reply.status).toBe(200);
    expect(reply.type).toBe(PROMETHEUS_TEXT);
    expect(reply.text).toContain('# TYPE container_cpu_usage_seconds_total counter\n');
    expect(reply.text).toMatch(/^container_cpu_usage_seconds_total\{container="app",namespace="default",pod="web"\} [\d.e+]+ \d+$/m);
  });

  it('answers an unknown node with a 404 Status and an unknown path with the kubelet’s 404', async () => {
    const unknown = await get('/api/v1/nodes/nope/proxy/stats/summary', 'admin-token');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'nodes "nope" not found', details: { name: 'nope', kind: 'nodes' } });
    const path = await get('/api/v1/nodes/node-1/proxy/healthz/nothing', 'admin-token');
    expect([path.status, path.text]).toEqual([404, '404 page not found\n']);
  });

  it('needs get on nodes/proxy: a user without it is forbidden with upstream’s message', async () => {
    const reply = await get('/api/v1/nodes/node-1/proxy/stats/summary', 'bob-token');
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text)).toMatchObject({ reason: 'Forbidden', message: 'nodes "node-1" is forbidden: User "bob" cannot get resource "nodes/proxy" in API group "" at the cluster scope' });
  });
});

describe('nodeProxy', () => {
  const running = { running: true, statsSummary: () => ({ node: {} }), resourceMetrics: () => 'scrape_error 0\n' };
  it('refuses a write with 405 and a stopped kubelet with 503', () => {
    expect(() => nodeProxy(() => running, 'POST', 'n', ['stats', 'summary'])).toThrow('the server does not allow this method on the requested resource');
    expect(() => nodeProxy(() => ({ ...running, running: false }), 'GET', 'n', ['stats', 'summary'])).toThrow('error trying to reach service: the kubelet of node "n" is not running');
    expect(nodeProxy(() => running, 'GET', 'n', ['metrics', 'resource'])).toEqual({ code: 200, contentType: PROMETHEUS_TEXT, body: 'scrape_error 0\n' });
  });
});
