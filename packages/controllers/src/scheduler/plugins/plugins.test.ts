/**
 * Table tests of the default plugins, pinning upstream's semantics and reason strings
 * (kubernetes pkg/scheduler/framework/plugins/<plugin>/*_test.go).
 */
import { describe, expect, it } from 'vitest';
import { ContainerSchema, type Node, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '@kubeloop/core';
import { SUCCESS, type AnyPlugin, type CycleState, type Status } from '../framework.js';
import { makeNode, makePod } from '../../testing/index.js';
import { podRequests, snapshotOf, type Snapshot } from '../nodeinfo.js';
import { imageLocality, nodeAffinity, nodeName, nodePorts, nodeUnschedulable, prioritySort, taintToleration, toleratesTaint } from './node.js';
import { insufficientResources, leastRequestedScore, nodeResourcesBalancedAllocation, nodeResourcesFit } from './resources.js';
import { interPodAffinity, podTopologySpread } from './topology.js';
import { findPodVolumes, volumeBinding } from './volume.js';

interface World {
  nodes: Node[];
  pods?: Pod[];
  pvcs?: PersistentVolumeClaim[];
  pvs?: PersistentVolume[];
  classes?: StorageClass[];
}

/** PreFilter (if any) then Filter on every node: the status per node name ('ok' for success). */
function filterAll(plugin: AnyPlugin, pod: Pod, world: World): Record<string, string> {
  const snapshot = snapshotOf({ nodes: world.nodes, pods: world.pods ?? [], pvcs: world.pvcs ?? [], pvs: world.pvs ?? [], storageClasses: world.classes ?? [] });
  const state: CycleState = new Map();
  const out: Record<string, string> = {};
  const pre: Status = plugin.preFilter ? plugin.preFilter(state, pod, snapshot) : SUCCESS;
  for (const n of snapshot.nodes) {
    if (pre.code === 'Skip') out[n.name] = 'ok';
    else if (pre.code !== 'Success') out[n.name] = `prefilter: ${pre.reasons.join(', ')}`;
    else {
      const s = plugin.filter!(state, pod, n, snapshot);
      out[n.name] = s.code === 'Success' ? 'ok' : s.reasons.join(', ');
    }
  }
  return out;
}

/** PreScore (if any), Score and NormalizeScore over every node: the final scores by node name. */
function scoreAll(plugin: AnyPlugin, pod: Pod, world: World): Record<string, number> {
  const snapshot: Snapshot = snapshotOf({ nodes: world.nodes, pods: world.pods ?? [] });
  const state: CycleState = new Map();
  if (plugin.preScore && plugin.preScore(state, pod, snapshot.nodes, snapshot).code === 'Skip') return {};
  const scores = snapshot.nodes.map((n) => plugin.score!(state, pod, n, snapshot));
  plugin.normalizeScore?.(state, pod, scores);
  return Object.fromEntries(snapshot.nodes.map((n, i) => [n.name, scores[i]!]));
}

describe('NodeResourcesFit', () => {
  it('sums container requests, takes the max with init containers and adds overhead', () => {
    const p = makePod('p', { cpu: '100m', init: [{ cpu: '500m' }], overhead: { cpu: '10m' } });
    expect(podRequests(p).get('cpu')).toBe(510);
    const q = makePod('q', { cpu: '300m', memory: '1Gi', init: [{ cpu: '200m', memory: '2Gi' }] });
    expect(podRequests(q).get('cpu')).toBe(300);
    expect(podRequests(q).get('memory')).toBe(2 * 1024 ** 3);
  });

  it.each([
    ['fits exactly', { cpu: '2' }, [{ cpu: '1' }], '1', 'ok'],
    ['one millicore too many', { cpu: '2' }, [{ cpu: '1' }], '1001m', 'Insufficient cpu'],
    ['memory is short', { memory: '1Gi' }, [{ memory: '512Mi' }], undefined, 'Insufficient memory'],
  ] as const)('%s', (_name, node, existing, cpu, want) => {
    const n = makeNode('n', { cpu: 'cpu' in node ? node.cpu : '4', memory: 'memory' in node ? node.memory : '8Gi' });
    const pods = existing.map((r, i) => makePod(`e${i}`, { nodeName: 'n', ...r }));
    const pod = makePod('p', cpu === undefined ? { memory: '600Mi' } : { cpu });
    expect(filterAll(nodeResourcesFit, pod, { nodes: [n], pods })).toEqual({ n: want });
  });

  it('counts a sidecar with the app containers: 600m + 500m does not fit a 1-CPU node (upstream PodRequests)', () => {
    const p = makePod('p', { cpu: '600m' });
    const meshed: Pod = { ...p, spec: { ...p.spec, initContainers: [ContainerSchema.parse({ name: 'proxy', image: 'proxy:1', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } })] } };
    expect(podRequests(meshed).get('cpu')).toBe(1100);
    expect(filterAll(nodeResourcesFit, meshed, { nodes: [makeNode('n', { cpu: '1' })] })).toEqual({ n: 'Insufficient cpu' });
    expect(filterAll(nodeResourcesFit, meshed, { nodes: [makeNode('n', { cpu: '1100m' })] })).toEqual({ n: 'ok' });
  });

  it('reports every insufficient resource of a node, pods first, as upstream', () => {
    const n = makeNode('n', { cpu: '1', memory: '1Gi', pods: 1 });
    const pods = [makePod('e', { nodeName: 'n', cpu: '1', memory: '1Gi' })];
    expect(filterAll(nodeResourcesFit, makePod('p', { cpu: '1', memory: '1' }), { nodes: [n], pods })).toEqual({
      n: 'Too many pods, Insufficient cpu, Insufficient memory',
    });
  });

  it('checks extended resources by name and ignores resources a pod does not request', () => {
    const n = makeNode('n', { extra: { 'example.com/gpu': '1' } });
    expect(filterAll(nodeResourcesFit, makePod('p', { requests: { 'example.com/gpu': '2' } }), { nodes: [n] })).toEqual({ n: 'Insufficient example.com/gpu' });
    const full = makeNode('full', { cpu: '1' });
    expect(filterAll(nodeResourcesFit, makePod('p'), { nodes: [full], pods: [makePod('e', { nodeName: 'full', cpu: '1' })] })).toEqual({ full: 'ok' });
  });

  it('the filter says what insufficientResources says on every combination of requests and node usage (the quick CPU/memory path included)', () => {
    const nodes = [makeNode('roomy', { cpu: '4', memory: '8Gi' }), makeNode('exact', { cpu: '1', memory: '1Gi', pods: 2 }), makeNode('over', { cpu: '1', memory: '1Gi', pods: 3 }), makeNode('gpu', { extra: { 'example.com/gpu': '1' } })];
    const pods = [
      makePod('e1', { nodeName: 'exact', cpu: '500m', memory: '512Mi' }),
      // Over-committed (a static pod the scheduler did not place): free CPU and memory are negative.
      makePod('e2', { nodeName: 'over', cpu: '2', memory: '2Gi' }),
    ];
    const snapshot = snapshotOf({ nodes, pods, pvcs: [], pvs: [], storageClasses: [] });
    for (const requests of [{}, { cpu: '500m' }, { cpu: '501m' }, { memory: '512Mi' }, { memory: '513Mi' }, { cpu: '500m', memory: '512Mi' }, { requests: { 'example.com/gpu': '1' } }, { cpu: '1m', requests: { 'example.com/gpu': '2' } }]) {
      const pod = makePod('p', requests);
      const want = Object.fromEntries(snapshot.nodes.map((n) => [n.name, insufficientResources(podRequests(pod), n).join(', ') || 'ok']));
      expect(filterAll(nodeResourcesFit, pod, { nodes, pods }), JSON.stringify(requests)).toEqual(want);
    }
  });

  it('ignores pods that finished', () => {
    const n = makeNode('n', { cpu: '1' });
    const done = { ...makePod('e', { nodeName: 'n', cpu: '1' }), status: { phase: 'Succeeded' as const } };
    expect(filterAll(nodeResourcesFit, makePod('p', { cpu: '1' }), { nodes: [n], pods: [done] })).toEqual({ n: 'ok' });
  });

  it('scores least-allocated nodes higher (worked example from the TSDoc)', () => {
    const a = makeNode('a', { cpu: '4', memory: '8Gi' });
    const b = makeNode('b', { cpu: '4', memory: '8Gi' });
    const pods = [makePod('e', { nodeName: 'b', cpu: '2', memory: '4Gi' })];
    expect(scoreAll(nodeResourcesFit, makePod('p', { cpu: '1', memory: '2Gi' }), { nodes: [a, b], pods })).toEqual({ a: 75, b: 25 });
    expect(leastRequestedScore(2000, 4000)).toBe(50);
    expect(leastRequestedScore(5000, 4000)).toBe(0);
  });

  it('counts containers without requests as 100m and 200Mi when scoring', () => {
    const a = makeNode('a', { cpu: '1', memory: '1000Mi' });
    // cpu (1000 − 100) × 100 / 1000 = 90; memory (1000 − 200) × 100 / 1000 = 80; average 85
    expect(scoreAll(nodeResourcesFit, makePod('p'), { nodes: [a] })).toEqual({ a: 85 });
  });

  it('counts sidecars and init containers without requests as 100m and 200Mi too, with the sidecar rule (upstream calculateResource)', () => {
    const a = makeNode('a', { cpu: '1', memory: '1000Mi' });
    const p = makePod('p');
    // app + sidecar without requests: 200m, 400Mi; the init container (500m, memory 200Mi by default) runs
    // before the sidecar starts, alone: max(200m, 500m) = 500m, max(400Mi, 200Mi) = 400Mi
    const init = [
      ContainerSchema.parse({ name: 'setup', image: 'init:1', resources: { requests: { cpu: '500m' } } }),
      ContainerSchema.parse({ name: 'proxy', image: 'proxy:1', restartPolicy: 'Always' }),
    ];
    const meshed: Pod = { ...p, spec: { ...p.spec, initContainers: init } };
    // cpu (1000 − 500) × 100 / 1000 = 50; memory (1000 − 400) × 100 / 1000 = 60; average 55
    expect(scoreAll(nodeResourcesFit, meshed, { nodes: [a] })).toEqual({ a: 55 });
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it('scores (1 − |f_cpu − f_mem| / 2) × 100 (worked example from the TSDoc)', () => {
    const a = makeNode('a', { cpu: '4', memory: '8Gi' });
    expect(scoreAll(nodeResourcesBalancedAllocation, makePod('p', { cpu: '1', memory: '6Gi' }), { nodes: [a] })).toEqual({ a: 75 });
  });

  it('skips pods requesting neither cpu nor memory', () => {
    expect(scoreAll(nodeResourcesBalancedAllocation, makePod('p'), { nodes: [makeNode('a')] })).toEqual({});
  });
});

describe('NodeName and NodeUnschedulable', () => {
  it('keeps a pod with spec.nodeName to that node', () => {
    const nodes = [makeNode('a'), makeNode('b')];
    expect(filterAll(nodeName, makePod('p', { nodeName: 'b' }), { nodes })).toEqual({ a: "node(s) didn't match the requested node name", b: 'ok' });
  });

  it('rejects cordoned nodes unless the pod tolerates node.kubernetes.io/unschedulable', () => {
    const nodes = [makeNode('a', { unschedulable: true }), makeNode('b')];
    expect(filterAll(nodeUnschedulable, makePod('p'), { nodes })).toEqual({ a: 'node(s) were unschedulable', b: 'ok' });
    const tolerant = makePod('t', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(filterAll(nodeUnschedulable, tolerant, { nodes })).toEqual({ a: 'ok', b: 'ok' });
  });
});

describe('NodeAffinity', () => {
  const nodes = [
    makeNode('a', { labels: { zone: 'a', gen: '3', disk: 'ssd' } }),
    makeNode('b', { labels: { zone: 'b', gen: '5' } }),
    makeNode('c', { labels: { gen: 'x' } }),
  ];
  const required = (matchExpressions: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt'; values?: string[] }[]) =>
    makePod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } } });
  const R = "node(s) didn't match Pod's node affinity/selector";

  it.each([
    ['In', [{ key: 'zone', operator: 'In', values: ['a'] }], ['ok', R, R]],
    ['NotIn matches a missing label', [{ key: 'zone', operator: 'NotIn', values: ['a'] }], [R, 'ok', 'ok']],
    ['Exists', [{ key: 'disk', operator: 'Exists' }], ['ok', R, R]],
    ['DoesNotExist', [{ key: 'zone', operator: 'DoesNotExist' }], [R, R, 'ok']],
    ['Gt needs an integer label', [{ key: 'gen', operator: 'Gt', values: ['4'] }], [R, 'ok', R]],
    ['Lt', [{ key: 'gen', operator: 'Lt', values: ['4'] }], ['ok', R, R]],
    ['requirements are ANDed', [{ key: 'zone', operator: 'Exists' }, { key: 'gen', operator: 'Gt', values: ['4'] }], [R, 'ok', R]],
  ] as const)('%s', (_name, exprs, want) => {
    expect(Object.values(filterAll(nodeAffinity, required(exprs.map((e) => ({ ...e, values: 'values' in e ? [...e.values] : undefined }))), { nodes }))).toEqual(want);
  });

  it('ORs terms and treats an empty term as matching nothing', () => {
    const pod = makePod('p', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c'] }] }] } } },
    });
    expect(Object.values(filterAll(nodeAffinity, pod, { nodes }))).toEqual([R, R, 'ok']);
  });

  it('applies nodeSelector as well', () => {
    expect(Object.values(filterAll(nodeAffinity, makePod('p', { nodeSelector: { zone: 'b' } }), { nodes }))).toEqual([R, 'ok', R]);
  });

  it('scores preferred terms by weight, normalized to the best node (worked example from the TSDoc)', () => {
    const pod = makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 80, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
            { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
          ],
        },
      },
    });
    expect(scoreAll(nodeAffinity, pod, { nodes })).toEqual({ a: 100, b: 0, c: 0 });
  });
});

describe('TaintToleration', () => {
  const nodes = [
    makeNode('a', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    makeNode('b', { taints: [{ key: 'maint', effect: 'NoExecute' }] }),
    makeNode('c', { taints: [{ key: 'soft', value: 'x', effect: 'PreferNoSchedule' }] }),
  ];

  it("rejects NoSchedule and NoExecute taints with upstream's message, not PreferNoSchedule", () => {
    expect(filterAll(taintToleration, makePod('p'), { nodes })).toEqual({
      a: 'node(s) had untolerated taint {dedicated: gpu}',
      b: 'node(s) had untolerated taint {maint: }',
      c: 'ok',
    });
  });

  it.each([
    ['Equal with the same value', { key: 'k', operator: 'Equal', value: 'v' }, true],
    ['empty operator means Equal', { key: 'k', value: 'v' }, true],
    ['Equal with another value', { key: 'k', operator: 'Equal', value: 'w' }, false],
    ['Exists ignores the value', { key: 'k', operator: 'Exists' }, true],
    ['an empty key with Exists tolerates everything', { operator: 'Exists' }, true],
    ['another effect', { key: 'k', operator: 'Exists', effect: 'NoExecute' }, false],
    ['the same effect', { key: 'k', operator: 'Exists', effect: 'NoSchedule' }, true],
  ] as const)('toleration: %s', (_name, toleration, want) => {
    expect(toleratesTaint(toleration, { key: 'k', value: 'v', effect: 'NoSchedule' })).toBe(want);
  });

  it('scores fewer untolerated PreferNoSchedule taints higher', () => {
    const soft = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `s${i}`, effect: 'PreferNoSchedule' as const }));
    const ns = [makeNode('a', { taints: soft(0) }), makeNode('b', { taints: soft(1) }), makeNode('c', { taints: soft(2) })];
    expect(scoreAll(taintToleration, makePod('p'), { nodes: ns })).toEqual({ a: 100, b: 50, c: 0 });
  });
});

describe('NodePorts', () => {
  const nodes = [makeNode('a'), makeNode('b')];
  const R = "node(s) didn't have free ports for the requested pod ports";

  it.each([
    ['same port and protocol', { hostPort: 8080 }, { hostPort: 8080 }, R],
    ['another protocol', { hostPort: 8080 }, { hostPort: 8080, protocol: 'UDP' as const }, 'ok'],
    ['different host IPs', { hostPort: 8080, hostIP: '10.0.0.1' }, { hostPort: 8080, hostIP: '10.0.0.2' }, 'ok'],
    ['0.0.0.0 against a specific IP', { hostPort: 8080 }, { hostPort: 8080, hostIP: '10.0.0.2' }, R],
    ['another port', { hostPort: 8080 }, { hostPort: 8081 }, 'ok'],
  ])('%s', (_name, used, wanted, want) => {
    const pods = [makePod('e', { nodeName: 'a', ports: [used] })];
    expect(filterAll(nodePorts, makePod('p', { ports: [wanted] }), { nodes, pods })).toEqual({ a: want, b: 'ok' });
  });
});

describe('InterPodAffinity', () => {
  const nodes = [makeNode('a', { labels: { zone: 'z1' } }), makeNode('b', { labels: { zone: 'z1' } }), makeNode('c', { labels: { zone: 'z2' } }), makeNode('d')];
  const web = (name: string, nodeName: string, ns = 'default') => makePod(name, { nodeName, labels: { app: 'web' }, namespace: ns });
  const term = (topologyKey: string, extra: { namespaces?: string[] } = {}) => ({ labelSelector: { matchLabels: { app: 'web' } }, topologyKey, ...extra });

  it('requires a matching pod in the same domain for required affinity', () => {
    const pod = makePod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('zone')] } } });
    expect(filterAll(interPodAffinity, pod, { nodes, pods: [web('w', 'a')] })).toEqual({
      a: 'ok',
      b: 'ok',
      c: "node(s) didn't match pod affinity rules",
      d: "node(s) didn't match pod affinity rules",
    });
  });

  it('counts only pods matching every required affinity term, as upstream', () => {
    const twoTerms = makePod('p', {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [term('zone'), { labelSelector: { matchLabels: { tier: 'db' } }, topologyKey: 'zone' }],
        },
      },
    });
    const db = makePod('db', { nodeName: 'c', labels: { tier: 'db' } });
    // web in z1 and db in z2 each match one term only: no node qualifies.
    expect(Object.values(filterAll(interPodAffinity, twoTerms, { nodes, pods: [web('w', 'a'), db] }))).toEqual(Array(4).fill("node(s) didn't match pod affinity rules"));
    const both = makePod('both', { nodeName: 'c', labels: { app: 'web', tier: 'db' } });
    expect(filterAll(interPodAffinity, twoTerms, { nodes, pods: [web('w', 'a'), both] }).c).toBe('ok');
  });

  it('lets the first pod of a group that matches its own affinity go anywhere with the key', () => {
    const pod = makePod('p', { labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('zone')] } } });
    expect(filterAll(interPodAffinity, pod, { nodes })).toEqual({ a: 'ok', b: 'ok', c: 'ok', d: "node(s) didn't match pod affinity rules" });
  });

  it('rejects domains with a matching pod for required anti-affinity, but not nodes without the key', () => {
    const pod = makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('zone')] } } });
    expect(filterAll(interPodAffinity, pod, { nodes, pods: [web('w', 'a')] })).toEqual({
      a: "node(s) didn't match pod anti-affinity rules",
      b: "node(s) didn't match pod anti-affinity rules",
      c: 'ok',
      d: 'ok',
    });
  });

  it("honours existing pods' anti-affinity (symmetry)", () => {
    const guard = makePod('g', { nodeName: 'c', affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('zone')] } } });
    expect(filterAll(interPodAffinity, makePod('p', { labels: { app: 'web' } }), { nodes, pods: [guard] })).toEqual({
      a: 'ok',
      b: 'ok',
      c: "node(s) didn't satisfy existing pods anti-affinity rules",
      d: 'ok',
    });
  });

  it("only counts pods in the term's namespaces (default: the pod's own)", () => {
    const pod = makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('zone')] } } });
    expect(filterAll(interPodAffinity, pod, { nodes, pods: [web('w', 'a', 'other')] })).toEqual({ a: 'ok', b: 'ok', c: 'ok', d: 'ok' });
    const wide = makePod('q', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('zone', { namespaces: ['other'] })] } } });
    expect(filterAll(interPodAffinity, wide, { nodes, pods: [web('w', 'a', 'other')] }).a).toBe("node(s) didn't match pod anti-affinity rules");
  });

  it('scores preferred affinity up and preferred anti-affinity down, min–max normalized', () => {
    const pod = makePod('p', {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('zone') }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term('kubernetes.io/hostname') }] },
      },
    });
    // zone z1 gets +10 on a and b; host a gets −5: a = 5, b = 10, c = 0, d = 0 → 50, 100, 0, 0
    expect(scoreAll(interPodAffinity, pod, { nodes, pods: [web('w', 'a')] })).toEqual({ a: 50, b: 100, c: 0, d: 0 });
  });
});

describe('PodTopologySpread', () => {
  const nodes = [makeNode('a', { labels: { zone: 'a' } }), makeNode('b', { labels: { zone: 'b' } }), makeNode('c', { labels: { zone: 'c' } }), makeNode('d')];
  const spread = (maxSkew: number, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway' = 'DoNotSchedule') => [
    { maxSkew, topologyKey: 'zone', whenUnsatisfiable, labelSelector: { matchLabels: { app: 'web' } } },
  ];
  const web = (name: string, nodeName: string) => makePod(name, { nodeName, labels: { app: 'web' } });

  it('keeps the skew within maxSkew (worked example from the TSDoc)', () => {
    const pods = [web('1', 'a'), web('2', 'a'), web('3', 'b'), web('4', 'c')];
    expect(filterAll(podTopologySpread, makePod('p', { labels: { app: 'web' }, spread: spread(1) }), { nodes, pods })).toEqual({
      a: "node(s) didn't match pod topology spread constraints",
      b: 'ok',
      c: 'ok',
      d: "node(s) didn't match pod topology spread constraints (missing required label)",
    });
  });

  it('does not count the pod itself when it does not match the selector', () => {
    const pods = [web('1', 'a')];
    expect(filterAll(podTopologySpread, makePod('p', { spread: spread(1) }), { nodes: nodes.slice(0, 3), pods })).toEqual({ a: 'ok', b: 'ok', c: 'ok' });
  });

  it('prefers domains with fewer matching pods for ScheduleAnyway', () => {
    const pods = [web('1', 'a'), web('2', 'a'), web('3', 'b')];
    const s = scoreAll(podTopologySpread, makePod('p', { labels: { app: 'web' }, spread: spread(1, 'ScheduleAnyway') }), { nodes, pods });
    expect(s.c).toBe(100);
    expect(s.a).toBeLessThan(s.b!);
    expect(s.d).toBe(0);
  });
});

describe('VolumeBinding', () => {
  const nodes = [makeNode('a', { labels: { zone: 'a' } }), makeNode('b', { labels: { zone: 'b' } })];
  const pvc = (name: string, volumeName?: string, storageClassName?: string): PersistentVolumeClaim => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default' },
    spec: { volumeMode: 'Filesystem', ...(volumeName ? { volumeName } : {}), ...(storageClassName ? { storageClassName } : {}) },
    status: { phase: volumeName ? 'Bound' : 'Pending' },
  }) as PersistentVolumeClaim;
  const pv = (name: string, zone: string): PersistentVolume =>
    ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name },
      spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: [zone] }] }] } } },
      status: { phase: 'Bound' },
    }) as PersistentVolume;

  it('sends a pod whose claim is bound to a zonal volume to that zone', () => {
    expect(filterAll(volumeBinding, makePod('p', { claims: ['data'] }), { nodes, pvcs: [pvc('data', 'pv-1')], pvs: [pv('pv-1', 'b')] })).toEqual({
      a: 'node(s) had volume node affinity conflict',
      b: 'ok',
    });
  });

  it("fails a pod with an unbound Immediate claim with upstream's PreFilter message", () => {
    expect(filterAll(volumeBinding, makePod('p', { claims: ['data'] }), { nodes, pvcs: [pvc('data')] }).a).toBe('prefilter: pod has unbound immediate PersistentVolumeClaims');
  });

  it('fails a pod whose claim does not exist', () => {
    expect(filterAll(volumeBinding, makePod('p', { claims: ['nope'] }), { nodes }).a).toBe('prefilter: persistentvolumeclaim "nope" not found');
  });

  it('lets a WaitForFirstConsumer claim go where its class may provision', () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local' }, provisioner: 'csi.example.com', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: ['a'] }] }] } as StorageClass;
    expect(filterAll(volumeBinding, makePod('p', { claims: ['data'] }), { nodes, pvcs: [pvc('data', undefined, 'local')], classes: [sc] })).toEqual({
      a: 'ok',
      b: "node(s) didn't find available persistent volumes to bind",
    });
  });
});

describe('VolumeBinding with WaitForFirstConsumer claims (upstream FindPodVolumes: static volumes first, then provisioning)', () => {
  const nodes = [makeNode('a', { labels: { zone: 'z1' } }), makeNode('b', { labels: { zone: 'z2' } }), makeNode('c', { labels: { zone: 'z2' } })];
  const CONFLICT = "node(s) didn't find available persistent volumes to bind";
  const cls = (name: string, provisioner: string, mode: 'WaitForFirstConsumer' | 'Immediate' = 'WaitForFirstConsumer', extra: Record<string, unknown> = {}) =>
    ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner, reclaimPolicy: 'Delete', volumeBindingMode: mode, ...extra }) as StorageClass;
  const classes = [cls('local', 'kubernetes.io/no-provisioner'), cls('fast', 'rancher.io/local-path'), cls('net', 'csi.example.com', 'Immediate'), cls('zonal', 'csi.example.com', 'WaitForFirstConsumer', { allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: ['z2'] }] }] })];
  const claim = (name: string, storageClassName: string, extra: { volumeName?: string; selectedNode?: string; storage?: string } = {}): PersistentVolumeClaim =>
    ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(extra.selectedNode ? { annotations: { 'volume.kubernetes.io/selected-node': extra.selectedNode } } : {}) },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: extra.storage ?? '1Gi' } }, storageClassName, volumeMode: 'Filesystem', ...(extra.volumeName ? { volumeName: extra.volumeName } : {}) },
      status: { phase: extra.volumeName ? 'Bound' : 'Pending' },
    }) as PersistentVolumeClaim;
  const local = (name: string, host: string | undefined, extra: Record<string, unknown> = {}): PersistentVolume =>
    ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'local',
        volumeMode: 'Filesystem',
        local: { path: `/mnt/${name}` },
        ...(host === undefined ? {} : { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } } }),
        ...extra,
      },
      status: { phase: 'Available' },
    }) as unknown as PersistentVolume;
  const pod = (...claims: string[]) => makePod('p', { claims });
  const cases: { name: string; claims: PersistentVolumeClaim[]; pvs?: PersistentVolume[]; want: Record<string, string> }[] = [
    { name: 'a local class without volumes fits no node', claims: [claim('data', 'local')], want: { a: CONFLICT, b: CONFLICT, c: CONFLICT } },
    { name: 'a local class fits the nodes its available volumes are pinned to', claims: [claim('data', 'local')], pvs: [local('pv-a', 'a'), local('pv-b', 'b')], want: { a: 'ok', b: 'ok', c: CONFLICT } },
    { name: 'a volume claimed by another claim is not available', claims: [claim('data', 'local')], pvs: [local('pv-a', 'a', { claimRef: { namespace: 'default', name: 'other', uid: 'x' } })], want: { a: CONFLICT, b: CONFLICT, c: CONFLICT } },
    { name: 'a volume too small is not available', claims: [claim('data', 'local', { storage: '2Gi' })], pvs: [local('pv-a', 'a')], want: { a: CONFLICT, b: CONFLICT, c: CONFLICT } },
    { name: 'two claims do not share one volume', claims: [claim('d1', 'local'), claim('d2', 'local')], pvs: [local('pv-a', 'a'), local('pv-b1', 'b'), local('pv-b2', 'b')], want: { a: CONFLICT, b: 'ok', c: CONFLICT } },
    { name: 'a class with a provisioner fits every node', claims: [claim('data', 'fast')], want: { a: 'ok', b: 'ok', c: 'ok' } },
    { name: 'allowedTopologies restrict provisioning', claims: [claim('data', 'zonal')], want: { a: CONFLICT, b: 'ok', c: 'ok' } },
    { name: 'a claim already given a node (selected-node) fits only that node', claims: [claim('data', 'fast', { selectedNode: 'b' })], want: { a: CONFLICT, b: 'ok', c: CONFLICT } },
    { name: 'a bound claim whose volume is pinned follows its volume', claims: [claim('data', 'fast', { volumeName: 'pv-c' })], pvs: [local('pv-c', 'c', { storageClassName: 'fast' })], want: { a: 'node(s) had volume node affinity conflict', b: 'node(s) had volume node affinity conflict', c: 'ok' } },
    { name: 'a bound claim whose volume is gone fits nowhere', claims: [claim('data', 'fast', { volumeName: 'gone' })], want: { a: 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)', b: 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)', c: 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)' } },
    { name: 'an unbound Immediate claim keeps the pod Pending', claims: [claim('data', 'net')], want: { a: 'prefilter: pod has unbound immediate PersistentVolumeClaims', b: 'prefilter: pod has unbound immediate PersistentVolumeClaims', c: 'prefilter: pod has unbound immediate PersistentVolumeClaims' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(filterAll(volumeBinding, pod(...c.claims.map((x) => x.metadata.name!)), { nodes, pvcs: c.claims, pvs: c.pvs ?? [], classes })).toEqual(c.want);
    });
  }

  it('plans a static binding where a volume fits and provisioning elsewhere (what PreBind writes)', () => {
    const snapshot = snapshotOf({ nodes, pvcs: [], pvs: [local('pv-a', 'a', { storageClassName: 'fast' })], storageClasses: classes });
    const data = claim('data', 'fast');
    const onA = findPodVolumes([data], nodes[0]!, snapshot);
    expect(onA.ok && onA.bindings.map((b) => [b.claim.metadata.name, b.volume.metadata.name])).toEqual([['data', 'pv-a']]);
    const onB = findPodVolumes([data], nodes[1]!, snapshot);
    expect(onB.ok && [onB.bindings.length, onB.provisions.map((p) => p.metadata.name)]).toEqual([0, ['data']]);
  });
});

describe('ImageLocality and PrioritySort', () => {
  it('scores by image size spread over nodes (worked example from the TSDoc)', () => {
    const images = [{ names: ['registry/app:1'], sizeBytes: 500 * 1024 * 1024 }];
    const nodes = ['a', 'b', 'c', 'd'].map((n) => makeNode(n, { images }));
    expect(scoreAll(imageLocality, makePod('p', { image: 'registry/app:1' }), { nodes }).a).toBe(48);
    expect(scoreAll(imageLocality, makePod('p', { image: 'other' }), { nodes }).a).toBe(0);
  });

  it('orders by priority, then by queue time', () => {
    const q = (priority: number, timestamp: number) => ({ pod: makePod('p', { priority }), key: 'k', timestamp, attempts: 0 });
    expect(prioritySort.less(q(10, 5), q(0, 1))).toBe(true);
    expect(prioritySort.less(q(0, 1), q(0, 5))).toBe(true);
    expect(prioritySort.less(q(0, 5), q(0, 1))).toBe(false);
  });
});
