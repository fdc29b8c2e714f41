/**
 * The shared building blocks, pinned against upstream's `controller_utils.go` and
 * `controller_ref_manager.go` (the pod predicates and `intstr` arithmetic are core's, tested there).
 */
import { OwnWrites } from './ownwrites.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PodSchema, VirtualClock, formatTime, type Pod } from '@kubeloop/core';
import {
  ControllerExpectations,
  EXPECTATIONS_TIMEOUT_MS,
  UidTrackingExpectations,
  claimDecision,
  computeHash,
  fnv32a,
  newControllerRef,
  podFromTemplate,
  podsToDelete,
  removeCondition,
  setCondition,
  slowStartBatch,
} from './index.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0); // a fixed instant for readable fixtures, not the wall clock

interface PodOpts {
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown' | 'Succeeded' | 'Failed';
  readyAt?: number;
  restarts?: number;
  createdAt?: number;
  cost?: number;
  uid?: string;
  deleting?: boolean;
  owner?: { uid: string; controller?: boolean };
  namespace?: string;
  labels?: Record<string, string>;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${name}`,
      creationTimestamp: formatTime(o.createdAt ?? NOW - 3_600_000),
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } } : {}),
      ...(o.deleting ? { deletionTimestamp: formatTime(NOW) } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.owner.uid, controller: o.owner.controller ?? true }] } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.readyAt !== undefined ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(o.readyAt) }] } : {}),
      containerStatuses: [{ name: 'app', image: 'nginx', imageID: '', ready: o.readyAt !== undefined, restartCount: o.restarts ?? 0 }],
    },
  });
}

const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata.name);

describe('podsToDelete (upstream ActivePodsWithRanks)', () => {
  const ready = NOW - 3_600_000;
  it.each([
    ['unassigned before assigned', [pod('assigned', { node: 'n1', phase: 'Pending' }), pod('unassigned', { phase: 'Pending' })], 'unassigned'],
    ['Pending before Unknown before Running', [pod('running', { node: 'n1', readyAt: ready }), pod('unknown', { node: 'n1', phase: 'Unknown' }), pod('pending', { node: 'n1', phase: 'Pending' })], 'pending'],
    ['not ready before ready', [pod('ready', { node: 'n1', readyAt: ready }), pod('not-ready', { node: 'n1' })], 'not-ready'],
    ['lower pod-deletion-cost first', [pod('cheap', { node: 'n1', readyAt: ready, cost: -5 }), pod('dear', { node: 'n2', readyAt: ready, cost: 10 })].reverse(), 'cheap'],
    ['ready for less time first (log scale)', [pod('old', { node: 'n1', readyAt: NOW - 86_400_000 }), pod('young', { node: 'n2', readyAt: NOW - 60_000 })], 'young'],
    ['more restarts first', [pod('calm', { node: 'n1', readyAt: ready }), pod('crashy', { node: 'n2', readyAt: ready, restarts: 7 })], 'crashy'],
    ['newer first (log scale)', [pod('older', { node: 'n1', readyAt: ready, createdAt: NOW - 86_400_000 }), pod('newer', { node: 'n2', readyAt: ready, createdAt: NOW - 60_000 })], 'newer'],
  ])('%s', (_rule, pods, first) => {
    expect(names(podsToDelete(pods, [], 1, NOW))).toEqual([first]);
  });

  it('deletes pods doubled up on a node with related pods first', () => {
    const spread = pod('alone', { node: 'n1', readyAt: ready });
    const doubled = pod('doubled', { node: 'n2', readyAt: ready });
    const sibling = pod('sibling', { node: 'n2', readyAt: ready }); // another ReplicaSet's pod of the same Deployment
    expect(names(podsToDelete([spread, doubled], [spread, doubled, sibling], 1, NOW))).toEqual(['doubled']);
  });

  it('ties within one log2 bucket of ready time are broken by uid, not by exact time', () => {
    // 40 and 45 minutes ago (2.4e12 and 2.7e12 ns) fall in the same power-of-two bucket, 2^41.
    const a = pod('a', { node: 'n1', readyAt: NOW - 40 * 60_000, uid: 'b-uid' });
    const b = pod('b', { node: 'n2', readyAt: NOW - 45 * 60_000, uid: 'a-uid' });
    expect(names(podsToDelete([a, b], [], 1, NOW))).toEqual(['b']);
  });

  it('returns every pod when asked for at least as many as there are', () => {
    const pods = [pod('x'), pod('y')];
    expect(names(podsToDelete(pods, [], 5, NOW))).toEqual(['x', 'y']);
  });

  it('is a total order: any permutation of the same pods gives the same victims', () => {
    const pool = [
      pod('p0', { phase: 'Pending' }),
      pod('p1', { node: 'n1', phase: 'Pending' }),
      pod('p2', { node: 'n1', readyAt: NOW - 1_000 }),
      pod('p3', { node: 'n2', readyAt: NOW - 100_000, restarts: 2 }),
      pod('p4', { node: 'n2', readyAt: NOW - 100_000 }),
      pod('p5', { node: 'n3', readyAt: NOW - 10_000_000, cost: 3 }),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(pool, { minLength: pool.length, maxLength: pool.length }), fc.integer({ min: 0, max: pool.length }), (perm, n) => {
        expect(new Set(names(podsToDelete(perm, pool, n, NOW)))).toEqual(new Set(names(podsToDelete(pool, pool, n, NOW))));
      }),
      { numRuns: 50 },
    );
  });
});

describe('expectations (upstream ControllerExpectations)', () => {
  it('holds a controller back until its creates are observed, then lets it act', () => {
    const clock = new VirtualClock();
    const e = new ControllerExpectations(clock);
    expect(e.satisfied('default/web')).toBe(true);
    e.expectCreations('default/web', 2);
    expect(e.satisfied('default/web')).toBe(false);
    e.creationObserved('default/web');
    expect(e.satisfied('default/web')).toBe(false);
    e.creationObserved('default/web');
    expect(e.satisfied('default/web')).toBe(true);
    e.assertInvariants();
  });

  it('counts as satisfied once the entry is older than five minutes (a lost watch event)', async () => {
    const clock = new VirtualClock();
    const e = new ControllerExpectations(clock);
    e.expectDeletions('default/web', 1);
    await clock.advance(EXPECTATIONS_TIMEOUT_MS);
    expect(e.satisfied('default/web')).toBe(false);
    await clock.advance(1);
    expect(e.satisfied('default/web')).toBe(true);
  });

  it('counts a pod seen deleting and then gone only once (UID tracking)', () => {
    const e = new UidTrackingExpectations(new VirtualClock());
    e.expectDeletionsOf('default/web', ['default/a', 'default/b']);
    e.podDeletionObserved('default/web', 'default/a');
    e.podDeletionObserved('default/web', 'default/a');
    expect(e.pending('default/web')).toEqual({ add: 0, del: 1 });
    expect(e.satisfied('default/web')).toBe(false);
    e.podDeletionObserved('default/web', 'default/b');
    expect(e.satisfied('default/web')).toBe(true);
    e.assertInvariants();
  });

  it('expects creates and the deletion of named pods at once, replacing the pods of the previous entry (the DaemonSet controller)', () => {
    const e = new UidTrackingExpectations(new VirtualClock());
    e.expectDeletionsOf('default/agent', ['default/a']);
    e.setExpectationsOf('default/agent', 1, ['default/b']);
    e.podDeletionObserved('default/agent', 'default/a');
    expect(e.pending('default/agent')).toEqual({ add: 1, del: 1 });
    e.podDeletionObserved('default/agent', 'default/b');
    e.creationObserved('default/agent');
    expect(e.satisfied('default/agent')).toBe(true);
    e.assertInvariants();
  });
});

describe('slowStartBatch (upstream slowStartBatch)', () => {
  it('creates in batches of 1, 2, 4, ... and stops after the first batch with an error', async () => {
    const calls: number[] = [];
    const result = await slowStartBatch(20, 1, async (i) => {
      calls.push(i);
      if (i === 5) throw new Error('quota exceeded');
    });
    // batches: [0] [1,2] [3..6] — index 5 fails in the third batch, the rest are never tried
    expect(calls).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(result.successes).toBe(6);
    expect((result.error as Error).message).toBe('quota exceeded');
  });

  it('makes exactly count calls when nothing fails, in batches that double', async () => {
    const sizes: number[] = [];
    let inBatch = 0;
    const result = await slowStartBatch(10, 1, async () => {
      inBatch++;
      await Promise.resolve();
      if (inBatch > 0) sizes.push(inBatch);
      inBatch = 0;
    });
    expect(result).toEqual({ successes: 10 });
    expect(sizes.filter((s) => s > 0)).toEqual([1, 2, 4, 3]);
  });
});

describe('claiming (upstream ControllerRefManager)', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', uid: 'owner', namespace: 'default' } };
  const deleting = { ...owner, metadata: { ...owner.metadata, deletionTimestamp: formatTime(NOW) } };
  it.each([
    ['keeps its own matching pod', pod('p', { owner: { uid: 'owner' } }), owner, true, 'keep'],
    ['releases its own pod that stopped matching', pod('p', { owner: { uid: 'owner' } }), owner, false, 'release'],
    ['does not release while being deleted', pod('p', { owner: { uid: 'owner' } }), deleting, false, 'ignore'],
    ['adopts a matching orphan', pod('p'), owner, true, 'adopt'],
    ['does not adopt while being deleted', pod('p'), deleting, true, 'ignore'],
    ['does not adopt an orphan that is being deleted', pod('p', { deleting: true }), owner, true, 'ignore'],
    ['does not adopt across namespaces', pod('p', { namespace: 'other' }), owner, true, 'ignore'],
    ["never touches another controller's pod", pod('p', { owner: { uid: 'someone-else' } }), owner, true, 'ignore'],
    ['adopts a pod with only a non-controller reference', pod('p', { owner: { uid: 'someone-else', controller: false } }), owner, true, 'adopt'],
  ] as const)('%s', (_case, p, o, matches, decision) => {
    expect(claimDecision(p, o, matches)).toBe(decision);
  });

  it('puts a blocking controller reference and the template on a new pod', () => {
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', uid: 'u1', namespace: 'prod' } };
    const created = podFromTemplate({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } as never, rs, newControllerRef(rs));
    expect(created.metadata).toMatchObject({
      generateName: 'web-abc-',
      namespace: 'prod',
      labels: { app: 'web' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    });
  });
});

describe('hashes', () => {
  it('hashes with FNV-32a (reference vectors) and encodes in the vowel-free alphabet', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
    const h = computeHash({ spec: { containers: [{ name: 'a', image: 'nginx' }] } });
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('gives the same hash whatever the key order, and another one with a collision count', () => {
    expect(computeHash({ a: 1, b: { c: 2, d: 3 } })).toBe(computeHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(computeHash({ a: 1 }, 1)).not.toBe(computeHash({ a: 1 }));
  });
});

describe('conditions', () => {
  it('keeps lastTransitionTime while the status stays, replaces it when the status flips, and removes', () => {
    const first = setCondition(undefined, { type: 'Available', status: 'True', reason: 'A', lastTransitionTime: 't1' });
    const same = setCondition(first, { type: 'Available', status: 'True', reason: 'A', lastTransitionTime: 't2' });
    expect(same).toBe(first);
    const reasoned = setCondition(first, { type: 'Available', status: 'True', reason: 'B', lastTransitionTime: 't3' });
    expect(reasoned[0]).toMatchObject({ reason: 'B', lastTransitionTime: 't1' });
    const flipped = setCondition(first, { type: 'Available', status: 'False', reason: 'B', lastTransitionTime: 't4' });
    expect(flipped[0]).toMatchObject({ status: 'False', lastTransitionTime: 't4' });
    expect(removeCondition(flipped, 'Available')).toEqual([]);
  });
});

describe('OwnWrites', () => {
  const svc = (rv: string, uid: string, ip?: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default', uid, resourceVersion: rv }, spec: {}, status: ip === undefined ? {} : { loadBalancer: { ingress: [{ ip }] } } });
  it('shows the status last written until the cache reaches that version, then the cache', () => {
    const mine = new OwnWrites<ReturnType<typeof svc>>();
    mine.remember(svc('5', 'u', '10.0.0.1'));
    expect(mine.current(svc('4', 'u')).status).toEqual({ loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } });
    expect(mine.current(svc('5', 'u')).status).toEqual({});
    // forgotten once caught up
    expect(mine.current(svc('4', 'u')).status).toEqual({});
  });
  it('ignores what it wrote for another object of the same name', () => {
    const mine = new OwnWrites<ReturnType<typeof svc>>();
    mine.remember(svc('5', 'old', '10.0.0.1'));
    expect(mine.current(svc('3', 'new')).status).toEqual({});
  });
});
