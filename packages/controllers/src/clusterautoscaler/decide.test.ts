/**
 * The Cluster Autoscaler's decisions by table: scale-up planning with binpacking on group
 * templates (upstream `core/scaleup`, `estimator/binpacking_estimator.go`), the expanders
 * (`expander/waste`, `mostpods`, `priority`, `random`), the drainability rules
 * (`simulator/drainability/rules`) and the unneeded-node search.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@kubeloop/core';
import type { Pod, PodDisruptionBudget } from '@kubeloop/core';
import { makeNode, makePod } from '../testing/fixtures.js';
import { MAX_LIMIT_REACHED_REASON, bestOptions, chooseOption, findUnneededNodes, nodeUtilization, parsePriorities, planScaleUp, podDrainability, reasonsMessage, wastedScore } from './decide.js';
import type { GroupView, ScaleUpOption } from './decide.js';
import { ClusterSimulation } from './simulator.js';

const group = (id: string, o: { cpu?: string; memory?: string; max?: number; min?: number; target?: number; labels?: Record<string, string> } = {}): GroupView => ({
  id,
  minSize: o.min ?? 0,
  maxSize: o.max ?? 5,
  targetSize: o.target ?? 0,
  template: makeNode(`template-node-for-${id}`, { cpu: o.cpu ?? '2', memory: o.memory ?? '8Gi', ...(o.labels ? { labels: o.labels } : {}) }),
});

const owned = (p: Pod, kind = 'ReplicaSet'): Pod => ({ ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind, name: 'rs', uid: 'rs-uid', controller: true }] } });

describe('planScaleUp', () => {
  it('binpacks the pending pods first-fit onto new template nodes: 1500m, 1500m, 400m on 2-cpu nodes need two', () => {
    const sim = new ClusterSimulation({ nodes: [makeNode('full', { cpu: '1' })], pods: [makePod('x', { cpu: '1', nodeName: 'full' })] });
    const pending = [makePod('a', { cpu: '1500m' }), makePod('b', { cpu: '1500m' }), makePod('c', { cpu: '400m' })];
    const plan = planScaleUp(sim, pending, [group('pool')], new Map());
    expect(plan.options.map((o) => [o.group.id, o.nodeCount, o.pods.map((p) => p.metadata.name)])).toEqual([['pool', 2, ['a', 'b', 'c']]]);
    expect(plan.remain).toEqual([]);
  });

  it('caps the new nodes at maxSize − targetSize and reports the pods left out as max node group size reached', () => {
    const sim = new ClusterSimulation({ nodes: [], pods: [] });
    const pending = [makePod('a', { cpu: '1500m' }), makePod('b', { cpu: '1500m' })];
    const plan = planScaleUp(sim, pending, [group('pool', { max: 2, target: 1 })], new Map([['pool', 1]]));
    expect(plan.options[0]!.nodeCount).toBe(1);
    expect(plan.remain.map((r) => [r.pod.metadata.name, reasonsMessage(r)])).toEqual([['b', `1 ${MAX_LIMIT_REACHED_REASON}`]]);
  });

  it('counts booting machines: a pod that fits on one waits for it instead of triggering another scale-up', () => {
    const sim = new ClusterSimulation({ nodes: [], pods: [] });
    const plan = planScaleUp(sim, [makePod('a', { cpu: '1' })], [group('pool', { target: 1 })], new Map());
    expect(plan.options).toEqual([]);
    expect(plan.schedulable.map((p) => p.metadata.name)).toEqual(['a']);
  });

  it('gives no option from a group with a skip reason (back-off) and names the reason, upstream IsNodeGroupReadyToScaleUp', () => {
    const sim = new ClusterSimulation({ nodes: [], pods: [] });
    const plan = planScaleUp(sim, [makePod('a', { cpu: '1' })], [{ ...group('pool'), skipReason: 'in backoff after failed scale-up' }, group('spare')], new Map());
    expect(plan.options.map((o) => o.group.id)).toEqual(['spare']);
    const alone = planScaleUp(new ClusterSimulation({ nodes: [], pods: [] }), [makePod('a', { cpu: '1' })], [{ ...group('pool'), skipReason: 'in backoff after failed scale-up' }], new Map());
    expect(alone.remain.map(reasonsMessage)).toEqual(['1 in backoff after failed scale-up']);
  });

  it("gives each group's filter reasons for a pod no template can hold", () => {
    const sim = new ClusterSimulation({ nodes: [], pods: [] });
    const pod = makePod('gpu', { cpu: '1', nodeSelector: { accelerator: 'gpu' } });
    const plan = planScaleUp(sim, [pod, makePod('huge', { cpu: '64' })], [group('a'), group('b', { max: 0 })], new Map());
    expect(plan.remain.map(reasonsMessage)).toEqual([
      "1 node(s) didn't match Pod's node affinity/selector, 1 max node group size reached",
      '1 Insufficient cpu, 1 max node group size reached',
    ]);
  });
});

describe('expanders', () => {
  const option = (id: string, nodeCount: number, cpu: string, pods: Pod[]): ScaleUpOption => ({ group: group(id, { cpu, memory: '8Gi' }), nodeCount, pods });
  const pods = [makePod('a', { cpu: '1', memory: '2Gi' }), makePod('b', { cpu: '1', memory: '2Gi' })];
  const small = option('small', 1, '2', pods); // waste (2-2)/2 + (8-4)/8 = 0.5
  const large = option('large', 1, '8', pods); // waste (8-2)/8 + 0.5 = 1.25
  const fewer = option('fewer', 1, '2', pods.slice(0, 1));

  it('least-waste keeps the option leaving the least CPU and memory unrequested', () => {
    expect(wastedScore(small)).toBeCloseTo(0.5);
    expect(wastedScore(large)).toBeCloseTo(1.25);
    expect(bestOptions('least-waste', [large, small])).toEqual([small]);
  });

  it('most-pods keeps the options that schedule the most pods', () => {
    expect(bestOptions('most-pods', [fewer, large, small])).toEqual([large, small]);
  });

  it('priority keeps the options of the highest priority whose regex matches the group, and all when none matches', () => {
    const priorities = parsePriorities('10:\n  - .*small.*\n50:\n  - ^lar.*\n');
    expect(priorities.map((p) => [p.priority, p.patterns.map(String)])).toEqual([
      [10, ['/.*small.*/']],
      [50, ['/^lar.*/']],
    ]);
    expect(bestOptions('priority', [small, large], priorities)).toEqual([large]);
    expect(bestOptions('priority', [small, fewer], parsePriorities('5:\n  - nothing\n'))).toEqual([small, fewer]);
  });

  it('random draws with the seeded generator: same seed, same choice', () => {
    const a = chooseOption(['random'], [small, large, fewer], seededRng(7));
    const b = chooseOption(['random'], [small, large, fewer], seededRng(7));
    expect(a).toBe(b);
    expect(chooseOption(['least-waste'], [large, small], seededRng(1))).toBe(small);
  });
});

describe('podDrainability', () => {
  const pdb = (allowed: number, ns = 'default'): PodDisruptionBudget =>
    ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb', namespace: ns }, spec: { selector: { matchLabels: { app: 'x' } } }, status: { disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } }) as PodDisruptionBudget;
  const cases: [string, Pod, PodDisruptionBudget[], string][] = [
    ['a ReplicaSet pod moves', owned(makePod('p')), [], 'move'],
    ['a DaemonSet pod goes with the node', owned(makePod('p'), 'DaemonSet'), [], 'skip'],
    ['a pod without controller keeps the node', makePod('p'), [], 'NotReplicated'],
    ['safe-to-evict "true" moves even without controller', { ...makePod('p'), metadata: { ...makePod('p').metadata, annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' } } }, [], 'move'],
    ['safe-to-evict "false" keeps the node', { ...owned(makePod('p')), metadata: { ...owned(makePod('p')).metadata, annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } } }, [], 'NotSafeToEvictAnnotation'],
    ['a kube-system pod without PDB keeps the node', owned(makePod('p', { namespace: 'kube-system' })), [], 'UnmovableKubeSystemPod'],
    ['a kube-system pod with a PDB moves', owned(makePod('p', { namespace: 'kube-system', labels: { app: 'x' } })), [pdb(1, 'kube-system')], 'move'],
    ['an emptyDir keeps the node', { ...owned(makePod('p')), spec: { ...makePod('p').spec, volumes: [{ name: 'v', emptyDir: {} }] } } as Pod, [], 'LocalStorageRequested'],
    ['a PDB allowing no disruption keeps the node', owned(makePod('p', { labels: { app: 'x' } })), [pdb(0)], 'NotEnoughPdb'],
  ];
  it.each(cases)('%s', (_name, pod, pdbs, expected) => {
    const d = podDrainability(pod, pdbs);
    expect(d.kind === 'block' ? d.reason : d.kind).toBe(expected);
  });
});

describe('findUnneededNodes', () => {
  it('finds a node under 0.5 whose pods fit elsewhere, and not two whose pods need the same room', () => {
    const nodes = [makeNode('a', { cpu: '4' }), makeNode('b', { cpu: '4' }), makeNode('c', { cpu: '4' })];
    const pods = [owned(makePod('pa', { cpu: '3', nodeName: 'a' })), owned(makePod('pb', { cpu: '1', nodeName: 'b' })), owned(makePod('pc', { cpu: '1', nodeName: 'c' }))];
    const sim = new ClusterSimulation({ nodes, pods });
    expect(nodeUtilization(sim.node('a')!)).toBeCloseTo(0.75);
    const g = group('pool', { target: 3 });
    const r = findUnneededNodes({ sim, candidates: nodes.map((node) => ({ node, group: g })), pods, pdbs: [], utilizationThreshold: 0.5 });
    // pb moves to a (3+1 = 4); then pc has room only on b, which is going: c stays
    expect(r.removable.map((n) => [n.name, n.podsToMove.map((p) => p.metadata.name)])).toEqual([['b', ['pb']]]);
    expect(r.unremovable.map((n) => [n.name, n.reason])).toEqual([
      ['a', 'NotUnderutilized'],
      ['c', 'NoPlaceToMovePods'],
    ]);
  });

  it('keeps minSize machines and skips nodes annotated scale-down-disabled', () => {
    const nodes = [makeNode('a'), { ...makeNode('b'), metadata: { ...makeNode('b').metadata, annotations: { 'cluster-autoscaler.kubernetes.io/scale-down-disabled': 'true' } } }, makeNode('c')];
    const sim = new ClusterSimulation({ nodes, pods: [] });
    const g = group('pool', { target: 3, min: 2 });
    const r = findUnneededNodes({ sim, candidates: nodes.map((node) => ({ node, group: g })), pods: [], pdbs: [], utilizationThreshold: 0.5 });
    expect(r.removable.map((n) => n.name)).toEqual(['a']);
    expect(r.unremovable.map((n) => [n.name, n.reason])).toEqual([
      ['b', 'ScaleDownDisabledAnnotation'],
      ['c', 'NodeGroupMinSizeReached'],
    ]);
  });
});
