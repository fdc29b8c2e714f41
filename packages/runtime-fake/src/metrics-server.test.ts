/**
 * The metrics pipeline: container usage (annotations, behaviors, image baselines, the CPU
 * limit) → the kubelet → metrics-server's scrape → PodMetrics and NodeMetrics with upstream's
 * shapes (nanocores, kibibytes, `window: 15s`, the scrape's timestamp).
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, NodeMetricses, PodMetricses, Pods, VirtualClock, createBuiltinRegistry, formatTime, parseQuantity, seededRng } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { MetricsScraper, formatCpuUsage, formatMemoryUsage } from './metrics-server.js';
import { startFakeNode } from './plugin.js';
import { containerUsage, imageUsageBaseline } from './usage.js';

const Mi = 2 ** 20;

function pod(annotations: Record<string, string>, limits?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'php-apache', namespace: 'default', annotations },
    spec: { containers: [{ name: 'php-apache', image: 'registry.k8s.io/hpa-example', ...(limits ? { resources: { limits } } : {}) }] },
  } as unknown as Pod;
}

describe('containerUsage', () => {
  const c = (limits?: Record<string, string>) => ({ name: 'php-apache', image: 'registry.k8s.io/hpa-example', limits });

  it('takes a constant kubeloop.dev/cpu-usage and memory-usage annotation over the behavior', () => {
    expect(containerUsage(pod({ 'kubeloop.dev/cpu-usage': '300m', 'kubeloop.dev/memory-usage': '64Mi' }), c(), { cpuMillicores: 50 }, 0, undefined)).toEqual({ cpuMillicores: 300, memoryBytes: 64 * Mi });
  });

  it('lets a per-container annotation win over the pod-wide one', () => {
    expect(containerUsage(pod({ 'kubeloop.dev/cpu-usage': '300m', 'kubeloop.dev/cpu-usage.php-apache': '20m' }), c(), {}, 0, undefined).cpuMillicores).toBe(20);
  });

  it('falls back to the image baseline and adds run-time load', () => {
    expect(imageUsageBaseline('registry.k8s.io/hpa-example:latest')).toEqual({ cpuMillicores: 1, memoryBytes: 10 * Mi });
    expect(containerUsage(pod({}), c(), {}, 0, { cpuMillicores: 99, memoryBytes: 0 })).toEqual({ cpuMillicores: 100, memoryBytes: 10 * Mi });
  });

  it('caps CPU at the limit (throttling)', () => {
    expect(containerUsage(pod({ 'kubeloop.dev/cpu-usage': '900m' }), c({ cpu: '500m' }), {}, 0, undefined).cpuMillicores).toBe(500);
  });
});

describe('the metrics-server scrape', () => {
  it('writes nothing for a pod before two scrapes, then PodMetrics and NodeMetrics as metrics-server does', async () => {
    const clock = new VirtualClock();
    const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry().register(PodMetricses).register(NodeMetricses) });
    const kubelet = await startFakeNode({ client: server, clock, rng: seededRng(2), node: { index: 0, name: 'node-1' } });
    await server.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'php-apache', namespace: 'default', annotations: { 'kubeloop.dev/cpu-usage': '300m', 'kubeloop.dev/memory-usage': '12Mi' } },
      spec: { containers: [{ name: 'php-apache', image: 'registry.k8s.io/hpa-example', resources: { requests: { cpu: '200m' }, limits: { cpu: '500m' } } }] },
    } as never);
    await server.bind({ namespace: 'default', name: 'php-apache' }, { name: 'node-1' });
    await clock.advance(30_000);
    expect((await server.list(PodMetricses, { namespace: 'default' })).items).toEqual([]);

    const scraper = new MetricsScraper(server);
    // Upstream needs two points of a cumulative CPU counter: the first scrape of a container
    // that started more than a resolution ago serves nothing yet.
    await scraper.scrape([kubelet], 15_000);
    expect((await server.list(PodMetricses, { namespace: 'default' })).items).toEqual([]);
    expect((await server.list(NodeMetricses, {})).items).toEqual([]);
    await clock.advance(15_000);
    await scraper.scrape([kubelet], 15_000);
    const pm = await server.get(PodMetricses, { namespace: 'default', name: 'php-apache' });
    expect(pm).toMatchObject({ timestamp: formatTime(clock.now()), window: '15s', containers: [{ name: 'php-apache', usage: { cpu: '300000000n', memory: '12288Ki' } }] });
    expect(parseQuantity(pm.containers[0]!.usage['cpu']!).milliValue()).toBe(300);
    const nm = await server.get(NodeMetricses, { name: 'node-1' });
    expect(nm.usage).toEqual({ cpu: formatCpuUsage(350), memory: formatMemoryUsage(12 * Mi + 256 * Mi) });

    // the pod goes: its metrics go at the next scrape
    await server.delete(Pods, { namespace: 'default', name: 'php-apache' }, { gracePeriodSeconds: 0 });
    await clock.advance(5_000);
    await scraper.scrape([kubelet], 15_000);
    expect((await server.list(PodMetricses, { namespace: 'default' })).items).toEqual([]);
    kubelet.stop();
  });
});
