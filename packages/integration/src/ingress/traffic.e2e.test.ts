/**
 * ingress-nginx in the traffic simulation, end to end: a request to the LoadBalancer address of
 * the `ingress-nginx-controller` Service reaches a controller pod (kube-proxy), which routes it by
 * the Ingress rules to the backend Service, which spreads it over that Service's pods; the
 * controller answers what it answers itself (404 default backend); no controller pod, no entry.
 */
import { describe, expect, it } from 'vitest';
import { Deployments, Pods, Services } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import type { RequestOutcome } from '@kubeloop/runtime-fake';

const controllerLabels = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' };
const deployment = (name: string, namespace: string, labels: Record<string, string>, image: string, replicas: number, ports: object[]) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image, ports }] } } },
});
const backend = (name: string, replicas: number) => [
  deployment(name, 'default', { app: name }, 'traefik/whoami', replicas, [{ containerPort: 80 }]),
  { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: name }, ports: [{ port: 8080, targetPort: 80 }] } },
];
const objects = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } },
  { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool', namespace: 'metallb-system' }, spec: { addresses: ['192.168.1.240-192.168.1.250'] } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress-nginx' } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
  deployment('ingress-nginx-controller', 'ingress-nginx', controllerLabels, 'registry.k8s.io/ingress-nginx/controller:v1.10.1', 2, [
    { name: 'http', containerPort: 80 },
    { name: 'https', containerPort: 443 },
  ]),
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx' },
    spec: { type: 'LoadBalancer', selector: controllerLabels, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'https', port: 443, targetPort: 'https' }] },
  },
  ...backend('web-a', 2),
  ...backend('web-b', 1),
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'web.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web-a', port: { number: 8080 } } } },
              { path: '/b', pathType: 'Prefix', backend: { service: { name: 'web-b', port: { number: 8080 } } } },
            ],
          },
        },
      ],
    },
  },
];

async function podsOf(c: SimCluster, namespace: string, app: (p: Pod) => boolean): Promise<string[]> {
  return (await c.list(Pods, { namespace })).items.filter(app).map((p) => p.metadata.name ?? '').sort();
}

const answered = (outcomes: readonly RequestOutcome[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const o of outcomes) {
    const key = o.kind === 'response' ? `${o.backend.name} ${o.status}` : o.kind;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
};

describe('ingress-nginx routes traffic that enters through its Service', () => {
  it('sends a request to the LoadBalancer address through a controller pod to the pods of the Ingress rule’s Service', async () => {
    const c = await SimCluster.create({ seed: 19, nodes: 2, ingressNginx: true });
    try {
      await c.apply(objects);
      await c.settle();
      const lb = (await c.get(Services, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' })).status.loadBalancer?.ingress?.[0]?.ip;
      expect(lb).toBe('192.168.1.240');
      const webA = await podsOf(c, 'default', (p) => p.metadata.labels?.['app'] === 'web-a');
      const webB = await podsOf(c, 'default', (p) => p.metadata.labels?.['app'] === 'web-b');
      const controllers = await podsOf(c, 'ingress-nginx', (p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'controller');
      expect([webA.length, webB.length, controllers.length]).toEqual([2, 1, 2]);
      const model = c.traffic!;
      model.clearRouted();
      const send = (path: string, host: string | undefined, n: number) => Array.from({ length: n }, () => model.send({ url: `http://${lb}${path}`, headers: host === undefined ? {} : { Host: host } }));

      const root = send('/', 'web.example.com', 200);
      expect([...answered(root).keys()].sort()).toEqual(webA.map((p) => `${p} 200`));
      for (const o of root) expect(o).toMatchObject({ kind: 'response', service: { namespace: 'default', name: 'web-a' }, hops: 1 });
      expect((root[0] as Extract<RequestOutcome, { kind: 'response' }>).body).toMatch(/^Hostname: web-a-/);
      // kube-proxy took each request to a controller pod first (via the load balancer), then to web-a
      const routed = model.routed();
      expect(routed.filter((r) => r.via === 'loadBalancer' && r.service.name === 'ingress-nginx-controller').length).toBe(200);
      expect(new Set(routed.filter((r) => r.via === 'loadBalancer').map((r) => r.pod?.name)).size).toBe(2); // both controller pods
      expect(routed.filter((r) => r.via === 'clusterIP' && r.service.name === 'web-a').length).toBe(200);

      expect([...answered(send('/b/items', 'web.example.com', 20)).keys()]).toEqual([`${webB[0]} 200`]);
      // the host is resolved from outside to the address the Ingress publishes
      expect([...answered(Array.from({ length: 20 }, () => model.send({ url: 'http://web.example.com/b' }))).keys()]).toEqual([`${webB[0]} 200`]);
      // no Ingress for the Host: the controller's default backend answers 404 itself
      const other = send('/', 'other.example.com', 20);
      for (const o of other) expect(o).toMatchObject({ kind: 'response', status: 404, service: { name: 'ingress-nginx-controller' }, hops: 0 });
      expect(controllers).toContain((other[0] as Extract<RequestOutcome, { kind: 'response' }>).backend.name);

      // without controller pods nothing enters
      await c.apply({ ...objects[4], spec: { ...(objects[4] as ReturnType<typeof deployment>).spec, replicas: 0 } });
      await c.settle();
      expect((await c.get(Deployments, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' })).status.replicas ?? 0).toBe(0);
      expect([...answered(send('/', 'web.example.com', 5)).keys()]).toEqual(['refused']);
    } finally {
      await c.stop();
    }
  });
});
