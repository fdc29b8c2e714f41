import { createServer, request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiServer, RealClock, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { KubeObject, WatchEvent } from '@kubeloop/core';
import { ApiHandler } from './handler.js';

// Watchers under load, over HTTP: many concurrent watch streams while writes are applied; every
// stream must be exactly the store's history (same events, same order, nothing lost); a watcher
// whose revision left the history window gets 410 and recovers by relisting without losing
// anything. The normal run is small; KUBELOOP_DEEP=1 runs the issue's size (1,000 watchers,
// 1,000 writes/s for 60 s, paced on the wall clock).
const DEEP = process.env.KUBELOOP_DEEP === '1';
const SIZE = DEEP ? { watchers: 1_000, writesPerSecond: 1_000, seconds: 60 } : { watchers: 40, writesPerSecond: 0, seconds: 0, writes: 1_500 };

interface Harness {
  readonly server: ApiServer;
  readonly clock: VirtualClock;
  readonly api: ApiHandler;
  readonly http: Server;
  readonly port: number;
}
const open: Harness[] = [];

async function harness(historySize: number): Promise<Harness> {
  const clock = new VirtualClock();
  const server = new ApiServer({ clock, rng: seededRng(3), registry: createBuiltinRegistry(), historySize, bookmarkIntervalMs: 1_000 });
  const api = new ApiHandler({ client: server, registry: server.registry, clock, timeoutClock: new VirtualClock(), token: 't', version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
  const http = createServer(api.handle);
  http.maxConnections = Infinity;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await server.create(server.registry.forResource('namespaces')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'load' } });
  const h = { server, clock, api, http, port: (http.address() as AddressInfo).port };
  open.push(h);
  return h;
}

afterEach(async () => {
  for (const h of open.splice(0)) {
    h.api.closeWatches();
    h.http.closeAllConnections();
    await new Promise<void>((resolve) => h.http.close(() => resolve()));
  }
});

type Seen = { type: string; name: string; rv: string };

/** A watch over HTTP: its events as they arrive; `closed` resolves when the stream ends. */
function watch(h: Harness, query: string): { events: Seen[]; errors: { code: number; reason: string }[]; ready: Promise<void>; closed: Promise<void> } {
  const events: Seen[] = [];
  const errors: { code: number; reason: string }[] = [];
  let ready: () => void = () => {};
  let closed: () => void = () => {};
  const readyP = new Promise<void>((resolve) => (ready = resolve));
  const closedP = new Promise<void>((resolve) => (closed = resolve));
  const req = request({ host: '127.0.0.1', port: h.port, path: `/api/v1/namespaces/load/configmaps?watch=1&${query}`, headers: { Authorization: 'Bearer t' }, agent: false }, (res: IncomingMessage) => {
    ready();
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const e = JSON.parse(line) as { type: string; object: KubeObject & { code?: number; reason?: string } };
        if (e.type === 'ERROR') errors.push({ code: e.object.code ?? 0, reason: e.object.reason ?? '' });
        else events.push({ type: e.type, name: e.object.metadata.name ?? '', rv: e.object.metadata.resourceVersion ?? '' });
      }
    });
    res.on('end', closed);
    res.on('close', closed);
  });
  req.on('error', () => closed());
  req.end();
  return { events, errors, ready: readyP, closed: closedP };
}

const ConfigMaps = () => createBuiltinRegistry().forResource('configmaps')!;

/** The i-th write of a seeded mix: create, update or delete among 50 names. */
async function applyWrite(server: ApiServer, i: number, live: Set<string>): Promise<void> {
  const def = ConfigMaps();
  const name = `cm-${(i * 7919) % 50}`;
  if (!live.has(name)) {
    await server.create(def, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'load' }, data: { i: String(i) } });
    live.add(name);
  } else if (i % 5 === 0) {
    await server.delete(def, { namespace: 'load', name });
    live.delete(name);
  } else {
    await server.patch(def, { namespace: 'load', name }, { type: 'merge', body: { data: { i: String(i) } } });
  }
}

/** Yields to the event loop (and the sockets) without a timer. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('watch streams under load', () => {
  it(`delivers the store's whole history, in order, to ${SIZE.watchers} concurrent HTTP watchers while writes are applied`, async () => {
    const h = await harness(100_000);
    const def = ConfigMaps();
    const from = h.server.resourceVersion;
    // The oracle: the store's own history, from an in-process watch.
    const history: Seen[] = [];
    const sub = h.server.watch(def, { namespace: 'load', resourceVersion: from }).subscribe((e: WatchEvent<KubeObject>) => {
      if (e.type !== 'BOOKMARK') history.push({ type: e.type, name: e.object.metadata.name ?? '', rv: e.object.metadata.resourceVersion ?? '' });
    });
    const watchers = Array.from({ length: SIZE.watchers }, (_, i) => watch(h, `resourceVersion=${from}${i === 0 ? '&allowWatchBookmarks=true' : ''}`));
    await Promise.all(watchers.map((w) => w.ready));
    while (h.api.openWatches < SIZE.watchers) await tick();

    const live = new Set<string>();
    let writes = 0;
    if (DEEP) {
      // Paced on the wall clock: writesPerSecond in ten slices a second.
      const wall = new RealClock();
      const start = wall.now();
      for (let slice = 0; slice < SIZE.seconds * 10; slice++) {
        for (let j = 0; j < SIZE.writesPerSecond / 10; j++) await applyWrite(h.server, writes++, live);
        const due = start + (slice + 1) * 100;
        if (due > wall.now()) await wall.sleep(due - wall.now());
        else await tick();
      }
    } else {
      for (; writes < (SIZE.writes ?? 0); writes++) {
        await applyWrite(h.server, writes, live);
        if (writes % 50 === 0) await tick();
      }
    }
    const last = h.server.resourceVersion;
    // Let the streams drain, then a bookmark carries the last revision to the watcher that asked.
    while (watchers.some((w) => w.events.length < history.length)) await tick();
    await h.clock.advance(1_000);
    while (!watchers[0]!.events.some((e) => e.type === 'BOOKMARK')) await tick();
    sub.unsubscribe();

    expect(history).toHaveLength(writes);
    expect(history[history.length - 1]!.rv).toBe(last);
    for (const [i, w] of watchers.entries()) {
      const seen = w.events.filter((e) => e.type !== 'BOOKMARK');
      expect(w.errors, `watcher ${i}`).toEqual([]);
      // Equal as a whole: nothing lost, nothing added, nothing reordered.
      expect(seen.length, `watcher ${i}`).toBe(history.length);
      expect(seen, `watcher ${i}`).toEqual(history);
    }
    const bookmark = watchers[0]!.events.find((e) => e.type === 'BOOKMARK')!;
    expect(Number(bookmark.rv)).toBeGreaterThanOrEqual(Number(last));
  }, DEEP ? 600_000 : 60_000);

  it('answers a watch from a revision that left the window with a 410 ERROR event, and a relist then a watch from its revision loses nothing', async () => {
    const h = await harness(20);
    const def = ConfigMaps();
    const from = h.server.resourceVersion;
    const live = new Set<string>();
    let i = 0;
    for (; i < 100; i++) await applyWrite(h.server, i, live);
    const stale = watch(h, `resourceVersion=${from}`);
    await stale.closed;
    expect(stale.errors).toEqual([{ code: 410, reason: 'Expired' }]);
    expect(stale.events).toEqual([]);

    // The client's recovery: list (paged, as client-go's reflector does), then watch from the list's revision.
    const state = new Map<string, string>();
    let listRv = '';
    let token = '';
    do {
      const page = await new Promise<{ metadata: { resourceVersion: string; continue?: string }; items: KubeObject[] }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: h.port, path: `/api/v1/namespaces/load/configmaps?limit=7${token ? `&continue=${encodeURIComponent(token)}` : ''}`, headers: { Authorization: 'Bearer t' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(JSON.parse(text) as never));
        });
        req.on('error', reject);
        req.end();
      });
      for (const o of page.items) state.set(o.metadata.name ?? '', o.metadata.resourceVersion ?? '');
      listRv = page.metadata.resourceVersion;
      token = page.metadata.continue ?? '';
      // Writes land between the pages: the pages still read one revision.
      await applyWrite(h.server, i++, live);
    } while (token !== '');
    const resumed = watch(h, `resourceVersion=${listRv}`);
    await resumed.ready;
    for (let j = 0; j < 10; j++) await applyWrite(h.server, i++, live);
    const final = await h.server.list(def, { namespace: 'load' });
    while (resumed.events.length === 0 || resumed.events[resumed.events.length - 1]!.rv !== h.server.resourceVersion) await tick();
    for (const e of resumed.events) {
      if (e.type === 'DELETED') state.delete(e.name);
      else state.set(e.name, e.rv);
    }
    expect(resumed.errors).toEqual([]);
    expect(new Map(final.items.map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion ?? '']))).toEqual(state);
  });
});
