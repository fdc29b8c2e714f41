/**
 * The OpenAPI documents `kubeloop serve` publishes, as kube-apiserver does: `/openapi/v2` (one
 * Swagger 2.0 document, JSON) and `/openapi/v3` (an index of one OpenAPI 3.0 document per group
 * version, `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`). Their schemas are
 * core's `openApiDefinitions` (generated from the kinds' zod schemas, with upstream's names and
 * `x-kubernetes-*` extensions); the paths name each resource's operations with
 * `x-kubernetes-group-version-kind`, `x-kubernetes-action` and the write query parameters
 * (`dryRun`, `fieldManager`, `fieldValidation`, `force`).
 *
 * kubectl reads them for `kubectl explain` (v3, falling back to v2), for the strategic merge
 * patches of client-side apply (v3 from 1.30, else v2) and to learn that the server validates
 * fields itself (the `fieldValidation` parameter).
 *
 * Guarantees: every `$ref` of a v3 document names one of its `components.schemas`; each document
 * is computed once per registry size and cached; the index's `hash` of a document changes when
 * the document does (kubectl caches documents by it).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { DEFINITION_REF_PREFIX, definitionName, openApiDefinitions } from '@kubeloop/core';
import type { OpenApiSchema, ResourceDefinition, ResourceRegistry } from '@kubeloop/core';
import { groupVersions } from './discovery.js';

/** The API version the documents' `info` reports. */
const INFO = { title: 'Kubernetes', version: 'v1.34.0' };

/** What is computed once per registry (and recomputed when kinds are registered). */
interface Cached {
  readonly kinds: number;
  readonly definitions: Record<string, OpenApiSchema>;
  readonly v2?: object;
  readonly v3: Map<string, { readonly document: object; readonly hash: string }>;
}

const cache = new WeakMap<ResourceRegistry, Cached>();

function cached(registry: ResourceRegistry): Cached {
  const kinds = registry.all().length;
  let entry = cache.get(registry);
  if (entry === undefined || entry.kinds !== kinds) {
    entry = { kinds, definitions: openApiDefinitions(registry), v3: new Map() };
    cache.set(registry, entry);
  }
  return entry;
}

/** The URL prefix of a group version: `/api/v1` or `/apis/<group>/<version>`. */
function prefixOf(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/**
 * The operations of one kind's paths: list/create on the collection, get/replace/patch/delete
 * on an object, each tagged with the kind. `ref` is the reference to the kind's schema.
 */
function kindPaths(def: ResourceDefinition, ref: string, v3: boolean): Record<string, object> {
  const base = def.namespaced ? `${prefixOf(def.group, def.version)}/namespaces/{namespace}/${def.plural}` : `${prefixOf(def.group, def.version)}/${def.plural}`;
  const gvk = { 'x-kubernetes-group-version-kind': { group: def.group, kind: def.kind, version: def.version } };
  const query = (name: string, type = 'string'): object => (v3 ? { name, in: 'query', schema: { type, uniqueItems: true } } : { name, in: 'query', type, uniqueItems: true });
  const writeParams = [query('dryRun'), query('fieldManager'), query('fieldValidation')];
  const ok = { responses: { 200: v3 ? { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } } : { description: 'OK', schema: { $ref: ref } } } };
  const op = (action: string, id: string, extra: object = {}): object => ({ ...gvk, 'x-kubernetes-action': action, operationId: `${id}${def.kind}`, ...ok, ...extra });
  const write = (action: string, id: string, type: string, params: object[] = writeParams): object =>
    op(action, id, v3 ? { parameters: params, requestBody: { content: { [type]: { schema: { $ref: ref } } }, required: true } } : { parameters: [...params, { name: 'body', in: 'body', required: true, schema: { $ref: ref } }] });
  return {
    [base]: { get: op('list', 'list'), post: write('post', 'create', 'application/json') },
    [`${base}/{name}`]: {
      get: op('get', 'read'),
      put: write('put', 'replace', 'application/json'),
      patch: write('patch', 'patch', 'application/strategic-merge-patch+json', [...writeParams, query('force', 'boolean')]),
      delete: op('delete', 'delete'),
    },
  };
}

/** The names of the definitions reachable from `roots` through `$ref`s. */
function closure(definitions: Record<string, OpenApiSchema>, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(DEFINITION_REF_PREFIX)) add(value.slice(DEFINITION_REF_PREFIX.length));
      else visit(value);
    }
  };
  const add = (name: string): void => {
    if (seen.has(name) || definitions[name] === undefined) return;
    seen.add(name);
    visit(definitions[name]);
  };
  for (const root of roots) add(root);
  return [...seen].sort();
}

/** `value` with every `#/definitions/` reference pointing at `prefix` instead. */
function rewriteRefs(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, prefix));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof v === 'string' && v.startsWith(DEFINITION_REF_PREFIX) ? `${prefix}${v.slice(DEFINITION_REF_PREFIX.length)}` : rewriteRefs(v, prefix);
  }
  return out;
}

/** `GET /openapi/v2` (JSON): every kind's paths and every definition, Swagger 2.0. */
export function openApiV2Document(registry: ResourceRegistry): object {
  const entry = cached(registry);
  if (entry.v2) return entry.v2;
  const paths: Record<string, object> = {};
  for (const def of registry.all()) Object.assign(paths, kindPaths(def, `${DEFINITION_REF_PREFIX}${definitionName(def)}`, false));
  const v2 = { swagger: '2.0', info: INFO, paths, definitions: entry.definitions };
  cache.set(registry, { ...entry, v2 });
  return v2;
}

/** The v3 document of a group version and its hash, or undefined when the group version is not served. */
function v3Entry(registry: ResourceRegistry, group: string, version: string): { readonly document: object; readonly hash: string } | undefined {
  const entry = cached(registry);
  const key = `${group}/${version}`;
  const known = entry.v3.get(key);
  if (known) return known;
  const defs = registry.all().filter((d) => d.group === group && d.version === version);
  if (defs.length === 0) return undefined;
  const prefix = '#/components/schemas/';
  const paths: Record<string, object> = {};
  for (const def of defs) Object.assign(paths, kindPaths(def, `${prefix}${definitionName(def)}`, true));
  const schemas: Record<string, unknown> = {};
  for (const name of closure(entry.definitions, defs.map(definitionName))) schemas[name] = rewriteRefs(entry.definitions[name], prefix);
  const document = { openapi: '3.0.0', info: INFO, paths, components: { schemas } };
  const hash = createHash('sha512').update(JSON.stringify(document)).digest('hex').slice(0, 128).toUpperCase();
  const made = { document, hash };
  entry.v3.set(key, made);
  return made;
}

/**
 * `GET /openapi/v3/api/v1` or `/openapi/v3/apis/<group>/<version>`: the group version's paths
 * and the schemas they reach, or undefined when it is not served.
 */
export function openApiV3Document(registry: ResourceRegistry, group: string, version: string): object | undefined {
  return v3Entry(registry, group, version)?.document;
}

/**
 * `GET /openapi/v3`: the index of the per-group-version documents
 * (`{ paths: { 'apis/apps/v1': { serverRelativeURL: '/openapi/v3/apis/apps/v1?hash=…' } } }`).
 */
export function openApiV3Index(registry: ResourceRegistry): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions(registry)) {
    // Versions served by conversion (autoscaling/v1) have no schema here yet: kubectl then falls back to its own types.
    const entry = v3Entry(registry, group, version);
    if (entry === undefined) continue;
    const path = group === '' ? `api/${version}` : `apis/${group}/${version}`;
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${entry.hash}` };
  }
  return { paths };
}
