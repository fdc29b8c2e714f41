/**
 * StatefulSets: the StatefulSet controller (upstream `pkg/controller/statefulset`) — pods
 * `<set>-<ordinal>` with stable identity and their own claims (kept, or deleted with the set or on
 * scale-down as `persistentVolumeClaimRetentionPolicy` says), created in order (OrderedReady)
 * or all at once (Parallel), rolling updates from the highest ordinal down, history in
 * ControllerRevisions, status.
 *
 * @module
 */

// Registration
export { statefulSetPlugin, STATEFULSET_PLUGIN_NAME } from './plugin.js';

// The controller
export { STATEFULSET_CONTROLLER_COMPONENT, STATEFULSET_CONTROLLER_NAME } from './controller.js';
export type { StatefulSetControllerOptions } from './controller.js';

// Labels
export { POD_INDEX_LABEL, STATEFULSET_POD_NAME_LABEL } from './decide.js';

// Invariants
export {
  onePodPerOrdinal,
  onePodPerOrdinalInvariant,
  orderedReadyCreation,
  orderedReadyCreationInvariant,
  podMountsOwnClaim,
  podMountsOwnClaimInvariant,
  retainClaimDeleted,
  retainClaimNeverDeletedInvariant,
  statefulPodsInRange,
  statefulPodsInRangeInvariant,
} from './invariants.js';
export type { StatefulSetState } from './invariants.js';
