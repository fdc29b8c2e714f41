/**
 * ingress-nginx's routing (createServers, nginx location matching, the Lua balancer's canary
 * choice) as pure functions, on walkthrough 11's shop: / to shop, /customer and /order to
 * theirs, a canary for /order by weight and by header, TLS from a Secret.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@kubeloop/core';
import type { Ingress, IngressClass, Secret, Service } from '@kubeloop/core';
import { servesIngress } from './class.js';
import { buildIngressTable, routeIngressRequest, routesToCanary } from './routing.js';
import type { IngressObjects, IngressRequest } from './routing.js';
import { checkCertificate } from './tls.js';
import { weightedIngressRoutes } from './router.js';

/** A self-signed P-256 certificate for shop.example.com and *.shop.example.com, and its key (base64 PEM, as in a Secret). */
const TLS_CRT = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ3RENDQVdhZ0F3SUJBZ0lVR2hIVjJCU1ZZcC9sMkNiYVhmRmdPWXM1aE84d0NnWUlLb1pJemowRUF3SXcKR3pFWk1CY0dBMVVFQXd3UWMyaHZjQzVsZUdGdGNHeGxMbU52YlRBZ0Z3MHlOakV5TURVeU1qTTBOVEZhR0E4eQpNVEkyTVRFeE1USXlNelExTVZvd0d6RVpNQmNHQTFVRUF3d1FjMmh2Y0M1bGVHRnRjR3hsTG1OdmJUQlpNQk1HCkJ5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEEwSUFCSndSSEtNTk0wVTlGc0hvNWtjQ2RLUHdYZDU5dlN2T0g0NHcKR1JUcGQvNTQ2RDU2ZHFBUUd6VmV1V2hDbkJmdkJUdm96S2RSTGRkNWxIa0luUU52bUR1amdZVXdnWUl3SFFZRApWUjBPQkJZRUZCK1p5RitQbzRKRzV4T2xkbVB1dXM1U25WMHFNQjhHQTFVZEl3UVlNQmFBRkIrWnlGK1BvNEpHCjV4T2xkbVB1dXM1U25WMHFNQThHQTFVZEV3RUIvd1FGTUFNQkFmOHdMd1lEVlIwUkJDZ3dKb0lRYzJodmNDNWwKZUdGdGNHeGxMbU52YllJU0tpNXphRzl3TG1WNFlXMXdiR1V1WTI5dE1Bb0dDQ3FHU000OUJBTUNBMGdBTUVVQwpJUUR5eCtZWW9qUVpNNnRXdFgwUk5aY2ZHMHJ4c09BcktVNUpPdENqa0o0S2d3SWdFVzBmMnpqK3VhZ0p1STZDCmYrRHhvTzA4Qy9zcDNXdkRHcDJjTkx4VEFXOD0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=';
const TLS_KEY = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJHMHdhd0lCQVFRZ0t1cEFac3VYbHZNVTdrMTcKZzI2RTBvVUZPeGVhSStjaUVQM0Faelk0bGQyaFJBTkNBQVNjRVJ5akRUTkZQUmJCNk9aSEFuU2o4RjNlZmIwcgp6aCtPTUJrVTZYZitlT2crZW5hZ0VCczFYcmxvUXB3WDd3VTc2TXluVVMzWGVaUjVDSjBEYjVnNwotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==';

const nginx: IngressClass = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
const other: IngressClass = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'traefik' }, spec: { controller: 'traefik.io/ingress-controller' } };

function svc(name: string, ports: { name?: string; port: number }[] = [{ port: 80 }]): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', sessionAffinity: 'None', ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) }, status: {} } as Service;
}

type Path = { path: string; pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific'; service: string; port?: number | string };
function ing(name: string, at: string, rules: { host?: string; paths: Path[] }[], extra: { annotations?: Record<string, string>; spec?: Partial<Ingress['spec']> } = {}): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', creationTimestamp: at, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      ingressClassName: 'nginx',
      rules: rules.map((r) => ({
        ...(r.host === undefined ? {} : { host: r.host }),
        http: { paths: r.paths.map((p) => ({ path: p.path, pathType: p.pathType ?? 'Prefix', backend: { service: { name: p.service, port: typeof p.port === 'string' ? { name: p.port } : { number: p.port ?? 80 } } } })) },
      })),
      ...extra.spec,
    },
    status: {},
  } as Ingress;
}

const shop = ing('shop', '2026-01-01T00:00:00Z', [{ host: 'shop.example.com', paths: [{ path: '/', service: 'shop' }, { path: '/customer', service: 'customer' }, { path: '/order', service: 'order' }] }]);
const services = [svc('shop'), svc('customer'), svc('order'), svc('order-canary'), svc('named', [{ name: 'http', port: 8080 }])];
const objects = (ingresses: Ingress[], secrets: Secret[] = []): IngressObjects => ({ ingresses, ingressClasses: [nginx, other], services, secrets });
const never = { int: (): number => { throw new Error('no draw expected'); } };

function to(ingresses: Ingress[], request: IngressRequest, rng = never): string {
  const r = routeIngressRequest(buildIngressTable(objects(ingresses)), request, rng);
  return r.kind === 'backend' ? `${r.service}:${r.port}${r.path}${r.canary ? ' (canary)' : ''}` : r.kind === 'redirect' ? `308 ${r.location}` : String(r.status);
}

describe('ingress-nginx class', () => {
  it('serves ingressClassName nginx, the legacy annotation, and no class only when its IngressClass is the default', () => {
    expect(servesIngress(shop, [nginx])).toBe(true);
    expect(servesIngress({ ...shop, spec: { ...shop.spec, ingressClassName: 'traefik' } }, [nginx, other])).toBe(false);
    const legacy = { ...shop, metadata: { ...shop.metadata, annotations: { 'kubernetes.io/ingress.class': 'nginx' } }, spec: { ...shop.spec, ingressClassName: undefined } } as Ingress;
    expect(servesIngress(legacy, [])).toBe(true);
    const classless = { ...shop, spec: { ...shop.spec, ingressClassName: undefined } } as Ingress;
    expect(servesIngress(classless, [nginx])).toBe(false);
    expect(servesIngress(classless, [{ ...nginx, metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } }])).toBe(true);
  });
});

describe('routeIngressRequest (nginx server and location matching)', () => {
  it('sends / to shop and /customer, /order to theirs, element-wise', () => {
    expect(to([shop], { host: 'shop.example.com', path: '/' })).toBe('shop:80/');
    expect(to([shop], { host: 'SHOP.example.com:80', path: '/customer/42' })).toBe('customer:80/customer/42');
    expect(to([shop], { host: 'shop.example.com', path: '/order' })).toBe('order:80/order');
    expect(to([shop], { host: 'shop.example.com', path: '/orders' })).toBe('shop:80/orders');
  });

  it("answers 404 from the controller's default backend for an unknown host, and uses an Ingress defaultBackend", () => {
    expect(to([shop], { host: 'other.example.com', path: '/' })).toBe('404');
    const catchAll = ing('fallback', '2026-01-02T00:00:00Z', [], { spec: { rules: undefined, defaultBackend: { service: { name: 'shop', port: { number: 80 } } } } });
    expect(to([shop, catchAll], { host: 'other.example.com', path: '/x' })).toBe('shop:80/x');
    const hostDefault = ing('api', '2026-01-02T00:00:00Z', [{ host: 'api.example.com', paths: [{ path: '/v1', service: 'order' }] }], { spec: { defaultBackend: { service: { name: 'customer', port: { number: 80 } } } } });
    expect(to([hostDefault], { host: 'api.example.com', path: '/elsewhere' })).toBe('customer:80/elsewhere');
  });

  it('prefers an Exact path, then the longest prefix; ImplementationSpecific is a plain prefix', () => {
    const i = ing('p', '2026-01-01T00:00:00Z', [
      { host: 'a.example.com', paths: [{ path: '/foo', pathType: 'Exact', service: 'order' }, { path: '/foo', service: 'customer' }, { path: '/foo/bar', service: 'shop' }, { path: '/imp', pathType: 'ImplementationSpecific', service: 'order' }] },
    ]);
    expect(to([i], { host: 'a.example.com', path: '/foo' })).toBe('order:80/foo');
    expect(to([i], { host: 'a.example.com', path: '/foo/' })).toBe('customer:80/foo/');
    expect(to([i], { host: 'a.example.com', path: '/foo/bar/baz' })).toBe('shop:80/foo/bar/baz');
    expect(to([i], { host: 'a.example.com', path: '/important' })).toBe('order:80/important');
  });

  it('matches a wildcard host on exactly one label, after exact hosts', () => {
    const w = ing('w', '2026-01-01T00:00:00Z', [{ host: '*.example.com', paths: [{ path: '/', service: 'customer' }] }]);
    expect(to([shop, w], { host: 'shop.example.com', path: '/' })).toBe('shop:80/');
    expect(to([shop, w], { host: 'x.example.com', path: '/' })).toBe('customer:80/');
    expect(to([shop, w], { host: 'a.b.example.com', path: '/' })).toBe('404');
  });

  it('resolves service ports by name, and answers 503 for a missing Service or port', () => {
    const n = ing('n', '2026-01-01T00:00:00Z', [{ host: 'n.example.com', paths: [{ path: '/', service: 'named', port: 'http' }, { path: '/gone', service: 'gone' }, { path: '/bad', service: 'named', port: 'grpc' }] }]);
    expect(to([n], { host: 'n.example.com', path: '/' })).toBe('named:8080/');
    expect(to([n], { host: 'n.example.com', path: '/gone' })).toBe('503');
    expect(to([n], { host: 'n.example.com', path: '/bad' })).toBe('503');
  });

  it('keeps the oldest Ingress for a host and path', () => {
    const later = ing('later', '2026-01-05T00:00:00Z', [{ host: 'shop.example.com', paths: [{ path: '/customer', service: 'order' }] }]);
    expect(to([later, shop], { host: 'shop.example.com', path: '/customer' })).toBe('customer:80/customer');
  });

  it('rewrites with rewrite-target and regex paths, case-insensitively', () => {
    const r = ing('r', '2026-01-01T00:00:00Z', [{ host: 'r.example.com', paths: [{ path: '/something(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'shop' }] }], { annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' } });
    expect(to([r], { host: 'r.example.com', path: '/something/new' })).toBe('shop:80/new');
    expect(to([r], { host: 'r.example.com', path: '/SOMETHING' })).toBe('shop:80/');
  });
});

describe('canary Ingresses (route_to_alternative_balancer)', () => {
  const canary = (annotations: Record<string, string>): Ingress =>
    ing('shop-canary', '2026-01-02T00:00:00Z', [{ host: 'shop.example.com', paths: [{ path: '/order', service: 'order-canary' }] }], { annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', ...annotations } });

  it('sends a request to the canary by header, then cookie, then weight', () => {
    const c = canary({ 'nginx.ingress.kubernetes.io/canary-by-header': 'canary', 'nginx.ingress.kubernetes.io/canary-by-cookie': 'beta', 'nginx.ingress.kubernetes.io/canary-weight': '0' });
    const req = (headers: Record<string, string>, cookies: Record<string, string> = {}): IngressRequest => ({ host: 'shop.example.com', path: '/order', headers, cookies });
    expect(to([shop, c], req({ canary: 'always' }))).toBe('order-canary:80/order (canary)');
    expect(to([shop, c], req({ Canary: 'never' }, { beta: 'always' }))).toBe('order:80/order');
    expect(to([shop, c], req({ canary: 'maybe' }, { beta: 'always' }))).toBe('order-canary:80/order (canary)');
    expect(to([shop, c], req({}, { beta: 'never' }))).toBe('order:80/order');
    // other paths of the host never reach the canary
    expect(to([shop, c], { host: 'shop.example.com', path: '/customer', headers: { canary: 'always' } })).toBe('customer:80/customer');
  });

  it('matches canary-by-header-value exactly and canary-by-header-pattern as a regex', () => {
    const byValue = canary({ 'nginx.ingress.kubernetes.io/canary-by-header': 'x-region', 'nginx.ingress.kubernetes.io/canary-by-header-value': 'eu' });
    expect(to([shop, byValue], { host: 'shop.example.com', path: '/order', headers: { 'x-region': 'eu' } })).toBe('order-canary:80/order (canary)');
    expect(to([shop, byValue], { host: 'shop.example.com', path: '/order', headers: { 'x-region': 'always' } })).toBe('order:80/order');
    const byPattern = canary({ 'nginx.ingress.kubernetes.io/canary-by-header': 'x-region', 'nginx.ingress.kubernetes.io/canary-by-header-pattern': '^(eu|us)-' });
    expect(to([shop, byPattern], { host: 'shop.example.com', path: '/order', headers: { 'x-region': 'us-east' } })).toBe('order-canary:80/order (canary)');
  });

  it('draws 1..canary-weight-total and goes to the canary when the draw is at most the weight', () => {
    const policy = { backend: { namespace: 'default', name: 'x', port: {} }, ingress: 'default/x', weight: 10, weightTotal: 100 };
    expect(routesToCanary(policy, { host: '', path: '/' }, { int: () => 9 })).toBe(true);
    expect(routesToCanary(policy, { host: '', path: '/' }, { int: () => 10 })).toBe(false);
    expect(routesToCanary({ ...policy, weight: 100 }, { host: '', path: '/' }, { int: () => 99 })).toBe(true);
  });

  it.each([
    { weight: '10', total: undefined, p: 0.1 },
    { weight: '30', total: undefined, p: 0.3 },
    { weight: '1', total: '1000', p: 0.001 },
  ])('sends a share of requests within binomial bounds of canary-weight / (seeded)', ({ weight, total, p }) => {
    const c = canary({ 'nginx.ingress.kubernetes.io/canary-weight': weight, ...(total === undefined ? {} : { 'nginx.ingress.kubernetes.io/canary-weight-total': total }) });
    const table = buildIngressTable(objects([shop, c]));
    const rng = seededRng(11);
    const n = 20_000;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const r = routeIngressRequest(table, { host: 'shop.example.com', path: '/order' }, rng);
      if (r.kind === 'backend' && r.canary) hits++;
    }
    // 4.5 standard deviations of Binomial(n, p): a correct router fails this about once in 150,000 seeds.
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(hits - n * p)).toBeLessThanOrEqual(4.5 * sd);
  });
});

describe('TLS (createServers with GetLocalSSLCert)', () => {
  const secret = (data: Record<string, string>): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls', namespace: 'default' }, type: 'kubernetes.io/tls', data }) as Secret;
  const tlsShop = { ...shop, spec: { ...shop.spec, tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] } } as Ingress;

  it('checks the PEM pair and the host', () => {
    expect(checkCertificate('default/shop-tls', secret({ 'tls.crt': TLS_CRT, 'tls.key': TLS_KEY }), 'shop.example.com')).toEqual({ ok: true });
    expect(checkCertificate('default/shop-tls', secret({ 'tls.crt': TLS_CRT, 'tls.key': TLS_KEY }), 'api.shop.example.com')).toEqual({ ok: true });
    expect(checkCertificate('default/shop-tls', undefined, 'shop.example.com')).toEqual({ ok: false, error: 'local SSL certificate default/shop-tls was not found' });
    expect(checkCertificate('default/shop-tls', secret({ 'tls.crt': 'bm90IGEgY2VydA==', 'tls.key': TLS_KEY }), 'shop.example.com').ok).toBe(false);
    expect(checkCertificate('default/shop-tls', secret({ 'tls.crt': TLS_CRT, 'tls.key': TLS_KEY }), 'other.example.com')).toEqual({
      ok: false,
      error: 'SSL certificate default/shop-tls does not contain a Common Name or Subject Alternative Name for server other.example.com',
    });
  });

  it('redirects HTTP to HTTPS with 308 for a TLS host, serves HTTPS with the Secret, or the fake certificate when it is missing', () => {
    const good = buildIngressTable(objects([tlsShop], [secret({ 'tls.crt': TLS_CRT, 'tls.key': TLS_KEY })]));
    expect(routeIngressRequest(good, { host: 'shop.example.com', path: '/order?id=1' }, never)).toEqual({ kind: 'redirect', status: 308, location: 'https://shop.example.com/order?id=1' });
    expect(routeIngressRequest(good, { host: 'shop.example.com', path: '/order', scheme: 'https' }, never)).toMatchObject({ kind: 'backend', service: 'order', certificate: 'default/shop-tls' });
    const missing = buildIngressTable(objects([tlsShop]));
    expect(missing.servers.get('shop.example.com')?.tls).toEqual({ secret: 'default/shop-tls', certificateOk: false, error: 'local SSL certificate default/shop-tls was not found' });
    expect(routeIngressRequest(missing, { host: 'shop.example.com', path: '/', scheme: 'https' }, never)).toMatchObject({ kind: 'backend', certificate: 'default-fake-certificate' });
    const noRedirect = { ...tlsShop, metadata: { ...tlsShop.metadata, annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' } } } as Ingress;
    expect(to([noRedirect], { host: 'shop.example.com', path: '/' })).toBe('shop:80/');
    const forced = { ...shop, metadata: { ...shop.metadata, annotations: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' } } } as Ingress;
    expect(to([forced], { host: 'shop.example.com', path: '/' })).toBe('308 https://shop.example.com/');
  });
});

describe('weighted routes (what the traffic model draws from)', () => {
  const canary = (annotations: Record<string, string>): Ingress =>
    ing('shop-canary', '2026-01-02T00:00:00Z', [{ host: 'shop.example.com', paths: [{ path: '/order', service: 'order-canary' }] }], { annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', ...annotations } });
  const shares = (ingresses: Ingress[], request: IngressRequest) =>
    weightedIngressRoutes(buildIngressTable(objects(ingresses)), request).map((w) => `${w.weight} ${w.route.kind === 'backend' ? `${w.route.service}${w.route.canary ? ' (canary)' : ''}` : String(w.route.status)}`);

  it('splits a canary by weight as canary-weight and the rest of canary-weight-total, and is certain when the header decides or there is no canary', () => {
    const c = canary({ 'nginx.ingress.kubernetes.io/canary-weight': '10', 'nginx.ingress.kubernetes.io/canary-by-header': 'canary' });
    expect(shares([shop, c], { host: 'shop.example.com', path: '/order' })).toEqual(['10 order-canary (canary)', '90 order']);
    expect(shares([shop, c], { host: 'shop.example.com', path: '/order', headers: { canary: 'always' } })).toEqual(['1 order-canary (canary)']);
    expect(shares([shop, c], { host: 'shop.example.com', path: '/order', headers: { canary: 'never' } })).toEqual(['1 order']);
    expect(shares([shop, c], { host: 'shop.example.com', path: '/customer' })).toEqual(['1 customer']);
    expect(shares([shop, c], { host: 'other.example.com', path: '/' })).toEqual(['1 404']);
    const total = canary({ 'nginx.ingress.kubernetes.io/canary-weight': '1', 'nginx.ingress.kubernetes.io/canary-weight-total': '1000' });
    expect(shares([shop, total], { host: 'shop.example.com', path: '/order' })).toEqual(['1 order-canary (canary)', '999 order']);
    const all = canary({ 'nginx.ingress.kubernetes.io/canary-weight': '100' });
    expect(shares([shop, all], { host: 'shop.example.com', path: '/order' })).toEqual(['1 order-canary (canary)']);
    expect(shares([shop, canary({ 'nginx.ingress.kubernetes.io/canary-weight': '0' })], { host: 'shop.example.com', path: '/order' })).toEqual(['1 order']);
  });

  it('agrees with routeIngressRequest: the share of draws that pick the canary is the canary weight', () => {
    const table = buildIngressTable(objects([shop, canary({ 'nginx.ingress.kubernetes.io/canary-weight': '30' })]));
    const request = { host: 'shop.example.com', path: '/order' };
    let picked = 0;
    for (let draw = 0; draw < 100; draw++) {
      const r = routeIngressRequest(table, request, { int: () => draw });
      if (r.kind === 'backend' && r.canary) picked++;
    }
    expect(weightedIngressRoutes(table, request)[0]!.weight).toBe(picked);
  });
});
