/**
 * The fake kubelet: one per node, a thin orchestrator on the virtual clock. It registers the
 * Node, renews the node Lease, watches the pods bound to its node, drives one
 * {@link PodWorker} per pod and writes what they decide — status (only when it changed),
 * events, and the final delete of a gracefully deleted pod.
 *
 * @module
 */
import type { Client, Clock, EventRecorder, HostPort, Lease, Node, ObjectKey, Pod, Rng, Timer, Volume } from '@kubeloop/core';
import {
  ConfigMaps,
  EventRecorder as Recorder,
  Leases,
  NODE_LEASE_NAMESPACE,
  Nodes,
  PersistentVolumeClaims,
  Pods,
  Secrets,
  formatMicroTime,
  isApiError,
  parseTime,
  podHostPorts,
} from '@kubeloop/core';
import { BehaviorRegistry } from './behavior.js';
import { RuntimeFakeError } from './errors.js';
import type { FakeNodeConfig } from './node.js';
import { buildNode, healthyNodeConditions, nodeCapacity, nodeIPFor, podCIDRFor, podIPIn } from './node.js';
import type { AdmissionResources } from './admission.js';
import { admissionRejection, allocatableResources, podRequests } from './admission.js';
import type { ContainerRuntimeOptions } from './runtime.js';
import { FakeContainerRuntime } from './runtime.js';
import { computePodStatus, statusChanged } from './status.js';
import type { ContainerLogLine, PodData } from './shell/program.js';
import { loadPodData } from './shell/program.js';
import type { WorkerInput } from './worker.js';
import { PodWorker } from './worker.js';

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

/** A watch subscription (rxjs's `Subscription`, named through the client so no rxjs import is needed). */
type Subscription = ReturnType<ReturnType<Client['watch']>['subscribe']>;

/** Retry delay after a failed pod sync or a broken watch. */
const RETRY_MS = 1000;

function keyOf(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/**
 * A fake kubelet.
 *
 * Guarantees:
 * - it only ever runs pods whose `spec.nodeName` is its node (the watch is field-selected and
 *   each sync checks again);
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
 *   containers had kept running on their own.
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
  readonly #pods = new Map<string, Pod>();
  readonly #workers = new Map<string, PodWorker>();
  readonly #timers = new Map<string, Timer>();
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #dirty = new Set<string>();
  readonly #ips = new Map<string, number>();
  readonly #usedIPs = new Set<number>();
  /** Uids of pods this kubelet will not run: a malformed behavior annotation, or rejected at admission. */
  readonly #invalid = new Set<string>();
  /** Containers with load set through {@link FakeKubelet.setLoad}, by pod uid (cleared when the pod leaves). */
  readonly #loadedContainers = new Map<string, Set<string>>();
  /** The ConfigMaps and Secrets each pod refers to, read when its sandbox was set up (for command lines). */
  readonly #podData = new Map<string, PodData>();
  readonly #allocatable: AdmissionResources;
  #lastIP = 0;
  #running = false;
  #watch: Subscription | undefined;
  #heartbeat: Timer | undefined;
  #nodeUid: string | undefined;
  #lastNodeStatusAt = Number.NEGATIVE_INFINITY;
  #lastImages = '';
  #renewals = 0;

  /**
   * Builds a stopped kubelet; call {@link FakeKubelet.start}.
   *
   * Errors: {@link RuntimeFakeError} `invalid-node` for an invalid node index.
   */
  constructor(options: FakeKubeletOptions) {
    this.#o = options;
    this.nodeName = options.node.name;
    this.nodeIP = options.node.internalIP ?? nodeIPFor(options.node.index ?? 0);
    this.podCIDR = options.node.podCIDR ?? podCIDRFor(options.node.index ?? 0);
    this.#behaviors = options.behaviors ?? new BehaviorRegistry();
    this.#allocatable = allocatableResources({ ...nodeCapacity(options.node), ...options.node.allocatable });
    this.runtime = new FakeContainerRuntime({ ...options.runtime, rng: options.rng.fork() });
    this.#recorder = new Recorder({ client: options.client, clock: options.clock, rng: options.rng.fork(), component: 'kubelet', host: this.nodeName, ...(options.onError ? { onError: options.onError } : {}) });
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
   * and starts watching the pods bound to the node. Resolves once the Node and Lease are
   * written. Idempotent while running.
   *
   * Errors: rejects with the API error if the Node cannot be registered.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#registerNode();
    await this.#renewLease();
    this.#scheduleHeartbeat();
    await this.#listAndWatch();
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
    this.#watch?.unsubscribe();
    this.#watch = undefined;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    this.#dirty.clear();
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
    for (const uid of [...this.#workers.keys()]) this.#forget(uid, undefined);
    this.#invalid.clear();
    this.#pods.clear();
  }

  /**
   * What the pods on this node use now, from their containers' behaviors (the input of a
   * metrics pipeline: kubelet resource metrics → metrics-server). Pods without running
   * containers are left out. Works while stopped too (the containers keep running).
   */
  usage(): PodUsage[] {
    const now = this.#o.clock.now();
    const out: PodUsage[] = [];
    for (const pod of this.#pods.values()) {
      const uid = pod.metadata.uid ?? '';
      const running = this.#workers.get(uid)?.runningContainers() ?? [];
      const containers = running.filter((c) => this.runtime.exited(c.id, now) === undefined).map((c) => ({ name: c.name, ...this.runtime.usage(c.id, now) }));
      if (containers.length > 0) out.push({ namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid, containers });
    }
    return out;
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
   * Lists the node's pods (forgetting those that left while the kubelet was not watching),
   * syncs each, then watches from the list's revision.
   */
  async #listAndWatch(): Promise<void> {
    const fieldSelector = `spec.nodeName=${this.nodeName}`;
    const list = await this.#o.client.list(Pods, { fieldSelector });
    if (!this.#running) return;
    const present = new Set(list.items.map((p) => p.metadata.uid ?? ''));
    for (const [key, pod] of this.#pods) if (!present.has(pod.metadata.uid ?? '')) this.#pods.delete(key);
    for (const uid of [...this.#workers.keys()]) if (!present.has(uid)) this.#forget(uid, undefined);
    for (const pod of list.items) this.#observe(pod);
    this.#watch = this.#o.client.watch(Pods, { fieldSelector, resourceVersion: list.metadata.resourceVersion }).subscribe({
      next: (event) => {
        if (event.type === 'BOOKMARK') return;
        const pod = event.object;
        if (event.type !== 'DELETED') {
          this.#observe(pod);
          return;
        }
        const key = keyOf(pod);
        if (this.#pods.get(key)?.metadata.uid === pod.metadata.uid) this.#pods.delete(key);
        this.#forget(pod.metadata.uid ?? '', key);
      },
      error: (error: unknown) => this.#rewatch(error),
      complete: () => this.#rewatch(undefined),
    });
  }

  #rewatch(error: unknown): void {
    if (error !== undefined) this.#error(error);
    this.#watch = undefined;
    if (!this.#running) return;
    this.#o.clock.setTimer(RETRY_MS, () => {
      if (this.#running && this.#watch === undefined) this.#listAndWatch().catch((e: unknown) => this.#rewatch(e));
    });
  }

  /** Records the latest version of a pod and syncs it. */
  #observe(pod: Pod): void {
    const key = keyOf(pod);
    const old = this.#pods.get(key);
    if (old !== undefined && old.metadata.uid !== pod.metadata.uid) this.#forget(old.metadata.uid ?? '', key);
    this.#pods.set(key, pod);
    this.#enqueue(key);
  }

  /** Drops everything about a pod that left the node: worker, timer, IP, containers. */
  #forget(uid: string, key: string | undefined): void {
    if (key !== undefined) {
      this.#timers.get(key)?.cancel();
      this.#timers.delete(key);
    }
    const worker = this.#workers.get(uid);
    if (worker !== undefined) for (const id of worker.containerIDs()) this.runtime.remove(id);
    this.#workers.delete(uid);
    this.#releaseIP(uid);
    this.#invalid.delete(uid);
    for (const name of this.#loadedContainers.get(uid) ?? []) this.runtime.setLoad(uid, name, undefined);
    this.#loadedContainers.delete(uid);
    this.#podData.delete(uid);
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
    const found = this.#pods.get(`${namespace}/${pod}`);
    if (found === undefined) throw new RuntimeFakeError('not-found', `pods "${pod}" not found`);
    const names = [...(found.spec.initContainers ?? []), ...found.spec.containers].map((c) => c.name);
    if (!names.includes(container)) throw new RuntimeFakeError('not-found', `container ${container} is not valid for pod ${pod}`);
    const lines = this.runtime.logs(found.metadata.uid ?? '', container, options, this.#o.clock.now());
    if (lines !== undefined) return lines;
    throw new RuntimeFakeError('not-found', options.previous === true ? `previous terminated container "${container}" in pod "${pod}" not found` : `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  }

  /**
   * Adds load to a container of a pod on this node (e.g. from simulated traffic), on top of its
   * behavior; it shows in {@link FakeKubelet.usage}. `undefined` clears it. Forgotten when the
   * pod leaves the node.
   *
   * Errors: none; a pod that is not on this node is ignored (returns false).
   */
  setLoad(pod: ObjectKey, containerName: string, load: { readonly cpuMillicores?: number; readonly memoryBytes?: number } | undefined): boolean {
    const found = this.#pods.get(`${pod.namespace ?? ''}/${pod.name}`);
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

  #enqueue(key: string): void {
    if (!this.#running) return;
    if (this.#inflight.has(key)) {
      this.#dirty.add(key);
      return;
    }
    const run = this.#sync(key)
      .catch((error: unknown) => {
        this.#error(error);
        this.#schedule(key, this.#o.clock.now() + RETRY_MS);
      })
      .finally(() => {
        this.#inflight.delete(key);
        if (this.#dirty.delete(key)) this.#enqueue(key);
      });
    this.#inflight.set(key, run);
  }

  #schedule(key: string, at: number | undefined): void {
    this.#timers.get(key)?.cancel();
    this.#timers.delete(key);
    if (at === undefined || !this.#running) return;
    const timer = this.#o.clock.setTimer(Math.max(0, at - this.#o.clock.now()), () => {
      if (this.#timers.get(key) === timer) this.#timers.delete(key);
      this.#enqueue(key);
    });
    this.#timers.set(key, timer);
  }

  async #sync(key: string): Promise<void> {
    const { client, clock } = this.#o;
    const first = this.#pods.get(key);
    if (first === undefined || first.spec.nodeName !== this.nodeName) return;
    const uid = first.metadata.uid ?? '';
    let worker = this.#workers.get(uid);
    if (worker === undefined) {
      if (first.status.phase === 'Succeeded' || first.status.phase === 'Failed') {
        // Finished before this kubelet knew it (e.g. its state was lost): only confirm deletion.
        if (first.metadata.deletionTimestamp !== undefined) await this.#confirmDelete(first);
        return;
      }
      if (this.#invalid.has(uid)) return;
      // Node affinity and taints are judged on the Node as the API server has it now (upstream
      // reads its node informer): labels and taints change at run time.
      const node = await this.#currentNode();
      if (!this.#running || this.#workers.has(uid) || this.#pods.get(key)?.metadata.uid !== uid) return;
      const rejection = admissionRejection(first, { node, allocatable: this.#allocatable, ...this.#admittedUsage() });
      if (rejection !== undefined) {
        this.#invalid.add(uid);
        void this.#recorder.event(first, 'Warning', rejection.reason, rejection.message);
        await client.updateStatus(Pods, { ...first, metadata: { ...first.metadata, resourceVersion: undefined }, status: { ...first.status, phase: 'Failed', reason: rejection.reason, message: rejection.message } });
        return;
      }
      try {
        const context = { podIP: () => this.#workers.get(uid)?.podIP, data: () => this.#podData.get(uid) };
        worker = new PodWorker(() => this.#pods.get(key) ?? first, this.runtime, (c) => this.#behaviors.resolve(first, c, context), () => (first.spec.hostNetwork === true ? this.nodeIP : this.#allocateIP(uid)), clock.now());
      } catch (error) {
        if (!(error instanceof RuntimeFakeError)) throw error;
        this.#invalid.add(uid);
        void this.#recorder.event(first, 'Warning', 'FailedCreatePodContainer', error.message);
        return;
      }
      this.#workers.set(uid, worker);
    }
    const deletionDeadline = first.metadata.deletionTimestamp === undefined ? undefined : parseTime(first.metadata.deletionTimestamp);
    const volumes: WorkerInput['volumes'] = worker.sandboxReady || deletionDeadline !== undefined ? { ok: true } : await this.#checkVolumes(first);
    if (!worker.sandboxReady && volumes.ok && !this.#podData.has(uid)) this.#podData.set(uid, await loadPodData(client, first));
    if (!this.#running) return;
    const now = clock.now();
    worker.advance(now, { deletionDeadline, volumes });
    const pod = this.#pods.get(key);
    for (const e of worker.drainEvents()) void this.#recorder.event(pod ?? first, e.type, e.reason, e.message);
    if (pod === undefined || pod.metadata.uid !== uid) return;
    if (worker.terminal) this.#releaseIP(uid);
    const status = computePodStatus(
      pod,
      {
        hostIP: this.nodeIP,
        podIP: worker.podIP,
        startTime: worker.startTime,
        sandboxReady: worker.sandboxReady,
        initContainerStatuses: worker.initContainerStatuses(),
        containerStatuses: worker.containerStatuses(),
        terminal: worker.terminal,
        failure: worker.failure,
      },
      now,
    );
    if (statusChanged(pod, status)) {
      try {
        await client.updateStatus(Pods, { ...pod, metadata: { ...pod.metadata, resourceVersion: undefined }, status });
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
        return;
      }
    }
    if (!this.#running) return;
    if (deletionDeadline !== undefined && worker.terminal) {
      await this.#confirmDelete(pod);
      return;
    }
    this.#schedule(key, worker.nextDeadline());
  }

  /** What the pods admitted here and not finished request together, and the host ports they hold. */
  #admittedUsage(): { used: AdmissionResources; usedPorts: HostPort[] } {
    const used = { cpu: 0, memory: 0, pods: 0 };
    const usedPorts: HostPort[] = [];
    for (const pod of this.#pods.values()) {
      const worker = this.#workers.get(pod.metadata.uid ?? '');
      if (worker === undefined || worker.terminal) continue;
      const r = podRequests(pod);
      used.cpu += r.cpu;
      used.memory += r.memory;
      used.pods += r.pods;
      usedPorts.push(...podHostPorts(pod));
    }
    return { used, usedPorts };
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
    return { ok: true };
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
