/**
 * Traffic through a whole simulated cluster: kube-proxy's routing from the EndpointSlices,
 * cluster DNS, images' answers and `wget` loops as load (issue 19).
 */
import { describe, expect, it } from 'vitest';
import { Deployments, PodMetricses, Pods, tryParseQuantity } from '@kubeloop/core';
import { SimCluster } from './cluster.js';

const whoami = (replicas: number, extra = '') => `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: whoami}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: whoami}}
  template:
    metadata: {labels: {app: whoami}}
    spec:
      containers:
        - {name: web, image: kiamol/ch02-whoami, ports: [{containerPort: 80, name: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: whoami}
spec:
  selector: {app: whoami}
  ports: [{port: 8088, targetPort: 80, name: http}]
${extra}`;

const client = `
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: sh, image: busybox, command: [sh, -c, 'sleep 1d']}]
`;

async function cluster(nodes = 3): Promise<SimCluster> {
  return SimCluster.create({ seed: 19, nodes });
}

describe('traffic in a SimCluster', () => {
  it('spreads requests to a Service evenly over its ready pods, from a pod by the Service name', async () => {
    const c = await cluster();
    try {
      await c.apply(whoami(3) + '---' + client);
      await c.settle();
      const counts = new Map<string, number>();
      for (let i = 0; i < 300; i++) {
        const out = c.traffic!.send({ from: { kind: 'pod', pod: { namespace: 'default', name: 'client' } }, url: 'http://whoami:8088/' });
        expect(out.kind).toBe('response');
        if (out.kind === 'response') {
          expect(out.body).toBe(`I'm ${out.backend.name} running on Linux x64`);
          counts.set(out.backend.name, (counts.get(out.backend.name) ?? 0) + 1);
        }
      }
      expect(counts.size).toBe(3);
      for (const n of counts.values()) expect(n).toBeGreaterThan(70);
    } finally {
      await c.stop();
    }
  });

  it('routes the same way with the same seed', async () => {
    const run = async (): Promise<string[]> => {
      const c = await cluster();
      try {
        await c.apply(whoami(3) + '---' + client);
        await c.settle();
        return Array.from({ length: 20 }, () => {
          const out = c.traffic!.send({ from: { kind: 'pod', pod: { namespace: 'default', name: 'client' } }, url: 'http://whoami:8088/' });
          return out.kind === 'response' ? out.backend.name : out.kind;
        });
      } finally {
        await c.stop();
      }
    };
    expect(await run()).toEqual(await run());
  });

  it('refuses connections to a Service without endpoints, and does not resolve unknown names', async () => {
    const c = await cluster();
    try {
      await c.apply(whoami(0) + '---' + client);
      await c.settle();
      const from = { kind: 'pod' as const, pod: { namespace: 'default', name: 'client' } };
      expect(c.traffic!.send({ from, url: 'http://whoami:8088/' })).toMatchObject({ kind: 'refused', reason: 'service default/whoami:http has no endpoints' });
      expect(c.traffic!.send({ from, url: 'http://nothing-here/' })).toMatchObject({ kind: 'unresolved' });
    } finally {
      await c.stop();
    }
  });

  it('answers nslookup and wget in a pod through cluster DNS and the Service', async () => {
    const c = await cluster();
    try {
      await c.apply(whoami(1) + '---' + client);
      await c.settle();
      const pod = c.traffic!.pod({ namespace: 'default', name: 'client' })!;
      const svc = c.traffic!.tables().services.get('default/whoami')!;
      const ns = c.traffic!.exec(pod, 'nslookup whoami');
      expect(ns.output).toContain(`Name:\twhoami.default.svc.cluster.local`);
      expect(ns.output).toContain(`Address: ${svc.spec!.clusterIP}`);
      const get = c.traffic!.exec(pod, 'wget -q -O- http://whoami.default.svc.cluster.local:8088');
      expect(get.output).toMatch(/^I'm whoami-\w+ running on Linux x64$/);
      expect(c.traffic!.exec(pod, 'hostname').output).toBe('client\n');
    } finally {
      await c.stop();
    }
  });

  it('reaches a NodePort Service on every node, from outside', async () => {
    const c = await cluster();
    try {
      await c.apply(whoami(2, `  type: NodePort`).replace('targetPort: 80, name: http}]', 'targetPort: 80, name: http, nodePort: 30080}]'));
      await c.settle();
      for (const node of ['node-1', 'node-2', 'node-3']) {
        expect(c.traffic!.send({ url: `http://${node}:30080/` })).toMatchObject({ kind: 'response', status: 200 });
      }
    } finally {
      await c.stop();
    }
  });

  it('turns a wget loop into a flow at its rate, spread over the backends, and counts its requests', async () => {
    const c = await cluster();
    try {
      await c.apply(whoami(2) + '---' + client.replace("'sleep 1d'", "'while sleep 0.01; do wget -q -O- http://whoami:8088; done'"));
      await c.settle();
      const flows = c.traffic!.flows();
      expect(flows).toMatchObject([{ source: { name: 'client' }, url: 'http://whoami:8088', ratePerSecond: 100 }]);
      const pods = [...c.traffic!.tables().podsByIP.values()].map((p) => p.pod.metadata.name!).filter((n) => n.startsWith('whoami'));
      for (const name of pods) expect(c.traffic!.flowRate({ namespace: 'default', name })).toBeCloseTo(50);
      const before = c.traffic!.requestCount({ namespace: 'default', name: pods[0]! });
      await c.advance(60_000);
      expect(c.traffic!.requestCount({ namespace: 'default', name: pods[0]! }) - before).toBeCloseTo(3000);
    } finally {
      await c.stop();
    }
  });

  it('feeds the CPU of the requests a loop sends into the metrics pipeline: 100 req/s × 6.5 ms on php-apache, capped at its 500m limit', async () => {
    const c = await SimCluster.create({ seed: 19, nodes: 2, metricsServer: true });
    try {
      await c.apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: php-apache}
spec:
  replicas: 2
  selector: {matchLabels: {run: php-apache}}
  template:
    metadata: {labels: {run: php-apache}}
    spec:
      containers:
        - name: php-apache
          image: registry.k8s.io/hpa-example
          ports: [{containerPort: 80}]
          resources: {requests: {cpu: 200m}, limits: {cpu: 500m}}
---
apiVersion: v1
kind: Service
metadata: {name: php-apache}
spec:
  selector: {run: php-apache}
  ports: [{port: 80}]
`);
      await c.settle();
      await c.advance(30_000);
      const idle = (await c.list(PodMetricses)).items.map((m) => tryParseQuantity(m.containers[0]!.usage['cpu']!)!.milliValue());
      expect(idle).toEqual([1, 1]);
      // kubectl run -i --tty load-generator --image=busybox:1.28 -- /bin/sh -c "while sleep 0.01; do wget -q -O- http://php-apache; done"
      await c.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'load-generator' }, spec: { containers: [{ name: 'load-generator', image: 'busybox:1.28', command: ['/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://php-apache; done'] }] } });
      await c.advance(60_000);
      const loaded = (await c.list(PodMetricses)).items.filter((m) => m.metadata.name!.startsWith('php-apache')).map((m) => tryParseQuantity(m.containers[0]!.usage['cpu']!)!.milliValue());
      // 50 req/s each × 6.5 ms = 325m, plus the 1m baseline
      expect(loaded).toEqual([326, 326]);
      // the load pod deleted, the CPU goes back to the baseline
      await c.delete(Pods, { namespace: 'default', name: 'load-generator' });
      await c.advance(60_000);
      expect((await c.list(PodMetricses)).items.map((m) => tryParseQuantity(m.containers[0]!.usage['cpu']!)!.milliValue())).toEqual([1, 1]);
      // with one pod, it gets all 100 req/s × 6.5 ms = 650m (+1m), throttled to its 500m limit
      await c.server.patch(Deployments, { namespace: 'default', name: 'php-apache' }, { type: 'merge', body: { spec: { replicas: 1 } } });
      await c.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'load-generator-2' }, spec: { containers: [{ name: 'load-generator', image: 'busybox:1.28', command: ['/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://php-apache; done'] }] } });
      await c.advance(60_000);
      expect((await c.list(PodMetricses)).items.filter((m) => m.metadata.name!.startsWith('php-apache')).map((m) => tryParseQuantity(m.containers[0]!.usage['cpu']!)!.milliValue())).toEqual([500]);
    } finally {
      await c.stop();
    }
  });
});
