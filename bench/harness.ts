/**
 * The benchmark harness: each `bench/*.bench.ts` exports `figures()`, which measures and
 * returns named figures; `pnpm bench` prints them. Figures are reported, never asserted.
 */

/** One measured figure. */
export interface Figure {
  /** What was measured, e.g. `store writes/s (create+update, 10 watchers)`. */
  readonly name: string;
  /** The measured value. */
  readonly value: number;
  /** Its unit, e.g. `ops/s` or `bytes`. */
  readonly unit: string;
}

/** Runs `fn` repeatedly for at least `minMs` of wall time and returns operations per second. */
export async function opsPerSecond(opsPerCall: number, fn: () => void | Promise<void>, minMs = 1000): Promise<number> {
  // warm-up
  for (let i = 0; i < 3; i++) await fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    await fn();
    calls++;
    elapsed = performance.now() - start;
  }
  return (calls * opsPerCall) / (elapsed / 1000);
}

/** The heap's peak growth over a run, from {@link heapGrowth}. */
export interface HeapGrowth {
  /** Reads the heap now; call it at each progress point of the run. */
  sample(): void;
  /** How far the heap has grown above its size at the start, at its peak so far, in MiB. */
  peakMiB(): number;
}

/** Starts tracking the heap's peak growth (after a GC, where `--expose-gc` allows one). */
export function heapGrowth(): HeapGrowth {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  return {
    sample: () => void (peak = Math.max(peak, process.memoryUsage().heapUsed)),
    peakMiB: () => (peak - before) / 2 ** 20,
  };
}

/**
 * Advances a cluster's virtual clock `stepMs` at a time, calling `onStep` after each step
 * (e.g. a heap sample), until `count()` reaches `target` or `maxSteps` steps have passed;
 * returns the last count.
 */
export async function advanceUntil(
  cluster: { advance(ms: number): Promise<unknown> },
  options: { readonly stepMs: number; readonly maxSteps: number; readonly target: number; readonly count: () => Promise<number>; readonly onStep?: () => void },
): Promise<number> {
  let done = 0;
  for (let step = 0; step < options.maxSteps && done < options.target; step++) {
    await cluster.advance(options.stepMs);
    options.onStep?.();
    done = await options.count();
  }
  return done;
}
