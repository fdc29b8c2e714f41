/** oneDaemonPodPerEligibleNode, daemonPodsUpdated, rollingUpdateAvailability, daemonPodCreatedOnlyWhereTolerated, noPendingDaemonPods and the ControllerRevision history invariants, on hand-made states with worked numbers. */
import { describe, expect, it } from 'vitest';
import { DaemonSetSchema, NodeSchema, PodSchema, clusterState } from '@kubeloop/core';
import type { ClusterState, ControllerRevision, DaemonSet, KubeObject, Node, Pod, StateChange } from '@kubeloop/core';
import { CONTROLLER_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL, TEMPLATE_GENERATION_ANNOTATION } from './decide.js';
import {
  daemonPodCreatedOnlyWhereToleratedInvariant,
  daemonPodsUpdated,
  daemonSetHistoryMatches,
  daemonSetRevisionHistory,
  duplicateDaemonPodsKeepOldest,
  noPendingDaemonPods,
  oneDaemonPodPerEligibleNode,
  rollingUpdateAvailability,
  surgeRollingUpdateBounds,
} from './invariants.js';

const ds = (updateStrategy: Record<string, unknown> = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, nodeSelector?: Record<string, string>): DaemonSet =>
  DaemonSetSchema.parse({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'uid-agent', generation: 2, annotations: { [TEMPLATE_GENERATION_ANNOTATION]: '2' } },
    spec: { selector: { matchLabels: { app: 'agent' } }, updateStrategy, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox:1.37' }], ...(nodeSelector ? { nodeSelector } : {}) } } },
  });
/** A state of `before` at t=0 and the state `changes` (applied in order) make of it at `t`, with those changes. */
function transition(before: readonly KubeObject[], changes: StateChange[], t: number): [ClusterState, ClusterState] {
  const previous = clusterState([...before], 0);
  const after = new Map(before.map((o) => [`${o.kind}/${o.metadata.name ?? ''}`, o]));
  for (const c of changes) {
    if (c.type === 'DELETED') after.delete(`${c.object.kind}/${c.object.metadata.name ?? ''}`);
    else after.set(`${c.object.kind}/${c.object.metadata.name ?? ''}`, c.object);
  }
  return [previous, clusterState([...after.values()], t, changes, previous)];
}

const node = (name: string, labels: Record<string, string> = {}): Node => NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });
const pod = (name: string, nodeName: string, options: { ready?: boolean; hash?: string; generation?: string; deleting?: boolean } = {}): Pod =>
  PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: { app: 'agent', ...(options.hash === undefined ? {} : { [CONTROLLER_REVISION_HASH_LABEL]: options.hash }), ...(options.generation === undefined ? {} : { [POD_TEMPLATE_GENERATION_LABEL]: options.generation }) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true }],
      ...(options.deleting === true ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName, containers: [{ name: 'a', image: 'busybox' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
  });

describe('daemonPodsUpdated', () => {
  it('holds when every pod has the current hash, or the current template generation (upstream IsPodUpdated)', () => {
    const state = { daemonSets: [ds()], nodes: [node('n1'), node('n2')], pods: [pod('a', 'n1', { hash: 'new' }), pod('b', 'n2', { hash: 'old', generation: '2' })] };
    expect(daemonPodsUpdated(state, () => 'new')).toEqual([]);
  });

  it('names a pod of an older revision and its node; OnDelete DaemonSets and pods being deleted are not judged', () => {
    const pods = [pod('a', 'n1', { hash: 'new' }), pod('b', 'n2', { hash: 'old', generation: '1' }), pod('c', 'n3', { hash: 'old', deleting: true })];
    expect(daemonPodsUpdated({ daemonSets: [ds()], nodes: [], pods }, () => 'new')).toEqual([
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'n2' }], message: 'pod b of default/agent is not of its current revision (hash old, current new)' },
    ]);
    expect(daemonPodsUpdated({ daemonSets: [ds({ type: 'OnDelete' })], nodes: [], pods }, () => 'new')).toEqual([]);
  });
});

describe('rollingUpdateAvailability', () => {
  const nodes = ['n1', 'n2', 'n3', 'n4'].map((n) => node(n));

  it('maxUnavailable 1 of 4 nodes: one node without a ready pod holds, two break it (naming them)', () => {
    const one = [pod('a', 'n1'), pod('b', 'n2'), pod('c', 'n3', { ready: false }), pod('d', 'n4')];
    expect(rollingUpdateAvailability({ daemonSets: [ds()], nodes, pods: one })).toEqual([]);
    const two = [pod('a', 'n1'), pod('b', 'n2', { deleting: true }), pod('c', 'n3', { ready: false }), pod('d', 'n4')];
    expect(rollingUpdateAvailability({ daemonSets: [ds()], nodes, pods: two })).toEqual([
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }], message: 'default/agent: 2 nodes without a ready daemon pod (n2, n3), more than maxUnavailable 1' },
    ]);
  });

  it('maxUnavailable 50% of 4 nodes rounds to 2; nodes the DaemonSet does not select do not count', () => {
    const pods = [pod('a', 'n1'), pod('b', 'n2')];
    expect(rollingUpdateAvailability({ daemonSets: [ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } })], nodes, pods })).toEqual([]);
    const selected = [node('n1', { ds: 'yes' }), node('n2', { ds: 'yes' }), node('n3'), node('n4')];
    expect(rollingUpdateAvailability({ daemonSets: [ds(undefined, { ds: 'yes' })], nodes: selected, pods: [pod('a', 'n1')] })).toEqual([]);
  });

  it('does not judge a surging rollout (maxSurge > 0) or an OnDelete DaemonSet', () => {
    expect(rollingUpdateAvailability({ daemonSets: [ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } })], nodes, pods: [] })).toEqual([]);
    expect(rollingUpdateAvailability({ daemonSets: [ds({ type: 'OnDelete' })], nodes, pods: [] })).toEqual([]);
  });
});

describe('surgeRollingUpdateBounds (controllers that delete an old pod early, or surge onto too many nodes)', () => {
  const nodes = ['n1', 'n2', 'n3', 'n4'].map((n) => node(n));
  const surging = (maxSurge: number | string): DaemonSet => ds({ type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable: 0 } });
  const olds = ['n2', 'n3', 'n4'].map((n) => pod(`old-${n}`, n, { hash: 'old' }));
  const check = (d: DaemonSet, pods: Pod[]) => surgeRollingUpdateBounds({ daemonSets: [d], nodes, pods }, () => 'new', 0);

  it('maxSurge 1 of 4 nodes: one node with an old pod and an updated pod not yet ready holds', () => {
    expect(check(surging(1), [pod('old-n1', 'n1', { hash: 'old' }), pod('new-n1', 'n1', { hash: 'new', ready: false }), ...olds])).toEqual([]);
    // Once the updated pod is ready the old one may go.
    expect(check(surging(1), [pod('old-n1', 'n1', { hash: 'old', deleting: true }), pod('new-n1', 'n1', { hash: 'new' }), ...olds])).toEqual([]);
  });

  it('an old pod deleted before the updated pod beside it is available breaks it, naming the node', () => {
    expect(check(surging(1), [pod('old-n1', 'n1', { hash: 'old', deleting: true }), pod('new-n1', 'n1', { hash: 'new', ready: false }), ...olds])).toEqual([
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }], message: 'default/agent surges (maxSurge 1), yet 1 node(s) have no ready daemon pod: n1' },
    ]);
  });

  it('two nodes waiting for an updated pod with maxSurge 1 break it; maxSurge 50% of 4 (2) holds; a DaemonSet without surge is not judged', () => {
    const two = [pod('old-n1', 'n1', { hash: 'old' }), pod('new-n1', 'n1', { hash: 'new', ready: false }), pod('old-n2', 'n2', { hash: 'old' }), pod('new-n2', 'n2', { hash: 'new', ready: false }), pod('old-n3', 'n3', { hash: 'old' }), pod('old-n4', 'n4', { hash: 'old' })];
    expect(check(surging(1), two)).toEqual([
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }], message: 'default/agent: 2 nodes with an available old pod have an updated pod not yet available (n1, n2), more than maxSurge 1' },
    ]);
    expect(check(surging('50%'), two)).toEqual([]);
    expect(check(ds(), two)).toEqual([]);
  });
});

describe('duplicateDaemonPodsKeepOldest (a controller that keeps the newest of two daemon pods on a node)', () => {
  const created = (p: Pod, at: string): Pod => ({ ...p, metadata: { ...p.metadata, uid: `uid-${p.metadata.name ?? ''}`, creationTimestamp: at } }) as Pod;
  const deleting = (p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:01:00Z' } }) as Pod;
  const older = created(pod('agent-old', 'n1'), '2026-01-01T00:00:00Z');
  const younger = created(pod('agent-young', 'n1'), '2026-01-01T00:00:30Z');
  const check = (d: DaemonSet, before: Pod[], after: Pod[]) => {
    const changes: StateChange[] = after.filter((p) => !before.includes(p)).map((p) => ({ type: 'MODIFIED', object: p }));
    const previous = clusterState([d, node('n1'), ...before], 0);
    return duplicateDaemonPodsKeepOldest(previous, clusterState([d, node('n1'), ...after], 1_000, changes, previous));
  };

  it('deleting the younger of two pods holds; deleting the oldest while the younger stays is reported, naming both', () => {
    expect(check(ds(), [older, younger], [older, deleting(younger)])).toEqual([]);
    expect(check(ds(), [older, younger], [deleting(older), younger])).toEqual([
      {
        objects: [{ kind: 'Pod', namespace: 'default', name: 'agent-old' }, { kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'n1' }],
        message: 'the oldest daemon pod agent-old of default/agent on node n1 was deleted while the younger agent-young stayed',
      },
    ]);
  });

  it('a pod that ended on the way, and a surging DaemonSet (its rollout deletes the old pod once the new one is available), are not judged', () => {
    const failed = { ...older, status: { ...older.status, phase: 'Failed' } } as Pod;
    expect(check(ds(), [older, younger], [deleting(failed), younger])).toEqual([]);
    expect(check(ds({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }), [older, younger], [deleting(older), younger])).toEqual([]);
  });
});

describe('oneDaemonPodPerEligibleNode', () => {
  const tainted = (name: string, key: string, effect: string): Node => NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints: [{ key, effect }] } });

  it('a cordoned node still runs a daemon pod (daemon pods tolerate unschedulable); a NoSchedule taint keeps the pod it has; a NoExecute taint leaves none', () => {
    const nodes = [tainted('cordoned', 'node.kubernetes.io/unschedulable', 'NoSchedule'), tainted('db', 'dedicated', 'NoSchedule'), tainted('gpu', 'dedicated', 'NoExecute')];
    expect(oneDaemonPodPerEligibleNode({ daemonSets: [ds()], nodes, pods: [pod('a', 'cordoned'), pod('b', 'db')] })).toEqual([]);
    expect(oneDaemonPodPerEligibleNode({ daemonSets: [ds()], nodes, pods: [pod('b', 'db'), pod('c', 'gpu')] })).toEqual([
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'cordoned' }], message: 'node cordoned should run exactly one daemon pod of default/agent but has 0' },
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'gpu' }], message: 'node gpu is not eligible for default/agent but runs c' },
    ]);
  });
});

describe('daemonPodCreatedOnlyWhereTolerated (a controller that ignores taints when it creates)', () => {
  const tainted = (name: string, taints: Record<string, string>[]): Node => NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints } });
  const unbound = (name: string, nodeName: string): Pod => {
    const p = pod(name, nodeName);
    return { ...p, spec: { ...p.spec, nodeName: undefined, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } } } }, status: { phase: 'Pending' } } as Pod;
  };
  // `previous` at t=0, the state checked at t=5000 (past the 1 s grace), changes at `t` when given.
  const check = (before: KubeObject[], changes: StateChange[]) => {
    const [previous, state] = transition(before, changes, 5_000);
    return daemonPodCreatedOnlyWhereToleratedInvariant.check(state, previous);
  };

  it('a pod created for a node with an untolerated NoSchedule taint (what a taint-blind controller does) is reported, naming the pod, the DaemonSet and the node', () => {
    const db = tainted('db', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    expect(check([ds(), db], [{ type: 'ADDED', object: unbound('agent-x', 'db') }])).toEqual([
      {
        objects: [{ kind: 'Pod', namespace: 'default', name: 'agent-x' }, { kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'db' }],
        message: 'daemon pod agent-x of default/agent was created for node db although it does not tolerate its taint dedicated=db:NoSchedule, and the node refused it for 1000 ms before',
      },
    ]);
  });

  it('the daemon tolerations cover cordoned, pressured, not-ready and unreachable nodes; network-unavailable only for host-network pods', () => {
    const n = tainted('n', [
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
    ]);
    expect(check([ds(), n], [{ type: 'ADDED', object: unbound('agent-x', 'n') }])).toEqual([]);
    const net = tainted('net', [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
    expect(check([ds(), net], [{ type: 'ADDED', object: unbound('agent-x', 'net') }])).toHaveLength(1);
    const hostNetwork = ds();
    const hn = { ...hostNetwork, spec: { ...hostNetwork.spec, template: { ...hostNetwork.spec.template, spec: { ...hostNetwork.spec.template.spec, hostNetwork: true } } } } as DaemonSet;
    expect(check([hn, net], [{ type: 'ADDED', object: unbound('agent-x', 'net') }])).toEqual([]);
  });

  it('judges the node as it was at the creation: a taint added after it, or removed before it, is no violation; one added a second or more before it is', () => {
    const clean = node('n');
    const dirty = tainted('n', [{ key: 'evict', effect: 'NoExecute' }]);
    expect(check([ds(), clean], [{ type: 'ADDED', object: unbound('agent-x', 'n') }, { type: 'MODIFIED', object: dirty }])).toEqual([]);
    expect(check([ds(), dirty], [{ type: 'MODIFIED', object: clean }, { type: 'ADDED', object: unbound('agent-x', 'n') }])).toEqual([]);
    expect(check([ds(), clean], [{ type: 'MODIFIED', object: dirty, t: 3_000 }, { type: 'ADDED', object: pod('agent-x', 'n'), t: 4_000 }])).toHaveLength(1);
  });

  it('a create landing within the grace after the taint (decided from a cache that did not show it yet) is no violation, also across states', () => {
    const clean = node('n');
    const dirty = tainted('n', [{ key: 'evict', effect: 'NoExecute' }]);
    expect(check([ds(), clean], [{ type: 'MODIFIED', object: dirty, t: 3_000 }, { type: 'ADDED', object: pod('agent-x', 'n'), t: 3_900 }])).toEqual([]);
    // The taint came in the state before `previous`: walk back through `state.previous`.
    const s0 = clusterState([ds(), clean], 0);
    const s1 = clusterState([ds(), dirty], 3_000, [{ type: 'MODIFIED', object: dirty, t: 3_000 }], s0);
    const late = clusterState([ds(), dirty, pod('agent-x', 'n')], 4_500, [{ type: 'ADDED', object: pod('agent-x', 'n'), t: 4_500 }], s1);
    const early = clusterState([ds(), dirty, pod('agent-x', 'n')], 3_500, [{ type: 'ADDED', object: pod('agent-x', 'n'), t: 3_500 }], s1);
    expect(daemonPodCreatedOnlyWhereToleratedInvariant.check(late, s1)).toHaveLength(1);
    expect(daemonPodCreatedOnlyWhereToleratedInvariant.check(early, s1)).toEqual([]);
  });

  it('a node tainted, then labelled for a DaemonSet that selects by label, refused the pod all along: a create right after the label is reported', () => {
    const selecting = ds(undefined, { ds: 'yes' });
    const taint = [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }];
    const tainted = NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { taints: taint } });
    const labelled = NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', labels: { ds: 'yes' } }, spec: { taints: taint } });
    const changes: StateChange[] = [{ type: 'MODIFIED', object: tainted, t: 4_997 }, { type: 'MODIFIED', object: labelled, t: 4_998 }, { type: 'ADDED', object: pod('agent-x', 'n'), t: 4_999 }];
    expect(check([selecting, node('n')], changes)).toHaveLength(1);
    // Labelled (admitted) and untainted until the taint a moment before the create: a race, excused.
    expect(check([selecting, node('n', { ds: 'yes' })], [{ type: 'MODIFIED', object: labelled, t: 4_998 }, { type: 'ADDED', object: pod('agent-x', 'n'), t: 4_999 }])).toEqual([]);
  });
});

describe('noPendingDaemonPods (a controller that aims pods at nodes that never take them)', () => {
  it('reports an active daemon pod still Pending on an existing node; pods of gone nodes, being deleted or not of a DaemonSet are not judged', () => {
    const pending = (name: string, nodeName: string, extra: Record<string, unknown> = {}): Pod => ({ ...pod(name, nodeName), status: { phase: 'Pending' }, ...extra }) as Pod;
    const deleting = pending('c', 'n1');
    const pods = [pod('a', 'n1'), pending('b', 'n2'), { ...deleting, metadata: { ...deleting.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } as Pod, pending('d', 'gone')];
    expect(noPendingDaemonPods({ daemonSets: [ds()], nodes: [node('n1'), node('n2')], pods })).toEqual([
      { objects: [{ kind: 'Pod', namespace: 'default', name: 'b' }, { kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'n2' }], message: 'daemon pod b of default/agent for node n2 is still Pending' },
    ]);
    expect(noPendingDaemonPods({ daemonSets: [], nodes: [node('n2')], pods })).toEqual([]);
    // Unbound, aimed at a node tainted after the create: the scheduler will not bind it; not judged. Bound there: judged.
    const refusing = NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' }, spec: { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] } });
    const b = pending('b', 'n2');
    const unboundB = { ...b, spec: { ...b.spec, nodeName: undefined, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }] } } } } } as Pod;
    expect(noPendingDaemonPods({ daemonSets: [ds()], nodes: [refusing], pods: [unboundB] })).toEqual([]);
    expect(noPendingDaemonPods({ daemonSets: [ds()], nodes: [refusing], pods: [b] })).toHaveLength(1);
  });
});

describe('ControllerRevision history (controllers that number, keep or clean up revisions wrongly)', () => {
  /** The DaemonSet at image `image`, with `revisionHistoryLimit` `limit`. */
  const at = (image: string, limit = 1): DaemonSet => {
    const d = ds();
    const t = d.spec.template;
    return { ...d, spec: { ...d.spec, revisionHistoryLimit: limit, template: { ...t, spec: { ...t.spec, containers: [{ ...t.spec.containers[0]!, image }] } } } } as DaemonSet;
  };
  /** The revision of the DaemonSet's template at `image`, hash `h`, number `revision`. */
  const rev = (image: string, h: string, revision: number): ControllerRevision => ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `agent-${h}`,
      namespace: 'default',
      uid: `uid-rev-${h}`,
      labels: { app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: h },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true }],
    },
    data: { spec: { template: { ...at(image).spec.template, $patch: 'replace' } } },
    revision,
  });
  const dsRef = { kind: 'DaemonSet', namespace: 'default', name: 'agent' };

  describe('daemonSetHistoryMatches', () => {
    const check = (d: DaemonSet, controllerRevisions: ControllerRevision[], pods: Pod[] = []) => daemonSetHistoryMatches({ daemonSets: [d], nodes: [], pods, controllerRevisions });

    it('holds for one revision per template, the current one highest, one old one with limit 1', () => {
      expect(check(at('v3'), [rev('v1', 'h1', 1), rev('v2', 'h2', 2), rev('v3', 'h3', 3)].slice(1), [pod('a', 'n1', { hash: 'h3' })])).toEqual([]);
    });

    it('a rollback that does not renumber the reused revision (current 1, old 2) is reported', () => {
      expect(check(at('v1'), [rev('v1', 'h1', 1), rev('v2', 'h2', 2)])).toEqual([{ objects: [dsRef], message: 'the current ControllerRevision agent-h1 (revision 1) of default/agent is not above the old agent-h2 (revision 2)' }]);
    });

    it('no revision of the current template, or two of one template, is reported', () => {
      expect(check(at('v2'), [rev('v1', 'h1', 1)])).toEqual([{ objects: [dsRef], message: 'no ControllerRevision of default/agent saves its current template (revisions: agent-h1 (revision 1))' }]);
      expect(check(at('v1'), [rev('v1', 'h1', 1), rev('v1', 'hx', 2)])).toEqual([{ objects: [dsRef], message: 'ControllerRevisions agent-h1 (revision 1), agent-hx (revision 2) of default/agent save the same template' }]);
    });

    it('old revisions beyond the limit are kept only while pods use them; a pod whose hash no revision has is reported', () => {
      const history = [rev('v1', 'h1', 1), rev('v2', 'h2', 2), rev('v3', 'h3', 3)];
      expect(check(at('v3'), history, [pod('a', 'n1', { hash: 'h3' })])).toEqual([
        { objects: [dsRef], message: 'default/agent keeps 2 old ControllerRevisions, revisionHistoryLimit 1, and no pod uses agent-h1 (revision 1), agent-h2 (revision 2)' },
      ]);
      expect(check(at('v3'), history, [pod('a', 'n1', { hash: 'h1' }), pod('b', 'n2', { hash: 'h2' })])).toEqual([]);
      expect(check(at('v3'), history.slice(1), [pod('a', 'n1', { hash: 'h1' })])).toEqual([
        { objects: [dsRef], message: 'pods a of default/agent carry controller-revision-hash h1, which none of its ControllerRevisions has' },
      ]);
    });

    it('a revision not named <daemonset>-<hash>, without its template labels, or not replacing the template is reported', () => {
      const r = rev('v1', 'h1', 1);
      expect(check(at('v1'), [{ ...r, metadata: { ...r.metadata, labels: { [CONTROLLER_REVISION_HASH_LABEL]: 'h1' } } }])).toHaveLength(1);
      expect(check(at('v1'), [{ ...r, metadata: { ...r.metadata, name: 'agent-other' } }])).toHaveLength(1);
      // A patch without `$patch: replace` would be merged into the template by `kubectl rollout undo`.
      expect(check(at('v1'), [{ ...r, data: { spec: { template: { ...at('v1').spec.template, $patch: '' } } } }])).toEqual([
        { objects: [dsRef], message: 'ControllerRevision agent-h1 of default/agent does not replace the template ($patch: replace) when applied' },
      ]);
    });
  });

  describe('daemonSetRevisionHistory', () => {
    const check = (before: KubeObject[], changes: StateChange[]) => daemonSetRevisionHistory(...transition(before, changes, 1_000));

    it('a new revision numbered one above the others holds; one numbered at or below them is reported', () => {
      expect(check([at('v2'), rev('v1', 'h1', 1)], [{ type: 'ADDED', object: rev('v2', 'h2', 2) }])).toEqual([]);
      expect(check([at('v2'), rev('v1', 'h1', 1)], [{ type: 'ADDED', object: rev('v2', 'h2', 1) }])).toEqual([
        { objects: [{ kind: 'ControllerRevision', namespace: 'default', name: 'agent-h2' }, dsRef], message: 'ControllerRevision agent-h2 of default/agent was created as revision 1, not above agent-h1 (revision 1)' },
      ]);
    });

    it('a rollback renumbers the reused revision above the others; a number going down is reported', () => {
      const before = [at('v1'), rev('v1', 'h1', 1), rev('v2', 'h2', 2)];
      expect(check(before, [{ type: 'MODIFIED', object: rev('v1', 'h1', 3) }])).toEqual([]);
      expect(check([at('v1'), rev('v1', 'h1', 3), rev('v2', 'h2', 2)], [{ type: 'MODIFIED', object: rev('v1', 'h1', 1) }])).toEqual([
        { objects: [{ kind: 'ControllerRevision', namespace: 'default', name: 'agent-h1' }, dsRef], message: 'ControllerRevision agent-h1 of default/agent went from revision 3 down to 1' },
        { objects: [{ kind: 'ControllerRevision', namespace: 'default', name: 'agent-h1' }, dsRef], message: 'ControllerRevision agent-h1 of default/agent was renumbered as revision 1, not above agent-h2 (revision 2)' },
      ]);
    });

    it('limit 1, old revisions 1 and 2 unused: deleting 1 holds; deleting 2 (the newer) is reported, and so is deleting one a pod still uses or one within the limit', () => {
      const history = [rev('v1', 'h1', 1), rev('v2', 'h2', 2), rev('v3', 'h3', 3)];
      const before = [at('v3', 1), ...history, pod('a', 'n1', { hash: 'h3' })];
      expect(check(before, [{ type: 'DELETED', object: history[0]! }])).toEqual([]);
      expect(check(before, [{ type: 'DELETED', object: history[1]! }])).toEqual([
        { objects: [{ kind: 'ControllerRevision', namespace: 'default', name: 'agent-h2' }, dsRef], message: 'ControllerRevision agent-h2 of default/agent (revision 2) was deleted before the older unused agent-h1 (revision 1)' },
      ]);
      expect(check([at('v3', 1), ...history, pod('a', 'n1', { hash: 'h1' })], [{ type: 'DELETED', object: history[0]! }])).toEqual([
        { objects: [{ kind: 'ControllerRevision', namespace: 'default', name: 'agent-h1' }, dsRef], message: 'ControllerRevision agent-h1 of default/agent (revision 1) was deleted while pods a still carry its hash' },
      ]);
      expect(check([at('v3', 2), ...history], [{ type: 'DELETED', object: history[0]! }])).toEqual([
        { objects: [{ kind: 'ControllerRevision', namespace: 'default', name: 'agent-h1' }, dsRef], message: 'ControllerRevision agent-h1 of default/agent (revision 1) was deleted leaving 1 old revisions, revisionHistoryLimit 2' },
      ]);
      // An older revision a pod used a moment ago (the controller's cache may still show it) excuses skipping it.
      expect(check([at('v3', 1), ...history, pod('a', 'n1', { hash: 'h1' })], [{ type: 'DELETED', object: pod('a', 'n1', { hash: 'h1' }) }, { type: 'DELETED', object: history[1]! }])).toEqual([]);
    });
  });
});
