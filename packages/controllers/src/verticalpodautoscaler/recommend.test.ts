/**
 * The recommender's arithmetic by table, pinned to upstream's `pkg/recommender/util` (bucket
 * scheme, percentile = end of bucket, decay) and `pkg/recommender/logic` (percentiles, 15 %
 * margin, confidence multipliers, per-pod minimums), then the VPA policy's capping.
 */
import { describe, expect, it } from 'vitest';
import { CPU_BUCKETS, DecayingHistogram, ExponentialBuckets, Histogram, MEMORY_BUCKETS } from './histogram.js';
import { ContainerUsageState, capToPolicy, containerRecommendation, estimateContainer, oomBumpedMemory } from './recommend.js';
import type { VerticalPodAutoscaler } from './kind.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = 1_800_000_000_000;

describe('exponential buckets', () => {
  it('has upstream CPU scheme: 176 buckets of 10m growing 5 %', () => {
    expect(CPU_BUCKETS.numBuckets).toBe(176);
    expect(MEMORY_BUCKETS.numBuckets).toBe(176);
  });
  it.each([
    [0, 0],
    [0.005, 0],
    [0.01, 1],
    [0.3, 18],
    [0.5, 25],
    [1000, 174],
    [1e9, 175],
  ])('puts %f cores in bucket %i', (value, bucket) => {
    expect(CPU_BUCKETS.findBucket(value)).toBe(bucket);
  });
  it('starts bucket n at first × (ratio^n − 1) / (ratio − 1)', () => {
    expect(CPU_BUCKETS.bucketStart(0)).toBe(0);
    expect(CPU_BUCKETS.bucketStart(1)).toBeCloseTo(0.01, 12);
    expect(CPU_BUCKETS.bucketStart(25)).toBeCloseTo(0.47727, 4);
    expect(CPU_BUCKETS.bucketStart(26)).toBeCloseTo(0.51113, 4);
  });
  it('refuses a ratio ≤ 1', () => {
    expect(() => new ExponentialBuckets(10, 1, 1, 0.1)).toThrow(RangeError);
  });
});

describe('histogram percentiles', () => {
  it('answers with the end of the bucket the percentile falls in, 0 when empty', () => {
    const h = new Histogram(CPU_BUCKETS);
    expect(h.percentile(0.9)).toBe(0);
    h.addSample(0.5, 1);
    expect(h.percentile(0.5)).toBeCloseTo(CPU_BUCKETS.bucketStart(26), 12);
  });
  it('weighs samples: nine at 0.1 and one heavy at 1 core put the median at 1', () => {
    const h = new Histogram(CPU_BUCKETS);
    for (let i = 0; i < 9; i++) h.addSample(0.1, 1);
    h.addSample(1, 10);
    expect(h.percentile(0.5)).toBeCloseTo(CPU_BUCKETS.bucketStart(CPU_BUCKETS.findBucket(1) + 1), 12);
    expect(h.percentile(0.4)).toBeCloseTo(CPU_BUCKETS.bucketStart(CPU_BUCKETS.findBucket(0.1) + 1), 12);
  });
  it('subtracts a sample down to empty', () => {
    const h = new Histogram(CPU_BUCKETS);
    h.addSample(0.2, 1);
    h.subtractSample(0.2, 1);
    expect(h.isEmpty()).toBe(true);
  });
});

describe('decaying histogram', () => {
  it('gives a sample one half-life (24 h) newer twice the weight', () => {
    const h = new DecayingHistogram(CPU_BUCKETS);
    h.addSample(0.1, 1, T0);
    h.addSample(1, 1, T0 + DAY);
    // weights 1 and 2: the 0.5 percentile is in 1 core's bucket, the 0.3 in 0.1's
    expect(h.percentile(0.5)).toBeCloseTo(CPU_BUCKETS.bucketStart(CPU_BUCKETS.findBucket(1) + 1), 12);
    expect(h.percentile(0.3)).toBeCloseTo(CPU_BUCKETS.bucketStart(CPU_BUCKETS.findBucket(0.1) + 1), 12);
  });
  it('keeps percentiles when its reference time moves forward after 100 half-lives', () => {
    const h = new DecayingHistogram(CPU_BUCKETS);
    h.addSample(0.1, 1, T0);
    h.addSample(0.1, 1, T0 + 150 * DAY);
    expect(Number.isFinite(h.totalWeight)).toBe(true);
    expect(h.percentile(0.9)).toBeCloseTo(CPU_BUCKETS.bucketStart(CPU_BUCKETS.findBucket(0.1) + 1), 12);
  });
});

describe('estimateContainer', () => {
  const steady = (cores: number, bytes: number, minutes: number): ContainerUsageState => {
    const s = new ContainerUsageState();
    for (let i = 0; i < minutes; i++) {
      s.addCpuSample(cores, 0.1, T0 + i * MIN);
      s.addMemorySample(bytes, T0 + i * MIN);
    }
    return s;
  };

  it('a steady 0.3 cores for 10 minutes: target 350m, a wide upper bound, a lower bound under the target (worked example)', () => {
    const e = estimateContainer(steady(0.3, 500 * 2 ** 20, 10), 1);
    // bucket 18 (0.2813…0.3054) ends at 0.3054 cores: 305m + 15 % (45m) = 350m, truncated as upstream's int64
    expect(e.target.cpu).toBe(350);
    // confidence min(9 min / 1 day, 10 / 1440) = 0.00625: × 161 and × (1.16)^-2
    expect(e.upperBound.cpu).toBe(Math.trunc(350 * (1 + 1 / 0.00625)));
    expect(e.upperBound.cpu).toBe(56_350);
    expect(e.lowerBound.cpu).toBe(Math.trunc(350 * (1 + 0.001 / 0.00625) ** -2));
    expect(e.lowerBound.cpu).toBe(260);
    // memory: the peak's bucket end + 15 %
    const bucket = MEMORY_BUCKETS.findBucket(500 * 2 ** 20);
    const end = Math.trunc(MEMORY_BUCKETS.bucketStart(bucket + 1));
    expect(e.target.memory).toBe(end + Math.trunc(end * 0.15));
  });

  it('applies the per-pod minimums (25m, 250Mi) split over the containers', () => {
    const e = estimateContainer(steady(0.001, 1e6, 30), 2);
    expect(e.target).toEqual({ cpu: 12, memory: 125 * 2 ** 20 });
  });

  it('with no history: lower bound the minimum, upper bound unbounded', () => {
    const e = estimateContainer(new ContainerUsageState(), 1);
    expect(e.lowerBound.cpu).toBe(25);
    expect(e.upperBound.cpu).toBe(25);
    const s = steady(0.5, 1e8, 1);
    expect(estimateContainer(s, 1).upperBound.cpu).toBe(1e14);
  });

  it('keeps one memory peak per 24 h window: a higher sample replaces it, a lower one does not add', () => {
    const s = new ContainerUsageState();
    s.addMemorySample(1e8, T0);
    s.addMemorySample(5e8, T0 + MIN);
    s.addMemorySample(2e8, T0 + 2 * MIN);
    const one = new DecayingHistogram(MEMORY_BUCKETS);
    one.addSample(5e8, 1, T0 + MIN);
    expect(s.memoryPeaks.totalWeight).toBeCloseTo(one.totalWeight, 9);
    expect(s.memoryPeaks.percentile(0.1)).toBeCloseTo(MEMORY_BUCKETS.bucketStart(MEMORY_BUCKETS.findBucket(5e8) + 1), 3);
  });
});

describe('OOM kills (upstream ContainerState.RecordOOM, --oom-bump-up-ratio 1.2, --oom-min-bump-up-bytes 100Mi)', () => {
  const Mi = 2 ** 20;
  it.each([
    [50 * Mi, 90 * Mi, 190 * Mi], // max(90Mi + 100Mi, 108Mi)
    [1024 * Mi, 0, Math.trunc(1024 * Mi * 1.2)], // max(1124Mi, 1228.8Mi)
    [0, 0, 100 * Mi],
  ])('bumps max(request %i, peak %i) to %i', (request, peak, needed) => {
    expect(oomBumpedMemory(request, peak)).toBe(needed);
  });

  it('records the bumped sample as the window peak, so the memory estimate rises; usage OOM peaks do not compound', () => {
    const s = new ContainerUsageState();
    s.addCpuSample(0.1, 0.1, T0);
    s.addMemorySample(400 * Mi, T0);
    const before = estimateContainer(s, 1).target.memory;
    expect(s.recordOom(T0 + MIN, 300 * Mi)).toBe(true); // max(400Mi + 100Mi, 480Mi) = 500Mi
    const after = estimateContainer(s, 1).target.memory;
    expect(after).toBeGreaterThan(before);
    const end = (bytes: number): number => MEMORY_BUCKETS.bucketStart(MEMORY_BUCKETS.findBucket(bytes) + 1);
    expect(s.memoryPeaks.percentile(1)).toBe(end(500 * Mi));
    // a second OOM bumps from the usage peak again (400Mi), not from the first OOM's 500Mi
    s.recordOom(T0 + 2 * MIN, 300 * Mi);
    expect(s.memoryPeaks.percentile(1)).toBe(end(500 * Mi));
  });

  it('discards an OOM older than the last memory sample by more than the 24 h aggregation interval', () => {
    const s = new ContainerUsageState();
    s.addMemorySample(90 * Mi, T0 + 2 * DAY);
    expect(s.recordOom(T0, 50 * Mi)).toBe(false);
  });
});

describe('policy', () => {
  const vpa = (policy: object): VerticalPodAutoscaler =>
    ({ apiVersion: 'autoscaling.k8s.io/v1', kind: 'VerticalPodAutoscaler', metadata: { name: 'v' }, spec: { targetRef: { kind: 'Deployment', name: 'd' }, resourcePolicy: { containerPolicies: [policy] } }, status: {} }) as VerticalPodAutoscaler;
  const estimate = { target: { cpu: 371, memory: 600_000_000 }, lowerBound: { cpu: 275, memory: 500_000_000 }, upperBound: { cpu: 59_731, memory: 9e10 } };

  it('caps target and bounds to [minAllowed, maxAllowed], uncappedTarget not', () => {
    const r = containerRecommendation(vpa({ containerName: '*', minAllowed: { cpu: '300m' }, maxAllowed: { cpu: '1', memory: '500Mi' } }), 'app', estimate)!;
    expect(r).toEqual({
      containerName: 'app',
      target: { cpu: '371m', memory: '524288k' },
      lowerBound: { cpu: '300m', memory: '500M' },
      upperBound: { cpu: '1', memory: '524288k' },
      uncappedTarget: { cpu: '371m', memory: '600M' },
    });
  });

  it('controls only the listed resources, and none for mode Off', () => {
    expect(Object.keys(containerRecommendation(vpa({ containerName: 'app', controlledResources: ['cpu'] }), 'app', estimate)!.target)).toEqual(['cpu']);
    expect(containerRecommendation(vpa({ containerName: 'app', mode: 'Off' }), 'app', estimate)).toBeUndefined();
  });

  it('caps by the quantity, memory in bytes', () => {
    expect(capToPolicy('memory', 1e9, { maxAllowed: { memory: '512Mi' } })).toBe(512 * 2 ** 20);
    expect(capToPolicy('cpu', 10, { minAllowed: { cpu: '100m' } })).toBe(100);
  });
});

describe('checkpoints (upstream SaveToCheckpoint / LoadFromCheckpoint, version v3)', () => {
  it('saves bucket weights scaled so the largest is 10000, and loads them back to the same total and proportions', () => {
    const h = new Histogram(CPU_BUCKETS);
    h.addSample(0.3, 3);
    h.addSample(0.5, 1.5);
    const c = h.saveToCheckpoint();
    expect(c).toEqual({ bucketWeights: { '18': 10000, '25': 5000 }, totalWeight: 4.5 });
    const back = new Histogram(CPU_BUCKETS);
    back.loadFromCheckpoint(c);
    expect(back.totalWeight).toBe(4.5);
    expect([0.5, 0.7, 0.95].map((p) => back.percentile(p))).toEqual([0.5, 0.7, 0.95].map((p) => h.percentile(p)));
    expect(() => back.loadFromCheckpoint({ bucketWeights: { '500': 1 }, totalWeight: 1 })).toThrow(RangeError);
  });

  it('restores a container state whose estimate is the one saved, and refuses another version', () => {
    const s = new ContainerUsageState();
    for (let i = 0; i < 30; i++) {
      s.addCpuSample(0.2 + (i % 5) * 0.05, 0.1, T0 + i * MIN);
      s.addMemorySample((100 + i) * 2 ** 20, T0 + i * MIN);
    }
    const saved = s.saveToCheckpoint();
    expect(saved).toMatchObject({ version: 'v3', totalSamplesCount: 30, firstSampleStart: '2027-01-15T08:00:00Z', lastSampleStart: '2027-01-15T08:29:00Z' });
    expect(saved.cpuHistogram?.referenceTimestamp).toMatch(/^\d{4}-\d\d-\d\dT00:00:00Z$/);
    const restored = ContainerUsageState.fromCheckpoint(JSON.parse(JSON.stringify(saved)) as typeof saved);
    expect(estimateContainer(restored, 1)).toEqual(estimateContainer(s, 1));
    expect(() => ContainerUsageState.fromCheckpoint({ ...saved, version: 'v2' })).toThrow('unsupported checkpoint version v2');
  });
});
