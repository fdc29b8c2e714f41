/**
 * The watcher: list, then watch from the list's revision, and keep watching through dropped
 * connections and expired revisions (client-go's `Reflector.ListAndWatch`, kube-rs's
 * `watcher`).
 *
 * It is written in two layers, as kube-rs's `watcher.rs`:
 *
 * - a pure state machine, {@link step}: `step(state, input) → [outputs, state]`. Inputs are what
 *   happened (a list came back, a watch event arrived, the watch failed...); outputs are the
 *   {@link WatcherEvent}s to publish and the commands to run next (list, watch, back off).
 *   Tests drive it with plain arrays.
 * - a thin RxJS driver, {@link watcher}, that runs the commands against a {@link Client} and
 *   the injected {@link Clock}, feeds the results back into `step`, and publishes the events.
 *
 * The phases:
 *
 * ```
 *            Start              Listed(list)                WatchEvent(e): Apply/Delete, rv := e.rv
 *   Empty ─────────▶ Listing ───────────────▶ Watching(rv) ◀──┐
 *                     ▲  │ ListFailed            │  │  │      │
 *                     │  ▼                       │  │  └──────┘
 *                     │ BackingOff(list)         │  │ WatchClosed after events: re-watch from rv at once
 *                     │  │ BackoffElapsed        │  │ WatchFailed / empty WatchClosed:
 *                     └──┘                       │  └──▶ BackingOff(watch, rv) ──▶ Watching(rv)
 *                     ▲                          │
 *                     └──── WatchFailed(410) ────┘  relist (at once after progress, else backed off)
 * ```
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { Subscription } from 'rxjs';
import { isApiError } from '../api/errors.js';
import type { KubeObject, ObjectList } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Client, SelectorInput, WatchEvent } from '../client/types.js';
import type { Clock, Timer } from '../clock/clock.js';
import type { Rng } from '../rng/rng.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/**
 * What a watcher publishes. A (re)list is bracketed, so that a cache can swap in the new
 * snapshot atomically and compute synthetic deletes for objects that vanished while the watcher
 * was disconnected:
 *
 * - `InitStart`: a list came back; a new snapshot follows.
 * - `InitApply`: one object of the snapshot.
 * - `InitDone`: the snapshot is complete; `resourceVersion` is the list's revision. Every object
 *   the consumer knew that was not in the snapshot has been deleted meanwhile.
 * - `Apply`: an object was created or changed (watch `ADDED` / `MODIFIED`).
 * - `Delete`: an object was deleted (watch `DELETED`); `object` is its last state.
 *
 * Guarantees: `InitApply` only appears between `InitStart` and `InitDone`; `Apply` / `Delete`
 * only appear after the first `InitDone`, in the server's resourceVersion order.
 *
 * Caveats: a watch restarted from the last seen revision may replay nothing or, on some servers,
 * re-deliver an `Apply` of a version already seen: consumers apply `Apply` idempotently (the
 * cache does).
 */
export type WatcherEvent<T extends KubeObject> =
  | { readonly type: 'InitStart' }
  | { readonly type: 'InitApply'; readonly object: T }
  | { readonly type: 'InitDone'; readonly resourceVersion: string }
  | { readonly type: 'Apply'; readonly object: T }
  | { readonly type: 'Delete'; readonly object: T };

/**
 * The watcher's state. `retries` counts consecutive failures since the last progress (a watch
 * event or bookmark received); it drives the backoff and is reset by progress.
 *
 * - `Empty`: nothing done yet (or a relist is due).
 * - `Listing`: a list request is in flight.
 * - `Watching`: a watch from `resourceVersion` (the last revision seen, bookmarks included) is
 *   open; `received` counts the events it delivered.
 * - `BackingOff`: waiting before retrying; `resume` says what comes next.
 */
export type WatcherState =
  | { readonly phase: 'Empty' }
  | { readonly phase: 'Listing'; readonly retries: number }
  | { readonly phase: 'Watching'; readonly resourceVersion: string; readonly retries: number; readonly received: number }
  | {
      readonly phase: 'BackingOff';
      readonly resume: 'List' | 'Watch';
      /** The revision to watch from when `resume` is `Watch`. */
      readonly resourceVersion: string | undefined;
      readonly retries: number;
    };

/**
 * What happened, as fed to {@link step}:
 *
 * - `Start`: begin (only meaningful in `Empty`).
 * - `Listed` / `ListFailed`: the list request came back.
 * - `WatchEvent`: the open watch delivered an event (bookmarks included).
 * - `WatchFailed`: the watch errored; an `ApiError` with reason `Expired` or `Gone`
 *   (410) means the revision left the server's history window.
 * - `WatchClosed`: the server ended the watch cleanly.
 * - `BackoffElapsed`: the backoff timer fired.
 */
export type WatcherInput<T extends KubeObject> =
  | { readonly type: 'Start' }
  | { readonly type: 'Listed'; readonly list: ObjectList<T> }
  | { readonly type: 'ListFailed'; readonly error: unknown }
  | { readonly type: 'WatchEvent'; readonly event: WatchEvent<T> }
  | { readonly type: 'WatchFailed'; readonly error: unknown }
  | { readonly type: 'WatchClosed' }
  | { readonly type: 'BackoffElapsed' };

/**
 * What {@link step} asks for:
 *
 * - `Emit`: publish a {@link WatcherEvent}.
 * - `List`: issue a list request (its result comes back as `Listed` / `ListFailed`).
 * - `Watch`: open a watch after `resourceVersion`, closing any previous one.
 * - `Backoff`: wait (the driver computes the delay from `retries`), then feed `BackoffElapsed`.
 *
 * `List` and `Backoff` carry the `cause` that made them necessary, if any, for reporting.
 */
export type WatcherOutput<T extends KubeObject> =
  | { readonly type: 'Emit'; readonly event: WatcherEvent<T> }
  | { readonly type: 'List'; readonly cause?: unknown }
  | { readonly type: 'Watch'; readonly resourceVersion: string }
  | { readonly type: 'Backoff'; readonly retries: number; readonly cause?: unknown };

/** The state a watcher starts in. */
export const initialWatcherState: WatcherState = Object.freeze({ phase: 'Empty' });

/** Whether `error` is a 410 (`Expired` or `Gone`): the revision is too old and a relist is needed. */
export function isExpired(error: unknown): boolean {
  return isApiError(error, 'Expired', 'Gone');
}

// ---------------------------------------------------------------------------------------------
// The pure state machine
// ---------------------------------------------------------------------------------------------

/**
 * Advances the watcher by one input. Pure: same state and input, same result.
 *
 * Transitions:
 * - `Empty` + `Start` → `Listing`, command `List`.
 * - `Listing` + `Listed` → `Watching(list rv)`, emitting `InitStart`, one `InitApply` per item,
 *   `InitDone`, then command `Watch(list rv)`.
 * - `Listing` + `ListFailed` → `BackingOff(List)`.
 * - `Watching` + `WatchEvent` → `ADDED`/`MODIFIED` emit `Apply`, `DELETED` emits `Delete`,
 *   `BOOKMARK` emits nothing; all move the revision forward and reset `retries`.
 * - `Watching` + `WatchFailed(410)` → `Listing` (at once when the watch had made progress since
 *   the last failure, else through `BackingOff(List)` so a server that keeps answering 410
 *   cannot cause a hot loop).
 * - `Watching` + `WatchFailed(other)` → `BackingOff(Watch, rv)`.
 * - `Watching` + `WatchClosed` → re-watch from rv at once if this watch delivered anything,
 *   else `BackingOff(Watch, rv)` (client-go treats a very short, empty watch as an error).
 * - `BackingOff` + `BackoffElapsed` → `Listing` or `Watching(rv)` with the matching command.
 *
 * Guarantees: an input that does not belong to the current phase (a late completion of a
 * request the driver has abandoned) is ignored: `[[], state]`.
 */
export function step<T extends KubeObject>(
  state: WatcherState,
  input: WatcherInput<T>,
): [readonly WatcherOutput<T>[], WatcherState] {
  switch (state.phase) {
    case 'Empty':
      if (input.type === 'Start') return [[{ type: 'List' }], { phase: 'Listing', retries: 0 }];
      return [[], state];

    case 'Listing':
      if (input.type === 'Listed') {
        const rv = input.list.metadata.resourceVersion;
        const outputs: WatcherOutput<T>[] = [{ type: 'Emit', event: { type: 'InitStart' } }];
        for (const object of input.list.items) outputs.push({ type: 'Emit', event: { type: 'InitApply', object } });
        outputs.push({ type: 'Emit', event: { type: 'InitDone', resourceVersion: rv } });
        outputs.push({ type: 'Watch', resourceVersion: rv });
        return [outputs, { phase: 'Watching', resourceVersion: rv, retries: state.retries, received: 0 }];
      }
      if (input.type === 'ListFailed') {
        const retries = state.retries + 1;
        return [
          [{ type: 'Backoff', retries, cause: input.error }],
          { phase: 'BackingOff', resume: 'List', resourceVersion: undefined, retries },
        ];
      }
      return [[], state];

    case 'Watching':
      switch (input.type) {
        case 'WatchEvent': {
          const next = afterWatchEvent(state, input.event);
          if (next === state) return [[], state];
          const emitted = watcherEventOf(input.event);
          return [emitted === undefined ? [] : [{ type: 'Emit', event: emitted }], next];
        }
        case 'WatchFailed': {
          const cause = input.error;
          const retries = state.retries + 1;
          if (isExpired(cause)) {
            if (state.retries === 0) return [[{ type: 'List', cause }], { phase: 'Listing', retries }];
            return [
              [{ type: 'Backoff', retries, cause }],
              { phase: 'BackingOff', resume: 'List', resourceVersion: undefined, retries },
            ];
          }
          return [
            [{ type: 'Backoff', retries, cause }],
            { phase: 'BackingOff', resume: 'Watch', resourceVersion: state.resourceVersion, retries },
          ];
        }
        case 'WatchClosed': {
          if (state.received > 0) {
            return [
              [{ type: 'Watch', resourceVersion: state.resourceVersion }],
              { phase: 'Watching', resourceVersion: state.resourceVersion, retries: state.retries, received: 0 },
            ];
          }
          const retries = state.retries + 1;
          return [
            [{ type: 'Backoff', retries }],
            { phase: 'BackingOff', resume: 'Watch', resourceVersion: state.resourceVersion, retries },
          ];
        }
        default:
          return [[], state];
      }

    case 'BackingOff':
      if (input.type !== 'BackoffElapsed') return [[], state];
      if (state.resume === 'Watch' && state.resourceVersion !== undefined) {
        return [
          [{ type: 'Watch', resourceVersion: state.resourceVersion }],
          { phase: 'Watching', resourceVersion: state.resourceVersion, retries: state.retries, received: 0 },
        ];
      }
      return [[{ type: 'List' }], { phase: 'Listing', retries: state.retries }];
  }
}

/**
 * The state after a watch event while `Watching` (the part of {@link step} the informer's hot
 * path runs without building inputs and outputs): the event's revision becomes the one to resume
 * from, and the retries are reset. An event of an unknown type changes nothing (`state` itself).
 */
export function afterWatchEvent<T extends KubeObject>(state: WatcherState & { readonly phase: 'Watching' }, event: WatchEvent<T>): WatcherState {
  switch (event.type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
    case 'BOOKMARK':
      return { phase: 'Watching', resourceVersion: event.object.metadata.resourceVersion ?? state.resourceVersion, retries: 0, received: state.received + 1 };
    default:
      return state;
  }
}

/** What a watch event publishes while `Watching`: `Apply`, `Delete`, or nothing (a bookmark). */
export function watcherEventOf<T extends KubeObject>(event: WatchEvent<T>): WatcherEvent<T> | undefined {
  switch (event.type) {
    case 'ADDED':
    case 'MODIFIED':
      return { type: 'Apply', object: event.object };
    case 'DELETED':
      return { type: 'Delete', object: event.object };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Backoff
// ---------------------------------------------------------------------------------------------

/**
 * Exponential backoff with jitter. Defaults follow client-go's reflector and kube-rs's
 * `DefaultBackoff`: 800 ms doubling up to 30 s.
 */
export interface BackoffPolicy {
  /** Delay after the first failure, in ms. Default 800. */
  readonly initialMs?: number;
  /** Multiplier per further consecutive failure. Default 2. */
  readonly factor?: number;
  /** Upper bound of a delay, jitter included, in ms. Default 30 000. */
  readonly maxMs?: number;
  /** Relative spread around the base delay, in [0, 1]: the delay is `base × (1 ± jitter)`. Default 0.2. */
  readonly jitter?: number;
}

/**
 * The delay before retry number `retries` (1 for the first retry).
 *
 * `base = min(maxMs, initialMs × factor^(retries − 1))`, then
 * `delay = min(maxMs, base × (1 + jitter × (2 × random − 1)))`.
 * With the defaults and `random = 0.5` (no jitter): 800, 1600, 3200, ... 25 600, 30 000, 30 000.
 *
 * @param random - a draw in [0, 1) (from the injected {@link Rng}); 0.5 gives the base delay.
 */
export function backoffDelay(policy: BackoffPolicy, retries: number, random = 0.5): number {
  const initial = policy.initialMs ?? 800;
  const factor = policy.factor ?? 2;
  const max = policy.maxMs ?? 30_000;
  const jitter = policy.jitter ?? 0.2;
  const base = Math.min(max, initial * Math.pow(factor, Math.max(0, retries - 1)));
  return Math.max(0, Math.min(max, base * (1 + jitter * (2 * random - 1))));
}

// ---------------------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------------------

/** What a watcher lists and watches, and how it retries. */
export interface WatcherOptions {
  /** Timers for the backoff. */
  readonly clock: Clock;
  /** Jitter source; without one the backoff is the exact base delay. */
  readonly rng?: Rng | undefined;
  /** Only this namespace; all namespaces when absent. */
  readonly namespace?: string | undefined;
  /** Only objects whose labels match. */
  readonly labelSelector?: SelectorInput | undefined;
  /** Only objects whose fields match. */
  readonly fieldSelector?: string | undefined;
  /** Retry delays. */
  readonly backoff?: BackoffPolicy | undefined;
  /**
   * Called with every failure the watcher recovers from (list errors, watch errors, 410s),
   * with the delay before the retry (0 for an immediate relist). For logs and metrics.
   */
  readonly onError?: ((error: unknown, retryInMs: number) => void) | undefined;
  /**
   * Called whenever the watcher's state moves to another phase (`Listing`,
   * `Watching`, `BackingOff`), after the step that moved it. For health checks: a watcher
   * that is not `Watching` does not see changes as they happen.
   */
  readonly onPhase?: ((phase: WatcherState['phase']) => void) | undefined;
}

/**
 * Lists and watches `resource`, forever, as a cold Observable of {@link WatcherEvent}s: each
 * subscription runs its own list/watch loop, and unsubscribing stops it (closes the watch,
 * cancels a pending backoff timer, ignores a list still in flight).
 *
 * Guarantees:
 * - the first events are a bracketed snapshot (`InitStart` … `InitDone`); after a 410 a new
 *   snapshot follows, so a consumer can diff it against what it knew;
 * - between snapshots, `Apply` / `Delete` arrive in resourceVersion order, from the revision
 *   after the last one seen (bookmarks included), with nothing skipped: a dropped watch resumes
 *   where it stopped;
 * - all waiting goes through the injected clock: on a virtual clock nothing happens until the
 *   clock is advanced past a backoff.
 *
 * Errors: never errors; every failure is retried (a 410 relists, at once when the watch had
 * made progress; other failures after a backoff of {@link WatcherOptions.backoff}) and
 * reported through `options.onError`. Completes only when unsubscribed.
 *
 * Caveats: inputs are processed one at a time from a queue, so events that a downstream
 * consumer causes synchronously (a handler writing to an in-memory server) are published after
 * the current one, never re-entrantly.
 */
export function watcher<T extends KubeObject>(
  client: Client,
  resource: ResourceDefinition<T>,
  options: WatcherOptions,
): Observable<WatcherEvent<T>> {
  return new Observable<WatcherEvent<T>>((subscriber) => runWatcher(client, resource, options, (event) => subscriber.next(event)));
}

/**
 * The loop behind {@link watcher}, feeding a plain function instead of an Observable (the
 * informer's hot path: one call per event, no subscriber chain). Same guarantees as
 * {@link watcher}; the returned function stops it (closes the watch, cancels a pending backoff,
 * ignores a list still in flight) and `emit` is never called after it.
 */
export function runWatcher<T extends KubeObject>(
  client: Client,
  resource: ResourceDefinition<T>,
  options: WatcherOptions,
  emit: (event: WatcherEvent<T>) => void,
): () => void {
  let state: WatcherState = initialWatcherState;
  let closed = false;
  let watchSub: Subscription | undefined;
  let timer: Timer | undefined;
  const queue: WatcherInput<T>[] = [];
  let draining = false;
  const selection = {
    namespace: options.namespace,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
  };

  /** One step of the state machine and its commands (while `draining`). */
  const drain = (input: WatcherInput<T>): void => {
    const [outputs, nextState] = step(state, input);
    const moved = nextState.phase !== state.phase;
    state = nextState;
    if (moved) options.onPhase?.(state.phase);
    for (const output of outputs) {
      if (closed) break;
      perform(output);
    }
  };

  const feed = (input: WatcherInput<T>): void => {
    if (closed) return;
    if (draining) {
      queue.push(input);
      return;
    }
    draining = true;
    try {
      // The input at hand goes first without a trip through the queue (the common case: no
      // input arrives while one is processed).
      for (let next: WatcherInput<T> | undefined = input; next !== undefined && !closed; next = queue.shift()) drain(next);
    } finally {
      draining = false;
      queue.length = 0;
    }
  };

  // The hot path: a watch event while watching and idle is the same step as `feed` would take
  // (`step` is written with these two functions), without building its input and outputs.
  const onWatchEvent = (event: WatchEvent<T>): void => {
    if (closed) return;
    if (draining || state.phase !== 'Watching') {
      feed({ type: 'WatchEvent', event });
      return;
    }
    state = afterWatchEvent(state, event);
    const emitted = watcherEventOf(event);
    if (emitted === undefined) return;
    draining = true;
    try {
      emit(emitted);
      for (let next = queue.shift(); next !== undefined && !closed; next = queue.shift()) drain(next);
    } finally {
      draining = false;
      queue.length = 0;
    }
  };

  const perform = (output: WatcherOutput<T>): void => {
    switch (output.type) {
      case 'Emit':
        emit(output.event);
        return;
      case 'List':
        if (output.cause !== undefined) options.onError?.(output.cause, 0);
        watchSub?.unsubscribe();
        watchSub = undefined;
        attempt(() => client.list(resource, selection)).then(
          (list) => feed({ type: 'Listed', list }),
          (error: unknown) => feed({ type: 'ListFailed', error }),
        );
        return;
      case 'Watch': {
        watchSub?.unsubscribe();
        watchSub = undefined;
        let events$: Observable<WatchEvent<T>>;
        try {
          events$ = client.watch(resource, { ...selection, resourceVersion: output.resourceVersion, allowWatchBookmarks: true });
        } catch (error) {
          // A client that throws instead of returning a failing stream: same handling.
          feed({ type: 'WatchFailed', error });
          return;
        }
        watchSub = events$.subscribe({
          next: onWatchEvent,
          error: (error: unknown) => feed({ type: 'WatchFailed', error }),
          complete: () => feed({ type: 'WatchClosed' }),
        });
        return;
      }
      case 'Backoff': {
        watchSub?.unsubscribe();
        watchSub = undefined;
        const delay = backoffDelay(options.backoff ?? {}, output.retries, options.rng?.next());
        if (output.cause !== undefined) options.onError?.(output.cause, delay);
        timer = options.clock.setTimer(delay, () => {
          timer = undefined;
          feed({ type: 'BackoffElapsed' });
        });
        return;
      }
    }
  };

  feed({ type: 'Start' });
  return () => {
    closed = true;
    queue.length = 0;
    watchSub?.unsubscribe();
    timer?.cancel();
  };
}

/** Runs `call`, turning a synchronous throw into a rejected promise. */
function attempt<R>(call: () => Promise<R>): Promise<R> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
