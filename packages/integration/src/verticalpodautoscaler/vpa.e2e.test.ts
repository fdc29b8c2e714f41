/**
 * The VPA end to end on a SimCluster with a metrics-server: usage → PodMetrics → the
 * recommender's histograms → the VPA's recommendation → the updater evicts the pod whose
 * requests are below the lower bound → its ReplicaSet recreates it → admission gives it the
 * target; modes Off and Initial leave running pods alone; an HPA on CPU of the same target
 * puts ConfigUnsupported on the VPA.
 */
import { describe, expect, it } from 'vitest';
import { Events, Pods, parseQuantity } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { DEFAULT_CONTROLLER_PLUGINS, SimCluster } from '@kubeloop/testing';
import { VerticalPodAutoscalerCheckpoints, VerticalPodAutoscalers, verticalPodAutoscalerPlugin } from '@kubeloop/controllers';
import type { VerticalPodAutoscaler, VerticalPodAutoscalerCheckpoint } from '@kubeloop/controllers';

function hamster(mode: string, extra = ''): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hamster
spec:
  replicas: 1
  selector:
    matchLabels:
      app: hamster
  template:
    metadata:
      labels:
        app: hamster
      annotations:
        kubeloop.dev/cpu-usage: 300m
    spec:
      containers:
      - name: hamster
        image: registry.k8s.io/ubuntu-slim:0.14
        resources:
          requests:
            cpu: 100m
            memory: 50Mi
          limits:
            memory: 100Mi
---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: hamster-vpa
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: hamster
  updatePolicy:
    updateMode: ${mode}
    minReplicas: 1
${extra}`;
}

const running = async (cluster: SimCluster): Promise<Pod[]> => (await cluster.list(Pods)).items.filter((p) => p.status.phase === 'Running' && p.metadata.deletionTimestamp === undefined);

describe('Vertical Pod Autoscaler', () => {
  it('raises a single pod’s requests by evicting it: the recreated pod gets the target, limit in proportion', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 1, metricsServer: true, verticalPodAutoscaler: true });
    await cluster.apply(hamster('Auto'));
    await cluster.advance(10_000);
    const first = (await running(cluster))[0]!;
    await cluster.advance(6 * 60_000);
    const vpa = (await cluster.get(VerticalPodAutoscalers, { namespace: 'default', name: 'hamster-vpa' })) as VerticalPodAutoscaler;
    const rec = vpa.status.recommendation!.containerRecommendations![0]!;
    expect(rec.containerName).toBe('hamster');
    expect(rec.target['cpu']).toBe('350m');
    expect(vpa.status.conditions?.find((c) => c.type === 'RecommendationProvided')?.status).toBe('True');
    const now = await running(cluster);
    expect(now).toHaveLength(1);
    expect(now[0]!.metadata.name).not.toBe(first.metadata.name);
    // the memory request (50Mi) was below the lower bound (the 250Mi pod minimum): evicted at
    // the first recommendation; the limit keeps its ratio 2 to the request
    expect(now[0]!.spec.containers[0]!.resources).toEqual({ requests: { cpu: '350m', memory: '262144k' }, limits: { memory: '524288k' } });
    expect(now[0]!.metadata.annotations?.['vpaUpdates']).toBe('Pod resources updated by hamster-vpa: container 0: cpu request, memory request, memory limit');
    const events = (await cluster.list(Events)).items;
    expect(events.filter((e) => e.reason === 'EvictedByVPA').map((e) => e.involvedObject.name)).toEqual([first.metadata.name]);
    expect(events.filter((e) => e.reason === 'EvictedPod').map((e) => e.message)).toEqual([`VPA Updater evicted Pod ${first.metadata.name} to apply resource recommendation.`]);
    await cluster.stop();
  });

  it('in mode Off only recommends; in Initial it sets requests at creation and never evicts', async () => {
    for (const mode of ['Off', 'Initial']) {
      const cluster = await SimCluster.create({ seed: 2, nodes: 1, metricsServer: true, verticalPodAutoscaler: true });
      await cluster.apply(hamster(mode));
      await cluster.advance(10_000);
      const first = (await running(cluster))[0]!;
      await cluster.advance(8 * 60_000);
      const now = await running(cluster);
      expect(now.map((p) => p.metadata.name)).toEqual([first.metadata.name]);
      expect((await cluster.list(Events)).items.filter((e) => e.reason === 'EvictedByVPA')).toEqual([]);
      await cluster.stop();
    }
  });

  it('caps the recommendation at maxAllowed, keeping the uncapped target', async () => {
    const policy = `  resourcePolicy:
    containerPolicies:
    - containerName: '*'
      maxAllowed:
        cpu: 250m
      controlledResources: [cpu]
`;
    const cluster = await SimCluster.create({ seed: 3, nodes: 1, metricsServer: true, verticalPodAutoscaler: true });
    await cluster.apply(hamster('Auto', policy));
    await cluster.advance(8 * 60_000);
    const vpa = (await cluster.get(VerticalPodAutoscalers, { namespace: 'default', name: 'hamster-vpa' })) as VerticalPodAutoscaler;
    const rec = vpa.status.recommendation!.containerRecommendations![0]!;
    expect(rec.target).toEqual({ cpu: '250m' });
    expect(rec.uncappedTarget).toEqual({ cpu: '350m' });
    const pod = (await running(cluster))[0]!;
    expect(pod.spec.containers[0]!.resources?.requests).toMatchObject({ cpu: '250m', memory: '50Mi' });
    await cluster.stop();
  });

  it('warns with ConfigUnsupported when an HPA scales the same target on CPU', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: 1, metricsServer: true, verticalPodAutoscaler: true });
    await cluster.apply(hamster('Off'));
    await cluster.apply({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'hamster' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hamster' }, minReplicas: 1, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
    });
    await cluster.advance(2 * 60_000);
    const vpa = (await cluster.get(VerticalPodAutoscalers, { namespace: 'default', name: 'hamster-vpa' })) as VerticalPodAutoscaler;
    expect(vpa.status.conditions?.find((c) => c.type === 'ConfigUnsupported')).toMatchObject({ status: 'True', reason: 'HorizontalPodAutoscalerConflict' });
    await cluster.stop();
  });

  it('raises the memory recommendation after an OOM kill: the OOM counts as a sample of max(request, peak) bumped by 100Mi or 20 %', async () => {
    const cluster = await SimCluster.create({ seed: 11, nodes: 1, metricsServer: true, verticalPodAutoscaler: true });
    const leaky = (growth: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: leaky
spec:
  replicas: 1
  selector:
    matchLabels:
      app: leaky
  template:
    metadata:
      labels:
        app: leaky
      annotations:
        kubeloop.dev/behavior: memory=200Mi,memory-growth=${growth}
    spec:
      containers:
      - name: app
        image: registry.k8s.io/ubuntu-slim:0.14
        resources:
          requests:
            cpu: 100m
            memory: 250Mi
          limits:
            memory: 260Mi
---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: leaky-vpa
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: leaky
  updatePolicy:
    updateMode: "Off"
`;
    const memoryTarget = async (): Promise<number> => {
      const vpa = (await cluster.get(VerticalPodAutoscalers, { namespace: 'default', name: 'leaky-vpa' })) as VerticalPodAutoscaler;
      return Number(parseQuantity(vpa.status.recommendation!.containerRecommendations![0]!.target['memory']!).value());
    };
    // without a leak: usage stays at 200Mi, under the 260Mi limit
    const calm = await SimCluster.create({ seed: 11, nodes: 1, metricsServer: true, verticalPodAutoscaler: true });
    await calm.apply(leaky('0'));
    await calm.advance(6 * 60_000);
    const calmVpa = (await calm.get(VerticalPodAutoscalers, { namespace: 'default', name: 'leaky-vpa' })) as VerticalPodAutoscaler;
    const calmTarget = Number(parseQuantity(calmVpa.status.recommendation!.containerRecommendations![0]!.target['memory']!).value());
    expect(calmTarget).toBeLessThan(350 * 2 ** 20);
    await calm.stop();
    // 1Mi more a second: OOMKilled after a minute, again after each restart
    await cluster.apply(leaky('1Mi'));
    await cluster.advance(6 * 60_000);
    const pod = (await cluster.list(Pods)).items[0]!;
    expect(pod.status.containerStatuses?.[0]?.lastState?.terminated?.reason).toBe('OOMKilled');
    // max(250Mi request, peak) + 100Mi ≥ 350Mi, × 1.15 margin
    expect(await memoryTarget()).toBeGreaterThanOrEqual(Math.trunc(350 * 2 ** 20 * 1.15));
    await cluster.stop();
  });

  it('writes a VerticalPodAutoscalerCheckpoint per container, restores it after a recommender restart, and deletes it with the VPA', async () => {
    // the VPA runs in the controller manager here, so that crashing it restarts the recommender
    const cluster = await SimCluster.create({ seed: 12, nodes: 1, metricsServer: true, controllerManager: { plugins: [...DEFAULT_CONTROLLER_PLUGINS, verticalPodAutoscalerPlugin()] } });
    await cluster.apply(hamster('Off'));
    await cluster.advance(20 * 60_000);
    const checkpoint = (await cluster.get(VerticalPodAutoscalerCheckpoints, { namespace: 'default', name: 'hamster-vpa-hamster' })) as VerticalPodAutoscalerCheckpoint;
    expect(checkpoint.spec).toEqual({ vpaObjectName: 'hamster-vpa', containerName: 'hamster' });
    expect(checkpoint.status).toMatchObject({ version: 'v3', cpuHistogram: { totalWeight: expect.any(Number) }, memoryHistogram: { totalWeight: expect.any(Number) } });
    expect(Object.values(checkpoint.status.cpuHistogram?.bucketWeights ?? {})).toContain(10000);
    expect(checkpoint.status.totalSamplesCount).toBeGreaterThanOrEqual(15); // a sample a minute
    const upper = async (): Promise<number> => {
      const vpa = (await cluster.get(VerticalPodAutoscalers, { namespace: 'default', name: 'hamster-vpa' })) as VerticalPodAutoscaler;
      return parseQuantity(vpa.status.recommendation!.containerRecommendations![0]!.upperBound!['cpu']!).milliValue();
    };
    const before = await upper();
    await cluster.restartControllerManager();
    await cluster.advance(61_000);
    // the history came back: the upper bound (wide while confidence is low) did not widen again
    expect(await upper()).toBeLessThanOrEqual(before);
    const after = (await cluster.get(VerticalPodAutoscalerCheckpoints, { namespace: 'default', name: 'hamster-vpa-hamster' })) as VerticalPodAutoscalerCheckpoint;
    expect(after.status.totalSamplesCount).toBeGreaterThan(checkpoint.status.totalSamplesCount!);
    // a checkpoint whose VPA is gone (deleted while no recommender ran) goes at the next sweep (--checkpoints-gc-interval 10 min)
    await cluster.apply({ apiVersion: 'autoscaling.k8s.io/v1', kind: 'VerticalPodAutoscalerCheckpoint', metadata: { name: 'ghost-app', namespace: 'default' }, spec: { vpaObjectName: 'ghost', containerName: 'app' }, status: { version: 'v3' } });
    await cluster.advance(11 * 60_000);
    expect((await cluster.list(VerticalPodAutoscalerCheckpoints)).items.map((c) => c.metadata.name)).toEqual(['hamster-vpa-hamster']);
    await cluster.delete(VerticalPodAutoscalers, { namespace: 'default', name: 'hamster-vpa' });
    await cluster.advance(5_000);
    expect((await cluster.list(VerticalPodAutoscalerCheckpoints)).items).toEqual([]);
    await cluster.stop();
  });
});
