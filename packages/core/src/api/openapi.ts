/**
 * OpenAPI schema definitions generated from the zod schemas of the registered kinds (zod's
 * `toJSONSchema`), under upstream's definition names (`io.k8s.api.apps.v1.Deployment`,
 * `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`), with upstream's extensions:
 * `x-kubernetes-group-version-kind` on each kind, and on list fields
 * `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` and `x-kubernetes-list-type` /
 * `x-kubernetes-list-map-keys` from core's `LIST_FIELDS` (the table strategic merge patch and
 * server-side apply read). Descriptions are the schemas' own (`.describe()` / `.meta()`).
 *
 * This is what `kubectl explain` reads and what kubectl's client-side apply computes its
 * strategic merge patches with.
 *
 * @module
 */
import { z } from 'zod';
import * as apps from './kinds/apps.js';
import * as autoscaling from './kinds/autoscaling.js';
import * as batch from './kinds/batch.js';
import * as coordination from './kinds/coordination.js';
import * as coreKinds from './kinds/core.js';
import * as discovery from './kinds/discovery.js';
import { IntOrStringSchema, QuantitySchema } from './kinds/internal.js';
import * as metrics from './kinds/metrics.js';
import * as networking from './kinds/networking.js';
import * as node from './kinds/node.js';
import * as pod from './kinds/pod.js';
import * as policy from './kinds/policy.js';
import * as service from './kinds/service.js';
import * as storage from './kinds/storage.js';
import * as volume from './kinds/volume.js';
import * as meta from './meta.js';
import { ATOMIC_OBJECT_FIELDS, listMetaOf } from './patchmeta.js';
import type { ResourceDefinition, ResourceRegistry } from './registry.js';

/** A JSON Schema / OpenAPI schema object. */
export type OpenApiSchema = Record<string, unknown>;

/** The prefix of a definition reference: `#/definitions/` (OpenAPI v2); v3 documents rewrite it. */
export const DEFINITION_REF_PREFIX = '#/definitions/';

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** The modules of shared schemas and the upstream package their types live in. */
const MODULES: readonly (readonly [Record<string, unknown>, string])[] = [
  [meta, 'io.k8s.apimachinery.pkg.apis.meta.v1'],
  [pod, 'io.k8s.api.core.v1'],
  [coreKinds, 'io.k8s.api.core.v1'],
  [service, 'io.k8s.api.core.v1'],
  [volume, 'io.k8s.api.core.v1'],
  [node, 'io.k8s.api.core.v1'],
  [apps, 'io.k8s.api.apps.v1'],
  [batch, 'io.k8s.api.batch.v1'],
  [autoscaling, 'io.k8s.api.autoscaling.v2'],
  [policy, 'io.k8s.api.policy.v1'],
  [networking, 'io.k8s.api.networking.v1'],
  [coordination, 'io.k8s.api.coordination.v1'],
  [discovery, 'io.k8s.api.discovery.v1'],
  [storage, 'io.k8s.api.storage.v1'],
  [metrics, 'io.k8s.metrics.pkg.apis.metrics.v1beta1'],
];

/**
 * The upstream definition name of a kind: `io.k8s.api.<group>.<version>.<Kind>` for the
 * `*.k8s.io` and built-in groups (`io.k8s.api.core.v1.Pod`, `io.k8s.api.networking.v1.Ingress`),
 * the reversed group otherwise (`com.example.v1.Widget`), as upstream names CRDs' schemas.
 */
export function definitionName(def: Pick<ResourceDefinition, 'group' | 'version' | 'kind'>): string {
  if (def.group === '') return `io.k8s.api.core.${def.version}.${def.kind}`;
  if (def.group === 'metrics.k8s.io') return `io.k8s.metrics.pkg.apis.metrics.${def.version}.${def.kind}`;
  if (!def.group.includes('.') || def.group.endsWith('.k8s.io')) return `io.k8s.api.${def.group.split('.')[0]}.${def.version}.${def.kind}`;
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}`;
}

function isObjectSchema(value: unknown): value is z.ZodObject {
  return value instanceof z.ZodObject;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The schema `node` points to, following one `$ref` into `definitions`. */
function resolve(node: unknown, definitions: Record<string, OpenApiSchema>): OpenApiSchema | undefined {
  if (!isRecord(node)) return undefined;
  const ref = node.$ref;
  if (typeof ref === 'string' && ref.startsWith(DEFINITION_REF_PREFIX)) return definitions[ref.slice(DEFINITION_REF_PREFIX.length)];
  return node;
}

/** Whether an `anyOf` is upstream's int-or-string (an integer or number, or a string). */
function isIntOrString(node: OpenApiSchema): boolean {
  const any = node.anyOf;
  if (!Array.isArray(any) || any.length !== 2) return false;
  const types = any.map((s) => (isRecord(s) ? s.type : undefined)).sort();
  return (types[0] === 'integer' || types[0] === 'number') && types[1] === 'string';
}

/**
 * Rewrites one generated schema node in place into upstream's shape: no `$id`, no safe-integer
 * bounds (upstream's `format: int32`/`int64` carry none), int-or-string unions as
 * `format: int-or-string`, plain-string `apiVersion`/`kind`, and the list and map extensions on
 * the properties that name them.
 */
function upstreamShape(node: unknown, definitions: Record<string, OpenApiSchema>): void {
  if (Array.isArray(node)) {
    for (const item of node) upstreamShape(item, definitions);
    return;
  }
  if (!isRecord(node)) return;
  delete node.$id;
  if (node.type === 'integer') {
    if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
    if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
    node.format ??= 'int32';
  }
  if (isIntOrString(node)) {
    delete node.anyOf;
    Object.assign(node, { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true });
  }
  const properties = node.properties;
  if (isRecord(properties)) {
    for (const [name, property] of Object.entries(properties)) {
      if (!isRecord(property)) continue;
      if ((name === 'apiVersion' || name === 'kind') && property.type === 'string') delete property.enum;
      if (property.type === 'array') {
        const list = listMetaOf(name);
        if (list.listType === 'map') {
          const item = resolve(property.items, definitions);
          const itemProperties = isRecord(item?.properties) ? item.properties : {};
          const keys = list.keys.find((tuple) => Object.hasOwn(itemProperties, tuple[0]!)) ?? list.keys[0]!;
          Object.assign(property, { 'x-kubernetes-list-map-keys': [...keys], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': keys[0], 'x-kubernetes-patch-strategy': list.patchStrategy });
        } else if (list.listType === 'set') {
          Object.assign(property, { 'x-kubernetes-list-type': 'set', ...(list.patchStrategy ? { 'x-kubernetes-patch-strategy': list.patchStrategy } : {}) });
        }
      }
      if (ATOMIC_OBJECT_FIELDS.has(name) && (property.type === 'object' || property.$ref !== undefined)) {
        if (property.$ref !== undefined) {
          // OpenAPI ignores siblings of a `$ref`: upstream wraps it.
          const ref = property.$ref;
          delete property.$ref;
          property.allOf = [{ $ref: ref }];
        }
        property['x-kubernetes-map-type'] = 'atomic';
      }
    }
  }
  for (const [key, value] of Object.entries(node)) if (key !== 'enum' && key !== 'default') upstreamShape(value, definitions);
}

/**
 * The OpenAPI definitions of every kind `registry` serves and of the shared types they use,
 * keyed by upstream's definition names, references as `#/definitions/<name>`.
 *
 * Guarantees: each kind's definition carries `x-kubernetes-group-version-kind`; every `$ref` names a definition of the result; lists
 * named in `LIST_FIELDS` carry their patch and list extensions.
 *
 * @example
 * ```ts
 * const defs = openApiDefinitions(createBuiltinRegistry());
 * defs['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'];
 * // [{ group: 'apps', kind: 'Deployment', version: 'v1' }]
 * ```
 */
export function openApiDefinitions(registry: ResourceRegistry): Record<string, OpenApiSchema> {
  const names = z.registry<{ id: string }>();
  const taken = new Set<string>();
  const name = (schema: z.ZodType, id: string): void => {
    if (names.has(schema) || taken.has(id)) return;
    names.add(schema, { id });
    taken.add(id);
  };
  const kinds = registry.all();
  for (const def of kinds) name(def.schema as z.ZodType, definitionName(def));
  name(QuantitySchema, QUANTITY);
  name(IntOrStringSchema, INT_OR_STRING);
  for (const [module, pkg] of MODULES) {
    for (const [exported, value] of Object.entries(module)) {
      if (exported.endsWith('Schema') && isObjectSchema(value)) name(value, `${pkg}.${exported.slice(0, -'Schema'.length)}`);
    }
  }
  const generated = z.toJSONSchema(names, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
    cycles: 'ref',
    uri: (id) => `${DEFINITION_REF_PREFIX}${id}`,
    override: (ctx) => {
      const description = z.globalRegistry.get(ctx.zodSchema as unknown as z.ZodType)?.description;
      if (description !== undefined) ctx.jsonSchema.description = description;
    },
  }).schemas as Record<string, OpenApiSchema>;
  const definitions: Record<string, OpenApiSchema> = { ...generated };
  definitions[QUANTITY] = { type: 'string', description: 'A fixed-point number with a suffix: 100m, 1.5Gi, 2.' };
  definitions[INT_OR_STRING] = { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true, description: 'An int32 or a string (such as a percentage, 25%).' };
  for (const [id, schema] of Object.entries(definitions)) if (id !== QUANTITY && id !== INT_OR_STRING) upstreamShape(schema, definitions);
  for (const def of kinds) {
    const schema = definitions[definitionName(def)];
    if (!schema) continue;
    schema['x-kubernetes-group-version-kind'] = [{ group: def.group, kind: def.kind, version: def.version }];
  }
  const selector = definitions['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector'];
  if (selector) selector['x-kubernetes-map-type'] = 'atomic';
  return definitions;
}
