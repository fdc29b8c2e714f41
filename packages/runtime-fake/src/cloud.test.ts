/**
 * The fake cloud: node groups start with minSize booted machines, new ones join after the boot
 * delay, deleted ones leave (booting ones are cancelled), names are never reused, and bad
 * groups are refused up front.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@kubeloop/core';
import { FakeCloudProvider, NODE_GROUP_LABEL } from './cloud.js';
import { RuntimeFakeError } from './errors.js';

function cloud(groups: ConstructorParameters<typeof FakeCloudProvider>[0]['nodeGroups']) {
  const clock = new VirtualClock();
  const joined: string[] = [];
  const left: string[] = [];
  const provider = new FakeCloudProvider({ nodeGroups: groups, clock, join: (n) => Promise.resolve(joined.push(n.name)), leave: (name) => Promise.resolve(void left.push(name)) });
  return { clock, provider, joined, left };
}

describe('FakeCloudProvider', () => {
  it('starts each group with minSize booted machines, labelled with the group', () => {
    const { provider } = cloud([{ name: 'pool', minSize: 2, maxSize: 3, cpu: '2' }]);
    const nodes = provider.initialNodes();
    expect(nodes.map((n) => n.name)).toEqual(['pool-1', 'pool-2']);
    expect(nodes[0]).toMatchObject({ cpu: '2', labels: { [NODE_GROUP_LABEL]: 'pool' } });
    expect(provider.nodeGroups()[0]!.targetSize()).toBe(2);
  });

  it('boots a new machine after the group’s delay; deleting a booting one cancels it, a booted one leaves', async () => {
    const { clock, provider, joined, left } = cloud([{ name: 'pool', maxSize: 3, bootDelayMs: 30_000 }]);
    const group = provider.nodeGroups()[0]!;
    await group.increaseSize(2);
    expect(group.nodes()).toEqual(['pool-1', 'pool-2']);
    await clock.advance(29_999);
    expect(joined).toEqual([]);
    await group.deleteNodes(['pool-2']);
    await clock.advance(1);
    expect(joined).toEqual(['pool-1']);
    await group.deleteNodes(['pool-1']);
    expect(left).toEqual(['pool-1']);
    await group.increaseSize(1);
    expect(group.nodes()).toEqual(['pool-3']);
    await expect(group.deleteNodes(['pool-1'])).rejects.toThrow('node pool-1 does not belong to node group pool');
  });

  it('keeps the first failBoot machines asked for stuck at boot: counted in the target, never joining, until deleted', async () => {
    const { clock, provider, joined } = cloud([{ name: 'pool', minSize: 1, maxSize: 4, bootDelayMs: 10_000, failBoot: 1 }]);
    expect(provider.initialNodes().map((n) => n.name)).toEqual(['pool-1']);
    const group = provider.nodeGroups()[0]!;
    await group.increaseSize(2);
    expect(group.targetSize()).toBe(3);
    await clock.advance(60 * 60_000);
    expect(joined).toEqual(['pool-3']);
    expect(group.isBooted('pool-2')).toBe(false);
    await group.deleteNodes(['pool-2']);
    await group.increaseSize(1);
    await clock.advance(10_000);
    expect(joined).toEqual(['pool-3', 'pool-4']);
    expect(() => cloud([{ name: 'bad', maxSize: 1, failBoot: -1 }])).toThrow('failBoot must be a whole number ≥ 0, got -1');
  });

  it('finds a Node’s group by label and membership, and gives a template of the machine', () => {
    const { provider } = cloud([{ name: 'pool', minSize: 1, maxSize: 2, memory: '8Gi', taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] }]);
    provider.initialNodes();
    const template = provider.nodeGroups()[0]!.templateNode();
    expect(template.metadata.name).toBe('template-node-for-pool');
    expect(template.status.allocatable).toMatchObject({ memory: '8Gi' });
    expect(template.spec.taints).toEqual([{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }]);
    const member = { ...template, metadata: { ...template.metadata, name: 'pool-1' } };
    expect(provider.nodeGroupForNode(member)?.id).toBe('pool');
    expect(provider.nodeGroupForNode({ ...template, metadata: { ...template.metadata, name: 'pool-9' } })).toBeUndefined();
  });

  it.each([
    [[{ name: 'a', maxSize: 1 }, { name: 'a', maxSize: 2 }], 'duplicate node group name "a"'],
    [[{ name: 'a', minSize: 3, maxSize: 2 }], 'invalid node group "a": need whole numbers 0 ≤ minSize (3) ≤ maxSize (2)'],
    [[{ name: 'a', maxSize: 1, cpu: 'lots' }], 'cpu "lots" is not a non-negative quantity'],
  ])('refuses %j', (groups, message) => {
    expect(() => cloud(groups)).toThrow(RuntimeFakeError);
    expect(() => cloud(groups)).toThrow(message);
  });
});
