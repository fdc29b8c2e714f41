/**
 * The Cluster Autoscaler (the autoscaler repository's `cluster-autoscaler`): node groups of a
 * cloud provider grown for unschedulable pods and shrunk when nodes are unneeded.
 *
 * ```
 * every 10 s: drains in progress ─► scale-up (pending pods simulated on each group's template
 *             with the scheduler's filters, binpacked, an expander picks) ─► otherwise
 *             scale-down (nodes under 0.5 utilization whose pods all fit elsewhere, unneeded
 *             for 10 min: taint, evict, delete) ─► cluster-autoscaler-status ConfigMap
 * ```
 *
 * @module
 */

// Registration
export { CLUSTER_AUTOSCALER_PLUGIN_NAME, clusterAutoscalerPlugin } from './plugin.js';

// The cloud provider interface
export type { CloudProvider, NodeGroup } from './cloudprovider.js';

// The loop and its options
export {
  CLUSTER_AUTOSCALER_COMPONENT,
  ClusterAutoscaler,
  DEFAULT_MAX_DRAIN_MS,
  DEFAULT_MAX_EMPTY_BULK_DELETE,
  DEFAULT_SCALE_DOWN_DELAY_AFTER_ADD_MS,
  DEFAULT_SCALE_DOWN_UNNEEDED_MS,
  DEFAULT_SCALE_DOWN_UNREADY_MS,
  DEFAULT_SCAN_INTERVAL_MS,
  DEFAULT_UTILIZATION_THRESHOLD,
  clusterAutoscaler,
} from './controller.js';
export type { ClusterAutoscalerOptions } from './controller.js';

// Decisions
export {
  MAX_LIMIT_REACHED_REASON,
  MAX_NODES_TOTAL_REACHED_REASON,
  PRIORITY_EXPANDER_CONFIGMAP,
  SAFE_TO_EVICT_ANNOTATION,
  SCALE_DOWN_DISABLED_ANNOTATION,
  TO_BE_DELETED_TAINT,
  bestOptions,
  chooseOption,
  findUnneededNodes,
  nodeUtilization,
  parsePriorities,
  planScaleUp,
  podDrainability,
  reasonsMessage,
  scaleUpInfo,
  templateCopy,
  wastedScore,
} from './decide.js';
export type { BlockingReason, Drainability, ExpanderName, GroupView, NoScaleUpInfo, RemovableNode, ScaleUpOption, ScaleUpPlan, UnneededInput, UnremovableNode } from './decide.js';
export { ClusterSimulation } from './simulator.js';
export type { SimulationInput } from './simulator.js';
export { STATUS_CONFIGMAP, renderStatus } from './status.js';
export type { AutoscalerStatus, GroupStatus } from './status.js';

// Node group health and back-off
export {
  BACKOFF_REASON,
  DEFAULT_INITIAL_NODE_GROUP_BACKOFF_MS,
  DEFAULT_MAX_NODE_GROUP_BACKOFF_MS,
  DEFAULT_MAX_NODE_PROVISION_MS,
  DEFAULT_MAX_TOTAL_UNREADY_PERCENTAGE,
  DEFAULT_NODE_GROUP_BACKOFF_RESET_MS,
  DEFAULT_OK_TOTAL_UNREADY_COUNT,
  MAX_NODE_STARTUP_MS,
  NOT_READY_REASON,
  backoffGroup,
  goDuration,
  groupReadiness,
  isBackedOff,
  isGroupHealthy,
  isStaleBackoff,
  provisioned,
} from './clusterstate.js';
export type { BackoffConfig, BackoffEntry, BackoffError, Readiness } from './clusterstate.js';

// Invariants
export { clusterAutoscalerInvariants, clusterWithinMaxNodesTotal, groupsNotBelowMin, groupsWithinMax, podKeepsNode, removesOnlyMovableNodes } from './invariants.js';
export type { GroupBounds } from './invariants.js';
