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

// The collector and its graph
export { GarbageCollector, DEFAULT_CONCURRENT_GC_SYNCS, DEFAULT_IGNORED_RESOURCES, GARBAGE_COLLECTOR_COMPONENT, REASON_OWNER_REF_INVALID_NAMESPACE } from './controller.js';
export type { GarbageCollectorOptions } from './controller.js';
export { GraphBuilder } from './graph-builder.js';
export type { GraphChange, GraphSink } from './graph-builder.js';
export { AbsentOwnerCache, GraphNode, assertGraphInvariants, formatIdentity, identityFromReference, identityKey, identityOf, referenceMatches, sameIdentity } from './graph.js';
export type { ObjectIdentity } from './graph.js';
export { GarbageCollectorError, Operations } from './operations.js';
export type { GarbageCollectorErrorCode } from './operations.js';

// Decisions
export {
  attemptToDeleteDecision,
  blocksOwnerDeletion,
  classifyReference,
  deletingDependentsDecision,
  isDeletingDependents,
  ownerLookup,
  referencesDiffs,
  startsWaitingForDependentsDeleted,
  startsWaitingForDependentsOrphaned,
  unblockedOwners,
  unblockReferences,
  withoutReferences,
} from './decide.js';
export type {
  AttemptToDeleteAction,
  AttemptToDeleteInput,
  BlockingDependent,
  ClassifiedReference,
  DeletingDependentsAction,
  DeletionMeta,
  LiveOwner,
  PropagationPolicy,
  ReferenceClass,
  ReferencesDiff,
} from './decide.js';

// Invariants
export { foregroundOrder, noDanglingDependents, noLiveOwnerCollected, orphansKept } from './invariants.js';
export { foregroundOrderInvariant, noDanglingDependentsInvariant, noLiveOwnerCollectedInvariant, orphansKeptInvariant } from './invariants.js';
export type { GcTraceEntry, GcViolation, NamespacedKind } from './invariants.js';
