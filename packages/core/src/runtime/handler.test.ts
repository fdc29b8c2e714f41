import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/meta.js';
import { enqueueForObject, enqueueForOwner, enqueueMapped } from './handler.js';
import { and, annotationsChanged, generationChanged, isResync, labelsChanged, not, or, predicateFuncs, resourceVersionChanged } from './predicate.js';
import { Widgets } from '../testing/index.js';

const obj = (meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Gadget',
  metadata: { name: 'g', namespace: 'ns', resourceVersion: '1', generation: 1, ...meta },
});
const ref = (name: string, extra: { kind?: string; apiVersion?: string; controller?: boolean } = {}) => ({
  apiVersion: extra.apiVersion ?? 'example.com/v1',
  kind: extra.kind ?? 'Widget',
  name,
  uid: `uid-${name}`,
  ...(extra.controller === undefined ? {} : { controller: extra.controller }),
});

describe('event handlers', () => {
  it('enqueueForObject enqueues the object itself for every event type', () => {
    const h = enqueueForObject();
    const o = obj();
    expect(h.map({ type: 'add', object: o })).toEqual([{ namespace: 'ns', name: 'g' }]);
    expect(h.map({ type: 'delete', object: o, tombstone: true })).toEqual([{ namespace: 'ns', name: 'g' }]);
    expect(enqueueForObject().map({ type: 'add', object: { ...o, metadata: { name: 'node-1' } } })).toEqual([{ name: 'node-1' }]);
  });

  // controller-runtime pkg/handler/enqueue_owner.go: matches on group and kind, ignores the version.
  it('enqueueForOwner follows owner references of the owner kind and group, any version', () => {
    const h = enqueueForOwner(Widgets);
    const o = obj({
      ownerReferences: [ref('a', { controller: true }), ref('b', { apiVersion: 'example.com/v2' }), ref('c', { kind: 'Other' }), ref('d', { apiVersion: 'other.io/v1' })],
    });
    expect(h.map({ type: 'add', object: o })).toEqual([
      { namespace: 'ns', name: 'a' },
      { namespace: 'ns', name: 'b' },
    ]);
  });

  it('enqueueForOwner with onlyController follows only the controller reference', () => {
    const h = enqueueForOwner(Widgets, { onlyController: true });
    const o = obj({ ownerReferences: [ref('a'), ref('b', { controller: true })] });
    expect(h.map({ type: 'add', object: o })).toEqual([{ namespace: 'ns', name: 'b' }]);
  });

  it('enqueueForOwner enqueues both the old and the new owner when an object changes hands', () => {
    const h = enqueueForOwner(Widgets, { onlyController: true });
    const old = obj({ ownerReferences: [ref('a', { controller: true })] });
    const next = obj({ resourceVersion: '2', ownerReferences: [ref('b', { controller: true })] });
    expect(h.map({ type: 'update', old, object: next })).toEqual([
      { namespace: 'ns', name: 'a' },
      { namespace: 'ns', name: 'b' },
    ]);
  });

  it('enqueueForOwner gives cluster-scoped owners no namespace', () => {
    const h = enqueueForOwner({ apiVersion: 'v1', kind: 'Node', namespaced: false });
    const o = obj({ ownerReferences: [ref('node-1', { apiVersion: 'v1', kind: 'Node' })] });
    expect(h.map({ type: 'add', object: o })).toEqual([{ name: 'node-1' }]);
  });

  it('enqueueMapped unions and deduplicates what the mapper returns for old and new', () => {
    const h = enqueueMapped((o) => (o.metadata.labels?.['app'] ? [{ namespace: 'ns', name: o.metadata.labels['app'] }, { namespace: 'ns', name: 'all' }] : []));
    const old = obj({ labels: { app: 'x' } });
    const next = obj({ resourceVersion: '2', labels: { app: 'y' } });
    expect(h.map({ type: 'update', old, object: next }).map((r) => r.name)).toEqual(['x', 'all', 'y']);
  });

  it('enqueueMapped and enqueueForOwner return each request once, whichever side of an update names it, and nothing for nothing', () => {
    const twice = enqueueMapped((o) => (o.metadata.labels?.['app'] ? [{ namespace: 'ns', name: 'web' }, { namespace: 'ns', name: 'web' }] : []));
    const labelled = obj({ labels: { app: 'x' } });
    const bare = obj({ resourceVersion: '2' });
    expect(twice.map({ type: 'add', object: labelled })).toEqual([{ namespace: 'ns', name: 'web' }]);
    expect(twice.map({ type: 'update', old: labelled, object: bare })).toEqual([{ namespace: 'ns', name: 'web' }]);
    expect(twice.map({ type: 'update', old: bare, object: labelled })).toEqual([{ namespace: 'ns', name: 'web' }]);
    expect(twice.map({ type: 'update', old: bare, object: bare })).toEqual([]);
    const owners = enqueueForOwner(Widgets);
    const owned = obj({ ownerReferences: [ref('a', { controller: true })] });
    const relabelled = obj({ resourceVersion: '2', labels: { x: 'y' }, ownerReferences: [ref('a', { controller: true }), ref('a')] });
    expect(owners.map({ type: 'update', old: owned, object: relabelled })).toEqual([{ namespace: 'ns', name: 'a' }]);
    expect(owners.map({ type: 'add', object: obj() })).toEqual([]);
  });
});

describe('predicates', () => {
  const base = obj({ labels: { a: '1' }, annotations: { n: '1' } });
  const status = { ...base, metadata: { ...base.metadata, resourceVersion: '2' } };
  const spec = { ...base, metadata: { ...base.metadata, resourceVersion: '3', generation: 2 } };
  const relabel = { ...base, metadata: { ...base.metadata, resourceVersion: '4', labels: { a: '2' } } };
  const annotate = { ...base, metadata: { ...base.metadata, resourceVersion: '5', annotations: { n: '2' } } };
  const cases = [
    { name: 'generationChanged', p: generationChanged, status: false, spec: true, relabel: false, annotate: false },
    { name: 'labelsChanged', p: labelsChanged, status: false, spec: false, relabel: true, annotate: false },
    { name: 'annotationsChanged', p: annotationsChanged, status: false, spec: false, relabel: false, annotate: true },
    { name: 'resourceVersionChanged', p: resourceVersionChanged, status: true, spec: true, relabel: true, annotate: true },
  ];
  for (const c of cases) {
    it(`${c.name} passes adds, deletes and resyncs and filters updates by its field`, () => {
      expect(c.p({ type: 'add', object: base })).toBe(true);
      expect(c.p({ type: 'delete', object: base })).toBe(true);
      expect(c.p({ type: 'update', old: base, object: base })).toBe(true);
      expect(c.p({ type: 'update', old: base, object: status })).toBe(c.status);
      expect(c.p({ type: 'update', old: base, object: spec })).toBe(c.spec);
      expect(c.p({ type: 'update', old: base, object: relabel })).toBe(c.relabel);
      expect(c.p({ type: 'update', old: base, object: annotate })).toBe(c.annotate);
    });
  }

  it('combines with and, or and not', () => {
    const e = { type: 'update' as const, old: base, object: relabel };
    expect(or(generationChanged, labelsChanged)(e)).toBe(true);
    expect(and(generationChanged, labelsChanged)(e)).toBe(false);
    expect(not(generationChanged)(e)).toBe(true);
    expect(and()(e)).toBe(true);
    expect(or()(e)).toBe(false);
  });

  it('builds predicates from per-type functions and tells resyncs apart', () => {
    const p = predicateFuncs<KubeObject>({ delete: (_o, tombstone) => !tombstone });
    expect(p({ type: 'delete', object: base, tombstone: true })).toBe(false);
    expect(p({ type: 'delete', object: base })).toBe(true);
    expect(p({ type: 'add', object: base })).toBe(true);
    expect(isResync({ type: 'update', old: base, object: base })).toBe(true);
    expect(isResync({ type: 'update', old: base, object: status })).toBe(false);
  });
});
