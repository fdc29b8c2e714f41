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
export { DaemonSetReconciler, daemonSetController, daemonSetEventHandlers, DAEMONSET_CONTROLLER_COMPONENT, DAEMONSET_CONTROLLER_NAME } from './controller.js';
export type { DaemonSetControllerOptions } from './controller.js';

// Admission
export { TEMPLATE_GENERATION_HOOK, nextTemplateGeneration, templateGenerationHook } from './admission.js';

// Decisions
export {
  DAEMONSET_BURST_REPLICAS,
  CONTROLLER_REVISION_HASH_LABEL,
  FAILED_POD_BACKOFF,
  OBJECT_NAME_FIELD,
  POD_TEMPLATE_GENERATION_LABEL,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_PID_PRESSURE,
  TEMPLATE_GENERATION_ANNOTATION,
  allowsSurge,
  compareByCreationAndPhase,
  daemonPodTemplate,
  daemonPodTemplateFor,
  daemonTolerations,
  findUpdatedPodsOnNode,
  inFailedPodBackoff,
  isDaemonPodUpdated,
  nextFailedPodBackoff,
  nodeNameAffinity,
  nodeShouldRunDaemonPod,
  podsByTargetNode,
  podsShouldBeOnNode,
  rollingUpdateBudget,
  rollingUpdateStep,
  surgeCount,
  targetNodeName,
  templateGeneration,
  unavailableCount,
  unscheduledPodsWithoutNode,
} from './decide.js';
export type { BackoffEntry, NodeAction, NodeContext, NodePlacement, RollingNode, RollingUpdateInput, RollingUpdateStep } from './decide.js';

// History and status
export { dedupeCurrent, maxHistoryRevision, newRevision, revisionData, revisionMatches, revisionsToCleanUp, splitHistory, templateHash } from './history.js';
export type { HistorySplit } from './history.js';
export { calculateDaemonSetStatus, nextDaemonSetStatus } from './status.js';
export type { DaemonSetCounts } from './status.js';

// Invariants
export { daemonPodsUpdated, daemonSetStatusMatches, oneDaemonPodPerEligibleNode, rollingUpdateAvailability } from './invariants.js';
export { daemonPodsUpdatedInvariant, daemonSetStatusMatchesInvariant, oneDaemonPodPerEligibleNodeInvariant, rollingUpdateAvailabilityInvariant } from './invariants.js';
export type { DaemonSetState, DaemonSetViolation } from './invariants.js';
