import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ObjectMetaSchema } from '../api/meta.js';
import { defineResource } from '../api/registry.js';
import { firstValueFrom, take, toArray, type Subscription } from 'rxjs';
import type { KubeObject } from '../api/meta.js';
import { VirtualClock } from '../clock/virtual.js';
import type { WatchEvent } from '../client/types.js';
import { seededRng } from '../rng/seeded.js';
import { ApiServer } from './server.js';
import { rejection, testRegistry, ScalableWidgets as Widgets, type ScalableWidget as Widget } from '../testing/index.js';

function newServer(historySize?: number): { server: ApiServer; clock: VirtualClock } {
  const clock = new VirtualClock();
  const server = new ApiServer({ clock, rng: seededRng(7), registry: testRegistry(), historySize });
  return { server, clock };
}

function widget(name: string, extra: Partial<Widget> = {}): Widget {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, namespace: 'default' }, spec: { replicas: 1 }, ...extra };
}


function collect<T extends KubeObject>(events: WatchEvent<T>[]): (e: WatchEvent<T>) => void {
  return (e) => events.push(e);
}

describe('ApiServer: identity and metadata', () => {
  it('stamps uid, creationTimestamp from the clock, generation 1 and a resourceVersion on create', async () => {
    const { server, clock } = newServer();
    const w = await server.create(Widgets, widget('a'));
    expect(w.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(w.metadata.creationTimestamp).toBe(new Date(clock.now()).toISOString().replace('.000Z', 'Z'));
    expect(w.metadata.generation).toBe(1);
    expect(Number(w.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(Object.isFrozen(w.metadata)).toBe(true);
  });

  it('appends a five-character suffix to generateName', async () => {
    const { server } = newServer();
    const w = await server.create(Widgets, { ...widget(''), metadata: { generateName: 'web-', namespace: 'default' } });
    expect(w.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('refuses a namespaced object in a namespace that does not exist', async () => {
    const { server } = newServer();
    const e = await rejection(server.create(Widgets, { ...widget('a'), metadata: { name: 'a', namespace: 'nope' } }));
    expect(e.reason).toBe('NotFound');
    expect(e.message).toBe('namespaces "nope" not found');
  });

  it('refuses a second object with the same name', async () => {
    const { server } = newServer();
    await server.create(Widgets, widget('a'));
    const e = await rejection(server.create(Widgets, widget('a')));
    expect(e.reason).toBe('AlreadyExists');
    expect(e.message).toBe('widgets.example.com "a" already exists');
  });

  it('rejects an invalid name with the field path and leaves the store unchanged', async () => {
    const { server } = newServer();
    const rv = server.resourceVersion;
    const e = await rejection(server.create(Widgets, widget('Not_Valid')));
    expect(e.code).toBe(422);
    expect(e.details.causes?.[0]?.field).toBe('metadata.name');
    expect(e.message).toMatch(/^Widget.example.com "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain/);
    expect(server.resourceVersion).toBe(rv);
    expect((await server.list(Widgets)).items).toHaveLength(0);
  });

  it('reports a wrongly typed field with its path', async () => {
    const { server } = newServer();
    const e = await rejection(server.create(Widgets, { ...widget('a'), spec: { replicas: 'three' as unknown as number } }));
    expect(e.details.causes).toEqual([
      { reason: 'FieldValueTypeInvalid', field: 'spec.replicas', message: 'Invalid value: "three": spec.replicas in body must be of type number' },
    ]);
  });

  it('drops unknown fields with a warning, as the API server prunes them', async () => {
    const { server } = newServer();
    const warnings: string[] = [];
    const body = { ...widget('a'), spec: { replicas: 2, colour: 'red' } } as unknown as Widget;
    const w = await server.create(Widgets, body, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual(['unknown field "spec.colour"']);
    expect(w.spec).toEqual({ replicas: 2 });
  });

  it('does not store anything on a dry run', async () => {
    const { server } = newServer();
    const rv = server.resourceVersion;
    const w = await server.create(Widgets, widget('a'), { dryRun: true });
    expect(w.metadata.name).toBe('a');
    expect(server.resourceVersion).toBe(rv);
    expect((await rejection(server.get(Widgets, { namespace: 'default', name: 'a' }))).reason).toBe('NotFound');
  });
});

describe('ApiServer: updates, generation and the status subresource', () => {
  it('fails a write carrying a stale resourceVersion with 409 Conflict', async () => {
    const { server } = newServer();
    const v1 = await server.create(Widgets, widget('a'));
    await server.update(Widgets, { ...v1, spec: { ...v1.spec, color: 'red' } });
    const e = await rejection(server.update(Widgets, { ...v1, spec: { ...v1.spec, color: 'blue' } }));
    expect(e.code).toBe(409);
    expect(e.message).toBe(
      'Operation cannot be fulfilled on widgets.example.com "a": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('bumps generation on spec changes only', async () => {
    const { server } = newServer();
    const v1 = await server.create(Widgets, widget('a'));
    const v2 = await server.update(Widgets, { ...v1, metadata: { ...v1.metadata, labels: { x: 'y' } } });
    expect(v2.metadata.generation).toBe(1);
    const v3 = await server.updateStatus(Widgets, { ...v2, status: { replicas: 3 } });
    expect(v3.metadata.generation).toBe(1);
    const v4 = await server.update(Widgets, { ...v3, spec: { ...v3.spec, replicas: 5 } });
    expect(v4.metadata.generation).toBe(2);
  });

  it('ignores status in main-resource writes and everything but status in status writes', async () => {
    const { server } = newServer();
    const created = await server.create(Widgets, { ...widget('a'), status: { replicas: 9 } });
    expect(created.status).toBeUndefined();
    const v2 = await server.update(Widgets, { ...created, status: { replicas: 9 } });
    expect(v2.status).toBeUndefined();
    const v3 = await server.updateStatus(Widgets, { ...v2, spec: { replicas: 7 }, status: { replicas: 2 } });
    expect(v3.spec.replicas).toBe(1);
    expect(v3.status).toEqual({ replicas: 2 });
  });

  it('treats an update that changes nothing as a no-op: no new resourceVersion, no event', async () => {
    const { server } = newServer();
    const v1 = await server.create(Widgets, widget('a'));
    const events: WatchEvent<Widget>[] = [];
    const sub = server.watch(Widgets, { resourceVersion: v1.metadata.resourceVersion }).subscribe(collect(events));
    const v2 = await server.update(Widgets, v1);
    expect(v2.metadata.resourceVersion).toBe(v1.metadata.resourceVersion);
    expect(events).toEqual([]);
    sub.unsubscribe();
  });

  it('enforces immutable fields from the kind on update', async () => {
    const { server } = newServer();
    const v1 = await server.create(Widgets, { ...widget('a'), spec: { replicas: 1, selector: { matchLabels: { a: 'b' } } } });
    const e = await rejection(server.update(Widgets, { ...v1, spec: { ...v1.spec, selector: { matchLabels: { a: 'c' } } } }));
    expect(e.message).toContain('spec.selector: Invalid value: {"matchLabels":{"a":"c"}}: field is immutable');
  });

  it('applies merge and JSON patches atomically through admission', async () => {
    const { server } = newServer();
    await server.create(Widgets, widget('a'));
    const key = { namespace: 'default', name: 'a' };
    const p1 = await server.patch(Widgets, key, { type: 'merge', body: { spec: { color: 'red' } } });
    expect(p1.spec).toEqual({ replicas: 1, color: 'red' });
    const p2 = await server.patch(Widgets, key, { type: 'json', body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] });
    expect(p2.spec.replicas).toBe(4);
    expect(p2.metadata.generation).toBe(3);
    const p3 = await server.patch(Widgets, key, { type: 'merge', body: { status: { replicas: 4 } } }, { subresource: 'status' });
    expect(p3.status).toEqual({ replicas: 4 });
    const e = await rejection(server.patch(Widgets, key, { type: 'merge', body: { spec: { replicas: -1 } } }));
    expect(e.reason).toBe('Invalid');
    expect((await server.get(Widgets, key)).spec.replicas).toBe(4);
  });
});

describe('ApiServer: the scale subresource', () => {
  it('reads and writes spec.replicas with the selector in string form', async () => {
    const { server } = newServer();
    await server.create(Widgets, { ...widget('a'), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } } } });
    const key = { namespace: 'default', name: 'a' };
    const scale = await server.getScale(Widgets, key);
    expect(scale.spec.replicas).toBe(2);
    expect(scale.status?.selector).toBe('app=web');
    const updated = await server.updateScale(Widgets, key, { ...scale, spec: { replicas: 4 } });
    expect(updated.spec.replicas).toBe(4);
    expect((await server.get(Widgets, key)).spec.replicas).toBe(4);
  });

  it('rejects a negative replica count through scale', async () => {
    const { server } = newServer();
    await server.create(Widgets, widget('a'));
    const key = { namespace: 'default', name: 'a' };
    const scale = await server.getScale(Widgets, key);
    const e = await rejection(server.updateScale(Widgets, key, { ...scale, spec: { replicas: -1 } }));
    expect(e.message).toBe('Scale.autoscaling "a" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });
});

describe('ApiServer: deletion', () => {
  it('keeps an object with finalizers, marked with deletionTimestamp, until they are removed', async () => {
    const { server } = newServer();
    await server.create(Widgets, { ...widget('a'), metadata: { name: 'a', namespace: 'default', finalizers: ['example.com/hold'] } });
    const key = { namespace: 'default', name: 'a' };
    const marked = await server.delete(Widgets, key);
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect((await server.get(Widgets, key)).metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
    const e = await rejection(
      server.update(Widgets, { ...marked, metadata: { ...marked.metadata, finalizers: ['example.com/hold', 'example.com/more'] } }),
    );
    expect(e.message).toContain('metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted');
    await server.update(Widgets, { ...marked, metadata: { ...marked.metadata, finalizers: [] } });
    expect((await rejection(server.get(Widgets, key))).reason).toBe('NotFound');
  });

  it('adds the orphan or foregroundDeletion finalizer for those propagation policies', async () => {
    const { server } = newServer();
    await server.create(Widgets, widget('o'));
    await server.create(Widgets, widget('f'));
    const o = await server.delete(Widgets, { namespace: 'default', name: 'o' }, { propagationPolicy: 'Orphan' });
    const f = await server.delete(Widgets, { namespace: 'default', name: 'f' }, { propagationPolicy: 'Foreground' });
    expect(o.metadata.finalizers).toEqual(['orphan']);
    expect(f.metadata.finalizers).toEqual(['foregroundDeletion']);
  });

  it('rejects a propagation policy other than Foreground, Background and Orphan with 422, as upstream ValidateDeleteOptions', async () => {
    const { server } = newServer();
    await server.create(Widgets, widget('w'));
    const e = await rejection(server.delete(Widgets, { namespace: 'default', name: 'w' }, { propagationPolicy: '' as never }));
    expect(e.reason).toBe('Invalid');
    expect(e.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "": supported values: "Foreground", "Background", "Orphan", "nil"');
    expect((await server.get(Widgets, { namespace: 'default', name: 'w' })).metadata.deletionTimestamp).toBeUndefined();
  });

  it('switches the GC finalizer when an object being deleted is deleted again with another policy, as upstream', async () => {
    const { server } = newServer();
    await server.create(Widgets, widget('w'));
    const key = { namespace: 'default', name: 'w' };
    const first = await server.delete(Widgets, key, { propagationPolicy: 'Orphan' });
    const second = await server.delete(Widgets, key, { propagationPolicy: 'Foreground' });
    expect(second.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(second.metadata.deletionTimestamp).toBe(first.metadata.deletionTimestamp);
    const unchanged = await server.delete(Widgets, key, { propagationPolicy: 'Foreground' });
    expect(unchanged.metadata.resourceVersion).toBe(second.metadata.resourceVersion);
    // Background drops the last GC finalizer: nothing holds the object any more, and the
    // DELETED event shows it as last written, without the finalizer.
    const deleted: unknown[] = [];
    const sub = server.watch(Widgets, { resourceVersion: unchanged.metadata.resourceVersion }).subscribe((e) => {
      if (e.type === 'DELETED') deleted.push(e.object.metadata.finalizers);
    });
    await server.delete(Widgets, key, { propagationPolicy: 'Background' });
    expect((await rejection(server.get(Widgets, key))).reason).toBe('NotFound');
    await Promise.resolve();
    sub.unsubscribe();
    expect(deleted).toEqual([undefined]);
  });

  it('checks uid and resourceVersion preconditions', async () => {
    const { server } = newServer();
    const w = await server.create(Widgets, widget('a'));
    const key = { namespace: 'default', name: 'a' };
    expect((await rejection(server.delete(Widgets, key, { preconditions: { uid: 'other' } }))).code).toBe(409);
    expect((await rejection(server.delete(Widgets, key, { preconditions: { resourceVersion: '1' } }))).code).toBe(409);
    await server.delete(Widgets, key, { preconditions: { uid: w.metadata.uid ?? '' } });
    expect((await server.list(Widgets)).items).toHaveLength(0);
  });
});

describe('ApiServer: list and watch', () => {
  it('filters lists by namespace, label selector and field selector', async () => {
    const { server } = newServer();
    await server.create(TestNs(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    await server.create(Widgets, { ...widget('a'), metadata: { name: 'a', namespace: 'default', labels: { app: 'web' } }, spec: { replicas: 1, color: 'red' } });
    await server.create(Widgets, { ...widget('b'), metadata: { name: 'b', namespace: 'default', labels: { app: 'db' } } });
    await server.create(Widgets, { ...widget('c'), metadata: { name: 'c', namespace: 'other', labels: { app: 'web' } } });
    const names = async (o: Parameters<ApiServer['list']>[1]) => (await server.list(Widgets, o)).items.map((w) => w.metadata.name);
    expect(await names({})).toEqual(['a', 'b', 'c']);
    expect(await names({ namespace: 'other' })).toEqual(['c']);
    expect(await names({ labelSelector: 'app=web' })).toEqual(['a', 'c']);
    expect(await names({ labelSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } })).toEqual(['b']);
    expect(await names({ fieldSelector: 'spec.color=red' })).toEqual(['a']);
    const e = await rejection(server.list(Widgets, { fieldSelector: 'spec.size=big' }));
    expect(e.message).toBe('field label not supported: spec.size');
  });

  it('starts a watch without a resourceVersion with ADDED for every current object', async () => {
    const { server } = newServer();
    await server.create(Widgets, widget('a'));
    await server.create(Widgets, widget('b'));
    const events = await firstValueFrom(server.watch(Widgets).pipe(take(2), toArray()));
    expect(events.map((e) => [e.type, e.type === 'BOOKMARK' ? '' : e.object.metadata.name])).toEqual([
      ['ADDED', 'a'],
      ['ADDED', 'b'],
    ]);
  });

  it('shows an object leaving a watch selector as DELETED and one entering as ADDED', async () => {
    const { server } = newServer();
    const events: WatchEvent<Widget>[] = [];
    const sub = server.watch(Widgets, { labelSelector: 'app=web' }).subscribe(collect(events));
    const a = await server.create(Widgets, { ...widget('a'), metadata: { name: 'a', namespace: 'default', labels: { app: 'web' } } });
    const a2 = await server.update(Widgets, { ...a, metadata: { ...a.metadata, labels: { app: 'db' } } });
    await server.update(Widgets, { ...a2, metadata: { ...a2.metadata, labels: { app: 'web' } } });
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
    sub.unsubscribe();
  });

  it('fails a watch from a revision older than the history window with 410 Expired', async () => {
    const { server } = newServer(4);
    const first = await server.create(Widgets, widget('a'));
    for (let i = 0; i < 6; i++) await server.patch(Widgets, { namespace: 'default', name: 'a' }, { type: 'merge', body: { spec: { replicas: i + 2 } } });
    const e = await rejection(firstValueFrom(server.watch(Widgets, { resourceVersion: first.metadata.resourceVersion })));
    expect(e.code).toBe(410);
    expect(e.reason).toBe('Expired');
    expect(e.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('delivers changes in revision order to every watch even when a handler writes', async () => {
    const { server } = newServer();
    const seen: string[][] = [[], []];
    const subs: Subscription[] = [];
    subs.push(
      server.watch(Widgets, { resourceVersion: server.resourceVersion }).subscribe((e) => {
        seen[0]!.push(e.object.metadata.resourceVersion!);
        if (e.type === 'ADDED' && e.object.metadata.name === 'a') void server.create(Widgets, widget('b'));
      }),
    );
    subs.push(server.watch(Widgets, { resourceVersion: server.resourceVersion }).subscribe((e) => seen[1]!.push(e.object.metadata.resourceVersion!)));
    await server.create(Widgets, widget('a'));
    await Promise.resolve();
    expect(seen[0]).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(Number(seen[0]![0])).toBeLessThan(Number(seen[0]![1]));
    subs.forEach((s) => s.unsubscribe());
  });

  it('sends bookmarks with the latest revision on the clock when asked', async () => {
    const { server, clock } = newServer();
    const events: WatchEvent<Widget>[] = [];
    const sub = server.watch(Widgets, { resourceVersion: server.resourceVersion, allowWatchBookmarks: true }).subscribe(collect(events));
    await server.create(Widgets, widget('a'));
    await clock.advance(60_000);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(events[1]!.object.metadata.resourceVersion).toBe(server.resourceVersion);
    sub.unsubscribe();
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('ApiServer: admission hooks', () => {
  it('runs mutating hooks before validation and validating hooks after, rejecting without a write', async () => {
    const { server } = newServer();
    server.addAdmissionHook({
      name: 'paint',
      resources: ['widgets.example.com'],
      mutate: (req) => ({ ...req.object, spec: { ...(req.object as Widget).spec, color: 'blue' } }) as KubeObject,
    });
    server.addAdmissionHook({
      name: 'no-big',
      validate: (req) =>
        (req.object as Widget).spec.replicas > 10
          ? [{ type: 'FieldValueForbidden', field: 'spec.replicas', detail: 'at most 10 replicas here' }]
          : [],
    });
    const w = await server.create(Widgets, widget('a'));
    expect(w.spec.color).toBe('blue');
    const rv = server.resourceVersion;
    const e = await rejection(server.create(Widgets, { ...widget('b'), spec: { replicas: 11 } }));
    expect(e.message).toBe('Widget.example.com "b" is invalid: spec.replicas: Forbidden: at most 10 replicas here');
    expect(server.resourceVersion).toBe(rv);
  });
});

function TestNs() {
  return testRegistry().forResource('namespaces')!;
}

describe('ApiServer: malformed requests', () => {
  it('answers a body that is not an object with 400 and changes nothing', async () => {
    const { server } = newServer();
    const rv = server.resourceVersion;
    for (const body of [null, 42, 'text', []]) {
      expect((await rejection(server.create(Widgets, body as never))).code).toBe(400);
      expect((await rejection(server.update(Widgets, body as never))).code).toBe(400);
    }
    expect((await rejection(server.update(Widgets, { ...widget('a'), metadata: null } as never))).code).toBe(422);
    expect(server.resourceVersion).toBe(rv);
  });

  it('validates with its own registered definition, not a copy the caller brings', async () => {
    const { server } = newServer();
    const lax = defineResource({ ...Widgets, schema: z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: ObjectMetaSchema }) });
    const e = await rejection(server.create(lax, { ...widget('a'), spec: { replicas: 'many' } } as never));
    expect(e.details.causes?.[0]?.field).toBe('spec.replicas');
  });
});
