/**
 * The autoscaler's cluster state, pinned to upstream `clusterstate` and `utils/backoff`: the
 * exponential back-off of a group after failed scale-ups (5, 10, 20, 30, 30 min; reset after
 * 3 h), the readiness of a group's machines, and group health.
 */
import { describe, expect, it } from 'vitest';
import type { Node } from '@kubeloop/core';
import { formatTime } from '@kubeloop/core';
import { backoffGroup, goDuration, groupReadiness, isBackedOff, isGroupHealthy, isStaleBackoff } from './clusterstate.js';
import type { BackoffEntry } from './clusterstate.js';

const MIN = 60_000;
const CONFIG = { initialMs: 5 * MIN, maxMs: 30 * MIN, resetMs: 180 * MIN };
const TIMEOUT = { errorCode: 'timeout', errorMessage: 'Scale-up timed out for node group pool after 15m0s' };

function node(name: string, ready: boolean, createdMs: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, creationTimestamp: formatTime(createdMs) },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  } as Node;
}

describe('backoffGroup (upstream exponentialBackoff)', () => {
  it('backs a group off 5, 10, 20, 30, 30 minutes for failures that each come after the last back-off ran out', () => {
    let entry: BackoffEntry | undefined;
    let now = 0;
    const durations: number[] = [];
    for (let i = 0; i < 5; i++) {
      entry = backoffGroup(entry, now, CONFIG, TIMEOUT);
      durations.push(entry.durationMs / MIN);
      expect(isBackedOff(entry, now + entry.durationMs - 1)).toBe(true);
      expect(isBackedOff(entry, now + entry.durationMs)).toBe(false);
      now = entry.untilMs + 1;
    }
    expect(durations).toEqual([5, 10, 20, 30, 30]);
    expect(entry).toMatchObject(TIMEOUT);
  });

  it('does not double for a failure inside the back-off, and is stale 3 h after the last failure', () => {
    const first = backoffGroup(undefined, 0, CONFIG, TIMEOUT);
    const again = backoffGroup(first, 1 * MIN, CONFIG, TIMEOUT);
    expect(again.durationMs).toBe(5 * MIN);
    expect(again.untilMs).toBe(6 * MIN);
    expect(isStaleBackoff(again, 181 * MIN, CONFIG)).toBe(false);
    expect(isStaleBackoff(again, 181 * MIN + 1, CONFIG)).toBe(true);
  });
});

describe('groupReadiness and isGroupHealthy (upstream ClusterStateRegistry)', () => {
  it('tells ready, not started (NotReady < 15 min old), unready, unregistered and long unregistered machines apart', () => {
    const now = 60 * MIN;
    const nodes = new Map([
      ['a', node('a', true, 0)],
      ['b', node('b', false, now - 5 * MIN)],
      ['c', node('c', false, now - 20 * MIN)],
    ]);
    const since = new Map([
      ['d', now - 10 * MIN],
      ['e', now - 16 * MIN],
    ]);
    expect(groupReadiness(['a', 'b', 'c', 'd', 'e'], nodes, since, now, 15 * MIN)).toEqual({ ready: ['a'], notStarted: ['b'], unready: ['c'], unregistered: ['d'], longUnregistered: ['e'] });
  });

  it('calls a group unhealthy when more than 3 and more than 45 % of what it should have ready is missing', () => {
    const r = (ready: number, unready: number) => ({ ready: Array.from({ length: ready }, (_, i) => `r${i}`), notStarted: [], unready: Array.from({ length: unready }, (_, i) => `u${i}`), unregistered: [], longUnregistered: [] });
    expect(isGroupHealthy(r(1, 4), 5, 0)).toBe(false);
    expect(isGroupHealthy(r(2, 3), 5, 0)).toBe(true); // 3 missing: within the tolerated count
    expect(isGroupHealthy(r(1, 4), 5, 4)).toBe(true); // a scale-up of 4 in progress justifies them
    expect(isGroupHealthy(r(0, 0), 3, 0)).toBe(true); // nothing registered yet
  });
});

describe('goDuration', () => {
  it("prints durations as Go's time.Duration does", () => {
    expect([goDuration(15 * MIN), goDuration(15 * MIN + 10_000), goDuration(45_000), goDuration(3_723_000), goDuration(0)]).toEqual(['15m0s', '15m10s', '45s', '1h2m3s', '0s']);
  });
});
