import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@kubeloop/core';
import type { KubeObject, ObjectList , ApiError} from '@kubeloop/core';
import { ExpiredContinueError, INCONSISTENT_CONTINUE, ListPager } from './listpaging.js';

const cm = (name: string, rv: number): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name, resourceVersion: String(rv) } });

/** A store of ConfigMaps listed at its current revision. */
function store() {
  const objects = new Map<string, KubeObject>();
  let rv = 0;
  return {
    put: (name: string) => void objects.set(name, cm(name, ++rv)),
    remove: (name: string) => void (objects.delete(name), ++rv),
    list: (): Promise<ObjectList<KubeObject>> => Promise.resolve({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: String(rv) }, items: [...objects.values()].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1)) }),
  };
}

describe('ListPager (list limit/continue as kube-apiserver serves them)', () => {
  it('cuts a list into pages of the first page\'s revision, whatever is written between pages', async () => {
    const s = store();
    for (const n of ['a', 'b', 'c', 'd', 'e']) s.put(n);
    const pager = new ListPager({ clock: new VirtualClock() });
    const first = await pager.page('cm', { limit: 2 }, s.list);
    expect(first.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(first.metadata).toMatchObject({ resourceVersion: '5', remainingItemCount: 3 });
    s.remove('c');
    s.put('bb');
    const second = await pager.page('cm', { limit: 2, continue: first.metadata.continue }, s.list);
    expect(second.items.map((o) => o.metadata.name)).toEqual(['c', 'd']);
    expect(second.metadata.resourceVersion).toBe('5');
    const third = await pager.page('cm', { limit: 2, continue: second.metadata.continue }, s.list);
    expect(third.items.map((o) => o.metadata.name)).toEqual(['e']);
    expect(third.metadata.continue).toBeUndefined();
    expect(pager.snapshots).toBe(0);
  });

  it('answers a token whose snapshot expired with 410 Expired and a token that continues in the current state', async () => {
    const s = store();
    for (const n of ['a', 'b', 'c', 'd']) s.put(n);
    const clock = new VirtualClock();
    const pager = new ListPager({ clock, ttlMs: 1000 });
    const first = await pager.page('cm', { limit: 2 }, s.list);
    await clock.advance(1001);
    s.remove('c');
    const error = await pager.page('cm', { limit: 2, continue: first.metadata.continue }, s.list).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpiredContinueError);
    expect(error).toMatchObject({ reason: 'Expired', code: 410, message: INCONSISTENT_CONTINUE });
    const rest = await pager.page('cm', { limit: 2, continue: (error as ExpiredContinueError).continueToken }, s.list);
    expect(rest.items.map((o) => o.metadata.name)).toEqual(['d']);
  });

  it('validates resourceVersionMatch, the token and the revision as upstream', async () => {
    const s = store();
    s.put('a');
    const pager = new ListPager({ clock: new VirtualClock() });
    const fail = (q: Parameters<ListPager['page']>[1]) => pager.page('cm', q, s.list).then(() => undefined, (e: unknown) => e as ApiError);
    expect(await fail({ resourceVersionMatch: 'Exact' })).toMatchObject({ code: 422, message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided' });
    expect((await fail({ resourceVersion: '0', resourceVersionMatch: 'Exact' }))?.message).toContain('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    expect((await fail({ resourceVersion: '1', resourceVersionMatch: 'Sometimes' }))?.message).toContain('Unsupported value: "Sometimes"');
    expect(await fail({ continue: 'garbage' })).toMatchObject({ code: 400 });
    expect(await fail({ resourceVersion: '9' })).toMatchObject({ code: 504, reason: 'Timeout', message: 'Timeout: Too large resource version: 9, current: 1' });
    s.put('b');
    expect(await fail({ resourceVersion: '1', resourceVersionMatch: 'Exact' })).toMatchObject({ code: 410, reason: 'Expired' });
    expect((await pager.page('cm', { resourceVersion: '1', resourceVersionMatch: 'NotOlderThan' }, s.list)).items).toHaveLength(2);
    const first = await pager.page('cm', { limit: 1 }, s.list);
    expect(await pager.page('other', { limit: 1, continue: first.metadata.continue }, s.list).catch((e: unknown) => e)).toMatchObject({ code: 400 });
  });

  it('keeps at most maxSnapshots snapshots, the oldest going first', async () => {
    const s = store();
    for (const n of ['a', 'b', 'c']) s.put(n);
    const pager = new ListPager({ clock: new VirtualClock(), maxSnapshots: 2 });
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await pager.page('cm', { limit: 1 }, s.list)).metadata.continue);
    expect(pager.snapshots).toBe(2);
    expect(await pager.page('cm', { limit: 1, continue: tokens[0] }, s.list).catch((e: unknown) => e)).toBeInstanceOf(ExpiredContinueError);
    expect((await pager.page('cm', { limit: 1, continue: tokens[2] }, s.list)).items[0]?.metadata.name).toBe('b');
  });
});
