/**
 * Which pods a ReplicaSet deletes first when it scales down — upstream's
 * `ActivePodsWithRanks` (`pkg/controller/controller_utils.go`) with the `PodDeletionCost` and
 * `LogarithmicScaleDown` features on, as they are by default.
 *
 * @module
 */
import { parseTime } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { isPodActive, isPodReady, maxContainerRestarts, podReadyTime } from './pods.js';

/** The annotation that orders pods for deletion within a ReplicaSet (lower goes first). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** A pod with its rank: how many related active pods share its node (higher goes first). */
export interface RankedPod {
  /** The pod. */
  readonly pod: Pod;
  /** Related active pods on the same node, the pod included; 0 for an unassigned pod. */
  readonly rank: number;
}

const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: Pod): number {
  return PHASE_ORDINAL[pod.status?.phase ?? 'Pending'] ?? 0;
}

/** The pod's deletion cost (an int32 in the annotation; 0 when absent or not a number). */
export function podDeletionCost(pod: Pod): number {
  const text = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (text === undefined || !/^-?\d+$/.test(text.trim())) return 0;
  return Number(text.trim());
}

/** ⌊log2(now − t)⌋ in nanoseconds as upstream, or −1 for a time not in the past. */
function logRank(t: number, nowMs: number): number {
  const ns = (nowMs - t) * 1e6;
  return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
}

/** Upstream's `afterOrZero`: a missing time sorts first, then the later time. */
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

/**
 * Compares two ranked pods for deletion: negative when `a` should be deleted before `b`.
 * Upstream's order, first difference wins:
 *
 * 1. unassigned before assigned;
 * 2. `Pending` before `Unknown` before `Running`;
 * 3. not ready before ready;
 * 4. lower `controller.kubernetes.io/pod-deletion-cost` first;
 * 5. higher rank first (pods doubled up on a node with related pods);
 * 6. of two ready pods, the one ready for less time (compared on a log₂ scale of the time
 *    since, ties broken by uid);
 * 7. more container restarts first;
 * 8. newer first (creation time, log₂ scale, ties broken by uid).
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, nowMs: number): number {
  const less = lessForDeletion(a, b, nowMs);
  if (less) return -1;
  return lessForDeletion(b, a, nowMs) ? 1 : 0;
}

function lessForDeletion(a: RankedPod, b: RankedPod, nowMs: number): boolean {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec.nodeName ?? '';
  const nb = pb.spec.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  if (phaseOrdinal(pa) !== phaseOrdinal(pb)) return phaseOrdinal(pa) < phaseOrdinal(pb);
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return !ra;
  const ca = podDeletionCost(pa);
  const cb = podDeletionCost(pb);
  if (ca !== cb) return ca < cb;
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (ra && rb) {
    const ta = podReadyTime(pa);
    const tb = podReadyTime(pb);
    if (ta !== tb) {
      if (ta === undefined || tb === undefined) return afterOrZero(ta, tb);
      const diff = logRank(ta, nowMs) - logRank(tb, nowMs);
      if (diff === 0) return (pa.metadata.uid ?? '') < (pb.metadata.uid ?? '');
      return diff < 0;
    }
  }
  const restartsA = maxContainerRestarts(pa);
  const restartsB = maxContainerRestarts(pb);
  if (restartsA !== restartsB) return restartsA > restartsB;
  const createdA = pa.metadata.creationTimestamp === undefined ? undefined : parseTime(pa.metadata.creationTimestamp);
  const createdB = pb.metadata.creationTimestamp === undefined ? undefined : parseTime(pb.metadata.creationTimestamp);
  if (createdA !== createdB) {
    if (createdA === undefined || createdB === undefined) return afterOrZero(createdA, createdB);
    const diff = logRank(createdA, nowMs) - logRank(createdB, nowMs);
    if (diff === 0) return (pa.metadata.uid ?? '') < (pb.metadata.uid ?? '');
    return diff < 0;
  }
  return false;
}

/**
 * Ranks `pods` by how many of `related` (active pods of the same owner family, e.g. every
 * ReplicaSet of one Deployment) run on the same node (upstream
 * `getPodsRankedByRelatedPodsOnSameNode`).
 */
export function rankByRelatedPodsOnSameNode(pods: readonly Pod[], related: readonly Pod[]): RankedPod[] {
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec.nodeName;
    if (node && isPodActive(p)) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  return pods.map((pod) => ({ pod, rank: pod.spec.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0 }));
}

/**
 * The `count` pods to delete first out of `pods` (upstream `getPodsToDelete`), ranked by
 * {@link compareForDeletion} against `related`. Returns all pods when `count` is at least their
 * number.
 *
 * @example
 * ```ts
 * podsToDelete([runningReady, pending, unassigned], [], 2, now); // [unassigned, pending]
 * ```
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], count: number, nowMs: number): Pod[] {
  if (count >= pods.length) return [...pods];
  const ranked = rankByRelatedPodsOnSameNode(pods, related);
  // A stable sort, so equal pods keep their order (the input order of the cache).
  ranked.sort((a, b) => compareForDeletion(a, b, nowMs));
  return ranked.slice(0, Math.max(0, count)).map((r) => r.pod);
}
