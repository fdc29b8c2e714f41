/**
 * The StatefulSet controller end to end on a SimCluster (upstream `pkg/controller/statefulset`):
 * the walkthrough manifests, ordered creation and scale-down, recreation with the same name,
 * Parallel, rolling updates with a partition, claims from volumeClaimTemplates.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ControllerRevisions, Events, PersistentVolumeClaims, PersistentVolumes, Pods, StatefulSets } from '@kubeloop/core';
import type { KubeObject, Pod, StatefulSet } from '@kubeloop/core';
import { DEFAULT_CONTROLLER_PLUGINS, SimCluster } from '@kubeloop/testing';
import { PERSISTENT_VOLUME_PLUGIN_NAME, POD_INDEX_LABEL, STATEFULSET_POD_NAME_LABEL, bindingIsMutual, onePodPerOrdinal, orderedReadyCreation, statefulPodsInRange } from '@kubeloop/controllers';

const WALKTHROUGHS = fileURLToPath(new URL('../../../../examples/walkthroughs/', import.meta.url));
const walkthrough = (file: string): string => readFileSync(`${WALKTHROUGHS}${file}`, 'utf8');

async function newCluster(seed = 1): Promise<SimCluster> {
  return SimCluster.create({ seed, nodes: 2 });
}

async function podsOf(cluster: SimCluster, set: string): Promise<Pod[]> {
  return (await cluster.list(Pods, { namespace: 'default' })).items.filter((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'StatefulSet' && r.name === set)).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

async function scale(cluster: SimCluster, name: string, replicas: number): Promise<void> {
  await cluster.server.patch(StatefulSets, { namespace: 'default', name }, { type: 'merge', body: { spec: { replicas } } });
}

async function checkInvariants(cluster: SimCluster): Promise<void> {
  const s = { statefulSets: (await cluster.list(StatefulSets)).items, pods: (await cluster.list(Pods)).items.filter((p) => p.metadata.deletionTimestamp === undefined) };
  expect(statefulPodsInRange(s)).toEqual([]);
  expect(onePodPerOrdinal(s)).toEqual([]);
}

/**
 * Replays the trace from `since`: the pods of `set` in the order they were ADDED and in the
 * order their deletion began, and the ordered-creation violations judged on the state just
 * before each creation.
 */
function replay(cluster: SimCluster, set: string, since = 0): { added: string[]; deleting: string[]; violations: unknown[] } {
  const live = new Map<string, KubeObject>();
  const added: string[] = [];
  const deleting: string[] = [];
  const violations: unknown[] = [];
  const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  for (const e of cluster.trace()) {
    if (e.object.kind !== 'Pod' && e.object.kind !== 'StatefulSet') continue;
    const o = e.object;
    const mine = o.kind === 'Pod' && (o.metadata.ownerReferences ?? []).some((r) => r.kind === 'StatefulSet' && r.name === set);
    if (e.t >= since && mine) {
      if (e.type === 'ADDED') {
        added.push(o.metadata.name ?? '');
        const before = { statefulSets: [...live.values()].filter((x) => x.kind === 'StatefulSet') as StatefulSet[], pods: [...live.values()].filter((x) => x.kind === 'Pod') as Pod[] };
        violations.push(...orderedReadyCreation(before, [o as Pod]));
      }
      const prev = live.get(key(o));
      if (o.metadata.deletionTimestamp !== undefined && prev?.metadata.deletionTimestamp === undefined && e.type !== 'ADDED') deleting.push(o.metadata.name ?? '');
    }
    if (e.type === 'DELETED') live.delete(key(o));
    else live.set(key(o), o);
  }
  return { added, deleting, violations };
}

describe('StatefulSet walkthrough: stateful-db', () => {
  it('creates pods -0, -1, -2 one at a time in order, each after the lower ones are Running and Ready, with their identity', async () => {
    const cluster = await newCluster();
    await cluster.apply(walkthrough('statefulset-stateful-db.yaml'), 'statefulset-stateful-db.yaml');
    await cluster.settle();
    let pods = await podsOf(cluster, 'stateful-db');
    expect(pods.map((p) => p.metadata.name)).toEqual(['stateful-db-0']);
    const pod0 = pods[0]!;
    expect(pod0.metadata.labels?.[STATEFULSET_POD_NAME_LABEL]).toBe('stateful-db-0');
    expect(pod0.metadata.labels?.[POD_INDEX_LABEL]).toBe('0');
    expect(pod0.metadata.labels?.['controller-revision-hash']).toMatch(/.+/);
    expect(pod0.spec.hostname).toBe('stateful-db-0');

    const t = cluster.now();
    await scale(cluster, 'stateful-db', 3);
    await cluster.settle();
    pods = await podsOf(cluster, 'stateful-db');
    expect(pods.map((p) => p.metadata.name)).toEqual(['stateful-db-0', 'stateful-db-1', 'stateful-db-2']);
    expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
    const r = replay(cluster, 'stateful-db', t);
    expect(r.added).toEqual(['stateful-db-1', 'stateful-db-2']);
    expect(r.violations).toEqual([]);
    await checkInvariants(cluster);

    const set = await cluster.get(StatefulSets, { namespace: 'default', name: 'stateful-db' });
    expect(set.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: set.metadata.generation });
    expect(set.status.currentRevision).toBe(set.status.updateRevision);
    expect(set.status.updateRevision).toBe(`stateful-db-${pod0.metadata.labels?.['controller-revision-hash'] ?? ''}`.replace(/^stateful-db-/, ''));
    const revisions = (await cluster.list(ControllerRevisions, { namespace: 'default' })).items.filter((x) => x.metadata.ownerReferences?.some((o) => o.uid === set.metadata.uid));
    expect(revisions.length).toBe(1);
    const events = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'SuccessfulCreate' && e.involvedObject.name === 'stateful-db');
    expect(events.map((e) => e.message).sort()).toEqual(['create Pod stateful-db-0 in StatefulSet stateful-db successful', 'create Pod stateful-db-1 in StatefulSet stateful-db successful', 'create Pod stateful-db-2 in StatefulSet stateful-db successful']);
    await cluster.stop();
  });

  it('brings a deleted pod back with the same name, and scales to 0 from the highest ordinal, one at a time', async () => {
    const cluster = await newCluster(2);
    await cluster.apply(walkthrough('statefulset-stateful-db.yaml'), 'statefulset-stateful-db.yaml');
    await scale(cluster, 'stateful-db', 3);
    await cluster.settle();
    const before = (await podsOf(cluster, 'stateful-db')).find((p) => p.metadata.name === 'stateful-db-1')!;
    await cluster.server.delete(Pods, { namespace: 'default', name: 'stateful-db-1' });
    await cluster.settle();
    const after = (await podsOf(cluster, 'stateful-db')).find((p) => p.metadata.name === 'stateful-db-1');
    expect(after).toBeDefined();
    expect(after!.metadata.uid).not.toBe(before.metadata.uid);
    expect(after!.status?.phase).toBe('Running');
    await checkInvariants(cluster);

    // A failed pod is deleted and comes back with the same name (upstream RecreatingFailedPod).
    const failing = (await podsOf(cluster, 'stateful-db')).find((p) => p.metadata.name === 'stateful-db-2')!;
    await cluster.server.updateStatus(Pods, { ...failing, status: { ...failing.status, phase: 'Failed' } });
    await cluster.settle();
    const recreated = (await podsOf(cluster, 'stateful-db')).find((p) => p.metadata.name === 'stateful-db-2')!;
    expect(recreated.metadata.uid).not.toBe(failing.metadata.uid);
    expect(recreated.status?.phase).toBe('Running');
    const recreating = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'RecreatingFailedPod');
    expect(recreating.map((e) => [e.type, e.message])).toEqual([['Warning', 'StatefulSet default/stateful-db is recreating failed Pod stateful-db-2']]);

    const t = cluster.now();
    await scale(cluster, 'stateful-db', 0);
    await cluster.settle();
    expect(await podsOf(cluster, 'stateful-db')).toEqual([]);
    const r = replay(cluster, 'stateful-db', t);
    expect(r.deleting).toEqual(['stateful-db-2', 'stateful-db-1', 'stateful-db-0']);
    // One at a time: each deletion began only after the higher pod was gone.
    const trace = cluster.trace().filter((e) => e.t >= t && e.object.kind === 'Pod');
    const gone = (name: string): number => trace.find((e) => e.type === 'DELETED' && e.object.metadata.name === name)!.t;
    const began = (name: string): number => trace.find((e) => e.type === 'MODIFIED' && e.object.metadata.name === name && e.object.metadata.deletionTimestamp !== undefined)!.t;
    expect(began('stateful-db-1')).toBeGreaterThanOrEqual(gone('stateful-db-2'));
    expect(began('stateful-db-0')).toBeGreaterThanOrEqual(gone('stateful-db-1'));
    const deletes = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'SuccessfulDelete' && e.involvedObject.name === 'stateful-db');
    expect(deletes.map((e) => e.message)).toContain('delete Pod stateful-db-2 in StatefulSet stateful-db successful');
    await cluster.stop();
  });
});

function statefulSet(name: string, spec: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } },
      ...spec,
    },
  };
}

describe('StatefulSet policies and updates', () => {
  it('Parallel creates every pod at once, before any is Ready; ordinals start at spec.ordinals.start', async () => {
    const cluster = await newCluster(3);
    await cluster.apply([statefulSet('web', { podManagementPolicy: 'Parallel', ordinals: { start: 5 } })]);
    await cluster.settle();
    const pods = await podsOf(cluster, 'web');
    expect(pods.map((p) => p.metadata.name)).toEqual(['web-5', 'web-6', 'web-7']);
    expect(pods[0]!.spec.subdomain).toBe('web');
    const r = replay(cluster, 'web');
    expect(r.added.length).toBe(3);
    const trace = cluster.trace().filter((e) => e.object.kind === 'Pod');
    const lastAdd = Math.max(...trace.filter((e) => e.type === 'ADDED').map((e) => e.t));
    const firstReady = Math.min(...trace.filter((e) => (e.object as Pod).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((e) => e.t));
    expect(lastAdd).toBeLessThan(firstReady);
    await checkInvariants(cluster);
    await cluster.stop();
  });

  it('RollingUpdate with maxUnavailable 2 replaces two pods at a time from the top; without it, one (upstream MaxUnavailableStatefulSet)', async () => {
    const starts = async (rollingUpdate: Record<string, unknown>): Promise<{ name: string; t: number }[]> => {
      const cluster = await newCluster(5);
      await cluster.apply([statefulSet('web', { replicas: 5, updateStrategy: { type: 'RollingUpdate', rollingUpdate } })]);
      await cluster.settle();
      const since = cluster.now();
      await cluster.server.patch(StatefulSets, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } } } });
      await cluster.settle();
      expect((await podsOf(cluster, 'web')).map((p) => p.spec.containers[0]!.image)).toEqual(Array(5).fill('nginx:1.26'));
      const set = await cluster.get(StatefulSets, { namespace: 'default', name: 'web' });
      expect(set.status.currentRevision).toBe(set.status.updateRevision);
      const seen = new Map<string, boolean>();
      const out: { name: string; t: number }[] = [];
      for (const e of cluster.trace()) {
        if (e.object.kind !== 'Pod') continue;
        const key = `${e.object.metadata.name ?? ''}/${e.object.metadata.uid ?? ''}`;
        const deleting = e.object.metadata.deletionTimestamp !== undefined;
        if (e.t >= since && deleting && seen.get(key) !== true) out.push({ name: e.object.metadata.name ?? '', t: e.t });
        seen.set(key, deleting);
      }
      await checkInvariants(cluster);
      await cluster.stop();
      return out;
    };
    const two = await starts({ partition: 0, maxUnavailable: 2 });
    expect(two.map((d) => d.name)).toEqual(['web-4', 'web-3', 'web-2', 'web-1', 'web-0']);
    expect(two[0]!.t).toBe(two[1]!.t);
    const one = await starts({ partition: 0 });
    expect(one.map((d) => d.name)).toEqual(['web-4', 'web-3', 'web-2', 'web-1', 'web-0']);
    expect(one[0]!.t).toBeLessThan(one[1]!.t);
  });

  it('RollingUpdate replaces pods from the highest ordinal down, stopping at the partition, then completes', async () => {
    const cluster = await newCluster(4);
    await cluster.apply([statefulSet('web', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } })]);
    await cluster.settle();
    const oldHash = (await podsOf(cluster, 'web'))[0]!.metadata.labels?.['controller-revision-hash'];
    const t = cluster.now();
    await cluster.server.patch(StatefulSets, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } } } });
    await cluster.settle();
    let pods = await podsOf(cluster, 'web');
    expect(pods.map((p) => p.spec.containers[0]!.image)).toEqual(['nginx:1.25', 'nginx:1.26', 'nginx:1.26']);
    expect(replay(cluster, 'web', t).deleting).toEqual(['web-2', 'web-1']);
    let set = await cluster.get(StatefulSets, { namespace: 'default', name: 'web' });
    expect(set.status).toMatchObject({ currentReplicas: 1, updatedReplicas: 2, currentRevision: oldHash });
    expect(set.status.updateRevision).not.toBe(oldHash);
    // A pod below the partition deleted comes back at the current revision.
    await cluster.server.delete(Pods, { namespace: 'default', name: 'web-0' });
    await cluster.settle();
    expect((await podsOf(cluster, 'web'))[0]!.spec.containers[0]!.image).toBe('nginx:1.25');

    await cluster.server.patch(StatefulSets, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } } });
    await cluster.settle();
    pods = await podsOf(cluster, 'web');
    expect(pods.map((p) => p.spec.containers[0]!.image)).toEqual(['nginx:1.26', 'nginx:1.26', 'nginx:1.26']);
    set = await cluster.get(StatefulSets, { namespace: 'default', name: 'web' });
    expect(set.status.currentRevision).toBe(set.status.updateRevision);
    expect(set.status).toMatchObject({ currentReplicas: 3, updatedReplicas: 3, readyReplicas: 3 });
    await checkInvariants(cluster);
    await cluster.stop();
  });

  it('OnDelete leaves pods alone until they are deleted', async () => {
    const cluster = await newCluster(5);
    await cluster.apply([statefulSet('web', { replicas: 2, updateStrategy: { type: 'OnDelete' } })]);
    await cluster.settle();
    await cluster.server.patch(StatefulSets, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } } } });
    await cluster.settle();
    expect((await podsOf(cluster, 'web')).map((p) => p.spec.containers[0]!.image)).toEqual(['nginx:1.25', 'nginx:1.25']);
    await cluster.server.delete(Pods, { namespace: 'default', name: 'web-1' });
    await cluster.settle();
    expect((await podsOf(cluster, 'web')).map((p) => p.spec.containers[0]!.image)).toEqual(['nginx:1.25', 'nginx:1.26']);
    await cluster.stop();
  });

  it('creates the claim <template>-<set>-<ordinal> before its pod and mounts it; the pod waits for the claim to be Bound', async () => {
    const cluster = await SimCluster.create({ seed: 6, nodes: 2, controllerManager: { plugins: DEFAULT_CONTROLLER_PLUGINS.filter((p) => p.name !== PERSISTENT_VOLUME_PLUGIN_NAME) } });
    await cluster.apply(walkthrough('statefulset-stateful-pvc.yaml'), 'statefulset-stateful-pvc.yaml');
    await cluster.settle();
    const claim = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-0' });
    expect(claim.metadata.labels).toEqual({ type: 'db2' });
    expect(claim.metadata.ownerReferences).toBeUndefined();
    const pod = (await podsOf(cluster, 'stateful-pvc'))[0]!;
    expect(pod.spec.volumes?.find((v) => v.name === 'volume')?.persistentVolumeClaim?.claimName).toBe('volume-stateful-pvc-0');
    expect(pod.spec.subdomain).toBe('stateful-headless');
    const created = cluster.trace().filter((e) => e.type === 'ADDED' && (e.object.kind === 'Pod' || e.object.kind === 'PersistentVolumeClaim'));
    expect(created.map((e) => e.object.kind)).toEqual(['PersistentVolumeClaim', 'Pod']);
    // No binder in this cluster: the claim stays Pending and so does the pod.
    expect(pod.status?.phase).toBe('Pending');
    const ev = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'stateful-pvc').map((e) => e.message);
    expect(ev).toContain('create Claim volume-stateful-pvc-0 Pod stateful-pvc-0 in StatefulSet stateful-pvc success');
    await cluster.stop();
  });
});

/** The seed's claims name StorageClass `fast`; the walkthrough's cluster defines it. */
const FAST = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'kubeloop.dev/hostpath' };

describe('StatefulSet walkthrough: stateful-pvc (with the volume binder)', () => {
  it('gives each pod its own bound claim, gives a recreated pod its claim back, and keeps the claims when scaling down', async () => {
    const cluster = await newCluster(7);
    await cluster.apply([FAST]);
    await cluster.apply(walkthrough('statefulset-stateful-pvc.yaml'), 'statefulset-stateful-pvc.yaml');
    await scale(cluster, 'stateful-pvc', 3);
    await cluster.settle();
    const pods = await podsOf(cluster, 'stateful-pvc');
    expect(pods.map((p) => [p.metadata.name, p.status?.phase])).toEqual([
      ['stateful-pvc-0', 'Running'],
      ['stateful-pvc-1', 'Running'],
      ['stateful-pvc-2', 'Running'],
    ]);
    const claims = (await cluster.list(PersistentVolumeClaims, { namespace: 'default' })).items;
    expect(claims.map((c) => [c.metadata.name, c.status.phase, c.spec.storageClassName])).toEqual([
      ['volume-stateful-pvc-0', 'Bound', 'fast'],
      ['volume-stateful-pvc-1', 'Bound', 'fast'],
      ['volume-stateful-pvc-2', 'Bound', 'fast'],
    ]);
    for (const p of pods) {
      const ordinal = (p.metadata.name ?? '').split('-').pop();
      expect(p.spec.volumes?.find((v) => v.name === 'volume')?.persistentVolumeClaim?.claimName).toBe(`volume-stateful-pvc-${ordinal}`);
    }
    const volumes = (await cluster.list(PersistentVolumes)).items;
    expect(volumes.length).toBe(3);
    expect(volumes.every((v) => v.status.phase === 'Bound')).toBe(true);
    expect(bindingIsMutual({ volumes, claims })).toEqual([]);
    const claim1 = claims[1]!;

    await cluster.server.delete(Pods, { namespace: 'default', name: 'stateful-pvc-1' });
    await cluster.settle();
    const back = (await podsOf(cluster, 'stateful-pvc')).find((p) => p.metadata.name === 'stateful-pvc-1')!;
    expect(back.status?.phase).toBe('Running');
    expect(back.spec.volumes?.find((v) => v.name === 'volume')?.persistentVolumeClaim?.claimName).toBe('volume-stateful-pvc-1');
    expect((await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-1' })).metadata.uid).toBe(claim1.metadata.uid);

    await scale(cluster, 'stateful-pvc', 1);
    await cluster.settle();
    expect((await podsOf(cluster, 'stateful-pvc')).map((p) => p.metadata.name)).toEqual(['stateful-pvc-0']);
    const kept = (await cluster.list(PersistentVolumeClaims, { namespace: 'default' })).items;
    expect(kept.map((c) => [c.metadata.name, c.status.phase])).toEqual([
      ['volume-stateful-pvc-0', 'Bound'],
      ['volume-stateful-pvc-1', 'Bound'],
      ['volume-stateful-pvc-2', 'Bound'],
    ]);
    // Scaling back up finds the old claim again.
    await scale(cluster, 'stateful-pvc', 2);
    await cluster.settle();
    const again = (await podsOf(cluster, 'stateful-pvc')).find((p) => p.metadata.name === 'stateful-pvc-1')!;
    expect(again.status?.phase).toBe('Running');
    expect((await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-1' })).metadata.uid).toBe(claim1.metadata.uid);
    await checkInvariants(cluster);
    await cluster.stop();
  });

  it('persistentVolumeClaimRetentionPolicy Delete: a scale-down deletes the removed pod’s claim, deleting the set deletes the rest', async () => {
    const cluster = await newCluster(8);
    await cluster.apply([FAST]);
    const doc = walkthrough('statefulset-stateful-pvc.yaml').replace('spec:\n  replicas: 1', 'spec:\n  replicas: 2\n  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Delete\n    whenScaled: Delete');
    await cluster.apply(doc, 'statefulset-stateful-pvc.yaml');
    await cluster.settle();
    const names = async () => (await cluster.list(PersistentVolumeClaims, { namespace: 'default' })).items.map((c) => c.metadata.name);
    expect(await names()).toEqual(['volume-stateful-pvc-0', 'volume-stateful-pvc-1']);
    const set = await cluster.get(StatefulSets, { namespace: 'default', name: 'stateful-pvc' });
    const claim0 = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-0' });
    expect(claim0.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'stateful-pvc', uid: set.metadata.uid }]);
    await scale(cluster, 'stateful-pvc', 1);
    await cluster.settle();
    expect(await names()).toEqual(['volume-stateful-pvc-0']);
    await cluster.server.delete(StatefulSets, { namespace: 'default', name: 'stateful-pvc' });
    await cluster.settle();
    expect(await names()).toEqual([]);
    await cluster.stop();
  });
  it('a Pending pod whose claim was deleted gets it again (upstream processReplica creates the missing claims of a Pending pod)', async () => {
    const cluster = await newCluster(10);
    await cluster.apply([FAST]);
    const doc = walkthrough('statefulset-stateful-pvc.yaml').replace('spec:\n  replicas: 1', 'spec:\n  replicas: 1\n  podManagementPolicy: Parallel');
    await cluster.apply(doc, 'statefulset-stateful-pvc.yaml');
    await cluster.settle();
    expect((await cluster.get(Pods, { namespace: 'default', name: 'stateful-pvc-0' })).status?.phase).toBe('Running');
    // A template no node can take: the rolling update replaces the pod with one that stays Pending.
    await cluster.server.patch(StatefulSets, { namespace: 'default', name: 'stateful-pvc' }, { type: 'merge', body: { spec: { template: { spec: { nodeSelector: { nowhere: 'true' } } } } } });
    await cluster.settle();
    expect((await cluster.get(Pods, { namespace: 'default', name: 'stateful-pvc-0' })).status?.phase).toBe('Pending');
    const before = (await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-0' })).metadata.uid;
    // Unscheduled, the pod does not hold the claim (PVC protection lets it go).
    await cluster.server.delete(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-0' });
    await cluster.settle();
    const again = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-0' });
    expect(again.metadata.uid).not.toBe(before);
    expect(again.status.phase).toBe('Bound');
    await cluster.stop();
  });

  it('Parallel, whenScaled Delete, scaled down and straight back up: the pod comes back with a fresh claim of its own', async () => {
    const cluster = await newCluster(9);
    await cluster.apply([FAST]);
    const doc = walkthrough('statefulset-stateful-pvc.yaml').replace('spec:\n  replicas: 1', 'spec:\n  replicas: 2\n  podManagementPolicy: Parallel\n  persistentVolumeClaimRetentionPolicy:\n    whenScaled: Delete');
    await cluster.apply(doc, 'statefulset-stateful-pvc.yaml');
    await cluster.settle();
    const uid1 = (await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-1' })).metadata.uid;
    await scale(cluster, 'stateful-pvc', 1);
    await cluster.advance(1);
    await scale(cluster, 'stateful-pvc', 2);
    await cluster.settle();
    const pods = await podsOf(cluster, 'stateful-pvc');
    expect(pods.map((p) => [p.metadata.name, p.status?.phase])).toEqual([
      ['stateful-pvc-0', 'Running'],
      ['stateful-pvc-1', 'Running'],
    ]);
    const claim1 = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'volume-stateful-pvc-1' });
    expect(claim1.metadata.uid).not.toBe(uid1);
    expect(claim1.status.phase).toBe('Bound');
    await checkInvariants(cluster);
    await cluster.stop();
  });
});
