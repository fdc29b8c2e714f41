/**
 * Node lifecycle: the node lifecycle controller (silent nodes become `Ready=Unknown` and are
 * tainted `unreachable`, `Ready=False` nodes `not-ready`), taint-based eviction of pods from
 * `NoExecute`-tainted nodes, and the DefaultTolerationSeconds admission plugin — upstream's
 * `pkg/controller/nodelifecycle`, `pkg/controller/tainteviction` and
 * `plugin/pkg/admission/defaulttolerationseconds`.
 *
 * How a node failure plays out with the defaults:
 *
 * ```
 * t=0      kubelet stops renewing its Lease (renewed every 10 s)
 * t≈50 s   grace period (50 s, upstream's since 1.32) passed: at the next 5 s pass
 *          Ready=Unknown (NodeStatusUnknown), taints unreachable:NoSchedule, and
 *          unreachable:NoExecute when the zone's limiter (0.1 nodes/s) allows; pods Ready=False
 *          pods without a toleration: deleted at once
 * +300 s   pods with the default tolerations (DefaultTolerationSeconds) deleted
 * ```
 *
 * Rate limiting follows current upstream (since the taint eviction controller was split out
 * in 1.29): the limiter is on *tainting nodes*, per zone, with the zone's state deciding the
 * rate; the taint eviction controller deletes pods as soon as their tolerations allow.
 *
 * @module
 */

// Registration
export { nodeLifecyclePlugin, NODE_LIFECYCLE_PLUGIN_NAME } from './plugin.js';
export type { NodeLifecyclePluginOptions } from './plugin.js';

// The controller
export { NODE_CONTROLLER_COMPONENT, TAINT_EVICTION_CONTROLLER_NAME } from './controller.js';
export type { NodeLifecycleOptions } from './controller.js';

// Invariants
export {
  earliestTaintEviction,
  lifecycleTaintTimeAddedKeptInvariant,
  lifecycleTaintWritesKeepOtherTaintsInvariant,
  lifecycleTaintsFollowReadyInvariant,
  noEvictionBeforeTolerationInvariant,
  noExecuteTaintRateInvariant,
  noNodeUnknownWithinGraceInvariant,
  nodeLifecycleInvariants,
  partialDisruptionTaintingInvariant,
  podsOnUnreadyNodesNotReadyInvariant,
  readyChangesActedOnInvariant,
  silentNodesUnknownInvariant,
  taintedPodsEvictedInvariant,
  taintEvictionsMarkedInvariant,
} from './invariants.js';
export type { NodeHealthOptions, PartialDisruptionOptions, PromptnessOptions, TaintEvictionOptions, TaintingRateOptions } from './invariants.js';

// Admission
export { DEFAULT_TOLERATION_SECONDS, DEFAULT_TOLERATION_SECONDS_HOOK, defaultTolerationSeconds } from './admission.js';

// Labels, annotations, taints and defaults
export {
  MESSAGE_NODE_STATUS_NEVER_UPDATED,
  MESSAGE_NODE_STATUS_UNKNOWN,
  REASON_NODE_STATUS_NEVER_UPDATED,
  REASON_NODE_STATUS_UNKNOWN,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
} from './decide.js';
