/**
 * The graph builder driven by plain arrays of changes (upstream `graph_builder.go`
 * `processGraphChanges`), with a sink that records the work it hands out.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject, OwnerReference } from '@kubeloop/core';
import type { GraphChange, GraphSink } from './graph-builder.js';
import { GraphBuilder } from './graph-builder.js';
import type { GraphNode } from './graph.js';

const T = '2026-01-01T00:00:00Z';

function recorder(): { sink: GraphSink; log: string[] } {
  const log: string[] = [];
  return {
    log,
    sink: {
      attemptToDelete: (uid, o) => log.push(`delete:${uid}${o?.rateLimited === true ? ':later' : ''}`),
      attemptToOrphan: (uid) => log.push(`orphan:${uid}`),
      invalidNamespaceOwnerReference: (dep: GraphNode, owner) => log.push(`invalid:${dep.identity.uid}->${owner}`),
    },
  };
}

function cm(uid: string, opts: { namespace?: string; owners?: OwnerReference[]; deleting?: readonly string[]; name?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: opts.name ?? `cm-${uid}`,
      namespace: opts.namespace ?? 'default',
      uid,
      ...(opts.owners === undefined ? {} : { ownerReferences: opts.owners }),
      ...(opts.deleting === undefined ? {} : { deletionTimestamp: T, finalizers: [...opts.deleting] }),
    },
  };
}

function owner(uid: string, block?: boolean, name = `cm-${uid}`): OwnerReference {
  return { apiVersion: 'v1', kind: 'ConfigMap', name, uid, ...(block === undefined ? {} : { blockOwnerDeletion: block }) };
}

describe('GraphBuilder', () => {
  it('creates a virtual node for an owner not seen yet and asks for it to be verified', () => {
    const { sink, log } = recorder();
    const g = new GraphBuilder(sink);
    g.push({ type: 'upsert', object: cm('c', { owners: [owner('o')] }) });
    expect(g.node('o')?.virtual).toBe(true);
    expect(log).toEqual(['delete:o']);
    g.push({ type: 'upsert', object: cm('o') });
    expect(g.node('o')?.virtual).toBe(false);
    expect([...g.node('o')!.dependents].map((d) => d.identity.uid)).toEqual(['c']);
    g.assertInvariants();
  });

  it('reports a dependent observed before its owner in another namespace (bad child, then good parent)', () => {
    const { sink, log } = recorder();
    const g = new GraphBuilder(sink);
    g.push({ type: 'upsert', object: cm('c', { namespace: 'a', owners: [owner('o')] }) });
    g.push({ type: 'upsert', object: cm('o', { namespace: 'b' }) });
    expect(log).toEqual(['delete:o', 'invalid:c->o', 'delete:c']);
    expect(g.node('o')?.identity.namespace).toBe('b');
    g.assertInvariants();
  });

  it('reports a dependent observed after its owner in another namespace (good parent, then bad child)', () => {
    const { sink, log } = recorder();
    const g = new GraphBuilder(sink);
    g.push({ type: 'upsert', object: cm('o', { namespace: 'b' }) });
    g.push({ type: 'upsert', object: cm('c', { namespace: 'a', owners: [owner('o')] }) });
    expect(log).toEqual(['invalid:c->o', 'delete:c']);
  });

  it('on a foreground deletion, marks the owner and asks for its dependents (by uid) and then itself', () => {
    const { sink, log } = recorder();
    const g = new GraphBuilder(sink);
    g.push({ type: 'upsert', object: cm('o') });
    for (const uid of ['z', 'a', 'm']) g.push({ type: 'upsert', object: cm(uid, { owners: [owner('o', true)] }) });
    log.length = 0;
    g.push({ type: 'upsert', object: cm('o', { deleting: ['foregroundDeletion'] }), old: cm('o') });
    expect(g.node('o')?.deletingDependents).toBe(true);
    expect(log).toEqual(['delete:a', 'delete:m', 'delete:z', 'delete:o']);
  });

  it('on an orphan deletion, asks for the owner to be orphaned; a first observation counts (restart)', () => {
    const { sink, log } = recorder();
    const g = new GraphBuilder(sink);
    g.push({ type: 'upsert', object: cm('o', { deleting: ['orphan'] }) });
    expect(log).toEqual(['orphan:o']);
    g.push({ type: 'upsert', object: cm('o', { deleting: ['orphan'] }), old: cm('o', { deleting: ['orphan'] }) });
    expect(log).toEqual(['orphan:o']);
  });

  it('when an owner goes, records it absent and asks for its dependents', () => {
    const { sink, log } = recorder();
    const g = new GraphBuilder(sink);
    g.push({ type: 'upsert', object: cm('o') });
    g.push({ type: 'upsert', object: cm('c', { owners: [owner('o')] }) });
    g.push({ type: 'delete', object: cm('o') });
    expect(log).toEqual(['delete:c']);
    expect(g.absentOwners.has({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm-o', uid: 'o', namespace: 'default' })).toBe(true);
    expect(g.node('o')).toBeUndefined();
    g.assertInvariants();
  });

  it('asks for a foreground owner again when a blocking reference to it is removed or unblocked', () => {
    const { sink, log } = recorder();
    const g = new GraphBuilder(sink);
    g.push({ type: 'upsert', object: cm('o', { deleting: ['foregroundDeletion'] }) });
    g.push({ type: 'upsert', object: cm('c', { owners: [owner('o', true)] }) });
    log.length = 0;
    g.push({ type: 'upsert', object: cm('c', { owners: [owner('o', false)] }), old: cm('c', { owners: [owner('o', true)] }) });
    expect(log).toEqual(['delete:o']);
  });

  it('keeps a virtual node whose dependents name it by other coordinates, and tries the alternative', () => {
    const { sink, log } = recorder();
    const g = new GraphBuilder(sink);
    g.push({ type: 'upsert', object: cm('c1', { owners: [owner('o', false, 'first')] }) });
    g.push({ type: 'upsert', object: cm('c2', { owners: [owner('o', false, 'second')] }) });
    log.length = 0;
    const verified = g.node('o')!.identity;
    expect(verified.name).toBe('first');
    g.push({ type: 'virtual-delete', identity: verified });
    expect(log).toEqual(['delete:c1', 'delete:o:later']);
    expect(g.node('o')?.identity.name).toBe('second');
    g.assertInvariants();
  });

  it('keeps the graph invariants for any sequence of observations, deletions and virtual deletes', () => {
    const uids = ['a', 'b', 'c', 'd', 'e'];
    const change = fc.oneof(
      fc.record({
        type: fc.constant('upsert' as const),
        uid: fc.constantFrom(...uids),
        namespace: fc.constantFrom('x', 'y'),
        owners: fc.uniqueArray(fc.record({ uid: fc.constantFrom(...uids), block: fc.boolean() }), { selector: (o) => o.uid, maxLength: 3 }),
        deleting: fc.constantFrom(undefined, ['orphan'], ['foregroundDeletion']),
      }),
      fc.record({ type: fc.constant('delete' as const), uid: fc.constantFrom(...uids) }),
      fc.record({ type: fc.constant('virtual-delete' as const), uid: fc.constantFrom(...uids) }),
    );
    fc.assert(
      fc.property(fc.array(change, { maxLength: 30 }), (changes) => {
        const { sink } = recorder();
        const g = new GraphBuilder(sink);
        const last = new Map<string, KubeObject>();
        for (const c of changes) {
          let next: GraphChange;
          if (c.type === 'upsert') {
            const object = cm(c.uid, { namespace: c.namespace, owners: c.owners.filter((o) => o.uid !== c.uid).map((o) => owner(o.uid, o.block)), ...(c.deleting === undefined ? {} : { deleting: c.deleting }) });
            next = { type: 'upsert', object, old: last.get(c.uid) };
            last.set(c.uid, object);
          } else if (c.type === 'delete') {
            const object = last.get(c.uid);
            if (object === undefined) continue;
            next = { type: 'delete', object };
            last.delete(c.uid);
          } else {
            const node = g.node(c.uid);
            if (node === undefined) continue;
            next = { type: 'virtual-delete', identity: node.identity };
          }
          g.push(next);
          g.assertInvariants();
        }
      }),
      { numRuns: process.env.KUBELOOP_DEEP === '1' ? 5_000 : 300 },
    );
  });
});
