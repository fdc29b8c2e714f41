/**
 * Test support for controller-runtime tests: two small custom resources (Widgets and the
 * Gadgets they own) and {@link testCluster}, an {@link ApiServer} with the built-in kinds on a
 * virtual clock and a seeded RNG.
 *
 * @module
 */
import { z } from 'zod';
import { createBuiltinRegistry } from '../api/kinds/index.js';
import { ObjectMetaSchema } from '../api/meta.js';
import { defineResource } from '../api/registry.js';
import type { ResourceRegistry } from '../api/registry.js';
import { VirtualClock } from '../clock/virtual.js';
import { seededRng } from '../rng/seeded.js';
import type { Rng } from '../rng/rng.js';
import { ApiServer } from '../store/server.js';

const spec = z.object({ size: z.number().int().optional(), configRef: z.string().optional() }).optional();
const status = z.object({ observedGeneration: z.number().int().optional(), note: z.string().optional() }).optional();

/** The schema of a {@link Widget}: an optional `spec` (`size`, `configRef`) and `status` (`observedGeneration`, `note`). */
export const WidgetSchema = z.object({ apiVersion: z.literal('example.com/v1'), kind: z.literal('Widget'), metadata: ObjectMetaSchema, spec, status });

/** Widgets (example.com/v1), with a status subresource. */
export const Widgets = defineResource({
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
  subresources: { status: true },
  schema: WidgetSchema,
});

/** A Widget. */
export type Widget = z.infer<typeof WidgetSchema>;

/** The schema of a {@link Gadget}: the same `spec` and `status` as a {@link Widget}. */
export const GadgetSchema = z.object({ apiVersion: z.literal('example.com/v1'), kind: z.literal('Gadget'), metadata: ObjectMetaSchema, spec, status });

/** Gadgets (example.com/v1): children that Widgets own. */
export const Gadgets = defineResource({
  group: 'example.com',
  version: 'v1',
  kind: 'Gadget',
  plural: 'gadgets',
  namespaced: true,
  subresources: { status: true },
  schema: GadgetSchema,
});

/** A Gadget. */
export type Gadget = z.infer<typeof GadgetSchema>;

/** Builds a widget manifest in `default`. */
export function widget(name: string, extra: { spec?: Widget['spec']; metadata?: Partial<Widget['metadata']> } = {}): Widget {
  return { apiVersion: 'example.com/v1', kind: 'Widget', ...(extra.spec === undefined ? {} : { spec: extra.spec }), metadata: { name, namespace: 'default', ...extra.metadata } };
}

/** Builds a gadget manifest in `default`. */
export function gadget(name: string, metadata: Partial<Gadget['metadata']> = {}): Gadget {
  return { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name, namespace: 'default', ...metadata } };
}

/** A virtual clock, a seeded RNG and an API server with the built-in kinds plus Widgets and Gadgets. */
export interface TestCluster {
  readonly clock: VirtualClock;
  readonly rng: Rng;
  readonly registry: ResourceRegistry;
  readonly api: ApiServer;
}

/** Builds a {@link TestCluster}. */
export function testCluster(seed: number | string = 1, options: { withCustomResources?: boolean } = {}): TestCluster {
  const clock = new VirtualClock();
  const rng = seededRng(seed);
  const registry = createBuiltinRegistry();
  if (options.withCustomResources !== false) registry.register(Widgets).register(Gadgets);
  const api = new ApiServer({ clock, rng: rng.fork(), registry });
  return { clock, rng, registry, api };
}
