/**
 * kube-proxy's routing decisions (pkg/proxy/topology.go `CategorizeEndpoints`, the iptables
 * proxier's REJECT/DROP rules, KEP-1669 terminating endpoints, KEP-2086 internalTrafficPolicy).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRng } from '@kubeloop/core';
import type { EndpointSlice, Node, Pod, Service } from '@kubeloop/core';
import { AffinityTable, categorizeEndpoints, routeConnection } from './route.js';
import type { TrafficSource } from './route.js';
import { buildTables } from './tables.js';
import type { BackendEndpoint } from './tables.js';

interface Ep {
  readonly ip: string;
  readonly node: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
}

function service(spec: Partial<Service['spec']> & object, status?: Service['status']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec }, ...(status ? { status } : {}) } as unknown as Service;
}

function slice(eps: readonly Ep[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false }, targetRef: { kind: 'Pod', namespace: 'default', name: `pod-${e.ip}` } })),
  } as EndpointSlice;
}

const nodes: Node[] = ['node-1', 'node-2'].map((name, i) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: `172.18.0.${i + 2}` }] } }) as unknown as Node);

function tables(svc: Service, eps: readonly Ep[]) {
  return buildTables({ services: [svc], endpointSlices: [slice(eps)], nodes, pods: [] as Pod[] });
}

const outside: TrafficSource = { kind: 'outside', clientIP: '203.0.113.10' };
const podOn = (node: string): TrafficSource => ({ kind: 'pod', ip: '10.1.9.9', nodeName: node });
const first = (): number => 0;

describe('categorizeEndpoints', () => {
  const a: BackendEndpoint = { ip: 'a', port: 1, nodeName: 'node-1', ready: true, serving: true, terminating: false };
  const b: BackendEndpoint = { ip: 'b', port: 1, nodeName: 'node-2', ready: false, serving: true, terminating: true };
  const c: BackendEndpoint = { ip: 'c', port: 1, nodeName: 'node-2', ready: false, serving: false, terminating: true };
  it('uses ready endpoints, and serving terminating ones only when none is ready (KEP-1669)', () => {
    expect(categorizeEndpoints([a, b, c], undefined).cluster).toEqual([a]);
    expect(categorizeEndpoints([b, c], undefined).cluster).toEqual([b]);
    expect(categorizeEndpoints([c], undefined).cluster).toEqual([]);
  });
  it('applies the same rule to the endpoints of one node for Local', () => {
    expect(categorizeEndpoints([a, b, c], 'node-2').local).toEqual([b]);
  });
});

describe('routeConnection', () => {
  it('routes a ClusterIP connection to a ready endpoint on the target port', () => {
    const t = tables(service({}), [{ ip: '10.1.1.1', node: 'node-1' }, { ip: '10.1.1.2', node: 'node-2', ready: false, serving: false }]);
    expect(routeConnection(t, { source: podOn('node-1'), ip: '10.96.0.20', port: 80 }, first)).toMatchObject({ kind: 'endpoint', via: 'clusterIP', endpoint: { ip: '10.1.1.1', port: 8080 } });
  });

  it('refuses a connection to a Service without endpoints (REJECT: connection refused)', () => {
    const t = tables(service({}), []);
    expect(routeConnection(t, { source: podOn('node-1'), ip: '10.96.0.20', port: 80 }, first)).toMatchObject({ kind: 'refused', reason: 'service default/web:http has no endpoints' });
  });

  it('opens a node port on every node', () => {
    const t = tables(service({ type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }] }), [{ ip: '10.1.1.1', node: 'node-1' }]);
    for (const ip of ['172.18.0.2', '172.18.0.3']) expect(routeConnection(t, { source: outside, ip, port: 30080 }, first)).toMatchObject({ kind: 'endpoint', via: 'nodePort', endpoint: { ip: '10.1.1.1' } });
    expect(routeConnection(t, { source: outside, ip: '172.18.0.2', port: 30081 }, first)).toMatchObject({ kind: 'refused' });
  });

  it('keeps externalTrafficPolicy Local traffic on the receiving node, and drops it where that node has none', () => {
    const svc = service({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }] });
    const t = tables(svc, [{ ip: '10.1.1.1', node: 'node-1' }]);
    expect(routeConnection(t, { source: outside, ip: '172.18.0.2', port: 30080 }, first)).toMatchObject({ kind: 'endpoint', endpoint: { nodeName: 'node-1' } });
    expect(routeConnection(t, { source: outside, ip: '172.18.0.3', port: 30080 }, first)).toMatchObject({ kind: 'dropped', reason: 'service default/web:http has no local endpoints on node-2' });
    // a pod's connection to the node port is internal: the Service's cluster endpoints
    expect(routeConnection(t, { source: podOn('node-2'), ip: '172.18.0.3', port: 30080 }, first)).toMatchObject({ kind: 'endpoint' });
  });

  it('keeps internalTrafficPolicy Local traffic on the sender node (KEP-2086)', () => {
    const t = tables(service({ internalTrafficPolicy: 'Local' }), [{ ip: '10.1.1.1', node: 'node-1' }]);
    expect(routeConnection(t, { source: podOn('node-1'), ip: '10.96.0.20', port: 80 }, first)).toMatchObject({ kind: 'endpoint' });
    expect(routeConnection(t, { source: podOn('node-2'), ip: '10.96.0.20', port: 80 }, first)).toMatchObject({ kind: 'dropped' });
  });

  it('enters a LoadBalancer Service at the addresses of status.loadBalancer.ingress', () => {
    const svc = service({ type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } });
    const t = tables(svc, [{ ip: '10.1.1.1', node: 'node-1' }]);
    expect(routeConnection(t, { source: outside, ip: '192.168.1.240', port: 80 }, first)).toMatchObject({ kind: 'endpoint', via: 'loadBalancer' });
    expect(routeConnection(t, { source: outside, ip: '192.168.1.241', port: 80 }, first)).toMatchObject({ kind: 'unreachable' });
  });

  it('sends a client back to its endpoint under ClientIP affinity until the timeout', () => {
    const t = tables(service({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } } }), [1, 2, 3, 4].map((i) => ({ ip: `10.1.1.${i}`, node: 'node-1' })));
    const affinity = new AffinityTable();
    const rng = seededRng(3);
    const pick = (n: number) => rng.int(n);
    const at = (now: number) => routeConnection(t, { source: outside, ip: '10.96.0.20', port: 80 }, pick, affinity, now);
    const firstIp = (at(0) as { endpoint: BackendEndpoint }).endpoint.ip;
    for (let s = 1; s < 30; s++) expect((at(s * 5000) as { endpoint: BackendEndpoint }).endpoint.ip).toBe(firstIp); // each use renews it
    const later = new Set(Array.from({ length: 20 }, (_, i) => (at(100_000 + i * 11_000) as { endpoint: BackendEndpoint }).endpoint.ip));
    expect(later.size).toBeGreaterThan(1);
  });

  it('spreads connections uniformly over the ready endpoints (chi-square, seeded)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer(), (n, seed) => {
        const t = tables(service({}), Array.from({ length: n }, (_, i) => ({ ip: `10.1.1.${i + 1}`, node: 'node-1' })));
        const rng = seededRng(seed);
        const counts = new Map<string, number>();
        const total = 400 * n;
        for (let i = 0; i < total; i++) {
          const d = routeConnection(t, { source: podOn('node-1'), ip: '10.96.0.20', port: 80 }, (k) => rng.int(k));
          if (d.kind === 'endpoint') counts.set(d.endpoint.ip, (counts.get(d.endpoint.ip) ?? 0) + 1);
        }
        const expected = total / n;
        const chi = [...counts.values()].reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
        // 99.9th percentile of chi-square with 7 degrees of freedom is 24.3
        return counts.size === n && chi < 24.3;
      }),
      { numRuns: 20 },
    );
  });
});
