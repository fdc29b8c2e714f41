import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { runs } from '../testing/index.js';
import type { QuantityFormat } from './quantity.js';
import { MAX_QUANTITY_DIGITS, Quantity, QuantityError, isQuantity, parseQuantity, tryParseQuantity } from './quantity.js';

const FORMAT_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

function errorOf(text: string): QuantityError {
  try {
    parseQuantity(text);
  } catch (e) {
    if (e instanceof QuantityError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

describe('parseQuantity', () => {
  // Upstream: k8s.io/apimachinery/pkg/api/resource/quantity_test.go (TestQuantityParse and
  // TestQuantityCanonicalize), and the examples of the Quantity doc comment.
  it.each([
    // text, canonical text, format, milliValue, value
    ['100m', '100m', 'DecimalSI', 100, 1],
    ['1.5', '1500m', 'DecimalSI', 1500, 2],
    ['128Mi', '128Mi', 'BinarySI', 134217728000, 134217728],
    ['1G', '1G', 'DecimalSI', 1e12, 1e9],
    ['2e3', '2e3', 'DecimalExponent', 2_000_000, 2000],
    ['1Ki', '1Ki', 'BinarySI', 1_024_000, 1024],
    ['1.5Gi', '1536Mi', 'BinarySI', 1610612736000, 1610612736],
    ['1000m', '1', 'DecimalSI', 1000, 1],
    ['0.1', '100m', 'DecimalSI', 100, 1],
    ['0', '0', 'DecimalSI', 0, 0],
    ['-1500m', '-1500m', 'DecimalSI', -1500, -2],
    ['1500k', '1500k', 'DecimalSI', 1.5e9, 1.5e6],
    ['1E', '1E', 'DecimalSI', 1e21, 1e18],
    ['1e3', '1e3', 'DecimalExponent', 1e6, 1000],
    ['15e-1', '1500e-3', 'DecimalExponent', 1500, 2],
    ['1.5e3', '1500', 'DecimalExponent', 1.5e6, 1500],
    ['2E3', '2e3', 'DecimalExponent', 2e6, 2000],
    ['1e+3', '1e3', 'DecimalExponent', 1e6, 1000],
    ['+1', '1', 'DecimalSI', 1000, 1],
    ['00012', '12', 'DecimalSI', 12000, 12],
    ['.5', '500m', 'DecimalSI', 500, 1],
    ['1.G', '1G', 'DecimalSI', 1e12, 1e9],
    ['1n', '1n', 'DecimalSI', 1, 1],
    ['-1n', '-1n', 'DecimalSI', -1, -1],
    ['1024', '1024', 'DecimalSI', 1_024_000, 1024],
    ['1048576Ki', '1Gi', 'BinarySI', 1073741824000, 1073741824],
    ['1536Ki', '1536Ki', 'BinarySI', 1572864000, 1572864],
  ] as const)('parses %s, printing it as %s in %s', (text, canonical, format, milli, value) => {
    const q = parseQuantity(text);
    expect(q.toString()).toBe(canonical);
    expect(q.format).toBe(format);
    expect(q.milliValue()).toBe(milli);
    expect(q.value()).toBe(value);
  });

  it('prints BinarySI values below 1024 or with a fraction as DecimalSI, so nothing is rounded', () => {
    expect(parseQuantity('0.5Ki').toString()).toBe('512');
    expect(parseQuantity('0.5Ki').format).toBe('BinarySI');
    expect(parseQuantity('1.1Ki').toString()).toBe('1126400m');
    // Upstream turns BinarySI values strictly between 0 and 1 into DecimalSI when parsing.
    expect(parseQuantity('0.0001Ki').format).toBe('DecimalSI');
    expect(parseQuantity('0.0001Ki').toString()).toBe('102400u');
  });

  it('rounds values finer than a nano up, away from zero, as upstream does', () => {
    expect(parseQuantity('0.1n').toString()).toBe('1n');
    expect(parseQuantity('-0.1n').toString()).toBe('-1n');
    expect(parseQuantity('1.0000000001').toString()).toBe('1000000001n');
    expect(parseQuantity('1e-1000000000').toString()).toBe('1e-9');
    expect(parseQuantity('1e-1000000000').nanoValue()).toBe(1n);
    expect(parseQuantity('0.0000000000').isZero()).toBe(true);
  });

  it('reads the exact values of the upstream examples', () => {
    expect(parseQuantity('100m').nanoValue()).toBe(100_000_000n);
    expect(parseQuantity('128Mi').nanoValue()).toBe(134217728n * 1_000_000_000n);
    expect(parseQuantity('1G').nanoValue()).toBe(10n ** 18n);
    expect(parseQuantity('2e3').nanoValue()).toBe(2000n * 10n ** 9n);
    expect(parseQuantity('1Ki').nanoValue()).toBe(1024n * 10n ** 9n);
  });

  it('accepts the odd inputs upstream accepts: a bare sign, a bare dot or a bare suffix is zero', () => {
    // parseQuantityString returns "0" when nothing but a sign and zeros were read.
    for (const text of ['-', '+', '.', 'm', 'Ki', '-0', '0.0']) {
      expect(parseQuantity(text).isZero(), text).toBe(true);
      expect(parseQuantity(text).toString()).toBe('0');
    }
  });

  it('caps BinarySI values at 2^63-1 as upstream does, but keeps decimal values exact', () => {
    expect(parseQuantity('8Ei').toString()).toBe('9223372036854775807');
    expect(parseQuantity('7Ei').toString()).toBe('7Ei');
    expect(parseQuantity('1000E').toString()).toBe('1000E');
    expect(parseQuantity('12345678901234567890123').toString()).toBe('12345678901234567890123');
    expect(parseQuantity('1e21').toString()).toBe('1e21');
    expect(Quantity.fromNumber(1e21).toString()).toBe('1000E');
  });

  it.each([
    ['', 'format'],
    [' 1', 'format'],
    ['1 ', 'format'],
    ['1.1.1', 'format'],
    ['1Gi ', 'format'],
    ['1e3.5', 'format'],
    ['abc', 'format'],
    ['1K', 'suffix'],
    ['1mi', 'suffix'],
    ['1e', 'suffix'],
    ['1i', 'suffix'],
    ['1Gib', 'format'],
    // Upstream scans `-1` as a suffix here.
    ['--1', 'suffix'],
    ['1e+', 'suffix'],
    ['1e99999999999999999999', 'suffix'],
  ] as const)('rejects %j with a %s error', (text, code) => {
    const e = errorOf(text);
    expect(e.code).toBe(code);
    expect(e.input).toBe(text);
    expect(tryParseQuantity(text)).toBeUndefined();
    expect(isQuantity(text)).toBe(false);
  });

  it("gives upstream's messages", () => {
    expect(errorOf('').message).toBe(FORMAT_MESSAGE);
    expect(errorOf('1K').message).toBe("unable to parse quantity's suffix");
  });

  it(`rejects decimal values with more than ${MAX_QUANTITY_DIGITS} integer digits instead of computing them`, () => {
    expect(parseQuantity(`1e${MAX_QUANTITY_DIGITS - 1}`).toString()).toBe(`1e${MAX_QUANTITY_DIGITS - 1}`);
    expect(errorOf(`1e${MAX_QUANTITY_DIGITS}`).code).toBe('numeric');
    expect(errorOf('1e2147483647').message).toBe('unable to parse numeric part of quantity');
  });
});

describe('Quantity arithmetic', () => {
  const q = parseQuantity;

  it('compares across formats by value: 1Gi is more than 1G, 1k equals 1000', () => {
    expect(q('1Gi').cmp(q('1G'))).toBe(1);
    expect(q('1G').cmp(q('1Gi'))).toBe(-1);
    expect(q('1k').cmp(q('1000'))).toBe(0);
    expect(q('1k').equals(q('1000'))).toBe(true);
    expect(q('-1').cmp(q('1m'))).toBe(-1);
  });

  it('adds 500m and 500m to exactly 1', () => {
    const sum = q('500m').add(q('500m'));
    expect(sum.toString()).toBe('1');
    expect(sum.equals(q('1'))).toBe(true);
  });

  it('adds 0.1 and 0.2 to exactly 300m, with no floating point error', () => {
    expect(q('0.1').add(q('0.2')).toString()).toBe('300m');
    expect(Quantity.fromNumber(0.1).add(Quantity.fromNumber(0.2)).equals(q('300m'))).toBe(true);
  });

  it('subtracts into negative values and keeps the sign through formatting', () => {
    const d = q('1').sub(q('1500m'));
    expect(d.toString()).toBe('-500m');
    expect(d.sign()).toBe(-1);
    expect(d.milliValue()).toBe(-500);
    expect(d.value()).toBe(-1);
    expect(q('-1Gi').toString()).toBe('-1Gi');
    expect(q('-1Gi').neg().toString()).toBe('1Gi');
  });

  it("keeps the receiver's format, or takes the other one's when the receiver is zero (upstream Add)", () => {
    expect(Quantity.zero().add(q('1Gi')).toString()).toBe('1Gi');
    expect(q('1Gi').add(q('1Gi')).toString()).toBe('2Gi');
    expect(q('1k').add(q('1Ki')).toString()).toBe('2024');
    expect(Quantity.zero().sub(q('1Mi')).toString()).toBe('-1Mi');
  });

  it('multiplies by whole factors exactly', () => {
    expect(q('250m').mul(4).toString()).toBe('1');
    expect(q('128Mi').mul(8).toString()).toBe('1Gi');
    expect(() => q('1').mul(0.5)).toThrow(RangeError);
  });

  it('builds quantities from numbers and thousandths like NewQuantity and NewMilliQuantity', () => {
    expect(Quantity.fromMilli(250).toString()).toBe('250m');
    expect(Quantity.fromMilli(1500n).toString()).toBe('1500m');
    expect(Quantity.fromMilli(0.5).toString()).toBe('500u');
    expect(Quantity.fromNumber(2).toString()).toBe('2');
    expect(Quantity.fromNumber(1073741824, 'BinarySI').toString()).toBe('1Gi');
    expect(Quantity.fromNumber(3n, 'DecimalExponent').toString()).toBe('3');
    expect(Quantity.fromNumber(1e-12).toString()).toBe('1n');
    expect(Quantity.fromNumber(-2.5e-7).toString()).toBe('-250n');
    expect(() => Quantity.fromNumber(Number.NaN)).toThrow(QuantityError);
    expect(() => Quantity.fromNumber(Infinity)).toThrow(QuantityError);
  });

  it('gives an approximate float for ratios', () => {
    expect(q('1500m').asApproximateFloat64()).toBe(1.5);
    expect(q('-250m').asApproximateFloat64()).toBe(-0.25);
    expect(q('1Gi').asApproximateFloat64()).toBe(1073741824);
  });

  it('is immutable and serializes to its canonical text', () => {
    const x = q('1.5Gi');
    expect(Object.isFrozen(x)).toBe(true);
    expect(JSON.stringify({ memory: x })).toBe('{"memory":"1536Mi"}');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const FORMATS: readonly QuantityFormat[] = ['DecimalSI', 'BinarySI', 'DecimalExponent'];
const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;

/** Values in nano-units: mostly "round" numbers as people write them, sometimes arbitrary. */
const nanos = fc.oneof(
  fc.tuple(fc.bigInt(-1_000_000n, 1_000_000n), fc.integer({ min: 0, max: 27 })).map(([m, k]) => m * 10n ** BigInt(k)),
  fc.tuple(fc.bigInt(-4096n, 4096n), fc.integer({ min: 0, max: 5 })).map(([m, k]) => m * 1024n ** BigInt(k) * NANO),
  fc.bigInt(-(10n ** 30n), 10n ** 30n),
);

/** A quantity in any format. BinarySI values stay within upstream's cap (2^63-1). */
const quantity = fc
  .tuple(nanos, fc.constantFrom(...FORMATS))
  .filter(([n, f]) => f !== 'BinarySI' || (n < 0n ? -n : n) <= MAX_INT64 * NANO)
  .map(([n, f]) => Quantity.fromNanos(n, f));

function awayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  return q * d === n ? q : n < 0n ? q - 1n : q + 1n;
}

/** Texts built from parts, with the value they must parse to computed by plain rational arithmetic. */
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50 };
const quantityText = fc
  .record({
    sign: fc.constantFrom('', '+', '-'),
    whole: fc.stringMatching(/^[0-9]{1,12}$/),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,12}$/), { nil: undefined }),
    suffix: fc.oneof(
      fc.constantFrom(...Object.keys(DECIMAL), ...Object.keys(BINARY)),
      fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 30 })).map(
        ([e, s, x]) => `${e}${s}${x}`,
      ),
    ),
  })
  .map(({ sign, whole, fraction, suffix }) => {
    const text = `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}${suffix}`;
    const frac = fraction ?? '';
    let num = BigInt(whole + frac) * NANO;
    let den = 10n ** BigInt(frac.length);
    const bin = BINARY[suffix];
    const dec = DECIMAL[suffix];
    const exp = bin === undefined && dec === undefined ? Number(suffix.slice(1)) : undefined;
    const pow10 = dec ?? exp;
    if (bin !== undefined) num *= 2n ** BigInt(bin);
    if (pow10 !== undefined && pow10 >= 0) num *= 10n ** BigInt(pow10);
    if (pow10 !== undefined && pow10 < 0) den *= 10n ** BigInt(-pow10);
    let expected = awayFromZero(num, den);
    if (bin !== undefined && expected > MAX_INT64 * NANO) expected = MAX_INT64 * NANO;
    return { text, expected: sign === '-' ? -expected : expected };
  });

describe('Quantity properties', () => {
  test.prop([quantityText], { numRuns: runs(300, 10_000) })(
    'parses generated texts to the value rational arithmetic gives, rounded up to the nano',
    ({ text, expected }) => {
      expect(parseQuantity(text).nanoValue()).toBe(expected);
    },
  );

  test.prop([quantity], { numRuns: runs(300, 10_000) })('re-parses its text to an equal quantity', (q) => {
    expect(parseQuantity(q.toString()).equals(q)).toBe(true);
  });

  test.prop([quantity], { numRuns: runs(300, 10_000) })('prints canonically: printing a re-parsed text gives the same text', (q) => {
    const text = q.toString();
    // Upstream quirk kept on purpose: a BinarySI value that no power of 1024 divides prints as a
    // bare number (BinarySI 2000 prints `2000`), which re-parses as DecimalSI and prints `2k`.
    // Only such bare BinarySI texts may change, once, and then only to the DecimalSI spelling.
    const bareBinary = q.format === 'BinarySI' && /^-?[0-9]+$/.test(text);
    const again = parseQuantity(text).toString();
    if (bareBinary) expect(again).toBe(Quantity.fromNanos(q.nanoValue(), 'DecimalSI').toString());
    else expect(again).toBe(text);
    expect(parseQuantity(again).toString()).toBe(again);
  });

  it('prints BinarySI values that no power of 1024 divides as a bare number, as upstream does', () => {
    expect(Quantity.fromNumber(2000, 'BinarySI').toString()).toBe('2000');
    expect(parseQuantity('2000').toString()).toBe('2k');
  });

  test.prop([quantityText], { numRuns: runs(300, 10_000) })('prints any parsed text canonically', ({ text }) => {
    // The value always survives printing, and printing is stable from the second round on.
    // The first round is already stable except for a BinarySI value that no power of 1024
    // divides: upstream prints it bare (312.5Ki -> "320000"), which re-parses as DecimalSI and
    // prints "320k" (found by the deep run with seed 1595605491).
    const parsed = parseQuantity(text);
    const once = parsed.toString();
    const twice = parseQuantity(once).toString();
    expect(parseQuantity(once).equals(parsed)).toBe(true);
    expect(parseQuantity(twice).toString()).toBe(twice);
    if (!(parsed.format === 'BinarySI' && /^-?[0-9]+$/.test(once))) expect(twice).toBe(once);
  });

  test.prop([nanos, nanos], { numRuns: runs(300, 10_000) })('adds, subtracts and compares exactly like bigint arithmetic', (a, b) => {
    const qa = parseQuantity(Quantity.fromNanos(a).toString());
    const qb = parseQuantity(Quantity.fromNanos(b, 'DecimalExponent').toString());
    expect(qa.add(qb).nanoValue()).toBe(a + b);
    expect(qa.sub(qb).nanoValue()).toBe(a - b);
    expect(qa.cmp(qb)).toBe(a < b ? -1 : a > b ? 1 : 0);
    expect(qa.equals(qb)).toBe(a === b);
    expect(qa.add(qb).sub(qb).equals(qa)).toBe(true);
    expect(qa.sign()).toBe(a < 0n ? -1 : a > 0n ? 1 : 0);
  });

  test.prop([fc.bigInt(-(10n ** 20n), 10n ** 20n)], { numRuns: runs(300, 10_000) })(
    'rounds value() and milliValue() away from zero',
    (n) => {
      const q = Quantity.fromNanos(n);
      expect(q.value()).toBe(Number(awayFromZero(n, NANO)));
      expect(q.milliValue()).toBe(Number(awayFromZero(n, 1_000_000n)));
    },
  );

  test.prop([fc.oneof(fc.string(), fc.stringMatching(/^[-+0-9.eEinumkKMGTP ]{0,8}$/))], { numRuns: runs(500, 20_000) })(
    'fails only with a QuantityError on arbitrary text, and the three entry points agree',
    (text) => {
      let parsed: Quantity | undefined;
      try {
        parsed = parseQuantity(text);
      } catch (e) {
        expect(e).toBeInstanceOf(QuantityError);
      }
      expect(isQuantity(text)).toBe(parsed !== undefined);
      expect(tryParseQuantity(text)?.nanoValue()).toBe(parsed?.nanoValue());
    },
  );
});
