/**
 * What "quiet" means for a simulated cluster (pure): which changes are heartbeats, and how to
 * describe what is still busy when a cluster does not settle.
 *
 * Periodic timers never stop in a running cluster (node Leases are renewed every 10 s, probes run,
 * node status is posted every 5 minutes), so "no timers left" cannot tell a settled cluster from a
 * busy one. Instead, a cluster is *quiet* when the store saw no change other than heartbeats for
 * a whole quiet window. A heartbeat is a MODIFIED event that changes nothing but:
 * - a Lease's `spec.renewTime` (node Leases, leader-election Leases), or
 * - the `lastHeartbeatTime` of a Node's conditions, or
 * - the `timestamp` of a PodMetrics or NodeMetrics (metrics-server's scrape of unchanged usage),
 *   or of a MetricValue or ExternalMetricValue (a metrics adapter's republished unchanged value),
 * - the `status` of a VerticalPodAutoscalerCheckpoint (the VPA recommender saves its usage
 *   histograms every minute while samples come in, as upstream's checkpoint writer does),
 * - the `lowerBound` and `upperBound` of a VerticalPodAutoscaler's container recommendations,
 *   when each bound only narrows toward its unchanged `target` without crossing it (the
 *   recommender's confidence in its history grows at every sync, as upstream's does),
 * besides `metadata.resourceVersion`, `metadata.generation` (it moves with the status of a
 * custom resource that serves no `/status`, as a VerticalPodAutoscalerCheckpoint) and
 * `metadata.managedFields`.
 *
 * @module
 */
import { deepEqual, tryParseQuantity } from '@kubeloop/core';
import type { KubeObject, Pod } from '@kubeloop/core';

/** The metrics kinds whose `timestamp` moves at every scrape or republication. */
const METRICS_KINDS: ReadonlySet<string> = new Set(['PodMetrics', 'NodeMetrics', 'MetricValue', 'ExternalMetricValue']);

/** One container's recommendation in a VerticalPodAutoscaler's status (quantities as strings). */
interface ContainerRecommendation {
  readonly target?: Readonly<Record<string, string>>;
  readonly lowerBound?: Readonly<Record<string, string>>;
  readonly upperBound?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

/** A VerticalPodAutoscaler's container recommendations (empty without a recommendation). */
function containerRecommendations(vpa: KubeObject): readonly ContainerRecommendation[] {
  const status = (vpa as unknown as { status?: { recommendation?: { containerRecommendations?: readonly ContainerRecommendation[] } } }).status;
  return status?.recommendation?.containerRecommendations ?? [];
}

/** A VerticalPodAutoscaler's body without its recommendation's `lowerBound`s and `upperBound`s. */
function withoutRecommendationBounds(body: Record<string, unknown>, vpa: KubeObject): Record<string, unknown> {
  const status = body['status'] as { recommendation?: Record<string, unknown> } | undefined;
  if (status?.recommendation === undefined) return body;
  const stripped = containerRecommendations(vpa).map(({ lowerBound: _lower, upperBound: _upper, ...rest }) => rest);
  return { ...body, status: { ...status, recommendation: { ...status.recommendation, containerRecommendations: stripped } } };
}

/**
 * Whether `bound` moved from `before` to `after` toward `target` without crossing it: for a
 * lower bound `before ≤ after ≤ target`, for an upper bound `before ≥ after ≥ target`, resource by
 * resource; the same resources on both sides, each with a target; unparsable quantities never.
 */
function narrowedToward(bound: 'lower' | 'upper', before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>, target: Readonly<Record<string, string>>): boolean {
  const names = Object.keys(after);
  if (names.length !== Object.keys(before).length) return false;
  const sign = bound === 'lower' ? 1 : -1;
  return names.every((name) => {
    const b = before[name] === undefined ? undefined : tryParseQuantity(before[name]);
    const a = tryParseQuantity(after[name]!);
    const t = target[name] === undefined ? undefined : tryParseQuantity(target[name]);
    if (b === undefined || a === undefined || t === undefined) return false;
    return sign * b.cmp(a) <= 0 && sign * a.cmp(t) <= 0;
  });
}

/**
 * Whether a VerticalPodAutoscaler's status moved from `previous` to `next` only by narrowing the
 * confidence bounds of its recommendation: the same containers with the same `target` (and
 * everything else equal, which the caller checks), at least one bound changed, and every
 * `lowerBound` rose and every `upperBound` fell, each staying on its side of the target.
 *
 * Why this is a heartbeat: upstream's recommender multiplies the upper bound by
 * `1 + 1/confidence` and the lower bound by `(1 + 0.001/confidence)^-2`, where the confidence is
 * the history's length in days (`logic/estimator.go` `getConfidence`, the multipliers in
 * `logic/recommender.go`), and writes the status whenever it differs from the stored one
 * (`UpdateVpaStatusIfNeeded`). With steady usage the bounds close in on the target at every
 * one-minute sync for days — the upper bound ×3 after 12 h, ×2 after 24 h, ×1.14 after a week —
 * so a settled VPA keeps being written. A recommender whose bounds widen again, cross the
 * target, or whose target, conditions or containers change is still busy.
 */
function vpaBoundsNarrowed(previous: KubeObject, next: KubeObject): boolean {
  const before = containerRecommendations(previous);
  const after = containerRecommendations(next);
  if (before.length !== after.length || deepEqual(before, after)) return false;
  return after.every((rec, i) => {
    const old = before[i]!;
    const target = rec.target ?? {};
    return deepEqual(old.target, rec.target) && narrowedToward('lower', old.lowerBound ?? {}, rec.lowerBound ?? {}, target) && narrowedToward('upper', old.upperBound ?? {}, rec.upperBound ?? {}, target);
  });
}

/** The object without what a heartbeat may change. */
function withoutHeartbeatFields(object: KubeObject): unknown {
  const { resourceVersion: _rv, generation: _gen, managedFields: _mf, ...metadata } = object.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  const body = object as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { ...body, metadata };
  if (object.kind === 'Lease') {
    const spec = body['spec'] as Record<string, unknown> | undefined;
    if (spec) {
      const { renewTime: _renew, ...rest } = spec;
      out['spec'] = rest;
    }
  }
  if (object.kind === 'VerticalPodAutoscalerCheckpoint') {
    const { status: _status, ...rest } = out;
    return rest;
  }
  if (object.kind === 'VerticalPodAutoscaler') return withoutRecommendationBounds(out, object);
  if (METRICS_KINDS.has(object.kind)) {
    const { timestamp: _ts, ...rest } = out;
    return rest;
  }
  if (object.kind === 'Node') {
    const status = body['status'] as { conditions?: readonly Record<string, unknown>[] } | undefined;
    if (status?.conditions) {
      out['status'] = { ...status, conditions: status.conditions.map(({ lastHeartbeatTime: _hb, ...c }) => c) };
    }
  }
  return out;
}

/**
 * Whether objects of `kind` have heartbeats (Leases, Nodes, VPAs and their checkpoints,
 * metrics): a change of any other kind is never one, whatever came before it.
 */
export function mayHeartbeat(kind: string): boolean {
  return kind === 'Lease' || kind === 'Node' || kind === 'VerticalPodAutoscaler' || kind === 'VerticalPodAutoscalerCheckpoint' || METRICS_KINDS.has(kind);
}

/**
 * Whether a MODIFIED event from `previous` to `next` is only a heartbeat (see the module
 * comment). Anything else — ADDED and DELETED events, or any MODIFIED event without a known
 * previous state — is a real change.
 *
 * @example
 * ```ts
 * isHeartbeat(lease, { ...lease, spec: { ...lease.spec, renewTime: later } }); // true
 * ```
 */
export function isHeartbeat(previous: KubeObject | undefined, next: KubeObject): boolean {
  if (previous === undefined || previous.kind !== next.kind) return false;
  if (!mayHeartbeat(next.kind)) return false;
  if (!deepEqual(withoutHeartbeatFields(previous), withoutHeartbeatFields(next))) return false;
  return next.kind !== 'VerticalPodAutoscaler' || vpaBoundsNarrowed(previous, next);
}

/** Whether a pod is where a settled workload ends: Running and Ready, or finished. */
export function podSettled(pod: Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  return phase === 'Running' && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/**
 * Why a pod is not Running and Ready, in a few words: its phase and the most telling reason
 * (the pod's own reason, a waiting container's reason, or a False condition's reason).
 *
 * @example
 * ```ts
 * podState(pendingPod); // 'Pending (Unschedulable)'
 * ```
 */
export function podState(pod: Pod): string {
  const phase = pod.status?.phase ?? 'Pending';
  const waiting = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
  const condition = pod.status?.conditions?.find((c) => c.status === 'False' && c.reason)?.reason;
  const reason = pod.metadata.deletionTimestamp ? 'Terminating' : (pod.status?.reason ?? waiting ?? condition);
  return reason ? `${phase} (${reason})` : phase;
}

/** What was still happening when a cluster did not become quiet. */
export interface BusyReport {
  /** How long the cluster was run, in virtual ms. */
  readonly ranMs: number;
  /** The quiet window that was asked for, in virtual ms. */
  readonly quietMs: number;
  /** Non-heartbeat changes in the last quiet window, by kind. */
  readonly changesByKind: ReadonlyMap<string, number>;
  /** Pods that are neither Running and Ready nor finished. */
  readonly pods: readonly Pod[];
  /** Resources whose controller-manager informer has no watch open (absent: none). */
  readonly informersNotWatching?: readonly string[] | undefined;
}

/**
 * The message of a `not-quiet` error, e.g.
 * `cluster not quiet after 600000 ms: 12 changes in the last 20000 ms (Event: 4, Pod: 8); pods not Running/Ready: default/web (Pending, ImagePullBackOff)`.
 */
export function describeBusy(report: BusyReport): string {
  const kinds = [...report.changesByKind.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const total = kinds.reduce((n, [, c]) => n + c, 0);
  const changes = `${total} change${total === 1 ? '' : 's'} in the last ${report.quietMs} ms${total > 0 ? ` (${kinds.map(([k, c]) => `${k}: ${c}`).join(', ')})` : ''}`;
  const pods = report.pods.map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''} (${podState(p)})`);
  const blind = report.informersNotWatching ?? [];
  const informers = blind.length > 0 ? `; informers not watching: ${blind.join(', ')}` : '';
  return `cluster not quiet after ${report.ranMs} ms: ${changes}; pods not Running/Ready: ${pods.length > 0 ? pods.join(', ') : 'none'}${informers}`;
}
