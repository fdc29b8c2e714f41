/**
 * A least-recently-used cache of bounded size (as `k8s.io/utils/lru`, which client-go's event
 * correlator uses): reading or writing a key makes it the most recent; writing past capacity
 * drops the least recent key. Every operation is O(1).
 *
 * @module
 */

/**
 * A map of at most `capacity` keys that forgets the least recently used one.
 *
 * Invariants: `size <= capacity`; the iteration order of the backing map is recency order,
 * least recent first (a touched key is deleted and re-inserted at the end).
 *
 * @example
 * ```ts
 * const cache = new LruCache<string, number>(2);
 * cache.set('a', 1);
 * cache.set('b', 2);
 * cache.get('a');    // 1, and 'a' is now the most recent
 * cache.set('c', 3); // drops 'b'
 * ```
 */
export class LruCache<K, V> {
  readonly #capacity: number;
  readonly #map = new Map<K, V>();

  /** A cache holding at most `capacity` (≥ 1) keys. */
  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  /** How many keys the cache holds. */
  get size(): number {
    return this.#map.size;
  }

  /** The value of `key`, making it the most recent; `undefined` when absent. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** Sets `key` as the most recent; drops the least recent key when over capacity. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#capacity) this.#map.delete(this.#map.keys().next().value as K);
  }

  /** Forgets `key`. */
  delete(key: K): void {
    this.#map.delete(key);
  }
}
