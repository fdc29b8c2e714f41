/**
 * The kubelet's Summary API and resource metrics (upstream `/stats/summary` and
 * `/metrics/resource`), and metrics-server's storage over them: CPU as the rate between two
 * scrapes of a cumulative counter, the fresh-container point, restarts.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, NodeMetricses, PodMetricses, Pods, VirtualClock, createBuiltinRegistry, formatTime, parseTime, seededRng } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { BehaviorRegistry } from './behavior.js';
import { goFloat, parsePrometheusText } from './kubelet-stats.js';
import type { MetricsPoint } from './metrics-server.js';
import { MetricsScraper, MetricsStorage, decodeResourceMetrics, formatWindow, pointUsage } from './metrics-server.js';
import { startFakeNode } from './plugin.js';

const Mi = 2 ** 20;

async function sim() {
  const clock = new VirtualClock();
  const bootedAt = clock.now();
  const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry().register(PodMetricses).register(NodeMetricses) });
  const kubelet = await startFakeNode({ client: server, clock, rng: seededRng(2), node: { index: 0, name: 'node-1' }, behaviors: new BehaviorRegistry().image('busybox', {}), runtime: { preloaded: ['busybox:1.36'] } });
  const run = async (name: string, annotations: Record<string, string>, limits: Record<string, string> = {}): Promise<number> => {
    await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', resources: { limits } }] } } as unknown as Pod);
    await server.bind({ namespace: 'default', name }, { name: 'node-1' });
    await clock.flush();
    return parseTime((await server.get(Pods, { namespace: 'default', name })).status.containerStatuses![0]!.state!.running!.startedAt!);
  };
  return { clock, server, kubelet, run, bootedAt };
}

describe('the Summary API (statsSummary)', () => {
  it('reports the node and each pod with the CPU time integrated over virtual time', async () => {
    const s = await sim();
    const started = await s.run('web', { 'kubeloop.dev/cpu-usage': 'ramp(from=0, to=1, over=10s)', 'kubeloop.dev/memory-usage': '12Mi' }, { cpu: '500m' });
    await s.clock.advance(started + 20_000 - s.clock.now());
    const summary = s.kubelet.statsSummary();
    const now = s.clock.now();
    const pod = summary.pods[0]!;
    expect(pod.podRef).toMatchObject({ name: 'web', namespace: 'default' });
    expect(pod.podRef.uid).not.toBe('');
    const c = pod.containers[0]!;
    expect(c.name).toBe('app');
    expect(c.startTime).toBe(formatTime(started));
    // the ramp reaches 500m (the limit) at 5 s: 1.25 core-s, then 15 s at 500m: 7.5 core-s
    expect(c.cpu).toEqual({ time: formatTime(now), usageNanoCores: 500_000_000, usageCoreNanoSeconds: 8_750_000_000 });
    expect(c.memory).toMatchObject({ time: formatTime(now), usageBytes: 12 * Mi, workingSetBytes: 12 * Mi });
    expect(pod.cpu.usageCoreNanoSeconds).toBe(8_750_000_000);
    expect(summary.node.nodeName).toBe('node-1');
    expect(summary.node.cpu.usageNanoCores).toBe(550_000_000); // the pod plus 50m of system daemons
    expect(summary.node.memory).toMatchObject({ workingSetBytes: (12 + 256) * Mi, availableBytes: 16 * 1024 * Mi - (12 + 256) * Mi });
    // the node's total: 50m since the kubelet started plus the pod's
    expect(summary.node.cpu.usageCoreNanoSeconds).toBe((now - s.bootedAt) * 50 * 1000 + 8_750_000_000);
    expect(summary.node.startTime).toBe(formatTime(s.bootedAt));
    // asking again later continues the integral
    await s.clock.advance(10_000);
    expect(s.kubelet.statsSummary().pods[0]!.containers[0]!.cpu.usageCoreNanoSeconds).toBe(13_750_000_000);
    s.kubelet.stop();
  });
});

describe('the resource metrics (resourceMetrics)', () => {
  it("writes upstream's families, sorted, with HELP and TYPE, sorted labels and millisecond stamps", async () => {
    const s = await sim();
    const started = await s.run('web', { 'kubeloop.dev/cpu-usage': '300m', 'kubeloop.dev/memory-usage': '12Mi' });
    await s.clock.advance(started + 15_000 - s.clock.now());
    const text = s.kubelet.resourceMetrics();
    const now = s.clock.now();
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ').slice(2).join(' '))).toEqual([
      'container_cpu_usage_seconds_total counter',
      'container_memory_working_set_bytes gauge',
      'container_start_time_seconds gauge',
      'node_cpu_usage_seconds_total counter',
      'node_memory_working_set_bytes gauge',
      'pod_cpu_usage_seconds_total counter',
      'pod_memory_working_set_bytes gauge',
      'resource_scrape_error gauge',
      'scrape_error gauge',
    ]);
    expect(lines).toContain('# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds');
    expect(lines).toContain(`container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 4.5 ${now}`);
    expect(lines).toContain(`container_memory_working_set_bytes{container="app",namespace="default",pod="web"} 1.2582912e+07 ${now}`);
    expect(lines).toContain(`container_start_time_seconds{container="app",namespace="default",pod="web"} ${goFloat(started / 1000)}`);
    expect(lines).toContain(`pod_cpu_usage_seconds_total{namespace="default",pod="web"} 4.5 ${now}`);
    expect(lines).toContain(`node_memory_working_set_bytes 2.81018368e+08 ${now}`);
    expect(lines).toContain('scrape_error 0');
    // what metrics-server decodes from it
    const batch = decodeResourceMetrics(text);
    expect(batch.pods.get('default/web')?.get('app')).toEqual({ timestampMs: now, startMs: started, cpuNanos: 4_500_000_000, memoryBytes: 12 * Mi });
    expect(batch.node).toMatchObject({ timestampMs: now, memoryBytes: (12 + 256) * Mi });
    s.kubelet.stop();
  });

  it('formats floats as Go does and parses escaped labels back', () => {
    expect([0, 4.5, 0.3, 123456, 1e6, 268435456, 1_780_000_015.5, 0.00001].map(goFloat)).toEqual(['0', '4.5', '0.3', '123456', '1e+06', '2.68435456e+08', '1.7800000155e+09', '1e-05']);
    expect(parsePrometheusText('# HELP x y\nm{a="q\\"uo\\\\te",b="n\\nl"} 1.5e+03 1700000000000\nn 2\n')).toEqual([
      { name: 'm', labels: { a: 'q"uo\\te', b: 'n\nl' }, value: 1500, timestampMs: 1_700_000_000_000 },
      { name: 'n', labels: {}, value: 2, timestampMs: undefined },
    ]);
  });
});

describe("metrics-server's storage", () => {
  const point = (timestampMs: number, cpuSeconds: number, startMs: number | undefined = 0): MetricsPoint => ({ timestampMs, startMs, cpuNanos: cpuSeconds * 1e9, memoryBytes: Mi });
  const batch = (node: MetricsPoint | undefined, containers: Record<string, MetricsPoint>) => new Map([['node-1', { node, pods: new Map([['default/web', new Map(Object.entries(containers))]]) }]]);

  it('computes CPU as the rate between two points, and skips a counter that went down', () => {
    expect(pointUsage(point(30_000, 9), point(15_000, 4.5))).toEqual({ cpuNanocores: 300_000_000, memoryBytes: Mi, timestampMs: 30_000, windowMs: 15_000 });
    expect(pointUsage(point(30_000, 1), point(15_000, 4.5))).toBeUndefined();
  });

  it('serves a pod and a node from their second point on', () => {
    const storage = new MetricsStorage(15_000);
    storage.store(batch(point(60_000, 10), { app: point(60_000, 3) }));
    expect(storage.podMetrics().size).toBe(0);
    expect(storage.nodeMetrics().size).toBe(0);
    storage.store(batch(point(75_000, 13), { app: point(75_000, 6) }));
    expect(storage.podMetrics().get('default/web')).toEqual({ timestampMs: 75_000, windowMs: 15_000, containers: [{ name: 'app', cpuNanocores: 200_000_000, memoryBytes: Mi, timestampMs: 75_000, windowMs: 15_000 }] });
    expect(storage.nodeMetrics().get('node-1')?.cpuNanocores).toBe(200_000_000);
  });

  it('serves a fresh container (10 s to one resolution old) from its first point, counting from its start', () => {
    const storage = new MetricsStorage(15_000);
    storage.store(batch(undefined, { app: point(62_000, 1.2, 50_000) }));
    expect(storage.podMetrics().get('default/web')).toMatchObject({ timestampMs: 62_000, windowMs: 12_000, containers: [{ cpuNanocores: 100_000_000 }] });
    const younger = new MetricsStorage(15_000);
    younger.store(batch(undefined, { app: point(59_000, 0.9, 50_000) }));
    expect(younger.podMetrics().size).toBe(0);
  });

  it('starts over after a restart and drops a pod missing a container point', () => {
    const storage = new MetricsStorage(15_000);
    storage.store(batch(undefined, { app: point(60_000, 5), side: point(60_000, 1) }));
    storage.store(batch(undefined, { app: point(75_000, 0.1, 70_000), side: point(75_000, 2) }));
    expect(storage.podMetrics().size).toBe(0); // app restarted 5 s before: too young for a point of its own
    storage.store(batch(undefined, { app: point(90_000, 1.6, 70_000), side: point(90_000, 3) }));
    expect(storage.podMetrics().get('default/web')?.containers.map((c) => [c.name, c.cpuNanocores])).toEqual([['app', 100_000_000], ['side', 66_666_666]]);
  });

  it('keeps the previous point when a scrape brings nothing newer', () => {
    const storage = new MetricsStorage(15_000);
    storage.store(batch(point(60_000, 1), { app: point(60_000, 1) }));
    storage.store(batch(point(75_000, 4), { app: point(75_000, 4) }));
    storage.store(batch(point(75_000, 4), { app: point(75_000, 4) }));
    expect(storage.podMetrics().get('default/web')?.containers[0]?.cpuNanocores).toBe(200_000_000);
    expect(storage.nodeMetrics().get('node-1')?.cpuNanocores).toBe(200_000_000);
  });

  it("prints windows as Go's durations", () => {
    expect([15_000, 12_500, 60_000, 90_000, 500, 3_600_000].map(formatWindow)).toEqual(['15s', '12.5s', '1m0s', '1m30s', '500ms', '1h0m0s']);
  });
});

describe('metrics-server over a ramp', () => {
  it('serves the average of the ramp over each window, as the rate of the counter', async () => {
    const s = await sim();
    const started = await s.run('web', { 'kubeloop.dev/cpu-usage': 'ramp(from=100m, to=400m, over=60s)' });
    const scraper = new MetricsScraper(s.server);
    await s.clock.advance(started + 30_000 - s.clock.now());
    await scraper.scrape([s.kubelet], 15_000);
    await s.clock.advance(15_000);
    await scraper.scrape([s.kubelet], 15_000);
    // from 30 s (250m) to 45 s (325m): 287.5m on average
    const pm = await s.server.get(PodMetricses, { namespace: 'default', name: 'web' });
    expect(pm).toMatchObject({ timestamp: formatTime(started + 45_000), window: '15s', containers: [{ name: 'app', usage: { cpu: '287500000n' } }] });
    expect((await s.server.get(NodeMetricses, { name: 'node-1' })).usage['cpu']).toBe('337500000n');
    s.kubelet.stop();
  });
});
