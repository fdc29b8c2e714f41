/**
 * scaleDownDeletesLowestRanked on hand-built traces: who deleted (the owner's SuccessfulDelete
 * event), which states the decision may have been made on (a lagging cache), and the ties of
 * upstream's log scale that it does not judge.
 */
import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH_MS, clusterState, formatTime } from '@kubeloop/core';
import type { ClusterState, KubeObject, StateChange } from '@kubeloop/core';
import { podsNotOverdeletedInvariant, scaleDownDeletesLowestRankedInvariant } from './deletion-order.js';

const at = (t: number) => formatTime(VIRTUAL_EPOCH_MS + t);
const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', uid: 'rs' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } } } } as unknown as KubeObject;

function pod(name: string, options: { ready?: number | undefined; created?: number; node?: string; deleted?: number } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: 'web' },
      creationTimestamp: at(options.created ?? 0),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs', controller: true }],
      ...(options.deleted === undefined ? {} : { deletionTimestamp: at(options.deleted) }),
    },
    spec: { nodeName: options.node ?? `node-${name}`, containers: [{ name: 'c', image: 'nginx' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: options.ready === undefined ? 'False' : 'True', lastTransitionTime: at(options.ready ?? 0) }],
    },
  } as unknown as KubeObject;
}

const event = (podName: string): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Event', metadata: { name: `web.${podName}`, namespace: 'default' }, involvedObject: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'default', name: 'web', uid: 'rs' }, reason: 'SuccessfulDelete', message: `Deleted pod: ${podName}` }) as unknown as KubeObject;

const change = (type: StateChange['type'], object: KubeObject, t: number): StateChange => ({ type, object, t });

/** The states before and after `changes` (all after t=1 000), judged at t=200 000. */
function judge(before: readonly KubeObject[], changes: readonly StateChange[], invariant = scaleDownDeletesLowestRankedInvariant()): string[] {
  const previous = clusterState(before, 1_000);
  const objects = new Map(before.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  for (const c of changes) {
    if (c.type === 'DELETED') objects.delete(`${c.object.kind}/${c.object.metadata.name}`);
    else objects.set(`${c.object.kind}/${c.object.metadata.name}`, c.object);
  }
  const state: ClusterState = clusterState([...objects.values()], 200_000, changes, previous);
  return invariant.check(state, previous).map((v) => v.message);
}

describe('scaleDownDeletesLowestRanked', () => {
  it('names an owner that deleted a ready pod and kept one that is not ready', () => {
    const messages = judge([owner, pod('old', { ready: 500 }), pod('new', { created: 900 })], [change('MODIFIED', pod('old', { ready: 500, deleted: 2_000 }), 2_000), change('ADDED', event('old'), 2_000)]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^ReplicaSet default\/web deleted pod old at t=2000 ms but kept pod new, which ranks below it for deletion on every state of the \d+ ms before \(node-old, Running, ready/);
  });

  it('passes the owner that deleted the pod that is not ready, and judges no deletion its event does not claim (the test’s own)', () => {
    expect(judge([owner, pod('old', { ready: 500 }), pod('new', { created: 900 })], [change('DELETED', pod('new', { created: 900 }), 2_000), change('ADDED', event('new'), 2_000)])).toEqual([]);
    expect(judge([owner, pod('old', { ready: 500 }), pod('new', { created: 900 })], [change('MODIFIED', pod('old', { ready: 500, deleted: 2_000 }), 2_000)])).toEqual([]);
  });

  it('excuses a deletion decided on a cache a moment old: the victim was not ready a few seconds before', () => {
    const changes = [change('MODIFIED', pod('old', { ready: 1_500 }), 1_500), change('MODIFIED', pod('old', { ready: 1_500, deleted: 2_000 }), 2_000), change('ADDED', event('old'), 2_000)];
    expect(judge([owner, pod('old'), pod('new', { created: 900 })], changes)).toEqual([]);
    // The same with the owner's last creation after the victim became ready: no cache can be that old.
    const created = [change('MODIFIED', pod('old', { ready: 1_500 }), 1_500), change('ADDED', pod('new', { created: 1_800 }), 1_800), change('MODIFIED', pod('old', { ready: 1_500, deleted: 2_000 }), 2_000), change('ADDED', event('old'), 2_000)];
    expect(judge([owner, pod('old')], created)).toHaveLength(1);
  });

  it('excuses a deletion decided on a cache that lost the victim’s binding (a dropped MODIFIED event), even from before the owner’s last creation, but not one older than the window', () => {
    // a is created unassigned, bound, then b is created unassigned in the same second; a cache
    // that missed a's binding ranks the two alike, so deleting a is one of upstream's choices.
    const unbound = (name: string, created: number) => pod(name, { created, node: '' });
    const missed = [
      change('ADDED', unbound('a', 1_100), 1_100),
      change('MODIFIED', pod('a', { created: 1_100, node: 'n1' }), 1_300),
      change('ADDED', unbound('b', 1_600), 1_600),
      change('MODIFIED', pod('a', { created: 1_100, node: 'n1', deleted: 2_000 }), 2_000),
      change('ADDED', event('a'), 2_000),
    ];
    expect(judge([owner], missed)).toEqual([]);
    // a was bound 40 s before: no version of it within the 30 s window was unassigned.
    const bound = [change('ADDED', unbound('b', 40_600), 40_600), change('MODIFIED', pod('a', { created: 1_100, node: 'n1', deleted: 41_000 }), 41_000), change('ADDED', event('a'), 41_000)];
    expect(judge([owner, pod('a', { created: 1_100, node: 'n1' })], bound)).toHaveLength(1);
  });

  it('excuses a deletion decided on a cache that lost the victim’s binding longer ago than the window only when the state says that event was lost', () => {
    // a is bound at 1.3 s and never changes again (its node went down); 40 s later b is created
    // and bound, and a is deleted. A cache that lost a's binding still ranks a as unassigned,
    // below b: deleting a is then upstream's choice, however old that loss.
    const rv = (o: KubeObject, resourceVersion: string) => ({ ...o, metadata: { ...o.metadata, resourceVersion } }) as KubeObject;
    const aUnbound = rv(pod('a', { created: 1_100, node: '' }), '10');
    const aBound = rv(pod('a', { created: 1_100, node: 'n1' }), '11');
    const first = clusterState([owner, aBound], 1_500, [change('ADDED', aUnbound, 1_100), change('MODIFIED', aBound, 1_300)]);
    const bBound = rv(pod('b', { created: 40_600, node: 'n2' }), '13');
    const aDeleted = rv(pod('a', { created: 1_100, node: 'n1', deleted: 41_000 }), '14');
    const changes = [change('ADDED', rv(pod('b', { created: 40_600, node: '' }), '12'), 40_600), change('MODIFIED', bBound, 40_700), change('MODIFIED', aDeleted, 41_000), change('ADDED', event('a'), 41_000)];
    const after = (lost?: ReadonlyMap<string, ReadonlySet<string>>) => clusterState([owner, aDeleted, bBound, event('a')], 200_000, changes, first, 0, lost);
    const check = (lost?: ReadonlyMap<string, ReadonlySet<string>>) => scaleDownDeletesLowestRankedInvariant().check(after(lost), first);
    // No event lost (or only another one): a ranked above b on every version of the window.
    expect(check()).toHaveLength(1);
    expect(check(new Map([['Pod/default/b', new Set(['13'])]]))).toHaveLength(1);
    expect(check(new Map([['Pod/default/a', new Set(['9'])]]))).toHaveLength(1);
    // a's binding (rv 11) was lost: no verdict.
    expect(check(new Map([['Pod/default/a', new Set(['11'])]]))).toEqual([]);
  });

  it('does not judge two ready pods whose ready times fall in one log₂ bucket (upstream breaks the tie by uid), but does across buckets', () => {
    // Ready 10 s and 12 s before the deletion: ⌊log₂⌋ of 10e9 and 12e9 ns are both 33.
    const close = [owner, pod('a', { ready: 100_000 - 12_000, node: 'n1' }), pod('b', { ready: 100_000 - 10_000, node: 'n2' })];
    expect(judge(close, [change('MODIFIED', pod('a', { ready: 88_000, deleted: 100_000, node: 'n1' }), 100_000), change('ADDED', event('a'), 100_000)])).toEqual([]);
    // Ready 60 s and 1 s before: deleting the older one is wrong.
    const far = [owner, pod('a', { ready: 40_000, node: 'n1' }), pod('b', { ready: 99_000, node: 'n2' })];
    expect(judge(far, [change('MODIFIED', pod('a', { ready: 40_000, deleted: 100_000, node: 'n1' }), 100_000), change('ADDED', event('a'), 100_000)])).toHaveLength(1);
  });
});

describe('podsNotOverdeleted', () => {
  const overdeleted = podsNotOverdeletedInvariant();
  const scaled = (replicas: number): KubeObject => ({ ...owner, spec: { ...(owner as unknown as { spec: object }).spec, replicas } }) as unknown as KubeObject;
  const deleteAt = (name: string, t: number): StateChange[] => [change('MODIFIED', pod(name, { ready: 500, deleted: t }), t), change('ADDED', event(name), t)];

  it('names an owner that deleted every pod to scale from 3 to 2', () => {
    const before = [scaled(3), pod('a', { ready: 500 }), pod('b', { ready: 500 }), pod('c', { ready: 500 })];
    const changes = [change('MODIFIED', scaled(2), 1_500), ...deleteAt('a', 2_000), ...deleteAt('b', 2_000), ...deleteAt('c', 2_000)];
    const messages = judge(before, changes, overdeleted);
    expect(messages).toEqual(['ReplicaSet default/web deleted 3 pods in one scale-down at t=2000 ms, but in the 30000 ms before it controlled 3 active pods in all and had at least 2 replicas (a surplus of at most 1)']);
  });

  it('passes the owner that deleted the one surplus pod, and one whose cache still showed a pod the test had deleted', () => {
    const before = [scaled(3), pod('a', { ready: 500 }), pod('b', { ready: 500 }), pod('c', { ready: 500 })];
    expect(judge(before, [change('MODIFIED', scaled(2), 1_500), ...deleteAt('a', 2_000)], overdeleted)).toEqual([]);
    // The test deleted c (no event claims it) just before the scale-down the cache decided on.
    const stale = [change('MODIFIED', pod('c', { ready: 500, deleted: 1_200 }), 1_200), change('MODIFIED', scaled(2), 1_500), ...deleteAt('a', 2_000)];
    expect(judge(before, stale, overdeleted)).toEqual([]);
  });

  it('counts one scale-down per batch: two deletions 5 s apart, each of one surplus pod, pass', () => {
    const before = [scaled(4), pod('a', { ready: 500 }), pod('b', { ready: 500 }), pod('c', { ready: 500 }), pod('d', { ready: 500 })];
    const changes = [change('MODIFIED', scaled(3), 1_500), ...deleteAt('a', 2_000), change('MODIFIED', scaled(2), 6_500), ...deleteAt('b', 7_000)];
    expect(judge(before, changes, overdeleted)).toEqual([]);
  });

  it('counts a pod adopted during the scale-down, but not a replacement the owner creates during it', () => {
    const orphan = (deleted?: number): KubeObject => {
      const p = pod('x', { ready: 500, ...(deleted === undefined ? {} : { deleted }) }) as unknown as { metadata: { ownerReferences?: unknown } };
      return { ...p, metadata: { ...p.metadata, ownerReferences: deleted === undefined && p.metadata.ownerReferences !== undefined ? [] : p.metadata.ownerReferences } } as unknown as KubeObject;
    };
    const before = [scaled(2), pod('a', { ready: 500 }), pod('b', { ready: 500 }), orphan()];
    // Scaled to 0: a and b go, then x is adopted and goes too — three deletions, all due.
    const adopted = [change('MODIFIED', scaled(0), 1_500), ...deleteAt('a', 2_000), ...deleteAt('b', 2_000), change('MODIFIED', pod('x', { ready: 500 }), 2_100), ...deleteAt('x', 2_200)];
    expect(judge(before, adopted, overdeleted)).toEqual([]);
    // Scaled to 1, both pods deleted and one replacement created: one deletion too many.
    const replaced = [change('MODIFIED', scaled(1), 1_500), ...deleteAt('a', 2_000), ...deleteAt('b', 2_000), change('ADDED', pod('c', { created: 2_000 }), 2_000)];
    expect(judge([scaled(2), pod('a', { ready: 500 }), pod('b', { ready: 500 })], replaced, overdeleted)).toHaveLength(1);
  });

  it('counts a replacement the batch deletes on both sides: a pod released, replaced and adopted back costs the replacement, but one more deletion is named', () => {
    // x carries the owner's labels; with (true) or without (false) the owner's controller reference.
    const x = (owned: boolean): KubeObject => {
      const p = pod('x', { ready: 500 }) as unknown as { metadata: { ownerReferences: unknown[] } };
      return { ...p, metadata: { ...p.metadata, ownerReferences: owned ? p.metadata.ownerReferences : [] } } as unknown as KubeObject;
    };
    const before = [scaled(2), pod('a', { ready: 500 }), pod('b', { ready: 500 }), x(false)];
    // x adopted (3 pods): a goes; x released (1 pod): c created; x adopted back (3 pods): c goes.
    // Two syncs' deletions a moment apart, each of the one surplus pod.
    const cycle = [change('MODIFIED', x(true), 1_800), ...deleteAt('a', 2_000), change('MODIFIED', x(false), 2_100), change('ADDED', pod('c', { created: 2_200 }), 2_200), change('MODIFIED', x(true), 2_300)];
    expect(judge(before, [...cycle, ...deleteAt('c', 2_400)], overdeleted)).toEqual([]);
    // The same, but the last sync deletes b with c: one pod left of 2 replicas.
    const messages = judge(before, [...cycle, ...deleteAt('c', 2_400), ...deleteAt('b', 2_400)], overdeleted);
    expect(messages).toEqual(['ReplicaSet default/web deleted 3 pods in one scale-down at t=2000 ms, but in the 30000 ms before it controlled 4 active pods in all and had at least 2 replicas (a surplus of at most 2)']);
  });

  it('counts the replacement of a pod released during the scale-down, once: the pod adopted back and the replacement are two pods to delete, a third is named', () => {
    // x and y carry the owner's labels; with (true) or without (false) the owner's controller reference.
    const labelled = (name: string, owned: boolean): KubeObject => {
      const p = pod(name, { ready: 500 }) as unknown as { metadata: { ownerReferences: unknown[] } };
      return { ...p, metadata: { ...p.metadata, ownerReferences: owned ? p.metadata.ownerReferences : [] } } as unknown as KubeObject;
    };
    const before = [scaled(2), pod('a', { ready: 500 }), labelled('x', true), labelled('y', false)];
    // Scaled to 1: a goes (x left). x is released (0 pods): c replaces it. x is adopted back and
    // y adopted (3 pods): x and y go, c stays. Upstream's syncs each delete their surplus: the
    // deep run 1796610051 (replay `replicaset: lagging pod cache@1796610051:89:…`) saw this of
    // ReplicationController c, whose pod a label edit took away and another gave back.
    const cycle = [
      change('MODIFIED', scaled(1), 1_500),
      ...deleteAt('a', 2_000),
      change('MODIFIED', labelled('x', false), 2_100),
      change('ADDED', pod('c', { created: 2_200 }), 2_200),
      change('MODIFIED', labelled('x', true), 2_900),
      change('MODIFIED', labelled('y', true), 2_900),
    ];
    expect(judge(before, [...cycle, ...deleteAt('x', 2_950), ...deleteAt('y', 2_950)], overdeleted)).toEqual([]);
    // The same scale-down deleting c too leaves no pod of 1 replica.
    expect(judge(before, [...cycle, ...deleteAt('x', 2_950), ...deleteAt('y', 2_950), ...deleteAt('c', 2_950)], overdeleted)).toEqual([
      'ReplicaSet default/web deleted 4 pods in one scale-down at t=2000 ms, but in the 30000 ms before it controlled 4 active pods in all and had at least 1 replicas (a surplus of at most 3)',
    ]);
    // Created before x left, c replaces only the owner's own deletion of a and does not count: one deletion too many.
    const early = [change('MODIFIED', scaled(1), 1_500), ...deleteAt('a', 2_000), change('ADDED', pod('c', { created: 2_050 }), 2_050), ...cycle.slice(3).filter((ch) => ch.object.metadata.name !== 'c')];
    expect(judge(before, [...early, ...deleteAt('x', 2_950), ...deleteAt('y', 2_950)], overdeleted)).toEqual([
      'ReplicaSet default/web deleted 3 pods in one scale-down at t=2000 ms, but in the 30000 ms before it controlled 3 active pods in all and had at least 1 replicas (a surplus of at most 2)',
    ]);
  });

  it('gives no verdict on an event that names a deletion its window does not hold (a write held across a clock jump lands 85 s late)', () => {
    const before = [scaled(2), pod('a', { ready: 500 }), pod('b', { ready: 500 })];
    const late = [change('MODIFIED', scaled(1), 1_500), change('MODIFIED', pod('a', { ready: 500, deleted: 2_000 }), 2_000), change('DELETED', pod('a', { ready: 500, deleted: 2_000 }), 2_000), change('ADDED', event('a'), 87_000)];
    expect(judge(before, late, overdeleted)).toEqual([]);
  });
});
