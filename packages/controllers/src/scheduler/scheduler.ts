/**
 * The scheduler as a runnable of a core `Manager` (upstream `Scheduler.Run` / `ScheduleOne`):
 * informers feed a cache of nodes and their pods and the {@link SchedulingQueue}; one loop pops
 * a pod, runs the pure {@link scheduleOne} cycle over the cache, assumes the pod on the chosen
 * node, and binds it in the background while the next cycle starts.
 *
 * @module
 */
import {
  Namespaces,
  Nodes,
  PersistentVolumeClaims,
  PersistentVolumes,
  Pods,
  StorageClasses,
  formatTime,
  type CacheReader,
  type InformerEvent,
  type Manager,
  type Node,
  type Pod,
  type PodCondition,
  type Rng,
  type Runnable,
} from '@kubeloop/core';
import { DEFAULT_BINDER, builtinPlugins, defaultBinder, defaultProfile } from './defaults.js';
import { SchedulerError } from './errors.js';
import { buildFramework, fitErrorMessage, scheduleOne, type AnyPlugin, type Diagnosis, type CycleCursor, type Framework, type QueuedPodInfo, type SchedulerProfile } from './framework.js';
import { ClusterIndex, NodeInfo, isTerminal, podInfo, type PodInfo, type Snapshot } from './nodeinfo.js';
import { volumeBindingPlugin } from './plugins/volume.js';
import { SchedulingQueue, keyOf } from './queue.js';

/** Options of the scheduler. */
export interface SchedulerOptions {
  /**
   * The profiles (default: one {@link defaultProfile} named `default-scheduler`). Pods choose
   * one with `spec.schedulerName`; pods naming no profile here are left alone. All profiles
   * must use the same QueueSort plugin (upstream requires it too: there is one queue).
   */
  readonly profiles?: readonly SchedulerProfile[];
  /**
   * Extra framework plugins, usable by name in profiles. A function gets the manager (for
   * plugins that need the client or caches). Names must not clash with the built-ins
   * (`SchedulerError` `duplicate-plugin`).
   */
  readonly plugins?: readonly AnyPlugin[] | ((manager: Manager) => readonly AnyPlugin[]);
  /** The runnable's name (default `scheduler`). */
  readonly name?: string;
  /** Called with errors the scheduler survives (failed status writes, plugin errors). */
  readonly onError?: (error: unknown) => void;
}

/** The reason of the `PodScheduled=False` condition of a pod that fits nowhere. */
export const REASON_UNSCHEDULABLE = 'Unschedulable';

/**
 * Upstream's `PodScheduled` condition for an unschedulable pod: `False`, reason `Unschedulable`,
 * `message`. Keeps `lastTransitionTime` when the status did not change. Returns `undefined`
 * when the pod already has exactly this condition (nothing to write).
 */
export function unschedulableConditions(pod: Pod, message: string, now: number): PodCondition[] | undefined {
  const conditions = pod.status.conditions ?? [];
  const prev = conditions.find((c) => c.type === 'PodScheduled');
  if (prev?.status === 'False' && prev.reason === REASON_UNSCHEDULABLE && prev.message === message) return undefined;
  const next: PodCondition = {
    type: 'PodScheduled',
    status: 'False',
    reason: REASON_UNSCHEDULABLE,
    message,
    lastProbeTime: null,
    lastTransitionTime: prev?.status === 'False' && prev.lastTransitionTime ? prev.lastTransitionTime : formatTime(now),
  };
  return [...conditions.filter((c) => c.type !== 'PodScheduled'), next];
}

/**
 * The scheduler. Create it with {@link Scheduler.create} before the manager starts (its
 * informers then sync with the others), or use the core plugin `schedulerPlugin`.
 *
 * Guarantees:
 * - one pod is decided at a time; a decision counts every pod bound or assumed before it, so
 *   two pods never get the same free resources even before the informer sees the bindings;
 * - a pod that fits nowhere gets `PodScheduled=False` (reason `Unschedulable`, upstream's
 *   message) and a `FailedScheduling` Warning event, and is retried when a node is added or
 *   changes, an assigned pod goes away, or storage changes (and at the latest after 5 minutes);
 * - a bound pod gets a `Scheduled` Normal event `Successfully assigned <ns>/<name> to <node>`;
 * - before binding, the PreBind plugins run (VolumeBinding binds or provisions the pod's
 *   `WaitForFirstConsumer` claims for the node and waits until they are bound);
 * - a failed PreBind or bind forgets the assumed pod and retries it after its backoff (1 s … 10 s).
 *
 * Caveats: preemption and nominated nodes are not modelled; gated pods (`schedulingGates`) are
 * not queued. Queueing hints are coarse: node and storage changes and assigned-pod deletions
 * move every unschedulable pod back; a newly bound pod moves those rejected by
 * InterPodAffinity or PodTopologySpread.
 */
export class Scheduler implements Runnable {
  readonly name: string;
  readonly needLeaderElection = true;
  readonly #manager: Manager;
  readonly #frameworks = new Map<string, Framework>();
  readonly #queue: SchedulingQueue;
  readonly #rng: Rng;
  readonly #cursor: CycleCursor = { nextStartNodeIndex: 0 };
  readonly #onError: (error: unknown) => void;
  readonly #pods: CacheReader<Pod>;
  /** Node name → its pods (also for nodes not seen yet): the source of truth of placements. */
  readonly #byNode = new Map<string, Map<string, PodInfo>>();
  readonly #podNode = new Map<string, string>();
  readonly #infos = new Map<string, NodeInfo>();
  readonly #index = new ClusterIndex();
  /** Pods assumed on a node and not yet seen bound by the informer. */
  readonly #assumed = new Set<string>();
  readonly #binds = new Set<Promise<void>>();
  #nodeList: NodeInfo[] | undefined;
  readonly #snapshot: Snapshot;
  /** Aborts when the loop stops: PreBind plugins waiting for volumes give up. */
  #signal: AbortSignal = new AbortController().signal;

  private constructor(manager: Manager, options: SchedulerOptions) {
    this.#manager = manager;
    this.name = options.name ?? 'scheduler';
    this.#rng = manager.rng.fork();
    this.#onError = options.onError ?? (() => undefined);
    const registry = builtinPlugins();
    registry.set(DEFAULT_BINDER, defaultBinder(manager.client));
    registry.set('VolumeBinding', volumeBindingPlugin({ client: manager.client, clock: manager.clock, snapshot: () => this.#snapshot }));
    const extra = typeof options.plugins === 'function' ? options.plugins(manager) : (options.plugins ?? []);
    for (const p of extra) {
      if (registry.has(p.name)) throw new SchedulerError('duplicate-plugin', `a scheduler plugin named "${p.name}" is already registered`);
      registry.set(p.name, p);
    }
    const profiles = options.profiles ?? [defaultProfile()];
    for (const profile of profiles) {
      if (this.#frameworks.has(profile.schedulerName)) throw new SchedulerError('invalid-profile', `two profiles named ${profile.schedulerName}`);
      this.#frameworks.set(profile.schedulerName, buildFramework(profile, registry));
    }
    const frameworks = [...this.#frameworks.values()];
    if (frameworks.length === 0) throw new SchedulerError('invalid-profile', 'at least one profile is needed');
    if (new Set(frameworks.map((f) => f.queueSort.name)).size > 1) throw new SchedulerError('invalid-profile', 'all profiles must use the same QueueSort plugin');
    this.#queue = new SchedulingQueue(manager.clock, frameworks[0]!.queueSort);
    this.#pods = manager.cache(Pods);
    manager.cache(Nodes); // registers the informer now, so it syncs with the manager's
    const pvcs = manager.cache(PersistentVolumeClaims);
    const pvs = manager.cache(PersistentVolumes);
    const classes = manager.cache(StorageClasses);
    const namespaces = manager.cache(Namespaces);
    const list = () => this.#list();
    this.#snapshot = {
      get nodes() {
        return list();
      },
      get: (name) => this.#infos.get(name),
      havePodsWithAffinity: this.#index.withAffinity,
      havePodsWithRequiredAntiAffinity: this.#index.withRequiredAntiAffinity,
      imageNodeCount: (name) => this.#index.imageNodes.get(name) ?? 0,
      pvc: (namespace, name) => pvcs.get({ namespace, name }),
      pv: (name) => pvs.get({ name }),
      pvs: () => pvs.list(),
      storageClass: (name) => classes.get({ name }),
      namespaceLabels: (name) => namespaces.get({ name })?.metadata.labels ?? (namespaces.get({ name }) ? {} : undefined),
    };
  }

  /**
   * Creates the scheduler on `manager` (its informers are registered at once) and adds it as a
   * leader-elected runnable.
   *
   * @throws {@link SchedulerError} `invalid-profile` / `duplicate-plugin` for a bad configuration.
   */
  static create(manager: Manager, options: SchedulerOptions = {}): Scheduler {
    const s = Scheduler.build(manager, options);
    manager.add(s);
    return s;
  }

  /**
   * Creates the scheduler on `manager` without adding it (for a plugin's `addRunnable`, which adds it).
   *
   * @throws {@link SchedulerError} `invalid-profile` / `duplicate-plugin` for a bad configuration.
   */
  static build(manager: Manager, options: SchedulerOptions = {}): Scheduler {
    return new Scheduler(manager, options);
  }

  /** The queue (read-only use: sizes and placement, for tests and diagnostics). */
  get queue(): Pick<SchedulingQueue, 'sizes' | 'where' | 'assertInvariants'> {
    return this.#queue;
  }

  /** The live snapshot: the nodes and pods (bound and assumed) the next cycle will see. */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Runs the scheduling loop until `signal` aborts; waits for bindings in flight before settling. */
  async start(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    const subs: (() => void)[] = [];
    const informers = this.#manager.informers;
    subs.push(informers.informerFor(Nodes).addEventHandler(isolated((e) => this.#onNode(e))));
    subs.push(informers.informerFor(Pods).addEventHandler(isolated((e) => this.#onPod(e))));
    const storageChanged = isolated((e: { readonly type: string }) => {
      if (e.type !== 'delete') this.#queue.moveAllToActiveOrBackoff();
    });
    subs.push(informers.informerFor(PersistentVolumeClaims).addEventHandler(storageChanged));
    subs.push(informers.informerFor(PersistentVolumes).addEventHandler(storageChanged));
    subs.push(informers.informerFor(StorageClasses).addEventHandler(storageChanged));
    const close = () => this.#queue.close();
    if (signal.aborted) close();
    signal.addEventListener('abort', close, { once: true });
    try {
      for (;;) {
        const info = await this.#queue.pop();
        if (info === undefined) break;
        this.#scheduleOne(info);
      }
    } finally {
      for (const unsubscribe of subs) unsubscribe();
      await Promise.all([...this.#binds]);
    }
  }

  #list(): NodeInfo[] {
    this.#nodeList ??= [...this.#infos.values()];
    return this.#nodeList;
  }

  #responsible(pod: Pod): boolean {
    return (
      this.#frameworks.has(pod.spec.schedulerName) &&
      (pod.spec.nodeName === undefined || pod.spec.nodeName === '') &&
      !isTerminal(pod) &&
      !pod.metadata.deletionTimestamp &&
      (pod.spec.schedulingGates?.length ?? 0) === 0
    );
  }

  #onNode(e: InformerEvent<Node>): void {
    const name = e.object.metadata.name ?? '';
    if (e.type === 'delete') {
      this.#infos.get(name)?.detach();
      this.#infos.delete(name);
      this.#nodeList = undefined;
      return;
    }
    const existing = this.#infos.get(name);
    if (existing !== undefined) {
      if (e.type === 'update' && e.old === e.object) return; // resync
      const before = existing.node;
      existing.setNode(e.object);
      // Heartbeats and condition updates change nothing a filter reads: no retry storm.
      if (!nodeSchedulingPropertiesChanged(before, e.object)) return;
    } else {
      const info = new NodeInfo(e.object, this.#index);
      for (const p of this.#byNode.get(name)?.values() ?? []) info.addPod(p);
      this.#infos.set(name, info);
      this.#nodeList = undefined;
    }
    this.#queue.moveAllToActiveOrBackoff();
  }

  #onPod(e: InformerEvent<Pod>): void {
    const pod = e.object;
    const key = keyOf(pod);
    const host = pod.spec.nodeName;
    if (e.type === 'delete' || (host !== undefined && host !== '' && isTerminal(pod))) {
      const wasPlaced = this.#removePlacement(key);
      this.#queue.delete(key);
      if (wasPlaced) this.#queue.moveAllToActiveOrBackoff();
      return;
    }
    if (host !== undefined && host !== '') {
      // A bound pod's status write (two per pod as it starts) changes nothing the node's
      // totals or a plugin reads: the placed info takes the new version without being re-filed
      // (re-filing was 3% of a large run); keeping the old version would keep it in memory.
      const byKey = this.#byNode.get(host);
      const placed = byKey?.get(key);
      if (placed !== undefined && !this.#assumed.has(key) && sameForScheduling(placed.pod, pod)) {
        const info: PodInfo = { ...placed, pod };
        byKey!.set(key, info);
        this.#infos.get(host)?.replacePod(info);
        return;
      }
      const isNew = !this.#podNode.has(key) || this.#assumed.has(key);
      this.#assumed.delete(key);
      this.#queue.delete(key);
      this.#place(key, host, podInfo(pod));
      if (isNew) this.#queue.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD_PLUGINS);
      return;
    }
    if (this.#assumed.has(key)) return; // our binding is on its way
    if (this.#responsible(pod)) this.#queue.add(pod);
    else this.#queue.delete(key);
  }

  #place(key: string, host: string, info: PodInfo): void {
    const prev = this.#podNode.get(key);
    if (prev !== undefined && prev !== host) this.#removePlacement(key);
    this.#podNode.set(key, host);
    let m = this.#byNode.get(host);
    if (m === undefined) this.#byNode.set(host, (m = new Map()));
    m.set(key, info);
    this.#infos.get(host)?.addPod(info);
  }

  /** The uid of the pod placed (bound or assumed) under `key`, if any. */
  #placedUid(key: string): string | undefined {
    const host = this.#podNode.get(key);
    return host === undefined ? undefined : this.#byNode.get(host)?.get(key)?.pod.metadata.uid;
  }

  #removePlacement(key: string): boolean {
    const host = this.#podNode.get(key);
    if (host === undefined) return false;
    this.#podNode.delete(key);
    this.#assumed.delete(key);
    this.#byNode.get(host)?.delete(key);
    this.#infos.get(host)?.removePod(key);
    return true;
  }

  #scheduleOne(queued: QueuedPodInfo): void {
    const pod = this.#pods.get(queued.key);
    if (pod === undefined || !this.#responsible(pod) || this.#assumed.has(queued.key)) {
      this.#queue.done(queued.key);
      return;
    }
    const info: QueuedPodInfo = { ...queued, pod };
    const fw = this.#frameworks.get(pod.spec.schedulerName)!;
    const result = scheduleOne(fw, pod, this.#snapshot, this.#cursor, this.#rng);
    switch (result.kind) {
      case 'scheduled':
        this.#assumeAndBind(fw, info, result.nodeName);
        return;
      case 'unschedulable': {
        const message = fitErrorMessage(result.numAllNodes, result.diagnosis);
        this.#queue.addUnschedulable(info, unschedulablePlugins(result.diagnosis));
        this.#recordFailure(fw, pod, message);
        return;
      }
      case 'error':
        this.#onError(result.error);
        this.#queue.addBackoff(info);
        this.#recordFailure(fw, pod, result.error.message);
        return;
      default:
        return unreachable(result);
    }
  }

  #assumeAndBind(fw: Framework, info: QueuedPodInfo, nodeName: string): void {
    const key = info.key;
    const assumed: Pod = { ...info.pod, spec: { ...info.pod.spec, nodeName } };
    this.#assumed.add(key);
    this.#place(key, nodeName, podInfo(assumed));
    this.#queue.done(key);
    const recorder = this.#manager.recorder(fw.profile.schedulerName);
    const bind = (async () => {
      let status = { code: 'Skip' as string, reasons: [] as readonly string[] };
      let failure: string | undefined;
      for (const p of fw.preBind) {
        const s = await p.preBind(info.pod, nodeName, this.#signal);
        if (s.code !== 'Success' && s.code !== 'Skip') {
          failure = `running PreBind plugin "${p.name}": ${s.reasons.join(', ')}`;
          break;
        }
      }
      if (failure === undefined) {
        for (const b of fw.bind) {
          status = await b.bind(info.pod, nodeName);
          if (status.code !== 'Skip') break;
        }
      }
      if (failure === undefined && status.code === 'Success') {
        void recorder.event(info.pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${nodeName}`);
        return;
      }
      // Forget the assumption (unless the informer already saw the pod bound). The resources it
      // held are free again: like upstream, treat it as an assigned pod's deletion. Only this
      // pod's own, as upstream's cache forgets by uid: a pod created again under the same name
      // while this cycle ran may be assumed by its own cycle, which must not run twice.
      if (this.#assumed.has(key) && this.#placedUid(key) === info.pod.metadata.uid) {
        this.#removePlacement(key);
        this.#queue.moveAllToActiveOrBackoff();
      }
      const message = failure ?? (status.code === 'Skip' ? 'no bind plugin bound the pod' : `Binding rejected: ${status.reasons.join(', ')}`);
      void recorder.event(info.pod, 'Warning', 'FailedScheduling', message);
      const latest = this.#pods.get(key);
      if (latest !== undefined && this.#responsible(latest)) this.#queue.addBackoff({ ...info, pod: latest });
    })().catch((e: unknown) => this.#onError(e));
    this.#binds.add(bind);
    void bind.then(() => this.#binds.delete(bind));
  }

  #recordFailure(fw: Framework, pod: Pod, message: string): void {
    void this.#manager.recorder(fw.profile.schedulerName).event(pod, 'Warning', 'FailedScheduling', message);
    const write = this.#writeCondition(pod, message).catch((e: unknown) => this.#onError(e));
    this.#binds.add(write);
    void write.then(() => this.#binds.delete(write));
  }

  async #writeCondition(pod: Pod, message: string): Promise<void> {
    const client = this.#manager.client;
    let current = pod;
    for (let attempt = 0; attempt < 3; attempt++) {
      const conditions = unschedulableConditions(current, message, this.#manager.clock.now());
      if (conditions === undefined) return;
      try {
        await client.updateStatus(Pods, { ...current, status: { ...current.status, conditions } });
        return;
      } catch (e) {
        if (attempt === 2) throw e;
        const fresh = await client.get(Pods, { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' }).catch(() => undefined);
        if (fresh === undefined || (fresh.spec.nodeName ?? '') !== '') return;
        current = fresh;
      }
    }
  }
}

/**
 * The plugins whose verdict may change when a pod is bound (upstream's `AssignedPodAdd`
 * event): a new pod can complete an affinity group or change a spread.
 */
const ASSIGNED_POD_ADD_PLUGINS = ['InterPodAffinity', 'PodTopologySpread'];

/**
 * Whether a node update can change a scheduling decision (upstream
 * `nodeSchedulingPropertiesChange`): `spec.unschedulable`, taints, labels, allocatable, images.
 */
export function nodeSchedulingPropertiesChanged(old: Node, node: Node): boolean {
  const props = (n: Node) => JSON.stringify([n.spec.unschedulable ?? false, n.spec.taints ?? [], n.metadata.labels ?? {}, n.status.allocatable ?? {}, n.status.images ?? []]);
  return props(old) !== props(node);
}

/**
 * Whether a bound pod's new version files the same on its node as the placed one: the same spec
 * and labels objects (a status write shares them with the version before), the same uid and
 * deletion state. The plugins and the node's totals read nothing else of a placed pod (a
 * terminal phase removes it before this is asked).
 */
function sameForScheduling(placed: Pod, pod: Pod): boolean {
  const a = placed.metadata;
  const b = pod.metadata;
  return placed.spec === pod.spec && a.labels === b.labels && a.uid === b.uid && a.deletionTimestamp === b.deletionTimestamp;
}

/** The plugins that rejected the pod on some node (upstream `UnschedulablePlugins`). */
function unschedulablePlugins(d: Diagnosis): Set<string> {
  const out = new Set<string>();
  for (const s of d.nodeToStatus.values()) if (s.plugin !== undefined) out.add(s.plugin);
  return out;
}

function unreachable(x: never): never {
  throw new SchedulerError('plugin-failed', `unhandled cycle result ${JSON.stringify(x)}`);
}

/**
 * An informer handler that throws nothing at the informer: what `handler` throws is thrown on a
 * later turn and delivery goes on, as with an RxJS subscriber of `events$` (the informers are
 * shared with other handlers, which must still get every event).
 */
function isolated<E>(handler: (event: E) => void): (event: E) => void {
  return (event) => {
    try {
      handler(event);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  };
}
