/**
 * Kubernetes resource quantities (`resource.Quantity` of apimachinery): `500m` CPUs, `128Mi`
 * of memory, `2e3` of anything. Values are exact: a {@link Quantity} holds a whole number of
 * nano-units as a `bigint`, so `0.1 + 0.2` really is `300m` and `1Gi` compares exactly with
 * `1073741824`.
 *
 * The accepted syntax, the rounding rules and the canonical text form follow upstream's
 * `resource.ParseQuantity` and `Quantity.String()`, so a manifest that `kubectl apply` accepts
 * parses here to the same value and prints back the same way.
 *
 * @module
 */

/**
 * How a quantity prints, chosen by the suffix it was written with (upstream `resource.Format`):
 *
 * - `DecimalSI`: powers of 1000 with `n u m "" k M G T P E` (`500m`, `1G`);
 * - `BinarySI`: powers of 1024 with `Ki Mi Gi Ti Pi Ei` (`128Mi`);
 * - `DecimalExponent`: a power-of-ten exponent that is a multiple of 3 (`2e3`, `15e-1` prints `1500e-3`).
 */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/**
 * Why a text is not a quantity. Each code has upstream's message:
 *
 * - `format`: the text is not shaped like a number followed by a suffix (`ErrFormatWrong`);
 * - `suffix`: the suffix is not one upstream knows, e.g. `1K`, `1mi`, `1e` (`ErrSuffix`);
 * - `numeric`: the number is out of range. Upstream gives this for numbers it cannot hold;
 *   kubeloop also gives it for decimal values with more than {@link MAX_QUANTITY_DIGITS}
 *   integer digits (such as `1e100000`), which would otherwise make exact arithmetic unbounded.
 */
export type QuantityErrorCode = 'format' | 'suffix' | 'numeric';

/** The messages upstream gives for each {@link QuantityErrorCode}. */
const MESSAGES: Record<QuantityErrorCode, string> = {
  format: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  suffix: "unable to parse quantity's suffix",
  numeric: 'unable to parse numeric part of quantity',
};

/**
 * A text that is not a valid quantity. `message` is exactly upstream's (see
 * {@link QuantityErrorCode}); `input` is the rejected text.
 *
 * @example
 * ```ts
 * try { parseQuantity('1K'); }
 * catch (e) { if (e instanceof QuantityError && e.code === 'suffix') { ... } }
 * ```
 */
export class QuantityError extends Error {
  /** What is wrong with the text. */
  readonly code: QuantityErrorCode;
  /** The text that failed to parse. */
  readonly input: string;

  constructor(code: QuantityErrorCode, input: string) {
    super(MESSAGES[code]);
    this.name = 'QuantityError';
    this.code = code;
    this.input = input;
  }
}

/**
 * The largest number of integer digits a decimal quantity may have (10^1000). Upstream has no
 * such limit only because it stores the exponent separately; no real resource comes close.
 */
export const MAX_QUANTITY_DIGITS = 1000;

const NANO = 1_000_000_000n;
const MILLI_IN_NANOS = 1_000_000n;
/** The largest int64; upstream caps BinarySI values there (`maxAllowed`). */
const MAX_BINARY = (1n << 63n) - 1n;

const DECIMAL_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);
const DECIMAL_BY_EXPONENT: ReadonlyMap<number, string> = new Map(
  [...DECIMAL_SUFFIXES].map(([suffix, exp]) => [exp, suffix]),
);
const BINARY_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['Ki', 10],
  ['Mi', 20],
  ['Gi', 30],
  ['Ti', 40],
  ['Pi', 50],
  ['Ei', 60],
]);
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

const SUFFIX_CHARS = 'eEinumkKMGTP';

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** `n / d` for `d > 0`, rounded away from zero. */
function divAwayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  if (q * d === n) return q;
  return n < 0n ? q - 1n : q + 1n;
}

/**
 * An exact amount of a resource, immutable.
 *
 * Guarantees:
 * - exact: the value is a whole number of nano-units (10^-9); parsing rounds anything finer
 *   *up* (away from zero) to the next nano, as upstream does ("if you want some resources, you
 *   should get some resources"), and arithmetic never rounds;
 * - the {@link format} is kept from the text that was parsed and decides how {@link toString}
 *   prints; it never affects comparisons (`parseQuantity('1k').equals(parseQuantity('1000'))`);
 * - `toString()` is canonical and re-parses to an equal quantity with the same text.
 *
 * Caveats: {@link value} and {@link milliValue} return `number`s, exact only up to
 * `Number.MAX_SAFE_INTEGER`; use {@link nanoValue} for exact work beyond that.
 *
 * @example
 * ```ts
 * const used = parseQuantity('1500m').add(parseQuantity('0.5'));
 * used.toString();   // '2'
 * used.milliValue(); // 2000
 * parseQuantity('1.5Gi').toString(); // '1536Mi'
 * ```
 */
export class Quantity {
  /** The value in nano-units: `1` is `1_000_000_000n`. */
  readonly #nanos: bigint;
  /** How the quantity prints; see {@link QuantityFormat}. */
  readonly format: QuantityFormat;

  private constructor(nanos: bigint, format: QuantityFormat) {
    this.#nanos = nanos;
    this.format = format;
    Object.freeze(this);
  }

  /** A quantity of exactly `nanos` × 10^-9, e.g. `Quantity.fromNanos(1_500_000_000n)` is `1500m`. */
  static fromNanos(nanos: bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(nanos, format);
  }

  /**
   * A quantity of `n` thousandths, as upstream's `NewMilliQuantity`: `Quantity.fromMilli(250)`
   * is `250m`. A fractional `n` is taken by its shortest decimal text (`0.5` → `500u`) and
   * rounded up to the nano.
   *
   * @throws {@link QuantityError} (`numeric`) when `n` is not finite.
   */
  static fromMilli(n: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    if (typeof n === 'bigint') return new Quantity(n * MILLI_IN_NANOS, format);
    return new Quantity(numberToNanos(n, -3), format);
  }

  /**
   * A quantity of `n` units, as upstream's `NewQuantity`: `Quantity.fromNumber(2)` is `2`,
   * `Quantity.fromNumber(1073741824, 'BinarySI')` prints `1Gi`. A fractional `n` is taken by
   * its shortest decimal text, so `Quantity.fromNumber(0.1)` is exactly `100m`, and anything
   * finer than a nano is rounded up.
   *
   * @throws {@link QuantityError} (`numeric`) when `n` is not finite.
   */
  static fromNumber(n: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    if (typeof n === 'bigint') return new Quantity(n * NANO, format);
    return new Quantity(numberToNanos(n, 0), format);
  }

  /** The zero quantity (prints `0`). */
  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, format);
  }

  /**
   * `this + q`, exact. The result keeps this quantity's format, or takes `q`'s when this one is
   * zero (as upstream's `Add`): `0 + 1Gi` prints `1Gi`.
   */
  add(q: Quantity): Quantity {
    return new Quantity(this.#nanos + q.#nanos, this.#nanos === 0n ? q.format : this.format);
  }

  /** `this - q`, exact; the format follows the same rule as {@link add}. */
  sub(q: Quantity): Quantity {
    return new Quantity(this.#nanos - q.#nanos, this.#nanos === 0n ? q.format : this.format);
  }

  /** `this × factor` for a whole `factor` (e.g. requests × replicas), exact, same format. */
  mul(factor: number | bigint): Quantity {
    if (typeof factor === 'number' && !Number.isSafeInteger(factor)) {
      throw new RangeError(`quantity factor must be a safe integer, got ${factor}`);
    }
    return new Quantity(this.#nanos * BigInt(factor), this.format);
  }

  /** `-this`, same format. */
  neg(): Quantity {
    return new Quantity(-this.#nanos, this.format);
  }

  /** `-1`, `0` or `1` as this is less than, equal to or greater than `q`. Formats are ignored. */
  cmp(q: Quantity): -1 | 0 | 1 {
    return this.#nanos < q.#nanos ? -1 : this.#nanos > q.#nanos ? 1 : 0;
  }

  /** Whether both quantities have the same value (formats are ignored: `1k` equals `1000`). */
  equals(q: Quantity): boolean {
    return this.#nanos === q.#nanos;
  }

  /** Whether the value is zero. */
  isZero(): boolean {
    return this.#nanos === 0n;
  }

  /** `-1`, `0` or `1` as the value is negative, zero or positive. */
  sign(): -1 | 0 | 1 {
    return this.#nanos < 0n ? -1 : this.#nanos > 0n ? 1 : 0;
  }

  /** The exact value in nano-units: `parseQuantity('1m').nanoValue() === 1_000_000n`. */
  nanoValue(): bigint {
    return this.#nanos;
  }

  /**
   * The value in thousandths, rounded away from zero like upstream's `MilliValue` on its
   * integer path: `1n` gives `1`, `-1n` gives `-1`, `1.5` gives `1500`.
   * Exact up to `Number.MAX_SAFE_INTEGER`.
   */
  milliValue(): number {
    return Number(divAwayFromZero(this.#nanos, MILLI_IN_NANOS));
  }

  /**
   * The value in whole units, rounded away from zero like upstream's `Value`: `100m` gives `1`,
   * `-1500m` gives `-2`, `128Mi` gives `134217728`. Exact up to `Number.MAX_SAFE_INTEGER`.
   */
  value(): number {
    return Number(divAwayFromZero(this.#nanos, NANO));
  }

  /**
   * The value as the nearest `number` (upstream `AsApproximateFloat64`), for ratios such as the
   * HPA's usage / target. Not exact: use {@link cmp} and {@link add} for decisions.
   */
  asApproximateFloat64(): number {
    const whole = this.#nanos / NANO;
    const frac = this.#nanos % NANO;
    return Number(whole) + Number(frac) / 1e9;
  }

  /**
   * The canonical text, as upstream's `Quantity.String()`:
   *
   * - zero is `0`;
   * - `DecimalSI` and `DecimalExponent` print the smallest integer mantissa with an exponent
   *   that is a multiple of 3: `1000m` → `1`, `0.1` → `100m`, `1500k` → `1500k`, `2e3` → `2e3`,
   *   `1.5e3` → `1500`, `15e-1` → `1500e-3`;
   * - `BinarySI` prints the largest power of 1024 that divides the value: `1.5Gi` → `1536Mi`;
   *   a value below 1024 in magnitude, or with a fractional part, prints as `DecimalSI`
   *   (`0.5Ki` → `512`, `1.1Ki` → `1126400m`) so nothing is rounded; a value that no power
   *   of 1024 divides prints as a bare number (`2000`), which re-parses as `DecimalSI` and then
   *   prints `2k`, exactly as upstream.
   *
   * Differences from upstream: upstream sometimes echoes the parsed text verbatim (`+1`,
   * `2E3`); kubeloop always canonicalizes (`1`, `2e3`). Past the largest suffix kubeloop keeps
   * it and grows the mantissa (`1000E`, `8192Ei`), where upstream prints a bare mantissa.
   */
  toString(): string {
    return canonicalText(this.#nanos, this.format);
  }

  /** JSON form: the canonical text, as upstream marshals a quantity. */
  toJSON(): string {
    return this.toString();
  }
}

/** The canonical text of `nanos` in `format`; see {@link Quantity.toString}. */
function canonicalText(nanos: bigint, format: QuantityFormat): string {
  if (nanos === 0n) return '0';
  const magnitude = abs(nanos);
  if (format === 'BinarySI' && magnitude >= 1024n * NANO && magnitude % NANO === 0n) {
    let mantissa = nanos / NANO;
    let power = 0;
    while (power < 6 && abs(mantissa) >= 1024n && mantissa % 1024n === 0n) {
      mantissa /= 1024n;
      power++;
    }
    return `${mantissa}${BINARY_BY_POWER[power]}`;
  }
  let mantissa = nanos;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const down = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(down);
  exponent -= down;
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  if (exponent > 18) {
    mantissa *= 10n ** BigInt(exponent - 18);
    exponent = 18;
  }
  return `${mantissa}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
}

/** The pieces of a quantity's text, as upstream's `parseQuantityString` splits it. */
interface Scanned {
  readonly negative: boolean;
  /** Integer digits without leading zeros (`''` for zero). */
  readonly whole: string;
  /** Fraction digits (may be empty). */
  readonly fraction: string;
  readonly suffix: string;
}

/**
 * Splits `text` into sign, digits and suffix, following upstream's scanner quirk for quirk: a
 * bare sign or dot is zero (`-`, `+`, `.` parse as `0`), and `1.G` is accepted.
 */
function scan(text: string): Scanned | 'format' {
  let i = 0;
  const end = text.length;
  let negative = false;
  if (text[0] === '-' || text[0] === '+') {
    negative = text[0] === '-';
    i++;
  }
  while (text[i] === '0') i++;
  const wholeStart = i;
  while (isDigit(text[i])) i++;
  const whole = text.slice(wholeStart, i);
  let fraction = '';
  if (text[i] === '.') {
    i++;
    const fractionStart = i;
    while (isDigit(text[i])) i++;
    fraction = text.slice(fractionStart, i);
  }
  const suffixStart = i;
  while (i < end && SUFFIX_CHARS.includes(text[i]!)) i++;
  if (i < end && (text[i] === '+' || text[i] === '-')) i++;
  while (isDigit(text[i])) i++;
  if (i < end) return 'format';
  return { negative, whole, fraction, suffix: text.slice(suffixStart) };
}

type Interpreted =
  | { readonly base: 10; readonly exponent: number; readonly format: 'DecimalSI' | 'DecimalExponent' }
  | { readonly base: 2; readonly exponent: number; readonly format: 'BinarySI' };

/** Upstream's suffix table lookup: decimal SI, then binary SI, then `e`/`E` exponents. */
function interpretSuffix(suffix: string): Interpreted | undefined {
  const dec = DECIMAL_SUFFIXES.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  const m = /^[eE]([-+]?)([0-9]+)$/.exec(suffix);
  if (!m) return undefined;
  // Upstream parses the exponent as an int64; anything beyond is a suffix error.
  const magnitude = BigInt(m[2]!);
  const negative = m[1] === '-';
  if (magnitude > (negative ? MAX_BINARY + 1n : MAX_BINARY)) return undefined;
  // Beyond ±2^53 the value is far outside MAX_QUANTITY_DIGITS either way, so a lossy
  // conversion cannot change the outcome.
  const exponent = Number(magnitude);
  return { base: 10, exponent: negative ? -exponent : exponent, format: 'DecimalExponent' };
}

/**
 * `sign × digits × 10^scale` in nanos, rounded away from zero to the nano. Callers bound the
 * size first (see {@link MAX_QUANTITY_DIGITS}).
 */
function decimalToNanos(negative: boolean, digits: string, scale: number): bigint {
  const significant = digits.replace(/^0+/, '');
  if (significant === '') return 0n;
  const shift = scale + 9;
  let magnitude: bigint;
  if (shift >= 0) {
    magnitude = BigInt(significant) * 10n ** BigInt(shift);
  } else if (-shift > significant.length) {
    // Less than one nano, and not zero: rounds up to one nano.
    magnitude = 1n;
  } else {
    magnitude = divAwayFromZero(BigInt(significant), 10n ** BigInt(-shift));
  }
  return negative ? -magnitude : magnitude;
}

/** Whether `digits × 10^scale` has more than {@link MAX_QUANTITY_DIGITS} integer digits. */
function tooLarge(digits: string, scale: number): boolean {
  const significant = digits.replace(/^0+/, '');
  return significant !== '' && significant.length + scale > MAX_QUANTITY_DIGITS;
}

/** The nanos of a JS number times 10^scale, via its shortest decimal text. */
function numberToNanos(n: number, scale: number): bigint {
  const text = String(n);
  const m = Number.isFinite(n) ? /^(-?)([0-9]*)(?:\.([0-9]*))?(?:e([-+]?[0-9]+))?$/.exec(text) : null;
  if (!m) throw new QuantityError('numeric', text);
  const fraction = m[3] ?? '';
  const exponent = Number(m[4] ?? '0');
  return decimalToNanos(m[1] === '-', (m[2] ?? '') + fraction, exponent - fraction.length + scale);
}

/** Parses without throwing: the quantity, or the error. */
function parse(text: string): Quantity | QuantityError {
  if (text.length === 0) return new QuantityError('format', text);
  const scanned = scan(text);
  if (scanned === 'format') return new QuantityError('format', text);
  const kind = interpretSuffix(scanned.suffix);
  if (kind === undefined) return new QuantityError('suffix', text);
  const digits = scanned.whole + scanned.fraction;
  const scale = -scanned.fraction.length;
  if (kind.base === 10) {
    if (tooLarge(digits, kind.exponent + scale)) return new QuantityError('numeric', text);
    return Quantity.fromNanos(decimalToNanos(scanned.negative, digits, kind.exponent + scale), kind.format);
  }
  // BinarySI: digits × 2^exponent × 10^scale, rounded up to the nano, capped at 2^63-1 (the
  // input's length bounds the size, so no digit limit is needed).
  const exact = BigInt(digits === '' ? '0' : digits) << BigInt(kind.exponent);
  const rounded = decimalToNanos(false, exact.toString(), scale);
  const magnitude = rounded > MAX_BINARY * NANO ? MAX_BINARY * NANO : rounded;
  // Upstream: a BinarySI value strictly between 0 and 1 becomes DecimalSI, "to avoid confusion".
  const format = magnitude > 0n && magnitude < NANO ? 'DecimalSI' : 'BinarySI';
  return Quantity.fromNanos(scanned.negative ? -magnitude : magnitude, format);
}

/**
 * Parses a quantity as upstream's `resource.ParseQuantity` does.
 *
 * Accepts an optional sign, digits with an optional fraction, then one suffix: decimal SI
 * (`n u m k M G T P E`), binary SI (`Ki Mi Gi Ti Pi Ei`) or an exponent (`e3`, `E-6`, `e+2`).
 * No whitespace. Values finer than a nano round *up* (away from zero): `0.1n` is `1n`.
 * BinarySI values are capped at 2^63-1, as upstream.
 *
 * @example
 * ```ts
 * parseQuantity('128Mi').value();  // 134217728
 * parseQuantity('100m').milliValue(); // 100
 * parseQuantity('2e3').toString(); // '2e3'
 * ```
 * @throws {@link QuantityError} with upstream's message: `format` for malformed text (`''`,
 * `1 Gi`, `1.1.1`), `suffix` for an unknown suffix (`1K`, `1mi`), `numeric` for a value beyond
 * {@link MAX_QUANTITY_DIGITS} digits.
 */
export function parseQuantity(text: string): Quantity {
  const q = parseCached(text);
  if (q instanceof QuantityError) throw q;
  return q;
}

/** {@link parseQuantity} that returns `undefined` instead of throwing. */
export function tryParseQuantity(text: string): Quantity | undefined {
  const q = parseCached(text);
  return q instanceof QuantityError ? undefined : q;
}

/** Whether `text` parses as a quantity (see {@link parseQuantity}). */
export function isQuantity(text: string): boolean {
  return !(parseCached(text) instanceof QuantityError);
}

/*
 * Quantities in a cluster are few and repeated (`100m`, `128Mi`), and every pod write parses
 * them several times (schema, defaults, validation, QoS). Results are immutable, so a bounded
 * memo is safe; it is cleared whole when full rather than tracking recency.
 */
const MEMO_LIMIT = 4096;
const memo = new Map<string, Quantity>();

function parseCached(text: string): Quantity | QuantityError {
  const hit = memo.get(text);
  if (hit !== undefined) return hit;
  const q = parse(text);
  if (q instanceof QuantityError) return q; // errors are rare and carry their own stack
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(text, q);
  return q;
}
