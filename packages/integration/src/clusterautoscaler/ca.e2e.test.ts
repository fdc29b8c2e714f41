/**
 * The Cluster Autoscaler end to end on a SimCluster with a fake cloud: pods the scheduler
 * marks unschedulable for lack of resources get a node of a group (after its boot delay), with
 * upstream's `TriggeredScaleUp` / `NotTriggerScaleUp` events; an unneeded node is tainted,
 * drained by eviction and deleted after the unneeded time; pods that cannot move keep it.
 */
import { describe, expect, it } from 'vitest';
import { ConfigMaps, Deployments, Events, Nodes, Pods } from '@kubeloop/core';
import type { Event } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

function deployment(name: string, replicas: number, cpu: string, extra: { annotations?: Record<string, string>; volumes?: boolean } = {}): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(extra.annotations === undefined ? {} : { annotations: extra.annotations }) },
        spec: {
          containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu, memory: '256Mi' } } }],
          ...(extra.volumes === true ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}),
        },
      },
    },
  };
}

async function events(cluster: SimCluster, reason: string): Promise<Event[]> {
  return (await cluster.list(Events)).items.filter((e) => e.reason === reason);
}

const nodeNames = async (cluster: SimCluster) => (await cluster.list(Nodes)).items.map((n) => n.metadata.name).sort();

describe('Cluster Autoscaler', () => {
  it('adds a node of a group for pods that fit nowhere, with TriggeredScaleUp on the pods, and they run there', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: [{ name: 'node-1', cpu: '2' }], nodeGroups: [{ name: 'pool', maxSize: 3, cpu: '2', memory: '8Gi', bootDelayMs: 30_000 }] });
    await cluster.apply(deployment('web', 3, '800m'));
    await cluster.advance(15_000);
    const pending = (await cluster.list(Pods)).items.filter((p) => p.spec.nodeName === undefined);
    expect(pending).toHaveLength(1);
    const triggered = await events(cluster, 'TriggeredScaleUp');
    expect(triggered.map((e) => e.message)).toEqual(['pod triggered scale-up: [{pool 0->1 (max: 3)}]']);
    expect(triggered[0]!.involvedObject.name).toBe(pending[0]!.metadata.name);
    expect(await nodeNames(cluster)).toEqual(['node-1']);
    await cluster.advance(60_000);
    expect(await nodeNames(cluster)).toEqual(['node-1', 'pool-1']);
    await cluster.settle();
    const pods = (await cluster.list(Pods)).items;
    expect(pods.filter((p) => p.status.phase === 'Running')).toHaveLength(3);
    expect(pods.filter((p) => p.spec.nodeName === 'pool-1')).toHaveLength(1);
    const status = await cluster.get(ConfigMaps, { namespace: 'kube-system', name: 'cluster-autoscaler-status' });
    expect(status.data?.['status']).toContain('cloudProviderTarget: 1');
    await cluster.stop();
  });

  it('records NotTriggerScaleUp with each reason counted when no group can help', async () => {
    const cluster = await SimCluster.create({
      seed: 2,
      nodes: [{ name: 'node-1', cpu: '1' }],
      nodeGroups: [
        { name: 'small', maxSize: 3, cpu: '1', memory: '4Gi' },
        { name: 'full', minSize: 1, maxSize: 1, cpu: '8', memory: '32Gi' },
      ],
    });
    await cluster.apply(deployment('big', 1, '12'));
    await cluster.advance(30_000);
    const msgs = (await events(cluster, 'NotTriggerScaleUp')).map((e) => e.message);
    expect(msgs).toEqual(["pod didn't trigger scale-up: 1 Insufficient cpu, 1 max node group size reached"]);
    await cluster.stop();
  });

  it('removes a node unneeded for 10 minutes: taints it, evicts its pods to other nodes, deletes it from the cloud', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: [{ name: 'node-1', cpu: '4' }], nodeGroups: [{ name: 'pool', minSize: 0, maxSize: 3, cpu: '4', bootDelayMs: 20_000 }] });
    await cluster.apply(deployment('web', 5, '1'));
    await cluster.advance(120_000);
    expect(await nodeNames(cluster)).toEqual(['node-1', 'pool-1']);
    // the load goes: two pods are enough, pool-1 falls below 50 %
    await cluster.server.patch(Deployments, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { replicas: 2 } } });
    await cluster.advance(60_000);
    expect(await nodeNames(cluster)).toEqual(['node-1', 'pool-1']);
    await cluster.advance(20 * 60_000);
    expect(await nodeNames(cluster)).toEqual(['node-1']);
    expect(cluster.cloud?.nodeGroups()[0]!.targetSize()).toBe(0);
    const pods = (await cluster.list(Pods)).items;
    expect(pods.filter((p) => p.status.phase === 'Running' && p.spec.nodeName === 'node-1')).toHaveLength(2);
    await cluster.stop();
  });

  it('keeps a node whose pod is annotated safe-to-evict "false", or has local storage (and removes it without them)', async () => {
    const cases: [{ annotations?: Record<string, string>; volumes?: boolean }, string[]][] = [
      [{ annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } }, ['node-1', 'pool-1']],
      [{ volumes: true }, ['node-1', 'pool-1']],
      [{ volumes: true, annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' } }, ['node-1']],
      [{}, ['node-1']],
    ];
    for (const [extra, after] of cases) {
      const cluster = await SimCluster.create({ seed: 4, nodes: [{ name: 'node-1', cpu: '4' }], nodeGroups: [{ name: 'pool', maxSize: 3, cpu: '4', bootDelayMs: 20_000 }] });
      await cluster.apply(deployment('fill', 1, '3500m'));
      await cluster.advance(5_000);
      await cluster.apply(deployment('keep', 1, '1', extra));
      await cluster.advance(120_000);
      expect(await nodeNames(cluster)).toEqual(['node-1', 'pool-1']);
      // node-1 has room again: keep could move there
      await cluster.delete(Deployments, { namespace: 'default', name: 'fill' });
      await cluster.advance(30 * 60_000);
      expect(await nodeNames(cluster)).toEqual(after);
      await cluster.stop();
    }
  });

  it('never grows the cluster past --max-nodes-total: the scale-up is capped, then pods get NotTriggerScaleUp and the status says so', async () => {
    const cluster = await SimCluster.create({
      seed: 5,
      nodes: [{ name: 'node-1', cpu: '2' }],
      nodeGroups: [{ name: 'pool', maxSize: 5, cpu: '2', memory: '8Gi', bootDelayMs: 20_000 }],
      clusterAutoscaler: { maxNodesTotal: 3 },
    });
    // five 1500m pods: one fits node-1, four need a node each, two are allowed
    await cluster.apply(deployment('web', 5, '1500m'));
    await cluster.advance(15_000);
    expect((await events(cluster, 'TriggeredScaleUp')).map((e) => e.message)[0]).toBe('pod triggered scale-up: [{pool 0->2 (max: 5)}]');
    await cluster.advance(120_000);
    expect(await nodeNames(cluster)).toEqual(['node-1', 'pool-1', 'pool-2']);
    const pending = (await cluster.list(Pods)).items.filter((p) => p.spec.nodeName === undefined);
    expect(pending).toHaveLength(2);
    const not = await events(cluster, 'NotTriggerScaleUp');
    expect(new Set(not.map((e) => e.involvedObject.name))).toEqual(new Set(pending.map((p) => p.metadata.name)));
    expect(new Set(not.map((e) => e.message))).toEqual(new Set(["pod didn't trigger scale-up: max total nodes in cluster reached"]));
    expect((await events(cluster, 'MaxNodesTotalReached')).map((e) => [e.type, e.message])).toEqual([['Warning', 'Max total nodes in cluster reached: 3']]);
    const status = await cluster.get(ConfigMaps, { namespace: 'kube-system', name: 'cluster-autoscaler-status' });
    expect(status.data?.['status']).toContain('message: Max total nodes in cluster reached: 3');
    await cluster.advance(10 * 60_000);
    expect(await nodeNames(cluster)).toEqual(['node-1', 'pool-1', 'pool-2']);
    await cluster.stop();
  });

  it('deletes a machine that never registers within --max-node-provision-time and backs its group off, so another group is grown', async () => {
    const cluster = await SimCluster.create({
      seed: 6,
      nodes: [{ name: 'node-1', cpu: '1' }],
      nodeGroups: [
        { name: 'pool', maxSize: 3, cpu: '2', memory: '4Gi', bootDelayMs: 20_000, failBoot: 1 },
        { name: 'spare', maxSize: 3, cpu: '8', memory: '32Gi', bootDelayMs: 20_000 },
      ],
    });
    await cluster.apply(deployment('web', 1, '1500m'));
    await cluster.advance(15_000);
    // least-waste picks the 2-cpu pool; its machine is stuck at boot
    expect((await events(cluster, 'TriggeredScaleUp')).map((e) => e.message)).toEqual(['pod triggered scale-up: [{pool 0->1 (max: 3)}]']);
    await cluster.advance(14 * 60_000);
    expect(cluster.cloud?.nodeGroups()[0]!.nodes()).toEqual(['pool-1']);
    expect(await nodeNames(cluster)).toEqual(['node-1']);
    await cluster.advance(2 * 60_000);
    // timed out: the machine is deleted, the group backed off, and spare grows instead
    expect((await events(cluster, 'ScaleUpTimedOut')).map((e) => e.message)).toEqual([expect.stringMatching(/^Nodes added to group pool failed to register within 15m\d+s$/)]);
    expect((await events(cluster, 'DeleteUnregistered')).map((e) => e.message)).toEqual(['Removed unregistered node pool-1']);
    expect(cluster.cloud?.nodeGroups()[0]!.targetSize()).toBe(0);
    const status = (await cluster.get(ConfigMaps, { namespace: 'kube-system', name: 'cluster-autoscaler-status' })).data?.['status'] ?? '';
    expect(status).toMatch(/- name: pool\n(?:.*\n)*? {2}scaleUp:\n {4}status: Backoff\n {4}backoffInfo:\n {6}errorCode: timeout\n {6}errorMessage: Scale-up timed out for node group pool after 15m\d+s/);
    expect((await events(cluster, 'TriggeredScaleUp')).map((e) => e.message)).toContain('pod triggered scale-up: [{spare 0->1 (max: 3)}]');
    await cluster.advance(60_000);
    expect(await nodeNames(cluster)).toEqual(['node-1', 'spare-1']);
    // the back-off runs out after 5 minutes
    await cluster.advance(5 * 60_000);
    const later = (await cluster.get(ConfigMaps, { namespace: 'kube-system', name: 'cluster-autoscaler-status' })).data?.['status'] ?? '';
    expect(later).not.toContain('Backoff');
    await cluster.stop();
  });

  it('removes an unready node once unneeded for --scale-down-unready-time (20 min), not the 10 min of a ready one', async () => {
    const cluster = await SimCluster.create({ seed: 7, nodes: [{ name: 'node-1', cpu: '4' }], nodeGroups: [{ name: 'pool', minSize: 0, maxSize: 3, cpu: '4', bootDelayMs: 20_000 }] });
    await cluster.apply(deployment('web', 5, '1'));
    await cluster.advance(120_000);
    expect(await nodeNames(cluster)).toEqual(['node-1', 'pool-1']);
    await cluster.server.patch(Deployments, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { replicas: 2 } } });
    await cluster.advance(30_000);
    // pool-1's kubelet stops: its Node turns NotReady (Unknown) after the grace period
    cluster.stopNode('pool-1');
    await cluster.advance(15 * 60_000);
    expect(await nodeNames(cluster)).toEqual(['node-1', 'pool-1']);
    await cluster.advance(10 * 60_000);
    expect(await nodeNames(cluster)).toEqual(['node-1']);
    await cluster.stop();
  });
});
