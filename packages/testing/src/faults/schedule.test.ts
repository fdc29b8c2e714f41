/**
 * FaultInjector on a SimCluster: each fault of a schedule does what it says, and a schedule
 * replays to the same trace.
 */
import { describe, expect, it } from 'vitest';
import { ConfigMaps, Nodes } from '@kubeloop/core';
import type { ConfigMap, Pod } from '@kubeloop/core';
import { FaultInjector, SimCluster, describeFault } from '../index.js';
import type { FaultSchedule } from '../index.js';
import { ROLE_LABEL, SET_LABEL, setController } from '../gallery/sets.js';
import { setObject } from '../gallery/scenario.js';

async function start(schedule: FaultSchedule, nodes = 0) {
  const injector = new FaultInjector(schedule);
  const cluster = await SimCluster.create({ seed: 7, nodes, controllerManager: { plugins: [setController()], interceptors: (clock) => injector.interceptors(clock) } });
  injector.attach(cluster);
  injector.start();
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 100) {
      await cluster.advance(Math.min(100, left));
      await injector.poll();
    }
  };
  const members = async () => (await cluster.list(ConfigMaps, { namespace: 'default', labelSelector: { matchLabels: { [SET_LABEL]: 'set-a' } } })).items;
  return { injector, cluster, advance, members };
}

describe('FaultInjector', () => {
  it('crashes the controller manager at the k-th write after the write reached the store, and restarts it', async () => {
    const { injector, cluster, advance, members } = await start([{ kind: 'crash', write: 2, committed: true }]);
    await cluster.apply(setObject(3));
    await advance(2_000);
    // write #1 adds the finalizer, write #2 creates the first member, then the incarnation dies.
    expect(injector.log[0]).toMatch(/^write #2 \(create configmaps default\/\): crash after the write/);
    expect(cluster.controllerManagerRestarts).toBe(1);
    await advance(5_000);
    expect(await members()).toHaveLength(3);
    await cluster.stop();
  });

  it('crashes before the k-th write reaches the store: the write never happens', async () => {
    const { injector, cluster, advance } = await start([{ kind: 'crash', write: 1, committed: false }]);
    await cluster.apply(setObject(1));
    const writesBefore = cluster.trace().length;
    await cluster.advance(0);
    expect(injector.log[0]).toMatch(/^write #1 \(update configmaps default\/set-a\): crash before the write/);
    expect(cluster.trace()).toHaveLength(writesBefore);
    await advance(5_000);
    expect(cluster.controllerManagerRestarts).toBe(1);
    expect((await cluster.get(ConfigMaps, { namespace: 'default', name: 'set-a' })).metadata.finalizers).toEqual(['gallery.kubeloop.dev/cleanup']);
    await cluster.stop();
  });

  it('crashes the controller manager before the named step, whatever the writes so far, and the new incarnation takes over', async () => {
    const fault = { kind: 'crashBeforeStep', step: 1 } as const;
    expect(describeFault(fault)).toBe('before step 1: crash the controller manager');
    const { injector, cluster, advance, members } = await start([fault]);
    await injector.beforeStep(0);
    await cluster.apply(setObject(2));
    await advance(3_000);
    const first = cluster.controllerManager;
    expect(cluster.controllerManagerRestarts).toBe(0);
    await injector.beforeStep(1);
    expect(cluster.controllerManagerRestarts).toBe(1);
    expect(cluster.controllerManager).not.toBe(first);
    expect(injector.log[0]).toMatch(/^step 1: crash the controller manager at t=\d+$/);
    expect(injector.log[1]).toMatch(/^restart the controller manager at t=\d+$/);
    // The restarted controller (empty caches, a fresh relist) handles the next change.
    await cluster.server.patch(ConfigMaps, { namespace: 'default', name: 'set-a' }, { type: 'merge', body: { data: { replicas: '4' } } });
    await advance(5_000);
    expect(await members()).toHaveLength(4);
    await cluster.stop();
  });

  it('fails exactly the k-th write with the chosen error, and the controller retries', async () => {
    const { injector, cluster, advance, members } = await start([{ kind: 'writeError', write: 2, code: 'Conflict' }]);
    await cluster.apply(setObject(2));
    await advance(10_000);
    expect(injector.log).toEqual(['write #2 (create configmaps default/): Conflict']);
    expect(await members()).toHaveLength(2);
    await cluster.stop();
  });

  it('holds the watch events of the controller manager back while stale reads are on, and releases them when faults stop', async () => {
    const { injector, cluster, advance } = await start([{ kind: 'staleReads', resource: 'configmaps', lag: 5, holdMs: 60_000 }]);
    await cluster.apply(setObject(1));
    await advance(2_000);
    // The set's ADDED event is held: the controller has not seen it, so it wrote nothing.
    expect((await cluster.get(ConfigMaps, { namespace: 'default', name: 'set-a' })).metadata.finalizers).toBeUndefined();
    await injector.stop();
    await advance(5_000);
    expect((await cluster.get(ConfigMaps, { namespace: 'default', name: 'set-a' })).metadata.finalizers).toEqual(['gallery.kubeloop.dev/cleanup']);
    await cluster.stop();
  });

  it('loses MODIFIED events while dropEvents is on, and repairs the caches with a relist when faults stop', async () => {
    const { injector, cluster, advance, members } = await start([{ kind: 'dropEvents', resource: 'configmaps', every: 1 }]);
    // With its finalizer already set, the set needs no MODIFIED event to get its first member.
    const set = setObject(1);
    await cluster.apply({ ...set, metadata: { ...set.metadata, finalizers: ['gallery.kubeloop.dev/cleanup'] } });
    await advance(3_000);
    expect(await members()).toHaveLength(1);
    expect(injector.lostWatchEvents()).toBeUndefined();
    const scaled = await cluster.server.patch(ConfigMaps, { namespace: 'default', name: 'set-a' }, { type: 'merge', body: { data: { replicas: '3' } } });
    await advance(5_000);
    // The scale was a MODIFIED event: lost, so the controller still counts 1 wanted.
    expect(await members()).toHaveLength(1);
    // The invariants are told which version of which object a cache may have missed.
    const lost = injector.lostWatchEvents();
    expect(lost?.get('ConfigMap/default/set-a')?.has(scaled.metadata.resourceVersion ?? '')).toBe(true);
    expect(injector.lostWatchEvents()).toBe(lost);
    await injector.stop();
    await advance(5_000);
    expect(await members()).toHaveLength(3);
    await cluster.stop();
  });

  it('stops and restores nodes and jumps the clock before the steps the schedule names', async () => {
    const { injector, cluster } = await start(
      [
        { kind: 'stopNode', step: 0, node: 1 },
        { kind: 'clockJump', step: 1, ms: 30_000 },
        { kind: 'restoreNode', step: 2, node: 1 },
      ],
      2,
    );
    await injector.beforeStep(0);
    const t0 = cluster.now();
    await injector.beforeStep(1);
    expect(cluster.now() - t0).toBe(30_000);
    await cluster.advance(60_000);
    const ready = async () => (await cluster.get(Nodes, { name: 'node-2' })).status.conditions?.find((c) => c.type === 'Ready')?.status;
    expect(await ready()).toBe('Unknown');
    await injector.beforeStep(2);
    await cluster.advance(10_000);
    expect(await ready()).toBe('True');
    expect(injector.log).toEqual(['step 0: stop node-2', 'step 1: clock jump 30000 ms', 'step 2: restore node-2']);
    await cluster.stop();
  });

  it('replays a schedule to the same trace, byte for byte', async () => {
    const schedule: FaultSchedule = [
      { kind: 'crash', write: 3, committed: false },
      { kind: 'coalesce', resource: '*', windowMs: 700 },
      { kind: 'latency', ms: 40 },
      { kind: 'expireWatches', afterMs: 3_000 },
      { kind: 'writeError', write: 5, code: 'InternalError' },
    ];
    const traces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { cluster, advance } = await start(schedule);
      await cluster.apply(setObject(3));
      await advance(3_000);
      await cluster.server.patch(ConfigMaps, { namespace: 'default', name: 'set-a' }, { type: 'merge', body: { data: { replicas: '1' } } });
      await advance(10_000);
      traces.push(cluster.traceJson());
      const sets = (await cluster.list(ConfigMaps)).items.filter((c: ConfigMap) => c.metadata.labels?.[ROLE_LABEL] === 'set');
      expect(sets).toHaveLength(1);
      await cluster.stop();
    }
    expect(traces[1]).toBe(traces[0]);
  });

  const pod = (name: string, node: string, image: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image }] } });
  // How long after its creation a pod's container was seen running (ms, from the trace:
  // status timestamps only keep whole seconds).
  const startDelay = (cluster: SimCluster, name: string) => {
    const changes = cluster.trace().filter((e) => e.object.kind === 'Pod' && e.object.metadata.name === name);
    const running = changes.find((e) => (e.object as Pod).status?.containerStatuses?.[0]?.state?.running !== undefined);
    if (running === undefined) throw new Error(`pod ${name} is not running`);
    return running.t - changes[0]!.t;
  };

  it('slows image pulls on the named node from the named step on: its pod starts later by the extra time, the other node’s does not, and pulls are back to normal once faults stop', async () => {
    const run = async (schedule: FaultSchedule) => {
      const { injector, cluster } = await start(schedule, 2);
      await injector.beforeStep(0);
      await cluster.apply([pod('slow', 'node-2', 'nginx:1.25'), pod('fast', 'node-1', 'nginx:1.25')]);
      await cluster.advance(60_000);
      const delays = { slow: startDelay(cluster, 'slow'), fast: startDelay(cluster, 'fast') };
      await injector.stop();
      await cluster.apply(pod('after', 'node-2', 'redis:7'));
      await cluster.advance(30_000);
      const after = startDelay(cluster, 'after');
      const trace = cluster.traceJson();
      const log = [...injector.log];
      await cluster.stop();
      return { delays, after, trace, log };
    };
    const fault = { kind: 'slowImagePulls', step: 0, node: 1, ms: 20_000 } as const;
    expect(describeFault(fault)).toBe('from step 0: image pulls on node #1 take 20000 ms more');
    const normal = await run([]);
    const slowed = await run([fault]);
    // nginx pulls in 4 s (500 ms + 70 MB at 20 MB/s); the slowed node adds exactly 20 s.
    expect(normal.delays.slow).toBeGreaterThanOrEqual(4_000);
    expect(normal.delays.slow).toBeLessThan(6_000);
    expect(slowed.delays.slow - normal.delays.slow).toBe(20_000);
    expect(slowed.delays.fast).toBe(normal.delays.fast);
    // redis pulls in 2.75 s (500 ms + 45 MB at 20 MB/s), with or without the earlier fault.
    expect(normal.after).toBeGreaterThanOrEqual(2_750);
    expect(normal.after).toBeLessThan(5_000);
    expect(slowed.after).toBe(normal.after);
    expect(slowed.log).toEqual(['step 0: image pulls on node-2 take 20000 ms more', 'faults stop: normal image pulls on node-2']);
    expect((await run([fault])).trace).toBe(slowed.trace);
  });

  it('slows only the named image when the fault names one: a pod of another image on the same node starts as usual', async () => {
    const run = async (schedule: FaultSchedule) => {
      const { injector, cluster } = await start(schedule, 2);
      await injector.beforeStep(0);
      await cluster.apply([pod('app', 'node-2', 'registry.example.com/app:v2'), pod('web', 'node-2', 'nginx:1.25')]);
      await cluster.advance(60_000);
      const delays = { app: startDelay(cluster, 'app'), web: startDelay(cluster, 'web') };
      await injector.stop();
      const log = [...injector.log];
      await cluster.stop();
      return { delays, log };
    };
    const fault = { kind: 'slowImagePulls', step: 0, node: 1, ms: 15_000, image: 'registry.example.com/app:v2' } as const;
    expect(describeFault(fault)).toBe('from step 0: pulls of registry.example.com/app:v2 on node #1 take 15000 ms more');
    const normal = await run([]);
    const slowed = await run([fault]);
    expect(slowed.delays.app - normal.delays.app).toBe(15_000);
    expect(slowed.delays.web).toBe(normal.delays.web);
    expect(slowed.log).toEqual(['step 0: pulls of registry.example.com/app:v2 on node-2 take 15000 ms more', 'faults stop: normal pulls of registry.example.com/app:v2 on node-2']);
  });
});
