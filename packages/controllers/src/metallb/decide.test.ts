import { describe, expect, it } from 'vitest';
import type { ConfigMap, Service } from '@kubeloop/core';
import { formatIPv4, parseAddressEntry, parseIPv4 } from './addresses.js';
import { decideService, holderOf, metallbConfig } from './decide.js';
import type { Holder, Holdings, Pool } from './decide.js';
import type { IPAddressPool } from './kinds.js';
import { loadBalancerAddressesInPools, loadBalancerAddressesUnique } from './invariants.js';

function svc(name: string, extra: { annotations?: Record<string, string>; spec?: Partial<Service['spec']>; ip?: string } = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name }, ...extra.spec },
    status: extra.ip === undefined ? {} : { loadBalancer: { ingress: [{ ip: extra.ip }] } },
  } as Service;
}

function pool(name: string, addresses: string[], spec: Partial<IPAddressPool['spec']> = {}): IPAddressPool {
  return { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: 'metallb-system' }, spec: { addresses, autoAssign: true, avoidBuggyIPs: false, ...spec }, status: {} };
}

const pools = (...ps: IPAddressPool[]): readonly Pool[] => metallbConfig(ps, undefined).pools;
function holding(...entries: Array<[string, Service]>): Holdings {
  const m = new Map<number, Holder[]>();
  for (const [ip, s] of entries) m.set(parseIPv4(ip)!, [...(m.get(parseIPv4(ip)!) ?? []), holderOf(s)]);
  return m;
}

describe('MetalLB address entries', () => {
  it('reads CIDRs and inclusive ranges, and words errors as MetalLB', () => {
    const cidr = parseAddressEntry('192.168.1.240/28').range!;
    expect([formatIPv4(cidr.first), formatIPv4(cidr.last)]).toEqual(['192.168.1.240', '192.168.1.255']);
    const range = parseAddressEntry('10.0.0.1-10.0.0.3').range!;
    expect(range.last - range.first + 1).toBe(3);
    expect(parseAddressEntry('10.0.0.3-10.0.0.1').error).toBe('invalid IP range "10.0.0.3-10.0.0.1": start IP "10.0.0.3" is after the end IP "10.0.0.1"');
    expect(parseAddressEntry('10.0.0.300/24').error).toBe('invalid CIDR "10.0.0.300/24"');
    expect(parseAddressEntry('fc00::/120')).toEqual({});
  });

  it('reads the legacy config ConfigMap the seed describes', () => {
    const cm: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'config', namespace: 'metallb-system' },
      data: { config: 'address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 192.168.1.240-192.168.1.250\n' },
    } as ConfigMap;
    const config = metallbConfig([], cm);
    expect(config.pools.map((p) => [p.name, p.autoAssign, p.ranges[0]!.last - p.ranges[0]!.first + 1])).toEqual([['default', true, 11]]);
  });
});

describe('decideService (MetalLB convergeBalancer)', () => {
  const p = pools(pool('first', ['192.168.1.240-192.168.1.241']));

  it('gives the lowest free address and records IPAllocated', () => {
    expect(decideService(svc('a'), p, new Map())).toEqual({ kind: 'assign', ip: '192.168.1.240', pool: 'first', events: [{ type: 'Normal', reason: 'IPAllocated', message: 'Assigned IP ["192.168.1.240"]' }] });
    expect(decideService(svc('b'), p, holding(['192.168.1.240', svc('a')]))).toMatchObject({ kind: 'assign', ip: '192.168.1.241' });
  });

  it('leaves a Service pending with AllocationFailed when the pool is exhausted', () => {
    const d = decideService(svc('c'), p, holding(['192.168.1.240', svc('a')], ['192.168.1.241', svc('b')]));
    expect(d).toEqual({ kind: 'clear', events: [{ type: 'Warning', reason: 'AllocationFailed', message: 'Failed to allocate IP for "default/c": no available IPs' }] });
  });

  it('keeps the address a Service holds, without a new event', () => {
    expect(decideService(svc('b', { ip: '192.168.1.241' }), p, holding(['192.168.1.240', svc('a')]))).toEqual({ kind: 'assign', ip: '192.168.1.241', pool: 'first', events: [] });
  });

  it('shares an address only with the same allow-shared-ip key and other ports', () => {
    const shared = { 'metallb.universe.tf/allow-shared-ip': 'k' };
    const a = svc('a', { annotations: shared });
    const dns = svc('dns', { annotations: shared, spec: { ports: [{ port: 53, protocol: 'UDP' }] } });
    expect(decideService(dns, pools(pool('one', ['192.168.1.240/32'])), holding(['192.168.1.240', a]))).toMatchObject({ kind: 'assign', ip: '192.168.1.240' });
    const samePort = svc('web2', { annotations: shared });
    expect(decideService(samePort, pools(pool('one', ['192.168.1.240/32'])), holding(['192.168.1.240', a]))).toMatchObject({ kind: 'clear' });
    const other = svc('x', { annotations: { 'metallb.universe.tf/allow-shared-ip': 'other' }, spec: { ports: [{ port: 53, protocol: 'UDP' }] } });
    expect(decideService(other, pools(pool('one', ['192.168.1.240/32'])), holding(['192.168.1.240', a]))).toMatchObject({ kind: 'clear' });
  });

  it('honours spec.loadBalancerIP, or refuses it with an event', () => {
    expect(decideService(svc('a', { spec: { loadBalancerIP: '192.168.1.241' } }), p, new Map())).toMatchObject({ kind: 'assign', ip: '192.168.1.241' });
    expect(decideService(svc('a', { spec: { loadBalancerIP: '10.1.1.1' } }), p, new Map())).toEqual({
      kind: 'clear',
      events: [{ type: 'Warning', reason: 'AllocationFailed', message: 'Failed to allocate IP for "default/a": ["10.1.1.1"] is not allowed in config' }],
    });
    const taken = decideService(svc('b', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '192.168.1.240' } }), p, holding(['192.168.1.240', svc('a')]));
    expect(taken).toMatchObject({ kind: 'clear', events: [{ reason: 'AllocationFailed', message: expect.stringContaining('address also in use by default/a') as string }] });
  });

  it('allocates from the requested pool, and only there; autoAssign false pools only on request', () => {
    const two = pools(pool('manual', ['10.0.0.1/32'], { autoAssign: false }), pool('auto', ['192.168.1.240/32']));
    expect(decideService(svc('a'), two, new Map())).toMatchObject({ ip: '192.168.1.240', pool: 'auto' });
    expect(decideService(svc('a', { annotations: { 'metallb.universe.tf/address-pool': 'manual' } }), two, new Map())).toMatchObject({ ip: '10.0.0.1', pool: 'manual' });
    expect(decideService(svc('a', { annotations: { 'metallb.universe.tf/address-pool': 'nope' } }), two, new Map())).toMatchObject({ kind: 'clear', events: [{ message: 'Failed to allocate IP for "default/a": unknown pool "nope"' }] });
  });

  it('skips .0 and .255 with avoidBuggyIPs', () => {
    expect(decideService(svc('a'), pools(pool('p', ['192.168.0.255-192.168.1.1'], { avoidBuggyIPs: true })), new Map())).toMatchObject({ ip: '192.168.1.1' });
  });

  it('serves only Services without loadBalancerClass by default, or of its own class', () => {
    const classed = svc('a', { spec: { loadBalancerClass: 'example.com/lb' } });
    expect(decideService(classed, p, new Map())).toEqual({ kind: 'ignore' });
    expect(decideService(classed, p, new Map(), 'example.com/lb')).toMatchObject({ kind: 'assign' });
    expect(decideService(svc('b'), p, new Map(), 'example.com/lb')).toEqual({ kind: 'ignore' });
  });

  it('clears the address of a Service that is no longer a LoadBalancer', () => {
    expect(decideService(svc('a', { ip: '192.168.1.240', spec: { type: 'ClusterIP' } }), p, new Map())).toEqual({ kind: 'clear', events: [] });
  });

  it('moves a Service whose address left the configuration, with ClearAssignment', () => {
    const d = decideService(svc('a', { ip: '10.9.9.9' }), p, new Map());
    expect(d).toMatchObject({ kind: 'assign', ip: '192.168.1.240' });
    expect((d as { readonly events: readonly { reason: string }[] }).events.map((e) => e.reason)).toEqual(['ClearAssignment', 'IPAllocated']);
  });
});

describe('LoadBalancer address invariants', () => {
  it('flag two Services on one address without a common sharing key, and accept a shared one', () => {
    expect(loadBalancerAddressesUnique([svc('a', { ip: '1.2.3.4' }), svc('b', { ip: '1.2.3.4' })])).toHaveLength(1);
    const shared = { 'metallb.universe.tf/allow-shared-ip': 'k' };
    expect(loadBalancerAddressesUnique([svc('a', { ip: '1.2.3.4', annotations: shared }), svc('b', { ip: '1.2.3.4', annotations: shared, spec: { ports: [{ port: 53, protocol: 'UDP' }] } })])).toEqual([]);
    expect(loadBalancerAddressesUnique([svc('a', { ip: '1.2.3.4', annotations: shared }), svc('b', { ip: '1.2.3.4', annotations: shared })])).toHaveLength(1);
  });

  it('flag an address outside every pool', () => {
    const state = { services: [svc('a', { ip: '192.168.1.240' }), svc('b', { ip: '10.0.0.1' })], pools: [pool('p', ['192.168.1.240/30'])] };
    expect(loadBalancerAddressesInPools(state).map((v) => v.objects[0]!.name)).toEqual(['b']);
  });
});
