import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock/virtual.js';
import { createQueue } from './create.js';
import type { GetResult } from './queue.js';

function setup() {
  const clock = new VirtualClock(0);
  return { clock, q: createQueue<string>({ clock }) };
}

describe('workqueue (basic)', () => {
  it('hands items out in the order they were added', () => {
    const { q } = setup();
    q.add('a');
    q.add('b');
    q.add('c');
    expect([q.tryGet(), q.tryGet(), q.tryGet(), q.tryGet()]).toEqual(['a', 'b', 'c', undefined]);
    q.assertInvariants();
  });

  it('deduplicates an item added again before a worker takes it', () => {
    const { q } = setup();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect([q.tryGet(), q.tryGet(), q.tryGet()]).toEqual(['a', 'b', undefined]);
  });

  it('queues an item added while it is being processed again only once it is done (client-go queue.go)', () => {
    const { q } = setup();
    q.add('a');
    expect(q.tryGet()).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    expect(q.tryGet()).toBeUndefined();
    q.assertInvariants();
    q.done('a');
    expect(q.len()).toBe(1);
    expect(q.tryGet()).toBe('a');
    q.done('a');
    expect(q.tryGet()).toBeUndefined();
    q.assertInvariants();
  });

  it('ignores done for an item that is not being processed', () => {
    const { q } = setup();
    q.add('a');
    q.done('a');
    expect(q.len()).toBe(1);
    q.assertInvariants();
  });

  it('makes a get wait for the next add and serves waiting gets in call order', async () => {
    const { clock, q } = setup();
    const got: Array<[number, GetResult<string>]> = [];
    void q.get().then((r) => got.push([1, r]));
    void q.get().then((r) => got.push([2, r]));
    await clock.flush();
    expect(got).toEqual([]);
    q.assertInvariants();
    q.add('x');
    q.add('y');
    await clock.flush();
    expect(got).toEqual([
      [1, { item: 'x', shutdown: false }],
      [2, { item: 'y', shutdown: false }],
    ]);
    q.assertInvariants();
  });

  it('does not hand an item being processed to a waiting get', async () => {
    const { clock, q } = setup();
    q.add('a');
    expect(q.tryGet()).toBe('a');
    let second: GetResult<string> | undefined;
    void q.get().then((r) => (second = r));
    q.add('a');
    await clock.flush();
    expect(second).toBeUndefined();
    q.done('a');
    await clock.flush();
    expect(second).toEqual({ item: 'a', shutdown: false });
  });

  it('wakes waiting gets with shutdown, ignores adds after shutdown, but still hands out queued items', async () => {
    const { clock, q } = setup();
    const waiting = q.get();
    q.shutDown();
    await expect(waiting).resolves.toEqual({ shutdown: true });
    expect(q.shuttingDown()).toBe(true);
    q.add('late');
    expect(q.len()).toBe(0);

    const { q: q2 } = setup();
    q2.add('a');
    q2.add('b');
    q2.shutDown();
    await expect(q2.get()).resolves.toEqual({ item: 'a', shutdown: false });
    expect(q2.tryGet()).toBe('b');
    await expect(q2.get()).resolves.toEqual({ shutdown: true });
    await clock.flush();
  });

  it('makes shutDownWithDrain wait until every in-flight item is done', async () => {
    const { clock, q } = setup();
    q.add('a');
    q.add('b');
    const a = q.tryGet()!;
    const b = q.tryGet()!;
    let drained = false;
    void q.shutDownWithDrain().then(() => (drained = true));
    await clock.flush();
    expect(drained).toBe(false);
    q.done(a);
    await clock.flush();
    expect(drained).toBe(false);
    q.assertInvariants();
    q.done(b);
    await clock.flush();
    expect(drained).toBe(true);
    q.assertInvariants();
  });

  it('finishes a drain when the last in-flight item is done even if it was added again meanwhile', async () => {
    // Found by the deep model run: upstream's drain waits for processing only, so the re-added
    // item goes back to the queue (a worker may still get it) and the drain ends.
    const { clock, q } = setup();
    q.add('b');
    const b = q.tryGet()!;
    q.add('b');
    let drained = false;
    void q.shutDownWithDrain().then(() => (drained = true));
    q.done(b);
    await clock.flush();
    expect(drained).toBe(true);
    expect(q.tryGet()).toBe('b');
    q.assertInvariants();
  });

  it('lets shutDown release a shutDownWithDrain that is still waiting', async () => {
    const { clock, q } = setup();
    q.add('a');
    q.tryGet();
    let drained = false;
    void q.shutDownWithDrain().then(() => (drained = true));
    q.shutDown();
    await clock.flush();
    expect(drained).toBe(true);
    q.assertInvariants();
  });

  it('resolves shutDownWithDrain at once when nothing is in flight', async () => {
    const { q } = setup();
    await expect(q.shutDownWithDrain()).resolves.toBeUndefined();
  });

  it('works with non-string primitive items', () => {
    const clock = new VirtualClock(0);
    const q = createQueue<number>({ clock });
    q.add(1);
    q.add(1);
    q.add(2);
    expect([q.tryGet(), q.tryGet(), q.tryGet()]).toEqual([1, 2, undefined]);
  });

  it('keeps order across ring-buffer growth', () => {
    const { q } = setup();
    for (let i = 0; i < 10; i++) q.add(`warm-${i}`);
    for (let i = 0; i < 7; i++) q.done(q.tryGet()!);
    for (let i = 0; i < 100; i++) q.add(`k-${i}`);
    const out: string[] = [];
    for (let x = q.tryGet(); x !== undefined; x = q.tryGet()) out.push(x);
    expect(out).toEqual(['warm-7', 'warm-8', 'warm-9', ...Array.from({ length: 100 }, (_, i) => `k-${i}`)]);
  });
});
