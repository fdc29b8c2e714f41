/**
 * Durations as Kubernetes tools write them (`90s`, `1h30m`, `500ms`, `1.5s`): Go's
 * `time.ParseDuration`, the syntax of kubectl's and the kubelet's duration flags. One parser for
 * every package: the CLI's `--for` and scenario steps, the fake runtime's behavior annotations.
 *
 * @module
 */

/**
 * Why a text is not a duration:
 *
 * - `invalid`: not shaped like a duration at all (empty, `soon`, a unit without a number), or
 *   beyond Go's range (about 292 years);
 * - `missing-unit`: a number without its unit (`10`);
 * - `unknown-unit`: a unit Go does not know (`2x`, `1h 30m` has the unit `h `), or `d` where
 *   days are not allowed;
 * - `negative`: a negative length (`-5s`), which Go accepts but no kubeloop duration means.
 */
export type DurationErrorCode = 'invalid' | 'missing-unit' | 'unknown-unit' | 'negative';

/**
 * A text that is not a duration. The message names the input and says what is wrong, in Go's
 * words without its `time: ` prefix (`unknown unit "x" in duration "2x"`).
 *
 * @example
 * ```ts
 * try { parseDuration('10'); }
 * catch (e) { if (e instanceof DurationError && e.code === 'missing-unit') { ... } }
 * ```
 */
export class DurationError extends Error {
  /** What is wrong with the text. */
  readonly code: DurationErrorCode;
  /** The text that failed to parse, as given. */
  readonly input: string;

  constructor(code: DurationErrorCode, input: string, message: string) {
    super(message);
    this.name = 'DurationError';
    this.code = code;
    this.input = input;
  }
}

/** How {@link parseDuration} reads. */
export interface ParseDurationOptions {
  /**
   * Accept `d` for days of 24 hours (`2d12h`), which Go does not. The `kubeloop` command line
   * allows it; manifests and annotations, read by Go tools upstream, do not.
   */
  readonly days?: boolean | undefined;
}

const SECOND = 1_000_000_000n;
/** Nanoseconds per unit, as Go's `unitMap` (`µs` and `μs` are the micro sign and the Greek mu). */
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n],
  ['μs', 1_000n],
  ['ms', 1_000_000n],
  ['s', SECOND],
  ['m', 60n * SECOND],
  ['h', 3_600n * SECOND],
]);
const DAY = 86_400n * SECOND;
/** Go's range: an int64 of nanoseconds. */
const MAX_NANOS = (1n << 63n) - 1n;
const NANOS_PER_MS = 1_000_000n;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Reads a duration as Go's `time.ParseDuration` does and returns it in whole milliseconds
 * (rounded half up; `1.5s` is exactly 1500, `1500us` is 2). The syntax: an optional sign, then
 * one or more `<number><unit>` parts, each number decimal with an optional fraction (`1.5h`,
 * `.5m`, `2.s`), units `ns`, `us` (`µs`), `ms`, `s`, `m`, `h` (and `d` with `days`); a bare `0`
 * is zero. The arithmetic is exact: `0.1s0.2s` is 300 ms.
 *
 * Two departures from Go, both on the side of the callers: surrounding whitespace is ignored, and
 * a negative duration is an error (kubeloop's durations are timeouts, delays and run times).
 *
 * @example
 * ```ts
 * parseDuration('90s');                   // 90_000
 * parseDuration('1h30m');                 // 5_400_000
 * parseDuration('1.5s');                  // 1_500
 * parseDuration('2d', { days: true });    // 172_800_000
 * parseDuration('2x');                    // throws DurationError: unknown unit "x" in duration "2x" ...
 * ```
 *
 * @throws {@link DurationError} with the {@link DurationErrorCode} of the first problem.
 */
export function parseDuration(text: string, options?: ParseDurationOptions): number {
  const units = options?.days === true ? 'ns, us, ms, s, m, h, d' : 'ns, us, ms, s, m, h';
  const fail = (code: DurationErrorCode, message: string): never => {
    throw new DurationError(code, text, message);
  };
  const invalid = (): never => fail('invalid', `invalid duration ${JSON.stringify(text)} (want a form like 500ms, 90s or 1h30m)`);
  let s = text.trim();
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') invalid();
  let total = 0n;
  let i = 0;
  while (i < s.length) {
    const wholeStart = i;
    while (isDigit(s[i])) i++;
    const whole = s.slice(wholeStart, i);
    let fraction = '';
    if (s[i] === '.') {
      const fractionStart = ++i;
      while (isDigit(s[i])) i++;
      fraction = s.slice(fractionStart, i);
    }
    if (whole === '' && fraction === '') invalid();
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    const unit = s.slice(unitStart, i);
    if (unit === '') fail('missing-unit', `missing unit in duration ${JSON.stringify(text)} (units: ${units})`);
    const scale = unit === 'd' && options?.days === true ? DAY : UNITS.get(unit);
    if (scale === undefined) fail('unknown-unit', `unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)} (units: ${units})`);
    // Go truncates what is finer than a nanosecond.
    total += BigInt(whole === '' ? '0' : whole) * scale!;
    if (fraction !== '') total += (BigInt(fraction) * scale!) / 10n ** BigInt(fraction.length);
    if (total > MAX_NANOS) invalid();
  }
  if (negative && total > 0n) fail('negative', `invalid duration ${JSON.stringify(text)}: must not be negative`);
  return Number((total + NANOS_PER_MS / 2n) / NANOS_PER_MS);
}
