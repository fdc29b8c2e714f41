/**
 * noEndpointsWithoutService: the Endpoints of a deleted Service must go (upstream syncService on
 * a NotFound Service). endpointsMatchPods: which pods a Service's endpoints must list, as the
 * invariant states it on its own (named ports, terminal pods).
 */
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Endpoints, Pod, Service } from '@kubeloop/core';
import { endpointsMatchPods, noEndpointsWithoutService } from './invariants.js';

const service = (namespace: string, name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec: { selector: { app: name } } }) as unknown as Service;
const endpoints = (namespace: string, name: string): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace, name } }) as unknown as Endpoints;

describe('noEndpointsWithoutService', () => {
  it('holds when every Endpoints has its Service, and skips the API server’s default/kubernetes', () => {
    expect(noEndpointsWithoutService({ services: [service('default', 'web')], endpoints: [endpoints('default', 'web'), endpoints('default', 'kubernetes')] })).toEqual([]);
  });

  it('names Endpoints whose Service is gone, matching by namespace and name (a same-named Service elsewhere does not count; kubernetes outside default is not skipped)', () => {
    const violations = noEndpointsWithoutService({ services: [service('other', 'web')], endpoints: [endpoints('default', 'web'), endpoints('other', 'web'), endpoints('other', 'kubernetes')] });
    expect(violations).toEqual([
      { objects: [{ kind: 'Endpoints', namespace: 'default', name: 'web' }], message: 'Endpoints default/web is left although its Service is gone' },
      { objects: [{ kind: 'Endpoints', namespace: 'other', name: 'kubernetes' }], message: 'Endpoints other/kubernetes is left although its Service is gone' },
    ]);
  });
});

describe('endpointsMatchPods', () => {
  const web = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] } } as unknown as Service;
  const pod = (name: string, ip: string, options: { port?: string; phase?: string; restartPolicy?: string } = {}): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'default', name, labels: { app: 'web' } },
      spec: { restartPolicy: options.restartPolicy ?? 'Always', containers: [{ name: 'c', image: 'nginx', ports: options.port === undefined ? [] : [{ name: options.port, containerPort: 8080, protocol: 'TCP' }] }] },
      status: { phase: options.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
    }) as unknown as Pod;
  const endpoints = (ready: string[]): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'default', name: 'web' }, subsets: [{ addresses: ready.map((ip) => ({ ip })) }] }) as unknown as Endpoints;
  const slice = (ready: string[]): EndpointSlice =>
    ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: 'default', name: 'web-x', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4',
      endpoints: ready.map((ip, i) => ({ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: 'default', name: `p${i}` } })),
    }) as unknown as EndpointSlice;
  // p1 declares the named port, p2 does not, p3 completed for good (restartPolicy Never).
  const pods = [pod('p1', '10.0.0.1', { port: 'http' }), pod('p2', '10.0.0.2'), pod('p3', '10.0.0.3', { port: 'http', phase: 'Succeeded', restartPolicy: 'Never' })];

  it('holds when the Endpoints list the pods that resolve the named targetPort, and the slices every selected pod that can serve', () => {
    expect(endpointsMatchPods({ services: [web], pods, endpoints: [endpoints(['10.0.0.1'])], endpointSlices: [slice(['10.0.0.1', '10.0.0.2'])] })).toEqual([]);
  });

  it('names the Service whose Endpoints list a pod without the named port, or a pod that completed for good', () => {
    const violations = endpointsMatchPods({ services: [web], pods, endpoints: [endpoints(['10.0.0.1', '10.0.0.2', '10.0.0.3'])], endpointSlices: [slice(['10.0.0.1', '10.0.0.2', '10.0.0.3'])] });
    expect(violations.map((v) => v.objects)).toEqual([[{ kind: 'Service', namespace: 'default', name: 'web' }], [{ kind: 'Service', namespace: 'default', name: 'web' }]]);
    expect(violations.map((v) => v.message)).toEqual(['Endpoints default/web lists ready [10.0.0.1, 10.0.0.2, 10.0.0.3], pods say [10.0.0.1]', 'EndpointSlices [web-x] list ready [10.0.0.1, 10.0.0.2, 10.0.0.3], pods say [10.0.0.1, 10.0.0.2]']);
  });
});
