import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { Events, Leases } from '../api/kinds/index.js';
import { faults, withInterceptors, WRITE_VERBS } from '../client/intercept.js';
import { parseTime } from '../clock/clock.js';
import { controllerFor } from './controller.js';
import { RuntimeError } from './errors.js';
import type { ManagerConfig } from './manager.js';
import { createManager } from './manager.js';
import { done } from './reconciler.js';
import { Widgets, testCluster, widget } from '../testing/index.js';
import type { TestCluster } from '../testing/index.js';

function managerOn(cluster: TestCluster, config: ManagerConfig & { failLeaseWrites?: () => boolean } = {}) {
  const { failLeaseWrites, ...rest } = config;
  const client = withInterceptors(
    cluster.api,
    faults((r) => (failLeaseWrites?.() === true && WRITE_VERBS.has(r.verb) && r.resource?.kind === 'Lease' ? new ApiError('ServiceUnavailable', 'injected fault') : undefined)),
  );
  const manager = createManager({ client, clock: cluster.clock, rng: cluster.rng.fork(), registry: cluster.registry, ...rest });
  const reconciled: string[] = [];
  controllerFor(manager, Widgets).complete(async (r) => {
    reconciled.push(r.name);
    return done;
  });
  return { manager, reconciled };
}

describe('Manager', () => {
  it('starts controllers once caches have synced and exposes caches, recorders and metrics', async () => {
    const cluster = testCluster();
    await cluster.api.create(Widgets, widget('a'));
    const { manager, reconciled } = managerOn(cluster, { name: 'm1' });
    expect(manager.hasController('widget')).toBe(true);
    await manager.start();
    await cluster.clock.advance(10);
    expect(manager.isLeader()).toBe(true);
    expect(reconciled).toEqual(['a']);
    expect(manager.cache(Widgets).get('default/a')?.metadata.name).toBe('a');
    expect(manager.recorder('x')).toBe(manager.recorder('x'));
    expect(await manager.metrics.text()).toContain('controller_runtime_reconcile_total{controller="widget",result="success"} 1');
    await manager.stop();
    expect(manager.stopReason).toBe('stopped');
    await expect(manager.start()).rejects.toMatchObject({ code: 'manager-state' });
  });

  it('refuses a second controller with the same name', () => {
    const cluster = testCluster();
    const { manager } = managerOn(cluster);
    expect(() => controllerFor(manager, Widgets).complete(async () => done)).toThrow(/controller name "widget" is already used/);
  });

  it('drains in-flight reconciles on graceful shutdown before stopping informers', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    await api.create(Widgets, widget('a'));
    const manager = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry });
    let finished = false;
    controllerFor(manager, Widgets).complete(async (r) => {
      await clock.sleep(1_000);
      const w = await api.get(Widgets, r);
      await api.updateStatus(Widgets, { ...w, status: { note: 'finished' } });
      finished = true;
      return done;
    });
    await manager.start();
    await clock.advance(10);
    let stopped = false;
    void manager.stop().then(() => (stopped = true));
    await clock.advance(500);
    expect(stopped).toBe(false);
    await clock.advance(600);
    expect(stopped).toBe(true);
    expect(finished).toBe(true);
    expect((await api.get(Widgets, { namespace: 'default', name: 'a' })).status?.note).toBe('finished');
  });

  it('rejects stop with shutdown-timeout when a reconcile outlives the grace period', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    await api.create(Widgets, widget('a'));
    const manager = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry, gracefulShutdownTimeoutMs: 100 });
    controllerFor(manager, Widgets).complete(async () => {
      await clock.sleep(10_000);
      return done;
    });
    await manager.start();
    await clock.advance(1);
    const stopping = manager.stop();
    const outcome = stopping.then(() => 'ok', (e: unknown) => (e instanceof RuntimeError ? e.code : 'other'));
    await clock.advance(200);
    expect(await outcome).toBe('shutdown-timeout');
    await clock.advance(10_000);
  });
});

describe('leader election between managers', () => {
  const lease = { namespace: 'kube-system', name: 'widgets' };

  it('lets exactly one of two managers lead, and only the leader reconciles', async () => {
    const cluster = testCluster();
    await cluster.api.create(Widgets, widget('a'));
    const a = managerOn(cluster, { name: 'a', leaderElection: { leaseName: 'widgets' } });
    const b = managerOn(cluster, { name: 'b', leaderElection: { leaseName: 'widgets' } });
    await a.manager.start();
    await b.manager.start();
    await cluster.clock.advance(10_000);
    expect([a.manager.isLeader(), b.manager.isLeader()].filter(Boolean)).toHaveLength(1);
    const held = await cluster.api.get(Leases, lease);
    expect(held.spec.holderIdentity).toBe('a');
    expect(held.spec.leaseDurationSeconds).toBe(15);
    expect(held.spec.leaseTransitions).toBe(0);
    expect(held.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(a.reconciled).toEqual(['a']);
    expect(b.reconciled).toEqual([]);
    expect(await a.manager.metrics.text()).toContain('leader_election_master_status{name="widgets"} 1');
    expect(await b.manager.metrics.text()).toContain('leader_election_master_status{name="widgets"} 0');
    await b.manager.stop();
    await a.manager.stop();
  });

  it('hands over to the other manager after the lease duration when the leader cannot renew', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    await api.create(Widgets, widget('a'));
    let failing = false;
    const a = managerOn(cluster, { name: 'a', leaderElection: { leaseName: 'widgets' }, failLeaseWrites: () => failing });
    const b = managerOn(cluster, { name: 'b', leaderElection: { leaseName: 'widgets' } });
    await a.manager.start();
    await clock.advance(1);
    await b.manager.start();
    await clock.advance(5_000);
    expect(a.manager.isLeader()).toBe(true);
    failing = true;
    const lastRenew = parseTime((await api.get(Leases, lease)).spec.renewTime!);
    // The leader gives up within its renew deadline (10 s + one retry period after its last renewal)...
    await clock.advance(12_000);
    expect(a.manager.isLeader()).toBe(false);
    expect(a.manager.stopReason).toBe('leader-election-lost');
    expect(b.manager.isLeader()).toBe(false);
    // ...and the other only takes over once the lease has expired (renewTime + 15 s).
    const before = lastRenew + 15_000 - clock.now();
    if (before > 0) await clock.advance(before - 1);
    expect(b.manager.isLeader()).toBe(false);
    await clock.advance(2_000 * 2.2 + 1);
    expect(b.manager.isLeader()).toBe(true);
    const taken = await api.get(Leases, lease);
    expect(taken.spec.holderIdentity).toBe('b');
    expect(taken.spec.leaseTransitions).toBe(1);
    expect(parseTime(taken.spec.acquireTime!)).toBeGreaterThan(lastRenew + 15_000);
    await clock.advance(100);
    expect(b.reconciled).toEqual(['a']);
    await b.manager.stop();
  });

  it('releases the lease on shutdown so the other manager takes over at once', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const a = managerOn(cluster, { name: 'a', leaderElection: { leaseName: 'widgets' } });
    const b = managerOn(cluster, { name: 'b', leaderElection: { leaseName: 'widgets' } });
    await a.manager.start();
    await clock.advance(1);
    await b.manager.start();
    await clock.advance(5_000);
    expect(a.manager.isLeader()).toBe(true);
    await a.manager.stop();
    const released = await api.get(Leases, lease);
    expect(released.spec.holderIdentity).toBe('');
    expect(released.spec.leaseDurationSeconds).toBe(1);
    const t0 = clock.now();
    await clock.advance(2_000 * 2.2 + 1);
    expect(b.manager.isLeader()).toBe(true);
    expect(clock.now() - t0).toBeLessThan(15_000);
    expect((await api.get(Leases, lease)).spec.holderIdentity).toBe('b');
    await b.manager.stop();
  });
});

describe('EventRecorder', () => {
  it('aggregates repeats of the same event into one Event with a growing count', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const w = await api.create(Widgets, widget('a'));
    const manager = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry, name: 'm1' });
    const recorder = manager.recorder('widget-controller');
    await recorder.event(w, 'Normal', 'Scaled', 'scaled to 3');
    await clock.advance(1_000);
    await recorder.event(w, 'Normal', 'Scaled', 'scaled to 3');
    await clock.advance(1_000);
    await recorder.event(w, 'Normal', 'Scaled', 'scaled to 3');
    await recorder.event(w, 'Warning', 'Failed', 'no capacity');
    const events = (await api.list(Events, { namespace: 'default' })).items;
    expect(events).toHaveLength(2);
    const scaled = events.find((e) => e.reason === 'Scaled')!;
    expect(scaled.count).toBe(3);
    expect(scaled.metadata.name).toMatch(/^a\.[0-9a-f]+$/);
    expect(parseTime(scaled.lastTimestamp!) - parseTime(scaled.firstTimestamp!)).toBe(2_000);
    expect(scaled.involvedObject).toMatchObject({ kind: 'Widget', name: 'a', namespace: 'default', uid: w.metadata.uid });
    expect(scaled.source).toEqual({ component: 'widget-controller', host: 'm1' });
    expect(scaled.reportingComponent).toBe('widget-controller');
    expect(scaled.type).toBe('Normal');
    expect(events.find((e) => e.reason === 'Failed')?.count).toBe(1);
  });

  it('records an event when the clock stands between two milliseconds (a jittered back-off), instead of dropping it', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const w = await api.create(Widgets, widget('a'));
    const errors: unknown[] = [];
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry, onError: (e) => errors.push(e) }).recorder('c');
    await clock.advance(951.39404296875);
    await recorder.event(w, 'Warning', 'SSLCertificateError', 'local SSL certificate default/tls was not found');
    expect(errors).toEqual([]);
    const events = (await api.list(Events, { namespace: 'default' })).items;
    expect(events.map((e) => [e.reason, e.count])).toEqual([['SSLCertificateError', 1]]);
    expect(events[0]!.metadata.name).toMatch(/^a\.[0-9a-f]+$/);
  });

  it('names events as client-go does (<object>.<hex nanoseconds>), so a list shows them in the order they happened, across recorders and within one millisecond', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const w = await api.create(Widgets, widget('a'));
    const scheduler = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('default-scheduler');
    const kubelet = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('kubelet');
    await clock.advance(5_000);
    // One virtual millisecond: the scheduler's event, then three of the kubelet's, then the scheduler's again.
    await scheduler.event(w, 'Normal', 'Scheduled', 'Successfully assigned default/a to node-1');
    for (const reason of ['Pulling', 'Pulled', 'Created']) await kubelet.event(w, 'Normal', reason, reason);
    await scheduler.event(w, 'Normal', 'Nominated', 'again');
    await clock.advance(1);
    await kubelet.event(w, 'Normal', 'Started', 'Started');
    const events = (await api.list(Events, { namespace: 'default' })).items;
    expect(events.map((e) => e.reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Nominated', 'Started']);
    // The first name of the millisecond is its first nanosecond, as a real clock at 5.001 s would give (in hex).
    expect(events[0]!.metadata.name).toBe(`a.${(BigInt(clock.now() - 1) * 1_000_000n).toString(16)}`);
  });

  it('forgets the oldest events once more than 4096 distinct ones fill the window, as client-go\'s LRU does', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const first = await api.create(Widgets, widget('a'));
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('c');
    await recorder.event(first, 'Normal', 'Created', 'Created pod: a-0');
    // 4,200 other distinct events (20 reasons per object, within the spam filter's burst), all in the window.
    for (let i = 0; i < 210; i++) {
      const w = await api.create(Widgets, widget(`w${i}`));
      for (let j = 0; j < 20; j++) await recorder.event(w, 'Normal', `Reason${j}`, `Created pod: w${i}-${j}`);
    }
    await recorder.event(first, 'Normal', 'Created', 'Created pod: a-0');
    const again = (await api.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'a');
    expect(again.map((e) => e.count)).toEqual([1, 1]);
  });

  it('keeps an event repeated meanwhile while 4,200 others pass, as an LRU (not first-in first-out) does', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const first = await api.create(Widgets, widget('a'));
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('c');
    await recorder.event(first, 'Normal', 'Created', 'Created pod: a-0');
    for (let i = 0; i < 210; i++) {
      const w = await api.create(Widgets, widget(`w${i}`));
      for (let j = 0; j < 20; j++) await recorder.event(w, 'Normal', `Reason${j}`, `Created pod: w${i}-${j}`);
      // Half-way through, the first event repeats: it becomes the most recent key.
      if (i === 105) await recorder.event(first, 'Normal', 'Created', 'Created pod: a-0');
    }
    await recorder.event(first, 'Normal', 'Created', 'Created pod: a-0');
    const again = (await api.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'a');
    expect(again.map((e) => e.count)).toEqual([3]);
  });

  it('starts a new Event once the window has passed', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const w = await api.create(Widgets, widget('a'));
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('c');
    await recorder.event(w, 'Normal', 'Synced', 'ok');
    await clock.advance(600_001);
    await recorder.event(w, 'Normal', 'Synced', 'ok');
    const events = (await api.list(Events, { namespace: 'default' })).items;
    expect(events.map((e) => e.count)).toEqual([1, 1]);
  });

  it('counts the repeats of each message of one reason on that message\'s own Event', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const w = await api.create(Widgets, widget('a'));
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('c');
    for (const message of ['scaled to 3', 'scaled to 5', 'scaled to 3', 'scaled to 7', 'scaled to 5', 'scaled to 3']) {
      await recorder.event(w, 'Normal', 'Scaled', message);
      await clock.advance(1_000);
    }
    const counts = Object.fromEntries((await api.list(Events, { namespace: 'default' })).items.map((e) => [e.message, e.count]));
    expect(counts).toEqual({ 'scaled to 3': 3, 'scaled to 5': 2, 'scaled to 7': 1 });
  });

  it('keeps the events of each part of an object apart (client-go\'s event key has the field path), and counts repeats on each', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const w = await api.create(Widgets, widget('a'));
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('c');
    const pulled = 'Container image "nginx" already present on machine';
    await recorder.event(w, 'Normal', 'Pulled', pulled, 'spec.containers{web}');
    await recorder.event(w, 'Normal', 'Pulled', pulled, 'spec.containers{sidecar}');
    await clock.advance(1_000);
    await recorder.event(w, 'Normal', 'Pulled', pulled, 'spec.containers{web}');
    await recorder.event(w, 'Normal', 'Pulled', pulled);
    const byPath = Object.fromEntries((await api.list(Events, { namespace: 'default' })).items.map((e) => [e.involvedObject.fieldPath ?? '(none)', e.count]));
    expect(byPath).toEqual({ 'spec.containers{web}': 2, 'spec.containers{sidecar}': 1, '(none)': 1 });
  });

  it('combines similar events from the tenth different message on, as client-go does', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const w = await api.create(Widgets, widget('a'));
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('c');
    for (let i = 1; i <= 12; i++) {
      await recorder.event(w, 'Warning', 'FailedCreate', `Error creating: pod-${i} refused`);
      await clock.advance(1_000);
    }
    await recorder.event(w, 'Normal', 'Other', 'not similar');
    const events = (await api.list(Events, { namespace: 'default' })).items;
    const failed = events.filter((e) => e.reason === 'FailedCreate');
    // Nine events of their own, then one combined Event for the 10th, 11th and 12th.
    expect(failed).toHaveLength(10);
    expect(failed.filter((e) => e.count === 1 && !e.message!.startsWith('('))).toHaveLength(9);
    expect(failed.find((e) => e.message!.startsWith('(combined'))).toMatchObject({ count: 3, message: '(combined from similar events): Error creating: pod-12 refused' });
    expect(events.find((e) => e.reason === 'Other')?.count).toBe(1);
  });

  it('lets one source record 25 events about an object at once, then one per 5 minutes', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const w = await api.create(Widgets, widget('a'));
    const other = await api.create(Widgets, widget('b'));
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry }).recorder('c');
    const total = async (name: string) => (await api.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name).reduce((n, e) => n + (e.count ?? 0), 0);
    for (let i = 0; i < 30; i++) await recorder.event(w, 'Normal', `Reason${i}`, 'm');
    expect(await total('a')).toBe(25);
    // Another object has its own allowance.
    await recorder.event(other, 'Normal', 'Reason0', 'm');
    expect(await total('b')).toBe(1);
    await clock.advance(299_000);
    await recorder.event(w, 'Normal', 'Late', 'm');
    expect(await total('a')).toBe(25);
    await clock.advance(1_000);
    await recorder.event(w, 'Normal', 'Later', 'm');
    expect(await total('a')).toBe(26);
  });

  it('records events of cluster-scoped objects in the default namespace and never throws', async () => {
    const cluster = testCluster();
    const { clock, api } = cluster;
    const errors: unknown[] = [];
    const recorder = createManager({ client: api, clock, rng: cluster.rng, registry: cluster.registry, onError: (e) => errors.push(e) }).recorder('c');
    await recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'u1' } }, 'Warning', 'NotReady', 'kubelet stopped posting status');
    const events = (await api.list(Events, { namespace: 'default' })).items;
    expect(events).toHaveLength(1);
    expect(events[0]?.involvedObject.namespace).toBeUndefined();
    await recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'bad name!' } }, 'Normal', 'X', 'y');
    expect(errors).toHaveLength(1);
  });
});
