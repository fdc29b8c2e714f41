/**
 * Table tests of the DaemonSet decisions, each row a worked example of upstream's behaviour
 * (`NodeShouldRunDaemonPod`, `podsShouldBeOnNode`, `rollingUpdate`, `AddOrUpdateDaemonPodTolerations`,
 * `GetTargetNodeName`, `failedPodsBackoff`).
 */
import { describe, expect, it } from 'vitest';
import { formatTime } from '@kubeloop/core';
import type { DaemonSet, Node, Pod, Taint, Toleration } from '@kubeloop/core';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  daemonPodTemplateFor,
  daemonTolerations,
  findUpdatedPodsOnNode,
  inFailedPodBackoff,
  nextFailedPodBackoff,
  nodeShouldRunDaemonPod,
  podsShouldBeOnNode,
  rollingUpdateBudget,
  rollingUpdateStep,
  targetNodeName,
  unscheduledPodsWithoutNode,
  type NodePlacement,
} from './decide.js';

const T0 = Date.UTC(2026, 0, 1);

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints }, status: {} } as unknown as Node;
}

function ds(spec: Record<string, unknown> = {}, strategy: Record<string, unknown> = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec } },
      updateStrategy: strategy,
      revisionHistoryLimit: 10,
    },
    status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
  } as unknown as DaemonSet;
}

interface PodOpts {
  node?: string;
  target?: string;
  hash?: string;
  createdAt?: number;
  phase?: string;
  readySince?: number;
  deleting?: boolean;
}

let seq = 0;
function pod(name: string, o: PodOpts = {}): Pod {
  seq++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}-${seq}`,
      creationTimestamp: formatTime(o.createdAt ?? T0),
      labels: { app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: o.hash ?? 'new' },
      ...(o.deleting ? { deletionTimestamp: formatTime(T0) } : {}),
    },
    spec: {
      containers: [{ name: 'app', image: 'nginx' }],
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.target ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [o.target] }] }] } } } } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.readySince === undefined ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(o.readySince) }],
    },
  } as unknown as Pod;
}

describe('nodeShouldRunDaemonPod (upstream NodeShouldRunDaemonPod)', () => {
  const cases: { name: string; ds: DaemonSet; node: Node; want: NodePlacement }[] = [
    { name: 'a plain node runs it', ds: ds(), node: node('n1'), want: { shouldRun: true, shouldContinueRunning: true } },
    { name: 'nodeSelector matches', ds: ds({ nodeSelector: { kiamol: 'ch06' } }), node: node('n1', { kiamol: 'ch06' }), want: { shouldRun: true, shouldContinueRunning: true } },
    { name: 'nodeSelector does not match', ds: ds({ nodeSelector: { kiamol: 'ch06' } }), node: node('n1'), want: { shouldRun: false, shouldContinueRunning: false } },
    {
      name: 'required node affinity matches (zone In [a, b])',
      ds: ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } } }),
      node: node('n1', { zone: 'b' }),
      want: { shouldRun: true, shouldContinueRunning: true },
    },
    {
      name: 'required node affinity does not match',
      ds: ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } }),
      node: node('n1', { zone: 'b' }),
      want: { shouldRun: false, shouldContinueRunning: false },
    },
    {
      name: 'matchFields metadata.name picks one node',
      ds: ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }] } } } }),
      node: node('n1'),
      want: { shouldRun: false, shouldContinueRunning: false },
    },
    { name: 'template nodeName names another node', ds: ds({ nodeName: 'n2' }), node: node('n1'), want: { shouldRun: false, shouldContinueRunning: false } },
    { name: 'untolerated NoSchedule: no new pod, an existing one stays', ds: ds(), node: node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), want: { shouldRun: false, shouldContinueRunning: true } },
    { name: 'untolerated NoExecute: none', ds: ds(), node: node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]), want: { shouldRun: false, shouldContinueRunning: false } },
    { name: 'PreferNoSchedule is ignored', ds: ds(), node: node('n1', {}, [{ key: 'dedicated', effect: 'PreferNoSchedule' }]), want: { shouldRun: true, shouldContinueRunning: true } },
    {
      name: 'tolerated by the template (Equal)',
      ds: ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }),
      node: node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]),
      want: { shouldRun: true, shouldContinueRunning: true },
    },
    // The daemon tolerations (upstream AddOrUpdateDaemonPodTolerations) cover node problems:
    { name: 'auto toleration: not-ready NoExecute', ds: ds(), node: node('n1', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), want: { shouldRun: true, shouldContinueRunning: true } },
    { name: 'auto toleration: unreachable NoExecute', ds: ds(), node: node('n1', {}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]), want: { shouldRun: true, shouldContinueRunning: true } },
    { name: 'no auto toleration for unreachable NoSchedule', ds: ds(), node: node('n1', {}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]), want: { shouldRun: false, shouldContinueRunning: true } },
    { name: 'auto toleration: disk-pressure', ds: ds(), node: node('n1', {}, [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }]), want: { shouldRun: true, shouldContinueRunning: true } },
    { name: 'auto toleration: memory-pressure', ds: ds(), node: node('n1', {}, [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }]), want: { shouldRun: true, shouldContinueRunning: true } },
    { name: 'auto toleration: pid-pressure', ds: ds(), node: node('n1', {}, [{ key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' }]), want: { shouldRun: true, shouldContinueRunning: true } },
    { name: 'auto toleration: unschedulable (cordoned)', ds: ds(), node: node('n1', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), want: { shouldRun: true, shouldContinueRunning: true } },
    { name: 'network-unavailable: not tolerated without hostNetwork', ds: ds(), node: node('n1', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), want: { shouldRun: false, shouldContinueRunning: true } },
    { name: 'network-unavailable: tolerated with hostNetwork', ds: ds({ hostNetwork: true }), node: node('n1', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), want: { shouldRun: true, shouldContinueRunning: true } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(nodeShouldRunDaemonPod(c.node, c.ds)).toEqual(c.want);
    });
  }
});

describe('daemon pods: tolerations, node affinity, target node', () => {
  it('adds the daemon tolerations after the template\'s, replacing a matching one (upstream AddOrUpdateTolerationInPodSpec)', () => {
    const own: Toleration[] = [{ key: 'gpu', operator: 'Exists' }, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }];
    const out = daemonTolerations(own, false);
    expect(out.map((t) => `${t.key}:${t.effect ?? ''}:${t.tolerationSeconds ?? '∞'}`)).toEqual([
      'gpu::∞',
      'node.kubernetes.io/not-ready:NoExecute:∞', // same key, operator, value, effect: replaced, so daemon pods survive not-ready forever
      'node.kubernetes.io/unreachable:NoExecute:∞',
      'node.kubernetes.io/disk-pressure:NoSchedule:∞',
      'node.kubernetes.io/memory-pressure:NoSchedule:∞',
      'node.kubernetes.io/pid-pressure:NoSchedule:∞',
      'node.kubernetes.io/unschedulable:NoSchedule:∞',
    ]);
    expect(daemonTolerations([], true).map((t) => t.key)).toContain('node.kubernetes.io/network-unavailable');
  });

  it('pins the pod to its node with a single matchFields term, keeping preferred affinity; labels it with hash and generation', () => {
    const d = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] }, preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }] } } });
    const withGen = { ...d, metadata: { ...d.metadata, annotations: { 'deprecated.daemonset.template.generation': '3' } } };
    const t = daemonPodTemplateFor(withGen, 'n7', 'abc');
    expect(t.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] });
    expect(t.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(t.metadata?.labels).toEqual({ app: 'agent', 'controller-revision-hash': 'abc', 'pod-template-generation': '3' });
    expect(daemonPodTemplateFor(d, 'n7', 'abc').metadata?.labels).toEqual({ app: 'agent', 'controller-revision-hash': 'abc' });
  });

  it.each([
    ['bound: spec.nodeName', pod('a', { node: 'n1', target: 'n2' }), 'n1'],
    ['unbound: the matchFields node', pod('b', { target: 'n2' }), 'n2'],
    ['neither', pod('c'), undefined],
  ])('targetNodeName — %s', (_name, p, want) => {
    expect(targetNodeName(p)).toBe(want);
  });

  it('deletes unscheduled pods targeting nodes that do not exist; bound ones are the pod GC\'s', () => {
    const byNode = new Map([
      ['gone', [pod('unbound', { target: 'gone' }), pod('bound', { node: 'gone' })]],
      ['n1', [pod('ok', { target: 'n1' })]],
    ]);
    expect(unscheduledPodsWithoutNode(new Set(['n1']), byNode).map((p) => p.metadata.name)).toEqual(['unbound']);
  });
});

describe('podsShouldBeOnNode (upstream podsShouldBeOnNode)', () => {
  const run: NodePlacement = { shouldRun: true, shouldContinueRunning: true };
  const keepOnly: NodePlacement = { shouldRun: false, shouldContinueRunning: true };
  const never: NodePlacement = { shouldRun: false, shouldContinueRunning: false };
  const ctx = (placement: NodePlacement, allowsSurge = false) => ({ placement, allowsSurge, hash: 'new', minReadySeconds: 0, nowMs: T0 + 60_000 });
  const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata.name);

  it.each([
    ['eligible, no pod → create one', run, [], { create: true, delete: [], failed: [] }],
    ['eligible, one pod → nothing', run, [pod('a', { node: 'n1' })], { create: false, delete: [], failed: [] }],
    ['eligible, only a pod being deleted → wait for it', run, [pod('a', { node: 'n1', deleting: true })], { create: false, delete: [], failed: [] }],
    ['duplicates → keep the oldest', run, [pod('young', { node: 'n1', createdAt: T0 + 2000 }), pod('old', { node: 'n1', createdAt: T0 }), pod('mid', { node: 'n1', createdAt: T0 + 1000 })], { create: false, delete: ['mid', 'young'], failed: [] }],
    ['duplicates → a bound pod is kept before an unbound older one', run, [pod('unbound', { target: 'n1', createdAt: T0 }), pod('bound', { node: 'n1', createdAt: T0 + 1000 })], { create: false, delete: ['unbound'], failed: [] }],
    ['same creation time → by name', run, [pod('b', { node: 'n1' }), pod('a', { node: 'n1' })], { create: false, delete: ['b'], failed: [] }],
    ['failed pod → delete with backoff', run, [pod('f', { node: 'n1', phase: 'Failed' })], { create: false, delete: [], failed: ['f'] }],
    ['succeeded pod → delete', run, [pod('s', { node: 'n1', phase: 'Succeeded' })], { create: false, delete: ['s'], failed: [] }],
    ['only NoSchedule untolerated, pod there → keep', keepOnly, [pod('a', { node: 'n1' })], { create: false, delete: [], failed: [] }],
    ['only NoSchedule untolerated, no pod → none', keepOnly, [], { create: false, delete: [], failed: [] }],
    ['not eligible → delete all not already being deleted', never, [pod('a', { node: 'n1' }), pod('b', { node: 'n1', deleting: true })], { create: false, delete: ['a'], failed: [] }],
  ] as const)('%s', (_name, placement, pods, want) => {
    const got = podsShouldBeOnNode(pods, ctx(placement));
    expect({ create: got.create, delete: names(got.delete), failed: names(got.failed) }).toEqual(want);
  });

  it.each([
    ['surge: no running pod (failed one) on an eligible node → create', [pod('f', { node: 'n1', phase: 'Failed' })], { create: true, delete: [], failed: ['f'] }],
    ['surge: old ready + new not ready → keep both', [pod('old', { node: 'n1', hash: 'old', readySince: T0 }), pod('new', { node: 'n1', createdAt: T0 + 1000 })], { create: false, delete: [], failed: [] }],
    ['surge: old ready + new available → delete old', [pod('old', { node: 'n1', hash: 'old', readySince: T0 }), pod('new', { node: 'n1', createdAt: T0 + 1000, readySince: T0 + 2000 })], { create: false, delete: ['old'], failed: [] }],
    ['surge: old not ready + new not ready → delete old', [pod('old', { node: 'n1', hash: 'old' }), pod('new', { node: 'n1', createdAt: T0 + 1000 })], { create: false, delete: ['old'], failed: [] }],
    ['surge: two new → keep the oldest new', [pod('n1', { node: 'n1' }), pod('n2', { node: 'n1', createdAt: T0 + 1000 })], { create: false, delete: ['n2'], failed: [] }],
  ] as const)('%s', (_name, pods, want) => {
    const got = podsShouldBeOnNode(pods, ctx(run, true));
    expect({ create: got.create, delete: names(got.delete), failed: names(got.failed) }).toEqual(want);
  });
});

describe('rolling update arithmetic (upstream updatedDesiredNodeCounts, rollingUpdate)', () => {
  it.each([
    [10, { maxUnavailable: '25%', maxSurge: 0 }, { maxUnavailable: 3, maxSurge: 0 }],
    [10, { maxUnavailable: 0, maxSurge: '10%' }, { maxUnavailable: 0, maxSurge: 1 }],
    [10, { maxUnavailable: '1%', maxSurge: 0 }, { maxUnavailable: 1, maxSurge: 0 }],
    [3, { maxUnavailable: '50%', maxSurge: 0 }, { maxUnavailable: 2, maxSurge: 0 }],
    [4, { maxUnavailable: 0, maxSurge: '30%' }, { maxUnavailable: 0, maxSurge: 2 }],
    [5, { maxUnavailable: 0, maxSurge: 0 }, { maxUnavailable: 1, maxSurge: 0 }],
    [0, { maxUnavailable: '50%', maxSurge: 0 }, { maxUnavailable: 0, maxSurge: 0 }],
  ] as const)('desired %i with %o → %o (percentages round up; never both 0)', (desired, ru, want) => {
    expect(rollingUpdateBudget(ds({}, { type: 'RollingUpdate', rollingUpdate: ru }), desired)).toEqual(want);
  });

  it('OnDelete has no budget (the manage loop only replaces deleted pods)', () => {
    expect(rollingUpdateBudget(ds({}, { type: 'OnDelete' }), 10)).toEqual({ maxUnavailable: 1, maxSurge: 0 });
  });

  const now = T0 + 60_000;
  const oldAvail = (n: string) => ({ name: n, shouldRun: true, pods: [pod(`old-${n}`, { node: n, hash: 'old', readySince: T0 })] });
  const oldUnavail = (n: string) => ({ name: n, shouldRun: true, pods: [pod(`old-${n}`, { node: n, hash: 'old' })] });
  const newAvail = (n: string) => ({ name: n, shouldRun: true, pods: [pod(`new-${n}`, { node: n, readySince: T0 })] });
  const newUnavail = (n: string) => ({ name: n, shouldRun: true, pods: [pod(`new-${n}`, { node: n })] });
  const empty = (n: string) => ({ name: n, shouldRun: true, pods: [] });
  const step = (nodes: ReturnType<typeof oldAvail>[], maxUnavailable: number, maxSurge: number) => {
    const s = rollingUpdateStep({ nodes, hash: 'new', maxUnavailable, maxSurge, desiredNumberScheduled: nodes.filter((n) => n.shouldRun).length, minReadySeconds: 0, nowMs: now });
    return { delete: s.deletePods.map((p) => p.metadata.name).sort(), create: [...s.createOnNodes].sort() };
  };

  it.each([
    ['5 old available, maxUnavailable 2 → delete 2', [oldAvail('a'), oldAvail('b'), oldAvail('c'), oldAvail('d'), oldAvail('e')], 2, { delete: ['old-a', 'old-b'], create: [] }],
    ['2 new unavailable, maxUnavailable 2 → delete none', [newUnavail('a'), newUnavail('b'), oldAvail('c'), oldAvail('d'), oldAvail('e')], 2, { delete: [], create: [] }],
    ['1 new unavailable, maxUnavailable 2 → delete 1', [newAvail('a'), newUnavail('b'), oldAvail('c'), oldAvail('d'), oldAvail('e')], 2, { delete: ['old-c'], create: [] }],
    ['a node with no pod counts as unavailable', [empty('a'), oldAvail('b'), oldAvail('c')], 1, { delete: [], create: [] }],
    ['an unavailable old pod is replaced whatever the budget', [newUnavail('a'), oldUnavail('b'), oldAvail('c')], 1, { delete: ['old-b'], create: [] }],
    ['all new and available → nothing', [newAvail('a'), newAvail('b')], 1, { delete: [], create: [] }],
  ] as const)('without surge: %s', (_name, nodes, maxUnavailable, want) => {
    expect(step(nodes as never, maxUnavailable, 0)).toEqual(want);
  });

  it.each([
    ['4 old available, maxSurge 1 → surge onto 1 node', [oldAvail('a'), oldAvail('b'), oldAvail('c'), oldAvail('d')], 1, { delete: [], create: ['a'] }],
    ['a surged node waiting to be available uses the budget', [{ name: 'a', shouldRun: true, pods: [pod('old-a', { node: 'a', hash: 'old', readySince: T0 }), pod('new-a', { node: 'a' })] }, oldAvail('b')], 1, { delete: [], create: [] }],
    ['the new pod beside an old one is available → delete the old one', [{ name: 'a', shouldRun: true, pods: [pod('old-a', { node: 'a', hash: 'old', readySince: T0 }), pod('new-a', { node: 'a', readySince: T0 })] }, oldAvail('b')], 1, { delete: ['old-a'], create: ['b'] }],
    ['an unavailable old pod gets its new pod at once, beyond the budget', [oldUnavail('a'), oldUnavail('b'), oldAvail('c')], 1, { delete: [], create: ['a', 'b', 'c'] }],
    ['maxSurge 2 of 3 → two nodes at once', [oldAvail('a'), oldAvail('b'), oldAvail('c')], 2, { delete: [], create: ['a', 'b'] }],
  ] as const)('with surge: %s', (_name, nodes, maxSurge, want) => {
    expect(step(nodes as never, 0, maxSurge)).toEqual(want);
  });

  it('findUpdatedPodsOnNode refuses two pods of one kind (left to the manage loop)', () => {
    expect(findUpdatedPodsOnNode([pod('a', { node: 'n' }), pod('b', { node: 'n' })], 'new', undefined).ok).toBe(false);
    expect(findUpdatedPodsOnNode([pod('a', { node: 'n' }), pod('b', { node: 'n', hash: 'old' })], 'new', undefined)).toMatchObject({ ok: true, newPod: { metadata: { name: 'a' } }, oldPod: { metadata: { name: 'b' } } });
  });
});

describe('failed pod backoff (upstream flowcontrol.Backoff, 1 s to 15 min)', () => {
  it('doubles from 1 s while failures keep coming, and holds for the current delay', () => {
    let e = nextFailedPodBackoff(undefined, 0);
    expect(e.delayMs).toBe(1_000);
    expect(inFailedPodBackoff(e, 999)).toBe(true);
    expect(inFailedPodBackoff(e, 1_000)).toBe(false);
    e = nextFailedPodBackoff(e, 1_000);
    expect(e.delayMs).toBe(2_000);
    e = nextFailedPodBackoff(e, 3_000);
    expect(e.delayMs).toBe(4_000);
    for (let i = 0; i < 20; i++) e = nextFailedPodBackoff(e, e.lastUpdateMs + e.delayMs);
    expect(e.delayMs).toBe(15 * 60_000);
  });

  it('starts over after being idle for more than twice the maximum', () => {
    const e = { delayMs: 64_000, lastUpdateMs: 0 };
    expect(nextFailedPodBackoff(e, 30 * 60_000 + 1).delayMs).toBe(1_000);
    expect(inFailedPodBackoff(e, 30 * 60_000 + 1)).toBe(false);
  });
});
