/**
 * The TTL-after-finished decision (upstream `processTTL` / `timeLeft`): a finished Job with a TTL
 * is deleted once its TTL after the Complete/Failed condition has passed; its invariant flags a
 * Job that outlived it.
 */
import { describe, expect, it } from 'vitest';
import { JobSchema } from '@kubeloop/core';
import type { Job } from '@kubeloop/core';
import { ttlDecision } from './decide.js';
import { expiredJobsDeleted } from './invariants.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function job(ttl: number | undefined, condition?: { type: string; status: string; at: string }, deleting = false): Job {
  return JobSchema.parse({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'default', uid: 'uid-j', ...(deleting ? { deletionTimestamp: '2026-01-01T00:05:00Z' } : {}) },
    spec: { ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }), template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } } },
    status: condition === undefined ? {} : { conditions: [{ type: condition.type, status: condition.status, lastTransitionTime: condition.at }] },
  });
}

const complete = { type: 'Complete', status: 'True', at: '2026-01-01T00:01:00Z' };

describe('TTL after finished', () => {
  it.each([
    ['no TTL', job(undefined, complete), T0 + 600_000, { action: 'ignore' }],
    ['not finished', job(100), T0 + 600_000, { action: 'ignore' }],
    ['a False Complete condition', job(100, { ...complete, status: 'False' }), T0 + 600_000, { action: 'ignore' }],
    ['already being deleted', job(100, complete, true), T0 + 600_000, { action: 'ignore' }],
    ['finished 60 s ago, TTL 100 s', job(100, complete), T0 + 120_000, { action: 'wait', remainingMs: 40_000, expireAtMs: T0 + 160_000, finishedInFuture: false }],
    ['TTL 100 s just passed', job(100, complete), T0 + 160_000, { action: 'delete', expireAtMs: T0 + 160_000 }],
    ['Failed, TTL 0', job(0, { type: 'Failed', status: 'True', at: '2026-01-01T00:01:00Z' }), T0 + 60_000, { action: 'delete', expireAtMs: T0 + 60_000 }],
    ['finished in the future (clock skew)', job(10, complete), T0, { action: 'wait', remainingMs: 70_000, expireAtMs: T0 + 70_000, finishedInFuture: true }],
  ])('%s', (_name, j, now, expected) => {
    expect(ttlDecision(j, now)).toEqual(expected);
  });

  it('the invariant flags a finished Job that outlived its TTL, and not one being deleted', () => {
    expect(expiredJobsDeleted([job(100, complete)], T0 + 150_000)).toEqual([]);
    expect(expiredJobsDeleted([job(100, complete)], T0 + 170_000).map((v) => v.message)).toEqual(['finished at 2026-01-01T00:01:00Z with ttlSecondsAfterFinished 100, still not deleted 10 s after it expired']);
    expect(expiredJobsDeleted([job(100, complete, true)], T0 + 170_000)).toEqual([]);
  });
});
