import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import type { ObjectList } from '../api/meta.js';
import type { Client, WatchEvent } from '../client/types.js';
import { withInterceptors } from '../client/intercept.js';
import type { ClientRequest } from '../client/intercept.js';
import { VirtualClock } from '../clock/virtual.js';
import { FakeClient, note, Notes } from '../testing/index.js';
import type { Note } from '../testing/index.js';
import { backoffDelay, initialWatcherState, step, watcher } from './watcher.js';
import type { WatcherEvent, WatcherInput, WatcherOutput, WatcherState } from './watcher.js';

/** Feeds inputs through `step`, returning every output and the final state. */
function run(inputs: readonly WatcherInput<Note>[], from: WatcherState = initialWatcherState): [WatcherOutput<Note>[], WatcherState] {
  const outputs: WatcherOutput<Note>[] = [];
  let state = from;
  for (const input of inputs) {
    const [out, next] = step(state, input);
    outputs.push(...out);
    state = next;
  }
  return [outputs, state];
}

const at = (rv: string, name: string): Note => ({ ...note('ns', name), metadata: { namespace: 'ns', name, resourceVersion: rv } });
const listOf = (rv: string, ...items: Note[]): ObjectList<Note> => ({ apiVersion: 'v1', kind: 'NoteList', metadata: { resourceVersion: rv }, items });
const ev = (event: WatchEvent<Note>): WatcherInput<Note> => ({ type: 'WatchEvent', event });
const gone = new ApiError('Expired', 'too old resource version');
const unavailable = new ApiError('ServiceUnavailable', 'boom');

describe('step', () => {
  it('lists, brackets the snapshot, then watches from the list revision', () => {
    const a = at('3', 'a');
    const b = at('5', 'b');
    const [outputs, state] = run([{ type: 'Start' }, { type: 'Listed', list: listOf('7', a, b) }]);
    expect(outputs).toEqual([
      { type: 'List' },
      { type: 'Emit', event: { type: 'InitStart' } },
      { type: 'Emit', event: { type: 'InitApply', object: a } },
      { type: 'Emit', event: { type: 'InitApply', object: b } },
      { type: 'Emit', event: { type: 'InitDone', resourceVersion: '7' } },
      { type: 'Watch', resourceVersion: '7' },
    ]);
    expect(state).toEqual({ phase: 'Watching', resourceVersion: '7', retries: 0, received: 0 });
  });

  it('turns watch events into Apply and Delete and tracks the revision through bookmarks', () => {
    const c = at('8', 'c');
    const cGone = at('9', 'c');
    const [outputs, state] = run([
      { type: 'Start' },
      { type: 'Listed', list: listOf('7') },
      ev({ type: 'ADDED', object: c }),
      ev({ type: 'DELETED', object: cGone }),
      ev({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '42' } } }),
    ]);
    expect(outputs.slice(-2)).toEqual([
      { type: 'Emit', event: { type: 'Apply', object: c } },
      { type: 'Emit', event: { type: 'Delete', object: cGone } },
    ]);
    expect(state).toEqual({ phase: 'Watching', resourceVersion: '42', retries: 0, received: 3 });
  });

  it('relists at once on 410 after progress, and the new snapshot is bracketed again', () => {
    const [, watching] = run([{ type: 'Start' }, { type: 'Listed', list: listOf('7') }, ev({ type: 'ADDED', object: at('8', 'a') })]);
    const [outputs, state] = run([{ type: 'WatchFailed', error: gone }, { type: 'Listed', list: listOf('20', at('15', 'b')) }], watching);
    expect(outputs).toEqual([
      { type: 'List', cause: gone },
      { type: 'Emit', event: { type: 'InitStart' } },
      { type: 'Emit', event: { type: 'InitApply', object: at('15', 'b') } },
      { type: 'Emit', event: { type: 'InitDone', resourceVersion: '20' } },
      { type: 'Watch', resourceVersion: '20' },
    ]);
    expect(state).toMatchObject({ phase: 'Watching', resourceVersion: '20', retries: 1 });
  });

  it('backs off instead of relisting when a 410 follows a 410 with no progress in between', () => {
    const [outputs, state] = run([
      { type: 'Start' },
      { type: 'Listed', list: listOf('7') },
      { type: 'WatchFailed', error: gone },
      { type: 'Listed', list: listOf('9') },
      { type: 'WatchFailed', error: gone },
    ]);
    expect(outputs.at(-1)).toEqual({ type: 'Backoff', retries: 2, cause: gone });
    expect(state).toEqual({ phase: 'BackingOff', resume: 'List', resourceVersion: undefined, retries: 2 });
    expect(run([{ type: 'BackoffElapsed' }], state)[0]).toEqual([{ type: 'List' }]);
  });

  it('re-watches from the last seen revision after a backoff when the watch fails', () => {
    const [outputs, state] = run([
      { type: 'Start' },
      { type: 'Listed', list: listOf('7') },
      ev({ type: 'MODIFIED', object: at('11', 'a') }),
      { type: 'WatchFailed', error: unavailable },
      { type: 'BackoffElapsed' },
    ]);
    expect(outputs.slice(-2)).toEqual([
      { type: 'Backoff', retries: 1, cause: unavailable },
      { type: 'Watch', resourceVersion: '11' },
    ]);
    expect(state).toEqual({ phase: 'Watching', resourceVersion: '11', retries: 1, received: 0 });
  });

  it('counts consecutive failures and resets the count on progress', () => {
    const [, s1] = run([
      { type: 'Start' },
      { type: 'ListFailed', error: unavailable },
      { type: 'BackoffElapsed' },
      { type: 'ListFailed', error: unavailable },
    ]);
    expect(s1).toEqual({ phase: 'BackingOff', resume: 'List', resourceVersion: undefined, retries: 2 });
    const [, s2] = run([{ type: 'BackoffElapsed' }, { type: 'Listed', list: listOf('3') }, { type: 'WatchFailed', error: unavailable }], s1);
    expect(s2).toMatchObject({ retries: 3 });
    const [, s3] = run([{ type: 'BackoffElapsed' }, ev({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '4' } } })], s2);
    expect(s3).toEqual({ phase: 'Watching', resourceVersion: '4', retries: 0, received: 1 });
  });

  it('re-watches at once when a watch that delivered events closes, and backs off when an empty one does (client-go "very short watch")', () => {
    const [, watching] = run([{ type: 'Start' }, { type: 'Listed', list: listOf('7') }]);
    expect(run([{ type: 'WatchClosed' }], watching)[0]).toEqual([{ type: 'Backoff', retries: 1 }]);
    const [outputs] = run([ev({ type: 'ADDED', object: at('8', 'a') }), { type: 'WatchClosed' }], watching);
    expect(outputs.at(-1)).toEqual({ type: 'Watch', resourceVersion: '8' });
  });

  it('ignores inputs that do not belong to the current phase', () => {
    const [, watching] = run([{ type: 'Start' }, { type: 'Listed', list: listOf('7') }]);
    const stale: WatcherInput<Note>[] = [{ type: 'Listed', list: listOf('1') }, { type: 'ListFailed', error: unavailable }, { type: 'BackoffElapsed' }, { type: 'Start' }];
    for (const input of stale) expect(step(watching, input)).toEqual([[], watching]);
    const listing: WatcherState = { phase: 'Listing', retries: 0 };
    expect(step(listing, ev({ type: 'ADDED', object: at('1', 'a') }))).toEqual([[], listing]);
    expect(step(listing, { type: 'WatchClosed' })).toEqual([[], listing]);
  });
});

describe('backoffDelay', () => {
  it('doubles from 800 ms up to 30 s without jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay({}, n))).toEqual([800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  });

  it('spreads the delay by ±jitter and never exceeds the maximum', () => {
    expect(backoffDelay({ jitter: 0.5 }, 1, 0)).toBe(400);
    expect(backoffDelay({ jitter: 0.5 }, 1, 1)).toBe(1200);
    expect(backoffDelay({ jitter: 1 }, 10, 0.99)).toBe(30000);
  });
});

describe('watcher', () => {
  function collect(client: Client, clock: VirtualClock, namespace?: string) {
    const events: WatcherEvent<Note>[] = [];
    const errors: [unknown, number][] = [];
    const sub = watcher(client, Notes, { clock, namespace, onError: (e, ms) => errors.push([e, ms]) }).subscribe((e) => events.push(e));
    return { events, errors, sub };
  }

  it('resumes a dropped watch from the last revision without relisting', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    const a = client.put(note('ns', 'a'));
    const { events, errors } = collect(client, clock);
    await clock.flush();
    client.dropWatches();
    const b = client.put(note('ns', 'b'));
    expect(events.map((e) => e.type)).toEqual(['InitStart', 'InitApply', 'InitDone']);
    await clock.advance(800);
    expect(events.slice(3)).toEqual([{ type: 'Apply', object: b }]);
    expect(events[1]).toEqual({ type: 'InitApply', object: a });
    expect(client.lists).toBe(1);
    expect(errors).toEqual([[expect.objectContaining({ reason: 'ServiceUnavailable' }), 800]]);
  });

  it('relists after a 410 and reports it', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    const { events, errors } = collect(client, clock);
    await clock.flush();
    client.put(note('ns', 'a'));
    client.expire();
    await clock.flush();
    expect(client.lists).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['InitStart', 'InitDone', 'Apply', 'InitStart', 'InitApply', 'InitDone']);
    expect(errors).toEqual([[expect.objectContaining({ reason: 'Expired' }), 0]]);
  });

  it('waits on the clock between failed lists, and nothing happens until time advances', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    client.failLists(2);
    const { events } = collect(client, clock);
    await clock.flush();
    expect(client.lists).toBe(1);
    await clock.advance(799);
    expect(client.lists).toBe(1);
    await clock.advance(1);
    expect(client.lists).toBe(2);
    await clock.advance(1600);
    expect(client.lists).toBe(3);
    expect(events.map((e) => e.type)).toEqual(['InitStart', 'InitDone']);
  });

  it('resumes from a bookmark revision, so a quiet selection does not fall out of the history window', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient(3);
    const { events } = collect(client, clock, 'quiet');
    await clock.flush();
    for (let i = 0; i < 10; i++) client.put(note('busy', `n${i}`));
    client.bookmark();
    client.put(note('busy', 'last'));
    client.dropWatches();
    await clock.advance(800);
    expect(client.lists).toBe(1);
    expect(client.openWatches()).toBe(1);
    client.put(note('quiet', 'q'));
    expect(events.at(-1)).toMatchObject({ type: 'Apply', object: { metadata: { name: 'q' } } });
  });

  it('treats a client that throws instead of failing its stream like a failed request', async () => {
    const clock = new VirtualClock();
    let throws = 2;
    const fake = new FakeClient();
    const client = withInterceptors(fake, {
      request<R>(request: ClientRequest, next: () => Promise<R>): Promise<R> {
        if (request.verb === 'list' && throws-- > 0) throw new Error('list exploded');
        return next();
      },
    });
    fake.put(note('ns', 'a'));
    const { events, errors } = collect(client, clock);
    await clock.advance(800 + 1600);
    expect(events.map((e) => e.type)).toEqual(['InitStart', 'InitApply', 'InitDone']);
    expect(errors.map(([, ms]) => ms)).toEqual([800, 1600]);
  });

  it('closes the watch and cancels its backoff timer when unsubscribed', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient();
    const { sub } = collect(client, clock);
    await clock.flush();
    expect(client.openWatches()).toBe(1);
    sub.unsubscribe();
    expect(client.openWatches()).toBe(0);
    const second = collect(client, clock);
    await clock.flush();
    client.dropWatches();
    expect(clock.pendingTimers()).toBe(1);
    second.sub.unsubscribe();
    expect(clock.pendingTimers()).toBe(0);
  });
});
