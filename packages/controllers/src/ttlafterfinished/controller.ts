/**
 * The TTL-after-finished controller (upstream `pkg/controller/ttlafterfinished`): deletes a
 * finished Job `ttlSecondsAfterFinished` after it finished, on the injected clock.
 *
 * One sync (upstream `processJob`): read the Job from the cache; if its TTL has not expired,
 * requeue for when it does; if it has, re-read it from the API server (the TTL may have been
 * changed meanwhile) and decide again; then delete it with `propagationPolicy: Foreground` and
 * a uid precondition, so its pods go first and a Job recreated under the same name is spared.
 *
 * @module
 */
import { Jobs, controllerFor, done, isApiError, keyString, requeueAfter } from '@kubeloop/core';
import type { Controller, Job, Manager, Reconciler, Request, Result } from '@kubeloop/core';
import { ttlDecision } from './decide.js';

/** Options of the TTL-after-finished controller. */
export interface TtlAfterFinishedControllerOptions {
  /** Workers (`--concurrent-ttl-after-finished-syncs`, default 5). */
  readonly concurrency?: number | undefined;
}

/** Upstream's default number of workers (`ConcurrentTTLSyncs`). */
export const DEFAULT_TTL_AFTER_FINISHED_CONCURRENCY = 5;

/**
 * The reconciler: one call is one upstream `processJob`.
 *
 * Guarantees: never deletes a Job before `ttlSecondsAfterFinished` has passed since its
 * `Complete`/`Failed` condition, as the API server has the Job at deletion time; deletes only
 * the Job it judged (uid precondition).
 *
 * Errors: a failed read or delete other than NotFound/Conflict is thrown (retried with back-off).
 */
export class TtlAfterFinishedReconciler implements Reconciler {
  readonly #manager: Manager;

  /** A reconciler on `manager`'s Job cache and client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** Processes one Job (see the module documentation). */
  async reconcile(request: Request): Promise<Result> {
    const cached = this.#manager.cache(Jobs).get(request);
    if (cached === undefined) return done;
    const first = ttlDecision(cached, this.#manager.clock.now());
    if (first.action === 'ignore') return done;
    if (first.action === 'wait') return requeueAfter(first.remainingMs);
    // The TTL may have been changed since the cache saw the Job: decide again on a live read.
    let fresh: Job;
    try {
      fresh = await this.#manager.client.get(Jobs, request);
    } catch (error) {
      if (isApiError(error, 'NotFound')) return done;
      throw error;
    }
    const second = ttlDecision(fresh, this.#manager.clock.now());
    if (second.action === 'ignore') return done;
    if (second.action === 'wait') return requeueAfter(second.remainingMs);
    try {
      await this.#manager.client.delete(Jobs, request, { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata.uid ?? '' } });
    } catch (error) {
      if (isApiError(error, 'NotFound', 'Conflict')) return done;
      throw new Error(`deleting job ${keyString(request)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return done;
  }
}

/**
 * Builds the TTL-after-finished controller (`ttl-after-finished`) on `manager`: reconciles Jobs
 * on their changes (a Job that finishes, or whose TTL changes, is judged again).
 */
export function ttlAfterFinishedController(manager: Manager, options: TtlAfterFinishedControllerOptions = {}): Controller {
  return controllerFor(manager, Jobs)
    .named('ttl-after-finished')
    .withConcurrency(options.concurrency ?? DEFAULT_TTL_AFTER_FINISHED_CONCURRENCY)
    .complete(new TtlAfterFinishedReconciler(manager));
}
