/**
 * The kube-scheduler: a scheduling framework of plugins at extension points, upstream's default
 * plugins, the scheduling queue, and the scheduler runnable with its core plugin.
 *
 * How it fits together, the way upstream's `pkg/scheduler` does:
 *
 * ```
 * informers ──► cache (NodeInfo per node, assumed pods) ─┐
 *          └──► SchedulingQueue (active / backoff / unschedulable)
 *                  │ pop (QueueSort order)
 *                  ▼
 *   scheduleOne(framework, pod, snapshot)      pure: PreFilter → Filter → (PostFilter)
 *                  │                                 → PreScore → Score → NormalizeScore → select host
 *                  ▼
 *   assume on the node ──► bind (async) ──► `Scheduled` event
 *   or PodScheduled=False + `FailedScheduling` event, back to the queue
 * ```
 *
 * Decisions are pure functions over a {@link Snapshot}, so plugins can be tested with tables
 * ({@link snapshotOf} builds one from plain objects) and the whole cycle with properties.
 *
 * @example A user plugin in its own profile
 * ```ts
 * const noSpot: FilterPlugin = {
 *   name: 'NoSpot',
 *   filter: (_state, _pod, node) =>
 *     node.node.metadata.labels?.['spot'] === 'true' ? unschedulable('node(s) were spot') : SUCCESS,
 * };
 * const base = defaultProfile('careful');
 * new PluginHost({ registry, admission: server }).use(
 *   schedulerPlugin({ plugins: [noSpot], profiles: [defaultProfile(), { ...base, plugins: [...base.plugins, { name: 'NoSpot' }] }] }),
 * );
 * // pods with spec.schedulerName: careful now avoid spot nodes:
 * // "0/1 nodes are available: 1 node(s) were spot. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
 * ```
 *
 * Not modelled (yet): actual preemption (evicting victims, `nominatedNodeName`), upstream's
 * system default topology spread constraints, fine-grained queueing hints, Permit/Reserve/PreBind
 * extension points, extenders.
 *
 * @module
 */

// Registration and the runnable
export { schedulerPlugin, SCHEDULER_PLUGIN_NAME } from './plugin.js';
export { Scheduler, REASON_UNSCHEDULABLE, nodeSchedulingPropertiesChanged, unschedulableConditions } from './scheduler.js';
export type { SchedulerOptions } from './scheduler.js';

// The framework
export {
  ERR_NO_NODES_AVAILABLE,
  MAX_NODE_SCORE,
  MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND,
  MIN_FEASIBLE_NODES_TO_FIND,
  SKIP,
  SUCCESS,
  buildFramework,
  defaultNormalizeScore,
  filterOnNode,
  fitErrorMessage,
  numFeasibleNodesToFind,
  prioritize,
  scheduleOne,
  selectHost,
  unresolvable,
  unschedulable,
} from './framework.js';
export type {
  AnyPlugin,
  BindPlugin,
  Code,
  CycleCursor,
  CycleResult,
  CycleState,
  Diagnosis,
  FilterPlugin,
  Framework,
  FrameworkPlugin,
  PluginEntry,
  PostFilterPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  QueuedPodInfo,
  SchedulerProfile,
  ScorePlugin,
  Status,
} from './framework.js';
export { DEFAULT_BINDER, DEFAULT_SCHEDULER_NAME, builtinPlugins, defaultBinder, defaultProfile } from './defaults.js';

// Snapshots
export {
  ClusterIndex,
  DEFAULT_MEMORY_REQUEST,
  DEFAULT_MILLI_CPU_REQUEST,
  NodeInfo,
  amountOf,
  isTerminal,
  makeSnapshot,
  nonZeroRequests,
  normalizedImageName,
  podHostPorts,
  podInfo,
  podRequests,
  snapshotOf,
} from './nodeinfo.js';
export type { HostPort, NodeInfoView, PodInfo, ResourceAmounts, Snapshot, SnapshotInput } from './nodeinfo.js';

// The queue
export { POD_INITIAL_BACKOFF_MS, POD_MAX_BACKOFF_MS, POD_MAX_IN_UNSCHEDULABLE_MS, SchedulingQueue, podBackoffMs } from './queue.js';

// Default plugins and their reasons
export {
  ERR_REASON_NODE_AFFINITY,
  ERR_REASON_NODE_NAME,
  ERR_REASON_NODE_PORTS,
  ERR_REASON_UNSCHEDULABLE,
  TAINT_NODE_UNSCHEDULABLE,
  findUntoleratedTaint,
  imageLocality,
  matchesNodeSelectorAndAffinity,
  matchesRequirement,
  matchesTerm,
  nodeAffinity,
  nodeName,
  nodePorts,
  nodeUnschedulable,
  portsConflict,
  prioritySort,
  taintToleration,
  toleratesTaint,
  untoleratedTaintReason,
} from './plugins/node.js';
export { ERR_REASON_TOO_MANY_PODS, insufficientReason, insufficientResources, leastRequestedScore, nodeResourcesBalancedAllocation, nodeResourcesFit } from './plugins/resources.js';
export {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
  interPodAffinity,
  minMaxNormalize,
  podTopologySpread,
  termMatchesPod,
} from './plugins/topology.js';
export { ERR_REASON_BIND_CONFLICT, ERR_REASON_NODE_CONFLICT, ERR_REASON_PV_NOT_EXIST, ERR_REASON_UNBOUND_IMMEDIATE, NO_PROVISIONER, podClaimNames, volumeBinding, volumeFitsNode } from './plugins/volume.js';

export { ERR_REASON_NO_VICTIMS, ERR_REASON_PREEMPTION_NOT_HELPFUL, defaultPreemption, preemptionReasons } from './plugins/preemption.js';

// Errors
export { SchedulerError } from './errors.js';
export type { SchedulerErrorCode } from './errors.js';
