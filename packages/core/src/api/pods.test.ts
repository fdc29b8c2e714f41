/** The pod predicates, pinned against upstream's `podutil` and `controller_utils.go`. */
import { describe, expect, it } from 'vitest';
import { formatTime } from '../clock/clock.js';
import type { Pod, PodPhase } from './kinds/pod.js';
import { isPodActive, isPodAvailable, isPodReady, isPodTerminating, maxContainerRestarts, msUntilAvailable, podReadyTime } from './pods.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0); // a fixed instant for readable fixtures, not the wall clock

function pod(o: { phase?: PodPhase; deleting?: boolean; ready?: 'True' | 'False'; readyAt?: number; restarts?: readonly number[] } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', ...(o.deleting ? { deletionTimestamp: formatTime(NOW) } : {}) },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ready !== undefined ? { conditions: [{ type: 'Ready', status: o.ready, ...(o.readyAt !== undefined ? { lastTransitionTime: formatTime(o.readyAt) } : {}) }] } : {}),
      ...(o.restarts ? { containerStatuses: o.restarts.map((restartCount, i) => ({ name: `c${i}`, image: 'nginx', imageID: '', ready: true, restartCount })) } : {}),
    },
  } as Pod;
}

describe('isPodActive and isPodTerminating (upstream IsPodActive, isPodTerminating)', () => {
  it.each([
    ['Pending', false, true, false],
    ['Running', false, true, false],
    ['Running', true, false, true],
    ['Succeeded', false, false, false],
    ['Failed', true, false, false],
  ] as const)('a %s pod, being deleted %s: active %s, terminating %s', (phase, deleting, active, terminating) => {
    expect(isPodActive(pod({ phase, deleting }))).toBe(active);
    expect(isPodTerminating(pod({ phase, deleting }))).toBe(terminating);
  });
});

describe('readiness and availability (upstream podutil.IsPodReady, IsPodAvailable)', () => {
  it('is ready only with a Ready condition True, and knows since when', () => {
    expect(isPodReady(pod({ ready: 'True', readyAt: NOW }))).toBe(true);
    expect(isPodReady(pod({ ready: 'False', readyAt: NOW }))).toBe(false);
    expect(isPodReady(pod())).toBe(false);
    expect(podReadyTime(pod({ ready: 'True', readyAt: NOW }))).toBe(NOW);
    expect(podReadyTime(pod({ ready: 'False', readyAt: NOW }))).toBeUndefined();
    expect(podReadyTime(pod({ ready: 'True' }))).toBeUndefined();
  });

  it('is available strictly after minReadySeconds of readiness, and says how long until then', () => {
    const p = pod({ ready: 'True', readyAt: NOW - 10_000 });
    expect(isPodAvailable(p, 10, NOW)).toBe(false);
    expect(isPodAvailable(p, 10, NOW + 1)).toBe(true);
    expect(isPodAvailable(p, 0, NOW)).toBe(true);
    expect(isPodAvailable(pod({ ready: 'False', readyAt: NOW - 60_000 }), 0, NOW)).toBe(false);
    expect(msUntilAvailable(p, 30, NOW)).toBe(20_001);
    expect(msUntilAvailable(p, 5, NOW)).toBe(0);
    expect(msUntilAvailable(pod(), 30, NOW)).toBeUndefined();
  });

  it('counts the highest restart count of the containers', () => {
    expect(maxContainerRestarts(pod({ restarts: [1, 4, 2] }))).toBe(4);
    expect(maxContainerRestarts(pod())).toBe(0);
  });
});
