/**
 * The HPA's replica calculator (upstream `pkg/controller/podautoscaler/replica_calculator.go` and
 * `metrics/utilization.go`), as pure functions over the pods the target's selector matches and
 * the per-pod metric samples the metrics API returned.
 *
 * The rule: `desired = ceil(usageRatio × readyPodCount)`, where `usageRatio` is the current
 * value over the target, unless the ratio is within the tolerance of 1 (then the current count
 * stays). Pods without a sample ("missing") count as using 100% of their request on a
 * scale-down and 0% on a scale-up; pods not yet ready ("unready": Pending, or for CPU inside
 * their initialization period) are left out, and on a scale-up count as 0%. (A missing pod on a
 * scale-down counts as its request times `max(100%, target)`.) When those
 * corrections flip the direction or land within the tolerance, the current count stays.
 *
 * Worked examples (the walkthroughs'): 2 pods using 300m each, requests 200m, target 50%:
 * utilization `600/400 = 150%`, ratio `150/50 = 3`, desired `ceil(3 × 2) = 6`. Six pods at 50m
 * each: `300/1200 = 25%`, ratio `0.5`, desired `ceil(0.5 × 6) = 3`.
 *
 * @module
 */
import { parseTime, tryParseQuantity } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';

/** Upstream's `--horizontal-pod-autoscaler-tolerance` default: changes within 10% are ignored. */
export const DEFAULT_HPA_TOLERANCE = 0.1;
/** Upstream's `--horizontal-pod-autoscaler-cpu-initialization-period` default: 5 minutes, in ms. */
export const DEFAULT_CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** Upstream's `--horizontal-pod-autoscaler-initial-readiness-delay` default: 30 seconds, in ms. */
export const DEFAULT_INITIAL_READINESS_DELAY_MS = 30_000;

/** One pod's sample from the metrics API: a value in milli-units, when it was taken, over what window. */
export interface PodMetricSample {
  /** The pod's usage summed over its containers, in milli-units (millicores for CPU, milli-bytes for memory). */
  readonly milliValue: number;
  /** The sample's `timestamp`, in ms. */
  readonly timestampMs: number;
  /** The sample's `window`, in ms (metrics-server: 15 s). */
  readonly windowMs: number;
}

/** Per-pod samples by pod name (upstream `PodMetricsInfo`). */
export type PodMetricsInfo = ReadonlyMap<string, PodMetricSample>;

/** How the calculator treats pods (upstream `ReplicaCalculator`'s settings), with upstream's defaults. */
export interface ReplicaCalculatorOptions {
  /**
   * Ratios within `1 ± tolerance` keep the current count; default {@link DEFAULT_HPA_TOLERANCE}.
   * Per direction (upstream's `behavior.scaleUp.tolerance` / `scaleDown.tolerance`): a ratio
   * above 1 is judged by `scaleUp`, one below by `scaleDown`.
   */
  readonly tolerance?: number | { readonly scaleUp: number; readonly scaleDown: number };
  /** CPU samples of a pod younger than this are trusted only from a ready pod with a full window; default 5 min. */
  readonly cpuInitializationPeriodMs?: number;
  /** A pod that turned unready within this delay of starting is treated as never ready yet; default 30 s. */
  readonly delayOfInitialReadinessStatusMs?: number;
}

/** How {@link groupPods} sorted the pods. */
export interface PodGroups {
  /** Pods whose sample counts. */
  readonly readyPodCount: number;
  /** Pending pods, and for CPU pods still initializing or never ready (their samples are dropped). */
  readonly unreadyPods: ReadonlySet<string>;
  /** Running pods without a sample. */
  readonly missingPods: ReadonlySet<string>;
  /** Deleted or failed pods (their samples are dropped, they count for nothing). */
  readonly ignoredPods: ReadonlySet<string>;
}

/**
 * Sorts the pods as upstream's `groupPods`: a deleting or Failed pod is ignored; a Pending pod
 * is unready; a pod without a sample is missing; for `cpu`, a pod without a `Ready` condition or
 * start time is unready, and so is a pod inside its CPU initialization period that is unready or
 * whose sample does not yet cover a whole window since its last readiness transition, or a pod
 * past that period that is unready and never became ready (its last transition came within the
 * readiness delay of its start). Every other pod is ready.
 */
export function groupPods(pods: readonly Pod[], metrics: PodMetricsInfo, resource: string, nowMs: number, options: ReplicaCalculatorOptions = {}): PodGroups {
  const initPeriod = options.cpuInitializationPeriodMs ?? DEFAULT_CPU_INITIALIZATION_PERIOD_MS;
  const readinessDelay = options.delayOfInitialReadinessStatusMs ?? DEFAULT_INITIAL_READINESS_DELAY_MS;
  const unreadyPods = new Set<string>();
  const missingPods = new Set<string>();
  const ignoredPods = new Set<string>();
  let readyPodCount = 0;
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp !== undefined || phase === 'Failed') {
      ignoredPods.add(name);
      continue;
    }
    if (phase === 'Pending' || phase === undefined) {
      unreadyPods.add(name);
      continue;
    }
    const sample = metrics.get(name);
    if (sample === undefined) {
      missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const start = pod.status?.startTime;
      let unready: boolean;
      if (ready === undefined || start === undefined || start === null) {
        unready = true;
      } else {
        const startMs = parseTime(start);
        const transitionMs = ready.lastTransitionTime ? parseTime(ready.lastTransitionTime) : startMs;
        if (startMs + initPeriod > nowMs) {
          unready = ready.status === 'False' || sample.timestampMs < transitionMs + sample.windowMs;
        } else {
          unready = ready.status === 'False' && startMs + readinessDelay > transitionMs;
        }
      }
      if (unready) {
        unreadyPods.add(name);
        continue;
      }
    }
    readyPodCount++;
  }
  return { readyPodCount, unreadyPods, missingPods, ignoredPods };
}

/** Why the calculator could not propose a count; `message` is upstream's text. */
export class ReplicaCalculationError extends Error {
  /** `no-pods`, `no-ready-metrics`, `missing-request` or `no-matching-metrics`. */
  readonly code: 'no-pods' | 'no-ready-metrics' | 'missing-request' | 'no-matching-metrics';
  /** An error with a stable code and upstream's message. */
  constructor(code: ReplicaCalculationError['code'], message: string) {
    super(message);
    this.name = 'ReplicaCalculationError';
    this.code = code;
  }
}

/**
 * The pods' requests of `resource` in milli-units, summed over their app containers (upstream
 * `calculatePodRequests`), or of the one `container` (ContainerResource metrics). Throws
 * `missing-request` when a container requests none of it: utilization is a percentage of
 * requests and is undefined without them.
 */
export function podRequestsMilli(pods: readonly Pod[], resource: string, container?: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec.containers) {
      if (container !== undefined && c.name !== container) continue;
      const text = c.resources?.requests?.[resource];
      const q = text === undefined ? undefined : tryParseQuantity(String(text));
      if (q === undefined) {
        throw new ReplicaCalculationError('missing-request', `missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name ?? ''}`);
      }
      sum += q.milliValue();
    }
    requests.set(pod.metadata.name ?? '', sum);
  }
  return requests;
}

/**
 * Utilization as upstream's `GetResourceUtilizationRatio`: over the pods that have both a sample
 * and a request, `utilization = trunc(100 × Σusage / Σrequests)` (an integer percentage),
 * `ratio = utilization / target`, `rawAverageValue = trunc(Σusage / n)`.
 */
export function resourceUtilizationRatio(
  metrics: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): { readonly ratio: number; readonly utilization: number; readonly rawAverageValue: number } {
  let usage = 0;
  let requested = 0;
  let n = 0;
  for (const [name, value] of metrics) {
    const request = requests.get(name);
    if (request === undefined) continue;
    usage += value;
    requested += request;
    n++;
  }
  if (requested === 0) throw new ReplicaCalculationError('no-matching-metrics', 'no metrics returned matched known pods');
  const utilization = Math.trunc((usage * 100) / requested);
  return { ratio: utilization / targetUtilization, utilization, rawAverageValue: Math.trunc(usage / n) };
}

/** What the calculator proposes for one Resource metric. */
export interface ResourceReplicasProposal {
  /** The proposed replica count (before min/max and behavior). */
  readonly replicas: number;
  /** The measured utilization, percent of requests (Utilization targets only; 0 for AverageValue). */
  readonly utilization: number;
  /** The measured average per pod, in milli-units. */
  readonly rawAverageValue: number;
}

/** The inputs of {@link resourceReplicas}. */
export interface ResourceReplicasInput {
  /** The target's `spec.replicas` from its scale subresource. */
  readonly currentReplicas: number;
  /** `cpu`, `memory`, ... */
  readonly resource: string;
  /** The pods the target's selector matches. */
  readonly pods: readonly Pod[];
  /** Their samples by pod name. */
  readonly metrics: PodMetricsInfo;
  /** The virtual time of the calculation, ms. */
  readonly nowMs: number;
  /** For a ContainerResource metric: the container whose requests count (the samples are that container's). */
  readonly container?: string | undefined;
  /** `Utilization` with a percentage, or `AverageValue` with milli-units per pod. */
  readonly target: { readonly type: 'Utilization'; readonly averageUtilization: number } | { readonly type: 'AverageValue'; readonly milliValue: number };
}

function withinTolerance(ratio: number, tolerance: NonNullable<ReplicaCalculatorOptions['tolerance']>): boolean {
  if (typeof tolerance === 'number') return Math.abs(1 - ratio) <= tolerance;
  return Math.abs(1 - ratio) <= (ratio > 1 ? tolerance.scaleUp : tolerance.scaleDown);
}

/**
 * The desired count for one Resource metric (upstream `GetResourceReplicas` for `Utilization`,
 * `GetRawResourceReplicas` / `calcPlainMetricReplicas` for `AverageValue`).
 *
 * Errors ({@link ReplicaCalculationError}): no pods (`no pods returned by selector while
 * calculating replica count`), no sample of a ready pod (`did not receive metrics for any ready
 * pods`), a container without a request (Utilization only).
 *
 * @example
 * 3 ready pods at 50m with 100m requests and a 50% target: 150/300 = 50% → ratio 1 → 3 (within
 * tolerance). At 30m each: 30% → ratio 0.6 → ceil(0.6 × 3) = 2.
 */
export function resourceReplicas(input: ResourceReplicasInput, options: ReplicaCalculatorOptions = {}): ResourceReplicasProposal {
  const tolerance = options.tolerance ?? DEFAULT_HPA_TOLERANCE;
  const { pods, currentReplicas } = input;
  if (pods.length === 0) throw new ReplicaCalculationError('no-pods', 'no pods returned by selector while calculating replica count');
  const groups = groupPods(pods, input.metrics, input.resource, input.nowMs, options);
  const metrics = new Map<string, number>();
  for (const [name, s] of input.metrics) {
    if (!groups.ignoredPods.has(name) && !groups.unreadyPods.has(name)) metrics.set(name, s.milliValue);
  }
  const target = input.target;
  let requests: Map<string, number> | undefined;
  if (target.type === 'Utilization') requests = podRequestsMilli(pods, input.resource, input.container);
  if (metrics.size === 0) throw new ReplicaCalculationError('no-ready-metrics', 'did not receive metrics for any ready pods');

  const measure = (m: ReadonlyMap<string, number>): { ratio: number; utilization: number; rawAverageValue: number } => {
    if (target.type === 'Utilization') return resourceUtilizationRatio(m, requests!, target.averageUtilization);
    let total = 0;
    for (const v of m.values()) total += v;
    const average = Math.trunc(total / m.size);
    return { ratio: average / target.milliValue, utilization: 0, rawAverageValue: average };
  };
  const first = measure(metrics);
  const { utilization, rawAverageValue } = first;
  const usageRatio = first.ratio;
  const keep: ResourceReplicasProposal = { replicas: currentReplicas, utilization, rawAverageValue };

  const scaleUpWithUnready = groups.unreadyPods.size > 0 && usageRatio > 1;
  if (!scaleUpWithUnready && groups.missingPods.size === 0) {
    if (withinTolerance(usageRatio, tolerance)) return keep;
    return { replicas: Math.ceil(usageRatio * groups.readyPodCount), utilization, rawAverageValue };
  }
  if (groups.missingPods.size > 0) {
    for (const name of groups.missingPods) {
      if (usageRatio < 1) {
        // on a scale-down, a missing pod counts as using its request, or the target when that is
        // above 100% of the request (upstream `fallbackUtilization`), or the target value
        metrics.set(name, target.type === 'Utilization' ? Math.trunc((requests!.get(name)! * Math.max(100, target.averageUtilization)) / 100) : target.milliValue);
      } else if (usageRatio > 1 || target.type === 'AverageValue') {
        // on a scale-up, as using nothing
        metrics.set(name, 0);
      }
    }
  }
  if (scaleUpWithUnready) for (const name of groups.unreadyPods) metrics.set(name, 0);

  const newRatio = measure(metrics).ratio;
  if (withinTolerance(newRatio, tolerance) || (usageRatio < 1 && newRatio > 1) || (usageRatio > 1 && newRatio < 1)) return keep;
  const replicas = Math.ceil(newRatio * metrics.size);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return keep;
  return { replicas, utilization, rawAverageValue };
}

/**
 * The desired count for a `Pods` metric (upstream `GetMetricReplicas` → `calcPlainMetricReplicas`
 * with no resource): as an `AverageValue` Resource metric, but without the CPU readiness rules
 * (only Pending, deleted and failed pods are set aside).
 *
 * @example
 * 4 running pods at 15, 15, 15 and 5 requests per second, target 10 (milli: 10000): average
 * `trunc(50000 / 4) = 12500`, ratio 1.25, desired `ceil(1.25 × 4) = 5`.
 */
export function podsMetricReplicas(
  input: { readonly currentReplicas: number; readonly pods: readonly Pod[]; readonly metrics: PodMetricsInfo; readonly nowMs: number; readonly targetMilliValue: number },
  options: ReplicaCalculatorOptions = {},
): { readonly replicas: number; readonly averageMilliValue: number } {
  try {
    const r = resourceReplicas({ currentReplicas: input.currentReplicas, resource: '', pods: input.pods, metrics: input.metrics, nowMs: input.nowMs, target: { type: 'AverageValue', milliValue: input.targetMilliValue } }, options);
    return { replicas: r.replicas, averageMilliValue: r.rawAverageValue };
  } catch (error) {
    if (error instanceof ReplicaCalculationError && error.code === 'no-ready-metrics') {
      throw new ReplicaCalculationError('no-ready-metrics', 'did not receive metrics for targeted pods (pods might be unready)');
    }
    throw error;
  }
}

/**
 * Pods counted by `Object` and `External` `Value` metrics (upstream `getReadyPodsCount`): the
 * Running pods whose `Ready` condition is True. Throws `no-pods` when the selector matches none.
 */
export function readyPodCount(pods: readonly Pod[]): number {
  if (pods.length === 0) throw new ReplicaCalculationError('no-pods', 'no pods returned by selector while calculating replica count');
  let n = 0;
  for (const p of pods) {
    if (p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) n++;
  }
  return n;
}

/**
 * The desired count for a whole-value ratio (upstream `getUsageRatioReplicaCount`, used by
 * `Object` and `External` metrics with a `Value` target): within the tolerance the current
 * count stays; otherwise `ceil(ratio × readyPods)`; from 0 replicas, `ceil(ratio)`.
 *
 * @example
 * An Ingress at 2500 requests/s against a 1000 target with 2 ready pods: ratio 2.5 → 5.
 */
export function usageRatioReplicas(currentReplicas: number, usageRatio: number, pods: readonly Pod[], options: ReplicaCalculatorOptions = {}): number {
  const tolerance = options.tolerance ?? DEFAULT_HPA_TOLERANCE;
  if (currentReplicas === 0) return Math.ceil(usageRatio);
  if (withinTolerance(usageRatio, tolerance)) return currentReplicas;
  return Math.ceil(usageRatio * readyPodCount(pods));
}

/**
 * The desired count for a total split over the pods (upstream `GetObjectPerPodMetricReplicas`
 * and `GetExternalPerPodMetricReplicas`, `AverageValue` targets): the ratio is
 * `usage / (target × statusReplicas)`; outside the tolerance the count becomes
 * `ceil(usage / target)`. The reported average is `ceil(usage / statusReplicas)`.
 *
 * @example
 * A queue of 30 messages, target 5 per pod, 3 replicas: ratio `30 / 15 = 2` → `ceil(30 / 5) = 6`,
 * average 10.
 */
export function perPodTotalReplicas(statusReplicas: number, usageMilli: number, targetAverageMilli: number, options: ReplicaCalculatorOptions = {}): { readonly replicas: number; readonly averageMilliValue: number } {
  const tolerance = options.tolerance ?? DEFAULT_HPA_TOLERANCE;
  let replicas = statusReplicas;
  const usageRatio = usageMilli / (targetAverageMilli * statusReplicas);
  if (!withinTolerance(usageRatio, tolerance)) replicas = Math.ceil(usageMilli / targetAverageMilli);
  const averageMilliValue = statusReplicas === 0 ? usageMilli : Math.ceil(usageMilli / statusReplicas);
  return { replicas, averageMilliValue };
}
