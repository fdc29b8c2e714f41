/**
 * Informer cache throughput: watcher events applied per second through the reflector (cache
 * update plus maintenance of the built-in namespace / controller-uid / label indexes and one
 * user index), fed straight into `reflector` without an API server.
 */
import { CacheWriter, reflector } from '../packages/core/src/informer/store.js';
import type { WatcherEvent } from '../packages/core/src/informer/watcher.js';
import type { KubeObject } from '../packages/core/src/api/meta.js';
import { opsPerSecond } from './harness.js';
import type { Figure } from './harness.js';

interface Item extends KubeObject {
  spec: { replicas: number };
}

const OBJECTS = 10_000;
const NAMESPACES = 20;
const BATCH = 20_000;

function makeItem(i: number, rv: number): Item {
  return Object.freeze({
    apiVersion: 'v1',
    kind: 'Item',
    metadata: Object.freeze({
      namespace: `ns-${i % NAMESPACES}`,
      name: `item-${i}`,
      resourceVersion: String(rv),
      // every 4th write flips a label, so index buckets really move
      labels: Object.freeze({ app: `app-${i % 50}`, track: rv % 4 === 0 ? 'canary' : 'stable' }),
      ownerReferences: Object.freeze([
        Object.freeze({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${i % 100}`, uid: `uid-${i % 100}`, controller: true }),
      ]) as Item['metadata']['ownerReferences'],
    }) as Item['metadata'],
    spec: Object.freeze({ replicas: rv % 5 }),
  }) as Item;
}

/** A hand-rolled push source: the bench measures the reflector, not an RxJS Subject. */
class Source<T> {
  #next: ((value: T) => void) | undefined;
  subscribe(observer: Partial<{ next: (value: T) => void }>): { unsubscribe(): void } {
    this.#next = observer.next;
    return { unsubscribe: () => (this.#next = undefined) };
  }
  push(value: T): void {
    this.#next?.(value);
  }
}

/** The figures of this bench. */
export async function figures(): Promise<Figure[]> {
  const writer = new CacheWriter<Item>({ indexers: { byReplicas: (o) => [String(o.spec.replicas)] } });
  const source = new Source<WatcherEvent<Item>>();
  let delivered = 0;
  reflector(writer, source).subscribe(() => delivered++);

  let rv = 1;
  source.push({ type: 'InitStart' });
  for (let i = 0; i < OBJECTS; i++) source.push({ type: 'InitApply', object: makeItem(i, rv++) });
  source.push({ type: 'InitDone', resourceVersion: String(rv) });

  // Pre-build the events so that object construction is not measured: mostly updates, some
  // delete + re-create pairs.
  const events: WatcherEvent<Item>[] = [];
  for (let n = 0; n < BATCH; n++) {
    const i = (n * 7919) % OBJECTS;
    if (n % 10 === 9) {
      events.push({ type: 'Delete', object: makeItem(i, rv++) });
      events.push({ type: 'Apply', object: makeItem(i, rv++) });
    } else {
      events.push({ type: 'Apply', object: makeItem(i, rv++) });
    }
  }
  // Replaying the same versions would be no-ops after the first pass; give every pass fresh
  // resourceVersions by alternating between two pre-built sequences.
  const second = events.map((e): WatcherEvent<Item> => (e.type === 'Apply' || e.type === 'Delete' ? { type: e.type, object: makeItem(Number(e.object.metadata.name?.slice(5)), rv++) } : e));
  let pass = 0;
  const perSecond = await opsPerSecond(events.length, () => {
    for (const e of pass++ % 2 === 0 ? events : second) source.push(e);
  });
  if (delivered === 0) throw new Error('no changes delivered');

  return [{ name: `informer events applied/s (reflector + 4 indexes, ${OBJECTS} objects)`, value: perSecond, unit: 'events/s' }];
}
