/**
 * Durations on the command line (`90s`, `2m`, `1h30m`) and ages in tables, as kubectl shows
 * them (pure).
 *
 * @module
 */

/** A duration string the command could not read; the message says why. */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads a duration as Go's `time.ParseDuration` does (the form `kubectl` flags take), with `d`
 * for days added: one or more `<number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`, numbers
 * possibly decimal. A bare `0` is zero. The result is whole milliseconds (rounded).
 *
 * @example
 * ```ts
 * parseDuration('90s');   // 90_000
 * parseDuration('1h30m'); // 5_400_000
 * parseDuration('1.5s');  // 1_500
 * ```
 *
 * @throws {@link DurationError} for an empty string, a number without a unit, an unknown unit
 * or a negative duration.
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '') throw new DurationError('empty duration; use a form like 90s, 2m or 1h30m');
  const part = /(\d+(?:\.\d+)?|\.\d+)([a-z]+)/gy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(input); m !== null; m = part.exec(input)) {
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) throw new DurationError(`unknown unit "${m[2]}" in duration "${text}" (units: ms, s, m, h, d)`);
    total += Number(m[1]) * unit;
    end = part.lastIndex;
  }
  if (end !== input.length || end === 0) throw new DurationError(`invalid duration "${text}"; use a form like 90s, 2m or 1h30m`);
  return Math.round(total);
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
