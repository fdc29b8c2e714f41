/**
 * The read-after-write store, pinned against upstream's `pkg/controller/util` ConsistencyStore
 * (KEP-5647): a sync waits until its caches show the writes of the syncs before it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConsistencyError, ConsistencyStore } from './consistency.js';

/** A cache whose caught-up revision the test moves by hand. */
function cache(rv = ''): { rv: string; lastSyncResourceVersion(): string } {
  return {
    rv,
    lastSyncResourceVersion() {
      return this.rv;
    },
  };
}

const web = { key: 'default/web', uid: 'u1' };

describe('ConsistencyStore', () => {
  it('lets an owner it has no record of sync at once (a new or restarted controller)', () => {
    const store = new ConsistencyStore({ pods: () => cache('3') });
    expect(store.ensureReady('default/web')).toBeUndefined();
  });

  it('holds an owner back until the cache reaches the revision of its write, then forgets the write', () => {
    const pods = cache('100');
    const store = new ConsistencyStore({ pods: () => pods });
    store.wroteAt(web, 'pods', '105');
    const error = store.ensureReady(web.key);
    expect(error).toBeInstanceOf(ConsistencyError);
    expect(error).toMatchObject({ code: 'cache-behind-write', owner: 'default/web', resource: 'pods', wroteResourceVersion: '105', readResourceVersion: '100' });
    expect(store.written(web.key, 'pods')).toBe('105');
    pods.rv = '105';
    expect(store.ensureReady(web.key)).toBeUndefined();
    expect(store.written(web.key, 'pods')).toBeUndefined();
    // Forgotten: a cache that went back (a relist from an older server) does not hold it again.
    pods.rv = '101';
    expect(store.ensureReady(web.key)).toBeUndefined();
  });

  it('compares revisions as integers: a cache at 10 is past a write at 9', () => {
    const store = new ConsistencyStore({ pods: () => cache('10') });
    store.wroteAt(web, 'pods', '9');
    expect(store.ensureReady(web.key)).toBeUndefined();
  });

  it('keeps the newest write of each resource and waits for every cache', () => {
    const pods = cache('7');
    const sets = cache('7');
    const store = new ConsistencyStore({ pods: () => pods, statefulsets: () => sets });
    store.wroteAt(web, 'pods', '12');
    store.wroteAt(web, 'pods', '9');
    store.wroteAt(web, 'statefulsets', '13');
    expect(store.written(web.key, 'pods')).toBe('12');
    pods.rv = '13';
    expect(store.ensureReady(web.key)).toMatchObject({ resource: 'statefulsets', wroteResourceVersion: '13', readResourceVersion: '7' });
    sets.rv = '13';
    expect(store.ensureReady(web.key)).toBeUndefined();
  });

  it('starts a new record for an owner of the same name with another uid', () => {
    const store = new ConsistencyStore({ pods: () => cache('1') });
    store.wroteAt(web, 'pods', '50');
    store.wroteAt({ key: web.key, uid: 'u2' }, 'pods', '20');
    expect(store.written(web.key, 'pods')).toBe('20');
  });

  it('never holds an owner back on what it cannot order: an empty cache revision, a revision that is not an integer, an unknown resource', () => {
    const store = new ConsistencyStore({ pods: () => cache(''), claims: () => cache('abc') });
    store.wroteAt(web, 'pods', '50');
    store.wroteAt(web, 'claims', '60');
    store.wroteAt(web, 'nodes', '70');
    store.wroteAt(web, 'pods', undefined);
    store.assertInvariants();
    expect(store.ensureReady(web.key)).toBeUndefined();
  });

  it('forgets an owner that is gone, only for its uid when one is given', () => {
    const store = new ConsistencyStore({ pods: () => cache('1') });
    store.wroteAt(web, 'pods', '50');
    store.clear(web.key, 'other');
    expect(store.ensureReady(web.key)).toBeInstanceOf(ConsistencyError);
    store.clear(web.key, 'u1');
    expect(store.ensureReady(web.key)).toBeUndefined();
    store.wroteAt(web, 'pods', '50');
    store.clear(web.key);
    expect(store.ensureReady(web.key)).toBeUndefined();
  });

  it('is ready exactly when the cache is at or past the newest revision written (random writes and reads)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1_000), { minLength: 1, maxLength: 10 }), fc.nat(1_000), (writes, read) => {
        const pods = cache(String(read));
        const store = new ConsistencyStore({ pods: () => pods });
        for (const rv of writes) store.wroteAt(web, 'pods', String(rv));
        store.assertInvariants();
        expect(store.ensureReady(web.key) === undefined).toBe(read >= Math.max(...writes));
      }),
    );
  });
});
