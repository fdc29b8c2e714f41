/**
 * The Service address invariants on hand-built states, each shown to fail on what an allocator
 * broken on purpose would store (a shared address, one outside the range).
 */
import { describe, expect, it } from 'vitest';
import type { Service } from '../api/kinds/service.js';
import { PluginHost } from '../runtime/plugin.js';
import { ResourceRegistry } from '../api/registry.js';
import { clusterState } from './state.js';
import { serviceAddressInvariants, serviceAddressesPlugin } from './services.js';

function svc(name: string, spec: Partial<Service['spec']>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', sessionAffinity: 'None', ...spec }, status: {} };
}

const [clusterIPs, nodePorts] = serviceAddressInvariants();

function check(i: typeof clusterIPs, services: Service[]): string[] {
  return (i?.check(clusterState(services), undefined) ?? []).map((v) => v.message);
}

describe('serviceClusterIPsUnique', () => {
  it('holds for distinct addresses in the range, headless and ExternalName Services', () => {
    expect(check(clusterIPs, [svc('a', { clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'] }), svc('b', { clusterIP: '10.100.3.4' }), svc('h', { clusterIP: 'None', clusterIPs: ['None'] }), svc('h2', { clusterIP: 'None' }), svc('e', { type: 'ExternalName', externalName: 'x' })])).toEqual([]);
  });

  it('fails when an allocator hands out an address twice', () => {
    expect(check(clusterIPs, [svc('a', { clusterIP: '10.96.0.7' }), svc('b', { clusterIP: '10.96.0.7' })])).toEqual(['Services default/a and default/b share ClusterIP 10.96.0.7']);
  });

  it('fails when an allocator hands out an address outside the CIDR, or its network or broadcast address', () => {
    expect(check(clusterIPs, [svc('a', { clusterIP: '10.112.0.1' }), svc('n', { clusterIP: '10.96.0.0' }), svc('b', { clusterIP: '10.111.255.255' })])).toEqual([
      'Service default/a has ClusterIP 10.112.0.1, outside the service CIDR 10.96.0.0/12',
      'Service default/b has ClusterIP 10.111.255.255, outside the service CIDR 10.96.0.0/12',
      'Service default/n has ClusterIP 10.96.0.0, outside the service CIDR 10.96.0.0/12',
    ]);
  });

  it('judges by the CIDR it is given', () => {
    const [own] = serviceAddressInvariants({ serviceClusterIPRange: '10.0.0.0/16' });
    expect(check(own, [svc('a', { clusterIP: '10.96.0.1' })])).toEqual(['Service default/a has ClusterIP 10.96.0.1, outside the service CIDR 10.0.0.0/16']);
  });
});

describe('serviceNodePortsUnique', () => {
  it('holds for distinct ports in range, one number serving TCP and UDP of one Service', () => {
    expect(check(nodePorts, [svc('a', { type: 'NodePort', ports: [{ name: 't', port: 53, protocol: 'TCP', nodePort: 30053 }, { name: 'u', port: 53, protocol: 'UDP', nodePort: 30053 }] }), svc('b', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000, ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] })])).toEqual([]);
  });

  it('fails when an allocator hands out a port twice, health check ports included', () => {
    expect(check(nodePorts, [svc('a', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] }), svc('b', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30080, ports: [{ port: 80, protocol: 'TCP', nodePort: 30081 }] })])).toEqual([
      'Services default/a and default/b share NodePort 30080',
    ]);
  });

  it('fails when an allocator hands out a port outside the range', () => {
    expect(check(nodePorts, [svc('a', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 32768 }] })])).toEqual(['Service default/a has NodePort 32768, outside 30000-32767']);
  });
});

describe('serviceAddressesPlugin', () => {
  it('registers both as safety invariants', () => {
    const host = new PluginHost({ registry: new ResourceRegistry() }).use(serviceAddressesPlugin());
    expect(host.invariants().map((i) => `${i.name} (${i.kind})`)).toEqual(['serviceClusterIPsUnique (safety)', 'serviceNodePortsUnique (safety)']);
  });
});
