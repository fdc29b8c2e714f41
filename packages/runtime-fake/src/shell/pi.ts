/**
 * Digits of π, for the `perl -Mbignum=bpi -wle 'print bpi(2000)'` of kubernetes.io's Job example.
 *
 * @module
 */

function arctanInverse(x: bigint, unity: bigint): bigint {
  // arctan(1/x) = 1/x - 1/(3x^3) + 1/(5x^5) - ...
  let sum = 0n;
  let power = unity / x;
  const x2 = x * x;
  for (let n = 1n, sign = 1n; power !== 0n; n += 2n, sign = -sign) {
    sum += (sign * power) / n;
    power /= x2;
  }
  return sum;
}

/**
 * π to `digits` significant digits, rounded, as Perl's `bpi(digits)` prints it
 * (`piDigits(5)` is `'3.1416'`). Machin's formula on BigInt with guard digits.
 *
 * @example
 * ```ts
 * piDigits(10); // '3.141592654'
 * ```
 */
export function piDigits(digits: number): string {
  if (digits <= 1) return '3';
  const guard = 10n;
  const unity = 10n ** (BigInt(digits - 1) + guard);
  const pi = 4n * (4n * arctanInverse(5n, unity) - arctanInverse(239n, unity));
  const scaled = (pi + 5n * 10n ** (guard - 1n)) / 10n ** guard;
  const text = scaled.toString();
  return `${text[0]}.${text.slice(1)}`;
}
