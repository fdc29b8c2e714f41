/**
 * {@link MemoryStorage}: the Storage contract suite, plus what only the in-memory backend
 * promises (a bounded history window, bookmarks on the clock, synchronous delivery).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock/virtual.js';
import { MemoryStorage } from './memory.js';
import { isStorageError, type SelectionPredicate, type StorageEvent } from './storage.js';
import { parseSelector } from '../api/labels.js';
import { parseFieldSelector } from '../api/fields.js';
import { storageContract } from '../testing/index.js';

storageContract('MemoryStorage', () => new MemoryStorage({ clock: new VirtualClock() }));

const key = (name: string) => ({ resource: 'things', namespace: 'ns', name });
const obj = (name: string, value: number) => ({ apiVersion: 'v1', kind: 'Thing', metadata: { name, namespace: 'ns' }, spec: { value } });

describe('MemoryStorage', () => {
  it('compacts on its own as changes leave the history window', async () => {
    const s = new MemoryStorage({ clock: new VirtualClock(), historySize: 3 });
    const first = await s.create(key('a'), obj('a', 0));
    for (let i = 1; i <= 3; i++) await s.update(key('a'), obj('a', i));
    const errors: unknown[] = [];
    s.watch({ resource: 'things' }, { from: Number(first.metadata.resourceVersion) - 1 }).subscribe({ error: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(isStorageError(errors[0], 'expired')).toBe(true);
    expect((errors[0] as Error).message).toBe('too old resource version: 0 (2)');
    const events: StorageEvent[] = [];
    s.watch({ resource: 'things' }, { from: Number(first.metadata.resourceVersion) }).subscribe((e) => events.push(e));
    expect(events.map((e) => e.object.metadata.resourceVersion)).toEqual(['2', '3', '4']);
  });

  it('lists as of a revision still in the history window (selectors read the state of then), and refuses compacted or future ones', async () => {
    const s = new MemoryStorage({ clock: new VirtualClock(), historySize: 4 });
    const labelled = (name: string, app: string, value: number) => ({ ...obj(name, value), metadata: { name, namespace: 'ns', labels: { app } } });
    await s.create(key('a'), labelled('a', 'web', 1));
    await s.create(key('b'), labelled('b', 'web', 1));
    const then = (await s.list({ resource: 'things', namespace: 'ns' })).revision;
    await s.update(key('a'), labelled('a', 'db', 2));
    await s.delete(key('b'));
    await s.create(key('c'), labelled('c', 'web', 1));
    await s.create({ resource: 'others', namespace: 'ns', name: 'x' }, obj('x', 1));
    const web: SelectionPredicate = { labels: parseSelector('app=web'), fields: parseFieldSelector(''), field: () => undefined };
    const at = await s.list({ resource: 'things', namespace: 'ns' }, web, { revision: then });
    expect(at.revision).toBe(then);
    expect(at.items.map((o) => [o.metadata.name, (o as ReturnType<typeof obj>).spec.value])).toEqual([['a', 1], ['b', 1]]);
    expect((await s.list({ resource: 'things', namespace: 'ns' }, web)).items.map((o) => o.metadata.name)).toEqual(['c']);
    await expect(s.list({ resource: 'things' }, undefined, { revision: then + 9 })).rejects.toMatchObject({ code: 504, message: `Timeout: Too large resource version: ${then + 9}, current: ${then + 4}` });
    await s.update(key('c'), labelled('c', 'web', 2));
    const gone = await s.list({ resource: 'things' }, undefined, { revision: then }).catch((e: unknown) => e);
    expect(isStorageError(gone, 'expired')).toBe(true);
    expect((gone as Error).message).toBe('The resourceVersion for the provided list is too old.');
    expect((await s.list({ resource: 'things' }, undefined, { revision: then + 1 })).items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });

  it('performs a write when it is called and delivers its events before the call returns', () => {
    const s = new MemoryStorage({ clock: new VirtualClock() });
    const events: StorageEvent[] = [];
    s.watch({ resource: 'things' }, { from: 0 }).subscribe((e) => events.push(e));
    void s.create(key('a'), obj('a', 1));
    expect(s.cache.get(key('a'))?.metadata.resourceVersion).toBe('1');
    expect(s.cache.revision).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['ADDED']);
  });

  it('sends bookmarks with the revision reached, on one ticker that stops with the last such watch', async () => {
    const clock = new VirtualClock();
    const s = new MemoryStorage({ clock, bookmarkIntervalMs: 1000 });
    const events: StorageEvent[] = [];
    const sub = s.watch({ resource: 'things' }, { from: 0, bookmarks: true }).subscribe((e) => events.push(e));
    await s.create(key('a'), obj('a', 1));
    await s.create({ resource: 'others', name: 'x' }, obj('x', 1));
    await clock.advance(1000);
    expect(events.map((e) => `${e.type}:${e.object.metadata.resourceVersion}`)).toEqual(['ADDED:1', 'BOOKMARK:2']);
    sub.unsubscribe();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('offers a change only to the watches whose pinned field value it has or had', async () => {
    const s = new MemoryStorage({ clock: new VirtualClock() });
    const nodeOf = (o: { spec?: unknown }) => (o.spec as { node?: string } | undefined)?.node;
    const calls: string[] = [];
    const predicate = (node: string) => ({
      labels: { matches: () => true, empty: () => true, toString: () => '' } as never,
      fields: { empty: () => false, requirements: [{ field: 'spec.node', operator: '=' as const, value: node }], matches: (get: (f: string) => string | undefined) => get('spec.node') === node } as never,
      field: (o: never, f: string) => {
        calls.push(`${node}:${f}`);
        return f === 'spec.node' ? nodeOf(o) : undefined;
      },
    });
    for (let i = 0; i < 100; i++) s.watch({ resource: 'things' }, { from: 0, predicate: predicate(`node-${i}`) }).subscribe();
    calls.length = 0;
    await s.create(key('a'), { ...obj('a', 1), spec: { node: 'node-7' } } as never);
    // The index reads the field once; only node-7's watch evaluates its predicate.
    expect(calls.filter((c) => !c.startsWith('node-7:'))).toHaveLength(1);
  });

  it('indexes a watch by the label its selector pins: a change is offered only to the watches of the value it has or had', async () => {
    const s = new MemoryStorage({ clock: new VirtualClock() });
    const evaluated = new Set<string>();
    const byApp = (app: string): SelectionPredicate => {
      const real = parseSelector(app === 'a0' ? 'app=a0' : `tier,app in (${app})`);
      // The real selector, counting its evaluations.
      const labels = Object.create(real, { matches: { value: (l: Record<string, string> | undefined) => (evaluated.add(app), real.matches(l)) } }) as typeof real;
      return { labels, fields: parseFieldSelector(''), field: () => undefined };
    };
    const seen: string[] = [];
    for (let i = 0; i < 100; i++) s.watch({ resource: 'things' }, { from: 0, predicate: byApp(`a${i}`) }).subscribe((e) => seen.push(`a${i}:${e.type}`));
    const labelled = (app: string) => ({ ...obj('x', 1), metadata: { name: 'x', namespace: 'ns', labels: { app, tier: 'web' } } });
    await s.create(key('x'), labelled('a7'));
    expect([...evaluated]).toEqual(['a7']);
    evaluated.clear();
    await s.update(key('x'), labelled('a9'));
    expect([...evaluated].sort()).toEqual(['a7', 'a9']);
    evaluated.clear();
    await s.update(key('x'), { ...obj('x', 1), metadata: { name: 'x', namespace: 'ns', labels: { app: 'a0' } } });
    await s.delete(key('x'));
    expect([...evaluated].sort()).toEqual(['a0', 'a9']);
    // Each watch's own stream (the order between watches is not promised).
    expect(seen.filter((e) => e.startsWith('a7:'))).toEqual(['a7:ADDED', 'a7:DELETED']);
    expect(seen.filter((e) => e.startsWith('a9:'))).toEqual(['a9:ADDED', 'a9:DELETED']);
    expect(seen.filter((e) => e.startsWith('a0:'))).toEqual(['a0:ADDED', 'a0:DELETED']);
    expect(seen).toHaveLength(6);
  });

  it('an indexed watch sees an object that moves onto its pinned value as ADDED and off it as DELETED', async () => {
    const s = new MemoryStorage({ clock: new VirtualClock() });
    const pinned = (node: string) => ({
      labels: { matches: () => true, empty: () => true, toString: () => '' } as never,
      fields: { empty: () => false, requirements: [{ field: 'spec.node', operator: '=' as const, value: node }], matches: (get: (f: string) => string | undefined) => get('spec.node') === node } as never,
      field: (o: never, f: string) => (f === 'spec.node' ? ((o as { spec?: { node?: string } }).spec?.node) : undefined),
    });
    const seen: string[] = [];
    s.watch({ resource: 'things' }, { from: 0, predicate: pinned('node-1') }).subscribe((e) => seen.push(`${e.type}:${(e.object as { spec?: { node?: string } }).spec?.node}`));
    const on = (node: string) => ({ ...obj('a', 1), spec: { node } }) as never;
    await s.create(key('a'), on('node-2'));
    await s.update(key('a'), on('node-1'));
    await s.update(key('a'), { ...obj('a', 2), spec: { node: 'node-1', value: 2 } } as never);
    await s.update(key('a'), on('node-3'));
    await s.update(key('a'), on('node-4'));
    await s.delete(key('a'));
    expect(seen).toEqual(['ADDED:node-1', 'MODIFIED:node-1', 'DELETED:node-3']);
  });
});
