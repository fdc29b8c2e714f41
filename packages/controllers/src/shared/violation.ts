/**
 * The one shape every reference controller's invariants report in, so that a test (or the
 * testing toolkit) can collect, print and compare violations of different controllers alike.
 *
 * @module
 */

/** One broken invariant. */
export interface InvariantViolation {
  /** The invariant's name, e.g. `replicaCountsMatch`. */
  readonly invariant: string;
  /** The object at fault, `Kind namespace/name` (or `Kind name` when cluster-scoped). */
  readonly object: string;
  /** What is wrong, with the numbers and the objects involved. */
  readonly message: string;
}
