/**
 * Properties of the scheduling cycle over random small clusters, checked against a brute-force
 * oracle whose filters are written independently here: every placement satisfies resources,
 * selectors, taints, cordons, host ports, pod affinity and anti-affinity; a pod is left
 * unscheduled only if no node could take it; the message accounts for every node.
 */
import { expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  ApiServer,
  Nodes,
  PluginHost,
  Pods,
  VirtualClock,
  conflict,
  createBuiltinRegistry,
  createManager,
  faults,
  latency,
  seededRng,
  withInterceptors,
  type Node, type Pod, type Taint, type Toleration } from '@kubeloop/core';
import { builtinPlugins, defaultBinder, defaultProfile } from './defaults.js';
import { makeNode, makePod } from '../testing/index.js';
import { buildFramework, fitErrorMessage, numFeasibleNodesToFind, prioritize, scheduleOne, selectHost, type CycleState, type Framework, type Status } from './framework.js';
import { podInfo, snapshotOf, type Snapshot } from './nodeinfo.js';
import { schedulerPlugin } from './plugin.js';

const RUNS = process.env.KUBELOOP_DEEP === '1' ? 2000 : 100;

const registry = builtinPlugins();
registry.set('DefaultBinder', defaultBinder({} as never));
const framework = buildFramework(defaultProfile(), registry);

const TAINTS: Taint[] = [
  { key: 't1', value: 'x', effect: 'NoSchedule' },
  { key: 't2', effect: 'NoExecute' },
  { key: 't3', effect: 'PreferNoSchedule' },
];
const TOLERATIONS: Toleration[] = [
  { key: 't1', operator: 'Equal', value: 'x' },
  { key: 't1', operator: 'Equal', value: 'y' },
  { key: 't2', operator: 'Exists', effect: 'NoExecute' },
  { operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists' },
];

const nodeArb = fc.record({
  cpu: fc.oneof({ arbitrary: fc.integer({ min: 1000, max: 4000 }), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 1000 }), weight: 1 }),
  memMi: fc.oneof({ arbitrary: fc.integer({ min: 1024, max: 4096 }), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 1024 }), weight: 1 }),
  pods: fc.integer({ min: 0, max: 6 }),
  zone: fc.constantFrom('a', 'b', undefined),
  disk: fc.constantFrom('ssd', undefined),
  taints: fc.oneof({ arbitrary: fc.constant<Taint[]>([]), weight: 2 }, { arbitrary: fc.subarray(TAINTS), weight: 1 }),
  unschedulable: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 }),
});

const podArb = fc.record({
  cpu: fc.integer({ min: 0, max: 1500 }),
  memMi: fc.integer({ min: 0, max: 1500 }),
  app: fc.constantFrom('a', 'b'),
  zoneSelector: fc.constantFrom('a', 'b', undefined),
  ssd: fc.boolean(),
  tolerations: fc.subarray(TOLERATIONS),
  hostPort: fc.constantFrom(80, 81, undefined),
  udp: fc.boolean(),
  anti: fc.option(fc.record({ app: fc.constantFrom('a', 'b'), key: fc.constantFrom('kubernetes.io/hostname', 'zone') }), { nil: undefined }),
  affinity: fc.option(fc.record({ app: fc.constantFrom('a', 'b'), key: fc.constantFrom('kubernetes.io/hostname', 'zone') }), { nil: undefined }),
});

type NodeIn = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;
type PodIn = typeof podArb extends fc.Arbitrary<infer T> ? T : never;

function buildNode(i: number, n: NodeIn): Node {
  return makeNode(`n${i}`, {
    cpu: `${n.cpu}m`,
    memory: `${n.memMi}Mi`,
    pods: n.pods,
    labels: { ...(n.zone ? { zone: n.zone } : {}), ...(n.disk ? { disk: n.disk } : {}) },
    taints: n.taints,
    unschedulable: n.unschedulable,
  });
}

function buildPod(i: number, p: PodIn): Pod {
  const term = (t: { app: string; key: string }) => ({ labelSelector: { matchLabels: { app: t.app } }, topologyKey: t.key });
  const base = makePodBase(i, p);
  return p.anti || p.affinity ? withPodAffinity(base, p.anti && term(p.anti), p.affinity && term(p.affinity)) : base;
}

function makePodBase(i: number, p: PodIn): Pod {
  return makePod(`p${i}`, {
    ...(p.cpu > 0 ? { cpu: `${p.cpu}m` } : {}),
    ...(p.memMi > 0 ? { memory: `${p.memMi}Mi` } : {}),
    labels: { app: p.app },
    ...(p.zoneSelector ? { nodeSelector: { zone: p.zoneSelector } } : {}),
    ...(p.ssd ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } } } : {}),
    tolerations: p.tolerations,
    ...(p.hostPort ? { ports: [{ hostPort: p.hostPort, protocol: p.udp ? 'UDP' : 'TCP' }] } : {}),
  });
}

function withPodAffinity(pod: Pod, anti: object | undefined, affinity: object | undefined): Pod {
  return {
    ...pod,
    spec: {
      ...pod.spec,
      affinity: {
        ...pod.spec.affinity,
        ...(anti ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [anti as never] } } : {}),
        ...(affinity ? { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [affinity as never] } } : {}),
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The oracle: the filters again, written plainly from the Kubernetes documentation.

interface Placed {
  readonly spec: PodIn;
  readonly node: number;
}

function label(n: NodeIn, i: number, key: string): string | undefined {
  if (key === 'kubernetes.io/hostname') return `n${i}`;
  if (key === 'zone') return n.zone;
  return undefined;
}

function tolerates(ts: readonly Toleration[], taint: Taint): boolean {
  return ts.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key && t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

function oracleFits(p: PodIn, i: number, nodes: readonly NodeIn[], placed: readonly Placed[]): boolean {
  const n = nodes[i]!;
  const here = placed.filter((x) => x.node === i);
  if (here.length + 1 > n.pods) return false;
  if (p.cpu > 0 && here.reduce((s, x) => s + x.spec.cpu, 0) + p.cpu > n.cpu) return false;
  if (p.memMi > 0 && here.reduce((s, x) => s + x.spec.memMi, 0) + p.memMi > n.memMi) return false;
  if (p.zoneSelector && n.zone !== p.zoneSelector) return false;
  if (p.ssd && n.disk !== 'ssd') return false;
  if (n.unschedulable && !tolerates(p.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return false;
  for (const t of n.taints) if (t.effect !== 'PreferNoSchedule' && !tolerates(p.tolerations, t)) return false;
  if (p.hostPort && here.some((x) => x.spec.hostPort === p.hostPort && x.spec.udp === p.udp)) return false;
  const sameDomain = (key: string, j: number) => label(n, i, key) !== undefined && label(nodes[j]!, j, key) === label(n, i, key);
  if (p.anti && placed.some((x) => x.spec.app === p.anti!.app && sameDomain(p.anti!.key, x.node))) return false;
  if (placed.some((x) => x.spec.anti && x.spec.anti.app === p.app && sameDomain(x.spec.anti.key, x.node))) return false;
  if (p.affinity) {
    const ok = placed.some((x) => x.spec.app === p.affinity!.app && sameDomain(p.affinity!.key, x.node));
    // The first of a group (upstream): no matching pod sits on a node with the key, and the pod matches its own term.
    const key = p.affinity.key;
    const first = !placed.some((x) => x.spec.app === p.affinity!.app && label(nodes[x.node]!, x.node, key) !== undefined) && p.app === p.affinity.app && label(n, i, key) !== undefined;
    if (!ok && !first) return false;
  }
  return true;
}

test.prop([fc.array(nodeArb, { minLength: 1, maxLength: 6 }), fc.array(podArb, { minLength: 1, maxLength: 10 }), fc.integer()], { numRuns: RUNS })(
  'places each pod only where the oracle says it fits, and leaves it pending only when no node fits',
  (nodeIns, podIns, seed) => {
    const nodes = nodeIns.map((n, i) => buildNode(i, n));
    const snapshot = snapshotOf({ nodes });
    const cursor = { nextStartNodeIndex: 0 };
    const rng = seededRng(seed);
    const placed: Placed[] = [];
    podIns.forEach((p, k) => {
      const pod = buildPod(k, p);
      const result = scheduleOne(framework, pod, snapshot, cursor, rng);
      const fitting = nodeIns.map((_, i) => oracleFits(p, i, nodeIns, placed));
      if (result.kind === 'scheduled') {
        const i = Number(result.nodeName.slice(1));
        expect(fitting[i], `pod ${k} placed on n${i}, which the oracle rejects`).toBe(true);
        placed.push({ spec: p, node: i });
        snapshot.infos.get(result.nodeName)!.addPod(podInfo({ ...pod, spec: { ...pod.spec, nodeName: result.nodeName } }));
      } else {
        expect(result.kind).toBe('unschedulable');
        expect(fitting.some(Boolean), `pod ${k} left pending though the oracle fits it on n${fitting.indexOf(true)}`).toBe(false);
        if (result.kind !== 'unschedulable') return;
        // Every node is accounted for; the counts add up to the reasons given (one per node,
        // except NodeResourcesFit, which lists every resource a node lacks).
        expect(result.diagnosis.nodeToStatus.size).toBe(nodes.length);
        const msg = fitErrorMessage(result.numAllNodes, result.diagnosis);
        expect(msg.startsWith(`0/${nodes.length} nodes are available: `)).toBe(true);
        const counts = [...msg.split(' preemption: ')[0]!.matchAll(/(?:: |, )(\d+) /g)].map((m) => Number(m[1]));
        const reasons = [...result.diagnosis.nodeToStatus.values()].reduce((s, st) => s + st.reasons.length, 0);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(reasons);
        const single = [...result.diagnosis.nodeToStatus.values()].every((st) => st.plugin !== 'NodeResourcesFit');
        if (single) expect(reasons).toBe(nodes.length);
      }
    });
    // Never over allocatable.
    nodeIns.forEach((n, i) => {
      const here = placed.filter((x) => x.node === i);
      expect(here.length).toBeLessThanOrEqual(n.pods);
      expect(here.reduce((s, x) => s + x.spec.cpu, 0)).toBeLessThanOrEqual(n.cpu);
      expect(here.reduce((s, x) => s + x.spec.memMi, 0)).toBeLessThanOrEqual(n.memMi);
    });
  },
);

// ---------------------------------------------------------------------------------------------
// The same, end to end: the scheduler runnable on a Manager over the real ApiServer (assume,
// bind, informer lag, retries on cluster changes).

const E2E_RUNS = process.env.KUBELOOP_DEEP === '1' ? 500 : 50;

test.prop(
  [
    fc.array(nodeArb, { minLength: 1, maxLength: 5 }),
    fc.array(podArb, { minLength: 1, maxLength: 8 }),
    fc.integer({ min: 0, max: 1000 }),
    fc.boolean(),
    fc.integer({ min: 0, max: 200 }),
    fc.array(fc.boolean(), { maxLength: 6 }),
  ],
  {
    numRuns: E2E_RUNS,
    examples: [
      // Found by a deep run (seed 247052351): p2 (affinity to app a) was placed next to p0 while
      // p0 was assumed; p0's bind failed, p1 (app a) then went to the cordoned node it tolerates,
      // and p0 can no longer go anywhere but there. p2 keeps its node: IgnoredDuringExecution.
      [
        [
          { cpu: 1000, memMi: 1024, pods: 2, zone: 'a', disk: 'ssd', taints: [], unschedulable: false },
          { cpu: 1000, memMi: 1024, pods: 1, zone: 'a', disk: 'ssd', taints: [], unschedulable: true },
        ],
        [
          { cpu: 0, memMi: 0, app: 'a', zoneSelector: 'a', ssd: false, tolerations: [], hostPort: 80, udp: false, anti: undefined, affinity: { app: 'a', key: 'kubernetes.io/hostname' } },
          { cpu: 0, memMi: 0, app: 'a', zoneSelector: 'a', ssd: false, tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }], hostPort: 80, udp: false, anti: undefined, affinity: undefined },
          { cpu: 0, memMi: 0, app: 'b', zoneSelector: 'a', ssd: false, tolerations: [], hostPort: undefined, udp: false, anti: undefined, affinity: { app: 'a', key: 'kubernetes.io/hostname' } },
          { cpu: 0, memMi: 1025, app: 'a', zoneSelector: 'a', ssd: false, tolerations: [], hostPort: 80, udp: false, anti: undefined, affinity: undefined },
        ],
        0,
        true,
        0,
        [true],
      ],
      // Found by the deep run: p1 was rejected while p0 was assumed on the only zone-a node, then
      // p0's bind failed; forgetting p0 must move p1 back (upstream: like an assigned pod deletion).
      [
        [
          { cpu: 1000, memMi: 1024, pods: 1, zone: 'a', disk: 'ssd', taints: [], unschedulable: false },
          { cpu: 1000, memMi: 1024, pods: 1, zone: 'b', disk: 'ssd', taints: [], unschedulable: false },
        ],
        [
          { cpu: 0, memMi: 0, app: 'a', zoneSelector: undefined, ssd: false, tolerations: [], hostPort: 80, udp: false, anti: undefined, affinity: undefined },
          { cpu: 0, memMi: 0, app: 'a', zoneSelector: 'a', ssd: false, tolerations: [], hostPort: 80, udp: false, anti: undefined, affinity: undefined },
        ],
        503,
        false,
        51,
        [true],
      ],
    ],
  },
)(
  'through the API server, with slow and failing binds, bound pods satisfy every constraint and pending pods fit nowhere, with the condition set',
  async (nodeIns, podIns, seed, burst, bindLatencyMs, bindFailures) => {
    const clock = new VirtualClock();
    const registry = createBuiltinRegistry();
    const server = new ApiServer({ clock, rng: seededRng(seed), registry });
    const host = new PluginHost({ registry, admission: server }).use(schedulerPlugin());
    // Binds are slow (the scheduler must count the pods it assumed) and some fail (it must forget them and retry).
    const failures = [...bindFailures];
    const failedBinds = new Set<string>();
    const client = withInterceptors(
      server,
      latency(clock, (r) => (r.verb === 'bind' ? bindLatencyMs : 0)),
      faults((r) => {
        if (r.verb !== 'bind' || failures.shift() !== true) return undefined;
        failedBinds.add(r.key?.name ?? '');
        return conflict('pods', '', r.key?.name ?? '', 'injected');
      }),
    );
    const manager = createManager({ client, clock, rng: seededRng(seed + 1), registry: server.registry });
    host.attach(manager);
    await manager.start();
    for (const [i, n] of nodeIns.entries()) {
      const node = buildNode(i, n);
      const created = await server.create(Nodes, { ...node, status: {} });
      await server.updateStatus(Nodes, { ...created, status: node.status });
    }
    for (const [k, p] of podIns.entries()) {
      const pod = buildPod(k, p);
      await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata.name!, namespace: 'default', labels: pod.metadata.labels! }, spec: pod.spec });
      // In a burst the scheduler decides before the informer has seen earlier bindings.
      if (!burst) await clock.advance(50);
    }
    await clock.advance(120_000); // past every backoff (six failed binds back off 1+2+4+8+10+10 s)
    const live = (await server.list(Pods, { namespace: 'default' })).items;
    await manager.stop();
    const byName = new Map(live.map((p) => [p.metadata.name!, p]));
    const placed: Placed[] = [];
    podIns.forEach((p, k) => {
      const nodeName = byName.get(`p${k}`)!.spec.nodeName;
      if (nodeName !== undefined) placed.push({ spec: p, node: Number(nodeName.slice(1)) });
    });
    placed.forEach((x, j) => {
      const others = placed.filter((_, o) => o !== j);
      const withoutAffinity = { ...x.spec, affinity: undefined };
      // Every hard constraint holds against the final placement (affinity checked separately).
      expect(oracleFits(withoutAffinity, x.node, nodeIns, others), `p${podIns.indexOf(x.spec)} on n${x.node}`).toBe(true);
      if (x.spec.affinity) {
        const { app, key } = x.spec.affinity;
        const v = label(nodeIns[x.node]!, x.node, key);
        expect(v).not.toBeUndefined();
        // Required affinity is IgnoredDuringExecution (upstream): a pod placed next to an assumed
        // pod whose bind then failed keeps its node even if that pod lands elsewhere or nowhere
        // (found by a deep run, seed 247052351). Otherwise a matching pod shares its domain.
        const partnerBindFailed = podIns.some((y, k) => y.app === app && failedBinds.has(`p${k}`));
        expect(partnerBindFailed || placed.some((y) => y.spec.app === app && label(nodeIns[y.node]!, y.node, key) === v)).toBe(true);
      }
    });
    podIns.forEach((p, k) => {
      const pod = byName.get(`p${k}`)!;
      if (pod.spec.nodeName !== undefined) return;
      expect(nodeIns.some((_, i) => oracleFits(p, i, nodeIns, placed)), `p${k} pending though it fits`).toBe(false);
      const cond = pod.status.conditions?.find((c) => c.type === 'PodScheduled');
      expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      expect(cond!.message!.startsWith(`0/${nodeIns.length} nodes are available`)).toBe(true);
    });
  },
);

// ---------------------------------------------------------------------------------------------
// The hot loop against upstream's walk: the cycle runs each filter over a chunk of nodes and
// the plugins' batch forms (`filterNodes`, `scoreNodes`); upstream checks node after node. Over
// clusters of more than 100 nodes (so only some are checked), a walk written here node by node
// with each plugin's one-node `filter` and `score` must visit the same nodes, find the same
// feasible ones, record the same first failure per node in the same order, and pick the same
// node with the same seed.

const BATCH_RUNS = process.env.KUBELOOP_DEEP === '1' ? 300 : 25;

interface Walk {
  readonly feasible: readonly string[];
  readonly failed: readonly (readonly [string, Status])[];
  readonly visited: number;
  readonly chosen?: string;
}

/** Upstream's node-by-node walk with one-node plugin calls; `undefined` when a PreFilter rejects the pod. */
function walkNodeByNode(fw: Framework, pod: Pod, snapshot: Snapshot, start: number, seed: number): Walk | undefined {
  const state: CycleState = new Map();
  const skipped = new Set<string>();
  for (const p of fw.preFilter) {
    const st = p.preFilter(state, pod, snapshot);
    if (st.code === 'Skip') skipped.add(p.name);
    else if (st.code !== 'Success') return undefined;
  }
  const nodes = snapshot.nodes;
  const want = numFeasibleNodesToFind(0, nodes.length);
  const feasible: (typeof nodes)[number][] = [];
  const failed: [string, Status][] = [];
  let visited = 0;
  for (let i = 0; i < nodes.length && feasible.length < want; i++) {
    const node = nodes[(start + i) % nodes.length]!;
    visited++;
    const failure = fw.filter.filter((f) => !skipped.has(f.name)).map((f) => ({ f, st: f.filter(state, pod, node, snapshot) })).find((x) => x.st.code !== 'Success');
    if (failure === undefined) feasible.push(node);
    else failed.push([node.name, { ...failure.st, plugin: failure.f.name }]);
  }
  const walk = { feasible: feasible.map((n) => n.name), failed, visited };
  if (feasible.length <= 1) return { ...walk, ...(feasible.length === 1 ? { chosen: feasible[0]!.name } : {}) };
  // Scores through each plugin's one-node `score` only.
  const oneByOne: Framework = { ...fw, score: fw.score.map(({ plugin, weight }) => ({ plugin: { name: plugin.name, score: plugin.score.bind(plugin), ...(plugin.normalizeScore ? { normalizeScore: plugin.normalizeScore.bind(plugin) } : {}) }, weight })) };
  const totals = prioritize(oneByOne, state, pod, feasible, snapshot);
  return { ...walk, chosen: feasible[selectHost(totals, seededRng(seed))]!.name };
}

test.prop([fc.array(nodeArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 101, max: 160 }), fc.array(podArb, { minLength: 1, maxLength: 12 }), fc.nat(), fc.integer()], { numRuns: BATCH_RUNS })(
  'the chunked walk and the batch filters and scores decide as upstream’s node-by-node walk',
  (templates, count, podIns, start, seed) => {
    const nodes = Array.from({ length: count }, (_, i) => {
      const n = buildNode(i, templates[i % templates.length]!);
      // Every third node already has the pods' image, so ImageLocality scores differ.
      return i % 3 === 0 ? { ...n, status: { ...n.status, images: [{ names: ['app:1'], sizeBytes: 300 * 2 ** 20 }] } } : n;
    });
    const snapshot = snapshotOf({ nodes });
    const cursor = { nextStartNodeIndex: start % count };
    podIns.forEach((p, k) => {
      const pod = buildPod(k, p);
      const from = cursor.nextStartNodeIndex;
      const expected = walkNodeByNode(framework, pod, snapshot, from, seed + k);
      const result = scheduleOne(framework, pod, snapshot, cursor, seededRng(seed + k));
      if (expected === undefined) {
        expect(result.kind).toBe('unschedulable');
        return;
      }
      if (expected.chosen === undefined) {
        expect(result.kind).toBe('unschedulable');
        if (result.kind === 'unschedulable') expect([...result.diagnosis.nodeToStatus]).toEqual(expected.failed);
        return;
      }
      expect(result).toMatchObject({ kind: 'scheduled', nodeName: expected.chosen, evaluatedNodes: expected.visited, feasibleNodes: expected.feasible.length });
      expect(cursor.nextStartNodeIndex).toBe((from + expected.visited) % count);
      snapshot.infos.get(expected.chosen)!.addPod(podInfo({ ...pod, spec: { ...pod.spec, nodeName: expected.chosen } }));
    });
  },
);
