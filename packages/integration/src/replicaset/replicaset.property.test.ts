/**
 * Liveness and safety of the ReplicaSet and ReplicationController controllers under random
 * scale changes, pod deletions, label edits on pods and node failures, with and without
 * controller-manager crashes, cut watches and a lagging pod cache: once the faults stop and the
 * cluster settles, every owner controls exactly `spec.replicas` active pods with a truthful
 * status; no pod ever has two controllers, and no owner ever creates a pod while it already has
 * as many active pods as the replicas it had within the last minute (upstream's level-triggered
 * `syncReplicaSet` with expectations: without them, a lagging pod cache makes the controller
 * create the same pods twice, and only the last invariant sees it — the surplus is deleted
 * before settling). Two ReplicaSets of one Deployment on two nodes rank their pods against each
 * other's (upstream `getIndirectlyRelatedPods`), and an owner short of pods gets them back
 * within 60 s when writes fail (a failed create lowers the expectations at once).
 *
 * The faults are the toolkit's (`@kubeloop/testing`): fault schedules drawn by fast-check and
 * played by `checkCluster`, which also shrinks a failure to its few actions and faults and
 * prints a replay command.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deployments, Pods, ReplicaSets, ReplicationControllers, ResourceQuotas, controllerRef, invariant, parseTime, refOf, transitionInvariant } from '@kubeloop/core';
import type { Invariant, InvariantViolation, KubeObject, Pod } from '@kubeloop/core';
import {
  DEEP,
  availableNotBeforeMinReadySecondsInvariant,
  checkCluster,
  faultArbitrary,
  faultSchedules,
  faultSchedulesWith,
  noCreationsWhileDeletingInvariant,
  ownershipFollowsSelectorsInvariant,
  podsNotOvercreatedInvariant,
  podsNotOverdeletedInvariant,
  replicaCountsMatchInvariant,
  replicaFailureConditionInvariant,
  runCase,
  replicaStatusMatchesPodsInvariant,
  scaleDownDeletesLowestRankedInvariant,
  singleControllerInvariant,
} from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { EXPECTATIONS_TIMEOUT_MS, clientPodControl, podsToDelete } from '@kubeloop/controllers';
import { replicaSetPlugin, replicationControllerPlugin, resourceQuotaPlugin } from '@kubeloop/controllers';
import type { PodControl } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';
import type { Sabotage } from '../sabotage.js';

const RUNS = DEEP ? 250 : 10;
/** Actions per run; fault steps are numbered within them. */
const MAX_STEPS = 10;
const NODES = 3;
const APPS = ['a', 'b', 'c'] as const;

/** What the test does to the cluster; node failures and controller faults are fault schedules. */
type Step =
  | { readonly kind: 'scale'; readonly owner: number; readonly replicas: number }
  | { readonly kind: 'deletePod'; readonly pick: number }
  | { readonly kind: 'relabel'; readonly pick: number; readonly app: string | undefined }
  /** Removes the template's second label, `track`, from a pod: still selected, no longer fully labeled. */
  | { readonly kind: 'untrack'; readonly pick: number }
  /** Sets the ReplicationController's (mutable) selector to `app=c` alone or with `track=stable`. */
  | { readonly kind: 'reselect'; readonly track: boolean }
  /**
   * Deletes an owner in the foreground: no garbage collector runs here, so it stays, being
   * deleted (`foregroundDeletion`), with its pods; its controller must leave them be.
   */
  | { readonly kind: 'deleteOwner'; readonly owner: number }
  | { readonly kind: 'wait'; readonly ms: number }
  /** Stops a node's kubelet for good: the toolkit restores only the nodes its faults stopped. */
  | { readonly kind: 'leaveNodeDown'; readonly node: number }
  /** Sets the `pods` ResourceQuota of `default` to `pods` (deletes it when undefined). */
  | { readonly kind: 'quota'; readonly pods: number | undefined };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('scale' as const), owner: fc.nat(2), replicas: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('relabel' as const), pick: fc.nat(50), app: fc.constantFrom<string | undefined>('a', 'b', 'c', 'stray', undefined) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('untrack' as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reselect' as const), track: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteOwner' as const), owner: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 120_000 })) }) },
);
const steps = fc.array(step, { minLength: 1, maxLength: MAX_STEPS });

/** Node failures (a kubelet stops, later comes back) before numbered steps; the toolkit restores every node when the faults stop. */
const nodeFaults = (maxFaults: number) => faultSchedules({ kinds: ['stopNode', 'restoreNode'], maxFaults, steps: MAX_STEPS, nodes: NODES });

/**
 * One crash of the controller manager within its first 15 writes: every run of a few steps
 * makes that many, so every run crashes (with 30, about a third of them would not).
 */
const earlyCrash = faultArbitrary({ kinds: ['crash'], maxWrite: 15 });
/** More crashes and node failures, drawn. */
const moreCrashes = faultSchedules({ kinds: ['crash', 'stopNode', 'restoreNode'], maxFaults: 3, maxWrite: 30, steps: MAX_STEPS, nodes: NODES });


/**
 * The controller manager's informer resync, and the quiet window a run settles over. Upstream
 * heals one race only through the resync (12 to 24 hours there): an owner deletes a pod that
 * another owner adopts meanwhile (a user relabelled it), so the deletion is observed for the
 * adopter and the first owner's expectations stay pending; it syncs again once they expire
 * and a resync enqueues it (found by the deep run, fast-check seed -280603593: a
 * ReplicationController at 0 replicas kept a pod it had just adopted). The first resync after
 * the expiry comes at most one period later, so the quiet window outlasts the expiry plus a
 * period (5.5 and 11 minutes).
 */
const RESYNC_MS = EXPECTATIONS_TIMEOUT_MS + 30_000;
const SETTLE_QUIET_MS = EXPECTATIONS_TIMEOUT_MS + RESYNC_MS + 30_000;

/** A pod template labelled `app=<app>` and `track=stable` (the selectors pick `app` only). */
const template = (app: string) => ({ metadata: { labels: { app, track: 'stable' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } });

/**
 * Owners: ReplicaSets `a` and `b`, ReplicationController `c`, each selecting `app=<name>`; `a`
 * counts a pod available once Ready, `b` after 10 s Ready, `c` after 5 s (`minReadySeconds`). With
 * `parent`, all three are controlled by it: `a` and `b` are siblings (as two ReplicaSets of one
 * Deployment), each ranking its pods against both sets of pods before a scale-down; `c`, of
 * another kind, has no sibling but itself and ranks against its own pods.
 */
function owners(parent?: KubeObject): object[] {
  const ownerReferences = parent === undefined ? undefined : [{ apiVersion: 'apps/v1', kind: parent.kind, name: parent.metadata.name, uid: parent.metadata.uid, controller: true }];
  return [
    ...[
      ['a', 0],
      ['b', 10],
    ].map(([app, minReadySeconds]) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: app, namespace: 'default', ownerReferences }, spec: { replicas: 2, minReadySeconds, selector: { matchLabels: { app } }, template: template(app as string) } })),
    { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'c', namespace: 'default', ownerReferences }, spec: { replicas: 2, minReadySeconds: 5, selector: { app: 'c' }, template: template('c') } },
  ];
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  const server = cluster.server;
  switch (s.kind) {
    case 'scale': {
      const name = APPS[s.owner]!;
      // kubectl scale: a patch without a resourceVersion, so it never conflicts with status writes.
      const patch = { type: 'merge' as const, body: { spec: { replicas: s.replicas } } };
      if (name === 'c') await server.patch(ReplicationControllers, { namespace: 'default', name }, patch);
      else await server.patch(ReplicaSets, { namespace: 'default', name }, patch);
      return;
    }
    case 'deletePod': {
      const pods = (await server.list(Pods, { namespace: 'default' })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
      const pod = pods[s.pick % Math.max(1, pods.length)];
      if (pod !== undefined) await server.delete(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'relabel': {
      const pods = (await server.list(Pods, { namespace: 'default' })).items;
      const pod = pods[s.pick % Math.max(1, pods.length)];
      if (pod === undefined) return;
      await server
        .patch(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }, { type: 'merge', body: { metadata: { labels: { app: s.app ?? null } } } })
        .catch(() => undefined);
      return;
    }
    case 'untrack': {
      const pods = (await server.list(Pods, { namespace: 'default' })).items;
      const pod = pods[s.pick % Math.max(1, pods.length)];
      if (pod === undefined) return;
      await server.patch(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }, { type: 'merge', body: { metadata: { labels: { track: null } } } }).catch(() => undefined);
      return;
    }
    case 'reselect':
      await server.patch(ReplicationControllers, { namespace: 'default', name: 'c' }, { type: 'merge', body: { spec: { selector: s.track ? { app: 'c', track: 'stable' } : { app: 'c', track: null } } } });
      return;
    case 'deleteOwner': {
      const name = APPS[s.owner]!;
      const options = { propagationPolicy: 'Foreground' as const };
      if (name === 'c') await server.delete(ReplicationControllers, { namespace: 'default', name }, options).catch(() => undefined);
      else await server.delete(ReplicaSets, { namespace: 'default', name }, options).catch(() => undefined);
      return;
    }
    case 'wait':
      await context.advance(s.ms);
      return;
    case 'leaveNodeDown':
      cluster.stopNode(`node-${s.node + 1}`);
      return;
    case 'quota':
      if (s.pods === undefined) await server.delete(ResourceQuotas, { namespace: 'default', name: 'pods' }).catch(() => undefined);
      else await cluster.apply(podQuota(s.pods));
      return;
  }
}

/** The `pods` ResourceQuota of `default`: at most `pods` pods that are not Succeeded or Failed. */
const podQuota = (pods: number) => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'pods', namespace: 'default' }, spec: { hard: { pods: String(pods) } } });

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'scale':
      return `scale ${APPS[s.owner]} to ${s.replicas}`;
    case 'deletePod':
      return `delete active pod #${s.pick} (modulo their count)`;
    case 'relabel':
      return `set app=${s.app ?? '(none)'} on pod #${s.pick} (modulo their count)`;
    case 'untrack':
      return `remove the track label of pod #${s.pick} (modulo their count)`;
    case 'reselect':
      return `set the selector of c to app=c${s.track ? ',track=stable' : ''}`;
    case 'deleteOwner':
      return `delete ${APPS[s.owner]} in the foreground`;
    case 'wait':
      return `wait ${s.ms} ms`;
    case 'leaveNodeDown':
      return `stop node-${s.node + 1} for good`;
    case 'quota':
      return s.pods === undefined ? 'delete the pods quota' : `set the pods quota to ${s.pods}`;
  }
}

/**
 * The shared run: three owners settled before the faults start; the steps back to back (1 ms
 * between them, so that changes land inside reconciles); no pod with two controllers and no
 * pod created beyond the replica counts after every step; after settling (and 10 s later), each owner controls `spec.replicas` active pods
 * and its status matches them.
 */
function options(name: string, faults: fc.Arbitrary<FaultSchedule>, shape: { readonly nodes?: number; readonly siblings?: boolean } = {}): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: shape.nodes ?? NODES, controllerManager: { plugins: [replicaSetPlugin(), replicationControllerPlugin()], resyncMs: RESYNC_MS } },
    setup: async (cluster) => {
      let parent: KubeObject | undefined;
      if (shape.siblings === true) {
        // The Deployment only owns: no Deployment controller runs, so a and b keep their replicas.
        await cluster.apply([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ab', namespace: 'default' }, spec: { replicas: 0, paused: true, selector: { matchLabels: { app: 'ab' } }, template: template('ab') } }]);
        parent = await cluster.server.get(Deployments, { namespace: 'default', name: 'ab' });
      }
      await cluster.apply(owners(parent));
      await cluster.advance(5_000);
    },
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    safety: [singleControllerInvariant, podsNotOvercreatedInvariant(), noCreationsWhileDeletingInvariant(), replicaFailureConditionInvariant(), availableNotBeforeMinReadySecondsInvariant(), scaleDownDeletesLowestRankedInvariant(), podsNotOverdeletedInvariant()],
    liveness: [replicaCountsMatchInvariant, replicaStatusMatchesPodsInvariant, ownershipFollowsSelectorsInvariant],
    stepMs: 1,
    settleQuietMs: SETTLE_QUIET_MS,
    settleMaxMs: 1_200_000,
    stableMs: 10_000,
    runs: RUNS,
  };
}

/**
 * The quota runs: the owners start under a quota of 4 pods (6 wanted), then scale changes, pod
 * deletions and quota changes, the last step a wait of {@link QUOTA_RETRY_MS}. An owner whose
 * creates the quota refuses retries on its workqueue's back-off (at most 1000 s apart, upstream's
 * default controller rate limiter); nothing else wakes it, so the final wait lets every owner
 * the quota has room for again retry before the run settles.
 */
const QUOTA_RETRY_MS = 1_100_000;
const quotaStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('scale' as const), owner: fc.nat(2), replicas: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick: fc.nat(50) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('quota' as const), pods: fc.option(fc.nat(8), { freq: 6, nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 120_000 })) }) },
);
const quotaSteps = fc.array(quotaStep, { minLength: 1, maxLength: MAX_STEPS }).map((s): Step[] => [...s, { kind: 'wait', ms: QUOTA_RETRY_MS }]);

/**
 * The quota runs' options: the owners start under a quota of 4 pods with the ResourceQuota
 * controller running; no informer resync (a refused owner's retries back off, so a run settles
 * with owners still refused), the default settle.
 */
function quotaOptions(name: string, faults: fc.Arbitrary<FaultSchedule>): CheckClusterOptions<Step> {
  return {
    ...options(name, faults),
    cluster: { nodes: NODES, controllerManager: { plugins: [replicaSetPlugin(), replicationControllerPlugin(), resourceQuotaPlugin()] } },
    setup: async (cluster) => {
      await cluster.apply([podQuota(4), ...owners()]);
      await cluster.advance(5_000);
    },
    actions: quotaSteps,
    settleQuietMs: undefined,
    settleMaxMs: undefined,
    stableMs: 0,
  };
}

/** The cluster of the current run, for the pod control broken on purpose below. */
let brokenCluster: SimCluster | undefined;
const realPodControl = (): PodControl => clientPodControl(brokenCluster!.manager.client, brokenCluster!.manager.recorder('replicaset-controller'));
const isReady = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * A pod control broken on purpose: asked to delete a pod, it deletes the owner's best pod
 * instead — a ready one, the oldest (upstream's order reversed) — and records that it did, as
 * the real one does (`SuccessfulDelete`, `Deleted pod: <name>`).
 */
const deletesBestFirst: PodControl = {
  createPod: (pod, owner) => realPodControl().createPod(pod, owner),
  async deletePod(namespace, name, owner) {
    const pods = (await brokenCluster!.server.list(Pods, { namespace })).items.filter((p) => p.metadata.deletionTimestamp === undefined && controllerRef(p)?.uid === owner.metadata.uid);
    const created = (p: Pod) => parseTime(p.metadata.creationTimestamp ?? '');
    const best = [...pods].sort((a, b) => Number(isReady(b)) - Number(isReady(a)) || created(a) - created(b))[0];
    await realPodControl().deletePod(namespace, best?.metadata.name ?? name, owner);
  },
};

/**
 * A pod control broken on purpose: asked to delete a pod, it deletes that one and another
 * active pod of the owner too — a scale-down that removes twice its surplus — and records both
 * deletions, as the real one does.
 */
const deletesTwice: PodControl = {
  createPod: (pod, owner) => realPodControl().createPod(pod, owner),
  async deletePod(namespace, name, owner) {
    await realPodControl().deletePod(namespace, name, owner);
    const pods = (await brokenCluster!.server.list(Pods, { namespace })).items.filter((p) => p.metadata.deletionTimestamp === undefined && controllerRef(p)?.uid === owner.metadata.uid);
    const other = pods.find((p) => p.metadata.name !== name);
    if (other !== undefined) await realPodControl().deletePod(namespace, other.metadata.name ?? '', owner);
  },
};

/**
 * A pod control broken on purpose: asked to delete a pod, it deletes the one its owner's own
 * pods alone rank first — as if the ReplicaSet ranked without its siblings' pods (upstream
 * `getIndirectlyRelatedPods` dropped) — and records that it did, as the real one does.
 */
const ranksWithoutSiblings: PodControl = {
  createPod: (pod, owner) => realPodControl().createPod(pod, owner),
  async deletePod(namespace, name, owner) {
    const own = (await brokenCluster!.server.list(Pods, { namespace })).items.filter((p) => p.metadata.deletionTimestamp === undefined && controllerRef(p)?.uid === owner.metadata.uid);
    const first = podsToDelete(own, own, 1, brokenCluster!.clock.now())[0];
    await realPodControl().deletePod(namespace, first?.metadata.name ?? name, owner);
  },
};

/**
 * A ReplicaSet controller broken on purpose: its status writes count, in `status.replicas`, the
 * pods it controls that are terminating (deleted, not yet gone) besides the active ones it
 * counted. Upstream counts only active pods (`calculateStatus` over the filtered active pods).
 */
const countsTerminatingPods: Sabotage = {
  async updateStatus(client, resource, object, writeOptions) {
    const owner = object as KubeObject & { status?: { replicas?: number } };
    const pods = (await client.list(Pods, { namespace: owner.metadata.namespace })).items;
    const terminating = pods.filter((p) => p.metadata.deletionTimestamp !== undefined && controllerRef(p)?.uid === owner.metadata.uid).length;
    const status = { ...owner.status, replicas: (owner.status?.replicas ?? 0) + terminating };
    return client.updateStatus(resource, { ...owner, status }, writeOptions);
  },
};

/** Whether {@link losesFirstCreate} has yet to lose its create (armed after setup). */
let createToLose = false;

/**
 * A pod control broken on purpose: the first create after setup fails inside it (nothing is
 * created) and it reports the create done — so the controller keeps expecting a pod that will
 * never come, as a controller that does not lower its expectations after a failed create
 * (upstream `skippedPods`) does.
 */
const losesFirstCreate: PodControl = {
  async createPod(pod, owner) {
    if (!createToLose) return realPodControl().createPod(pod, owner);
    createToLose = false;
    return pod as unknown as Pod;
  },
  deletePod: (namespace, name, owner) => realPodControl().deletePod(namespace, name, owner),
};

/** The ReplicaSets and ReplicationControllers of a state, by uid. */
const OWNER_KINDS = ['ReplicaSet', 'ReplicationController'];
type Owner = KubeObject & { readonly spec?: { readonly replicas?: number } };
const isActive = (p: Pod) => p.metadata.deletionTimestamp === undefined && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed';

/**
 * Liveness in time: an owner with fewer active pods than `spec.replicas` has them all again
 * within `limitMs` (upstream: a failed create lowers the expectations, so the next sync, after
 * the rate limiter's back-off of milliseconds, creates the pod again; a controller that waits
 * for the 5-minute expectations timeout breaks it). Stated for runs whose only faults are
 * failed writes, on no-node-failure steps: nothing else keeps a correct controller from
 * replacing a pod at once. Replays every change, so a deficit between two checks counts.
 */
function replicasRestoredWithin(limitMs: number): Invariant {
  const belowSince = new Map<string, number>();
  return transitionInvariant('replicasRestoredWithin', `An owner with fewer active pods than spec.replicas has them all again within ${limitMs} ms.`, (previous, state) => {
    const owners = new Map<string, Owner>();
    for (const kind of OWNER_KINDS) for (const o of previous.of<Owner>(kind)) owners.set(o.metadata.uid ?? '', o);
    const pods = new Map<string, Pod>(previous.of<Pod>('Pod').map((p) => [p.metadata.uid ?? '', p]));
    const out: InvariantViolation[] = [];
    const check = (t: number) => {
      for (const [uid, since] of belowSince) {
        const owner = owners.get(uid);
        if (owner === undefined || t - since <= limitMs) continue;
        out.push({ message: `${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name} had fewer active pods than its ${owner.spec?.replicas ?? 1} replicas from t=${since} ms until at least t=${t} ms (more than ${limitMs} ms)`, objects: [refOf(owner)] });
        belowSince.set(uid, Infinity);
      }
    };
    const update = (t: number) => {
      for (const [uid, owner] of owners) {
        let count = 0;
        for (const p of pods.values()) if (controllerRef(p)?.uid === uid && isActive(p)) count++;
        if (count >= (owner.spec?.replicas ?? 1)) belowSince.delete(uid);
        else if (!belowSince.has(uid)) belowSince.set(uid, t);
      }
    };
    for (const c of state.changes) {
      const t = c.t ?? state.t;
      check(t);
      const uid = c.object.metadata.uid ?? '';
      if (c.object.kind === 'Pod') {
        if (c.type === 'DELETED') pods.delete(uid);
        else pods.set(uid, c.object as Pod);
      } else if (OWNER_KINDS.includes(c.object.kind)) {
        if (c.type === 'DELETED') {
          owners.delete(uid);
          belowSince.delete(uid);
        } else owners.set(uid, c.object as Owner);
      } else continue;
      update(t);
    }
    check(state.t);
    return out;
  });
}

/** See the broken sibling ranking test below. */
const SIBLING_ACTIONS: Step[] = [
  { kind: 'scale', owner: 1, replicas: 3 },
  { kind: 'wait', ms: 60_000 },
  { kind: 'scale', owner: 0, replicas: 1 },
  { kind: 'wait', ms: 2_000 },
];

/**
 * Scale changes and pod deletions, each followed by a wait longer than the 30 s the deletion
 * order is judged over (a scale-down decided on a cache that may lag is judged on every state
 * it may have seen): doubled-up pods of two siblings then stay put long enough for a wrong
 * pick to show.
 */
const settledSteps = fc
  .array(fc.tuple(step.filter((s) => s.kind === 'scale' || s.kind === 'deletePod'), fc.integer({ min: 31_000, max: 60_000 })), { minLength: 1, maxLength: MAX_STEPS / 2 })
  .map((pairs) => pairs.flatMap(([s, ms]): Step[] => [s, { kind: 'wait', ms }]));

/**
 * Steps without label edits (an owner whose deletion another adopts waits out its expectations,
 * by design) nor owner deletions (an owner being deleted replaces no pod).
 */
const stepsWithoutRelabel = fc.array(step.filter((s) => s.kind !== 'relabel' && s.kind !== 'deleteOwner'), { minLength: 1, maxLength: MAX_STEPS });

describe('ReplicaSet and ReplicationController under random changes', () => {
  it('for any sequence of scale changes, pod deletions, label edits on pods and node failures, after settling the active owned pods equal spec.replicas; no pod ever has two controllers or is created beyond the replica counts', async () => {
    await checkCluster(options('replicaset: changes and node failures', nodeFaults(4)));
  }, 120_000);

  it('the same holds when the controller manager crashes (before or after a write reaches the store) and restarts, inside reconciles (writes take virtual time)', async () => {
    const faults = faultSchedulesWith([earlyCrash, faultArbitrary({ kinds: ['latency'], maxDelayMs: 20 })], moreCrashes);
    await checkCluster(options('replicaset: crashes', faults));
  }, 120_000);

  it('the same holds when every watch of the controller manager is cut with 410 Gone (relist) while the faults last', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['expireWatches'] })], nodeFaults(2));
    // Repeated cuts back an informer off up to 30 s before it relists; the shared quiet window
    // outlasts that too.
    await checkCluster(options('replicaset: cut watches', faults));
  }, 120_000);

  it('the same holds when the pod cache lags the store (held events) and the controller manager crashes and restarts', async () => {
    const faults = faultSchedulesWith(
      [fc.record({ kind: fc.constant('staleReads' as const), resource: fc.constant('pods'), lag: fc.integer({ min: 1, max: 5 }), holdMs: fc.integer({ min: 100, max: 2_000 }) }), earlyCrash],
      moreCrashes,
    );
    await checkCluster(options('replicaset: lagging pod cache', faults));
  }, 120_000);

  it('a ReplicaSet controller broken on purpose to delete its ready, oldest pods first fails scaleDownDeletesLowestRanked', async () => {
    const base = options('replicaset: broken deletion order', fc.constant([]));
    const broken: CheckClusterOptions<Step> = {
      ...base,
      cluster: { ...base.cluster, controllerManager: { plugins: [replicaSetPlugin({ podControl: deletesBestFirst }), replicationControllerPlugin()], resyncMs: RESYNC_MS } },
      setup: async (cluster, context) => {
        brokenCluster = cluster;
        await base.setup!(cluster, context);
      },
    };
    // Scale up and down again before the new pods are ready: a correct controller deletes the
    // new pods (not ready), this one the old ones (ready).
    const actions: Step[] = [
      { kind: 'scale', owner: 0, replicas: 4 },
      { kind: 'wait', ms: 10 },
      { kind: 'scale', owner: 0, replicas: 2 },
      { kind: 'wait', ms: 2_000 },
    ];
    const outcome = await runCase(broken, 1, actions, []);
    expect(outcome.failure?.invariant).toBe('scaleDownDeletesLowestRanked');
    expect(outcome.failure?.violations[0]?.message).toMatch(/^ReplicaSet default\/a deleted pod a-\w+ at t=\d+ ms but kept pod a-\w+, which ranks below it/);
    // The same run with the real controller passes.
    expect((await runCase(options('replicaset: deletion order', fc.constant([])), 1, actions, [])).failure).toBeUndefined();
  }, 120_000);

  it('a ReplicaSet controller broken on purpose to delete twice its surplus fails podsNotOverdeleted', async () => {
    const base = options('replicaset: broken deletion count', fc.constant([]));
    const broken: CheckClusterOptions<Step> = {
      ...base,
      cluster: { ...base.cluster, controllerManager: { plugins: [replicaSetPlugin({ podControl: deletesTwice }), replicationControllerPlugin()], resyncMs: RESYNC_MS } },
      setup: async (cluster, context) => {
        brokenCluster = cluster;
        await base.setup!(cluster, context);
      },
    };
    // From 2 replicas to 3, then to 2 again once the third pod runs: one pod too many.
    const actions: Step[] = [
      { kind: 'scale', owner: 0, replicas: 3 },
      { kind: 'wait', ms: 5_000 },
      { kind: 'scale', owner: 0, replicas: 2 },
      { kind: 'wait', ms: 2_000 },
    ];
    const outcome = await runCase(broken, 1, actions, []);
    expect(outcome.failure?.invariant).toBe('podsNotOverdeleted');
    expect(outcome.failure?.violations[0]?.message).toMatch(/^ReplicaSet default\/a deleted 2 pods in one scale-down at t=\d+ ms, but in the 30000 ms before it controlled 3 active pods in all and had at least 2 replicas \(a surplus of at most 1\)$/);
    // The same run with the real controller passes.
    expect((await runCase(options('replicaset: deletion count', fc.constant([])), 1, actions, [])).failure).toBeUndefined();
  }, 120_000);

  it('for two ReplicaSets of one Deployment on two nodes (pods doubled up), a scale-down deletes first the pods on the node with more pods of both', async () => {
    await checkCluster({ ...options('replicaset: sibling ReplicaSets', nodeFaults(2), { nodes: 2, siblings: true }), actions: settledSteps, runs: DEEP ? 250 : 30 });
  }, 120_000);

  it('a ReplicaSet controller broken on purpose to rank its pods without its siblings\' fails scaleDownDeletesLowestRanked', async () => {
    const shape = { nodes: 2, siblings: true };
    const base = options('replicaset: broken sibling ranking', fc.constant([]), shape);
    const broken: CheckClusterOptions<Step> = {
      ...base,
      cluster: { ...base.cluster, controllerManager: { plugins: [replicaSetPlugin({ podControl: ranksWithoutSiblings }), replicationControllerPlugin()], resyncMs: RESYNC_MS } },
      setup: async (cluster, context) => {
        brokenCluster = cluster;
        await base.setup!(cluster, context);
      },
    };
    // Four pods of a and b on two nodes; b scaled to 3 puts a third pod on one node; a scaled
    // to 1 must delete its pod there, which its own pods alone do not tell.
    // Where b's third pod lands, and so which of a's pods must go, depends on the seed's
    // tie-breaks: over seeds 1 to 8 the broken ranking keeps the wrong pod in some runs (a
    // ranking that happens to break the tie right cannot be caught), the real one in none.
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const caught = [];
    for (const seed of seeds) {
      const outcome = await runCase(broken, seed, SIBLING_ACTIONS, []);
      if (outcome.failure !== undefined) caught.push(outcome.failure);
    }
    expect(caught.length).toBeGreaterThan(0);
    for (const failure of caught) {
      expect(failure.invariant).toBe('scaleDownDeletesLowestRanked');
      expect(failure.violations[0]?.message).toMatch(/^ReplicaSet default\/a deleted pod a-\w+ at t=\d+ ms but kept pod a-\w+, which ranks below it/);
    }
    // The same runs with the real controller pass.
    for (const seed of seeds) expect((await runCase(options('replicaset: sibling ranking', fc.constant([]), shape), seed, SIBLING_ACTIONS, [])).failure).toBeUndefined();
  }, 120_000);

  it('when pod creates and other writes fail, an owner short of pods has spec.replicas active pods again within 60 s (far below the 5-minute expectations timeout)', async () => {
    const base = options('replicaset: failed writes', faultSchedules({ kinds: ['writeError'], maxFaults: 3, maxWrite: 20 }));
    await checkCluster({ ...base, actions: stepsWithoutRelabel, safety: () => [...(base.safety as Invariant[]), replicasRestoredWithin(60_000)] });
  }, 120_000);

  it('a ReplicaSet controller broken on purpose to keep expecting a pod whose create failed fails replicasRestoredWithin', async () => {
    const base = options('replicaset: broken failed create', fc.constant([]));
    const safety = () => [...(base.safety as Invariant[]), replicasRestoredWithin(60_000)];
    const broken: CheckClusterOptions<Step> = {
      ...base,
      cluster: { ...base.cluster, controllerManager: { plugins: [replicaSetPlugin({ podControl: losesFirstCreate }), replicationControllerPlugin()], resyncMs: RESYNC_MS } },
      setup: async (cluster, context) => {
        brokenCluster = cluster;
        await base.setup!(cluster, context);
        createToLose = true;
      },
      safety,
    };
    // Scale up: the first of the two creates is lost, and the controller waits for it until its
    // expectations expire (5 minutes).
    const actions: Step[] = [
      { kind: 'scale', owner: 0, replicas: 4 },
      { kind: 'wait', ms: 90_000 },
    ];
    const outcome = await runCase(broken, 1, actions, []);
    expect(outcome.failure?.invariant).toBe('replicasRestoredWithin');
    expect(outcome.failure?.violations[0]?.message).toMatch(/^ReplicaSet default\/a had fewer active pods than its 4 replicas from t=\d+ ms until at least t=\d+ ms \(more than 60000 ms\)$/);
    // The same run with the real controller and its first create failing (write #1) passes.
    const faults: FaultSchedule = [{ kind: 'writeError', write: 1, code: 'InternalError' }];
    expect((await runCase({ ...options('replicaset: failed create', fc.constant([])), safety }, 1, actions, faults)).failure).toBeUndefined();
  }, 120_000);

  it('under a ResourceQuota on pods that changes, after settling each owner has spec.replicas active pods or is short only while the quota is used up, and carries ReplicaFailure (FailedCreate) exactly then', async () => {
    // No informer resync: a refused owner's retries back off (its FailedCreate events stop
    // mattering once they are 20 s apart), so a run settles with owners still refused. Crashes,
    // and failed writes (a failed pod delete of a scale-down is a FailedDelete).
    const faults = faultSchedules({ kinds: ['crash', 'writeError'], maxFaults: 3, maxWrite: 40, steps: MAX_STEPS, nodes: NODES });
    const base = quotaOptions('replicaset: pods quota', faults);
    let runs = 0;
    let refusedAtTheEnd = 0;
    const refusedSeen = invariant('refusedOwnersSeen', 'Counts the runs that settle with an owner short of pods (never fails).', (state) => {
      runs++;
      const active = (p: Pod) => p.metadata.deletionTimestamp === undefined && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed';
      const owners = [...state.of<KubeObject & { spec: { replicas?: number } }>('ReplicaSet'), ...state.of<KubeObject & { spec: { replicas?: number } }>('ReplicationController')];
      if (owners.some((o) => state.of<Pod>('Pod').filter((p) => active(p) && controllerRef(p)?.uid === o.metadata.uid).length < (o.spec.replicas ?? 1))) refusedAtTheEnd++;
      return [];
    });
    await checkCluster({ ...base, liveness: [...(base.liveness as Invariant[]), refusedSeen] });
    // Many runs end with an owner refused (the case the ReplicaFailure rule is about).
    expect(refusedAtTheEnd).toBeGreaterThan(runs / 4);
  }, 300_000);

  it('an owner whose creates the quota keeps refusing counts a new pod available once it has been ready for minReadySeconds, not once its back-off ends (deep run 1796612853)', async () => {
    // The deep run's replay `replicaset: pods quota@1796612853:205:0:2:5:16:16:17:21:5:22:23`:
    // under a quota of 7, ReplicaSet b (3 replicas, minReadySeconds 10) retried at t=660 s after
    // a back-off of 655 s, created one pod, which was ready at once, and was refused the other.
    // Its status kept availableReplicas at 1 until the next retry, 1,000 s later: the sync threw
    // the create's error before asking to look again in 10 s. Upstream's updatePod enqueues the
    // ReplicaSet minReadySeconds after the pod became ready, whatever the failures.
    const actions: Step[] = [
      { kind: 'scale', owner: 1, replicas: 3 },
      { kind: 'deletePod', pick: 10 },
      { kind: 'wait', ms: 1_000 },
      { kind: 'quota', pods: 7 },
      { kind: 'scale', owner: 2, replicas: 4 },
      { kind: 'scale', owner: 0, replicas: 1 },
      { kind: 'wait', ms: QUOTA_RETRY_MS },
    ];
    const outcome = await runCase(quotaOptions('replicaset: quota and availability', fc.constant([])), 0, actions, []);
    expect(outcome.failure).toBeUndefined();
  }, 120_000);

  it('a pod delete of a scale-down that fails is reported as ReplicaFailure with reason FailedDelete (judged by replicaFailureCondition)', async () => {
    // a at 2 pods is scaled to 0: its first write after the faults start is the first delete.
    const seen: string[] = [];
    const failureSeen = transitionInvariant('replicaFailureSeen', 'Notes the ReplicaFailure reasons written (never fails).', (_previous, state) => {
      for (const c of state.changes) {
        const reason = c.object.kind === 'ReplicaSet' ? (c.object as KubeObject & { status?: { conditions?: { type: string; reason?: string }[] } }).status?.conditions?.find((x) => x.type === 'ReplicaFailure')?.reason : undefined;
        if (reason !== undefined && !seen.includes(reason)) seen.push(reason);
      }
      return [];
    });
    const base = options('replicaset: failed delete', fc.constant([]));
    const actions: Step[] = [{ kind: 'scale', owner: 0, replicas: 0 }, { kind: 'wait', ms: 30_000 }];
    const outcome = await runCase({ ...base, safety: [...(base.safety as Invariant[]), failureSeen] }, 1, actions, [{ kind: 'writeError', write: 1, code: 'InternalError' }]);
    expect(outcome.failure).toBeUndefined();
    expect(seen).toEqual(['FailedDelete']);
  }, 120_000);

  it('with a node left down at the end, its pods terminating or unknown, after settling the owners control spec.replicas active pods elsewhere and their status counts only the active pods', async () => {
    // The steps, then a node stopped for good: the node lifecycle controller marks it Unknown
    // and taints it, the taint manager evicts its pods after their 300 s tolerations, and
    // with no kubelet to confirm they stay terminating through the settle; the owners replace
    // them on the other nodes.
    const actions = fc.tuple(steps, fc.nat(NODES - 1)).map(([s, node]): Step[] => [...s, { kind: 'leaveNodeDown', node }]);
    let runs = 0;
    let withTerminatingPods = 0;
    const terminatingSeen = invariant('terminatingPodsSeen', 'Counts the runs that settle with a terminating pod (never fails).', (state) => {
      runs++;
      if (state.of<Pod>('Pod').some((p) => p.metadata.deletionTimestamp !== undefined)) withTerminatingPods++;
      return [];
    });
    const crashes = faultSchedulesWith([earlyCrash], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }));
    const base = options('replicaset: a node left down', crashes);
    await checkCluster({ ...base, actions, liveness: [...(base.liveness as Invariant[]), terminatingSeen], stableMs: 0 });
    // Most runs end with the dead node's pods terminating (those that had pods there).
    expect(withTerminatingPods).toBeGreaterThan(runs / 4);
  }, 120_000);

  it('a ReplicaSet controller broken on purpose to count its terminating pods in status.replicas fails statusMatchesPods once a node is left down', async () => {
    // The pods of the stopped node-2 are evicted after their 300 s tolerations and stay
    // terminating (no kubelet confirms); upstream's status.replicas counts only active pods.
    const actions: Step[] = [
      { kind: 'wait', ms: 1_000 },
      { kind: 'leaveNodeDown', node: 1 },
    ];
    const base = options('replicaset: broken status with a node left down', fc.constant([]));
    const broken: CheckClusterOptions<Step> = {
      ...base,
      cluster: { ...base.cluster, controllerManager: { plugins: [sabotaged(replicaSetPlugin(), countsTerminatingPods), replicationControllerPlugin()], resyncMs: RESYNC_MS } },
      stableMs: 0,
    };
    const outcome = await runCase(broken, 1, actions, []);
    expect(outcome.failure?.invariant).toBe('statusMatchesPods');
    // node-2 ran one pod of a and one of b (seed 1): each owner counts its terminating one besides its two active pods.
    expect(outcome.failure?.violations[0]?.message).toBe('status.replicas 3, active pods 2');
    expect(outcome.failure?.violations[0]?.objects[0]).toMatchObject({ kind: 'ReplicaSet', namespace: 'default' });
    // The same run with the real controller passes.
    expect((await runCase({ ...options('replicaset: status with a node left down', fc.constant([])), stableMs: 0 }, 1, actions, [])).failure).toBeUndefined();
  }, 120_000);
});
