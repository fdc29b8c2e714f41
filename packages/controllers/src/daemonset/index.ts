/**
 * DaemonSets: the DaemonSet controller (upstream `pkg/controller/daemon`) — one daemon pod on
 * every node that should run one, pinned there with node affinity `metadata.name In [node]`
 * so the default scheduler binds it; RollingUpdate (`maxUnavailable`, `maxSurge`) and OnDelete;
 * history in ControllerRevisions; status.
 *
 * Which nodes run a daemon pod:
 *
 * ```
 * node matches nodeSelector + required node affinity (and template nodeName, if any)?
 *   no  → no pod (an existing one is deleted)
 *   yes → untolerated taints, with the daemon tolerations added
 *         (not-ready/unreachable NoExecute forever; disk/memory/pid-pressure, unschedulable,
 *          network-unavailable for hostNetwork: NoSchedule)?
 *           none            → one pod
 *           only NoSchedule → no new pod; an existing one stays
 *           a NoExecute     → no pod (an existing one is deleted)
 * ```
 *
 * @module
 */

// Registration
export { daemonSetPlugin, DAEMONSET_PLUGIN_NAME } from './plugin.js';
export type { DaemonSetPluginOptions } from './plugin.js';

// The controller
export { DAEMONSET_CONTROLLER_COMPONENT, DAEMONSET_CONTROLLER_NAME } from './controller.js';
export type { DaemonSetControllerOptions } from './controller.js';

// Admission
export { TEMPLATE_GENERATION_HOOK, templateGenerationHook } from './admission.js';

// Labels, annotations, taints and defaults
export {
  CONTROLLER_REVISION_HASH_LABEL,
  DAEMONSET_BURST_REPLICAS,
  POD_TEMPLATE_GENERATION_LABEL,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_PID_PRESSURE,
  TEMPLATE_GENERATION_ANNOTATION,
  targetNodeName,
} from './decide.js';
export { templateHash } from './history.js';

// Status
export { calculateDaemonSetStatus } from './status.js';
export type { DaemonSetCounts } from './status.js';

// Invariants
export {
  DAEMON_TAINT_GRACE_MS,
  daemonPodCreatedOnlyWhereTolerated,
  daemonPodsUpdated,
  daemonSetHistoryMatches,
  daemonSetRevisionHistory,
  daemonSetStatusMatches,
  duplicateDaemonPodsKeepOldest,
  noPendingDaemonPods,
  oneDaemonPodPerEligibleNode,
  rollingUpdateAvailability,
  surgeRollingUpdateBounds,
} from './invariants.js';
export {
  daemonPodCreatedOnlyWhereToleratedInvariant,
  daemonPodsUpdatedInvariant,
  daemonSetHistoryMatchesInvariant,
  daemonSetRevisionHistoryInvariant,
  daemonSetStatusMatchesInvariant,
  duplicateDaemonPodsKeepOldestInvariant,
  noPendingDaemonPodsInvariant,
  oneDaemonPodPerEligibleNodeInvariant,
  rollingUpdateAvailabilityInvariant,
  surgeRollingUpdateBoundsInvariant,
} from './invariants.js';
export type { DaemonSetHistoryState, DaemonSetState, DaemonSetViolation } from './invariants.js';
