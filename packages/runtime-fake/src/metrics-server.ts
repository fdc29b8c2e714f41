/**
 * A metrics-server (upstream `kubernetes-sigs/metrics-server`): scrapes every running kubelet's
 * resource metrics (`/metrics/resource`, Prometheus text) each `--metric-resolution` (15 s) and
 * serves what its storage computes as `metrics.k8s.io/v1beta1` PodMetrics and NodeMetrics, which
 * the HPA and `kubectl top` read.
 *
 * As upstream (`pkg/storage`): CPU is the rate between the last two scrapes of a cumulative
 * counter (`container_cpu_usage_seconds_total`, `node_cpu_usage_seconds_total`), memory the last
 * working set. So a pod or node has metrics only once two points of it are stored: from the
 * second scrape that finds it — or from the first, for a container that started between 10 s
 * (`freshContainerMinMetricsResolution`) and one resolution before that scrape (its start counts
 * as a point with no CPU used). A pod needs points for all its containers; a container that
 * restarted starts over. `timestamp` is the earliest of the last points' time stamps and
 * `window` the time between the two points (`15s` in the steady state). CPU is written in
 * nanocores and memory in kibibytes.
 *
 * Guarantees: an object disappears at the first scrape that does not give its pod or node
 * metrics; a node whose kubelet is stopped is not scraped (its metrics go, as upstream's after
 * a failed scrape).
 *
 * The kinds are read-only for clients (`verbs: ['get', 'list']`, a write gets 405
 * MethodNotAllowed as upstream's metrics API); the scraper writes them with `internalWrite`.
 *
 * Caveats: the objects are stored through the API (so watches and lists see them) and every
 * scrape rewrites their `timestamp`; the testing toolkit counts such a rewrite as a heartbeat.
 *
 * @module
 */
import { NodeMetricses, PodMetricses, formatTime, internalWrite, isApiError } from '@kubeloop/core';
import type { Client, Manager, NodeMetrics, Plugin, PodMetrics, Runnable } from '@kubeloop/core';
import type { FakeKubelet } from './kubelet.js';
import { parsePrometheusText } from './kubelet-stats.js';

/** Upstream's default `--metric-resolution`: 15 s. */
export const DEFAULT_METRIC_RESOLUTION_MS = 15_000;
/** A container younger than this at a scrape gets no synthetic first point (upstream `freshContainerMinMetricsResolution`). */
export const FRESH_CONTAINER_MIN_METRICS_RESOLUTION_MS = 10_000;
/** The plugin's name. */
export const METRICS_SERVER_PLUGIN_NAME = 'kubeloop.dev/metrics-server';

/** Options of {@link metricsServerPlugin}. */
export interface MetricsServerOptions {
  /** The kubelets to scrape (e.g. `fakeNodesPlugin(...).kubelets`). */
  readonly kubelets: () => readonly FakeKubelet[];
  /** The scrape interval, ms (default {@link DEFAULT_METRIC_RESOLUTION_MS}). */
  readonly resolutionMs?: number | undefined;
  /** Failed writes (the next scrape retries); default: ignored. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** CPU as metrics-server writes it: nanocores (`250m` → `250000000n`). */
export function formatCpuUsage(millicores: number): string {
  return `${Math.round(millicores * 1_000_000)}n`;
}

/** Memory as metrics-server writes it: kibibytes, rounded down (`64Mi` → `65536Ki`). */
export function formatMemoryUsage(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

/** A window as Go's `time.Duration` prints it (`15s`, `12.5s`, `1m0s`). */
export function formatWindow(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = `${(ms % 60_000) / 1000}s`;
  if (minutes === 0) return ms % 1000 === 0 || ms >= 1000 ? seconds : `${ms}ms`;
  const hours = Math.floor(minutes / 60);
  return hours === 0 ? `${minutes}m${seconds}` : `${hours}h${minutes % 60}m${seconds}`;
}

/**
 * One measurement of a cumulative CPU counter and a memory gauge (upstream `MetricsPoint`):
 * `cpuNanos` core-nanoseconds used since `startMs`, `memoryBytes` at `timestampMs`.
 */
export interface MetricsPoint {
  /** When it was measured, ms. */
  readonly timestampMs: number;
  /** When the counter started (the container's start; the node's points have none). */
  readonly startMs: number | undefined;
  /** Cumulative CPU, core-nanoseconds. */
  readonly cpuNanos: number;
  /** Working set, bytes. */
  readonly memoryBytes: number;
}

/** What one scrape of one kubelet gives (upstream `MetricsBatch`): the node and each pod's containers. */
export interface MetricsBatch {
  /** The node's point, when the kubelet reported both its CPU and memory. */
  readonly node: MetricsPoint | undefined;
  /** `namespace/name` → container → point (containers with CPU, memory and a start time). */
  readonly pods: ReadonlyMap<string, ReadonlyMap<string, MetricsPoint>>;
}

/**
 * Decodes a kubelet's `/metrics/resource` text into a {@link MetricsBatch}, as upstream's
 * decoder: CPU seconds become core-nanoseconds; a container lacking its CPU, memory or start
 * time is left out.
 *
 * Errors: throws for malformed text (the scrape of that node fails).
 */
export function decodeResourceMetrics(text: string): MetricsBatch {
  let nodeCpu: { v: number; t: number } | undefined;
  let nodeMemory: { v: number; t: number } | undefined;
  const containers = new Map<string, { pod: string; name: string; cpu?: { v: number; t: number }; memory?: { v: number; t: number }; start?: number }>();
  for (const sample of parsePrometheusText(text)) {
    const t = sample.timestampMs ?? 0;
    const l = sample.labels;
    const containerKey = (): string => `${l['namespace'] ?? ''}/${l['pod'] ?? ''}/${l['container'] ?? ''}`;
    const container = () => {
      const key = containerKey();
      let c = containers.get(key);
      if (c === undefined) containers.set(key, (c = { pod: `${l['namespace'] ?? ''}/${l['pod'] ?? ''}`, name: l['container'] ?? '' }));
      return c;
    };
    switch (sample.name) {
      case 'node_cpu_usage_seconds_total':
        nodeCpu = { v: Math.round(sample.value * 1e9), t };
        break;
      case 'node_memory_working_set_bytes':
        nodeMemory = { v: sample.value, t };
        break;
      case 'container_cpu_usage_seconds_total':
        container().cpu = { v: Math.round(sample.value * 1e9), t };
        break;
      case 'container_memory_working_set_bytes':
        container().memory = { v: sample.value, t };
        break;
      case 'container_start_time_seconds':
        container().start = Math.round(sample.value * 1000);
        break;
    }
  }
  const pods = new Map<string, Map<string, MetricsPoint>>();
  for (const c of containers.values()) {
    if (c.cpu === undefined || c.memory === undefined || c.start === undefined) continue;
    let pod = pods.get(c.pod);
    if (pod === undefined) pods.set(c.pod, (pod = new Map()));
    pod.set(c.name, { timestampMs: c.cpu.t, startMs: c.start, cpuNanos: c.cpu.v, memoryBytes: c.memory.v });
  }
  const node = nodeCpu !== undefined && nodeMemory !== undefined ? { timestampMs: nodeCpu.t, startMs: undefined, cpuNanos: nodeCpu.v, memoryBytes: nodeMemory.v } : undefined;
  return { node, pods };
}

/** CPU (nanocores) and memory (bytes) between two points, and when and over what window (upstream `resourceUsage`). */
export interface PointUsage {
  /** Nanocores: the counter's increase over the window, per second, rounded down. */
  readonly cpuNanocores: number;
  /** The last point's working set, bytes. */
  readonly memoryBytes: number;
  /** The last point's time stamp. */
  readonly timestampMs: number;
  /** Between the points, ms. */
  readonly windowMs: number;
}

/**
 * The usage between `prev` and `last` (pure); undefined when the counter went down (upstream
 * skips the point: "unexpected decrease in cumulative CPU usage value").
 *
 * @example
 * ```ts
 * // 4.5 core-seconds used over 15 s: 300m
 * pointUsage({ timestampMs: 30_000, startMs: 0, cpuNanos: 9e9, memoryBytes: 1 }, { timestampMs: 15_000, startMs: 0, cpuNanos: 4.5e9, memoryBytes: 1 });
 * // { cpuNanocores: 300_000_000, memoryBytes: 1, timestampMs: 30_000, windowMs: 15_000 }
 * ```
 */
export function pointUsage(last: MetricsPoint, prev: MetricsPoint): PointUsage | undefined {
  if (last.cpuNanos < prev.cpuNanos) return undefined;
  const windowMs = last.timestampMs - prev.timestampMs;
  return { cpuNanocores: Math.floor(((last.cpuNanos - prev.cpuNanos) * 1000) / windowMs), memoryBytes: last.memoryBytes, timestampMs: last.timestampMs, windowMs };
}

/**
 * metrics-server's storage (upstream `pkg/storage`): the last two points of each node and each
 * pod's containers, kept by the rules of upstream's `Store`:
 * - a new point moves the stored one to `prev` when it is newer; a point not newer keeps the
 *   stored `prev` if that is older than it;
 * - a container point whose start is after the stored point's time stamp (a restart) starts over;
 * - a container that started at least {@link FRESH_CONTAINER_MIN_METRICS_RESOLUTION_MS} and less
 *   than one resolution before its point gets its start as `prev`, with no CPU used.
 *
 * Invariant: every `prev` point is older than the `last` point of the same node or container.
 */
export class MetricsStorage {
  readonly #resolutionMs: number;
  #lastNodes = new Map<string, MetricsPoint>();
  #prevNodes = new Map<string, MetricsPoint>();
  #lastPods = new Map<string, ReadonlyMap<string, MetricsPoint>>();
  #prevPods = new Map<string, Map<string, MetricsPoint>>();

  /** Storage for scrapes `resolutionMs` apart. */
  constructor(resolutionMs: number) {
    this.#resolutionMs = resolutionMs;
  }

  /** Stores one scrape of every node (replacing what the previous scrape stored; what it lacks is forgotten). */
  store(nodes: ReadonlyMap<string, MetricsBatch>): void {
    const lastNodes = new Map<string, MetricsPoint>();
    const prevNodes = new Map<string, MetricsPoint>();
    const lastPods = new Map<string, ReadonlyMap<string, MetricsPoint>>();
    const prevPods = new Map<string, Map<string, MetricsPoint>>();
    for (const [nodeName, batch] of nodes) {
      const point = batch.node;
      if (point !== undefined) {
        lastNodes.set(nodeName, point);
        const stored = this.#lastNodes.get(nodeName);
        if (stored !== undefined) {
          if (point.timestampMs > stored.timestampMs) prevNodes.set(nodeName, stored);
          else {
            const prev = this.#prevNodes.get(nodeName);
            if (prev !== undefined && prev.timestampMs < point.timestampMs) prevNodes.set(nodeName, prev);
          }
        }
      }
      for (const [podKey, containers] of batch.pods) {
        if (lastPods.has(podKey)) continue; // a duplicate pod point
        const prevContainers = new Map<string, MetricsPoint>();
        for (const [name, point] of containers) {
          const age = point.startMs === undefined ? undefined : point.timestampMs - point.startMs;
          const storedPod = this.#lastPods.get(podKey);
          const stored = storedPod?.get(name);
          if (age !== undefined && age > 0 && age < this.#resolutionMs && age >= FRESH_CONTAINER_MIN_METRICS_RESOLUTION_MS) {
            prevContainers.set(name, { ...point, timestampMs: point.startMs!, cpuNanos: 0 });
          } else if (stored !== undefined && (point.startMs ?? 0) < stored.timestampMs) {
            if (point.timestampMs > stored.timestampMs) prevContainers.set(name, stored);
            else {
              const prev = this.#prevPods.get(podKey)?.get(name);
              if (prev !== undefined && prev.timestampMs < point.timestampMs) prevContainers.set(name, prev);
            }
          }
        }
        if (prevContainers.size > 0) prevPods.set(podKey, prevContainers);
        lastPods.set(podKey, containers);
      }
    }
    this.#lastNodes = lastNodes;
    this.#prevNodes = prevNodes;
    this.#lastPods = lastPods;
    this.#prevPods = prevPods;
  }

  /** Each node with two points: its usage. */
  nodeMetrics(): Map<string, PointUsage> {
    const out = new Map<string, PointUsage>();
    for (const [name, last] of this.#lastNodes) {
      const prev = this.#prevNodes.get(name);
      const usage = prev === undefined ? undefined : pointUsage(last, prev);
      if (usage !== undefined) out.set(name, usage);
    }
    return out;
  }

  /**
   * Each pod with two points of every container: its containers' usage (a container whose
   * counter went down is left out), and the earliest last point's time stamp and its window.
   */
  podMetrics(): Map<string, { readonly timestampMs: number; readonly windowMs: number; readonly containers: readonly (PointUsage & { readonly name: string })[] }> {
    const out = new Map<string, { timestampMs: number; windowMs: number; containers: (PointUsage & { name: string })[] }>();
    for (const [podKey, last] of this.#lastPods) {
      const prev = this.#prevPods.get(podKey);
      if (prev === undefined) continue;
      const containers: (PointUsage & { name: string })[] = [];
      let earliest: PointUsage | undefined;
      let complete = true;
      for (const [name, point] of last) {
        const before = prev.get(name);
        if (before === undefined) {
          complete = false;
          break;
        }
        const usage = pointUsage(point, before);
        if (usage === undefined) continue;
        containers.push({ name, ...usage });
        if (earliest === undefined || usage.timestampMs < earliest.timestampMs) earliest = usage;
      }
      if (complete) out.set(podKey, { timestampMs: earliest?.timestampMs ?? 0, windowMs: earliest?.windowMs ?? 0, containers });
    }
    return out;
  }
}

/** The PodMetrics metrics-server serves for a pod the storage has metrics of (pure). */
export function podMetricsOf(namespace: string, name: string, metrics: { readonly timestampMs: number; readonly windowMs: number; readonly containers: readonly (PointUsage & { readonly name: string })[] }): PodMetrics {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name, namespace, labels: {} },
    timestamp: formatTime(metrics.timestampMs),
    window: formatWindow(metrics.windowMs),
    containers: metrics.containers.map((c) => ({ name: c.name, usage: { cpu: `${c.cpuNanocores}n`, memory: formatMemoryUsage(c.memoryBytes) } })),
  } as PodMetrics;
}

/** The NodeMetrics metrics-server serves for a node the storage has metrics of (pure). */
export function nodeMetricsOf(node: string, usage: PointUsage): NodeMetrics {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'NodeMetrics',
    metadata: { name: node, labels: {} },
    timestamp: formatTime(usage.timestampMs),
    window: formatWindow(usage.windowMs),
    usage: { cpu: `${usage.cpuNanocores}n`, memory: formatMemoryUsage(usage.memoryBytes) },
  } as NodeMetrics;
}

/**
 * One metrics-server's scrapes: decodes each running kubelet's resource metrics, stores them
 * in its {@link MetricsStorage}, writes the PodMetrics and NodeMetrics the storage can serve and
 * deletes the others it wrote before.
 *
 * Errors: none thrown; failed writes go to `onError` and are retried at the next scrape; a
 * kubelet whose text cannot be decoded counts as not answering.
 */
export class MetricsScraper {
  readonly #client: Client;
  readonly #onError: (error: unknown) => void;
  readonly #pods = new Map<string, PodMetrics>();
  readonly #nodes = new Map<string, NodeMetrics>();
  #storage: MetricsStorage | undefined;

  /** A scraper writing through `client`. */
  constructor(client: Client, onError: (error: unknown) => void = () => undefined) {
    this.#client = client;
    this.#onError = onError;
  }

  /**
   * Scrapes the running `kubelets`, stores the points and writes what can be served.
   * `resolutionMs` is the interval between scrapes (the fresh-container rule); the points carry
   * the kubelets' own time stamps.
   */
  async scrape(kubelets: readonly FakeKubelet[], resolutionMs: number): Promise<void> {
    this.#storage ??= new MetricsStorage(resolutionMs);
    const batches = new Map<string, MetricsBatch>();
    for (const kubelet of kubelets) {
      if (!kubelet.running) continue;
      try {
        batches.set(kubelet.nodeName, decodeResourceMetrics(kubelet.resourceMetrics()));
      } catch (error) {
        this.#onError(error);
      }
    }
    this.#storage.store(batches);
    const seenNodes = new Set<string>();
    for (const [node, usage] of this.#storage.nodeMetrics()) {
      seenNodes.add(node);
      await this.#write(this.#nodes, NodeMetricses, node, nodeMetricsOf(node, usage));
    }
    const seenPods = new Set<string>();
    for (const [key, metrics] of this.#storage.podMetrics()) {
      seenPods.add(key);
      const slash = key.indexOf('/');
      await this.#write(this.#pods, PodMetricses, key, podMetricsOf(key.slice(0, slash), key.slice(slash + 1), metrics));
    }
    for (const [key, obj] of [...this.#pods]) if (!seenPods.has(key)) await this.#delete(this.#pods, PodMetricses, key, obj);
    for (const [key, obj] of [...this.#nodes]) if (!seenNodes.has(key)) await this.#delete(this.#nodes, NodeMetricses, key, obj);
  }

  async #write<T extends PodMetrics | NodeMetrics>(written: Map<string, T>, resource: typeof PodMetricses | typeof NodeMetricses, key: string, next: T): Promise<void> {
    const previous = written.get(key);
    try {
      const stored = previous === undefined
        ? await this.#client.create(resource as never, next as never, internalWrite())
        : await this.#client.update(resource as never, { ...next, metadata: { ...previous.metadata, ...next.metadata, resourceVersion: previous.metadata.resourceVersion } } as never, internalWrite());
      written.set(key, stored as T);
    } catch (error) {
      written.delete(key);
      if (isApiError(error, 'AlreadyExists') || isApiError(error, 'Conflict') || isApiError(error, 'NotFound')) {
        // someone else wrote it (a restarted metrics-server): adopt the stored one at the next scrape
        try {
          const stored = await this.#client.get(resource as never, { namespace: next.metadata.namespace, name: next.metadata.name ?? '' });
          written.set(key, stored as T);
        } catch (e) {
          if (!isApiError(e, 'NotFound')) this.#onError(e);
        }
        return;
      }
      this.#onError(error);
    }
  }

  async #delete<T extends PodMetrics | NodeMetrics>(written: Map<string, T>, resource: typeof PodMetricses | typeof NodeMetricses, key: string, obj: T): Promise<void> {
    written.delete(key);
    try {
      await this.#client.delete(resource as never, { namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' }, internalWrite());
    } catch (error) {
      if (!isApiError(error, 'NotFound')) this.#onError(error);
    }
  }
}

/**
 * The metrics-server as a plugin: registers PodMetrics and NodeMetrics and runs the scrape loop
 * with the manager (regardless of leader election, as a separate Deployment would).
 *
 * @example
 * ```ts
 * const nodes = fakeNodesPlugin({ nodes: [{ name: 'node-1' }] });
 * host.use(nodes, metricsServerPlugin({ kubelets: () => nodes.kubelets() }));
 * // 15 s after a pod runs: client.get(PodMetricses, { namespace: 'default', name: 'php-apache-...' })
 * ```
 */
export function metricsServerPlugin(options: MetricsServerOptions): Plugin {
  const resolutionMs = options.resolutionMs ?? DEFAULT_METRIC_RESOLUTION_MS;
  return {
    name: METRICS_SERVER_PLUGIN_NAME,
    register(api) {
      api.addResource(PodMetricses);
      api.addResource(NodeMetricses);
      api.addRunnable((manager: Manager): Runnable => ({
        name: 'metrics-server',
        needLeaderElection: false,
        async start(signal: AbortSignal): Promise<void> {
          const writer = new MetricsScraper(manager.client, options.onError ?? (() => undefined));
          while (!signal.aborted) {
            try {
              await manager.clock.sleep(resolutionMs, signal);
            } catch {
              return;
            }
            await writer.scrape(options.kubelets(), resolutionMs);
          }
        },
      }));
    },
  };
}
