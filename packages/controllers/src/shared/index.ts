/**
 * The building blocks every workload controller shares — upstream's
 * `pkg/controller/controller_utils.go`, `controller_ref_manager.go` and `deployment/util`:
 * pod predicates, the pod deletion ranking, expectations, read-after-write, slow-start batches,
 * owner references and claiming, pod control, template hashes, int-or-percent arithmetic and
 * conditions.
 * Users' own controllers of pods can use them too.
 *
 * @module
 */

// Pods
export { isPodActive, isPodAvailable, isPodReady, isPodTerminating, maxContainerRestarts, msUntilAvailable, podReadyCondition, podReadyTime } from './pods.js';
export { POD_DELETION_COST_ANNOTATION, compareForDeletion, podDeletionCost, podsToDelete, rankByRelatedPodsOnSameNode } from './ranking.js';
export type { RankedPod } from './ranking.js';

// Acting on pods
export { EXPECTATIONS_TIMEOUT_MS, ControllerExpectations, UidTrackingExpectations } from './expectations.js';
export { ConsistencyError, ConsistencyStore } from './consistency.js';
export type { ConsistencyOwner, SyncedRevision } from './consistency.js';
export { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './batch.js';
export type { SlowStartResult } from './batch.js';
export { clientPodControl, podFromTemplate } from './podcontrol.js';
export type { PodControl, PodRequest } from './podcontrol.js';

// Ownership
export { claimDecision, claimObjects, isControlledBy, keyOf, newControllerRef, ownedOrOrphaned } from './ownership.js';
export type { ClaimDecision, ClaimOptions, OwnerIdentity } from './ownership.js';

// Hashes, percentages, conditions
export { canonicalJson, computeHash, fnv32a, safeEncodeString } from './hash.js';
export { scaledValue } from './intorpercent.js';
export { getCondition, removeCondition, setCondition } from './conditions.js';
