/**
 * SimCluster end to end: the scheduler and fake kubelets on the virtual clock, through the
 * public API of the package only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Leases, ManifestError, NODE_LEASE_NAMESPACE, Pods, parseTime } from '@kubeloop/core';
import { SimCluster, SimClusterError } from '../index.js';

const threePods = ['web-0', 'web-1', 'web-2']
  .map(
    (name) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: { app: web }
spec:
  containers:
  - name: web
    image: nginx:1.25
    resources: { requests: { cpu: 500m, memory: 256Mi } }
`,
  )
  .join('---\n');

const hugePod = `apiVersion: v1
kind: Pod
metadata: { name: huge }
spec:
  containers:
  - name: huge
    image: nginx:1.25
    resources: { requests: { cpu: "64" } }
`;

describe('SimCluster', () => {
  it('runs three pods applied from YAML to Running and Ready on nodes', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 3 });
    const results = await cluster.apply(threePods, 'web.yaml');
    expect(results.map((r) => r.action)).toEqual(['created', 'created', 'created']);
    await cluster.settle();
    const pods = (await cluster.list(Pods, { namespace: 'default' })).items;
    expect(pods.map((p) => [p.metadata.name, p.status.phase, p.status.conditions?.find((c) => c.type === 'Ready')?.status])).toEqual([
      ['web-0', 'Running', 'True'],
      ['web-1', 'Running', 'True'],
      ['web-2', 'Running', 'True'],
    ]);
    for (const p of pods) expect(['node-1', 'node-2', 'node-3']).toContain(p.spec.nodeName);
    await cluster.stop();
  });

  it('reapplying the same manifest changes nothing', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 1 });
    await cluster.apply(threePods, 'web.yaml');
    await cluster.settle();
    expect((await cluster.apply(threePods, 'web.yaml')).map((r) => r.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    await cluster.stop();
  });

  it('leaves a pod that fits no node Pending with the scheduler message, and settles because nothing changes', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: [{ name: 'small', cpu: '2' }, { name: 'big', cpu: '8', labels: { pool: 'big' } }] });
    await cluster.apply(hugePod, 'huge.yaml');
    await cluster.settle({ maxMs: 120_000 });
    const pod = await cluster.get(Pods, { namespace: 'default', name: 'huge' });
    expect(pod.status.phase).toBe('Pending');
    expect(pod.spec.nodeName).toBeUndefined();
    expect(pod.status.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: expect.stringMatching(/^0\/2 nodes are available: 2 Insufficient cpu\./) as unknown,
    });
    expect(cluster.now()).toBeLessThan(120_000);
    await cluster.stop();
  });

  it('fails to settle with a message naming what is still busy', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 1 });
    cluster.behaviors.image('example.com/flaky', { exitAfterMs: 1_000, exitCode: 1 });
    await cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'flaky' }, spec: { containers: [{ name: 'c', image: 'example.com/flaky:1' }] } });
    const error = await cluster.settle({ maxMs: 15_000, quietMs: 5_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SimClusterError);
    expect((error as SimClusterError).code).toBe('not-quiet');
    expect((error as SimClusterError).message).toMatch(/^cluster not quiet after 15000 ms: \d+ changes in the last 5000 ms \((Event: \d+, )?Pod: \d+\); pods not Running\/Ready: /);
    await cluster.stop();
  });

  it('stops renewing the Lease of a stopped node, and renews it again once restored', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: 2 });
    await cluster.advance(15_000);
    const renewTime = async (name: string) => (await cluster.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name })).spec.renewTime ?? '';
    cluster.stopNode('node-2');
    const frozen = await renewTime('node-2');
    await cluster.advance(60_000);
    expect(await renewTime('node-2')).toBe(frozen);
    expect(parseTime(await renewTime('node-1'))).toBeGreaterThan(parseTime(frozen));
    await cluster.restoreNode('node-2');
    await cluster.advance(10_000);
    expect(parseTime(await renewTime('node-2'))).toBeGreaterThan(parseTime(frozen));
    expect(() => cluster.stopNode('node-9')).toThrow(new SimClusterError('unknown-node', 'no node "node-9" in this cluster (nodes: node-1, node-2)'));
    await cluster.stop();
  });

  it('gives the same trace, byte for byte, for the same seed and inputs, and other uids for another seed', async () => {
    const run = async (seed: number) => {
      const cluster = await SimCluster.create({ seed, nodes: 2 });
      await cluster.apply(threePods, 'web.yaml');
      await cluster.settle();
      await cluster.delete(Pods, { namespace: 'default', name: 'web-1' });
      await cluster.settle();
      await cluster.stop();
      return { json: cluster.traceJson(), uids: cluster.trace().map((e) => e.object.metadata.uid) };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a.json.split('\n').length).toBeGreaterThan(20);
    expect(a.json).toBe(b.json);
    expect(c.uids).not.toEqual(a.uids);
    for (const line of a.json.split('\n')) expect(Object.keys(JSON.parse(line) as object)).toEqual(['t', 'type', 'object']);
  });

  it('refuses a malformed manifest, naming the file, and applies nothing', async () => {
    const cluster = await SimCluster.create({ seed: 5, nodes: 1 });
    const path = fileURLToPath(new URL('../../../../examples/walkthroughs/pod-request-pod.yaml', import.meta.url));
    const text = `${threePods}---\n${readFileSync(path, 'utf8')}`;
    const error = await cluster.apply(text, 'pod-request-pod.yaml').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toBe('pod-request-pod.yaml (document 4, Pod "request-pod"): apiVersion not set (found unknown field "piVersion")');
    expect((await cluster.list(Pods)).items).toEqual([]);
    await cluster.stop();
  });
});
