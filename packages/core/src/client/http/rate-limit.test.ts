import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock/virtual.js';
import { TokenBucket } from './rate-limit.js';

describe('TokenBucket (client-go token bucket rate limiter)', () => {
  it('lets burst requests through at once, then spaces them 1/qps apart (qps 5, burst 10: the 11th waits 200 ms, the 12th 400 ms)', () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket(clock, 5, 10);
    const waits = Array.from({ length: 12 }, () => bucket.reserve());
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits.slice(10)).toEqual([200, 400]);
  });

  it('refills at qps while idle, never beyond burst', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket(clock, 5, 10);
    for (let i = 0; i < 10; i++) bucket.reserve();
    await clock.advance(1_000); // five tokens back
    expect(Array.from({ length: 6 }, () => bucket.reserve())).toEqual([0, 0, 0, 0, 0, 200]);
    await clock.advance(60_000);
    expect(Array.from({ length: 11 }, () => bucket.reserve()).filter((w) => w === 0)).toHaveLength(10);
  });

  it('take() waits on the injected clock', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket(clock, 2, 1);
    const passed: number[] = [];
    for (let i = 0; i < 3; i++) void bucket.take().then(() => passed.push(i));
    await clock.advance(0);
    expect(passed).toEqual([0]);
    await clock.advance(500);
    expect(passed).toEqual([0, 1]);
    await clock.advance(500);
    expect(passed).toEqual([0, 1, 2]);
  });

  it('does not limit with qps 0 or Infinity (rate limiting disabled)', () => {
    for (const qps of [0, -1, Infinity]) {
      const bucket = new TokenBucket(new VirtualClock(), qps, 1);
      expect(Array.from({ length: 100 }, () => bucket.reserve()).every((w) => w === 0)).toBe(true);
    }
  });
});
