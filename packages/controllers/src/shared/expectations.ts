/**
 * Controller expectations (upstream `ControllerExpectations` and
 * `UIDTrackingControllerExpectations`): after a controller creates or deletes pods it must not
 * act on the same owner again until the informer has shown it those creates and deletes, or
 * it would count stale state and over-create or over-delete.
 *
 * Invariants (checked by {@link ControllerExpectations.assertInvariants}):
 * - an entry's `add` and `del` never go below zero in a way that matters: a negative count is
 *   treated as fulfilled, exactly as upstream (`add <= 0 && del <= 0`);
 * - an entry older than {@link EXPECTATIONS_TIMEOUT_MS} counts as satisfied, so a lost watch
 *   event delays a controller by at most five minutes, never forever;
 * - every key tracked for deletion by uid is counted in its owner's `del`.
 *
 * @module
 */
import type { Clock } from '@kubeloop/core';

/** How long expectations hold before they count as satisfied anyway (upstream: 5 minutes). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Entry {
  add: number;
  del: number;
  readonly setAt: number;
}

/**
 * Per-owner counts of creates and deletes the controller still waits to observe, keyed by the
 * owner's `namespace/name`.
 *
 * Guarantees: a key with no entry is satisfied (a new or restarted controller acts at once);
 * `expectCreations`/`expectDeletions` replace the entry, as upstream's `SetExpectations`.
 */
export class ControllerExpectations {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();

  /** Expectations timed by `clock` (the manager's). */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Whether the controller may act on `key`: no entry, fulfilled, or expired. */
  satisfied(key: string): boolean {
    const e = this.#entries.get(key);
    if (e === undefined) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.#clock.now() - e.setAt > EXPECTATIONS_TIMEOUT_MS;
  }

  /** Expect `count` creates for `key` (replacing any previous entry). */
  expectCreations(key: string, count: number): void {
    this.#entries.set(key, { add: count, del: 0, setAt: this.#clock.now() });
  }

  /** Expect `count` deletes for `key` (replacing any previous entry). */
  expectDeletions(key: string, count: number): void {
    this.#entries.set(key, { add: 0, del: count, setAt: this.#clock.now() });
  }

  /**
   * Expect `add` creates and `del` deletes for `key` at once (upstream `SetExpectations`,
   * replacing any previous entry): what a controller that both creates and deletes in one sync
   * (the DaemonSet controller) needs.
   */
  setExpectations(key: string, add: number, del: number): void {
    this.#entries.set(key, { add, del, setAt: this.#clock.now() });
  }

  /** One expected create was seen (or will never happen because the create failed). */
  creationObserved(key: string): void {
    const e = this.#entries.get(key);
    if (e) e.add--;
  }

  /** One expected delete was seen (or will never happen because the delete failed). */
  deletionObserved(key: string): void {
    const e = this.#entries.get(key);
    if (e) e.del--;
  }

  /** Forgets `key` (its owner was deleted). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** The pending counts of `key`, for tests and diagnostics. */
  pending(key: string): { readonly add: number; readonly del: number } | undefined {
    const e = this.#entries.get(key);
    return e === undefined ? undefined : { add: e.add, del: e.del };
  }

  /** Throws if an internal invariant does not hold (used by tests). */
  assertInvariants(): void {
    for (const [key, e] of this.#entries) {
      if (!Number.isInteger(e.add) || !Number.isInteger(e.del)) throw new Error(`expectations of ${key} are not whole numbers: add ${e.add}, del ${e.del}`);
    }
  }
}

/**
 * Expectations that also remember *which* pods are being deleted (upstream
 * `UIDTrackingControllerExpectations`), so that a pod seen deleted twice — once with a
 * `deletionTimestamp`, once gone — lowers the count once.
 */
export class UidTrackingExpectations extends ControllerExpectations {
  readonly #deleting = new Map<string, Set<string>>();

  /** Expect the deletion of the pods keyed `podKeys` (`namespace/name`) for owner `key`. */
  expectDeletionsOf(key: string, podKeys: readonly string[]): void {
    this.setExpectationsOf(key, 0, podKeys);
  }

  /**
   * Expect `add` creates and the deletion of the pods keyed `podKeys` for owner `key` at once,
   * replacing any previous entry and pods: what a controller that both creates and deletes in
   * one sync (the DaemonSet controller) needs. A pod seen being deleted before this call does
   * not count: only its events after it do (a later update while it terminates, or its delete).
   */
  setExpectationsOf(key: string, add: number, podKeys: readonly string[]): void {
    const pods = new Set(podKeys);
    this.#deleting.set(key, pods);
    this.setExpectations(key, add, pods.size);
  }

  /** The pod `podKey` of owner `key` was seen being deleted; counts once per pod. */
  podDeletionObserved(key: string, podKey: string): void {
    const set = this.#deleting.get(key);
    if (set?.delete(podKey) === true) this.deletionObserved(key);
  }

  /** Forgets `key` and the pods tracked for it. */
  override delete(key: string): void {
    super.delete(key);
    this.#deleting.delete(key);
  }

  /** Throws if an internal invariant does not hold (used by tests). */
  override assertInvariants(): void {
    super.assertInvariants();
    for (const [key, set] of this.#deleting) {
      const del = this.pending(key)?.del ?? 0;
      if (set.size > Math.max(del, 0)) throw new Error(`${key} tracks ${set.size} pods being deleted but expects only ${del} deletions`);
    }
  }
}
