/**
 * The contract suite of {@link Storage}: what every backend must pass (the in-memory one
 * today, etcd later). It checks the guarantees written on the interface through the interface
 * alone — with examples, and with a fast-check model test against a plain reference model —
 * so a new backend is one call: `storageContract('EtcdStorage', () => new EtcdStorage(...))`.
 *
 * Test support: imports vitest; not part of the package's runtime surface.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Subscription } from 'rxjs';
import { isApiError, type ApiError } from '../api/errors.js';
import { parseFieldSelector } from '../api/fields.js';
import { everything, parseSelector } from '../api/labels.js';
import type { KubeObject } from '../api/meta.js';
import { runs } from './budget.js';
import { isStorageError, type SelectionPredicate, type Storage, type StorageErrorCode, type StorageEvent, type StorageKey } from '../store/storage.js';

/** How the suite gets a backend. */
export interface StorageContractOptions {
  /**
   * Waits until the watches and the cache of `storage` have caught up with every change
   * committed so far. The default (a few microtask turns) suits a backend that delivers during
   * the write or right after; a remote backend passes its own.
   */
  readonly settle?: (storage: Storage) => Promise<void>;
}

interface Thing extends KubeObject {
  spec?: { value: number; color?: string };
}

const RESOURCE = 'things.example.com';

function thing(name: string, value: number, extra: { namespace?: string; labels?: Record<string, string>; color?: string } = {}): Thing {
  return {
    apiVersion: 'example.com/v1',
    kind: 'Thing',
    metadata: { name, namespace: extra.namespace ?? 'ns', uid: `uid-${name}`, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { value, ...(extra.color !== undefined ? { color: extra.color } : {}) },
  };
}

function key(name: string, namespace = 'ns'): StorageKey {
  return { resource: RESOURCE, namespace, name };
}

const rev = (o: KubeObject | { metadata: { resourceVersion?: string } }): number => Number(o.metadata.resourceVersion);

async function failure(p: Promise<unknown>): Promise<StorageErrorCode | 'none'> {
  try {
    await p;
    return 'none';
  } catch (e) {
    if (isStorageError(e)) return e.storageCode;
    throw e;
  }
}

async function microtasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function collect(storage: Storage, from: number | undefined, predicate?: SelectionPredicate, namespace?: string) {
  const events: StorageEvent[] = [];
  const errors: unknown[] = [];
  const sub = storage.watch({ resource: RESOURCE, namespace }, { from, predicate }).subscribe({ next: (e) => events.push(e), error: (e) => errors.push(e) });
  return { events, errors, sub };
}

function labelled(selector: string): SelectionPredicate {
  return { labels: parseSelector(selector), fields: parseFieldSelector(''), field: () => undefined };
}

/** Runs the {@link Storage} contract suite against fresh storages from `makeStorage`. */
export function storageContract(name: string, makeStorage: () => Storage, options: StorageContractOptions = {}): void {
  const settle = options.settle ?? (() => microtasks());

  describe(`${name}: the Storage contract`, () => {
    it('gives every write a new revision, strictly greater than the last, stamped on the object', async () => {
      const s = makeStorage();
      const a = await s.create(key('a'), thing('a', 1));
      const b = await s.create(key('b'), thing('b', 1));
      const a2 = await s.update(key('a'), thing('a', 2));
      const gone = await s.delete(key('b'));
      expect(rev(b)).toBeGreaterThan(rev(a));
      expect(rev(a2)).toBeGreaterThan(rev(b));
      expect(rev(gone)).toBeGreaterThan(rev(a2));
      expect((await s.list({ resource: RESOURCE })).revision).toBe(rev(gone));
    });

    it('hands out deep-frozen objects and returns the stored state from get', async () => {
      const s = makeStorage();
      await s.create(key('a'), thing('a', 1, { labels: { app: 'x' } }));
      const got = (await s.get(key('a'))) as Thing;
      expect(Object.isFrozen(got)).toBe(true);
      expect(Object.isFrozen(got.metadata)).toBe(true);
      expect(Object.isFrozen(got.spec)).toBe(true);
      expect(got.spec?.value).toBe(1);
      expect(await failure(s.get(key('missing')))).toBe('key-not-found');
      expect(await s.get(key('missing'), { ignoreNotFound: true })).toBeUndefined();
    });

    it("fails as the API does: storage errors are status errors with upstream's messages", async () => {
      const s = makeStorage();
      await s.create(key('a'), thing('a', 1));
      const missing = await s.get(key('b')).catch((e: unknown) => e);
      expect(isApiError(missing, 'NotFound')).toBe(true);
      expect((missing as ApiError).message).toBe(`${RESOURCE} "b" not found`);
      const taken = await s.create(key('a'), thing('a', 1)).catch((e: unknown) => e);
      expect(isApiError(taken, 'AlreadyExists')).toBe(true);
      expect((taken as ApiError).message).toBe(`${RESOURCE} "a" already exists`);
      const stale = await s.update(key('a'), thing('a', 2), { resourceVersion: '0' }).catch((e: unknown) => e);
      expect(isApiError(stale, 'Conflict')).toBe(true);
      expect((stale as ApiError).message).toMatch(new RegExp(`^Operation cannot be fulfilled on ${RESOURCE} "a": `));
    });

    it('refuses to create over an existing key, and changes nothing', async () => {
      const s = makeStorage();
      await s.create(key('a'), thing('a', 1));
      const before = (await s.list({ resource: RESOURCE })).revision;
      expect(await failure(s.create(key('a'), thing('a', 2)))).toBe('key-exists');
      expect((await s.list({ resource: RESOURCE })).revision).toBe(before);
      expect(((await s.get(key('a'))) as Thing).spec?.value).toBe(1);
    });

    it('checks resourceVersion and uid preconditions with the write, and a failed one changes nothing', async () => {
      const s = makeStorage();
      const a = await s.create(key('a'), thing('a', 1));
      const a2 = await s.update(key('a'), thing('a', 2), { resourceVersion: a.metadata.resourceVersion });
      const before = (await s.list({ resource: RESOURCE })).revision;
      expect(await failure(s.update(key('a'), thing('a', 3), { resourceVersion: a.metadata.resourceVersion }))).toBe('conflict');
      expect(await failure(s.update(key('a'), thing('a', 3), { uid: 'someone-else' }))).toBe('conflict');
      expect(await failure(s.delete(key('a'), { preconditions: { resourceVersion: a.metadata.resourceVersion } }))).toBe('conflict');
      expect(await failure(s.delete(key('a'), { preconditions: { uid: 'someone-else' } }))).toBe('conflict');
      expect((await s.list({ resource: RESOURCE })).revision).toBe(before);
      expect(await s.get(key('a'))).toEqual(a2);
      await s.delete(key('a'), { preconditions: { resourceVersion: a2.metadata.resourceVersion, uid: 'uid-a' } });
      expect(await s.get(key('a'), { ignoreNotFound: true })).toBeUndefined();
    });

    it('lets only one of two writes conditional on the same revision succeed', async () => {
      const s = makeStorage();
      const a = await s.create(key('a'), thing('a', 1));
      const results = await Promise.all([
        failure(s.update(key('a'), thing('a', 2), { resourceVersion: a.metadata.resourceVersion })),
        failure(s.update(key('a'), thing('a', 3), { resourceVersion: a.metadata.resourceVersion })),
      ]);
      expect([...results].sort()).toEqual(['conflict', 'none']);
    });

    it('answers updates and deletes of a missing key with key-not-found', async () => {
      const s = makeStorage();
      const before = (await s.list({ resource: RESOURCE })).revision;
      expect(await failure(s.update(key('a'), thing('a', 1)))).toBe('key-not-found');
      expect(await failure(s.delete(key('a')))).toBe('key-not-found');
      let called = false;
      expect(
        await failure(
          s.guaranteedUpdate(key('a'), () => {
            called = true;
            return { type: 'none', result: thing('a', 1) };
          }),
        ),
      ).toBe('key-not-found');
      expect(called).toBe(false);
      expect((await s.list({ resource: RESOURCE })).revision).toBe(before);
    });

    it('carries out what a guaranteed update decides from the current object: write, remove or nothing', async () => {
      const s = makeStorage();
      const a = await s.create(key('a'), thing('a', 1));
      const w = collect(s, rev(a));
      const a2 = (await s.guaranteedUpdate(key('a'), (cur) => ({ type: 'write', object: thing('a', ((cur as Thing).spec?.value ?? 0) + 1) }))) as Thing;
      expect(a2.spec?.value).toBe(2);
      expect(rev(a2)).toBeGreaterThan(rev(a));
      expect(await s.get(key('a'))).toEqual(a2);
      const before = (await s.list({ resource: RESOURCE })).revision;
      const same = await s.guaranteedUpdate(key('a'), (cur) => ({ type: 'none', result: cur }));
      expect(same).toEqual(a2);
      expect((await s.list({ resource: RESOURCE })).revision).toBe(before);
      const gone = (await s.guaranteedUpdate(key('a'), () => ({ type: 'remove', last: thing('a', 7) }))) as Thing;
      expect(gone.spec?.value).toBe(7);
      expect(rev(gone)).toBeGreaterThan(before);
      expect(await s.get(key('a'), { ignoreNotFound: true })).toBeUndefined();
      await settle(s);
      expect(w.events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
      expect(w.events[1]!.object).toEqual(gone);
      w.sub.unsubscribe();
    });

    it('rejects a guaranteed update with the error its decision throws, and changes nothing', async () => {
      const s = makeStorage();
      const a = await s.create(key('a'), thing('a', 1));
      const refusal = new Error('refused');
      await expect(
        s.guaranteedUpdate(key('a'), () => {
          throw refusal;
        }),
      ).rejects.toBe(refusal);
      expect(await s.get(key('a'))).toEqual(a);
      expect((await s.list({ resource: RESOURCE })).revision).toBe(rev(a));
    });

    it('decides a guaranteed update again from the stored object when its cache is stale', async () => {
      const s = makeStorage();
      await s.create(key('a'), thing('a', 1));
      await settle(s); // the cache has the object at 1
      await s.update(key('a'), thing('a', 5));
      const seen: number[] = [];
      const out = (await s.guaranteedUpdate(key('a'), (cur) => {
        seen.push((cur as Thing).spec?.value ?? -1);
        return { type: 'write', object: thing('a', ((cur as Thing).spec?.value ?? 0) * 10) };
      })) as Thing;
      expect(out.spec?.value).toBe(50);
      expect(seen[seen.length - 1]).toBe(5);
    });

    it('applies concurrent guaranteed updates one after the other, losing none', async () => {
      const s = makeStorage();
      await s.create(key('a'), thing('a', 0));
      const bump = () => s.guaranteedUpdate(key('a'), (cur) => ({ type: 'write', object: thing('a', ((cur as Thing).spec?.value ?? 0) + 1) }));
      await Promise.all([bump(), bump(), bump()]);
      expect(((await s.get(key('a'))) as Thing).spec?.value).toBe(3);
    });

    it('reports the final state of a delete at the deletion revision, or the state it is given', async () => {
      const s = makeStorage();
      await s.create(key('a'), thing('a', 1));
      await s.create(key('b'), thing('b', 1));
      const w = collect(s, (await s.list({ resource: RESOURCE })).revision);
      const goneA = await s.delete(key('a'));
      const goneB = (await s.delete(key('b'), { last: thing('b', 9) })) as Thing;
      await settle(s);
      expect(goneA.metadata.name).toBe('a');
      expect(goneB.spec?.value).toBe(9);
      expect(rev(goneB)).toBeGreaterThan(rev(goneA));
      expect(w.events).toEqual([
        { type: 'DELETED', object: goneA },
        { type: 'DELETED', object: goneB },
      ]);
      w.sub.unsubscribe();
    });

    it('lists a consistent snapshot ordered by namespace and name, filtered by namespace and selectors', async () => {
      const s = makeStorage();
      await s.create(key('b', 'y'), thing('b', 1, { namespace: 'y', labels: { app: 'web' } }));
      await s.create(key('a', 'y'), thing('a', 1, { namespace: 'y' }));
      await s.create(key('c', 'x'), thing('c', 1, { namespace: 'x', labels: { app: 'web' } }));
      const all = await s.list({ resource: RESOURCE });
      expect(all.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['x/c', 'y/a', 'y/b']);
      expect(all.revision).toBe(Math.max(...all.items.map(rev)));
      expect((await s.list({ resource: RESOURCE, namespace: 'y' })).items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
      expect((await s.list({ resource: RESOURCE }, labelled('app=web'))).items.map((o) => o.metadata.name)).toEqual(['c', 'b']);
      expect((await s.list({ resource: 'others' })).items).toEqual([]);
    });

    it('starts a watch without a revision with the current objects as ADDED, then every change', async () => {
      const s = makeStorage();
      const a = await s.create(key('a'), thing('a', 1));
      const w = collect(s, undefined);
      const b = await s.create(key('b'), thing('b', 1));
      await settle(s);
      expect(w.events).toEqual([
        { type: 'ADDED', object: a },
        { type: 'ADDED', object: b },
      ]);
      w.sub.unsubscribe();
    });

    it('delivers every change after the start revision, once, in order, and nothing before it', async () => {
      const s = makeStorage();
      await s.create(key('a'), thing('a', 1));
      const start = (await s.list({ resource: RESOURCE })).revision;
      const a2 = await s.update(key('a'), thing('a', 2));
      const w = collect(s, start); // started after a change it must still see
      const b = await s.create(key('b'), thing('b', 1));
      const goneA = await s.delete(key('a'));
      await settle(s);
      expect(w.events).toEqual([
        { type: 'MODIFIED', object: a2 },
        { type: 'ADDED', object: b },
        { type: 'DELETED', object: goneA },
      ]);
      w.sub.unsubscribe();
    });

    it('shows an object that leaves a watch selector as DELETED and one that enters as ADDED', async () => {
      const s = makeStorage();
      const w = collect(s, 0, labelled('app=web'));
      const a = await s.create(key('a'), thing('a', 1, { labels: { app: 'web' } }));
      const a2 = await s.update(key('a'), thing('a', 2, { labels: { app: 'db' } }));
      await s.update(key('a'), thing('a', 3, { labels: { app: 'db' } }));
      const a4 = await s.update(key('a'), thing('a', 4, { labels: { app: 'web' } }));
      await settle(s);
      expect(w.events).toEqual([
        { type: 'ADDED', object: a },
        { type: 'DELETED', object: a2 },
        { type: 'ADDED', object: a4 },
      ]);
      w.sub.unsubscribe();
    });

    it('finds watches that pin a field by its value, and still tells them when an object leaves', async () => {
      const s = makeStorage();
      const byColor = (color: string): SelectionPredicate => ({
        labels: everything,
        fields: parseFieldSelector(`spec.color=${color}`),
        field: (o, f) => (f === 'spec.color' ? (o as Thing).spec?.color : undefined),
      });
      const red = collect(s, 0, byColor('red'));
      const blue = collect(s, 0, byColor('blue'));
      const a = await s.create(key('a'), thing('a', 1, { color: 'red' }));
      const a2 = await s.update(key('a'), thing('a', 1, { color: 'blue' }));
      const gone = await s.delete(key('a'));
      await settle(s);
      expect(red.events).toEqual([
        { type: 'ADDED', object: a },
        { type: 'DELETED', object: a2 },
      ]);
      expect(blue.events).toEqual([
        { type: 'ADDED', object: a2 },
        { type: 'DELETED', object: gone },
      ]);
      red.sub.unsubscribe();
      blue.sub.unsubscribe();
    });

    it('keeps a watch to its namespace', async () => {
      const s = makeStorage();
      const w = collect(s, 0, undefined, 'x');
      const c = await s.create(key('c', 'x'), thing('c', 1, { namespace: 'x' }));
      await s.create(key('d', 'y'), thing('d', 1, { namespace: 'y' }));
      await settle(s);
      expect(w.events).toEqual([{ type: 'ADDED', object: c }]);
      w.sub.unsubscribe();
    });

    it('delivers a write made by a watch handler after the change being handled, to every watch', async () => {
      const s = makeStorage();
      const seen: number[][] = [[], []];
      const first = s.watch({ resource: RESOURCE }, { from: 0 }).subscribe((e) => {
        seen[0]!.push(rev(e.object));
        if (e.type === 'ADDED' && e.object.metadata.name === 'a') void s.create(key('b'), thing('b', 1));
      });
      const second = s.watch({ resource: RESOURCE }, { from: 0 }).subscribe((e) => seen[1]!.push(rev(e.object)));
      await s.create(key('a'), thing('a', 1));
      await settle(s);
      expect(seen[0]).toHaveLength(2);
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[0]![0]).toBeLessThan(seen[0]![1]!);
      first.unsubscribe();
      second.unsubscribe();
    });

    it('stops delivering when unsubscribed', async () => {
      const s = makeStorage();
      const w = collect(s, 0);
      w.sub.unsubscribe();
      await s.create(key('a'), thing('a', 1));
      await settle(s);
      expect(w.events).toEqual([]);
    });

    it('fails a watch from a compacted revision with expired, and serves one from the compaction point', async () => {
      const s = makeStorage();
      const a = await s.create(key('a'), thing('a', 1));
      const a2 = await s.update(key('a'), thing('a', 2));
      await s.compact();
      const old = collect(s, rev(a));
      const fresh = collect(s, rev(a2));
      const a3 = await s.update(key('a'), thing('a', 3));
      await settle(s);
      expect(old.errors).toHaveLength(1);
      expect(isStorageError(old.errors[0], 'expired')).toBe(true);
      expect(fresh.errors).toEqual([]);
      expect(fresh.events).toEqual([{ type: 'MODIFIED', object: a3 }]);
      fresh.sub.unsubscribe();
    });

    it('fails a watch from a revision that is not one with invalid-revision', async () => {
      const s = makeStorage();
      for (const from of [-1, 1.5]) {
        const w = collect(s, from);
        await settle(s);
        expect(w.errors).toHaveLength(1);
        expect(isStorageError(w.errors[0], 'invalid-revision')).toBe(true);
      }
    });

    it('counts the objects under a prefix', async () => {
      const s = makeStorage();
      await s.create(key('a', 'x'), thing('a', 1, { namespace: 'x' }));
      await s.create(key('b', 'y'), thing('b', 1, { namespace: 'y' }));
      await s.create(key('c', 'y'), thing('c', 1, { namespace: 'y' }));
      await s.delete(key('a', 'x'));
      expect(await s.count({ resource: RESOURCE })).toBe(2);
      expect(await s.count({ resource: RESOURCE, namespace: 'y' })).toBe(2);
      expect(await s.count({ resource: RESOURCE, namespace: 'x' })).toBe(0);
      expect(await s.count({ resource: 'others' })).toBe(0);
    });

    it('serves its cache: what was written is read back and counted, and the revision follows', async () => {
      const s = makeStorage();
      const a = await s.create(key('a', 'x'), thing('a', 1, { namespace: 'x' }));
      await s.create(key('b', 'y'), thing('b', 1, { namespace: 'y' }));
      const last = await s.create(key('c', 'y'), thing('c', 1, { namespace: 'y' }));
      await settle(s);
      expect(s.cache.get(key('a', 'x'))).toEqual(a);
      expect(s.cache.list({ resource: RESOURCE, namespace: 'y' }).map((o) => o.metadata.name)).toEqual(['b', 'c']);
      expect(s.cache.count({ resource: RESOURCE })).toBe(3);
      expect(s.cache.count({ resource: RESOURCE, namespace: 'y' })).toBe(2);
      expect(s.cache.revision).toBeGreaterThanOrEqual(rev(last));
    });

    modelTest(name, makeStorage, settle);
  });
}

// ---------------------------------------------------------------------------------------------
// Model test: random sequences of writes, watches and compactions against a plain model.

interface Model {
  /** name → value of the stored objects. */
  readonly objects: Map<string, number>;
}

interface ModelWatch {
  readonly from: number;
  readonly base: Map<string, KubeObject>;
  readonly events: StorageEvent[];
  readonly errors: unknown[];
  readonly sub: Subscription;
}

interface Real {
  readonly storage: Storage;
  /** The latest revision the storage reported. */
  revision: number;
  /** Every revision each name was ever written at, to make stale preconditions from. */
  readonly seen: Map<string, number[]>;
  /** The revision of each compaction, to tell which watches must fail. */
  compactedAt: number;
  readonly watches: ModelWatch[];
}

type Cmd = fc.AsyncCommand<Model, Real>;

async function revisionOf(r: Real): Promise<number> {
  return (await r.storage.list({ resource: RESOURCE })).revision;
}

function wrote(r: Real, o: KubeObject): void {
  const v = rev(o);
  expect(v).toBeGreaterThan(r.revision);
  r.revision = v;
  const name = o.metadata.name ?? '';
  r.seen.set(name, [...(r.seen.get(name) ?? []), v]);
}

async function unchanged(r: Real): Promise<void> {
  expect(await revisionOf(r)).toBe(r.revision);
}

class Create implements Cmd {
  constructor(
    readonly name: string,
    readonly value: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const code = await failure(
      r.storage.create(key(this.name), thing(this.name, this.value)).then((o) => {
        wrote(r, o);
        return o;
      }),
    );
    if (m.objects.has(this.name)) {
      expect(code).toBe('key-exists');
      await unchanged(r);
    } else {
      expect(code).toBe('none');
      m.objects.set(this.name, this.value);
    }
  }
  toString = () => `create(${this.name}, ${this.value})`;
}

class Update implements Cmd {
  constructor(
    readonly name: string,
    readonly value: number,
    readonly stale: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const history = r.seen.get(this.name) ?? [];
    const current = await r.storage.get(key(this.name), { ignoreNotFound: true });
    const staleRv = history.find((v) => v !== (current ? rev(current) : -1));
    const useStale = this.stale && current !== undefined && staleRv !== undefined;
    const pre = current ? { resourceVersion: String(useStale ? staleRv : rev(current)) } : undefined;
    const code = await failure(r.storage.update(key(this.name), thing(this.name, this.value), pre).then((o) => wrote(r, o)));
    if (!m.objects.has(this.name)) {
      expect(code).toBe('key-not-found');
      await unchanged(r);
    } else if (useStale) {
      expect(code).toBe('conflict');
      await unchanged(r);
    } else {
      expect(code).toBe('none');
      m.objects.set(this.name, this.value);
    }
  }
  toString = () => `update(${this.name}, ${this.value}${this.stale ? ', stale' : ''})`;
}

class Delete implements Cmd {
  constructor(readonly name: string) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const code = await failure(r.storage.delete(key(this.name)).then((o) => wrote(r, o)));
    if (m.objects.has(this.name)) {
      expect(code).toBe('none');
      m.objects.delete(this.name);
    } else {
      expect(code).toBe('key-not-found');
      await unchanged(r);
    }
  }
  toString = () => `delete(${this.name})`;
}

class StartWatch implements Cmd {
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    const list = await r.storage.list({ resource: RESOURCE });
    const events: StorageEvent[] = [];
    const errors: unknown[] = [];
    const sub = r.storage.watch({ resource: RESOURCE }, { from: list.revision }).subscribe({ next: (e) => events.push(e), error: (e) => errors.push(e) });
    r.watches.push({ from: list.revision, base: new Map(list.items.map((o) => [o.metadata.name ?? '', o])), events, errors, sub });
  }
  toString = () => 'startWatch';
}

class Compact implements Cmd {
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    await r.storage.compact();
    r.compactedAt = Math.max(r.compactedAt, await revisionOf(r));
  }
  toString = () => 'compact';
}

class WatchFromOld implements Cmd {
  constructor(readonly back: number) {}
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    const from = Math.max(0, r.revision - this.back);
    const errors: unknown[] = [];
    const sub = r.storage.watch({ resource: RESOURCE }, { from }).subscribe({ error: (e) => errors.push(e) });
    await microtasks();
    sub.unsubscribe();
    // Compaction after an explicit compact is certain; a backend may compact more on its own.
    if (from < r.compactedAt) {
      expect(errors).toHaveLength(1);
      expect(isStorageError(errors[0], 'expired')).toBe(true);
    } else if (errors.length > 0) {
      expect(isStorageError(errors[0], 'expired')).toBe(true);
    }
  }
  toString = () => `watchFrom(revision-${this.back})`;
}

async function checkWatches(r: Real, settle: (s: Storage) => Promise<void>): Promise<void> {
  await settle(r.storage);
  const now = await r.storage.list({ resource: RESOURCE });
  const current = new Map(now.items.map((o) => [o.metadata.name ?? '', o]));
  for (const w of r.watches) {
    if (w.errors.length > 0) {
      // A backend that compacts on its own may end a watch with expired, never otherwise.
      expect(w.errors).toHaveLength(1);
      expect(isStorageError(w.errors[0], 'expired')).toBe(true);
      continue;
    }
    const replayed = new Map(w.base);
    let last = w.from;
    for (const e of w.events) {
      if (e.type === 'BOOKMARK') throw new Error('a watch without bookmarks got one');
      const v = rev(e.object);
      expect(v).toBeGreaterThan(last); // revision order, each change once
      last = v;
      const name = e.object.metadata.name ?? '';
      if (e.type === 'DELETED') replayed.delete(name);
      else replayed.set(name, e.object);
    }
    expect([...replayed.entries()].sort()).toEqual([...current.entries()].sort());
  }
}

function modelTest(name: string, makeStorage: () => Storage, settle: (s: Storage) => Promise<void>): void {
  const names = fc.constantFrom('a', 'b', 'c');
  const commands = [
    fc.tuple(names, fc.integer({ min: 0, max: 3 })).map(([n, v]) => new Create(n, v)),
    fc.tuple(names, fc.integer({ min: 0, max: 3 }), fc.boolean()).map(([n, v, s]) => new Update(n, v, s)),
    names.map((n) => new Delete(n)),
    fc.constant(new StartWatch()),
    fc.constant(new Compact()),
    fc.integer({ min: 0, max: 8 }).map((b) => new WatchFromOld(b)),
  ];
  test.prop([fc.commands(commands, { maxCommands: 50 })], { numRuns: runs(100, 2000) })(
    `${name} against a reference model: revisions increase, preconditions hold, watches replay onto lists exactly`,
    async (cmds) => {
      const storage = makeStorage();
      const real: Real = { storage, revision: await revisionOf({ storage } as Real), seen: new Map(), compactedAt: 0, watches: [] };
      try {
        await fc.asyncModelRun(() => ({ model: { objects: new Map() }, real }), cmds);
        await checkWatches(real, settle);
      } finally {
        real.watches.forEach((w) => w.sub.unsubscribe());
      }
    },
  );
}
