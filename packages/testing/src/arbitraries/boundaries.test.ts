/**
 * The object arbitraries reach the boundaries where controllers round wrong (replicas 1–3,
 * percentages that round, `maxSurge`/`maxUnavailable` 0) often enough that the default run of a
 * property finds a rounding bug, not only a deep run: measured here on the distributions. The
 * rollout check drawn from them, passed by the real Deployment controller and failed by one that
 * rounds `maxUnavailable` up, is `packages/integration/src/deployment/deployment.rounding.test.ts`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replicaCounts, rollingUpdates } from '../index.js';
import type { RollingUpdateStrategy } from '../index.js';

/** `GetScaledValueFromIntOrPercent`, for the measurements below. */
const scaled = (v: number | string, total: number, up: boolean) => (typeof v === 'number' ? v : (up ? Math.ceil : Math.floor)((Number.parseInt(v, 10) * total) / 100));
const rounds = (v: number | string, total: number) => scaled(v, total, true) !== scaled(v, total, false);

describe('boundary arbitraries', () => {
  it('draw 1–3 replicas about two times in three and 0 about one time in eight', () => {
    const counts = fc.sample(replicaCounts(), { numRuns: 2_000, seed: 1 });
    expect(counts.every((n) => Number.isInteger(n) && n >= 0 && n <= 5)).toBe(true);
    expect(counts.filter((n) => n >= 1 && n <= 3).length / counts.length).toBeGreaterThan(0.6);
    expect(counts.filter((n) => n === 0).length / counts.length).toBeGreaterThan(0.1);
    expect(new Set(counts).size).toBe(6);
  });

  it('draw strategies whose maxSurge rounds, whose maxUnavailable is 0, and whose both resolve to 0, each in more than one Deployment in ten', () => {
    const drawn = fc.sample(fc.tuple(replicaCounts(), rollingUpdates()), { numRuns: 2_000, seed: 2 });
    const share = (p: (r: number, s: RollingUpdateStrategy['rollingUpdate']) => boolean) => drawn.filter(([r, s]) => p(r, s.rollingUpdate)).length / drawn.length;
    expect(share((_, s) => (s.maxSurge === 0 || s.maxSurge === '0%') && (s.maxUnavailable === 0 || s.maxUnavailable === '0%'))).toBe(0);
    expect(share((r, s) => r > 0 && rounds(s.maxSurge, r))).toBeGreaterThan(0.25);
    expect(share((r, s) => r > 0 && rounds(s.maxUnavailable, r))).toBeGreaterThan(0.25);
    expect(share((r, s) => r > 0 && scaled(s.maxUnavailable, r, false) === 0)).toBeGreaterThan(0.3);
    expect(share((r, s) => r > 0 && scaled(s.maxSurge, r, true) === 0 && scaled(s.maxUnavailable, r, false) === 0)).toBeGreaterThan(0.02);
    expect(share((r, s) => r > 0 && rounds(s.maxSurge, r) && scaled(s.maxUnavailable, r, false) === 0)).toBeGreaterThan(0.1);
  });
});
