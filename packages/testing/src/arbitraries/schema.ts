/**
 * Arbitraries from zod schemas, for custom resources: a resource's `spec` drawn from its own
 * schema, so that every custom resource gets objects to test with.
 *
 * @module
 */
import fc from 'fast-check';
import type { KubeObject, ResourceDefinition } from '@kubeloop/core';

/** The parts of a zod (v4) schema's definition this module reads. */
interface ZodDef {
  readonly type: string;
  readonly shape?: Readonly<Record<string, { readonly _zod: { readonly def: ZodDef } }>>;
  readonly innerType?: { readonly _zod: { readonly def: ZodDef } };
  readonly element?: { readonly _zod: { readonly def: ZodDef } };
  readonly valueType?: { readonly _zod: { readonly def: ZodDef } };
  readonly options?: readonly { readonly _zod: { readonly def: ZodDef } }[];
  readonly values?: readonly unknown[];
  readonly entries?: Readonly<Record<string, unknown>>;
  readonly checks?: readonly { readonly _zod: { readonly def: { readonly check: string; readonly minimum?: number; readonly maximum?: number; readonly value?: number } } }[];
}

/** Errors: a schema construct this module does not handle (the message names its path). */
export class SchemaArbitraryError extends Error {
  constructor(path: string, type: string) {
    super(`no arbitrary for zod type ${type} at ${path || '(root)'}`);
    this.name = 'SchemaArbitraryError';
  }
}

function checkValue(def: ZodDef, name: string): number | undefined {
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === name) return d.minimum ?? d.maximum ?? d.value;
  }
  return undefined;
}

/**
 * An arbitrary for the values a zod schema accepts — objects, strings (short lowercase words,
 * respecting min and max length), numbers (small integers within the bounds), booleans,
 * literals, enums, arrays, records, unions, optional, nullable and defaulted fields (which the
 * arbitrary sometimes leaves out).
 *
 * Caveats: refinements and string formats (regexes, emails) are not understood; a schema that
 * uses them may get values it rejects. Errors: {@link SchemaArbitraryError} for other constructs.
 */
export function arbitraryFromSchema(schema: unknown, path = ''): fc.Arbitrary<unknown> {
  const def = (schema as { _zod: { def: ZodDef } })._zod.def;
  switch (def.type) {
    case 'object': {
      const shape = def.shape ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [key, field] of Object.entries(shape)) {
        model[key] = arbitraryFromSchema(field, `${path}.${key}`);
        const t = field._zod.def.type;
        if (t !== 'optional' && t !== 'default') required.push(key);
      }
      return fc.record(model, { requiredKeys: required });
    }
    case 'string': {
      const min = checkValue(def, 'min_length') ?? 0;
      const max = Math.max(min, Math.min(checkValue(def, 'max_length') ?? 12, 12));
      return fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: min, maxLength: max });
    }
    case 'number':
    case 'int':
    case 'bigint': {
      const min = checkValue(def, 'greater_than') ?? 0;
      const max = checkValue(def, 'less_than') ?? min + 100;
      return fc.integer({ min: Math.ceil(min), max: Math.floor(Math.max(min, max)) });
    }
    case 'boolean':
      return fc.boolean();
    case 'literal':
      return fc.constantFrom(...(def.values ?? []));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries ?? {}));
    case 'array':
      return fc.array(arbitraryFromSchema(def.element, `${path}[]`), { maxLength: 3 });
    case 'record':
      return fc.dictionary(fc.string({ unit: fc.constantFrom(...'abcdefgh'), minLength: 1, maxLength: 6 }), arbitraryFromSchema(def.valueType, `${path}{}`), { maxKeys: 3 });
    case 'union':
      return fc.oneof(...(def.options ?? []).map((o, i) => arbitraryFromSchema(o, `${path}|${i}`)));
    case 'optional':
    case 'default':
    case 'nullable':
      return arbitraryFromSchema(def.innerType, path);
    default:
      throw new SchemaArbitraryError(path, def.type);
  }
}

/**
 * Objects of a custom resource, drawn from its schema's `spec` (status left out, as a user
 * would create them), named from `names` in namespace `default` (if namespaced).
 *
 * @example
 * ```ts
 * fc.sample(customResources(Greetings), 1); // [{ apiVersion: 'example.kubeloop.dev/v1', kind: 'Greeting', metadata: { name: 'a', namespace: 'default' }, spec: { message: 'xq' } }]
 * ```
 */
export function customResources<T extends KubeObject>(resource: ResourceDefinition<T>, names: fc.Arbitrary<string> = fc.constantFrom('a', 'b', 'c')): fc.Arbitrary<Record<string, unknown>> {
  const shape = (resource.schema as unknown as { _zod: { def: ZodDef } })._zod.def.shape;
  const spec = shape?.['spec'] === undefined ? fc.constant(undefined) : arbitraryFromSchema(shape['spec'], 'spec');
  return fc.record({ name: names, spec }).map(({ name, spec: s }) => ({
    apiVersion: resource.group === '' ? resource.version : `${resource.group}/${resource.version}`,
    kind: resource.kind,
    metadata: resource.namespaced ? { name, namespace: 'default' } : { name },
    ...(s === undefined ? {} : { spec: s }),
  }));
}
