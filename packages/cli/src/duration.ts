/**
 * Durations on the command line (`90s`, `2m`, `1h30m`) and ages in tables, as kubectl shows
 * them (pure).
 *
 * @module
 */
import { parseDuration } from '@kubeloop/core';

/**
 * Reads a duration of the command line or of a scenario (`--for 90s`, `advance: 2m`): core's
 * `parseDuration` (Go's `time.ParseDuration`, the form kubectl flags take) with `d` for days
 * added. Whole milliseconds.
 *
 * @throws core's `DurationError`, whose message names the input and the accepted units.
 */
export function parseCliDuration(text: string): number {
  return parseDuration(text, { days: true });
}

/**
 * Formats an age as kubectl's AGE column does (apimachinery's `duration.HumanDuration`):
 * seconds below 2 minutes, minutes and seconds below 10 minutes, minutes below 3 hours, hours
 * and minutes below 8 hours, hours below 2 days, then days and years.
 *
 * @example
 * ```ts
 * humanDuration(90_000);     // '90s'
 * humanDuration(330_000);    // '5m30s'
 * humanDuration(12_600_000); // '3h30m'
 * ```
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}
