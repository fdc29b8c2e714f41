import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock/virtual.js';
import { runs } from '../testing/index.js';
import { createRateLimitingQueue } from './create.js';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiters.js';

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles from 5 ms per failure and caps at 1000 s (client-go default_rate_limiters.go)', () => {
    const l = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
    const delays = Array.from({ length: 22 }, () => l.when('a'));
    expect(delays.slice(0, 6)).toEqual([5, 10, 20, 40, 80, 160]);
    expect(delays[17]).toBe(5 * 2 ** 17); // 655 360 ms, still below the cap
    expect(delays.slice(18)).toEqual([1_000_000, 1_000_000, 1_000_000, 1_000_000]);
    expect(l.numRequeues('a')).toBe(22);
  });

  it('tracks items separately and starts again at 5 ms after forget', () => {
    const l = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
    expect([l.when('a'), l.when('a'), l.when('b'), l.when('a')]).toEqual([5, 10, 5, 20]);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(5);
    expect(l.numRequeues('b')).toBe(1);
  });

  it('stays at the cap however many failures there are', () => {
    const l = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
    for (let i = 0; i < 2000; i++) l.when('a');
    expect(l.when('a')).toBe(1_000_000);
  });
});

describe('BucketRateLimiter', () => {
  it('allows a burst of 100 and then 10 per second', async () => {
    const clock = new VirtualClock(0);
    const l = new BucketRateLimiter<string>(clock, 10, 100);
    const burst = Array.from({ length: 100 }, (_, i) => l.when(`k${i}`));
    expect(burst.every((d) => d === 0)).toBe(true);
    expect([l.when('x'), l.when('y'), l.when('z')]).toEqual([100, 200, 300]);
    await clock.advance(1000);
    // 10 tokens refilled repay 3 owed tokens, leaving 7.
    const next = Array.from({ length: 8 }, (_, i) => l.when(`n${i}`));
    expect(next).toEqual([0, 0, 0, 0, 0, 0, 0, 100]);
    expect(l.numRequeues('x')).toBe(0);
  });

  it('refills to at most the burst size', async () => {
    const clock = new VirtualClock(0);
    const l = new BucketRateLimiter<string>(clock, 10, 100);
    await clock.advance(3_600_000);
    const delays = Array.from({ length: 101 }, () => l.when('k'));
    expect(delays.filter((d) => d === 0)).toHaveLength(100);
    expect(delays[100]).toBe(100);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 300 })], { numRuns: runs(100, 1000) })(
    'never lets more than burst + qps·t retries through by time t',
    async (gaps) => {
      const clock = new VirtualClock(0);
      const l = new BucketRateLimiter<string>(clock, 10, 100);
      const start = clock.now();
      const due: number[] = [];
      for (const g of gaps) {
        await clock.advance(g);
        due.push(clock.now() + l.when('k'));
      }
      // Retries scheduled at or before t never exceed 100 + 10·(t − start)/1000 (+ rounding).
      for (const t of due) {
        const through = due.filter((d) => d <= t).length;
        expect(through).toBeLessThanOrEqual(100 + Math.floor(((t - start) * 10) / 1000 + 1e-9));
      }
    },
  );
});

describe('defaultControllerRateLimiter', () => {
  it('is the max of the exponential backoff and the bucket', () => {
    const clock = new VirtualClock(0);
    const l = defaultControllerRateLimiter<string>(clock);
    // Per-item backoff dominates while the bucket has tokens.
    expect([l.when('a'), l.when('a'), l.when('a')]).toEqual([5, 10, 20]);
    // Drain the bucket (3 tokens used above) with fresh items: each gets 5 ms from backoff.
    for (let i = 0; i < 97; i++) expect(l.when(`k${i}`)).toBe(5);
    // Now the bucket dominates for a fresh item: 100 ms instead of 5 ms.
    expect(l.when('fresh')).toBe(100);
    // And backoff dominates again for an item that has failed a lot.
    for (let i = 0; i < 15; i++) l.when('a');
    expect(l.when('a')).toBe(1_000_000); // 19th failure: 5 · 2^18 = 1 310 720 ms, capped
    expect(l.numRequeues('a')).toBe(19);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
  });

  it('matches an explicit MaxOfRateLimiter of the same parts', () => {
    const c1 = new VirtualClock(0);
    const c2 = new VirtualClock(0);
    const a = defaultControllerRateLimiter<string>(c1);
    const b = new MaxOfRateLimiter<string>(
      new ItemExponentialFailureRateLimiter<string>(5, 1_000_000),
      new BucketRateLimiter<string>(c2, 10, 100),
    );
    for (let i = 0; i < 300; i++) expect(a.when(`k${i % 7}`)).toBe(b.when(`k${i % 7}`));
  });
});

describe('rate-limiting workqueue', () => {
  it('retries an item after its backoff and counts requeues until forgotten', async () => {
    const clock = new VirtualClock(0);
    const q = createRateLimitingQueue<string>({ clock });
    q.addRateLimited('a');
    expect(q.numRequeues('a')).toBe(1);
    await clock.advance(4);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.tryGet()).toBe('a');
    q.addRateLimited('a');
    q.done('a');
    await clock.advance(9);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.tryGet()).toBe('a');
    q.forget('a');
    q.done('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('uses the rate limiter it is given', async () => {
    const clock = new VirtualClock(0);
    const q = createRateLimitingQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(1000, 5000) });
    q.addRateLimited('a');
    await clock.advance(999);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
  });
});
