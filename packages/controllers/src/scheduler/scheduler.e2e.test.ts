/**
 * The scheduler end to end: the real ApiServer, a Manager with the scheduler plugin, a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, ContainerSchema, Events, Nodes, PluginHost, Pods, VirtualClock, createBuiltinRegistry, createManager, seededRng, type Node, type Pod } from '@kubeloop/core';
import { defaultProfile } from './defaults.js';
import { makeNode, makePod } from '../testing/index.js';
import { SUCCESS, unschedulable, type FilterPlugin } from './framework.js';
import { schedulerPlugin } from './plugin.js';
import type { SchedulerOptions } from './scheduler.js';

async function cluster(options: SchedulerOptions = {}, seed = 1) {
  const clock = new VirtualClock();
  const registry = createBuiltinRegistry();
  const server = new ApiServer({ clock, rng: seededRng(seed), registry });
  const host = new PluginHost({ registry, admission: server }).use(schedulerPlugin(options));
  const manager = createManager({ client: server, clock, rng: seededRng(seed + 100), registry: server.registry });
  host.attach(manager);
  await manager.start();
  // Status is a subresource: the kubelet writes allocatable after registering.
  const addNode = async (n: Node) => {
    const created = await server.create(Nodes, { ...n, status: {} });
    return server.updateStatus(Nodes, { ...created, status: n.status });
  };
  const addPod = (p: Pod) => server.create(Pods, { ...p, metadata: { name: p.metadata.name!, namespace: p.metadata.namespace!, ...(p.metadata.labels ? { labels: p.metadata.labels } : {}) } });
  const pod = (name: string) => server.get(Pods, { namespace: 'default', name });
  const events = async (name: string) => (await server.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name);
  return { clock, server, manager, addNode, addPod, pod, events };
}

describe('the scheduler on a manager', () => {
  it('binds pending pods to nodes and records Scheduled events', async () => {
    const c = await cluster();
    await c.addNode(makeNode('node-1'));
    await c.addPod(makePod('web-0', { cpu: '100m' }));
    await c.clock.advance(100);
    expect((await c.pod('web-0')).spec.nodeName).toBe('node-1');
    const ev = await c.events('web-0');
    expect(ev.map((e) => [e.type, e.reason, e.message])).toEqual([['Normal', 'Scheduled', 'Successfully assigned default/web-0 to node-1']]);
    await c.manager.stop();
  });

  it('counts pods it just assumed: two pods that each fill a node go to different nodes', async () => {
    const c = await cluster();
    await c.addNode(makeNode('a', { cpu: '1' }));
    await c.addNode(makeNode('b', { cpu: '1' }));
    await c.addPod(makePod('p1', { cpu: '1' }));
    await c.addPod(makePod('p2', { cpu: '1' }));
    await c.clock.advance(100);
    const nodes = [(await c.pod('p1')).spec.nodeName, (await c.pod('p2')).spec.nodeName].sort();
    expect(nodes).toEqual(['a', 'b']);
    await c.manager.stop();
  });

  it("follows a bound pod's later changes: its status writes leave its node's usage as it was, a label added after binding repels anti-affine pods", async () => {
    const c = await cluster();
    await c.addNode(makeNode('a', { cpu: '1', labels: { 'kubernetes.io/hostname': 'a' } }));
    await c.addNode(makeNode('b', { cpu: '1', labels: { 'kubernetes.io/hostname': 'b' } }));
    await c.addPod(makePod('first', { cpu: '100m' }));
    await c.clock.advance(100);
    let first = await c.pod('first');
    const taken = first.spec.nodeName!;
    const other = taken === 'a' ? 'b' : 'a';
    // The kubelet's status writes, twice: the pod still holds its 100m, once.
    for (const phase of ['Pending', 'Running'] as const) {
      first = await c.server.updateStatus(Pods, { ...first, status: { ...first.status, phase } });
      await c.clock.advance(100);
    }
    // The other node is made the busier one (800m bound there by hand): scoring now prefers `first`'s node.
    const filler = makePod('filler', { cpu: '800m' });
    await c.addPod({ ...filler, spec: { ...filler.spec, nodeName: other } });
    // A label added after binding: a pod that must not share a node with `role=db` goes to the busier node.
    await c.server.update(Pods, { ...first, metadata: { ...first.metadata, labels: { role: 'db' } } });
    await c.clock.advance(100);
    const shy = makePod('shy', { cpu: '100m' });
    const antiAffinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { role: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    await c.addPod({ ...shy, spec: { ...shy.spec, affinity: antiAffinity } });
    await c.clock.advance(100);
    expect((await c.pod('shy')).spec.nodeName).toBe(other);
    // 900m are left beside `first` (its 100m counted once): a 900m pod fits there.
    await c.addPod(makePod('large', { cpu: '900m' }));
    await c.clock.advance(100);
    expect((await c.pod('large')).spec.nodeName).toBe(taken);
    await c.manager.stop();
  });

  it('leaves a 600m app with a 500m sidecar unscheduled on a 1-CPU node: PodScheduled False, Unschedulable, Insufficient cpu', async () => {
    const c = await cluster();
    await c.addNode(makeNode('small', { cpu: '1' }));
    const p = makePod('meshed', { cpu: '600m' });
    await c.addPod({ ...p, spec: { ...p.spec, initContainers: [ContainerSchema.parse({ name: 'proxy', image: 'proxy:1', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } })] } });
    await c.clock.advance(100);
    const message = '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
    const pod = await c.pod('meshed');
    expect(pod.spec.nodeName).toBeUndefined();
    expect(pod.status.conditions?.find((x) => x.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    expect((await c.events('meshed')).map((e) => [e.type, e.reason, e.message])).toEqual([['Warning', 'FailedScheduling', message]]);
    await c.manager.stop();
  });

  it('marks an unschedulable pod with PodScheduled=False and a FailedScheduling event, then schedules it when a node fits', async () => {
    const c = await cluster();
    await c.addNode(makeNode('small-1', { cpu: '1', labels: { pool: 'a' } }));
    await c.addNode(makeNode('small-2', { cpu: '1', labels: { pool: 'b' } }));
    await c.addNode(makeNode('other', { cpu: '8', labels: { pool: 'b' } }));
    await c.addPod(makePod('big', { cpu: '2', nodeSelector: { pool: 'a' } }));
    await c.clock.advance(100);
    const message =
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. " +
      'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.';
    const p = await c.pod('big');
    expect(p.spec.nodeName).toBeUndefined();
    expect(p.status.conditions?.find((x) => x.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    expect((await c.events('big')).map((e) => [e.type, e.reason, e.message])).toEqual([['Warning', 'FailedScheduling', message]]);
    // Nothing changes: no retry storm (the pod waits for a cluster event).
    await c.clock.advance(60_000);
    expect((await c.events('big'))[0]!.count ?? 1).toBe(1);
    await c.addNode(makeNode('big-1', { cpu: '4', labels: { pool: 'a' } }));
    await c.clock.advance(100);
    expect((await c.pod('big')).spec.nodeName).toBe('big-1');
    await c.manager.stop();
  });

  it('retries when a pod holding the resources is deleted', async () => {
    const c = await cluster();
    await c.addNode(makeNode('a', { cpu: '1' }));
    await c.addPod(makePod('first', { cpu: '1' }));
    await c.clock.advance(100);
    await c.addPod(makePod('second', { cpu: '1' }));
    await c.clock.advance(100);
    expect((await c.pod('second')).spec.nodeName).toBeUndefined();
    await c.server.delete(Pods, { namespace: 'default', name: 'first' }, { gracePeriodSeconds: 0 });
    await c.clock.advance(2_000);
    expect((await c.pod('second')).spec.nodeName).toBe('a');
    await c.manager.stop();
  });

  it('leaves pods of other schedulers alone and runs user plugins in custom profiles', async () => {
    const noSpot: FilterPlugin = {
      name: 'NoSpot',
      filter: (_s, _pod, node) => (node.node.metadata.labels?.['spot'] === 'true' ? unschedulable('node(s) were spot') : SUCCESS),
    };
    const base = defaultProfile('careful');
    const c = await cluster({ plugins: [noSpot], profiles: [defaultProfile(), { ...base, plugins: [...base.plugins, { name: 'NoSpot' }] }] });
    await c.addNode(makeNode('spot', { labels: { spot: 'true' } }));
    await c.addPod(makePod('mine', { schedulerName: 'careful' }));
    await c.addPod(makePod('theirs', { schedulerName: 'someone-else' }));
    await c.clock.advance(100);
    expect((await c.pod('mine')).status.conditions?.[0]?.message).toBe(
      '0/1 nodes are available: 1 node(s) were spot. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    expect((await c.pod('theirs')).status.conditions).toBeUndefined();
    await c.manager.stop();
  });

  it('holds gated pods until their schedulingGates are removed', async () => {
    const c = await cluster();
    await c.addNode(makeNode('a'));
    const gated = makePod('gated');
    await c.server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gated', namespace: 'default' }, spec: { ...gated.spec, schedulingGates: [{ name: 'example.com/wait' }] } });
    await c.clock.advance(1_000);
    const held = await c.pod('gated');
    expect(held.spec.nodeName).toBeUndefined();
    // Upstream's pod strategy marks a pod created with gates: kubectl shows it as SchedulingGated.
    expect(held.status.conditions).toEqual([{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }]);
    await c.server.update(Pods, { ...held, spec: { ...held.spec, schedulingGates: [] } });
    await c.clock.advance(100);
    expect((await c.pod('gated')).spec.nodeName).toBe('a');
    await c.manager.stop();
  });

  it('schedules higher-priority pods first when they compete for the last slot', async () => {
    const c = await cluster();
    // Create the pods before the only node exists: both wait, then compete when it appears.
    await c.addPod(makePod('low', { cpu: '1', priority: 1 }));
    await c.addPod(makePod('high', { cpu: '1', priority: 1000 }));
    await c.clock.advance(100);
    expect((await c.pod('low')).status.conditions?.[0]?.message).toBe('no nodes available to schedule pods');
    await c.addNode(makeNode('a', { cpu: '1' }));
    await c.clock.advance(5_000);
    expect((await c.pod('high')).spec.nodeName).toBe('a');
    expect((await c.pod('low')).spec.nodeName).toBeUndefined();
    await c.manager.stop();
  });

  it('stops using a cordoned node and uses it again when uncordoned', async () => {
    const c = await cluster();
    const node = await c.addNode(makeNode('a'));
    const cordoned = await c.server.update(Nodes, { ...node, spec: { ...node.spec, unschedulable: true } });
    await c.addPod(makePod('p'));
    await c.clock.advance(100);
    expect((await c.pod('p')).status.conditions?.[0]?.message).toBe(
      '0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    await c.server.update(Nodes, { ...cordoned, spec: { ...cordoned.spec, unschedulable: false } });
    await c.clock.advance(2_000);
    expect((await c.pod('p')).spec.nodeName).toBe('a');
    await c.manager.stop();
  });

  it('does not retry unschedulable pods on node heartbeats, only on scheduling-relevant node changes', async () => {
    const c = await cluster();
    const node = await c.addNode(makeNode('a', { cpu: '1' }));
    await c.addPod(makePod('big', { cpu: '2' }));
    await c.clock.advance(100);
    const failures = async () => (await c.events('big')).find((e) => e.reason === 'FailedScheduling')?.count ?? 1;
    expect(await failures()).toBe(1);
    const beat = await c.server.updateStatus(Nodes, { ...node, status: { ...node.status, conditions: [{ type: 'Ready', status: 'True' }] } });
    await c.clock.advance(5_000);
    expect(await failures()).toBe(1);
    await c.server.updateStatus(Nodes, { ...beat, status: { ...beat.status, allocatable: { ...beat.status.allocatable, cpu: '4' } } });
    await c.clock.advance(5_000);
    expect((await c.pod('big')).spec.nodeName).toBe('a');
    await c.manager.stop();
  });
});
