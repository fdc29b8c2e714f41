/**
 * The HPA's other metric sources and targets, end to end on a SimCluster: `Pods`, `Object` and
 * `External` metrics served by the metrics adapter (its built-in provider: hand-set values and
 * a request-rate source), `ContainerResource` from PodMetrics, and targets other than a
 * Deployment — StatefulSet, ReplicaSet, ReplicationController (through an autoscaling/v1 HPA) and
 * a custom resource with a scale subresource — with upstream's event wording and statuses.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Deployments, Events, HorizontalPodAutoscalers, LabelSelectorSchema, ObjectMetaSchema, ReplicaSets, ReplicationControllers, StatefulSets, defineResource } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { RequestRates, requestRatesProvider } from '@kubeloop/runtime-fake';

const key = (name: string) => ({ namespace: 'default', name });

function deployment(name: string, replicas: number, annotations: Record<string, string>, containers?: object[]): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations },
        spec: { containers: containers ?? [{ name: 'app', image: 'registry.k8s.io/hpa-example', resources: { requests: { cpu: '100m' } } }] },
      },
    },
  };
}

function hpa(name: string, metrics: object[], target: { kind: string; apiVersion: string; name?: string } = { kind: 'Deployment', apiVersion: 'apps/v1' }, max = 10): object {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.name ?? name }, minReplicas: 1, maxReplicas: max, metrics },
  };
}

async function events(cluster: SimCluster, name: string): Promise<string[]> {
  const list = await cluster.server.list(Events, { namespace: 'default' });
  return list.items
    .filter((e) => e.involvedObject.kind === 'HorizontalPodAutoscaler' && e.involvedObject.name === name)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => `${e.reason}: ${e.message}`);
}

/** Advances 1 s at a time until HPA `name` has rescaled once (at most 2 minutes). */
async function advanceUntilRescaled(cluster: SimCluster, name: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if ((await cluster.get(HorizontalPodAutoscalers, key(name))).status.lastScaleTime !== undefined) return;
    await cluster.advance(1_000);
  }
}

async function rescales(cluster: SimCluster, name: string): Promise<string[]> {
  return (await events(cluster, name)).filter((e) => e.startsWith('SuccessfulRescale: '));
}

describe('Pods, Object and External metrics through the metrics adapter', () => {
  it('Pods: 2 pods at 15 requests/s each against an average of 10 → 3', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 2, customMetrics: true });
    try {
      await cluster.apply([
        deployment('worker', 2, { 'kubeloop.dev/metric.requests-per-second': '15' }),
        hpa('worker', [{ type: 'Pods', pods: { metric: { name: 'requests-per-second' }, target: { type: 'AverageValue', averageValue: '10' } } }]),
      ]);
      await advanceUntilRescaled(cluster, 'worker');
      expect((await cluster.get(Deployments, key('worker'))).spec.replicas).toBe(3);
      const h = await cluster.get(HorizontalPodAutoscalers, key('worker'));
      expect(h.status.currentMetrics?.[0]).toEqual({ type: 'Pods', pods: { metric: { name: 'requests-per-second' }, current: { averageValue: '15' } } });
      expect(await rescales(cluster, 'worker')).toEqual(['SuccessfulRescale: New size: 3; reason: pods metric requests-per-second above target']);
      expect(h.status.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from pods metric requests-per-second' });
    } finally {
      await cluster.stop();
    }
  });

  it('Object: an Ingress at 2500 requests/s (from a request-rate source) against a value of 1k with one ready pod → 3', async () => {
    const rates = new RequestRates();
    rates.setIngress('default', 'main-route', 2500);
    const cluster = await SimCluster.create({ seed: 2, nodes: 2, customMetrics: { providers: [requestRatesProvider(rates)] } });
    try {
      const described = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main-route' };
      await cluster.apply([deployment('web', 1, {}), hpa('web', [{ type: 'Object', object: { describedObject: described, metric: { name: 'requests-per-second' }, target: { type: 'Value', value: '1k' } } }])]);
      await advanceUntilRescaled(cluster, 'web');
      expect((await cluster.get(Deployments, key('web'))).spec.replicas).toBe(3);
      const h = await cluster.get(HorizontalPodAutoscalers, key('web'));
      expect(h.status.currentMetrics?.[0]).toEqual({ type: 'Object', object: { describedObject: described, metric: { name: 'requests-per-second' }, current: { value: '2500' } } });
      expect(await rescales(cluster, 'web')).toEqual(['SuccessfulRescale: New size: 3; reason: Ingress metric requests-per-second above target']);
      // at the target the count stays; then the rate falls to 600: 3 ready pods × 0.6 → 2, after the 5-minute window
      rates.setIngress('default', 'main-route', 1000);
      await cluster.advance(60_000);
      expect((await cluster.get(Deployments, key('web'))).spec.replicas).toBe(3);
      rates.setIngress('default', 'main-route', 600);
      await cluster.advance(6 * 60_000);
      expect((await cluster.get(Deployments, key('web'))).spec.replicas).toBe(2);
    } finally {
      await cluster.stop();
    }
  });

  it('External: a queue of 30 messages (a labelled ConfigMap) at 5 per pod → 4 (max(2 × 1, 4)), then 6', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 2, customMetrics: true });
    try {
      const selector = { matchLabels: { queue: 'worker_tasks' } };
      await cluster.apply([
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'queue', namespace: 'default', labels: { 'kubeloop.dev/external-metric': 'queue_messages_ready', queue: 'worker_tasks' } }, data: { value: '30' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-queue', namespace: 'default', labels: { 'kubeloop.dev/external-metric': 'queue_messages_ready', queue: 'other' } }, data: { value: '500' } },
        deployment('consumer', 1, {}),
        hpa('consumer', [{ type: 'External', external: { metric: { name: 'queue_messages_ready', selector }, target: { type: 'AverageValue', averageValue: '5' } } }]),
      ]);
      await cluster.advance(75_000);
      expect((await cluster.get(Deployments, key('consumer'))).spec.replicas).toBe(6);
      const name = 'external metric queue_messages_ready(&LabelSelector{MatchLabels:map[string]string{queue: worker_tasks,},MatchExpressions:[]LabelSelectorRequirement{},})';
      expect(await events(cluster, 'consumer')).toEqual(expect.arrayContaining([`SuccessfulRescale: New size: 4; reason: ${name} above target`, `SuccessfulRescale: New size: 6; reason: ${name} above target`]));
      const h = await cluster.get(HorizontalPodAutoscalers, key('consumer'));
      expect(h.status.currentMetrics?.[0]).toEqual({ type: 'External', external: { metric: { name: 'queue_messages_ready', selector }, current: { averageValue: '5' } } });
    } finally {
      await cluster.stop();
    }
  });

  it('without an adapter: ScalingActive False with FailedGetPodsMetric, and the scale is kept', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: 1 });
    try {
      await cluster.apply([deployment('worker', 2, {}), hpa('worker', [{ type: 'Pods', pods: { metric: { name: 'requests-per-second' }, target: { type: 'AverageValue', averageValue: '10' } } }])]);
      await cluster.advance(45_000);
      expect((await cluster.get(Deployments, key('worker'))).spec.replicas).toBe(2);
      const h = await cluster.get(HorizontalPodAutoscalers, key('worker'));
      expect(h.status.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetPodsMetric' });
      expect(h.status.conditions?.find((c) => c.type === 'ScalingActive')?.message).toMatch(/^the HPA was unable to compute the replica count: failed to get pods metric value: unable to get metric requests-per-second: unable to fetch metrics from custom metrics API: /);
    } finally {
      await cluster.stop();
    }
  });
});

describe('a tolerance per direction in behavior', () => {
  it('keeps 2 pods at 120% of a 100% target with scaleUp.tolerance 0.5, where the default 10% scales to 3', async () => {
    const cluster = await SimCluster.create({ seed: 8, nodes: 2, metricsServer: true });
    try {
      const metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 100 } } }];
      const tolerant = { ...(hpa('tolerant', metrics) as { spec: object }), metadata: { name: 'tolerant', namespace: 'default' } };
      await cluster.apply([
        deployment('tolerant', 2, { 'kubeloop.dev/cpu-usage': '120m' }),
        { ...tolerant, spec: { ...tolerant.spec, behavior: { scaleUp: { tolerance: '0.5' } } } },
        deployment('strict', 2, { 'kubeloop.dev/cpu-usage': '120m' }),
        hpa('strict', metrics),
      ]);
      await cluster.advance(45_000);
      expect((await cluster.get(Deployments, key('tolerant'))).spec.replicas).toBe(2);
      expect((await rescales(cluster, 'strict'))[0]).toBe('SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target');
    } finally {
      await cluster.stop();
    }
  });
});

describe('ContainerResource metrics', () => {
  it('scales on one container: app at 150% of its request (the pod as a whole at 80%) → 3', async () => {
    const cluster = await SimCluster.create({ seed: 5, nodes: 2, metricsServer: true });
    try {
      const containers = [
        { name: 'app', image: 'registry.k8s.io/hpa-example', resources: { requests: { cpu: '100m' } } },
        { name: 'sidecar', image: 'nginx', resources: { requests: { cpu: '100m' } } },
      ];
      await cluster.apply([
        deployment('web', 1, { 'kubeloop.dev/cpu-usage.app': '150m', 'kubeloop.dev/cpu-usage.sidecar': '10m' }, containers),
        hpa('web', [{ type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 50 } } }]),
      ]);
      await cluster.advance(45_000);
      expect((await cluster.get(Deployments, key('web'))).spec.replicas).toBe(3);
      const h = await cluster.get(HorizontalPodAutoscalers, key('web'));
      expect(h.status.currentMetrics?.[0]).toEqual({ type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', current: { averageUtilization: 150, averageValue: '150m' } } });
      expect(await events(cluster, 'web')).toContain('SuccessfulRescale: New size: 3; reason: cpu container resource utilization (percentage of request) above target');
    } finally {
      await cluster.stop();
    }
  });
});

const template = (app: string) => ({
  metadata: { labels: { app }, annotations: { 'kubeloop.dev/cpu-usage': '150m' } },
  spec: { containers: [{ name: 'app', image: 'registry.k8s.io/hpa-example', resources: { requests: { cpu: '100m' } } }] },
});

/** A custom resource with a scale subresource: a Widget whose `spec.replicas` the HPA scales (its pods come from a Deployment it selects). */
const Widgets = defineResource({
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
  subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } },
  schema: z.object({
    apiVersion: z.literal('example.com/v1'),
    kind: z.literal('Widget'),
    metadata: ObjectMetaSchema,
    spec: z.object({ replicas: z.number().int().default(1), selector: LabelSelectorSchema.optional() }),
    status: z.object({ replicas: z.number().int().optional() }).optional(),
  }),
});
const widgets: Plugin = { name: 'example.com/widgets', register: (api) => api.addResource(Widgets) };

describe('any target with a scale subresource, and autoscaling/v1', () => {
  it('scales a StatefulSet, a ReplicaSet and a ReplicationController from autoscaling/v1 HPAs (targetCPUUtilizationPercentage)', async () => {
    const cluster = await SimCluster.create({ seed: 6, nodes: 3, metricsServer: true });
    try {
      const v1 = (name: string, kind: string, apiVersion: string) => ({
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name, namespace: 'default' },
        spec: { scaleTargetRef: { apiVersion, kind, name }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
      });
      await cluster.apply([
        { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' }, spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db') } },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'rs' } }, template: template('rs') } },
        { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc', namespace: 'default' }, spec: { replicas: 1, selector: { app: 'rc' }, template: template('rc') } },
        v1('db', 'StatefulSet', 'apps/v1'),
        v1('rs', 'ReplicaSet', 'apps/v1'),
        v1('rc', 'ReplicationController', 'v1'),
      ]);
      await advanceUntilRescaled(cluster, 'db');
      await advanceUntilRescaled(cluster, 'rs');
      await advanceUntilRescaled(cluster, 'rc');
      // 150% / 50% = 3 × 1 pod → 3 (within max(2 × 1, 4)); the pods keep 150% each, so it goes on to maxReplicas
      for (const name of ['db', 'rs', 'rc']) expect((await rescales(cluster, name))[0]).toBe('SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target');
      await cluster.advance(120_000);
      expect((await cluster.get(StatefulSets, key('db'))).spec.replicas).toBe(5);
      expect((await cluster.get(ReplicaSets, key('rs'))).spec.replicas).toBe(5);
      expect((await cluster.get(ReplicationControllers, key('rc'))).spec.replicas).toBe(5);
      const h = await cluster.get(HorizontalPodAutoscalers, key('rc'));
      expect(h.apiVersion).toBe('autoscaling/v2');
      expect(h.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    } finally {
      await cluster.stop();
    }
  });

  it('scales a custom resource through its scale subresource', async () => {
    const cluster = await SimCluster.create({ seed: 7, nodes: 2, metricsServer: true, plugins: [widgets] });
    try {
      await cluster.apply([
        deployment('gadget', 1, { 'kubeloop.dev/cpu-usage': '150m' }),
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'gadget', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'gadget' } } } },
        hpa('gadget', [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], { kind: 'Widget', apiVersion: 'example.com/v1' }),
      ]);
      await advanceUntilRescaled(cluster, 'gadget');
      expect((await cluster.get(Widgets, key('gadget'))).spec.replicas).toBe(3);
      expect(await events(cluster, 'gadget')).toContain('SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target');
    } finally {
      await cluster.stop();
    }
  });
});
