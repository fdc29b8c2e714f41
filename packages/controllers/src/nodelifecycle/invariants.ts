/**
 * Invariants of taint-based eviction (upstream `pkg/controller/tainteviction`), stated from the
 * Kubernetes documentation ("Taints and Tolerations": a pod that tolerates a `NoExecute` taint
 * with `tolerationSeconds` stays bound for that long after the taint is added; one that
 * tolerates it without `tolerationSeconds` stays forever; one that does not tolerate it is
 * evicted at once). The toleration matching is upstream's `Toleration.ToleratesTaint`, written
 * here again rather than taken from the scheduler the controller uses, so that a bug there is a
 * disagreement these invariants see.
 *
 * @module
 */
import { formatTime, invariant, parseTime, refOf, stateNowMs, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, Node, Pod, StateChange, Taint, Toleration } from '@kubeloop/core';

/** The `DisruptionTarget` reason the taint eviction controller marks a pod with before deleting it. */
const DELETION_BY_TAINT_MANAGER = 'DeletionByTaintManager';

/** Upstream `Toleration.ToleratesTaint` (the `Equal`, `Exists` and empty operators). */
function tolerates(toleration: Toleration, taint: Taint): boolean {
  if ((toleration.effect ?? '') !== '' && toleration.effect !== taint.effect) return false;
  if ((toleration.key ?? '') !== '' && toleration.key !== taint.key) return false;
  const operator = toleration.operator ?? 'Equal';
  if (operator === 'Exists') return true;
  if (operator === 'Equal') return (toleration.value ?? '') === (taint.value ?? '');
  return false;
}

function timeOf(text: string | null | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const t = parseTime(text);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The earliest wall-clock time (ms) a pod with `tolerations` may be evicted from a node with
 * `taints`: −∞ when a `NoExecute` taint is not tolerated; else the least, over the `NoExecute`
 * taints, of the taint's `timeAdded` (or `firstSeen(taint)` without one) plus the
 * `tolerationSeconds` (at least 0) of the first toleration that tolerates it (upstream
 * `GetMatchingTolerations`), a toleration without seconds counting as forever; +∞ when every
 * taint is tolerated forever, or there is none.
 *
 * Worked example: `unreachable:NoExecute` added at t=100 s, tolerated for 300 s, and
 * `example.com/maintenance:NoExecute` added at t=350 s, tolerated for 10 s: 360 s.
 */
export function earliestTaintEviction(tolerations: readonly Toleration[] | undefined, taints: readonly Taint[] | undefined, firstSeen: (taint: Taint) => number): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const taint of taints ?? []) {
    if (taint.effect !== 'NoExecute') continue;
    const toleration = (tolerations ?? []).find((t) => tolerates(t, taint));
    if (toleration === undefined) return Number.NEGATIVE_INFINITY;
    if (toleration.tolerationSeconds === undefined || toleration.tolerationSeconds === null) continue;
    const added = timeOf(taint.timeAdded) ?? firstSeen(taint);
    earliest = Math.min(earliest, added + Math.max(0, toleration.tolerationSeconds) * 1000);
  }
  return earliest;
}

/** Options of {@link noEvictionBeforeTolerationInvariant}. */
export interface TaintEvictionOptions {
  /**
   * How stale (virtual ms, default 30 000) the node cache an eviction was decided on may be:
   * an eviction is early only if it was early on every state of the node in this window
   * before it (a taint removed a moment ago may still be in the controller's cache).
   */
  readonly graceMs?: number | undefined;
}

const taintKey = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
const isMarked = (pod: Pod) => pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === DELETION_BY_TAINT_MANAGER) ?? false;

/** The versions of one node over a window: the one current at its start, then each change. */
interface NodeHistory {
  readonly versions: { readonly t: number; readonly node: Node | undefined }[];
}

/**
 * Transition (safety): the taint eviction controller never evicts a pod before the earliest
 * time its node's `NoExecute` taints allow (see {@link earliestTaintEviction}): not before the
 * taint's `timeAdded` plus the pod's `tolerationSeconds` for it, and never while every taint is
 * tolerated forever.
 *
 * An eviction is the controller's mark on the pod (condition `DisruptionTarget`, reason
 * `DeletionByTaintManager`, which upstream writes before it deletes); the time it appears is
 * the eviction's. Deletions by anyone else are not judged. The node's taints are read from
 * every version the node had in the `graceMs` before the eviction (a cache may lag), and the
 * eviction is early only if it was early on each; a tolerated taint without `timeAdded` is not
 * judged (its time counts from the controller's first sight of it, which the trace does not
 * show).
 */
export function noEvictionBeforeTolerationInvariant(options: TaintEvictionOptions = {}): Invariant {
  const graceMs = options.graceMs ?? 30_000;
  return transitionInvariant(
    'noEvictionBeforeToleration',
    "The taint eviction controller never evicts a pod before its node's NoExecute taint was added plus the pod's tolerationSeconds, nor one that tolerates it forever.",
    (previous, state) => {
      const marks: { readonly change: StateChange; readonly pod: Pod }[] = [];
      const marked = new Set(previous.of<Pod>('Pod').filter(isMarked).map((p) => p.metadata.uid));
      for (const c of state.changes) {
        if (c.object.kind !== 'Pod' || c.type === 'DELETED') continue;
        const pod = c.object as Pod;
        if (!isMarked(pod) || marked.has(pod.metadata.uid)) continue;
        marked.add(pod.metadata.uid);
        marks.push({ change: c, pod });
      }
      if (marks.length === 0) return [];
      const epoch = stateNowMs(state) - state.t;
      const out: InvariantViolation[] = [];
      for (const { change, pod } of marks) {
        const nodeName = pod.spec.nodeName ?? '';
        if (nodeName === '') continue;
        const at = change.t ?? state.t;
        const history = nodeHistory(state, nodeName, at - graceMs, at);
        let allowedAt = Number.POSITIVE_INFINITY;
        // A taint without timeAdded counts from when the controller first saw it, which the
        // trace does not tell: it is not judged.
        for (const { node } of history.versions) allowedAt = Math.min(allowedAt, earliestTaintEviction(pod.spec.tolerations, node?.spec.taints, () => Number.NEGATIVE_INFINITY));
        if (epoch + at >= allowedAt) continue;
        const taints = (history.versions.at(-1)?.node?.spec.taints ?? []).filter((t) => t.effect === 'NoExecute').map((t) => `${taintKey(t)}${t.timeAdded ? ` added ${t.timeAdded}` : ''}`);
        const when = Number.isFinite(allowedAt) ? `before ${formatTime(allowedAt)}` : 'although it tolerates them forever';
        out.push({
          message: `pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName} was evicted at t=${at} ms ${when} (taints ${taints.join(', ') || 'none'}; tolerations ${JSON.stringify(pod.spec.tolerations ?? [])})`,
          objects: [refOf(pod), { kind: 'Node', name: nodeName }],
        });
      }
      return out;
    },
  );
}

/** The versions node `name` had from `from` to `to` (virtual ms), from the states' changes. */
function nodeHistory(state: ClusterState, name: string, from: number, to: number): NodeHistory {
  const states: ClusterState[] = [];
  let base: ClusterState = state;
  while (base.previous !== undefined && base.t >= from) {
    states.push(base);
    base = base.previous;
  }
  const versions: { t: number; node: Node | undefined }[] = [{ t: from, node: base.get<Node>('Node', undefined, name) }];
  for (let i = states.length - 1; i >= 0; i--) {
    for (const c of states[i]!.changes) {
      if (c.object.kind !== 'Node' || c.object.metadata.name !== name) continue;
      const t = c.t ?? states[i]!.t;
      if (t > to) return { versions };
      const node = c.type === 'DELETED' ? undefined : (c.object as Node);
      if (t < from) versions[0] = { t: from, node };
      else versions.push({ t, node });
    }
  }
  return { versions };
}

/**
 * Liveness: after settling, no active pod is bound to a node with a `NoExecute` taint it does
 * not tolerate, or whose toleration ran out (see {@link earliestTaintEviction}): the taint
 * eviction controller evicted them all. A taint without `timeAdded` is not judged (its start is
 * the controller's first sight of it).
 */
export const taintedPodsEvictedInvariant: Invariant = invariant(
  'taintedPodsEvicted',
  'After settling, no active pod is bound to a node whose NoExecute taint it does not tolerate, or tolerates no longer.',
  (state) => {
    const now = stateNowMs(state);
    const nodes = new Map(state.of<Node>('Node').map((n) => [n.metadata.name ?? '', n]));
    const out: InvariantViolation[] = [];
    for (const pod of state.of<Pod>('Pod')) {
      if (pod.metadata.deletionTimestamp !== undefined || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const node = nodes.get(pod.spec.nodeName ?? '');
      if (node === undefined) continue;
      const earliest = earliestTaintEviction(pod.spec.tolerations, node.spec.taints, () => Number.POSITIVE_INFINITY);
      if (earliest <= now) out.push({ message: `pod ${pod.metadata.namespace}/${pod.metadata.name} is still bound to node ${node.metadata.name} past its NoExecute tolerations`, objects: [refOf(pod), refOf(node)] });
    }
    return out;
  },
);

/** {@link noEvictionBeforeTolerationInvariant} with its default window, as the plugin registers it. */
const noEvictionBeforeToleration = noEvictionBeforeTolerationInvariant();

/**
 * The invariants the node lifecycle plugin registers: {@link noEvictionBeforeTolerationInvariant}
 * with its default window. ({@link taintedPodsEvictedInvariant} is for suites that settle with
 * taints in place to name: a suite that settles within a pod's tolerationSeconds of a taint
 * sees nothing evicted yet, rightly.)
 */
export const NODE_LIFECYCLE_INVARIANTS: readonly Invariant[] = [noEvictionBeforeToleration];
