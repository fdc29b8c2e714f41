/**
 * The API server: the {@link Client} that controllers talk to, with the semantics they rely on
 * in a real cluster (DESIGN.md, "The API server contract"). It is a thin facade over upstream's
 * layering: a registry of per-kind strategies, subresources, admission, finalizers and
 * deletion (`store/registry/`) over a {@link Storage} (get / list / create / update / delete
 * by key with resourceVersion preconditions, watch from a revision, compaction), which is
 * {@link MemoryStorage} unless another backend is given.
 *
 * Consistency contract:
 * - One cluster-wide revision counter. Every write that changes something bumps it by one and
 *   stamps the object's `metadata.resourceVersion`; a write that changes nothing (an update
 *   equal to the stored object) is a no-op and bumps nothing, as upstream.
 * - Writes are atomic: a request is decoded, defaulted, admitted and validated in full before
 *   anything is stored; a rejected request changes nothing.
 * - Watches see every change to the objects they select, in revision order, exactly once. An
 *   object that stops matching a watch's selectors is seen as `DELETED` by that watch, one that
 *   starts matching as `ADDED`.
 * - Objects handed out are deep-frozen and shared: reads and watch fan-out never copy.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import { isApiError } from '../api/errors.js';
import type { KubeObject, ObjectKey, ObjectList } from '../api/meta.js';
import { ResourceRegistry, type ResourceDefinition } from '../api/registry.js';
import type { Clock } from '../clock/clock.js';
import type {
  BindOptions,
  BindingTarget,
  Client,
  DeleteOptions,
  ListOptions,
  Patch,
  PatchOptions,
  Scale,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from '../client/types.js';
import type { Rng } from '../rng/rng.js';
import type { AdmissionHook, StoreReader } from './admission.js';
import { MemoryStorage } from './memory.js';
import { bindPod, evictPod } from './registry/pods.js';
import { getScale, updateScale } from './registry/scale.js';
import {
  DEFAULT_SERVICE_CLUSTER_IP_RANGE,
  DEFAULT_SERVICE_NODE_PORT_RANGE,
  clusterIPRange,
  formatIPv4,
  nodePortRange,
} from './registry/services.js';
import { RegistryStore, type WarningSink } from './registry/store.js';
import type { Storage } from './storage.js';

export { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './registry/finalizers.js';
export type { WarningSink } from './registry/store.js';

/** Options of {@link ApiServer}. */
export interface ApiServerOptions {
  /** Source of creation and deletion timestamps and of bookmark timers. */
  readonly clock: Clock;
  /** Source of uids and generated name suffixes. */
  readonly rng: Rng;
  /** The kinds served. A new server with only the kinds registered later if absent. */
  readonly registry?: ResourceRegistry;
  /**
   * Where objects are kept; a new {@link MemoryStorage} (with `historySize` and
   * `bookmarkIntervalMs`) when absent.
   */
  readonly storage?: Storage;
  /**
   * How many change events the watch history of the default {@link MemoryStorage} keeps
   * (default 10,000). A watch or relist from a revision whose successors have left the window
   * fails with 410 `Expired`.
   */
  readonly historySize?: number;
  /**
   * How often watches that asked for bookmarks get one from the default {@link MemoryStorage}
   * (default 60 s, as upstream's ~1 min).
   */
  readonly bookmarkIntervalMs?: number;
  /** Admission hooks installed at construction (more with {@link ApiServer.addAdmissionHook}). */
  readonly admission?: readonly AdmissionHook[];
  /**
   * Namespaces created at construction (default `default`, `kube-system`, `kube-public`,
   * `kube-node-lease`, as a new cluster has), when the registry serves `namespaces`.
   */
  readonly initialNamespaces?: readonly string[];
  /**
   * The service CIDR Services get their ClusterIPs from (kube-apiserver's
   * `--service-cluster-ip-range`; default `10.96.0.0/12`; IPv4 only). Its first address is the
   * `kubernetes` Service's.
   */
  readonly serviceClusterIPRange?: string;
  /** The NodePort range, `"min-max"` (`--service-node-port-range`; default `30000-32767`). */
  readonly serviceNodePortRange?: string;
  /**
   * The address the API server advertises (`--advertise-address`): the endpoint of the
   * `kubernetes` Service, port 6443. Default {@link DEFAULT_API_SERVER_ADVERTISE_ADDRESS}.
   */
  readonly advertiseAddress?: string;
}

/**
 * The API server's default advertised address: `172.18.0.1`. kubeloop's API server runs beside
 * the nodes, not on one; the fake nodes are `172.18.0.2`, `172.18.0.3`, … on kind's node network
 * `172.18.0.0/16`, whose gateway (the host, where `kubeloop serve` listens) is `172.18.0.1`.
 */
export const DEFAULT_API_SERVER_ADVERTISE_ADDRESS = '172.18.0.1';

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * The `kubernetes` Service in `default` that upstream's bootstrap controller keeps: the API
 * server's own address, the first of the service CIDR, port 443 (`https`) to 6443.
 */
function kubernetesService(clusterIP: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], sessionAffinity: 'None' },
  } as unknown as KubeObject;
}

/**
 * The Endpoints and EndpointSlice of the `kubernetes` Service, as upstream's endpoint reconciler
 * writes them (`pkg/controlplane/reconcilers`, `EndpointsAdapter`): one subset / one ready
 * endpoint, the API server's address, port `https` 6443/TCP; the Endpoints labelled
 * `endpointslice.kubernetes.io/skip-mirror: "true"` (no mirroring), the slice only
 * `kubernetes.io/service-name: kubernetes` (no `managed-by`: the EndpointSlice controller leaves
 * it alone, as it does every Service without a selector).
 */
function kubernetesEndpoints(address: string): { endpoints: KubeObject; slice: KubeObject } {
  const meta = { name: 'kubernetes', namespace: 'default' };
  return {
    endpoints: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...meta, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: address }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }],
    } as unknown as KubeObject,
    slice: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { ...meta, labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    } as unknown as KubeObject,
  };
}

/**
 * The API server. It implements {@link Client} directly, so a controller can be handed the
 * server itself or any client wrapping it.
 *
 * @example
 * ```ts
 * const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: createBuiltinRegistry() });
 * const cm = await server.create(ConfigMaps, { metadata: { name: 'cfg', namespace: 'default' }, data: { a: '1' } });
 * ```
 */
export class ApiServer implements Client {
  /** The kinds served. Register custom resources before creating their objects. */
  readonly registry: ResourceRegistry;
  /** Where objects are kept. */
  readonly storage: Storage;
  /**
   * Settles once the initial namespaces exist (rejects if one cannot be created). With
   * {@link MemoryStorage} they exist when the constructor returns; a remote storage may take
   * longer.
   */
  readonly ready: Promise<void>;
  readonly #store: RegistryStore;

  constructor(options: ApiServerOptions) {
    this.registry = options.registry ?? new ResourceRegistry();
    this.storage =
      options.storage ?? new MemoryStorage({ clock: options.clock, historySize: options.historySize, bookmarkIntervalMs: options.bookmarkIntervalMs });
    const serviceRanges = {
      clusterIPs: clusterIPRange(options.serviceClusterIPRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE),
      nodePorts: nodePortRange(options.serviceNodePortRange ?? DEFAULT_SERVICE_NODE_PORT_RANGE),
    };
    this.#store = new RegistryStore({ storage: this.storage, registry: this.registry, clock: options.clock, rng: options.rng, admission: options.admission, serviceRanges });
    const namespaces = this.registry.forResource('namespaces');
    const created: Promise<unknown>[] = [];
    const initialNamespaces = options.initialNamespaces ?? DEFAULT_NAMESPACES;
    if (namespaces) {
      for (const name of initialNamespaces) {
        // A persistent storage may have them from an earlier run.
        created.push(
          this.#store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, {}).catch((e: unknown) => {
            if (!isApiError(e, 'AlreadyExists')) throw e;
          }),
        );
      }
    }
    const services = this.registry.forResource('services');
    if (services && (!namespaces || initialNamespaces.includes('default'))) {
      // As upstream's bootstrap controller, once `default` exists; kept from an earlier run.
      const service = kubernetesService(formatIPv4(serviceRanges.clusterIPs.base));
      // and its endpoints, as the endpoint reconciler writes them once the server serves
      const { endpoints, slice } = kubernetesEndpoints(options.advertiseAddress ?? DEFAULT_API_SERVER_ADVERTISE_ADDRESS);
      const writes: [ResourceDefinition | undefined, KubeObject][] = [
        [services, service],
        [this.registry.forResource('endpoints'), endpoints],
        [this.registry.forResource('endpointslices.discovery.k8s.io'), slice],
      ];
      // each write started at once, in this order: over memory they are all done on return
      const create = (): Promise<unknown> =>
        Promise.all(
          writes.flatMap(([resource, object]) =>
            resource === undefined
              ? []
              : [
                  this.#store.create(resource, object, {}).catch((e: unknown) => {
                    if (!isApiError(e, 'AlreadyExists')) throw e;
                  }),
                ],
          ),
        );
      // Over memory the namespaces exist already (then so does the Service when this returns).
      const now = !namespaces || this.storage.cache.get({ resource: 'namespaces', name: 'default' }) !== undefined;
      created.push(now ? create() : Promise.all(created).then(create));
    }
    this.ready = Promise.all(created).then(() => undefined);
    this.ready.catch(() => undefined); // seen by whoever awaits `ready`, never unhandled
  }

  /** Adds an admission hook; it runs after the hooks added before it. */
  addAdmissionHook(hook: AdmissionHook): void {
    this.#store.admission.add(hook);
  }

  /** The revision of the latest change (`"0"` before any). */
  get resourceVersion(): string {
    return String(this.storage.cache.revision);
  }

  /**
   * Forgets the watch history up to the current revision, as etcd compaction does: watches and
   * relists from an older revision then fail with 410 `Expired`. Used by fault injection.
   */
  compact(): void {
    this.storage.compact().catch(() => undefined); // best effort, as etcd's periodic compaction
  }

  /**
   * Synchronous reads of the storage's cache (what admission hooks get): the current state
   * with {@link MemoryStorage}, possibly a little behind it with a remote storage.
   */
  get reader(): StoreReader {
    return this.#store.reader;
  }

  // ---------------------------------------------------------------------------------------
  // Client: reads

  /** {@inheritDoc Client.get} */
  get<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): Promise<T> {
    return this.#store.get(resource, key);
  }

  /** {@inheritDoc Client.list} */
  list<T extends KubeObject>(resource: ResourceDefinition<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    return this.#store.list(resource, options);
  }

  /** {@inheritDoc Client.watch} */
  watch<T extends KubeObject>(resource: ResourceDefinition<T>, options: WatchOptions = {}): Observable<WatchEvent<T>> {
    return this.#store.watch(resource, options);
  }

  // ---------------------------------------------------------------------------------------
  // Client: writes

  /** {@inheritDoc Client.create} */
  create<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions & WarningSink = {}): Promise<T> {
    return this.#store.create(resource, object as unknown as T, options);
  }

  /** {@inheritDoc Client.update} */
  update<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions & WarningSink = {}): Promise<T> {
    return this.#store.update(resource, object as unknown as T, options, undefined);
  }

  /** {@inheritDoc Client.updateStatus} */
  updateStatus<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions & WarningSink = {}): Promise<T> {
    return this.#store.update(resource, object as unknown as T, options, 'status');
  }

  /** {@inheritDoc Client.patch} */
  patch<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, patch: Patch, options: PatchOptions & WarningSink = {}): Promise<T> {
    return this.#store.patch(resource, key, patch, options);
  }

  /** {@inheritDoc Client.delete} */
  delete<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, options: DeleteOptions = {}): Promise<T> {
    return this.#store.delete(resource, key, options) as Promise<T>;
  }

  /** {@inheritDoc Client.getScale} */
  getScale(resource: ResourceDefinition, key: ObjectKey): Promise<Scale> {
    return getScale(this.#store, resource, key);
  }

  /** {@inheritDoc Client.updateScale} */
  updateScale(resource: ResourceDefinition, key: ObjectKey, scale: Scale): Promise<Scale> {
    return updateScale(this.#store, resource, key, scale);
  }

  /** {@inheritDoc Client.bind} */
  bind(key: ObjectKey, target: BindingTarget, options: BindOptions = {}): Promise<void> {
    return bindPod(this.#store, key, target, options);
  }

  /** {@inheritDoc Client.evict} */
  evict(key: ObjectKey, options: DeleteOptions = {}): Promise<void> {
    return evictPod(this.#store, key, options);
  }
}
