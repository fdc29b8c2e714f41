/**
 * MetalLB and the fake cloud's service controller end to end on a SimCluster: LoadBalancer
 * Services get distinct addresses from a pool (MetalLB's IPAddressPool or its legacy ConfigMap),
 * an exhausted pool leaves one `<pending>` with `AllocationFailed`, and addresses come back on
 * delete and on type change (MetalLB's `convergeBalancer`; cloud-provider's `syncService`).
 */
import { describe, expect, it } from 'vitest';
import { Events, Services } from '@kubeloop/core';
import type { Service } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } };
const pool = (addresses: string[]) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'first-pool', namespace: 'metallb-system' }, spec: { addresses } });
const lb = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', ...extra },
  spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80 }] },
});

async function ips(c: SimCluster): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of (await c.list(Services, { namespace: 'default' })).items as Service[]) {
    if (s.spec.type === 'LoadBalancer' || (s.status.loadBalancer?.ingress ?? []).length > 0) out[s.metadata.name ?? ''] = s.status.loadBalancer?.ingress?.[0]?.ip ?? '<pending>';
  }
  return out;
}

async function reasons(c: SimCluster, name: string): Promise<string[]> {
  return (await c.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name).map((e) => `${e.reason}: ${e.message}`);
}

describe('MetalLB on a SimCluster', () => {
  it('gives each LoadBalancer a distinct address, leaves the one too many pending, and hands a freed address on', async () => {
    const c = await SimCluster.create({ seed: 12, nodes: 1 });
    try {
      await c.apply([namespace, pool(['192.168.1.240-192.168.1.241'])]);
      await c.apply([lb('a'), lb('b')]);
      await c.settle();
      await c.apply(lb('c'));
      await c.settle();
      expect(await ips(c)).toEqual({ a: '192.168.1.240', b: '192.168.1.241', c: '<pending>' });
      expect(await reasons(c, 'a')).toEqual(['IPAllocated: Assigned IP ["192.168.1.240"]']);
      expect(await reasons(c, 'c')).toEqual(['AllocationFailed: Failed to allocate IP for "default/c": no available IPs']);
      await c.delete(Services, { namespace: 'default', name: 'a' });
      await c.settle();
      expect(await ips(c)).toEqual({ b: '192.168.1.241', c: '192.168.1.240' });
      // a type change gives the address back too
      await c.apply({ ...lb('b'), spec: { ...lb('b').spec, type: 'ClusterIP' } });
      await c.apply(lb('d'));
      await c.settle();
      expect(await ips(c)).toEqual({ c: '192.168.1.240', d: '192.168.1.241' });
    } finally {
      await c.stop();
    }
  });

  it('reads the pools of the legacy config ConfigMap', async () => {
    const c = await SimCluster.create({ seed: 12, nodes: 1 });
    try {
      await c.apply([
        namespace,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config', namespace: 'metallb-system' }, data: { config: 'address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 192.168.1.240-192.168.1.250\n' } },
      ]);
      await c.apply([lb('a'), lb('b', { annotations: { 'metallb.universe.tf/allow-shared-ip': 'k' } })]);
      await c.settle();
      expect(await ips(c)).toEqual({ a: '192.168.1.240', b: '192.168.1.241' });
    } finally {
      await c.stop();
    }
  });

  it('leaves Services of another loadBalancerClass alone', async () => {
    const c = await SimCluster.create({ seed: 12, nodes: 1 });
    try {
      await c.apply([namespace, pool(['192.168.1.240/30'])]);
      await c.apply({ ...lb('a'), spec: { ...lb('a').spec, loadBalancerClass: 'example.com/other' } });
      await c.settle();
      expect(await ips(c)).toEqual({ a: '<pending>' });
    } finally {
      await c.stop();
    }
  });
});

describe('the fake cloud provider (SimCluster cloudProvider)', () => {
  it('gives LoadBalancers addresses like a cloud, with the cloud controller events, and deletes the load balancer on a type change', async () => {
    const c = await SimCluster.create({ seed: 12, nodes: 1, cloudProvider: true });
    try {
      await c.apply([lb('a'), lb('b')]);
      await c.settle();
      expect(await ips(c)).toEqual({ a: '203.0.113.1', b: '203.0.113.2' });
      expect((await reasons(c, 'a')).sort()).toEqual(['EnsuredLoadBalancer: Ensured load balancer', 'EnsuringLoadBalancer: Ensuring load balancer']);
      await c.apply({ ...lb('a'), spec: { ...lb('a').spec, type: 'NodePort' } });
      await c.settle();
      expect(await ips(c)).toEqual({ b: '203.0.113.2' });
      expect((await reasons(c, 'a')).filter((r) => r.startsWith('Delet')).sort()).toEqual(['DeletedLoadBalancer: Deleted load balancer', 'DeletingLoadBalancer: Deleting load balancer']);
    } finally {
      await c.stop();
    }
  });
});
