/**
 * The seeded generator behind every uid, generated name and jitter in simulations and tests.
 *
 * @module
 */
import type { Rng } from './rng.js';

/** Upstream's `k8s.io/apimachinery/pkg/util/rand` alphabet: no vowels, no confusable 0/1/3. */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The character codes of the hexadecimal digits, by value. */
const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const DASH = 0x2d;

/** The character code of the hexadecimal digit of `word`'s four bits at `shift`. */
function hex(word: number, shift: number): number {
  return HEX_CODES[(word >>> shift) & 0xf]!;
}

const TWO_POW_32 = 4_294_967_296;

/** One splitmix32 step: a good 32-bit mixer, used to spread seeds over the generator state. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units, then mixed: turns a string seed into 32 bits. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return splitmix32(h);
}

/** A seed as 32 bits: integers use their low and high words, everything else its text. */
function seedBits(seed: number | string): number {
  if (typeof seed === 'number' && Number.isSafeInteger(seed)) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    return (lo ^ splitmix32(hi)) >>> 0;
  }
  return hashString(String(seed));
}

/**
 * sfc32 (Chris Doty-Humphrey's "small fast chaotic" generator, from PractRand): 128 bits of
 * state, passes PractRand and BigCrush, and needs only 32-bit integer arithmetic, which V8 does
 * without allocating.
 */
class Sfc32 implements Rng {
  // Invariant: a, b, c, d are uint32 values; d is the counter that guarantees a period ≥ 2^32.
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // Discard the first outputs, as the reference seeding does, so that nearby seeds diverge.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The next 32 random bits as an unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.u32() / TWO_POW_32;
  }

  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`int(maxExclusive) needs a positive safe integer, got ${maxExclusive}`);
    }
    if (maxExclusive <= TWO_POW_32) {
      // Rejection sampling: unbiased, and rejects less than half the draws in the worst case.
      const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
      let x = this.u32();
      while (x >= limit) x = this.u32();
      return x % maxExclusive;
    }
    // Beyond 32 bits: a 53-bit float scaled down (bias below 2^-53 relative, irrelevant here).
    const hi = this.u32() >>> 11;
    const lo = this.u32() >>> 5;
    const unit = (hi * 134_217_728 + lo) / 9_007_199_254_740_992;
    return Math.floor(unit * maxExclusive);
  }

  uuid(): string {
    const w0 = this.u32();
    const w1 = this.u32();
    const w2 = this.u32();
    const w3 = this.u32();
    // RFC 4122 §4.4: version 4 in the high nibble of byte 6, variant 10xx in byte 8.
    const b6 = ((w1 >>> 8) & 0x0f) | 0x40;
    const b8 = ((w2 >>> 24) & 0x3f) | 0x80;
    // One flat string from 36 character codes: a concatenation of pieces builds a rope (up to
    // 490 bytes of pieces per uid) and is 30 times slower.
    return String.fromCharCode(
      hex(w0, 28), hex(w0, 24), hex(w0, 20), hex(w0, 16), hex(w0, 12), hex(w0, 8), hex(w0, 4), hex(w0, 0), DASH,
      hex(w1, 28), hex(w1, 24), hex(w1, 20), hex(w1, 16), DASH,
      hex(b6, 4), hex(b6, 0), hex(w1, 4), hex(w1, 0), DASH,
      hex(b8, 4), hex(b8, 0), hex(w2, 20), hex(w2, 16), DASH,
      hex(w2, 12), hex(w2, 8), hex(w2, 4), hex(w2, 0), hex(w3, 28), hex(w3, 24), hex(w3, 20), hex(w3, 16), hex(w3, 12), hex(w3, 8), hex(w3, 4), hex(w3, 0),
    );
  }

  nameSuffix(length = 5): string {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`nameSuffix(length) needs a non-negative integer, got ${length}`);
    }
    let s = '';
    for (let i = 0; i < length; i++) s += SUFFIX_ALPHABET[this.int(SUFFIX_ALPHABET.length)]!;
    return s;
  }

  fork(): Rng {
    // Four fresh draws, each remixed so the child's state is not a shifted copy of the parent's.
    const a = splitmix32(this.u32());
    const b = splitmix32(this.u32() ^ 0x6a09e667);
    const c = splitmix32(this.u32() ^ 0xbb67ae85);
    const d = splitmix32(this.u32() ^ 0x3c6ef372);
    return new Sfc32(a, b, c, d);
  }
}

/**
 * A deterministic {@link Rng} from a seed (sfc32 seeded through splitmix32).
 *
 * Guarantees: the same seed gives the same sequence for the same calls, on every platform and
 * Node version (only 32-bit integer arithmetic and exact divisions by powers of two are used);
 * `fork()` advances this generator by four draws and returns a generator whose sequence depends
 * only on this one's state, so a fixed order of forks gives fixed independent streams;
 * `int(n)` is unbiased for `n` ≤ 2^32.
 *
 * Caveats: not cryptographically secure — never use it for secrets. Integer seeds (safe
 * integers) and string seeds are hashed differently: `seededRng(1)` and `seededRng('1')` differ.
 *
 * Errors: `int` throws `RangeError` unless given a positive safe integer; `nameSuffix` throws
 * `RangeError` for a negative or fractional length.
 *
 * @example
 * ```ts
 * const rng = seededRng('replicaset-test');
 * const uid = rng.uuid();                  // e.g. '3f1c…-…', version 4
 * const name = `web-${rng.nameSuffix()}`;  // e.g. 'web-x7kq2'
 * ```
 */
export function seededRng(seed: number | string): Rng {
  const s = seedBits(seed);
  const a = splitmix32(s);
  const b = splitmix32(a);
  const c = splitmix32(b);
  return new Sfc32(a, b, c, 1);
}
