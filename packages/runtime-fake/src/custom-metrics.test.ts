/**
 * The custom and external metrics adapter: its providers' series published as MetricValues and
 * ExternalMetricValues (selectable by metric and described kind), updated every round and
 * deleted when no provider serves them; the built-in provider's request rates, annotations and
 * labelled ConfigMaps.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, ConfigMaps, ExternalMetricValues, MetricValues, Pods, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import { CUSTOM_METRICS_ADAPTER_PLUGIN_NAME, MetricsAdapter, RequestRates, metricValueOf, requestRatesProvider } from './custom-metrics.js';

async function server(): Promise<ApiServer> {
  const registry = createBuiltinRegistry().register(MetricValues).register(ExternalMetricValues);
  const s = new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry });
  await s.ready;
  return s;
}

describe('the metrics adapter', () => {
  it('publishes request rates per pod and per Ingress, labelled by metric and described kind, and deletes what stops being served', async () => {
    const s = await server();
    const rates = new RequestRates();
    rates.setPod('default', 'web-1', 12.5);
    rates.setIngress('default', 'main-route', 2000);
    const adapter = new MetricsAdapter(s, [requestRatesProvider(rates)]);
    await adapter.publish(15_000, 15_000);
    const ingress = (await s.list(MetricValues, { namespace: 'default', labelSelector: 'metrics.kubeloop.dev/metric=requests-per-second,metrics.kubeloop.dev/described-kind=Ingress' })).items;
    expect(ingress.map((v) => [v.describedObject.name, v.value, v.windowSeconds])).toEqual([['main-route', '2000', 15]]);
    const pods = (await s.list(MetricValues, { namespace: 'default', labelSelector: 'metrics.kubeloop.dev/described-kind=Pod' })).items;
    expect(pods.map((v) => [v.describedObject.name, v.value])).toEqual([['web-1', '12500m']]);
    rates.setPod('default', 'web-1', undefined);
    await adapter.publish(30_000, 15_000);
    expect((await s.list(MetricValues, { namespace: 'default' })).items.map((v) => v.describedObject.kind)).toEqual(['Ingress']);
  });

  it('serves kubeloop.dev/metric.<name> annotations of running pods and labelled ConfigMaps as external metrics', async () => {
    const s = await server();
    await s.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default', annotations: { 'kubeloop.dev/metric.queue_depth': '7' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await s.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'q', namespace: 'default', labels: { 'kubeloop.dev/external-metric': 'queue_messages_ready', queue: 'tasks' } }, data: { value: '30' } });
    const adapter = new MetricsAdapter(s, [requestRatesProvider()]);
    await adapter.publish(15_000, 15_000);
    // the pod is not Running yet: no series for it
    expect((await s.list(MetricValues, { namespace: 'default' })).items).toEqual([]);
    const ext = (await s.list(ExternalMetricValues, { namespace: 'default' })).items;
    expect(ext.map((v) => [v.metricName, v.metricLabels, v.value])).toEqual([['queue_messages_ready', { queue: 'tasks' }, '30']]);
  });

  it('names each series after what it describes, stably, whatever the metric name', () => {
    const a = metricValueOf({ describedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' }, metric: 'http_requests', milliValue: 1500 }, 0, 15_000);
    const b = metricValueOf({ describedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' }, metric: 'http_requests', milliValue: 10 }, 15_000, 15_000);
    expect(a.metadata.name).toBe(b.metadata.name);
    expect(a.metadata.name).toMatch(/^pod\.web-1\.http-requests\.[0-9a-z]+$/);
    expect(a.metadata.labels).toEqual({ 'metrics.kubeloop.dev/metric': 'http_requests', 'metrics.kubeloop.dev/described-kind': 'Pod' });
    expect([a.value, b.value]).toEqual(['1500m', '10m']);
    expect(CUSTOM_METRICS_ADAPTER_PLUGIN_NAME).toBe('kubeloop.dev/custom-metrics-adapter');
  });
});
