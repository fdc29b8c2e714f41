/**
 * Deployment fleet benchmark (issue 4): 100 Deployments × 100 replicas on 500 fake nodes, from
 * apply to every pod Ready, then a rolling update of all of them (a template change) until
 * every Deployment is complete again — wall time, store writes and peak heap for each phase.
 * `KUBELOOP_BENCH_DEPLOYMENTS` / `KUBELOOP_BENCH_REPLICAS` / `KUBELOOP_BENCH_NODES` shrink it.
 */
import { Deployments, Pods } from '@kubeloop/core';
import type { Deployment } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { advanceUntil, heapGrowth } from './harness.js';
import type { Figure } from './harness.js';

const DEPLOYMENTS = Number(process.env['KUBELOOP_BENCH_DEPLOYMENTS'] ?? 100);
const REPLICAS = Number(process.env['KUBELOOP_BENCH_REPLICAS'] ?? 100);
const NODES = Number(process.env['KUBELOOP_BENCH_NODES'] ?? 500);

function deployment(i: number, version: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `web-${i}`, namespace: 'default' },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: `web-${i}` } },
      template: {
        metadata: { labels: { app: `web-${i}` } },
        spec: {
          containers: [{ name: 'app', image: `registry.example.com/web-${i % 10}:v1`, env: [{ name: 'VERSION', value: version }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
        },
      },
    },
  };
}

/** Whether a Deployment finished rolling out its current template (what `kubectl rollout status` waits for). */
function complete(d: Deployment): boolean {
  const s = d.status;
  const replicas = d.spec.replicas ?? 1;
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === replicas &&
    (s.replicas ?? 0) === replicas &&
    (s.availableReplicas ?? 0) === replicas
  );
}

export async function figures(): Promise<Figure[]> {
  const heap = heapGrowth();
  const sample = heap.sample;

  const cluster = await SimCluster.create({ seed: 1, nodes: NODES });
  const waitAll = () =>
    advanceUntil(cluster, { stepMs: 10_000, maxSteps: 360, target: DEPLOYMENTS, onStep: sample, count: async () => (await cluster.list(Deployments)).items.filter(complete).length });

  const writes0 = Number(cluster.server.resourceVersion);
  const t0 = performance.now();
  await cluster.apply(Array.from({ length: DEPLOYMENTS }, (_, i) => deployment(i, '1')), 'bench');
  const ready = await waitAll();
  const t1 = performance.now();
  const writes1 = Number(cluster.server.resourceVersion);
  const virtual1 = cluster.now();
  const readyPods = (await cluster.list(Pods)).items.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;

  await cluster.apply(Array.from({ length: DEPLOYMENTS }, (_, i) => deployment(i, '2')), 'bench');
  const rolled = await waitAll();
  const t2 = performance.now();
  const writes2 = Number(cluster.server.resourceVersion);
  const virtual2 = cluster.now();
  await cluster.stop();

  const fleet = `${DEPLOYMENTS}×${REPLICAS} on ${NODES} nodes`;
  return [
    { name: `apply → all pods Ready (${fleet}; ${ready} complete, ${readyPods} pods Ready)`, value: (t1 - t0) / 1000, unit: 's wall' },
    { name: '  virtual time', value: virtual1 / 1000, unit: 's virtual' },
    { name: '  store writes', value: writes1 - writes0, unit: 'writes' },
    { name: `rolling update of all (${rolled} complete)`, value: (t2 - t1) / 1000, unit: 's wall' },
    { name: '  virtual time', value: (virtual2 - virtual1) / 1000, unit: 's virtual' },
    { name: '  store writes', value: writes2 - writes1, unit: 'writes' },
    { name: 'peak heap growth', value: heap.peakMiB(), unit: 'MiB' },
  ];
}
