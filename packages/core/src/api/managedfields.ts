/**
 * Field ownership for server-side apply (upstream `structured-merge-diff` and the apiserver's
 * field manager): `metadata.managedFields` in the `FieldsV1` format, the field sets of
 * objects, their set arithmetic, and what an Update or an Apply does to ownership.
 *
 * A field set is a set of paths; a path is a list of `FieldsV1` path elements: `f:<field>` (an
 * object field or a map key), `k:<json>` (an item of a `map` list, by its key values),
 * `v:<json>` (an item of a `set` list) and `i:<index>`. The fields of an object are its scalars,
 * its atomic fields (atomic lists, `selector`s, empty objects), and the items of its `map` and
 * `set` lists; objects and maps are containers, not fields, so two managers can each own one
 * label of the same `labels` map.
 *
 * Lists and atomic objects are told apart by field name through core's `LIST_FIELDS` and
 * `ATOMIC_OBJECT_FIELDS` (the table strategic merge patch and the served OpenAPI read).
 *
 * @module
 */
import { ApiError } from './errors.js';
import type { StatusCause } from './errors.js';
import type { ManagedFieldsEntry } from './meta.js';
import { ATOMIC_OBJECT_FIELDS, listMapKeysOf, listMetaOf } from './patchmeta.js';

/** A path into an object, as `FieldsV1` path elements (`['f:spec', 'f:replicas']`). */
export type FieldPath = readonly string[];

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(value: Json): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JSON with object keys sorted (list-map keys are encoded with sorted keys, as upstream). */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Orders paths element by element, a path before the paths below it. */
function comparePaths(a: FieldPath, b: FieldPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * An immutable set of field paths.
 *
 * Guarantees: operations return new sets; `toFieldsV1` and {@link FieldSet.fromFieldsV1} are
 * inverse (`FieldSet.fromFieldsV1(s.toFieldsV1())` has the same paths as `s`).
 */
export class FieldSet {
  /** Every path, by its JSON encoding. */
  readonly #paths: ReadonlySet<string>;

  private constructor(paths: ReadonlySet<string>) {
    this.#paths = paths;
  }

  /** The empty set. */
  static readonly EMPTY = new FieldSet(new Set());

  /** The set of the paths encoded as JSON arrays (the internal form). */
  static fromKeys(keys: Iterable<string>): FieldSet {
    return new FieldSet(new Set(keys));
  }

  /** The set of the given paths. */
  static of(paths: Iterable<FieldPath>): FieldSet {
    return new FieldSet(new Set([...paths].map((p) => JSON.stringify(p))));
  }

  /**
   * Decodes `FieldsV1` (`{"f:spec":{"f:replicas":{}},"f:metadata":{"f:labels":{".":{},"f:app":{}}}}`):
   * a key's node is a member when it is empty (`{}`) or holds `"."`.
   *
   * Errors: a `FieldsV1` that is not a tree of objects is read as far as it is one.
   */
  static fromFieldsV1(fields: Json): FieldSet {
    const out: FieldPath[] = [];
    const walk = (node: Json, path: string[]): void => {
      if (!isObject(node)) return;
      for (const [key, child] of Object.entries(node)) {
        if (key === '.') continue;
        const at = [...path, key];
        if (!isObject(child) || Object.keys(child).length === 0 || Object.hasOwn(child, '.')) out.push(at);
        walk(child, at);
      }
    };
    walk(fields, []);
    return FieldSet.of(out);
  }

  /** Encodes the set as `FieldsV1` (keys sorted, `"."` marking a member that has members below it). */
  toFieldsV1(): Record<string, unknown> {
    const root: JsonObject = {};
    const members = new Set<JsonObject>();
    for (const key of this.#paths) {
      const path = JSON.parse(key) as FieldPath;
      let node = root;
      for (const pe of path) node = (node[pe] ??= {}) as JsonObject;
      members.add(node);
    }
    const finish = (node: JsonObject): JsonObject => {
      const keys = Object.keys(node).sort();
      const out: JsonObject = {};
      if (members.has(node) && keys.length > 0) out['.'] = {};
      for (const k of keys) out[k] = finish(node[k] as JsonObject);
      return out;
    };
    return finish(root);
  }

  /** Every path, in a stable order. */
  paths(): FieldPath[] {
    return [...this.#paths].map((p) => JSON.parse(p) as FieldPath).sort(comparePaths);
  }

  /** How many paths the set holds. */
  get size(): number {
    return this.#paths.size;
  }

  /** Whether the set is empty. */
  isEmpty(): boolean {
    return this.#paths.size === 0;
  }

  /** Whether `path` is in the set. */
  has(path: FieldPath): boolean {
    return this.#paths.has(JSON.stringify(path));
  }

  /** Whether the set holds `path` or a path below it. */
  hasPrefix(path: FieldPath): boolean {
    const prefix = JSON.stringify(path).slice(0, -1);
    for (const p of this.#paths) if (p === `${prefix}]` || p.startsWith(`${prefix},`)) return true;
    return false;
  }

  /** The paths of this set or `other`. */
  union(other: FieldSet): FieldSet {
    return new FieldSet(new Set([...this.#paths, ...other.#paths]));
  }

  /** The paths of this set not in `other`. */
  difference(other: FieldSet): FieldSet {
    return new FieldSet(new Set([...this.#paths].filter((p) => !other.#paths.has(p))));
  }

  /** The paths of both sets. */
  intersection(other: FieldSet): FieldSet {
    return new FieldSet(new Set([...this.#paths].filter((p) => other.#paths.has(p))));
  }

  /** The paths for which `keep` holds. */
  filter(keep: (path: FieldPath) => boolean): FieldSet {
    return FieldSet.of(this.paths().filter(keep));
  }
}

/** The key values of `item` of the `map` list `field` as a `k:` path element; `protocol` defaults to `TCP`, as upstream's defaulting. */
function itemElement(keys: readonly string[], item: JsonObject): string {
  const id: JsonObject = {};
  for (const key of keys) {
    const value = item[key] ?? (key === 'protocol' ? 'TCP' : undefined);
    if (value !== undefined) id[key] = value;
  }
  return `k:${canonical(id)}`;
}

/** The path elements of the items of the list `field`, in order (`k:`, `v:` or `i:`). */
function itemElements(field: string, items: readonly Json[]): string[] {
  const meta = listMetaOf(field);
  if (meta.listType === 'set') return items.map((v) => `v:${canonical(v)}`);
  const keys = listMapKeysOf(field, items);
  if (keys && items.every(isObject)) return items.map((item) => itemElement(keys, item as JsonObject));
  return items.map((_, i) => `i:${i}`);
}

/**
 * Metadata fields nobody owns (upstream strips them before computing field sets): identity and
 * bookkeeping the server sets.
 */
const UNOWNED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields', 'generateName']);

/** Which part of an object a field set covers. */
export interface FieldSetScope {
  /**
   * `status` when the write is to the status subresource (only `status` is owned); otherwise
   * everything but `status` when `statusSubresource` is set (a kind with a status subresource
   * cannot change status through the main resource).
   */
  readonly subresource?: string | undefined;
  /** Whether the kind has a status subresource. */
  readonly statusSubresource?: boolean | undefined;
}

function scoped(object: Json, scope: FieldSetScope): JsonObject {
  if (!isObject(object)) return {};
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(object)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (scope.subresource === 'status' && k !== 'status') continue;
    if (scope.subresource !== 'status' && scope.statusSubresource === true && k === 'status') continue;
    if (k === 'metadata' && isObject(v)) {
      const meta = Object.fromEntries(Object.entries(v).filter(([mk]) => !UNOWNED_METADATA.has(mk)));
      if (Object.keys(meta).length > 0) out[k] = meta;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/**
 * The fields of `object` (see the module documentation): scalars, atomic lists and objects,
 * empty objects and lists, the items of `map` and `set` lists; `apiVersion`, `kind`, the
 * server-set metadata and, per `scope`, `status` are left out.
 *
 * @example
 * ```ts
 * fieldSetOf({ spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } } }).paths();
 * // [['f:spec','f:replicas'], ['f:spec','f:template','f:spec','f:containers','k:{"name":"web"}'],
 * //  [... 'k:{"name":"web"}','f:image'], [... 'k:{"name":"web"}','f:name']]
 * ```
 */
export function fieldSetOf(object: Json, scope: FieldSetScope = {}): FieldSet {
  return FieldSet.fromKeys(fieldValues(object, scope).keys());
}

/**
 * The fields of `object` (as {@link fieldSetOf}) by their encoded path, each with its value in
 * canonical JSON (a `map` list item: `''`, compared by presence only), in one walk.
 */
function fieldValues(object: Json, scope: FieldSetScope): Map<string, string> {
  const out = new Map<string, string>();
  // `path` is the encoded path without its brackets: JSON strings joined by commas.
  const child = (path: string, pe: string): string => (path === '' ? JSON.stringify(pe) : `${path},${JSON.stringify(pe)}`);
  const walk = (value: Json, path: string, field: string | undefined): void => {
    if (Array.isArray(value)) {
      const meta = field === undefined ? undefined : listMetaOf(field);
      if (value.length === 0 || meta === undefined || meta.listType === 'atomic') {
        out.set(`[${path}]`, canonical(value));
        return;
      }
      const elements = itemElements(field!, value);
      for (let i = 0; i < value.length; i++) {
        const item: Json = value[i];
        const at = child(path, elements[i]!);
        if (isObject(item) && meta.listType === 'map') {
          out.set(`[${at}]`, '');
          walkObject(item, at);
        } else {
          out.set(`[${at}]`, canonical(item));
        }
      }
      return;
    }
    if (isObject(value) && !(field !== undefined && ATOMIC_OBJECT_FIELDS.has(field))) {
      let empty = true;
      for (const _ in value) {
        empty = false;
        break;
      }
      if (!empty) {
        walkObject(value, path);
        return;
      }
    }
    out.set(`[${path}]`, canonical(value));
  };
  const walkObject = (value: JsonObject, path: string): void => {
    for (const k in value) {
      const v = value[k];
      if (v !== undefined) walk(v, child(path, `f:${k}`), k);
    }
  };
  walkObject(scoped(object, scope), '');
  return out;
}

/** The fields of `after` that `before` lacks or holds with another value. */
function changedFields(before: Map<string, string>, after: Map<string, string>): FieldSet {
  const keys: string[] = [];
  for (const [key, value] of after) if (before.get(key) !== value) keys.push(key);
  return FieldSet.fromKeys(keys);
}

/** The value at `path` in `object`, or undefined when the object has nothing there. */
export function valueAt(object: Json, path: FieldPath): Json {
  let node: Json = object;
  let field: string | undefined;
  for (const pe of path) {
    if (node === undefined) return undefined;
    if (pe.startsWith('f:')) {
      field = pe.slice(2);
      node = isObject(node) ? node[field] : undefined;
    } else if (pe.startsWith('i:')) {
      node = Array.isArray(node) ? node[Number(pe.slice(2))] : undefined;
    } else if (pe.startsWith('k:') || pe.startsWith('v:')) {
      if (!Array.isArray(node)) return undefined;
      const items: readonly Json[] = node;
      const elements = itemElements(field ?? '', items);
      const at = elements.indexOf(pe);
      node = at >= 0 ? items[at] : undefined;
    } else {
      return undefined;
    }
  }
  return node;
}

/** The identity of a managedFields entry: who, how, and through which subresource. */
function sameManager(entry: ManagedFieldsEntry, manager: string, operation: 'Apply' | 'Update', subresource: string | undefined): boolean {
  return entry.manager === manager && entry.operation === operation && (entry.subresource ?? '') === (subresource ?? '');
}

/** What a write is: who makes it, in which version, when, through which subresource. */
export interface ManagedWrite extends FieldSetScope {
  /** The field manager (`kubectl-client-side-apply`, `kube-controller-manager`...). */
  readonly manager: string;
  /** The `apiVersion` the request spoke, e.g. `apps/v1`. */
  readonly apiVersion: string;
  /** The time of the write (RFC 3339), recorded on the writer's entry. */
  readonly time: string;
}

function entryFor(write: ManagedWrite, operation: 'Apply' | 'Update', fields: FieldSet): ManagedFieldsEntry {
  return {
    manager: write.manager,
    operation,
    apiVersion: write.apiVersion,
    time: write.time,
    fieldsType: 'FieldsV1',
    fieldsV1: fields.toFieldsV1(),
    ...(write.subresource !== undefined && write.subresource !== '' ? { subresource: write.subresource } : {}),
  };
}

/**
 * `entries` with `minus` taken from every entry but the writer's, which is replaced by `mine`
 * (in its place, or last when new; dropped when `mine` is undefined); entries left with no
 * fields are dropped.
 */
function rebuild(entries: readonly ManagedFieldsEntry[], isSelf: (e: ManagedFieldsEntry) => boolean, minus: FieldSet, mine: ManagedFieldsEntry | undefined): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  let placed = false;
  for (const entry of entries) {
    if (isSelf(entry)) {
      if (mine && !placed) out.push(mine);
      placed = true;
      continue;
    }
    const fields = FieldSet.fromFieldsV1(entry.fieldsV1);
    const left = fields.difference(minus);
    if (left.isEmpty()) continue;
    out.push(left.size === fields.size ? entry : { ...entry, fieldsV1: left.toFieldsV1() });
  }
  if (mine && !placed) out.push(mine);
  return out;
}

/**
 * The managedFields after an Update (create, update or a non-apply patch) from `before` (undefined
 * on create) to `after`, made by `write.manager` — upstream's field manager for non-apply
 * requests:
 * - the writer's Update entry gains every field it set or changed and loses the fields it removed;
 * - every other entry loses the fields the writer changed or removed (an Update never conflicts:
 *   it takes ownership);
 * - an entry left with no fields is dropped; an unchanged object leaves `managed` as it is.
 *
 * @example
 * ```ts
 * // kubectl scale after an apply: the scaler takes .spec.replicas from the applier.
 * recordUpdate(applied, scaled, applied.metadata.managedFields, { manager: 'kubectl', apiVersion: 'apps/v1', time, subresource: 'scale' });
 * ```
 */
export function recordUpdate(before: Json, after: Json, managed: readonly ManagedFieldsEntry[] | undefined, write: ManagedWrite): ManagedFieldsEntry[] | undefined {
  const scope: FieldSetScope = { subresource: write.subresource === 'status' ? 'status' : undefined, statusSubresource: write.statusSubresource };
  const beforeValues = fieldValues(before, scope);
  const afterValues = fieldValues(after, scope);
  const removed = FieldSet.fromKeys([...beforeValues.keys()].filter((k) => !afterValues.has(k)));
  const changed = changedFields(beforeValues, afterValues);
  if (removed.isEmpty() && changed.isEmpty()) return managed === undefined ? undefined : [...managed];
  const entries = managed ?? [];
  const isSelf = (e: ManagedFieldsEntry): boolean => sameManager(e, write.manager, 'Update', write.subresource);
  const own = entries.find(isSelf);
  const mine = (own ? FieldSet.fromFieldsV1(own.fieldsV1) : FieldSet.EMPTY).difference(removed).union(changed);
  return rebuild(entries, isSelf, changed.union(removed), mine.isEmpty() ? undefined : entryFor(write, 'Update', mine));
}

/** One field another manager owns with a different value than an apply sets. */
export interface ApplyConflict {
  /** The manager's entry (its manager, operation, apiVersion and subresource). */
  readonly owner: ManagedFieldsEntry;
  /** The contested field. */
  readonly path: FieldPath;
}

/**
 * The path as upstream prints it: `.spec.replicas`,
 * `.spec.template.spec.containers[name="web"].image`, `.metadata.finalizers[="a"]`.
 */
export function formatFieldPath(path: FieldPath): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      if (pe.startsWith('f:')) return `.${body}`;
      if (pe.startsWith('i:')) return `[${body}]`;
      if (pe.startsWith('v:')) return `[=${body}]`;
      if (pe.startsWith('k:')) {
        const id = JSON.parse(body) as JsonObject;
        return `[${Object.entries(id)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      return pe;
    })
    .join('');
}

/** How upstream names a manager in a conflict: `"kubectl-client-side-apply" using apps/v1`. */
function printManager(entry: ManagedFieldsEntry): string {
  let text = JSON.stringify(entry.manager ?? '');
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === 'Update') text += ` using ${entry.apiVersion ?? ''}`;
  return text;
}

/**
 * The 409 of an apply that would change fields other managers own (upstream
 * `NewApplyConflict`): `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply"
 * using apps/v1: .spec.replicas`, one `FieldManagerConflict` cause per field.
 */
export function applyConflictError(conflicts: readonly ApplyConflict[]): ApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.owner)}`, field: formatFieldPath(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.owner)}: ${formatFieldPath(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const name = printManager(c.owner);
      byManager.set(name, [...(byManager.get(name) ?? []), formatFieldPath(c.path)]);
    }
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError('Conflict', message, { causes });
}

/** Merges an applied configuration into the live object: map lists item by item, sets as unions, the rest replaced. */
export function mergeApplied(live: Json, applied: Json, field?: string): Json {
  if (Array.isArray(applied)) {
    const meta = field === undefined ? undefined : listMetaOf(field);
    if (!Array.isArray(live) || meta === undefined || meta.listType === 'atomic') return applied;
    if (meta.listType === 'set') return [...applied, ...live.filter((v) => !applied.some((a) => canonical(a) === canonical(v)))];
    const keys = listMapKeysOf(field!, [...applied, ...live]);
    if (!keys || !applied.every(isObject) || !live.every(isObject)) return applied;
    const appliedIds = applied.map((a) => itemElement(keys, a as JsonObject));
    const liveIds = live.map((l) => itemElement(keys, l as JsonObject));
    // Applied items in their order (merged into their live counterpart), then the other live items.
    const merged = applied.map((a, i) => {
      const at = liveIds.indexOf(appliedIds[i]!);
      return at >= 0 ? mergeApplied(live[at], a) : a;
    });
    return [...merged, ...live.filter((_, i) => !appliedIds.includes(liveIds[i]!))];
  }
  if (isObject(applied) && !(field !== undefined && ATOMIC_OBJECT_FIELDS.has(field))) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === undefined) continue;
      out[k] = mergeApplied(out[k], v, k);
    }
    return out;
  }
  return applied;
}

function removeItem(list: Json, field: string, pe: string, rest: FieldPath): Json {
  if (!Array.isArray(list)) return list;
  const items: readonly Json[] = list;
  const elements = itemElements(field, items);
  const at = elements.indexOf(pe);
  if (at < 0) return list;
  if (rest.length === 0) return items.filter((_, i) => i !== at);
  return items.map((item, i) => (i === at ? removePath(item, rest) : item));
}

/** `object` without the field at `path`, through objects and list items. */
function removePath(object: Json, path: FieldPath): Json {
  const [pe, next, ...rest] = path;
  if (pe === undefined || !pe.startsWith('f:') || !isObject(object)) return object;
  const key = pe.slice(2);
  if (!Object.hasOwn(object, key)) return object;
  const out = { ...object };
  if (next === undefined) delete out[key];
  else if (next.startsWith('f:')) out[key] = removePath(out[key], [next, ...rest]);
  else out[key] = removeItem(out[key], key, next, rest);
  return out;
}

/** The outcome of {@link applyManagedFields}. */
export interface ServerSideApplyResult {
  /** The object after the apply: the applied configuration merged into the live object, minus the fields the applier dropped that no one else owns. */
  readonly object: Record<string, unknown>;
  /** The managedFields to store with it. */
  readonly managedFields: ManagedFieldsEntry[];
}

/**
 * Server-side apply of the configuration `applied` by `write.manager` to `live` (undefined when
 * the object does not exist yet), upstream's `FieldManager.Apply`:
 *
 * 1. the applied configuration is merged into the live object ({@link mergeApplied});
 * 2. a field the apply changes that another manager owns is a conflict: without `force` the
 *    apply fails with {@link applyConflictError} (a 409) and changes nothing; with `force` the
 *    applier takes it;
 * 3. fields the applier owned by its previous apply and no longer applies are removed from the
 *    object, unless another manager owns them (or something below them);
 * 4. the applier's Apply entry becomes exactly the fields it applied; other managers lose the
 *    fields the apply changed, and keep shared ownership of the fields it set to the value they
 *    already had.
 *
 * Errors: {@link ApiError} `Conflict` with one `FieldManagerConflict` cause per contested field.
 */
export function applyManagedFields(live: Record<string, unknown> | undefined, applied: Record<string, unknown>, write: ManagedWrite & { readonly force?: boolean | undefined }): ServerSideApplyResult {
  const scope: FieldSetScope = { subresource: write.subresource === 'status' ? 'status' : undefined, statusSubresource: write.statusSubresource };
  const entries: readonly ManagedFieldsEntry[] = (live?.metadata as { managedFields?: ManagedFieldsEntry[] } | undefined)?.managedFields ?? [];
  const isSelf = (e: ManagedFieldsEntry): boolean => sameManager(e, write.manager, 'Apply', write.subresource);
  const appliedFields = fieldSetOf(applied, scope);
  let merged = mergeApplied(live ?? {}, applied) as JsonObject;
  const changed = changedFields(fieldValues(live, scope), fieldValues(merged, scope)).intersection(appliedFields);
  const conflicts: ApplyConflict[] = [];
  for (const entry of entries) {
    if (isSelf(entry)) continue;
    for (const path of FieldSet.fromFieldsV1(entry.fieldsV1).intersection(changed).paths()) conflicts.push({ owner: entry, path });
  }
  if (conflicts.length > 0 && write.force !== true) throw applyConflictError(conflicts);
  const own = entries.find(isSelf);
  const othersOwn = rebuild(entries, isSelf, changed, undefined).reduce((set, e) => set.union(FieldSet.fromFieldsV1(e.fieldsV1)), FieldSet.EMPTY);
  const dropped = own ? FieldSet.fromFieldsV1(own.fieldsV1).difference(appliedFields) : FieldSet.EMPTY;
  // Shallowest first: an item that goes takes its fields with it.
  for (const path of dropped.paths()) {
    if (othersOwn.hasPrefix(path) || appliedFields.hasPrefix(path)) continue;
    merged = removePath(merged, path) as JsonObject;
  }
  const managedFields = rebuild(entries, isSelf, changed, appliedFields.isEmpty() ? undefined : entryFor(write, 'Apply', appliedFields));
  return { object: merged, managedFields };
}
