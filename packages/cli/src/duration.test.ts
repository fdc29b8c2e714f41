import { describe, expect, it } from 'vitest';
import { DurationError, humanDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['250ms', 250],
    ['1.5s', 1_500],
    ['.5m', 30_000],
    ['1d', 86_400_000],
    ['0', 0],
    [' 10s ', 10_000],
  ])('reads %s as %d ms, as Go time.ParseDuration would', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '2x', '-5s', 'm', '1h 30m', '5s!'])('rejects %j with a message naming the accepted form', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
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
