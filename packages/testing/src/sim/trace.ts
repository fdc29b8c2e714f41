/**
 * The trace of a simulated cluster: every change the store made, in order, stamped with
 * virtual time.
 *
 * @module
 */
import type { KubeObject } from '@kubeloop/core';
import { isHeartbeat } from './quiet.js';

/** One change of the store, as a watch saw it. */
export interface TraceEntry {
  /** Virtual milliseconds since the cluster was created. */
  readonly t: number;
  /** What happened to the object. */
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (for DELETED, its last state). */
  readonly object: KubeObject;
}

function keyOf(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/**
 * Records changes and tells heartbeats from real changes (one writer: the cluster's watches).
 *
 * Invariants: `entries` is in the order the store made the changes (watches of the in-memory
 * server deliver synchronously, in revision order); `latest` holds the last state of every live
 * object seen; `lastChangeAt` is the time of the last entry that was not a heartbeat.
 */
export class TraceRecorder {
  readonly #entries: TraceEntry[] = [];
  readonly #latest = new Map<string, KubeObject>();
  /** Times and kinds of the non-heartbeat changes, oldest first. */
  readonly #changes: { readonly t: number; readonly kind: string }[] = [];
  #lastChangeAt = 0;

  /** Records one change at virtual time `t`. */
  record(t: number, type: TraceEntry['type'], object: KubeObject): void {
    this.#entries.push({ t, type, object });
    const key = keyOf(object);
    const heartbeat = type === 'MODIFIED' && isHeartbeat(this.#latest.get(key), object);
    if (type === 'DELETED') this.#latest.delete(key);
    else this.#latest.set(key, object);
    if (!heartbeat) {
      this.#lastChangeAt = t;
      this.#changes.push({ t, kind: object.kind });
    }
  }

  /** Every change so far, in order. */
  get entries(): readonly TraceEntry[] {
    return this.#entries;
  }

  /** When the last change that was not a heartbeat happened (0 if none). */
  get lastChangeAt(): number {
    return this.#lastChangeAt;
  }

  /** Non-heartbeat changes after `since` (exclusive), counted by kind. */
  changesSince(since: number): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = this.#changes.length - 1; i >= 0 && this.#changes[i]!.t > since; i--) {
      const kind = this.#changes[i]!.kind;
      out.set(kind, (out.get(kind) ?? 0) + 1);
    }
    return out;
  }
}
