import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compareResourceVersions } from './meta.js';

describe('compareResourceVersions (upstream CompareResourceVersion, KEP-5505)', () => {
  it.each([
    ['9', '10', -1],
    ['10', '9', 1],
    ['10', '10', 0],
    ['0', '1', -1],
    ['123456789012345678901234567890', '123456789012345678901234567891', -1],
  ])('orders %s and %s as integers, not as strings', (a, b, sign) => {
    expect(Math.sign(compareResourceVersions(a, b)!)).toBe(sign);
  });

  it.each([
    ['', '1'],
    ['1', ''],
    ['01', '1'],
    ['0x1', '1'],
    ['-1', '1'],
    ['1.5', '2'],
    ['abc', '1'],
  ])('cannot order %j and %j: not both decimal integers', (a, b) => {
    expect(compareResourceVersions(a, b)).toBeUndefined();
  });

  const rv = fc.string({ unit: fc.constantFrom('0', '1', '9', 'x', '-', ' '), maxLength: 4 });
  test.prop([rv, rv])('orders exactly the pairs of decimal integers without leading zeros', (a, b) => {
    const integer = /^(0|[1-9][0-9]*)$/;
    expect(compareResourceVersions(a, b) !== undefined).toBe(integer.test(a) && integer.test(b));
  });

  test.prop([fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n })])('agrees with the order of the integers', (a, b) => {
    const expected = a < b ? -1 : a > b ? 1 : 0;
    expect(Math.sign(compareResourceVersions(String(a), String(b))!)).toBe(expected);
  });
});
