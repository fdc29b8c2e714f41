/**
 * CronJob schedules as upstream reads them: `cron.ParseStandard` of robfig/cron v3 (five
 * fields, the `@hourly`-style descriptors and `@every <duration>`), in the CronJob's
 * `spec.timeZone` (UTC when unset), with its error messages.
 *
 * The syntax check is ours, because upstream's messages are robfig's
 * (`expected exactly 5 fields, found 4: [* * * *]`, `end of range (7) above maximum (6): 7`)
 * and robfig rejects what cron libraries for JavaScript accept (`L`, `W`, `#`, seconds, day of
 * week 7). The arithmetic of schedule times is [croner](https://github.com/Hexagon/croner)'s,
 * run on wall-clock times (in UTC, so that it never consults the process's time zone or clock);
 * {@link CronSchedule.next} maps wall-clock times to instants as robfig's `SpecSchedule.Next`
 * does across daylight-saving transitions: a wall-clock time that does not exist (spring
 * forward) is skipped, and one that exists twice (fall back) is run twice.
 *
 * @module
 */
import { DurationError, parseDuration } from '@kubeloop/core';
import { Cron } from 'croner';

/**
 * Why a schedule or time zone is refused. `message` is upstream's text (robfig's parser, Go's
 * `time.LoadLocation`), as the API server's field error and the controller's events show it.
 */
export class CronScheduleError extends Error {
  /** `schedule` for the cron expression, `timeZone` for the zone. */
  readonly code: 'schedule' | 'timeZone';

  /** An error about the schedule or the time zone. */
  constructor(code: 'schedule' | 'timeZone', message: string) {
    super(message);
    this.name = 'CronScheduleError';
    this.code = code;
  }
}

/**
 * A parsed schedule in a time zone.
 *
 * Guarantees: `next` is pure and deterministic (no clock is read); like robfig it works at
 * whole seconds and looks at most five years ahead.
 */
export interface CronSchedule {
  /** The schedule as written in `spec.schedule`. */
  readonly schedule: string;
  /** The IANA zone it runs in (`UTC` when `spec.timeZone` is unset). */
  readonly timeZone: string;
  /**
   * The first schedule time strictly after `afterMs` (ms since the epoch), or undefined when
   * there is none within five years (`0 0 31 2 *`), as robfig's zero time.
   */
  next(afterMs: number): number | undefined;
}

/** The descriptors of robfig's `parseDescriptor` and the five fields each stands for. */
export const CRON_DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOW_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
/** minute, hour, day of month, month, day of week — robfig's bounds. */
const FIELDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DOW_NAMES },
];

/** Go's `strconv.Atoi` on a cron number, with robfig's wording around its error. */
function parseInt10(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new CronScheduleError('schedule', `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new CronScheduleError('schedule', `negative number (${n}) not allowed: ${expr}`);
  return n;
}

function intOrName(expr: string, bounds: Bounds): number {
  const named = bounds.names?.[expr.toLowerCase() as keyof typeof bounds.names];
  return named ?? parseInt10(expr);
}

/**
 * One comma-separated part of a field (robfig's `getRange`), checked and rewritten for croner
 * with robfig's meaning: `?` is `*`, `N/step` is `N-max/step`, and `*` with a step above 1 is
 * the explicit range (robfig then treats the field as restricted, which matters for the
 * day-of-month / day-of-week rule).
 */
function rangeFor(expr: string, bounds: Bounds): string {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    start = intOrName(lowAndHigh[0]!, bounds);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = intOrName(lowAndHigh[1]!, bounds);
    else throw new CronScheduleError('schedule', `too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseInt10(rangeAndStep[1]!);
    if (lowAndHigh.length === 1) end = bounds.max;
  } else if (rangeAndStep.length > 2) {
    throw new CronScheduleError('schedule', `too many slashes: ${expr}`);
  }
  if (start < bounds.min) throw new CronScheduleError('schedule', `beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > bounds.max) throw new CronScheduleError('schedule', `end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new CronScheduleError('schedule', `beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronScheduleError('schedule', `step of range should be a positive number: ${expr}`);
  if (star && step === 1) return '*';
  const range = start === end ? `${start}` : `${start}-${end}`;
  return step === 1 ? range : `${start}-${end}/${step}`;
}

/**
 * Checks a schedule as upstream's `cron.ParseStandard` does and returns the five fields in
 * croner's syntax with robfig's meaning, or `{ every }` (ms) for `@every <duration>`.
 *
 * @throws {@link CronScheduleError} (`schedule`) with robfig's message.
 */
function parseStandard(schedule: string): { readonly fields: string } | { readonly everyMs: number } {
  if (schedule.length === 0) throw new CronScheduleError('schedule', 'empty spec string');
  let spec = schedule;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    // robfig reads the zone prefix; upstream refuses it at validation (see validateCronSchedule).
    const space = spec.indexOf(' ');
    const zone = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    const problem = timeZoneProblem(zone);
    if (problem !== undefined) throw new CronScheduleError('schedule', `provided bad location ${zone}: ${problem}`);
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    const fields = CRON_DESCRIPTORS[spec];
    if (fields !== undefined) return { fields };
    if (spec.startsWith('@every ')) {
      const text = spec.slice('@every '.length);
      let ns: number;
      try {
        ns = parseDuration(text) * 1e6;
      } catch (error) {
        // Go's words: core's message less the hint it adds in parentheses.
        const why = (error instanceof DurationError ? error.message : String(error)).replace(/ \([^)]*\)$/, '');
        throw new CronScheduleError('schedule', `failed to parse duration ${spec}: time: ${why}`);
      }
      // robfig's Every: at least a second, truncated to whole seconds.
      const ms = Math.max(1000, Math.floor(ns / 1e9) * 1000);
      return { everyMs: ms };
    }
    throw new CronScheduleError('schedule', `unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new CronScheduleError('schedule', `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return { fields: fields.map((f, i) => f.split(',').filter((p) => p !== '').map((p) => rangeFor(p, FIELDS[i]!)).join(',')).join(' ') };
}

/**
 * Why `timeZone` is not a zone Go's `time.LoadLocation` loads (`unknown time zone Foo/Bar`),
 * or undefined when it is one. Node's `Intl` has the tz database; as Go on Linux, names are
 * case-sensitive (`america/new_york` is unknown) and `Local` is refused by the caller.
 */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone === '' || timeZone === 'UTC') return undefined;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    if (resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase()) return `unknown time zone ${timeZone}`;
    return undefined;
  } catch {
    return `unknown time zone ${timeZone}`;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The wall-clock time of instant `ms` in `timeZone`, as ms since the epoch of that wall-clock
 * time read as UTC (e.g. 2024-03-10T07:30Z in America/New_York → 2024-03-10T03:30Z).
 */
export function wallClockMs(timeZone: string, ms: number): number {
  if (timeZone === 'UTC') return ms;
  const seconds = Math.floor(ms / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(seconds))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts['year']!, parts['month']! - 1, parts['day']!, parts['hour']!, parts['minute']!, parts['second']!) + (ms - seconds);
}

/** The UTC offset (ms) of `timeZone` at instant `ms`. */
function offsetAt(timeZone: string, ms: number): number {
  return wallClockMs(timeZone, ms) - ms;
}

const DAY_MS = 86_400_000;

/**
 * The instants whose wall-clock time in `timeZone` is `wallMs`, in order: none in a
 * spring-forward gap, two in a fall-back overlap, one otherwise.
 */
export function instantsAt(timeZone: string, wallMs: number): number[] {
  const offsets = new Set([offsetAt(timeZone, wallMs - DAY_MS), offsetAt(timeZone, wallMs), offsetAt(timeZone, wallMs + DAY_MS)]);
  const out = new Set<number>();
  for (const o of offsets) if (offsetAt(timeZone, wallMs - o) === o) out.add(wallMs - o);
  return [...out].sort((a, b) => a - b);
}

/** How far a daylight-saving transition moves the wall clock, at most (Antarctica/Troll: 2 h). */
const SLACK_MS = 3 * 3_600_000;

class SpecSchedule implements CronSchedule {
  readonly #cron: Cron;

  constructor(
    readonly schedule: string,
    readonly timeZone: string,
    fields: string,
  ) {
    // A fixed zero offset: croner then does plain UTC arithmetic (with `timezone: 'UTC'` it goes
    // through Intl, ten times slower).
    this.#cron = new Cron(fields, { utcOffset: 0, mode: '5-part' });
  }

  /** The next wall-clock match strictly after wall-clock `wallMs`, within the year limit. */
  #nextWall(wallMs: number, yearLimit: number): number | undefined {
    const next = this.#cron.nextRun(new Date(wallMs))?.getTime();
    if (next === undefined || new Date(next).getUTCFullYear() > yearLimit) return undefined;
    return next;
  }

  next(afterMs: number): number | undefined {
    const tz = this.timeZone;
    const t = afterMs;
    const wall = wallClockMs(tz, t);
    const yearLimit = new Date(wall).getUTCFullYear() + 5;
    let from = wall;
    if (offsetAt(tz, t + SLACK_MS) < offsetAt(tz, t)) {
      // The clock falls back soon: a wall-clock time at or before now may come again later.
      let best: number | undefined;
      for (let w = this.#nextWall(wall - SLACK_MS - 1, yearLimit); w !== undefined && w <= wall + SLACK_MS; w = this.#nextWall(w, yearLimit)) {
        for (const i of instantsAt(tz, w)) if (i > afterMs && (best === undefined || i < best)) best = i;
      }
      if (best !== undefined) return best;
      from = wall + SLACK_MS;
    }
    for (let w = this.#nextWall(from, yearLimit); w !== undefined; w = this.#nextWall(w, yearLimit)) {
      const later = instantsAt(tz, w).filter((i) => i > afterMs);
      if (later.length > 0) return later[0];
    }
    return undefined;
  }
}

class EverySchedule implements CronSchedule {
  constructor(
    readonly schedule: string,
    readonly timeZone: string,
    readonly everyMs: number,
  ) {}

  next(afterMs: number): number {
    return Math.floor(afterMs / 1000) * 1000 + this.everyMs;
  }
}

/**
 * Parses a CronJob's schedule in its time zone (UTC when `timeZone` is undefined or empty;
 * upstream uses kube-controller-manager's local zone, which kubeloop's clock has as UTC).
 * Accepts what upstream's `cron.ParseStandard` accepts, including a `TZ=`/`CRON_TZ=` prefix
 * (which admission refuses on new schedules, see {@link validateCronSchedule}, as upstream).
 *
 * @throws {@link CronScheduleError} with robfig's or Go's message.
 *
 * @example
 * ```ts
 * const s = parseCronSchedule('30 2 * * *', 'America/New_York');
 * s.next(Date.UTC(2024, 2, 9, 12)); // 2024-03-11T06:30Z: 02:30 does not exist on 10 March
 * ```
 */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  let zone = timeZone === undefined || timeZone === '' ? 'UTC' : timeZone;
  const prefix = /^(CRON_)?TZ=(\S*)/.exec(schedule);
  if (prefix !== null) zone = prefix[2]!;
  else if (timeZone !== undefined) {
    const problem = timeZoneProblem(timeZone);
    if (problem !== undefined) throw new CronScheduleError('timeZone', problem);
  }
  const parsed = parseStandard(schedule);
  if ('everyMs' in parsed) return new EverySchedule(schedule, zone, parsed.everyMs);
  return new SpecSchedule(schedule, zone === '' ? 'UTC' : zone, parsed.fields);
}

/** A field error of {@link validateCronSchedule}: the field path and upstream's detail. */
export interface CronFieldProblem {
  /** `spec.schedule` or `spec.timeZone`. */
  readonly field: 'spec.schedule' | 'spec.timeZone';
  /** The value refused. */
  readonly value: string;
  /** Upstream's detail, e.g. `unknown time zone Foo/Bar`. */
  readonly detail: string;
}

/** Upstream's `validTimeZoneCharacters`: one part of a zone name. */
const ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/**
 * Upstream's `validateScheduleFormat` and `validateTimeZone` (pkg/apis/batch/validation) for a
 * new schedule: the schedule must parse (robfig's message); a `TZ=`/`CRON_TZ=` in it is refused
 * (`cannot use TZ or CRON_TZ in schedule, use timeZone field instead`); the time zone must be a
 * non-empty IANA name Go can load (`unknown time zone Foo/Bar`), not `Local`.
 */
export function validateCronSchedule(schedule: string, timeZone: string | undefined): CronFieldProblem[] {
  const out: CronFieldProblem[] = [];
  try {
    parseStandard(schedule);
  } catch (error) {
    out.push({ field: 'spec.schedule', value: schedule, detail: error instanceof Error ? error.message : String(error) });
  }
  if (schedule.includes('TZ')) out.push({ field: 'spec.schedule', value: schedule, detail: 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead' });
  if (timeZone !== undefined) {
    if (timeZone === '') {
      out.push({ field: 'spec.timeZone', value: timeZone, detail: 'timeZone must be nil or non-empty string' });
    } else if (timeZone.split('/').some((p) => p === '.' || p === '..' || p.startsWith('-') || !ZONE_PART.test(p))) {
      out.push({ field: 'spec.timeZone', value: timeZone, detail: `unknown time zone ${timeZone}` });
    } else {
      if (timeZone.toLowerCase() === 'local') out.push({ field: 'spec.timeZone', value: timeZone, detail: 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones' });
      else {
        const problem = timeZoneProblem(timeZone);
        if (problem !== undefined) out.push({ field: 'spec.timeZone', value: timeZone, detail: problem });
      }
    }
  }
  return out;
}
