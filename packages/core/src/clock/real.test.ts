import { describe, expect, it } from 'vitest';
import { RealClock } from './real.js';

// These tests never wait for real time to pass: they only use zero delays and aborts.
describe('RealClock', () => {
  it('never lets now() go backwards', () => {
    const clock = new RealClock();
    let last = clock.now();
    for (let i = 0; i < 1000; i++) {
      const now = clock.now();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });

  it('fires a zero-delay timer and cancels one that has not fired', async () => {
    const clock = new RealClock();
    let cancelledFired = false;
    clock.setTimer(0, () => (cancelledFired = true)).cancel();
    await new Promise<void>((resolve) => clock.setTimer(-5, resolve));
    expect(cancelledFired).toBe(false);
  });

  it('rejects a sleep with the abort reason and cancels its timer', async () => {
    const clock = new RealClock();
    const ctrl = new AbortController();
    const slept = clock.sleep(60_000, ctrl.signal);
    ctrl.abort(new Error('shutting down'));
    await expect(slept).rejects.toThrow('shutting down');
    const pre = new AbortController();
    pre.abort('already');
    await expect(clock.sleep(60_000, pre.signal)).rejects.toBe('already');
  });
});
