import { describe, expect, it } from 'vitest';
import { VirtualClock } from './virtual.js';
import { followWallClock } from './wall.js';

// A few real ticks of 5 ms: the test waits about 30 ms of wall time.
describe('followWallClock', () => {
  it('advances the virtual clock by the elapsed wall time times the speed, never overlapping', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    let running = 0;
    let overlapped = false;
    const wallStart = performance.now();
    const driver = followWallClock(
      async (ms) => {
        running++;
        if (running > 1) overlapped = true;
        await clock.advance(ms);
        running--;
      },
      { speed: 10, tickMs: 5 },
    );
    await new Promise<void>((resolve) => {
      const timer = clock.setTimer(200, resolve); // 200 virtual ms = about 20 real ms at speed 10
      void timer;
    });
    await driver.stop();
    const wall = performance.now() - wallStart;
    const virtual = clock.now() - start;
    expect(overlapped).toBe(false);
    expect(virtual).toBeGreaterThanOrEqual(200);
    expect(virtual).toBeLessThanOrEqual(wall * 10 + 1);
    // Stopped: time stands still.
    const after = clock.now();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(clock.now()).toBe(after);
  });

  it('advances by whole milliseconds, carrying the fraction, so the virtual clock stays on integers', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const steps: number[] = [];
    // A speed whose products are almost never whole: 1.37 virtual ms per real ms.
    const driver = followWallClock(
      async (ms) => {
        steps.push(ms);
        await clock.advance(ms);
      },
      { speed: 1.37, tickMs: 1 },
    );
    await new Promise<void>((resolve) => void clock.setTimer(30, resolve));
    await driver.stop();
    expect(steps.every((ms) => Number.isInteger(ms))).toBe(true);
    expect(Number.isInteger(clock.now() - start)).toBe(true);
  });

  it('stops and reports when an advance rejects', async () => {
    const errors: unknown[] = [];
    const driver = followWallClock(() => Promise.reject(new Error('timer threw')), { tickMs: 1, onError: (e) => errors.push(e) });
    await new Promise<void>((resolve) => {
      const poll = (): void => (errors.length > 0 ? resolve() : void setImmediate(poll));
      poll();
    });
    await driver.stop();
    expect(errors).toHaveLength(1);
    expect(() => followWallClock(() => Promise.resolve(), { speed: 0 })).toThrow(RangeError);
  });
});
