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
import { LruCache } from '../util/lru.js';
import { flatten } from '../util/objects.js';

/** `Normal` for routine happenings, `Warning` for what may need attention. */
export type EventType = 'Normal' | 'Warning';

/** How an {@link EventRecorder} is built. */
export interface EventRecorderOptions {
  /** Where events are written. */
  readonly client: Client;
  /** Timestamps and the dedup window. */
  readonly clock: Clock;
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

/** The last nanosecond timestamp an event was named with, per clock (one per simulated cluster). */
const lastNamed = new WeakMap<Clock, bigint>();

/**
 * The nanosecond timestamp an event created at `now` is named with: the millisecond's first
 * nanosecond, or one past the last name given on `clock` when that is later — what a real
 * nanosecond clock gives, strictly increasing, so names sort in the order the events happened
 * and two recorders on one clock (a scheduler's `Scheduled`, a kubelet's `Pulling` in the same
 * millisecond) never collide. A virtual clock may stand between two milliseconds (a jittered
 * back-off): BigInt takes whole numbers only.
 */
function eventNanos(clock: Clock, now: number): bigint {
  const start = BigInt(Math.floor(now)) * 1_000_000n;
  const last = lastNamed.get(clock);
  const nanos = last !== undefined && last >= start ? last + 1n : start;
  lastNamed.set(clock, nanos);
  return nanos;
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
 * The different messages of similar events in the window: one string until a second one comes
 * (nearly every event has a single message, and a `Set` per event is most of the cache's weight).
 */
interface Similar {
  messages: string | Set<string>;
  lastSeenMs: number;
  /**
   * The Event written for the group's first message, and for its combined message: kept here,
   * not under a key of their own, as nearly every group has one message (a key per message
   * repeated the group's key and the message, most of the recorder's weight).
   */
  readonly firstMessage: string;
  /** The part of the object (`involvedObject.fieldPath`) the group's first message was about, `''` for the whole object. */
  readonly firstFieldPath: string;
  first?: Seen | undefined;
  combined?: Seen | undefined;
}

/** How many keys each of the recorder's caches holds at most (client-go's LRU size). */
const CACHE_SIZE = 4096;

/** Joins key parts with a character no name, reason or message of an event key carries. */
const SEP = '\u0000';

/**
 * Records events about objects (client-go's `record.EventRecorder` with its `EventCorrelator`).
 *
 * Guarantees:
 * - the first occurrence creates an Event named `<object name>.<hex suffix>` in the object's
 *   namespace (`default` for cluster-scoped objects), with `count: 1`, `firstTimestamp` =
 *   `lastTimestamp` = now, `source.component` and `reportingComponent` set;
 * - a repeat with the same involved object (kind, namespace, name, uid, and the part of it:
 *   `fieldPath`), type, reason, message and source within `windowMs` of the previous one
 *   patches that Event: `count + 1`, `lastTimestamp` = now;
 * - similar events (same source, object, type and reason, whatever part of the object they
 *   are about) with different messages are
 *   combined as client-go's `EventAggregator` combines them: from the tenth different message
 *   within `windowMs` on, each goes into one Event whose message is
 *   `(combined from similar events): <the latest message>`, its `count` rising;
 * - as client-go's spam filter, a source records at most 25 events about one object at once,
 *   then one more per 5 minutes; the rest are dropped (a dropped repeat still counts towards
 *   the `count` of the next one written);
 * - writes for similar events are applied in call order.
 *
 * Caveats: best effort, as upstream — a failed write is reported to `onError` and dropped; a
 * dedup target that was deleted meanwhile is replaced by a new Event. client-go forgets each
 * message's Event in its own LRU of 4,096 keys; here the Event of a group's first message (and
 * of its combined one) is forgotten with the group, in the LRU of 4,096 groups: they differ
 * only when a recorder sees more than 4,096 different events within the window.
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
  // client-go's EventCorrelator keeps each of these in an LRU of 4096 entries.
  readonly #seen = new LruCache<string, Seen>(CACHE_SIZE);
  readonly #similar = new LruCache<string, Similar>(CACHE_SIZE);
  readonly #buckets = new LruCache<string, { tokens: number; lastMs: number }>(CACHE_SIZE);
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
   * Records that `type`/`reason`/`message` happened to `object`, or to the part of it that
   * `fieldPath` names (upstream's `involvedObject.fieldPath`, e.g. `spec.containers{web}` for
   * a container's events, as the kubelet reports them). Resolves once the write is done (or
   * failed and was reported); never rejects, so callers may ignore the promise.
   */
  event(object: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const o = this.#options;
    const meta = object.metadata;
    // Events that may be combined (same source, object, type and reason) are recorded in call
    // order, one after the other: they may end up patching the same Event.
    // client-go keys its caches by source (component, host) and object (kind, namespace, name,
    // uid, apiVersion). A recorder has one source and caches of its own, and a uid names one
    // object: the key is the uid alone when there is one (keys are most of the caches' weight).
    const source = meta.uid !== undefined && meta.uid !== '' ? meta.uid : flatten([object.apiVersion, object.kind, meta.namespace ?? '', meta.name ?? ''].join(SEP));
    const similar = flatten(`${source}${SEP}${type}${SEP}${reason}`);
    const previous = this.#chains.get(similar) ?? Promise.resolve();
    const next = previous.then(() => this.#record(source, similar, object, type, reason, message, fieldPath ?? '')).catch((error: unknown) => o.onError?.(error));
    this.#chains.set(similar, next);
    void next.then(() => {
      if (this.#chains.get(similar) === next) this.#chains.delete(similar);
    });
    return next;
  }

  async #record(source: string, similar: string, object: KubeObject, type: EventType, reason: string, message: string, fieldPath: string): Promise<void> {
    const o = this.#options;
    const now = o.clock.now();
    const window = o.windowMs ?? 600_000;
    // client-go's EventAggregator: the tenth different message of similar events within the
    // window, and every one after it, goes into one combined Event instead.
    let entry = this.#similar.get(similar);
    if (entry === undefined || now - entry.lastSeenMs > window) this.#similar.set(similar, (entry = { messages: message, lastSeenMs: now, firstMessage: message, firstFieldPath: fieldPath, first: undefined, combined: undefined }));
    entry.lastSeenMs = now;
    let messages = entry.messages;
    if (typeof messages === 'string' && messages !== message) entry.messages = messages = new Set([messages]);
    if (typeof messages !== 'string') messages.add(message);
    let text = message;
    const combined = typeof messages !== 'string' && messages.size >= MAX_SIMILAR_MESSAGES;
    if (combined && typeof messages !== 'string') {
      messages.delete(messages.values().next().value!);
      text = `(combined from similar events): ${message}`;
    }
    // Where the Event of this message (about this part of the object: client-go's event key has
    // the field path, its aggregation key does not) is remembered: in the group for its first
    // message and the combined one, under a key of its own for the others.
    const own = combined || (message === entry.firstMessage && fieldPath === entry.firstFieldPath) ? undefined : flatten(`${similar}${SEP}${fieldPath}${SEP}${message}`);
    // client-go's eventObserve: a repeat within the window counts on the Event it repeats.
    const seen = combined ? entry.combined : own === undefined ? entry.first : this.#seen.get(own);
    const repeat = seen !== undefined && now - seen.lastSeenMs <= window;
    if (repeat) {
      seen.count++;
      seen.lastSeenMs = now;
    }
    // client-go's spam filter: each source and object gets 25 events, then one per 5 minutes.
    if (!this.#takeToken(source, now)) return;
    if (repeat) {
      try {
        const body = combined ? { count: seen.count, lastTimestamp: formatTime(now), message: text } : { count: seen.count, lastTimestamp: formatTime(now) };
        await o.client.patch(this.#resource, { namespace: seen.namespace, name: seen.name }, { type: 'merge', body });
        return;
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
        // The Event was deleted (or expired): start a new one.
      }
    }
    const created = await this.#create(object, type, reason, text, fieldPath, now);
    const written: Seen = { namespace: created.metadata.namespace ?? '', name: created.metadata.name ?? '', count: 1, lastSeenMs: now };
    if (combined) entry.combined = written;
    else if (own === undefined) entry.first = written;
    else this.#seen.set(own, written);
  }

  /** A token of `source`'s bucket (client-go's `EventSourceObjectSpamFilter`), if it has one. */
  #takeToken(source: string, now: number): boolean {
    let bucket = this.#buckets.get(source);
    // A bucket the LRU forgot is a full one, as client-go's spam filter makes a new one.
    if (bucket === undefined) this.#buckets.set(source, (bucket = { tokens: SPAM_BURST, lastMs: now }));
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (now - bucket.lastMs) / SPAM_REFILL_MS);
    bucket.lastMs = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  async #create(object: KubeObject, type: EventType, reason: string, message: string, fieldPath: string, now: number): Promise<Event> {
    const o = this.#options;
    const meta = object.metadata;
    const namespace = meta.namespace ?? 'default';
    for (let attempt = 0; ; attempt++) {
      // client-go names events `<name>.<hex of the nanosecond timestamp>`, so a list (by name)
      // shows an object's events in the order they happened. On a millisecond clock the
      // sub-millisecond part is the clock's event count within the millisecond (see eventNanos).
      const nanos = eventNanos(o.clock, now);
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
          ...(fieldPath === '' ? {} : { fieldPath }),
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
}
