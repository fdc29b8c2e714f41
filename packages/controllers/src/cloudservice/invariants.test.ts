import { describe, expect, it } from 'vitest';
import type { Service } from '@kubeloop/core';
import { cloudLoadBalancerAddressesInRange, cloudLoadBalancerAddressesUnique, cloudLoadBalancerInvariants, cloudLoadBalancersProvisioned, cloudLoadBalancersReleased } from './invariants.js';

function svc(name: string, type: 'ClusterIP' | 'NodePort' | 'LoadBalancer', ip?: string, loadBalancerClass?: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type, clusterIP: '10.96.0.20', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name }, ...(loadBalancerClass === undefined ? {} : { loadBalancerClass }) },
    status: ip === undefined ? {} : { loadBalancer: { ingress: [{ ip }] } },
  } as Service;
}

const messages = (vs: readonly { message: string }[]): string[] => vs.map((v) => v.message);
const RANGE = '203.0.113.0/30'; // .1 and .2

describe('the cloud load balancer invariants', () => {
  it('want an address on every LoadBalancer without loadBalancerClass while the cloud has one free', () => {
    expect(messages(cloudLoadBalancersProvisioned([svc('a', 'LoadBalancer', '203.0.113.1'), svc('b', 'LoadBalancer')], RANGE))).toEqual(["is a LoadBalancer without an address while 1 of the cloud's 2 addresses in 203.0.113.0/30 are free"]);
    // the range is full: pending is all a cloud can do
    expect(cloudLoadBalancersProvisioned([svc('a', 'LoadBalancer', '203.0.113.1'), svc('b', 'LoadBalancer', '203.0.113.2'), svc('c', 'LoadBalancer')], RANGE)).toEqual([]);
    // another implementation's Service, and other types, are not the cloud's to serve
    expect(cloudLoadBalancersProvisioned([svc('a', 'LoadBalancer', undefined, 'example.com/internal'), svc('b', 'NodePort')], RANGE)).toEqual([]);
  });

  it('want no load balancer on a Service that is no longer of type LoadBalancer', () => {
    expect(messages(cloudLoadBalancersReleased([svc('a', 'NodePort', '203.0.113.1'), svc('b', 'ClusterIP'), svc('c', 'LoadBalancer', '203.0.113.2')]))).toEqual(['is of type NodePort and still shows load balancer [203.0.113.1]']);
  });

  it("want the cloud's addresses only, neither the network nor the broadcast address, except on another implementation's Services", () => {
    const services = [svc('a', 'LoadBalancer', '203.0.113.0'), svc('b', 'LoadBalancer', '203.0.113.3'), svc('c', 'LoadBalancer', '203.0.113.2'), svc('d', 'LoadBalancer', '192.0.2.9', 'example.com/internal')];
    expect(messages(cloudLoadBalancerAddressesInRange(services, RANGE))).toEqual([
      "shows load balancer address 203.0.113.0, which is not one of the cloud's addresses in 203.0.113.0/30",
      "shows load balancer address 203.0.113.3, which is not one of the cloud's addresses in 203.0.113.0/30",
    ]);
  });

  it('want each address on one Service, whatever sharing annotations say, leaving other implementations alone', () => {
    const shared = { ...svc('b', 'LoadBalancer', '203.0.113.1'), metadata: { name: 'b', namespace: 'default', annotations: { 'metallb.io/allow-shared-ip': 'k' } } } as Service;
    expect(messages(cloudLoadBalancerAddressesUnique([svc('a', 'LoadBalancer', '203.0.113.1'), shared, svc('c', 'LoadBalancer', '203.0.113.1', 'example.com/internal')]))).toEqual(['shows load balancer address 203.0.113.1, which default/a shows too']);
  });

  it('name themselves, and refuse a range that is not an IPv4 CIDR', () => {
    expect(cloudLoadBalancerInvariants(RANGE).map((i) => `${i.name} (${i.kind})`)).toEqual([
      'cloudLoadBalancersProvisioned (liveness)',
      'cloudLoadBalancersReleased (liveness)',
      'cloudLoadBalancerAddressesInRange (liveness)',
      'cloudLoadBalancerAddressesUnique (safety)',
    ]);
    expect(() => cloudLoadBalancerInvariants('203.0.113.0')).toThrow('cloud load balancer invariants: "203.0.113.0" is not an IPv4 CIDR from /8 to /30');
  });
});
