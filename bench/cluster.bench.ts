/**
 * Whole-cluster benchmark (issue 3): 10,000 bare pods brought to Running on 500 fake nodes by
 * the scheduler and the kubelets of a SimCluster — wall time, store writes, and peak heap.
 */
import { Pods } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { advanceUntil, heapGrowth } from './harness.js';
import type { Figure } from './harness.js';

const NODES = 500;
const PODS = 10_000;

export async function figures(): Promise<Figure[]> {
  const heap = heapGrowth();
  const sample = heap.sample;

  const start = performance.now();
  const cluster = await SimCluster.create({ seed: 1, nodes: NODES });
  const built = performance.now();
  const pods = Array.from({ length: PODS }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: `app-${i % 50}` } },
    spec: { containers: [{ name: 'app', image: `registry.example.com/app-${i % 20}:v1`, resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  }));
  await cluster.apply(pods, 'bench');
  sample();
  // Advance in slices, sampling the heap, until every pod runs (bounded at 30 virtual minutes).
  const running = await advanceUntil(cluster, { stepMs: 10_000, maxSteps: 180, target: PODS, onStep: sample, count: async () => (await cluster.list(Pods)).items.filter((p) => p.status.phase === 'Running').length });
  const end = performance.now();
  const writes = Number(cluster.server.resourceVersion);
  const virtualSeconds = cluster.now() / 1000;
  await cluster.stop();
  return [
    { name: `cluster build (${NODES} nodes registered)`, value: (built - start) / 1000, unit: 's wall' },
    { name: `${PODS} pods to Running on ${NODES} nodes (${running} running)`, value: (end - built) / 1000, unit: 's wall' },
    { name: 'virtual time simulated', value: virtualSeconds, unit: 's virtual' },
    { name: 'store writes (resourceVersion at the end)', value: writes, unit: 'writes' },
    { name: 'peak heap growth', value: heap.peakMiB(), unit: 'MiB' },
  ];
}
