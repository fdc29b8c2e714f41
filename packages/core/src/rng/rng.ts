/**
 * The randomness contract: uids, generated name suffixes, jitter and simulated behaviour all
 * draw from an injected {@link Rng}, so the same seed gives the same run.
 *
 * @module
 */

/**
 * A deterministic pseudo-random generator.
 *
 * Guarantees: two generators made from the same seed return the same sequence for the same
 * calls. Not cryptographically secure.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** A random RFC 4122 version-4 UUID string, as `metadata.uid`. */
  uuid(): string;
  /**
   * A suffix for `generateName`, from upstream's alphabet without vowels and confusable
   * characters (`bcdfghjklmnpqrstvwxz2456789`), 5 characters by default.
   */
  nameSuffix(length?: number): string;
  /** A new generator whose sequence is derived from this one (for independent streams). */
  fork(): Rng;
}
