/**
 * The invariant vocabulary shared by controllers and the testing toolkit.
 *
 * @module
 */
export { formatRef, invariant, refOf, stateNowMs, transitionInvariant } from './types.js';
export type { ClusterState, Invariant, InvariantKind, InvariantViolation, ObjectRef, StateChange } from './types.js';
export { ClusterSnapshot, clusterState } from './state.js';
