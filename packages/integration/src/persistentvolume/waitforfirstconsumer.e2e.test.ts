/**
 * `volumeBindingMode: WaitForFirstConsumer` end to end on a SimCluster (upstream
 * `pkg/controller/volume/persistentvolume` delayed binding with the scheduler's VolumeBinding
 * plugin): the claim waits for its first pod; the scheduler picks the node and annotates the
 * claim (`volume.kubernetes.io/selected-node`) or pre-binds a local volume; the volume made is
 * pinned to that node and later pods follow it. Also the kubelet's `Multi-Attach error`.
 */
import { describe, expect, it } from 'vitest';
import { Events, Nodes, PersistentVolumeClaims, PersistentVolumes, Pods } from '@kubeloop/core';
import type { Event, Pod } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { DEFAULT_BINDER, bindingIsMutual, defaultProfile, persistentVolumePlugin, podsFollowTheirVolumes, schedulerPlugin } from '@kubeloop/controllers';

const fast = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'fast' },
  provisioner: 'rancher.io/local-path',
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};
const local = { ...fast, metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner' };
const claim = (name: string, storageClassName: string, accessModes = ['ReadWriteOnce']) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default' },
  spec: { accessModes, resources: { requests: { storage: '1Gi' } }, storageClassName },
});
const pod = (name: string, claimName: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'app', image: 'nginx' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }], ...spec },
});
const localVolume = (name: string, host: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: {
    capacity: { storage: '5Gi' },
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'local',
    persistentVolumeReclaimPolicy: 'Retain',
    local: { path: `/mnt/disks/${name}` },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } },
  },
});

async function eventsOf(cluster: SimCluster, name: string): Promise<Event[]> {
  return (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name);
}

async function getPod(cluster: SimCluster, name: string): Promise<Pod> {
  return cluster.get(Pods, { namespace: 'default', name });
}

async function checkVolumes(cluster: SimCluster): Promise<void> {
  const claims = (await cluster.list(PersistentVolumeClaims)).items;
  const volumes = (await cluster.list(PersistentVolumes)).items;
  expect(bindingIsMutual({ volumes, claims })).toEqual([]);
  expect(podsFollowTheirVolumes({ pods: (await cluster.list(Pods)).items, nodes: (await cluster.list(Nodes)).items, claims, volumes })).toEqual([]);
}

describe('WaitForFirstConsumer', () => {
  it('keeps a claim Pending until a pod uses it, then provisions on the pod’s node a volume pinned there, and later pods follow it', async () => {
    const cluster = await SimCluster.create({ seed: 7, nodes: 3 });
    try {
      await cluster.apply([fast, claim('data', 'fast')]);
      await cluster.settle();
      let c = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
      expect(c.status.phase).toBe('Pending');
      expect((await cluster.list(PersistentVolumes)).items).toEqual([]);
      expect((await eventsOf(cluster, 'data')).map((e) => [e.type, e.reason, e.message])).toContainEqual(['Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding']);

      await cluster.apply(pod('first', 'data', { nodeSelector: { 'kubernetes.io/hostname': 'node-2' } }));
      await cluster.settle();
      c = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
      expect(c.metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe('node-2');
      expect(c.status.phase).toBe('Bound');
      const pv = await cluster.get(PersistentVolumes, { name: c.spec.volumeName ?? '' });
      expect(pv.metadata.name).toBe(`pvc-${c.metadata.uid ?? ''}`);
      expect(pv.spec.nodeAffinity?.required?.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-2'] }] }]);
      const first = await getPod(cluster, 'first');
      expect([first.spec.nodeName, first.status.phase]).toEqual(['node-2', 'Running']);
      // the PV existed and was bound before the pod was bound to the node (PreBind waited)
      const trace = cluster.trace();
      const bound = trace.findIndex((e) => e.object.kind === 'PersistentVolumeClaim' && (e.object as { status?: { phase?: string } }).status?.phase === 'Bound');
      const scheduled = trace.findIndex((e) => e.object.kind === 'Pod' && e.object.metadata.name === 'first' && (e.object as Pod).spec.nodeName === 'node-2');
      expect(bound).toBeGreaterThanOrEqual(0);
      expect(bound).toBeLessThan(scheduled);

      // A second pod without a node selector goes where the volume is; one pinned elsewhere cannot run.
      await cluster.apply([pod('second', 'data'), pod('elsewhere', 'data', { nodeSelector: { 'kubernetes.io/hostname': 'node-1' } })]);
      await cluster.settle();
      expect((await getPod(cluster, 'second')).spec.nodeName).toBe('node-2');
      const elsewhere = await getPod(cluster, 'elsewhere');
      expect(elsewhere.spec.nodeName ?? '').toBe('');
      expect(elsewhere.status.conditions?.find((x) => x.type === 'PodScheduled')?.message).toBe(
        "0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
      );
      await checkVolumes(cluster);
    } finally {
      await cluster.stop();
    }
  });

  it('binds a local class to a free volume on the node the scheduler picks (PreBind pre-binds it), and fails nodes without one', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 3 });
    try {
      await cluster.apply([local, localVolume('disk-3', 'node-3'), claim('data', 'local'), claim('more', 'local')]);
      await cluster.settle();
      // Delayed binding: the binder leaves the free volume to the scheduler.
      expect((await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' })).status.phase).toBe('Pending');
      expect((await cluster.get(PersistentVolumes, { name: 'disk-3' })).status.phase).toBe('Available');
      await cluster.apply(pod('db', 'data'));
      await cluster.settle();
      const c = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
      expect([c.status.phase, c.spec.volumeName]).toEqual(['Bound', 'disk-3']);
      expect(c.metadata.annotations?.['volume.kubernetes.io/selected-node']).toBeUndefined();
      expect((await getPod(cluster, 'db')).spec.nodeName).toBe('node-3');
      // No volume left for the second claim, and no provisioner: no node fits.
      await cluster.apply(pod('db2', 'more'));
      await cluster.settle();
      const failed = (await eventsOf(cluster, 'db2')).find((e) => e.reason === 'FailedScheduling');
      expect(failed?.message).toMatch(/^0\/3 nodes are available: 3 node\(s\) didn't find available persistent volumes to bind\./);
      await checkVolumes(cluster);
    } finally {
      await cluster.stop();
    }
  });

  it('leaves the pod unbound while its claim waits for a provisioner that does not come, and gives up after the 600 s bind timeout', async () => {
    const cluster = await SimCluster.create({ seed: 9, nodes: 2, controllerManager: { plugins: [persistentVolumePlugin({ provisioners: ['example.com/other'] })] } });
    try {
      await cluster.apply([fast, claim('data', 'fast'), pod('app', 'data')]);
      await cluster.advance(60_000);
      const c = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
      const node = c.metadata.annotations?.['volume.kubernetes.io/selected-node'];
      expect(node).toMatch(/^node-[12]$/);
      expect(c.status.phase).toBe('Pending');
      // PreBind waits: the pod is not bound to the node before its volume is
      expect((await getPod(cluster, 'app')).spec.nodeName ?? '').toBe('');
      expect((await eventsOf(cluster, 'data')).map((e) => e.reason)).toContain('ExternalProvisioning');
      await cluster.advance(560_000);
      const failed = (await eventsOf(cluster, 'app')).filter((e) => e.reason === 'FailedScheduling').map((e) => e.message);
      expect(failed).toContain('running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded');
      expect((await getPod(cluster, 'app')).spec.nodeName ?? '').toBe('');
    } finally {
      await cluster.stop();
    }
  });

  it('does not bind a pod created again under the name of one deleted while PreBind waited for its volume: the binding names the old uid', async () => {
    // Upstream's DefaultBinder puts the pod's uid in the Binding, and the API server binds only
    // the pod of that uid (pkg/registry/core/pod/storage BindingREST, a storage precondition).
    // No provisioner serves the class: the test provisions by hand, as a slow external one.
    const cluster = await SimCluster.create({ seed: 9, nodes: 3, controllerManager: { plugins: [persistentVolumePlugin({ provisioners: ['example.com/other'] })] } });
    const provisioned = (claimName: string, uid: string, host: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pvc-${uid}` },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'fast',
        persistentVolumeReclaimPolicy: 'Delete',
        hostPath: { path: `/var/local-path-provisioner/${claimName}` },
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: claimName, uid },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } },
      },
    });
    const claimOf = (name: string) => cluster.get(PersistentVolumeClaims, { namespace: 'default', name });
    try {
      await cluster.apply([fast, claim('first', 'fast'), claim('second', 'fast'), pod('web', 'first', { nodeSelector: { 'kubernetes.io/hostname': 'node-3' } })]);
      await cluster.advance(5_000);
      expect((await claimOf('first')).metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe('node-3');
      // The pod goes while its binding cycle waits; another of the same name, pinned to node-1, takes its place.
      await cluster.server.delete(Pods, { namespace: 'default', name: 'web' });
      await cluster.apply(pod('web', 'second', { nodeSelector: { 'kubernetes.io/hostname': 'node-1' } }));
      await cluster.advance(5_000);
      expect((await claimOf('second')).metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe('node-1');
      // The first claim's volume comes: the old cycle's PreBind is done, and its binding is refused.
      await cluster.apply(provisioned('first', (await claimOf('first')).metadata.uid ?? '', 'node-3'));
      await cluster.advance(5_000);
      expect((await claimOf('first')).status.phase).toBe('Bound');
      const replaced = await getPod(cluster, 'web');
      expect(replaced.spec.nodeName ?? '').toBe('');
      // Its own volume comes: the new pod is bound where its selector and its volume say.
      await cluster.apply(provisioned('second', (await claimOf('second')).metadata.uid ?? '', 'node-1'));
      await cluster.settle();
      const web = await getPod(cluster, 'web');
      expect([web.spec.nodeName, web.status.phase]).toEqual(['node-1', 'Running']);
      // The old pod's refused binding is its own failure: the new pod was scheduled once, by its own cycle.
      const failed = (await eventsOf(cluster, 'web')).filter((e) => e.reason === 'FailedScheduling');
      expect(failed.map((e) => [e.involvedObject.uid === replaced.metadata.uid, e.message])).toEqual([
        [false, expect.stringMatching(/^Binding rejected: Operation cannot be fulfilled on pods "web": Precondition failed: UID in precondition: [-0-9a-f]+, UID in object meta: [-0-9a-f]+$/)],
      ]);
      await checkVolumes(cluster);
    } finally {
      await cluster.stop();
    }
  });

  it('without the VolumeBinding plugin (a scheduler broken on purpose) a pod lands away from its volume, and podsFollowTheirVolumes catches it', async () => {
    const profile = defaultProfile();
    const broken = schedulerPlugin({ profiles: [{ ...profile, plugins: profile.plugins.filter((p) => p.name !== 'VolumeBinding') }] });
    const cluster = await SimCluster.create({ seed: 5, nodes: 3, scheduler: false, plugins: [broken] });
    try {
      expect(profile.plugins.some((p) => p.name === DEFAULT_BINDER)).toBe(true);
      await cluster.apply([local, localVolume('disk-1', 'node-1'), { ...claim('data', 'local'), spec: { ...claim('data', 'local').spec, volumeName: 'disk-1' } }]);
      await cluster.settle();
      expect((await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' })).status.phase).toBe('Bound');
      await cluster.apply(pod('db', 'data', { nodeSelector: { 'kubernetes.io/hostname': 'node-3' } }));
      await cluster.settle();
      const violations = podsFollowTheirVolumes({ pods: (await cluster.list(Pods)).items, nodes: (await cluster.list(Nodes)).items, claims: (await cluster.list(PersistentVolumeClaims)).items, volumes: (await cluster.list(PersistentVolumes)).items });
      expect(violations.map((v) => v.message)).toEqual(['runs on node node-3, which the node affinity of its volume disk-1 (claim data) excludes']);
      expect(cluster.invariants().map((i) => i.name)).toContain('podsFollowTheirVolumes');
    } finally {
      await cluster.stop();
    }
  });
});

describe('the kubelet and claims', () => {
  it("keeps a pod whose claim is missing Pending with the scheduler's message, and schedules it once the claim exists", async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 2 });
    try {
      await cluster.apply(pod('app', 'later'));
      await cluster.advance(10_000);
      expect((await eventsOf(cluster, 'app')).find((e) => e.reason === 'FailedScheduling')?.message).toBe(
        '0/2 nodes are available: persistentvolumeclaim "later" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
      );
      await cluster.apply(claim('later', 'standard'));
      await cluster.settle();
      expect((await getPod(cluster, 'app')).status.phase).toBe('Running');
    } finally {
      await cluster.stop();
    }
  });

  it('keeps a pod whose claim is missing in ContainerCreating with FailedMount, then runs it once the claim is bound', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 1 });
    try {
      await cluster.apply(pod('app', 'later', { nodeName: 'node-1' }));
      await cluster.advance(10_000);
      expect((await getPod(cluster, 'app')).status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
      expect((await eventsOf(cluster, 'app')).find((e) => e.reason === 'FailedMount')?.message).toBe(
        'Unable to attach or mount volumes: unmounted volumes=[data]: error processing PVC default/later: failed to fetch PVC from API server: persistentvolumeclaims "later" not found',
      );
      await cluster.apply(claim('later', 'standard'));
      await cluster.settle();
      expect((await getPod(cluster, 'app')).status.phase).toBe('Running');
    } finally {
      await cluster.stop();
    }
  });

  it('gives a second pod on another node of a ReadWriteOnce volume a Multi-Attach error until the first pod is gone', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: 2 });
    try {
      await cluster.apply([claim('shared', 'standard'), pod('one', 'shared', { nodeName: 'node-1' })]);
      await cluster.settle();
      expect((await getPod(cluster, 'one')).status.phase).toBe('Running');
      await cluster.apply(pod('two', 'shared', { nodeName: 'node-2' }));
      await cluster.advance(30_000);
      const two = await getPod(cluster, 'two');
      expect(two.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
      const volumeName = (await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'shared' })).spec.volumeName ?? '';
      const attach = (await eventsOf(cluster, 'two')).find((e) => e.reason === 'FailedAttachVolume');
      expect([attach?.type, attach?.message]).toEqual(['Warning', `Multi-Attach error for volume "${volumeName}" Volume is already used by pod(s) one`]);
      await cluster.server.delete(Pods, { namespace: 'default', name: 'one' });
      await cluster.settle();
      expect((await getPod(cluster, 'two')).status.phase).toBe('Running');
    } finally {
      await cluster.stop();
    }
  });
});
