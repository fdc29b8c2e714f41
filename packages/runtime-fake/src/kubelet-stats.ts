/**
 * What the kubelet exposes of usage, in upstream's two shapes:
 *
 * - the Summary API (`/stats/summary`, `k8s.io/kubelet/pkg/apis/stats/v1alpha1`): JSON with the
 *   node's and each pod's and container's `cpu` (`usageNanoCores`, `usageCoreNanoSeconds`) and
 *   `memory` (`workingSetBytes`, `usageBytes`, …), each with its `time`;
 * - the resource metrics (`/metrics/resource`, upstream
 *   `pkg/kubelet/metrics/collectors/resource_metrics.go`): the same figures as Prometheus text —
 *   CPU as cumulative core-seconds counters, memory as working-set gauges, container start
 *   times — which metrics-server scrapes.
 *
 * CPU totals are integrals of the usage model over virtual time ({@link CpuTotals}); this module
 * holds the shapes, the text format and its parser, all pure.
 *
 * @module
 */

/**
 * What a node's system daemons (kubelet, runtime, OS) use besides its pods: part of the node's
 * figures in the kubelet's stats (and so in NodeMetrics).
 */
export const NODE_SYSTEM_USAGE = Object.freeze({ cpuMillicores: 50, memoryBytes: 256 * 2 ** 20 });

/** `cpu` of the Summary API (upstream `CPUStats`). */
export interface SummaryCpuStats {
  /** When it was measured (RFC 3339). */
  readonly time: string;
  /** The usage now, in nanocores. */
  readonly usageNanoCores: number;
  /** The CPU time used since the start, in core-nanoseconds. */
  readonly usageCoreNanoSeconds: number;
}

/** `memory` of the Summary API (upstream `MemoryStats`): one figure, the working set, in each field. */
export interface SummaryMemoryStats {
  /** When it was measured (RFC 3339). */
  readonly time: string;
  /** What is left before the limit (the node's capacity for the node); absent without a limit. */
  readonly availableBytes?: number | undefined;
  /** Total memory in use, bytes. */
  readonly usageBytes: number;
  /** The working set (what the OOM killer and metrics-server look at), bytes. */
  readonly workingSetBytes: number;
  /** Anonymous and swap cache memory, bytes. */
  readonly rssBytes: number;
  /** Page faults (the fake has none). */
  readonly pageFaults: number;
  /** Major page faults (the fake has none). */
  readonly majorPageFaults: number;
}

/** One container of the Summary API (upstream `ContainerStats`). */
export interface SummaryContainerStats {
  /** The container's name in the pod. */
  readonly name: string;
  /** When the running instance started (RFC 3339). */
  readonly startTime: string;
  /** Its CPU. */
  readonly cpu: SummaryCpuStats;
  /** Its memory. */
  readonly memory: SummaryMemoryStats;
}

/** One pod of the Summary API (upstream `PodStats`). */
export interface SummaryPodStats {
  /** Which pod. */
  readonly podRef: { readonly name: string; readonly namespace: string; readonly uid: string };
  /** When the kubelet admitted it (RFC 3339). */
  readonly startTime: string;
  /** Its running containers. */
  readonly containers: readonly SummaryContainerStats[];
  /** The sum of its containers' CPU. */
  readonly cpu: SummaryCpuStats;
  /** The sum of its containers' memory. */
  readonly memory: SummaryMemoryStats;
}

/** The node of the Summary API (upstream `NodeStats`): its pods plus the system's own use. */
export interface SummaryNodeStats {
  /** The node's name. */
  readonly nodeName: string;
  /** When the kubelet started (RFC 3339). */
  readonly startTime: string;
  /** The whole node's CPU. */
  readonly cpu: SummaryCpuStats;
  /** The whole node's memory. */
  readonly memory: SummaryMemoryStats;
}

/** The `/stats/summary` document (upstream `Summary`). */
export interface StatsSummary {
  /** The node. */
  readonly node: SummaryNodeStats;
  /** The pods with running containers. */
  readonly pods: readonly SummaryPodStats[];
}

/** The time stamps each figure carries, in ms, kept next to the document for the text format. */
export interface StatsTimes {
  /** When the figures were taken (the `time` of every `cpu` and `memory`). */
  readonly nowMs: number;
  /** Container start times by `namespace/pod/container`, ms. */
  readonly containerStartMs: ReadonlyMap<string, number>;
}

/**
 * Cumulative CPU time per container and for the node: each {@link CpuTotals.add} adds what a
 * container used over a window (the integral of its usage model) to its own total and to the
 * node's. Totals only grow; a container's total starts at 0 with the container (a restart is a
 * new container, as cAdvisor's counters are per cgroup).
 *
 * Invariant: `at(id)` never decreases; the node total is at least the sum of the live totals.
 */
export class CpuTotals {
  readonly #containers = new Map<string, { at: number; coreNanos: number }>();
  #node = 0;
  #nodeAt: number;

  /** Totals starting at `startMs` (the kubelet's start). */
  constructor(startMs: number) {
    this.#nodeAt = startMs;
  }

  /** Until when container `id` has been counted (its start when never). */
  at(id: string, startedAt: number): number {
    return this.#containers.get(id)?.at ?? startedAt;
  }

  /** Adds `coreNanos` used by container `id` up to `untilMs` (to its total and the node's). */
  add(id: string, untilMs: number, coreNanos: number): void {
    const entry = this.#containers.get(id);
    if (entry === undefined) this.#containers.set(id, { at: untilMs, coreNanos });
    else {
      entry.at = Math.max(entry.at, untilMs);
      entry.coreNanos += coreNanos;
    }
    this.#node += coreNanos;
  }

  /** Adds the node's own (system) use at `millicores` up to `nowMs`. */
  addSystem(nowMs: number, millicores: number): void {
    if (nowMs > this.#nodeAt) this.#node += (nowMs - this.#nodeAt) * millicores * 1000;
    this.#nodeAt = Math.max(this.#nodeAt, nowMs);
  }

  /** Container `id`'s total, core-nanoseconds (whole). */
  container(id: string): number {
    return Math.round(this.#containers.get(id)?.coreNanos ?? 0);
  }

  /** The node's total, core-nanoseconds (whole). */
  node(): number {
    return Math.round(this.#node);
  }

  /** Forgets the containers not in `live` (removed from the runtime). */
  retain(live: ReadonlySet<string>): void {
    for (const id of [...this.#containers.keys()]) if (!live.has(id)) this.#containers.delete(id);
  }
}

/**
 * A float as Go's `strconv.FormatFloat(v, 'g', -1, 64)` writes it, as the Prometheus text
 * format does: the shortest digits, in exponent form when the decimal exponent is below −4 or
 * 6 and more.
 *
 * @example
 * ```ts
 * goFloat(0.3);            // "0.3"
 * goFloat(268435456);      // "2.68435456e+08"
 * goFloat(1_780_000_015);  // "1.780000015e+09"
 * ```
 */
export function goFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: string[];
}

function labels(pairs: readonly (readonly [string, string])[]): string {
  const escaped = pairs.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return escaped.length === 0 ? '' : `{${escaped.join(',')}}`;
}

/**
 * The Prometheus text of `/metrics/resource` for a Summary taken at `times.nowMs`, as the
 * kubelet writes it: families sorted by name, each with `# HELP` (with the stability level) and
 * `# TYPE`, labels sorted by name, CPU and memory samples stamped with the time in ms, container
 * start times without a stamp, and `scrape_error` / `resource_scrape_error` 0.
 *
 * @example
 * ```
 * # HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
 * # TYPE container_cpu_usage_seconds_total counter
 * container_cpu_usage_seconds_total{container="php-apache",namespace="default",pod="php-apache-1"} 4.5 1780000015000
 * ```
 */
export function formatResourceMetrics(summary: StatsSummary, times: StatsTimes): string {
  const ts = String(times.nowMs);
  const family = (name: string, help: string, type: Family['type']): Family => ({ name, help, type, samples: [] });
  const containerCpu = family('container_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the container in core-seconds', 'counter');
  const containerMemory = family('container_memory_working_set_bytes', '[STABLE] Current working set of the container in bytes', 'gauge');
  const containerStart = family('container_start_time_seconds', '[STABLE] Start time of the container since unix epoch in seconds', 'gauge');
  const nodeCpu = family('node_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the node in core-seconds', 'counter');
  const nodeMemory = family('node_memory_working_set_bytes', '[STABLE] Current working set of the node in bytes', 'gauge');
  const podCpu = family('pod_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds', 'counter');
  const podMemory = family('pod_memory_working_set_bytes', '[STABLE] Current working set of the pod in bytes', 'gauge');
  const resourceScrapeError = family('resource_scrape_error', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise', 'gauge');
  const scrapeError = family('scrape_error', '[ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise', 'gauge');
  nodeCpu.samples.push(`node_cpu_usage_seconds_total ${goFloat(summary.node.cpu.usageCoreNanoSeconds / 1e9)} ${ts}`);
  nodeMemory.samples.push(`node_memory_working_set_bytes ${goFloat(summary.node.memory.workingSetBytes)} ${ts}`);
  for (const pod of summary.pods) {
    const { name, namespace } = pod.podRef;
    for (const c of pod.containers) {
      const l = labels([['container', c.name], ['namespace', namespace], ['pod', name]]);
      const start = times.containerStartMs.get(`${namespace}/${name}/${c.name}`) ?? 0;
      containerStart.samples.push(`container_start_time_seconds${l} ${goFloat(start / 1000)}`);
      containerCpu.samples.push(`container_cpu_usage_seconds_total${l} ${goFloat(c.cpu.usageCoreNanoSeconds / 1e9)} ${ts}`);
      containerMemory.samples.push(`container_memory_working_set_bytes${l} ${goFloat(c.memory.workingSetBytes)} ${ts}`);
    }
    const l = labels([['namespace', namespace], ['pod', name]]);
    podCpu.samples.push(`pod_cpu_usage_seconds_total${l} ${goFloat(pod.cpu.usageCoreNanoSeconds / 1e9)} ${ts}`);
    podMemory.samples.push(`pod_memory_working_set_bytes${l} ${goFloat(pod.memory.workingSetBytes)} ${ts}`);
  }
  resourceScrapeError.samples.push('resource_scrape_error 0');
  scrapeError.samples.push('scrape_error 0');
  const families = [containerCpu, containerMemory, containerStart, nodeCpu, nodeMemory, podCpu, podMemory, resourceScrapeError, scrapeError];
  let out = '';
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n${f.samples.join('\n')}\n`;
  }
  return out;
}

/** One sample of a Prometheus text exposition. */
export interface PrometheusSample {
  /** The metric name. */
  readonly name: string;
  /** Its labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Its value. */
  readonly value: number;
  /** Its time stamp in ms, when the line has one. */
  readonly timestampMs: number | undefined;
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`invalid sample value ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  return v;
}

/**
 * Parses the Prometheus text format (version 0.0.4) as metrics-server's decoder reads the
 * kubelet's: comment and blank lines skipped, `name{label="value",…} value [timestamp]`, label
 * values with `\\`, `\"` and `\n` escapes.
 *
 * Errors: throws an `Error` naming the line for a malformed sample.
 */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const out: PrometheusSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`invalid sample ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2];
    if (body !== undefined && body.trim() !== '') {
      LABEL.lastIndex = 0;
      let end = 0;
      for (let l = LABEL.exec(body); l !== null; l = LABEL.exec(body)) {
        labels[l[1]!] = l[2]!.includes('\\') ? l[2]!.replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c)) : l[2]!;
        end = LABEL.lastIndex;
      }
      if (body.slice(end).replace(/[\s,]/g, '') !== '') throw new Error(`invalid labels in ${JSON.stringify(line)}`);
    }
    out.push({ name: m[1]!, labels, value: parseValue(m[3]!, line), timestampMs: m[4] === undefined ? undefined : Number(m[4]) });
  }
  return out;
}

/** One sample line: name, optional `{labels}`, value, optional time stamp. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?\s+(\S+)(?:\s+(-?\d+))?$/;
/** One `name="value"` pair of a label set (the value with its escapes). */
const LABEL = /\s*,?\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/gy;
