/**
 * `SimCluster`: an in-memory Kubernetes cluster on a virtual clock — the API server with the
 * built-in kinds, the kube-scheduler, the node lifecycle controller, fake nodes with their
 * kubelets and any extra plugins —
 * with `apply`, `advance`, `settle`, node faults and an ordered trace of every change.
 *
 * @module
 */
import {
  ApiError,
  ApiServer,
  DEFAULT_SERVICE_CLUSTER_IP_RANGE,
  DEFAULT_STORAGE_CLASS_ANNOTATION,
  ManifestError,
  Nodes,
  PluginHost,
  Pods,
  StorageClasses,
  PriorityClasses,
  SYSTEM_PRIORITY_CLASSES,
  VirtualClock,
  apply as applyManifest,
  createBuiltinRegistry,
  createManager,
  isApiError,
  manifestLocation,
  parseManifests,
  withInterceptors,
  resolveManifest,
  seededRng,
  servedKubernetesVersion,
  serviceAddressesPlugin,
  DEFAULT_API_SERVER_ADVERTISE_ADDRESS,
} from '@kubeloop/core';
import type {
  ApplyResult,
  Client,
  ClientInterceptor,
  Clock,
  DeleteOptions,
  Invariant,
  KubeObject,
  ListOptions,
  Manager,
  ObjectKey,
  ObjectList,
  Plugin,
  Pod,
  RawManifest,
  ResolvedManifest,
  ResourceDefinition,
  StorageClass,
  VersionInfo,
} from '@kubeloop/core';
import {
  cronJobPlugin,
  clusterRoleAggregationPlugin,
  daemonSetPlugin,
  deploymentPlugin,
  endpointsPlugin,
  garbageCollectorPlugin,
  jobPlugin,
  nodeLifecyclePlugin,
  persistentVolumePlugin,
  volumeProtectionPlugin,
  podGcPlugin,
  replicaSetPlugin,
  replicationControllerPlugin,
  resourceQuotaPlugin,
  limitRangerPlugin,
  priorityPlugin,
  disruptionPlugin,
  horizontalPodAutoscalerPlugin,
  clusterAutoscalerPlugin,
  verticalPodAutoscalerPlugin,
  VerticalPodAutoscalerCheckpoints,
  VerticalPodAutoscalers,
  schedulerPlugin,
  statefulSetPlugin,
  ttlAfterFinishedPlugin,
  fakeCloudLoadBalancerPlugin,
  metallbPlugin,
  ingressNginxPlugin,
  IPAddressPools,
  L2Advertisements,
  METALLB_PLUGIN_NAME,
  type FakeCloudOptions,
  type IngressNginxOptions,
  type ClusterAutoscalerOptions,
  type NodeLifecyclePluginOptions,
  type VpaControllerOptions,
} from '@kubeloop/controllers';
import { COREDNS_IMAGE, FakeCloudProvider, RuntimeFakeError, TrafficRequestRates, checkNodeConfig, clusterDnsIP, clusterDnsObjects, customMetricsAdapterPlugin, fakeNodesPlugin, metricsServerPlugin, requestRatesProvider, trafficPlugin } from '@kubeloop/runtime-fake';
import type { CustomMetricsAdapterOptions } from '@kubeloop/runtime-fake';
import type { BehaviorRegistry, FakeNodeConfig, FakeNodesOptions, FakeNodesPlugin, NodeGroupConfig, TrafficModel, TrafficPlugin, TrafficPluginOptions } from '@kubeloop/runtime-fake';
import { SimClusterError } from './errors.js';
import { connectIngressTraffic } from './ingress-traffic.js';
import { DEFAULT_MAX_OBJECT_WRITES_PER_INSTANT, DEFAULT_MAX_WRITES_PER_INSTANT, LivelockGuard } from './livelock.js';
import { describeBusy, podSettled } from './quiet.js';
import type { TraceEntry } from './trace.js';
import { TraceRecorder } from './trace.js';

/**
 * One node of a {@link SimCluster}: its name and, optionally, its size and labels. Defaults as
 * the fake kubelet's: 4 cpu, 16Gi memory, 110 pods, 100Gi ephemeral storage.
 */
export type NodeSpec = Omit<FakeNodeConfig, 'index'>;

/**
 * One node group of a {@link SimCluster}'s fake cloud (the `nodeGroups` option): runtime-fake's
 * `NodeGroupConfig` — name, minSize, maxSize, the machines' cpu/memory/pods, labels, taints,
 * boot delay, and `failBoot` (how many machines asked for never boot).
 */
export type NodeGroupSpec = NodeGroupConfig;

/** How a {@link SimCluster} is built. */
export interface SimClusterOptions {
  /** The seed of every random choice (uids, generated names, jitter): same seed, same run. */
  readonly seed: number;
  /** The nodes: a count (named `node-1` … `node-n`, default size) or one spec per node. */
  readonly nodes: number | readonly NodeSpec[];
  /** Extra plugins (users' own controllers and resources), installed after the built-in ones. */
  readonly plugins?: readonly Plugin[] | undefined;
  /**
   * The fake nodes' container runtime settings, applied to every node, as `fakeNodesPlugin`'s
   * `runtime` option: known images (`{ 'example.com/app:1': { sizeBytes } }` or a fixed
   * `pullMs`), pull timing (`{ bytesPerSecond, overheadMs }`) and preloaded images. Default: the
   * fake runtime's (pulls take 500 ms + size / 20 MB/s; nothing preloaded). To slow pulls down
   * at run time, set `extraPullMs` on a node's runtime (`cluster.nodes.kubelet(name).runtime`).
   */
  readonly runtime?: FakeNodesOptions['runtime'];
  /** Run the kube-scheduler (default true); without it, pods stay unbound unless bound by hand. */
  readonly scheduler?: boolean | undefined;
  /**
   * Start with the default StorageClass {@link DEFAULT_STORAGE_CLASS} (default true), as kind's
   * clusters start with theirs, so that claims without a class get a volume provisioned.
   */
  readonly defaultStorageClass?: boolean | undefined;
  /**
   * The service CIDR the API server gives Services their ClusterIPs from (default
   * `10.96.0.0/12`, kube-apiserver's; the `kubernetes` Service in `default` gets its first
   * address). The cluster states `serviceClusterIPsUnique` and `serviceNodePortsUnique` for it.
   */
  readonly serviceClusterIPRange?: string | undefined;
  /** The NodePort range, `"min-max"` (default `30000-32767`). */
  readonly serviceNodePortRange?: string | undefined;
  /**
   * Run the node lifecycle controller, taint-based eviction and DefaultTolerationSeconds
   * (default true; options as `nodeLifecyclePlugin`'s). Without it a stopped node stays `Ready`.
   */
  readonly nodeLifecycle?: boolean | NodeLifecyclePluginOptions | undefined;
  /**
   * Run a metrics-server scraping the kubelets every 15 s and serving `metrics.k8s.io`
   * PodMetrics and NodeMetrics, which the HPA and `top` read (default false: as in a fresh kind
   * cluster, an HPA then reports `ScalingActive` False / `FailedGetResourceMetric`).
   */
  readonly metricsServer?: boolean | undefined;
  /**
   * Behave like a cloud's cluster: run a fake cloud provider's service controller (as a
   * cloud-controller-manager does) that gives every LoadBalancer Service without
   * `loadBalancerClass` an address, deterministically (the lowest free one of
   * `203.0.113.0/24` unless `addressRange` says otherwise), instead of MetalLB, which the
   * controller manager then leaves out. Default false: a bare-metal cluster where MetalLB serves
   * LoadBalancer Services from its address pools.
   */
  readonly cloudProvider?: boolean | FakeCloudOptions | undefined;
  /**
   * Install ingress-nginx (default false): its control loop joins the controller manager, so
   * Ingresses of class `nginx` get their status from the Service
   * `ingress-nginx/ingress-nginx-controller` (see `ingressNginxPlugin`); with traffic, requests
   * that reach pods of image `registry.k8s.io/ingress-nginx/controller` (through that Service)
   * are routed by the Ingress rules, and outside clients resolve an Ingress host to its
   * published address. Without it, as in a fresh cluster, nothing serves Ingresses.
   */
  readonly ingressNginx?: boolean | IngressNginxOptions | undefined;
  /**
   * Install cluster DNS as kubeadm and kind do (default false, so that property suites stay
   * minimal): the Service `kube-system/kube-dns` at the tenth address of the service CIDR
   * (`10.96.0.10`) and the Deployment `coredns` (2 replicas, image preloaded on the nodes, as on
   * kind's), see runtime-fake's `clusterDnsObjects`; with traffic, pods' lookups then reach
   * CoreDNS through that Service, and fail with a timeout while it has no ready endpoint.
   * Without it, cluster DNS answers every lookup and runs no pods.
   */
  readonly clusterDns?: boolean | undefined;
  /**
   * Run a custom and external metrics adapter (`custom.metrics.k8s.io` MetricValues,
   * `external.metrics.k8s.io` ExternalMetricValues) over its providers, which the HPA's `Pods`,
   * `Object` and `External` metrics read; `true` runs the built-in request-rates provider over
   * the traffic model's request counters (runtime-fake's `TrafficRequestRates`: the
   * `requests-per-second` of every running pod, none with `traffic: false`) and the hand-set
   * values (default false: such metrics then fail as without an adapter).
   */
  readonly customMetrics?: boolean | CustomMetricsAdapterOptions | undefined;
  /**
   * Simulate traffic (default true): kube-proxy and cluster DNS over the cluster's Services and
   * EndpointSlices, the network containers' `wget`/`curl`/`nslookup` see, and `wget`/`curl`
   * loops as load on the pods they reach; {@link SimCluster.traffic} sends requests. It writes
   * nothing to the API server. `false`: containers see no network (nothing resolves). A
   * function builds the plugin from the options the cluster would give `trafficPlugin` (a test
   * wraps it, e.g. to break the router on purpose).
   */
  readonly traffic?: boolean | ((options: TrafficPluginOptions) => TrafficPlugin) | undefined;
  /**
   * The version the API server reports at `/version` to pods that reach it through the
   * `kubernetes` Service (default core's `servedKubernetesVersion()`, `v1.34.0+kubeloop`;
   * `kubeloop run` and `kubeloop serve` pass the one `kubeloop serve` reports).
   */
  readonly kubernetesVersion?: VersionInfo | undefined;
  /**
   * Node groups of a fake cloud (runtime-fake's `FakeCloudProvider`): each starts with its
   * `minSize` machines (booted, after the `nodes`), and the Cluster Autoscaler grows and
   * shrinks it within `[minSize, maxSize]`; new machines join after the group's boot delay.
   * The cloud is {@link SimCluster.cloud}. Default: none (no cloud, no autoscaler).
   */
  readonly nodeGroups?: readonly NodeGroupSpec[] | undefined;
  /**
   * The Cluster Autoscaler's options (expander chain, intervals, threshold), when `nodeGroups`
   * are given; `false` runs the cloud without an autoscaler (default: upstream's defaults).
   */
  readonly clusterAutoscaler?: false | Omit<ClusterAutoscalerOptions, 'cloudProvider'> | undefined;
  /**
   * Run the Vertical Pod Autoscaler add-on (recommender, updater, admission controller; options
   * as `verticalPodAutoscalerPlugin`'s), which serves `autoscaling.k8s.io/v1`
   * VerticalPodAutoscalers and reads the metrics-server's PodMetrics (so it needs
   * `metricsServer: true` to recommend). Default false: as upstream, it is installed apart.
   */
  readonly verticalPodAutoscaler?: boolean | VpaControllerOptions | undefined;
  /**
   * The controller manager (kube-controller-manager): controllers that run in a manager of
   * their own, with their own informers and client, and that {@link SimCluster.restartControllerManager}
   * can crash and restart. Default: the built-in workload controllers; `false` runs none.
   */
  readonly controllerManager?: false | ControllerManagerOptions | undefined;
  /**
   * Where the trace goes (default `'memory'`): `'memory'` keeps every change for
   * {@link SimCluster.trace} and {@link SimCluster.traceJson}; `'none'` keeps none; a function
   * receives each change as it happens, in order, and none is kept (e.g. to stream it to a file
   * on a long run). `settle` works the same with all three. With `'none'` or a function,
   * `trace()` and `traceJson()` throw `invalid-option`.
   */
  readonly trace?: 'memory' | 'none' | ((entry: TraceEntry) => void) | undefined;
  /**
   * How many times the API server lets one object be written (updated or deleted; its create is
   * not counted) at one virtual instant before the cluster calls it a livelock (default
   * {@link DEFAULT_MAX_OBJECT_WRITES_PER_INSTANT}): a write
   * loop that never lets time pass would otherwise hang `advance`. Past it, writes to that object
   * at that instant fail with 429 `TooManyRequests`, and the next `advance`/`settle` throws
   * {@link SimClusterError} `livelock` naming the objects written most. Large bursts of writes
   * to many objects are not limited.
   */
  readonly maxObjectWritesPerInstant?: number | undefined;
  /**
   * How many writes, to all objects together, the API server lets one virtual instant see
   * before the cluster calls it a livelock (default {@link DEFAULT_MAX_WRITES_PER_INSTANT}): a
   * loop that writes new objects each time round writes no object twice. Past it, every write
   * at that instant fails with 429, and the next `advance`/`settle` throws
   * {@link SimClusterError} `livelock` naming the families of objects (by controller or
   * `generateName`) written most in the instant's last 10,000 writes. Raise it to apply more than about 50,000 pods at one instant.
   */
  readonly maxWritesPerInstant?: number | undefined;
  /**
   * How many writes the API server admits over the cluster's whole life (default unbounded;
   * `checkCluster` sets `DEFAULT_MAX_WRITES_PER_RUN`): a loop of writes that lets a little
   * virtual time pass each time round escapes the per-instant bounds and would run for minutes.
   * Past it, every write fails with 429, and the next `advance`/`settle` throws
   * {@link SimClusterError} `too-much-work` naming the families of objects written most in the
   * last tenth of the bound (at most 10,000 writes).
   */
  readonly maxWritesPerRun?: number | undefined;
  /**
   * Where the virtual clock starts, in epoch milliseconds (default core's `VIRTUAL_EPOCH_MS`):
   * `kubeloop serve` starts it at the wall time so that timestamps read as today's.
   */
  readonly startMs?: number | undefined;
}

/** The controller manager of a {@link SimCluster}. */
export interface ControllerManagerOptions {
  /** The controllers to run, as plugins (default: the built-in workload controllers). */
  readonly plugins?: readonly Plugin[] | undefined;
  /**
   * Interceptors on the controller manager's client (latency, faults, watch drops), applied to
   * every incarnation of it, outermost first; or a function building them on the cluster's
   * clock (called once, when the cluster is created).
   */
  readonly interceptors?: readonly ClientInterceptor[] | ((clock: Clock) => readonly ClientInterceptor[]) | undefined;
  /**
   * How often the controller manager's informers resync — hand every cached object to the
   * controllers again as an update — in virtual ms (default: never). Upstream's
   * kube-controller-manager resyncs every 12 to 24 hours (`--min-resync-period`), and some
   * races only heal through it: a ReplicaSet waiting on a deletion it will never observe (the
   * pod was adopted by another owner before it went) syncs again only when its expectations
   * have expired (5 minutes) and something enqueues it. A test that wants such a run to
   * converge within its settle bound sets a shorter period here.
   */
  readonly resyncMs?: number | undefined;
}

/**
 * The StorageClass a {@link SimCluster} starts with (unless `defaultStorageClass: false`), the
 * default class like kind's `standard`: provisioner `kubeloop.dev/hostpath` (kind's is
 * `rancher.io/local-path`), reclaim policy Delete, binding mode Immediate.
 */
export const DEFAULT_STORAGE_CLASS: StorageClass = Object.freeze({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'standard', annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: 'true' } },
  provisioner: 'kubeloop.dev/hostpath',
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'Immediate',
}) as StorageClass;

/**
 * The built-in controllers a {@link SimCluster}'s controller manager runs by default, as
 * kube-controller-manager does: the garbage collector, the pod garbage collector, ReplicaSet, ReplicationController,
 * Deployment, DaemonSet, StatefulSet, the PersistentVolume binder and provisioner, PVC and PV protection (with the
 * StorageObjectInUseProtection admission hook), the Endpoints and EndpointSlice controllers, Job and TTL-after-finished,
 * the disruption controller (PodDisruptionBudget status), ClusterRole aggregation,
 * the Priority and LimitRanger admission hooks, and the resource quota controller with its admission hook (installed on the API server through the plugin API, as
 * every plugin's hooks are: a cluster whose controller manager leaves the plugin out admits
 * without quota). Plugins are stateless (each incarnation of the controller manager builds
 * fresh controllers from them), so one list serves every cluster. Beyond kube-controller-manager,
 * MetalLB, which a bare-metal cluster of the seeds installs (inert until an address pool
 * exists); ingress-nginx is the `ingressNginx` option's.
 */
export const DEFAULT_CONTROLLER_PLUGINS: readonly Plugin[] = Object.freeze([
  garbageCollectorPlugin(),
  podGcPlugin(),
  replicaSetPlugin(),
  replicationControllerPlugin(),
  deploymentPlugin(),
  daemonSetPlugin(),
  statefulSetPlugin(),
  persistentVolumePlugin(),
  volumeProtectionPlugin(),
  endpointsPlugin(),
  priorityPlugin(),
  limitRangerPlugin(),
  resourceQuotaPlugin(),
  disruptionPlugin(),
  horizontalPodAutoscalerPlugin(),
  jobPlugin(),
  ttlAfterFinishedPlugin(),
  cronJobPlugin(),
  metallbPlugin(),
  clusterRoleAggregationPlugin(),
]);

/** Options of {@link SimCluster.settle}. */
export interface SettleOptions {
  /** Give up after this much virtual time (default 600 000 ms, 10 minutes). */
  readonly maxMs?: number | undefined;
  /** How long the store must see only heartbeats (default {@link DEFAULT_QUIET_MS}). */
  readonly quietMs?: number | undefined;
  /**
   * Called between the steps of settling (at most every {@link SETTLE_PROGRESS_STEP_MS} of
   * virtual time), e.g. to redraw a progress line. It must not change the cluster.
   */
  readonly onProgress?: (() => void | Promise<void>) | undefined;
}

/**
 * How far {@link SimCluster.settle} advances at a time, once the store is quiet, while an
 * informer of the controller manager has no watch open: 1 s.
 */
const INFORMER_WAIT_STEP_MS = 1_000;

/** How far {@link SimCluster.settle} advances at most between two `onProgress` calls: 10 s. */
export const SETTLE_PROGRESS_STEP_MS = 10_000;

/**
 * The default quiet window of {@link SimCluster.settle}: 20 s, two periods of the kubelet's
 * most frequent sync (the 10 s Lease renewal).
 */
export const DEFAULT_QUIET_MS = 20_000;

/** The default bound of {@link SimCluster.settle}: 10 virtual minutes. */
export const DEFAULT_SETTLE_MAX_MS = 600_000;

/**
 * What {@link SimCluster.apply} accepts: manifest text (YAML or JSON), or one manifest object
 * or several (typed objects such as a `Pod`, or plain literals: they are checked as text is).
 */
export type ApplyInput = string | object | readonly object[];

type Subscription = ReturnType<ReturnType<ApiServer['watch']>['subscribe']>;

function nodeSpecs(nodes: SimClusterOptions['nodes']): readonly NodeSpec[] {
  if (typeof nodes !== 'number') return nodes;
  if (!Number.isInteger(nodes) || nodes < 0) throw new SimClusterError('invalid-option', `nodes must be a whole number of nodes or a list of node specs, got ${nodes}`);
  return Array.from({ length: nodes }, (_, i) => ({ name: `node-${i + 1}` }));
}

/**
 * A simulated cluster: the in-memory `ApiServer` serving every built-in kind, a
 * `Manager` running the kube-scheduler, the node lifecycle controller (taint-based eviction
 * and DefaultTolerationSeconds included), one fake kubelet per node and the extra plugins,
 * all on one `VirtualClock` seeded from `seed`.
 *
 * Guarantees:
 * - nothing reads the wall clock or real randomness: the same seed, nodes, plugins and calls
 *   give the same trace, byte for byte ({@link SimCluster.traceJson});
 * - {@link SimCluster.apply} resolves every document before writing any: a manifest with an
 *   unknown kind or a missing `apiVersion` throws and applies nothing;
 * - the trace holds every change to every kind the cluster serves — the built-in kinds and the
 *   custom resources of the plugins (`plugins` and the controller manager's) — in the order the
 *   store made it, from the cluster's creation on (the default namespaces first, at `t` 0).
 *
 * The workload controllers (see {@link DEFAULT_CONTROLLER_PLUGINS}) run in a separate
 * controller manager that tests can crash and restart ({@link SimCluster.restartControllerManager}).
 *
 * Caveats: a pod evicted from a node whose kubelet is stopped stays Terminating, as upstream:
 * nothing confirms its deletion until the node comes back.
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 3 });
 * await cluster.apply(yamlText, 'web.yaml');
 * await cluster.settle(); // every pod Running and Ready, or a clear error
 * await cluster.stop();
 * ```
 */
export class SimCluster {
  /** The API server; a `Client` for anything the pass-throughs do not cover. */
  readonly server: ApiServer;
  /** The clock every component runs on. */
  readonly clock: VirtualClock;
  /** The manager running the scheduler, the kubelets and the extra plugins. */
  readonly manager: Manager;
  /** The fake nodes, with their kubelets and container behaviors. */
  readonly nodes: FakeNodesPlugin;
  /** The traffic model (see {@link SimClusterOptions.traffic}); undefined with `traffic: false`. */
  readonly traffic: TrafficModel | undefined;
  #cloud: FakeCloudProvider | undefined;
  readonly #start: number;
  readonly #controllers: ControllerManagerRunner | undefined;
  readonly #trace: TraceRecorder;
  readonly #livelock: LivelockGuard;
  readonly #subscriptions: Subscription[] = [];
  #invariants: readonly Invariant[] = [];
  #reconciled: readonly ResourceDefinition[] = [];
  #watchFailure: unknown;
  #stopped = false;

  private constructor(server: ApiServer, clock: VirtualClock, manager: Manager, nodes: FakeNodesPlugin, controllers: ControllerManagerRunner | undefined, trace: TraceRecorder, livelock: LivelockGuard, traffic: TrafficModel | undefined) {
    this.traffic = traffic;
    this.#trace = trace;
    this.#livelock = livelock;
    this.server = server;
    this.clock = clock;
    this.manager = manager;
    this.nodes = nodes;
    this.#controllers = controllers;
    this.#start = clock.now();
    // Every kind served now: the built-in ones, then the custom resources the plugins (and the
    // controller manager's plugins) registered, all installed before the cluster is built.
    for (const resource of server.registry.all()) {
      this.#subscriptions.push(
        server.watch(resource).subscribe({
          next: (event) => {
            if (event.type !== 'BOOKMARK') this.#trace.record(this.clock.now() - this.#start, event.type, event.object);
          },
          error: (e: unknown) => {
            this.#watchFailure ??= e;
          },
        }),
      );
    }
  }

  /**
   * Builds and starts a cluster; resolves once every node has registered its Node and Lease.
   *
   * Errors: {@link SimClusterError} `invalid-option` for a bad node count; duplicate node names
   * and bad scheduler configurations fail as the fake nodes and the scheduler report them.
   */
  static async create(options: SimClusterOptions): Promise<SimCluster> {
    const specs = nodeSpecs(options.nodes);
    const rng = seededRng(options.seed);
    const clock = new VirtualClock(options.startMs);
    const registry = createBuiltinRegistry();
    const limit = options.maxObjectWritesPerInstant ?? DEFAULT_MAX_OBJECT_WRITES_PER_INSTANT;
    if (!(limit >= 1)) throw new SimClusterError('invalid-option', `maxObjectWritesPerInstant must be at least 1, got ${limit}`);
    const totalLimit = options.maxWritesPerInstant ?? DEFAULT_MAX_WRITES_PER_INSTANT;
    if (!(totalLimit >= 1)) throw new SimClusterError('invalid-option', `maxWritesPerInstant must be at least 1, got ${totalLimit}`);
    const runLimit = options.maxWritesPerRun ?? Number.POSITIVE_INFINITY;
    if (!(runLimit >= 1)) throw new SimClusterError('invalid-option', `maxWritesPerRun must be at least 1, got ${runLimit}`);
    const livelock = new LivelockGuard(clock, limit, totalLimit, runLimit);
    const serviceRanges = {
      ...(options.serviceClusterIPRange !== undefined ? { serviceClusterIPRange: options.serviceClusterIPRange } : {}),
      ...(options.serviceNodePortRange !== undefined ? { serviceNodePortRange: options.serviceNodePortRange } : {}),
    };
    const server = new ApiServer({ clock, rng: rng.fork(), registry, admission: [livelock.hook()], ...serviceRanges });
    const cloud =
      options.nodeGroups === undefined || options.nodeGroups.length === 0
        ? undefined
        : new FakeCloudProvider({
            nodeGroups: options.nodeGroups,
            clock,
            // A machine boots: its kubelet starts and registers the Node, as `addNode` does.
            join: (node) => nodes.addNode(node),
            // A machine is deleted: it powers off and its Node goes, as `removeNode` does.
            leave: async (name) => {
              nodes.kubelet(name)?.powerOff();
              try {
                await server.delete(Nodes, { name });
              } catch (e) {
                if (!isApiError(e, 'NotFound')) throw e;
              }
            },
          });
    const clusterDns = options.clusterDns ?? false;
    const dnsServer = clusterDns ? clusterDnsIP(options.serviceClusterIPRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE) : undefined;
    // kind's node image carries CoreDNS's image: its pods start without a pull
    const runtime = clusterDns ? { ...options.runtime, preloaded: [...(options.runtime?.preloaded ?? []), COREDNS_IMAGE] } : options.runtime;
    const nodes = fakeNodesPlugin({ nodes: [...specs, ...(cloud?.initialNodes() ?? [])], runtime });
    const host = new PluginHost({ registry, admission: server });
    // The API server's own allocation of Service addresses, judged for the ranges it was given.
    host.use(serviceAddressesPlugin(serviceRanges));
    if (options.scheduler ?? true) host.use(schedulerPlugin());
    const lifecycle = options.nodeLifecycle ?? true;
    if (lifecycle !== false) host.use(nodeLifecyclePlugin(lifecycle === true ? {} : lifecycle));
    host.use(nodes);
    if (options.metricsServer ?? false) host.use(metricsServerPlugin({ kubelets: () => nodes.kubelets() }));
    const cloudLoadBalancers = options.cloudProvider ?? false;
    if (cloudLoadBalancers !== false) host.use(fakeCloudLoadBalancerPlugin(cloudLoadBalancers === true ? {} : cloudLoadBalancers));
    const adapter = options.customMetrics ?? false;
    // the built-in provider reads the traffic model's request rates (created just below)
    if (adapter !== false) host.use(customMetricsAdapterPlugin(adapter === true ? { providers: [requestRatesProvider(new TrafficRequestRates(() => traffic?.model))] } : adapter));
    // its own stream, so that the other components draw what they drew before it existed
    const trafficOptions: TrafficPluginOptions = { nodes, rng: seededRng(`${options.seed}/traffic`), clock, clusterDnsServer: dnsServer, apiServer: { address: DEFAULT_API_SERVER_ADVERTISE_ADDRESS, version: options.kubernetesVersion ?? servedKubernetesVersion() } };
    const traffic = typeof options.traffic === 'function' ? options.traffic(trafficOptions) : (options.traffic ?? true) ? trafficPlugin(trafficOptions) : undefined;
    if (traffic !== undefined) host.use(traffic);
    const vpa = options.verticalPodAutoscaler ?? false;
    if (vpa !== false) host.use(verticalPodAutoscalerPlugin(vpa === true ? {} : vpa));
    if (cloud !== undefined && options.clusterAutoscaler !== false) host.use(clusterAutoscalerPlugin({ ...options.clusterAutoscaler, cloudProvider: cloud }));
    for (const plugin of options.plugins ?? []) host.use(plugin);
    // The fake nodes, the scheduler and the extra plugins yield as the controller manager does;
    // their watches go straight to the server, as before.
    const client: Client = { ...withInterceptors(server, yielder(clock, livelock)), watch: server.watch.bind(server) };
    const manager = createManager({ client, clock, rng: rng.fork(), registry });
    const cm = options.controllerManager ?? {};
    let controllers: ControllerManagerRunner | undefined;
    if (cm !== false) {
      const cmHost = new PluginHost({ registry, admission: server });
      const cmPlugins = cm.plugins ?? DEFAULT_CONTROLLER_PLUGINS;
      // On a cloud, the cloud's service controller gives LoadBalancers their addresses, not MetalLB.
      cmHost.use(...(cloudLoadBalancers === false ? cmPlugins : cmPlugins.filter((p) => p.name !== METALLB_PLUGIN_NAME)));
      const ingress = options.ingressNginx ?? false;
      if (ingress !== false) {
        const plugin = ingressNginxPlugin(ingress === true ? {} : ingress);
        cmHost.use(plugin);
        // outside traffic enters through the controller's Service and pods, routed by the Ingresses
        if (traffic !== undefined) connectIngressTraffic(traffic.model, plugin.router);
      }
      const interceptors = typeof cm.interceptors === 'function' ? cm.interceptors(clock) : (cm.interceptors ?? []);
      const resyncMs = cm.resyncMs;
      if (resyncMs !== undefined && !(resyncMs > 0 && Number.isFinite(resyncMs))) {
        throw new SimClusterError('invalid-option', `controllerManager.resyncMs must be a positive number of milliseconds, got ${resyncMs}`);
      }
      controllers = new ControllerManagerRunner(server, clock, rng.fork(), cmHost, interceptors, resyncMs, livelock);
    }
    const cluster = new SimCluster(server, clock, manager, nodes, controllers, new TraceRecorder(options.trace), livelock, traffic?.model);
    cluster.#cloud = cloud;
    cluster.#invariants = [...new Set([...host.invariants(), ...(controllers?.invariants() ?? [])])];
    cluster.#reconciled = [...new Set([...host.reconciledResources(), ...(controllers?.reconciledResources() ?? [])])];
    if (options.defaultStorageClass ?? true) await server.create(StorageClasses, DEFAULT_STORAGE_CLASS);
    // kube-apiserver creates the system PriorityClasses at start (cluster DNS runs at system-cluster-critical).
    if (server.registry.forKind('scheduling.k8s.io/v1', 'PriorityClass') === PriorityClasses) for (const pc of SYSTEM_PRIORITY_CLASSES) await server.create(PriorityClasses, pc);
    if (dnsServer !== undefined) for (const object of clusterDnsObjects({ clusterIP: dnsServer })) await server.create(server.registry.forKind(object.apiVersion, object.kind)!, object);
    host.attach(manager);
    await manager.start();
    controllers?.start();
    await clock.flush();
    return cluster;
  }

  /**
   * The invariants the cluster's plugins registered (core's `PluginApi.addInvariant`): the
   * built-in ones' (scheduler, node lifecycle, fake nodes), the extra `plugins`' and the
   * controller manager's, in that order, each once. `checkCluster` checks them in every run.
   */
  invariants(): readonly Invariant[] {
    return this.#invariants;
  }

  /**
   * The resources something in this cluster acts on, as the cluster's plugins declared them
   * (core's `PluginApi.reconciles`): the scheduler's and fake nodes' (Pods, Nodes), the node
   * lifecycle controller's, the extra `plugins`' and the controller manager's, each once. An
   * object of a resource not listed is stored and served, but nothing realises its spec.
   */
  reconciledResources(): readonly ResourceDefinition[] {
    return this.#reconciled;
  }

  /**
   * The controller manager's current incarnation (a new `Manager` after each
   * {@link SimCluster.restartControllerManager}), or undefined when the cluster runs none.
   */
  get controllerManager(): Manager | undefined {
    return this.#controllers?.manager;
  }

  /** How many times the controller manager was restarted. */
  get controllerManagerRestarts(): number {
    return this.#controllers?.restarts ?? 0;
  }

  /**
   * Crashes the controller manager and starts a fresh one, as a kube-controller-manager
   * process dying and coming back: from this call on, every API call of the old incarnation
   * fails (`ServiceUnavailable`), so a reconcile in flight stops between two writes; the new
   * incarnation starts with empty caches, queues and expectations, relists and reconciles
   * everything.
   *
   * Errors: {@link SimClusterError} `invalid-option` when the cluster runs no controller manager.
   */
  async restartControllerManager(): Promise<void> {
    this.#checkRunning();
    if (this.#controllers === undefined) throw new SimClusterError('invalid-option', 'this cluster runs no controller manager (controllerManager: false)');
    this.#controllers.restart();
    // Called from a timer callback (a fault schedule), the clock is mid-advance and runs what
    // is due itself; flushing is only for calls between advances.
    if (!this.clock.isAdvancing) await this.clock.flush();
  }

  /** The fake cloud of the `nodeGroups` option (its groups and machines), or undefined without node groups. */
  get cloud(): FakeCloudProvider | undefined {
    return this.#cloud;
  }

  /** The container behaviors of every node (add image or preset behaviors before pods run). */
  get behaviors(): BehaviorRegistry {
    return this.nodes.behaviors;
  }

  /** Virtual milliseconds since the cluster was created. */
  now(): number {
    return this.clock.now() - this.#start;
  }

  /**
   * Runs a command in a pod's container now, as `kubectl exec` does: a string runs as
   * `sh -c '<line>'`. A container that runs a shell command line is exec'd by its node's kubelet
   * (its environment, mounted files and the files its script has now); one that runs its image's
   * own program, through the traffic model (its shell and network), with the ConfigMap and Secret
   * data the kubelet read for the pod. Returns what it printed and its exit code (-1 when it did
   * not end); `notFound` when the container has no such command. Undefined without traffic.
   */
  exec(pod: Pod, command: string | readonly string[], container?: string): { readonly output: string; readonly exitCode: number; readonly notFound?: boolean } | undefined {
    const model = this.traffic;
    if (model === undefined) return undefined;
    const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
    const name = container ?? pod.spec.containers[0]?.name ?? '';
    const kubelet = this.nodes.kubelet(pod.spec.nodeName ?? '');
    const namespace = pod.metadata.namespace ?? '';
    const ran = kubelet?.exec(namespace, pod.metadata.name ?? '', name, argv);
    if (ran !== undefined) return { output: ran.output, exitCode: ran.exitCode ?? -1 };
    return model.exec(pod, argv, name, kubelet?.podData(namespace, pod.metadata.name ?? ''));
  }

  /**
   * Creates or updates objects, as `kubectl apply -f`: each object is created, or merge-patched
   * into the live one (see core's `apply`). Namespaced objects without a namespace go to
   * `default`. Objects are applied in the order given.
   *
   * Guarantees: every document is parsed and resolved to a served kind before anything is
   * written, so a malformed manifest applies nothing.
   *
   * Errors: core's `ManifestError` naming `source`, the document and the problem (e.g.
   * `pod.yaml (document 1, Pod "x"): apiVersion not set (found unknown field "piVersion")`);
   * then the `ApiError` the API server rejects a write with (same reason and details), its
   * message prefixed the same way (`ns.yaml (document 2, LimitRange "mem-limit-range"):
   * namespaces "default-mem-example" not found`); earlier objects stay applied.
   */
  async apply(input: ApplyInput, source = '<input>'): Promise<ApplyResult<KubeObject>[]> {
    this.#checkRunning();
    const raw: RawManifest[] =
      typeof input === 'string'
        ? parseManifests(input, source)
        : (Array.isArray(input) ? (input as readonly object[]) : [input]).map((o, i) => {
            if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ManifestError('not-an-object', source, i + 1, '', 'expected an object');
            return { body: o as Record<string, unknown>, source, document: i + 1 };
          });
    const resolved: ResolvedManifest[] = raw.map((m) => resolveManifest(this.server.registry, m));
    const results: ApplyResult<KubeObject>[] = [];
    for (const manifest of resolved) {
      const { resource, object } = manifest;
      const body = resource.namespaced && !object.metadata.namespace ? { ...object, metadata: { ...object.metadata, namespace: 'default' } } : object;
      try {
        // The server's reader is current in process: a new object is created without a read
        // that would find nothing (a NotFound error per object of a large apply).
        const absent = this.server.reader.get(resource, { namespace: body.metadata.namespace, name: body.metadata.name ?? '' }) === undefined;
        results.push(await applyManifest(this.server, resource, body, { absent }));
      } catch (e) {
        // The API server's error, its message prefixed with where the object came from.
        if (!(e instanceof ApiError)) throw e;
        throw new ApiError(e.reason, `${manifestLocation(manifest)}: ${e.message}`, { ...e.details, cause: e });
      }
    }
    await this.clock.flush();
    return results;
  }

  /** Deletes an object (a pass-through to the API server's `delete`). */
  async delete<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, options?: DeleteOptions): Promise<void> {
    this.#checkRunning();
    await this.server.delete(resource, key, options);
    await this.clock.flush();
  }

  /** Reads one object (a pass-through). Fails with `NotFound`. */
  get<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): Promise<T> {
    return this.server.get(resource, key);
  }

  /** Lists objects (a pass-through). */
  list<T extends KubeObject>(resource: ResourceDefinition<T>, options?: ListOptions): Promise<ObjectList<T>> {
    return this.server.list(resource, options);
  }

  /**
   * How many writes reached the API server's last admission step (the livelock guard) since the
   * cluster started, those it rejected included: the count `maxWritesPerRun` bounds.
   */
  get writes(): number {
    return this.#livelock.writes;
  }

  /** Moves virtual time forward by `ms`, running everything due meanwhile. */
  async advance(ms: number): Promise<void> {
    this.#checkRunning();
    await this.clock.advance(ms);
    this.#checkWatches();
  }

  /**
   * Runs the cluster until it is quiet: the store saw no change other than heartbeats (Lease
   * renewals, Node heartbeat times — see `isHeartbeat`) for a whole quiet window inside this
   * call. Periodic timers never stop, so "no timers left" is not the criterion; a pod that
   * cannot be scheduled, or waits in a long back-off, is quiet. A cluster is not settled either
   * while an informer of the controller manager has no watch open (it lists, or backs off after
   * watch failures — up to 30 s after repeated 410s): its controller has not seen the last
   * changes yet, so a quiet store says nothing about convergence. Time always moves by at least
   * the quiet window, and ends at its end, or up to 1 s after the last informer watches again.
   *
   * Errors: {@link SimClusterError} `not-quiet` when `maxMs` passes first, naming the changes of
   * the last window by kind, the pods that are not Running and Ready with their phase and
   * reason, and the informers not watching.
   */
  async settle(options: SettleOptions = {}): Promise<void> {
    this.#checkRunning();
    const maxMs = options.maxMs ?? DEFAULT_SETTLE_MAX_MS;
    const quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
    if (!(quietMs > 0) || !(maxMs >= 0)) throw new SimClusterError('invalid-option', `settle needs quietMs > 0 and maxMs >= 0, got quietMs ${quietMs}, maxMs ${maxMs}`);
    const begin = this.now();
    for (;;) {
      const quietSince = Math.max(this.#trace.lastChangeAt, begin);
      const now = this.now();
      const blind = this.#informersNotWatching();
      if (now - quietSince >= quietMs && blind.length === 0) return;
      if (now - begin >= maxMs) {
        const pods = (await this.server.list(Pods)).items.filter((p) => !podSettled(p));
        throw new SimClusterError('not-quiet', describeBusy({ ranMs: now - begin, quietMs, changesByKind: this.#trace.changesSince(now - quietMs), pods, informersNotWatching: blind }));
      }
      // Quiet, but a controller cannot see it yet: wait for its informer to watch again.
      const untilQuiet = quietSince + quietMs - now;
      const step = Math.min(untilQuiet > 0 ? untilQuiet : INFORMER_WAIT_STEP_MS, begin + maxMs - now);
      if (options.onProgress === undefined) {
        await this.advance(step);
      } else {
        await this.advance(Math.min(step, SETTLE_PROGRESS_STEP_MS));
        await options.onProgress();
      }
    }
  }

  /**
   * The controller manager's informers that have no watch open (listing, or backing off after
   * a failure), by resource: their controllers do not see changes yet.
   */
  #informersNotWatching(): string[] {
    const manager = this.#controllers?.manager;
    if (manager === undefined) return [];
    const out: string[] = [];
    for (const informer of manager.informers.informers()) if (informer.isRunning() && !informer.isWatching()) out.push(informer.resource.resource);
    return out.sort();
  }

  /**
   * Stops a node's kubelet: it renews no Lease and writes no status; its containers keep running
   * as far as the node is concerned.
   *
   * Errors: {@link SimClusterError} `unknown-node`.
   */
  stopNode(name: string): void {
    this.#kubelet(name).stop();
  }

  /**
   * Starts a stopped node's kubelet again: it re-registers, renews its Lease and catches its pods
   * up to the current time. After {@link SimCluster.removeNode} it is the machine booting again:
   * the Node is registered anew with its original labels and taints, and the pods still bound
   * to it are admitted afresh.
   *
   * Errors: {@link SimClusterError} `unknown-node`; then as the kubelet's `start`.
   */
  async restoreNode(name: string): Promise<void> {
    await this.#kubelet(name).start();
    await this.clock.flush();
  }

  /**
   * Checks node groups as {@link SimCluster.create} does (the `nodeGroups` option), without a
   * cluster: unique names, `0 ≤ minSize ≤ maxSize` whole numbers, a machine shape the fake
   * kubelet accepts.
   *
   * Errors: {@link SimClusterError} `invalid-option` naming the group and the problem.
   */
  static checkNodeGroups(groups: readonly NodeGroupSpec[]): void {
    try {
      new FakeCloudProvider({ nodeGroups: groups, clock: new VirtualClock(), join: () => Promise.resolve(), leave: () => Promise.resolve() });
    } catch (e) {
      if (e instanceof RuntimeFakeError) throw new SimClusterError('invalid-option', e.message, { cause: e });
      throw e;
    }
  }

  /**
   * The resources a cluster built with `options` serves besides the built-in kinds: MetalLB's
   * IPAddressPool and L2Advertisement (its controller is one of
   * {@link DEFAULT_CONTROLLER_PLUGINS}), and with `verticalPodAutoscaler` the VPA add-on's
   * VerticalPodAutoscalers and their checkpoints. For callers that check manifests before the
   * cluster exists (the CLI).
   */
  static addOnResources(options: Pick<SimClusterOptions, 'verticalPodAutoscaler'> = {}): readonly ResourceDefinition[] {
    const always = [IPAddressPools, L2Advertisements] as ResourceDefinition[];
    if ((options.verticalPodAutoscaler ?? false) === false) return always;
    return [...always, VerticalPodAutoscalers as unknown as ResourceDefinition, VerticalPodAutoscalerCheckpoints as unknown as ResourceDefinition];
  }

  /**
   * Checks a node spec as {@link SimCluster.create} and {@link SimCluster.addNode} do before its
   * kubelet starts, without a cluster: its quantities, and the Node its kubelet would register
   * as the API server checks a create (name, labels, taints). For callers that take node specs
   * from users (the CLI's scenarios) and want every mistake reported before anything runs.
   *
   * Errors: {@link SimClusterError} `invalid-option`, e.g.
   * `invalid node "n": Node "n" is invalid: metadata.labels: Invalid value: …`.
   */
  static checkNodeSpec(spec: NodeSpec): void {
    try {
      checkNodeConfig(spec);
    } catch (e) {
      if (e instanceof RuntimeFakeError) throw new SimClusterError('invalid-option', e.message, { cause: e });
      throw e;
    }
  }

  /**
   * A new machine joins the cluster: a kubelet for `spec` starts and registers its Node and
   * Lease, as `kubeadm join` would; the scheduler can use it from then on. Unless set, its
   * addresses and pod CIDR follow the nodes before it.
   *
   * Errors: {@link SimClusterError} `invalid-option` when a node of that name exists (use
   * {@link SimCluster.restoreNode} to bring back a stopped or removed one) or its spec is
   * invalid (the message names the field); then as the kubelet's `start`.
   */
  async addNode(spec: NodeSpec): Promise<void> {
    this.#checkRunning();
    try {
      await this.nodes.addNode(spec);
    } catch (e) {
      if (e instanceof RuntimeFakeError) throw new SimClusterError('invalid-option', `cannot add node "${spec.name}": ${e.message}`, { cause: e });
      throw e;
    }
    await this.clock.flush();
  }

  /**
   * A machine leaves the cluster, as `kubectl delete node` after shutting it down: it powers off
   * (its kubelet stops and its containers are gone; see the kubelet's `powerOff`) and its Node
   * object is deleted. What follows is the cluster's business, as upstream: the pod garbage
   * collector (when the controller manager runs it) fails and force-deletes the pods still
   * bound to the node after its quarantine, and the garbage collector removes the node's Lease
   * (owned by the Node). {@link SimCluster.restoreNode} boots the machine again: its kubelet
   * registers the Node with its original labels and taints, and admits the pods still bound to
   * it afresh — one whose node selector no longer matches is rejected (`NodeAffinity`).
   *
   * Errors: {@link SimClusterError} `unknown-node`. A Node already deleted is not an error.
   */
  async removeNode(name: string): Promise<void> {
    this.#checkRunning();
    this.#kubelet(name).powerOff();
    try {
      await this.server.delete(Nodes, { name });
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
    }
    await this.clock.flush();
  }

  /**
   * Every change so far, in order: `{ t, type, object }` with `t` in virtual ms since creation.
   *
   * Errors: {@link SimClusterError} `invalid-option` when the cluster keeps no trace (option
   * `trace` is `'none'` or a function).
   */
  trace(): readonly TraceEntry[] {
    if (!this.#trace.keepsEntries) throw new SimClusterError('invalid-option', 'this cluster keeps no trace (its trace option is not "memory")');
    return this.#trace.entries;
  }

  /**
   * The trace as text, one JSON object per line and per change; same seed and calls, same text.
   * Errors as {@link SimCluster.trace}.
   */
  traceJson(): string {
    return this.trace().map((e) => JSON.stringify(e)).join('\n');
  }

  /** Stops the manager (scheduler, kubelets, plugins) and the trace. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#controllers?.crash();
    await this.manager.stop();
    for (const s of this.#subscriptions) s.unsubscribe();
  }

  #kubelet(name: string) {
    const kubelet = this.nodes.kubelet(name);
    if (!kubelet) throw new SimClusterError('unknown-node', `no node "${name}" in this cluster (nodes: ${this.nodes.kubelets().map((k) => k.nodeName).join(', ') || 'none'})`);
    return kubelet;
  }

  #checkRunning(): void {
    if (this.#stopped) throw new SimClusterError('stopped', 'the cluster was stopped');
    this.#checkWatches();
  }

  #checkWatches(): void {
    if (this.#controllers?.failure !== undefined) throw new SimClusterError('stopped', 'the controller manager failed to start', { cause: this.#controllers.failure });
    if (this.#watchFailure !== undefined) throw new SimClusterError('stopped', 'a trace watch failed; the trace is incomplete', { cause: this.#watchFailure });
    if (this.#livelock.tripped !== undefined) throw new SimClusterError(this.#livelock.trippedBy ?? 'livelock', this.#livelock.tripped);
  }
}

/**
 * A write loop at one instant never waits for a timer: once the guard says so (every
 * `YIELD_EVERY_WRITES_PER_INSTANT` writes of one instant), the next request waits for a turn of
 * the event loop, which lets no virtual time pass, so that a test's timeout can fire.
 */
function yielder(clock: VirtualClock, guard: LivelockGuard): ClientInterceptor {
  return { request: (_request, next) => (guard.yieldDue() ? clock.yieldToEventLoop().then(next) : next()) };
}

/**
 * Runs the controller manager's incarnations: each one a `Manager` with its own informers, on
 * a client that goes dead (every call fails) when the incarnation is crashed.
 */
class ControllerManagerRunner {
  readonly #server: ApiServer;
  readonly #clock: VirtualClock;
  readonly #rng: ReturnType<typeof seededRng>;
  readonly #host: PluginHost;
  readonly #interceptors: readonly ClientInterceptor[];
  readonly #resyncMs: number | undefined;
  readonly #livelock: LivelockGuard;
  #manager: Manager | undefined;
  #dead: { value: boolean } = { value: false };
  /** The first error an incarnation failed to start with. */
  failure: unknown;
  restarts = 0;

  constructor(server: ApiServer, clock: VirtualClock, rng: ReturnType<typeof seededRng>, host: PluginHost, interceptors: readonly ClientInterceptor[], resyncMs: number | undefined, livelock: LivelockGuard) {
    this.#server = server;
    this.#clock = clock;
    this.#rng = rng;
    this.#host = host;
    this.#interceptors = interceptors;
    this.#resyncMs = resyncMs;
    this.#livelock = livelock;
  }

  get manager(): Manager | undefined {
    return this.#manager;
  }

  /** The invariants of the controller manager's plugins. */
  invariants(): readonly Invariant[] {
    return this.#host.invariants();
  }

  /** The resources the controller manager's plugins declared they act on. */
  reconciledResources(): readonly ResourceDefinition[] {
    return this.#host.reconciledResources();
  }

  /**
   * Starts a new incarnation without waiting for its caches to sync: with latency injected on
   * its client, syncing takes virtual time, which only passes when the cluster advances.
   */
  start(): void {
    const dead = { value: false };
    this.#dead = dead;
    const crashed = (): ApiError => new ApiError('ServiceUnavailable', 'the controller manager incarnation that made this call was crashed');
    const killSwitch: ClientInterceptor = {
      request: (_request, next) => (dead.value ? Promise.reject(crashed()) : next()),
    };
    // Outermost and innermost: a call delayed by an interceptor when the crash happens fails
    // when it wakes instead of reaching the API server after the crash.
    const client = withInterceptors(this.#server, killSwitch, yielder(this.#clock, this.#livelock), ...this.#interceptors, killSwitch);
    const manager = createManager({
      name: 'kube-controller-manager',
      client,
      clock: this.#clock,
      rng: this.#rng.fork(),
      registry: this.#server.registry,
      ...(this.#resyncMs === undefined ? {} : { defaultResyncMs: this.#resyncMs }),
    });
    this.#manager = manager;
    this.#host.attach(manager);
    manager.start().catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Crashes the current incarnation and starts a fresh one. */
  restart(): void {
    this.crash();
    this.restarts++;
    this.start();
  }

  /**
   * Kills the current incarnation: every call it makes from now on fails. Its manager is told
   * to stop but not waited for — a worker asleep in an injected delay only wakes when virtual
   * time passes, and then fails.
   */
  crash(): void {
    const manager = this.#manager;
    if (manager === undefined) return;
    this.#dead.value = true;
    this.#manager = undefined;
    this.#host.detach(manager);
    manager.stop().catch(() => undefined);
  }
}
