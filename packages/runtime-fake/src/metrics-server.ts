/**
 * A metrics-server (upstream `kubernetes-sigs/metrics-server`): scrapes every running kubelet's
 * resource metrics each `--metric-resolution` (15 s) and serves the latest as
 * `metrics.k8s.io/v1beta1` PodMetrics and NodeMetrics, which the HPA and `kubectl top` read.
 *
 * Guarantees: a pod appears after the first scrape that finds it running (a pod not yet scraped
 * has no metrics, as upstream) and disappears at the first scrape that does not; a node whose
 * kubelet is stopped is not scraped (its metrics go, as upstream's after a failed scrape).
 * `timestamp` is the scrape time and `window` the resolution (`15s`); CPU is written in
 * nanocores and memory in kibibytes, as metrics-server does.
 *
 * Caveats: the objects are stored through the API (so watches and lists see them) and every
 * scrape rewrites their `timestamp`; the testing toolkit counts such a rewrite as a heartbeat.
 * Upstream computes CPU as a rate between two scrapes; here the usage model is already a rate,
 * so one scrape suffices.
 *
 * @module
 */
import { NodeMetricses, PodMetricses, formatTime, isApiError } from '@kubeloop/core';
import type { Client, Manager, NodeMetrics, Plugin, PodMetrics, Runnable } from '@kubeloop/core';
import type { FakeKubelet, PodUsage } from './kubelet.js';

/** Upstream's default `--metric-resolution`: 15 s. */
export const DEFAULT_METRIC_RESOLUTION_MS = 15_000;
/** The plugin's name. */
export const METRICS_SERVER_PLUGIN_NAME = 'kubeloop.dev/metrics-server';
/** What a node's system daemons (kubelet, runtime, OS) use besides its pods, in NodeMetrics. */
export const NODE_SYSTEM_USAGE = Object.freeze({ cpuMillicores: 50, memoryBytes: 256 * 2 ** 20 });

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

function windowText(ms: number): string {
  return `${ms / 1000}s`;
}

/** The PodMetrics of one scraped pod (pure). */
export function podMetricsOf(usage: PodUsage, nowMs: number, resolutionMs: number): PodMetrics {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name: usage.name, namespace: usage.namespace, labels: {} },
    timestamp: formatTime(nowMs),
    window: windowText(resolutionMs),
    containers: usage.containers.map((c) => ({ name: c.name, usage: { cpu: formatCpuUsage(c.cpuMillicores), memory: formatMemoryUsage(c.memoryBytes) } })),
  } as PodMetrics;
}

/** The NodeMetrics of one scraped node: its pods' usage plus {@link NODE_SYSTEM_USAGE} (pure). */
export function nodeMetricsOf(node: string, pods: readonly PodUsage[], nowMs: number, resolutionMs: number): NodeMetrics {
  let cpu = NODE_SYSTEM_USAGE.cpuMillicores;
  let memory = NODE_SYSTEM_USAGE.memoryBytes;
  for (const p of pods) {
    for (const c of p.containers) {
      cpu += c.cpuMillicores;
      memory += c.memoryBytes;
    }
  }
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'NodeMetrics',
    metadata: { name: node, labels: {} },
    timestamp: formatTime(nowMs),
    window: windowText(resolutionMs),
    usage: { cpu: formatCpuUsage(cpu), memory: formatMemoryUsage(memory) },
  } as NodeMetrics;
}

/**
 * One metrics-server's scrapes: writes what each scrape finds and remembers the objects written,
 * to update them at the next scrape and delete those of pods and nodes it no longer finds.
 *
 * Errors: none thrown; failed writes go to `onError` and are retried at the next scrape.
 */
export class MetricsScraper {
  readonly #client: Client;
  readonly #onError: (error: unknown) => void;
  readonly #pods = new Map<string, PodMetrics>();
  readonly #nodes = new Map<string, NodeMetrics>();

  /** A scraper writing through `client`. */
  constructor(client: Client, onError: (error: unknown) => void = () => undefined) {
    this.#client = client;
    this.#onError = onError;
  }

  /** Scrapes the running `kubelets` at `nowMs`, writes their PodMetrics and NodeMetrics, deletes the gone ones. */
  async scrape(kubelets: readonly FakeKubelet[], nowMs: number, resolutionMs: number): Promise<void> {
    const seenPods = new Set<string>();
    const seenNodes = new Set<string>();
    for (const kubelet of kubelets) {
      if (!kubelet.running) continue;
      const pods = kubelet.usage();
      seenNodes.add(kubelet.nodeName);
      await this.#write(this.#nodes, NodeMetricses, kubelet.nodeName, nodeMetricsOf(kubelet.nodeName, pods, nowMs, resolutionMs));
      for (const usage of pods) {
        const key = `${usage.namespace}/${usage.name}`;
        seenPods.add(key);
        await this.#write(this.#pods, PodMetricses, key, podMetricsOf(usage, nowMs, resolutionMs));
      }
    }
    for (const [key, obj] of [...this.#pods]) if (!seenPods.has(key)) await this.#delete(this.#pods, PodMetricses, key, obj);
    for (const [key, obj] of [...this.#nodes]) if (!seenNodes.has(key)) await this.#delete(this.#nodes, NodeMetricses, key, obj);
  }

  async #write<T extends PodMetrics | NodeMetrics>(written: Map<string, T>, resource: typeof PodMetricses | typeof NodeMetricses, key: string, next: T): Promise<void> {
    const previous = written.get(key);
    try {
      const stored = previous === undefined
        ? await this.#client.create(resource as never, next as never)
        : await this.#client.update(resource as never, { ...next, metadata: { ...previous.metadata, ...next.metadata, resourceVersion: previous.metadata.resourceVersion } } as never);
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
      await this.#client.delete(resource as never, { namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' });
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
            await writer.scrape(options.kubelets(), manager.clock.now(), resolutionMs);
          }
        },
      }));
    },
  };
}
