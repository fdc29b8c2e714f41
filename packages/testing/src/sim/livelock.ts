/**
 * The livelock guard of a {@link SimCluster}: a loop of writes that never lets virtual time pass
 * (two components undoing each other's writes, a controller that requeues itself at once) would
 * otherwise keep the clock's microtask drain busy forever, and the test would hang until the
 * process ran out of memory instead of failing.
 *
 * @module
 */
import { ApiError } from '@kubeloop/core';
import type { AdmissionHook, Clock, KubeObject } from '@kubeloop/core';

/** How many times one object may be written at one virtual instant, by default, before the guard calls it a livelock. */
export const DEFAULT_MAX_OBJECT_WRITES_PER_INSTANT = 1_000;

/**
 * How many writes, to all objects together, one virtual instant may see by default before the
 * guard calls it a livelock: 250,000. Applying 10,000 pods costs about 5 writes a pod (create,
 * bind, status), so 50,000 pods fit in one instant; a larger burst needs a larger bound.
 */
export const DEFAULT_MAX_WRITES_PER_INSTANT = 250_000;

/**
 * How many writes one virtual instant sees between two turns of Node's event loop, once it saw
 * that many: 10,000. A write loop at one instant is a chain of promise continuations that never
 * waits for a timer, so nothing else — a test framework's timeout — could run until the guard
 * trips; past this many writes the next request of a component (the controller manager's, the
 * fake nodes', the scheduler's, a plugin's) waits for one macrotask
 * (`VirtualClock.yieldToEventLoop`, which lets no virtual time pass). No run of the repository's
 * property suites comes near (the largest writes 476 times in all), so their traces are those
 * of a run without yields; a run that does yield stays deterministic (the yields fall at fixed
 * write counts, and parked requests resume in order before the clock moves on).
 */
export const YIELD_EVERY_WRITES_PER_INSTANT = 10_000;

/**
 * How many of an instant's latest writes past the per-object threshold the guard remembers
 * (kind and metadata) to name the families a trip of the total bound writes most: 10,000. A
 * loop is what an instant writes most at its end, so they name it as a count of every write
 * would, without an entry per object.
 */
export const RECENT_WRITES = 10_000;

/**
 * Counts the writes admitted at each virtual instant. A large burst is fine (applying 10,000
 * pods writes each a few times); one object updated or deleted more than `limit` times at the
 * same instant is a loop, and so is more than `totalLimit` writes at one instant in all — a
 * loop that writes new objects each time round (a pod the kubelet rejects, replaced by its
 * ReplicaSet at once, rejected again) never writes one object twice. Past either bound, every
 * further write (to that object, or at all) at that instant is rejected (429
 * `TooManyRequests`), which ends the loop: components see a failed write and retry later, on a
 * timer. The first trip is kept in {@link LivelockGuard.tripped} for the cluster to report.
 * A third bound, on all writes of the cluster's life (`runLimit`), catches a loop that lets a
 * little time pass each time round; past it every write is rejected.
 * Objects are counted one by one only once `limit` writes happened at the instant, so the
 * common write pays for a clock read and a comparison; and a create is not counted against its
 * object (a create is an object's first write: a loop writes an object again, and each round
 * of a create-and-delete loop deletes it once), so the busiest instants — an apply of
 * thousands of pods, each with its events — keep no entry per new object. What a report
 * names for the total bound comes from the instant's last {@link RECENT_WRITES} writes.
 */
export class LivelockGuard {
  /** What the first trip saw: the instant and the objects written most. */
  tripped: string | undefined;
  /** What tripped first: a loop at one instant (`livelock`), or the run's work bound (`too-much-work`). */
  trippedBy: 'livelock' | 'too-much-work' | undefined;
  readonly #clock: Clock;
  readonly #limit: number;
  readonly #totalLimit: number;
  readonly #runLimit: number;
  readonly #runWindow: number;
  #at = Number.NaN;
  #writes = 0;
  #yieldedAt = 0;
  #runWrites = 0;
  /**
   * Writes at the current instant, by object name: the objects of that name (of any kind and
   * namespace) in a short chain, each with its count and last metadata. Keyed by the objects'
   * own name strings: a burst of a million writes at one instant builds no key per write, and a
   * counted write pays for one lookup, not the three of a map per kind and namespace. What is
   * left is one entry per object written at a busy instant, which exact counting needs.
   */
  readonly #byName = new Map<string, Written>();
  /**
   * The instant's latest writes past `limit`: ring buffers of {@link RECENT_WRITES} slots, at
   * `#writes % RECENT_WRITES`, made when an instant first passes `limit` (most clusters never do).
   */
  #recentKinds: string[] | undefined;
  #recentMeta: KubeObject['metadata'][] | undefined;
  readonly #runFamilies = new Map<string, number>();

  /**
   * `limit` bounds the writes to one object at one instant, `totalLimit` all writes at one
   * instant, `runLimit` all writes of the cluster's life (default unbounded); the families of
   * the writes are counted over the last tenth of `runLimit` (at most 10,000 writes), for the
   * report.
   */
  constructor(clock: Clock, limit: number, totalLimit = DEFAULT_MAX_WRITES_PER_INSTANT, runLimit = Number.POSITIVE_INFINITY) {
    this.#clock = clock;
    this.#limit = limit;
    this.#totalLimit = totalLimit;
    this.#runLimit = runLimit;
    this.#runWindow = Math.min(10_000, Math.ceil(runLimit / 10));
  }

  /** How many writes this hook saw since the cluster started, those it rejected included. */
  get writes(): number {
    return this.#runWrites;
  }

  /**
   * Whether the current virtual instant saw another {@link YIELD_EVERY_WRITES_PER_INSTANT}
   * writes since the last time this returned true: the caller then waits for one turn of the
   * event loop before its next write.
   */
  yieldDue(): boolean {
    if (this.#clock.now() !== this.#at || this.#writes - this.#yieldedAt < YIELD_EVERY_WRITES_PER_INSTANT) return false;
    this.#yieldedAt = this.#writes;
    return true;
  }

  /** The validating admission hook that counts and, past the limit, rejects. */
  hook(): AdmissionHook {
    return {
      name: 'kubeloop-livelock-guard',
      validate: ({ operation, resource, object }) => {
        const now = this.#clock.now();
        if (now !== this.#at) {
          this.#at = now;
          this.#writes = 0;
          this.#yieldedAt = 0;
          this.#byName.clear();
        }
        const run = ++this.#runWrites;
        if (run > this.#runLimit - this.#runWindow) {
          const meta = object.metadata;
          const family = familyOf(resource.kind, meta.namespace === undefined ? '' : `${meta.namespace}/`, meta);
          this.#runFamilies.set(family, (this.#runFamilies.get(family) ?? 0) + 1);
          if (run > this.#runLimit) {
            if (this.tripped === undefined) {
              this.trippedBy = 'too-much-work';
              this.tripped = `more than ${this.#runLimit} writes in this run (at virtual time ${now} ms; the bound is maxWritesPerRun): a write loop that never ends (one that lets a little time pass each time round escapes the per-instant bounds), or a run larger than the bound allows; written most in its last ${this.#runWindow} writes: ${top(this.#runFamilies)}`;
            }
            throw new ApiError('TooManyRequests', `work bound: more than ${this.#runLimit} writes in this run`);
          }
        }
        if (++this.#writes <= this.#limit) return;
        const meta = object.metadata;
        const slot = this.#writes % RECENT_WRITES;
        (this.#recentKinds ??= new Array<string>(RECENT_WRITES))[slot] = resource.kind;
        (this.#recentMeta ??= new Array<KubeObject['metadata']>(RECENT_WRITES))[slot] = meta;
        const written = operation === 'CREATE' ? undefined : this.#count(resource.kind, meta);
        if (written !== undefined && written.count > this.#limit) {
          if (this.tripped === undefined) this.trippedBy = 'livelock';
          this.tripped ??= `an object written more than ${this.#limit} times at virtual time ${now} ms without time passing (a write loop: components undoing each other's writes, or a controller requeueing itself at once); written most: ${top(this.#counts())}`;
          const namespace = meta.namespace === undefined ? '' : `${meta.namespace}/`;
          throw new ApiError('TooManyRequests', `livelock guard: ${resource.kind} ${namespace}${meta.name ?? ''} written more than ${this.#limit} times at virtual time ${now} ms without time passing`);
        }
        if (this.#writes > this.#totalLimit) {
          if (this.tripped === undefined) this.trippedBy = 'livelock';
          this.tripped ??= `more than ${this.#totalLimit} writes at virtual time ${now} ms without time passing (a write loop that makes new objects each time round, e.g. pods rejected and replaced at once); written most in its last ${Math.min(RECENT_WRITES, this.#writes - this.#limit)} writes: ${top(this.#recentFamilies())}`;
          throw new ApiError('TooManyRequests', `livelock guard: more than ${this.#totalLimit} writes at virtual time ${now} ms without time passing`);
        }
      },
    };
  }

  /** Counts a write of one object at the current instant. */
  #count(kind: string, meta: KubeObject['metadata']): Written {
    const namespace = meta.namespace === undefined ? '' : meta.namespace;
    const name = meta.name ?? '';
    const first = this.#byName.get(name);
    let written = first;
    while (written !== undefined && (written.kind !== kind || written.namespace !== namespace)) written = written.next;
    if (written === undefined) {
      written = { kind, namespace, count: 0, next: first };
      this.#byName.set(name, written);
    }
    written.count++;
    return written;
  }

  /** The updates and deletes of the current instant counted by object (`Kind namespace/name`): for a report. */
  #counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, first] of this.#byName) {
      for (let written: Written | undefined = first; written !== undefined; written = written.next) {
        const key = `${written.kind} ${written.namespace === '' ? '' : `${written.namespace}/`}${name}`;
        out.set(key, (out.get(key) ?? 0) + written.count);
      }
    }
    return out;
  }

  /** The instant's remembered latest writes counted by family: for a report. */
  #recentFamilies(): Map<string, number> {
    const out = new Map<string, number>();
    const n = Math.min(RECENT_WRITES, this.#writes - this.#limit);
    for (let i = 0; i < n; i++) {
      const slot = (this.#writes - i) % RECENT_WRITES;
      const meta = this.#recentMeta![slot]!;
      const family = familyOf(this.#recentKinds![slot]!, meta.namespace === undefined ? '' : `${meta.namespace}/`, meta);
      out.set(family, (out.get(family) ?? 0) + 1);
    }
    return out;
  }
}

/** One object's writes at the current instant, and the next object of the same name. */
interface Written {
  readonly kind: string;
  /** The namespace, `''` for a cluster-scoped object. */
  readonly namespace: string;
  count: number;
  readonly next: Written | undefined;
}

/**
 * The family an object belongs to, for a report: its controller's (`Pod of ReplicaSet
 * default/web-5d8`), else its `generateName` (`ConfigMap default/job-*`), else itself.
 */
function familyOf(kind: string, namespace: string, meta: KubeObject['metadata']): string {
  const controller = meta.ownerReferences?.find((r) => r.controller === true);
  if (controller !== undefined) return `${kind} of ${controller.kind} ${namespace}${controller.name}`;
  if (meta.generateName !== undefined && meta.generateName !== '') return `${kind} ${namespace}${meta.generateName}*`;
  return `${kind} ${namespace}${meta.name ?? ''}`;
}

/** The five keys counted most, with their counts. */
function top(counts: ReadonlyMap<string, number>): string {
  const most = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
  return most.map(([k, n]) => `${k} (${n})`).join(', ');
}
