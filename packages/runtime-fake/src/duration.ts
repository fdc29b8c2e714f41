/**
 * Durations as the kubelet prints them in events. Reading durations is core's `parseDuration`
 * (Go's `time.ParseDuration`).
 *
 * @module
 */

/** Formats milliseconds the way the kubelet prints durations in events (`2.5s`, `1m30s`, `500ms`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const m = Math.floor(ms / 60_000);
  const rest = ms - m * 60_000;
  return rest === 0 ? `${m}m0s` : `${m}m${Number((rest / 1000).toFixed(3))}s`;
}
