/**
 * Informer against `@kubernetes/client-node` 1.x's `ListWatch` (issue 22), on one synthetic stream
 * in one process: a list of 10,000 pods in 10 namespaces, then 100,000 watch events (updates, and
 * every tenth a delete and re-create). Both are fed in memory — kubeloop's `Informer` through a
 * client whose watch is a hand-driven stream, client-node's `ListWatch` through a `Watch` stand-in
 * that hands its callback over — so the figures compare the caches and their event paths, not HTTP
 * or JSON. Measured: events applied per second (one handler counting them on each side, through
 * each one's plain-callback API), `list()` of everything, a namespace list of 1,000 objects, and
 * the heap each cache adds over the objects it holds (the objects themselves are shared and not
 * counted). Rates are per second of CPU time, so that a busy machine does not skew the ratio, each
 * the median of alternated rounds, none right after a forced GC (the collector's threads would
 * still be at work, and their CPU time counted against the events). A floor is printed beside
 * them: a bare two-level `Map` updated in place, which no keyed cache can beat. kubeloop's cache
 * has built-in indexes client-node lacks (controller uid, label, node name), each built on its
 * first query: their heap is shown apart, and the events are applied with all of them kept.
 */
import { ListWatch } from '@kubernetes/client-node';
import type { KubernetesObject, KubernetesListObject, Watch } from '@kubernetes/client-node';
import { Observable, type Subscriber } from 'rxjs';
import { CONTROLLER_UID_INDEX, Informer, LABEL_INDEX, NODE_NAME_INDEX, Pods, VirtualClock } from '@kubeloop/core';
import type { Client, Pod, WatchEvent } from '@kubeloop/core';
import type { Figure } from './harness.js';

const OBJECTS = 10_000;
const NAMESPACES = 10;
const EVENTS = 100_000;

function pod(i: number, rv: number): Pod {
  return Object.freeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: Object.freeze({
      namespace: `ns-${i % NAMESPACES}`,
      name: `pod-${i}`,
      uid: `uid-${i}`,
      resourceVersion: String(rv),
      labels: Object.freeze({ app: `app-${i % 50}`, track: rv % 4 === 0 ? 'canary' : 'stable' }),
      ownerReferences: Object.freeze([Object.freeze({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${i % 100}`, uid: `rs-uid-${i % 100}`, controller: true })]),
    }),
    spec: Object.freeze({ nodeName: `node-${i % 500}`, containers: Object.freeze([Object.freeze({ name: 'app', image: 'app:v1' })]) }),
    status: Object.freeze({ phase: rv % 3 === 0 ? 'Pending' : 'Running' }),
  }) as unknown as Pod;
}

type Change = { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: Pod };

/** The stream: the initial objects and the changes after them, built before anything is timed. */
function stream(): { readonly initial: Pod[]; readonly changes: Change[] } {
  let rv = 1;
  const initial = Array.from({ length: OBJECTS }, (_, i) => pod(i, rv++));
  const changes: Change[] = [];
  for (let n = 0; changes.length < EVENTS; n++) {
    const i = (n * 7919) % OBJECTS;
    if (n % 10 === 9) {
      changes.push({ type: 'DELETED', object: pod(i, rv++) });
      changes.push({ type: 'ADDED', object: pod(i, rv++) });
    } else changes.push({ type: 'MODIFIED', object: pod(i, rv++) });
  }
  return { initial, changes };
}

/** A client whose list answers `initial` and whose watch is pushed by hand. */
function fakeClient(initial: readonly Pod[]): { client: Client; push: (e: WatchEvent<Pod>) => void } {
  let subscriber: Subscriber<WatchEvent<Pod>> | undefined;
  const client = {
    list: () => Promise.resolve({ apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: String(OBJECTS) }, items: initial }),
    watch: () => new Observable<WatchEvent<Pod>>((s) => void (subscriber = s)),
  } as unknown as Client;
  return { client, push: (e) => subscriber!.next(e) };
}

/**
 * Milliseconds of CPU time `fn` takes (user + system, this process): the comparison is run on
 * machines shared with other work, where wall time measures the neighbours as much as the code.
 */
function timeIt(fn: () => void): number {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

function perCall(fn: () => unknown, minMs = 300): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return ((performance.now() - t) * 1000) / n;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

async function kubeloop(
  initial: readonly Pod[],
  changes: readonly Change[],
  handlers: boolean | 'rx',
  indexes: boolean,
  lists = true,
  measureHeap = lists,
): Promise<{ eventsPerS: number; heapMiB: number; listUs: number; nsListUs: number; costs: Record<string, number> }> {
  const before = measureHeap ? heap() : 0;
  const { client, push } = fakeClient(initial);
  const informer = new Informer(client, Pods, { clock: new VirtualClock() });
  let seen = 0;
  // Each side's own plain-callback API (client-node's `on`, kubeloop's `addEventHandler`), or the
  // RxJS stream the controller runtime subscribes to.
  if (handlers === 'rx') informer.events$.subscribe(() => seen++);
  else if (handlers) informer.addEventHandler(() => seen++);
  informer.start();
  await informer.synced;
  await Promise.resolve();
  const heapMiB = measureHeap ? (heap() - before) / 2 ** 20 : 0;
  // What the built-in indexes cost once a reader has queried them (each is built on its first query).
  const costs: Record<string, number> = {};
  let last = measureHeap ? heap() : 0;
  for (const [name, value] of indexes ? ([[CONTROLLER_UID_INDEX, 'rs-uid-1'], [LABEL_INDEX, 'app=app-1'], [NODE_NAME_INDEX, 'node-1']] as const) : []) {
    informer.cache.byIndex(name, value);
    const now = measureHeap ? heap() : 0;
    costs[name] = (now - last) / 2 ** 20;
    last = now;
  }
  const ms = timeIt(() => {
    for (const c of changes) push(c);
  });
  if (handlers && seen < changes.length) throw new Error(`kubeloop delivered ${seen} of ${changes.length}`);
  const listUs = lists ? perCall(() => informer.cache.list(), 200) : 0;
  const nsListUs = lists ? perCall(() => informer.cache.list('ns-3')) : 0;
  informer.stop();
  return { eventsPerS: changes.length / (ms / 1000), heapMiB, listUs, nsListUs, costs };
}

async function clientNode(initial: readonly Pod[], changes: readonly Change[], lists = true): Promise<{ eventsPerS: number; heapMiB: number; listUs: number; nsListUs: number }> {
  const before = lists ? heap() : 0;
  let handler: ((phase: string, obj: KubernetesObject, watchObj?: unknown) => void) | undefined;
  const watch = { watch: (_path: string, _q: unknown, cb: typeof handler) => Promise.resolve((handler = cb, { abort: () => undefined })) } as unknown as Watch;
  const list = (): Promise<KubernetesListObject<KubernetesObject>> => Promise.resolve({ metadata: { resourceVersion: String(OBJECTS) }, items: initial as unknown as KubernetesObject[] });
  const informer = new ListWatch<KubernetesObject>('/api/v1/pods', watch, list, false);
  let seen = 0;
  informer.on('add', () => seen++);
  informer.on('update', () => seen++);
  informer.on('delete', () => seen++);
  await informer.start();
  seen = 0;
  const heapMiB = lists ? (heap() - before) / 2 ** 20 : 0;
  const ms = timeIt(() => {
    for (const c of changes) void handler!(c.type, c.object as unknown as KubernetesObject, c);
  });
  if (seen < changes.length) throw new Error(`client-node delivered ${seen} of ${changes.length}`);
  const listUs = lists ? perCall(() => informer.list(), 200) : 0;
  const nsListUs = lists ? perCall(() => informer.list('ns-3')) : 0;
  await informer.stop();
  return { eventsPerS: changes.length / (ms / 1000), heapMiB, listUs, nsListUs };
}

/**
 * The floor under any cache keyed by namespace and name: a two-level `Map` updated in place,
 * with nothing else done per event (no events, no handler). Neither cache can beat it; it shows
 * how much of each one's cost is the lookups every keyed cache pays.
 */
function floor(initial: readonly Pod[], changes: readonly Change[]): number {
  const byNamespace = new Map<string, Map<string, Pod>>();
  for (const o of initial) {
    let m = byNamespace.get(o.metadata.namespace!);
    if (m === undefined) byNamespace.set(o.metadata.namespace!, (m = new Map()));
    m.set(o.metadata.name!, o);
  }
  const ms = timeIt(() => {
    for (const c of changes) {
      const meta = c.object.metadata;
      const m = byNamespace.get(meta.namespace!)!;
      if (c.type === 'DELETED') m.delete(meta.name!);
      else if (m.get(meta.name!)?.metadata.resourceVersion !== meta.resourceVersion) m.set(meta.name!, c.object);
    }
  });
  return changes.length / (ms / 1000);
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Rounds of each side, alternated, of which the medians are reported (one round is noisy on a shared machine). */
const ROUNDS = 5;

/** The figures of this bench. */
export async function figures(): Promise<Figure[]> {
  const { initial, changes } = stream();
  // Warm both paths once, then measure alternately.
  await clientNode(initial, changes);
  await kubeloop(initial, changes, true, false);
  const cnRates: number[] = [];
  const klRates: number[] = [];
  const floorRates: number[] = [];
  let cn!: Awaited<ReturnType<typeof clientNode>>;
  let kl!: Awaited<ReturnType<typeof kubeloop>>;
  for (let round = 0; round < ROUNDS; round++) {
    const last = round === ROUNDS - 1;
    cn = await clientNode(initial, changes, last);
    kl = await kubeloop(initial, changes, true, false, last);
    cnRates.push(cn.eventsPerS);
    klRates.push(kl.eventsPerS);
    floorRates.push(floor(initial, changes));
  }
  const klRate = median(klRates);
  const cnRate = median(cnRates);
  // The index costs (heap) apart from the rates: a forced GC leaves the collector's threads busy,
  // and their CPU time would be counted against the events that follow.
  const indexed = await kubeloop(initial, changes, true, true, false, true);
  const rounds = async (handlers: boolean | 'rx', indexes: boolean): Promise<number> => {
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) rates.push((await kubeloop(initial, changes, handlers, indexes, false)).eventsPerS);
    return median(rates);
  };
  const rx = await rounds('rx', false);
  const withIndexes = await rounds(true, true);
  const bare = await rounds(false, false);
  const label = `${OBJECTS.toLocaleString('en-US')} pods, ${EVENTS.toLocaleString('en-US')} events`;
  return [
    { name: `kubeloop Informer events/s (${label}, one handler, median of ${ROUNDS})`, value: klRate, unit: 'events/s' },
    { name: `kubeloop Informer events/s (one events$ subscriber instead, median of ${ROUNDS})`, value: rx, unit: 'events/s' },
    { name: `kubeloop Informer events/s (one handler, the 3 built-in indexes kept, median of ${ROUNDS})`, value: withIndexes, unit: 'events/s' },
    { name: `kubeloop Informer events/s (no handler subscribed, median of ${ROUNDS})`, value: bare, unit: 'events/s' },
    { name: `client-node 1.x ListWatch events/s (one handler per verb, median of ${ROUNDS})`, value: cnRate, unit: 'events/s' },
    { name: 'events/s ratio kubeloop / client-node', value: klRate / cnRate, unit: '×' },
    { name: `floor: two-level Map updated in place, nothing else (median of ${ROUNDS})`, value: median(floorRates), unit: 'events/s' },
    // The most any keyed cache could reach against client-node on this stream: a ratio target
    // above it cannot be met by caching faster, only by client-node being slower.
    { name: 'events/s ratio floor / client-node (the ceiling of the ratio above)', value: median(floorRates) / cnRate, unit: '×' },
    { name: `kubeloop list() of ${OBJECTS.toLocaleString('en-US')}`, value: kl.listUs, unit: 'µs' },
    { name: `client-node list() of ${OBJECTS.toLocaleString('en-US')}`, value: cn.listUs, unit: 'µs' },
    { name: `kubeloop namespace list (${OBJECTS / NAMESPACES} objects)`, value: kl.nsListUs, unit: 'µs' },
    { name: `client-node namespace list (${OBJECTS / NAMESPACES} objects)`, value: cn.nsListUs, unit: 'µs' },
    { name: 'kubeloop cache heap over the objects (no index queried yet)', value: kl.heapMiB, unit: 'MiB' },
    ...Object.entries(indexed.costs).map(([name, value]) => ({ name: `kubeloop ${name} index, once queried `, value, unit: 'MiB' })),
    { name: 'client-node cache heap over the objects', value: cn.heapMiB, unit: 'MiB' },
    { name: 'cache heap ratio kubeloop / client-node', value: kl.heapMiB / cn.heapMiB, unit: '×' },
  ];
}
