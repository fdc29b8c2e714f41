/** Int-or-percent values, pinned against upstream's `intstr.GetScaledValueFromIntOrPercent`. */
import { describe, expect, it } from 'vitest';
import { scaledValue } from './intorpercent.js';

describe('scaledValue', () => {
  it.each([
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['25%', 1, true, 1],
    ['25%', 1, false, 0],
    ['0%', 10, true, 0],
    [3, 100, false, 3],
    ['100%', 7, false, 7],
    [undefined, 10, true, 0],
  ] as const)('%s of %i rounded up %s is %i', (value, total, up, expected) => {
    expect(scaledValue(value, total, up)).toBe(expected);
  });

  it('refuses a string that is not a percentage', () => {
    expect(() => scaledValue('25', 10, true)).toThrow(/not a percentage/);
  });
});
