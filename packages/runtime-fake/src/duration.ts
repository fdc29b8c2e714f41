/**
 * Go-style durations (`500ms`, `10s`, `1m30s`, `2h`), as kubectl and the kubelet flags write them.
 *
 * @module
 */
import { RuntimeFakeError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

/**
 * Parses a Go-style duration into milliseconds: one or more `<number><unit>` parts with units
 * `ms`, `s`, `m`, `h` (`1m30s` is 90 000). A bare `0` is zero.
 *
 * Errors: {@link RuntimeFakeError} `invalid-duration` for anything else (negative numbers, no
 * unit, unknown units).
 *
 * @example
 * ```ts
 * parseDuration('1m30s'); // 90_000
 * parseDuration('250ms'); // 250
 * ```
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(s); m !== null; m = PART.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = PART.lastIndex;
  }
  if (s === '' || consumed !== s.length) {
    throw new RuntimeFakeError('invalid-duration', `invalid duration "${text}": want e.g. 500ms, 10s, 1m30s`);
  }
  return Math.round(total);
}

/** Formats milliseconds the way the kubelet prints durations in events (`2.5s`, `1m30s`, `500ms`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const m = Math.floor(ms / 60_000);
  const rest = ms - m * 60_000;
  return rest === 0 ? `${m}m0s` : `${m}m${Number((rest / 1000).toFixed(3))}s`;
}
