/**
 * The pod event handler (upstream `addPod`/`updatePod`/`deletePod` of `replica_set.go`): which
 * owners each pod event wakes, and which creations and deletions it records for expectations.
 */
import { describe, expect, it } from 'vitest';
import { PodSchema, ReplicaSetSchema, VirtualClock, formatTime } from '@kubeloop/core';
import type { Manager, Pod, ReplicaSet } from '@kubeloop/core';
import { UidTrackingExpectations } from '../shared/index.js';
import { podEventHandler } from './controller.js';
import { ReplicaSetKind } from './kind.js';

function replicaSet(name: string, app: string): ReplicaSet {
  return ReplicaSetSchema.parse({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { replicas: 1, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } },
  });
}

function pod(name: string, labels: Record<string, string>, o: { owner?: { kind?: string; name: string; uid: string }; rv?: string; deleting?: boolean } = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels,
      resourceVersion: o.rv ?? '1',
      ...(o.deleting ? { deletionTimestamp: formatTime(0) } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner.kind ?? 'ReplicaSet', name: o.owner.name, uid: o.owner.uid, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
  });
}

function setup() {
  const owners = [replicaSet('web', 'web'), replicaSet('api', 'api'), replicaSet('web2', 'web')];
  const manager = {
    cache: () => ({
      get: (key: { name: string }) => owners.find((o) => o.metadata.name === key.name),
      list: () => owners,
    }),
  } as unknown as Manager;
  const expectations = new UidTrackingExpectations(new VirtualClock());
  return { handler: podEventHandler(manager, ReplicaSetKind, expectations), expectations };
}

const names = (requests: readonly { name: string }[]): string[] => requests.map((r) => r.name).sort();
const web = { name: 'web', uid: 'uid-web' };

describe('pod events (upstream addPod/updatePod/deletePod)', () => {
  it('a new controlled pod is a creation observed for its owner, which is woken', () => {
    const { handler, expectations } = setup();
    expectations.expectCreations('default/web', 2);
    expect(names(handler.map({ type: 'add', object: pod('p', { app: 'web' }, { owner: web }) }))).toEqual(['web']);
    expect(expectations.pending('default/web')).toEqual({ add: 1, del: 0 });
  });

  it('a new orphan wakes every ReplicaSet whose selector matches it (for adoption)', () => {
    const { handler } = setup();
    expect(names(handler.map({ type: 'add', object: pod('p', { app: 'web' }) }))).toEqual(['web', 'web2']);
  });

  it('a pod controlled by another kind, or by a ReplicaSet with another uid, wakes nobody and observes nothing', () => {
    const { handler, expectations } = setup();
    expectations.expectCreations('default/web', 1);
    expect(handler.map({ type: 'add', object: pod('p', { app: 'web' }, { owner: { kind: 'StatefulSet', name: 'web', uid: 'uid-web' } }) })).toEqual([]);
    expect(handler.map({ type: 'add', object: pod('q', { app: 'web' }, { owner: { name: 'web', uid: 'recreated' } }) })).toEqual([]);
    expect(expectations.pending('default/web')).toEqual({ add: 1, del: 0 });
  });

  it('a deletionTimestamp is a deletion observed, counted once with the later delete event', () => {
    const { handler, expectations } = setup();
    expectations.expectDeletionsOf('default/web', ['default/p', 'default/q']);
    const live = pod('p', { app: 'web' }, { owner: web });
    const terminating = pod('p', { app: 'web' }, { owner: web, rv: '2', deleting: true });
    expect(names(handler.map({ type: 'update', old: live, object: terminating }))).toEqual(['web']);
    expect(expectations.pending('default/web')).toEqual({ add: 0, del: 1 });
    handler.map({ type: 'delete', object: terminating });
    expect(expectations.pending('default/web')).toEqual({ add: 0, del: 1 });
    handler.map({ type: 'delete', object: pod('q', { app: 'web' }, { owner: web }), tombstone: true });
    expect(expectations.satisfied('default/web')).toBe(true);
  });

  it('a new pod already being deleted (seen after a restart) counts as a deletion', () => {
    const { handler, expectations } = setup();
    expectations.expectDeletionsOf('default/web', ['default/p']);
    handler.map({ type: 'add', object: pod('p', { app: 'web' }, { owner: web, deleting: true }) });
    expect(expectations.satisfied('default/web')).toBe(true);
  });

  it('an orphan whose labels changed wakes the ReplicaSets that now match it', () => {
    const { handler } = setup();
    const before = pod('p', { app: 'web' });
    const after = pod('p', { app: 'api' }, { rv: '2' });
    expect(names(handler.map({ type: 'update', old: before, object: after }))).toEqual(['api']);
  });

  it('a released pod wakes its former owner and the ReplicaSets that match it', () => {
    const { handler } = setup();
    const before = pod('p', { app: 'web' }, { owner: web });
    const after = pod('p', { app: 'web' }, { rv: '2' });
    expect(names(handler.map({ type: 'update', old: before, object: after }))).toEqual(['web', 'web2']);
  });

  it('a controlled pod whose labels changed wakes only its owner (which releases it)', () => {
    const { handler } = setup();
    const before = pod('p', { app: 'web' }, { owner: web });
    const after = pod('p', { app: 'api' }, { owner: web, rv: '2' });
    expect(names(handler.map({ type: 'update', old: before, object: after }))).toEqual(['web']);
  });

  it('a resync (same resourceVersion) wakes nobody', () => {
    const { handler } = setup();
    const p = pod('p', { app: 'web' });
    expect(handler.map({ type: 'update', old: p, object: p })).toEqual([]);
  });
});
