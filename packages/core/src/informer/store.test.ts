import { fc, test } from '@fast-check/vitest';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { compareResourceVersions } from '../api/meta.js';
import { note, runs } from '../testing/index.js';
import { InformerError } from './errors.js';
import { CacheWriter, CONTROLLER_UID_INDEX, LABEL_INDEX, NAMESPACE_INDEX, NODE_NAME_INDEX, orphanIndexKey, reflector } from './store.js';
import type { InformerEvent } from './store.js';
import type { Note } from '../testing/index.js';
import type { WatcherEvent } from './watcher.js';

const v = (ns: string, name: string, rv: number, extra: Parameters<typeof note>[2] = {}): Note =>
  Object.freeze(note(ns, name, { ...extra, resourceVersion: String(rv) }));
const names = (objs: readonly Note[]): string[] => objs.map((o) => o.metadata.name ?? '').sort();

function synced(writer: CacheWriter<Note>, ...items: Note[]): void {
  writer.apply({ type: 'InitStart' });
  for (const object of items) writer.apply({ type: 'InitApply', object });
  writer.apply({ type: 'InitDone', resourceVersion: '1' });
}

describe('CacheWriter', () => {
  it('reports add, update and delete for watch events, and nothing for a re-delivered version', () => {
    const w = new CacheWriter<Note>();
    synced(w);
    const a1 = v('ns', 'a', 2);
    const a2 = v('ns', 'a', 3);
    const a3 = v('ns', 'a', 4);
    expect(w.apply({ type: 'Apply', object: a1 })).toEqual([{ type: 'add', object: a1 }]);
    expect(w.apply({ type: 'Apply', object: a1 })).toEqual([]);
    expect(w.apply({ type: 'Apply', object: a2 })).toEqual([{ type: 'update', old: a1, object: a2 }]);
    expect(w.reader.get('ns/a')).toBe(a2);
    expect(w.reader.get({ namespace: 'ns', name: 'a' })).toBe(a2);
    expect(w.apply({ type: 'Delete', object: a3 })).toEqual([{ type: 'delete', object: a3 }]);
    expect(w.apply({ type: 'Delete', object: a3 })).toEqual([]);
    expect(w.reader.get('ns/a')).toBeUndefined();
    w.assertInvariants();
  });

  it('reports the revision it has caught up with: none before the first list, then the list, then each watch event (client-go LastStoreSyncResourceVersion)', () => {
    const w = new CacheWriter<Note>();
    expect(w.reader.lastSyncResourceVersion()).toBe('');
    w.apply({ type: 'InitStart' });
    w.apply({ type: 'InitApply', object: v('ns', 'a', 3) });
    // A snapshot still being received is not caught up with.
    expect(w.reader.lastSyncResourceVersion()).toBe('');
    w.apply({ type: 'InitDone', resourceVersion: '5' });
    expect(w.reader.lastSyncResourceVersion()).toBe('5');
    w.apply({ type: 'Apply', object: v('ns', 'b', 6) });
    expect(w.reader.lastSyncResourceVersion()).toBe('6');
    // A re-delivered version changes nothing in the cache, but the cache has seen it.
    w.apply({ type: 'Apply', object: v('ns', 'b', 6) });
    expect(w.reader.lastSyncResourceVersion()).toBe('6');
    w.apply({ type: 'Delete', object: v('ns', 'a', 7) });
    expect(w.reader.lastSyncResourceVersion()).toBe('7');
    // The delete of an object the cache never held was seen all the same.
    w.apply({ type: 'Delete', object: v('ns', 'c', 8) });
    expect(w.reader.lastSyncResourceVersion()).toBe('8');
    // An older event (a watch from revision 0 replays the objects in no order) does not move it back.
    w.apply({ type: 'Apply', object: v('ns', 'd', 4) });
    expect(w.reader.lastSyncResourceVersion()).toBe('8');
    // A relist moves it to the new list's revision.
    w.apply({ type: 'InitStart' });
    w.apply({ type: 'InitDone', resourceVersion: '12' });
    expect(w.reader.lastSyncResourceVersion()).toBe('12');
  });

  test.prop([fc.array(fc.oneof(fc.nat({ max: 2000 }).map(String), fc.constantFrom('', '01', 'x', '1e3', '-1')), { maxLength: 40 })])(
    'its revision is the newest of the events by integer order; one that cannot be ordered against it replaces it',
    (revisions) => {
      const w = new CacheWriter<Note>();
      synced(w);
      let expected = '1';
      for (const [i, rv] of revisions.entries()) {
        w.apply({ type: 'Apply', object: Object.freeze(note('ns', `n${i % 5}`, { resourceVersion: rv })) });
        const order = compareResourceVersions(rv, expected);
        if (order === undefined || order > 0) expected = rv;
        expect(w.reader.lastSyncResourceVersion()).toBe(expected);
      }
    },
  );

  it('stores the objects it receives without copying them', () => {
    const w = new CacheWriter<Note>();
    const a = v('ns', 'a', 1);
    synced(w, a);
    expect(w.reader.get('ns/a')).toBe(a);
    expect(w.reader.list()[0]).toBe(a);
  });

  it('is synced only once the first snapshot is complete', async () => {
    const w = new CacheWriter<Note>();
    let resolved = false;
    void w.reader.synced.then(() => (resolved = true));
    w.apply({ type: 'InitStart' });
    w.apply({ type: 'InitApply', object: v('ns', 'a', 1) });
    await Promise.resolve();
    expect(w.reader.hasSynced()).toBe(false);
    expect(resolved).toBe(false);
    w.apply({ type: 'InitDone', resourceVersion: '1' });
    expect(w.reader.hasSynced()).toBe(true);
    await w.reader.synced;
    expect(resolved).toBe(true);
  });

  it('computes synthetic deltas on relist: tombstones for vanished objects, updates for changed ones, adds for new ones', () => {
    const w = new CacheWriter<Note>();
    const keep = v('ns', 'keep', 1);
    const change1 = v('ns', 'change', 2);
    const vanish = v('ns', 'vanish', 3);
    synced(w, keep, change1, vanish);
    const change2 = v('ns', 'change', 7);
    const fresh = v('ns', 'fresh', 8);
    w.apply({ type: 'InitStart' });
    for (const object of [v('ns', 'keep', 1), change2, fresh]) w.apply({ type: 'InitApply', object });
    // Readers keep seeing the old snapshot until the new one is complete.
    expect(names(w.reader.list())).toEqual(['change', 'keep', 'vanish']);
    const deltas = w.apply({ type: 'InitDone', resourceVersion: '9' });
    expect(deltas).toEqual<InformerEvent<Note>[]>([
      { type: 'delete', object: vanish, tombstone: true },
      { type: 'update', old: change1, object: change2 },
      { type: 'add', object: fresh },
    ]);
    expect(names(w.reader.list())).toEqual(['change', 'fresh', 'keep']);
    expect(w.reader.get('ns/keep')).toBe(keep);
    w.assertInvariants();
  });

  it('indexes by namespace, controller owner uid, label and user-defined functions', () => {
    const w = new CacheWriter<Note>({ indexers: { byColor: (n) => (n.data?.['color'] === undefined ? [] : [n.data['color']]) } });
    const owner = (uid: string, controller: boolean) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid, controller });
    const a = v('x', 'a', 1, { labels: { app: 'web', tier: 'front' }, ownerReferences: [owner('u1', true)], data: { color: 'red' } });
    const b = v('y', 'b', 2, { labels: { app: 'web' }, ownerReferences: [owner('u2', false), owner('u1', true)] });
    const c = v('y', 'c', 3, { labels: { app: 'db' }, ownerReferences: [owner('u1', false)], data: { color: 'red' } });
    synced(w, a, b, c);
    const r = w.reader;
    expect(names(r.list('y'))).toEqual(['b', 'c']);
    expect(names(r.byIndex(NAMESPACE_INDEX, 'x'))).toEqual(['a']);
    expect(names(r.byIndex(CONTROLLER_UID_INDEX, 'u1'))).toEqual(['a', 'b']);
    expect(names(r.byIndex(CONTROLLER_UID_INDEX, 'u2'))).toEqual([]);
    expect(names(r.byIndex(LABEL_INDEX, 'app=web'))).toEqual(['a', 'b']);
    expect(names(r.byIndex(LABEL_INDEX, 'tier=front'))).toEqual(['a']);
    expect(names(r.byIndex('byColor', 'red'))).toEqual(['a', 'c']);

    w.apply({ type: 'Apply', object: v('x', 'a', 4, { labels: { app: 'db' }, data: { color: 'blue' } }) });
    expect(names(r.byIndex(LABEL_INDEX, 'app=web'))).toEqual(['b']);
    expect(names(r.byIndex(LABEL_INDEX, 'app=db'))).toEqual(['a', 'c']);
    expect(names(r.byIndex(CONTROLLER_UID_INDEX, 'u1'))).toEqual(['b']);
    // Objects without a controller are filed as orphans of their namespace (upstream's
    // PodControllerUIDIndex): `a` lost its controller, `c` only ever had a non-controller owner.
    expect(names(r.byIndex(CONTROLLER_UID_INDEX, orphanIndexKey('x')))).toEqual(['a']);
    expect(names(r.byIndex(CONTROLLER_UID_INDEX, orphanIndexKey('y')))).toEqual(['c']);
    expect(names(r.byIndex('byColor', 'blue'))).toEqual(['a']);
    w.apply({ type: 'Delete', object: c });
    expect(names(r.byIndex('byColor', 'red'))).toEqual([]);
    w.assertInvariants();
  });

  it('refuses indexers registered after the first event, clashing names and unknown indexes (client-go "Index with name does not exist")', () => {
    const w = new CacheWriter<Note>();
    expect(() => w.addIndexer(LABEL_INDEX, () => [])).toThrow(expect.objectContaining({ code: 'indexer-conflict' }));
    w.addIndexer('mine', () => []);
    expect(() => w.addIndexer('mine', () => [])).toThrow(InformerError);
    w.apply({ type: 'InitStart' });
    expect(() => w.addIndexer('late', () => [])).toThrow(expect.objectContaining({ code: 'indexer-after-start' }));
    expect(() => w.reader.byIndex('nope', 'x')).toThrow(expect.objectContaining({ code: 'unknown-index' }));
  });

  it('hands out a reader with no way to write', () => {
    const w = new CacheWriter<Note>();
    expect(Object.isFrozen(w.reader)).toBe(true);
    expect('apply' in w.reader).toBe(false);
  });
});

describe('reflector', () => {
  it('applies each event before publishing what it changed', () => {
    const w = new CacheWriter<Note>();
    const events$ = new Subject<WatcherEvent<Note>>();
    const seen: string[] = [];
    reflector(w, events$).subscribe((e) => seen.push(`${e.type}:${w.reader.get('ns/a')?.metadata.resourceVersion ?? '-'}`));
    events$.next({ type: 'InitStart' });
    events$.next({ type: 'InitApply', object: v('ns', 'a', 1) });
    events$.next({ type: 'InitDone', resourceVersion: '1' });
    events$.next({ type: 'Apply', object: v('ns', 'a', 2) });
    events$.next({ type: 'Delete', object: v('ns', 'a', 3) });
    expect(seen).toEqual(['add:1', 'update:2', 'delete:-']);
  });
});

// A model test: arbitrary event sequences (including relists) keep the indexes exact, and the
// deltas replayed on a plain map reproduce the cache.
const objArb = fc.record({
  ns: fc.constantFrom('a', 'b'),
  name: fc.constantFrom('p', 'q', 'r', 's'),
  app: fc.option(fc.constantFrom('web', 'db'), { nil: undefined }),
  owner: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
});
type ObjSpec = typeof objArb extends fc.Arbitrary<infer U> ? U : never;
const eventArb = fc.oneof(
  fc.record({ kind: fc.constant('apply' as const), obj: objArb }),
  fc.record({ kind: fc.constant('delete' as const), obj: objArb }),
  fc.record({ kind: fc.constant('relist' as const), objs: fc.array(objArb, { maxLength: 6 }) }),
);

describe('CacheWriter model', () => {
  test.prop([fc.array(eventArb, { maxLength: 40 })], { numRuns: runs(200, 5000) })(
    'keeps indexes exact and its deltas replay to the cache content, whatever the events',
    (events) => {
      const w = new CacheWriter<Note>();
      const replica = new Map<string, Note>();
      let rv = 0;
      const make = (o: ObjSpec): Note =>
        v(o.ns, o.name, ++rv, {
          ...(o.app === undefined ? {} : { labels: { app: o.app } }),
          ...(o.owner === undefined ? {} : { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: o.owner, controller: true }] }),
        });
      const feed = (e: WatcherEvent<Note>) => {
        for (const d of w.apply(e)) {
          const key = `${d.object.metadata.namespace}/${d.object.metadata.name}`;
          if (d.type === 'add') expect(replica.has(key)).toBe(false);
          if (d.type === 'update') expect(replica.get(key)).toBe(d.old);
          if (d.type === 'delete') expect(replica.has(key)).toBe(true);
          if (d.type === 'delete') replica.delete(key);
          else replica.set(key, d.object);
        }
      };
      feed({ type: 'InitStart' });
      feed({ type: 'InitDone', resourceVersion: '0' });
      // The built-in indexes are built on their first query: half-way through, then kept.
      const firstQuery = Math.floor(events.length / 2);
      for (const [i, e] of events.entries()) {
        if (i >= firstQuery) {
          for (const app of ['web', 'db']) {
            const want = [...replica.values()].filter((o) => o.metadata.labels?.app === app);
            expect(new Set(w.reader.byIndex(LABEL_INDEX, `app=${app}`))).toEqual(new Set(want));
          }
          for (const o of replica.values()) {
            const uid = o.metadata.ownerReferences?.[0]?.uid;
            if (uid !== undefined) expect(w.reader.byIndex(CONTROLLER_UID_INDEX, uid)).toContain(o);
          }
        }
        if (e.kind === 'apply') feed({ type: 'Apply', object: make(e.obj) });
        else if (e.kind === 'delete') feed({ type: 'Delete', object: make(e.obj) });
        else {
          feed({ type: 'InitStart' });
          for (const o of e.objs) feed({ type: 'InitApply', object: make(o) });
          feed({ type: 'InitDone', resourceVersion: String(rv) });
        }
        w.assertInvariants();
        expect([...replica.keys()].sort()).toEqual([...w.reader.keys()].sort());
        for (const [k, o] of replica) expect(w.reader.get(k)).toBe(o);
      }
    },
  );
});

describe('the node-name index', () => {
  it('finds the objects bound to a node, and follows an object that moves on or off it', () => {
    const w = new CacheWriter<Note>();
    const bound = (name: string, rv: number, nodeName?: string): Note => ({ ...v('ns', name, rv), spec: nodeName === undefined ? {} : { nodeName } }) as unknown as Note;
    w.apply({ type: 'InitStart' });
    w.apply({ type: 'InitApply', object: bound('a', 1, 'n1') });
    w.apply({ type: 'InitApply', object: bound('b', 2) });
    w.apply({ type: 'InitDone', resourceVersion: '2' });
    expect(w.reader.byIndex(NODE_NAME_INDEX, 'n1').map((o) => o.metadata.name)).toEqual(['a']);
    w.apply({ type: 'Apply', object: bound('b', 3, 'n1') });
    w.apply({ type: 'Apply', object: bound('a', 4, 'n2') });
    expect(w.reader.byIndex(NODE_NAME_INDEX, 'n1').map((o) => o.metadata.name)).toEqual(['b']);
    expect(w.reader.byIndex(NODE_NAME_INDEX, 'n2').map((o) => o.metadata.name)).toEqual(['a']);
    w.apply({ type: 'Delete', object: bound('b', 5, 'n1') });
    expect(w.reader.byIndex(NODE_NAME_INDEX, 'n1')).toEqual([]);
    w.assertInvariants();
  });
});
