/**
 * The arbitraries: generated objects pass the API server's admission; generated actions and
 * fault schedules are plain data that a cluster accepts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { ApiServer, Nodes, ObjectMetaSchema, VirtualClock, apply, createBuiltinRegistry, defineResource, resolveManifest, seededRng } from '@kubeloop/core';
import { ADDED_NODE_NAMES, SimCluster, clusterAction, clusterActions, customResources, daemonSets, deployments, faultArbitrary, faultSchedules, faultSchedulesWith, nodePools, performAction, replicaSets, services } from '../index.js';

const DEEP = process.env['KUBELOOP_DEEP'] === '1';

function server() {
  const registry = createBuiltinRegistry();
  return new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry });
}

describe('object arbitraries', () => {
  for (const [kind, arbitrary] of [
    ['ReplicaSets', replicaSets()],
    ['Deployments', deployments()],
    ['DaemonSets', daemonSets()],
    ['Services', services()],
  ] as const) {
    it(`generates ${kind} that the API server admits (created, then re-applied unchanged)`, async () => {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (object) => {
          const s = server();
          const { resource, object: body } = resolveManifest(s.registry, { body: object as Record<string, unknown>, source: 'arbitrary', document: 1 });
          expect((await apply(s, resource, body)).action).toBe('created');
          expect((await apply(s, resource, body)).action).toBe('unchanged');
        }),
        { numRuns: DEEP ? 500 : 50 },
      );
    });
  }

  it('generates node pools a SimCluster starts with (unique names, sizes, labels, taints)', async () => {
    await fc.assert(
      fc.asyncProperty(nodePools(3), async (nodes) => {
        const cluster = await SimCluster.create({ seed: 1, nodes, controllerManager: false });
        const listed = (await cluster.list(Nodes)).items;
        expect(listed.map((n) => n.metadata.name)).toEqual(nodes.map((n) => n.name));
        for (const n of nodes) {
          const node = listed.find((l) => l.metadata.name === n.name)!;
          expect(node.metadata.labels?.['pool']).toBe(n.labels?.['pool']);
          expect(node.spec.taints ?? []).toEqual(n.taints ?? []);
        }
        await cluster.stop();
      }),
      { numRuns: DEEP ? 50 : 5 },
    );
  });
});

describe('action arbitraries', () => {
  it('generates actions every one of which a running cluster accepts (or finds nothing to act on)', async () => {
    await fc.assert(
      fc.asyncProperty(clusterActions({ workloads: ['ReplicaSet', 'Deployment', 'DaemonSet', 'Service'], maxActions: 10, nodeMembership: true }), async (actions) => {
        const cluster = await SimCluster.create({ seed: 1, nodes: 3, controllerManager: false });
        for (const a of actions) await performAction(cluster, a);
        await cluster.stop();
      }),
      { numRuns: DEEP ? 200 : 20 },
    );
  });

  it('draws machines leaving and joining only when asked to, and performs them on the cluster', async () => {
    const kinds = (options: Parameters<typeof clusterAction>[0]) => new Set(fc.sample(clusterAction(options), { numRuns: 400, seed: 7 }).map((a) => a.kind));
    expect(kinds({}).has('removeNode') || kinds({}).has('addNode')).toBe(false);
    expect([...kinds({ nodeMembership: true })].filter((k) => k === 'removeNode' || k === 'addNode').sort()).toEqual(['addNode', 'removeNode']);
    expect(kinds({ nodeMembership: true, nodes: 0 }).has('removeNode')).toBe(false);

    const cluster = await SimCluster.create({ seed: 1, nodes: 2, controllerManager: false });
    const names = async () => (await cluster.list(Nodes)).items.map((n) => n.metadata.name);
    await performAction(cluster, { kind: 'removeNode', node: 1 });
    expect(await names()).toEqual(['node-1']);
    await performAction(cluster, { kind: 'addNode', name: ADDED_NODE_NAMES[0]!, labels: { pool: 'a' } });
    expect((await cluster.get(Nodes, { name: ADDED_NODE_NAMES[0]! })).metadata.labels?.['pool']).toBe('a');
    // A name already taken is left alone, as a second join of the same machine would fail.
    await performAction(cluster, { kind: 'addNode', name: 'node-2' });
    expect(cluster.nodes.kubelet('node-2')?.running).toBe(false);
    await performAction(cluster, { kind: 'restoreNode', node: 1 });
    expect(await names()).toEqual(['node-1', 'node-2', ADDED_NODE_NAMES[0]]);
    await cluster.stop();
  });

  it('keeps every action to the workload names it is given', () => {
    fc.assert(
      fc.property(clusterActions({ workloads: ['Deployment'], names: ['web'] }), (actions) => {
        for (const a of actions) {
          if (a.kind === 'apply') expect((a.object as { metadata: { name: string } }).metadata.name).toBe('web');
          if (a.kind === 'scale' || a.kind === 'delete' || a.kind === 'patch') expect(a.name).toBe('web');
        }
      }),
      { numRuns: DEEP ? 200 : 30 },
    );
    expect(() => clusterActions({ names: [] })).toThrow(/options.names must name at least one workload/);
  });

  it('faultSchedulesWith always holds one fault of each fixed arbitrary, first, then the drawn ones', () => {
    fc.assert(
      fc.property(faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 5 })], faultSchedules({ kinds: ['latency'], maxFaults: 2 })), (schedule) => {
        expect(schedule[0]?.kind).toBe('crash');
        expect(schedule.length).toBeGreaterThanOrEqual(1);
        expect(schedule.length).toBeLessThanOrEqual(3);
        expect(schedule.slice(1).every((f) => f.kind === 'latency')).toBe(true);
      }),
      { numRuns: DEEP ? 200 : 30 },
    );
  });

  it('draws the image of a slowImagePulls fault from the images it is given, or none (every pull of the node)', () => {
    const images = ['nginx:1.25', 'busybox:1.36'];
    const seen = new Set<string | undefined>();
    fc.assert(
      fc.property(faultSchedules({ kinds: ['slowImagePulls'], images }), (schedule) => {
        for (const f of schedule) {
          if (f.kind !== 'slowImagePulls') throw new Error(`unexpected fault ${f.kind}`);
          expect(f.image === undefined || images.includes(f.image)).toBe(true);
          seen.add(f.image);
        }
      }),
      { numRuns: DEEP ? 200 : 50 },
    );
    expect([...seen].sort()).toEqual(['busybox:1.36', 'nginx:1.25', undefined]);
  });

  it('generates fault schedules within their bounds, as plain JSON data', () => {
    fc.assert(
      fc.property(faultSchedules({ maxFaults: 3, maxWrite: 5, steps: 4, nodes: 2, maxDelayMs: 900, expireWatchesAfterMs: { min: 2_000, max: 3_000 } }), (schedule) => {
        expect(JSON.parse(JSON.stringify(schedule))).toEqual(schedule);
        expect(schedule.length).toBeLessThanOrEqual(3);
        for (const f of schedule) {
          if ('write' in f) expect(f.write).toBeLessThanOrEqual(5);
          if ('step' in f) expect(f.step).toBeLessThan(4);
          if ('node' in f) expect(f.node).toBeLessThan(2);
          if (f.kind === 'staleReads') expect(f.holdMs).toBeLessThanOrEqual(900);
          if (f.kind === 'coalesce') expect(f.windowMs).toBeLessThanOrEqual(900);
          if (f.kind === 'expireWatches') expect([f.afterMs >= 2_000, f.afterMs <= 3_000]).toEqual([true, true]);
        }
      }),
      { numRuns: DEEP ? 1_000 : 100 },
    );
  });
});

describe('custom resource arbitraries from zod schemas', () => {
  const WidgetSchema = z.object({
    apiVersion: z.literal('example.com/v1'),
    kind: z.literal('Widget'),
    metadata: ObjectMetaSchema,
    spec: z.object({
      title: z.string().min(1).max(20),
      size: z.number().int().min(1).max(9),
      color: z.enum(['red', 'blue']),
      tags: z.array(z.string()).optional(),
      labels: z.record(z.string(), z.string()).optional(),
      enabled: z.boolean().default(true),
      mode: z.union([z.literal('fast'), z.literal('slow')]).optional(),
    }),
    status: z.object({ ready: z.boolean().optional() }).optional(),
  });
  const Widgets = defineResource({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true, schema: WidgetSchema, subresources: { status: true } });

  it("generates custom resources from the resource's zod schema that the API server admits", async () => {
    await fc.assert(
      fc.asyncProperty(customResources(Widgets), async (object) => {
        const s = server();
        s.registry.register(Widgets);
        const created = await s.create(Widgets, object as never);
        expect(created.spec.size).toBeGreaterThanOrEqual(1);
        expect(created.spec.size).toBeLessThanOrEqual(9);
      }),
      { numRuns: DEEP ? 500 : 50 },
    );
  });
});
