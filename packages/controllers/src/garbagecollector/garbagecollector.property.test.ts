/**
 * Randomized invariant tests of the garbage collector on a SimCluster: random ownership graphs
 * (ConfigMaps and Secrets in two namespaces, cluster-scoped IngressClasses; several owners per
 * object, blocking or not), random deletions with each propagation policy, with and without a
 * controller manager crash mid-run and watches cut with 410.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError, ConfigMaps, FOREGROUND_FINALIZER, IngressClasses, Namespaces, ORPHAN_FINALIZER, Secrets, WRITE_VERBS, faults, isApiError } from '@kubeloop/core';
import type { ClientInterceptor, KubeObject, OwnerReference, ResourceDefinition } from '@kubeloop/core';
import { SimCluster, bufferWatches, expireWatches } from '@kubeloop/testing';
import type { TraceEntry } from '@kubeloop/testing';
import type { PropagationPolicy } from './decide.js';
import { foregroundOrder, noDanglingDependents, noLiveOwnerCollected } from './invariants.js';
import { garbageCollectorPlugin } from './plugin.js';

const DEEP = process.env.KUBELOOP_DEEP === '1';
const RUNS = DEEP ? 100 : 12;

type Kind = 'ConfigMap' | 'Secret' | 'IngressClass';

interface Spec {
  readonly kind: Kind;
  readonly namespace: 'default' | 'other';
  /** Indexes of earlier objects, and whether the reference blocks. */
  readonly owners: readonly { readonly index: number; readonly block: boolean }[];
}

interface Deletion {
  readonly index: number;
  readonly policy: PropagationPolicy | undefined;
  readonly waitMs: number;
}

const RESOURCES: Record<Kind, ResourceDefinition> = { ConfigMap: ConfigMaps, Secret: Secrets, IngressClass: IngressClasses };

const scenario = fc
  .array(
    fc.record({
      kind: fc.constantFrom<Kind>('ConfigMap', 'ConfigMap', 'Secret', 'IngressClass'),
      namespace: fc.constantFrom<Spec['namespace']>('default', 'default', 'default', 'other'),
      owners: fc.array(fc.record({ index: fc.nat(), block: fc.boolean() }), { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 3, maxLength: 10 },
  )
  .map((raw) =>
    raw.map((s, i): Spec => {
      // Owners are earlier objects that this object may validly reference: a cluster-scoped
      // object only cluster-scoped owners, a namespaced one cluster-scoped or same-namespace owners.
      const seen = new Set<number>();
      const owners: { index: number; block: boolean }[] = [];
      if (i > 0) {
        for (const o of s.owners) {
          const index = o.index % i;
          const owner = raw[index]!;
          const ok = owner.kind === 'IngressClass' || (s.kind !== 'IngressClass' && owner.namespace === s.namespace);
          if (ok && !seen.has(index)) {
            seen.add(index);
            owners.push({ index, block: o.block });
          }
        }
      }
      return { kind: s.kind, namespace: s.namespace, owners };
    }),
  )
  .chain((specs) =>
    fc.record({
      specs: fc.constant(specs),
      deletions: fc.array(
        fc.record({
          // Biased to early objects: they have dependents.
          index: fc.nat({ max: specs.length - 1 }).map((x) => Math.floor((x * x) / specs.length)),
          policy: fc.constantFrom<PropagationPolicy | undefined>('Orphan', 'Foreground', 'Background', undefined),
          waitMs: fc.constantFrom(0, 5, 500, 3_000),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      // References from an object to a later one, added after creation: ownership cycles.
      backReferences: fc.array(fc.record({ from: fc.nat({ max: specs.length - 1 }), to: fc.nat({ max: specs.length - 1 }), block: fc.boolean() }), { maxLength: 2 }),
      restartAfter: fc.nat({ max: 3 }),
      crash: fc.record({ write: fc.integer({ min: 1, max: 6 }), committed: fc.boolean() }),
    }),
  );

function nameOf(i: number): string {
  return `obj-${i}`;
}

function keyOf(spec: Spec, i: number): { namespace: string | undefined; name: string } {
  return { namespace: spec.kind === 'IngressClass' ? undefined : spec.namespace, name: nameOf(i) };
}

/**
 * Orphan deletions orphan: no object was collected while it still referenced an owner that was
 * deleted with the `orphan` finalizer (its reference must have been removed first). Returns the
 * names of the objects collected in breach.
 */
function orphansKept(trace: readonly TraceEntry[], deletedByUser: ReadonlySet<string>): string[] {
  // Owners deleted with Orphan only. An owner whose deletion was switched between Foreground
  // and Orphan (a second delete with another policy, which the API server honours) may have had
  // dependents deleted while it was in foreground: upstream does not undo those.
  const orphaning = new Set<string>();
  const foreground = new Set<string>();
  for (const e of trace) {
    if (e.object.metadata.deletionTimestamp === undefined) continue;
    const finalizers = e.object.metadata.finalizers ?? [];
    if (finalizers.includes(ORPHAN_FINALIZER)) orphaning.add(e.object.metadata.uid ?? '');
    if (finalizers.includes(FOREGROUND_FINALIZER)) foreground.add(e.object.metadata.uid ?? '');
  }
  for (const uid of foreground) orphaning.delete(uid);
  const last = new Map<string, KubeObject>();
  const out: string[] = [];
  for (const e of trace) {
    const uid = e.object.metadata.uid ?? '';
    const before = last.get(uid);
    const begins = before !== undefined && before.metadata.deletionTimestamp === undefined && (e.type === 'DELETED' || e.object.metadata.deletionTimestamp !== undefined);
    if (begins && !deletedByUser.has(uid) && (before.metadata.ownerReferences ?? []).some((r) => orphaning.has(r.uid))) out.push(e.object.metadata.name ?? '');
    if (e.type === 'DELETED') last.delete(uid);
    else last.set(uid, e.object);
  }
  return out;
}

/** How many runs had a crash (the crash property checks that it was exercised). */
let crashes = 0;

type Mode = 'plain' | 'restart' | 'crash' | 'expire' | 'stale' | 'write-errors';

async function run(input: {
    specs: readonly Spec[];
    deletions: readonly Deletion[];
    backReferences: readonly { from: number; to: number; block: boolean }[];
    restartAfter: number;
    crash: { write: number; committed: boolean };
  }, mode: Mode, seed: number): Promise<void> {
  // The crash: at the collector's n-th write, the incarnation dies (before or after the write
  // lands) and every later call of it fails, until the test restarts the controller manager.
  const crash = { writes: 0, dead: false, happened: false };
  const crashAtWrite: ClientInterceptor = {
    request: (r, next) => {
      if (crash.dead) return Promise.reject(new ApiError('ServiceUnavailable', 'injected fault: the controller manager crashed'));
      if (crash.happened || !WRITE_VERBS.has(r.verb) || ++crash.writes !== input.crash.write) return next();
      crash.happened = true;
      crash.dead = true;
      return input.crash.committed ? next() : Promise.reject(new ApiError('ServiceUnavailable', 'injected fault: the controller manager crashed'));
    },
  };
  const c = await SimCluster.create({
    seed,
    nodes: 0,
    scheduler: false,
    nodeLifecycle: false,
    controllerManager: {
      plugins: [garbageCollectorPlugin()],
      interceptors: (clock) => {
        if (mode === 'crash') return [crashAtWrite];
        if (mode === 'expire') return [expireWatches(clock, 2_000)];
        if (mode === 'stale') return [bufferWatches(clock, { lag: 4, holdMs: 1_500 })];
        if (mode === 'write-errors') {
          // Every third write of the controller manager fails without reaching the store.
          let writes = 0;
          return [faults((r) => (WRITE_VERBS.has(r.verb) && ++writes % 3 === 0 ? new ApiError(writes % 2 === 0 ? 'Conflict' : 'InternalError', 'injected fault') : undefined))];
        }
        return [];
      },
    },
  });
  try {
    await c.server.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    const created: KubeObject[] = [];
    for (const [i, spec] of input.specs.entries()) {
      const ownerReferences: OwnerReference[] = spec.owners.map(({ index, block }) => {
        const o = created[index]!;
        return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', blockOwnerDeletion: block };
      });
      const metadata = { name: nameOf(i), ...(spec.kind === 'IngressClass' ? {} : { namespace: spec.namespace }), ...(ownerReferences.length > 0 ? { ownerReferences } : {}) };
      const body =
        spec.kind === 'ConfigMap'
          ? { apiVersion: 'v1', kind: 'ConfigMap', metadata }
          : spec.kind === 'Secret'
            ? { apiVersion: 'v1', kind: 'Secret', metadata }
            : { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata, spec: { controller: 'example.com/ingress' } };
      created.push(await c.server.create(RESOURCES[spec.kind], body as never));
    }
    for (const back of input.backReferences) {
      const [from, to] = [input.specs[back.from]!, input.specs[back.to]!];
      const valid = back.to > back.from && (to.kind === 'IngressClass' || (from.kind !== 'IngressClass' && to.namespace === from.namespace));
      if (!valid) continue;
      const live = await c.get(RESOURCES[from.kind], keyOf(from, back.from));
      const o = created[back.to]!;
      const reference: OwnerReference = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', blockOwnerDeletion: back.block };
      await c.server.update(RESOURCES[from.kind], { ...live, metadata: { ...live.metadata, ownerReferences: [...(live.metadata.ownerReferences ?? []), reference] } });
    }
    await c.settle();
    // Every owner is live: nothing is collected.
    expect(c.trace().filter((e) => e.type === 'DELETED' && created.some((o) => o.metadata.uid === e.object.metadata.uid))).toEqual([]);

    // A late owner and its child, created just before the deletions without settling: the
    // collector may see the child before the owner (a cache miss), and must keep it.
    const lateOwner = await c.server.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'late-owner', namespace: 'default' } });
    await c.server.create(ConfigMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'late-child', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'late-owner', uid: lateOwner.metadata.uid ?? '', blockOwnerDeletion: true }] },
    });

    const deletedByUser = new Set<string>();
    const restartIfCrashed = async (): Promise<void> => {
      if (!crash.dead) return;
      // SimCluster fails the dead incarnation's calls from here on; the new one must get through.
      crash.dead = false;
      await c.restartControllerManager();
    };
    for (const [n, d] of input.deletions.entries()) {
      await restartIfCrashed();
      const spec = input.specs[d.index]!;
      try {
        await c.delete(RESOURCES[spec.kind], keyOf(spec, d.index), d.policy === undefined ? {} : { propagationPolicy: d.policy });
        deletedByUser.add(created[d.index]!.metadata.uid ?? '');
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
      }
      if (mode === 'restart' && n === input.restartAfter) await c.restartControllerManager();
      await c.advance(d.waitMs);
      await restartIfCrashed();
    }
    // Let a crash at the collector's n-th write happen, and restart after it.
    for (let i = 0; i < 10; i++) {
      await c.advance(100);
      await restartIfCrashed();
    }
    if (crash.happened) crashes++;
    await c.settle({ quietMs: 30_000 });

    const trace = c.trace();
    const objects = [...(await c.list(ConfigMaps)).items, ...(await c.list(Secrets)).items, ...(await c.list(IngressClasses)).items];
    expect(noLiveOwnerCollected({ trace, deletedByUser })).toEqual([]);
    expect(foregroundOrder({ trace })).toEqual([]);
    expect(noDanglingDependents({ objects, namespaced: (apiVersion, kind) => c.server.registry.forKind(apiVersion, kind)?.namespaced })).toEqual([]);
    expect(orphansKept(trace, deletedByUser)).toEqual([]);
    expect(objects.filter((o) => o.metadata.name?.startsWith('late-') === true).map((o) => o.metadata.name)).toEqual(['late-child', 'late-owner']);
    // Every cascading deletion finished: no orphan or foregroundDeletion finalizer is left.
    const stuck = objects.filter((o) => (o.metadata.finalizers ?? []).some((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER));
    expect(stuck.map((o) => o.metadata.name)).toEqual([]);
  } finally {
    await c.stop();
  }
}

describe('garbage collector properties', () => {
  it('for random ownership graphs and deletions with each propagation policy, nothing with a live owner is collected, everything whose owners are all gone is, orphaned dependents keep living without the reference, and foreground owners go only after their blocking dependents', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.nat(1_000), (input, seed) => run(input, 'plain', seed)),
      { numRuns: RUNS },
    );
  });

  it('the same holds when the controller manager crashes and restarts mid-run (a fresh graph from relists reaches the same outcome)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.nat(1_000), (input, seed) => run(input, 'restart', seed)),
      { numRuns: RUNS },
    );
  });

  it('the same holds when the controller manager crashes at its n-th write, before or after the write lands (a crash inside a cascade)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.nat(1_000), (input, seed) => run(input, 'crash', seed)),
      { numRuns: RUNS },
    );
    expect(crashes).toBeGreaterThan(0);
  });

  it('the same holds when every watch of the controller manager is cut with 410 every 2 s (informers relist, tombstones)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.nat(1_000), (input, seed) => run(input, 'expire', seed)),
      { numRuns: RUNS },
    );
  });

  it('the same holds when the caches lag the store by up to 4 events (stale reads: deletions rest on live reads, never on a cache miss)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.nat(1_000), (input, seed) => run(input, 'stale', seed)),
      { numRuns: RUNS },
    );
  });

  it('the same holds when every third write of the controller manager fails with Conflict or InternalError (retried with backoff)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.nat(1_000), (input, seed) => run(input, 'write-errors', seed)),
      { numRuns: RUNS },
    );
  });
});
