/**
 * One size of the scale benchmark, in its own process (run by `scale.bench.ts`):
 * `node --import tsx bench/scale-run.ts <nodes> <pods> <pods|deployments>`. Builds a cluster of
 * `nodes` fake nodes, applies `pods` bare pods (or Deployments of 50 replicas adding up to
 * `pods`), advances virtual time until every pod is Running, prints progress lines on stderr
 * and one JSON line of figures on stdout.
 */
import { Pods } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

const NODES = Number(process.argv[2]);
const PODS = Number(process.argv[3]);
const MODE = process.argv[4] === 'deployments' ? 'deployments' : 'pods';
const REPLICAS = 50;

function manifests(): object[] {
  const resources = { requests: { cpu: '10m', memory: '16Mi' } };
  if (MODE === 'pods') {
    return Array.from({ length: PODS }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: `app-${i % 50}` } },
      spec: { containers: [{ name: 'app', image: `registry.example.com/app-${i % 20}:v1`, resources }] },
    }));
  }
  return Array.from({ length: Math.ceil(PODS / REPLICAS) }, (_, i) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `web-${i}`, namespace: 'default' },
    spec: {
      replicas: Math.min(REPLICAS, PODS - i * REPLICAS),
      selector: { matchLabels: { app: `web-${i}` } },
      template: { metadata: { labels: { app: `web-${i}` } }, spec: { containers: [{ name: 'app', image: `registry.example.com/web-${i % 20}:v1`, resources }] } },
    },
  }));
}

const progress = (text: string): void => void process.stderr.write(`  [${MODE} ${NODES}/${PODS}] ${text}\n`);

const t0 = performance.now();
const cpu0 = process.cpuUsage();
// A scale run keeps no trace (a trace in memory holds every version of every object) and lets
// one instant see every write of the apply.
const cluster = await SimCluster.create({ seed: 1, nodes: NODES, trace: 'none', maxWritesPerInstant: 50 * PODS });
const built = performance.now();
progress(`${NODES} nodes registered in ${((built - t0) / 1000).toFixed(1)} s`);
const writes0 = Number(cluster.server.resourceVersion);
// Applied in slices of about 10,000 pods, all at the same virtual instant, so a long apply
// (where most of the work happens: the scheduler and kubelets run as the pods arrive) shows
// progress.
const all = manifests();
const slice = MODE === 'pods' ? 10_000 : 10_000 / REPLICAS;
for (let i = 0; i < all.length; i += slice) {
  await cluster.apply(all.slice(i, i + slice), 'bench');
  if (i + slice < all.length) progress(`applied ${Math.min(i + slice, all.length)} of ${all.length} ${MODE}, ${((performance.now() - built) / 1000).toFixed(1)} s wall, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
}
progress(`applied in ${((performance.now() - built) / 1000).toFixed(1)} s wall`);
let running = 0;
for (let step = 0; step < 120 && running < PODS; step++) {
  await cluster.advance(5_000);
  running = 0;
  for (const p of (await cluster.list(Pods)).items) if (p.status.phase === 'Running') running++;
  progress(`virtual ${(cluster.now() / 1000).toFixed(0)} s: ${running} running, ${((performance.now() - built) / 1000).toFixed(1)} s wall, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
}
const end = performance.now();
const cpu = process.cpuUsage(cpu0);
const writes = Number(cluster.server.resourceVersion) - writes0;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
// What the cluster holds once it is all Running, after a full collection (the peak RSS also
// counts garbage the collector had not reclaimed yet). Needs `--expose-gc`.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const liveHeapMiB = gc === undefined ? undefined : process.memoryUsage().heapUsed / 2 ** 20;
await cluster.stop();
process.stdout.write(
  `${JSON.stringify({ mode: MODE, nodes: NODES, pods: PODS, running, buildS: (built - t0) / 1000, toRunningS: (end - built) / 1000, cpuS: (cpu.user + cpu.system) / 1e6, writes, writesPerPod: writes / PODS, peakRssMiB, liveHeapMiB })}\n`,
);
