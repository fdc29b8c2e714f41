/**
 * The invariant of the TTL-after-finished controller, stated from the API's rule in its own
 * code: after settling, no finished Job outlives its `ttlSecondsAfterFinished`.
 *
 * @module
 */
import { invariant, parseTime, refOf, stateNowMs } from '@kubeloop/core';
import type { Invariant, InvariantViolation, Job } from '@kubeloop/core';

/**
 * Every Job that finished (`Complete` or `Failed` True) more than `ttlSecondsAfterFinished`
 * before `nowMs` is being deleted (or gone). Jobs without a TTL are never judged.
 */
export function expiredJobsDeleted(jobs: readonly Job[], nowMs: number): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const job of jobs) {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || job.metadata.deletionTimestamp !== undefined) continue;
    const end = (job.status.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (end?.lastTransitionTime == null) continue;
    const expiredFor = nowMs - (parseTime(end.lastTransitionTime) + ttl * 1000);
    if (expiredFor > 0) out.push({ message: `finished at ${end.lastTransitionTime} with ttlSecondsAfterFinished ${ttl}, still not deleted ${Math.round(expiredFor / 1000)} s after it expired`, objects: [refOf(job)] });
  }
  return out;
}

/** Liveness: {@link expiredJobsDeleted} — after settling, no finished Job outlives its TTL. */
export const expiredJobsDeletedInvariant: Invariant = invariant(
  'finishedJobsDeletedAfterTtl',
  'After settling, every Job finished longer than its ttlSecondsAfterFinished ago is being deleted or gone.',
  (state) => expiredJobsDeleted(state.of<Job>('Job'), stateNowMs(state)),
);

/** The invariants the TTL-after-finished plugin registers. */
export const TTL_AFTER_FINISHED_INVARIANTS: readonly Invariant[] = [expiredJobsDeletedInvariant];
