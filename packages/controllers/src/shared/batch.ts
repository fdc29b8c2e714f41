/**
 * Slow-start batches (upstream `slowStartBatch`): a controller that must create many pods
 * creates 1, then 2, 4, 8, ... at a time, and stops at the first batch with an error, so a
 * quota or admission failure costs one failed request, not hundreds.
 *
 * @module
 */

/** Upstream's initial batch size (`controller.SlowStartInitialBatchSize`). */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

/** The result of {@link slowStartBatch}. */
export interface SlowStartResult {
  /** How many calls succeeded. */
  readonly successes: number;
  /** The first error of the batch that failed, if any. */
  readonly error?: unknown;
}

/**
 * Calls `fn` `count` times in batches of doubling size starting at `initialBatchSize`; the
 * calls of one batch run concurrently. Stops after the first batch in which any call failed;
 * the calls of later batches are never made.
 *
 * Worked example: `count` 10 → batches of 1, 2, 4, 3. If a call of the batch of 4 fails,
 * 3 + (calls of that batch that succeeded) succeeded and the last 3 are skipped.
 *
 * @example
 * ```ts
 * const { successes, error } = await slowStartBatch(5, 1, (i) => createPod(i));
 * const skipped = 5 - successes; // lower the expectations by this many
 * ```
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: (index: number) => Promise<void>): Promise<SlowStartResult> {
  let remaining = count;
  let successes = 0;
  let index = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const settled = await Promise.allSettled(Array.from({ length: batch }, () => fn(index++)));
    let error: unknown;
    let failed = false;
    for (const s of settled) {
      if (s.status === 'fulfilled') successes++;
      else if (!failed) {
        failed = true;
        error = s.reason;
      }
    }
    if (failed) return { successes, error };
    remaining -= batch;
  }
  return { successes };
}
