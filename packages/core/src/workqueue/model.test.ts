/**
 * Model-based test of the rate-limiting workqueue: random sequences of add / addAfter /
 * addRateLimited / forget / get / done / advance / shutdown run against the real queue on a
 * virtual clock and against a plain reference model (arrays and sets, client-go's algorithm
 * spelled out naively). After every command the two must agree and `assertInvariants()` must
 * hold; at the end, independently of the model, every add must have been delivered.
 */
import { test, fc } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Clock } from '../clock/clock.js';
import { VirtualClock } from '../clock/virtual.js';
import { runs } from '../testing/index.js';
import { createRateLimitingQueue } from './create.js';
import type { RateLimiter } from './rate-limiters.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter } from './rate-limiters.js';
import type { RateLimitingWorkqueue } from './rate-limiting.js';

const KEYS = ['a', 'b', 'c', 'd', 'e'] as const;
const WORKERS = 3;

type Worker = { state: 'idle' } | { state: 'waiting' } | { state: 'holding'; item: string };

/** A small limiter so that both backoff and the bucket matter within a short run. */
function limiter(clock: Clock): RateLimiter<string> {
  return new MaxOfRateLimiter<string>(
    new ItemExponentialFailureRateLimiter<string>(5, 200),
    new BucketRateLimiter<string>(clock, 50, 3),
  );
}

interface Model {
  now: number;
  seq: number;
  queue: string[];
  dirty: Set<string>;
  processing: Set<string>;
  waiting: Map<string, { deadline: number; seq: number }>;
  workers: Worker[];
  waitOrder: number[];
  shutdown: boolean;
  drainRequested: boolean;
  drained: boolean;
  limiter: RateLimiter<string>;
}

interface Real {
  clock: VirtualClock;
  q: RateLimitingWorkqueue<string>;
  workers: Worker[];
  drained: boolean;
  step: number;
  /** Steps at which an add of the key was accepted that no delivery has covered yet. */
  owed: Map<string, number[]>;
  shutdown: boolean;
}

// ---- the reference model -------------------------------------------------------------------

function modelDispatch(m: Model): void {
  while (m.waitOrder.length > 0 && m.queue.length > 0) {
    const w = m.waitOrder.shift()!;
    const item = m.queue.shift()!;
    m.processing.add(item);
    m.dirty.delete(item);
    m.workers[w] = { state: 'holding', item };
  }
}

function modelAdd(m: Model, k: string): void {
  if (m.shutdown || m.dirty.has(k)) return;
  m.dirty.add(k);
  if (m.processing.has(k)) return;
  m.queue.push(k);
  modelDispatch(m);
}

function modelAddAfter(m: Model, k: string, d: number): void {
  if (m.shutdown) return;
  if (!(d > 0)) return modelAdd(m, k);
  const deadline = m.now + d;
  const existing = m.waiting.get(k);
  if (existing !== undefined && existing.deadline <= deadline) return;
  m.waiting.set(k, { deadline, seq: m.seq++ });
}

function modelAdvance(m: Model, ms: number): void {
  const target = m.now + ms;
  for (;;) {
    let next: [string, { deadline: number; seq: number }] | undefined;
    for (const e of m.waiting) {
      if (e[1].deadline > target) continue;
      if (next === undefined || e[1].deadline < next[1].deadline || (e[1].deadline === next[1].deadline && e[1].seq < next[1].seq)) next = e;
    }
    if (next === undefined) break;
    m.waiting.delete(next[0]);
    m.now = next[1].deadline;
    modelAdd(m, next[0]);
  }
  m.now = target;
}

function modelShutdown(m: Model, drain: boolean): void {
  m.shutdown = true;
  m.waiting.clear();
  for (const w of m.waitOrder) m.workers[w] = { state: 'idle' };
  m.waitOrder = [];
  if (drain) m.drainRequested = true;
  if (m.drainRequested && (!drain || m.processing.size === 0)) m.drained = true;
}

// ---- the real side -----------------------------------------------------------------------------

function owe(r: Real, k: string): void {
  if (r.shutdown) return;
  const list = r.owed.get(k) ?? [];
  list.push(r.step);
  r.owed.set(k, list);
}

function deliver(r: Real, k: string, step: number): void {
  const list = r.owed.get(k);
  if (list === undefined) return;
  const left = list.filter((s) => s > step);
  if (left.length === 0) r.owed.delete(k);
  else r.owed.set(k, left);
}

function realGet(r: Real, w: number): void {
  r.workers[w] = { state: 'waiting' };
  void r.q.get().then((res) => {
    if (res.shutdown) {
      r.workers[w] = { state: 'idle' };
      return;
    }
    for (const other of r.workers) {
      if (other.state === 'holding' && other.item === res.item) throw new Error(`${res.item} handed to two workers`);
    }
    r.workers[w] = { state: 'holding', item: res.item };
    deliver(r, res.item, r.step);
  });
}

async function check(m: Model, r: Real): Promise<void> {
  await r.clock.flush();
  r.q.assertInvariants();
  const held = r.workers.flatMap((w) => (w.state === 'holding' ? [w.item] : []));
  expect(new Set(held).size).toBe(held.length);
  expect(r.workers).toEqual(m.workers);
  expect(r.q.len()).toBe(m.queue.length);
  expect(r.clock.pendingTimers()).toBe(m.waiting.size);
  expect(r.clock.now()).toBe(m.now);
  expect(r.q.shuttingDown()).toBe(m.shutdown);
  expect(r.drained).toBe(m.drained);
  for (const k of KEYS) expect(r.q.numRequeues(k)).toBe(m.limiter.numRequeues(k));
}

// ---- commands ----------------------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>;

const cmd = (name: string, pre: (m: Readonly<Model>) => boolean, run: (m: Model, r: Real) => void | Promise<void>): Cmd => ({
  check: pre,
  async run(m, r) {
    r.step++;
    await run(m, r);
    await check(m, r);
  },
  toString: () => name,
});

const key = fc.constantFrom(...KEYS);
const worker = fc.integer({ min: 0, max: WORKERS - 1 });

const commands = [
  key.map((k) =>
    cmd(`add(${k})`, () => true, (m, r) => {
      modelAdd(m, k);
      owe(r, k);
      r.q.add(k);
    }),
  ),
  fc.tuple(key, fc.integer({ min: -5, max: 60 })).map(([k, d]) =>
    cmd(`addAfter(${k}, ${d})`, () => true, (m, r) => {
      modelAddAfter(m, k, d);
      owe(r, k);
      r.q.addAfter(k, d);
    }),
  ),
  key.map((k) =>
    cmd(`addRateLimited(${k})`, () => true, (m, r) => {
      modelAddAfter(m, k, m.limiter.when(k));
      owe(r, k);
      r.q.addRateLimited(k);
    }),
  ),
  key.map((k) =>
    cmd(`forget(${k})`, () => true, (m, r) => {
      m.limiter.forget(k);
      r.q.forget(k);
    }),
  ),
  worker.map((w) =>
    cmd(`get(worker ${w})`, (m) => m.workers[w]!.state === 'idle', (m, r) => {
      if (m.queue.length > 0) {
        m.waitOrder.push(w);
        modelDispatch(m);
      } else if (!m.shutdown) {
        m.workers[w] = { state: 'waiting' };
        m.waitOrder.push(w);
      }
      realGet(r, w);
    }),
  ),
  worker.map((w) =>
    cmd(`done(worker ${w})`, (m) => m.workers[w]!.state === 'holding', (m, r) => {
      const held = m.workers[w] as { item: string };
      m.workers[w] = { state: 'idle' };
      m.processing.delete(held.item);
      if (m.dirty.has(held.item)) {
        m.queue.push(held.item);
        modelDispatch(m);
      }
      if (m.drainRequested && m.processing.size === 0) m.drained = true;
      const real = r.workers[w] as { item: string };
      r.workers[w] = { state: 'idle' };
      r.q.done(real.item);
    }),
  ),
  fc.integer({ min: 0, max: 80 }).map((ms) =>
    cmd(`advance(${ms})`, () => true, async (m, r) => {
      modelAdvance(m, ms);
      await r.clock.advance(ms);
    }),
  ),
];

const shutdownCommands = [
  fc.boolean().map((drain) =>
    cmd(drain ? 'shutDownWithDrain()' : 'shutDown()', () => true, (m, r) => {
      modelShutdown(m, drain);
      r.shutdown = true;
      r.owed.clear();
      if (drain) void r.q.shutDownWithDrain().then(() => (r.drained = true));
      else r.q.shutDown();
    }),
  ),
];

function setup(): { model: Model; real: Real } {
  const clock = new VirtualClock(0);
  const model: Model = {
    now: 0,
    seq: 0,
    queue: [],
    dirty: new Set(),
    processing: new Set(),
    waiting: new Map(),
    workers: Array.from({ length: WORKERS }, () => ({ state: 'idle' })),
    waitOrder: [],
    shutdown: false,
    drainRequested: false,
    drained: false,
    limiter: undefined as unknown as RateLimiter<string>,
  };
  model.limiter = limiter({ now: () => model.now } as Clock);
  const real: Real = {
    clock,
    q: createRateLimitingQueue<string>({ clock, rateLimiter: limiter(clock) }),
    workers: Array.from({ length: WORKERS }, () => ({ state: 'idle' })),
    drained: false,
    step: 0,
    owed: new Map(),
    shutdown: false,
  };
  return { model, real };
}

/** Lets every worker finish and take work until nothing is queued, waiting or in flight. */
async function drainAll(r: Real): Promise<void> {
  r.step = Number.MAX_SAFE_INTEGER;
  for (let round = 0; round < 100; round++) {
    for (let w = 0; w < WORKERS; w++) {
      const s = r.workers[w]!;
      if (s.state === 'holding') {
        r.workers[w] = { state: 'idle' };
        r.q.done(s.item);
      }
      if (r.workers[w]!.state === 'idle') realGet(r, w);
    }
    await r.clock.runUntilIdle({ maxTimers: 1000 });
    r.q.assertInvariants();
    if (r.q.len() === 0 && r.clock.pendingTimers() === 0 && r.workers.every((w) => w.state !== 'holding')) return;
  }
  throw new Error('queue did not drain');
}

describe('workqueue model', () => {
  test.prop([fc.commands([...commands, ...shutdownCommands], { maxCommands: 80 })], { numRuns: runs(200, 5000) })(
    'agrees with the reference model, never gives one key to two workers and loses no add',
    async (cmds) => {
      const { model, real } = setup();
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      await drainAll(real);
      expect([...real.owed.keys()]).toEqual([]);
    },
  );

  test.prop([fc.commands(commands, { maxCommands: 120 })], { numRuns: runs(100, 2000) })(
    'delivers every add after its last add once workers run until idle, without shutdown',
    async (cmds) => {
      const { model, real } = setup();
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      await drainAll(real);
      expect([...real.owed.keys()]).toEqual([]);
      expect(real.workers.every((w) => w.state === 'waiting')).toBe(true);
    },
  );
});
