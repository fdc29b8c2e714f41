import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/meta.js';
import { VirtualClock } from '../clock/virtual.js';
import { FakeClient, note, Notes, runs } from '../testing/index.js';
import { seededRng } from '../rng/seeded.js';
import { InformerError } from './errors.js';
import { Informer } from './informer.js';
import type { InformerEvent } from './store.js';
import type { Note } from '../testing/index.js';

const keyOf = (o: KubeObject): string => `${o.metadata.namespace}/${o.metadata.name}`;
const rvOf = (o: KubeObject): number => Number(o.metadata.resourceVersion);

/**
 * A handler that keeps a replica of what it was told and checks, on every event, that the
 * event is consistent with its replica (add of an unknown key, update whose `old` is the last
 * version it was given, delete of a known key) and that the cache is at least as new as the
 * event, its objects and its caught-up revision (the contract's rule 5).
 */
function replicaHandler(informer: Informer<Note>, plain = false) {
  const view = new Map<string, Note>();
  const deleted = new Set<string>();
  const problems: string[] = [];
  const handle = (e: InformerEvent<Note>): void => {
    const key = keyOf(e.object);
    const cached = informer.cache.get(key);
    if (Number(informer.cache.lastSyncResourceVersion()) < rvOf(e.object)) problems.push(`cache revision ${informer.cache.lastSyncResourceVersion()} older than the event of ${key} at ${rvOf(e.object)}`);
    switch (e.type) {
      case 'add':
        if (view.has(key)) problems.push(`add of known ${key}`);
        if (cached === undefined || rvOf(cached) < rvOf(e.object)) problems.push(`cache older than add of ${key}`);
        view.set(key, e.object);
        deleted.delete(key);
        break;
      case 'update':
        if (view.get(key) !== e.old) problems.push(`update of ${key} from a version the handler was not given`);
        if (cached === undefined || rvOf(cached) < rvOf(e.object)) problems.push(`cache older than update of ${key}`);
        view.set(key, e.object);
        break;
      case 'delete':
        if (!view.has(key)) problems.push(`delete of unknown ${key}`);
        if (cached !== undefined && rvOf(cached) <= rvOf(view.get(key) ?? e.object)) problems.push(`cache still holds deleted ${key}`);
        view.delete(key);
        deleted.add(key);
        break;
    }
  };
  // Either way of joining: an RxJS subscriber of `events$`, or a plain function.
  const sub = plain ? { unsubscribe: informer.addEventHandler(handle) } : informer.events$.subscribe(handle);
  return { view, deleted, problems, sub };
}

describe('Informer', () => {
  it('has synced only after the initial list, and not while the list keeps failing', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.put(note('ns', 'a'));
    client.failLists(1);
    const informer = new Informer(client, Notes, { clock });
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await clock.flush();
    expect(informer.hasSynced()).toBe(false);
    expect(informer.cache.list()).toEqual([]);
    await clock.advance(800);
    expect(informer.hasSynced()).toBe(true);
    await informer.synced;
    expect(informer.cache.keys()).toEqual(['ns/a']);
    informer.stop();
  });

  it('delivers add, update and delete to handlers, with the cache already updated', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    const informer = new Informer(client, Notes, { clock });
    const seen: string[] = [];
    informer.events$.subscribe((e) => seen.push(`${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion} cache=${informer.cache.get(keyOf(e.object))?.metadata.resourceVersion ?? '-'}`));
    informer.start();
    await clock.flush();
    client.put(note('ns', 'a'));
    client.put(note('ns', 'a', { data: { x: '1' } }));
    client.remove('ns/a');
    expect(seen).toEqual(['add a@1 cache=1', 'update a@2 cache=2', 'delete a@3 cache=-']);
    informer.stop();
  });

  it('replays the cache to a handler that subscribes late, then streams live events (client-go: late handlers get synthetic adds)', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.put(note('ns', 'a'));
    client.put(note('ns', 'b'));
    const informer = new Informer(client, Notes, { clock });
    informer.start();
    await informer.synced;
    const late: string[] = [];
    informer.events$.subscribe((e) => late.push(`${e.type} ${e.object.metadata.name}`));
    expect(late).toEqual(['add a', 'add b']);
    client.put(note('ns', 'c'));
    expect(late).toEqual(['add a', 'add b', 'add c']);
    informer.stop();
  });

  it('delivers a change a late handler causes during its own catch-up after the catch-up, not never', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.put(note('ns', 'a'));
    const informer = new Informer(client, Notes, { clock });
    informer.start();
    await informer.synced;
    const seen: string[] = [];
    informer.events$.subscribe((e) => {
      seen.push(`${e.type} ${e.object.metadata.name}`);
      if (e.object.metadata.name === 'a' && e.type === 'add') client.put(note('ns', 'b'));
    });
    expect(seen).toEqual(['add a', 'add b']);
    informer.stop();
  });

  it('gives a handler that subscribes in the middle of a relist all of it or none of it, never half', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient(1);
    client.put(note('ns', 'a'));
    client.put(note('ns', 'b'));
    const informer = new Informer(client, Notes, { clock });
    let late: ReturnType<typeof replicaHandler> | undefined;
    informer.events$.subscribe((e) => {
      if (e.type === 'delete' && e.tombstone === true && late === undefined) late = replicaHandler(informer);
    });
    informer.start();
    await clock.flush();
    client.dropWatches();
    client.remove('ns/a');
    client.remove('ns/b');
    client.put(note('ns', 'c'));
    client.put(note('ns', 'd'));
    await clock.runUntilIdle();
    expect(late?.problems).toEqual([]);
    expect([...(late?.view.keys() ?? [])].sort()).toEqual(['ns/c', 'ns/d']);
    informer.stop();
  });

  it('resyncs every period by re-delivering each cached object as an update to itself', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.put(note('ns', 'a'));
    client.put(note('ns', 'b'));
    const informer = new Informer(client, Notes, { clock, resyncPeriodMs: 1000 });
    const updates: InformerEvent<Note>[] = [];
    informer.events$.subscribe((e) => {
      if (e.type === 'update') updates.push(e);
    });
    informer.start();
    await clock.advance(999);
    expect(updates).toEqual([]);
    await clock.advance(1);
    expect(updates.map((e) => e.object.metadata.name)).toEqual(['a', 'b']);
    expect(updates.every((e) => e.type === 'update' && e.old === e.object)).toBe(true);
    await clock.advance(2000);
    expect(updates).toHaveLength(6);
    informer.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('completes handlers and leaves no timer behind when stopped, and refuses to restart', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    const informer = new Informer(client, Notes, { clock, resyncPeriodMs: 5000 });
    let completed = 0;
    informer.events$.subscribe({ complete: () => completed++ });
    informer.start();
    informer.start();
    await clock.flush();
    client.dropWatches();
    informer.stop();
    informer.stop();
    expect(completed).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
    expect(client.openWatches()).toBe(0);
    informer.events$.subscribe({ complete: () => completed++ });
    expect(completed).toBe(2);
    expect(() => informer.start()).toThrow(InformerError);
  });

  it('is watching only while a watch is open: not before start, not while it backs off after a failed list or an expired watch, not after stop', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.put(note('ns', 'a'));
    client.failLists(1);
    const informer = new Informer(client, Notes, { clock });
    expect(informer.isWatching()).toBe(false);
    informer.start();
    await clock.flush();
    expect(informer.isWatching()).toBe(false);
    await clock.advance(800);
    expect(informer.isWatching()).toBe(true);
    // A watch expired before it delivered anything: the informer backs off before relisting.
    client.expire();
    await clock.flush();
    expect(informer.isWatching()).toBe(false);
    await clock.advance(30_000);
    expect(informer.isWatching()).toBe(true);
    informer.stop();
    expect(informer.isWatching()).toBe(false);
  });

  it('feeds a plain handler the same events as an events$ subscriber, and stops when it is removed or the informer stops', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.put(note('ns', 'a'));
    const informer = new Informer(client, Notes, { clock });
    const rx: string[] = [];
    const plain: string[] = [];
    const show = (e: InformerEvent<Note>): string => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`;
    informer.events$.subscribe((e) => rx.push(show(e)));
    informer.start();
    await clock.flush();
    client.put(note('ns', 'b'));
    await clock.flush();
    // Joins late: catches up with an add per cached object, then goes on live.
    const remove = informer.addEventHandler((e) => plain.push(show(e)));
    client.put(note('ns', 'a', { data: { x: '1' } }));
    client.remove('ns/b');
    await clock.flush();
    expect(plain).toEqual(['add a@1', 'add b@2', 'update a@3', 'delete b@4']);
    expect(rx.slice(2)).toEqual(plain.slice(2));
    remove();
    client.put(note('ns', 'c'));
    await clock.flush();
    expect(plain).toHaveLength(4);
    const again: string[] = [];
    informer.addEventHandler((e) => again.push(show(e)));
    informer.stop();
    client.put(note('ns', 'd'));
    await clock.flush();
    expect(again).toEqual(['add a@3', 'add c@5']);
    expect(informer.addEventHandler(() => again.push('after stop'))).toBeTypeOf('function');
    expect(again).toHaveLength(2);
  });

  it('tells handlers about objects that vanished during a disconnection, as tombstones', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient(1);
    client.put(note('ns', 'a'));
    client.put(note('ns', 'b'));
    const informer = new Informer(client, Notes, { clock });
    const seen: InformerEvent<Note>[] = [];
    informer.events$.subscribe((e) => seen.push(e));
    informer.start();
    await clock.flush();
    client.dropWatches();
    client.remove('ns/a');
    client.put(note('ns', 'b', { data: { v: '2' } }));
    client.put(note('ns', 'c'));
    await clock.runUntilIdle();
    expect(client.lists).toBe(2);
    expect(seen.slice(2).map((e) => [e.type, e.object.metadata.name, e.type === 'delete' ? e.tombstone : undefined])).toEqual([
      ['delete', 'a', true],
      ['update', 'b', undefined],
      ['add', 'c', undefined],
    ]);
    informer.stop();
  });
});

// ---------------------------------------------------------------------------------------------
// The convergence property
// ---------------------------------------------------------------------------------------------

const writeArb = fc.record({
  kind: fc.constantFrom('put' as const, 'put' as const, 'remove' as const),
  ns: fc.constantFrom('a', 'b'),
  name: fc.constantFrom('p', 'q', 'r', 's', 't'),
  value: fc.nat(9),
});
const faultArb = fc.constantFrom('none', 'drop', 'dropClean', 'expire', 'failLists', 'bookmark' as const);
/**
 * One round: some writes, a fault, more writes while the watcher may be disconnected, then time
 * passes (often less than a backoff, so faults pile up). Rounds make disconnections overlap
 * writes much more often than a flat list of commands would.
 */
const roundArb = fc.record({
  before: fc.array(writeArb, { maxLength: 4 }),
  fault: faultArb,
  during: fc.array(writeArb, { maxLength: 5 }),
  advanceMs: fc.constantFrom(0, 0, 100, 800, 5000),
  subscribe: fc.boolean(),
});
type Write = typeof writeArb extends fc.Arbitrary<infer U> ? U : never;

describe('Informer convergence', () => {
  test.prop([fc.array(roundArb, { maxLength: 12 }), fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 30 })), fc.integer()], { numRuns: runs(150, 3000) })(
    'after catching up, the cache equals the store and every handler last saw each object at its store version, whatever drops and 410s happened',
    async (rounds, historyWindow, seed) => {
      const clock = new VirtualClock();
      const client = new FakeClient(historyWindow);
      const informer = new Informer(client, Notes, { clock, rng: seededRng(seed) });
      const handlers = [replicaHandler(informer)];
      informer.start();
      const write = (w: Write): void => {
        if (w.kind === 'put') client.put(note(w.ns, w.name, { data: { v: String(w.value) } }));
        else client.remove(`${w.ns}/${w.name}`);
      };
      for (const round of rounds) {
        round.before.forEach(write);
        switch (round.fault) {
          case 'drop':
            client.dropWatches();
            break;
          case 'dropClean':
            client.dropWatches({ clean: true });
            break;
          case 'expire':
            client.expire();
            break;
          case 'failLists':
            client.failLists(2);
            break;
          case 'bookmark':
            client.bookmark();
            break;
          case 'none':
            break;
        }
        round.during.forEach(write);
        if (round.subscribe) handlers.push(replicaHandler(informer, handlers.length % 2 === 1));
        await clock.advance(round.advanceMs);
      }
      await clock.runUntilIdle();

      const store = client.snapshot();
      expect(informer.hasSynced()).toBe(true);
      expect([...informer.cache.keys()].sort()).toEqual([...store.keys()].sort());
      for (const [key, object] of store) expect(informer.cache.get(key)?.metadata.resourceVersion).toBe(object.metadata.resourceVersion);
      for (const h of handlers) {
        expect(h.problems).toEqual([]);
        expect([...h.view.keys()].sort()).toEqual([...store.keys()].sort());
        for (const [key, object] of store) expect(h.view.get(key)?.metadata.resourceVersion).toBe(object.metadata.resourceVersion);
        for (const key of h.deleted) expect(store.has(key)).toBe(false);
      }
      informer.stop();
      expect(clock.pendingTimers()).toBe(0);
    },
  );
});
