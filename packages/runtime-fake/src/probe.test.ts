import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Probe } from '@kubeloop/core';
import { initialProbeState, probeAnswer, stepProbe } from './probe.js';

const runs = process.env.KUBELOOP_DEEP === '1' ? 2000 : 100;
const probe = (p: Partial<Probe> = {}): Probe => ({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...p });

describe('the probe state machine (kubelet prober worker)', () => {
  it('starts readiness at failure, liveness at success, startup at unknown, after initialDelaySeconds', () => {
    const p = probe({ initialDelaySeconds: 5 });
    expect(initialProbeState('readiness', p, 1000)).toEqual({ result: 'failure', successes: 0, failures: 0, nextAt: 6000 });
    expect(initialProbeState('liveness', p, 0).result).toBe('success');
    expect(initialProbeState('startup', p, 0).result).toBe('unknown');
  });

  it('fails a liveness probe only on the failureThreshold-th consecutive failure', () => {
    const p = probe();
    let s = initialProbeState('liveness', p, 0);
    s = stepProbe(s, p, 'failure', 0);
    s = stepProbe(s, p, 'failure', 10_000);
    expect(s.result).toBe('success');
    s = stepProbe(s, p, 'failure', 20_000);
    expect(s).toEqual({ result: 'failure', successes: 0, failures: 3, nextAt: 30_000 });
  });

  test.prop([fc.array(fc.boolean(), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })], { numRuns: runs })(
    'the result is the last outcome that reached its threshold of consecutive runs',
    (outcomes, successThreshold, failureThreshold) => {
      const p = probe({ successThreshold, failureThreshold });
      let s = initialProbeState('readiness', p, 0);
      let expected = 'failure';
      let streak = 0;
      let last: boolean | undefined;
      outcomes.forEach((ok, i) => {
        streak = ok === last ? streak + 1 : 1;
        last = ok;
        if (ok && streak >= successThreshold) expected = 'success';
        if (!ok && streak >= failureThreshold) expected = 'failure';
        s = stepProbe(s, p, ok ? 'success' : 'failure', i * 10_000);
        expect(s.result).toBe(expected);
        expect(s.nextAt).toBe(i * 10_000 + 10_000);
      });
    },
  );

  it('answers from the behavior: readiness fails before not-ready-for, liveness from liveness-fail-after', () => {
    expect(probeAnswer('readiness', { notReadyForMs: 5000 }, 4999)).toBe('failure');
    expect(probeAnswer('readiness', { notReadyForMs: 5000 }, 5000)).toBe('success');
    expect(probeAnswer('liveness', {}, 1e9)).toBe('success');
    expect(probeAnswer('liveness', { livenessFailAfterMs: 1000 }, 1000)).toBe('failure');
    expect(probeAnswer('startup', { startupMs: 1000 }, 999)).toBe('failure');
  });
});
