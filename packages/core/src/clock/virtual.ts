/**
 * A virtual clock for simulations and tests: time only moves when the test says so, and then
 * jumps from timer to timer (DESIGN.md, "Time and determinism").
 *
 * @module
 */
import type { Clock, Timer } from './clock.js';
import { sleepOn } from './sleep.js';

/** 2026-01-01T00:00:00Z, where a {@link VirtualClock} starts unless told otherwise. */
export const VIRTUAL_EPOCH_MS = 1_767_225_600_000;

/**
 * Captured at load time so that test fake-timer libraries patching the global later cannot
 * break draining.
 */
const yieldToMacrotask: (resolve: () => void) => void = globalThis.setImmediate.bind(globalThis);

/** Why a {@link VirtualClock} refused an operation. */
export type VirtualClockErrorCode =
  /** `advance`, `runUntilIdle` or `flush` was called while one of them was still running. */
  | 'busy'
  /** `runUntilIdle` hit its `maxTimers` or `maxMs` bound with timers still pending. */
  | 'not-idle'
  /** A duration was negative, NaN or infinite. */
  | 'invalid-duration'
  /** `jump` was asked to move time backwards without `allowBackward`. */
  | 'backward-jump';

/** The one error type of the virtual clock; switch on `code`, not on the message. */
export class VirtualClockError extends Error {
  /** What went wrong. */
  readonly code: VirtualClockErrorCode;

  /** Builds an error with a stable lowercase message. */
  constructor(code: VirtualClockErrorCode, message: string) {
    super(message);
    this.name = 'VirtualClockError';
    this.code = code;
  }
}

/** Bounds for {@link VirtualClock.runUntilIdle}. */
export interface RunUntilIdleOptions {
  /** Throw once this many timers have fired and more are pending (default 100 000). */
  readonly maxTimers?: number;
  /**
   * Throw instead of firing a timer whose deadline is more than this many milliseconds after
   * the start of the run (default: unbounded).
   */
  readonly maxMs?: number;
}

/** One scheduled callback in the heap. */
class VirtualTimer implements Timer {
  /** True once fired or cancelled; such a timer is dead and skipped when it reaches the top. */
  done = false;

  constructor(
    private readonly clock: VirtualClock,
    /** Absolute deadline in virtual ms since the epoch. */
    readonly deadline: number,
    /** Insertion sequence number: breaks deadline ties first-set first-fired. */
    readonly seq: number,
    /** What to call; dropped once fired or cancelled so closures can be collected. */
    public callback: (() => void) | undefined,
  ) {}

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.callback = undefined;
    this.clock.onCancel();
  }
}

/** Heap order: earlier deadline first, then earlier insertion. */
function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/**
 * A deterministic {@link Clock} whose time only moves through {@link VirtualClock.advance},
 * {@link VirtualClock.runUntilIdle} and {@link VirtualClock.jump}. It never reads the wall clock.
 *
 * Guarantees:
 * - timers fire in (deadline, insertion order) — a total order, so the same program gives the
 *   same firing order on every run;
 * - while a timer fires, `now()` equals its deadline (or the current time, if the timer is
 *   overdue after a forward {@link VirtualClock.jump});
 * - between two timers, every pending promise continuation runs (see {@link VirtualClock.flush}),
 *   so `await clock.sleep(10); doWork()` has done its work before the next timer fires;
 * - a timer set for a deadline that is already due while `advance` runs fires within the same
 *   `advance` (a timer set with delay 0 from a callback fires before `advance` returns).
 *
 * Caveats:
 * - draining microtasks yields to Node's macrotask queue once (`setImmediate`). Node runs the
 *   whole microtask queue — however long the chain of `await`s — before the next macrotask, so
 *   any purely promise-based continuation completes, and so does one parked in
 *   {@link VirtualClock.yieldToEventLoop}. Work that waits for real I/O or for another
 *   macrotask (a `setImmediate` of its own) is not waited for.
 * - `advance`, `runUntilIdle` and `flush` must not overlap (await each one); an overlapping call
 *   throws rather than interleave timers nondeterministically.
 *
 * Errors: {@link VirtualClockError} (`busy`, `not-idle`, `invalid-duration`, `backward-jump`).
 * A timer callback that throws makes the `advance`/`runUntilIdle` call reject with that error;
 * the clock stays at that timer's deadline and later timers stay pending.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const order: string[] = [];
 * clock.setTimer(20, () => order.push('b'));
 * clock.setTimer(10, () => order.push('a'));
 * await clock.advance(20); // order is ['a', 'b'], clock.now() is VIRTUAL_EPOCH_MS + 20
 * ```
 */
export class VirtualClock implements Clock {
  /** Current virtual time; only moves forward except through `jump(…, { allowBackward })`. */
  private current: number;
  /** Binary min-heap of timers by {@link before}; may contain dead (fired or cancelled) entries. */
  private heap: VirtualTimer[] = [];
  /** Number of live timers in `heap`; `heap.length - live` are dead. */
  private live = 0;
  /** Next insertion sequence number. */
  private seq = 0;
  /** True while `advance`, `runUntilIdle` or `flush` is running. */
  private busy = false;
  /** Continuations parked in {@link VirtualClock.yieldToEventLoop} that have not resumed yet. */
  private parked = 0;
  /** The sum of every `jump`'s delta so far. */
  private jumped = 0;

  /**
   * Whether the clock is inside `advance`, `runUntilIdle`, `jump` or `flush` right now — e.g.
   * when code running in a timer callback wants to know whether it may call them (it may not).
   */
  get isAdvancing(): boolean {
    return this.busy;
  }

  /** Starts at `startMs` (milliseconds since the epoch; default {@link VIRTUAL_EPOCH_MS}). */
  constructor(startMs: number = VIRTUAL_EPOCH_MS) {
    checkDuration('startMs', startMs, true);
    this.current = startMs;
  }

  /** The current virtual time in milliseconds since the epoch. */
  now(): number {
    return this.current;
  }

  /**
   * Schedules `callback` at `now() + delayMs` (negative or NaN delays mean 0). The callback
   * fires during a later `advance`/`runUntilIdle`, never synchronously.
   */
  setTimer(delayMs: number, callback: () => void): Timer {
    const delay = delayMs > 0 ? delayMs : 0;
    const timer = new VirtualTimer(this, this.current + delay, this.seq++, callback);
    this.push(timer);
    this.live++;
    return timer;
  }

  /**
   * Resolves when virtual time reaches `now() + delayMs`.
   *
   * Errors: rejects with `signal.reason` if `signal` is already aborted or aborts first; the timer
   * is then cancelled.
   */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /**
   * Resolves after one turn of Node's event loop (a `setImmediate`), without letting virtual
   * time move meanwhile: `advance`, `runUntilIdle` and `flush` fire no further timer, and do not
   * return, until every continuation parked here has resumed and its promise chain has drained.
   * A chain of work that never waits for a timer (a write loop that keeps the microtask queue
   * busy) calls it now and then so that real timers — a test framework's timeout — can fire.
   *
   * Guarantees: deterministic — parked continuations resume in the order they were parked, and
   * the clock waits for them exactly as it waits for any other pending continuation.
   */
  yieldToEventLoop(): Promise<void> {
    this.parked++;
    return new Promise<void>((resolve) =>
      yieldToMacrotask(() => {
        this.parked--;
        resolve();
      }),
    );
  }

  /** How many timers are set and have neither fired nor been cancelled. */
  pendingTimers(): number {
    return this.live;
  }

  /** The deadline of the next timer to fire, or `undefined` if none is pending. */
  nextDeadline(): number | undefined {
    return this.peek()?.deadline;
  }

  /**
   * Moves time forward by `ms`, firing every timer due up to `now() + ms` in order. Before each
   * timer fires, `now()` is set to its deadline; after each one, pending promise continuations
   * run. Ends at exactly `now() + ms` (as it was when called), with continuations drained.
   *
   * Errors: `invalid-duration` if `ms` is negative or not finite; `busy` if another
   * `advance`/`runUntilIdle`/`flush` is running.
   */
  async advance(ms: number): Promise<void> {
    checkDuration('ms', ms, false);
    this.enter();
    try {
      const target = this.current + ms;
      await this.drain();
      for (let t = this.peek(); t !== undefined && t.deadline <= target; t = this.peek()) {
        this.fire(t);
        await this.drain();
      }
      if (target > this.current) this.current = target;
      await this.drain();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Fires timers in order until none is pending, draining continuations after each one; time
   * ends at the last fired timer's deadline.
   *
   * Errors: `not-idle` when `maxTimers` timers have fired (default 100 000) or the next deadline
   * lies beyond `maxMs` from the start and timers are still pending — the message names how many
   * are pending and when the next one is due; `busy` as for {@link VirtualClock.advance}.
   */
  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<void> {
    const maxTimers = options.maxTimers ?? 100_000;
    const maxMs = options.maxMs ?? Infinity;
    this.enter();
    try {
      const start = this.current;
      let fired = 0;
      await this.drain();
      for (let t = this.peek(); t !== undefined; t = this.peek()) {
        if (fired >= maxTimers) {
          throw this.notIdle(`fired ${fired} timers (maxTimers)`, start);
        }
        if (t.deadline - start > maxMs) {
          throw this.notIdle(`reached maxMs ${maxMs}`, start);
        }
        this.fire(t);
        fired++;
        await this.drain();
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * A clock-jump fault: moves `now()` by `deltaMs` without firing anything.
   *
   * - Forward: timers whose deadlines were jumped over are overdue; they fire, in order, at the
   *   next `advance` (even `advance(0)`) or `runUntilIdle`, with `now()` left at the jumped-to
   *   time (time never moves back to an overdue deadline). This models a paused process or VM.
   * - Backward: only with `allowBackward: true`, since it breaks the {@link Clock} guarantee that
   *   `now()` never decreases. Timers keep their absolute deadlines, so they fire later in
   *   virtual time than first scheduled. Use it to test that code survives a stepped clock.
   *
   * Errors: `backward-jump` for a negative `deltaMs` without `allowBackward`;
   * `invalid-duration` if `deltaMs` is not finite.
   */
  jump(deltaMs: number, options: { readonly allowBackward?: boolean } = {}): void {
    if (!Number.isFinite(deltaMs)) {
      throw new VirtualClockError('invalid-duration', `deltaMs must be finite, got ${deltaMs}`);
    }
    if (deltaMs < 0 && options.allowBackward !== true) {
      throw new VirtualClockError(
        'backward-jump',
        `refusing to jump ${deltaMs}ms backwards without allowBackward: a clock going back is a fault`,
      );
    }
    this.current += deltaMs;
    this.jumped += deltaMs;
  }

  /**
   * The ms `now()` has moved through {@link VirtualClock.jump} so far (the sum of the deltas;
   * a backward jump subtracts). `now()` minus this is the time the clock actually ran: a jump
   * models a paused process, during which no timer fired.
   */
  get jumpedMs(): number {
    return this.jumped;
  }

  /**
   * Runs every pending promise continuation without moving time or firing timers.
   *
   * Errors: `busy` as for {@link VirtualClock.advance}.
   */
  async flush(): Promise<void> {
    this.enter();
    try {
      await this.drain();
    } finally {
      this.busy = false;
    }
  }

  /** Called by a timer when it is cancelled. @internal */
  onCancel(): void {
    this.live--;
    // Keep the heap from filling with cancelled timers (a workqueue cancels often).
    if (this.heap.length > 64 && this.live * 2 < this.heap.length) this.compact();
  }

  /** Runs pending continuations, including those parked in {@link VirtualClock.yieldToEventLoop}. */
  private async drain(): Promise<void> {
    do await drain();
    while (this.parked > 0);
  }

  private enter(): void {
    if (this.busy) {
      throw new VirtualClockError(
        'busy',
        'virtual clock is already advancing: await advance/runUntilIdle/flush before calling again',
      );
    }
    this.busy = true;
  }

  private fire(t: VirtualTimer): void {
    this.pop();
    this.live--;
    t.done = true;
    const callback = t.callback;
    t.callback = undefined;
    if (t.deadline > this.current) this.current = t.deadline;
    callback?.();
  }

  private notIdle(why: string, start: number): VirtualClockError {
    const next = this.peek();
    const at = next === undefined ? '' : `, next due at +${next.deadline - start}ms from the start of the run`;
    return new VirtualClockError(
      'not-idle',
      `virtual clock not idle: ${why} with ${this.live} timer${this.live === 1 ? '' : 's'} still pending${at}`,
    );
  }

  /** The live timer that fires next, discarding dead ones from the top. */
  private peek(): VirtualTimer | undefined {
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      if (!top.done) return top;
      this.pop();
    }
    return undefined;
  }

  private push(t: VirtualTimer): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(t);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(t, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = t;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    this.siftDown(last, 0);
  }

  private siftDown(t: VirtualTimer, from: number): void {
    const heap = this.heap;
    const n = heap.length;
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!before(child, t)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = t;
  }

  private compact(): void {
    const alive = this.heap.filter((t) => !t.done);
    this.heap = alive;
    for (let i = (alive.length >> 1) - 1; i >= 0; i--) this.siftDown(alive[i]!, i);
  }
}

/** Runs every queued microtask: see the Caveats on {@link VirtualClock}. */
function drain(): Promise<void> {
  return new Promise<void>((resolve) => yieldToMacrotask(resolve));
}

function checkDuration(name: string, ms: number, allowNegative: boolean): void {
  if (!Number.isFinite(ms) || (!allowNegative && ms < 0)) {
    throw new VirtualClockError('invalid-duration', `${name} must be a finite${allowNegative ? '' : ' non-negative'} number of milliseconds, got ${ms}`);
  }
}
