/**
 * An HPA on a `Pods` metric fed by real traffic: the custom metrics adapter's built-in provider
 * reads each pod's `requests-per-second` from the traffic model's request counters
 * (`TrafficRequestRates`: a Prometheus-style `rate()` over 30 s), so a
 * busybox `wget` loop through a Service scales the Deployment behind it.
 */
import { describe, expect, it } from 'vitest';
import { Deployments, HorizontalPodAutoscalers, MetricValues, Pods } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

const key = (name: string) => ({ namespace: 'default', name });

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: nginx, ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  metrics:
    - type: Pods
      pods:
        metric: {name: requests-per-second}
        target: {type: AverageValue, averageValue: "20"}
`;

/** The replicas of Deployment web, every 15 s over `ms`. */
async function replicasOver(cluster: SimCluster, ms: number): Promise<number[]> {
  const out: number[] = [];
  for (let t = 0; t < ms; t += 15_000) {
    await cluster.advance(15_000);
    out.push((await cluster.get(Deployments, key('web'))).spec.replicas ?? 1);
  }
  return out;
}

describe('requests-per-second from the traffic model', () => {
  it('scales a Deployment out under a 100 req/s wget loop and settles at ceil(100 / 20) = 5, each pod at 20 req/s; back to 1 after the loop is deleted', async () => {
    const cluster = await SimCluster.create({ seed: 5, nodes: 2, customMetrics: true });
    try {
      await cluster.apply(manifests);
      await cluster.settle();
      await cluster.advance(60_000);
      // idle: every running pod has a series at 0
      expect((await cluster.get(HorizontalPodAutoscalers, key('web'))).status.currentMetrics?.[0]).toEqual({ type: 'Pods', pods: { metric: { name: 'requests-per-second' }, current: { averageValue: '0' } } });
      // kubectl run load --image=busybox -- /bin/sh -c "while sleep 0.01; do wget -q -O- http://web; done"
      await cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'load', namespace: 'default' }, spec: { containers: [{ name: 'load', image: 'busybox', command: ['/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://web; done'] }] } });
      const up = await replicasOver(cluster, 10 * 60_000);
      // out within a minute; the 30 s rates lag behind the load's spreading, so it overshoots to
      // 6 (2 → 4 → 6: [2,4,4,6,...]), then settles at 5 once the 5-minute scale-down
      // stabilization has passed
      expect(up.slice(0, 4)).toEqual([2, 4, 4, 6]);
      expect(Math.max(...up)).toBe(6);
      expect(up.slice(-8)).toEqual([5, 5, 5, 5, 5, 5, 5, 5]);
      const h = await cluster.get(HorizontalPodAutoscalers, key('web'));
      expect(h.status.currentMetrics?.[0]).toEqual({ type: 'Pods', pods: { metric: { name: 'requests-per-second' }, current: { averageValue: '20' } } });
      const series = (await cluster.list(MetricValues, { namespace: 'default' })).items.filter((m) => m.describedObject.name.startsWith('web-'));
      expect(series.map((m) => m.value)).toEqual(['20', '20', '20', '20', '20']);
      // the loop stops: 0 req/s, and after the 5-minute scale-down stabilization, 1 replica
      await cluster.delete(Pods, key('load'));
      const down = await replicasOver(cluster, 7 * 60_000);
      expect(down.slice(0, 16)).toEqual(Array(16).fill(5));
      expect(down.at(-1)).toBe(1);
    } finally {
      await cluster.stop();
    }
  });
});
