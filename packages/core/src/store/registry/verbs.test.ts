/**
 * A kind's `verbs`: the metrics API (PodMetrics, NodeMetrics) is read-only for clients, as
 * upstream's (`get`, `list`); a write gets 405 MethodNotAllowed, while the plugin that serves it
 * writes with `internalWrite`, and deleting a namespace still clears it.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors.js';
import { NodeMetricses, PodMetricses } from '../../api/kinds/metrics.js';
import { Namespaces, createBuiltinRegistry } from '../../api/kinds/index.js';
import { VirtualClock } from '../../clock/virtual.js';
import { seededRng } from '../../rng/seeded.js';
import { ApiServer } from '../server.js';
import { internalWrite } from './verbs.js';

const metrics = (name: string, namespace = 'default') => ({
  apiVersion: 'metrics.k8s.io/v1beta1' as const,
  kind: 'PodMetrics' as const,
  metadata: { name, namespace },
  timestamp: '2026-01-01T00:00:15Z',
  window: '15s',
  containers: [{ name: 'app', usage: { cpu: '300000000n', memory: '12288Ki' } }],
});

function server(): ApiServer {
  return new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: createBuiltinRegistry().register(PodMetricses).register(NodeMetricses) });
}

async function refusal(write: Promise<unknown>): Promise<unknown> {
  return write.then(
    () => 'accepted',
    (e: unknown) => (e instanceof ApiError ? e.toStatus() : e),
  );
}

describe('a read-only kind (the metrics API)', () => {
  it("refuses a client's create, update, patch and delete with upstream's 405 Status", async () => {
    const s = server();
    const refused = { kind: 'Status', status: 'Failure', reason: 'MethodNotAllowed', code: 405, message: 'the server does not allow this method on the requested resource' };
    expect(await refusal(s.create(PodMetricses, metrics('web')))).toMatchObject({ ...refused, details: { group: 'metrics.k8s.io', kind: 'pods' } });
    const stored = await s.create(PodMetricses, metrics('web'), internalWrite());
    expect(await refusal(s.update(PodMetricses, { ...stored, window: '30s' }))).toMatchObject({ ...refused, details: { group: 'metrics.k8s.io', kind: 'pods', name: 'web' } });
    expect(await refusal(s.updateStatus(PodMetricses, stored))).toMatchObject(refused);
    expect(await refusal(s.patch(PodMetricses, { namespace: 'default', name: 'web' }, { type: 'merge', body: { window: '1s' } }))).toMatchObject(refused);
    expect(await refusal(s.delete(PodMetricses, { namespace: 'default', name: 'web' }))).toMatchObject(refused);
    expect(await refusal(s.create(NodeMetricses, { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: 'node-1' }, timestamp: '2026-01-01T00:00:15Z', window: '15s', usage: {} }))).toMatchObject({ ...refused, details: { kind: 'nodes' } });
    // nothing changed; reads are served
    expect(await s.get(PodMetricses, { namespace: 'default', name: 'web' })).toBe(stored);
    expect((await s.list(PodMetricses, { namespace: 'default' })).items).toHaveLength(1);
  });

  it('lets the serving plugin write it with internalWrite, whose mark survives a spread of the options', async () => {
    const s = server();
    const stored = await s.create(PodMetricses, metrics('web'), internalWrite({ fieldManager: 'metrics-server' }));
    const updated = await s.update(PodMetricses, { ...stored, window: '30s' }, { ...internalWrite() });
    expect(updated.window).toBe('30s');
    await s.delete(PodMetricses, { namespace: 'default', name: 'web' }, internalWrite());
    expect((await s.list(PodMetricses, { namespace: 'default' })).items).toEqual([]);
    expect(JSON.parse(JSON.stringify(internalWrite({ dryRun: true })))).toEqual({ dryRun: true });
  });

  it("is still cleared with its namespace (the API server's own cleanup)", async () => {
    const s = server();
    await s.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await s.create(PodMetricses, metrics('web', 'team'), internalWrite());
    await s.delete(Namespaces, { name: 'team' });
    expect((await s.list(PodMetricses, { namespace: 'team' })).items).toEqual([]);
    await expect(s.get(Namespaces, { name: 'team' })).rejects.toThrow('namespaces "team" not found');
  });
});
