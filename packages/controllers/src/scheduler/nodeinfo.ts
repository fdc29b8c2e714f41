/**
 * What the scheduler knows about each node: its object, the pods on it and the totals derived
 * from them (upstream `framework.NodeInfo`), and the {@link Snapshot} a scheduling cycle reads.
 *
 * Resource amounts are integers, as upstream's: CPU in millicores (`MilliValue`), every other
 * resource in whole units (`Value`, rounded up). They are parsed exactly with core's
 * `Quantity` and stay exact up to `Number.MAX_SAFE_INTEGER` (about 8 PiB of memory).
 *
 * @module
 */
import { parseQuantity, podHostPorts, podRequests as exactPodRequests, type HostPort, type Node, type PersistentVolume, type PersistentVolumeClaim, type Pod, type ResourceQuantities, type StorageClass, type Taint } from '@kubeloop/core';

/** The resource names with their own fields; everything else is a scalar (extended) resource. */
export const CPU = 'cpu';
/** Memory, in bytes. */
export const MEMORY = 'memory';
/** Local ephemeral storage, in bytes. */
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
/** The number of pods a node accepts (`status.allocatable.pods`). */
export const PODS = 'pods';

const NO_TAINTS: readonly Taint[] = Object.freeze([]);

/** Upstream's `DefaultMilliCPURequest`: what a container without a CPU request counts as when scoring (100m). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Upstream's `DefaultMemoryRequest`: what a container without a memory request counts as when scoring (200 MiB). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/**
 * Resource amounts by name: `cpu` in millicores, everything else in whole units.
 * A missing name means zero.
 */
export type ResourceAmounts = Map<string, number>;

const parsed = new Map<string, number>();

/**
 * The integer amount of one resource quantity: millicores for `cpu`, whole units (rounded up,
 * as upstream's `Value`) otherwise. Memoized per text, so hot paths do not re-parse.
 *
 * @example
 * ```ts
 * amountOf('cpu', '250m');      // 250
 * amountOf('cpu', 2);           // 2000
 * amountOf('memory', '128Mi');  // 134217728
 * amountOf('memory', '100m');   // 1 (0.1 byte rounds up)
 * ```
 * @throws core's `QuantityError` for text that is not a quantity (the API server rejects those).
 */
export function amountOf(resource: string, quantity: string | number): number {
  const text = typeof quantity === 'number' ? String(quantity) : quantity;
  const key = resource === CPU ? `m${text}` : text;
  let v = parsed.get(key);
  if (v === undefined) {
    const q = parseQuantity(text);
    v = resource === CPU ? q.milliValue() : q.value();
    if (parsed.size > 100_000) parsed.clear();
    parsed.set(key, v);
  }
  return v;
}

/**
 * The integer form of exact amounts: `cpu` in millicores (`MilliValue`), every other resource
 * in whole units rounded up (`Value`), as upstream's scheduler `Resource` holds them.
 */
function amountsOf(quantities: ResourceQuantities): ResourceAmounts {
  const out: ResourceAmounts = new Map();
  for (const [name, q] of quantities) out.set(name, name === CPU ? q.milliValue() : q.value());
  return out;
}

/** Scoring's non-zero CPU (millicores) and memory (bytes) of a pod. */
type NonZero = { readonly milliCPU: number; readonly memory: number };

/** What {@link podRequests} and {@link nonZeroRequests} computed for one frozen set of containers. */
interface Memo {
  readonly initContainers: Pod['spec']['initContainers'];
  readonly overhead: Pod['spec']['overhead'];
  requests?: ResourceAmounts;
  nonZero?: NonZero;
}

/**
 * Memoized results by `spec.containers`, for pods whose `containers`, `initContainers` and
 * `overhead` are frozen (the API server and the informers hand out deeply frozen objects): those
 * never change, and the copy the scheduler assumes on a node shares them, so a scheduling cycle
 * that asks five times computes once. The results handed out are shared: callers only read them.
 */
const memos = new WeakMap<readonly unknown[], Memo>();

function memoOf(pod: Pod): Memo | undefined {
  const { containers, initContainers, overhead } = pod.spec;
  if (!Object.isFrozen(containers) || (initContainers !== undefined && !Object.isFrozen(initContainers)) || (overhead !== undefined && !Object.isFrozen(overhead))) return undefined;
  const known = memos.get(containers);
  if (known !== undefined && known.initContainers === initContainers && known.overhead === overhead) return known;
  const memo: Memo = { initContainers, overhead };
  memos.set(containers, memo);
  return memo;
}

/**
 * A pod's effective requests as integer amounts: core's `podRequests` (upstream
 * `resourcehelper.PodRequests`: app containers and sidecars summed, each regular init container
 * with the sidecars started before it, the larger figure, plus `spec.overhead`), converted by
 * {@link amountOf}'s units. The rule itself lives in core; this only changes the units. For a
 * frozen pod the map is memoized and shared: read it, do not change it.
 *
 * @example
 * Containers requesting 100m and 200m, an init container requesting 500m, overhead 10m:
 * `max(100 + 200, 500) + 10 = 510` millicores. A 600m container with a 500m sidecar: 1100.
 */
export function podRequests(pod: Pod): ResourceAmounts {
  const memo = memoOf(pod);
  if (memo?.requests !== undefined) return memo.requests;
  const amounts = amountsOf(exactPodRequests(pod));
  if (memo === undefined) return amounts;
  memo.requests = shared(amounts);
  return memo.requests;
}

/**
 * Memoized request maps by content: the pods of a workload request the same amounts, and a
 * cluster of 150,000 pods would otherwise keep 150,000 equal maps. Bounded: forgotten wholesale
 * when full (a later pod then gets a new map, equal to the old one).
 */
const sharedAmounts = new Map<string, ResourceAmounts>();
const SHARED_AMOUNTS_MAX = 1024;

function shared(amounts: ResourceAmounts): ResourceAmounts {
  let key = '';
  for (const [name, value] of amounts) key += `${name}=${value};`;
  const known = sharedAmounts.get(key);
  if (known !== undefined) return known;
  if (sharedAmounts.size >= SHARED_AMOUNTS_MAX) sharedAmounts.clear();
  sharedAmounts.set(key, amounts);
  return amounts;
}

/** What a container without a CPU or memory request counts as when scoring (upstream `nonMissingContainerRequests`). */
const NON_MISSING: Readonly<Record<string, string>> = { [CPU]: `${DEFAULT_MILLI_CPU_REQUEST}m`, [MEMORY]: String(DEFAULT_MEMORY_REQUEST) };

/**
 * The CPU and memory a pod counts for when scoring (upstream `calculateResource`'s non-zero
 * requests): core's `podRequests` with `nonMissingContainerRequests`, so a container (app,
 * sidecar or init) without a CPU (memory) request counts as 100m (200 MiB) and best-effort
 * pods still spread. Overhead is included, as upstream.
 */
export function nonZeroRequests(pod: Pod): { readonly milliCPU: number; readonly memory: number } {
  const memo = memoOf(pod);
  if (memo?.nonZero !== undefined) return memo.nonZero;
  const r = exactPodRequests(pod, { nonMissingContainerRequests: NON_MISSING });
  const nonZero = { milliCPU: r.get(CPU)?.milliValue() ?? 0, memory: r.get(MEMORY)?.value() ?? 0 };
  if (memo !== undefined) memo.nonZero = nonZero;
  return nonZero;
}

// Host ports are core's, shared with the kubelet's admission; re-exported here.
export { podHostPorts };
export type { HostPort };

/** A pod as the scheduler caches it, with what it costs precomputed. */
export interface PodInfo {
  readonly pod: Pod;
  /** `namespace/name`. */
  readonly key: string;
  readonly requests: ResourceAmounts;
  readonly nonZero: { readonly milliCPU: number; readonly memory: number };
  readonly hostPorts: readonly HostPort[];
  /** Whether the pod has required or preferred pod affinity or anti-affinity terms. */
  readonly hasAffinity: boolean;
  /** Whether the pod has required pod anti-affinity terms. */
  readonly hasRequiredAntiAffinity: boolean;
}

/** Precomputes a {@link PodInfo}. */
export function podInfo(pod: Pod): PodInfo {
  const a = pod.spec.affinity;
  const hasRequiredAntiAffinity = (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
  const hasAffinity =
    hasRequiredAntiAffinity ||
    (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 ||
    (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 ||
    (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
  return {
    pod,
    key: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`,
    requests: podRequests(pod),
    nonZero: nonZeroRequests(pod),
    hostPorts: podHostPorts(pod),
    hasAffinity,
    hasRequiredAntiAffinity,
  };
}

/** The read-only view of a node that plugins see. */
export interface NodeInfoView {
  readonly name: string;
  readonly node: Node;
  /** The pods on the node (bound or assumed), by key. */
  readonly pods: ReadonlyMap<string, PodInfo>;
  /** Pods on the node with pod (anti-)affinity terms. */
  readonly podsWithAffinity: ReadonlyMap<string, PodInfo>;
  /** Pods on the node with required anti-affinity terms. */
  readonly podsWithRequiredAntiAffinity: ReadonlyMap<string, PodInfo>;
  /** `status.allocatable`, as integer amounts. */
  readonly allocatable: ReadonlyMap<string, number>;
  /** `allocatable` cpu (millicores) and memory (bytes), for hot paths. */
  readonly allocatableCPU: number;
  readonly allocatableMemory: number;
  /** `allocatable` pods (0 when the node reports none), for hot paths. */
  readonly allocatablePods: number;
  /** `pods.size`, for hot paths. */
  readonly podCount: number;
  /** The node's `spec.unschedulable`, for hot paths. */
  readonly unschedulable: boolean;
  /** The node's `spec.taints` (empty when it has none), for hot paths. */
  readonly taints: readonly Taint[];
  /** The sum of the pods' requests (init containers, sidecars and overhead included, as upstream's `PodRequests`). */
  readonly requested: ReadonlyMap<string, number>;
  /** `requested` cpu (millicores) and memory (bytes), for hot paths. */
  readonly requestedCPU: number;
  readonly requestedMemory: number;
  /** The sum of the pods' requests with upstream's non-zero defaults (100m CPU, 200 MiB memory for a container without a request). */
  readonly nonZeroRequested: { readonly milliCPU: number; readonly memory: number };
  /** `nonZeroRequested` cpu (millicores) and memory (bytes), for hot paths. */
  readonly nonZeroCPU: number;
  readonly nonZeroMemory: number;
  /** Host ports in use. */
  readonly usedPorts: readonly HostPort[];
  /** Normalized image name → size in bytes, from `status.images`. */
  readonly images: ReadonlyMap<string, number>;
}

/**
 * Upstream's image name normalization for ImageLocality: a name without a tag or digest gets `:latest`.
 *
 * @example `normalizedImageName('nginx')` is `nginx:latest`; `nginx:1.27` and `a@sha256:…` are unchanged.
 */
export function normalizedImageName(name: string): string {
  if (name.includes('@')) return name;
  const last = name.slice(name.lastIndexOf('/') + 1);
  return last.includes(':') ? name : `${name}:latest`;
}

/**
 * Cluster-wide indexes kept up to date by the {@link NodeInfo}s that share it (upstream's
 * snapshot lists `havePodsWithAffinityNodeInfoList`, `havePodsWithRequiredAntiAffinityNodeInfoList`
 * and `imageStates`), so per-cycle work does not walk every node.
 */
export class ClusterIndex {
  /** Nodes with at least one pod with pod (anti-)affinity terms. */
  readonly withAffinity = new Set<NodeInfoView>();
  /** Nodes with at least one pod with required anti-affinity terms. */
  readonly withRequiredAntiAffinity = new Set<NodeInfoView>();
  /** Normalized image name → the number of nodes that have it. */
  readonly imageNodes = new Map<string, number>();
}

/**
 * One node and its pods. Mutable: only the scheduler cache (its one writer) calls
 * {@link NodeInfo.addPod} / {@link NodeInfo.removePod} / {@link NodeInfo.setNode}; plugins get it
 * as a {@link NodeInfoView}.
 *
 * Invariants: `requested` (`nonZeroRequested`, `usedPorts`) is the sum (concatenation) over
 * `pods`, `requestedCPU`/`requestedMemory` mirror it; `podsWithAffinity` ⊆ `pods`,
 * `podsWithRequiredAntiAffinity` ⊆ `podsWithAffinity`; the shared {@link ClusterIndex} lists
 * this node exactly when those maps are non-empty and counts its images.
 */
export class NodeInfo implements NodeInfoView {
  readonly name: string;
  node: Node;
  readonly pods = new Map<string, PodInfo>();
  readonly podsWithAffinity = new Map<string, PodInfo>();
  readonly podsWithRequiredAntiAffinity = new Map<string, PodInfo>();
  allocatable: Map<string, number> = new Map();
  allocatableCPU = 0;
  allocatableMemory = 0;
  allocatablePods = 0;
  podCount = 0;
  unschedulable = false;
  taints: readonly Taint[] = NO_TAINTS;
  readonly requested = new Map<string, number>();
  requestedCPU = 0;
  requestedMemory = 0;
  nonZeroCPU = 0;
  nonZeroMemory = 0;
  usedPorts: HostPort[] = [];
  images: Map<string, number> = new Map();

  readonly #index: ClusterIndex | undefined;

  /** `index`, when given, is kept up to date with this node's pods and images until {@link NodeInfo.detach}. */
  constructor(node: Node, index?: ClusterIndex) {
    this.name = node.metadata.name ?? '';
    this.node = node;
    this.#index = index;
    this.setNode(node);
  }


  /** The sum of the pods' non-zero requests (see {@link NodeInfoView.nonZeroRequested}). */
  get nonZeroRequested(): { readonly milliCPU: number; readonly memory: number } {
    return { milliCPU: this.nonZeroCPU, memory: this.nonZeroMemory };
  }

  /** Removes this node from its {@link ClusterIndex} (the node was deleted). */
  detach(): void {
    const idx = this.#index;
    if (idx === undefined) return;
    idx.withAffinity.delete(this);
    idx.withRequiredAntiAffinity.delete(this);
    this.#countImages(-1);
    this.images = new Map();
  }

  #countImages(delta: 1 | -1): void {
    const idx = this.#index;
    if (idx === undefined) return;
    for (const name of this.images.keys()) {
      const n = (idx.imageNodes.get(name) ?? 0) + delta;
      if (n <= 0) idx.imageNodes.delete(name);
      else idx.imageNodes.set(name, n);
    }
  }

  #reindex(): void {
    const idx = this.#index;
    if (idx === undefined) return;
    if (this.podsWithAffinity.size > 0) idx.withAffinity.add(this);
    else idx.withAffinity.delete(this);
    if (this.podsWithRequiredAntiAffinity.size > 0) idx.withRequiredAntiAffinity.add(this);
    else idx.withRequiredAntiAffinity.delete(this);
  }

  /** Replaces the node object (labels, taints, allocatable may have changed). */
  setNode(node: Node): void {
    this.node = node;
    const alloc = new Map<string, number>();
    const list = node.status.allocatable ?? node.status.capacity ?? {};
    for (const name in list) alloc.set(name, amountOf(name, list[name]!));
    this.allocatable = alloc;
    this.allocatableCPU = alloc.get(CPU) ?? 0;
    this.allocatableMemory = alloc.get(MEMORY) ?? 0;
    this.allocatablePods = alloc.get(PODS) ?? 0;
    this.unschedulable = node.spec.unschedulable === true;
    this.taints = node.spec.taints ?? NO_TAINTS;
    const images = new Map<string, number>();
    for (const img of node.status.images ?? []) {
      for (const n of img.names ?? []) images.set(normalizedImageName(n), img.sizeBytes ?? 0);
    }
    this.#countImages(-1);
    this.images = images;
    this.#countImages(1);
  }

  /** Adds a pod (replacing one with the same key). */
  addPod(info: PodInfo): void {
    if (this.pods.has(info.key)) this.removePod(info.key);
    this.pods.set(info.key, info);
    this.podCount = this.pods.size;
    if (info.hasAffinity) this.podsWithAffinity.set(info.key, info);
    if (info.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity.set(info.key, info);
    for (const [n, v] of info.requests) this.requested.set(n, (this.requested.get(n) ?? 0) + v);
    this.requestedCPU = this.requested.get(CPU) ?? 0;
    this.requestedMemory = this.requested.get(MEMORY) ?? 0;
    if (info.hasAffinity) this.#reindex();
    this.nonZeroCPU += info.nonZero.milliCPU;
    this.nonZeroMemory += info.nonZero.memory;
    if (info.hostPorts.length > 0) this.usedPorts = [...this.usedPorts, ...info.hostPorts];
  }

  /** Throws if a documented invariant does not hold (for tests): the totals are recomputed from `pods`. */
  assertInvariants(): void {
    const sum = new Map<string, number>();
    let cpu = 0;
    let memory = 0;
    let ports = 0;
    for (const [key, p] of this.pods) {
      if (key !== p.key) throw new Error(`pod filed under ${key} has key ${p.key}`);
      for (const [n, v] of p.requests) sum.set(n, (sum.get(n) ?? 0) + v);
      cpu += p.nonZero.milliCPU;
      memory += p.nonZero.memory;
      ports += p.hostPorts.length;
      if (p.hasAffinity !== this.podsWithAffinity.has(key)) throw new Error(`podsWithAffinity disagrees on ${key}`);
      if (p.hasRequiredAntiAffinity !== this.podsWithRequiredAntiAffinity.has(key)) throw new Error(`podsWithRequiredAntiAffinity disagrees on ${key}`);
    }
    for (const [n, v] of this.requested) if ((sum.get(n) ?? 0) !== v) throw new Error(`requested ${n} is ${v}, pods sum to ${sum.get(n) ?? 0}`);
    if (this.requestedCPU !== (sum.get(CPU) ?? 0) || this.requestedMemory !== (sum.get(MEMORY) ?? 0)) throw new Error('requestedCPU/requestedMemory disagree with requested');
    if (this.nonZeroCPU !== cpu || this.nonZeroMemory !== memory) throw new Error('nonZeroRequested disagrees with pods');
    if (this.podCount !== this.pods.size) throw new Error(`podCount is ${this.podCount}, pods has ${this.pods.size}`);
    if (this.usedPorts.length !== ports) throw new Error(`usedPorts has ${this.usedPorts.length} entries, pods use ${ports}`);
    if (this.podsWithAffinity.size > this.pods.size) throw new Error('podsWithAffinity has pods not on the node');
    const idx = this.#index;
    if (idx !== undefined) {
      if (idx.withAffinity.has(this) !== this.podsWithAffinity.size > 0) throw new Error('ClusterIndex.withAffinity disagrees');
      if (idx.withRequiredAntiAffinity.has(this) !== this.podsWithRequiredAntiAffinity.size > 0) throw new Error('ClusterIndex.withRequiredAntiAffinity disagrees');
    }
  }

  /**
   * Files `info` in place of the pod of the same key, which it must count exactly alike (same
   * requests, ports and affinity: a newer version of the pod with the same spec); the totals
   * stay as they are. A no-op for an unknown key.
   */
  replacePod(info: PodInfo): void {
    const key = info.key;
    if (!this.pods.has(key)) return;
    this.pods.set(key, info);
    if (this.podsWithAffinity.has(key)) this.podsWithAffinity.set(key, info);
    if (this.podsWithRequiredAntiAffinity.has(key)) this.podsWithRequiredAntiAffinity.set(key, info);
  }

  /** Removes a pod by key; a no-op for an unknown key. */
  removePod(key: string): void {
    const info = this.pods.get(key);
    if (info === undefined) return;
    this.pods.delete(key);
    this.podCount = this.pods.size;
    this.podsWithAffinity.delete(key);
    this.podsWithRequiredAntiAffinity.delete(key);
    for (const [n, v] of info.requests) this.requested.set(n, (this.requested.get(n) ?? 0) - v);
    this.requestedCPU = this.requested.get(CPU) ?? 0;
    this.requestedMemory = this.requested.get(MEMORY) ?? 0;
    if (info.hasAffinity) this.#reindex();
    this.nonZeroCPU -= info.nonZero.milliCPU;
    this.nonZeroMemory -= info.nonZero.memory;
    if (info.hostPorts.length > 0) {
      const ports = [...this.usedPorts];
      for (const hp of info.hostPorts) {
        const i = ports.indexOf(hp);
        if (i >= 0) ports.splice(i, 1);
      }
      this.usedPorts = ports;
    }
  }
}

/**
 * What one scheduling cycle reads: every node with its pods, plus the storage objects
 * VolumeBinding needs and the namespaces' labels for `namespaceSelector`. Plugins must treat it
 * as immutable; a cycle runs synchronously, so the scheduler never changes it under them.
 */
export interface Snapshot {
  /** Every node, in a stable order (the scheduler's round-robin walks this list). */
  readonly nodes: readonly NodeInfoView[];
  /** A node by name. */
  get(name: string): NodeInfoView | undefined;
  /** Nodes with pods that have pod (anti-)affinity terms. */
  readonly havePodsWithAffinity: ReadonlySet<NodeInfoView>;
  /** Nodes with pods that have required anti-affinity terms. */
  readonly havePodsWithRequiredAntiAffinity: ReadonlySet<NodeInfoView>;
  /** How many nodes have an image (by normalized name). */
  imageNodeCount(name: string): number;
  /** A PersistentVolumeClaim by `namespace/name`. */
  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined;
  /** A PersistentVolume by name. */
  pv(name: string): PersistentVolume | undefined;
  /** Every PersistentVolume. */
  pvs(): readonly PersistentVolume[];
  /** A StorageClass by name. */
  storageClass(name: string): StorageClass | undefined;
  /** The labels of a namespace (`undefined` when unknown). */
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined;
}

/** Inputs of {@link snapshotOf}. */
export interface SnapshotInput {
  readonly nodes: readonly Node[];
  /** Pods; those with `spec.nodeName` are placed on their node (others are ignored). */
  readonly pods?: readonly Pod[];
  readonly pvcs?: readonly PersistentVolumeClaim[];
  readonly pvs?: readonly PersistentVolume[];
  readonly storageClasses?: readonly StorageClass[];
  readonly namespaces?: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/**
 * Builds a snapshot from plain objects: the pure entry point for tests and for running the
 * plugins outside a live scheduler. Pods that finished (`Succeeded`/`Failed`) do not count,
 * as upstream's cache.
 */
export function snapshotOf(input: SnapshotInput): Snapshot & { readonly infos: ReadonlyMap<string, NodeInfo> } {
  const infos = new Map<string, NodeInfo>();
  const index = new ClusterIndex();
  for (const n of input.nodes) infos.set(n.metadata.name ?? '', new NodeInfo(n, index));
  for (const p of input.pods ?? []) {
    const host = p.spec.nodeName;
    if (host === undefined || host === '' || isTerminal(p)) continue;
    infos.get(host)?.addPod(podInfo(p));
  }
  return makeSnapshot(infos, index, input);
}

/** Whether a pod no longer holds resources (`Succeeded` or `Failed`). */
export function isTerminal(pod: Pod): boolean {
  return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
}

/** Assembles a {@link Snapshot} over node infos (sharing `index`) and storage lists. */
export function makeSnapshot(
  infos: ReadonlyMap<string, NodeInfo>,
  index: ClusterIndex,
  storage: Omit<SnapshotInput, 'nodes' | 'pods'>,
): Snapshot & { readonly infos: ReadonlyMap<string, NodeInfo> } {
  const nodes = [...infos.values()];
  const byKey = <T extends { metadata: { namespace?: string | undefined; name?: string | undefined } }>(xs: readonly T[] | undefined) =>
    new Map((xs ?? []).map((x) => [`${x.metadata.namespace ?? ''}/${x.metadata.name ?? ''}`, x] as const));
  const pvcs = byKey(storage.pvcs);
  const pvs = byKey(storage.pvs);
  const classes = byKey(storage.storageClasses);
  return {
    infos,
    nodes,
    get: (name) => infos.get(name),
    havePodsWithAffinity: index.withAffinity,
    havePodsWithRequiredAntiAffinity: index.withRequiredAntiAffinity,
    imageNodeCount: (name) => index.imageNodes.get(name) ?? 0,
    pvc: (ns, name) => pvcs.get(`${ns}/${name}`),
    pv: (name) => pvs.get(`/${name}`),
    pvs: () => storage.pvs ?? [],
    storageClass: (name) => classes.get(`/${name}`),
    namespaceLabels: (name) => storage.namespaces?.get(name),
  };
}
