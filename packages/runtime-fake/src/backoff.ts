/**
 * The container restart back-off (CrashLoopBackOff), as the kubelet's `flowcontrol.Backoff`:
 * initial 10 s, doubling, capped at 300 s, and forgotten when two exits are more than
 * 2 × 300 s = 10 minutes apart (a container that ran for 10 minutes starts over at 10 s).
 *
 * Worked example for a container that crashes 1 s after every start, first started at 0 s:
 * exits at 1 s → restarts at once (the entry is created with 10 s); exits at 2 s → waits
 * 10 s, restarts at 12 s (entry 20 s); exits at 13 s → waits 20 s, restarts at 33 s; then 40,
 * 80, 160, 300, 300 … seconds.
 *
 * @module
 */

/** The first back-off: 10 s (kubelet `backOffPeriod`). */
export const BACKOFF_INITIAL_MS = 10_000;
/** The cap: 300 s (kubelet `MaxContainerBackOff`). */
export const BACKOFF_MAX_MS = 300_000;

/** A container's back-off entry: the delay now in force and the exit it was computed at. */
export interface BackoffEntry {
  /** The delay a further exit must wait out, in ms. */
  readonly delayMs: number;
  /** The exit time (ms) the entry was last updated at. */
  readonly lastExitAt: number;
}

/** What to do with an exited container that the restart policy says should restart. */
export type BackoffDecision =
  /** Still backing off: wait (reason `CrashLoopBackOff`) until `until`. */
  | { readonly kind: 'wait'; readonly until: number; readonly delayMs: number }
  /** Restart now, with the updated entry. */
  | { readonly kind: 'restart'; readonly entry: BackoffEntry };

/** Whether `entry` is stale for an exit at `exitedAt` (more than twice the cap since its last update). */
function expired(entry: BackoffEntry, exitedAt: number, maxMs: number): boolean {
  return exitedAt - entry.lastExitAt > 2 * maxMs;
}

/**
 * Decides, at `now`, about a container that exited at `exitedAt` with back-off `entry`
 * (upstream `doBackOff`: `IsInBackOffSince`, then `Next`).
 *
 * Guarantees: pure; a `wait` always has `until > now`; the delay of a `restart` entry is
 * `initialMs` for a new or stale entry, else `min(2 × previous, maxMs)`.
 *
 * @example
 * ```ts
 * backoffStep(undefined, 1_000, 1_000);                          // restart, entry { delayMs: 10_000, lastExitAt: 1_000 }
 * backoffStep({ delayMs: 10_000, lastExitAt: 1_000 }, 2_000, 2_000);  // wait until 12_000
 * backoffStep({ delayMs: 10_000, lastExitAt: 1_000 }, 2_000, 12_000); // restart, entry { delayMs: 20_000, lastExitAt: 2_000 }
 * ```
 */
export function backoffStep(
  entry: BackoffEntry | undefined,
  exitedAt: number,
  now: number,
  initialMs = BACKOFF_INITIAL_MS,
  maxMs = BACKOFF_MAX_MS,
): BackoffDecision {
  if (entry !== undefined && !expired(entry, exitedAt, maxMs) && now - exitedAt < entry.delayMs) {
    return { kind: 'wait', until: exitedAt + entry.delayMs, delayMs: entry.delayMs };
  }
  const delayMs = entry === undefined || expired(entry, exitedAt, maxMs) ? initialMs : Math.min(entry.delayMs * 2, maxMs);
  return { kind: 'restart', entry: { delayMs, lastExitAt: exitedAt } };
}
