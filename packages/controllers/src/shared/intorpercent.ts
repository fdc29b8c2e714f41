/**
 * Int-or-percent values. A Kubernetes rule that the invariants judge by too, so it lives in
 * `@kubeloop/core` (`api/intorpercent.ts`); this module re-exports it for the controllers.
 *
 * @module
 */
export { scaledValue } from '@kubeloop/core';
