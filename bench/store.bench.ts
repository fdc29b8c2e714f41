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

export async function figures(): Promise<Figure[]> {
  const out: Figure[] = [];

  // Writes/s: creates then updates of ConfigMaps with 10 watchers attached (each watcher sees
  // every event: this measures the write path plus a 10-way fan-out).
  {
    const server = newServer();
    const subs = Array.from({ length: 10 }, () => server.watch(ConfigMaps, { resourceVersion: server.resourceVersion }).subscribe(() => {}));
    const n = 100_000;
    const start = performance.now();
    const created: ConfigMap[] = [];
    for (let i = 0; i < n; i++) {
      created.push(await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { k: 'v' } }));
    }
    for (let i = 0; i < n; i++) {
      const c = created[i]!;
      await server.update(ConfigMaps, { ...c, data: { k: 'w' } });
    }
    const secs = (performance.now() - start) / 1000;
    subs.forEach((s) => s.unsubscribe());
    out.push({ name: 'store writes/s (ConfigMap create+update, 10 watchers)', value: (2 * n) / secs, unit: 'writes/s' });
  }

  // Same with 2 KB pods (the schema with the most defaulting and validation).
  {
    const server = newServer();
    const subs = Array.from({ length: 10 }, () => server.watch(Pods, { resourceVersion: server.resourceVersion }).subscribe(() => {}));
    const n = 20_000;
    const start = performance.now();
    const created: Pod[] = [];
    for (let i = 0; i < n; i++) created.push(await server.create(Pods, pod(i)));
    for (let i = 0; i < n; i++) {
      const p = created[i]!;
      await server.update(Pods, { ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, rev: '2' } } });
    }
    const secs = (performance.now() - start) / 1000;
    subs.forEach((s) => s.unsubscribe());
    out.push({ name: 'store writes/s (2 KB Pod create+update, 10 watchers)', value: (2 * n) / secs, unit: 'writes/s' });
  }

  // Heap per stored pod: 20k pods, history kept small so it does not count twice.
  {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(2), registry: createBuiltinRegistry(), historySize: 1 });
    const n = 20_000;
    for (let i = 0; i < n; i++) await server.create(Pods, pod(i));
    gc?.();
    const after = process.memoryUsage().heapUsed;
    const json = JSON.stringify(await server.get(Pods, { namespace: 'default', name: pod(0).metadata.name! })).length;
    out.push({ name: `heap bytes per stored pod (${json} bytes of JSON)`, value: (after - before) / n, unit: 'bytes' });
    if (!gc) out.push({ name: '(run with --expose-gc for a stable heap figure)', value: 0, unit: '' });
    void server;
  }
  return out;
}
