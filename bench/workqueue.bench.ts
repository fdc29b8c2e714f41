/**
 * Workqueue throughput. One "op" is one call of `add`, `get`/`tryGet` or `done`, so one full item
 * cycle (add → get → done) counts as 3 ops. Each round adds 4096 distinct keys, then takes and
 * finishes every one of them; no metrics provider (the default).
 */
import { VirtualClock } from '../packages/core/src/clock/virtual.js';
import { createRateLimitingQueue } from '../packages/core/src/workqueue/create.js';
import type { Figure } from './harness.js';
import { opsPerSecond } from './harness.js';

const KEYS = Array.from({ length: 4096 }, (_, i) => `default/pod-${i}`);

export async function figures(): Promise<Figure[]> {
  const clock = new VirtualClock();
  const q = createRateLimitingQueue<string>({ clock, name: 'bench' });

  const sync = await opsPerSecond(KEYS.length * 3, () => {
    for (const k of KEYS) q.add(k);
    for (let k = q.tryGet(); k !== undefined; k = q.tryGet()) q.done(k);
  });

  const asyncGet = await opsPerSecond(KEYS.length * 3, async () => {
    for (const k of KEYS) q.add(k);
    for (let i = 0; i < KEYS.length; i++) {
      const r = await q.get();
      if (!r.shutdown) q.done(r.item);
    }
  });

  // Dedupe-heavy: every key added 4 times before workers take it (6 ops per key: 4 adds + get + done).
  const dedupe = await opsPerSecond(KEYS.length * 6, () => {
    for (let r = 0; r < 4; r++) for (const k of KEYS) q.add(k);
    for (let k = q.tryGet(); k !== undefined; k = q.tryGet()) q.done(k);
  });

  // Delayed adds through the virtual clock: addAfter + advance + tryGet + done (4 ops per key).
  const delayed = await opsPerSecond(KEYS.length * 4, async () => {
    for (let i = 0; i < KEYS.length; i++) q.addAfter(KEYS[i]!, 1 + (i & 63));
    await clock.advance(64);
    for (let k = q.tryGet(); k !== undefined; k = q.tryGet()) q.done(k);
  });

  return [
    { name: 'workqueue add+tryGet+done, 4096 keys (3 ops/item)', value: sync, unit: 'ops/s' },
    { name: 'workqueue add+await get()+done, 4096 keys (3 ops/item)', value: asyncGet, unit: 'ops/s' },
    { name: 'workqueue 4×add+tryGet+done, 4096 keys (6 ops/item)', value: dedupe, unit: 'ops/s' },
    { name: 'workqueue addAfter+advance+tryGet+done, virtual clock', value: delayed, unit: 'ops/s' },
  ];
}
