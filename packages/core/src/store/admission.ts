/**
 * Admission: how a request body becomes an object the store accepts. The chain runs in
 * upstream's order: decoding and defaulting (the kind's schema and `defaults` hook), mutating
 * plugin hooks, validation (schema-level, metadata, the kind's `validate`/`validateUpdate`),
 * then validating plugin hooks. A rejection anywhere changes nothing.
 *
 * @module
 */
import { z } from 'zod';
import { badRequest, invalid, type FieldError } from '../api/errors.js';
import type { KubeObject, ObjectKey } from '../api/meta.js';
import { builtinResources } from '../api/kinds/index.js';
import type { ResourceDefinition } from '../api/registry.js';
import {
  checkName,
  fieldErrors,
  isQualifiedName,
  validateAnnotations,
  validateLabels,
} from '../api/validation.js';

/** The operation being admitted. */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** Synchronous, consistent reads of the store for admission hooks (e.g. quota, PDBs). */
export interface StoreReader {
  /** The stored object, or `undefined`. */
  get<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): T | undefined;
  /** Stored objects of a resource, optionally in one namespace, ordered by namespace/name. */
  list<T extends KubeObject>(resource: ResourceDefinition<T>, namespace?: string): readonly T[];
}

/** What an admission hook sees. */
export interface AdmissionRequest<T extends KubeObject = KubeObject> {
  /** CREATE, UPDATE or DELETE. */
  readonly operation: AdmissionOperation;
  /** The resource written. */
  readonly resource: ResourceDefinition<T>;
  /** `status`, `scale`, `binding` or `eviction` for subresource writes. */
  readonly subresource: string | undefined;
  /** The object as it would be stored (for DELETE, the current object). Not frozen yet. */
  readonly object: T;
  /** The stored object before this request (UPDATE and DELETE). */
  readonly oldObject: T | undefined;
  /** Whether this is a dry run. */
  readonly dryRun: boolean;
  /** Reads of the current store state. */
  readonly store: StoreReader;
  /** The API server's clock when the request is admitted, in ms (virtual under a virtual clock). */
  readonly now: number;
}

/**
 * A plugin admission hook (like a mutating or validating admission plugin or webhook).
 *
 * Guarantees: `mutate` runs after defaulting and before validation, so what it sets is
 * validated; `validate` runs last, on the final object. Hooks run in registration order.
 * Errors: `validate` returns field errors (turned into a 422 `Invalid`) or throws an
 * `ApiError` (e.g. `Forbidden` for an exceeded quota); either rejects the request.
 */
export interface AdmissionHook {
  /** Name shown in errors and logs. */
  readonly name: string;
  /** `def.resource` names (`pods`, `deployments.apps`) the hook applies to; all when absent. */
  readonly resources?: readonly string[];
  /** Operations the hook applies to; all when absent. */
  readonly operations?: readonly AdmissionOperation[];
  /** Returns a changed object (a new one; the request's object may also be edited in place). */
  mutate?(request: AdmissionRequest): KubeObject | void;
  /**
   * Whether `mutate` keeps to two rules that let the server treat its output as decoded: it
   * returns a new object rather than editing the request's in place, and every value it puts
   * outside `metadata` is one the kind's decoding (schema and defaults) turns into a deep-equal
   * value — e.g. a toleration with every field the schema would give it. The server then keeps
   * no record of the fields it changed, and later updates may reuse them without parsing them
   * again. Leave it unset when unsure: a write such a hook took part in is then decoded in full
   * the next time round, which is always correct.
   */
  readonly producesDecoded?: boolean;
  /** Returns field errors to reject with, or throws an {@link ApiError}. */
  validate?(request: AdmissionRequest): readonly FieldError[] | void;
}

/** Whether a hook applies to a request. */
export function hookApplies(hook: AdmissionHook, resource: ResourceDefinition, operation: AdmissionOperation): boolean {
  return (
    (hook.resources === undefined || hook.resources.includes(resource.resource)) &&
    (hook.operations === undefined || hook.operations.includes(operation))
  );
}

/** Renders a zod path as a Kubernetes field path: `spec.containers[0].name`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '<root>' : out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

const TYPE_NAMES: Record<string, string> = { int: 'integer', number: 'number', string: 'string', boolean: 'boolean', object: 'object', array: 'array' };

/** Converts zod issues into field errors in the API server's style. */
export function zodIssuesToFieldErrors(issues: readonly z.core.$ZodIssue[], raw: unknown): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    const field = fieldPath(issue.path);
    const value = valueAt(raw, issue.path);
    if (issue.code === 'invalid_type' && value === undefined) {
      out.push({ type: 'FieldValueRequired', field, detail: '' });
    } else if (issue.code === 'invalid_type') {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      out.push({ type: 'FieldValueTypeInvalid', field, value, detail: `${field} in body must be of type ${expected}` });
    } else if (issue.code === 'invalid_value') {
      const supported = issue.values.map((v) => JSON.stringify(v)).join(', ');
      out.push({ type: 'FieldValueNotSupported', field, value, detail: `supported values: ${supported}` });
    } else if (issue.code === 'invalid_union') {
      out.push({ type: 'FieldValueTypeInvalid', field, value, detail: 'value does not match any of the allowed types' });
    } else {
      out.push({ type: 'FieldValueInvalid', field, value, detail: lowerFirst(issue.message) });
    }
  }
  return out;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/**
 * Paths of fields present in `raw` that decoding dropped (the API server's pruning of unknown
 * fields), as upstream's warning text: `unknown field "spec.foo"`.
 */
export function unknownFieldWarnings(raw: unknown, decoded: unknown, path = ''): string[] {
  if (raw === decoded) return []; // a reused stored value: nothing was dropped from it
  if (raw === null || typeof raw !== 'object' || decoded === null || typeof decoded !== 'object') return [];
  const out: string[] = [];
  if (Array.isArray(raw)) {
    if (!Array.isArray(decoded)) return [];
    raw.forEach((item, i) => out.push(...unknownFieldWarnings(item, decoded[i], `${path}[${i}]`)));
    return out;
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const sub = path === '' ? key : `${path}.${key}`;
    if (!(key in (decoded as Record<string, unknown>))) {
      if (value !== undefined) out.push(`unknown field "${sub}"`);
    } else {
      out.push(...unknownFieldWarnings(value, (decoded as Record<string, unknown>)[key], sub));
    }
  }
  return out;
}

/** What {@link decode} returns: the defaulted object and the warnings for dropped fields. */
export interface Decoded<T> {
  /** A fresh (not frozen) object, defaulted by the schema and the kind's `defaults` hook. */
  readonly object: T;
  /** Upstream-style warnings such as `unknown field "spec.foo"`. */
  readonly warnings: readonly string[];
}

/**
 * Decodes a request body for `resource`: checks `apiVersion`/`kind` (converting from another
 * served version where the kind allows it), parses with the schema (defaults, pruning) and
 * applies the `defaults` hook. Missing `apiVersion`/`kind` are taken from the resource.
 * Warnings are only computed when `collectWarnings` is set (the diff walks the whole body).
 *
 * With `stored` (the object an update replaces, as stored for this very definition), top-level
 * fields of the body that are the very (frozen) values stored there and known to decode to
 * themselves (everything the store decoded itself) are reused instead of parsed: a controller writing back what it
 * read with only its metadata changed pays for parsing the metadata only. The result is the
 * same as a full decode's (the reused values are parse fixpoints, and the `defaults` hook then
 * sees the same structure); it may share frozen subtrees with `stored`.
 *
 * @throws {@link ApiError} `BadRequest` for a body that is not an object or names another kind;
 * `Invalid` with field paths when the schema rejects it.
 */
export function decode<T extends KubeObject>(
  resource: ResourceDefinition<T>,
  body: unknown,
  collectWarnings = true,
  stored?: T,
): Decoded<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`the body of the request was in an unknown format: expected a ${resource.kind} object`);
  }
  let raw = body as Record<string, unknown>;
  if (raw['apiVersion'] === undefined || raw['kind'] === undefined) {
    raw = { ...raw, apiVersion: raw['apiVersion'] ?? resource.apiVersion, kind: raw['kind'] ?? resource.kind };
  }
  if (raw['kind'] !== resource.kind) {
    throw badRequest(`the kind in the data (${text(raw['kind'])}) does not match the expected kind (${resource.kind})`);
  }
  let converted = false;
  if (raw['apiVersion'] !== resource.apiVersion) {
    const convert = resource.conversions?.[text(raw['apiVersion'])];
    if (!convert) {
      throw badRequest(
        `the API version in the data (${text(raw['apiVersion'])}) does not match the expected API version (${resource.apiVersion})`,
      );
    }
    raw = convert(raw);
    converted = true;
  }
  const name = nameOf(raw);
  const parsed = (stored !== undefined && !converted && parseReusing(resource, raw, stored)) || compiled(resource.schema).safeParse(raw);
  if (!parsed.success) {
    throw invalid(resource.kind, resource.group, name, zodIssuesToFieldErrors(parsed.error.issues, raw));
  }
  const warnings = collectWarnings ? unknownFieldWarnings(raw, parsed.data) : [];
  const object = resource.defaults ? resource.defaults(parsed.data) : parsed.data;
  return { object, warnings };
}

/** Rejects a request body that is not an object with `metadata`, before anything reads it. */
export function requireObjectBody(resource: ResourceDefinition, body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`the body of the request was in an unknown format: expected a ${resource.kind} object`);
  }
  const meta = (body as { metadata?: unknown }).metadata;
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) {
    throw invalid(resource.kind, resource.group, '', [{ type: 'FieldValueTypeInvalid', field: 'metadata', value: meta, detail: 'metadata in body must be of type object' }]);
  }
}

/**
 * The body a create decodes: `body` checked to be an object with `metadata`, without the status
 * a status subresource owns (not writable on create: upstream's `PrepareForCreate` resets it;
 * the schema's default status, if any, applies).
 */
export function createBody(resource: ResourceDefinition, body: unknown): unknown {
  requireObjectBody(resource, body);
  return resource.subresources.status && (body as { status?: unknown }).status !== undefined ? { ...(body as object), status: undefined } : body;
}

/**
 * Checks `body` as the API server checks an object it is asked to create, without a server and
 * without storing anything: the request body's shape and kind, the schema, the kind's
 * defaults and create preparation, `metadata` (upstream `ValidateObjectMeta`) and the kind's own
 * validation. What needs the store is not checked: admission hooks (quotas, namespaces
 * being terminated), name collisions, and the update rules an apply over an existing object
 * meets. A `generateName` stands for a generated name. Returns the object as decoded.
 *
 * @throws {@link ApiError} `BadRequest` or `Invalid` with field paths, as a create would.
 *
 * @example
 * ```ts
 * validateForCreate(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { app: 'not valid!' } } });
 * // throws: ConfigMap "a" is invalid: metadata.labels: Invalid value: "not valid!": a valid label must be …
 * ```
 */
export function validateForCreate<T extends KubeObject>(resource: ResourceDefinition<T>, body: unknown): T {
  const { object } = decode(resource, createBody(resource, body), false);
  const meta = object.metadata;
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName.slice(0, 58)}xxxxx`;
  const prepared = resource.prepareForCreate ? resource.prepareForCreate(object) : object;
  const errs = validateObjectMeta(resource, prepared);
  errs.push(...(resource.validate?.(prepared) ?? []));
  rejectIfInvalid(resource, prepared.metadata.name ?? '', errs);
  return object;
}

// ---------------------------------------------------------------------------------------------
// Field-wise decoding of updates

/** The top-level fields never reused: small, and always rewritten by the server anyway. */
const ALWAYS_PARSED: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Stored field values that may not decode to themselves: values a mutating admission hook or
 * the server itself (binding, namespace termination) put there without decoding. Every other
 * top-level field value a built-in kind's object is stored with came out of {@link decode}
 * (the schema, then the kind's `defaults` and `prepareFor*` hooks, which produce values the
 * schema parses to themselves) or is carried over from the previous version.
 * Invariant: a stored, frozen field value `v` not in this set satisfies `parse(v)` deep-equal
 * to `v` for its field's schema. Marking the rare exceptions keeps the common write free of
 * bookkeeping.
 */
const undecoded = new WeakSet<object>();

/** The field-wise view of each built-in resource's schema (`null`: none), by definition. */
const reusable = new WeakMap<ResourceDefinition, FieldwiseSchema | null>();

interface FieldwiseSchema {
  readonly shape: Readonly<Record<string, z.ZodType>>;
  /** The keys that may be reused (all but {@link ALWAYS_PARSED}), in the schema's order. */
  readonly keys: readonly string[];
  /** The schema without the reused keys, by the reused keys joined with `,`. */
  readonly partial: Map<string, z.ZodType>;
}

/**
 * The built-in kinds, whose schemas and `defaults`/`prepareFor*` hooks are known to produce
 * values that decode to themselves (parsing is idempotent on them). Custom resources may use
 * transforms that are not, so their updates are always decoded in full.
 */
const builtins: ReadonlySet<ResourceDefinition> = new Set(builtinResources);

/** The field-wise view of `resource`'s schema, or `undefined` when it has none. */
function fieldwise(resource: ResourceDefinition): FieldwiseSchema | undefined {
  let fw = reusable.get(resource);
  if (fw === undefined) {
    // Only a plain object schema (unknown keys stripped, no object-level checks) decodes
    // field by field exactly as it does whole.
    const def = (resource.schema as unknown as { _zod: { def: { type: string; catchall?: unknown; checks?: readonly unknown[]; shape?: Record<string, z.ZodType> } } })._zod.def;
    fw =
      builtins.has(resource) && def.type === 'object' && def.catchall === undefined && (def.checks ?? []).length === 0 && def.shape
        ? { shape: def.shape, keys: Object.keys(def.shape).filter((k) => !ALWAYS_PARSED.has(k)), partial: new Map() }
        : null;
    reusable.set(resource, fw);
  }
  return fw ?? undefined;
}

/**
 * Parses `raw` reusing the top-level fields that are `stored`'s own decoded values; returns
 * `undefined` when nothing can be reused (the caller then parses in full). Issues of the parsed
 * fields come out as a full parse reports them: same paths, same order.
 */
function parseReusing(
  resource: ResourceDefinition,
  raw: Record<string, unknown>,
  stored: KubeObject,
): z.ZodSafeParseResult<never> | undefined {
  const fw = fieldwise(resource);
  if (!fw) return undefined;
  const old = stored as unknown as Record<string, unknown>;
  let reused = '';
  for (const key of fw.keys) {
    const value = raw[key];
    if (value !== null && typeof value === 'object' && value === old[key] && !undecoded.has(value)) {
      reused = reused === '' ? key : `${reused},${key}`;
    }
  }
  if (reused === '') return undefined;
  let partial = fw.partial.get(reused);
  if (partial === undefined) {
    const omit: Record<string, true> = {};
    for (const key of reused.split(',')) omit[key] = true;
    partial = (resource.schema as unknown as z.ZodObject).omit(omit);
    fw.partial.set(reused, partial);
  }
  const parsed = compiled(partial).safeParse(raw);
  if (!parsed.success) return parsed as z.ZodSafeParseResult<never>;
  // Keys in the schema's order, as a full parse would give them.
  const rest = parsed.data as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in fw.shape) {
    if (key in rest) out[key] = rest[key];
    else if (raw[key] === old[key] && !ALWAYS_PARSED.has(key) && raw[key] !== null && typeof raw[key] === 'object' && !undecoded.has(raw[key] as object)) {
      out[key] = raw[key];
    }
  }
  return { success: true, data: out as never };
}

/**
 * Marks the top-level fields of an object about to be stored that did not come out of
 * {@link decode} (those that are not `old`'s own values), so that later updates carrying
 * them decode them in full. The server calls it for writes a mutating admission hook took
 * part in and for objects it builds itself; see the invariant on `undecoded`.
 */
export function markUndecoded(object: KubeObject, old: KubeObject | undefined): void {
  const s = object as unknown as Record<string, unknown>;
  const o = old as unknown as Record<string, unknown> | undefined;
  for (const key in s) {
    if (ALWAYS_PARSED.has(key)) continue;
    const value = s[key];
    if (value === null || typeof value !== 'object') continue;
    if (o !== undefined && value === o[key]) continue; // as `old` has it
    undecoded.add(value);
  }
}

/**
 * Decodes only `status` of a status-subresource write, with the schema's own `status` field
 * schema, when the kind's schema is an object schema and the body is in the served version.
 * Returns `undefined` when it cannot (the caller then decodes the whole body). Status writes
 * are the most frequent writes in a cluster (kubelets, controllers), and the rest of the body
 * is ignored by them anyway.
 *
 * @throws {@link ApiError} `Invalid` with `status.`-prefixed field paths.
 */
export function decodeStatus<T extends KubeObject>(
  resource: ResourceDefinition<T>,
  body: T,
  collectWarnings: boolean,
): { status: unknown; warnings: readonly string[] } | undefined {
  const shape = (resource.schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  const schema = shape?.['status'];
  if (!schema || (body.apiVersion !== undefined && body.apiVersion !== resource.apiVersion)) return undefined;
  const raw = (body as { status?: unknown }).status;
  const parsed = compiled(schema).safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ ...i, path: ['status', ...i.path] }));
    throw invalid(resource.kind, resource.group, body.metadata?.name ?? '', zodIssuesToFieldErrors(issues, body));
  }
  return { status: parsed.data, warnings: collectWarnings ? unknownFieldWarnings(raw, parsed.data, 'status') : [] };
}

/** How many parses a schema gets from zod's own parser before admission compiles it. */
const COMPILE_AFTER_PARSES = 500;

/** Per schema: parses so far, then its compiled twin. */
const compiledSchemas = new WeakMap<z.ZodType, { parses: number; fast: z.ZodType | undefined }>();

/**
 * The parser admission uses for `schema`: zod's own, until the schema has parsed
 * {@link COMPILE_AFTER_PARSES} bodies in this process, then `schema` compiled to one generated
 * function (zod's `z.compile`), several times faster on the objects a cluster writes. Results
 * are the same by zod's contract — a body the fast path rejects is handed to the schema's own
 * parser, so errors and their paths are unchanged — and a schema the compiler cannot model
 * comes back as it is. Compiling is not free (a Pod schema takes a few hundred milliseconds),
 * so a short test never pays for it and a long property run does once per hot schema.
 */
function compiled<S extends z.ZodType>(schema: S): S {
  let entry = compiledSchemas.get(schema);
  if (entry === undefined) {
    entry = { parses: 0, fast: undefined };
    compiledSchemas.set(schema, entry);
  }
  if (entry.fast !== undefined) return entry.fast as S;
  if (++entry.parses < COMPILE_AFTER_PARSES) return schema;
  entry.fast = z.compile(schema);
  return entry.fast as S;
}

/** `String(value)`, or its tag for values that cannot be converted (`{ toString: 0 }`). */
function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function nameOf(raw: Record<string, unknown>): string {
  const meta = raw['metadata'];
  if (meta !== null && typeof meta === 'object') {
    const m = meta as Record<string, unknown>;
    if (typeof m['name'] === 'string') return m['name'];
    if (typeof m['generateName'] === 'string') return m['generateName'];
  }
  return '';
}

/**
 * Validates `metadata` as upstream's `ValidateObjectMeta`: the name by the kind's rule, labels,
 * annotations, owner references (at most one controller) and finalizer names.
 */
export function validateObjectMeta(resource: ResourceDefinition, obj: KubeObject): FieldError[] {
  const meta = obj.metadata;
  const name = meta.name ?? '';
  let errs: FieldError[];
  if (name === '') {
    errs = [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }];
  } else {
    errs = fieldErrors('metadata.name', name, checkName(resource.nameRule, name));
  }
  // Runs on every write: no intermediate arrays when everything is valid.
  if (meta.labels) append(errs, validateLabels(meta.labels, 'metadata.labels'));
  if (meta.annotations) append(errs, validateAnnotations(meta.annotations, 'metadata.annotations'));
  const refs = meta.ownerReferences;
  if (refs !== undefined && refs.length > 0) {
    let controllers = 0;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      if (ref.uid === '') errs.push({ type: 'FieldValueInvalid', field: `metadata.ownerReferences[${i}].uid`, value: ref.uid, detail: 'uid must not be empty' });
      if (ref.controller === true) controllers++;
    }
    if (controllers > 1) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'metadata.ownerReferences',
        value: refs,
        detail: `Only one reference can have Controller set to true. Found "true" in references for ${refs
          .filter((r) => r.controller === true)
          .map((c) => `${c.kind}/${c.name}`)
          .join(' and ')}`,
      });
    }
  }
  const finalizers = meta.finalizers;
  if (finalizers !== undefined) {
    for (let i = 0; i < finalizers.length; i++) {
      const f = finalizers[i]!;
      append(errs, fieldErrors(`metadata.finalizers[${i}]`, f, isQualifiedName(f)));
    }
  }
  return errs;
}

function append(to: FieldError[], from: readonly FieldError[]): void {
  for (let i = 0; i < from.length; i++) to.push(from[i]!);
}

/** Throws the kind's `Invalid` error when `errors` is not empty. */
export function rejectIfInvalid(resource: ResourceDefinition, name: string, errors: readonly FieldError[]): void {
  if (errors.length > 0) throw invalid(resource.kind, resource.group, name, errors);
}
