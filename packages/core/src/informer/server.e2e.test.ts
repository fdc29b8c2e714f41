import { fc, test } from '@fast-check/vitest';
import { Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ApiError, isApiError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, WatchEvent } from '../client/types.js';
import { withInterceptors } from '../client/intercept.js';
import { VirtualClock } from '../clock/virtual.js';
import { runs, ScalableWidgets as Widgets, testRegistry } from '../testing/index.js';
import { seededRng } from '../rng/seeded.js';
import { ApiServer } from '../store/server.js';
import type { ScalableWidget as Widget } from '../testing/index.js';
import { SharedInformerFactory } from './factory.js';
import { Informer } from './informer.js';
import { LABEL_INDEX } from './store.js';

/** The API server behind a client whose open watches can be killed (error) or closed (complete). */
function cluster(historySize?: number) {
  const clock = new VirtualClock();
  const server = new ApiServer({ clock, rng: seededRng(3), registry: testRegistry(), historySize });
  const kill$ = new Subject<ApiError | undefined>();
  const client: Client = withInterceptors(server, {
    watch<T extends KubeObject>(_request: unknown, next: () => Observable<WatchEvent<T>>): Observable<WatchEvent<T>> {
      return new Observable<WatchEvent<T>>((subscriber) => {
        const killed = kill$.subscribe((e) => (e === undefined ? subscriber.complete() : subscriber.error(e)));
        const inner = next().subscribe(subscriber);
        return () => {
          killed.unsubscribe();
          inner.unsubscribe();
        };
      });
    },
  });
  return { clock, server, client, kill: (e?: ApiError) => kill$.next(e) };
}

const widget = (name: string, color: string, labels: Record<string, string> = {}): Widget => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace: 'default', labels },
  spec: { replicas: 1, color },
});

describe('Informer against the ApiServer', () => {
  it('mirrors creates, updates and deletes, with label indexes, through a dropped watch and a compaction', async () => {
    const { clock, server, client, kill } = cluster(2);
    await server.create(Widgets, widget('a', 'red', { app: 'web' }));
    const informer = new Informer(client, Widgets, { clock });
    const seen: string[] = [];
    informer.events$.subscribe((e) => seen.push(`${e.type} ${e.object.metadata.name}${e.type === 'delete' && e.tombstone ? ' (tombstone)' : ''}`));
    informer.start();
    await informer.synced;
    await server.create(Widgets, widget('b', 'blue', { app: 'web' }));
    expect(informer.cache.byIndex(LABEL_INDEX, 'app=web').map((w) => w.metadata.name).sort()).toEqual(['a', 'b']);

    kill(new ApiError('ServiceUnavailable', 'connection reset'));
    await server.delete(Widgets, { namespace: 'default', name: 'a' });
    const b = await server.get(Widgets, { namespace: 'default', name: 'b' });
    await server.update(Widgets, { ...b, spec: { ...b.spec, color: 'green' } });
    await server.create(Widgets, widget('c', 'red'));
    server.compact();
    await clock.advance(60_000);

    expect(seen).toEqual(['add a', 'add b', 'delete a (tombstone)', 'update b', 'add c']);
    const list = await server.list(Widgets);
    expect(informer.cache.list().map((w) => `${w.metadata.name}@${w.metadata.resourceVersion}`).sort()).toEqual(
      list.items.map((w) => `${w.metadata.name}@${w.metadata.resourceVersion}`).sort(),
    );
    informer.stop();
  });

  it('syncs a factory of informers and keeps a namespaced one apart from the cluster-wide one', async () => {
    const { clock, server, client } = cluster();
    await server.create(Widgets, widget('a', 'red'));
    const factory = new SharedInformerFactory(client, { clock });
    const all = factory.informerFor(Widgets);
    const other = factory.informerFor(Widgets, { namespace: 'kube-system' });
    factory.start();
    await factory.waitForCacheSync();
    expect(all.cache.keys()).toEqual(['default/a']);
    expect(other.cache.keys()).toEqual([]);
    factory.shutdown();
  });
});

const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('create' as const, 'update' as const, 'delete' as const), name: fc.constantFrom('a', 'b', 'c', 'd'), color: fc.constantFrom('red', 'blue') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('drop' as const, 'close' as const, 'compact' as const, 'expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, 500, 5000) }) },
);

describe('Informer against the ApiServer, randomized', () => {
  test.prop([fc.array(opArb, { maxLength: 40 }), fc.integer({ min: 1, max: 5 })], { numRuns: runs(60, 1000) })(
    'converges to the server state whatever writes, dropped watches, compactions and 410s happen',
    async (ops, historySize) => {
      const { clock, server, client, kill } = cluster(historySize);
      const informer = new Informer(client, Widgets, { clock });
      const last = new Map<string, { type: string; rv: string | undefined }>();
      informer.events$.subscribe((e) => last.set(e.object.metadata.name ?? '', { type: e.type, rv: e.object.metadata.resourceVersion }));
      informer.start();
      const key = (name: string) => ({ namespace: 'default', name });
      for (const op of ops) {
        try {
          switch (op.kind) {
            case 'create':
              await server.create(Widgets, widget(op.name, op.color));
              break;
            case 'update': {
              const w = await server.get(Widgets, key(op.name));
              await server.update(Widgets, { ...w, spec: { ...w.spec, color: w.spec.color === 'red' ? 'blue' : 'red' } });
              break;
            }
            case 'delete':
              await server.delete(Widgets, key(op.name));
              break;
            case 'drop':
              kill(new ApiError('InternalError', 'watch broke'));
              break;
            case 'close':
              kill();
              break;
            case 'compact':
              server.compact();
              break;
            case 'expire':
              kill(new ApiError('Expired', 'too old resource version'));
              break;
            case 'advance':
              await clock.advance(op.ms);
              break;
          }
        } catch (e) {
          if (!isApiError(e, 'NotFound', 'AlreadyExists')) throw e;
        }
      }
      await clock.advance(5 * 60_000);

      const items = (await server.list(Widgets)).items;
      expect(informer.cache.list().map((w) => `${w.metadata.name}@${w.metadata.resourceVersion}`).sort()).toEqual(
        items.map((w) => `${w.metadata.name}@${w.metadata.resourceVersion}`).sort(),
      );
      for (const w of items) expect(last.get(w.metadata.name ?? '')).toEqual({ type: expect.stringMatching(/^(add|update)$/), rv: w.metadata.resourceVersion });
      for (const [name, l] of last) if (!items.some((w) => w.metadata.name === name)) expect(l.type).toBe('delete');
      informer.stop();
    },
  );
});
