/**
 * The scheduling framework (upstream `pkg/scheduler/framework`): the extension points as
 * interfaces, the {@link SchedulerProfile} that picks plugins and weights, and
 * {@link scheduleOne}, the pure scheduling cycle (PreFilter → Filter → PreScore → Score →
 * NormalizeScore → select host) over a {@link Snapshot}.
 *
 * @module
 */
import type { Pod, Rng } from '@kubeloop/core';
import { SchedulerError } from './errors.js';
import type { NodeInfoView, Snapshot } from './nodeinfo.js';

/** The highest score a Score plugin may give a node (after normalization). */
export const MAX_NODE_SCORE = 100;

/**
 * How a plugin call ended (upstream `framework.Code`):
 * - `Success`;
 * - `Unschedulable`: the node does not fit now, but might after preemption or a cluster change;
 * - `UnschedulableAndUnresolvable`: preemption would not help either;
 * - `Skip`: from PreFilter / PreScore: this plugin has nothing to do for this pod;
 * - `Error`: an internal failure (the pod is retried with backoff).
 */
export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip' | 'Error';

/** A plugin's verdict: a code and, for failures, upstream's human-readable reasons. */
export interface Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  /** The plugin that failed (set by the framework). */
  readonly plugin?: string;
}

/** The success status (shared). */
export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });
/** The skip status (shared). */
export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: Object.freeze([]) as readonly string[] });

/** A failure status with `reasons`. */
export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}
/** A failure that preemption cannot resolve. */
export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

/**
 * Per-cycle scratch space shared by the plugins of one cycle (upstream `CycleState`): PreFilter
 * and PreScore store what Filter and Score read, under the plugin's own key.
 */
export type CycleState = Map<string, unknown>;

/** What every plugin has: a unique name such as `NodeResourcesFit`. */
export interface FrameworkPlugin {
  readonly name: string;
}

/** Orders the active queue: `less(a, b)` when `a` should be scheduled before `b`. */
export interface QueueSortPlugin extends FrameworkPlugin {
  /** Whether `a` should be scheduled before `b`: a strict weak order (irreflexive, transitive). */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/**
 * Runs once per cycle before Filter. May return `Skip` (its Filter is then not called for this
 * pod) or a failure (the pod is unschedulable on every node; the reasons become the message).
 */
export interface PreFilterPlugin extends FrameworkPlugin {
  /** Once per cycle: computes state for Filter (stored in `state`), or rejects the pod everywhere. */
  preFilter(state: CycleState, pod: Pod, snapshot: Snapshot): Status;
}

/** Decides whether the pod may run on one node. Must be pure over its inputs. */
export interface FilterPlugin extends FrameworkPlugin {
  /** Whether `pod` may run on `node`: `Success`, or a failure with upstream-style reasons (`node(s) …`). */
  filter(state: CycleState, pod: Pod, node: NodeInfoView, snapshot: Snapshot): Status;
  /**
   * The batch form of {@link FilterPlugin.filter}, for the cycle's hot loop: decides every node
   * of `nodes` and writes the failure of each failing node at its index in `failed` (which holds
   * `undefined` for every index on entry). Optional; when present it must agree with `filter`
   * node by node — it exists so a plugin can read its cycle state once and skip the nodes its
   * rule cannot reject (an untainted node, a pod without a selector). `failed` is the cycle's
   * scratch array, handed to the next filter once this one returns: keep no reference to it.
   */
  filterNodes?(state: CycleState, pod: Pod, nodes: readonly NodeInfoView[], snapshot: Snapshot, failed: (Status | undefined)[]): void;
}

/**
 * Runs after Filter found no node (upstream: preemption). May only add a message (kubeloop does
 * not evict). `framework` lets it dry-run the filters on a node.
 */
export interface PostFilterPlugin extends FrameworkPlugin {
  /** Given every node's failure, an optional sentence for the message (joined after the filter counts). */
  postFilter(state: CycleState, pod: Pod, snapshot: Snapshot, failed: ReadonlyMap<string, Status>, framework: Framework): { readonly message?: string };
}

/** Runs once per cycle before Score over the feasible nodes; `Skip` skips its Score. */
export interface PreScorePlugin extends FrameworkPlugin {
  /** Once per cycle over the feasible `nodes`: computes state for Score, or `Skip`s it. */
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfoView[], snapshot: Snapshot): Status;
}

/**
 * Scores one feasible node. Without {@link ScorePlugin.normalizeScore} the score must be in
 * 0..{@link MAX_NODE_SCORE}; with it, `normalizeScore` maps the raw scores (in place) into
 * that range. The framework multiplies by the profile weight and sums over plugins.
 */
export interface ScorePlugin extends FrameworkPlugin {
  /** The raw score of one feasible node (0..100 unless {@link ScorePlugin.normalizeScore} rescales it). */
  score(state: CycleState, pod: Pod, node: NodeInfoView, snapshot: Snapshot): number;
  /**
   * The batch form of {@link ScorePlugin.score}: writes the raw score of `nodes[i]` to
   * `scores[i]` for every node. Optional; when present it must agree with `score` node by node.
   * `scores` is the cycle's scratch array, handed to the next plugin once this one's scores are
   * summed: keep no reference to it.
   */
  scoreNodes?(state: CycleState, pod: Pod, nodes: readonly NodeInfoView[], snapshot: Snapshot, scores: number[]): void;
  /** Rescales the raw scores of all feasible nodes in place to 0..100 (the same scratch array as {@link ScorePlugin.scoreNodes}'s). */
  normalizeScore?(state: CycleState, pod: Pod, scores: number[]): void;
}

/**
 * Runs after a node is chosen and before Bind (upstream's PreBind extension point: VolumeBinding
 * writes the claims' bindings there and waits for them). Asynchronous: outside the pure cycle.
 * A failure other than `Success`/`Skip` aborts the binding: the pod is forgotten on the node and
 * retried with backoff, with a `FailedScheduling` event
 * `running PreBind plugin "<name>": <reasons>`.
 */
export interface PreBindPlugin extends FrameworkPlugin {
  /** Prepares `pod` for `nodeName`; `signal` aborts when the scheduler stops (resolve promptly then). */
  preBind(pod: Pod, nodeName: string, signal: AbortSignal): Promise<Status>;
}

/** Binds a pod (the default binder calls the API's `pods/binding`). Asynchronous: outside the pure cycle. */
export interface BindPlugin extends FrameworkPlugin {
  /** Binds `pod` to `nodeName`: `Success`, `Skip` (let the next bind plugin do it) or `Error` (retried with backoff). */
  bind(pod: Pod, nodeName: string): Promise<Status>;
}

/** Any framework plugin: the extension points it implements are found by duck typing. */
export type AnyPlugin = FrameworkPlugin &
  Partial<
    Pick<QueueSortPlugin, 'less'> &
      Pick<PreFilterPlugin, 'preFilter'> &
      Pick<FilterPlugin, 'filter' | 'filterNodes'> &
      Pick<PostFilterPlugin, 'postFilter'> &
      Pick<PreScorePlugin, 'preScore'> &
      Pick<ScorePlugin, 'score' | 'scoreNodes' | 'normalizeScore'> &
      Pick<PreBindPlugin, 'preBind'> &
      Pick<BindPlugin, 'bind'>
  >;

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  readonly pod: Pod;
  readonly key: string;
  /** When it (re-)entered the queue, on the scheduler's clock (ms). */
  readonly timestamp: number;
  /** Scheduling attempts so far. */
  readonly attempts: number;
}

/** One enabled plugin of a profile; `weight` (1..100, default 1) only matters for scoring. */
export interface PluginEntry {
  readonly name: string;
  readonly weight?: number;
}

/**
 * A scheduler profile (upstream `KubeSchedulerProfile`): its `schedulerName` (pods opt in with
 * `spec.schedulerName`), the plugins it runs (each extension point a plugin implements is
 * used, in list order), score weights and `percentageOfNodesToScore` (0 = adaptive).
 */
export interface SchedulerProfile {
  readonly schedulerName: string;
  readonly plugins: readonly PluginEntry[];
  readonly percentageOfNodesToScore?: number;
}

/** The built framework of one profile: plugins sorted into extension points. */
export interface Framework {
  readonly profile: SchedulerProfile;
  readonly queueSort: QueueSortPlugin;
  readonly preFilter: readonly PreFilterPlugin[];
  readonly filter: readonly FilterPlugin[];
  readonly postFilter: readonly PostFilterPlugin[];
  readonly preScore: readonly PreScorePlugin[];
  readonly score: readonly { readonly plugin: ScorePlugin; readonly weight: number }[];
  readonly preBind: readonly PreBindPlugin[];
  readonly bind: readonly BindPlugin[];
}

/**
 * Sorts a profile's plugins into extension points.
 *
 * @throws {@link SchedulerError} `invalid-profile` for an unknown or repeated plugin name, a
 * weight outside 1..100, or not exactly one QueueSort plugin.
 */
export function buildFramework(profile: SchedulerProfile, registry: ReadonlyMap<string, AnyPlugin>): Framework {
  const seen = new Set<string>();
  const queueSort: QueueSortPlugin[] = [];
  const preFilter: PreFilterPlugin[] = [];
  const filter: FilterPlugin[] = [];
  const postFilter: PostFilterPlugin[] = [];
  const preScore: PreScorePlugin[] = [];
  const score: { plugin: ScorePlugin; weight: number }[] = [];
  const preBind: PreBindPlugin[] = [];
  const bind: BindPlugin[] = [];
  for (const entry of profile.plugins) {
    const p = registry.get(entry.name);
    if (p === undefined) throw new SchedulerError('invalid-profile', `profile ${profile.schedulerName}: unknown plugin "${entry.name}"`);
    if (seen.has(entry.name)) throw new SchedulerError('invalid-profile', `profile ${profile.schedulerName}: plugin "${entry.name}" listed twice`);
    seen.add(entry.name);
    const weight = entry.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
      throw new SchedulerError('invalid-profile', `profile ${profile.schedulerName}: weight of "${entry.name}" must be an integer in 1..100, got ${weight}`);
    }
    if (p.less) queueSort.push(p as QueueSortPlugin);
    if (p.preFilter) preFilter.push(p as PreFilterPlugin);
    if (p.filter) filter.push(p as FilterPlugin);
    if (p.postFilter) postFilter.push(p as PostFilterPlugin);
    if (p.preScore) preScore.push(p as PreScorePlugin);
    if (p.score) score.push({ plugin: p as ScorePlugin, weight });
    if (p.preBind) preBind.push(p as PreBindPlugin);
    if (p.bind) bind.push(p as BindPlugin);
  }
  if (queueSort.length !== 1) {
    throw new SchedulerError('invalid-profile', `profile ${profile.schedulerName}: needs exactly one QueueSort plugin, has ${queueSort.length}`);
  }
  return { profile, queueSort: queueSort[0]!, preFilter, filter, postFilter, preScore, score, preBind, bind };
}

/** Below this many nodes every node is checked (upstream `minFeasibleNodesToFind`). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The floor of the adaptive percentage (upstream `minFeasibleNodesPercentageToFind`). */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * How many feasible nodes to find before scoring (upstream `numFeasibleNodesToFind`): all of
 * them below 100 nodes; otherwise `percentage`% of the nodes, at least 100, where percentage 0
 * means adaptive: `50 − nodes/125` (integer division), at least 5.
 *
 * @example
 * ```ts
 * numFeasibleNodesToFind(0, 50);    // 50   (small cluster: all)
 * numFeasibleNodesToFind(0, 1000);  // 420  (50 − 8 = 42%)
 * numFeasibleNodesToFind(0, 5000);  // 500  (50 − 40 = 10%)
 * numFeasibleNodesToFind(0, 10000); // 500  (floor of 5%)
 * numFeasibleNodesToFind(1, 5000);  // 100  (at least 100)
 * ```
 */
export function numFeasibleNodesToFind(percentage: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let p = percentage;
  if (p <= 0) p = Math.max(50 - Math.trunc(numAllNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  const n = Math.trunc((numAllNodes * Math.min(p, 100)) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

/** Why a pod fits nowhere (upstream `framework.Diagnosis`). */
export interface Diagnosis {
  /** The failure status of each node that was checked, by node name. */
  readonly nodeToStatus: ReadonlyMap<string, Status>;
  /** Reasons from a failing PreFilter plugin, joined (then `nodeToStatus` holds that status for every node). */
  readonly preFilterMsg: string;
  /** What PostFilter plugins had to say, if anything. */
  readonly postFilterMsg: string;
}

/** The outcome of a scheduling cycle. */
export type CycleResult =
  | { readonly kind: 'scheduled'; readonly nodeName: string; readonly evaluatedNodes: number; readonly feasibleNodes: number }
  | { readonly kind: 'unschedulable'; readonly numAllNodes: number; readonly diagnosis: Diagnosis }
  | { readonly kind: 'error'; readonly error: SchedulerError };

/**
 * The pod-level message of an unschedulable pod (upstream `FitError.Error`):
 * `0/N nodes are available: ` then the PreFilter message, or the reasons' counts over nodes
 * as `"<count> <reason>"` strings sorted lexicographically (as upstream's `sort.Strings`, so
 * `"10 x"` sorts before `"2 y"`), joined by `, ` and ended by `.`; then the PostFilter message.
 *
 * With no nodes at all, upstream's {@link ERR_NO_NODES_AVAILABLE}.
 *
 * @example
 * One node short of CPU and two whose labels do not match (then DefaultPreemption's sentence):
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.
 * preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.`
 */
export function fitErrorMessage(numAllNodes: number, diagnosis: Diagnosis): string {
  if (numAllNodes === 0) return ERR_NO_NODES_AVAILABLE;
  let msg = `0/${numAllNodes} nodes are available:`;
  if (diagnosis.preFilterMsg !== '') {
    msg += ` ${diagnosis.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    for (const status of diagnosis.nodeToStatus.values()) {
      for (const r of status.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort(compareStrings);
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  if (diagnosis.postFilterMsg !== '') msg += ` ${diagnosis.postFilterMsg}.`;
  return msg;
}

/** Upstream's `ErrNoNodesAvailable` message, used when the cluster has no nodes at all. */
export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Byte-wise string order, as Go's `sort.Strings`. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Mutable scheduling-cycle inputs kept across cycles: upstream's round-robin start index. */
export interface CycleCursor {
  /** Where the next cycle starts its search in `snapshot.nodes`. */
  nextStartNodeIndex: number;
}

function call<T>(plugin: FrameworkPlugin, point: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw new SchedulerError('plugin-failed', `plugin ${plugin.name} failed at ${point}`, { cause });
  }
}

/**
 * One scheduling cycle for `pod` over `snapshot` (upstream `schedulePod`), synchronous and
 * pure apart from `cursor` and `rng`:
 *
 * 1. PreFilter: a failure makes every node fail with that status; `Skip` disables that plugin's Filter.
 * 2. Filter: from `cursor.nextStartNodeIndex`, round-robin, stop once
 *    enough feasible nodes are found (upstream's `numFeasibleNodesToFind`: all of them up to
 *    100 nodes, then `percentageOfNodesToScore`); for each node the filters run in
 *    order and the first failure is its status. The cursor advances by the nodes visited.
 * 3. With no feasible node: PostFilter, then `unschedulable` with the {@link Diagnosis}.
 * 4. One feasible node is chosen without scoring; otherwise PreScore, Score, NormalizeScore, and
 *    `Σ weight × score`; the highest total wins, ties broken uniformly at random with `rng`
 *    (reservoir sampling, as upstream `selectHost`).
 *
 * A plugin that throws ends the cycle with `error` (code `plugin-failed`).
 */
export function scheduleOne(fw: Framework, pod: Pod, snapshot: Snapshot, cursor: CycleCursor, rng: Rng): CycleResult {
  try {
    return cycle(fw, pod, snapshot, cursor, rng);
  } catch (e) {
    if (e instanceof SchedulerError) return { kind: 'error', error: e };
    throw e;
  }
}

/**
 * Arrays a scheduling cycle writes and drops when it ends, kept for the next cycle: a cycle
 * at 5,000 nodes filters and scores hundreds of nodes, and fresh arrays for each were
 * kilobytes of garbage per pod. A cycle takes a set from the pool and puts it back when it
 * ends (a cycle inside a plugin's call would take another); nothing outside the cycle sees them.
 */
interface CycleScratch {
  /** The nodes of the chunk being filtered. */
  readonly chunk: NodeInfoView[];
  /** The feasible nodes found so far. */
  readonly feasible: NodeInfoView[];
  /** The failure of each node of a chunk, for the filter running. */
  readonly failures: (Status | undefined)[];
  /** The weighted total score of each feasible node. */
  readonly totals: number[];
  /** One score plugin's scores of each feasible node. */
  readonly scores: number[];
}

const scratchPool: CycleScratch[] = [];

function cycle(fw: Framework, pod: Pod, snapshot: Snapshot, cursor: CycleCursor, rng: Rng): CycleResult {
  const scratch = scratchPool.pop() ?? { chunk: [], feasible: [], failures: [], totals: [], scores: [] };
  try {
    return cycleWith(scratch, fw, pod, snapshot, cursor, rng);
  } finally {
    scratchPool.push(scratch);
  }
}

function cycleWith(scratch: CycleScratch, fw: Framework, pod: Pod, snapshot: Snapshot, cursor: CycleCursor, rng: Rng): CycleResult {
  const nodes = snapshot.nodes;
  const numAllNodes = nodes.length;
  const state: CycleState = new Map();
  const skipped = new Set<string>();
  for (const p of fw.preFilter) {
    const s = call(p, 'PreFilter', () => p.preFilter(state, pod, snapshot));
    if (s.code === 'Skip') {
      skipped.add(p.name);
      continue;
    }
    if (s.code !== 'Success') {
      const status: Status = { ...s, plugin: p.name };
      const nodeToStatus = new Map<string, Status>();
      for (const n of nodes) nodeToStatus.set(n.name, status);
      const diagnosis = { nodeToStatus, preFilterMsg: s.reasons.join(', '), postFilterMsg: '' };
      return { kind: 'unschedulable', numAllNodes, diagnosis: withPostFilter(fw, state, pod, snapshot, diagnosis) };
    }
  }
  const filters = fw.filter.filter((p) => !skipped.has(p.name));
  const want = numFeasibleNodesToFind(fw.profile.percentageOfNodesToScore ?? 0, numAllNodes);
  const { chunk, feasible } = scratch;
  // Written by index and cut to length at the end: emptying the array would drop its storage.
  let found = 0;
  const failed = new Map<string, Status>();
  let visited = 0;
  const start = numAllNodes === 0 ? 0 : cursor.nextStartNodeIndex % numAllNodes;
  // Upstream checks node after node, each through the filters in order, and stops at the node
  // that makes `want` feasible. Here the nodes are taken in chunks of `want − feasible` and each
  // filter runs over a whole chunk: a chunk holds at most the feasible nodes still wanted, so
  // the walk stops at the same node, the same nodes are visited and found feasible in the same
  // order, and each failing node keeps its first failing filter.
  while (visited < numAllNodes && found < want) {
    const size = Math.min(want - found, numAllNodes - visited);
    if (chunk.length !== size) chunk.length = size;
    for (let i = 0; i < size; i++) chunk[i] = nodes[(start + visited + i) % numAllNodes]!;
    const passed = filterChunk(filters, state, pod, chunk, snapshot, failed, scratch.failures);
    for (let i = 0; i < passed.length; i++) feasible[found++] = passed[i]!;
    visited += size;
  }
  if (feasible.length !== found) feasible.length = found;
  cursor.nextStartNodeIndex = numAllNodes === 0 ? 0 : (start + visited) % numAllNodes;
  if (feasible.length === 0) {
    if (numAllNodes === 0) return { kind: 'unschedulable', numAllNodes, diagnosis: { nodeToStatus: failed, preFilterMsg: '', postFilterMsg: '' } };
    const diagnosis = { nodeToStatus: failed, preFilterMsg: '', postFilterMsg: '' };
    return { kind: 'unschedulable', numAllNodes, diagnosis: withPostFilter(fw, state, pod, snapshot, diagnosis) };
  }
  if (feasible.length === 1) return { kind: 'scheduled', nodeName: feasible[0]!.name, evaluatedNodes: visited, feasibleNodes: 1 };
  const totals = prioritize(fw, state, pod, feasible, snapshot, scratch);
  return { kind: 'scheduled', nodeName: feasible[selectHost(totals, rng)]!.name, evaluatedNodes: visited, feasibleNodes: feasible.length };
}

/**
 * The batch form of a filter written over its one-node form: calls `plugin.filter` on each node
 * of `nodes` (but those `skip` says its rule cannot reject) and writes each failure at the
 * node's index in `failed`. What the cycle does for a plugin without `filterNodes`, and what a
 * plugin's own batch form may call after its shortcuts.
 */
export function filterEachNode(plugin: FilterPlugin, state: CycleState, pod: Pod, nodes: readonly NodeInfoView[], snapshot: Snapshot, failed: (Status | undefined)[], skip?: (node: NodeInfoView) => boolean): void {
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (skip?.(node) === true) continue;
    const st = plugin.filter(state, pod, node, snapshot);
    if (st.code !== 'Success') failed[i] = st;
  }
}

/**
 * Runs `filters` in order over `chunk`, each over the nodes the earlier ones passed (its batch
 * form when it has one); records each failing node's first failure in `failed`, in `chunk`
 * order, and returns the nodes every filter passed, in `chunk` order. A throwing plugin is a
 * `plugin-failed` error naming it (with several throwing plugins, the first in filter order
 * whose run over the chunk throws, where a node-by-node walk would name the one reached first).
 */
function filterChunk(filters: readonly FilterPlugin[], state: CycleState, pod: Pod, chunk: readonly NodeInfoView[], snapshot: Snapshot, failed: Map<string, Status>, out: (Status | undefined)[]): readonly NodeInfoView[] {
  let alive = chunk;
  let firstFailure: Map<NodeInfoView, Status> | undefined;
  // `out` is one array for every filter of the chunk (a cycle at 5,000 nodes filters hundreds
  // of nodes through each filter), cleared before each: its failures are read before the next runs.
  for (const f of filters) {
    if (out.length !== alive.length) out.length = alive.length;
    out.fill(undefined);
    try {
      if (f.filterNodes !== undefined) f.filterNodes(state, pod, alive, snapshot, out);
      else filterEachNode(f, state, pod, alive, snapshot, out);
    } catch (cause) {
      throw new SchedulerError('plugin-failed', `plugin ${f.name} failed at Filter`, { cause });
    }
    let kept: NodeInfoView[] | undefined;
    for (let i = 0; i < alive.length; i++) {
      const st = out[i];
      if (st === undefined || st.code === 'Success') {
        kept?.push(alive[i]!);
        continue;
      }
      kept ??= alive.slice(0, i);
      (firstFailure ??= new Map()).set(alive[i]!, { ...st, plugin: f.name });
    }
    if (kept !== undefined) alive = kept;
    if (alive.length === 0) break;
  }
  if (firstFailure !== undefined) {
    for (const node of chunk) {
      const st = firstFailure.get(node);
      if (st !== undefined) failed.set(node.name, st);
    }
  }
  return alive;
}

function withPostFilter(fw: Framework, state: CycleState, pod: Pod, snapshot: Snapshot, d: Diagnosis): Diagnosis {
  const msgs: string[] = [];
  for (const p of fw.postFilter) {
    const r = call(p, 'PostFilter', () => p.postFilter(state, pod, snapshot, d.nodeToStatus, fw));
    if (r.message !== undefined && r.message !== '') msgs.push(r.message);
  }
  return msgs.length === 0 ? d : { ...d, postFilterMsg: msgs.join(' ') };
}

/**
 * Runs PreFilter and then Filter for one node of `snapshot` (a dry run, e.g. for preemption:
 * "would the pod fit if these pods were gone?"). The first failure's status, or success.
 *
 * @throws {@link SchedulerError} `plugin-failed` when a plugin throws.
 */
export function filterOnNode(fw: Framework, pod: Pod, snapshot: Snapshot, node: NodeInfoView): Status {
  const state: CycleState = new Map();
  const skipped = new Set<string>();
  for (const p of fw.preFilter) {
    const s = call(p, 'PreFilter', () => p.preFilter(state, pod, snapshot));
    if (s.code === 'Skip') skipped.add(p.name);
    else if (s.code !== 'Success') return { ...s, plugin: p.name };
  }
  for (const f of fw.filter) {
    if (skipped.has(f.name)) continue;
    const s = call(f, 'Filter', () => f.filter(state, pod, node, snapshot));
    if (s.code !== 'Success') return { ...s, plugin: f.name };
  }
  return SUCCESS;
}

/**
 * PreScore, Score, NormalizeScore and the weighted sum over `nodes` (upstream
 * `prioritizeNodes`). Returns the total per node, in `nodes` order: `into.totals` when given
 * (with `into.scores` as the plugins' scratch), else a new array.
 */
export function prioritize(fw: Framework, state: CycleState, pod: Pod, nodes: readonly NodeInfoView[], snapshot: Snapshot, into?: { readonly totals: number[]; readonly scores: number[] }): number[] {
  let skipped: Set<string> | undefined;
  for (const p of fw.preScore) {
    const s = call(p, 'PreScore', () => p.preScore(state, pod, nodes, snapshot));
    if (s.code === 'Skip') (skipped ??= new Set()).add(p.name);
    else if (s.code !== 'Success') throw new SchedulerError('plugin-failed', `plugin ${p.name} failed at PreScore: ${s.reasons.join(', ')}`);
  }
  const totals = into?.totals ?? [];
  totals.length = nodes.length;
  totals.fill(0);
  // One array for every plugin's scores: each plugin's are summed before the next writes.
  const scores = into?.scores ?? [];
  scores.length = nodes.length;
  for (const { plugin, weight } of fw.score) {
    if (skipped?.has(plugin.name) === true) continue;
    // A node a plugin leaves without a score fails the range check below, as a fresh array's hole did.
    scores.fill(Number.NaN);
    try {
      if (plugin.scoreNodes !== undefined) plugin.scoreNodes(state, pod, nodes, snapshot, scores);
      else for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(state, pod, nodes[i]!, snapshot);
    } catch (cause) {
      throw new SchedulerError('plugin-failed', `plugin ${plugin.name} failed at Score`, { cause });
    }
    if (plugin.normalizeScore) call(plugin, 'NormalizeScore', () => plugin.normalizeScore!(state, pod, scores));
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      if (!(s >= 0 && s <= MAX_NODE_SCORE)) {
        throw new SchedulerError('plugin-failed', `plugin ${plugin.name} returned score ${s} outside 0..${MAX_NODE_SCORE}`);
      }
      totals[i]! += s * weight;
    }
  }
  return totals;
}

/** The index of the highest total; ties broken uniformly at random (reservoir sampling). */
export function selectHost(totals: readonly number[], rng: Rng): number {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < totals.length; i++) {
    if (totals[i]! > totals[best]!) {
      best = i;
      ties = 1;
    } else if (totals[i] === totals[best]) {
      ties++;
      if (rng.int(ties) === 0) best = i;
    }
  }
  return best;
}

/**
 * Upstream's `DefaultNormalizeScore`: scales scores so the highest becomes 100 (integer
 * division); with `reverse`, subtracts from 100. All zero stays zero (or 100 reversed).
 *
 * @example `[1, 2, 4]` → `[25, 50, 100]`; reversed → `[75, 50, 0]`.
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) {
      scores[i] = reverse ? MAX_NODE_SCORE : 0;
      continue;
    }
    const s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
