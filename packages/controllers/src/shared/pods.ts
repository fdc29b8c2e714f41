/**
 * The pod predicates the workload controllers share. They are Kubernetes rules that the
 * invariants judge by too, so they live in `@kubeloop/core` (`api/pods.ts`); this module
 * re-exports them for the controllers.
 *
 * @module
 */
export { isPodActive, isPodAvailable, isPodReady, isPodTerminating, maxContainerRestarts, msUntilAvailable, podReadyCondition, podReadyTime } from '@kubeloop/core';
