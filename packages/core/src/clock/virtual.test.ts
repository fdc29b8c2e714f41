import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { runs } from '../testing/index.js';
import { VIRTUAL_EPOCH_MS, VirtualClock, VirtualClockError } from './virtual.js';

describe('VirtualClock', () => {
  it('starts at 2026-01-01T00:00:00Z unless given a start', () => {
    expect(new Date(new VirtualClock().now()).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new VirtualClock().now()).toBe(VIRTUAL_EPOCH_MS);
    expect(new VirtualClock(1000).now()).toBe(1000);
  });

  it('fires timers in deadline order, with now() at each deadline', async () => {
    const clock = new VirtualClock(0);
    const seen: Array<[string, number]> = [];
    clock.setTimer(30, () => seen.push(['c', clock.now()]));
    clock.setTimer(10, () => seen.push(['a', clock.now()]));
    clock.setTimer(20, () => seen.push(['b', clock.now()]));
    await clock.advance(25);
    expect(seen).toEqual([['a', 10], ['b', 20]]);
    expect(clock.now()).toBe(25);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextDeadline()).toBe(30);
  });

  it('fires timers with the same deadline in the order they were set', async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) clock.setTimer(5, () => seen.push(i));
    await clock.advance(5);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 })], { numRuns: runs(100, 2000) })(
    'fires any set of timers sorted by deadline then insertion order',
    async (delays) => {
      const clock = new VirtualClock(0);
      const fired: number[] = [];
      delays.forEach((d, i) => clock.setTimer(d, () => fired.push(i)));
      await clock.advance(50);
      const expected = delays.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
      expect(fired).toEqual(expected);
      expect(clock.pendingTimers()).toBe(0);
    },
  );

  it('runs async continuations of a sleep before the next timer fires', async () => {
    const clock = new VirtualClock(0);
    const log: string[] = [];
    void (async () => {
      await clock.sleep(10);
      log.push(`woke at ${clock.now()}`);
      await Promise.resolve();
      await Promise.resolve();
      log.push('after a chain of awaits');
      await clock.sleep(5);
      log.push(`woke again at ${clock.now()}`);
    })();
    clock.setTimer(11, () => log.push('timer at 11'));
    await clock.advance(100);
    expect(log).toEqual(['woke at 10', 'after a chain of awaits', 'timer at 11', 'woke again at 15']);
  });

  it('fires, within the same advance, a timer set from a callback that is due before the target', async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    clock.setTimer(10, () => {
      seen.push(clock.now());
      clock.setTimer(0, () => seen.push(clock.now()));
      clock.setTimer(5, () => seen.push(clock.now()));
    });
    await clock.advance(15);
    expect(seen).toEqual([10, 10, 15]);
  });

  it('does not fire a cancelled timer, and cancelling twice is harmless', async () => {
    const clock = new VirtualClock(0);
    let fired = false;
    const t = clock.setTimer(1, () => (fired = true));
    t.cancel();
    t.cancel();
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.nextDeadline()).toBeUndefined();
    await clock.advance(10);
    expect(fired).toBe(false);
  });

  it('keeps correct order after many cancellations compact the heap', async () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const timers = Array.from({ length: 500 }, (_, i) => clock.setTimer(500 - i, () => fired.push(500 - i)));
    timers.forEach((t, i) => i % 3 !== 0 && t.cancel());
    expect(clock.pendingTimers()).toBe(167);
    await clock.runUntilIdle();
    expect(fired).toEqual([...fired].sort((a, b) => a - b));
    expect(fired).toHaveLength(167);
  });

  it('runs until idle and leaves time at the last deadline', async () => {
    const clock = new VirtualClock(0);
    let n = 0;
    const tick = (): void => {
      if (++n < 5) clock.setTimer(100, tick);
    };
    clock.setTimer(100, tick);
    await clock.runUntilIdle();
    expect(n).toBe(5);
    expect(clock.now()).toBe(500);
  });

  it('throws a clear error naming the pending timers when runUntilIdle hits maxTimers', async () => {
    const clock = new VirtualClock(0);
    const tick = (): void => {
      clock.setTimer(1000, tick);
    };
    clock.setTimer(1000, tick);
    clock.setTimer(5000, () => {});
    const err = await clock.runUntilIdle({ maxTimers: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirtualClockError);
    expect((err as VirtualClockError).code).toBe('not-idle');
    expect((err as VirtualClockError).message).toBe(
      'virtual clock not idle: fired 10 timers (maxTimers) with 1 timer still pending, next due at +10000ms from the start of the run',
    );
  });

  it('stops runUntilIdle at maxMs with an error naming the pending timers', async () => {
    const clock = new VirtualClock(0);
    clock.setTimer(10, () => {});
    clock.setTimer(60_000, () => {});
    clock.setTimer(70_000, () => {});
    await expect(clock.runUntilIdle({ maxMs: 30_000 })).rejects.toThrow(
      'virtual clock not idle: reached maxMs 30000 with 2 timers still pending, next due at +60000ms from the start of the run',
    );
    expect(clock.now()).toBe(10);
  });

  it('resolves a sleep when time reaches it and rejects it with the abort reason when aborted first', async () => {
    const clock = new VirtualClock(0);
    const ctrl = new AbortController();
    const slept = clock.sleep(100, ctrl.signal);
    let done = false;
    void slept.then(() => (done = true), () => {});
    await clock.advance(50);
    expect(done).toBe(false);
    ctrl.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
    expect(clock.pendingTimers()).toBe(0);

    const finished = clock.sleep(10, new AbortController().signal);
    await clock.advance(10);
    await expect(finished).resolves.toBeUndefined();
  });

  it('rejects a sleep at once when the signal is already aborted', async () => {
    const clock = new VirtualClock(0);
    const ctrl = new AbortController();
    ctrl.abort('gone');
    await expect(clock.sleep(10, ctrl.signal)).rejects.toBe('gone');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('fires timers overdue after a forward jump at the next advance without moving time back', async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    clock.setTimer(10, () => seen.push(clock.now()));
    clock.setTimer(20, () => seen.push(clock.now()));
    clock.jump(1000);
    expect(seen).toEqual([]);
    await clock.advance(0);
    expect(seen).toEqual([1000, 1000]);
    expect(clock.now()).toBe(1000);
  });

  it('counts the ms it jumped, so that now() less jumpedMs is the time it ran', async () => {
    const clock = new VirtualClock(0);
    await clock.advance(300);
    clock.jump(1000);
    await clock.advance(200);
    clock.jump(-100, { allowBackward: true });
    expect(clock.jumpedMs).toBe(900);
    expect(clock.now() - clock.jumpedMs).toBe(500);
  });

  it('refuses a backward jump unless it is asked for explicitly as a fault', async () => {
    const clock = new VirtualClock(1000);
    expect(() => clock.jump(-10)).toThrow(VirtualClockError);
    const seen: number[] = [];
    clock.setTimer(5, () => seen.push(clock.now()));
    clock.jump(-100, { allowBackward: true });
    expect(clock.now()).toBe(900);
    await clock.advance(100);
    expect(seen).toEqual([]);
    await clock.advance(5);
    expect(seen).toEqual([1005]);
  });

  it('refuses overlapping advances and negative durations', async () => {
    const clock = new VirtualClock(0);
    const first = clock.advance(10);
    await expect(clock.advance(10)).rejects.toMatchObject({ code: 'busy' });
    await first;
    await expect(clock.advance(-1)).rejects.toMatchObject({ code: 'invalid-duration' });
    await expect(clock.advance(Number.NaN)).rejects.toMatchObject({ code: 'invalid-duration' });
  });

  it('propagates an error thrown by a timer and keeps later timers pending', async () => {
    const clock = new VirtualClock(0);
    clock.setTimer(10, () => {
      throw new Error('boom');
    });
    let later = false;
    clock.setTimer(20, () => (later = true));
    await expect(clock.advance(30)).rejects.toThrow('boom');
    expect(clock.now()).toBe(10);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(20);
    expect(later).toBe(true);
  });

  it('flushes continuations without moving time', async () => {
    const clock = new VirtualClock(0);
    let reached = false;
    void (async () => {
      for (let i = 0; i < 50; i++) await Promise.resolve();
      reached = true;
    })();
    await clock.flush();
    expect(reached).toBe(true);
    expect(clock.now()).toBe(0);
  });

  it('fires no further timer, and returns from advance and flush only, once continuations parked in yieldToEventLoop resumed', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    // Parked from a continuation, after advance queued its own macrotask to drain.
    clock.setTimer(0, () => {
      void Promise.resolve()
        .then(() => clock.yieldToEventLoop())
        .then(() => clock.yieldToEventLoop())
        .then(() => order.push(`parked at ${clock.now()}`));
    });
    clock.setTimer(10, () => order.push(`timer at ${clock.now()}`));
    await clock.advance(10);
    expect(order).toEqual(['parked at 0', 'timer at 10']);
    let resumed = false;
    void Promise.resolve()
      .then(() => clock.yieldToEventLoop())
      .then(() => (resumed = true));
    await clock.flush();
    expect(resumed).toBe(true);
  });
});
