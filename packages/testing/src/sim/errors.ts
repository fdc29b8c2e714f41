/**
 * The one error type of the simulated cluster, discriminated by `code`.
 *
 * @module
 */

/** Why a {@link SimCluster} call failed. */
export type SimClusterErrorCode = 'invalid-option' | 'unknown-node' | 'not-quiet' | 'stopped' | 'livelock' | 'too-much-work';

/**
 * A failed {@link SimCluster} call.
 *
 * Guarantees: `message` says what was asked and why it failed; for `not-quiet` it names what was
 * still changing and the pods that are not Running and Ready.
 */
export class SimClusterError extends Error {
  /** What went wrong. */
  readonly code: SimClusterErrorCode;

  constructor(code: SimClusterErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimClusterError';
    this.code = code;
  }
}
