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
