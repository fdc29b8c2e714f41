/**
 * NodeResourcesFit (filter + LeastAllocated scoring) and NodeResourcesBalancedAllocation.
 *
 * @module
 */
import type { Pod } from '@kubeloop/core';
import { MAX_NODE_SCORE, SKIP, SUCCESS, unschedulable, type CycleState, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin, type Status } from '../framework.js';
import { CPU, MEMORY, PODS, nonZeroRequests, podRequests, type NodeInfoView, type ResourceAmounts } from '../nodeinfo.js';

/** Upstream's reason when the node already runs `allocatable.pods` pods. */
export const ERR_REASON_TOO_MANY_PODS = 'Too many pods';

/** Upstream's reason for a resource the node lacks: `Insufficient cpu`, `Insufficient memory`, `Insufficient example.com/gpu`. */
export function insufficientReason(resource: string): string {
  return `Insufficient ${resource}`;
}

/**
 * Why a pod with `requests` does not fit `node` (upstream `fitsRequest`), in upstream's order:
 * pod count first (`pods + 1 > allocatable.pods`), then every requested resource whose
 * request exceeds `allocatable − requested`. Empty when it fits. Resources a pod requests
 * zero of are not checked, so a full node still takes a pod requesting nothing but a slot.
 *
 * @example A node with 2 CPUs (2000m) allocatable and 1500m requested cannot take a pod
 * requesting 600m (600 > 2000 − 1500 = 500): `['Insufficient cpu']`.
 */
export function insufficientResources(requests: ResourceAmounts, node: NodeInfoView, checked: readonly string[] = checkOrder(requests)): readonly string[] {
  let reasons: string[] | undefined;
  if (node.podCount + 1 > node.allocatablePods) reasons = [ERR_REASON_TOO_MANY_PODS];
  for (const name of checked) {
    const want = requests.get(name)!;
    const free = name === CPU ? node.allocatableCPU - node.requestedCPU : name === MEMORY ? node.allocatableMemory - node.requestedMemory : (node.allocatable.get(name) ?? 0) - (node.requested.get(name) ?? 0);
    if (want > free) (reasons ??= []).push(insufficientReason(name));
  }
  return reasons ?? NONE;
}

const NONE: readonly string[] = Object.freeze([]);

/** The resources to check, in upstream's order (cpu, memory, then the others by name), with a positive request. */
function checkOrder(requests: ResourceAmounts): string[] {
  const rest = [...requests.keys()].filter((k) => k !== CPU && k !== MEMORY && k !== PODS).sort();
  return [CPU, MEMORY, ...rest].filter((k) => (requests.get(k) ?? 0) > 0);
}

const FIT_KEY = 'PreFilterNodeResourcesFit';
const NON_ZERO_KEY = `${FIT_KEY}/nonZero`;
interface FitState {
  readonly requests: ResourceAmounts;
  readonly checked: readonly string[];
  /** The pod's CPU (millicores) and memory (bytes) requests, and whether it requests anything else. */
  readonly cpu: number;
  readonly memory: number;
  readonly onlyCpuAndMemory: boolean;
}

function fitState(pod: Pod): FitState {
  const requests = podRequests(pod);
  const checked = checkOrder(requests);
  return { requests, checked, cpu: requests.get(CPU) ?? 0, memory: requests.get(MEMORY) ?? 0, onlyCpuAndMemory: checked.every((k) => k === CPU || k === MEMORY) };
}

/**
 * Whether the pod fits `node` by {@link insufficientResources}'s rule, without building the
 * reasons: the common case of a pod requesting CPU and memory only, checked on plain numbers.
 */
function fitsQuickly(s: FitState, node: NodeInfoView): boolean {
  return (
    s.onlyCpuAndMemory &&
    node.podCount + 1 <= node.allocatablePods &&
    (s.cpu <= 0 || s.cpu <= node.allocatableCPU - node.requestedCPU) &&
    (s.memory <= 0 || s.memory <= node.allocatableMemory - node.requestedMemory)
  );
}

/** {@link insufficientResources} as a filter status: success, or `Unschedulable` with the reasons. */
function fitStatus(s: FitState, node: NodeInfoView): Status {
  if (fitsQuickly(s, node)) return SUCCESS;
  const reasons = insufficientResources(s.requests, node, s.checked);
  return reasons.length === 0 ? SUCCESS : unschedulable(...reasons);
}

type NonZero = ReturnType<typeof nonZeroRequests>;

/** LeastAllocated over CPU and memory (weight 1 each) with the pod's non-zero requests `nz` added. */
function leastAllocated(nz: NonZero, node: NodeInfoView): number {
  const cpu = leastRequestedScore(node.nonZeroCPU + nz.milliCPU, node.allocatableCPU);
  const mem = leastRequestedScore(node.nonZeroMemory + nz.memory, node.allocatableMemory);
  return Math.trunc((cpu + mem) / 2);
}

/**
 * The least-allocated score of one resource: the share left free after placing the pod.
 * `(allocatable − requested) × 100 / allocatable`, integer division; 0 when over-committed
 * or when the node has none.
 *
 * @example 4000m allocatable, 1000m already requested (non-zero), pod 1000m: (4000 − 2000) × 100 / 4000 = 50.
 */
export function leastRequestedScore(requested: number, allocatable: number): number {
  if (allocatable === 0 || requested > allocatable) return 0;
  return Math.trunc(((allocatable - requested) * MAX_NODE_SCORE) / allocatable);
}

/**
 * NodeResourcesFit: the filter checks requests against free allocatable
 * ({@link insufficientResources}); the score is LeastAllocated over CPU and memory (weight 1
 * each) using non-zero requests: the average of {@link leastRequestedScore}.
 *
 * @example Node A: 4 CPU / 8 GiB, nothing requested; node B: 4 CPU / 8 GiB with 2 CPU / 4 GiB
 * requested. A pod of 1 CPU / 2 GiB: A = (75 + 75) / 2 = 75, B = (25 + 25) / 2 = 25.
 */
export const nodeResourcesFit: PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin = {
  name: 'NodeResourcesFit',
  preFilter(state, pod) {
    state.set(FIT_KEY, fitState(pod));
    return SUCCESS;
  },
  filter(state, pod, node) {
    return fitStatus((state.get(FIT_KEY) as FitState | undefined) ?? fitState(pod), node);
  },
  filterNodes(state, pod, nodes, _snapshot, failed) {
    const s = (state.get(FIT_KEY) as FitState | undefined) ?? fitState(pod);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (fitsQuickly(s, node)) continue;
      const st = fitStatus(s, node);
      if (st !== SUCCESS) failed[i] = st;
    }
  },
  preScore(state, pod) {
    state.set(NON_ZERO_KEY, nonZeroRequests(pod));
    return SUCCESS;
  },
  score(state: CycleState, pod: Pod, node) {
    return leastAllocated((state.get(NON_ZERO_KEY) as NonZero | undefined) ?? nonZeroRequests(pod), node);
  },
  scoreNodes(state, pod, nodes, _snapshot, scores) {
    const nz = (state.get(NON_ZERO_KEY) as NonZero | undefined) ?? nonZeroRequests(pod);
    for (let i = 0; i < nodes.length; i++) scores[i] = leastAllocated(nz, nodes[i]!);
  },
};

/**
 * NodeResourcesBalancedAllocation: favors nodes whose CPU and memory would be used in the same
 * proportion. With `f = requested / allocatable` per resource (capped at 1, including the
 * pod's requests), the score is `(1 − std(f)) × 100`, truncated; for two resources
 * `std = |f_cpu − f_mem| / 2`. Pods requesting neither CPU nor memory are skipped.
 *
 * @example 4000m / 8 GiB allocatable; after the pod 1000m and 6 GiB requested: f = 0.25 and
 * 0.75, std = 0.25, score = 75.
 */
export const nodeResourcesBalancedAllocation: PreScorePlugin & ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  preScore(state, pod) {
    const r = podRequests(pod);
    if ((r.get(CPU) ?? 0) === 0 && (r.get(MEMORY) ?? 0) === 0) return SKIP;
    state.set(BALANCED_KEY, r);
    return SUCCESS;
  },
  score(state, pod, node) {
    const r = (state.get(BALANCED_KEY) as ResourceAmounts | undefined) ?? podRequests(pod);
    return balancedAllocation(r.get(CPU) ?? 0, r.get(MEMORY) ?? 0, node);
  },
  scoreNodes(state, pod, nodes, _snapshot, scores) {
    const r = (state.get(BALANCED_KEY) as ResourceAmounts | undefined) ?? podRequests(pod);
    const cpu = r.get(CPU) ?? 0;
    const memory = r.get(MEMORY) ?? 0;
    for (let i = 0; i < nodes.length; i++) scores[i] = balancedAllocation(cpu, memory, nodes[i]!);
  },
};

const BALANCED_KEY = 'PreScoreBalancedAllocation';

/** The BalancedAllocation score of `node` once the pod's `cpu` (millicores) and `memory` (bytes) requests are added. */
function balancedAllocation(cpu: number, memory: number, node: NodeInfoView): number {
  const allocCPU = node.allocatableCPU;
  const allocMem = node.allocatableMemory;
  if (allocCPU === 0 || allocMem === 0) return MAX_NODE_SCORE;
  const fCPU = Math.min(1, (node.requestedCPU + cpu) / allocCPU);
  const fMem = Math.min(1, (node.requestedMemory + memory) / allocMem);
  const std = Math.abs(fCPU - fMem) / 2;
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}
