/**
 * The DaemonSet controller's reconcile (upstream `syncDaemonSet`): read the caches, build the
 * history, call the pure decisions of `decide.ts`, `history.ts` and `status.ts`, write.
 *
 * @module
 */
import { ControllerRevisions, DaemonSets, Nodes, Pods, controllerFor, controllerRef, done, isApiError, keyString, matchesLabelSelector, objectKey, requeueAfter } from '@kubeloop/core';
import type { Controller, ControllerRevision, DaemonSet, EventHandler, KubeObject, Manager, Node, Pod, Reconciler, Request, Result } from '@kubeloop/core';
import { UidTrackingExpectations } from '../shared/expectations.js';
import { msUntilAvailable } from '../shared/pods.js';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../shared/batch.js';
import { clientPodControl, podFromTemplate, type PodControl } from '../shared/podcontrol.js';
import { claimObjects, isControlledBy, keyOf, newControllerRef, ownedOrOrphaned } from '../shared/ownership.js';
import {
  DAEMONSET_BURST_REPLICAS,
  CONTROLLER_REVISION_HASH_LABEL,
  allowsSurge,
  daemonPodTemplateFor,
  inFailedPodBackoff,
  nextFailedPodBackoff,
  nodeShouldRunDaemonPod,
  podsByTargetNode,
  podsShouldBeOnNode,
  rollingUpdateBudget,
  rollingUpdateStep,
  templateGeneration,
  unscheduledPodsWithoutNode,
  type BackoffEntry,
  type RollingNode,
} from './decide.js';
import { dedupeCurrent, newRevision, revisionsToCleanUp, splitHistory } from './history.js';
import { calculateDaemonSetStatus, nextDaemonSetStatus } from './status.js';

/** The controller's name (as kube-controller-manager's `daemonset` controller). */
export const DAEMONSET_CONTROLLER_NAME = 'daemonset';
/** The component events are recorded under, as upstream's. */
export const DAEMONSET_CONTROLLER_COMPONENT = 'daemonset-controller';

/** Options of the DaemonSet controller. */
export interface DaemonSetControllerOptions {
  /** Workers (`--concurrent-daemonset-syncs`, default 2). */
  readonly concurrency?: number | undefined;
  /** The most pods one sync creates or deletes (default {@link DAEMONSET_BURST_REPLICAS}). */
  readonly burstReplicas?: number | undefined;
}

const DAEMONSET_KIND = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

/** A DaemonSet as an owner: the identity owner references need. */
function owner(ds: DaemonSet): DaemonSet {
  return { ...ds, ...DAEMONSET_KIND };
}

function selectsAll(ds: DaemonSet): boolean {
  const s = ds.spec.selector;
  return Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

/**
 * The DaemonSet reconciler: exactly one daemon pod on every node that should run one, none
 * elsewhere; rolling updates or OnDelete; history in ControllerRevisions; status.
 *
 * Guarantees: level-triggered — every sync derives what to do from the caches; creations and
 * deletions are gated by expectations (no second round until the informer showed the first),
 * so a stale cache never doubles pods; a restart starts with no expectations and re-derives.
 *
 * Errors: a failed write is thrown and the DaemonSet retried with backoff; the status is
 * written even when pod writes failed.
 */
export class DaemonSetReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #expectations: UidTrackingExpectations;
  readonly #pods: PodControl;
  readonly #burst: number;
  /** Failed-pod backoff per `dsKey/node` (upstream `failedPodsBackoff`). */
  readonly #backoff = new Map<string, BackoffEntry>();

  /** A reconciler on the manager's caches and client; `expectations` are shared with the pod event handler. */
  constructor(manager: Manager, expectations: UidTrackingExpectations, options: DaemonSetControllerOptions = {}) {
    this.#manager = manager;
    this.#expectations = expectations;
    this.#pods = clientPodControl(manager.client, manager.recorder(DAEMONSET_CONTROLLER_COMPONENT));
    this.#burst = options.burstReplicas ?? DAEMONSET_BURST_REPLICAS;
  }

  /** One sync of the DaemonSet `request` (upstream `syncDaemonSet`). */
  async reconcile(request: Request): Promise<Result> {
    const key = keyString(request);
    const cached = this.#manager.cache(DaemonSets).get(request);
    if (cached === undefined) {
      this.#expectations.delete(key);
      for (const k of [...this.#backoff.keys()]) if (k.startsWith(`${key}/`)) this.#backoff.delete(k);
      return done;
    }
    const ds = owner(cached);
    if (selectsAll(ds)) {
      void this.#manager.recorder(DAEMONSET_CONTROLLER_COMPONENT).event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return done;
    }
    // A DaemonSet being deleted: its history may be going too; leave it to the garbage collector.
    if (ds.metadata.deletionTimestamp !== undefined) return done;

    const nodes = this.#manager.cache(Nodes).list();
    const { hash, old } = await this.#constructHistory(ds);
    const pods = await this.#claimPods(ds);

    if (!this.#expectations.satisfied(key)) {
      await this.#updateStatus(ds, nodes, hash, false);
      return done;
    }
    let requeueMs: number | undefined;
    let firstError: unknown;
    try {
      requeueMs = await this.#manage(ds, key, nodes, pods, hash);
      // The rolling update reads the pods again, as upstream's `getNodesToDaemonPods` does: the
      // deletions `manage` just made are in the cache now, and a pod counted from the list read
      // before them would be deleted twice, its second deletion never observed.
      if (this.#expectations.satisfied(key) && ds.spec.updateStrategy.type === 'RollingUpdate') await this.#rollingUpdate(ds, key, nodes, await this.#claimPods(ds), hash);
      await this.#cleanupHistory(ds, old);
    } catch (error) {
      firstError = error;
    }
    const statusRequeue = await this.#updateStatus(ds, nodes, hash, true);
    if (firstError !== undefined) throw firstError;
    const delays = [requeueMs, statusRequeue].filter((d): d is number => d !== undefined);
    return delays.length > 0 ? requeueAfter(Math.min(...delays)) : done;
  }

  // ------------------------------------------------------------------------------- history

  async #constructHistory(ds: DaemonSet): Promise<{ hash: string; old: readonly ControllerRevision[] }> {
    const { client } = this.#manager;
    const namespace = ds.metadata.namespace ?? 'default';
    const candidates = this.#manager.cache(ControllerRevisions).list(namespace);
    const claimed = await claimObjects(candidates, {
      client,
      resource: ControllerRevisions,
      owner: ds,
      matches: (r) => matchesLabelSelector(ds.spec.selector, r.metadata.labels),
      recheckOwner: () => this.#recheck(ds),
    });
    const revisions: ControllerRevision[] = [];
    for (const r of claimed) {
      if (r.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== undefined) {
        revisions.push(r);
        continue;
      }
      // Old revisions without the hash label get their name as the label (upstream).
      revisions.push(await client.update(ControllerRevisions, { ...r, metadata: { ...r.metadata, labels: { ...(r.metadata.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: r.metadata.name ?? '' } } }));
    }
    const split = splitHistory(ds, revisions);
    const dedup = dedupeCurrent(split.current);
    let cur: ControllerRevision;
    if (dedup === undefined) {
      cur = await this.#snapshot(ds, split.nextRevision);
    } else {
      cur = dedup.keep;
      const keepHash = cur.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
      for (const dup of dedup.duplicates) {
        const dupHash = dup.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
        for (const pod of this.#manager.cache(Pods).list(namespace)) {
          if (!isControlledBy(pod, ds) || pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== dupHash) continue;
          await this.#ignoreGone(client.patch(Pods, objectKey(pod), { type: 'merge', body: { metadata: { labels: { [CONTROLLER_REVISION_HASH_LABEL]: keepHash } } } }));
        }
        await this.#ignoreGone(client.delete(ControllerRevisions, objectKey(dup)));
      }
      if (cur.revision < split.nextRevision) cur = await client.update(ControllerRevisions, { ...cur, revision: split.nextRevision });
    }
    return { hash: cur.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '', old: split.old };
  }

  /** Saves the current template as a revision (upstream `snapshot`), handling hash collisions. */
  async #snapshot(ds: DaemonSet, revision: number): Promise<ControllerRevision> {
    const { client } = this.#manager;
    const wanted = newRevision(ds, revision);
    try {
      return await client.create(ControllerRevisions, wanted);
    } catch (error) {
      if (!isApiError(error, 'AlreadyExists')) throw error;
      const existing = await client.get(ControllerRevisions, objectKey(wanted));
      if (splitHistory(ds, [existing]).current.length === 1 && isControlledBy(existing, ds)) return existing;
      // A different template under the same name: bump collisionCount so the next hash differs.
      const fresh = await client.get(DaemonSets, objectKey(ds));
      if ((fresh.status.collisionCount ?? 0) !== (ds.status.collisionCount ?? 0)) throw new Error(`found a stale collision count (${ds.status.collisionCount ?? 0}, expected ${fresh.status.collisionCount ?? 0}) of DaemonSet "${ds.metadata.name ?? ''}" while processing; will retry until it is updated`);
      await client.updateStatus(DaemonSets, { ...fresh, status: { ...fresh.status, collisionCount: (fresh.status.collisionCount ?? 0) + 1 } });
      throw error;
    }
  }

  async #cleanupHistory(ds: DaemonSet, old: readonly ControllerRevision[]): Promise<void> {
    const limit = ds.spec.revisionHistoryLimit;
    if (old.length <= limit) return;
    const live = new Set<string>();
    for (const pod of this.#manager.cache(Pods).byIndex('controllerUid', ds.metadata.uid ?? '')) {
      const h = pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
      if (h !== undefined && h !== '') live.add(h);
    }
    for (const r of revisionsToCleanUp(old, limit, live)) await this.#ignoreGone(this.#manager.client.delete(ControllerRevisions, objectKey(r)));
  }

  // ---------------------------------------------------------------------------------- pods

  async #claimPods(ds: DaemonSet): Promise<Pod[]> {
    const candidates = ownedOrOrphaned(this.#manager.cache(Pods), ds);
    return claimObjects(candidates, {
      client: this.#manager.client,
      resource: Pods,
      owner: ds,
      matches: (p) => matchesLabelSelector(ds.spec.selector, p.metadata.labels),
      recheckOwner: () => this.#recheck(ds),
    });
  }

  async #recheck(ds: DaemonSet): Promise<DaemonSet | undefined> {
    try {
      return owner(await this.#manager.client.get(DaemonSets, objectKey(ds)));
    } catch (error) {
      if (isApiError(error, 'NotFound')) return undefined;
      throw error;
    }
  }

  /** Upstream `manage`: one pod per node that should run one; returns a requeue delay for failed pods in backoff. */
  async #manage(ds: DaemonSet, key: string, nodes: readonly Node[], pods: readonly Pod[], hash: string): Promise<number | undefined> {
    // Terminal pods already being deleted are done with (upstream `includeDeletedTerminal` false).
    const live = pods.filter((p) => !((p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p.metadata.deletionTimestamp !== undefined));
    const byNode = podsByTargetNode(live);
    const now = this.#manager.clock.now();
    const surge = allowsSurge(ds);
    const create: string[] = [];
    const remove: Pod[] = [];
    let requeueMs: number | undefined;
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      const action = podsShouldBeOnNode(byNode.get(name) ?? [], {
        placement: nodeShouldRunDaemonPod(node, ds),
        allowsSurge: surge,
        hash,
        generation: templateGeneration(ds),
        minReadySeconds: ds.spec.minReadySeconds ?? 0,
        nowMs: now,
      });
      if (action.create) create.push(name);
      remove.push(...action.delete);
      for (const pod of action.failed) {
        const backoffKey = `${key}/${name}`;
        const entry = this.#backoff.get(backoffKey);
        if (inFailedPodBackoff(entry, now)) {
          requeueMs = Math.min(requeueMs ?? Infinity, entry!.delayMs);
          continue;
        }
        this.#backoff.set(backoffKey, nextFailedPodBackoff(entry, now));
        const msg = `Found failed daemon pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} on node ${name}, will try to kill it`;
        void this.#manager.recorder(DAEMONSET_CONTROLLER_COMPONENT).event(ds, 'Warning', 'FailedDaemonPod', msg);
        remove.push(pod);
      }
    }
    remove.push(...unscheduledPodsWithoutNode(new Set(nodes.map((n) => n.metadata.name ?? '')), byNode));
    await this.#syncNodes(ds, key, remove, create, hash);
    return requeueMs;
  }

  /** Upstream `rollingUpdate`: delete old pods within maxUnavailable, or surge new ones within maxSurge. */
  async #rollingUpdate(ds: DaemonSet, key: string, nodes: readonly Node[], pods: readonly Pod[], hash: string): Promise<void> {
    const live = pods.filter((p) => !((p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p.metadata.deletionTimestamp !== undefined));
    const byNode = podsByTargetNode(live);
    const rolling: RollingNode[] = [];
    const nodeByName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
    let desired = 0;
    for (const node of nodes) {
      if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
      desired++;
      const name = node.metadata.name ?? '';
      if (!byNode.has(name)) byNode.set(name, []);
    }
    for (const [name, onNode] of byNode) {
      const node = nodeByName.get(name);
      rolling.push({ name, pods: onNode, shouldRun: node !== undefined && nodeShouldRunDaemonPod(node, ds).shouldRun });
    }
    const { maxSurge, maxUnavailable } = rollingUpdateBudget(ds, desired);
    const step = rollingUpdateStep({
      nodes: rolling,
      hash,
      generation: templateGeneration(ds),
      maxSurge,
      maxUnavailable,
      desiredNumberScheduled: desired,
      minReadySeconds: ds.spec.minReadySeconds ?? 0,
      nowMs: this.#manager.clock.now(),
    });
    await this.#syncNodes(ds, key, step.deletePods, step.createOnNodes, hash);
  }

  /** Upstream `syncNodes`: creates pods for `nodes` in slow-start batches and deletes `remove`, under expectations. */
  async #syncNodes(ds: DaemonSet, key: string, remove: readonly Pod[], nodes: readonly string[], hash: string): Promise<void> {
    const creating = nodes.slice(0, this.#burst);
    const deleting = remove.slice(0, this.#burst);
    if (creating.length === 0 && deleting.length === 0) return;
    this.#expectations.setExpectationsOf(key, creating.length, deleting.map(keyOf));
    let firstError: unknown;
    const ref = newControllerRef(ds);
    let attempted = 0;
    const { error } = await slowStartBatch(creating.length, SLOW_START_INITIAL_BATCH_SIZE, async (i) => {
      attempted++;
      const template = daemonPodTemplateFor(ds, creating[i]!, hash);
      try {
        await this.#pods.createPod(podFromTemplate(template, ds, ref), ds);
      } catch (e) {
        this.#expectations.creationObserved(key);
        throw e;
      }
    });
    if (error !== undefined) {
      firstError = error;
      // Creations never attempted will never be observed.
      for (let i = attempted; i < creating.length; i++) this.#expectations.creationObserved(key);
    }
    const results = await Promise.allSettled(deleting.map((pod) => this.#pods.deletePod(pod.metadata.namespace ?? '', pod.metadata.name ?? '', ds)));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      this.#expectations.podDeletionObserved(key, keyOf(deleting[i]!));
      if (!isApiError(r.reason, 'NotFound')) firstError ??= r.reason;
    });
    if (firstError !== undefined) throw firstError;
  }

  // -------------------------------------------------------------------------------- status

  /** Writes the status; returns a requeue delay while pods wait out `minReadySeconds`. */
  async #updateStatus(ds: DaemonSet, nodes: readonly Node[], hash: string, observe: boolean): Promise<number | undefined> {
    const pods = this.#manager
      .cache(Pods)
      .byIndex('controllerUid', ds.metadata.uid ?? '')
      .filter((p) => !((p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p.metadata.deletionTimestamp !== undefined));
    const counts = calculateDaemonSetStatus(ds, nodes, pods, hash, this.#manager.clock.now());
    const status = nextDaemonSetStatus(ds, counts, observe);
    if (status !== undefined) {
      const { client } = this.#manager;
      try {
        await client.updateStatus(DaemonSets, { ...ds, status });
      } catch (error) {
        if (isApiError(error, 'NotFound')) return undefined;
        if (!isApiError(error, 'Conflict')) throw error;
        // One retry on a fresh read (upstream `StatusUpdateRetries`).
        const fresh = owner(await client.get(DaemonSets, objectKey(ds)));
        const again = nextDaemonSetStatus(fresh, counts, observe);
        if (again !== undefined) await client.updateStatus(DaemonSets, { ...fresh, status: again });
      }
    }
    return untilNextAvailable(pods, ds.spec.minReadySeconds ?? 0, this.#manager.clock.now());
  }

  async #ignoreGone(write: Promise<unknown>): Promise<void> {
    try {
      await write;
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
  }
}

/**
 * How long until the first of `pods` that is ready but not yet available (ready for
 * `minReadySeconds`) becomes available, or undefined when none waits. Upstream's `updatePod`
 * enqueues the DaemonSet `minReadySeconds` after a pod turns ready: nothing else changes when it
 * becomes available, and a surging rollout waits for exactly that (a new pod next to an older
 * one, which the status counts do not judge) before it deletes the old pod and moves on.
 */
function untilNextAvailable(pods: readonly Pod[], minReadySeconds: number, nowMs: number): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let soonest: number | undefined;
  for (const pod of pods) {
    const ms = msUntilAvailable(pod, minReadySeconds, nowMs);
    if (ms !== undefined && ms > 0) soonest = Math.min(soonest ?? ms, ms);
  }
  return soonest;
}

/**
 * The pod and node event handlers of the DaemonSet controller (upstream `addPod`/`updatePod`/
 * `deletePod`, `addNode`/`updateNode`): pods enqueue their DaemonSet and settle its
 * expectations; orphans enqueue the DaemonSets that select them; node changes enqueue the
 * DaemonSets whose placement on that node changed.
 */
export function daemonSetEventHandlers(manager: Manager, expectations: UidTrackingExpectations): { readonly pods: EventHandler<Pod>; readonly nodes: EventHandler<Node> } {
  const daemonSets = (): readonly DaemonSet[] => manager.cache(DaemonSets).list();
  /**
   * A pod seen marked for deletion, or gone: its deletion counts if the DaemonSet expects it,
   * once (its later updates and its delete event cannot satisfy another pending deletion
   * early). Any event after the sync expected it counts, so a pod marked by someone else (the
   * taint manager) while the sync that deletes it ran still counts when its kubelet finishes it.
   */
  const observeDeletion = (pod: Pod, owned: Request): void => expectations.podDeletionObserved(keyString(owned), keyOf(pod));
  const resolve = (pod: Pod): Request | undefined => {
    const ref = controllerRef(pod);
    if (ref === undefined || ref.kind !== 'DaemonSet') return undefined;
    const key = { namespace: pod.metadata.namespace ?? '', name: ref.name };
    const ds = manager.cache(DaemonSets).get(key);
    return ds !== undefined && ds.metadata.uid === ref.uid ? key : undefined;
  };
  const selecting = (pod: Pod): Request[] =>
    daemonSets()
      .filter((ds) => ds.metadata.namespace === pod.metadata.namespace && matchesLabelSelector(ds.spec.selector, pod.metadata.labels))
      .map((ds) => objectKey(ds as KubeObject));
  const pods: EventHandler<Pod> = {
    map(event) {
      const pod = event.object;
      const owned = resolve(pod);
      switch (event.type) {
        case 'add':
          if (owned === undefined) return controllerRef(pod) === undefined ? selecting(pod) : [];
          if (pod.metadata.deletionTimestamp !== undefined) observeDeletion(pod, owned);
          else expectations.creationObserved(keyString(owned));
          return [owned];
        case 'update': {
          const out: Request[] = [];
          // As upstream's updatePod: a pod marked for deletion counts as deleted now, not when its
          // kubelet finishes it (which a dead node never does), so the replacement comes at once.
          if (owned !== undefined && pod.metadata.deletionTimestamp !== undefined) observeDeletion(pod, owned);
          const oldOwner = resolve(event.old);
          if (oldOwner !== undefined && (owned === undefined || keyString(oldOwner) !== keyString(owned))) out.push(oldOwner);
          if (owned !== undefined) out.push(owned);
          else if (controllerRef(pod) === undefined) out.push(...selecting(pod));
          return out;
        }
        case 'delete':
          if (owned === undefined) return [];
          observeDeletion(pod, owned);
          return [owned];
      }
    },
  };
  const nodes: EventHandler<Node> = {
    map(event) {
      const out: Request[] = [];
      for (const ds of daemonSets()) {
        const now = nodeShouldRunDaemonPod(event.object, ds);
        let concerned: boolean;
        if (event.type === 'add') concerned = now.shouldRun;
        else if (event.type === 'delete') concerned = true;
        else {
          const before = nodeShouldRunDaemonPod(event.old, ds);
          concerned = before.shouldRun !== now.shouldRun || before.shouldContinueRunning !== now.shouldContinueRunning;
        }
        if (concerned) out.push(objectKey(ds as KubeObject));
      }
      return out;
    },
  };
  return { pods, nodes };
}

/**
 * Builds the DaemonSet controller on a manager: DaemonSets, their pods and ControllerRevisions,
 * and Nodes.
 */
export function daemonSetController(manager: Manager, options: DaemonSetControllerOptions = {}): Controller {
  const expectations = new UidTrackingExpectations(manager.clock);
  const handlers = daemonSetEventHandlers(manager, expectations);
  return controllerFor(manager, DaemonSets)
    .named(DAEMONSET_CONTROLLER_NAME)
    .owns(ControllerRevisions)
    .watches(Pods, handlers.pods)
    .watches(Nodes, handlers.nodes)
    .withConcurrency(options.concurrency ?? 2)
    .complete(new DaemonSetReconciler(manager, expectations, options));
}
