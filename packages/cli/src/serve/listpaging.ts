/**
 * List chunking and `resourceVersion` semantics of a list, as kube-apiserver serves them:
 * `limit` and `continue` (an opaque token), `resourceVersion` with `resourceVersionMatch`
 * (`NotOlderThan`, `Exact`), and upstream's validation of the combination.
 *
 * How a consistent multi-page list is served without a store that reads at old revisions: the
 * first page of a chunked list keeps its full result (the store's objects are frozen and
 * shared, so this is an array of references) in a bounded snapshot cache, keyed by the token;
 * following pages are cut from that snapshot, so every page is of the list's one revision, as
 * upstream's pages all read etcd at the first page's revision. A snapshot lives
 * {@link ListPagerOptions.ttlMs} (upstream: until etcd compacts that revision, 5 minutes by
 * default) or until pushed out by newer ones; a token whose snapshot is gone gets 410 `Expired`
 * with upstream's message and, as upstream, a fresh token in the Status's `metadata.continue`
 * that continues after the same key in the current state.
 *
 * @module
 */
import { ApiError, LIST_TOO_OLD, badRequest, invalid, tooLargeResourceVersion } from '@kubeloop/core';
import type { Clock, FieldError, KubeObject, ObjectList } from '@kubeloop/core';

/** The message of upstream's 410 for a continue token whose revision was compacted. */
export const INCONSISTENT_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/**
 * 410 `Expired` for a continue token whose snapshot is gone; `continueToken` continues after
 * the same key in the current state (the Status's `metadata.continue`, as upstream).
 */
export class ExpiredContinueError extends ApiError {
  /** The token that continues, inconsistently, in the current state; empty when nothing follows. */
  readonly continueToken: string;
  constructor(continueToken: string) {
    super('Expired', INCONSISTENT_CONTINUE);
    this.continueToken = continueToken;
  }
}

/** The list parameters of a request's query. */
export interface ListQuery {
  /** At most this many items (absent or 0: all). */
  readonly limit?: number | undefined;
  /** The token of the previous page. */
  readonly continue?: string | undefined;
  /** `""`/absent: the latest; `"0"`: any; `N`: at least N (or exactly N with `Exact`). */
  readonly resourceVersion?: string | undefined;
  /** `NotOlderThan` or `Exact`; only with `resourceVersion`. */
  readonly resourceVersionMatch?: string | undefined;
}

/** One page: the list to send (its `metadata.continue` and `remainingItemCount` set when more follow). */
export type ListPage = ObjectList<KubeObject> & { metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number } };

/** Options of a {@link ListPager}. */
export interface ListPagerOptions {
  /** The clock snapshots age on. */
  readonly clock: Clock;
  /** How long a chunked list's snapshot serves its continue tokens (default 5 minutes, etcd's compaction interval). */
  readonly ttlMs?: number | undefined;
  /** How many snapshots are kept at most, the oldest dropped first (default 256). */
  readonly maxSnapshots?: number | undefined;
}

/** The decoded continue token: upstream's shape (`v`, `rv`, `start`), plus the snapshot it reads. */
interface ContinueToken {
  readonly v: 'meta.k8s.io/v1';
  readonly rv: number;
  /** The key after which the next page starts: `namespace/name` of the last item sent. */
  readonly start: string;
  /** The snapshot's id. */
  readonly s: number;
}

interface Snapshot {
  /** What was listed (resource, namespace and selectors): a token is only good for the same list. */
  readonly scope: string;
  readonly items: readonly KubeObject[];
  readonly resourceVersion: string;
  readonly createdMs: number;
  /** The list's `apiVersion` and `kind` (e.g. `v1`, `PodList`). */
  readonly apiVersion: string;
  readonly kind: string;
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** Parses a `limit` query value: a non-negative integer (negative means none, as upstream). */
export function parseLimit(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw badRequest(`limit: Invalid value: "${value}": must be an integer`);
  const n = Number(value);
  return n > 0 ? n : undefined;
}

/**
 * Upstream's `ValidateListOptions` for a list (not a watch): 422 `Invalid` on `ListOptions`.
 */
export function validateListQuery(q: ListQuery): void {
  const errors: FieldError[] = [];
  const match = q.resourceVersionMatch ?? '';
  const rv = q.resourceVersion ?? '';
  if (match !== '') {
    if (rv === '') errors.push({ type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden unless resourceVersion is provided' });
    if ((q.continue ?? '') !== '') errors.push({ type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden when continue is provided' });
    if (match !== 'Exact' && match !== 'NotOlderThan') errors.push({ type: 'FieldValueNotSupported', field: 'resourceVersionMatch', value: match, detail: 'supported values: "Exact", "NotOlderThan", ""' });
    if (match === 'Exact' && rv === '0') errors.push({ type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
  }
  if (errors.length > 0) throw invalid('ListOptions', 'meta.k8s.io', '', errors);
  if (rv !== '' && !/^\d+$/.test(rv)) throw badRequest(`invalid resource version "${rv}"`);
}

/**
 * Cuts lists into pages and keeps the snapshots their continue tokens read.
 *
 * Guarantees: the pages of one chunked list, concatenated, are exactly the list of the first
 * page's revision, in key order, whatever was written meanwhile (while the snapshot lives);
 * a stale token gets 410 `Expired`, never a wrong page; a malformed token gets 400.
 */
export class ListPager {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  /** Snapshots by id, oldest first (a Map keeps insertion order). */
  readonly #snapshots = new Map<number, Snapshot>();
  #nextId = 1;

  /** A pager on `options.clock`; see {@link ListPagerOptions}. */
  constructor(options: ListPagerOptions) {
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#max = options.maxSnapshots ?? 256;
  }

  /** How many snapshots are held now. */
  get snapshots(): number {
    return this.#snapshots.size;
  }

  /**
   * The page `q` asks for. `list` reads the current state (called at most once, and not at all
   * when a live snapshot answers a continue token); `scope` names the list (resource,
   * namespace, selectors) so that a token is only honoured for the list it came from.
   *
   * Errors: 400 for a malformed token or one from another list, or a resourceVersion with a
   * continue token; 410 `Expired` for a token whose snapshot is gone (with a fresh token in
   * the Status) or an `Exact` revision that is not the current one; 504 `Timeout` for a
   * revision newer than the store's (upstream's "Too large resource version").
   */
  async page(scope: string, q: ListQuery, list: () => Promise<ObjectList<KubeObject>>): Promise<ListPage> {
    validateListQuery(q);
    this.#expire();
    if (q.continue !== undefined && q.continue !== '') {
      const rv = q.resourceVersion ?? '';
      if (rv !== '' && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
      const token = decodeContinue(q.continue);
      const snapshot = this.#snapshots.get(token.s);
      if (snapshot === undefined || String(token.rv) !== snapshot.resourceVersion) {
        // Upstream's fresh token continues after the same key at the current revision.
        const current = await list();
        const rv = current.metadata.resourceVersion ?? '0';
        const id = this.#keep({ scope, items: sortedByKey(current.items), resourceVersion: rv, createdMs: this.#clock.now(), apiVersion: current.apiVersion, kind: current.kind });
        throw new ExpiredContinueError(encodeContinue({ v: 'meta.k8s.io/v1', rv: Number(rv), start: token.start, s: id }));
      }
      if (snapshot.scope !== scope) throw badRequest('invalid continue token: it belongs to another list');
      return this.#page(token.s, snapshot, token.start, q.limit);
    }
    const current = await list();
    const rv = current.metadata.resourceVersion ?? '0';
    const asked = q.resourceVersion ?? '';
    if (asked !== '' && asked !== '0') {
      if (Number(asked) > Number(rv)) throw tooLargeResourceVersion(asked, rv);
      // `list` answers an `Exact` list at its revision when it can read one (the API server's history window);
      // a list that could not is of a revision already compacted, as far as this pager knows.
      if (q.resourceVersionMatch === 'Exact' && asked !== rv) throw new ApiError('Expired', LIST_TOO_OLD);
    }
    return this.#cut(scope, current.items, rv, '', q.limit, current);
  }

  /** The first page of `items` after `start`; a snapshot is kept when more pages follow. */
  #cut(scope: string, items: readonly KubeObject[], rv: string, start: string, limit: number | undefined, list: ObjectList<KubeObject>): ListPage {
    const sorted = sortedByKey(items);
    const snapshot: Snapshot = { scope, items: sorted, resourceVersion: rv, createdMs: this.#clock.now(), apiVersion: list.apiVersion, kind: list.kind };
    const from = start === '' ? 0 : firstAfter(sorted, start);
    if (limit === undefined || sorted.length - from <= limit) {
      return { ...list, metadata: { ...list.metadata, resourceVersion: rv }, items: from === 0 ? (sorted as KubeObject[]) : sorted.slice(from) };
    }
    return this.#page(this.#keep(snapshot), snapshot, start, limit);
  }

  /** Keeps a snapshot (the oldest going beyond the bound); its id. */
  #keep(snapshot: Snapshot): number {
    const id = this.#nextId++;
    this.#snapshots.set(id, snapshot);
    while (this.#snapshots.size > this.#max) this.#snapshots.delete(this.#snapshots.keys().next().value!);
    return id;
  }

  #page(id: number, snapshot: Snapshot, start: string, limit: number | undefined): ListPage {
    const from = start === '' ? 0 : firstAfter(snapshot.items, start);
    const end = limit === undefined ? snapshot.items.length : Math.min(snapshot.items.length, from + limit);
    const items = snapshot.items.slice(from, end);
    const remaining = snapshot.items.length - end;
    const metadata: ListPage['metadata'] = { resourceVersion: snapshot.resourceVersion };
    if (remaining > 0) {
      metadata.continue = encodeContinue({ v: 'meta.k8s.io/v1', rv: Number(snapshot.resourceVersion), start: keyOf(items[items.length - 1]!), s: id });
      // Upstream counts the rest only when it is exact: without selectors (the scope tells).
      if (!snapshot.scope.includes('?')) metadata.remainingItemCount = remaining;
    } else {
      this.#snapshots.delete(id);
    }
    return { apiVersion: snapshot.apiVersion, kind: snapshot.kind, metadata, items };
  }

  #expire(): void {
    const now = this.#clock.now();
    for (const [id, s] of this.#snapshots) {
      if (now - s.createdMs <= this.#ttlMs) break;
      this.#snapshots.delete(id);
    }
  }
}

/** `items` in key order (the store lists them so already; then no copy is made). */
function sortedByKey(items: readonly KubeObject[]): readonly KubeObject[] {
  for (let i = 1; i < items.length; i++) {
    if (keyOf(items[i - 1]!) > keyOf(items[i]!)) return [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }
  return items;
}

/** The index of the first item whose key is after `start` (binary search over sorted keys). */
function firstAfter(items: readonly KubeObject[], start: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(items[mid]!) <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('invalid continue token: not a token this server issued');
  }
  const t = token as Partial<ContinueToken> | null;
  if (t === null || typeof t !== 'object' || t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string' || typeof t.s !== 'number') {
    throw badRequest('invalid continue token: not a token this server issued');
  }
  return t as ContinueToken;
}
