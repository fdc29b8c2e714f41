/**
 * The VPA recommender's model and estimators (upstream `pkg/recommender/model` and
 * `pkg/recommender/logic`): per container, a decaying histogram of CPU usage weighted by the
 * request and one of daily memory peaks; from them target, lowerBound and upperBound with the
 * safety margin, the confidence multipliers and the per-pod minimums; then the VPA's policy
 * (controlledResources, minAllowed/maxAllowed).
 *
 * @module
 */
import type { ContainerResourcePolicy, RecommendedContainerResources, VerticalPodAutoscaler, VerticalPodAutoscalerCheckpoint } from './kind.js';
import { CPU_BUCKETS, DecayingHistogram, DEFAULT_HALF_LIFE_MS, MEMORY_BUCKETS, MIN_SAMPLE_WEIGHT } from './histogram.js';
import { Quantity, formatTime, parseQuantity, parseTime } from '@kubeloop/core';

/** Upstream's `SupportedCheckpointVersion`: the only checkpoint version the recommender loads. */
export const CHECKPOINT_VERSION = 'v3';
/** A checkpoint's status as the recommender writes it (without `lastUpdateTime`). */
export type ContainerCheckpoint = Omit<VerticalPodAutoscalerCheckpoint['status'], 'lastUpdateTime'>;

/** Upstream's `--recommendation-margin-fraction`: 0.15. */
export const SAFETY_MARGIN_FRACTION = 0.15;
/** Upstream's `--pod-recommendation-min-cpu-millicores`: 25. */
export const POD_MIN_CPU_MILLICORES = 25;
/** Upstream's `--pod-recommendation-min-memory-mb`: 250 (MiB). */
export const POD_MIN_MEMORY_MB = 250;
/** Upstream's target percentile (CPU and memory): 0.9. */
export const TARGET_PERCENTILE = 0.9;
/** Upstream's lower-bound percentile: 0.5. */
export const LOWER_BOUND_PERCENTILE = 0.5;
/** Upstream's upper-bound percentile: 0.95. */
export const UPPER_BOUND_PERCENTILE = 0.95;
/** Upstream's `MaxResourceAmount` (1e14, in millicores or bytes): where an unbounded estimate stops. */
export const MAX_RESOURCE_AMOUNT = 1e14;
/** Upstream's `memoryAggregationInterval`: one memory peak per 24 h per container. */
export const MEMORY_AGGREGATION_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Upstream's `--oom-bump-up-ratio` default: an OOM-killed container needed at least 1.2 × what it had. */
export const OOM_BUMP_UP_RATIO = 1.2;
/** Upstream's `--oom-min-bump-up-bytes` default: and at least 100 MiB more. */
export const OOM_MIN_BUMP_UP_BYTES = 100 * 1024 * 1024;

/**
 * The memory an OOM-killed container is taken to have needed (upstream `RecordOOM`): the larger
 * of its memory request and its usage peak of the current window, bumped by the larger of
 * `+minBumpBytes` and `× ratio`. A 50Mi request and a 90Mi peak: max(90Mi + 100Mi, 108Mi) =
 * 190Mi; a 1Gi request: max(1124Mi, 1228.8Mi) = 1228.8Mi.
 */
export function oomBumpedMemory(requestBytes: number, peakBytes: number, ratio = OOM_BUMP_UP_RATIO, minBumpBytes = OOM_MIN_BUMP_UP_BYTES): number {
  const used = Math.max(requestBytes, peakBytes);
  return Math.max(used + minBumpBytes, Math.trunc(used * ratio));
}

/**
 * One container's usage history (upstream `AggregateContainerState` fed by `ContainerState`):
 * CPU samples weighted by max(request in cores, 0.1); memory as the peak of each 24 h window
 * (a higher sample in the same window replaces the peak).
 */
export class ContainerUsageState {
  /** CPU usage in cores. */
  readonly cpu = new DecayingHistogram(CPU_BUCKETS, DEFAULT_HALF_LIFE_MS);
  /** Memory peaks in bytes. */
  readonly memoryPeaks = new DecayingHistogram(MEMORY_BUCKETS, DEFAULT_HALF_LIFE_MS);
  /** When the first and last CPU samples were taken (ms), and how many. */
  firstSampleMs: number | undefined;
  lastSampleMs: number | undefined;
  totalSamples = 0;
  #windowEnd: number | undefined;
  /** The usage peak and the OOM peak of the current window (upstream `memoryPeak`, `oomPeak`). */
  #memoryPeak = 0;
  #oomPeak = 0;
  /** When the window's peak sample (the larger of the two) was added. */
  #peakAt = 0;
  #lastMemorySampleMs: number | undefined;

  /** Adds a CPU sample (usage and request in cores) taken at `timeMs`. */
  addCpuSample(usageCores: number, requestCores: number, timeMs: number): void {
    this.cpu.addSample(usageCores, Math.max(requestCores, MIN_SAMPLE_WEIGHT), timeMs);
    this.firstSampleMs ??= timeMs;
    if (this.lastSampleMs === undefined || timeMs > this.lastSampleMs) this.lastSampleMs = timeMs;
    this.totalSamples++;
  }

  /**
   * Adds a memory sample (bytes) taken at `timeMs`: it raises the current window's peak. A
   * usage sample older than the last one is dropped; an OOM sample (`oom`) never is.
   */
  addMemorySample(bytes: number, timeMs: number, oom = false): void {
    if (!oom && this.#lastMemorySampleMs !== undefined && timeMs < this.#lastMemorySampleMs) return;
    this.#lastMemorySampleMs = timeMs;
    if (this.#windowEnd === undefined) {
      this.#windowEnd = timeMs + MEMORY_AGGREGATION_INTERVAL_MS;
    } else if (timeMs >= this.#windowEnd) {
      this.#windowEnd += MEMORY_AGGREGATION_INTERVAL_MS * (Math.floor((timeMs - this.#windowEnd) / MEMORY_AGGREGATION_INTERVAL_MS) + 1);
      this.#memoryPeak = 0;
      this.#oomPeak = 0;
    }
    const peak = Math.max(this.#memoryPeak, this.#oomPeak);
    if (peak > 0 && bytes <= peak) return;
    if (peak > 0) this.memoryPeaks.subtractSample(peak, 1, this.#peakAt);
    if (oom) this.#oomPeak = bytes;
    else this.#memoryPeak = bytes;
    this.#peakAt = timeMs;
    this.memoryPeaks.addSample(bytes, 1, timeMs);
  }

  /**
   * Records an OOM kill at `timeMs` of a container that requested `requestBytes` of memory
   * (upstream `ContainerState.RecordOOM`): an artificial memory sample of
   * {@link oomBumpedMemory} of the request and the window's usage peak (the OOM peak left
   * out, so that OOMs in a row do not compound), so the next memory recommendation rises.
   * Returns false for an OOM older than the last memory sample by more than the aggregation
   * interval (too old to be relevant), as upstream discards it.
   */
  recordOom(timeMs: number, requestBytes: number, ratio = OOM_BUMP_UP_RATIO, minBumpBytes = OOM_MIN_BUMP_UP_BYTES): boolean {
    if (this.#lastMemorySampleMs !== undefined && timeMs < this.#lastMemorySampleMs - MEMORY_AGGREGATION_INTERVAL_MS) return false;
    this.addMemorySample(oomBumpedMemory(requestBytes, this.#memoryPeak, ratio, minBumpBytes), timeMs, true);
    return true;
  }

  /**
   * The checkpoint of this state (upstream `AggregateContainerState.SaveToCheckpoint`): both
   * histograms, the first and last CPU sample times, the sample count, version `v3`.
   */
  saveToCheckpoint(): ContainerCheckpoint {
    return {
      version: CHECKPOINT_VERSION,
      cpuHistogram: this.cpu.saveToCheckpoint(),
      memoryHistogram: this.memoryPeaks.saveToCheckpoint(),
      firstSampleStart: this.firstSampleMs === undefined ? null : formatTime(this.firstSampleMs),
      lastSampleStart: this.lastSampleMs === undefined ? null : formatTime(this.lastSampleMs),
      totalSamplesCount: this.totalSamples,
    };
  }

  /**
   * A state restored from a checkpoint (upstream `LoadFromCheckpoint`). The memory window's peak
   * is not in a checkpoint: the next sample opens a new window, as upstream's.
   *
   * Errors: throws a `RangeError` for a version other than {@link CHECKPOINT_VERSION} or a
   * bucket outside the histograms.
   */
  static fromCheckpoint(checkpoint: ContainerCheckpoint): ContainerUsageState {
    if (checkpoint.version !== CHECKPOINT_VERSION) throw new RangeError(`unsupported checkpoint version ${checkpoint.version ?? '(none)'}`);
    const state = new ContainerUsageState();
    const time = (t: string | null | undefined): number | undefined => (t === undefined || t === null || t === '' ? undefined : parseTime(t));
    const load = (h: DecayingHistogram, c: ContainerCheckpoint['cpuHistogram']): void => {
      if (c !== undefined) h.loadFromCheckpoint({ bucketWeights: c.bucketWeights ?? {}, totalWeight: c.totalWeight ?? 0 }, time(c.referenceTimestamp) ?? 0);
    };
    load(state.cpu, checkpoint.cpuHistogram);
    load(state.memoryPeaks, checkpoint.memoryHistogram);
    state.firstSampleMs = time(checkpoint.firstSampleStart);
    state.lastSampleMs = time(checkpoint.lastSampleStart);
    state.totalSamples = checkpoint.totalSamplesCount ?? 0;
    return state;
  }

  /**
   * How much history the state holds (upstream `getConfidence`): the lesser of its span in
   * days and its sample count over 1440 (a sample a minute for a day counts 1).
   */
  confidence(): number {
    if (this.firstSampleMs === undefined || this.lastSampleMs === undefined) return 0;
    const days = (this.lastSampleMs - this.firstSampleMs) / (24 * 60 * 60 * 1000);
    return Math.min(days, this.totalSamples / (60 * 24));
  }
}

/** Resources in the recommender's units: CPU in millicores, memory in bytes. */
export interface Amounts {
  readonly cpu: number;
  readonly memory: number;
}

/** One container's raw estimate (before the VPA's policy). */
export interface Estimate {
  readonly target: Amounts;
  readonly lowerBound: Amounts;
  readonly upperBound: Amounts;
}

/**
 * Upstream's `podResourceRecommender.estimateContainerResources` for a pod of
 * `containersPerPod` containers: percentile (0.9 target, 0.5 lower, 0.95 upper) × 1.15 safety
 * margin; the upper bound × (1 + 1/confidence), the lower bound × (1 + 0.001/confidence)^−2;
 * each at least the pod minimum (25m, 250Mi) divided by the containers. Amounts truncate to
 * whole millicores and bytes, as upstream's `ResourceAmount` (int64), at most
 * {@link MAX_RESOURCE_AMOUNT}.
 *
 * Worked example: one container using a steady 0.3 cores, sampled every minute for 10 minutes:
 * the 0.9 percentile is the end of bucket 18 (0.2813…0.3054), 305m; + 15 % → target 350m;
 * confidence min(9 min in days, 10 / 1440) = 0.00625, so the upper bound is 350m × 161 =
 * 56 350m and the lower bound 350m × (1.16)^−2 = 260m. With no history at all both bounds are
 * the minimum (upstream's 0 × ∞ ends there too).
 */
export function estimateContainer(state: ContainerUsageState, containersPerPod: number): Estimate {
  const fraction = 1 / Math.max(1, containersPerPod);
  const minCpu = Math.trunc(POD_MIN_CPU_MILLICORES * fraction);
  const minMem = Math.trunc(POD_MIN_MEMORY_MB * 1024 * 1024 * fraction);
  const confidence = state.confidence();
  const cpuAt = (p: number): number => Math.trunc(state.cpu.percentile(p) * 1000);
  const memAt = (p: number): number => Math.trunc(state.memoryPeaks.percentile(p));
  const margin = (x: number): number => x + Math.trunc(x * SAFETY_MARGIN_FRACTION);
  const scale = (x: number, f: number): number => (x === 0 ? 0 : Math.min(Math.trunc(x * f), MAX_RESOURCE_AMOUNT));
  const upper = (x: number): number => scale(x, (1 + 1 / confidence) ** 1);
  const lower = (x: number): number => scale(x, (1 + 0.001 / confidence) ** -2);
  return {
    target: { cpu: Math.max(margin(cpuAt(TARGET_PERCENTILE)), minCpu), memory: Math.max(margin(memAt(TARGET_PERCENTILE)), minMem) },
    lowerBound: { cpu: Math.max(lower(margin(cpuAt(LOWER_BOUND_PERCENTILE))), minCpu), memory: Math.max(lower(margin(memAt(LOWER_BOUND_PERCENTILE))), minMem) },
    upperBound: { cpu: Math.max(upper(margin(cpuAt(UPPER_BOUND_PERCENTILE))), minCpu), memory: Math.max(upper(margin(memAt(UPPER_BOUND_PERCENTILE))), minMem) },
  };
}

/** The policy that applies to a container: its own, else the `*` one (upstream `GetContainerResourcePolicy`). */
export function containerPolicy(vpa: VerticalPodAutoscaler, container: string): ContainerResourcePolicy | undefined {
  const policies = vpa.spec.resourcePolicy?.containerPolicies ?? [];
  return policies.find((p) => p.containerName === container) ?? policies.find((p) => p.containerName === '*' || p.containerName === undefined);
}

/** The resources a policy controls (default cpu and memory). */
export function controlledResources(policy: ContainerResourcePolicy | undefined): readonly ('cpu' | 'memory')[] {
  return policy?.controlledResources ?? ['cpu', 'memory'];
}

function amountOf(resource: 'cpu' | 'memory', q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const parsed = parseQuantity(q);
  return resource === 'cpu' ? Math.round(parsed.milliValue()) : Math.round(parsed.value());
}

/** An amount as a quantity string: CPU in millicores (`371m`, `1`), memory in bytes (`262144k`). */
export function formatAmount(resource: 'cpu' | 'memory', amount: number): string {
  return resource === 'cpu' ? Quantity.fromMilli(amount).toString() : Quantity.fromNumber(amount).toString();
}

/** `x` within `[min, max]` of a policy for `resource` (either bound may be absent). */
export function capToPolicy(resource: 'cpu' | 'memory', x: number, policy: ContainerResourcePolicy | undefined): number {
  const min = amountOf(resource, policy?.minAllowed?.[resource]);
  const max = amountOf(resource, policy?.maxAllowed?.[resource]);
  let out = x;
  if (max !== undefined && out > max) out = max;
  if (min !== undefined && out < min) out = min;
  return out;
}

/**
 * One container's recommendation as the VPA's status holds it (upstream's recommender then its
 * `CappingPostProcessor`): only the controlled resources; `uncappedTarget` the raw target;
 * target, lowerBound and upperBound within `[minAllowed, maxAllowed]`. Undefined for a
 * container whose policy mode is `Off`.
 */
export function containerRecommendation(vpa: VerticalPodAutoscaler, container: string, estimate: Estimate): RecommendedContainerResources | undefined {
  const policy = containerPolicy(vpa, container);
  if (policy?.mode === 'Off') return undefined;
  const resources = controlledResources(policy);
  const list = (a: Amounts, capped: boolean): Record<string, string> =>
    Object.fromEntries(resources.map((r) => [r, formatAmount(r, capped ? capToPolicy(r, a[r], policy) : a[r])]));
  return {
    containerName: container,
    target: list(estimate.target, true),
    lowerBound: list(estimate.lowerBound, true),
    upperBound: list(estimate.upperBound, true),
    uncappedTarget: list(estimate.target, false),
  };
}
