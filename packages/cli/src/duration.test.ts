import { describe, expect, it } from 'vitest';
import { DurationError } from '@kubeloop/core';
import { humanDuration, parseCliDuration } from './duration.js';

describe('parseCliDuration', () => {
  // Go's syntax itself is core's (api/duration.test.ts, where this suite's other cases moved).
  it.each([
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    [' 10s ', 10_000],
  ])('reads %s as %d ms: Go time.ParseDuration plus d for days', (text, ms) => {
    expect(parseCliDuration(text)).toBe(ms);
  });

  it.each(['', '10', '2x', '-5s', 'm', '1h 30m', '5s!'])('rejects %j with a message naming the input', (text) => {
    expect(() => parseCliDuration(text)).toThrow(DurationError);
    expect(() => parseCliDuration(text)).toThrow(JSON.stringify(text));
  });
});

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [-500, '0s'],
    [-5_000, '<invalid>'],
    [90_000, '90s'],
    [119_999, '119s'],
    [120_000, '2m'],
    [330_000, '5m30s'],
    [600_000, '10m'],
    [10_799_000, '179m'],
    [10_800_000, '3h'],
    [12_600_000, '3h30m'],
    [30 * 3_600_000, '30h'],
    [50 * 3_600_000, '2d2h'],
    [30 * 86_400_000, '30d'],
    [(3 * 365 + 4) * 86_400_000, '3y4d'],
    [10 * 365 * 86_400_000, '10y'],
  ])('shows an age of %d ms as %s, like kubectl AGE (apimachinery HumanDuration)', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});
