/**
 * Schedules as upstream reads them: robfig/cron v3's `ParseStandard` (its messages) and
 * `SpecSchedule.Next` across daylight-saving transitions (robfig's spec_test.go: a nightly 2am
 * job is skipped on spring-forward day, a 1am job runs twice on fall-back day).
 */
import { describe, expect, it } from 'vitest';
import { instantsAt, parseCronSchedule, validateCronSchedule, wallClockMs } from './schedule.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? 'none' : new Date(ms).toISOString().replace('.000Z', 'Z'));

function nextTimes(schedule: string, timeZone: string | undefined, from: string, n: number): string[] {
  const s = parseCronSchedule(schedule, timeZone);
  const out: string[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < n && t !== undefined; i++) {
    t = s.next(t);
    out.push(iso(t));
  }
  return out;
}

describe('next schedule times', () => {
  const cases: { name: string; schedule: string; timeZone?: string; from: string; want: string[] }[] = [
    { name: 'every minute, strictly after', schedule: '* * * * *', from: '2024-01-01T00:00:00Z', want: ['2024-01-01T00:01:00Z', '2024-01-01T00:02:00Z'] },
    { name: 'a partial minute rounds up', schedule: '* * * * *', from: '2024-01-01T00:00:30Z', want: ['2024-01-01T00:01:00Z'] },
    { name: '@hourly', schedule: '@hourly', from: '2024-01-01T00:10:00Z', want: ['2024-01-01T01:00:00Z', '2024-01-01T02:00:00Z'] },
    { name: '@weekly is Sunday midnight', schedule: '@weekly', from: '2024-01-03T00:00:00Z', want: ['2024-01-07T00:00:00Z'] },
    { name: '@monthly', schedule: '@monthly', from: '2024-01-15T00:00:00Z', want: ['2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'] },
    { name: '@yearly and @annually', schedule: '@annually', from: '2024-06-01T00:00:00Z', want: ['2025-01-01T00:00:00Z'] },
    { name: '@daily / @midnight', schedule: '@midnight', from: '2024-01-01T12:00:00Z', want: ['2024-01-02T00:00:00Z'] },
    { name: '@every 90s adds to the whole second', schedule: '@every 90s', from: '2024-01-01T00:00:00.500Z', want: ['2024-01-01T00:01:30Z', '2024-01-01T00:03:00Z'] },
    { name: 'N/step is N-max/step', schedule: '50/5 * * * *', from: '2024-01-01T00:00:00Z', want: ['2024-01-01T00:50:00Z', '2024-01-01T00:55:00Z', '2024-01-01T01:50:00Z'] },
    { name: '? is *', schedule: '0 0 ? * mon', from: '2024-01-01T00:00:00Z', want: ['2024-01-08T00:00:00Z'] },
    { name: 'names of months and days, any case', schedule: '0 12 * FEB,mar Sun', from: '2024-01-01T00:00:00Z', want: ['2024-02-04T12:00:00Z'] },
    { name: 'day of month OR day of week when both are restricted', schedule: '0 0 13 * 5', from: '2024-09-01T00:00:00Z', want: ['2024-09-06T00:00:00Z', '2024-09-13T00:00:00Z', '2024-09-20T00:00:00Z'] },
    { name: '*/2 restricts day of month (robfig: no star bit with a step)', schedule: '0 0 */10 * 1', from: '2024-01-01T00:00:00Z', want: ['2024-01-08T00:00:00Z', '2024-01-11T00:00:00Z', '2024-01-15T00:00:00Z'] },
    { name: 'a 30-minute offset zone', schedule: '0 9 * * *', timeZone: 'Asia/Kolkata', from: '2024-01-01T00:00:00Z', want: ['2024-01-01T03:30:00Z', '2024-01-02T03:30:00Z'] },
    { name: 'a time zone east of UTC, a day earlier in UTC', schedule: '0 1 * * *', timeZone: 'Asia/Tokyo', from: '2024-01-01T00:00:00Z', want: ['2024-01-01T16:00:00Z'] },
    {
      name: 'spring forward: 02:30 does not exist in New York on 10 March 2024, that day is skipped',
      schedule: '30 2 * * *',
      timeZone: 'America/New_York',
      from: '2024-03-09T12:00:00Z',
      want: ['2024-03-11T06:30:00Z', '2024-03-12T06:30:00Z'],
    },
    {
      name: 'spring forward: hourly goes from 01:00 EST to 03:00 EDT',
      schedule: '0 * * * *',
      timeZone: 'America/New_York',
      from: '2024-03-10T05:30:00Z',
      want: ['2024-03-10T06:00:00Z', '2024-03-10T07:00:00Z', '2024-03-10T08:00:00Z'],
    },
    {
      name: 'fall back: 01:30 happens twice in New York on 3 November 2024, and runs twice',
      schedule: '30 1 * * *',
      timeZone: 'America/New_York',
      from: '2024-11-03T00:00:00Z',
      want: ['2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z', '2024-11-04T06:30:00Z'],
    },
    {
      name: 'fall back: hourly runs 01:00 EDT, 01:00 EST, 02:00 EST',
      schedule: '0 * * * *',
      timeZone: 'America/New_York',
      from: '2024-11-03T04:30:00Z',
      want: ['2024-11-03T05:00:00Z', '2024-11-03T06:00:00Z', '2024-11-03T07:00:00Z'],
    },
    {
      name: 'Europe/Berlin springs forward at 02:00 on 31 March 2024',
      schedule: '15 2 * * *',
      timeZone: 'Europe/Berlin',
      from: '2024-03-30T12:00:00Z',
      want: ['2024-04-01T00:15:00Z'],
    },
    {
      name: 'Australia/Lord_Howe moves by half an hour: 02:15 is skipped on 6 October 2024',
      schedule: '15 2 * * *',
      timeZone: 'Australia/Lord_Howe',
      from: '2024-10-05T12:00:00Z',
      want: ['2024-10-06T15:15:00Z'],
    },
    { name: 'a time that never comes (31 February) has no next time', schedule: '0 0 31 2 *', from: '2024-01-01T00:00:00Z', want: ['none'] },
    { name: '29 February comes in leap years', schedule: '0 0 29 2 *', from: '2024-03-01T00:00:00Z', want: ['2028-02-29T00:00:00Z'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(nextTimes(c.schedule, c.timeZone, c.from, c.want.length)).toEqual(c.want);
    });
  }
});

describe('wall clocks and instants', () => {
  it('reads the wall-clock time of an instant in a zone', () => {
    expect(iso(wallClockMs('America/New_York', at('2024-03-10T07:30:00Z')))).toBe('2024-03-10T03:30:00Z');
    expect(iso(wallClockMs('UTC', at('2024-03-10T07:30:00Z')))).toBe('2024-03-10T07:30:00Z');
  });

  it('finds no instant in a gap, two in an overlap, one otherwise', () => {
    expect(instantsAt('America/New_York', at('2024-03-10T02:30:00Z')).map(iso)).toEqual([]);
    expect(instantsAt('America/New_York', at('2024-11-03T01:30:00Z')).map(iso)).toEqual(['2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z']);
    expect(instantsAt('America/New_York', at('2024-07-01T12:00:00Z')).map(iso)).toEqual(['2024-07-01T16:00:00Z']);
  });
});

describe('schedule validation (upstream validateScheduleFormat / validateTimeZone)', () => {
  const cases: { schedule: string; timeZone?: string; want: string[] }[] = [
    { schedule: '*/1 * * * *', want: [] },
    { schedule: '@hourly', timeZone: 'Europe/Paris', want: [] },
    { schedule: '@every 5m', want: [] },
    { schedule: '* * * *', want: ['spec.schedule: expected exactly 5 fields, found 4: [* * * *]'] },
    { schedule: '0 0 * * * *', want: ['spec.schedule: expected exactly 5 fields, found 6: [0 0 * * * *]'] },
    { schedule: '', want: ['spec.schedule: empty spec string'] },
    { schedule: '61 * * * *', want: ['spec.schedule: end of range (61) above maximum (59): 61'] },
    { schedule: '0 0 0 * *', want: ['spec.schedule: beginning of range (0) below minimum (1): 0'] },
    { schedule: '0 0 * * 7', want: ['spec.schedule: end of range (7) above maximum (6): 7'] },
    { schedule: '0 0 * * 5-2', want: ['spec.schedule: beginning of range (5) beyond end of range (2): 5-2'] },
    { schedule: '*/0 * * * *', want: ['spec.schedule: step of range should be a positive number: */0'] },
    { schedule: '1-2-3 * * * *', want: ['spec.schedule: too many hyphens: 1-2-3'] },
    { schedule: '0 0 L * *', want: ['spec.schedule: failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'] },
    { schedule: '@fortnightly', want: ['spec.schedule: unrecognized descriptor: @fortnightly'] },
    { schedule: '@every 5', want: ['spec.schedule: failed to parse duration @every 5: time: missing unit in duration "5"'] },
    { schedule: 'TZ=UTC 0 * * * *', want: ['spec.schedule: cannot use TZ or CRON_TZ in schedule, use timeZone field instead'] },
    { schedule: 'CRON_TZ=Mars/Base 0 * * * *', want: ['spec.schedule: provided bad location Mars/Base: unknown time zone Mars/Base', 'spec.schedule: cannot use TZ or CRON_TZ in schedule, use timeZone field instead'] },
    { schedule: '0 * * * *', timeZone: 'Mars/Base', want: ['spec.timeZone: unknown time zone Mars/Base'] },
    { schedule: '0 * * * *', timeZone: 'america/new_york', want: ['spec.timeZone: unknown time zone america/new_york'] },
    { schedule: '0 * * * *', timeZone: '../etc/passwd', want: ['spec.timeZone: unknown time zone ../etc/passwd'] },
    { schedule: '0 * * * *', timeZone: 'Local', want: ['spec.timeZone: timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'] },
    { schedule: '0 * * * *', timeZone: '', want: ['spec.timeZone: timeZone must be nil or non-empty string'] },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.schedule)}${c.timeZone === undefined ? '' : ` in ${JSON.stringify(c.timeZone)}`}`, () => {
      expect(validateCronSchedule(c.schedule, c.timeZone).map((p) => `${p.field}: ${p.detail}`)).toEqual(c.want);
    });
  }

  it('parseCronSchedule throws the same message, and a time-zone error for an unknown zone', () => {
    expect(() => parseCronSchedule('61 * * * *')).toThrow('end of range (61) above maximum (59): 61');
    expect(() => parseCronSchedule('0 * * * *', 'Mars/Base')).toThrow(expect.objectContaining({ code: 'timeZone', message: 'unknown time zone Mars/Base' }));
  });
});
