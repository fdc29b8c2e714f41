/**
 * Node lifecycle end to end on a SimCluster: a node whose kubelet stops goes Ready=Unknown after
 * the grace period, is tainted unreachable, and its pods are evicted as their tolerations say
 * (upstream `pkg/controller/nodelifecycle` and `pkg/controller/tainteviction`).
 */
import { describe, expect, it } from 'vitest';
import { Nodes, Pods, parseTime } from '@kubeloop/core';
import type { Node, Pod, Toleration } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

/** A pod manifest bound for node-1 (a plain object: `SimCluster.apply` checks it as text). */
function pod(name: string, tolerations?: Toleration[]): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': 'node-1' },
      containers: [{ name: 'app', image: 'nginx:1.25' }],
      ...(tolerations === undefined ? {} : { tolerations }),
    },
  };
}

const unreachable = (tolerationSeconds?: number): Toleration => ({
  key: 'node.kubernetes.io/unreachable',
  operator: 'Exists',
  effect: 'NoExecute',
  ...(tolerationSeconds === undefined ? {} : { tolerationSeconds }),
});

async function podsByName(cluster: SimCluster): Promise<Map<string, Pod>> {
  return new Map((await cluster.list(Pods, { namespace: 'default' })).items.map((p) => [p.metadata.name ?? '', p]));
}

/** Whether the pod is gone or being deleted. */
async function evicted(cluster: SimCluster, name: string): Promise<boolean> {
  const p = (await podsByName(cluster)).get(name);
  return p === undefined || p.metadata.deletionTimestamp !== undefined;
}

const ready = (node: Node) => node.status.conditions?.find((c) => c.type === 'Ready');
const noExecuteAddedAt = (node: Node) => parseTime(node.spec.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded ?? '');

describe('node lifecycle on a SimCluster', () => {
  it('marks a silent node Unknown after the grace period, taints it unreachable and evicts pods as their tolerations say', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 2, nodeLifecycle: { admission: false } });
    await cluster.apply([pod('bare'), pod('thirty', [unreachable(30)]), pod('forever', [unreachable()])]);
    await cluster.settle();
    cluster.stopNode('node-1');

    await cluster.advance(30_000);
    expect(ready(await cluster.get(Nodes, { name: 'node-1' }))?.status).toBe('True');

    await cluster.advance(30_000);
    const node = await cluster.get(Nodes, { name: 'node-1' });
    expect(ready(node)).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(node.spec.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    expect(ready(await cluster.get(Nodes, { name: 'node-2' }))?.status).toBe('True');
    expect(await evicted(cluster, 'bare')).toBe(true);
    const thirty = (await podsByName(cluster)).get('thirty')!;
    expect(thirty.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(thirty.metadata.deletionTimestamp).toBeUndefined();

    const taintedAt = noExecuteAddedAt(node);
    await cluster.advance(taintedAt + 25_000 - cluster.clock.now());
    expect(await evicted(cluster, 'thirty')).toBe(false);
    await cluster.advance(10_000);
    const gone = (await podsByName(cluster)).get('thirty');
    expect(gone === undefined || gone.status.conditions?.some((c) => c.type === 'DisruptionTarget' && c.reason === 'DeletionByTaintManager')).toBe(true);
    expect(await evicted(cluster, 'thirty')).toBe(true);

    await cluster.advance(600_000);
    expect(await evicted(cluster, 'forever')).toBe(false);

    await cluster.restoreNode('node-1');
    await cluster.advance(10_000);
    const back = await cluster.get(Nodes, { name: 'node-1' });
    expect(ready(back)?.status).toBe('True');
    expect(back.spec.taints ?? []).toEqual([]);
    await cluster.stop();
  });

  it('evicts pods created normally 300 s after the unreachable taint, through the DefaultTolerationSeconds tolerations', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 2, nodeLifecycle: true });
    await cluster.apply(pod('web'));
    await cluster.settle();
    const created = await cluster.get(Pods, { namespace: 'default', name: 'web' });
    expect(created.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    cluster.stopNode('node-1');
    await cluster.advance(60_000);
    const taintedAt = noExecuteAddedAt(await cluster.get(Nodes, { name: 'node-1' }));
    expect(Number.isFinite(taintedAt)).toBe(true);
    await cluster.advance(taintedAt + 295_000 - cluster.clock.now());
    expect(await evicted(cluster, 'web')).toBe(false);
    await cluster.advance(10_000);
    expect(await evicted(cluster, 'web')).toBe(true);
    await cluster.stop();
  });

  it('evicts at once for a NoExecute taint put on by hand, follows a toleration shortened later, and ignores status writes meanwhile', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 2, nodeLifecycle: { admission: false } });
    const drain = (tolerationSeconds: number): Toleration => ({ key: 'example.com/drain', operator: 'Exists', effect: 'NoExecute', tolerationSeconds });
    await cluster.apply([pod('bare'), pod('patient', [drain(600)]), pod('untouched', [drain(600)])]);
    await cluster.settle();
    const node = await cluster.get(Nodes, { name: 'node-1' });
    await cluster.server.update(Nodes, { ...node, spec: { ...node.spec, taints: [{ key: 'example.com/drain', effect: 'NoExecute' }] } });
    const taintedAt = cluster.clock.now();
    await cluster.advance(1_000);
    expect(await evicted(cluster, 'bare')).toBe(true);
    expect(await evicted(cluster, 'patient')).toBe(false);

    // A status write (a condition the kubelet does not own) and a label: neither moves a deadline.
    const untouched = (await podsByName(cluster)).get('untouched')!;
    await cluster.server.updateStatus(Pods, { ...untouched, status: { ...untouched.status, conditions: [...(untouched.status.conditions ?? []), { type: 'example.com/Checked', status: 'True' }] } });
    const patient = (await podsByName(cluster)).get('patient')!;
    await cluster.server.update(Pods, { ...patient, metadata: { ...patient.metadata, labels: { seen: 'yes' } } });
    // Shortening the toleration (the one change upstream allows to an existing toleration) brings the eviction forward.
    const relabelled = (await podsByName(cluster)).get('patient')!;
    await cluster.server.update(Pods, { ...relabelled, spec: { ...relabelled.spec, tolerations: [drain(60)] } });
    await cluster.advance(taintedAt + 55_000 - cluster.clock.now());
    expect(await evicted(cluster, 'patient')).toBe(false);
    await cluster.advance(10_000);
    expect(await evicted(cluster, 'patient')).toBe(true);
    expect(await evicted(cluster, 'untouched')).toBe(false);
    await cluster.advance(taintedAt + 605_000 - cluster.clock.now());
    expect(await evicted(cluster, 'untouched')).toBe(true);
    await cluster.stop();
  });

  it('taints only one node of a zone per 10 s (node-eviction-rate 0.1), and none when every node is silent', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 4, nodeLifecycle: true });
    await cluster.settle();
    cluster.stopNode('node-1');
    cluster.stopNode('node-2');
    await cluster.advance(65_000);
    const nodes = (await cluster.list(Nodes)).items;
    const times = nodes.filter((n) => n.spec.taints?.some((t) => t.effect === 'NoExecute')).map(noExecuteAddedAt).sort((a, b) => a - b);
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(10_000);

    const all = await SimCluster.create({ seed: 4, nodes: 2, nodeLifecycle: true });
    await all.settle();
    all.stopNode('node-1');
    all.stopNode('node-2');
    await all.advance(120_000);
    for (const n of (await all.list(Nodes)).items) {
      expect(ready(n)?.status).toBe('Unknown');
      expect(n.spec.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    }
    await cluster.stop();
    await all.stop();
  });
});
