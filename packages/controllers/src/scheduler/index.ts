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
 * system default topology spread constraints, fine-grained queueing hints, Permit/Reserve
 * extension points, extenders.
 *
 * @module
 */

// Registration
export { schedulerPlugin, SCHEDULER_PLUGIN_NAME } from './plugin.js';

// The condition reason and options
export { REASON_UNSCHEDULABLE } from './scheduler.js';
export type { SchedulerOptions } from './scheduler.js';

// Profiles and defaults
export { DEFAULT_BINDER, DEFAULT_SCHEDULER_NAME, builtinPlugins, defaultBinder, defaultProfile } from './defaults.js';

// Reasons of the default plugins
export { ERR_REASON_NODE_AFFINITY, ERR_REASON_NODE_NAME, ERR_REASON_NODE_PORTS, ERR_REASON_UNSCHEDULABLE, TAINT_NODE_UNSCHEDULABLE } from './plugins/node.js';
export { ERR_REASON_TOO_MANY_PODS } from './plugins/resources.js';
export {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
} from './plugins/topology.js';
export { ERR_REASON_BIND_CONFLICT, ERR_REASON_NODE_CONFLICT, ERR_REASON_PV_NOT_EXIST, ERR_REASON_UNBOUND_IMMEDIATE, NO_PROVISIONER } from './plugins/volume.js';
export { ERR_REASON_NO_VICTIMS, ERR_REASON_PREEMPTION_NOT_HELPFUL } from './plugins/preemption.js';

// Errors
export { SchedulerError } from './errors.js';
export type { SchedulerErrorCode } from './errors.js';

// The framework
export { ERR_NO_NODES_AVAILABLE, MAX_NODE_SCORE, SKIP, SUCCESS, buildFramework, defaultNormalizeScore, fitErrorMessage, scheduleOne, unresolvable, unschedulable } from './framework.js';
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
  PreBindPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  QueuedPodInfo,
  SchedulerProfile,
  ScorePlugin,
  Status,
} from './framework.js';

// Snapshots
export { ClusterIndex, NodeInfo, podInfo, snapshotOf } from './nodeinfo.js';
export type { NodeInfoView, PodInfo, ResourceAmounts, Snapshot, SnapshotInput } from './nodeinfo.js';
