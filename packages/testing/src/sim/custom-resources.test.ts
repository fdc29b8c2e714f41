/**
 * SimCluster's trace covers custom resources: every kind the registry serves when the cluster
 * is created, the plugins' custom resources included, reaches the trace, the settle criterion
 * and the states `checkCluster`'s invariants see.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ObjectMetaSchema, builtinResources, defineResource } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { SimCluster, invariant, runCase } from '../index.js';

const Widgets = defineResource({
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
  schema: z.object({ apiVersion: z.literal('example.com/v1'), kind: z.literal('Widget'), metadata: ObjectMetaSchema, spec: z.object({ size: z.number().int() }).optional() }),
});

const Gadgets = defineResource({
  group: 'example.com',
  version: 'v1',
  kind: 'Gadget',
  plural: 'gadgets',
  namespaced: false,
  schema: z.object({ apiVersion: z.literal('example.com/v1'), kind: z.literal('Gadget'), metadata: ObjectMetaSchema }),
});

/** A plugin serving one custom resource, with no controller. */
const servePlugin = (name: string, resource: typeof Widgets | typeof Gadgets): Plugin => ({ name, register: (api) => api.addResource(resource) });

const widget = (size: number) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size } });

describe('SimCluster trace of custom resources', () => {
  it('serves the built-in kinds first, then the plugins’ and the controller manager’s custom resources, and traces them all', async () => {
    const cluster = await SimCluster.create({
      seed: 1,
      nodes: 1,
      plugins: [servePlugin('widgets', Widgets)],
      controllerManager: { plugins: [servePlugin('gadgets', Gadgets)] },
    });
    expect(cluster.server.registry.all()).toEqual([...builtinResources, Widgets, Gadgets]);
    await cluster.apply(widget(1));
    await cluster.apply(widget(2));
    await cluster.apply({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' } });
    await cluster.delete(Widgets, { namespace: 'default', name: 'w1' });
    await cluster.advance(1_000);
    const custom = cluster.trace().filter((e) => e.object.kind === 'Widget' || e.object.kind === 'Gadget');
    expect(custom.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`)).toEqual(['ADDED Widget w1', 'MODIFIED Widget w1', 'ADDED Gadget g1', 'DELETED Widget w1']);
    expect((custom[1]!.object as z.infer<typeof Widgets.schema>).spec).toEqual({ size: 2 });
    await cluster.stop();
  });

  it('counts a change to a custom resource as activity for settle: the quiet window starts after it', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 1, plugins: [servePlugin('widgets', Widgets)] });
    await cluster.settle();
    await cluster.advance(5_000);
    const changedAt = cluster.now();
    await cluster.apply(widget(1));
    await cluster.settle({ quietMs: 10_000 });
    expect(cluster.now()).toBe(changedAt + 10_000);
    await cluster.stop();
  });

  it('lets an invariant of checkCluster see a custom resource without the resources option', async () => {
    const noWidgets = invariant('noWidgets', 'No Widget exists.', (state) =>
      state.of('Widget').map((w) => ({ message: `widget ${w.metadata.namespace}/${w.metadata.name} exists`, objects: [{ kind: 'Widget', namespace: w.metadata.namespace, name: w.metadata.name ?? '' }] })),
    );
    const outcome = await runCase(
      {
        name: 'widgets',
        cluster: { nodes: 1, plugins: [servePlugin('widgets', Widgets)], controllerManager: false },
        perform: async (cluster, size: number) => void (await cluster.apply(widget(size))),
        safety: [noWidgets],
        stableMs: 1_000,
      },
      7,
      [3],
      [],
    );
    expect(outcome.failure).toMatchObject({ invariant: 'noWidgets', when: 'after step 0 (3)', violations: [{ message: 'widget default/w1 exists' }] });
  });
});
