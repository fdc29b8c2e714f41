/**
 * The Deployment controller end to end on a SimCluster with the ReplicaSet controller: the
 * pi-web walkthrough (scale subresource, re-apply, rolling update), rollback as `kubectl
 * rollout undo` does it, `kubectl rollout restart`, pause/resume, the progress deadline,
 * revisionHistoryLimit and Recreate (upstream `pkg/controller/deployment`, and
 * test/e2e/apps/deployment.go for the scenarios).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Deployments, Events, Pods, ReplicaSets, controllerRef, parseManifests } from '@kubeloop/core';
import type { Deployment, Scale } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { garbageCollectorPlugin } from '@kubeloop/controllers';
import { replicaSetPlugin } from '@kubeloop/controllers';
import { deploymentPlugin } from '@kubeloop/controllers';
import { computeHash, isPodActive, isPodReady } from '@kubeloop/controllers';
import { POD_TEMPLATE_HASH_LABEL, RESTARTED_AT_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from '@kubeloop/controllers';
import { rolloutBounds, singleActiveReplicaSetAfterSettle, statusMatches } from '@kubeloop/controllers';
import { deploymentCluster, deploymentManifest, replaySince, replicaSetsOf, snapshot } from './testkit.js';

const WALKTHROUGH = fileURLToPath(new URL('../../../../examples/walkthroughs/deployment-pi-web.yaml', import.meta.url));
const key = (name: string) => ({ namespace: 'default', name });

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function settledInvariants(c: SimCluster): Promise<void> {
  const state = await snapshot(c);
  expect([...singleActiveReplicaSetAfterSettle(state), ...statusMatches(state), ...rolloutBounds(state)]).toEqual([]);
}

async function setTemplate(c: SimCluster, name: string, edit: (d: Deployment) => Deployment): Promise<void> {
  const d = await c.get(Deployments, key(name));
  await c.server.update(Deployments, edit(d));
  await c.clock.flush();
}

const replicaSetsOfAny = async (c: SimCluster) => (await c.list(ReplicaSets)).items;
const progressing = (d: Deployment) => d.status.conditions?.find((x) => x.type === 'Progressing');

describe('walkthrough 2: pi-web', () => {
  it('one ReplicaSet with 2 pods; scaled to 4 through the scale subresource; a re-applied changed manifest rolls out at its own 2 replicas', async () => {
    const c = (cluster = await deploymentCluster(2, 3));
    const text = readFileSync(WALKTHROUGH, 'utf8');
    await c.apply(text, 'deployment-pi-web.yaml');
    await c.settle();
    let rss = await replicaSetsOf(c, 'pi-web');
    expect(rss).toHaveLength(1);
    const first = rss[0]!;
    expect(first.metadata.name).toBe(`pi-web-${first.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? ''}`);
    expect(first.spec.replicas).toBe(2);
    let pods = (await c.list(Pods)).items.filter((p) => controllerRef(p)?.uid === first.metadata.uid && isPodActive(p));
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === first.metadata.labels?.[POD_TEMPLATE_HASH_LABEL])).toBe(true);
    await settledInvariants(c);
    // As `kubectl get deploy -o yaml` shows it on a real cluster: revision 1, generation 1, observed.
    const applied = await c.get(Deployments, key('pi-web'));
    expect(applied.metadata.annotations?.[REVISION_ANNOTATION]).toBe('1');
    expect(applied.metadata.generation).toBe(1);
    expect(applied.status?.observedGeneration).toBe(1);

    const scale: Scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'pi-web', namespace: 'default' }, spec: { replicas: 4 } };
    await c.server.updateScale(Deployments, key('pi-web'), scale);
    await c.settle();
    pods = (await c.list(Pods)).items.filter((p) => isPodActive(p));
    expect(pods).toHaveLength(4);
    expect((await replicaSetsOf(c, 'pi-web')).map((r) => r.spec.replicas)).toEqual([4]);

    // Re-apply the manifest with a changed template: the manifest's 2 replicas win.
    const body = parseManifests(text, 'deployment-pi-web.yaml')[0]!.body as unknown as Deployment;
    const container = body.spec.template.spec.containers[0]!;
    body.spec.template.spec.containers[0] = { ...container, env: [{ name: 'PI_DP', value: '100' }] };
    const from = c.trace().length;
    await c.apply(body);
    await c.settle();

    rss = await replicaSetsOf(c, 'pi-web');
    expect(rss).toHaveLength(2);
    const [old, next] = rss as [(typeof rss)[0], (typeof rss)[0]];
    expect(old.metadata.uid).toBe(first.metadata.uid);
    expect(old.spec.replicas).toBe(0);
    expect(next.spec.replicas).toBe(2);
    expect(next.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    const d = await c.get(Deployments, key('pi-web'));
    expect(d.spec.replicas).toBe(2);
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: d.metadata.generation });
    await settledInvariants(c);

    // The old ReplicaSet only lost pods as new ones became ready: with 2 replicas, 25%/25%
    // (surge 1, unavailable 0), at least 2 pods were ready at every step of the rollout.
    let minReady = Infinity;
    let newReadyWhenOldShrank: number[] = [];
    let lastOld = 4;
    replaySince(c, from, (state) => {
      const active = state.pods.filter((p) => isPodActive(p));
      minReady = Math.min(minReady, active.filter((p) => isPodReady(p)).length);
      const oldRS = state.replicaSets.find((r) => r.metadata.uid === old.metadata.uid);
      if (oldRS !== undefined && oldRS.spec.replicas < lastOld && oldRS.spec.replicas < 2) {
        newReadyWhenOldShrank = [...newReadyWhenOldShrank, active.filter((p) => controllerRef(p)?.uid === next.metadata.uid && isPodReady(p)).length];
      }
      if (oldRS !== undefined) lastOld = oldRS.spec.replicas;
    });
    expect(minReady).toBeGreaterThanOrEqual(2);
    expect(newReadyWhenOldShrank).toEqual([1, 2]);
  });
});

describe('rollouts', () => {
  it('rollback as kubectl rollout undo: the old ReplicaSet is reused, moves to revision 3, keeps revision-history 1', async () => {
    const c = (cluster = await deploymentCluster(3));
    await c.apply(deploymentManifest('web', 3, { env: 'v1' }));
    await c.settle();
    const [v1] = await replicaSetsOf(c, 'web');
    await c.apply(deploymentManifest('web', 3, { env: 'v2' }));
    await c.settle();
    expect((await c.get(Deployments, key('web'))).metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');

    // kubectl rollout undo: the template becomes the previous ReplicaSet's, minus the hash label.
    const labels = { ...v1!.spec.template.metadata?.labels };
    delete labels[POD_TEMPLATE_HASH_LABEL];
    await setTemplate(c, 'web', (d) => ({ ...d, spec: { ...d.spec, template: { ...v1!.spec.template, metadata: { ...v1!.spec.template.metadata, labels } } } }));
    await c.settle();

    const rss = await replicaSetsOf(c, 'web');
    expect(rss).toHaveLength(2);
    const reused = rss.find((r) => r.metadata.uid === v1!.metadata.uid)!;
    expect(reused.spec.replicas).toBe(3);
    expect(reused.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    expect(reused.metadata.annotations?.[REVISION_HISTORY_ANNOTATION]).toBe('1');
    expect((await c.get(Deployments, key('web'))).metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    await settledInvariants(c);
  });

  it('kubectl rollout restart (the restartedAt template annotation) replaces every pod through a new ReplicaSet', async () => {
    const c = (cluster = await deploymentCluster(4));
    await c.apply(deploymentManifest('web', 4));
    await c.settle();
    const before = new Set((await c.list(Pods)).items.map((p) => p.metadata.uid));
    await setTemplate(c, 'web', (d) => ({
      ...d,
      spec: { ...d.spec, template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, annotations: { [RESTARTED_AT_ANNOTATION]: '2026-01-01T00:05:00Z' } } } },
    }));
    await c.settle();
    const pods = (await c.list(Pods)).items.filter((p) => isPodActive(p));
    expect(pods).toHaveLength(4);
    expect(pods.some((p) => before.has(p.metadata.uid))).toBe(false);
    expect((await replicaSetsOf(c, 'web')).map((r) => r.spec.replicas)).toEqual([0, 4]);
    await settledInvariants(c);
  });

  it('paused: scaling still applies, a template change does not roll out until resumed (DeploymentPaused, DeploymentResumed)', async () => {
    const c = (cluster = await deploymentCluster(5));
    await c.apply(deploymentManifest('web', 2));
    await c.settle();
    await setTemplate(c, 'web', (d) => ({ ...d, spec: { ...d.spec, paused: true } }));
    await c.settle();
    expect(progressing(await c.get(Deployments, key('web')))).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });

    await setTemplate(c, 'web', (d) => ({ ...d, spec: { ...d.spec, replicas: 3, template: deploymentManifest('web', 3, { env: 'v2' }).spec.template } }));
    await c.settle();
    expect((await replicaSetsOf(c, 'web')).map((r) => r.spec.replicas)).toEqual([3]);
    expect((await c.list(Pods)).items.filter((p) => isPodActive(p))).toHaveLength(3);

    await setTemplate(c, 'web', (d) => ({ ...d, spec: { ...d.spec, paused: false } }));
    await c.advance(1);
    expect(progressing(await c.get(Deployments, key('web')))?.reason).not.toBe('DeploymentPaused');
    await c.settle();
    const rss = await replicaSetsOf(c, 'web');
    expect(rss.map((r) => r.spec.replicas)).toEqual([0, 3]);
    expect(progressing(await c.get(Deployments, key('web')))?.reason).toBe('NewReplicaSetAvailable');
    await settledInvariants(c);
  });

  it('a rollout whose pods never become ready is marked ProgressDeadlineExceeded on time (requeued for the deadline)', async () => {
    const c = (cluster = await deploymentCluster(6));
    await c.apply(deploymentManifest('web', 2, { spec: { progressDeadlineSeconds: 60 } }));
    await c.settle();
    const broken = deploymentManifest('web', 2, { env: 'v2', annotations: { 'kubeloop.dev/behavior': 'not-ready-for=1h' }, spec: { progressDeadlineSeconds: 60 } });
    const container = broken.spec.template.spec.containers[0]!;
    broken.spec.template.spec.containers[0] = { ...container, readinessProbe: { httpGet: { port: 80 }, periodSeconds: 10 } } as typeof container;
    await c.apply(broken);
    await c.advance(30_000);
    let cond = progressing(await c.get(Deployments, key('web')));
    expect(cond?.status).toBe('True');
    const updatedAt = Date.parse(cond?.lastUpdateTime ?? '');
    await c.advance(updatedAt + 62_000 - c.clock.now());
    cond = progressing(await c.get(Deployments, key('web')));
    expect(cond).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(cond?.message).toMatch(/^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
    // The old pods stay: maxUnavailable 0 of 2 replicas.
    expect((await replicaSetsOf(c, 'web')).map((r) => r.spec.replicas)).toEqual([2, 1]);
  });

  it('a ReplicaSet already at the Deployment\'s size but annotated with a stale desired-replicas (a proportional scale cut between its writes) gets the annotation refreshed, and the next template rolls out (kubernetes/kubernetes#138036)', async () => {
    // Upstream's scale leaves such a ReplicaSet alone (nothing to resize), so every sync sees a
    // scaling event, scales nothing and never rolls out again.
    const c = (cluster = await deploymentCluster(9));
    await c.apply(deploymentManifest('web', 2));
    await c.settle();
    const [only] = await replicaSetsOf(c, 'web');
    await c.server.update(ReplicaSets, { ...only!, metadata: { ...only!.metadata, annotations: { ...only!.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': '3' } } });
    await c.settle();
    expect((await replicaSetsOf(c, 'web')).map((r) => [r.spec.replicas, r.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']])).toEqual([[2, '2']]);
    await c.apply(deploymentManifest('web', 2, { env: 'v2' }));
    await c.settle();
    expect((await replicaSetsOf(c, 'web')).map((r) => r.spec.replicas)).toEqual([0, 2]);
    expect(progressing(await c.get(Deployments, key('web')))?.reason).toBe('NewReplicaSetAvailable');
    await settledInvariants(c);
  });

  it('a new rollout publishes its revision with Progressing NewReplicaSetCreated in one status write, never beside the last rollout\'s NewReplicaSetAvailable (upstream getNewReplicaSet: one UpdateStatus)', async () => {
    // A watcher — or a controller manager that crashes between two writes — must never see
    // revision 2 with the condition of revision 1: upstream keeps a NewReplicaSetAvailable it
    // finds until a status shows progress, and never times it out.
    const c = (cluster = await deploymentCluster(8));
    await c.apply(deploymentManifest('web', 2));
    await c.settle();
    expect(progressing(await c.get(Deployments, key('web')))?.reason).toBe('NewReplicaSetAvailable');
    const from = c.trace().length;
    await c.apply(deploymentManifest('web', 2, { env: 'v2' }));
    await c.settle();
    const versions: { revision: string | undefined; reason: string | undefined }[] = [];
    for (const e of c.trace().slice(from)) {
      if (e.object.kind !== 'Deployment') continue;
      const d = e.object as Deployment;
      const last = versions.at(-1);
      const revision = d.metadata.annotations?.[REVISION_ANNOTATION];
      if (last?.revision !== revision) versions.push({ revision, reason: progressing(d)?.reason });
    }
    expect(versions).toEqual([
      { revision: '1', reason: 'NewReplicaSetAvailable' },
      { revision: '2', reason: 'NewReplicaSetCreated' },
    ]);
  });

  it('revisionHistoryLimit 1 keeps one old ReplicaSet after three rollouts, deleting the oldest revisions', async () => {
    const c = (cluster = await deploymentCluster(7));
    for (const v of ['v1', 'v2', 'v3', 'v4']) {
      await c.apply(deploymentManifest('web', 2, { env: v, spec: { revisionHistoryLimit: 1 } }));
      await c.settle();
    }
    const rss = await replicaSetsOf(c, 'web');
    expect(rss.map((r) => [r.metadata.annotations?.[REVISION_ANNOTATION], r.spec.replicas])).toEqual([
      ['3', 0],
      ['4', 2],
    ]);
    await settledInvariants(c);
  });

  it('Recreate: the old pods are all gone before any new pod exists', async () => {
    const c = (cluster = await deploymentCluster(8));
    await c.apply(deploymentManifest('web', 3, { strategy: { type: 'Recreate' } }));
    await c.settle();
    const [old] = await replicaSetsOf(c, 'web');
    const from = c.trace().length;
    await c.apply(deploymentManifest('web', 3, { env: 'v2', strategy: { type: 'Recreate' } }));
    await c.settle();
    const rss = await replicaSetsOf(c, 'web');
    expect(rss.map((r) => r.spec.replicas)).toEqual([0, 3]);
    let overlaps = 0;
    replaySince(c, from, (state) => {
      const oldPods = state.pods.filter((p) => controllerRef(p)?.uid === old!.metadata.uid);
      const newPods = state.pods.filter((p) => controllerRef(p)?.uid !== old!.metadata.uid);
      if (oldPods.length > 0 && newPods.length > 0) overlaps++;
    });
    expect(overlaps).toBe(0);
    await settledInvariants(c);
  });

  it('a hash collision (a foreign ReplicaSet already has the name) bumps status.collisionCount and the next name is salted with it', async () => {
    const c = (cluster = await deploymentCluster(10));
    await c.apply(deploymentManifest('web', 2));
    await c.settle();
    const d = await c.get(Deployments, key('web'));
    const next = { ...d.spec.template, spec: { ...d.spec.template.spec, containers: d.spec.template.spec.containers.map((x) => ({ ...x, env: [{ name: 'VERSION', value: 'v2' }] })) } };
    const taken = `web-${computeHash(next)}`;
    // A ReplicaSet of someone else (labels the Deployment does not select) under that name.
    await c.apply({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: taken, namespace: 'default' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'other' } }, template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'x', image: 'nginx:1.25' }] } } },
    });
    await setTemplate(c, 'web', (x) => ({ ...x, spec: { ...x.spec, template: next } }));
    await c.settle();
    const after = await c.get(Deployments, key('web'));
    expect(after.status.collisionCount).toBe(1);
    const rss = await replicaSetsOf(c, 'web');
    expect(rss.map((r) => r.spec.replicas)).toEqual([0, 2]);
    expect(rss[1]!.metadata.name).toBe(`web-${computeHash(after.spec.template, 1)}`);
    expect((await c.get(ReplicaSets, key(taken))).spec.replicas).toBe(0);
    await settledInvariants(c);
  });

  it('records ScalingReplicaSet events from deployment-controller as upstream words them', async () => {
    const c = (cluster = await deploymentCluster(11));
    await c.apply(deploymentManifest('web', 2));
    await c.settle();
    await c.apply(deploymentManifest('web', 2, { env: 'v2' }));
    await c.settle();
    const [old, next] = await replicaSetsOf(c, 'web');
    const events = (await c.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.kind === 'Deployment' && e.reason === 'ScalingReplicaSet');
    expect(events.every((e) => e.source?.component === 'deployment-controller' || e.reportingComponent === 'deployment-controller')).toBe(true);
    const messages = events.map((e) => e.message);
    expect(messages).toContain(`Scaled up replica set ${old!.metadata.name ?? ''} from 0 to 2`);
    expect(messages).toContain(`Scaled up replica set ${next!.metadata.name ?? ''} from 0 to 1`);
    expect(messages).toContain(`Scaled down replica set ${old!.metadata.name ?? ''} from 2 to 1`);
  });

  it('minReadySeconds: ready pods count as available only after 30 s, and Available follows (MinimumReplicasUnavailable → MinimumReplicasAvailable)', async () => {
    const c = (cluster = await deploymentCluster(12));
    await c.apply(deploymentManifest('web', 2, { spec: { minReadySeconds: 30 } }));
    let readyAt: number | undefined;
    for (let i = 0; i < 60 && readyAt === undefined; i++) {
      await c.advance(500);
      const pods = (await c.list(Pods)).items.filter((p) => isPodActive(p));
      if (pods.length === 2 && pods.every((p) => isPodReady(p))) readyAt = c.clock.now();
    }
    expect(readyAt).toBeDefined();
    await c.advance(10_000);
    let d = await c.get(Deployments, key('web'));
    expect(d.status).toMatchObject({ readyReplicas: 2, availableReplicas: 0 });
    expect(d.status.conditions?.find((x) => x.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    await c.advance(readyAt! + 31_000 - c.clock.now());
    d = await c.get(Deployments, key('web'));
    expect(d.status).toMatchObject({ readyReplicas: 2, availableReplicas: 2 });
    expect(d.status.conditions?.find((x) => x.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect((await replicaSetsOf(c, 'web'))[0]?.spec.minReadySeconds).toBe(30);
  });

  it('adopts a matching orphan ReplicaSet and scales it as its own', async () => {
    // The garbage collector removes the orphan finalizer (and the Deployment) once the ReplicaSet is released.
    const c = (cluster = await SimCluster.create({ seed: 9, nodes: 3, controllerManager: { plugins: [replicaSetPlugin(), deploymentPlugin(), garbageCollectorPlugin()] } }));
    await c.apply(deploymentManifest('web', 2));
    await c.settle();
    const [rs] = await replicaSetsOf(c, 'web');
    await c.delete(Deployments, key('web'), { propagationPolicy: 'Orphan' });
    await c.settle();
    expect(controllerRef((await replicaSetsOfAny(c))[0]!)).toBeUndefined();
    await c.apply(deploymentManifest('web', 3));
    await c.settle();
    const rss = await replicaSetsOf(c, 'web');
    expect(rss.map((r) => [r.metadata.name, r.spec.replicas])).toEqual([[rs!.metadata.name, 3]]);
    await settledInvariants(c);
  });

  it('releases a ReplicaSet relabelled out of its selector and adopts it again once it matches (the claim goes through the controller-uid index)', async () => {
    const c = (cluster = await SimCluster.create({ seed: 9, nodes: 3, controllerManager: { plugins: [replicaSetPlugin(), deploymentPlugin(), garbageCollectorPlugin()] } }));
    await c.apply([deploymentManifest('web', 2), deploymentManifest('other', 1)]);
    await c.settle();
    const [rs] = await replicaSetsOf(c, 'web');
    const web = await c.get(Deployments, key('web'));
    const relabel = async (app: string): Promise<void> => {
      const current = await c.get(ReplicaSets, key(rs!.metadata.name ?? ''));
      await c.server.update(ReplicaSets, { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, app } } });
      await c.settle();
    };
    await relabel('elsewhere');
    expect(controllerRef(await c.get(ReplicaSets, key(rs!.metadata.name ?? '')))).toBeUndefined();
    await relabel('web');
    expect(controllerRef(await c.get(ReplicaSets, key(rs!.metadata.name ?? '')))?.uid).toBe(web.metadata.uid);
    // The other Deployment never claims web's ReplicaSets.
    const other = await c.get(Deployments, key('other'));
    for (const r of await replicaSetsOfAny(c)) if (r.metadata.labels?.app === 'web') expect(controllerRef(r)?.uid).not.toBe(other.metadata.uid);
  });
});
