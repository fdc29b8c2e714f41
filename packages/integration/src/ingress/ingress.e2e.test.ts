/**
 * ingress-nginx's control loop end to end on a SimCluster: Ingresses of its class (by
 * `ingressClassName`, the legacy annotation, or none with a default IngressClass) publish the
 * controller Service's address, follow it when it changes, and others are left alone; a
 * controller that cannot see its Service is caught by `ingressStatusPublished`.
 */
import { describe, expect, it } from 'vitest';
import { ingressNginxPlugin, ingressStatusPublished } from '@kubeloop/controllers';
import { Events, IngressClasses, Ingresses, Services } from '@kubeloop/core';
import type { Ingress, Plugin } from '@kubeloop/core';
import { DEFAULT_CONTROLLER_PLUGINS, SimCluster } from '@kubeloop/testing';
import { sabotaged } from '../sabotage.js';

const controllerService = (externalIPs?: string[]) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx' },
  spec: { type: 'NodePort', selector: { app: 'ingress-nginx' }, ports: [{ name: 'http', port: 80 }], ...(externalIPs ? { externalIPs } : {}) },
});
const base = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress-nginx' } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'traefik' }, spec: { controller: 'traefik.io/ingress-controller' } },
  controllerService(),
];
const ingress = (name: string, extra: { className?: string; annotations?: Record<string, string> } = {}) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  spec: {
    ...(extra.className ? { ingressClassName: extra.className } : {}),
    rules: [{ host: `${name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] } }],
  },
});

async function addresses(c: SimCluster): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const i of (await c.list(Ingresses, { namespace: 'default' })).items) out[i.metadata.name ?? ''] = (i.status.loadBalancer?.ingress ?? []).map((x) => x.ip ?? x.hostname).join(',');
  return out;
}

async function cluster(plugins?: readonly Plugin[]): Promise<SimCluster> {
  return SimCluster.create({ seed: 11, nodes: 1, ...(plugins ? { controllerManager: { plugins } } : { ingressNginx: true }) });
}

describe('ingress-nginx on a SimCluster', () => {
  it("publishes the controller Service's address on the Ingresses of its class only, and follows it", async () => {
    const c = await cluster();
    try {
      await c.apply(base);
      await c.apply([ingress('shop', { className: 'nginx' }), ingress('legacy', { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }), ingress('other', { className: 'traefik' }), ingress('classless')]);
      await c.settle();
      const clusterIP = (await c.get(Services, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' })).spec.clusterIP ?? '';
      expect(await addresses(c)).toEqual({ classless: '', legacy: clusterIP, other: '', shop: clusterIP });
      // a NodePort Service with external IPs publishes those
      await c.apply(controllerService(['198.51.100.7']));
      await c.settle();
      expect(await addresses(c)).toEqual({ classless: '', legacy: '198.51.100.7', other: '', shop: '198.51.100.7' });
      // nginx made the default class: the classless Ingress is served too
      await c.apply({ ...base[1], metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } });
      await c.settle();
      expect((await addresses(c))['classless']).toBe('198.51.100.7');
      const syncs = (await c.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'Sync').map((e) => e.involvedObject.name).sort();
      expect(syncs).toEqual(['classless', 'legacy', 'shop']);
      const state = { ingresses: (await c.list(Ingresses)).items, ingressClasses: (await c.list(IngressClasses)).items, publishService: await c.get(Services, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }) };
      expect(ingressStatusPublished(state)).toEqual([]);
    } finally {
      await c.stop();
    }
  });

  it('a controller that cannot see its own Service publishes nothing, which ingressStatusPublished reports', async () => {
    const blind = sabotaged(ingressNginxPlugin(), { read: (r, o) => (r.resource === Services.resource && o.metadata.namespace === 'ingress-nginx' ? undefined : o) });
    const c = await cluster([...DEFAULT_CONTROLLER_PLUGINS, blind]);
    try {
      await c.apply(base);
      await c.apply(ingress('shop', { className: 'nginx' }));
      await c.settle();
      const state = { ingresses: (await c.list(Ingresses)).items as Ingress[], ingressClasses: (await c.list(IngressClasses)).items, publishService: await c.get(Services, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }) };
      expect(ingressStatusPublished(state).map((v) => v.objects[0]!.name)).toEqual(['shop']);
    } finally {
      await c.stop();
    }
  });
});
