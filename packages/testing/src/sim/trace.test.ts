/**
 * The trace option of SimCluster: where the changes go does not change what happens.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@kubeloop/core';
import { SimCluster, SimClusterError } from '../index.js';
import type { TraceEntry } from '../index.js';
import { CHANGE_HISTORY_MS, TraceRecorder } from './trace.js';

const pods = ['a', 'b']
  .map((name) => `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  containers: [{ name: app, image: nginx }]\n`)
  .join('---\n');

async function runWith(trace: 'memory' | 'none' | ((entry: TraceEntry) => void)): Promise<{ cluster: SimCluster; now: number }> {
  const cluster = await SimCluster.create({ seed: 3, nodes: 2, trace });
  await cluster.apply(pods, 'pods.yaml');
  await cluster.settle();
  await cluster.stop();
  return { cluster, now: cluster.now() };
}

describe('SimCluster trace option', () => {
  it('streams to a function exactly the entries it would keep in memory, in order, keeping none', async () => {
    const streamed: TraceEntry[] = [];
    const memory = await runWith('memory');
    const stream = await runWith((e) => streamed.push(e));
    expect(streamed.map((e) => JSON.stringify(e)).join('\n')).toBe(memory.cluster.traceJson());
    expect(stream.now).toBe(memory.now);
    expect(() => stream.cluster.trace()).toThrow(SimClusterError);
  });

  it('settles at the same virtual time with no trace kept, and says so when asked for the trace', async () => {
    const memory = await runWith('memory');
    const none = await runWith('none');
    expect(none.now).toBe(memory.now);
    expect(() => none.cluster.traceJson()).toThrow('this cluster keeps no trace');
  });
});

describe('TraceRecorder', () => {
  const pod = (name: string, phase: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, status: { phase } }) as KubeObject;

  it('counts changes since a time by kind whatever the sink, a burst at one time and kind counted in full', () => {
    for (const sink of ['memory', 'none', () => undefined] as const) {
      const r = new TraceRecorder(sink);
      r.record(5, 'ADDED', pod('a', 'Pending'));
      r.record(10, 'ADDED', pod('b', 'Pending'));
      r.record(10, 'MODIFIED', pod('a', 'Running'));
      r.record(10, 'ADDED', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default' } } as KubeObject);
      r.record(12, 'DELETED', pod('b', 'Pending'));
      expect(r.lastChangeAt).toBe(12);
      expect(Object.fromEntries(r.changesSince(5))).toEqual({ Pod: 3, Event: 1 });
      expect(Object.fromEntries(r.changesSince(10))).toEqual({ Pod: 1 });
      expect(r.entries).toHaveLength(sink === 'memory' ? 5 : 0);
    }
  });

  it('keeps a bounded history of change counts on a long run, exact within the last hour', () => {
    const r = new TraceRecorder('none');
    const step = 1_000;
    const total = 3 * (CHANGE_HISTORY_MS / step); // three virtual hours, one change a second
    for (let i = 1; i <= total; i++) r.record(i * step, 'MODIFIED', pod('a', `p${i}`));
    expect(Object.fromEntries(r.changesSince(total * step - 20_000))).toEqual({ Pod: 20 });
    expect(Object.fromEntries(r.changesSince(total * step - CHANGE_HISTORY_MS))).toEqual({ Pod: CHANGE_HISTORY_MS / step });
    expect(r.changesSince(0).get('Pod')).toBeLessThan(total); // the first hours were dropped
  });
});
