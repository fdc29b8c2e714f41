import { describe, expect, it } from 'vitest';
import type { Event, Ingress, IngressClass, KubeObject, Service } from '@kubeloop/core';
import { ingressMissingTlsSecretsReported, ingressRoutesFollowRules, ingressStatusPublished } from './invariants.js';
import type { IngressRouteProbe } from './invariants.js';

const nginx = (isDefault = false): IngressClass =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx', ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) }, spec: { controller: 'k8s.io/ingress-nginx' } }) as IngressClass;

function ingress(name: string, created: string, spec: Partial<Ingress['spec']>, extra: { uid?: string; ip?: string; className?: string | null } = {}): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', uid: extra.uid ?? name, creationTimestamp: created },
    spec: { ...(extra.className === null ? {} : { ingressClassName: extra.className ?? 'nginx' }), ...spec },
    status: extra.ip === undefined ? {} : { loadBalancer: { ingress: [{ ip: extra.ip }] } },
  } as Ingress;
}

const path = (p: string, pathType: 'Prefix' | 'Exact', service: string) => ({ path: p, pathType, backend: { service: { name: service, port: { number: 80 } } } });
const service = (name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.9', ports: [{ port: 80 }] }, status: {} }) as Service;
const state = (objects: KubeObject[]) => ({ of: <T extends KubeObject>(kind: string) => objects.filter((o) => o.kind === kind) as T[] });

describe('ingressRoutesFollowRules', () => {
  // shop.example.com: `/` → web (older), `/api` Exact → api, `/api` Prefix → v1 (newer); `/` also named by the newer one → other
  const older = ingress('older', '2026-01-01T00:00:00Z', { rules: [{ host: 'shop.example.com', http: { paths: [path('/', 'Prefix', 'web'), path('/api', 'Exact', 'api')] } }] });
  const newer = ingress('newer', '2026-01-01T00:00:05Z', { rules: [{ host: 'shop.example.com', http: { paths: [path('/api', 'Prefix', 'v1'), path('/', 'Prefix', 'other')] } }] });
  const objects = [nginx(), older, newer, service('web'), service('api'), service('v1')];
  const rules: Record<string, string> = { '/': 'web', '/x': 'web', '/api': 'api', '/api/x': 'v1', '/apix': 'web' };
  const byRules: IngressRouteProbe = (r) => (rules[r.path] === undefined ? undefined : { kind: 'backend', namespace: 'default', service: rules[r.path] });

  it('passes a data plane that picks Exact, then the longest Prefix by element, the older Ingress keeping a shared path', () => {
    expect(ingressRoutesFollowRules(state(objects), byRules)).toEqual([]);
  });

  it('names the request, where it went and where the rules send it', () => {
    const stringPrefix: IngressRouteProbe = (r) => (r.path === '/apix' ? { kind: 'backend', namespace: 'default', service: 'v1' } : byRules(r));
    expect(ingressRoutesFollowRules(state(objects), stringPrefix).map((v) => v.message)).toEqual(['https://shop.example.com/apix went to Service default/v1, the rules send it to Service default/web (the longest matching Prefix path / of default/older)']);
  });

  it('wants a 503 for a backend Service that does not exist, and the defaultBackend or a 404 when no path matches', () => {
    const only = ingress('only', '2026-01-01T00:00:00Z', { defaultBackend: { service: { name: 'web', port: { number: 80 } } }, rules: [{ host: 'api.example.com', http: { paths: [path('/v1', 'Exact', 'gone')] } }] });
    const answers: Record<string, string> = { '/v1': 'unavailable', '/': 'backend', '/v1x': 'backend', '/v1/x': 'default-backend' };
    const probe: IngressRouteProbe = (r) => ({ kind: answers[r.path] ?? 'backend', namespace: 'default', service: 'web' });
    expect(ingressRoutesFollowRules(state([nginx(), only, service('web')]), probe).map((v) => v.message)).toEqual([
      'https://api.example.com/v1/x went to default-backend, the rules send it to Service default/web (no path of api.example.com matches: the defaultBackend of default/only)',
    ]);
  });

  it('leaves alone hosts it cannot judge: two Ingresses of the same second, wildcards, canaries', () => {
    const twin = ingress('twin', '2026-01-01T00:00:00Z', { rules: [{ host: 'shop.example.com', http: { paths: [path('/', 'Prefix', 'other')] } }] });
    const wildcard = ingress('wild', '2026-01-01T00:00:00Z', { rules: [{ host: '*.example.com', http: { paths: [path('/', 'Prefix', 'web')] } }] });
    const anything: IngressRouteProbe = () => ({ kind: 'default-backend' });
    expect(ingressRoutesFollowRules(state([nginx(), { ...older, spec: { ingressClassName: 'nginx', rules: [{ host: 'shop.example.com', http: { paths: [path('/', 'Prefix', 'web')] } }] } } as Ingress, twin, wildcard, service('web'), service('other')]), anything)).toEqual([]);
  });
});

describe('ingressStatusPublished', () => {
  it('judges an Ingress without a class once an IngressClass of ingress-nginx is the default', () => {
    const publish = { ...service('ingress-nginx-controller'), metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx' } } as Service;
    const classless = ingress('classless', '2026-01-01T00:00:00Z', { defaultBackend: { service: { name: 'web', port: { number: 80 } } } }, { className: null });
    expect(ingressStatusPublished({ ingresses: [classless], ingressClasses: [nginx()], publishService: publish })).toEqual([]);
    expect(ingressStatusPublished({ ingresses: [classless], ingressClasses: [nginx(true)], publishService: publish }).map((v) => v.message)).toEqual(["status.loadBalancer shows [], the controller's Service has [10.96.0.9]"]);
  });
});

describe('ingressMissingTlsSecretsReported', () => {
  const ing = ingress('shop', '2026-01-01T00:00:00Z', { tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }], defaultBackend: { service: { name: 'web', port: { number: 80 } } } }, { uid: 'u1' });
  const warning = (uid: string): Event =>
    ({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Ingress', name: 'shop', namespace: 'default', uid }, type: 'Warning', reason: 'SSLCertificateError', message: 'Error getting SSL certificate "default/shop-tls": local SSL certificate default/shop-tls was not found. Using default certificate' }) as Event;

  it('wants a Warning about this very Ingress for a TLS Secret that does not exist', () => {
    expect(ingressMissingTlsSecretsReported([ing], [nginx()], [], [warning('u1')])).toEqual([]);
    expect(ingressMissingTlsSecretsReported([ing], [nginx()], [], [warning('an-older-shop')]).map((v) => v.message)).toEqual(['names TLS Secret default/shop-tls, which does not exist, and has no Warning SSLCertificateError event about it']);
  });
});
