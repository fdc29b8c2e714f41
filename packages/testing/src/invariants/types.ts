/**
 * Invariants: the vocabulary lives in `@kubeloop/core` (controllers state their invariants in it
 * and register them through the plugin API); the toolkit uses it as is. `Violation` is the
 * toolkit's older name of core's `InvariantViolation`.
 *
 * @module
 */
export { clusterState, formatRef, invariant, refOf, stateNowMs, transitionInvariant } from '@kubeloop/core';
export type { ClusterState, Invariant, InvariantKind, InvariantViolation, InvariantViolation as Violation, ObjectRef } from '@kubeloop/core';
