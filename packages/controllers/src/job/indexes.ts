/**
 * Sets of completion indexes as ordered, disjoint intervals — upstream's `orderedIntervals`
 * (`pkg/controller/job/indexed_job_utils.go`), the form of `status.completedIndexes`,
 * `status.failedIndexes` and a success policy's `succeededIndexes`.
 *
 * @module
 */

/** An inclusive interval of completion indexes, `first ≤ last`. */
export interface IndexInterval {
  /** The lowest index. */
  readonly first: number;
  /** The highest index (inclusive). */
  readonly last: number;
}

/**
 * A set of completion indexes as sorted intervals that neither overlap nor touch
 * (`[{0,0},{2,4}]` is `0,2-4`).
 */
export type OrderedIntervals = readonly IndexInterval[];

/**
 * Parses the compressed text form (`1,3-5,7`) into intervals, keeping only indexes below
 * `completions`, as upstream `parseIndexesFromString`: an unparsable item is skipped, an
 * interval reaching past `completions - 1` is cut there, and adjacent items merge (`1,2` →
 * `{1,2}`). The input is assumed sorted, as the controller writes it.
 *
 * @example
 * ```ts
 * parseIndexes('1,3-5,7', 6); // [{first:1,last:1},{first:3,last:5}]
 * ```
 */
export function parseIndexes(text: string | undefined, completions: number): OrderedIntervals {
  if (text === undefined || text === '') return [];
  const out: IndexInterval[] = [];
  for (const item of text.split(',')) {
    const limits = item.split('-');
    const first = parseIndex(limits[0]);
    if (first === undefined || limits.length > 2) continue;
    if (first >= completions) break;
    let last = limits.length === 2 ? parseIndex(limits[1]) : first;
    if (last === undefined || last < first) continue;
    if (last >= completions) last = completions - 1;
    const previous = out[out.length - 1];
    if (previous !== undefined && first <= previous.last + 1) {
      if (last > previous.last) out[out.length - 1] = { first: previous.first, last };
    } else {
      out.push({ first, last });
    }
  }
  return out;
}

function parseIndex(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The text form, as upstream `orderedIntervals.String()`: one index alone, two adjacent ones
 * with a comma, three or more as a range.
 *
 * @example
 * ```ts
 * formatIndexes([{ first: 0, last: 1 }, { first: 3, last: 5 }, { first: 7, last: 7 }]); // '0,1,3-5,7'
 * ```
 */
export function formatIndexes(intervals: OrderedIntervals): string {
  const parts: string[] = [];
  for (const { first, last } of intervals) {
    if (last === first) parts.push(String(first));
    else if (last === first + 1) parts.push(`${first},${last}`);
    else parts.push(`${first}-${last}`);
  }
  return parts.join(',');
}

/** How many indexes the intervals hold. */
export function countIndexes(intervals: OrderedIntervals): number {
  let n = 0;
  for (const { first, last } of intervals) n += last - first + 1;
  return n;
}

/** Whether `index` is in the intervals (binary search). */
export function hasIndex(intervals: OrderedIntervals, index: number): boolean {
  let lo = 0;
  let hi = intervals.length;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    if (intervals[mid]!.last >= index) hi = mid;
    else lo = mid + 1;
  }
  return hi < intervals.length && intervals[hi]!.first <= index;
}

/** The union of two interval sets (upstream `merge`). */
export function mergeIndexes(a: OrderedIntervals, b: OrderedIntervals): OrderedIntervals {
  const all = [...a, ...b].sort((x, y) => x.first - y.first);
  const out: IndexInterval[] = [];
  for (const i of all) {
    const previous = out[out.length - 1];
    if (previous !== undefined && i.first <= previous.last + 1) {
      if (i.last > previous.last) out[out.length - 1] = { first: previous.first, last: i.last };
    } else {
      out.push(i);
    }
  }
  return out;
}

/** The intervals with `indexes` added (upstream `withOrderedIndexes`; `indexes` in any order). */
export function withIndexes(intervals: OrderedIntervals, indexes: Iterable<number>): OrderedIntervals {
  const added = [...indexes].sort((x, y) => x - y).map((i) => ({ first: i, last: i }));
  return added.length === 0 ? intervals : mergeIndexes(intervals, added);
}
