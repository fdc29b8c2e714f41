import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, backoffStep } from './backoff.js';
import type { BackoffEntry } from './backoff.js';

const runs = process.env.KUBELOOP_DEEP === '1' ? 2000 : 100;

/** Replays a container that runs `runMs[i]` each time and is restarted as soon as allowed; returns the waits. */
function waits(runMs: readonly number[]): number[] {
  let entry: BackoffEntry | undefined;
  let t = 0;
  const out: number[] = [];
  for (const run of runMs) {
    const exitedAt = t + run;
    const first = backoffStep(entry, exitedAt, exitedAt);
    const restartAt = first.kind === 'wait' ? first.until : exitedAt;
    const again = backoffStep(entry, exitedAt, restartAt);
    if (again.kind !== 'restart') throw new Error('no restart at the end of the wait');
    entry = again.entry;
    out.push(restartAt - exitedAt);
    t = restartAt;
  }
  return out;
}

describe('the restart back-off (kubelet flowcontrol.Backoff)', () => {
  it('restarts at once after the first exit, then waits 10, 20, 40 ... s, capped at 300 s', () => {
    expect(waits(Array<number>(10).fill(1000)).map((w) => w / 1000)).toEqual([0, 10, 20, 40, 80, 160, 300, 300, 300, 300]);
  });

  it('starts over at 10 s when two exits are more than 10 minutes apart', () => {
    expect(waits([1000, 1000, 1000, 11 * 60_000, 1000]).map((w) => w / 1000)).toEqual([0, 10, 20, 0, 10]);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 20 * 60_000 }), { minLength: 1, maxLength: 30 })], { numRuns: runs })(
    'every wait is 0 or a doubling of the previous one from 10 s, never above 300 s',
    (runMs) => {
      const w = waits(runMs);
      for (let i = 0; i < w.length; i++) {
        expect(w[i]).toBeLessThanOrEqual(BACKOFF_MAX_MS);
        if (w[i] === 0 || w[i] === BACKOFF_INITIAL_MS) continue;
        expect(w[i]).toBe(Math.min(w[i - 1]! * 2, BACKOFF_MAX_MS));
      }
    },
  );

  test.prop([fc.option(fc.record({ delayMs: fc.integer({ min: 1, max: BACKOFF_MAX_MS }), lastExitAt: fc.integer({ min: 0, max: 1e6 }) }), { nil: undefined }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 })], { numRuns: runs })(
    'a wait always ends in the future',
    (entry, exitOffset, nowOffset) => {
      const exitedAt = (entry?.lastExitAt ?? 0) + exitOffset;
      const d = backoffStep(entry, exitedAt, exitedAt + nowOffset);
      if (d.kind === 'wait') expect(d.until).toBeGreaterThan(exitedAt + nowOffset);
      else expect(d.entry.delayMs).toBeLessThanOrEqual(BACKOFF_MAX_MS);
    },
  );
});
