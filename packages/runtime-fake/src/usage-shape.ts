/**
 * Usage over virtual time: the values of the `kubeloop.dev/cpu-usage` and
 * `kubeloop.dev/memory-usage` annotations, as shapes of time measured from the container's start.
 *
 * | value | meaning |
 * |---|---|
 * | `300m` | constant (any quantity; the form every earlier manifest uses) |
 * | `ramp(from=100m, to=900m, over=5m)` | 100m at the start, rising linearly to 900m at 5 min, then 900m |
 * | `ramp(from=100m, to=900m, over=5m, after=1m)` | 100m for 1 min, then the same ramp (900m from 6 min on) |
 * | `steps(0s=100m, 2m=500m, 5m=200m)` | 100m, 500m from 2 min, 200m from 5 min on |
 * | `curve(0s=100m, 1m=800m, 3m=200m)` | through the points, linear between them, the last value after |
 *
 * Times are durations (`90s`, `1m30s`); values are quantities (millicores for CPU, bytes for
 * memory). The points of `steps` and `curve` start at `0s` and strictly increase in time.
 *
 * Guarantees: a shape is a plain frozen value; {@link usageAt}, {@link usageIntegral} and
 * {@link firstTimeAbove} are pure and exact for these piecewise-linear functions.
 *
 * @module
 */
import { parseDuration, tryParseQuantity } from '@kubeloop/core';
import { RuntimeFakeError } from './errors.js';

/** One point of a {@link UsageShape}: `value` at `atMs` after the container's start. */
export interface UsagePoint {
  /** Ms after the container's start. */
  readonly atMs: number;
  /** Millicores (CPU) or bytes (memory). */
  readonly value: number;
}

/**
 * A usage over time: `points` (the first at 0 ms, strictly increasing in time) joined by
 * `interpolation` — `step` holds each value until the next point, `linear` draws a straight
 * line to it. After the last point the last value holds.
 */
export interface UsageShape {
  /** The form it was written in. */
  readonly kind: 'constant' | 'ramp' | 'steps' | 'curve';
  /** The points, the first at 0 ms. */
  readonly points: readonly UsagePoint[];
  /** How the value goes from one point to the next. */
  readonly interpolation: 'step' | 'linear';
}

function invalid(reason: string): never {
  throw new RuntimeFakeError('invalid-usage', reason);
}

function valueOf(text: string, milli: boolean): number {
  const q = tryParseQuantity(text.trim());
  if (q === undefined || q.sign() < 0) invalid(`${JSON.stringify(text.trim())} is not a non-negative quantity`);
  return milli ? q.milliValue() : q.value();
}

function timeOf(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    return invalid(`${JSON.stringify(text.trim())} is not a duration (want a form like 30s or 1m30s)`);
  }
}

function pairs(args: string): [string, string][] {
  if (args.trim() === '') invalid('no arguments');
  return args.split(',').map((item) => {
    const eq = item.indexOf('=');
    if (eq < 0) invalid(`${JSON.stringify(item.trim())} is not of the form key=value`);
    return [item.slice(0, eq).trim(), item.slice(eq + 1).trim()];
  });
}

function rampOf(args: string, milli: boolean): UsageShape {
  const given = new Map<string, string>();
  for (const [k, v] of pairs(args)) {
    if (!['from', 'to', 'over', 'after'].includes(k)) invalid(`unknown ramp argument ${JSON.stringify(k)} (want from, to, over and optionally after)`);
    if (given.has(k)) invalid(`duplicate ramp argument ${JSON.stringify(k)}`);
    given.set(k, v);
  }
  for (const k of ['from', 'to', 'over']) if (!given.has(k)) invalid(`ramp needs ${k}=`);
  const from = valueOf(given.get('from')!, milli);
  const to = valueOf(given.get('to')!, milli);
  const over = timeOf(given.get('over')!);
  const after = given.has('after') ? timeOf(given.get('after')!) : 0;
  if (over <= 0) invalid('ramp needs a positive over=');
  const points = after > 0 ? [{ atMs: 0, value: from }, { atMs: after, value: from }, { atMs: after + over, value: to }] : [{ atMs: 0, value: from }, { atMs: over, value: to }];
  return { kind: 'ramp', points, interpolation: 'linear' };
}

function pointsOf(kind: 'steps' | 'curve', args: string, milli: boolean): UsageShape {
  const points: UsagePoint[] = [];
  for (const [k, v] of pairs(args)) {
    const atMs = timeOf(k);
    const previous = points[points.length - 1];
    if (previous === undefined && atMs !== 0) invalid(`the first point of ${kind} must be at 0s`);
    if (previous !== undefined && atMs <= previous.atMs) invalid(`the times of ${kind} must increase (${JSON.stringify(k)} is not after the point before it)`);
    points.push({ atMs, value: valueOf(v, milli) });
  }
  return { kind, points, interpolation: kind === 'steps' ? 'step' : 'linear' };
}

/**
 * Parses an annotation value (see the module's table). `milli`: values in millicores (CPU),
 * else in bytes (memory).
 *
 * Errors: {@link RuntimeFakeError} `invalid-usage` with a lowercase reason
 * (`the first point of steps must be at 0s`, `"x" is not a non-negative quantity`, …).
 *
 * @example
 * ```ts
 * parseUsageShape('ramp(from=100m, to=900m, over=5m)', true).points;
 * // [{ atMs: 0, value: 100 }, { atMs: 300_000, value: 900 }]
 * ```
 */
export function parseUsageShape(text: string, milli: boolean): UsageShape {
  const m = /^\s*([a-z]+)\s*\((.*)\)\s*$/s.exec(text);
  let shape: UsageShape;
  if (m === null) shape = { kind: 'constant', points: [{ atMs: 0, value: valueOf(text, milli) }], interpolation: 'step' };
  else if (m[1] === 'ramp') shape = rampOf(m[2]!, milli);
  else if (m[1] === 'steps' || m[1] === 'curve') shape = pointsOf(m[1], m[2]!, milli);
  else invalid(`unknown shape ${JSON.stringify(m[1])} (want a quantity, ramp(...), steps(...) or curve(...))`);
  return Object.freeze({ ...shape, points: Object.freeze(shape.points.map((p) => Object.freeze(p))) });
}

/** The index of the last point at or before `t` (0 before the first). */
function segmentAt(points: readonly UsagePoint[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (points[mid]!.atMs <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The value `elapsedMs` after the container's start (the first value before it).
 *
 * @example
 * ```ts
 * usageAt(parseUsageShape('ramp(from=100m, to=900m, over=5m)', true), 150_000); // 500
 * ```
 */
export function usageAt(shape: UsageShape, elapsedMs: number): number {
  const { points } = shape;
  const i = segmentAt(points, elapsedMs);
  const p = points[i]!;
  const next = points[i + 1];
  if (shape.interpolation === 'step' || next === undefined || elapsedMs <= p.atMs) return p.value;
  return p.value + ((next.value - p.value) * (elapsedMs - p.atMs)) / (next.atMs - p.atMs);
}

/** ∫ min(a + (b − a)·x/len, cap) dx over [0, len]: a straight piece clipped at `cap`. */
function clippedPiece(a: number, b: number, len: number, cap: number): number {
  if (len <= 0) return 0;
  if (a <= cap && b <= cap) return ((a + b) / 2) * len;
  if (a >= cap && b >= cap) return cap * len;
  const x = (len * (cap - a)) / (b - a);
  return a < cap ? ((a + cap) / 2) * x + cap * (len - x) : cap * x + ((cap + b) / 2) * (len - x);
}

/**
 * ∫ min(shape(t) + `offset`, `cap`) dt over [`fromMs`, `toMs`] of elapsed time, in value·ms
 * (millicore·ms for CPU: 1 millicore·ms is 1 000 core-nanoseconds). `cap` is the CPU limit
 * (`Infinity` for none): the CFS quota throttles above it.
 *
 * @example
 * ```ts
 * // a ramp 0 → 1000m over 10 s, capped at 500m, from 0 to 10 s: 1.25 + 2.5 core-seconds
 * usageIntegral(parseUsageShape('ramp(from=0, to=1, over=10s)', true), 0, 500, 0, 10_000); // 3_750_000
 * ```
 */
export function usageIntegral(shape: UsageShape, offset: number, cap: number, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  const { points } = shape;
  let total = 0;
  let t = fromMs;
  while (t < toMs) {
    const i = segmentAt(points, t);
    const next = points[i + 1];
    const end = next === undefined || next.atMs <= t ? toMs : Math.min(toMs, next.atMs);
    const a = usageAt(shape, t) + offset;
    // A step holds its value up to the next point; a line reaches the next point's value there.
    const b = shape.interpolation === 'step' ? a : usageAt(shape, end) + offset;
    total += clippedPiece(a, b, end - t, cap);
    t = end;
  }
  return total;
}

/**
 * The first whole millisecond after the start at which the shape, rounded down to whole units,
 * is above `limit` — when a memory shape passes the container's memory limit (the OOM kill);
 * undefined when it never is.
 *
 * @example
 * ```ts
 * // 100 MiB rising to 200 MiB over 100 s passes a 150 MiB limit just after 50 s
 * firstTimeAbove(parseUsageShape('ramp(from=100Mi, to=200Mi, over=100s)', false), 150 * 2 ** 20); // 50_001
 * ```
 */
export function firstTimeAbove(shape: UsageShape, limit: number): number | undefined {
  const { points } = shape;
  const above = (t: number): boolean => Math.floor(usageAt(shape, t)) > limit;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const next = points[i + 1];
    if (Math.floor(p.value) > limit) return p.atMs;
    if (next === undefined || shape.interpolation === 'step' || Math.floor(next.value) <= limit) continue;
    // A rising line crosses inside (p.atMs, next.atMs]: solve, then settle on whole ms.
    let t = Math.min(next.atMs, Math.max(p.atMs + 1, p.atMs + Math.ceil(((limit + 1 - p.value) * (next.atMs - p.atMs)) / (next.value - p.value))));
    while (t > p.atMs + 1 && above(t - 1)) t--;
    while (t < next.atMs && !above(t)) t++;
    return t;
  }
  return undefined;
}
