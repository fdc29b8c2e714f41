/**
 * Batch benchmark (issue 18): 1,000 Jobs of 10 completions each (parallelism 5) on 100 fake
 * nodes, from apply until every Job is Complete — wall time, virtual time, store writes and peak
 * heap. Each pod runs 5 s (`kubeloop.dev/behavior: complete-after=5s`).
 * `KUBELOOP_BENCH_JOBS` / `KUBELOOP_BENCH_COMPLETIONS` / `KUBELOOP_BENCH_NODES` shrink it.
 */
import { Jobs, Pods } from '@kubeloop/core';
import type { Job } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { advanceUntil, heapGrowth } from './harness.js';
import type { Figure } from './harness.js';

const JOBS = Number(process.env['KUBELOOP_BENCH_JOBS'] ?? 1000);
const COMPLETIONS = Number(process.env['KUBELOOP_BENCH_COMPLETIONS'] ?? 10);
const PARALLELISM = 5;
const NODES = Number(process.env['KUBELOOP_BENCH_NODES'] ?? 100);

function job(i: number): object {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `batch-${i}`, namespace: 'default' },
    spec: {
      completions: COMPLETIONS,
      parallelism: PARALLELISM,
      template: {
        metadata: { annotations: { 'kubeloop.dev/behavior': 'complete-after=5s' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: `registry.example.com/batch-${i % 10}:v1`, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
}

const complete = (j: Job) => (j.status.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');

export async function figures(): Promise<Figure[]> {
  const heap = heapGrowth();
  const sample = heap.sample;

  const cluster = await SimCluster.create({ seed: 1, nodes: NODES });
  const writes0 = Number(cluster.server.resourceVersion);
  const t0 = performance.now();
  await cluster.apply(Array.from({ length: JOBS }, (_, i) => job(i)), 'bench');
  const done = await advanceUntil(cluster, { stepMs: 5_000, maxSteps: 720, target: JOBS, onStep: sample, count: async () => (await cluster.list(Jobs)).items.filter(complete).length });
  const t1 = performance.now();
  const writes1 = Number(cluster.server.resourceVersion);
  const virtual = cluster.now();
  const pods = (await cluster.list(Pods)).items.length;
  const succeeded = (await cluster.list(Jobs)).items.reduce((n, j) => n + (j.status.succeeded ?? 0), 0);
  await cluster.stop();

  return [
    { name: `apply → all Complete (${JOBS} Jobs × ${COMPLETIONS}, parallelism ${PARALLELISM}, ${NODES} nodes; ${done} Complete, ${succeeded} pods counted, ${pods} pods)`, value: (t1 - t0) / 1000, unit: 's wall' },
    { name: '  virtual time', value: virtual / 1000, unit: 's virtual' },
    { name: '  store writes', value: writes1 - writes0, unit: 'writes' },
    { name: 'peak heap growth', value: heap.peakMiB(), unit: 'MiB' },
  ];
}
