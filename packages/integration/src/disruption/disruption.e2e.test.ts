/**
 * The disruption controller and the eviction subresource end to end on a SimCluster (upstream
 * `pkg/controller/disruption` and `pkg/registry/core/pod/storage/eviction.go`): the kubernetes.io
 * ZooKeeper tutorial's budget, evictions charged and refused, the budget recovering once the
 * StatefulSet brings the evicted pod back, percentages of a Deployment's scale, and the
 * invariants failing on a disruption controller broken on purpose.
 */
import { describe, expect, it } from 'vitest';
import { Deployments, Events, PodDisruptionBudgets, Pods, formatTime, ReplicaSets, ReplicationControllers, StatefulSets, controllerFor, isApiError, objectKey } from '@kubeloop/core';
import type { Client, KubeObject, Manager, Pod, PodDisruptionBudget, Plugin, ResourceDefinition, WriteOptions } from '@kubeloop/core';
import { DEFAULT_CONTROLLER_PLUGINS, SimCluster } from '@kubeloop/testing';
import { DISRUPTION_INVARIANTS, DISRUPTION_PLUGIN_NAME, DisruptionReconciler, GARBAGE_COLLECTOR_PLUGIN_NAME, budgetStatusMatchesPods, evictionsRespectBudgets } from '@kubeloop/controllers';
import type { DisruptionState } from '@kubeloop/controllers';

/**
 * The tutorial's manifest (kubernetes.io "Running ZooKeeper, A Distributed System
 * Coordinator"): the headless Service, the budget `zk-pdb` (`maxUnavailable: 1`) and the
 * StatefulSet `zk` of 3 with a claim each; without its pod anti-affinity and with smaller
 * requests, so that it fits the simulated nodes.
 */
const ZOOKEEPER = `
apiVersion: v1
kind: Service
metadata:
  name: zk-hs
  labels:
    app: zk
spec:
  ports:
  - port: 2888
    name: server
  - port: 3888
    name: leader-election
  clusterIP: None
  selector:
    app: zk
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: zk-pdb
spec:
  selector:
    matchLabels:
      app: zk
  maxUnavailable: 1
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: zk
spec:
  selector:
    matchLabels:
      app: zk
  serviceName: zk-hs
  replicas: 3
  updateStrategy:
    type: RollingUpdate
  podManagementPolicy: OrderedReady
  template:
    metadata:
      labels:
        app: zk
    spec:
      containers:
      - name: kubernetes-zookeeper
        imagePullPolicy: Always
        image: "registry.k8s.io/kubernetes-zookeeper:1.0-3.4.10"
        resources:
          requests:
            memory: "100Mi"
            cpu: "0.1"
        ports:
        - containerPort: 2181
          name: client
        - containerPort: 2888
          name: server
        - containerPort: 3888
          name: leader-election
        volumeMounts:
        - name: datadir
          mountPath: /var/lib/zookeeper
  volumeClaimTemplates:
  - metadata:
      name: datadir
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 10Gi
`;

const key = (name: string) => ({ namespace: 'default', name });

async function disruptionState(cluster: SimCluster): Promise<DisruptionState> {
  const objects = async (kind: Parameters<SimCluster['list']>[0]): Promise<readonly KubeObject[]> => (await cluster.list(kind)).items;
  return {
    budgets: (await cluster.list(PodDisruptionBudgets)).items,
    pods: (await cluster.list(Pods)).items,
    workloads: [...(await objects(Deployments)), ...(await objects(ReplicaSets)), ...(await objects(StatefulSets)), ...(await objects(ReplicationControllers))],
  };
}

/** Both invariants on the cluster now: the status after settling, and every eviction in the trace. */
async function violations(cluster: SimCluster): Promise<string[]> {
  const state = await disruptionState(cluster);
  const nowMs = cluster.clock.now();
  return [...budgetStatusMatchesPods(state, nowMs), ...evictionsRespectBudgets({ budgets: [], pods: [], workloads: [] }, cluster.trace())].map((v) => v.message);
}

async function evict(cluster: SimCluster, name: string): Promise<number | 'ok'> {
  try {
    await cluster.server.evict(key(name));
    return 'ok';
  } catch (error) {
    if (isApiError(error)) return error.code;
    throw error;
  }
}

describe('the ZooKeeper tutorial: StatefulSet zk of 3 and PodDisruptionBudget zk-pdb (maxUnavailable 1)', () => {
  it('reports currentHealthy 3, desiredHealthy 2, disruptionsAllowed 1; allows one eviction, refuses the next, and recovers', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 3 });
    try {
      await cluster.apply(ZOOKEEPER, 'zookeeper.yaml');
      await cluster.settle();
      const pdb = await cluster.get(PodDisruptionBudgets, key('zk-pdb'));
      expect(pdb.status).toMatchObject({ expectedPods: 3, currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, observedGeneration: pdb.metadata.generation });
      expect(pdb.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([['DisruptionAllowed', 'True', 'SufficientPods']]);
      expect(await violations(cluster)).toEqual([]);

      // kubectl drain's first eviction: charged in the same call.
      expect(await evict(cluster, 'zk-0')).toBe('ok');
      const charged = await cluster.get(PodDisruptionBudgets, key('zk-pdb'));
      expect(charged.status.disruptionsAllowed).toBe(0);
      expect(Object.keys(charged.status.disruptedPods ?? {})).toEqual(['zk-0']);
      // The second is refused, whatever the controller has seen meanwhile.
      expect(await evict(cluster, 'zk-1')).toBe(429);
      expect((await cluster.get(Pods, key('zk-1'))).metadata.deletionTimestamp).toBeUndefined();

      // zk-0 terminates and comes back with the same name: the budget allows one again.
      await cluster.settle();
      const zk0 = await cluster.get(Pods, key('zk-0'));
      expect(zk0.metadata.deletionTimestamp).toBeUndefined();
      const recovered = await cluster.get(PodDisruptionBudgets, key('zk-pdb'));
      expect(recovered.status).toMatchObject({ currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1 });
      expect(recovered.status.disruptedPods ?? {}).toEqual({});
      expect(await violations(cluster)).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });

  it('counts an unready pod out and allows nothing while one pod is down', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 3 });
    try {
      await cluster.apply(ZOOKEEPER, 'zookeeper.yaml');
      await cluster.settle();
      // zk-2's kubelet stops (it would report the pod Ready again at once) and the pod turns unready.
      const zk2 = await cluster.get(Pods, key('zk-2'));
      cluster.stopNode(zk2.spec.nodeName ?? '');
      const conditions = (zk2.status.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const } : c));
      await cluster.server.updateStatus(Pods, { ...zk2, status: { ...zk2.status, conditions } });
      await cluster.advance(1);
      const during = await cluster.get(PodDisruptionBudgets, key('zk-pdb'));
      expect(during.status).toMatchObject({ currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 });
      expect(during.status.conditions?.map((c) => [c.status, c.reason])).toEqual([['False', 'InsufficientPods']]);
      expect(await evict(cluster, 'zk-0')).toBe(429);
      expect((await cluster.get(Pods, key('zk-0'))).metadata.deletionTimestamp).toBeUndefined();
      await cluster.restoreNode(zk2.spec.nodeName ?? '');
      await cluster.settle();
      expect((await cluster.get(PodDisruptionBudgets, key('zk-pdb'))).status).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 1 });
      expect(await violations(cluster)).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });
});

describe("the disruption controller's events and the disruptedPods timeout", () => {
  it('records NoPods for a budget that selects nothing and UnmanagedPods for a pod without a controller', async () => {
    const cluster = await SimCluster.create({ seed: 7, nodes: 1 });
    try {
      await cluster.apply(
        `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: lone\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: lone\n`,
        'lone.yaml',
      );
      await cluster.settle();
      const reasons = async () => (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'lone').map((e) => [e.type, e.reason, e.message]);
      expect(await reasons()).toContainEqual(['Normal', 'NoPods', 'No matching pods found']);
      expect((await cluster.get(PodDisruptionBudgets, key('lone'))).status).toMatchObject({ expectedPods: 0, desiredHealthy: 0, disruptionsAllowed: 0, observedGeneration: 1 });
      await cluster.server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bare', namespace: 'default', labels: { app: 'lone' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } as unknown as Pod);
      await cluster.settle();
      expect(await reasons()).toContainEqual([
        'Warning',
        'UnmanagedPods',
        'Pods selected by this PodDisruptionBudget (selector: app=lone) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
      ]);
      // The unmanaged pod is left out of the scale: nothing expected, nothing allowed.
      expect((await cluster.get(PodDisruptionBudgets, key('lone'))).status).toMatchObject({ expectedPods: 0, currentHealthy: 1, disruptionsAllowed: 0 });
    } finally {
      await cluster.stop();
    }
  });

  it('counts a pod approved for eviction but never deleted out for 2 minutes, then back in with a NotDeleted event', async () => {
    const cluster = await SimCluster.create({ seed: 8, nodes: 3 });
    try {
      await cluster.apply(ZOOKEEPER, 'zookeeper.yaml');
      await cluster.settle();
      // An eviction that charged the budget but whose delete never happened.
      const pdb = await cluster.get(PodDisruptionBudgets, key('zk-pdb'));
      await cluster.server.updateStatus(PodDisruptionBudgets, { ...pdb, status: { ...pdb.status, disruptionsAllowed: 0, disruptedPods: { 'zk-1': formatTime(cluster.clock.now()) } } });
      await cluster.advance(1000);
      expect((await cluster.get(PodDisruptionBudgets, key('zk-pdb'))).status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 0 });
      await cluster.advance(120_000);
      const after = await cluster.get(PodDisruptionBudgets, key('zk-pdb'));
      expect(after.status).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 1 });
      expect(after.status.disruptedPods).toBeUndefined();
      const notDeleted = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'NotDeleted').map((e) => [e.type, e.involvedObject.kind, e.involvedObject.name, e.message]);
      // Upstream's message names the budget's namespace twice (disruption.go passes pdb.Namespace for both).
      expect(notDeleted).toEqual([['Warning', 'Pod', 'zk-1', "Pod was expected by PDB default/default to be deleted but it wasn't"]]);
      expect(await violations(cluster)).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });
});

describe('stale DisruptionTarget conditions (upstream syncStalePodDisruption)', () => {
  it('resets DisruptionTarget to False on a pod still not deleted 2 minutes after it was marked', async () => {
    const cluster = await SimCluster.create({ seed: 9, nodes: 3 });
    try {
      await cluster.apply(ZOOKEEPER, 'zookeeper.yaml');
      await cluster.settle();
      // What an eviction whose delete failed leaves behind.
      const zk1 = await cluster.get(Pods, key('zk-1'));
      const marked = { type: 'DisruptionTarget', status: 'True' as const, reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: formatTime(cluster.clock.now()) };
      await cluster.server.updateStatus(Pods, { ...zk1, status: { ...zk1.status, conditions: [...(zk1.status.conditions ?? []), marked] } });
      await cluster.advance(119_000);
      expect((await cluster.get(Pods, key('zk-1'))).status.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True' });
      await cluster.advance(2_000);
      const reset = (await cluster.get(Pods, key('zk-1'))).status.conditions?.find((c) => c.type === 'DisruptionTarget');
      expect(reset).toEqual({ type: 'DisruptionTarget', status: 'False', lastTransitionTime: expect.any(String) as unknown });
      expect(Date.parse(reset?.lastTransitionTime ?? '')).toBeGreaterThanOrEqual(Date.parse(marked.lastTransitionTime) + 120_000);
    } finally {
      await cluster.stop();
    }
  });
});

const WEB = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: "50%"
  selector:
    matchLabels:
      app: web
`;

describe('a Deployment with minAvailable "50%"', () => {
  it("counts the Deployment's replicas, rounds up, and follows a scale change", async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 2 });
    try {
      await cluster.apply(WEB(3), 'web.yaml');
      await cluster.settle();
      // 50% of 3 = 1.5, rounded up to 2.
      expect((await cluster.get(PodDisruptionBudgets, key('web'))).status).toMatchObject({ expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
      await cluster.apply(WEB(6), 'web.yaml');
      await cluster.settle();
      expect((await cluster.get(PodDisruptionBudgets, key('web'))).status).toMatchObject({ expectedPods: 6, desiredHealthy: 3, currentHealthy: 6, disruptionsAllowed: 3 });
      expect(await violations(cluster)).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });

  it('follows a scale change that creates no pod (a quota refuses them): beyond upstream, which waits for a pod event', async () => {
    const cluster = await SimCluster.create({ seed: 6, nodes: 2 });
    try {
      await cluster.apply(`apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: pods\nspec:\n  hard:\n    pods: "3"\n`, 'quota.yaml');
      await cluster.apply(WEB(3), 'web.yaml');
      await cluster.settle();
      expect((await cluster.get(PodDisruptionBudgets, key('web'))).status).toMatchObject({ expectedPods: 3, desiredHealthy: 2, disruptionsAllowed: 1 });
      await cluster.apply(WEB(6), 'web.yaml');
      await cluster.settle();
      expect((await cluster.list(Pods)).items.filter((p) => p.metadata.labels?.['app'] === 'web')).toHaveLength(3);
      // 50% of 6 is 3 desired: the 3 healthy pods allow nothing.
      expect((await cluster.get(PodDisruptionBudgets, key('web'))).status).toMatchObject({ expectedPods: 6, desiredHealthy: 3, currentHealthy: 3, disruptionsAllowed: 0 });
      expect(await violations(cluster)).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });

  it('fails safe with SyncFailed and upstream\'s events for a selected pod whose controller is gone', async () => {
    // Without the garbage collector, which would delete the pod whose owner does not exist.
    const plugins = DEFAULT_CONTROLLER_PLUGINS.filter((p) => p.name !== GARBAGE_COLLECTOR_PLUGIN_NAME);
    const cluster = await SimCluster.create({ seed: 4, nodes: 1, controllerManager: { plugins } });
    try {
      await cluster.apply(WEB(2), 'web.yaml');
      await cluster.settle();
      // A pod claiming a controller that does not exist.
      await cluster.server.create(Pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'orphan', namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nope', uid: 'nope', controller: true }] },
        spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
      } as unknown as Pod);
      await cluster.advance(1000);
      const pdb = await cluster.get(PodDisruptionBudgets, key('web'));
      expect(pdb.status.disruptionsAllowed).toBe(0);
      expect(pdb.status.conditions?.map((c) => [c.status, c.reason, c.message])).toEqual([['False', 'SyncFailed', 'found no controllers for pod "orphan"']]);
      const events = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.kind === 'PodDisruptionBudget').map((e) => [e.type, e.reason, e.message]);
      expect(events).toContainEqual(['Warning', 'NoControllers', 'found no controllers for pod "orphan"']);
      expect(events).toContainEqual(['Warning', 'CalculateExpectedPodCountFailed', 'Failed to calculate the number of expected pods: found no controllers for pod "orphan"']);
    } finally {
      await cluster.stop();
    }
  });
});

/**
 * A disruption controller broken on purpose: the real reconciler, whose status writes report
 * every healthy pod as a disruption allowed (it forgets desiredHealthy), registered with the
 * real invariants in place of the disruption plugin.
 */
function brokenDisruptionPlugin(): Plugin {
  const lying = (client: Client): Client =>
    new Proxy(client, {
      get(target, property) {
        if (property === 'updateStatus') {
          return (resource: ResourceDefinition, obj: KubeObject, options?: WriteOptions) => {
            if (resource.kind !== 'PodDisruptionBudget') return target.updateStatus(resource, obj, options);
            const pdb = obj as PodDisruptionBudget;
            return target.updateStatus(resource, { ...pdb, status: { ...pdb.status, disruptionsAllowed: pdb.status.currentHealthy } } as KubeObject, options);
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  return {
    name: 'test/broken-disruption',
    register(api) {
      api.addController((manager) => {
        const view = { client: lying(manager.client), clock: manager.clock, registry: manager.registry, cache: manager.cache.bind(manager), recorder: manager.recorder.bind(manager) } as unknown as Manager;
        const budgetsIn = (o: KubeObject) => manager.cache(PodDisruptionBudgets).list(o.metadata.namespace ?? '').map((b) => objectKey(b));
        return controllerFor(manager, PodDisruptionBudgets).named('disruption').watches(Pods, budgetsIn).watches(StatefulSets, budgetsIn).complete(new DisruptionReconciler(view));
      });
      for (const i of DISRUPTION_INVARIANTS) api.addInvariant(i);
    },
  };
}

describe('the invariants, on a disruption controller broken on purpose', () => {
  it('budgetStatusMatchesPods flags the inflated disruptionsAllowed, evictionsRespectBudgets the eviction it let through', async () => {
    const plugins = [...DEFAULT_CONTROLLER_PLUGINS.filter((p) => p.name !== DISRUPTION_PLUGIN_NAME), brokenDisruptionPlugin()];
    const cluster = await SimCluster.create({ seed: 5, nodes: 3, controllerManager: { plugins } });
    try {
      expect(cluster.invariants().map((i) => i.name)).toContain('evictionsRespectBudgets');
      await cluster.apply(ZOOKEEPER, 'zookeeper.yaml');
      await cluster.settle();
      expect(await violations(cluster)).toEqual(['status.disruptionsAllowed is 3, the pods say 1']);
      expect(await evict(cluster, 'zk-0')).toBe('ok');
      // The lie lets a second pod go at once, while only 2 of the 3 are healthy and 2 are needed
      // (the controller has seen the first eviction: its status counts 2 healthy).
      expect(await evict(cluster, 'zk-1')).toBe('ok');
      const found = await violations(cluster);
      expect(found).toContain('evicted pod zk-1 while its pods allowed 0 disruption(s) (currentHealthy 2, desiredHealthy 2); status said disruptionsAllowed 2');
    } finally {
      await cluster.stop();
    }
  });
});
