/**
 * The basic workqueue, with client-go `util/workqueue` (`queue.go`) semantics: a FIFO that
 * deduplicates items that are waiting (the dirty set) and never hands the same item to two
 * workers at once (the processing set).
 *
 * @module
 */
import type { Clock } from '../clock/clock.js';
import { Fifo } from './fifo.js';
import type { WorkqueueMetricsProvider } from './metrics.js';
import { QueueMetrics, noopWorkqueueMetricsProvider } from './metrics.js';

/**
 * What a workqueue can hold: primitives, because items are compared with `===` (they are keys of
 * a `Map`/`Set`). Use a string key such as `namespace/name`; two equal objects would not be
 * deduplicated. `undefined` and `null` are excluded so that {@link Workqueue.tryGet} can signal
 * "nothing available" with `undefined`.
 */
export type WorkqueueItem = string | number | bigint | boolean | symbol;

/** The result of {@link Workqueue.get}: an item to process, or the news that the queue shut down. */
export type GetResult<T> =
  | { readonly item: T; readonly shutdown: false }
  | { readonly item?: undefined; readonly shutdown: true };

/**
 * A work queue (client-go `workqueue.TypedInterface`).
 *
 * Guarantees:
 * - deduplication: an item added several times before a worker takes it is handed out once;
 * - exclusivity: an item is never handed to two workers at once — an item added while a worker
 *   processes it is marked dirty and queued again when the worker calls {@link Workqueue.done};
 * - no lost adds: every accepted add is followed by the item being handed out (after the
 *   current processing of it, if any, is done);
 * - items are handed out in first-added order; waiting `get` calls are served in call order.
 *
 * Caveats:
 * - every item handed out must be passed to {@link Workqueue.done}, or it is never handed out
 *   again;
 * - after {@link Workqueue.shutDown}, adds are ignored but items already queued are still handed
 *   out by `get`/`tryGet` until the queue is empty (as in client-go); only then does `get`
 *   report `shutdown`.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export interface Workqueue<T extends WorkqueueItem> {
  /** Marks `item` as needing processing; a no-op if it is already waiting or after shutdown. */
  add(item: T): void;
  /** How many items are waiting to be handed out (not counting those being processed). */
  len(): number;
  /**
   * Hands out the next item, waiting for one if the queue is empty. Resolves to
   * `{ shutdown: true }` once the queue is shut down and empty.
   */
  get(): Promise<GetResult<T>>;
  /**
   * The synchronous fast path of {@link Workqueue.get}: hands out the next item if one is
   * waiting, else returns `undefined` (empty, or shut down and empty) without waiting.
   */
  tryGet(): T | undefined;
  /**
   * Marks the processing of `item` as finished; if it was added again meanwhile, it is queued
   * again. A no-op for an item that is not being processed.
   */
  done(item: T): void;
  /** Ignores further adds and makes waiting and future `get`s on an empty queue report shutdown. */
  shutDown(): void;
  /**
   * Like {@link Workqueue.shutDown}, then resolves once no item is being processed (every
   * handed-out item has been passed to `done`), or when {@link Workqueue.shutDown} is called.
   */
  shutDownWithDrain(): Promise<void>;
  /** Whether {@link Workqueue.shutDown} or {@link Workqueue.shutDownWithDrain} was called. */
  shuttingDown(): boolean;
  /**
   * Checks the internal invariants (see the fields of the implementation) and throws an `Error`
   * naming the first one violated. For tests; O(n).
   */
  assertInvariants(): void;
}

/** How to build a queue. */
export interface QueueOptions {
  /** The time source for metrics and delays. */
  readonly clock: Clock;
  /** The queue's name, used as the metrics label; without a name no metrics are recorded. */
  readonly name?: string;
  /** Where metrics go; default {@link noopWorkqueueMetricsProvider}. */
  readonly metrics?: WorkqueueMetricsProvider;
}

const SHUTDOWN: GetResult<never> = Object.freeze({ shutdown: true });

/** The basic queue (client-go `Typed[T]`). */
export class Queue<T extends WorkqueueItem> implements Workqueue<T> {
  /** The injected time source. */
  protected readonly clock: Clock;
  /** Metrics bookkeeping, or `undefined` when metrics are off (the fast path). */
  protected readonly metrics: QueueMetrics<T> | undefined;
  /**
   * Items waiting to be handed out, in order.
   * Invariant: every element of `queue` is in `dirty` and not in `processing`; no duplicates.
   */
  private readonly queue = new Fifo<T>();
  /**
   * Every item that needs processing: those in `queue`, plus those added again while being
   * processed (they move to `queue` on `done`).
   */
  private readonly dirty = new Set<T>();
  /**
   * Items handed to a worker and not yet `done`. Invariant: an item is in here at most once,
   * so no two workers ever hold it; it may also be in `dirty` but then not in `queue`.
   */
  private readonly processing = new Set<T>();
  /** Pending `get` calls, oldest first. Invariant: non-empty only while `queue` is empty and not shutting down. */
  private readonly waiters = new Fifo<(result: GetResult<T>) => void>();
  /** Pending `shutDownWithDrain` calls. Invariant: non-empty only while draining with items in `processing`. */
  private drainWaiters: Array<() => void> = [];
  /** Set once by `shutDown`/`shutDownWithDrain`; adds are then ignored. */
  private shutting = false;
  /** Whether a `shutDownWithDrain` is waiting for `processing` to empty (cleared by `shutDown`). */
  private draining = false;

  /** Builds an empty queue; see {@link QueueOptions}. */
  constructor(options: QueueOptions) {
    this.clock = options.clock;
    const provider = options.metrics ?? noopWorkqueueMetricsProvider;
    this.metrics =
      options.name !== undefined && options.name !== '' && provider !== noopWorkqueueMetricsProvider
        ? new QueueMetrics<T>(options.clock, options.name, provider)
        : undefined;
  }

  add(item: T): void {
    if (this.shutting || this.dirty.has(item)) return;
    this.metrics?.add(item);
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.enqueue(item);
  }

  len(): number {
    return this.queue.size;
  }

  get(): Promise<GetResult<T>> {
    if (this.queue.size > 0) return Promise.resolve({ item: this.take(this.queue.shift()), shutdown: false });
    if (this.shutting) return Promise.resolve(SHUTDOWN);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  tryGet(): T | undefined {
    return this.queue.size > 0 ? this.take(this.queue.shift()) : undefined;
  }

  done(item: T): void {
    if (!this.processing.has(item)) return;
    this.metrics?.done(item);
    this.processing.delete(item);
    // An item added again while it was processed goes back to the queue. A drain waits for
    // processing only, not for the queue, so it can finish here either way (as upstream's `Done`).
    if (this.dirty.has(item)) this.enqueue(item);
    if (this.processing.size === 0 && this.draining) this.finishDrain();
  }

  shutDown(): void {
    this.draining = false;
    this.beginShutdown();
    this.finishDrain();
  }

  shutDownWithDrain(): Promise<void> {
    this.draining = true;
    this.beginShutdown();
    if (this.processing.size === 0) {
      this.finishDrain();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  assertInvariants(): void {
    const queued = this.queue.toArray();
    const seen = new Set<T>();
    for (const item of queued) {
      if (seen.has(item)) fail(`item ${String(item)} is queued twice`);
      seen.add(item);
      if (!this.dirty.has(item)) fail(`queued item ${String(item)} is not dirty`);
      if (this.processing.has(item)) fail(`queued item ${String(item)} is also being processed`);
    }
    for (const item of this.dirty) {
      if (!seen.has(item) && !this.processing.has(item)) fail(`dirty item ${String(item)} is neither queued nor being processed`);
    }
    if (this.waiters.size > 0 && this.queue.size > 0) fail('get calls are waiting while items are queued');
    if (this.waiters.size > 0 && this.shutting) fail('get calls are waiting after shutdown');
    if (this.drainWaiters.length > 0 && !(this.draining && this.processing.size > 0)) {
      fail('shutDownWithDrain is waiting although nothing is being processed');
    }
  }

  /** Queues a dirty, not-processing item, or hands it straight to the oldest waiting `get`. */
  private enqueue(item: T): void {
    if (this.waiters.size > 0) {
      const resolve = this.waiters.shift();
      resolve({ item: this.take(item), shutdown: false });
    } else {
      this.queue.push(item);
    }
  }

  /** Moves an item that left `queue` (or never entered it) to `processing`. */
  private take(item: T): T {
    this.metrics?.get(item);
    this.processing.add(item);
    this.dirty.delete(item);
    return item;
  }

  private beginShutdown(): void {
    this.shutting = true;
    // Waiters exist only while the queue is empty, so they all learn of the shutdown.
    while (this.waiters.size > 0) this.waiters.shift()(SHUTDOWN);
  }

  private finishDrain(): void {
    if (this.processing.size === 0) this.metrics?.stop();
    const waiting = this.drainWaiters;
    if (waiting.length === 0) return;
    this.drainWaiters = [];
    for (const resolve of waiting) resolve();
  }
}

function fail(message: string): never {
  throw new Error(`workqueue invariant violated: ${message}`);
}
