/**
 * Scheduler benchmarks on 5,000 nodes. Upstream's scheduler_perf `SchedulingBasic` (5,000
 * nodes) expects at least 270 pods/s.
 *
 * - the scheduling cycle alone: filter + score + assume over a snapshot (no API server);
 * - the same with required pod anti-affinity per hostname (upstream `SchedulingPodAntiAffinity`);
 * - end to end: pods created in the ApiServer, scheduled and bound by the scheduler runnable
 *   on a Manager, on a virtual clock (wall time until every pod is bound).
 */
import { ApiServer, Nodes, NodeSchema, PluginHost, PodSchema, Pods, VirtualClock, createBuiltinRegistry, createManager, seededRng, type Node, type Pod } from '@kubeloop/core';
import { buildFramework, builtinPlugins, defaultBinder, defaultProfile, podInfo, scheduleOne, schedulerPlugin, snapshotOf } from '@kubeloop/controllers';
import type { Figure } from './harness.js';

const NODES = 5_000;

function node(i: number): Node {
  return NodeSchema.parse({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
    status: { allocatable: { cpu: '4', memory: '32Gi', pods: '110' }, capacity: { cpu: '4', memory: '32Gi', pods: '110' } },
  });
}

function pod(i: number, antiAffinity = false): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: antiAffinity ? 'spread' : 'basic' } },
    spec: {
      containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }],
      ...(antiAffinity
        ? {
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'spread' } }, topologyKey: 'kubernetes.io/hostname' }],
              },
            },
          }
        : {}),
    },
  });
}

/** Pods per second of the pure cycle (scheduleOne + assume) for `n` pods over a fresh snapshot. */
function cyclePodsPerSecond(n: number, antiAffinity: boolean): number {
  const registry = builtinPlugins();
  registry.set('DefaultBinder', defaultBinder({} as never));
  const fw = buildFramework(defaultProfile(), registry);
  const snapshot = snapshotOf({ nodes: Array.from({ length: NODES }, (_, i) => node(i)) });
  const pods = Array.from({ length: n }, (_, i) => pod(i, antiAffinity));
  const cursor = { nextStartNodeIndex: 0 };
  const rng = seededRng(1);
  const start = performance.now();
  for (const p of pods) {
    const r = scheduleOne(fw, p, snapshot, cursor, rng);
    if (r.kind !== 'scheduled') throw new Error(`pod ${p.metadata.name} not scheduled: ${r.kind}`);
    snapshot.infos.get(r.nodeName)!.addPod(podInfo({ ...p, spec: { ...p.spec, nodeName: r.nodeName } }));
  }
  return n / ((performance.now() - start) / 1000);
}

/** Pods per second end to end: create `n` pods, advance the virtual clock until all are bound. */
async function endToEndPodsPerSecond(n: number): Promise<number> {
  const clock = new VirtualClock();
  const registry = createBuiltinRegistry();
  const server = new ApiServer({ clock, rng: seededRng(1), registry, historySize: 50_000 });
  for (let i = 0; i < NODES; i++) {
    const { status, ...rest } = node(i);
    const created = await server.create(Nodes, rest);
    await server.updateStatus(Nodes, { ...created, status });
  }
  const host = new PluginHost({ registry, admission: server }).use(schedulerPlugin());
  const manager = createManager({ client: server, clock, rng: seededRng(2), registry: server.registry });
  host.attach(manager);
  await manager.start();
  await clock.advance(100);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const p = pod(i);
    await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: p.metadata, spec: p.spec });
  }
  let bound = 0;
  for (let round = 0; round < 10_000 && bound < n; round++) {
    await clock.advance(10);
    bound = (await server.list(Pods, { namespace: 'default', fieldSelector: 'spec.nodeName!=' })).items.length;
  }
  const secs = (performance.now() - start) / 1000;
  await manager.stop();
  if (bound < n) throw new Error(`only ${bound}/${n} pods bound`);
  return n / secs;
}

export async function figures(): Promise<Figure[]> {
  cyclePodsPerSecond(200, false); // warm-up
  return [
    { name: 'scheduler cycle pods/s (5,000 nodes, filter+score+assume)', value: cyclePodsPerSecond(5_000, false), unit: 'pods/s' },
    { name: 'scheduler cycle pods/s (5,000 nodes, hostname anti-affinity)', value: cyclePodsPerSecond(1_000, true), unit: 'pods/s' },
    { name: 'scheduler end to end pods/s (5,000 nodes, ApiServer+bind)', value: await endToEndPodsPerSecond(2_000), unit: 'pods/s' },
  ];
}
