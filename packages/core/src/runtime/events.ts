/**
 * The event recorder: writes core/v1 `Event` objects about the objects a controller manages
 * (`kubectl describe` shows them), with client-go's deduplication: the same event repeated
 * within the window bumps `count` and `lastTimestamp` of one Event instead of creating another.
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
 * - writes for one key are applied in call order.
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
    const key = JSON.stringify([o.component, o.host ?? '', object.apiVersion, object.kind, meta.namespace ?? '', meta.name ?? '', meta.uid ?? '', type, reason, message]);
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#record(key, object, type, reason, message)).catch((error: unknown) => o.onError?.(error));
    this.#chains.set(key, next);
    void next.then(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
    return next;
  }

  async #record(key: string, object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const o = this.#options;
    const now = o.clock.now();
    const seen = this.#seen.get(key);
    this.#evictOlderThan(now);
    if (seen !== undefined && now - seen.lastSeenMs <= (o.windowMs ?? 600_000)) {
      seen.count++;
      seen.lastSeenMs = now;
      try {
        await o.client.patch(this.#resource, { namespace: seen.namespace, name: seen.name }, { type: 'merge', body: { count: seen.count, lastTimestamp: formatTime(now) } });
        return;
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
        // The Event was deleted (or expired): start a new one.
      }
    }
    const created = await this.#create(object, type, reason, message, now);
    this.#seen.set(key, { namespace: created.metadata.namespace ?? '', name: created.metadata.name ?? '', count: 1, lastSeenMs: now });
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
    if (this.#seen.size < 4096) return;
    for (const [k, s] of this.#seen) if (now - s.lastSeenMs > window) this.#seen.delete(k);
  }
}
