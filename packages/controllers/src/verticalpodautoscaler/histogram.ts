/**
 * The VPA recommender's histograms (upstream `pkg/recommender/util`): exponential buckets and a
 * decaying histogram whose samples lose half their weight every half-life.
 *
 * @module
 */
import { formatTime } from '@kubeloop/core';

/**
 * Exponentially growing buckets (upstream `NewExponentialHistogramOptions`): bucket 0 covers
 * `[0, firstBucketSize)`, bucket n has size `firstBucketSize × ratio^n` and starts at
 * `firstBucketSize × (ratio^n − 1) / (ratio − 1)`; the last bucket starts at or past `maxValue`.
 *
 * Worked example (CPU: first 0.01 cores, ratio 1.05, max 1000 cores): 176 buckets; 0.5 cores
 * falls in bucket ⌊log(0.5 × 0.05 / 0.01 + 1) / log 1.05⌋ = ⌊25.68⌋ = 25, which starts at
 * 0.01 × (1.05^25 − 1) / 0.05 ≈ 0.4773 and ends at ≈ 0.5112.
 */
export class ExponentialBuckets {
  /** How many buckets. */
  readonly numBuckets: number;
  /** The first bucket's size. */
  readonly firstBucketSize: number;
  /** Each bucket's size over the one before. */
  readonly ratio: number;
  /** The least weight of a non-empty bucket. */
  readonly epsilon: number;

  /** Errors: throws a `RangeError` unless maxValue, firstBucketSize, epsilon > 0 and ratio > 1. */
  constructor(maxValue: number, firstBucketSize: number, ratio: number, epsilon: number) {
    if (!(maxValue > 0 && firstBucketSize > 0 && ratio > 1 && epsilon > 0)) throw new RangeError('maxValue, firstBucketSize and epsilon must be > 0.0, ratio must be > 1.0');
    this.numBuckets = Math.ceil(Math.log((maxValue * (ratio - 1)) / firstBucketSize + 1) / Math.log(ratio)) + 1;
    this.firstBucketSize = firstBucketSize;
    this.ratio = ratio;
    this.epsilon = epsilon;
  }

  /** The bucket of `value`; values outside the range go to the first or the last bucket. */
  findBucket(value: number): number {
    if (value < this.firstBucketSize) return 0;
    const bucket = Math.floor(Math.log((value * (this.ratio - 1)) / this.firstBucketSize + 1) / Math.log(this.ratio));
    return Math.min(bucket, this.numBuckets - 1);
  }

  /** Where bucket `bucket` starts. */
  bucketStart(bucket: number): number {
    if (bucket <= 0) return 0;
    return (this.firstBucketSize * (this.ratio ** bucket - 1)) / (this.ratio - 1);
  }
}

/** Upstream's `minSampleWeight`: the least weight of a CPU sample (a request of 0.1 cores). */
export const MIN_SAMPLE_WEIGHT = 0.1;
/** Upstream's histogram epsilon: `0.001 × minSampleWeight`. */
export const HISTOGRAM_EPSILON = 0.001 * MIN_SAMPLE_WEIGHT;
/** CPU buckets, in cores: first 0.01 (10m), growing 5 %, up to 1000 cores. */
export const CPU_BUCKETS = new ExponentialBuckets(1000, 0.01, 1.05, HISTOGRAM_EPSILON);
/** Memory buckets, in bytes: first 10 MB, growing 5 %, up to 1 TB. */
export const MEMORY_BUCKETS = new ExponentialBuckets(1e12, 1e7, 1.05, HISTOGRAM_EPSILON);
/** Upstream's default half-life of both histograms: 24 h. */
export const DEFAULT_HALF_LIFE_MS = 24 * 60 * 60 * 1000;
/** When the decay factor would pass 2^100, the reference time moves forward (upstream `maxDecayExponent`). */
const MAX_DECAY_EXPONENT = 100;
/** Upstream's `MaxCheckpointWeight`: a checkpoint's largest bucket weight, the others in proportion. */
export const MAX_CHECKPOINT_WEIGHT = 10_000;

/**
 * A histogram as a checkpoint stores it (upstream `HistogramCheckpoint`): bucket weights
 * scaled so that the largest is {@link MAX_CHECKPOINT_WEIGHT} and rounded (zeros dropped),
 * keyed by bucket index, and the true total weight; for a decaying histogram its reference time.
 */
export interface HistogramCheckpoint {
  /** RFC 3339, for a decaying histogram. */
  readonly referenceTimestamp?: string | undefined;
  readonly bucketWeights: Readonly<Record<string, number>>;
  readonly totalWeight: number;
}

/**
 * A histogram of weighted samples (upstream `histogram`); `percentile` answers with the END of
 * the bucket the percentile falls in (the start of the last bucket, which has no end).
 *
 * Invariant: `totalWeight` is the sum of the bucket weights; `minBucket` is the first bucket of
 * weight ≥ epsilon (the last bucket when none), `maxBucket` the last (0 when none).
 */
export class Histogram {
  /** The bucketing scheme. */
  readonly buckets: ExponentialBuckets;
  readonly #weights: number[];
  #total = 0;
  #min: number;
  #max = 0;

  /** An empty histogram over `buckets`. */
  constructor(buckets: ExponentialBuckets) {
    this.buckets = buckets;
    this.#weights = new Array<number>(buckets.numBuckets).fill(0);
    this.#min = buckets.numBuckets - 1;
  }

  /** The total weight. */
  get totalWeight(): number {
    return this.#total;
  }

  /** Adds `weight` (≥ 0) at `value`. */
  addSample(value: number, weight: number): void {
    if (weight < 0) throw new RangeError('sample weight must be non-negative');
    const b = this.buckets.findBucket(value);
    this.#weights[b]! += weight;
    this.#total += weight;
    if (b < this.#min && this.#weights[b]! >= this.buckets.epsilon) this.#min = b;
    if (b > this.#max && this.#weights[b]! >= this.buckets.epsilon) this.#max = b;
  }

  /** Takes `weight` away at `value` (never below zero in a bucket). */
  subtractSample(value: number, weight: number): void {
    if (weight < 0) throw new RangeError('sample weight must be non-negative');
    const b = this.buckets.findBucket(value);
    const w = weight > this.#weights[b]! - this.buckets.epsilon ? this.#weights[b]! : weight;
    this.#total -= w;
    this.#weights[b]! -= w;
    this.#updateMinMax();
  }

  /** Multiplies every weight by `factor` (≥ 0); percentiles do not change. */
  scale(factor: number): void {
    for (let b = this.#min; b <= this.#max; b++) this.#weights[b]! *= factor;
    this.#total *= factor;
    this.#updateMinMax();
  }

  #updateMinMax(): void {
    const last = this.buckets.numBuckets - 1;
    while (this.#weights[this.#min]! < this.buckets.epsilon && this.#min < last) this.#min++;
    while (this.#weights[this.#max]! < this.buckets.epsilon && this.#max > 0) this.#max--;
  }

  /** Whether no bucket holds at least epsilon. */
  isEmpty(): boolean {
    return this.#weights[this.#min]! < this.buckets.epsilon;
  }

  /**
   * The checkpoint of this histogram (upstream `SaveToChekpoint`). Two buckets of weight 3 and
   * 1.5 save as `{ b1: 10000, b2: 5000 }`, total 4.5.
   */
  saveToCheckpoint(): HistogramCheckpoint {
    const bucketWeights: Record<string, number> = {};
    let max = 0;
    for (let b = this.#min; b <= this.#max; b++) if (this.#weights[b]! > max) max = this.#weights[b]!;
    if (max > 0) {
      const ratio = MAX_CHECKPOINT_WEIGHT / max;
      for (let b = this.#min; b <= this.#max; b++) {
        const w = Math.round(this.#weights[b]! * ratio);
        if (w > 0) bucketWeights[String(b)] = w;
      }
    }
    return { bucketWeights, totalWeight: this.#total };
  }

  /**
   * Adds a checkpoint's weights (upstream `LoadFromCheckpoint`): each bucket gets its stored
   * weight × totalWeight / (sum of stored weights), so the total comes back exactly and the
   * proportions to the checkpoint's rounding.
   *
   * Errors: throws a `RangeError` for a bucket index outside this histogram's buckets.
   */
  loadFromCheckpoint(checkpoint: HistogramCheckpoint): void {
    let sum = 0;
    for (const [bucket, weight] of Object.entries(checkpoint.bucketWeights)) {
      const b = Number(bucket);
      if (!Number.isInteger(b) || b < 0 || b >= this.buckets.numBuckets) throw new RangeError(`checkpoint has bucket ${bucket}, outside of 0..${this.buckets.numBuckets - 1}`);
      sum += weight;
    }
    if (sum === 0) return;
    const ratio = checkpoint.totalWeight / sum;
    for (const [bucket, weight] of Object.entries(checkpoint.bucketWeights)) this.#weights[Number(bucket)]! += weight * ratio;
    this.#total += checkpoint.totalWeight;
    const last = this.buckets.numBuckets - 1;
    this.#min = last;
    this.#max = 0;
    for (let b = 0; b <= last; b++) {
      if (this.#weights[b]! < this.buckets.epsilon) continue;
      if (b < this.#min) this.#min = b;
      if (b > this.#max) this.#max = b;
    }
  }

  /** The value below which `p` (0..1) of the weight lies, as the end of its bucket; 0 when empty. */
  percentile(p: number): number {
    if (this.isEmpty()) return 0;
    const threshold = p * this.#total;
    let sum = 0;
    let b = this.#min;
    for (; b < this.#max; b++) {
      sum += this.#weights[b]!;
      if (sum >= threshold) break;
    }
    return b < this.buckets.numBuckets - 1 ? this.buckets.bucketStart(b + 1) : this.buckets.bucketStart(b);
  }
}

/**
 * A histogram whose samples decay (upstream `decayingHistogram`): a sample at time t weighs
 * `weight × 2^((t − reference) / halfLife)`, so a sample one half-life older counts half as
 * much. The reference moves forward (rescaling every weight) before the factor passes 2^100.
 */
export class DecayingHistogram {
  readonly #h: Histogram;
  readonly #halfLifeMs: number;
  #referenceMs = 0;

  /** An empty histogram over `buckets` with the given half-life. */
  constructor(buckets: ExponentialBuckets, halfLifeMs: number = DEFAULT_HALF_LIFE_MS) {
    this.#h = new Histogram(buckets);
    this.#halfLifeMs = halfLifeMs;
  }

  #decay(timeMs: number): number {
    if (timeMs > this.#referenceMs + this.#halfLifeMs * MAX_DECAY_EXPONENT) {
      const next = Math.round(timeMs / this.#halfLifeMs) * this.#halfLifeMs;
      const exponent = Math.floor((this.#referenceMs - next) / this.#halfLifeMs + 0.5);
      this.#h.scale(2 ** exponent);
      this.#referenceMs = next;
    }
    return 2 ** ((timeMs - this.#referenceMs) / this.#halfLifeMs);
  }

  /** Adds a sample taken at `timeMs`. */
  addSample(value: number, weight: number, timeMs: number): void {
    this.#h.addSample(value, weight * this.#decay(timeMs));
  }

  /** Takes away a sample added at `timeMs`. */
  subtractSample(value: number, weight: number, timeMs: number): void {
    this.#h.subtractSample(value, weight * this.#decay(timeMs));
  }

  /** As {@link Histogram.percentile}. */
  percentile(p: number): number {
    return this.#h.percentile(p);
  }

  /** Whether it holds no weight. */
  isEmpty(): boolean {
    return this.#h.isEmpty();
  }

  /** The total (decayed) weight. */
  get totalWeight(): number {
    return this.#h.totalWeight;
  }

  /** The reference time the weights are relative to (ms). */
  get referenceMs(): number {
    return this.#referenceMs;
  }

  /** The checkpoint (upstream `decayingHistogram.SaveToChekpoint`): the weights and the reference time. */
  saveToCheckpoint(): HistogramCheckpoint {
    return { ...this.#h.saveToCheckpoint(), referenceTimestamp: formatTime(this.#referenceMs) };
  }

  /** Loads a checkpoint (upstream `LoadFromCheckpoint`): its reference time, then its weights. */
  loadFromCheckpoint(checkpoint: HistogramCheckpoint, referenceMs: number): void {
    this.#referenceMs = referenceMs;
    this.#h.loadFromCheckpoint(checkpoint);
  }
}
