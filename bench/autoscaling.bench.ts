/**
 * Autoscaling benchmark (issue 20): 200 HorizontalPodAutoscalers on 200 Deployments under
 * varying load on 100 fake nodes with a metrics-server, for one virtual hour — wall time, store
 * writes (and which kinds wrote them), rescales and pods.
 *
 * Load: each Deployment has a total CPU load that follows its own sine (period 20-40 min, peak
 * 20-300m), spread evenly over its running pods every virtual minute through the kubelets'
 * `setLoad` (as the traffic model will spread requests); pods request 50m, the HPAs target 50%
 * (25m a pod) between 1 and 10 replicas, half with upstream's default `behavior` stated, half
 * without. `KUBELOOP_BENCH_HPAS` / `KUBELOOP_BENCH_NODES` / `KUBELOOP_BENCH_MINUTES` shrink it.
 */
import { Events, HorizontalPodAutoscalers, Pods } from '@kubeloop/core';
import type { KubeObject } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { heapGrowth } from './harness.js';
import type { Figure } from './harness.js';

const HPAS = Number(process.env['KUBELOOP_BENCH_HPAS'] ?? 200);
const NODES = Number(process.env['KUBELOOP_BENCH_NODES'] ?? 100);
const MINUTES = Number(process.env['KUBELOOP_BENCH_MINUTES'] ?? 60);

function app(i: number): object[] {
  const name = `app-${i}`;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/hpa-example', resources: { requests: { cpu: '50m' }, limits: { cpu: '500m' } } }] } },
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace: 'default' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        ...(i % 2 === 0 ? { behavior: { scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] }, scaleDown: { stabilizationWindowSeconds: 300 } } } : {}),
      },
    },
  ];
}

/** Deployment `i`'s total load at virtual minute `m`, millicores (deterministic). */
function load(i: number, m: number): number {
  const period = 20 + (i * 7) % 21;
  const peak = 20 + (i * 37) % 281;
  return (peak / 2) * (1 + Math.sin((2 * Math.PI * m) / period + i));
}

export async function figures(): Promise<Figure[]> {
  const heap = heapGrowth();
  const cluster = await SimCluster.create({ seed: 1, nodes: NODES, metricsServer: true });
  await cluster.apply(Array.from({ length: HPAS }, (_, i) => app(i)).flat(), 'bench');
  const kubelets = new Map(cluster.nodes.kubelets().map((k) => [k.nodeName, k]));

  const byKind = new Map<string, number>();
  const writes0 = Number(cluster.server.resourceVersion);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let peakPods = 0;
  for (let m = 0; m < MINUTES; m++) {
    const pods = (await cluster.list(Pods, { namespace: 'default' })).items.filter((p) => p.status.phase === 'Running' && p.metadata.deletionTimestamp === undefined);
    peakPods = Math.max(peakPods, pods.length);
    const byApp = new Map<number, typeof pods>();
    for (const p of pods) {
      const i = Number((p.metadata.labels?.['app'] ?? 'app--1').slice(4));
      byApp.set(i, [...(byApp.get(i) ?? []), p]);
    }
    for (const [i, list] of byApp) {
      const share = load(i, m) / list.length;
      for (const p of list) kubelets.get(p.spec.nodeName ?? '')?.setLoad({ namespace: 'default', name: p.metadata.name ?? '' }, 'app', { cpuMillicores: share });
    }
    await cluster.advance(60_000);
    heap.sample();
  }
  const t1 = performance.now();
  const cpu1 = process.cpuUsage(cpu0);
  const writes1 = Number(cluster.server.resourceVersion);

  for (const o of cluster.trace()) {
    const kind = (o.object as KubeObject).kind;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  const events = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'SuccessfulRescale');
  const rescales = events.reduce((n, e) => n + (e.count ?? 1), 0);
  const hpas = (await cluster.list(HorizontalPodAutoscalers, { namespace: 'default' })).items;
  const replicas = hpas.reduce((n, h) => n + (h.status.currentReplicas ?? 0), 0);
  await cluster.stop();

  const top = [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 6);
  return [
    { name: `${MINUTES} virtual min, ${HPAS} HPAs on Deployments, ${NODES} nodes, metrics-server`, value: (t1 - t0) / 1000, unit: 's wall' },
    { name: '  CPU time of the process (user + system; wall time suffers from other load)', value: (cpu1.user + cpu1.system) / 1e6, unit: 's CPU' },
    { name: '  store writes', value: writes1 - writes0, unit: 'writes' },
    ...top.map(([kind, n]) => ({ name: `    of which ${kind}`, value: n, unit: 'changes' })),
    { name: '  rescales (SuccessfulRescale events, counted)', value: rescales, unit: 'rescales' },
    { name: '  peak running pods', value: peakPods, unit: 'pods' },
    { name: '  replicas at the end (sum over HPAs)', value: replicas, unit: 'pods' },
    { name: 'peak heap growth', value: heap.peakMiB(), unit: 'MiB' },
  ];
}
