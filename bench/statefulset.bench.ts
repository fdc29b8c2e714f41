/**
 * StatefulSet fleet benchmark (issue 17): 100 StatefulSets × 10 replicas, each pod with its own
 * claim (a volumeClaimTemplate provisioned through the default StorageClass), on 100 fake nodes,
 * from apply to every pod Ready, then a rolling update of all of them (a template change) until
 * every set has rolled to its new revision — wall time, store writes and peak heap for each
 * phase. `KUBELOOP_BENCH_STATEFULSETS` / `KUBELOOP_BENCH_STS_REPLICAS` / `KUBELOOP_BENCH_STS_NODES`
 * shrink it.
 */
import { PersistentVolumeClaims, Pods, StatefulSets } from '@kubeloop/core';
import type { StatefulSet } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { advanceUntil, heapGrowth } from './harness.js';
import type { Figure } from './harness.js';

const SETS = Number(process.env['KUBELOOP_BENCH_STATEFULSETS'] ?? 100);
const REPLICAS = Number(process.env['KUBELOOP_BENCH_STS_REPLICAS'] ?? 10);
const NODES = Number(process.env['KUBELOOP_BENCH_STS_NODES'] ?? 100);

function statefulSet(i: number, version: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `db-${i}`, namespace: 'default' },
    spec: {
      replicas: REPLICAS,
      serviceName: `db-${i}`,
      selector: { matchLabels: { app: `db-${i}` } },
      template: {
        metadata: { labels: { app: `db-${i}` } },
        spec: {
          containers: [
            {
              name: 'db',
              image: `registry.example.com/db-${i % 10}:v1`,
              env: [{ name: 'VERSION', value: version }],
              resources: { requests: { cpu: '10m', memory: '16Mi' } },
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/db' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
}

/** Whether a StatefulSet finished rolling out its current template (what `kubectl rollout status` waits for). */
function complete(s: StatefulSet): boolean {
  const st = s.status;
  return (
    (st.observedGeneration ?? 0) >= (s.metadata.generation ?? 0) &&
    (st.readyReplicas ?? 0) === s.spec.replicas &&
    (st.updatedReplicas ?? 0) === s.spec.replicas &&
    st.currentRevision !== undefined &&
    st.currentRevision === st.updateRevision
  );
}

export async function figures(): Promise<Figure[]> {
  const heap = heapGrowth();
  const sample = heap.sample;

  const cluster = await SimCluster.create({ seed: 1, nodes: NODES });
  const waitAll = () =>
    advanceUntil(cluster, { stepMs: 10_000, maxSteps: 720, target: SETS, onStep: sample, count: async () => (await cluster.list(StatefulSets)).items.filter(complete).length });

  const writes0 = Number(cluster.server.resourceVersion);
  const t0 = performance.now();
  await cluster.apply(Array.from({ length: SETS }, (_, i) => statefulSet(i, '1')), 'bench');
  const ready = await waitAll();
  const t1 = performance.now();
  const writes1 = Number(cluster.server.resourceVersion);
  const virtual1 = cluster.now();
  const readyPods = (await cluster.list(Pods)).items.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  const boundClaims = (await cluster.list(PersistentVolumeClaims)).items.filter((c) => c.status.phase === 'Bound').length;

  await cluster.apply(Array.from({ length: SETS }, (_, i) => statefulSet(i, '2')), 'bench');
  const rolled = await waitAll();
  const t2 = performance.now();
  const writes2 = Number(cluster.server.resourceVersion);
  const virtual2 = cluster.now();
  await cluster.stop();

  const fleet = `${SETS}×${REPLICAS} with claims on ${NODES} nodes`;
  return [
    { name: `apply → all pods Ready (${fleet}; ${ready} sets ready, ${readyPods} pods Ready, ${boundClaims} claims Bound)`, value: (t1 - t0) / 1000, unit: 's wall' },
    { name: '  virtual time', value: virtual1 / 1000, unit: 's virtual' },
    { name: '  store writes', value: writes1 - writes0, unit: 'writes' },
    { name: `rolling update of all (${rolled} sets rolled)`, value: (t2 - t1) / 1000, unit: 's wall' },
    { name: '  virtual time', value: (virtual2 - virtual1) / 1000, unit: 's virtual' },
    { name: '  store writes', value: writes2 - writes1, unit: 'writes' },
    { name: 'peak heap growth', value: heap.peakMiB(), unit: 'MiB' },
  ];
}
