/**
 * The scheduler's one error class.
 *
 * @module
 */

/**
 * What went wrong:
 * - `invalid-profile`: a profile names an unknown plugin, repeats one, or gives a weight outside 1..100;
 * - `duplicate-plugin`: two plugins registered under the same name;
 * - `plugin-failed`: a framework plugin threw during a scheduling cycle (the cycle fails with
 *   an `Error` status and the pod is retried with backoff).
 */
export type SchedulerErrorCode = 'invalid-profile' | 'duplicate-plugin' | 'plugin-failed';

/** The error thrown by the scheduler, discriminated by {@link SchedulerError.code}. Messages are lowercase and stable. */
export class SchedulerError extends Error {
  /** What went wrong. */
  readonly code: SchedulerErrorCode;

  constructor(code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchedulerError';
    this.code = code;
  }
}
