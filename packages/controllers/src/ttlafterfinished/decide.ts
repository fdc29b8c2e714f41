/**
 * The TTL-after-finished controller's decision (upstream
 * `pkg/controller/ttlafterfinished/ttlafterfinished_controller.go`: `needsCleanup`, `timeLeft`,
 * `jobFinishTime`): whether a Job is due for deletion, and when.
 *
 * @module
 */
import { parseTime } from '@kubeloop/core';
import type { Job } from '@kubeloop/core';

/**
 * What to do with a Job:
 * - `ignore`: no `ttlSecondsAfterFinished`, not finished, or already being deleted;
 * - `wait`: its TTL expires in `remainingMs` (at `expireAtMs`);
 * - `delete`: its TTL has expired.
 *
 * `finishedInFuture` reports upstream's clock-skew warning: the Job finished after `nowMs`.
 */
export type TtlDecision =
  | { readonly action: 'ignore' }
  | { readonly action: 'wait'; readonly remainingMs: number; readonly expireAtMs: number; readonly finishedInFuture: boolean }
  | { readonly action: 'delete'; readonly expireAtMs: number };

/**
 * When the Job finished (ms): the `lastTransitionTime` of its True `Complete` or `Failed`
 * condition (upstream `jobFinishTime`); undefined when it has not finished or the time is
 * missing (upstream's error "unable to find the time when the Job finished").
 */
export function jobFinishTimeMs(job: Job): number | undefined {
  for (const c of job.status.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') {
      const at = c.lastTransitionTime ? parseTime(c.lastTransitionTime) : Number.NaN;
      return Number.isNaN(at) ? undefined : at;
    }
  }
  return undefined;
}

/**
 * Upstream `processTTL`: a Job with `ttlSecondsAfterFinished` that finished at F expires at
 * F + ttl; it is deleted once `nowMs` reaches that, and waits until then.
 *
 * @example
 * ```ts
 * // ttlSecondsAfterFinished: 100, Complete at 12:00:00
 * ttlDecision(job, at('12:01:00')); // { action: 'wait', remainingMs: 40_000, ... }
 * ttlDecision(job, at('12:01:40')); // { action: 'delete', ... }
 * ```
 */
export function ttlDecision(job: Job, nowMs: number): TtlDecision {
  const ttl = job.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || job.metadata.deletionTimestamp !== undefined) return { action: 'ignore' };
  const finishedAt = jobFinishTimeMs(job);
  if (finishedAt === undefined) return { action: 'ignore' };
  const expireAtMs = finishedAt + ttl * 1000;
  const remainingMs = expireAtMs - nowMs;
  if (remainingMs <= 0) return { action: 'delete', expireAtMs };
  return { action: 'wait', remainingMs, expireAtMs, finishedInFuture: finishedAt > nowMs };
}
