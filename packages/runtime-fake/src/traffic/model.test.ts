/**
 * The traffic model over hand-built objects: images' answers, the L7 next-hop hook (an
 * ingress controller's image deciding the next Service), load-balancer addresses as entry
 * points, `wget` loops as flows split by the routing weights, and their CPU.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@kubeloop/core';
import type { EndpointSlice, KubeObject, Node, Pod, Service } from '@kubeloop/core';
import { CPU_PER_REQUEST_ANNOTATION, cpuMsPerRequest, serve } from './answers.js';
import { loadFlows } from './flows.js';
import { TrafficModel } from './model.js';
import type { NextHopHook } from './model.js';

let rv = 1;
const meta = (name: string, extra: object = {}) => ({ name, namespace: 'default', uid: `uid-${name}`, resourceVersion: String(rv++), ...extra });

function pod(name: string, ip: string, node: string, image: string, options: { labels?: Record<string, string>; command?: string[]; annotations?: Record<string, string>; port?: number } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(name, { labels: options.labels ?? {}, annotations: options.annotations ?? {} }),
    spec: { nodeName: node, containers: [{ name: 'c', image, ...(options.command ? { command: options.command } : {}), ...(options.port ? { ports: [{ containerPort: options.port }] } : {}) }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image, imageID: '', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] },
  } as unknown as Pod;
}

function service(name: string, clusterIP: string, port: number, targetPort: number, extra: object = {}, status: object = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(name), spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ name: '', port, targetPort, protocol: 'TCP' }], ...extra }, status } as unknown as Service;
}

function slice(svc: string, port: number, pods: readonly Pod[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta(`${svc}-x`, { labels: { 'kubernetes.io/service-name': svc } }),
    addressType: 'IPv4',
    ports: [{ name: '', port, protocol: 'TCP' }],
    endpoints: pods.map((p) => ({ addresses: [p.status!.podIP!], nodeName: p.spec.nodeName, conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'default', name: p.metadata.name } })),
  } as unknown as EndpointSlice;
}

const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', resourceVersion: '1' }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: '172.18.0.2' }] } } as unknown as Node;

function model(objects: readonly KubeObject[], onLoad?: (pod: Pod, container: string, cpu: number) => void): TrafficModel {
  const m = new TrafficModel({ rng: seededRng(1), now: () => 0, onLoad });
  for (const o of [node, ...objects]) m.observe('ADDED', o);
  return m;
}

describe('image answers', () => {
  const nginx = pod('nginx', '10.1.0.5', 'node-1', 'nginx:1.25');
  it('nginx answers 200 at / and 404 elsewhere; a known image refuses other ports', () => {
    expect(serve(nginx, '10.1.0.5', 80, { method: 'GET', host: 'x', path: '/', headers: {} })).toMatchObject({ kind: 'response', status: 200 });
    expect(serve(nginx, '10.1.0.5', 80, { method: 'GET', host: 'x', path: '/nope', headers: {} })).toMatchObject({ kind: 'response', status: 404 });
    expect(serve(nginx, '10.1.0.5', 8080, { method: 'GET', host: 'x', path: '/', headers: {} })).toEqual({ kind: 'refused' });
  });
  it('kubetm/app serves its host name at /hostname on 8080', () => {
    const app = pod('stateful-pvc-0', '10.1.0.6', 'node-1', 'kubetm/app');
    expect(serve(app, '10.1.0.6', 8080, { method: 'GET', host: 'x', path: '/hostname', headers: {} })).toMatchObject({ status: 200, body: 'Hostname : stateful-pvc-0\n' });
  });
  it('costs a request the image’s CPU, or the annotation’s', () => {
    const php = pod('php', '10.1.0.7', 'node-1', 'registry.k8s.io/hpa-example');
    // tuned to the kubernetes.io walkthrough's figures (see HPA_EXAMPLE_CPU_MS_PER_REQUEST)
    expect(cpuMsPerRequest(php, php.spec.containers[0]!)).toBe(6.5);
    const annotated = pod('php2', '10.1.0.8', 'node-1', 'registry.k8s.io/hpa-example', { annotations: { [CPU_PER_REQUEST_ANNOTATION]: '2.5ms' } });
    expect(cpuMsPerRequest(annotated, annotated.spec.containers[0]!)).toBe(2.5);
  });
});

describe('load flows', () => {
  it('finds the rate of a wget loop and of a curl loop with a sleep in its body', () => {
    expect(loadFlows(['/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://php-apache; done'], {}, 'load')).toEqual([{ url: 'http://php-apache', ratePerSecond: 100 }]);
    expect(loadFlows(['sh', '-c', 'while true; do curl -s http://web/; sleep 0.5; done'], {}, 'load')).toEqual([{ url: 'http://web/', ratePerSecond: 2 }]);
  });
  it('finds none in a script that ends or never requests anything', () => {
    expect(loadFlows(['sh', '-c', 'wget -q -O- http://web/; exit 0'], {}, 'x')).toEqual([]);
    expect(loadFlows(['sh', '-c', 'while true; do echo hi; sleep 1; done'], {}, 'x')).toEqual([]);
  });
});

describe('TrafficModel', () => {
  const php = [1, 2].map((i) => pod(`php-${i}`, `10.1.0.${10 + i}`, 'node-1', 'registry.k8s.io/hpa-example', { labels: { app: 'php' } }));
  const svc = service('php-apache', '10.96.0.50', 80, 80);
  const loader = pod('load', '10.1.0.20', 'node-1', 'busybox', { command: ['/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://php-apache; done'] });

  it('splits a 100 req/s loop evenly over two pods and puts 50 × 6.5 ms = 325m of CPU on each', () => {
    const loads = new Map<string, number>();
    const m = model([svc, slice('php-apache', 80, php), ...php, loader], (p, _c, cpu) => loads.set(p.metadata.name!, cpu));
    m.refreshFlows();
    expect(m.flows()).toHaveLength(1);
    expect(loads).toEqual(new Map([['php-1', 325], ['php-2', 325]]));
    expect(m.flowRate({ namespace: 'default', name: 'php-1' })).toBe(50);
  });

  it('gives kubectl exec the pod\'s resolv.conf (ClusterFirst: search path, cluster DNS, ndots 5) and kubelet-managed /etc/hosts', () => {
    const m = model([loader]);
    expect(m.exec(loader, 'cat /etc/resolv.conf')).toEqual({ output: 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n', exitCode: 0 });
    expect(m.exec(loader, 'grep load /etc/hosts')).toEqual({ output: '10.1.0.20\tload\n', exitCode: 0 });
    const hostDns = { ...loader, spec: { ...loader.spec, dnsPolicy: 'Default' } } as Pod;
    expect(m.exec(hostDns, 'cat /etc/resolv.conf').exitCode).toBe(1);
  });

  it('enters a LoadBalancer Service at its status.loadBalancer.ingress address', () => {
    const lb = service('web', '10.96.0.60', 80, 80, { type: 'LoadBalancer', ports: [{ name: '', port: 80, targetPort: 80, nodePort: 31000, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } });
    const m = model([lb, slice('web', 80, php), ...php]);
    expect(m.send({ url: 'http://192.168.1.240/' })).toMatchObject({ kind: 'response', status: 200, body: 'OK!', service: { name: 'web' } });
  });

  it('resolves names the cluster does not serve from outside through the outside resolver only', () => {
    const web = pod('web-1', '10.1.0.20', 'node-1', 'traefik/whoami');
    const lb = service('web', '10.96.0.61', 80, 80, { type: 'LoadBalancer', ports: [{ name: '', port: 80, targetPort: 80, nodePort: 31001, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '192.168.1.241' }] } });
    const client = pod('client', '10.1.0.21', 'node-1', 'busybox');
    const m = model([web, client, lb, slice('web', 80, [web])]);
    expect(m.send({ url: 'http://shop.example.com/' })).toEqual({ kind: 'unresolved', host: 'shop.example.com' });
    m.setOutsideResolver((host) => (host === 'shop.example.com' ? '192.168.1.241' : undefined));
    expect(m.send({ url: 'http://shop.example.com/' })).toMatchObject({ kind: 'response', status: 200, backend: { name: 'web-1' } });
    expect(m.send({ url: 'http://other.example.com/' })).toEqual({ kind: 'unresolved', host: 'other.example.com' });
    // pods resolve through cluster DNS, not the outside resolver
    expect(m.send({ from: { kind: 'pod', pod: { namespace: 'default', name: 'client' } }, url: 'http://shop.example.com/' })).toEqual({ kind: 'unresolved', host: 'shop.example.com' });
    m.setOutsideResolver(undefined);
    expect(m.send({ url: 'http://shop.example.com/' })).toEqual({ kind: 'unresolved', host: 'shop.example.com' });
  });

  it('lets an L7 hook of an image pick the next Service by path and weight (an ingress controller)', () => {
    const shop = pod('shop-1', '10.1.0.31', 'node-1', 'nginx', { labels: { app: 'shop' } });
    const canary = pod('canary-1', '10.1.0.32', 'node-1', 'nginx', { labels: { app: 'canary' } });
    const ingress = pod('ingress-nginx-controller-1', '10.1.0.30', 'node-1', 'registry.k8s.io/ingress-nginx/controller:v1.10.0', { port: 80 });
    const objects = [
      service('ingress-nginx-controller', '10.96.0.70', 80, 80, { type: 'NodePort', ports: [{ name: '', port: 80, targetPort: 80, nodePort: 30080, protocol: 'TCP' }] }),
      slice('ingress-nginx-controller', 80, [ingress]),
      service('shop', '10.96.0.71', 80, 80),
      slice('shop', 80, [shop]),
      service('canary', '10.96.0.72', 80, 80),
      slice('canary', 80, [canary]),
      shop,
      canary,
      ingress,
    ];
    const hook: NextHopHook = ({ request }) =>
      request.path.startsWith('/shop')
        ? request.headers['x-canary'] === 'always'
          ? { kind: 'forward', hops: [{ weight: 1, url: 'http://canary.default.svc.cluster.local/' }] }
          : { kind: 'forward', hops: [{ weight: 90, url: 'http://shop.default.svc.cluster.local/' }, { weight: 10, url: 'http://canary.default.svc.cluster.local/' }] }
        : { kind: 'respond', status: 404, body: 'default backend - 404' };
    const m = model(objects);
    m.setNextHopHook('registry.k8s.io/ingress-nginx/controller', hook);
    expect(m.send({ url: 'http://node-1:30080/other' })).toMatchObject({ kind: 'response', status: 404, backend: { name: 'ingress-nginx-controller-1' } });
    expect(m.send({ url: 'http://172.18.0.2:30080/shop', headers: { 'X-Canary': 'always' } })).toMatchObject({ kind: 'response', status: 200, backend: { name: 'canary-1' }, hops: 1 });
    const hits = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const out = m.send({ url: 'http://node-1:30080/shop' });
      if (out.kind === 'response') hits.set(out.backend.name, (hits.get(out.backend.name) ?? 0) + 1);
    }
    // 10% ± 4.5 standard deviations of a binomial(2000, 0.1) (sd 13.4)
    expect(Math.abs((hits.get('canary-1') ?? 0) - 200)).toBeLessThan(61);
    expect(m.requestCount({ namespace: 'default', name: 'ingress-nginx-controller-1' })).toBe(2002);
  });

  it('records each routed connection with the revision of the view it was made in', () => {
    const m = model([svc, slice('php-apache', 80, php), ...php, loader]);
    m.send({ from: { kind: 'pod', pod: { namespace: 'default', name: 'load' } }, url: 'http://php-apache/' });
    expect(m.routed()).toMatchObject([{ via: 'clusterIP', service: { name: 'php-apache' }, fromOutside: false, revision: m.revision, slices: ['php-apache-x'] }]);
  });
});
