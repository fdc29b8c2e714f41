/**
 * The HPA end to end on a SimCluster: container usage from the `kubeloop.dev/cpu-usage`
 * annotation → the kubelet → metrics-server → PodMetrics → the HPA controller → the
 * Deployment's scale, with upstream's status, conditions and `SuccessfulRescale` event; the
 * walkthrough's numbers (2 pods at 300m of 200m requests with a 50% target → 6); and the
 * `hpaScalesWithinBounds` invariant failing on an HPA controller broken on purpose.
 */
import { describe, expect, it } from 'vitest';
import { Deployments, Events, HorizontalPodAutoscalers, PodMetricses, Pods, VIRTUAL_EPOCH_MS, controllerFor, parseTime } from '@kubeloop/core';
import type { ClientInterceptor, ClientRequest, Clock, Deployment, HorizontalPodAutoscaler, Manager, Plugin } from '@kubeloop/core';
import { DEFAULT_CONTROLLER_PLUGINS, SimCluster } from '@kubeloop/testing';
import { HPA_INVARIANTS, HPA_PLUGIN_NAME, HorizontalPodAutoscalerReconciler, hpaScalesWithinBounds } from '@kubeloop/controllers';

const key = (name: string) => ({ namespace: 'default', name });

/** php-apache as the kubernetes.io walkthrough, its load given as a constant CPU usage per pod. */
function phpApache(replicas: number, cpuUsage: string, maxReplicas = 10): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: php-apache
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      run: php-apache
  template:
    metadata:
      labels:
        run: php-apache
      annotations:
        kubeloop.dev/cpu-usage: ${cpuUsage}
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports:
        - containerPort: 80
        resources:
          limits:
            cpu: 500m
          requests:
            cpu: 200m
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: ${maxReplicas}
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
`;
}

async function hpaEvents(cluster: SimCluster): Promise<string[]> {
  const list = await cluster.server.list(Events, { namespace: 'default' });
  return list.items
    .filter((e) => e.involvedObject.kind === 'HorizontalPodAutoscaler')
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => `${e.type} ${e.reason}: ${e.message}`);
}

describe('the HPA walkthrough: 2 pods at 300m of 200m requests, 50% target', () => {
  it('scales the Deployment to 6 with upstream status, conditions and event', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 2, metricsServer: true });
    try {
      await cluster.apply(phpApache(2, '300m', 6), 'php-apache.yaml');
      await cluster.advance(90_000);
      const metrics = await cluster.server.list(PodMetricses, { namespace: 'default' });
      expect(metrics.items.length).toBeGreaterThanOrEqual(2);
      const hpa = await cluster.get(HorizontalPodAutoscalers, key('php-apache'));
      expect((await cluster.get(Deployments, key('php-apache'))).spec.replicas).toBe(6);
      expect(await hpaEvents(cluster)).toContain('Normal SuccessfulRescale: New size: 6; reason: cpu resource utilization (percentage of request) above target');
      expect(hpa.status.lastScaleTime).toBeDefined();
      expect(hpa.status.desiredReplicas).toBe(6);
      const cond = (type: string) => hpa.status.conditions?.find((c) => c.type === type);
      expect(cond('ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' });
      expect(cond('AbleToScale')?.status).toBe('True');
      expect(cond('ScalingLimited')).toBeDefined();
      expect(hpa.status.currentMetrics?.[0]).toEqual({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 150, averageValue: '300m' } } });
      expect(hpaScalesWithinBounds([], cluster.trace()).map((v) => v.message)).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });

  it('keeps the scale and reports ScalingActive False without a metrics-server', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 1 });
    try {
      await cluster.apply(phpApache(2, '300m'), 'php-apache.yaml');
      await cluster.advance(60_000);
      expect((await cluster.get(Deployments, key('php-apache'))).spec.replicas).toBe(2);
      const hpa = await cluster.get(HorizontalPodAutoscalers, key('php-apache'));
      expect(hpa.status.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
      expect(hpa.status.currentReplicas).toBe(2);
    } finally {
      await cluster.stop();
    }
  });
});

describe('an HPA whose scale writes are slow to reach the API server', () => {
  // upstream's reconcileAutoscaler calls setStatus, which reads time.Now() for lastScaleTime, after
  // Scales().Update has returned: lastScaleTime never predates the write it records
  it('records lastScaleTime when the scale write has gone through, not when its sync began', async () => {
    const slowScaleWrites = (clock: Clock): ClientInterceptor[] => [
      { request: async <R>(request: ClientRequest, next: () => Promise<R>): Promise<R> => {
        if (request.verb === 'updateScale') await clock.sleep(2_500);
        return next();
      } },
    ];
    const cluster = await SimCluster.create({ seed: 5, nodes: 2, metricsServer: true, controllerManager: { interceptors: slowScaleWrites } });
    try {
      await cluster.apply(phpApache(2, '300m', 6), 'php-apache.yaml');
      await cluster.advance(90_000);
      const scaled = cluster.trace().find((e) => e.object.kind === 'Deployment' && (e.object as Deployment).spec.replicas === 6);
      expect(scaled).toBeDefined();
      const hpa = await cluster.get(HorizontalPodAutoscalers, key('php-apache'));
      expect(hpa.status.desiredReplicas).toBe(6);
      // lastScaleTime has second precision: the second of the write, or a later one
      expect(parseTime(hpa.status.lastScaleTime!)).toBeGreaterThan(VIRTUAL_EPOCH_MS + scaled!.t - 1_000);
    } finally {
      await cluster.stop();
    }
  });
});

describe('an HPA following a kubeloop.dev/cpu-usage ramp', () => {
  it('keeps 1 replica while the ramp is under its target and scales out at the first sync after the ramp crosses it', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: 2, metricsServer: true });
    try {
      // 50m rising to 250m over 4 min (50m a minute) on a 200m request, 50% target (100m a pod):
      // past the tolerance (110m) from 72 s after the container's start on
      await cluster.apply(phpApache(1, 'ramp(from=50m, to=250m, over=4m)', 5), 'php-apache.yaml');
      await cluster.advance(10_000);
      const [pod] = (await cluster.list(Pods, { namespace: 'default' })).items;
      const startedAt = parseTime(pod!.status.containerStatuses![0]!.state!.running!.startedAt!);
      let scaledAt: number | undefined;
      while (scaledAt === undefined && cluster.clock.now() < startedAt + 180_000) {
        await cluster.advance(1_000);
        if ((await cluster.get(Deployments, key('php-apache'))).spec.replicas !== 1) scaledAt = cluster.clock.now();
      }
      // CPU is the counter's rate over the 15 s before a scrape: the average of the ramp over that
      // window passes 110m once the window's middle is past 72 s; the sync after that scrape scales
      expect(scaledAt).toBeDefined();
      expect(scaledAt! - startedAt).toBeGreaterThan(72_000 + 7_500);
      expect(scaledAt! - startedAt).toBeLessThanOrEqual(72_000 + 7_500 + 15_000 + 15_000 + 1_000);
      expect((await cluster.get(Deployments, key('php-apache'))).spec.replicas).toBe(2);
      expect(await hpaEvents(cluster)).toContain('Normal SuccessfulRescale: New size: 2; reason: cpu resource utilization (percentage of request) above target');
      const hpa = await cluster.get(HorizontalPodAutoscalers, key('php-apache'));
      const utilization = hpa.status.currentMetrics?.[0]?.resource?.current.averageUtilization ?? 0;
      expect(utilization).toBeGreaterThan(55);
      expect(utilization).toBeLessThan(65);
    } finally {
      await cluster.stop();
    }
  });
});

/**
 * An HPA controller broken on purpose: the real reconciler, reading HPAs through a view whose
 * cache reports maxReplicas 5 higher than stored; registered with the real invariants.
 */
function brokenHpaPlugin(): Plugin {
  return {
    name: 'test/broken-hpa',
    register(api) {
      api.addController((manager) => {
        const cache = ((resource: typeof HorizontalPodAutoscalers) => {
          const real = manager.cache(resource);
          if (resource !== HorizontalPodAutoscalers) return real;
          return { ...real, get: (k: { namespace?: string; name: string }) => {
            const hpa = real.get(k) as HorizontalPodAutoscaler | undefined;
            return hpa === undefined ? undefined : { ...hpa, spec: { ...hpa.spec, maxReplicas: hpa.spec.maxReplicas + 5 } };
          } };
        }) as Manager['cache'];
        const view = { client: manager.client, clock: manager.clock, registry: manager.registry, cache, recorder: manager.recorder.bind(manager) } as unknown as Manager;
        return controllerFor(manager, HorizontalPodAutoscalers).named('horizontalpodautoscaling').complete(new HorizontalPodAutoscalerReconciler(view));
      });
      for (const i of HPA_INVARIANTS) api.addInvariant(i);
    },
  };
}

describe('hpaScalesWithinBounds, on an HPA controller broken on purpose', () => {
  it('flags the scale beyond maxReplicas', async () => {
    const plugins = [...DEFAULT_CONTROLLER_PLUGINS.filter((p) => p.name !== HPA_PLUGIN_NAME), brokenHpaPlugin()];
    const cluster = await SimCluster.create({ seed: 3, nodes: 2, metricsServer: true, controllerManager: { plugins } });
    try {
      expect(cluster.invariants().map((i) => i.name)).toContain('hpaScalesWithinBounds');
      await cluster.apply(phpApache(2, '300m', 4), 'php-apache.yaml');
      await cluster.advance(90_000);
      const found = hpaScalesWithinBounds([], cluster.trace()).map((v) => v.message);
      expect(found.length).toBeGreaterThan(0);
      expect(found[0]).toMatch(/^scaled its target to \d+ replicas at .*, outside \[minReplicas 1, maxReplicas 4\]$/);
    } finally {
      await cluster.stop();
    }
  });
});
