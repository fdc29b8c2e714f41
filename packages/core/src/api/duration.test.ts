import { describe, expect, it } from 'vitest';
import { DurationError, parseDuration } from './duration.js';

describe('parseDuration (Go time.ParseDuration)', () => {
  it.each([
    // the CLI's cases
    ['90s', 90_000],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['250ms', 250],
    ['1.5s', 1_500],
    ['.5m', 30_000],
    ['0', 0],
    [' 10s ', 10_000],
    // the fake runtime's cases
    ['500ms', 500],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    // the rest of Go's syntax
    ['2.s', 2_000],
    ['+5s', 5_000],
    ['-0', 0],
    ['1500us', 2],
    ['1499µs', 1],
    ['2000000ns', 2],
    ['0.1s0.2s', 300],
    ['1.0000000001s', 1_000],
  ])('reads %j as %d ms, as Go time.ParseDuration would', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads days only when asked to (the kubeloop command line)', () => {
    expect(parseDuration('1d', { days: true })).toBe(86_400_000);
    expect(parseDuration('2d12h', { days: true })).toBe(216_000_000);
    expect(() => parseDuration('1d')).toThrow(new DurationError('unknown-unit', '1d', 'unknown unit "d" in duration "1d" (units: ns, us, ms, s, m, h)'));
  });

  it.each([
    ['', 'invalid'],
    ['10', 'missing-unit'],
    ['2x', 'unknown-unit'],
    ['-5s', 'negative'],
    ['-1s', 'negative'],
    ['m', 'invalid'],
    ['s', 'invalid'],
    ['.s', 'invalid'],
    ['1h 30m', 'unknown-unit'],
    ['5s!', 'unknown-unit'],
    ['1d', 'unknown-unit'],
    ['00', 'missing-unit'],
    ['3000000h', 'invalid'],
  ])('rejects %j (%s) with a message naming the input', (text, code) => {
    let error: unknown;
    try {
      parseDuration(text, text === '1d' ? {} : { days: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DurationError);
    expect(error).toMatchObject({ code, input: text });
    expect((error as Error).message).toContain(JSON.stringify(text));
  });

  it("words its messages as Go does, without Go's package prefix", () => {
    expect(() => parseDuration('soon')).toThrow('invalid duration "soon"');
    expect(() => parseDuration('2x')).toThrow('unknown unit "x" in duration "2x"');
    expect(() => parseDuration('10')).toThrow('missing unit in duration "10"');
  });
});
