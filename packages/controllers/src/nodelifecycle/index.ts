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

// The controllers
export { NodeLifecycleController, TaintEvictionReconciler, taintEvictionController, NODE_CONTROLLER_COMPONENT, TAINT_EVICTION_CONTROLLER_NAME } from './controller.js';
export type { NodeLifecycleOptions } from './controller.js';

// Admission
export { DEFAULT_TOLERATION_SECONDS, DEFAULT_TOLERATION_SECONDS_HOOK, defaultTolerationSeconds, withDefaultTolerations } from './admission.js';

// Decisions
export {
  DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD,
  DEFAULT_NODE_EVICTION_RATE,
  DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS,
  DEFAULT_NODE_MONITOR_PERIOD_MS,
  DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS,
  DEFAULT_SECONDARY_NODE_EVICTION_RATE,
  DEFAULT_UNHEALTHY_ZONE_THRESHOLD,
  MESSAGE_NODE_STATUS_NEVER_UPDATED,
  MESSAGE_NODE_STATUS_UNKNOWN,
  MONITORED_NODE_CONDITIONS,
  REASON_NODE_STATUS_NEVER_UPDATED,
  REASON_NODE_STATUS_UNKNOWN,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  desiredTaints,
  evictable,
  evictionDecision,
  lifecycleTaintKey,
  needsNoExecuteToken,
  nodeHealth,
  notReadyPodStatus,
  readyStatus,
  sameTaints,
  takeToken,
  taintingRate,
  unknownConditions,
  zoneKey,
  zoneState,
} from './decide.js';
export type { EvictionDecision, EvictionRates, GracePeriods, NoExecutePermission, NodeHealth, ReadyStatus, ZoneState } from './decide.js';
