import { describe, expect, it } from 'vitest';
import { ApiServer, Leases, NODE_LEASE_NAMESPACE, Nodes, PluginHost, Pods, VirtualClock, createBuiltinRegistry, createManager, parseTime, seededRng } from '@kubeloop/core';
import { RuntimeFakeError } from './errors.js';
import { fakeNodesPlugin } from './plugin.js';

describe('fakeNodesPlugin', () => {
  it('runs one kubelet per node with a manager, and stops them with it', async () => {
    const clock = new VirtualClock();
    const registry = createBuiltinRegistry();
    const server = new ApiServer({ clock, rng: seededRng(1), registry });
    const nodes = fakeNodesPlugin({ nodes: [{ name: 'node-1', labels: { zone: 'a' } }, { name: 'node-2', cpu: '2' }] });
    nodes.behaviors.image('example.com/batch', { exitAfterMs: 5000 });
    const manager = createManager({ client: server, clock, rng: seededRng(2), registry });
    new PluginHost({ registry, admission: server }).use(nodes).attach(manager);
    await manager.start();
    await clock.flush();
    expect((await server.list(Nodes)).items.map((n) => [n.metadata.name, n.spec.podCIDR])).toEqual([
      ['node-1', '10.1.0.0/24'],
      ['node-2', '10.1.1.0/24'],
    ]);
    expect(nodes.kubelets().map((k) => k.running)).toEqual([true, true]);

    await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job', namespace: 'default' }, spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'example.com/batch:1' }] } });
    await server.bind({ namespace: 'default', name: 'job' }, { name: 'node-2' });
    await clock.advance(20_000);
    expect((await server.get(Pods, { namespace: 'default', name: 'job' })).status.phase).toBe('Succeeded');

    nodes.kubelet('node-2')?.stop();
    const renewed = (await server.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name: 'node-2' })).spec.renewTime ?? '';
    await clock.advance(30_000);
    expect((await server.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name: 'node-2' })).spec.renewTime).toBe(renewed);
    expect(parseTime((await server.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name: 'node-1' })).spec.renewTime ?? '')).toBe(clock.now());

    await manager.stop();
    expect(nodes.kubelets().map((k) => k.running)).toEqual([false, false]);
  });

  it('adds a node to the running ones, which stops with them; refuses one while none run', async () => {
    const clock = new VirtualClock();
    const registry = createBuiltinRegistry();
    const server = new ApiServer({ clock, rng: seededRng(1), registry });
    const nodes = fakeNodesPlugin({ nodes: [{ name: 'node-1' }] });
    const manager = createManager({ client: server, clock, rng: seededRng(2), registry });
    new PluginHost({ registry, admission: server }).use(nodes).attach(manager);
    await expect(nodes.addNode({ name: 'early' })).rejects.toThrow(new RuntimeFakeError('invalid-node', 'cannot add node "early": the fake nodes are not running'));
    await manager.start();
    await clock.flush();

    const added = await nodes.addNode({ name: 'node-2', cpu: '2' });
    expect(added.running).toBe(true);
    expect(nodes.kubelet('node-2')).toBe(added);
    const node = await server.get(Nodes, { name: 'node-2' });
    expect([node.spec.podCIDR, node.status.capacity?.['cpu']]).toEqual(['10.1.1.0/24', '2']);
    expect((await server.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name: 'node-2' })).spec.holderIdentity).toBe('node-2');
    await expect(nodes.addNode({ name: 'node-2' })).rejects.toThrow(new RuntimeFakeError('invalid-node', 'duplicate fake node name "node-2"'));

    await manager.stop();
    expect(nodes.kubelets().map((k) => [k.nodeName, k.running])).toEqual([
      ['node-1', false],
      ['node-2', false],
    ]);
    await expect(nodes.addNode({ name: 'late' })).rejects.toThrow(new RuntimeFakeError('invalid-node', 'cannot add node "late": the fake nodes are not running'));
  });

  it('refuses duplicate node names', () => {
    expect(() => fakeNodesPlugin({ nodes: [{ name: 'a' }, { name: 'a' }] })).toThrow(new RuntimeFakeError('invalid-node', 'duplicate fake node name "a"'));
  });

  it('refuses a node whose Node the API server would refuse, before any kubelet starts, naming the field', () => {
    const refusal = (config: Parameters<typeof fakeNodesPlugin>[0]['nodes'][number]): unknown => {
      try {
        fakeNodesPlugin({ nodes: [{ name: 'fine' }, config] });
        return undefined;
      } catch (e) {
        return e;
      }
    };
    const label = refusal({ name: 'b', labels: { zone: 'not valid!' } });
    expect(label).toBeInstanceOf(RuntimeFakeError);
    expect((label as RuntimeFakeError).code).toBe('invalid-node');
    expect((label as Error).message).toMatch(/^invalid node "b": Node "b" is invalid: metadata\.labels: Invalid value: "not valid!"/);
    expect((refusal({ name: 'c', taints: [{ key: 'k', effect: 'Sometimes' as never }] }) as Error).message).toMatch(/^invalid node "c": Node "c" is invalid: spec\.taints\[0\]\.effect/);
    expect((refusal({ name: 'd', allocatable: { cpu: 'x' } }) as Error).message).toBe('invalid node "d": cpu "x" is not a non-negative quantity');
    expect(refusal({ name: 'e', cpu: '2', labels: { zone: 'a' }, taints: [{ key: 'k', effect: 'NoSchedule' }] })).toBeUndefined();
  });
});
