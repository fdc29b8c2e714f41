/**
 * The DaemonSet controller end to end on a SimCluster (upstream `pkg/controller/daemon`): one
 * pod per eligible node, node changes, the walkthrough manifests, updates and history.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ControllerRevisions, DaemonSets, Events, Nodes, Pods } from '@kubeloop/core';
import type { DaemonSet, Node, Pod } from '@kubeloop/core';
import { SimCluster, type NodeSpec } from '@kubeloop/testing';
import { daemonSetPlugin } from '@kubeloop/controllers';
import { CONTROLLER_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL, TEMPLATE_GENERATION_ANNOTATION, targetNodeName } from '@kubeloop/controllers';
import { daemonSetStatusMatches, oneDaemonPodPerEligibleNode } from '@kubeloop/controllers';
import { templateHash } from '@kubeloop/controllers';
import { daemonSetManifest } from './fixtures.js';

const WALKTHROUGHS = fileURLToPath(new URL('../../../../examples/walkthroughs/', import.meta.url));
const walkthrough = (file: string): string => readFileSync(`${WALKTHROUGHS}${file}`, 'utf8');

/** The ConfigMap the pi-proxy pods mount (kept beside the walkthrough upstream; not among our files). */
const PI_PROXY_CONFIGMAP = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'pi-proxy-configmap', namespace: 'default' },
  data: { 'nginx.conf': 'events {}\nhttp { server { listen 80; location / { proxy_pass http://pi-web; } } }\n' },
};

const daemonSet = (name: string, extra: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): object => daemonSetManifest(name, 'nginx:1.25', podSpec, extra);

async function dsPods(cluster: SimCluster, name = 'pi-proxy'): Promise<Pod[]> {
  const ds = await cluster.get(DaemonSets, { namespace: 'default', name });
  return (await cluster.list(Pods, { namespace: 'default' })).items.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === ds.metadata.uid) && p.metadata.deletionTimestamp === undefined);
}

const nodesOf = (pods: readonly Pod[]): string[] => pods.map((p) => targetNodeName(p) ?? '?').sort();

async function state(cluster: SimCluster) {
  return {
    daemonSets: (await cluster.list(DaemonSets)).items,
    nodes: (await cluster.list(Nodes)).items,
    pods: (await cluster.list(Pods)).items,
  };
}

async function currentHash(cluster: SimCluster, ds: DaemonSet): Promise<string> {
  const revs = (await cluster.list(ControllerRevisions, { namespace: 'default' })).items.filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === ds.metadata.uid));
  revs.sort((a, b) => b.revision - a.revision);
  return revs[0]?.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

async function checkInvariants(cluster: SimCluster): Promise<void> {
  const s = await state(cluster);
  expect(oneDaemonPodPerEligibleNode(s)).toEqual([]);
  const hashes = new Map<string, string>();
  for (const ds of s.daemonSets) hashes.set(ds.metadata.uid ?? '', await currentHash(cluster, ds));
  expect(daemonSetStatusMatches(s, (ds) => hashes.get(ds.metadata.uid ?? '') ?? '', cluster.clock.now())).toEqual([]);
}

async function labelNode(cluster: SimCluster, name: string, labels: Record<string, string | null>): Promise<void> {
  await cluster.server.patch(Nodes, { name }, { type: 'merge', body: { metadata: { labels } } });
  await cluster.clock.flush();
}

async function newCluster(nodes: number | NodeSpec[], seed = 1): Promise<SimCluster> {
  return SimCluster.create({ seed, nodes, controllerManager: { plugins: [daemonSetPlugin()] } });
}

describe('DaemonSet deletion expectations', () => {
  it('counts a pod marked for deletion as deleted (upstream updatePod), so a pod its dead node never finishes does not hold up the next node', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: [{ name: 'node-1', labels: { ds: 'yes' } }, { name: 'node-2' }], controllerManager: { plugins: [daemonSetPlugin()] } });
    await cluster.apply(daemonSet('agent', {}, { nodeSelector: { ds: 'yes' } }));
    await cluster.settle();
    expect(nodesOf(await dsPods(cluster, 'agent'))).toEqual(['node-1']);
    // node-1's kubelet dies: the pod deleted there stays Terminating.
    cluster.stopNode('node-1');
    await cluster.server.patch(Nodes, { name: 'node-1' }, { type: 'merge', body: { metadata: { labels: { ds: null } } } });
    await cluster.advance(1000);
    await cluster.server.patch(Nodes, { name: 'node-2' }, { type: 'merge', body: { metadata: { labels: { ds: 'yes' } } } });
    await cluster.advance(5000);
    // Not five minutes later, when the expectations would expire: now.
    expect(nodesOf(await dsPods(cluster, 'agent'))).toEqual(['node-2']);
    const terminating = (await cluster.list(Pods)).items.filter((p) => p.spec.nodeName === 'node-1');
    expect(terminating.map((p) => p.metadata.deletionTimestamp === undefined)).toEqual([false]);
    await cluster.stop();
  });
});

describe('DaemonSet controller on a SimCluster', () => {
  it('walkthrough 5: daemonset-pi-proxy.yaml runs one Running pod per node, pinned by node affinity and bound by the scheduler', async () => {
    const cluster = await newCluster(3);
    await cluster.apply([PI_PROXY_CONFIGMAP]);
    await cluster.apply(walkthrough('daemonset-pi-proxy.yaml'), 'daemonset-pi-proxy.yaml');
    await cluster.settle();
    const pods = await dsPods(cluster);
    expect(nodesOf(pods)).toEqual(['node-1', 'node-2', 'node-3']);
    for (const p of pods) {
      expect(p.spec.nodeName).toBe(targetNodeName(p));
      expect(p.status.phase).toBe('Running');
      expect(p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] }]);
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'pi-proxy', controller: true, blockOwnerDeletion: true });
      expect(p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).toMatch(/^[a-z0-9]+$/);
      expect(p.metadata.labels?.[POD_TEMPLATE_GENERATION_LABEL]).toBe('1');
      expect(p.spec.tolerations?.map((t) => `${t.key}:${t.effect}`)).toEqual(expect.arrayContaining(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unschedulable:NoSchedule']));
    }
    const ds = await cluster.get(DaemonSets, { namespace: 'default', name: 'pi-proxy' });
    expect(ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('1');
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberAvailable: 3, numberUnavailable: 0, updatedNumberScheduled: 3, numberMisscheduled: 0, observedGeneration: 1 });
    await checkInvariants(cluster);
    await cluster.stop();
  });

  it('walkthrough 5: daemonset-pi-proxy-nodeselector.yaml runs on the 2 nodes labelled kiamol=ch06; labelling the third adds one, unlabelling one removes its pod', async () => {
    const cluster = await newCluster([
      { name: 'node-1', labels: { kiamol: 'ch06' } },
      { name: 'node-2', labels: { kiamol: 'ch06' } },
      { name: 'node-3' },
    ]);
    await cluster.apply([PI_PROXY_CONFIGMAP]);
    await cluster.apply(walkthrough('daemonset-pi-proxy-nodeselector.yaml'), 'daemonset-pi-proxy-nodeselector.yaml');
    await cluster.settle();
    expect(nodesOf(await dsPods(cluster))).toEqual(['node-1', 'node-2']);
    expect((await cluster.get(DaemonSets, { namespace: 'default', name: 'pi-proxy' })).status.desiredNumberScheduled).toBe(2);

    await labelNode(cluster, 'node-3', { kiamol: 'ch06' });
    await cluster.settle();
    expect(nodesOf(await dsPods(cluster))).toEqual(['node-1', 'node-2', 'node-3']);

    await labelNode(cluster, 'node-1', { kiamol: null });
    await cluster.settle();
    expect(nodesOf(await dsPods(cluster))).toEqual(['node-2', 'node-3']);
    const ds = await cluster.get(DaemonSets, { namespace: 'default', name: 'pi-proxy' });
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0, numberReady: 2 });
    await checkInvariants(cluster);
    await cluster.stop();
  });

  it('places pods by taints: an untolerated NoSchedule taint gets none, a cordoned node gets one (daemon toleration), a tolerated taint gets one; a NoExecute taint added later removes the pod', async () => {
    const cluster = await newCluster([
      { name: 'node-1', taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
      { name: 'node-2', taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }] },
      { name: 'node-3', taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }] },
      { name: 'node-4' },
    ]);
    await cluster.server.patch(Nodes, { name: 'node-4' }, { type: 'merge', body: { spec: { unschedulable: true } } });
    await cluster.apply(daemonSet('agent', {}, { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] }));
    await cluster.settle();
    expect(nodesOf(await dsPods(cluster, 'agent'))).toEqual(['node-2', 'node-3', 'node-4']);
    await checkInvariants(cluster);

    // A NoSchedule taint added while the pod runs: it stays (shouldContinueRunning), no new one.
    await cluster.server.patch(Nodes, { name: 'node-2' }, { type: 'merge', body: { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } } });
    await cluster.settle();
    expect(nodesOf(await dsPods(cluster, 'agent'))).toEqual(['node-2', 'node-3', 'node-4']);
    expect((await cluster.get(DaemonSets, { namespace: 'default', name: 'agent' })).status).toMatchObject({ desiredNumberScheduled: 2, numberMisscheduled: 1 });

    // An untolerated NoExecute taint: the daemon pod must go.
    await cluster.server.patch(Nodes, { name: 'node-3' }, { type: 'merge', body: { spec: { taints: [{ key: 'evict', effect: 'NoExecute' }] } } });
    await cluster.settle();
    expect(nodesOf(await dsPods(cluster, 'agent'))).toEqual(['node-2', 'node-4']);
    await checkInvariants(cluster);
    await cluster.stop();
  });

  it('places a daemon pod on a Node object with no kubelet: created for it and bound by the scheduler, though it never runs', async () => {
    const cluster = await newCluster(1);
    await cluster.apply(daemonSet('agent'));
    await cluster.settle();
    const bare: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'bare-1', labels: { 'kubernetes.io/hostname': 'bare-1' } }, spec: {}, status: { allocatable: { cpu: '4', memory: '16Gi', pods: '110' }, capacity: { cpu: '4', memory: '16Gi', pods: '110' } } } as unknown as Node;
    // Status is not written on create (a subresource): set capacity as a kubelet would.
    const created = await cluster.server.create(Nodes, bare);
    await cluster.server.updateStatus(Nodes, { ...created, status: bare.status });
    await cluster.advance(5_000);
    const pods = await dsPods(cluster, 'agent');
    expect(nodesOf(pods)).toEqual(['bare-1', 'node-1']);
    const p = pods.find((x) => targetNodeName(x) === 'bare-1');
    expect(p?.spec.nodeName).toBe('bare-1');
    await checkInvariants(cluster);
    await cluster.stop();
  });

  it('deletes a failed daemon pod and creates a new one, backing off per node (FailedDaemonPod events)', async () => {
    const cluster = await newCluster(1);
    await cluster.apply(daemonSet('agent'));
    await cluster.settle();
    const fail = async (): Promise<string> => {
      const [pod] = await dsPods(cluster, 'agent');
      await cluster.server.updateStatus(Pods, { ...pod!, status: { ...pod!.status, phase: 'Failed' } });
      await cluster.clock.flush();
      return pod!.metadata.name ?? '';
    };
    const first = await fail();
    await cluster.advance(2_000);
    const [second] = await dsPods(cluster, 'agent');
    expect(second?.metadata.name).not.toBe(first);
    await cluster.settle();
    await fail();
    await cluster.settle();
    const events = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'FailedDaemonPod');
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events[0]?.message).toMatch(/^Found failed daemon pod default\/agent-\S+ on node node-1, will try to kill it$/);
    expect(events[0]?.source?.component).toBe('daemonset-controller');
    expect((await dsPods(cluster, 'agent')).length).toBe(1);
    await checkInvariants(cluster);
    await cluster.stop();
  });

  it('adopts an orphan pod matching its selector on a node instead of creating a second one (upstream ClaimPods); with OnDelete it stays, though it lacks the revision hash', async () => {
    const cluster = await newCluster(2);
    await cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'default', labels: { app: 'agent' } }, spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'nginx:1.25' }] } });
    await cluster.settle();
    await cluster.apply(daemonSet('agent', { updateStrategy: { type: 'OnDelete' } }));
    await cluster.settle();
    const pods = await dsPods(cluster, 'agent');
    expect(nodesOf(pods)).toEqual(['node-1', 'node-2']);
    expect((await cluster.get(DaemonSets, { namespace: 'default', name: 'agent' })).status).toMatchObject({ currentNumberScheduled: 2, updatedNumberScheduled: 1 });
    expect(pods.find((p) => p.spec.nodeName === 'node-1')?.metadata.name).toBe('orphan');
    await cluster.stop();
  });

  it('deletes an unready pod it adopts on a node that must not run one once, and acts on the next node change at once (found by a deep run)', async () => {
    // The sync's rolling update used the pod list read before `manage` deleted the orphan, and
    // deleted it a second time; that deletion was never observed, so the DaemonSet's
    // expectations held for five minutes and it did nothing meanwhile. Upstream's rolling
    // update reads the pods again.
    const cluster = await newCluster(2);
    await labelNode(cluster, 'node-2', { ds: 'yes' });
    await cluster.apply(daemonSet('agent', {}, { nodeSelector: { ds: 'yes' } }));
    await cluster.settle();
    // Never Ready, so the rolling update counts it as an old pod to replace at once; adopted,
    // then deleted by `manage` (node-1 must not run one), in a sync that creates nothing.
    const orphan = { name: 'orphan', namespace: 'default', labels: { app: 'agent' }, annotations: { 'kubeloop.dev/behavior': 'not-ready-for=10h' } };
    await cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: orphan, spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'nginx:1.25' }] } });
    await cluster.advance(1_000);
    expect(nodesOf(await dsPods(cluster, 'agent'))).toEqual(['node-2']);
    await labelNode(cluster, 'node-1', { ds: 'yes' });
    await cluster.advance(10_000);
    expect(nodesOf(await dsPods(cluster, 'agent'))).toEqual(['node-1', 'node-2']);
    await checkInvariants(cluster);
    await cluster.stop();
  });

  describe('updates and history', () => {
    const setImage = async (cluster: SimCluster, name: string, image: string): Promise<void> => {
      const ds = await cluster.get(DaemonSets, { namespace: 'default', name });
      const template = ds.spec.template;
      await cluster.server.update(DaemonSets, { ...ds, spec: { ...ds.spec, template: { ...template, spec: { ...template.spec, containers: [{ ...template.spec.containers[0]!, image }] } } } });
      await cluster.clock.flush();
    };
    const images = async (cluster: SimCluster, name: string): Promise<string[]> => (await dsPods(cluster, name)).map((p) => p.spec.containers[0]?.image ?? '').sort();
    const revisions = async (cluster: SimCluster) =>
      (await cluster.list(ControllerRevisions, { namespace: 'default' })).items
        .map((r) => ({ name: r.metadata.name, revision: r.revision, hash: r.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL], image: ((r.data as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0]?.image) }))
        .sort((a, b) => a.revision - b.revision);

    it('RollingUpdate with maxUnavailable 2 replaces pods two nodes at a time, never more than 2 unavailable (upstream rollingUpdate without surge)', async () => {
      const cluster = await newCluster(5);
      await cluster.apply(daemonSet('agent', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }));
      await cluster.settle();
      await setImage(cluster, 'agent', 'nginx:1.27');
      let maxUnavailableSeen = 0;
      for (let i = 0; i < 120; i++) {
        await cluster.advance(1_000);
        const pods = await dsPods(cluster, 'agent');
        const readyOnNode = new Set(pods.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.spec.nodeName));
        maxUnavailableSeen = Math.max(maxUnavailableSeen, 5 - readyOnNode.size);
      }
      await cluster.settle();
      expect(maxUnavailableSeen).toBeGreaterThan(0);
      expect(maxUnavailableSeen).toBeLessThanOrEqual(2);
      expect(await images(cluster, 'agent')).toEqual(Array(5).fill('nginx:1.27'));
      const ds = await cluster.get(DaemonSets, { namespace: 'default', name: 'agent' });
      expect(ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('2');
      expect((await dsPods(cluster, 'agent')).every((p) => p.metadata.labels?.[POD_TEMPLATE_GENERATION_LABEL] === '2')).toBe(true);
      expect(ds.status).toMatchObject({ updatedNumberScheduled: 5, numberAvailable: 5, observedGeneration: 2 });
      const revs = await revisions(cluster);
      expect(revs.map((r) => [r.revision, r.image])).toEqual([[1, 'nginx:1.25'], [2, 'nginx:1.27']]);
      for (const r of revs) expect(r.name).toBe(`agent-${r.hash}`);
      await checkInvariants(cluster);
      await cluster.stop();
    });

    it('RollingUpdate with maxSurge 1 and maxUnavailable 0 starts the new pod before deleting the old one, one node at a time', async () => {
      const cluster = await newCluster(3);
      await cluster.apply(daemonSet('agent', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
      await cluster.settle();
      await setImage(cluster, 'agent', 'nginx:1.27');
      let maxPods = 0;
      let minReady = 3;
      for (let i = 0; i < 120; i++) {
        await cluster.advance(1_000);
        const pods = await dsPods(cluster, 'agent');
        maxPods = Math.max(maxPods, pods.length);
        const readyOnNode = new Set(pods.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.spec.nodeName));
        minReady = Math.min(minReady, readyOnNode.size);
      }
      await cluster.settle();
      expect(maxPods).toBe(4);
      expect(minReady).toBe(3);
      expect(await images(cluster, 'agent')).toEqual(Array(3).fill('nginx:1.27'));
      await checkInvariants(cluster);
      await cluster.stop();
    });

    it('RollingUpdate with maxSurge 1 and minReadySeconds 5 completes: the DaemonSet is synced again when a surged pod becomes available (upstream updatePod enqueues it minReadySeconds after the pod turns ready)', async () => {
      // The controller used to requeue only while a node's oldest pod waited out
      // minReadySeconds; a surged pod is the newer one on its node, so the rollout stopped for
      // good after the first node (found by the property suite's surge rollouts).
      const cluster = await newCluster(3);
      await cluster.apply(daemonSet('agent', { minReadySeconds: 5, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
      await cluster.settle();
      await setImage(cluster, 'agent', 'nginx:1.27');
      await cluster.settle();
      expect(await images(cluster, 'agent')).toEqual(Array(3).fill('nginx:1.27'));
      const ds = await cluster.get(DaemonSets, { namespace: 'default', name: 'agent' });
      expect(ds.status).toMatchObject({ updatedNumberScheduled: 3, numberAvailable: 3 });
      await checkInvariants(cluster);
      await cluster.stop();
    });

    it('OnDelete leaves old pods alone until they are deleted; a deleted one comes back on the new template', async () => {
      const cluster = await newCluster(2);
      await cluster.apply(daemonSet('agent', { updateStrategy: { type: 'OnDelete' } }));
      await cluster.settle();
      await setImage(cluster, 'agent', 'nginx:1.27');
      await cluster.settle();
      expect(await images(cluster, 'agent')).toEqual(['nginx:1.25', 'nginx:1.25']);
      expect((await cluster.get(DaemonSets, { namespace: 'default', name: 'agent' })).status.updatedNumberScheduled).toBe(0);
      const victim = (await dsPods(cluster, 'agent')).find((p) => p.spec.nodeName === 'node-1')!;
      await cluster.delete(Pods, { namespace: 'default', name: victim.metadata.name ?? '' });
      await cluster.settle();
      const pods = await dsPods(cluster, 'agent');
      expect(pods.map((p) => `${p.spec.nodeName}=${p.spec.containers[0]?.image}`).sort()).toEqual(['node-1=nginx:1.27', 'node-2=nginx:1.25']);
      expect((await cluster.get(DaemonSets, { namespace: 'default', name: 'agent' })).status.updatedNumberScheduled).toBe(1);
      await checkInvariants(cluster);
      await cluster.stop();
    });

    it('history: going back to an earlier template reuses its revision, renumbered (no duplicate); history is trimmed to revisionHistoryLimit', async () => {
      const cluster = await newCluster(1);
      await cluster.apply(daemonSet('agent', { revisionHistoryLimit: 1 }));
      await cluster.settle();
      await setImage(cluster, 'agent', 'nginx:1.26');
      await cluster.settle();
      await setImage(cluster, 'agent', 'nginx:1.25');
      await cluster.settle();
      let revs = await revisions(cluster);
      expect(revs.map((r) => [r.revision, r.image])).toEqual([[2, 'nginx:1.26'], [3, 'nginx:1.25']]);
      await setImage(cluster, 'agent', 'nginx:1.27');
      await cluster.settle();
      await setImage(cluster, 'agent', 'nginx:1.28');
      await cluster.settle();
      revs = await revisions(cluster);
      // limit 1: the current revision and one old one
      expect(revs.map((r) => [r.revision, r.image])).toEqual([[4, 'nginx:1.27'], [5, 'nginx:1.28']]);
      const cur = (await cluster.list(ControllerRevisions, { namespace: 'default' })).items.find((r) => r.revision === 5)!;
      expect(cur.data).toMatchObject({ spec: { template: { $patch: 'replace', metadata: { labels: { app: 'agent' } } } } });
      expect(cur.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'agent', controller: true });
      expect(await images(cluster, 'agent')).toEqual(['nginx:1.28']);
      await checkInvariants(cluster);
      await cluster.stop();
    });

    it('a revision name taken by another template (hash collision) bumps status.collisionCount and the revision gets a new name (upstream snapshot)', async () => {
      const cluster = await newCluster(1);
      const manifest = daemonSet('agent');
      // The DaemonSet as the API server would store it (defaults applied), to know its hash.
      const stored = (await cluster.server.create(DaemonSets, manifest as DaemonSet, { dryRun: true })) as DaemonSet;
      const takenName = `agent-${templateHash(stored)}`;
      await cluster.server.create(ControllerRevisions, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: takenName, namespace: 'default', labels: { other: 'thing' } }, data: { something: 'else' }, revision: 1 });
      await cluster.apply(manifest);
      await cluster.settle();
      const ds = await cluster.get(DaemonSets, { namespace: 'default', name: 'agent' });
      expect(ds.status.collisionCount).toBe(1);
      const owned = (await cluster.list(ControllerRevisions, { namespace: 'default' })).items.filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === ds.metadata.uid));
      expect(owned).toHaveLength(1);
      expect(owned[0]?.metadata.name).toBe(`agent-${templateHash(ds)}`);
      expect(owned[0]?.metadata.name).not.toBe(takenName);
      expect(nodesOf(await dsPods(cluster, 'agent'))).toEqual(['node-1']);
      await checkInvariants(cluster);
      await cluster.stop();
    });
  });
});
