import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { faults, withInterceptors, WRITE_VERBS } from '../client/intercept.js';
import { runs, testCluster } from '../testing/index.js';
import { seededRng } from '../rng/seeded.js';
import { formatMicroTime } from '../clock/clock.js';
import { VIRTUAL_EPOCH_MS } from '../clock/virtual.js';
import { decideLease, LeaderElector } from './leader-election.js';

const t = (s: number): number => VIRTUAL_EPOCH_MS + s * 1000;

// client-go tools/leaderelection/leaderelection.go, tryAcquireOrRenew.
describe('decideLease', () => {
  it('creates a missing lease holding it, with zero transitions', () => {
    expect(decideLease(undefined, 'a', t(0), 15_000)).toEqual({
      kind: 'create',
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: formatMicroTime(t(0)), renewTime: formatMicroTime(t(0)), leaseTransitions: 0 },
    });
  });

  it('renews its own lease keeping acquireTime and transitions', () => {
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: formatMicroTime(t(0)), renewTime: formatMicroTime(t(2)), leaseTransitions: 3 };
    expect(decideLease(spec, 'a', t(4), 15_000)).toEqual({ kind: 'update', renew: true, spec: { ...spec, renewTime: formatMicroTime(t(4)) } });
  });

  it('waits while another holder renewed less than a lease duration ago', () => {
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: formatMicroTime(t(0)) };
    expect(decideLease(spec, 'b', t(10), 15_000)).toEqual({ kind: 'held', holder: 'a', expiresAtMs: t(15) });
    expect(decideLease(spec, 'b', t(14.999), 15_000).kind).toBe('held');
  });

  it('takes an expired or released lease and counts a transition', () => {
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: formatMicroTime(t(0)), renewTime: formatMicroTime(t(0)), leaseTransitions: 1 };
    const taken = decideLease(spec, 'b', t(15), 15_000);
    expect(taken).toEqual({
      kind: 'update',
      renew: false,
      spec: { holderIdentity: 'b', leaseDurationSeconds: 15, acquireTime: formatMicroTime(t(15)), renewTime: formatMicroTime(t(15)), leaseTransitions: 2 },
    });
    expect(decideLease({ ...spec, holderIdentity: '' }, 'b', t(1), 15_000).kind).toBe('update');
  });
});

describe('LeaderElector', () => {
  it('refuses options client-go refuses', () => {
    const { api, clock } = testCluster();
    const base = { client: api, clock, identity: 'a', lease: { namespace: 'kube-system', name: 'l' } };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(/leaseDuration must be greater than renewDeadline/);
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(/renewDeadline must be greater than retryPeriod\*JitterFactor/);
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(/identity must not be empty/);
  });

  it('reports leaders as it observes them and stops leading on cancel', async () => {
    const { api, clock } = testCluster();
    const seen: string[] = [];
    let started = 0;
    let stopped = 0;
    const stop = new AbortController();
    const elector = new LeaderElector({
      client: api,
      clock,
      identity: 'a',
      lease: { namespace: 'kube-system', name: 'l' },
      callbacks: { onNewLeader: (id) => seen.push(id), onStartedLeading: () => started++, onStoppedLeading: () => stopped++ },
    });
    const running = elector.run(stop.signal);
    await clock.advance(30_000);
    expect(elector.isLeader()).toBe(true);
    expect(seen).toEqual(['a']);
    stop.abort();
    await clock.advance(0);
    await running;
    expect([started, stopped, elector.isLeader()]).toEqual([1, 1, false]);
  });
});

describe('leader election under faults', () => {
  test.prop(
    [
      fc.array(
        fc.record({ candidate: fc.integer({ min: 0, max: 2 }), from: fc.integer({ min: 0, max: 60 }), seconds: fc.integer({ min: 1, max: 30 }) }),
        { maxLength: 6 },
      ),
    ],
    { numRuns: runs(15, 150) },
  )('never has two leaders at once, and someone leads again once the faults stop', async (windows) => {
    const { api, clock } = testCluster();
    const start = clock.now();
    const failing = (i: number): boolean => {
      const s = (clock.now() - start) / 1000;
      return windows.some((w) => w.candidate === i && s >= w.from && s < w.from + w.seconds);
    };
    const stop = new AbortController();
    const electors: LeaderElector[] = [];
    const campaign = (i: number): void => {
      const client = withInterceptors(api, faults((r) => (WRITE_VERBS.has(r.verb) && failing(i) ? new ApiError('ServiceUnavailable', 'injected') : undefined)));
      const elector = new LeaderElector({ client, clock, rng: seededRng(i), identity: `c${i}`, lease: { namespace: 'kube-system', name: 'l' } });
      electors[i] = elector;
      // A candidate that lost the lease restarts, as a process would.
      void elector.run(stop.signal).then(() => {
        if (!stop.signal.aborted) campaign(i);
      });
    };
    for (let i = 0; i < 3; i++) campaign(i);
    let maxLeaders = 0;
    for (let step = 0; step < 240; step++) {
      await clock.advance(500);
      maxLeaders = Math.max(maxLeaders, electors.filter((e) => e.isLeader()).length);
    }
    expect(maxLeaders).toBeLessThanOrEqual(1);
    expect(electors.filter((e) => e.isLeader())).toHaveLength(1);
    stop.abort();
    await clock.advance(0);
  });
});
