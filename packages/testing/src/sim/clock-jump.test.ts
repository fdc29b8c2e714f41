/**
 * A forward clock jump past the node monitor grace period: every Lease looks stale at once, the
 * node lifecycle controller marks the nodes Ready=Unknown — and the kubelets, comparing with the
 * Node as the API server has it (upstream `tryUpdateNodeStatus`), post Ready=True again at their
 * next sync. The cluster must then settle instead of flapping pods' Ready condition forever.
 */
import { describe, expect, it } from 'vitest';
import { Nodes, Pods } from '@kubeloop/core';
import { SimCluster } from '../index.js';

describe('a forward clock jump', () => {
  it('makes nodes Unknown for one kubelet sync at most, then the cluster settles with every node Ready and untainted', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 3 });
    await cluster.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    });
    await cluster.settle();
    const before = cluster.trace().length;
    await cluster.clock.jump(50_001);
    await cluster.advance(15_000);
    const wentUnknown = cluster.trace().slice(before).some((e) => e.object.kind === 'Node' && (e.object as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'Unknown'));
    expect(wentUnknown).toBe(true);
    await cluster.settle({ maxMs: 120_000 });
    for (const node of (await cluster.list(Nodes)).items) {
      expect(node.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(node.spec.taints ?? []).toEqual([]);
    }
    const pods = (await cluster.list(Pods)).items;
    expect(pods.map((p) => p.status.conditions?.find((c) => c.type === 'Ready')?.status)).toEqual(['True', 'True']);
    await cluster.stop();
  });
});
