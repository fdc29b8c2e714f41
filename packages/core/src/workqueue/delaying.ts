/**
 * The delaying queue (client-go `delaying_queue.go`): a {@link Workqueue} plus
 * `addAfter(item, delay)`, where the earlier deadline wins.
 *
 * @module
 */
import type { Timer } from '../clock/clock.js';
import type { QueueOptions, Workqueue, WorkqueueItem } from './queue.js';
import { Queue } from './queue.js';

/**
 * A {@link Workqueue} that can add items later (client-go `TypedDelayingInterface`).
 *
 * Guarantees:
 * - `addAfter(item, d)` adds `item` once the clock reaches `now + d`; with `d ≤ 0` (or NaN) it
 *   adds at once;
 * - an item waits at most once: adding it again while it waits keeps the earlier deadline
 *   (a later one is ignored, an earlier one replaces it) — like kube-runtime's scheduler;
 * - items whose deadlines are equal are added in the order their deadlines were set (the
 *   clock's timer order), so runs on a virtual clock are deterministic;
 * - waiting is independent of the queue proper: an item can wait while it is also queued or
 *   being processed, and is then added (and deduplicated) normally when due.
 *
 * Caveats: shutting down drops every waiting item and cancels its timer. Each
 * `addAfter`/`addRateLimited` counts one `workqueue_retries_total`, as in client-go.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export interface DelayingWorkqueue<T extends WorkqueueItem> extends Workqueue<T> {
  /** Adds `item` after `delayMs` milliseconds of clock time; see the interface's guarantees. */
  addAfter(item: T, delayMs: number): void;
}

/** One waiting item. */
interface Waiting {
  /** Absolute clock time at which the item is added. */
  readonly deadline: number;
  /** The clock timer that adds it. */
  readonly timer: Timer;
}

/** The delaying queue: one clock timer per waiting item, re-set when a deadline moves earlier. */
export class DelayingQueue<T extends WorkqueueItem> extends Queue<T> implements DelayingWorkqueue<T> {
  /**
   * Items waiting for their deadline. Invariant: each entry's timer is live (neither fired nor
   * cancelled) and its deadline is the earliest requested since the item last became due;
   * empty once shutting down.
   */
  private readonly waiting = new Map<T, Waiting>();

  /** Builds an empty delaying queue; see {@link QueueOptions}. */
  constructor(options: QueueOptions) {
    super(options);
  }

  addAfter(item: T, delayMs: number): void {
    if (this.shuttingDown()) return;
    this.metrics?.retry();
    if (!(delayMs > 0)) {
      this.add(item);
      return;
    }
    const deadline = this.clock.now() + delayMs;
    const existing = this.waiting.get(item);
    if (existing !== undefined) {
      if (existing.deadline <= deadline) return;
      existing.timer.cancel();
    }
    const timer = this.clock.setTimer(delayMs, () => {
      this.waiting.delete(item);
      this.add(item);
    });
    this.waiting.set(item, { deadline, timer });
  }

  override shutDown(): void {
    this.dropWaiting();
    super.shutDown();
  }

  override shutDownWithDrain(): Promise<void> {
    this.dropWaiting();
    return super.shutDownWithDrain();
  }

  override assertInvariants(): void {
    super.assertInvariants();
    if (this.shuttingDown() && this.waiting.size > 0) {
      throw new Error('workqueue invariant violated: items are waiting for a deadline after shutdown');
    }
  }

  private dropWaiting(): void {
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
  }
}
