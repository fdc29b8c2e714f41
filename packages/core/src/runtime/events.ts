/**
 * The event recorder: writes core/v1 `Event` objects about the objects a controller manages
 * (`kubectl describe` shows them), with client-go's `EventCorrelator`: the same event repeated
 * within the window bumps `count` and `lastTimestamp` of one Event instead of creating another,
 * many similar events are combined into one, and a storm of events about one object is cut.
 *
 * @module
 */
import { isApiError } from '../api/errors.js';
import type { Event } from '../api/kinds/core.js';
import { Events } from '../api/kinds/core.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Client } from '../client/types.js';
import type { Clock } from '../clock/clock.js';
import { formatTime } from '../clock/clock.js';
import type { Rng } from '../rng/rng.js';

/** `Normal` for routine happenings, `Warning` for what may need attention. */
export type EventType = 'Normal' | 'Warning';

/** How an {@link EventRecorder} is built. */
export interface EventRecorderOptions {
  /** Where events are written. */
  readonly client: Client;
  /** Timestamps and the dedup window. */
  readonly clock: Clock;
  /** The random part of event names. */
  readonly rng: Rng;
  /** `source.component` and `reportingComponent`, e.g. `deployment-controller`. */
  readonly component: string;
  /** `source.host` and `reportingInstance` (e.g. the manager's identity); empty when absent. */
  readonly host?: string;
  /** The Events resource (default: the built-in core/v1 `Events`). */
  readonly resource?: ResourceDefinition<Event>;
  /**
   * How long a repeat counts as the same event (default 10 minutes, client-go's aggregation
   * interval); after that a new Event object is created.
   */
  readonly windowMs?: number;
  /** Called when writing an event fails (events are best effort, never thrown at the caller). */
  readonly onError?: (error: unknown) => void;
}

/** client-go's `maxEvents`: different messages of similar events before they are combined. */
const MAX_SIMILAR_MESSAGES = 10;
/** client-go's `defaultSpamBurst`: events a source may record about one object at once. */
const SPAM_BURST = 25;
/** client-go's `defaultSpamQPS` (1/300): one more event per 5 minutes after the burst. */
const SPAM_REFILL_MS = 300_000;

interface Seen {
  readonly namespace: string;
  readonly name: string;
  count: number;
  lastSeenMs: number;
}

/**
 * Records events about objects (client-go's `record.EventRecorder` with its `EventCorrelator`).
 *
 * Guarantees:
 * - the first occurrence creates an Event named `<object name>.<hex suffix>` in the object's
 *   namespace (`default` for cluster-scoped objects), with `count: 1`, `firstTimestamp` =
 *   `lastTimestamp` = now, `source.component` and `reportingComponent` set;
 * - a repeat with the same involved object (kind, namespace, name, uid), type, reason, message
 *   and source within `windowMs` of the previous one patches that Event: `count + 1`,
 *   `lastTimestamp` = now;
 * - similar events (same source, object, type and reason) with different messages are
 *   combined as client-go's `EventAggregator` combines them: from the tenth different message
 *   within `windowMs` on, each goes into one Event whose message is
 *   `(combined from similar events): <the latest message>`, its `count` rising;
 * - as client-go's spam filter, a source records at most 25 events about one object at once,
 *   then one more per 5 minutes; the rest are dropped (a dropped repeat still counts towards
 *   the `count` of the next one written);
 * - writes for similar events are applied in call order.
 *
 * Caveats: best effort, as upstream — a failed write is reported to `onError` and dropped; a
 * dedup target that was deleted meanwhile is replaced by a new Event.
 *
 * @example
 * ```ts
 * const recorder = manager.recorder('widget-controller');
 * await recorder.event(widget, 'Normal', 'Scaled', 'scaled up to 3');
 * await recorder.event(widget, 'Normal', 'Scaled', 'scaled up to 3'); // same Event, count 2
 * ```
 */
export class EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #resource: ResourceDefinition<Event>;
  readonly #seen = new Map<string, Seen>();
  readonly #similar = new Map<string, { readonly messages: Set<string>; lastSeenMs: number }>();
  readonly #buckets = new Map<string, { tokens: number; lastMs: number }>();
  readonly #chains = new Map<string, Promise<void>>();

  /** Builds a recorder; see {@link EventRecorderOptions}. */
  constructor(options: EventRecorderOptions) {
    this.#options = options;
    this.#resource = options.resource ?? Events;
  }

  /** The component events are attributed to. */
  get component(): string {
    return this.#options.component;
  }

  /**
   * Records that `type`/`reason`/`message` happened to `object`. Resolves once the write is
   * done (or failed and was reported); never rejects, so callers may ignore the promise.
   */
  event(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const o = this.#options;
    const meta = object.metadata;
    // Events that may be combined (same source, object, type and reason) are recorded in call
    // order, one after the other: they may end up patching the same Event.
    const source = JSON.stringify([o.component, o.host ?? '', object.apiVersion, object.kind, meta.namespace ?? '', meta.name ?? '', meta.uid ?? '']);
    const similar = JSON.stringify([source, type, reason]);
    const previous = this.#chains.get(similar) ?? Promise.resolve();
    const next = previous.then(() => this.#record(source, similar, object, type, reason, message)).catch((error: unknown) => o.onError?.(error));
    this.#chains.set(similar, next);
    void next.then(() => {
      if (this.#chains.get(similar) === next) this.#chains.delete(similar);
    });
    return next;
  }

  async #record(source: string, similar: string, object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const o = this.#options;
    const now = o.clock.now();
    const window = o.windowMs ?? 600_000;
    this.#evictOlderThan(now);
    // client-go's EventAggregator: the tenth different message of similar events within the
    // window, and every one after it, goes into one combined Event instead.
    let messages = this.#similar.get(similar);
    if (messages === undefined || now - messages.lastSeenMs > window) this.#similar.set(similar, (messages = { messages: new Set(), lastSeenMs: now }));
    messages.messages.add(message);
    messages.lastSeenMs = now;
    let key = JSON.stringify([similar, message]);
    let text = message;
    if (messages.messages.size >= MAX_SIMILAR_MESSAGES) {
      messages.messages.delete(messages.messages.values().next().value!);
      key = similar;
      text = `(combined from similar events): ${message}`;
    }
    // client-go's eventObserve: a repeat within the window counts on the Event it repeats.
    const seen = this.#seen.get(key);
    const repeat = seen !== undefined && now - seen.lastSeenMs <= window;
    if (repeat) {
      seen.count++;
      seen.lastSeenMs = now;
    }
    // client-go's spam filter: each source and object gets 25 events, then one per 5 minutes.
    if (!this.#takeToken(source, now)) return;
    if (repeat) {
      try {
        const body = key === similar ? { count: seen.count, lastTimestamp: formatTime(now), message: text } : { count: seen.count, lastTimestamp: formatTime(now) };
        await o.client.patch(this.#resource, { namespace: seen.namespace, name: seen.name }, { type: 'merge', body });
        return;
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
        // The Event was deleted (or expired): start a new one.
      }
    }
    const created = await this.#create(object, type, reason, text, now);
    this.#seen.set(key, { namespace: created.metadata.namespace ?? '', name: created.metadata.name ?? '', count: 1, lastSeenMs: now });
  }

  /** A token of `source`'s bucket (client-go's `EventSourceObjectSpamFilter`), if it has one. */
  #takeToken(source: string, now: number): boolean {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) this.#buckets.set(source, (bucket = { tokens: SPAM_BURST, lastMs: now }));
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (now - bucket.lastMs) / SPAM_REFILL_MS);
    bucket.lastMs = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  async #create(object: KubeObject, type: EventType, reason: string, message: string, now: number): Promise<Event> {
    const o = this.#options;
    const meta = object.metadata;
    const namespace = meta.namespace ?? 'default';
    for (let attempt = 0; ; attempt++) {
      // client-go names events `<name>.<hex of the nanosecond timestamp>`; the random
      // sub-millisecond part keeps names unique on a millisecond clock.
      const nanos = BigInt(now) * 1_000_000n + BigInt(o.rng.int(1_000_000));
      const event: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${meta.name ?? ''}.${nanos.toString(16)}`, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
          name: meta.name ?? '',
          ...(meta.uid === undefined ? {} : { uid: meta.uid }),
          ...(meta.resourceVersion === undefined ? {} : { resourceVersion: meta.resourceVersion }),
        },
        reason,
        message,
        type,
        source: { component: o.component, ...(o.host === undefined ? {} : { host: o.host }) },
        firstTimestamp: formatTime(now),
        lastTimestamp: formatTime(now),
        count: 1,
        reportingComponent: o.component,
        reportingInstance: o.host ?? '',
      };
      try {
        return await o.client.create(this.#resource, event);
      } catch (error) {
        if (attempt < 3 && isApiError(error, 'AlreadyExists')) continue;
        throw error;
      }
    }
  }

  #evictOlderThan(now: number): void {
    const window = this.#options.windowMs ?? 600_000;
    // Bounded memory (client-go keeps an LRU of 4096): forget keys whose window has passed.
    evict(this.#seen, (s) => now - s.lastSeenMs > window);
    evict(this.#similar, (s) => now - s.lastSeenMs > window);
    // A full bucket is as good as none.
    evict(this.#buckets, (b) => b.tokens + (now - b.lastMs) / SPAM_REFILL_MS >= SPAM_BURST);
  }

}

/** How many keys each of the recorder's caches holds at most (client-go's LRU size). */
const CACHE_SIZE = 4096;

/**
 * Keeps `cache` under {@link CACHE_SIZE} keys: once full, drops the `expired` entries and, if it
 * is still full of live ones (more distinct events within the window than client-go's LRU holds,
 * e.g. a Job controller's `Created pod: <name>` for thousands of pods), the oldest-inserted
 * quarter, as an LRU would. The scan then waits for a quarter of new keys, so recording stays
 * O(1) amortized.
 */
function evict<V>(cache: Map<string, V>, expired: (v: V) => boolean): void {
  if (cache.size < CACHE_SIZE) return;
  for (const [k, v] of cache) if (expired(v)) cache.delete(k);
  let excess = cache.size - (CACHE_SIZE * 3) / 4;
  if (cache.size < CACHE_SIZE || excess <= 0) return;
  for (const k of cache.keys()) {
    if (excess-- <= 0) break;
    cache.delete(k);
  }
}
