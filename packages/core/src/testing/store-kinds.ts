/**
 * Small resource definitions for the API server's own tests (a Namespace and a scalable custom
 * resource with status), so the store's semantics are tested apart from the built-in schemas.
 *
 * @module
 */
import { z } from 'zod';
import { isApiError, type ApiError } from '../api/errors.js';
import { LabelSelectorSchema, ObjectMetaSchema } from '../api/meta.js';
import { ResourceRegistry, defineResource } from '../api/registry.js';

/** A minimal Namespace. */
export const TestNamespaces = defineResource({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
  nameRule: 'dns1123-label',
  schema: z.object({
    apiVersion: z.literal('v1'),
    kind: z.literal('Namespace'),
    metadata: ObjectMetaSchema,
    status: z.object({ phase: z.string().optional() }).optional(),
  }),
});

/** The schema of a {@link ScalableWidget}: `spec.replicas` (default 1), `spec.color`, `spec.selector`; `status.replicas`, `status.note`. */
export const ScalableWidgetSchema = z.object({
  apiVersion: z.literal('example.com/v1'),
  kind: z.literal('Widget'),
  metadata: ObjectMetaSchema,
  spec: z
    .object({
      replicas: z.number().int().default(1),
      color: z.string().optional(),
      selector: LabelSelectorSchema.optional(),
    })
    .default({ replicas: 1 }),
  status: z.object({ replicas: z.number().int().optional(), note: z.string().optional() }).optional(),
});

/**
 * A scalable namespaced kind (example.com/v1 `Widget`) with status and scale subresources,
 * `spec.replicas` (default 1, not negative), an immutable `spec.selector` and a `spec.color`
 * field selector. It shares its group, version and kind with {@link Widgets} (of
 * {@link testCluster}): register one or the other in a registry, not both.
 */
export const ScalableWidgets = defineResource({
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
  subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } },
  schema: ScalableWidgetSchema,
  validate: (w) =>
    w.spec.replicas < 0
      ? [{ type: 'FieldValueInvalid', field: 'spec.replicas', value: w.spec.replicas, detail: 'must be greater than or equal to 0' }]
      : [],
  validateUpdate: (w, old) =>
    JSON.stringify(w.spec.selector) === JSON.stringify(old.spec.selector)
      ? []
      : [{ type: 'FieldValueInvalid', field: 'spec.selector', value: w.spec.selector, detail: 'field is immutable' }],
  fieldSelectors: { 'spec.color': { get: (w) => w.spec.color } },
});

/** The type of a {@link ScalableWidgets} object. */
export type ScalableWidget = z.infer<typeof ScalableWidgetSchema>;

/** A registry with only the test kinds: {@link TestNamespaces} and {@link ScalableWidgets}. */
export function testRegistry(): ResourceRegistry {
  return new ResourceRegistry().register(TestNamespaces).register(ScalableWidgets);
}

/** Awaits a request expected to fail and returns its `ApiError` (throws if it succeeds). */
export async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return e;
    throw e;
  }
  throw new Error('expected the request to fail');
}
