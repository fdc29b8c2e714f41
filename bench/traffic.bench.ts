/**
 * Traffic benchmark (issue 19):
 * - routed requests/s through kube-proxy's tables with 1,000 Services of 10 endpoints each:
 *   the routing decision alone (`routeConnection` over the tables), and whole requests
 *   (`TrafficModel.send`: DNS name from a pod, routing, the image's answer, counters);
 * - wall time of one virtual hour of 100 load flows (busybox pods running
 *   `while sleep 0.01; do wget -q -O- http://php-apache; done`, 100 req/s each) against a
 *   10-pod php-apache Deployment on a 50-node cluster, with metrics-server scraping.
 * `KUBELOOP_BENCH_SERVICES` / `KUBELOOP_BENCH_FLOWS` / `KUBELOOP_BENCH_NODES` / `KUBELOOP_BENCH_HOURS` shrink it.
 */
import { seededRng } from '@kubeloop/core';
import type { EndpointSlice, KubeObject, Node, Pod, Service } from '@kubeloop/core';
import { TrafficModel, routeConnection } from '@kubeloop/runtime-fake';
import { SimCluster } from '@kubeloop/testing';
import type { Figure } from './harness.js';

const SERVICES = Number(process.env['KUBELOOP_BENCH_SERVICES'] ?? 1000);
const ENDPOINTS = 10;
const FLOWS = Number(process.env['KUBELOOP_BENCH_FLOWS'] ?? 100);
const NODES = Number(process.env['KUBELOOP_BENCH_NODES'] ?? 50);
const HOURS = Number(process.env['KUBELOOP_BENCH_HOURS'] ?? 1);

const ip = (n: number, base: number): string => `10.${base + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;

function tablesModel(): { model: TrafficModel; clusterIPs: string[] } {
  const model = new TrafficModel({ rng: seededRng(1), now: () => 0 });
  let rv = 1;
  const add = (o: object): void => void model.observe('ADDED', { ...(o as KubeObject), metadata: { ...(o as KubeObject).metadata, resourceVersion: String(rv++) } } as KubeObject);
  add({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: '172.18.0.2' }] } } as unknown as Node);
  add({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'default' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Running', podIP: '10.250.0.1' } } as unknown as Pod);
  const clusterIPs: string[] = [];
  for (let s = 0; s < SERVICES; s++) {
    const name = `svc-${s}`;
    const clusterIP = ip(s + 1, 96);
    clusterIPs.push(clusterIP);
    add({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ name: '', port: 80, targetPort: 80, protocol: 'TCP' }] } } as unknown as Service);
    const endpoints = [];
    for (let e = 0; e < ENDPOINTS; e++) {
      const podIP = ip(s * ENDPOINTS + e + 1, 1);
      const pod = `${name}-pod-${e}`;
      add({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: 'default' }, spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'nginx' }] }, status: { phase: 'Running', podIP } } as unknown as Pod);
      endpoints.push({ addresses: [podIP], nodeName: 'node-1', conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: 'default', name: pod } });
    }
    add({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${name}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', ports: [{ name: '', port: 80, protocol: 'TCP' }], endpoints } as unknown as EndpointSlice);
  }
  return { model, clusterIPs };
}

function perSecond(run: (i: number) => void, minMs = 2000): number {
  let n = 0;
  for (let w = performance.now(); performance.now() - w < 300; ) for (let i = 0; i < 1000; i++) run(n++); // warm-up
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 1000; i++) run(n++);
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

/** The hour, with traffic simulated (`traffic: true`) or not (the same pods, their wget failing: the baseline). */
async function flowHour(traffic: boolean): Promise<Figure[]> {
  const cluster = await SimCluster.create({ seed: 1, nodes: NODES, metricsServer: true, trace: 'none', traffic });
  await cluster.apply([
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'php-apache', namespace: 'default' }, spec: { replicas: 10, selector: { matchLabels: { run: 'php-apache' } }, template: { metadata: { labels: { run: 'php-apache' } }, spec: { containers: [{ name: 'php-apache', image: 'registry.k8s.io/hpa-example', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '200m' }, limits: { cpu: '500m' } } }] } } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'php-apache', namespace: 'default' }, spec: { selector: { run: 'php-apache' }, ports: [{ port: 80 }] } },
    ...Array.from({ length: FLOWS }, (_, i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `load-generator-${i}`, namespace: 'default' }, spec: { containers: [{ name: 'load-generator', image: 'busybox:1.28', command: ['/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://php-apache; done'] }] } })),
  ]);
  const t0 = performance.now();
  await cluster.settle();
  const t1 = performance.now();
  const model = cluster.traffic;
  const backends = model === undefined ? [] : [...model.tables().podsByIP.values()].map((p) => p.pod.metadata.name!).filter((n) => n.startsWith('php-apache'));
  const count = (): number => backends.reduce((s, name) => s + (model?.requestCount({ namespace: 'default', name }) ?? 0), 0);
  const before = count();
  const v0 = cluster.now();
  const t2 = performance.now();
  for (let m = 0; m < HOURS * 60; m++) await cluster.advance(60_000);
  const t3 = performance.now();
  const requests = count() - before;
  const virtual = (cluster.now() - v0) / 1000;
  await cluster.stop();
  if (!traffic) {
    return [
      { name: `  baseline: the same cluster and pods without traffic: apply → settled`, value: (t1 - t0) / 1000, unit: 's wall' },
      { name: `  baseline: one virtual hour`, value: (t3 - t2) / 1000 / HOURS, unit: 's wall per virtual hour' },
    ];
  }
  return [
    { name: `apply → settled (${FLOWS} load pods, 10 php-apache pods, ${NODES} nodes; ${model?.flows().length ?? 0} flows found)`, value: (t1 - t0) / 1000, unit: 's wall' },
    { name: `one virtual hour of ${FLOWS} flows × 100 req/s (metrics-server on)`, value: (t3 - t2) / 1000 / HOURS, unit: 's wall per virtual hour' },
    { name: `  requests served in it (${(requests / virtual).toFixed(0)} req/s)`, value: requests, unit: 'requests' },
  ];
}

export async function figures(): Promise<Figure[]> {
  const { model, clusterIPs } = tablesModel();
  const tables = model.tables();
  const rng = seededRng(2);
  const source = { kind: 'pod' as const, ip: '10.250.0.1', nodeName: 'node-1' };
  const routed = perSecond((i) => void routeConnection(tables, { source, ip: clusterIPs[i % SERVICES]!, port: 80 }, (n) => rng.int(n)));
  const from = { kind: 'pod' as const, pod: { namespace: 'default', name: 'client' } };
  const urls = Array.from({ length: SERVICES }, (_, s) => `http://svc-${s}/`);
  const sent = perSecond((i) => void model.send({ from, url: urls[i % SERVICES]! }));
  return [
    { name: `routing decisions (${SERVICES} Services × ${ENDPOINTS} endpoints, ClusterIP)`, value: routed, unit: 'routes/s' },
    { name: `whole requests: DNS name from a pod → route → nginx answers → counted`, value: sent, unit: 'requests/s' },
    ...(await flowHour(true)),
    ...(await flowHour(false)),
  ];
}
