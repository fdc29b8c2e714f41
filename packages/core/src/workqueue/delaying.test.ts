import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock/virtual.js';
import { createDelayingQueue } from './create.js';

function setup() {
  const clock = new VirtualClock(0);
  return { clock, q: createDelayingQueue<string>({ clock }) };
}

describe('delaying workqueue', () => {
  it('adds an item once its delay has passed on the clock', async () => {
    const { clock, q } = setup();
    q.addAfter('a', 50);
    await clock.advance(49);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.tryGet()).toBe('a');
  });

  it('adds at once for a zero or negative delay', () => {
    const { clock, q } = setup();
    q.addAfter('a', 0);
    q.addAfter('b', -10);
    expect(q.len()).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps the earlier deadline when the same key is added twice (client-go delaying_queue.go)', async () => {
    const { clock, q } = setup();
    q.addAfter('a', 100);
    q.addAfter('a', 30);
    q.addAfter('a', 80);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(30);
    expect(q.tryGet()).toBe('a');
    q.done('a');
    await clock.advance(1000);
    expect(q.len()).toBe(0);
  });

  it('adds items that come due at the same time in the order their deadlines were set', async () => {
    const { clock, q } = setup();
    q.addAfter('c', 10);
    q.addAfter('a', 20);
    q.addAfter('b', 10);
    q.addAfter('a', 10);
    await clock.advance(10);
    expect([q.tryGet(), q.tryGet(), q.tryGet()]).toEqual(['c', 'b', 'a']);
  });

  it('lets a delayed add of a queued item be deduplicated and a delayed add of an in-flight item come back after done', async () => {
    const { clock, q } = setup();
    q.add('a');
    q.addAfter('a', 5);
    q.add('b');
    expect(q.tryGet()).toBe('a');
    q.addAfter('b', 5);
    await clock.advance(5);
    // 'a' is in flight and came due: dirty, queued again on done. 'b' was already queued.
    expect(q.len()).toBe(1);
    q.assertInvariants();
    expect(q.tryGet()).toBe('b');
    q.done('a');
    expect(q.tryGet()).toBe('a');
  });

  it('wakes a waiting get when a delayed item comes due', async () => {
    const { clock, q } = setup();
    const next = q.get();
    q.addAfter('x', 1000);
    await clock.advance(1000);
    await expect(next).resolves.toEqual({ item: 'x', shutdown: false });
  });

  it('drops waiting items and their timers on shutdown', async () => {
    const { clock, q } = setup();
    q.addAfter('a', 10);
    q.addAfter('b', 20);
    q.shutDown();
    expect(clock.pendingTimers()).toBe(0);
    q.addAfter('c', 10);
    await clock.runUntilIdle();
    expect(q.len()).toBe(0);
    q.assertInvariants();
  });
});
