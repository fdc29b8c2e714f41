/**
 * Model-based test of the API server against a plain reference model (fast-check `commands`).
 *
 * Invariants, in words:
 * - resourceVersions strictly increase: every write that changes something gets a revision
 *   larger than any seen before, and no-op writes get none;
 * - a write carrying a stale resourceVersion fails with 409 and changes nothing;
 * - `metadata.generation` moves (by one) exactly when the spec changes, and when a delete first
 *   marks the object as being deleted (upstream's `markAsDeleting`/`BeforeDelete`);
 * - an object with finalizers is not removed by a delete, only marked, until they are gone;
 * - a watch started at revision r, replayed onto the list taken at r, equals the list at any
 *   later point;
 * - a watch from a revision whose successors have left the history window fails with 410.
 *
 * The registry's semantics are checked through the `Storage` interface, over each storage in
 * `storages` (memory, and a slow one whose cache lags); the storage's own contract (ordering,
 * atomicity, watches, compaction) has its model test in `storage.contract.ts`, run for every
 * backend.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Subscription } from 'rxjs';
import { isApiError } from '../api/errors.js';
import { VirtualClock } from '../clock/virtual.js';
import type { WatchEvent } from '../client/types.js';
import { SlowStorage, runs, type ScalableWidget as Widget, ScalableWidgets as Widgets, testRegistry } from '../testing/index.js';
import { seededRng } from '../rng/seeded.js';
import { MemoryStorage } from './memory.js';
import { ApiServer } from './server.js';
import type { Storage } from './storage.js';

const HISTORY = 12;

interface ModelObject {
  replicas: number;
  note: string | undefined;
  finalizers: number;
  deleting: boolean;
  generation: number;
}

interface Model {
  objects: Map<string, ModelObject>;
}

interface Watch {
  fromRv: number;
  base: Map<string, Widget>;
  events: WatchEvent<Widget>[];
  sub: Subscription;
}

interface Real {
  server: ApiServer;
  lastRv: number;
  /** Every revision ever returned for each name, to send stale writes with. */
  seen: Map<string, string[]>;
  watches: Watch[];
}

const key = (name: string) => ({ namespace: 'default', name });

function observe(r: Real, w: Widget): void {
  const rv = Number(w.metadata.resourceVersion);
  expect(rv).toBeGreaterThan(r.lastRv);
  r.lastRv = rv;
  const list = r.seen.get(w.metadata.name!) ?? [];
  list.push(w.metadata.resourceVersion!);
  r.seen.set(w.metadata.name!, list);
}

function expectUnchanged(r: Real): void {
  expect(Number(r.server.resourceVersion)).toBe(r.lastRv);
}

type Cmd = fc.AsyncCommand<Model, Real>;

class Create implements Cmd {
  constructor(
    readonly name: string,
    readonly replicas: number,
    readonly finalizers: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const body: Widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: this.name, namespace: 'default', finalizers: Array.from({ length: this.finalizers }, (_, i) => `example.com/f${i}`) },
      spec: { replicas: this.replicas },
    };
    if (m.objects.has(this.name)) {
      const e = await r.server.create(Widgets, body).catch((x: unknown) => x);
      expect(isApiError(e, 'AlreadyExists')).toBe(true);
      expectUnchanged(r);
      return;
    }
    const w = await r.server.create(Widgets, body);
    observe(r, w);
    expect(w.metadata.generation).toBe(1);
    m.objects.set(this.name, { replicas: this.replicas, note: undefined, finalizers: this.finalizers, deleting: false, generation: 1 });
  }
  toString = () => `create(${this.name}, ${this.replicas}, f=${this.finalizers})`;
}

class UpdateSpec implements Cmd {
  constructor(
    readonly name: string,
    readonly replicas: number,
    readonly stale: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.objects.has(this.name);
  async run(m: Model, r: Real): Promise<void> {
    const model = m.objects.get(this.name)!;
    const current = await r.server.get(Widgets, key(this.name));
    const history = r.seen.get(this.name) ?? [];
    const staleRv = history.find((rv) => rv !== current.metadata.resourceVersion);
    if (this.stale && staleRv !== undefined) {
      const e = await r.server
        .update(Widgets, { ...current, metadata: { ...current.metadata, resourceVersion: staleRv }, spec: { replicas: this.replicas } })
        .catch((x: unknown) => x);
      expect(isApiError(e, 'Conflict')).toBe(true);
      expectUnchanged(r);
      return;
    }
    const w = await r.server.update(Widgets, { ...current, spec: { replicas: this.replicas } });
    if (this.replicas === model.replicas) {
      expect(w.metadata.resourceVersion).toBe(current.metadata.resourceVersion);
      expectUnchanged(r);
    } else {
      observe(r, w);
      model.generation++;
      model.replicas = this.replicas;
    }
    expect(w.metadata.generation).toBe(model.generation);
  }
  toString = () => `updateSpec(${this.name}, ${this.replicas}${this.stale ? ', stale' : ''})`;
}

class UpdateStatus implements Cmd {
  constructor(
    readonly name: string,
    readonly note: string,
  ) {}
  check = (m: Readonly<Model>) => m.objects.has(this.name);
  async run(m: Model, r: Real): Promise<void> {
    const model = m.objects.get(this.name)!;
    const current = await r.server.get(Widgets, key(this.name));
    const w = await r.server.updateStatus(Widgets, { ...current, status: { note: this.note } });
    if (model.note === this.note) expectUnchanged(r);
    else observe(r, w);
    model.note = this.note;
    expect(w.metadata.generation).toBe(model.generation);
  }
  toString = () => `updateStatus(${this.name}, ${this.note})`;
}

class Delete implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.objects.has(this.name);
  async run(m: Model, r: Real): Promise<void> {
    const model = m.objects.get(this.name)!;
    const before = Number(r.server.resourceVersion);
    await r.server.delete(Widgets, key(this.name));
    if (model.finalizers > 0) {
      const w = await r.server.get(Widgets, key(this.name));
      expect(w.metadata.deletionTimestamp).toBeDefined();
      if (!model.deleting) {
        observe(r, w);
        model.generation++;
      } else expectUnchanged(r);
      expect(w.metadata.generation).toBe(model.generation);
      model.deleting = true;
    } else {
      expect(Number(r.server.resourceVersion)).toBe(before + 1);
      r.lastRv = before + 1;
      m.objects.delete(this.name);
    }
  }
  toString = () => `delete(${this.name})`;
}

class RemoveFinalizer implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => (m.objects.get(this.name)?.finalizers ?? 0) > 0;
  async run(m: Model, r: Real): Promise<void> {
    const model = m.objects.get(this.name)!;
    const current = await r.server.get(Widgets, key(this.name));
    const before = Number(r.server.resourceVersion);
    await r.server.update(Widgets, { ...current, metadata: { ...current.metadata, finalizers: (current.metadata.finalizers ?? []).slice(1) } });
    expect(Number(r.server.resourceVersion)).toBe(before + 1);
    r.lastRv = before + 1;
    model.finalizers--;
    if (model.finalizers === 0 && model.deleting) {
      m.objects.delete(this.name);
      const e = await r.server.get(Widgets, key(this.name)).catch((x: unknown) => x);
      expect(isApiError(e, 'NotFound')).toBe(true);
    }
  }
  toString = () => `removeFinalizer(${this.name})`;
}

class StartWatch implements Cmd {
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    const list = await r.server.list(Widgets);
    const w: Watch = {
      fromRv: Number(list.metadata.resourceVersion),
      base: new Map(list.items.map((i) => [i.metadata.name!, i])),
      events: [],
      sub: undefined as unknown as Subscription,
    };
    w.sub = r.server.watch(Widgets, { resourceVersion: list.metadata.resourceVersion }).subscribe({ next: (e) => w.events.push(e) });
    r.watches.push(w);
  }
  toString = () => 'startWatch';
}

class WatchFromOld implements Cmd {
  constructor(readonly back: number) {}
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    const from = Math.max(0, r.lastRv - this.back);
    // The window holds the last HISTORY changes: a watch from `from` needs every change after it.
    const needed = r.lastRv - from;
    const errors: unknown[] = [];
    const sub = r.server.watch(Widgets, { resourceVersion: String(from) }).subscribe({ error: (e) => errors.push(e) });
    sub.unsubscribe();
    if (needed > HISTORY) {
      expect(errors).toHaveLength(1);
      expect(isApiError(errors[0], 'Expired')).toBe(true);
    } else {
      expect(errors).toHaveLength(0);
    }
  }
  toString = () => `watchFrom(lastRv-${this.back})`;
}

/** A slow storage's cache catches up (and then lags again): later writes start from stale guesses. */
class CatchUp implements Cmd {
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    if (r.server.storage instanceof SlowStorage) r.server.storage.catchUp();
    return Promise.resolve();
  }
  toString = () => 'catchUp';
}

async function checkWatches(r: Real): Promise<void> {
  const now = new Map((await r.server.list(Widgets)).items.map((i) => [i.metadata.name!, i]));
  for (const w of r.watches) {
    const replayed = new Map(w.base);
    for (const e of w.events) {
      if (e.type === 'BOOKMARK') continue;
      expect(Number(e.object.metadata.resourceVersion)).toBeGreaterThan(w.fromRv);
      if (e.type === 'DELETED') replayed.delete(e.object.metadata.name!);
      else replayed.set(e.object.metadata.name!, e.object);
    }
    expect([...replayed.entries()].sort()).toEqual([...now.entries()].sort());
  }
}

const names = fc.constantFrom('a', 'b', 'c');
const commands = [
  fc.tuple(names, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 })).map(([n, rep, f]) => new Create(n, rep, f)),
  fc.tuple(names, fc.integer({ min: 0, max: 3 }), fc.boolean()).map(([n, rep, s]) => new UpdateSpec(n, rep, s)),
  fc.tuple(names, fc.constantFrom('x', 'y')).map(([n, note]) => new UpdateStatus(n, note)),
  names.map((n) => new Delete(n)),
  names.map((n) => new RemoveFinalizer(n)),
  fc.constant(new StartWatch()),
  fc.integer({ min: 0, max: 30 }).map((b) => new WatchFromOld(b)),
  fc.constant(new CatchUp()),
];

const storages: readonly (readonly [string, (clock: VirtualClock) => Storage])[] = [
  ['MemoryStorage', (clock) => new MemoryStorage({ clock, historySize: HISTORY })],
  ['a slow storage with a lagging cache', () => new SlowStorage(HISTORY)],
];

describe.each(storages)('ApiServer against a reference model, over %s', (_name, makeStorage) => {
  test.prop([fc.commands(commands, { maxCommands: 60 })], { numRuns: runs(150, 3000) })(
    'keeps revisions increasing, conflicts stale writes, moves generation on spec changes, honours finalizers, and replays watches exactly',
    async (cmds) => {
      const clock = new VirtualClock();
      const server = new ApiServer({ clock, rng: seededRng(1), registry: testRegistry(), storage: makeStorage(clock) });
      await server.ready;
      const real: Real = { server, lastRv: Number(server.resourceVersion), seen: new Map(), watches: [] };
      await fc.asyncModelRun(() => ({ model: { objects: new Map() }, real }), cmds);
      await checkWatches(real);
      real.watches.forEach((w) => w.sub.unsubscribe());
    },
  );
});
