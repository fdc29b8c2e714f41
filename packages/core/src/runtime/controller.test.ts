import { fc, test } from '@fast-check/vitest';
import { config } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SharedInformerFactory } from '../informer/factory.js';
import { gadget, Gadgets, runs, testCluster, widget, Widgets } from '../testing/index.js';
import { ControllerBuilder, controllerFor } from './controller.js';
import type { Controller } from './controller.js';
import type { ControllerDeps } from './controller.js';
import { RuntimeError } from './errors.js';
import { RuntimeMetrics } from './metrics.js';
import { generationChanged } from './predicate.js';
import type { Request, Result } from './reconciler.js';
import { done, requeueAfter, RequeueAfterError, TerminalError } from './reconciler.js';

function setup(options: { resyncMs?: number } = {}) {
  const { clock, api } = testCluster();
  const informers = new SharedInformerFactory(api, { clock, defaultResyncMs: options.resyncMs });
  const metrics = new RuntimeMetrics();
  const deps: ControllerDeps = { clock, informers, metrics };
  const abort = new AbortController();
  /** Starts informers, waits for sync, starts the controller; returns its stop promise (boxed, not awaited). */
  const start = async (controller: Controller): Promise<{ stopped: Promise<void> }> => {
    informers.start();
    await informers.waitForCacheSync();
    const stopped = controller.start(abort.signal);
    await clock.flush();
    return { stopped };
  };
  return { clock, api, informers, metrics, deps, abort, start };
}

const keyOf = (r: Request): string => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

describe('ControllerBuilder', () => {
  it('reports every configuration error at once when complete() is called', () => {
    const { deps } = setup();
    const builder = new ControllerBuilder({ ...deps, hasController: (n) => n === 'taken' })
      .named('taken')
      .withConcurrency(0)
      .watches(Gadgets, undefined as unknown as () => []);
    let error: unknown;
    try {
      builder.complete(async () => done);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RuntimeError);
    const e = error as RuntimeError;
    expect(e.code).toBe('invalid-controller');
    expect(e.issues).toEqual([
      'max concurrent reconciles must be a positive integer, got 0',
      'watches(gadgets.example.com) needs a mapper function or an event handler',
      'for() must be called: a controller needs the resource it reconciles',
      'controller name "taken" is already used in this manager: names must be unique',
    ]);
    expect(e.message).toMatch(/^invalid controller "taken": max concurrent/);
  });

  it('rejects a second for() and a missing reconciler', () => {
    const { deps } = setup();
    const builder = controllerFor(deps, Widgets).for(Gadgets);
    expect(() => builder.complete(undefined as unknown as () => Promise<Result>)).toThrow(
      /for\(\) was called more than once.*complete\(\) needs a reconciler/,
    );
  });

  it('names the controller after the for kind and registers it with the manager-like deps', () => {
    const { deps } = setup();
    const added: Controller[] = [];
    const controller = controllerFor({ ...deps, addController: (c) => added.push(c) }, Widgets).complete(async () => done);
    expect(controller.name).toBe('widget');
    expect(added).toEqual([controller]);
  });
});


/**
 * Errors RxJS reports as unhandled, caught: `report` resolves at the first (RxJS reports on a
 * later timer turn; wait for it, however loaded the machine); `restore` puts the hook back.
 */
function catchUnhandled(): { reported: unknown[]; report: Promise<void>; restore: () => void } {
  const reported: unknown[] = [];
  const previous = config.onUnhandledError;
  let onReport = (): void => {};
  const report = new Promise<void>((resolve) => (onReport = resolve));
  config.onUnhandledError = (error) => {
    reported.push(error);
    onReport();
  };
  return { reported, report, restore: () => (config.onUnhandledError = previous) };
}

/** A Widget controller watching Gadgets whose predicate throws `boom` on the Gadget named `bad`; it records what it reconciles in `seen`. */
function throwingOnBad(deps: Parameters<typeof controllerFor>[0], boom: Error, seen: string[]) {
  return controllerFor(deps, Widgets)
    .watches(Gadgets, (g) => [{ namespace: 'default', name: g.metadata.name ?? '' }], {
      predicates: [
        (e) => {
          if (e.object.metadata.name === 'bad') throw boom;
          return true;
        },
      ],
    })
    .complete(async (r) => {
      seen.push(keyOf(r));
      return done;
    });
}

describe('Controller', () => {
  it('reconciles every existing object once its caches have synced', async () => {
    const { api, deps, start, abort } = setup();
    await api.create(Widgets, widget('a'));
    await api.create(Widgets, widget('b'));
    const seen: string[] = [];
    const controller = controllerFor(deps, Widgets).complete(async (r) => {
      seen.push(keyOf(r));
      return done;
    });
    const { stopped } = await start(controller);
    expect(seen.sort()).toEqual(['default/a', 'default/b']);
    abort.abort();
    await stopped;
  });

  it('forgets the item when the reconcile is done', async () => {
    const { api, deps, start, abort, clock } = setup();
    await api.create(Widgets, widget('a'));
    let calls = 0;
    const controller = controllerFor(deps, Widgets).complete(async () => {
      calls++;
      return done;
    });
    const { stopped } = await start(controller);
    await clock.advance(10_000);
    expect(calls).toBe(1);
    expect(controller.queue.numRequeues('default/a')).toBe(0);
    abort.abort();
    await stopped;
  });

  it('reconciles again after the requested delay without counting a failure', async () => {
    const { api, deps, start, abort, clock } = setup();
    await api.create(Widgets, widget('a'));
    const times: number[] = [];
    const controller = controllerFor(deps, Widgets).complete(async () => {
      times.push(clock.now());
      return times.length < 3 ? requeueAfter(250) : done;
    });
    const { stopped } = await start(controller);
    await clock.advance(2_000);
    expect(times.map((t) => t - times[0]!)).toEqual([0, 250, 500]);
    expect(controller.queue.numRequeues('default/a')).toBe(0);
    abort.abort();
    await stopped;
  });

  // client-go's default controller rate limiter: per-item 5ms · 2^n (ItemExponentialFailureRateLimiter).
  it('retries a failing reconcile with exponential backoff of 5, 10, 20, 40 ms and resets it on success', async () => {
    const { api, deps, start, abort, clock } = setup();
    await api.create(Widgets, widget('a'));
    const times: number[] = [];
    const errors: unknown[] = [];
    const controller = controllerFor(deps, Widgets)
      .onError((_r, e) => errors.push(e))
      .complete(async () => {
        times.push(clock.now());
        if (times.length <= 4) throw new Error('boom');
        return done;
      });
    const { stopped } = await start(controller);
    await clock.advance(1_000);
    const deltas = times.slice(1).map((t, i) => t - times[i]!);
    expect(deltas).toEqual([5, 10, 20, 40]);
    expect(errors).toHaveLength(4);
    expect(controller.queue.numRequeues('default/a')).toBe(0);
    abort.abort();
    await stopped;
  });

  it('retries a RequeueAfterError at the earlier of its delay and the backoff, keeps counting the backoff, and reports its cause', async () => {
    const { api, deps, start, abort, clock } = setup();
    await api.create(Widgets, widget('a'));
    const times: number[] = [];
    const errors: unknown[] = [];
    const cause = new Error('pods "a-x" is forbidden: exceeded quota');
    const controller = controllerFor(deps, Widgets)
      .onError((_r, e) => errors.push(e))
      .complete(async () => {
        times.push(clock.now());
        // Fails seven times; the fifth and sixth failures ask to look again within 30 ms.
        if (times.length === 5 || times.length === 6) throw new RequeueAfterError(cause, 30);
        if (times.length <= 7) throw cause;
        return done;
      });
    const { stopped } = await start(controller);
    await clock.advance(1_000);
    // Backoff 5, 10, 20, 40 ms; then 80 and 160 ms, cut to 30 ms each; then 320 ms: the count went on.
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([5, 10, 20, 40, 30, 30, 320]);
    expect(errors).toEqual(Array.from({ length: 7 }, () => cause));
    abort.abort();
    await stopped;
  });

  it('keeps the backoff of a RequeueAfterError when it is the earlier', async () => {
    const { api, deps, start, abort, clock } = setup();
    await api.create(Widgets, widget('a'));
    const times: number[] = [];
    const controller = controllerFor(deps, Widgets).complete(async () => {
      times.push(clock.now());
      if (times.length <= 3) throw new RequeueAfterError(new Error('boom'), 10_000);
      return done;
    });
    const { stopped } = await start(controller);
    await clock.advance(1_000);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([5, 10, 20]);
    abort.abort();
    await stopped;
  });

  it('records a terminal error and does not retry it', async () => {
    const { api, deps, start, abort, clock, metrics } = setup();
    await api.create(Widgets, widget('a'));
    let calls = 0;
    const terminal: boolean[] = [];
    const controller = controllerFor(deps, Widgets)
      .onError((_r, _e, t) => terminal.push(t))
      .complete(async () => {
        calls++;
        throw new TerminalError('spec.size must be positive');
      });
    const { stopped } = await start(controller);
    await clock.advance(60_000);
    expect(calls).toBe(1);
    expect(terminal).toEqual([true]);
    const text = await metrics.text();
    expect(text).toContain('controller_runtime_terminal_reconcile_errors_total{controller="widget"} 1');
    abort.abort();
    await stopped;
  });

  test.prop(
    [
      fc.integer({ min: 2, max: 6 }),
      fc.array(fc.record({ key: fc.integer({ min: 0, max: 3 }), at: fc.integer({ min: 0, max: 50 }) }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 10 }),
    ],
    { numRuns: runs(30, 300) },
  )('never runs two reconciles of one key at once, and the last reconcile of each key sees its final state', async (concurrency, changes, durations) => {
    const { api, deps, start, abort, clock } = setup();
    for (let k = 0; k < 4; k++) await api.create(Widgets, widget(`w${k}`, { spec: { size: 0 } }));
    const running = new Set<string>();
    const lastSeen = new Map<string, number>();
    let overlaps = 0;
    let maxParallel = 0;
    let n = 0;
    const controller = controllerFor(deps, Widgets)
      .withConcurrency(concurrency)
      .complete(async (r) => {
        const key = keyOf(r);
        if (running.has(key)) overlaps++;
        running.add(key);
        maxParallel = Math.max(maxParallel, running.size);
        const seen = (await api.get(Widgets, r)).spec?.size ?? 0;
        await clock.sleep(durations[n++ % durations.length]!);
        lastSeen.set(r.name, seen);
        running.delete(key);
        return done;
      });
    const { stopped } = await start(controller);
    for (const change of changes) {
      clock.setTimer(change.at, () => {
        void api.get(Widgets, { namespace: 'default', name: `w${change.key}` }).then((w) =>
          api.update(Widgets, { ...w, spec: { size: (w.spec?.size ?? 0) + 1 } }),
        );
      });
    }
    // The API server keeps a bookmark timer per watch, so the clock is never idle: advance well past the last change.
    await clock.advance(5_000);
    expect(controller.queue.len()).toBe(0);
    expect(overlaps).toBe(0);
    expect(maxParallel).toBeLessThanOrEqual(concurrency);
    for (let k = 0; k < 4; k++) {
      const final = (await api.get(Widgets, { namespace: 'default', name: `w${k}` })).spec?.size;
      expect(lastSeen.get(`w${k}`)).toBe(final);
    }
    abort.abort();
    await stopped;
    controller.queue.assertInvariants();
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    const { api, deps, start, abort, clock } = setup();
    for (let k = 0; k < 5; k++) await api.create(Widgets, widget(`w${k}`));
    let parallel = 0;
    let max = 0;
    const controller = controllerFor(deps, Widgets)
      .withConcurrency(3)
      .complete(async () => {
        max = Math.max(max, ++parallel);
        await clock.sleep(10);
        parallel--;
        return done;
      });
    const { stopped } = await start(controller);
    await clock.advance(100);
    expect(max).toBe(3);
    abort.abort();
    await stopped;
  });

  it('maps events of owned objects to their controller owner of the for kind', async () => {
    const { api, deps, start, abort, clock } = setup();
    const owner = await api.create(Widgets, widget('parent'));
    const seen: string[] = [];
    const controller = controllerFor(deps, Widgets)
      .owns(Gadgets)
      .complete(async (r) => {
        seen.push(keyOf(r));
        return done;
      });
    const { stopped } = await start(controller);
    seen.length = 0;
    const ref = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'parent', uid: owner.metadata.uid! };
    await api.create(Gadgets, gadget('child', { ownerReferences: [{ ...ref, controller: true }] }));
    await api.create(Gadgets, gadget('orphan'));
    await api.create(Gadgets, gadget('adopted', { ownerReferences: [{ ...ref, name: 'other' }] }));
    await clock.advance(1);
    expect(seen).toEqual(['default/parent']);
    abort.abort();
    await stopped;
  });

  it('ignores status-only writes with generationChanged but sees spec changes', async () => {
    const { api, deps, start, abort, clock } = setup();
    await api.create(Widgets, widget('a', { spec: { size: 1 } }));
    const seen: number[] = [];
    const controller = controllerFor(deps, Widgets, { predicates: [generationChanged] }).complete(async (r) => {
      const w = await api.get(Widgets, r);
      seen.push(w.metadata.generation ?? 0);
      if (w.status?.observedGeneration !== w.metadata.generation) {
        await api.updateStatus(Widgets, { ...w, status: { observedGeneration: w.metadata.generation } });
      }
      return done;
    });
    const { stopped } = await start(controller);
    await clock.advance(100);
    expect(seen).toEqual([1]);
    const w = await api.get(Widgets, { namespace: 'default', name: 'a' });
    await api.update(Widgets, { ...w, spec: { size: 2 } });
    await clock.advance(100);
    expect(seen).toEqual([1, 2]);
    abort.abort();
    await stopped;
  });

  it('re-enqueues every cached object on resync, even with a change predicate', async () => {
    const { api, deps, start, abort, clock } = setup({ resyncMs: 30_000 });
    await api.create(Widgets, widget('a'));
    await api.create(Widgets, widget('b'));
    const seen: string[] = [];
    const controller = controllerFor(deps, Widgets, { predicates: [generationChanged] }).complete(async (r) => {
      seen.push(keyOf(r));
      return done;
    });
    const { stopped } = await start(controller);
    expect(seen).toHaveLength(2);
    await clock.advance(30_000);
    expect(seen).toHaveLength(4);
    abort.abort();
    await stopped;
  });

  it('ends only the source whose predicate throws, reporting the error as RxJS reports an unhandled one', async () => {
    const { api, deps, informers, start, abort, clock } = setup();
    const { reported, report, restore } = catchUnhandled();
    try {
      const boom = new Error('boom');
      const seen: string[] = [];
      const controller = throwingOnBad(deps, boom, seen);
      const { stopped } = await start(controller);
      // Another handler of the same informer, joined after the controller's: it gets every event.
      const others: string[] = [];
      const subscription = informers.informerFor(Gadgets).events$.subscribe((e) => others.push(e.object.metadata.name ?? ''));
      await api.create(Gadgets, gadget('g1'));
      await clock.advance(1);
      await api.create(Gadgets, gadget('bad'));
      await api.create(Gadgets, gadget('g2'));
      await api.create(Widgets, widget('w'));
      await clock.advance(1);
      await report;
      expect(reported).toEqual([boom]);
      expect(seen).toEqual(['default/g1', 'default/w']);
      expect(others).toEqual(['g1', 'bad', 'g2']);
      subscription.unsubscribe();
      abort.abort();
      await stopped;
    } finally {
      restore();
    }
  });

  it('ends a source whose predicate throws on an object replayed at start, and feeds nothing after', async () => {
    const { api, deps, start, abort, clock } = setup();
    const { reported, report, restore } = catchUnhandled();
    try {
      const boom = new Error('boom');
      await api.create(Gadgets, gadget('bad'));
      const seen: string[] = [];
      const controller = throwingOnBad(deps, boom, seen);
      const { stopped } = await start(controller);
      await api.create(Gadgets, gadget('g1'));
      await clock.advance(1);
      await report;
      expect(reported).toEqual([boom]);
      expect(seen).toEqual([]);
      abort.abort();
      await stopped;
    } finally {
      restore();
    }
  });

  it('drains in-flight reconciles on shutdown and drops waiting ones', async () => {
    const { api, deps, start, abort, clock } = setup();
    await api.create(Widgets, widget('a'));
    await api.create(Widgets, widget('b'));
    const finished: string[] = [];
    let signalSeen: AbortSignal | undefined;
    const controller = controllerFor(deps, Widgets).complete(async (r, ctx) => {
      signalSeen = ctx.signal;
      await clock.sleep(100);
      await api.updateStatus(Widgets, { ...(await api.get(Widgets, r)), status: { note: 'done' } });
      finished.push(keyOf(r));
      return done;
    });
    const { stopped } = await start(controller);
    expect(controller.inFlight).toBe(1);
    abort.abort();
    let settled = false;
    void stopped.then(() => (settled = true));
    await clock.advance(50);
    expect(settled).toBe(false);
    expect(signalSeen?.aborted).toBe(true);
    await clock.advance(100);
    expect(settled).toBe(true);
    expect(finished).toEqual(['default/a']);
    expect(controller.queue.shuttingDown()).toBe(true);
    expect(() => controller.start(new AbortController().signal)).toThrow(RuntimeError);
  });
});

describe('metrics of a controller', () => {
  it('counts reconciles by result with controller-runtime names', async () => {
    const { api, deps, start, abort, clock, metrics } = setup();
    for (const name of ['ok', 'later', 'fail']) await api.create(Widgets, widget(name));
    const failures = new Map<string, number>();
    const controller = controllerFor(deps, Widgets).complete(async (r) => {
      if (r.name === 'later') return requeueAfter(1_000_000);
      if (r.name === 'fail') {
        const n = (failures.get(r.name) ?? 0) + 1;
        failures.set(r.name, n);
        if (n <= 2) throw new Error('boom');
      }
      return done;
    });
    const { stopped } = await start(controller);
    await clock.advance(100);
    const text = await metrics.text();
    expect(text).toContain('controller_runtime_reconcile_total{controller="widget",result="success"} 2');
    expect(text).toContain('controller_runtime_reconcile_total{controller="widget",result="requeue_after"} 1');
    expect(text).toContain('controller_runtime_reconcile_total{controller="widget",result="error"} 2');
    expect(text).toContain('controller_runtime_reconcile_total{controller="widget",result="requeue"} 0');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="widget"} 2');
    expect(text).toContain('controller_runtime_max_concurrent_reconciles{controller="widget"} 1');
    expect(text).toContain('controller_runtime_active_workers{controller="widget"} 0');
    expect(text).toContain('controller_runtime_reconcile_time_seconds_count{controller="widget"} 5');
    expect(text).toContain('workqueue_adds_total{name="widget",controller="widget"} 5');
    expect(text).toContain('workqueue_retries_total{name="widget",controller="widget"} 3');
    expect(text).toContain('workqueue_depth{name="widget",controller="widget"} 0');
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="widget",controller="widget"} 5');
    expect(text).toContain('workqueue_work_duration_seconds_count{name="widget",controller="widget"} 5');
    expect(text).toContain('workqueue_unfinished_work_seconds{name="widget",controller="widget"} 0');
    expect(text).toContain('workqueue_longest_running_processor_seconds{name="widget",controller="widget"} 0');
    abort.abort();
    await stopped;
  });

  it('keeps the metrics of two managers apart', async () => {
    const a = new RuntimeMetrics();
    const b = new RuntimeMetrics();
    a.controller('x').reconciled('success', 0.1);
    expect(await a.text()).toContain('controller_runtime_reconcile_total{controller="x",result="success"} 1');
    expect(await b.text()).not.toContain('controller="x"');
  });
});

