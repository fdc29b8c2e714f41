/**
 * The ReplicaSet controller's arithmetic, pinned by tables against upstream's `manageReplicas`
 * (burst cap, slow-start batches, skipped creates) and `getPodsToDelete` (the deletion order with
 * related pods on the same node).
 */
import { describe, expect, it } from 'vitest';
import { PodSchema, formatTime, selectorFromSet } from '@kubeloop/core';
import type { KubeObject, Pod } from '@kubeloop/core';
import { slowStartBatch } from '../shared/index.js';
import { BURST_REPLICAS, choosePodsToDelete, relatedPods, replicaDiff, skippedCreates } from './decide.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0); // a fixed instant for readable fixtures

interface PodOpts {
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown' | 'Succeeded' | 'Failed';
  readyAt?: number;
  createdAt?: number;
  labels?: Record<string, string>;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web' },
      creationTimestamp: formatTime(o.createdAt ?? NOW - 3_600_000),
      ...(o.deleting ? { deletionTimestamp: formatTime(NOW) } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.readyAt !== undefined ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(o.readyAt) }] } : {}),
    },
  });
}

function owner(name: string, controllerUid?: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      ...(controllerUid === undefined ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: controllerUid, controller: true }] }),
    },
  };
}

const names = (pods: readonly Pod[]): string[] => pods.map((p) => p.metadata.name ?? '');

describe('replicaDiff (upstream manageReplicas)', () => {
  it.each([
    { active: 3, replicas: 10, want: { action: 'create', count: 7 } },
    { active: 12, replicas: 10, want: { action: 'delete', count: 2 } },
    { active: 5, replicas: 5, want: { action: 'none' } },
    { active: 0, replicas: 0, want: { action: 'none' } },
    { active: 0, replicas: 500, want: { action: 'create', count: 500 } },
    { active: 0, replicas: 2000, want: { action: 'create', count: 500 } },
    { active: 700, replicas: 0, want: { action: 'delete', count: 500 } },
    { active: 501, replicas: 0, want: { action: 'delete', count: 500 } },
  ])('$active active pods, $replicas replicas → $want', ({ active, replicas, want }) => {
    expect(replicaDiff(active, replicas)).toEqual(want);
  });

  it('caps at the burst given (upstream BurstReplicas), 500 by default', () => {
    expect(BURST_REPLICAS).toBe(500);
    expect(replicaDiff(0, 10, 3)).toEqual({ action: 'create', count: 3 });
    expect(replicaDiff(10, 0, 3)).toEqual({ action: 'delete', count: 3 });
  });
});

describe('slow-start batches (upstream slowStartBatch)', () => {
  it.each([
    { count: 0, sizes: [] },
    { count: 1, sizes: [1] },
    { count: 2, sizes: [1, 1] },
    { count: 3, sizes: [1, 2] },
    { count: 7, sizes: [1, 2, 4] },
    { count: 10, sizes: [1, 2, 4, 3] },
    { count: 500, sizes: [1, 2, 4, 8, 16, 32, 64, 128, 245] },
  ])('$count creates go in batches of $sizes', async ({ count, sizes }) => {
    // The shared slowStartBatch makes calls in exactly these batches.
    const batches: number[] = [];
    let inBatch = 0;
    await slowStartBatch(count, 1, async () => {
      inBatch++;
      await Promise.resolve();
      if (inBatch > 0) {
        batches.push(inBatch);
        inBatch = 0;
      }
    });
    expect(batches).toEqual(sizes);
  });

  it.each([
    // planned, first failing call (0-based), successes, skipped
    { planned: 10, failAt: 0, successes: 0, skipped: 10 },
    { planned: 10, failAt: 1, successes: 2, skipped: 8 }, // batch [1,2]: the other call of the batch succeeds
    { planned: 10, failAt: 4, successes: 6, skipped: 4 }, // batch [3..6] runs fully, 3 of 4 succeed
    { planned: 7, failAt: 99, successes: 7, skipped: 0 },
  ])('stops at the first failing batch: $planned planned, call $failAt fails → $successes created, $skipped expectations lowered', async ({ planned, failAt, successes, skipped }) => {
    let i = 0;
    const result = await slowStartBatch(planned, 1, async () => {
      if (i++ === failAt) throw new Error('exceeded quota');
    });
    expect(result.successes).toBe(successes);
    expect(skippedCreates(planned, result.successes)).toBe(skipped);
  });
});

describe('which pods are deleted (upstream getPodsToDelete)', () => {
  it('deletes unassigned, then pending, then not-ready pods before ready ones', () => {
    const pods = [pod('ready', { node: 'n1', readyAt: NOW - 60_000 }), pod('pending', { node: 'n1', phase: 'Pending' }), pod('unassigned', { phase: 'Pending' }), pod('notready', { node: 'n2' })];
    expect(names(choosePodsToDelete(pods, pods, 3, NOW))).toEqual(['unassigned', 'pending', 'notready']);
  });

  it('of ready pods on different nodes, deletes the one doubled up on a node first', () => {
    const a1 = pod('a1', { node: 'n1', readyAt: NOW - 600_000 });
    const a2 = pod('a2', { node: 'n1', readyAt: NOW - 600_000 });
    const b = pod('b', { node: 'n2', readyAt: NOW - 60_000 }); // newer, but alone on its node
    const deleted = names(choosePodsToDelete([a1, a2, b], [a1, a2, b], 1, NOW));
    expect(['a1', 'a2']).toContain(deleted[0]);
  });

  it('counts the pods of sibling ReplicaSets (same Deployment) on the same node as related', () => {
    // Own pods: x on n1, y on n2 (both ready as long). The sibling's pods crowd n2.
    const x = pod('x', { node: 'n1', readyAt: NOW - 600_000 });
    const y = pod('y', { node: 'n2', readyAt: NOW - 600_000 });
    const s1 = pod('s1', { node: 'n2', labels: { app: 'web', hash: 'old' }, readyAt: NOW - 600_000 });
    const s2 = pod('s2', { node: 'n2', labels: { app: 'web', hash: 'old' }, readyAt: NOW - 600_000 });
    const self = owner('web-new', 'deploy-uid');
    const sibling = owner('web-old', 'deploy-uid');
    const stranger = owner('other', 'other-uid');
    const related = relatedPods(
      self,
      [
        { owner: self, selector: selectorFromSet({ app: 'web', hash: 'new' }) },
        { owner: sibling, selector: selectorFromSet({ app: 'web', hash: 'old' }) },
        { owner: stranger, selector: selectorFromSet({ app: 'web' }) },
      ],
      [x, y, s1, s2],
      [x, y],
    );
    expect(names(related)).toEqual(['s1', 's2']);
    expect(names(choosePodsToDelete([x, y], related, 1, NOW))).toEqual(['y']);
  });

  it('lists each related pod once even when two sibling selectors match it', () => {
    const p = pod('p', { node: 'n1' });
    const a = owner('a', 'd');
    const b = owner('b', 'd');
    const sel = selectorFromSet({ app: 'web' });
    expect(names(relatedPods(a, [{ owner: a, selector: sel }, { owner: b, selector: sel }], [p], []))).toEqual(['p']);
  });

  it('without a controller owner, ranks against its own active pods (two on one node go before one alone)', () => {
    const self = owner('solo');
    const a1 = pod('a1', { node: 'n1', readyAt: NOW - 600_000 });
    const a2 = pod('a2', { node: 'n1', readyAt: NOW - 600_000 });
    const b = pod('b', { node: 'n2', readyAt: NOW - 600_000 });
    const gone = pod('gone', { node: 'n2', deleting: true });
    const related = relatedPods(self, [], [a1, a2, b, gone], [a1, a2, b, gone]);
    expect(names(related)).toEqual(['a1', 'a2', 'b']);
    const deleted = names(choosePodsToDelete([a1, a2, b], related, 2, NOW));
    expect(deleted.sort()).toEqual(['a1', 'a2']);
  });

  it('returns every pod when asked for as many as there are', () => {
    const pods = [pod('a'), pod('b')];
    expect(names(choosePodsToDelete(pods, pods, 5, NOW))).toEqual(['a', 'b']);
  });
});
