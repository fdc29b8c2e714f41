/**
 * Store benchmarks: write throughput with watchers attached, and heap per stored pod.
 * DESIGN.md target: ≥ 200k store writes/s on one core.
 */
import { ApiServer, ConfigMaps, Pods, VirtualClock, createBuiltinRegistry, seededRng, type ConfigMap, type InputOf, type Pod } from '@kubeloop/core';
import type { Figure } from './harness.js';

function newServer(): ApiServer {
  return new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: createBuiltinRegistry(), historySize: 10_000 });
}

/** A pod of about 2 KB of JSON, like a small Deployment's pod. */
function pod(i: number): InputOf<typeof Pods> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-7d4b9c8f6-${i.toString(36).padStart(5, '0')}`,
      namespace: 'default',
      labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6', tier: 'frontend' },
      annotations: { 'kubeloop.dev/note': 'x'.repeat(600) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c8f6', uid: '6f1c1f2e-8a55-4d3b-9a61-2d6c2f1b7e10', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'MODE', value: 'production' },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 5 },
        },
      ],
    },
  };
}

/** Creates `n` objects then updates each once, with 10 watchers; returns writes/s. */
async function writesPerSecond(kind: 'configmaps' | 'pods', n: number): Promise<number> {
  const server = newServer();
  const from = { resourceVersion: server.resourceVersion };
  const subs = Array.from({ length: 10 }, () =>
    kind === 'pods' ? server.watch(Pods, from).subscribe(() => {}) : server.watch(ConfigMaps, from).subscribe(() => {}),
  );
  const start = performance.now();
  if (kind === 'pods') {
    const created: Pod[] = [];
    for (let i = 0; i < n; i++) created.push(await server.create(Pods, pod(i)));
    for (const p of created) await server.update(Pods, { ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, rev: '2' } } });
  } else {
    const created: ConfigMap[] = [];
    for (let i = 0; i < n; i++) {
      created.push(await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { k: 'v' } }));
    }
    for (const c of created) await server.update(ConfigMaps, { ...c, data: { k: 'w' } });
  }
  const secs = (performance.now() - start) / 1000;
  subs.forEach((s) => s.unsubscribe());
  return (2 * n) / secs;
}

/** Heap growth per stored pod over `n` pods (history of 1, so changes are not counted twice). */
async function heapPerPod(n: number): Promise<{ bytes: number; json: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (pnpm bench does)');
  gc();
  const before = process.memoryUsage().heapUsed;
  const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(2), registry: createBuiltinRegistry(), historySize: 1 });
  for (let i = 0; i < n; i++) await server.create(Pods, pod(i));
  gc();
  const after = process.memoryUsage().heapUsed;
  const json = JSON.stringify(await server.get(Pods, { namespace: 'default', name: pod(0).metadata.name! })).length;
  return { bytes: (after - before) / n, json };
}

export async function figures(): Promise<Figure[]> {
  const heap = await heapPerPod(20_000);
  return [
    { name: 'store writes/s (ConfigMap create+update, 10 watchers)', value: await writesPerSecond('configmaps', 100_000), unit: 'writes/s' },
    { name: 'store writes/s (2 KB Pod create+update, 10 watchers)', value: await writesPerSecond('pods', 20_000), unit: 'writes/s' },
    { name: `heap bytes per stored pod (${heap.json} bytes of JSON)`, value: heap.bytes, unit: 'bytes' },
  ];
}
