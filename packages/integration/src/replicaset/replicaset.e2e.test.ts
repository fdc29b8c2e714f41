/**
 * The ReplicaSet controller end to end on a SimCluster (upstream
 * `pkg/controller/replicaset`): pods created from the template with a controller reference,
 * replaced when deleted, scaled in and out, with the status and events upstream publishes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApiError, Events, Pods, ReplicaSets, controllerRef, latency, parseTime } from '@kubeloop/core';
import type { AdmissionHook } from '@kubeloop/core';
import type { Pod, ReplicaSet } from '@kubeloop/core';
import { SimCluster, bufferWatches } from '@kubeloop/testing';
import { replicaSetPlugin } from '@kubeloop/controllers';
import { replicaInvariants } from '@kubeloop/controllers';

const WALKTHROUGH = fileURLToPath(new URL('../../../../examples/walkthroughs/replicaset-whoami-web.yaml', import.meta.url));

async function cluster(nodes = 3): Promise<SimCluster> {
  return SimCluster.create({ seed: 7, nodes, controllerManager: { plugins: [replicaSetPlugin()] } });
}

async function activePods(c: SimCluster, label: string): Promise<Pod[]> {
  return (await c.list(Pods, { namespace: 'default', labelSelector: label })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
}

async function rs(c: SimCluster, name: string): Promise<ReplicaSet> {
  return c.get(ReplicaSets, { namespace: 'default', name });
}

async function state(c: SimCluster) {
  return { pods: (await c.list(Pods)).items, replicaSets: (await c.list(ReplicaSets)).items };
}

describe('ReplicaSet walkthrough: whoami-web', () => {
  it('runs the pod, replaces deleted pods at once, and adds pods when scaled out', async () => {
    const c = await cluster();
    await c.apply(readFileSync(WALKTHROUGH, 'utf8'), 'replicaset-whoami-web.yaml');
    await c.settle();
    const [first] = await activePods(c, 'app=whoami-web');
    expect(first).toBeDefined();
    expect(controllerRef(first!)).toMatchObject({ kind: 'ReplicaSet', name: 'whoami-web', controller: true, blockOwnerDeletion: true });
    expect(first!.metadata.generateName).toBe('whoami-web-');
    expect((await rs(c, 'whoami-web')).status).toMatchObject({ replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 });

    // kubectl delete pods -l app=whoami-web: the replacement is created as soon as the old pod
    // is terminating, before it is gone.
    const deletedAt = c.now();
    for (const p of await activePods(c, 'app=whoami-web')) await c.delete(Pods, { namespace: 'default', name: p.metadata.name ?? '' });
    await c.advance(100);
    const replacements = await activePods(c, 'app=whoami-web');
    expect(replacements).toHaveLength(1);
    expect(replacements[0]!.metadata.name).not.toBe(first!.metadata.name);
    // Created within a few virtual milliseconds of the deletion: no back-off, no resync wait.
    const created = c.trace().find((e) => e.type === 'ADDED' && e.object.metadata.name === replacements[0]!.metadata.name);
    expect(created!.t - deletedAt).toBeLessThan(100);

    // kubectl scale rs whoami-web --replicas=3
    const current = await rs(c, 'whoami-web');
    await c.server.update(ReplicaSets, { ...current, spec: { ...current.spec, replicas: 3 } });
    await c.settle();
    const scaled = await activePods(c, 'app=whoami-web');
    expect(scaled).toHaveLength(3);
    expect(scaled.every((p) => p.status.phase === 'Running')).toBe(true);
    expect((await rs(c, 'whoami-web')).status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 2 });
    expect(replicaInvariants(await state(c))).toEqual([]);
    await c.stop();
  });
});

/** A ReplicaSet `web` selecting `app=web`. */
function webRs(replicas: number, extra: { minReadySeconds?: number; finalizers?: string[] } = {}): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) },
    spec: {
      replicas,
      ...(extra.minReadySeconds === undefined ? {} : { minReadySeconds: extra.minReadySeconds }),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } },
    },
  };
}

/** A bare pod `name` with `labels`, optionally controlled by someone else. */
function barePod(name: string, labels: Record<string, string>, controller?: { kind: string; name: string; uid: string }): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels,
      ...(controller ? { ownerReferences: [{ apiVersion: 'apps/v1', ...controller, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
  };
}

async function events(c: SimCluster, reason: string): Promise<string[]> {
  return (await c.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === reason).map((e) => e.message ?? '');
}

describe('ReplicaSet adoption and release (upstream controller_ref_manager)', () => {
  it('adopts a matching orphan pod instead of creating one', async () => {
    const c = await cluster();
    await c.apply(barePod('orphan', { app: 'web' }));
    await c.apply(webRs(2));
    await c.settle();
    const pods = await activePods(c, 'app=web');
    expect(pods).toHaveLength(2);
    const orphan = pods.find((p) => p.metadata.name === 'orphan');
    expect(controllerRef(orphan!)).toMatchObject({ kind: 'ReplicaSet', name: 'web', uid: (await rs(c, 'web')).metadata.uid });
    expect(await events(c, 'SuccessfulCreate')).toHaveLength(1);
    await c.stop();
  });

  it('releases a pod whose labels stop matching and creates a replacement', async () => {
    const c = await cluster();
    await c.apply(webRs(2));
    await c.settle();
    const [victim] = await activePods(c, 'app=web');
    await c.server.patch(Pods, { namespace: 'default', name: victim!.metadata.name ?? '' }, { type: 'merge', body: { metadata: { labels: { app: 'debug' } } } });
    await c.settle();
    const released = await c.get(Pods, { namespace: 'default', name: victim!.metadata.name ?? '' });
    expect(controllerRef(released)).toBeUndefined();
    expect(await activePods(c, 'app=web')).toHaveLength(2);
    expect(replicaInvariants(await state(c))).toEqual([]);
    await c.stop();
  });

  it('never touches a matching pod controlled by another controller', async () => {
    const c = await cluster();
    await c.apply(barePod('theirs', { app: 'web' }, { kind: 'StatefulSet', name: 'db', uid: 'someone-else' }));
    const before = await c.get(Pods, { namespace: 'default', name: 'theirs' });
    await c.apply(webRs(1));
    await c.settle();
    const after = await c.get(Pods, { namespace: 'default', name: 'theirs' });
    expect(after.metadata.ownerReferences).toEqual(before.metadata.ownerReferences);
    expect(after.metadata.deletionTimestamp).toBeUndefined();
    // The ReplicaSet made a pod of its own.
    expect((await activePods(c, 'app=web')).filter((p) => controllerRef(p)?.kind === 'ReplicaSet')).toHaveLength(1);
    // Scaling to 0 deletes only its own pod.
    const current = await rs(c, 'web');
    await c.server.update(ReplicaSets, { ...current, spec: { ...current.spec, replicas: 0 } });
    await c.settle();
    expect((await activePods(c, 'app=web')).map((p) => p.metadata.name)).toEqual(['theirs']);
    await c.stop();
  });

  it('a ReplicaSet being deleted neither replaces pods nor adopts orphans (upstream: no manageReplicas with a deletionTimestamp)', async () => {
    const c = await cluster();
    await c.apply(webRs(2, { finalizers: ['example.com/hold'] }));
    await c.settle();
    await c.delete(ReplicaSets, { namespace: 'default', name: 'web' });
    const [victim] = await activePods(c, 'app=web');
    await c.delete(Pods, { namespace: 'default', name: victim!.metadata.name ?? '' });
    await c.apply(barePod('orphan', { app: 'web' }));
    await c.settle();
    expect(await activePods(c, 'app=web')).toHaveLength(2); // the survivor and the orphan
    expect(controllerRef(await c.get(Pods, { namespace: 'default', name: 'orphan' }))).toBeUndefined();
    expect((await rs(c, 'web')).status.replicas).toBe(1);
    await c.stop();
  });
});

/**
 * A ResourceQuota-like admission hook: pod creates in `default` beyond `limit` active pods are
 * forbidden with upstream's quota message.
 */
function podQuota(limit: { value: number }): AdmissionHook {
  return {
    name: 'test/pod-quota',
    resources: ['pods'],
    operations: ['CREATE'],
    validate(request) {
      const used = request.store.list(Pods, 'default').filter((p) => p.metadata.deletionTimestamp === undefined).length;
      if (used >= limit.value) {
        throw new ApiError('Forbidden', `pods "${request.object.metadata.name ?? ''}" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=${used}, limited: pods=${limit.value}`);
      }
    },
  };
}

describe('ReplicaSet creates refused by admission (a quota)', () => {
  it('creates in slow-start batches, stops at the first failure, reports ReplicaFailure and clears it once creates succeed', async () => {
    const c = await cluster();
    const limit = { value: 2 };
    c.server.addAdmissionHook(podQuota(limit));
    await c.apply(webRs(5));
    await c.advance(1_000);
    // First sync: batch of 1 (ok), batch of 2 (one ok, one refused) → stop; 2 pods exist.
    expect(await activePods(c, 'app=web')).toHaveLength(2);
    const failed = await rs(c, 'web');
    expect(failed.status.conditions).toEqual([
      expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: expect.stringContaining('exceeded quota: pods') }),
    ]);
    expect(failed.status.replicas).toBe(2); // by the retries (5 ms, 10 ms, ... back-off)
    const refused = await events(c, 'FailedCreate');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]).toMatch(/^Error creating: pods ".*" is forbidden: exceeded quota: pods/);
    // Retries back off; each retry is a batch of one refused create.
    await c.advance(60_000);
    expect(await activePods(c, 'app=web')).toHaveLength(2);
    // The quota is raised: the next retry creates the rest and removes the condition.
    limit.value = 100;
    await c.settle({ maxMs: 1_200_000 });
    expect(await activePods(c, 'app=web')).toHaveLength(5);
    const healed = await rs(c, 'web');
    expect(healed.status.conditions ?? []).toEqual([]);
    expect(healed.status.replicas).toBe(5);
    await c.stop();
  });
});

describe('ReplicaSet status', () => {
  it('publishes availableReplicas when minReadySeconds have passed, without any other event', async () => {
    const c = await cluster();
    await c.apply(webRs(1, { minReadySeconds: 30 }));
    await c.settle({ quietMs: 60_000 });
    const [p] = await activePods(c, 'app=web');
    const readyAt = parseTime(p!.status.conditions!.find((x) => x.type === 'Ready')!.lastTransitionTime!);
    const status = await rs(c, 'web');
    expect(status.status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    // The write that made it available came right after readyAt + 30 s.
    const write = c
      .trace()
      .find((e) => e.type === 'MODIFIED' && e.object.kind === 'ReplicaSet' && (e.object as ReplicaSet).status.availableReplicas === 1);
    const writtenAt = c.clock.now() - c.now() + write!.t;
    expect(writtenAt - (readyAt + 30_000)).toBeGreaterThanOrEqual(0);
    expect(writtenAt - (readyAt + 30_000)).toBeLessThan(1_000);
    await c.stop();
  });

  it('scaling in deletes the surplus with SuccessfulDelete events', async () => {
    const c = await cluster();
    await c.apply(webRs(3));
    await c.settle();
    const current = await rs(c, 'web');
    await c.server.update(ReplicaSets, { ...current, spec: { ...current.spec, replicas: 1 } });
    await c.settle();
    expect(await activePods(c, 'app=web')).toHaveLength(1);
    expect(await events(c, 'SuccessfulDelete')).toHaveLength(2);
    expect((await rs(c, 'web')).status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 });
    await c.stop();
  });
});

describe('ReplicaSet expectations (upstream UIDTrackingControllerExpectations)', () => {
  it('creates exactly the missing pods and never over-creates while its pod cache lags its own writes', async () => {
    // Every write of the controller manager takes 20 ms of virtual time, and its pod cache lags
    // the store by up to 4 events (500 ms at most): a sync right after a create or delete sees
    // stale pods, and only the expectations keep it from acting on them.
    const c = await SimCluster.create({
      seed: 11,
      nodes: 3,
      controllerManager: {
        plugins: [replicaSetPlugin()],
        interceptors: (clock) => [
          latency(clock, (r) => (r.verb === 'list' || r.verb === 'watch' ? 0 : 20)),
          bufferWatches(clock, { lag: 4, holdMs: 500, applies: (r) => r.resource?.kind === 'Pod' }),
        ],
      },
    });
    await c.apply(webRs(10));
    await c.settle();
    const added = c.trace().filter((e) => e.type === 'ADDED' && e.object.kind === 'Pod');
    expect(added).toHaveLength(10);
    expect(await events(c, 'SuccessfulDelete')).toEqual([]);
    // Scale in and out again: each step creates or deletes exactly the difference.
    for (const [replicas, total] of [
      [4, 10],
      [7, 13],
    ] as const) {
      const current = await rs(c, 'web');
      await c.server.update(ReplicaSets, { ...current, spec: { ...current.spec, replicas } });
      await c.settle();
      expect(await activePods(c, 'app=web')).toHaveLength(replicas);
      expect(c.trace().filter((e) => e.type === 'ADDED' && e.object.kind === 'Pod')).toHaveLength(total);
    }
    expect(await events(c, 'SuccessfulDelete')).toHaveLength(6);
    await c.stop();
  });
});

describe('ReplicaSet burst and failed deletes', () => {
  it('creates at most burstReplicas pods per sync, and syncs again only once it saw them (upstream BurstReplicas)', async () => {
    // The pod cache holds events back for 5 s, so each sync's creates are observed 5 s later.
    const c = await SimCluster.create({
      seed: 12,
      nodes: 3,
      controllerManager: {
        plugins: [replicaSetPlugin({ burstReplicas: 3 })],
        interceptors: (clock) => [bufferWatches(clock, { lag: 1_000, holdMs: 5_000, applies: (r) => r.resource?.kind === 'Pod' })],
      },
    });
    await c.apply(webRs(7));
    await c.advance(1_000);
    expect(await activePods(c, 'app=web')).toHaveLength(3);
    await c.advance(5_000);
    expect(await activePods(c, 'app=web')).toHaveLength(6);
    await c.settle();
    expect(await activePods(c, 'app=web')).toHaveLength(7);
    await c.stop();
  });

  it('reports refused deletes as ReplicaFailure FailedDelete with a FailedDelete event, and clears it once they succeed', async () => {
    const c = await cluster();
    await c.apply(webRs(3));
    await c.settle();
    const refuse = { on: true };
    c.server.addAdmissionHook({
      name: 'test/no-pod-deletes',
      resources: ['pods'],
      operations: ['DELETE'],
      validate() {
        if (refuse.on) throw new ApiError('Forbidden', 'pods are protected by a test admission hook');
      },
    });
    const current = await rs(c, 'web');
    await c.server.update(ReplicaSets, { ...current, spec: { ...current.spec, replicas: 1 } });
    await c.advance(2_000);
    expect((await rs(c, 'web')).status.conditions).toEqual([
      expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedDelete', message: 'pods are protected by a test admission hook' }),
    ]);
    expect((await events(c, 'FailedDelete'))[0]).toBe('Error deleting: pods are protected by a test admission hook');
    refuse.on = false;
    await c.settle({ maxMs: 1_200_000 });
    expect(await activePods(c, 'app=web')).toHaveLength(1);
    expect((await rs(c, 'web')).status.conditions ?? []).toEqual([]);
    await c.stop();
  });
});
