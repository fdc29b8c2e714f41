/**
 * The trace of a simulated cluster: every change the store made, in order, stamped with
 * virtual time.
 *
 * @module
 */
import type { KubeObject } from '@kubeloop/core';
import { isHeartbeat, mayHeartbeat } from './quiet.js';

/** One change of the store, as a watch saw it. */
export interface TraceEntry {
  /** Virtual milliseconds since the cluster was created. */
  readonly t: number;
  /** What happened to the object. */
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (for DELETED, its last state). */
  readonly object: KubeObject;
}

/**
 * How far back {@link TraceRecorder.changesSince} counts exactly: one virtual hour before the
 * latest change (settle asks about its quiet window, 20 s by default). Older counts are dropped
 * so that a long run keeps a bounded history.
 */
export const CHANGE_HISTORY_MS = 3_600_000;

function keyOf(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/**
 * Where a {@link TraceRecorder} sends the trace: `'memory'` keeps every entry (for
 * `SimCluster.trace()`), `'none'` keeps none, a function receives each entry as it happens and
 * nothing is kept (e.g. to stream it to a file).
 */
export type TraceSink = 'memory' | 'none' | ((entry: TraceEntry) => void);

/**
 * Records changes and tells heartbeats from real changes (one writer: the cluster's watches).
 *
 * Invariants: `entries` is in the order the store made the changes (watches of the in-memory
 * server deliver synchronously, in revision order), and empty unless the sink is `'memory'`;
 * `latest` holds the last state of every live object seen of a kind that may heartbeat; `lastChangeAt` is the time of the
 * last entry that was not a heartbeat; `changes` holds one `{ t, kind, count }` per run of
 * non-heartbeat changes of one kind at one time, oldest first, whatever the sink.
 *
 * Caveats: whatever the sink, the recorder keeps the live objects of the kinds that heartbeat (to tell heartbeats) and a
 * few numbers per non-heartbeat change time of the last {@link CHANGE_HISTORY_MS} (for
 * {@link TraceRecorder.changesSince}); only the entries themselves, with every heartbeat,
 * depend on the sink.
 */
export class TraceRecorder {
  readonly #sink: TraceSink;
  readonly #entries: TraceEntry[] = [];
  readonly #latest = new Map<string, KubeObject>();
  /** Times and kinds of the non-heartbeat changes, oldest first; a run at one time and kind is one item. */
  readonly #changes: { readonly t: number; readonly kind: string; count: number }[] = [];
  #lastChangeAt = 0;

  /** A recorder sending entries to `sink` (default `'memory'`). */
  constructor(sink: TraceSink = 'memory') {
    this.#sink = sink;
  }

  /** Whether {@link TraceRecorder.entries} holds the trace (the sink is `'memory'`). */
  get keepsEntries(): boolean {
    return this.#sink === 'memory';
  }

  /** Records one change at virtual time `t`. */
  record(t: number, type: TraceEntry['type'], object: KubeObject): void {
    const entry: TraceEntry = { t, type, object };
    if (this.#sink === 'memory') this.#entries.push(entry);
    else if (this.#sink !== 'none') this.#sink(entry);
    let heartbeat = false;
    if (mayHeartbeat(object.kind)) {
      const key = keyOf(object);
      heartbeat = type === 'MODIFIED' && isHeartbeat(this.#latest.get(key), object);
      if (type === 'DELETED') this.#latest.delete(key);
      else this.#latest.set(key, object);
    }
    if (!heartbeat) {
      this.#lastChangeAt = t;
      const last = this.#changes.at(-1);
      if (last !== undefined && last.t === t && last.kind === object.kind) last.count++;
      else this.#changes.push({ t, kind: object.kind, count: 1 });
      if (this.#changes.length > 4096 && this.#changes[0]!.t < t - CHANGE_HISTORY_MS) {
        const keep = this.#changes.findIndex((c) => c.t >= t - CHANGE_HISTORY_MS);
        this.#changes.splice(0, keep);
      }
    }
  }

  /** Every change so far, in order, when the sink is `'memory'`; else empty. */
  get entries(): readonly TraceEntry[] {
    return this.#entries;
  }

  /** When the last change that was not a heartbeat happened (0 if none). */
  get lastChangeAt(): number {
    return this.#lastChangeAt;
  }

  /**
   * Non-heartbeat changes after `since` (exclusive), counted by kind; exact when `since` is
   * within {@link CHANGE_HISTORY_MS} of the latest change (older ones may have been dropped).
   */
  changesSince(since: number): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = this.#changes.length - 1; i >= 0 && this.#changes[i]!.t > since; i--) {
      const { kind, count } = this.#changes[i]!;
      out.set(kind, (out.get(kind) ?? 0) + count);
    }
    return out;
  }
}
