/**
 * The fake kubelet: one per node, a thin orchestrator on the virtual clock. It registers the
 * Node, renews the node Lease, watches the pods bound to its node, drives one
 * {@link PodWorker} per pod and writes what they decide — status (only when it changed),
 * events, and the final delete of a gracefully deleted pod.
 *
 * @module
 */
import type { CacheReader, Client, Clock, Container, EventRecorder, HostPort, InformerEvent, Lease, Node, ObjectKey, Pod, PodStatus, RateLimitingWorkqueue, Rng, Timer, Volume } from '@kubeloop/core';
import {
  ConfigMaps,
  EventRecorder as Recorder,
  ItemExponentialFailureRateLimiter,
  Leases,
  NODE_LEASE_NAMESPACE,
  Nodes,
  PersistentVolumeClaims,
  PersistentVolumes,
  Pods,
  Secrets,
  SharedInformerFactory,
  createRateLimitingQueue,
  deepEqual,
  formatMicroTime,
  formatTime,
  isApiError,
  podHostPorts,
  tryParseQuantity,
} from '@kubeloop/core';
import { BehaviorRegistry } from './behavior.js';
import { RuntimeFakeError } from './errors.js';
import type { FakeNodeConfig } from './node.js';
import { buildNode, healthyNodeConditions, nodeCapacity, nodeHostFiles, nodeIPFor, podCIDRFor, podIPIn } from './node.js';
import type { AdmissionResources } from './admission.js';
import { allocatableResources, podRequests } from './admission.js';
import type { PodSyncAction, PodSyncInput, PodSyncState } from './pod-sync.js';
import { initialPodSyncState, podSyncStep, podsDifferSemantically } from './pod-sync.js';
import type { ContainerRuntimeOptions } from './runtime.js';
import { FakeContainerRuntime } from './runtime.js';
import { containerCpuModel, containerUsage } from './usage.js';
import type { UsageContainer } from './usage.js';
import { usageIntegral } from './usage-shape.js';
import type { StatsSummary, StatsTimes } from './kubelet-stats.js';
import { CpuTotals, NODE_SYSTEM_USAGE, formatResourceMetrics } from './kubelet-stats.js';
import type { PodRuntimeView } from './status.js';
import type { ContainerLogLine, PodData, ProgramExec } from './shell/program.js';
import { containerConfigError, loadPodData } from './shell/program.js';
import type { WorkerInput } from './worker.js';
import { PodWorker } from './worker.js';
import { FAILED_ATTACH_VOLUME, multiAttachError } from './volumes.js';

/** How a {@link FakeKubelet} is built. */
export interface FakeKubeletOptions {
  /** The API it talks to. */
  readonly client: Client;
  /** Virtual (or real) time. */
  readonly clock: Clock;
  /** Container ids, digests, event names. */
  readonly rng: Rng;
  /** The node it runs. */
  readonly node: FakeNodeConfig;
  /** How containers behave (default: a fresh {@link BehaviorRegistry}). Shared registries may be passed to several nodes. */
  readonly behaviors?: BehaviorRegistry | undefined;
  /** Image sizes, pull timing and preloaded images of the node's runtime. */
  readonly runtime?: Omit<ContainerRuntimeOptions, 'rng'> | undefined;
  /** `leaseDurationSeconds` of the node Lease (default 40, upstream's). */
  readonly leaseDurationSeconds?: number | undefined;
  /** How often the Lease is renewed and the node status checked (default 10 000 ms, upstream's). */
  readonly heartbeatMs?: number | undefined;
  /** How often the node status is posted even when unchanged (default 5 min, upstream's `nodeStatusReportFrequency`). */
  readonly nodeStatusReportMs?: number | undefined;
  /** Failed API calls (the kubelet retries); default: ignored. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** What one pod's running containers use, as the kubelet's resource metrics report it. */
export interface PodUsage {
  /** The pod's namespace. */
  readonly namespace: string;
  /** The pod's name. */
  readonly name: string;
  /** The pod's uid. */
  readonly uid: string;
  /** Each running container's CPU (millicores) and memory (bytes). */
  readonly containers: readonly { readonly name: string; readonly cpuMillicores: number; readonly memoryBytes: number }[];
}

/** What one action of a pod sync produced: the next input, `stop`, or nothing. */
type PerformResult = PodSyncInput | 'stop' | undefined;

/** The first retry of a failed pod sync: 1 s; it doubles per consecutive failure of the pod. */
const SYNC_RETRY_INITIAL_MS = 1000;
/** The longest wait before retrying a failed pod sync: 10 s, upstream's pod worker `backOffPeriod`. */
const SYNC_RETRY_MAX_MS = 10_000;

function keyOf(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/**
 * A fake kubelet.
 *
 * It is an ordinary client of core's machinery: a pod informer with the field selector
 * `spec.nodeName=<node>` (so a watch that expires with 410 Gone is followed by a relist, as
 * for every informer), a rate-limited workqueue of pod keys (dedupe, one sync per pod at a
 * time, a requeue at the earliest pending deadline, per-pod backoff after a failed sync), and
 * the decisions of each sync made by the pure `podSyncStep` (`pod-sync.ts`).
 *
 * Guarantees:
 * - it only ever runs pods whose `spec.nodeName` is its node (the informer is field-selected
 *   and each sync checks again);
 * - it admits a pod only if it fits in what the admitted, unfinished pods leave of the node's
 *   allocatable cpu, memory and pod count, the node matches its node selector and required
 *   affinity, its host ports are free and it tolerates the node's `NoExecute` taints; otherwise
 *   the pod fails at once with upstream's reason (`OutOfcpu`, `OutOfmemory`, `OutOfpods`,
 *   `NodeAffinity`, `NodePorts`, `TaintToleration`) and message (see `admissionRejection`);
 * - it writes a pod's status only when the computed status differs from the stored one;
 * - a pod being deleted has its containers stopped, a container that does not stop is killed at
 *   the `deletionTimestamp`, and the pod is then deleted with `gracePeriodSeconds: 0`;
 * - while stopped it writes nothing (no lease renewals, no status); {@link FakeKubelet.start}
 *   again re-registers the node and catches every pod up to the current time, as if the
 *   containers had kept running on their own;
 * - a pod whose ConfigMap, Secret or claim is missing, or whose claim is not bound, waits in
 *   ContainerCreating with `FailedMount` events (retried with backoff); one whose ReadWriteOnce
 *   volume is held by a pod on another node waits with `FailedAttachVolume`
 *   `Multi-Attach error …` (the attach/detach controller's event upstream).
 *
 * Caveats: volumes are checked when a pod's sandbox is set up; a ConfigMap deleted later does
 * not affect running pods (as upstream). Events are best effort.
 */
export class FakeKubelet {
  /** The node's name. */
  readonly nodeName: string;
  /** The node's container runtime (its image cache survives {@link FakeKubelet.stop}). */
  readonly runtime: FakeContainerRuntime;
  /** The node's InternalIP. */
  readonly nodeIP: string;
  /** The node's pod CIDR. */
  readonly podCIDR: string;

  readonly #o: FakeKubeletOptions;
  readonly #behaviors: BehaviorRegistry;
  readonly #recorder: EventRecorder;
  /** Jitter of the pod watcher's backoff, forked once so that the other random streams do not depend on it. */
  readonly #informerRng: Rng;
  /** The pod workers of the admitted pods, by uid (they survive {@link FakeKubelet.stop}). */
  readonly #workers = new Map<string, PodWorker>();
  /** What {@link podSyncStep} knows of each pod, by uid. Invariant: a uid with a worker is `Admitted`. */
  readonly #states = new Map<string, PodSyncState>();
  /** The sync running for each key (at most one: the queue's processing set, and chained across restarts). */
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #ips = new Map<string, number>();
  readonly #usedIPs = new Set<number>();
  /** Containers with load set through {@link FakeKubelet.setLoad}, by pod uid (cleared when the pod leaves). */
  readonly #loadedContainers = new Map<string, Set<string>>();
  /** The ConfigMaps and Secrets each pod refers to, read when its sandbox was set up (for command lines). */
  readonly #podData = new Map<string, PodData>();
  /** The node's files that hostPath volumes mount (`/etc/machine-id`). */
  readonly #hostFiles: ReadonlyMap<string, string>;
  /**
   * The status last written for each pod whose write has not come back through the watch yet,
   * by uid: that update is this kubelet's own, and syncs nothing (see {@link FakeKubelet.#onPodEvent}).
   */
  readonly #unechoed = new Map<string, PodStatus>();
  readonly #allocatable: AdmissionResources;
  /**
   * What each admitted, unfinished pod holds (its requests and host ports), by uid, kept as
   * workers start, finish and leave: admission reads the sum instead of walking the node's pods
   * (a walk per admission was 7% of a 150,000-pod run). Invariant: the uids are those of the
   * cached pods whose worker is not terminal, each entry computed from that pod's cached spec,
   * and `#used` is their sum.
   */
  readonly #admitted = new Map<string, { readonly spec: Pod['spec']; readonly requests: AdmissionResources; readonly ports: readonly HostPort[] }>();
  readonly #used = { cpu: 0, memory: 0, pods: 0 };
  /** How many entries of `#admitted` hold host ports (most pods hold none: admission then lists none without a walk). */
  #portHolders = 0;
  #lastIP = 0;
  #running = false;
  /** This incarnation's informers (a stopped informer cannot restart: each start builds new ones). */
  #factory: SharedInformerFactory | undefined;
  /** This incarnation's queue of pod keys. */
  #queue: RateLimitingWorkqueue<string> | undefined;
  /** The pods bound to the node, as the latest informer that has listed caches them (kept while stopped). */
  #cache: CacheReader<Pod> | undefined;
  /** Removes this incarnation's pod event handler. */
  #handlers: (() => void) | undefined;
  #heartbeat: Timer | undefined;
  #nodeUid: string | undefined;
  #lastNodeStatusAt = Number.NEGATIVE_INFINITY;
  #lastImages = '';
  #renewals = 0;
  /** When this kubelet was built (the node's `startTime` in its stats). */
  readonly #builtAt: number;
  /** The CPU time each container and the node used, counted up to the last stats taken. */
  readonly #cpu: CpuTotals;

  /**
   * Builds a stopped kubelet; call {@link FakeKubelet.start}.
   *
   * Errors: {@link RuntimeFakeError} `invalid-node` for an invalid node index.
   */
  constructor(options: FakeKubeletOptions) {
    this.#o = options;
    this.nodeName = options.node.name;
    this.nodeIP = options.node.internalIP ?? nodeIPFor(options.node.index ?? 0);
    this.#hostFiles = nodeHostFiles(options.node.name);
    this.podCIDR = options.node.podCIDR ?? podCIDRFor(options.node.index ?? 0);
    this.#behaviors = options.behaviors ?? new BehaviorRegistry();
    this.#allocatable = allocatableResources({ ...nodeCapacity(options.node), ...options.node.allocatable });
    this.runtime = new FakeContainerRuntime({ ...options.runtime, rng: options.rng.fork() });
    this.#builtAt = options.clock.now();
    this.#cpu = new CpuTotals(this.#builtAt);
    this.#recorder = new Recorder({ client: options.client, clock: options.clock, component: 'kubelet', host: this.nodeName, ...(options.onError ? { onError: options.onError } : {}) });
    this.#informerRng = options.rng.fork();
  }

  /** Whether it is running (between {@link FakeKubelet.start} and {@link FakeKubelet.stop}). */
  get running(): boolean {
    return this.#running;
  }

  /** How many times the Lease was written (created or renewed) — for tests and traces. */
  get leaseRenewals(): number {
    return this.#renewals;
  }

  /**
   * Starts: registers the Node (or refreshes an existing one), creates or renews the Lease,
   * and starts listing and watching the pods bound to the node (in the background, retried
   * with backoff). Resolves once the Node and Lease are written. Idempotent while running.
   *
   * Errors: rejects with the API error if the Node cannot be registered.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#registerNode();
    await this.#renewLease();
    this.#scheduleHeartbeat();
    if (this.#running) this.#startPods();
  }

  /**
   * Stops, as a kubelet that died: no more lease renewals, status writes or deletions. Pods'
   * containers and the image cache are kept, as a node's containers outlive its kubelet.
   */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#heartbeat?.cancel();
    this.#heartbeat = undefined;
    this.#stopPods();
  }

  /**
   * The machine shuts down: as {@link FakeKubelet.stop}, and its containers, pod IPs and what
   * the kubelet knew of its pods are lost; its image cache (on disk) is kept. A later
   * {@link FakeKubelet.start} is the machine booting again: the pods still bound to the node
   * go through admission afresh and run in new containers. A pod that no longer fits, no
   * longer matches the node's labels or does not tolerate a `NoExecute` taint the Node gained
   * meanwhile is rejected, as upstream's kubelet rejects it after a restart.
   */
  powerOff(): void {
    this.stop();
    for (const uid of [...this.#workers.keys(), ...this.#states.keys()]) this.#forget(uid);
    this.#cache = undefined;
  }

  /**
   * What the pods on this node use now (the input of a metrics pipeline: kubelet resource
   * metrics → metrics-server), per running container as `containerUsage` (usage.ts) computes
   * it: the `kubeloop.dev/cpu-usage` / `memory-usage` annotations, else the behavior, else the
   * image's baseline, plus added load, CPU capped at the limit. Pods without running containers
   * are left out. Works while stopped too (the containers keep running).
   */
  usage(): PodUsage[] {
    const now = this.#o.clock.now();
    const out: PodUsage[] = [];
    for (const pod of this.#cache?.list() ?? []) {
      const uid = pod.metadata.uid ?? '';
      const running = this.#workers.get(uid)?.runningContainers() ?? [];
      const containers: PodUsage['containers'][number][] = [];
      for (const c of running) {
        const parts = this.runtime.usageParts(c.id, now);
        if (parts === undefined) continue;
        const spec = pod.spec.containers.find((s) => s.name === c.name) ?? pod.spec.initContainers?.find((s) => s.name === c.name);
        const limits = spec?.resources?.limits as Readonly<Record<string, string>> | undefined;
        containers.push({ name: c.name, ...containerUsage(pod, { name: c.name, image: spec?.image ?? '', limits }, parts.behavior, parts.memoryBytes, parts.extra, parts.elapsedMs) });
      }
      if (containers.length > 0) out.push({ namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid, containers });
    }
    return out;
  }

  /**
   * The kubelet's Summary API (`GET /stats/summary`) now: the node (its pods plus
   * {@link NODE_SYSTEM_USAGE}) and each pod with running containers, CPU as the usage now
   * (`usageNanoCores`) and the CPU time used since the start (`usageCoreNanoSeconds`: the
   * integral over virtual time of the usage model of `usage.ts`, ramps and throttling included),
   * memory as the working set. Works while stopped too.
   *
   * Caveats: the integral is taken when stats are asked for, with the load and annotations as
   * they are then: a change between two readings counts from the earlier reading on (usage
   * shapes, being functions of time, are exact). The CPU of a container removed between two
   * readings after it exited is lost from the node's total after its last reading.
   */
  statsSummary(): StatsSummary {
    return this.#stats().summary;
  }

  /**
   * The kubelet's resource metrics (`GET /metrics/resource`) now, as Prometheus text: what
   * {@link FakeKubelet.statsSummary} reports, in upstream's metric names
   * (`container_cpu_usage_seconds_total`, `node_memory_working_set_bytes`, …), stamped in ms.
   * This is what metrics-server scrapes.
   */
  resourceMetrics(): string {
    const { summary, times } = this.#stats();
    return formatResourceMetrics(summary, times);
  }

  #stats(): { summary: StatsSummary; times: StatsTimes } {
    const now = this.#o.clock.now();
    const time = formatTime(now);
    const pods = this.#cache?.list() ?? [];
    const byUid = new Map(pods.map((p) => [p.metadata.uid ?? '', p]));
    const usageContainer = (pod: Pod, name: string, image: string): UsageContainer => {
      const spec = pod.spec.containers.find((s) => s.name === name) ?? pod.spec.initContainers?.find((s) => s.name === name);
      return { name, image: spec?.image ?? image, limits: spec?.resources?.limits as Readonly<Record<string, string>> | undefined };
    };
    // Count what every container used since it was last counted, up to now or its exit.
    const live = new Set<string>();
    for (const c of this.runtime.containers()) {
      live.add(c.id);
      const pod = byUid.get(c.podUid);
      const from = this.#cpu.at(c.id, c.startedAt);
      const until = Math.min(now, c.exit?.at ?? now);
      if (pod === undefined || until <= from) continue;
      const model = containerCpuModel(pod, usageContainer(pod, c.name, c.image), c.behavior, this.runtime.loadOf(c.podUid, c.name));
      // millicore·ms → core-nanoseconds
      this.#cpu.add(c.id, until, usageIntegral(model.shape, model.offset, model.cap, from - c.startedAt, until - c.startedAt) * 1000);
    }
    this.#cpu.retain(live);
    this.#cpu.addSystem(now, NODE_SYSTEM_USAGE.cpuMillicores);
    const cpuOf = (millicores: number, coreNanos: number): StatsSummary['node']['cpu'] => ({ time, usageNanoCores: Math.round(millicores * 1e6), usageCoreNanoSeconds: coreNanos });
    const memoryOf = (bytes: number, limit?: number): StatsSummary['node']['memory'] => ({
      time,
      ...(limit === undefined ? {} : { availableBytes: Math.max(0, limit - bytes) }),
      usageBytes: bytes,
      workingSetBytes: bytes,
      rssBytes: bytes,
      pageFaults: 0,
      majorPageFaults: 0,
    });
    const podStats: StatsSummary['pods'][number][] = [];
    const containerStartMs = new Map<string, number>();
    let nodeCpu = NODE_SYSTEM_USAGE.cpuMillicores;
    let nodeMemory = NODE_SYSTEM_USAGE.memoryBytes;
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      const worker = this.#workers.get(uid);
      const namespace = pod.metadata.namespace ?? '';
      const name = pod.metadata.name ?? '';
      const containers: StatsSummary['pods'][number]['containers'][number][] = [];
      let podCpu = 0;
      let podCpuTotal = 0;
      let podMemory = 0;
      for (const running of worker?.runningContainers() ?? []) {
        const c = this.runtime.get(running.id);
        const parts = this.runtime.usageParts(running.id, now);
        if (c === undefined || parts === undefined) continue;
        const u = containerUsage(pod, usageContainer(pod, c.name, c.image), parts.behavior, parts.memoryBytes, parts.extra, parts.elapsedMs);
        const total = this.#cpu.container(c.id);
        const memoryLimit = c.memoryLimitBytes;
        containers.push({ name: c.name, startTime: formatTime(c.startedAt), cpu: cpuOf(u.cpuMillicores, total), memory: memoryOf(u.memoryBytes, memoryLimit) });
        containerStartMs.set(`${namespace}/${name}/${c.name}`, c.startedAt);
        podCpu += u.cpuMillicores;
        podCpuTotal += total;
        podMemory += u.memoryBytes;
      }
      if (containers.length === 0) continue;
      nodeCpu += podCpu;
      nodeMemory += podMemory;
      podStats.push({ podRef: { name, namespace, uid }, startTime: formatTime(worker?.startTime ?? now), containers, cpu: cpuOf(podCpu, podCpuTotal), memory: memoryOf(podMemory) });
    }
    const capacity = tryParseQuantity(nodeCapacity(this.#o.node)['memory'] ?? '')?.value();
    const summary: StatsSummary = {
      node: { nodeName: this.nodeName, startTime: formatTime(this.#builtAt), cpu: cpuOf(nodeCpu, this.#cpu.node()), memory: memoryOf(nodeMemory, capacity) },
      pods: podStats,
    };
    return { summary, times: { nowMs: now, containerStartMs } };
  }

  /** Resolves once every pod sync started so far has finished. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight.values()]);
  }

  #error(error: unknown): void {
    this.#o.onError?.(error);
  }

  // ---------------------------------------------------------------------------- node and lease

  async #registerNode(): Promise<void> {
    const { client, clock } = this.#o;
    const now = clock.now();
    const desired = buildNode({ ...this.#o.node, podCIDR: this.podCIDR, internalIP: this.nodeIP }, this.runtime.images(now), now);
    let node: Node;
    try {
      node = await client.create(Nodes, desired);
      node = await client.updateStatus(Nodes, { ...node, status: desired.status });
    } catch (error) {
      if (!isApiError(error, 'AlreadyExists')) throw error;
      const existing = await client.get(Nodes, { name: this.nodeName });
      node = await client.updateStatus(Nodes, {
        ...existing,
        metadata: { ...existing.metadata, resourceVersion: undefined },
        status: { ...existing.status, ...desired.status, conditions: healthyNodeConditions(existing.status.conditions, now) },
      });
    }
    this.#nodeUid = node.metadata.uid;
    this.#lastNodeStatusAt = now;
    this.#lastImages = JSON.stringify(node.status.images ?? []);
  }

  /**
   * The Node as the API server has it; if it cannot be read (deleted meanwhile), the Node this
   * kubelet last registered, as upstream's kubelet falls back to the node it would register.
   */
  async #currentNode(): Promise<Node> {
    try {
      return await this.#o.client.get(Nodes, { name: this.nodeName });
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
      return buildNode({ ...this.#o.node, podCIDR: this.podCIDR, internalIP: this.nodeIP }, [], this.#o.clock.now());
    }
  }

  async #postNodeStatus(): Promise<void> {
    const { client, clock } = this.#o;
    const now = clock.now();
    const images = this.runtime.images(now);
    const imagesJson = JSON.stringify(images);
    // As upstream's `tryUpdateNodeStatus`: compare with the Node as the API server has it, so a
    // condition someone else changed (the node lifecycle controller setting Ready=Unknown after
    // a missed heartbeat or a clock jump) is corrected at the next sync, not 5 minutes later.
    const existing = await client.get(Nodes, { name: this.nodeName });
    const conditions = healthyNodeConditions(existing.status.conditions, now);
    const conditionsChanged = conditions.some((c) => {
      const old = existing.status.conditions?.find((o) => o.type === c.type);
      return old === undefined || old.status !== c.status || old.reason !== c.reason;
    });
    if (!conditionsChanged && imagesJson === this.#lastImages && now - this.#lastNodeStatusAt < (this.#o.nodeStatusReportMs ?? 300_000)) return;
    await client.updateStatus(Nodes, {
      ...existing,
      metadata: { ...existing.metadata, resourceVersion: undefined },
      status: { ...existing.status, images, conditions },
    });
    this.#lastNodeStatusAt = now;
    this.#lastImages = imagesJson;
  }

  async #renewLease(): Promise<void> {
    const { client, clock } = this.#o;
    const key = { namespace: NODE_LEASE_NAMESPACE, name: this.nodeName };
    const renewTime = formatMicroTime(clock.now());
    const spec = { holderIdentity: this.nodeName, leaseDurationSeconds: this.#o.leaseDurationSeconds ?? 40, renewTime };
    try {
      const lease = await client.get(Leases, key);
      await client.update(Leases, { ...lease, spec: { ...lease.spec, ...spec } });
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          ...key,
          ...(this.#nodeUid === undefined ? {} : { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.#nodeUid }] }),
        },
        spec,
      };
      await client.create(Leases, lease);
    }
    this.#renewals++;
  }

  #scheduleHeartbeat(): void {
    this.#heartbeat = this.#o.clock.setTimer(this.#o.heartbeatMs ?? 10_000, () => {
      if (!this.#running) return;
      this.#scheduleHeartbeat();
      void this.#renewLease()
        .then(() => (this.#running ? this.#postNodeStatus() : undefined))
        .catch((e: unknown) => this.#error(e));
    });
  }

  // ---------------------------------------------------------------------------------- pods

  /**
   * Starts this incarnation's pod machinery: an informer on the pods bound to the node (core's
   * watcher → reflector → cache: backoff, and a relist after a 410 with synthetic deltas), and
   * a rate-limited workqueue of pod keys served by one sync per key at a time.
   */
  #startPods(): void {
    if (this.#queue !== undefined) return; // a start that overlapped a stop and a start
    const { clock } = this.#o;
    const factory = new SharedInformerFactory(this.#o.client, { clock, rng: this.#informerRng, onError: (_resource, error) => this.#error(error) });
    const informer = factory.informerFor(Pods, { fieldSelector: `spec.nodeName=${this.nodeName}` });
    // Upstream's pod workers requeue a failed sync after `backOffPeriod` (10 s); here a failure
    // is retried after 1 s, doubling per consecutive failure of the pod up to those 10 s.
    const queue = createRateLimitingQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter<string>(SYNC_RETRY_INITIAL_MS, SYNC_RETRY_MAX_MS) });
    this.#factory = factory;
    this.#queue = queue;
    // The previous incarnation's cache stays readable (usage, setLoad) until the new list is in.
    // A plain handler, not an RxJS subscriber: every pod event of every node passes here. What
    // it throws is thrown on a later turn, as RxJS does with a subscriber's error, and delivery
    // goes on.
    this.#handlers = informer.addEventHandler((event) => {
      this.#useCache(informer.cache);
      try {
        this.#onPodEvent(event, queue);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    });
    factory.start();
    // What the kubelet knew of pods that left the node while it was not watching is dropped
    // once the new list is in (a fresh cache sees no deletes for them).
    void informer.synced.then(() => {
      if (this.#queue !== queue) return;
      this.#useCache(informer.cache);
      const present = new Set(informer.cache.list().map((p) => p.metadata.uid ?? ''));
      for (const uid of [...this.#workers.keys(), ...this.#states.keys()]) if (!present.has(uid)) this.#forget(uid);
    });
    void this.#serve(queue);
  }

  /** Stops this incarnation's informer and queue (waiting deadlines are dropped with it). */
  #stopPods(): void {
    this.#handlers?.();
    this.#handlers = undefined;
    this.#factory?.shutdown();
    this.#factory = undefined;
    this.#queue?.shutDown();
    this.#queue = undefined;
  }

  /** Maps the informer's changes to queue keys: handlers only enqueue (and forget what left). */
  #onPodEvent(event: InformerEvent<Pod>, queue: RateLimitingWorkqueue<string>): void {
    const pod = event.object;
    switch (event.type) {
      case 'add':
        queue.add(keyOf(pod));
        return;
      case 'update':
        // The same name with a new uid: the pod was deleted and re-created.
        if (event.old.metadata.uid !== pod.metadata.uid) this.#forget(event.old.metadata.uid ?? '');
        else if (this.#ownStatusWrite(event.old, pod)) return;
        else if (event.old.spec !== pod.spec) this.#reckonAdmitted(pod);
        queue.add(keyOf(pod));
        return;
      case 'delete':
        this.#forget(pod.metadata.uid ?? '');
        return;
    }
  }

  /**
   * Whether an update of a pod is only this kubelet's own status write coming back: upstream's
   * pod config hands a status-only change to `HandlePodReconcile`, which does not sync the pod
   * (its status manager already holds that status). A status written by anyone else, or one
   * that comes with a change of spec, labels, annotations or deletion, syncs the pod as before.
   */
  #ownStatusWrite(old: Pod, pod: Pod): boolean {
    const uid = pod.metadata.uid ?? '';
    const written = this.#unechoed.get(uid);
    if (written === undefined || podsDifferSemantically(old, pod) || !deepEqual(pod.status, written)) return false;
    this.#unechoed.delete(uid);
    return true;
  }

  /**
   * Hands each key out of `queue` to its own sync (one per key at a time: the queue's
   * processing set), until the queue shuts down.
   */
  async #serve(queue: RateLimitingWorkqueue<string>): Promise<void> {
    for (;;) {
      const next = await queue.get();
      if (next.shutdown) return;
      this.#dispatch(next.item, queue);
      for (let key = queue.tryGet(); key !== undefined; key = queue.tryGet()) this.#dispatch(key, queue);
    }
  }

  #dispatch(key: string, queue: RateLimitingWorkqueue<string>): void {
    // A sync of an earlier incarnation (before a stop and start) may still be finishing: wait
    // for it, so that two syncs of one pod never overlap.
    const before = this.#inflight.get(key);
    const run = (before === undefined ? this.#sync(key, queue) : before.then(() => this.#sync(key, queue)))
      .then(
        () => queue.forget(key),
        (error: unknown) => {
          this.#error(error);
          queue.addRateLimited(key);
        },
      )
      .finally(() => {
        queue.done(key);
        if (this.#inflight.get(key) === run) this.#inflight.delete(key);
      });
    this.#inflight.set(key, run);
  }

  /** Drops everything about a pod that left the node: its sync state, worker, IP, containers. */
  #forget(uid: string): void {
    const worker = this.#workers.get(uid);
    if (worker !== undefined) for (const id of worker.containerIDs()) this.runtime.remove(id);
    this.#workers.delete(uid);
    this.#uncountAdmitted(uid);
    this.#states.delete(uid);
    this.#releaseIP(uid);
    for (const name of this.#loadedContainers.get(uid) ?? []) this.runtime.setLoad(uid, name, undefined);
    this.#loadedContainers.delete(uid);
    this.#podData.delete(uid);
    this.#unechoed.delete(uid);
  }

  /**
   * The log of a container of a pod on this node (what `kubectl logs` shows): its lines with
   * their virtual timestamps, oldest first, bounded by the runtime's log limits; `previous`
   * gives the instance before the current one (after a restart).
   *
   * Errors: {@link RuntimeFakeError} `not-found` when the pod is not on this node, has no such
   * container, or the container has not started (or, with `previous`, has no earlier instance),
   * with kubectl's messages.
   */
  logs(namespace: string, pod: string, container: string, options: { readonly previous?: boolean | undefined } = {}): readonly ContainerLogLine[] {
    const found = this.#cache?.get(`${namespace}/${pod}`);
    if (found === undefined) throw new RuntimeFakeError('not-found', `pods "${pod}" not found`);
    const names = [...(found.spec.initContainers ?? []), ...found.spec.containers].map((c) => c.name);
    if (!names.includes(container)) throw new RuntimeFakeError('not-found', `container ${container} is not valid for pod ${pod}`);
    const lines = this.runtime.logs(found.metadata.uid ?? '', container, options, this.#o.clock.now());
    if (lines !== undefined) return lines;
    throw new RuntimeFakeError('not-found', options.previous === true ? `previous terminated container "${container}" in pod "${pod}" not found` : `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  }

  /**
   * Runs `argv` in a running container of a pod on this node, as `kubectl exec` does, when the
   * container runs a command line the shell interpreter knows: with its environment, mounted
   * files and the files its script has now (`ProgramRun.exec`). Undefined when the pod or the
   * container is not running here, or the container runs its image's own program (then
   * {@link FakeKubelet.podData} gives what its environment and volumes hold).
   */
  exec(namespace: string, pod: string, container: string, argv: readonly string[]): ProgramExec | undefined {
    const uid = this.#cache?.get(`${namespace}/${pod}`)?.metadata.uid;
    if (uid === undefined) return undefined;
    const now = this.#o.clock.now();
    const c = this.runtime.current(uid, container);
    if (c === undefined || (c.exit !== undefined && c.exit.at <= now)) return undefined;
    return c.program?.exec(argv, now);
  }

  /** The ConfigMap and Secret data this kubelet read for a pod on it (what its containers' env and volumes hold), once read. */
  podData(namespace: string, pod: string): PodData | undefined {
    const uid = this.#cache?.get(`${namespace}/${pod}`)?.metadata.uid;
    return uid === undefined ? undefined : this.#podData.get(uid);
  }

  /**
   * Adds load to a container of a pod on this node (e.g. from simulated traffic), on top of its
   * behavior; it shows in {@link FakeKubelet.usage}. `undefined` clears it. Forgotten when the
   * pod leaves the node.
   *
   * Errors: none; a pod that is not on this node is ignored (returns false).
   */
  setLoad(pod: ObjectKey, containerName: string, load: { readonly cpuMillicores?: number; readonly memoryBytes?: number } | undefined): boolean {
    const found = this.#cache?.get(`${pod.namespace ?? ''}/${pod.name}`);
    const uid = found?.metadata.uid;
    if (uid === undefined) return false;
    this.runtime.setLoad(uid, containerName, load);
    const names = this.#loadedContainers.get(uid) ?? new Set<string>();
    names.add(containerName);
    this.#loadedContainers.set(uid, names);
    return true;
  }

  #allocateIP(uid: string): string {
    const existing = this.#ips.get(uid);
    if (existing !== undefined) return podIPIn(this.podCIDR, existing);
    const size = 2 ** (32 - Number(this.podCIDR.split('/')[1] ?? 24)) - 3;
    for (let i = 1; i <= size; i++) {
      const n = ((this.#lastIP + i - 1) % size) + 1;
      if (this.#usedIPs.has(n)) continue;
      this.#usedIPs.add(n);
      this.#ips.set(uid, n);
      this.#lastIP = n;
      return podIPIn(this.podCIDR, n);
    }
    throw new RuntimeFakeError('invalid-node', `pod CIDR "${this.podCIDR}" of node "${this.nodeName}" has no free address`);
  }

  #releaseIP(uid: string): void {
    const n = this.#ips.get(uid);
    if (n === undefined) return;
    this.#ips.delete(uid);
    this.#usedIPs.delete(n);
  }

  /**
   * One sync of a pod: feeds {@link podSyncStep} and runs the actions it decides, until it asks
   * for nothing that produces a further input. Stops early when the kubelet stopped, the queue
   * is not this incarnation's any more, or the pod left the node meanwhile.
   */
  async #sync(key: string, queue: RateLimitingWorkqueue<string>): Promise<void> {
    const pod = this.#cache?.get(key);
    if (pod === undefined || pod.spec.nodeName !== this.nodeName || this.#queue !== queue) return;
    const uid = pod.metadata.uid ?? '';
    const live = (): boolean => this.#running && this.#queue === queue;
    let input: PodSyncInput | undefined = { type: 'Sync', pod };
    while (input !== undefined) {
      const [actions, state] = podSyncStep(this.#states.get(uid) ?? initialPodSyncState, input);
      this.#states.set(uid, state);
      input = undefined;
      for (const action of actions) {
        const performed = this.#perform(action, pod, key, queue);
        const result = performed instanceof Promise ? await performed : performed;
        if (result === 'stop' || !live()) return;
        if (result !== undefined) input = result;
      }
    }
  }

  /**
   * Runs one action of {@link podSyncStep}; returns the input it produced, or `stop` to end the
   * sync. Only the actions that call the API server return a promise.
   */
  #perform(action: PodSyncAction, pod: Pod, key: string, queue: RateLimitingWorkqueue<string>): PerformResult | Promise<PerformResult> {
    const { clock } = this.#o;
    const uid = pod.metadata.uid ?? '';
    switch (action.type) {
      case 'ReadNode':
        return this.#readNode(pod, key);
      case 'StartWorker':
        try {
          const context = this.#programContext(pod);
          const worker = new PodWorker(this.#latestPod(key, pod), this.runtime, (c) => this.#behaviors.resolve(pod, c, context), this.#ipAllocator(pod), clock.now(), this.#configCheck(pod));
          this.#workers.set(uid, worker);
          this.#reckonAdmitted(pod);
          return { type: 'WorkerStarted', pod };
        } catch (error) {
          if (!(error instanceof RuntimeFakeError)) throw error;
          return { type: 'WorkerFailed', pod, message: error.message };
        }
      case 'CheckVolumes':
        return this.#checkVolumes(pod).then(async (volumes) => {
          // What the containers' command lines may read (mounted ConfigMaps and Secrets), once per pod.
          if (volumes.ok && !this.#podData.has(uid)) this.#podData.set(uid, await this.#readPodData(pod));
          return { type: 'VolumesChecked', pod, volumes };
        });
      case 'Advance': {
        const worker = this.#workers.get(uid);
        if (worker === undefined) return 'stop';
        // A container waits for a ConfigMap or Secret its environment names: read them again first.
        if (worker.awaitingConfig) return this.#readPodData(pod).then((data) => (this.#podData.set(uid, data), this.#advance(worker, key, pod, action.input)));
        return this.#advance(worker, key, pod, action.input);
      }
      case 'RecordEvent':
        void this.#recorder.event(action.pod, action.event.type, action.event.reason, action.event.message, action.event.fieldPath);
        return undefined;
      case 'WriteStatus':
        return this.#writeStatus(action.pod, action.status);
      case 'ReleaseIP':
        this.#releaseIP(uid);
        return undefined;
      case 'ConfirmDelete':
        return this.#confirmDelete(action.pod).then(() => undefined);
      case 'RequeueAt':
        queue.addAfter(key, action.at - clock.now());
        return undefined;
    }
  }

  /** What a pod's containers read: the ConfigMaps and Secrets it refers to, as the API server has them now, and this node's files. */
  async #readPodData(pod: Pod): Promise<PodData> {
    return { ...(await loadPodData(this.#o.client, pod)), hostFiles: this.#hostFiles };
  }

  /** Advances a pod's worker to now with `input`: what it shows, as the sync's `Advanced` input. */
  #advance(worker: PodWorker, key: string, pod: Pod, input: WorkerInput): PodSyncInput {
    const uid = pod.metadata.uid ?? '';
    const now = this.#o.clock.now();
    worker.advance(now, input);
    if (worker.terminal) this.#uncountAdmitted(uid);
    const view: PodRuntimeView = {
      hostIP: this.nodeIP,
      podIP: worker.podIP,
      startTime: worker.startTime,
      sandboxReady: worker.sandboxReady,
      initContainerStatuses: worker.initContainerStatuses(),
      containerStatuses: worker.containerStatuses(),
      terminal: worker.terminal,
      failure: worker.failure,
    };
    return { type: 'Advanced', pod, latest: this.#cache?.get(key), view, events: worker.drainEvents(), nextDeadline: worker.nextDeadline(), now };
  }

  // The closures a pod worker keeps for its life are made here, apart from `#perform`: a closure
  // keeps its whole scope, and there that is the pod version the worker started from.

  /**
   * The pod as cached now. Once it left the cache (a restart between lists), its identity and
   * the last spec seen, which is all a worker reads (not its status): no version of the pod is
   * kept for that.
   */
  #latestPod(key: string, pod: Pod): () => Pod {
    const { name, namespace, uid } = pod.metadata;
    let spec = pod.spec;
    return () => {
      const cached = this.#cache?.get(key);
      if (cached === undefined) return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid }, spec, status: { phase: 'Unknown' } };
      spec = cached.spec;
      return cached;
    };
  }

  /** What the shell's programs of a pod read: its IP, its mounted data, its emptyDir files (a pod without emptyDir volumes keeps no map). */
  #programContext(pod: Pod): { podIP: () => string | undefined; data: () => PodData | undefined; emptyDirs: Map<string, Map<string, string>> | undefined } {
    const uid = pod.metadata.uid ?? '';
    const emptyDirs = pod.spec.volumes?.some((v) => v.emptyDir !== undefined) === true ? new Map<string, Map<string, string>>() : undefined;
    return { podIP: () => this.#workers.get(uid)?.podIP, data: () => this.#podData.get(uid), emptyDirs };
  }

  /** Why a container of `pod` cannot be created yet: its environment names missing data (see `containerConfigError`). */
  #configCheck(pod: Pod): (c: Container) => string | undefined {
    const uid = pod.metadata.uid ?? '';
    return (c) => {
      const data = this.#podData.get(uid);
      return data === undefined ? undefined : containerConfigError(pod, c, data);
    };
  }

  /** Gives a pod its IP: the node's under `hostNetwork`, else one of the node's pod CIDR. */
  #ipAllocator(pod: Pod): () => string {
    const uid = pod.metadata.uid ?? '';
    return pod.spec.hostNetwork === true ? () => this.nodeIP : () => this.#allocateIP(uid);
  }

  /**
   * Node affinity and taints are judged on the Node as the API server has it now (upstream
   * reads its node informer): labels and taints change at run time.
   */
  async #readNode(pod: Pod, key: string): Promise<PerformResult> {
    const uid = pod.metadata.uid ?? '';
    const node = await this.#currentNode();
    if (this.#workers.has(uid) || this.#cache?.get(key)?.metadata.uid !== uid) return 'stop';
    return { type: 'NodeRead', pod, context: { node, allocatable: this.#allocatable, ...this.#admittedUsage() } };
  }

  /** Writes a pod's status; `stop` when the pod is gone. */
  async #writeStatus(pod: Pod, status: PodStatus): Promise<PerformResult> {
    const uid = pod.metadata.uid ?? '';
    this.#unechoed.set(uid, status);
    try {
      await this.#o.client.updateStatus(Pods, { ...pod, metadata: { ...pod.metadata, resourceVersion: undefined }, status });
    } catch (error) {
      if (this.#unechoed.get(uid) === status) this.#unechoed.delete(uid);
      if (!isApiError(error, 'NotFound')) throw error;
      return 'stop';
    }
    return undefined;
  }

  /** What the pods admitted here and not finished request together, and the host ports they hold. */
  #admittedUsage(): { used: AdmissionResources; usedPorts: HostPort[] } {
    const usedPorts: HostPort[] = [];
    if (this.#portHolders > 0) for (const { ports } of this.#admitted.values()) for (const port of ports) usedPorts.push(port);
    return { used: { ...this.#used }, usedPorts };
  }

  /**
   * Counts the pod of `pod`'s uid as admitted here (again, from the spec cached now) when it is
   * cached with a worker that has not finished; uncounts it otherwise.
   */
  #reckonAdmitted(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const worker = this.#workers.get(uid);
    const cached = this.#cache?.get(keyOf(pod));
    const counted = this.#admitted.get(uid);
    if (worker === undefined || worker.terminal || cached?.metadata.uid !== uid) {
      this.#uncountAdmitted(uid);
      return;
    }
    if (counted?.spec === cached.spec) return;
    this.#uncountAdmitted(uid);
    const requests = podRequests(cached);
    const ports = podHostPorts(cached);
    this.#admitted.set(uid, { spec: cached.spec, requests, ports });
    if (ports.length > 0) this.#portHolders++;
    this.#used.cpu += requests.cpu;
    this.#used.memory += requests.memory;
    this.#used.pods += requests.pods;
  }

  #uncountAdmitted(uid: string): void {
    const counted = this.#admitted.get(uid);
    if (counted === undefined) return;
    this.#admitted.delete(uid);
    if (counted.ports.length > 0) this.#portHolders--;
    this.#used.cpu -= counted.requests.cpu;
    this.#used.memory -= counted.requests.memory;
    this.#used.pods -= counted.requests.pods;
  }

  /** Reads pods from `cache` from now on: a new incarnation's, once its first list is in (its informer hands that list over at once). */
  #useCache(cache: CacheReader<Pod>): void {
    if (this.#cache === cache) return;
    this.#cache = cache;
    this.#recountAdmitted();
  }

  /** Rebuilds {@link FakeKubelet.#admitted} from the cached pods (a new cache may lack some, or hold newer specs). */
  #recountAdmitted(): void {
    this.#admitted.clear();
    this.#portHolders = 0;
    this.#used.cpu = 0;
    this.#used.memory = 0;
    this.#used.pods = 0;
    for (const pod of this.#cache?.list() ?? []) this.#reckonAdmitted(pod);
  }

  async #confirmDelete(pod: Pod): Promise<void> {
    const key: ObjectKey = { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' };
    try {
      await this.#o.client.delete(Pods, key, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? '' } });
    } catch (error) {
      if (!isApiError(error, 'NotFound', 'Conflict')) throw error;
    }
  }

  async #checkVolumes(pod: Pod): Promise<WorkerInput['volumes']> {
    for (const v of pod.spec.volumes ?? []) {
      const message = await this.#volumeProblem(pod, v);
      if (message !== undefined) return { ok: false, message };
    }
    for (const v of pod.spec.volumes ?? []) {
      const message = await this.#attachProblem(pod, v);
      if (message !== undefined) return { ok: false, reason: FAILED_ATTACH_VOLUME, message };
    }
    return { ok: true };
  }

  /**
   * Why the claim `volume` mounts cannot be attached to this node (a ReadWriteOnce volume held by
   * a pod on another node: {@link multiAttachError}), or undefined. Stands in for the
   * attach/detach controller, which upstream reports it.
   */
  async #attachProblem(pod: Pod, volume: Volume): Promise<string | undefined> {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (claimName === undefined) return undefined;
    const { client } = this.#o;
    const namespace = pod.metadata.namespace ?? 'default';
    try {
      const pvc = await client.get(PersistentVolumeClaims, { namespace, name: claimName });
      if ((pvc.spec.volumeName ?? '') === '') return undefined;
      const pv = await client.get(PersistentVolumes, { name: pvc.spec.volumeName ?? '' });
      const pods = (await client.list(Pods, { namespace })).items;
      return multiAttachError(pod, this.nodeName, claimName, pv, pods);
    } catch (error) {
      if (isApiError(error, 'NotFound')) return undefined;
      throw error;
    }
  }

  /** Why `volume` cannot be mounted yet (upstream's FailedMount messages), or undefined. */
  async #volumeProblem(pod: Pod, volume: Volume): Promise<string | undefined> {
    const { client } = this.#o;
    const namespace = pod.metadata.namespace ?? 'default';
    const exists = async (get: () => Promise<unknown>): Promise<boolean> => {
      try {
        await get();
        return true;
      } catch (error) {
        if (isApiError(error, 'NotFound')) return false;
        throw error;
      }
    };
    const cm = volume.configMap;
    if (cm !== undefined && cm.optional !== true && !(await exists(() => client.get(ConfigMaps, { namespace, name: cm.name ?? '' })))) {
      return `MountVolume.SetUp failed for volume "${volume.name}" : configmap "${cm.name ?? ''}" not found`;
    }
    const secret = volume.secret;
    if (secret !== undefined && secret.optional !== true && !(await exists(() => client.get(Secrets, { namespace, name: secret.secretName ?? '' })))) {
      return `MountVolume.SetUp failed for volume "${volume.name}" : secret "${secret.secretName ?? ''}" not found`;
    }
    for (const source of volume.projected?.sources ?? []) {
      const pcm = source.configMap;
      if (pcm !== undefined && pcm.optional !== true && !(await exists(() => client.get(ConfigMaps, { namespace, name: pcm.name ?? '' })))) {
        return `MountVolume.SetUp failed for volume "${volume.name}" : configmap "${pcm.name ?? ''}" not found`;
      }
      const ps = source.secret;
      if (ps !== undefined && ps.optional !== true && !(await exists(() => client.get(Secrets, { namespace, name: ps.name ?? '' })))) {
        return `MountVolume.SetUp failed for volume "${volume.name}" : secret "${ps.name ?? ''}" not found`;
      }
    }
    const claim = volume.persistentVolumeClaim;
    if (claim !== undefined) {
      const prefix = `Unable to attach or mount volumes: unmounted volumes=[${volume.name}]: error processing PVC ${namespace}/${claim.claimName}`;
      try {
        const pvc = await client.get(PersistentVolumeClaims, { namespace, name: claim.claimName });
        if (pvc.status?.phase !== 'Bound') return `${prefix}: PVC is not bound`;
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
        return `${prefix}: failed to fetch PVC from API server: persistentvolumeclaims "${claim.claimName}" not found`;
      }
    }
    return undefined;
  }
}
