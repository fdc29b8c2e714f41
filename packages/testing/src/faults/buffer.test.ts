/**
 * bufferWatches and dropWatchEvents: stale reads (a bounded lag), coalesced and lost
 * notifications, on a hand-driven watch.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { ConfigMaps, VirtualClock, isApiError } from '@kubeloop/core';
import type { ConfigMap, WatchEvent } from '@kubeloop/core';
import { bufferWatches } from './buffer.js';
import { dropWatchEvents } from './drop.js';

const DEEP = process.env['KUBELOOP_DEEP'] === '1';

const cm = (name: string, v: number): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: String(v) }, data: { v: String(v) } }) as ConfigMap;

function harness(options: Parameters<typeof bufferWatches>[1]) {
  const clock = new VirtualClock();
  const buffer = bufferWatches(clock, options);
  const source = new Subject<WatchEvent<ConfigMap>>();
  const seen: WatchEvent<ConfigMap>[] = [];
  buffer.watch!({ verb: 'watch', resource: ConfigMaps, key: undefined }, () => source.asObservable()).subscribe({ next: (e) => seen.push(e), error: () => undefined });
  return { clock, buffer, source, seen };
}

describe('bufferWatches (stale reads)', () => {
  it('keeps the cache at most `lag` events behind and releases the rest after holdMs, in order', async () => {
    const { clock, source, seen } = harness({ lag: 2, holdMs: 1_000 });
    for (let i = 1; i <= 3; i++) source.next({ type: 'ADDED', object: cm(`c${i}`, i) });
    expect(seen.map((e) => e.object.metadata.resourceVersion)).toEqual(['1']);
    await clock.advance(999);
    expect(seen).toHaveLength(1);
    await clock.advance(1);
    expect(seen.map((e) => e.object.metadata.resourceVersion)).toEqual(['1', '2', '3']);
  });

  it('releases a held event once holdEvents others have passed through any buffered watch, with no time passing', () => {
    // Two watches through one buffer: the ReplicaSets' watch holds its one DELETED event while
    // the pods' watch keeps busy at the same instant (a controller acting on the stale object).
    const clock = new VirtualClock();
    const start = clock.now();
    const buffer = bufferWatches(clock, { lag: 1, holdMs: 5_000, holdEvents: 3 });
    const quiet = new Subject<WatchEvent<ConfigMap>>();
    const busy = new Subject<WatchEvent<ConfigMap>>();
    const seen: string[] = [];
    buffer.watch!({ verb: 'watch', resource: ConfigMaps, key: undefined }, () => quiet.asObservable()).subscribe({ next: (e) => seen.push(`quiet ${e.object.metadata.resourceVersion}`) });
    buffer.watch!({ verb: 'watch', resource: ConfigMaps, key: undefined }, () => busy.asObservable()).subscribe({ next: (e) => seen.push(`busy ${e.object.metadata.resourceVersion}`) });
    quiet.next({ type: 'DELETED', object: cm('rs', 1) });
    for (let i = 2; i <= 3; i++) busy.next({ type: 'ADDED', object: cm(`p${i}`, i) });
    expect(seen).not.toContain('quiet 1');
    busy.next({ type: 'ADDED', object: cm('p4', 4) });
    expect(seen).toContain('quiet 1');
    expect(clock.now()).toBe(start);
  });

  it('delivers what it holds before an error ends the stream', async () => {
    const { source, seen, buffer } = harness({ lag: 5, holdMs: 1_000 });
    source.next({ type: 'ADDED', object: cm('a', 1) });
    expect(buffer.held).toBe(1);
    source.error(new Error('gone'));
    expect(seen).toHaveLength(1);
  });

  it('never reorders nor loses an event, and lags by at most `lag` (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 1_500 })), { maxLength: 30 }), async (lag, script) => {
        const { clock, source, seen } = harness({ lag, holdMs: 1_000 });
        let rv = 0;
        for (const [key, gap] of script) {
          source.next({ type: 'MODIFIED', object: cm(`c${key}`, ++rv) });
          expect(rv - seen.length).toBeLessThanOrEqual(lag);
          await clock.advance(gap);
        }
        await clock.advance(1_000);
        expect(seen.map((e) => Number(e.object.metadata.resourceVersion))).toEqual(Array.from({ length: rv }, (_, i) => i + 1));
      }),
      { numRuns: DEEP ? 1_000 : 100 },
    );
  });
});

describe('bufferWatches (coalesced notifications)', () => {
  it('delivers only the last MODIFIED of an object within the window', async () => {
    const { clock, source, seen, buffer } = harness({ coalesceMs: 500 });
    source.next({ type: 'MODIFIED', object: cm('a', 1) });
    source.next({ type: 'MODIFIED', object: cm('b', 2) });
    source.next({ type: 'MODIFIED', object: cm('a', 3) });
    await clock.advance(500);
    expect(seen.map((e) => `${(e.object as ConfigMap).metadata.name}@${e.object.metadata.resourceVersion}`)).toEqual(['b@2', 'a@3']);
    expect(buffer.coalesced).toBe(1);
  });

  it('never coalesces across an ADDED or DELETED of the object', async () => {
    const { clock, source, seen } = harness({ coalesceMs: 500 });
    source.next({ type: 'MODIFIED', object: cm('a', 1) });
    source.next({ type: 'DELETED', object: cm('a', 2) });
    source.next({ type: 'ADDED', object: cm('a', 3) });
    source.next({ type: 'MODIFIED', object: cm('a', 4) });
    await clock.advance(500);
    expect(seen.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED', 'ADDED', 'MODIFIED']);
  });

  it('keeps the order of what it delivers, and the last state of every object (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 400 })), { maxLength: 30 }), async (script) => {
        const { clock, source, seen } = harness({ coalesceMs: 300 });
        let rv = 0;
        const last = new Map<string, number>();
        for (const [key, gap] of script) {
          source.next({ type: 'MODIFIED', object: cm(`c${key}`, ++rv) });
          last.set(`c${key}`, rv);
          await clock.advance(gap);
        }
        await clock.advance(300);
        const rvs = seen.map((e) => Number(e.object.metadata.resourceVersion));
        expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
        const delivered = new Map(seen.map((e) => [(e.object as ConfigMap).metadata.name!, Number(e.object.metadata.resourceVersion)]));
        expect(delivered).toEqual(last);
      }),
      { numRuns: DEEP ? 1_000 : 100 },
    );
  });

  it('passes events straight through, after what it held, once inactive', async () => {
    let on = true;
    const { source, seen } = harness({ lag: 3, active: () => on });
    source.next({ type: 'ADDED', object: cm('a', 1) });
    expect(seen).toHaveLength(0);
    on = false;
    source.next({ type: 'ADDED', object: cm('b', 2) });
    expect(seen.map((e) => (e.object as ConfigMap).metadata.name)).toEqual(['a', 'b']);
  });
});

describe('dropWatchEvents (lost notifications)', () => {
  it('drops every n-th MODIFIED event, never an ADDED or DELETED, and relists the damaged watches on repair', () => {
    const dropper = dropWatchEvents({ every: 2 });
    const source = new Subject<WatchEvent<ConfigMap>>();
    const seen: string[] = [];
    let error: unknown;
    dropper.watch!({ verb: 'watch', resource: ConfigMaps, key: undefined }, () => source.asObservable()).subscribe({ next: (e) => seen.push(`${e.type}@${(e.object as ConfigMap).metadata.resourceVersion}`), error: (e: unknown) => (error = e) });
    source.next({ type: 'ADDED', object: cm('a', 1) });
    for (let v = 2; v <= 5; v++) source.next({ type: 'MODIFIED', object: cm('a', v) });
    source.next({ type: 'DELETED', object: cm('a', 6) });
    expect(seen).toEqual(['ADDED@1', 'MODIFIED@2', 'MODIFIED@4', 'DELETED@6']);
    expect(dropper.dropped).toBe(2);
    dropper.repair();
    expect(isApiError(error, 'Expired')).toBe(true);
  });
});
