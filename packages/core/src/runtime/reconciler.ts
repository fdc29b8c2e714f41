/**
 * The reconcile contract (controller-runtime's `reconcile.Reconciler`).
 *
 * A reconciler is handed an identity (namespace/name), never an event. It reads the current
 * state, decides, writes, and returns what should happen next. It is level-triggered: given
 * the same cluster state it must reach the same result whatever notifications it missed, so
 * a crash, a dropped watch or a coalesced event never leaves the cluster wrong.
 *
 * @module
 */
import type { ObjectKey } from '../api/meta.js';

/** What to reconcile: the identity of the primary object, nothing else. */
export type Request = ObjectKey;

/**
 * What a reconcile asks for next:
 * - `{ kind: 'done' }`: nothing until the next change;
 * - `{ kind: 'requeueAfter', delayMs }`: look again after the delay (e.g. a time-based
 *   condition such as minReadySeconds), without counting as a failure.
 *
 * Failures are thrown: any error is retried with per-item exponential backoff (a
 * {@link RequeueAfterError} no later than the delay it names); a {@link TerminalError} is
 * recorded and not retried.
 */
export type Result = { readonly kind: 'done' } | { readonly kind: 'requeueAfter'; readonly delayMs: number };

/** The reconcile finished; wait for the next change. */
export const done: Result = Object.freeze({ kind: 'done' });

/** Reconcile again after `delayMs` milliseconds (not a failure: the backoff is not touched). */
export function requeueAfter(delayMs: number): Result {
  return { kind: 'requeueAfter', delayMs };
}

/**
 * An error that retrying cannot fix (for example an invalid spec the user must change): the
 * controller records it and forgets the item until its next change.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/**
 * A failure that is retried with backoff like any other error, and that also asks to be looked
 * at again no later than `requeueAfterMs`: the reconcile failed, yet something time-based it
 * found (a pod that becomes available once `minReadySeconds` have passed) is due before the
 * backoff may end. The queue keeps the earlier of the two deadlines, and the backoff is not
 * forgotten: the next failure waits longer still, as when an upstream event handler `AddAfter`s
 * the key of a sync that keeps failing (the ReplicaSet controller's `updatePod` for a pod that
 * became ready).
 *
 * The failure itself is `cause`; the error handlers and the logs get the cause, not this
 * wrapper.
 *
 * @example
 * ```ts
 * if (createError !== undefined) throw waitMs === undefined ? createError : new RequeueAfterError(createError, waitMs);
 * ```
 */
export class RequeueAfterError extends Error {
  /** Look again no later than this (virtual ms from the failure), whatever the backoff. */
  readonly requeueAfterMs: number;

  constructor(cause: unknown, requeueAfterMs: number) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'RequeueAfterError';
    this.requeueAfterMs = requeueAfterMs;
  }
}

/** Context handed to each reconcile. */
export interface ReconcileContext {
  /** Aborted when the controller is shutting down: stop early and return. */
  readonly signal: AbortSignal;
  /** The controller's name, for logs and events. */
  readonly controllerName: string;
}

/**
 * Brings the cluster towards the desired state of one object.
 *
 * Guarantees the caller gives: never two concurrent reconciles of the same request; a request
 * whose object changed during a reconcile is reconciled again afterwards.
 * Caveats: the object may be gone (deleted) by the time of the call: treat NotFound as done.
 */
export interface Reconciler {
  /** Reconciles one object. Throw to retry with backoff; throw {@link TerminalError} to give up. */
  reconcile(request: Request, context: ReconcileContext): Promise<Result>;
}
