import { describe, expect, it } from 'vitest';
import { RuntimeFakeError } from './errors.js';
import { firstTimeAbove, parseUsageShape, usageAt, usageIntegral } from './usage-shape.js';

const Mi = 2 ** 20;

describe('parseUsageShape', () => {
  it.each([
    ['300m', true, 'constant', [[0, 300]]],
    ['64Mi', false, 'constant', [[0, 64 * Mi]]],
    ['ramp(from=100m, to=900m, over=5m)', true, 'ramp', [[0, 100], [300_000, 900]]],
    ['ramp(from=100m,to=900m,over=5m,after=1m)', true, 'ramp', [[0, 100], [60_000, 100], [360_000, 900]]],
    ['steps(0s=100m, 2m=500m, 5m=200m)', true, 'steps', [[0, 100], [120_000, 500], [300_000, 200]]],
    ['curve(0s=100m, 1m=800m, 3m=200m)', true, 'curve', [[0, 100], [60_000, 800], [180_000, 200]]],
    ['curve(0=1, 1m30s=2)', true, 'curve', [[0, 1000], [90_000, 2000]]],
  ] as const)('reads %s', (text, milli, kind, points) => {
    const shape = parseUsageShape(text, milli);
    expect(shape.kind).toBe(kind);
    expect(shape.points.map((p) => [p.atMs, p.value])).toEqual(points);
  });

  it.each([
    ['abc', '"abc" is not a non-negative quantity'],
    ['-5m', '"-5m" is not a non-negative quantity'],
    ['wave(a=1)', 'unknown shape "wave" (want a quantity, ramp(...), steps(...) or curve(...))'],
    ['ramp(to=1)', 'ramp needs from='],
    ['ramp(from=1, to=2, over=0s)', 'ramp needs a positive over='],
    ['ramp(from=1, to=2, over=5m, by=3)', 'unknown ramp argument "by" (want from, to, over and optionally after)'],
    ['ramp(from=1, from=2, to=2, over=5m)', 'duplicate ramp argument "from"'],
    ['ramp(from=1, to=2, over=soon)', '"soon" is not a duration (want a form like 30s or 1m30s)'],
    ['steps(1m=100m)', 'the first point of steps must be at 0s'],
    ['curve(0s=1, 2m=2, 1m=3)', 'the times of curve must increase ("1m" is not after the point before it)'],
    ['steps()', 'no arguments'],
    ['steps(0s)', '"0s" is not of the form key=value'],
  ])('refuses %s: %s', (text, reason) => {
    expect(() => parseUsageShape(text, true)).toThrow(new RuntimeFakeError('invalid-usage', reason));
  });
});

describe('usageAt', () => {
  const ramp = parseUsageShape('ramp(from=100m, to=900m, over=5m, after=1m)', true);
  const steps = parseUsageShape('steps(0s=100m, 2m=500m, 5m=200m)', true);
  const curve = parseUsageShape('curve(0s=100m, 1m=800m, 3m=200m)', true);
  it.each([
    ['ramp before it starts', ramp, 30_000, 100],
    ['ramp at its start', ramp, 60_000, 100],
    ['ramp half way', ramp, 210_000, 500],
    ['ramp at its end', ramp, 360_000, 900],
    ['ramp after its end', ramp, 3_600_000, 900],
    ['steps before the second', steps, 119_999, 100],
    ['steps at the second', steps, 120_000, 500],
    ['steps after the last', steps, 400_000, 200],
    ['curve rising', curve, 30_000, 450],
    ['curve falling', curve, 120_000, 500],
    ['curve after the last point', curve, 600_000, 200],
    ['any shape before the start', curve, -5, 100],
  ])('%s', (_name, shape, t, value) => {
    expect(usageAt(shape, t)).toBeCloseTo(value, 9);
  });
});

describe('usageIntegral (millicore·ms)', () => {
  it.each([
    // 300m for 10 s: 3 core-seconds
    ['a constant', '300m', 0, Infinity, 0, 10_000, 3_000_000],
    // a load of 200m on top
    ['a constant plus load', '300m', 200, Infinity, 0, 10_000, 5_000_000],
    // capped at a 250m limit
    ['a constant above its limit', '300m', 0, 250, 0, 10_000, 2_500_000],
    // 0 → 1000m over 10 s: the triangle, 5 core-seconds
    ['a ramp', 'ramp(from=0, to=1, over=10s)', 0, Infinity, 0, 10_000, 5_000_000],
    // the same capped at 500m: 1.25 below the cap, 2.5 at it
    ['a ramp crossing its limit', 'ramp(from=0, to=1, over=10s)', 0, 500, 0, 10_000, 3_750_000],
    // only the part from 5 s to 20 s: 3.75 on the ramp, 10 after it
    ['a window across the ramp end', 'ramp(from=0, to=1, over=10s)', 0, Infinity, 5_000, 20_000, 13_750_000],
    // 100m for 2 min, 500m for 1 min
    ['steps', 'steps(0s=100m, 2m=500m)', 0, Infinity, 0, 180_000, 12_000_000 + 30_000_000],
    // falling line 800m → 200m over 2 min, capped at 500m: 1 min at 500, then 500→200 over 1 min
    ['a falling curve under a limit', 'curve(0s=800m, 2m=200m)', 0, 500, 0, 120_000, 30_000_000 + 21_000_000],
    ['an empty window', '300m', 0, Infinity, 5_000, 5_000, 0],
  ] as const)('%s', (_name, text, offset, cap, from, to, expected) => {
    expect(usageIntegral(parseUsageShape(text, true), offset, cap, from, to)).toBeCloseTo(expected, 3);
  });

  it('is additive over adjacent windows', () => {
    const shape = parseUsageShape('curve(0s=100m, 1m=800m, 3m=200m)', true);
    const whole = usageIntegral(shape, 50, 700, 0, 240_000);
    const parts = [0, 17_000, 60_000, 61_234, 179_999, 240_000];
    let sum = 0;
    for (let i = 1; i < parts.length; i++) sum += usageIntegral(shape, 50, 700, parts[i - 1]!, parts[i]!);
    expect(sum).toBeCloseTo(whole, 3);
  });
});

describe('firstTimeAbove', () => {
  it.each([
    ['a constant above the limit', '200Mi', 128 * Mi, 0],
    ['a constant at the limit', '128Mi', 128 * Mi, undefined],
    // 100 Mi + (100 Mi / 100 s)·t > 150 Mi just after 50 s
    ['a ramp crossing it', 'ramp(from=100Mi, to=200Mi, over=100s)', 150 * Mi, 50_001],
    ['a ramp ending at it', 'ramp(from=100Mi, to=150Mi, over=100s)', 150 * Mi, undefined],
    ['steps jumping over it', 'steps(0s=100Mi, 2m=300Mi)', 150 * Mi, 120_000],
    ['a curve over it and back', 'curve(0s=0, 1m=200Mi, 2m=0)', 100 * Mi, 30_001],
  ] as const)('%s', (_name, text, limit, expected) => {
    expect(firstTimeAbove(parseUsageShape(text, false), limit)).toBe(expected);
  });

  it('is the first whole millisecond above the limit', () => {
    const shape = parseUsageShape('ramp(from=1000, to=1007, over=7s)', false);
    const t = firstTimeAbove(shape, 1003)!;
    expect(Math.floor(usageAt(shape, t))).toBeGreaterThan(1003);
    expect(Math.floor(usageAt(shape, t - 1))).toBeLessThanOrEqual(1003);
  });
});
