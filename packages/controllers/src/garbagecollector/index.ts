/**
 * The garbage collector — upstream's `pkg/controller/garbagecollector`: an ownership graph
 * built from `metadata.ownerReferences` of every served kind, and workers that delete
 * dependents whose owners are all gone and complete cascading deletions.
 *
 * What each `propagationPolicy` of a delete does, with the collector running:
 *
 * ```
 * Background  the owner goes at once; its dependents are collected after it
 * Foreground  the owner stays (deletionTimestamp + foregroundDeletion) while its dependents are
 *             deleted; it goes once none with blockOwnerDeletion: true is left
 * Orphan      the owner stays (orphan finalizer) until its dependents' references to it are
 *             removed; then it goes and they stay
 * ```
 *
 * @module
 */

// Registration
export { garbageCollectorPlugin, GARBAGE_COLLECTOR_PLUGIN_NAME } from './plugin.js';

// The controller
export { DEFAULT_CONCURRENT_GC_SYNCS, DEFAULT_IGNORED_RESOURCES, GARBAGE_COLLECTOR_COMPONENT, REASON_OWNER_REF_INVALID_NAMESPACE } from './controller.js';
export type { GarbageCollectorOptions } from './controller.js';

// Errors
export { GarbageCollectorError } from './operations.js';
export type { GarbageCollectorErrorCode } from './operations.js';

// Invariants
export { collectionPolicyHonoured, foregroundOrder, foregroundSubtreeOrder, liveOwnerReferencesKept, noDanglingDependents, noDanglingReferences, noLiveOwnerCollected, orphansKept, releasedOnlyByOrphaning, unresolvableOwnersKept } from './invariants.js';
export {
  collectionPolicyHonouredInvariant,
  foregroundOrderInvariant,
  foregroundSubtreeOrderInvariant,
  liveOwnerReferencesKeptInvariant,
  noDanglingDependentsInvariant,
  noDanglingReferencesInvariant,
  noLiveOwnerCollectedInvariant,
  orphansKeptInvariant,
  releasedOnlyByOrphaningInvariant,
  unresolvableOwnersKeptInvariant,
} from './invariants.js';
export type { GcTraceEntry, GcViolation, NamespacedKind } from './invariants.js';
