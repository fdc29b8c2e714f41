/**
 * The scheduling cycle: upstream's FitError message, numFeasibleNodesToFind, round-robin,
 * deterministic tie-breaking, profile validation, and the scheduling queue's backoff.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, ContainerSchema, Pods, VirtualClock, createBuiltinRegistry, seededRng, type Pod } from '@kubeloop/core';
import { builtinPlugins, defaultBinder, defaultProfile } from './defaults.js';
import { SchedulerError } from './errors.js';
import { makeNode, makePod } from '../testing/index.js';
import { buildFramework, fitErrorMessage, numFeasibleNodesToFind, scheduleOne, selectHost, unschedulable, type AnyPlugin, type CycleResult, type Status } from './framework.js';
import { snapshotOf } from './nodeinfo.js';
import { prioritySort } from './plugins/node.js';
import { SchedulingQueue, podBackoffMs } from './queue.js';

const registry = (): Map<string, AnyPlugin> => {
  const r = builtinPlugins();
  r.set('DefaultBinder', defaultBinder({} as never));
  return r;
};
const fw = () => buildFramework(defaultProfile(), registry());

function message(r: CycleResult): string {
  if (r.kind !== 'unschedulable') throw new Error(`expected unschedulable, got ${r.kind}`);
  return fitErrorMessage(r.numAllNodes, r.diagnosis);
}

describe('the scheduling cycle', () => {
  it('finds no node for a 600m app with a 500m sidecar on a 1-CPU node: Insufficient cpu (the sidecar runs alongside)', () => {
    const p = makePod('meshed', { cpu: '600m' });
    const meshed: Pod = { ...p, spec: { ...p.spec, initContainers: [ContainerSchema.parse({ name: 'proxy', image: 'proxy:1', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } })] } };
    expect(message(scheduleOne(fw(), meshed, snapshotOf({ nodes: [makeNode('small', { cpu: '1' })] }), { nextStartNodeIndex: 0 }, seededRng(1)))).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it("writes upstream's message: counts per reason, sorted as strings", () => {
    const nodes = [makeNode('a', { cpu: '1' }), makeNode('b', { labels: { zone: 'x' } }), makeNode('c', { labels: { zone: 'x' } })];
    const pod = makePod('p', { cpu: '2', nodeSelector: { zone: 'x' } });
    const nodes2 = [makeNode('a', { cpu: '1', labels: { zone: 'x' } }), makeNode('b'), makeNode('c')];
    expect(message(scheduleOne(fw(), pod, snapshotOf({ nodes: nodes2 }), { nextStartNodeIndex: 0 }, seededRng(1)))).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    );
    expect(scheduleOne(fw(), makePod('q', { cpu: '1', nodeSelector: { zone: 'x' } }), snapshotOf({ nodes }), { nextStartNodeIndex: 0 }, seededRng(1)).kind).toBe('scheduled');
    const d = (reasons: [string, number][]) => {
      const nodeToStatus = new Map<string, Status>();
      let i = 0;
      for (const [r, n] of reasons) for (let k = 0; k < n; k++) nodeToStatus.set(`n${i++}`, unschedulable(r));
      return { nodeToStatus, preFilterMsg: '', postFilterMsg: '' };
    };
    // Go's sort.Strings: "10 b" < "2 a"
    expect(fitErrorMessage(12, d([['a', 2], ['b', 10]]))).toBe('0/12 nodes are available: 10 b, 2 a.');
  });

  it('puts a PreFilter failure in the message once, not per node', () => {
    const r = scheduleOne(fw(), makePod('p', { claims: ['missing'] }), snapshotOf({ nodes: [makeNode('a'), makeNode('b')] }), { nextStartNodeIndex: 0 }, seededRng(1));
    expect(message(r)).toBe('0/2 nodes are available: persistentvolumeclaim "missing" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
  });

  it("reports an empty cluster with upstream's ErrNoNodesAvailable", () => {
    expect(message(scheduleOne(fw(), makePod('p'), snapshotOf({ nodes: [] }), { nextStartNodeIndex: 0 }, seededRng(1)))).toBe('no nodes available to schedule pods');
  });

  it('explains preemption as upstream: lower-priority pods that would make room mean a candidate (no sentence), otherwise their filter reasons', () => {
    const nodes = [makeNode('a', { cpu: '2' }), makeNode('b', { cpu: '2' })];
    const low = (name: string, node: string, cpu: string) => makePod(name, { nodeName: node, cpu, priority: 0 });
    const high = makePod('p', { cpu: '2', priority: 100 });
    // a: evicting the 1-cpu low pod frees 2 cpu → a candidate: upstream would preempt; no sentence.
    const withCandidate = snapshotOf({ nodes, pods: [low('l1', 'a', '1'), makePod('h1', { nodeName: 'b', cpu: '1', priority: 100 })] });
    expect(message(scheduleOne(fw(), high, withCandidate, { nextStartNodeIndex: 0 }, seededRng(1)))).toBe('0/2 nodes are available: 2 Insufficient cpu.');
    // Only equal-or-higher priority pods: no victims anywhere.
    const none = snapshotOf({ nodes, pods: [makePod('h1', { nodeName: 'a', cpu: '1', priority: 100 }), makePod('h2', { nodeName: 'b', cpu: '1', priority: 100 })] });
    expect(message(scheduleOne(fw(), high, none, { nextStartNodeIndex: 0 }, seededRng(1)))).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    // Victims exist but the pod still would not fit without them: the dry run's reasons.
    const tooBig = makePod('big', { cpu: '3', priority: 100 });
    const lowOnly = snapshotOf({ nodes, pods: [low('l1', 'a', '1'), low('l2', 'b', '1')] });
    expect(message(scheduleOne(fw(), tooBig, lowOnly, { nextStartNodeIndex: 0 }, seededRng(1)))).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Insufficient cpu.',
    );
    const never = { ...high, spec: { ...high.spec, preemptionPolicy: 'Never' as const } };
    expect(message(scheduleOne(fw(), never, none, { nextStartNodeIndex: 0 }, seededRng(1)))).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
  });

  it.each([
    [0, 50, 50],
    [0, 99, 99],
    [0, 100, 100],
    [0, 1000, 420],
    [0, 5000, 500],
    [0, 10_000, 500],
    [0, 100_000, 5000],
    [1, 5000, 100],
    [100, 5000, 5000],
  ])('numFeasibleNodesToFind(%i, %i) is %i as upstream', (p, n, want) => {
    expect(numFeasibleNodesToFind(p, n)).toBe(want);
  });

  it('stops after enough feasible nodes and continues round-robin from where it stopped', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => makeNode(`n${i}`));
    const snapshot = snapshotOf({ nodes });
    const cursor = { nextStartNodeIndex: 0 };
    const r = scheduleOne(fw(), makePod('p'), snapshot, cursor, seededRng(1));
    expect(r).toMatchObject({ kind: 'scheduled', evaluatedNodes: 420, feasibleNodes: 420 });
    expect(cursor.nextStartNodeIndex).toBe(420);
    scheduleOne(fw(), makePod('q'), snapshot, cursor, seededRng(1));
    expect(cursor.nextStartNodeIndex).toBe(840);
    scheduleOne(fw(), makePod('r'), snapshot, cursor, seededRng(1));
    expect(cursor.nextStartNodeIndex).toBe(260);
  });

  it('breaks ties with the seeded rng: the same seed picks the same node, seeds spread', () => {
    const snapshot = snapshotOf({ nodes: ['a', 'b', 'c', 'd'].map((n) => makeNode(n)) });
    const pick = (seed: number) => {
      const r = scheduleOne(fw(), makePod('p'), snapshot, { nextStartNodeIndex: 0 }, seededRng(seed));
      return r.kind === 'scheduled' ? r.nodeName : '';
    };
    expect(pick(7)).toBe(pick(7));
    expect(new Set(Array.from({ length: 40 }, (_, i) => pick(i))).size).toBe(4);
    expect(selectHost([1, 5, 3], seededRng(1))).toBe(1);
  });

  it('turns a throwing plugin into an error result naming it', () => {
    const r = registry();
    r.set('Boom', { name: 'Boom', filter: () => { throw new Error('boom'); } });
    const profile = { ...defaultProfile(), plugins: [...defaultProfile().plugins, { name: 'Boom' }] };
    const res = scheduleOne(buildFramework(profile, r), makePod('p'), snapshotOf({ nodes: [makeNode('a')] }), { nextStartNodeIndex: 0 }, seededRng(1));
    expect(res.kind === 'error' && res.error.code).toBe('plugin-failed');
  });

  it('gives each batch filter a clean failure array and each batch scorer a fresh score per node, though the cycle reuses them', () => {
    const r = registry();
    const fail = (plugin: string) => ({ code: 'Unschedulable' as const, reasons: [`node(s) refused by ${plugin}`] });
    const seen: boolean[] = [];
    const batch = (name: string, refused: readonly string[]) => ({
      name,
      filter: (_s: unknown, _p: unknown, node: { name: string }) => (refused.includes(node.name) ? fail(name) : { code: 'Success' as const, reasons: [] }),
      filterNodes: (_s: unknown, _p: unknown, nodes: readonly { name: string }[], _snap: unknown, failed: unknown[]) => {
        seen.push(failed.length === nodes.length && failed.every((f) => f === undefined));
        nodes.forEach((n, i) => {
          if (refused.includes(n.name)) failed[i] = fail(name);
        });
      },
    });
    r.set('RefuseA', batch('RefuseA', ['a', 'b']) as never);
    r.set('RefuseB', batch('RefuseB', ['c', 'd']) as never);
    const refusing = { ...defaultProfile(), plugins: [...defaultProfile().plugins, { name: 'RefuseA' }, { name: 'RefuseB' }] };
    const res = scheduleOne(buildFramework(refusing, r), makePod('p'), snapshotOf({ nodes: ['a', 'b', 'c', 'd', 'e'].map((n) => makeNode(n)) }), { nextStartNodeIndex: 0 }, seededRng(1));
    expect(res).toMatchObject({ kind: 'scheduled', nodeName: 'e', feasibleNodes: 1 });
    expect(seen).toEqual([true, true]);

    // A batch scorer that leaves a node unscored fails the cycle, though an earlier scorer's
    // scores sat in the same array.
    const r2 = registry();
    r2.set('Holes', { name: 'Holes', score: () => 50, scoreNodes: (_s: unknown, _p: unknown, nodes: readonly unknown[], _snap: unknown, scores: number[]) => nodes.forEach((_n, i) => i % 2 === 0 && (scores[i] = 50)) } as never);
    const holes = { ...defaultProfile(), plugins: [...defaultProfile().plugins, { name: 'Holes', weight: 1 }] };
    const scored = scheduleOne(buildFramework(holes, r2), makePod('p'), snapshotOf({ nodes: ['a', 'b', 'c'].map((n) => makeNode(n)) }), { nextStartNodeIndex: 0 }, seededRng(1));
    expect(scored.kind === 'error' && scored.error.message).toBe('plugin Holes returned score NaN outside 0..100');
  });

  it('rejects bad profiles with invalid-profile', () => {
    const bad = (plugins: { name: string; weight?: number }[]) => () => buildFramework({ schedulerName: 's', plugins }, registry());
    for (const f of [bad([{ name: 'Nope' }]), bad([{ name: 'PrioritySort' }, { name: 'PrioritySort' }]), bad([{ name: 'PrioritySort' }, { name: 'ImageLocality', weight: 0 }]), bad([])]) {
      expect(f).toThrow(SchedulerError);
    }
  });
});

describe('the scheduling queue', () => {
  it('backs off 1 s, 2 s, 4 s, 8 s, then 10 s', () => {
    expect([1, 2, 3, 4, 5, 9].map(podBackoffMs)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('pops by priority and keeps an unschedulable pod until the cluster changes, then backs it off', async () => {
    const clock = new VirtualClock();
    const q = new SchedulingQueue(clock, prioritySort);
    q.add(makePod('low', { priority: 1 }));
    q.add(makePod('high', { priority: 10 }));
    const first = (await q.pop())!;
    expect(first.key).toBe('default/high');
    q.addUnschedulable(first);
    expect(q.where('default/high')).toBe('unschedulable');
    await clock.advance(60_000);
    expect(q.where('default/high')).toBe('unschedulable');
    q.moveAllToActiveOrBackoff();
    expect(q.where('default/high')).toBe('active'); // its 1 s backoff is long over
    const again = (await q.pop())!;
    expect(again.attempts).toBe(2);
    q.addUnschedulable(again);
    q.moveAllToActiveOrBackoff();
    expect(q.where('default/high')).toBe('backoff');
    q.assertInvariants();
    await clock.advance(1_999);
    expect(q.where('default/high')).toBe('backoff');
    await clock.advance(1);
    expect(q.where('default/high')).toBe('active');
    q.assertInvariants();
  });

  it('sends a pod that failed while the cluster changed straight to backoff (no lost event)', async () => {
    const clock = new VirtualClock();
    const q = new SchedulingQueue(clock, prioritySort);
    q.add(makePod('p'));
    const p = (await q.pop())!;
    q.moveAllToActiveOrBackoff(); // a node appeared during the cycle
    q.addUnschedulable(p);
    expect(q.where('default/p')).toBe('backoff');
    await clock.advance(1_000);
    expect(q.where('default/p')).toBe('active');
  });

  it('retries an unschedulable pod after 5 minutes even without events', async () => {
    const clock = new VirtualClock();
    const q = new SchedulingQueue(clock, prioritySort);
    q.add(makePod('p'));
    q.addUnschedulable((await q.pop())!);
    await clock.advance(5 * 60_000);
    expect(q.where('default/p')).toBe('active');
    q.close();
    expect(await q.pop()).toBeUndefined();
  });
});

describe('DefaultBinder', () => {
  it('binds the pod of the uid the cycle decided for, not one created again under its name (upstream puts the uid in the Binding)', async () => {
    const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: createBuiltinRegistry() });
    const manifest = { apiVersion: 'v1' as const, kind: 'Pod' as const, metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const decided = await server.create(Pods, manifest);
    await server.delete(Pods, { namespace: 'default', name: 'web' });
    const replaced = await server.create(Pods, manifest);
    const status = await defaultBinder(server).bind(decided, 'node-1');
    expect([status.code, status.reasons]).toEqual(['Error', [`Operation cannot be fulfilled on pods "web": Precondition failed: UID in precondition: ${decided.metadata.uid}, UID in object meta: ${replaced.metadata.uid}`]]);
    expect((await server.get(Pods, { namespace: 'default', name: 'web' })).spec.nodeName).toBeUndefined();
    expect((await defaultBinder(server).bind(replaced, 'node-1')).code).toBe('Success');
    expect((await server.get(Pods, { namespace: 'default', name: 'web' })).spec.nodeName).toBe('node-1');
  });
});
