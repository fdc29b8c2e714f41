/**
 * A growable ring buffer: O(1) push and shift without the O(n) `Array.prototype.shift`.
 * Internal to the workqueue.
 *
 * @module
 */

/** First-in first-out buffer. Invariant: `buf.length` is a power of two and `size ≤ buf.length`. */
export class Fifo<T> {
  private buf: Array<T | undefined> = new Array<T | undefined>(16).fill(undefined);
  private head = 0;
  /** Number of stored elements. */
  size = 0;

  /** Appends `x`. */
  push(x: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = x;
    this.size++;
  }

  /** Removes and returns the oldest element; the caller checks `size > 0` first. */
  shift(): T {
    const buf = this.buf;
    const x = buf[this.head] as T;
    buf[this.head] = undefined;
    this.head = (this.head + 1) & (buf.length - 1);
    this.size--;
    return x;
  }

  /** The elements, oldest first (a copy). */
  toArray(): T[] {
    const out: T[] = [];
    const mask = this.buf.length - 1;
    for (let i = 0; i < this.size; i++) out.push(this.buf[(this.head + i) & mask] as T);
    return out;
  }

  /** Removes every element. */
  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const items = this.toArray();
    const buf = new Array<T | undefined>(this.buf.length * 2).fill(undefined);
    for (let i = 0; i < items.length; i++) buf[i] = items[i];
    this.buf = buf;
    this.head = 0;
  }
}
