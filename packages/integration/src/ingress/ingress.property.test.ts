/**
 * ingress-nginx's control loop under random Ingress churn: Ingresses created, changed and
 * deleted (host rules with Prefix and Exact paths, a default backend, TLS hosts whose Secret
 * comes and goes) in each way of choosing a class — `ingressClassName: nginx` (ingress-nginx's
 * IngressClass), `traefik` (another controller's), the legacy `kubernetes.io/ingress.class`
 * annotation for either, or no class at all while one or the other IngressClass is marked
 * default — with their backend Services and pods appearing and disappearing, and the
 * controller's own Service (`--publish-service`) changing type and external IPs, deleted and
 * made again; with controller-manager crashes, then cut watches and lagging Ingress and Service
 * caches.
 *
 * Checked: the invariants the plugin registers — once settled, every Ingress of ingress-nginx's
 * class shows its Service's address (`ingressStatusPublished`) and has a Warning event for each
 * TLS Secret it names that does not exist (`ingressMissingTlsSecretsReported`); ingress-nginx
 * never writes its address into an Ingress of another class or of none it serves
 * (`ingressStatusOfOtherClassesUntouched`, transition); and, once settled, its data plane
 * sends each request for a host of its Ingresses to the Service of the Exact, else longest
 * Prefix path, else to the defaultBackend (`ingressRoutesFollowRules`). Each is then shown failing on an
 * ingress-nginx broken on purpose (`../sabotage.ts`).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ingressNginxPlugin } from '@kubeloop/controllers';
import { IngressClasses, Ingresses, Pods, Secrets, Services } from '@kubeloop/core';
import type { Ingress, IngressClass, KubeObject, Plugin, Service } from '@kubeloop/core';
import { DEEP, DEFAULT_CONTROLLER_PLUGINS, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 200 : 8;
const MAX_STEPS = 12;
const NODES = 1;
const ns = 'default';
const CONTROLLER_NS = 'ingress-nginx';
const CONTROLLER_SERVICE = 'ingress-nginx-controller';

/** How an Ingress chooses its class. */
type ClassChoice = 'nginx' | 'traefik' | 'legacy-nginx' | 'legacy-traefik' | 'none';
/** What the controller's own Service looks like. */
type PublishShape = 'NodePort' | 'NodePort+externalIPs' | 'ClusterIP' | 'LoadBalancer' | 'deleted';

interface IngressShape {
  readonly i: number;
  readonly cls: ClassChoice;
  readonly host: 'shop.example.com' | 'api.example.com' | '*.example.com' | '';
  readonly paths: readonly { readonly path: string; readonly pathType: 'Prefix' | 'Exact'; readonly app: number }[];
  readonly defaultBackend: boolean;
  readonly tls: boolean;
}

type Step =
  | ({ readonly kind: 'ingress' } & IngressShape)
  | { readonly kind: 'deleteIngress'; readonly i: number }
  | { readonly kind: 'backend'; readonly app: number; readonly up: boolean }
  | { readonly kind: 'pod'; readonly app: number; readonly up: boolean }
  | { readonly kind: 'secret'; readonly i: number; readonly up: boolean }
  | { readonly kind: 'defaultClass'; readonly cls: 'nginx' | 'traefik' | 'neither' }
  | { readonly kind: 'publish'; readonly shape: PublishShape }
  | { readonly kind: 'wait'; readonly ms: number };

const ingressStep: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('ingress' as const),
  i: fc.nat(3),
  cls: fc.constantFrom<ClassChoice>('nginx', 'nginx', 'traefik', 'legacy-nginx', 'legacy-traefik', 'none'),
  host: fc.constantFrom('shop.example.com' as const, 'api.example.com' as const, '*.example.com' as const, '' as const),
  paths: fc.array(fc.record({ path: fc.constantFrom('/', '/api', '/api/v1', '/static'), pathType: fc.constantFrom('Prefix' as const, 'Exact' as const), app: fc.nat(1) }), { minLength: 0, maxLength: 3 }),
  defaultBackend: fc.boolean(),
  tls: fc.boolean(),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: ingressStep },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteIngress' as const), i: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('backend' as const), app: fc.nat(1), up: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pod' as const), app: fc.nat(1), up: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('secret' as const), i: fc.nat(3), up: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('defaultClass' as const), cls: fc.constantFrom('nginx' as const, 'traefik' as const, 'neither' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('publish' as const), shape: fc.constantFrom<PublishShape>('NodePort', 'NodePort+externalIPs', 'ClusterIP', 'LoadBalancer', 'deleted') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 10_000 })) }) },
);

const ingressClass = (name: 'nginx' | 'traefik', isDefault: boolean): IngressClass =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    spec: { controller: name === 'nginx' ? 'k8s.io/ingress-nginx' : 'traefik.io/ingress-controller' },
  }) as IngressClass;

const publishService = (shape: Exclude<PublishShape, 'deleted'>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: CONTROLLER_SERVICE, namespace: CONTROLLER_NS },
  spec: {
    type: shape === 'NodePort+externalIPs' ? 'NodePort' : shape,
    selector: { 'app.kubernetes.io/name': 'ingress-nginx' },
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    ...(shape === 'NodePort+externalIPs' ? { externalIPs: ['198.51.100.7'] } : {}),
  },
});

const backend = (app: number) => ({ service: { name: `app-${app}`, port: { number: 80 } } });

function ingress(s: IngressShape): object {
  const annotations = s.cls === 'legacy-nginx' ? { 'kubernetes.io/ingress.class': 'nginx' } : s.cls === 'legacy-traefik' ? { 'kubernetes.io/ingress.class': 'traefik' } : undefined;
  const paths = s.paths.map((p) => ({ path: p.path, pathType: p.pathType, backend: backend(p.app) }));
  const rules = paths.length === 0 ? [] : [{ ...(s.host === '' ? {} : { host: s.host }), http: { paths } }];
  const tlsHost = s.host === '' || s.host.startsWith('*') ? 'shop.example.com' : s.host;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `ing-${s.i}`, namespace: ns, ...(annotations === undefined ? {} : { annotations }) },
    spec: {
      ...(s.cls === 'nginx' || s.cls === 'traefik' ? { ingressClassName: s.cls } : {}),
      // an Ingress needs a rule or a default backend
      ...(s.defaultBackend || rules.length === 0 ? { defaultBackend: backend(0) } : {}),
      ...(rules.length === 0 ? {} : { rules }),
      ...(s.tls ? { tls: [{ hosts: [tlsHost], secretName: `tls-${s.i}` }] } : {}),
    },
  };
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  const ignore = () => undefined;
  switch (s.kind) {
    case 'ingress': {
      const old = await cluster.server.get(Ingresses, { namespace: ns, name: `ing-${s.i}` }).catch(ignore);
      const next = ingress(s) as KubeObject;
      if (old === undefined) await cluster.server.create(Ingresses, next as never).catch(ignore);
      else await cluster.server.update(Ingresses, { ...old, metadata: { ...old.metadata, annotations: next.metadata.annotations }, spec: (next as unknown as { spec: object }).spec } as never).catch(ignore);
      return;
    }
    case 'deleteIngress':
      await cluster.server.delete(Ingresses, { namespace: ns, name: `ing-${s.i}` }).catch(ignore);
      return;
    case 'backend':
      if (s.up) await cluster.server.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: `app-${s.app}`, namespace: ns }, spec: { selector: { app: `app-${s.app}` }, ports: [{ port: 80, protocol: 'TCP' }] } } as never).catch(ignore);
      else await cluster.server.delete(Services, { namespace: ns, name: `app-${s.app}` }).catch(ignore);
      return;
    case 'pod':
      if (s.up) await cluster.server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `app-${s.app}`, namespace: ns, labels: { app: `app-${s.app}` } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } as never).catch(ignore);
      else await cluster.server.delete(Pods, { namespace: ns, name: `app-${s.app}` }).catch(ignore);
      return;
    case 'secret':
      if (s.up) await cluster.server.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `tls-${s.i}`, namespace: ns }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' } } as never).catch(ignore);
      else await cluster.server.delete(Secrets, { namespace: ns, name: `tls-${s.i}` }).catch(ignore);
      return;
    case 'defaultClass':
      for (const name of ['nginx', 'traefik'] as const) {
        const old = await cluster.server.get(IngressClasses, { name }).catch(ignore);
        if (old !== undefined) await cluster.server.update(IngressClasses, { ...old, metadata: { ...old.metadata, annotations: ingressClass(name, s.cls === name).metadata.annotations } } as never).catch(ignore);
      }
      return;
    case 'publish': {
      const key = { namespace: CONTROLLER_NS, name: CONTROLLER_SERVICE };
      const old = await cluster.server.get(Services, key).catch(ignore);
      if (s.shape === 'deleted') {
        await cluster.server.delete(Services, key).catch(ignore);
        return;
      }
      const next = publishService(s.shape);
      if (old === undefined) {
        await cluster.server.create(Services, next as never).catch(ignore);
        return;
      }
      // kubectl apply of the new shape: node ports kept unless it becomes a ClusterIP, external IPs as given
      const ports = (old.spec.ports ?? []).map((p) => (s.shape === 'ClusterIP' ? { ...p, nodePort: undefined } : p));
      const spec: Service['spec'] = { ...old.spec, type: next.spec.type as Service['spec']['type'], ports, externalIPs: next.spec.externalIPs, ...(s.shape === 'ClusterIP' ? { externalTrafficPolicy: undefined } : {}), ...(s.shape === 'LoadBalancer' ? {} : { allocateLoadBalancerNodePorts: undefined }) };
      await cluster.server.update(Services, { ...old, spec } as never).catch(ignore);
      return;
    }
    case 'wait':
      return context.advance(s.ms);
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'ingress': {
      const paths = s.paths.map((p) => `${p.path} ${p.pathType} → app-${p.app}`).join(', ');
      return `ingress ing-${s.i} class ${s.cls}${s.host === '' ? '' : ` host ${s.host}`}${paths === '' ? '' : ` [${paths}]`}${s.defaultBackend ? ' default backend' : ''}${s.tls ? ` tls tls-${s.i}` : ''}`;
    }
    case 'deleteIngress':
      return `delete ing-${s.i}`;
    case 'backend':
      return `${s.up ? 'create' : 'delete'} Service app-${s.app}`;
    case 'pod':
      return `${s.up ? 'create' : 'delete'} pod app-${s.app}`;
    case 'secret':
      return `${s.up ? 'create' : 'delete'} Secret tls-${s.i}`;
    case 'defaultClass':
      return `default IngressClass: ${s.cls}`;
    case 'publish':
      return `controller Service: ${s.shape}`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>, nginx: Plugin = ingressNginxPlugin()): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODES, controllerManager: { plugins: [...DEFAULT_CONTROLLER_PLUGINS, nginx] } },
    setup: async (cluster) => {
      await cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: CONTROLLER_NS } }, ingressClass('nginx', false), ingressClass('traefik', false), publishService('NodePort')]);
    },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: describeStep,
    faults,
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}

const lag = (resource: string) => faultArbitrary({ kinds: ['staleReads'], resources: [resource] });
const cutWatches = faultArbitrary({ kinds: ['expireWatches'], expireWatchesAfterMs: { min: 500, max: 15_000 } });

describe('ingress-nginx under Ingress, class and Service churn', () => {
  it("with controller-manager crashes: once settled, every Ingress of its class shows its Service's address; none of another class ever gets it", async () => {
    await checkCluster(options('ingress: crashes', faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);

  it('the same when watches are cut (410 and relist) and the controller manager crashes', async () => {
    await checkCluster(options('ingress: cut watches', faultSchedulesWith([cutWatches], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);

  it('the same when the Ingress, IngressClass and Service caches lag the store (held events)', async () => {
    await checkCluster(options('ingress: lagging caches', faultSchedulesWith([lag('ingresses.networking.k8s.io'), lag('services'), lag('ingressclasses.networking.k8s.io')], fc.constant([]))));
  }, 120_000);

  it('a controller manager that crashes at its first status write still warns of the missing TLS Secret once restarted (regression: its events, at a fractional virtual millisecond after the back-off, were dropped)', async () => {
    const { actions: _a, faults: _f, runs: _r, ...run } = options('ingress: regression, events after a crash', fc.constant([]));
    const steps: Step[] = [{ kind: 'ingress', i: 0, cls: 'nginx', host: 'shop.example.com', paths: [], defaultBackend: true, tls: true }];
    expect((await runCase(run, 0, steps, [{ kind: 'crash', write: 1, committed: false }])).failure).toBeUndefined();
  }, 120_000);
});

/** What each broken controller gets wrong, the steps that show it, and the invariant (and message) that must see it. */
const WAIT: Step = { kind: 'wait', ms: 2_000 };
const shop = (cls: ClassChoice): Step => ({ kind: 'ingress', i: 0, cls, host: 'shop.example.com', paths: [{ path: '/', pathType: 'Prefix', app: 0 }], defaultBackend: false, tls: false });
const BACKENDS: Step[] = [{ kind: 'backend', app: 0, up: true }, { kind: 'backend', app: 1, up: true }];
const reads = (resource: string, f: (o: KubeObject) => KubeObject) => (r: { resource: string }, o: KubeObject) => (r.resource === resource ? f(o) : o);
const cases: { name: string; invariant: string; message: RegExp; plugin: Plugin; steps: Step[] }[] = [
  {
    name: 'a controller that takes every IngressClass for its own',
    invariant: 'ingressStatusOfOtherClassesUntouched',
    message: /^is not of ingress-nginx's class \(class traefik\), yet status\.loadBalancer got \[10\.\d+\.\d+\.\d+\], the address of ingress-nginx\/ingress-nginx-controller$/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(IngressClasses.resource, (c) => ({ ...c, spec: { ...(c as IngressClass).spec, controller: 'k8s.io/ingress-nginx' } }) as KubeObject) }),
    steps: [shop('traefik'), WAIT],
  },
  {
    name: 'a controller that serves Ingresses without a class whatever the default IngressClass',
    invariant: 'ingressStatusOfOtherClassesUntouched',
    message: /^is not of ingress-nginx's class \(no class\), yet status\.loadBalancer got \[10\.\d+\.\d+\.\d+\]/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(IngressClasses.resource, (c) => ({ ...c, metadata: { ...c.metadata, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } }) as KubeObject) }),
    steps: [{ kind: 'defaultClass', cls: 'traefik' }, shop('none'), WAIT],
  },
  {
    name: 'a controller that ignores the default IngressClass (an Ingress without a class stays without an address)',
    invariant: 'ingressStatusPublished',
    message: /^status\.loadBalancer shows \[\], the controller's Service has \[10\.\d+\.\d+\.\d+\]$/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(IngressClasses.resource, (c) => ({ ...c, metadata: { ...c.metadata, annotations: {} } }) as KubeObject) }),
    steps: [{ kind: 'defaultClass', cls: 'nginx' }, shop('none'), WAIT],
  },
  {
    name: 'a controller blind to the legacy kubernetes.io/ingress.class annotation',
    invariant: 'ingressStatusPublished',
    message: /^status\.loadBalancer shows \[\], the controller's Service has \[10\.\d+\.\d+\.\d+\]$/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(Ingresses.resource, (i) => ({ ...i, metadata: { ...i.metadata, annotations: {} } })) }),
    steps: [shop('legacy-nginx'), WAIT],
  },
  {
    name: "a controller that publishes its Service's cluster IP whatever its external IPs",
    invariant: 'ingressStatusPublished',
    message: /^status\.loadBalancer shows \[10\.\d+\.\d+\.\d+\], the controller's Service has \[198\.51\.100\.7\]$/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(Services.resource, (s) => ({ ...s, spec: { ...(s as Service).spec, externalIPs: undefined } }) as KubeObject) }),
    steps: [shop('nginx'), WAIT, { kind: 'publish', shape: 'NodePort+externalIPs' }, WAIT],
  },
  {
    name: 'a controller whose status writes are lost once an Ingress has an address (it never follows its Service)',
    invariant: 'ingressStatusPublished',
    message: /^status\.loadBalancer shows \[10\.\d+\.\d+\.\d+\], the controller's Service has \[198\.51\.100\.7\]$/,
    plugin: sabotaged(ingressNginxPlugin(), { rewriteStatus: (r, o) => (r.resource === Ingresses.resource && published.has(o.metadata.uid ?? '') ? undefined : (published.add(o.metadata.uid ?? ''), o)) }),
    steps: [shop('nginx'), WAIT, { kind: 'publish', shape: 'NodePort+externalIPs' }, WAIT],
  },
  {
    name: 'a controller that ignores spec.tls (it never says it serves a host with the default certificate)',
    invariant: 'ingressMissingTlsSecretsReported',
    message: /^names TLS Secret default\/tls-0, which does not exist, and has no Warning SSLCertificateError event about it$/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(Ingresses.resource, (i) => ({ ...i, spec: { ...(i as Ingress).spec, tls: undefined } }) as KubeObject) }),
    steps: [{ ...shop('nginx'), tls: true } as Step, WAIT],
  },
  {
    name: 'a controller that takes Exact paths for Prefix ones',
    invariant: 'ingressRoutesFollowRules',
    message: /^https:\/\/shop\.example\.com\/api\/x went to Service default\/app-1, the rules send it to Service default\/app-0 \(the longest matching Prefix path \/ of default\/ing-0\)$/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(Ingresses.resource, (i) => ({ ...i, spec: JSON.parse(JSON.stringify((i as Ingress).spec).replaceAll('"Exact"', '"Prefix"')) as Ingress['spec'] }) as KubeObject) }),
    steps: [...BACKENDS, { ...shop('nginx'), paths: [{ path: '/', pathType: 'Prefix', app: 0 }, { path: '/api', pathType: 'Exact', app: 1 }] } as Step, WAIT],
  },
  {
    name: 'a controller that gives a path two Ingresses name to the newer one',
    invariant: 'ingressRoutesFollowRules',
    message: /^https:\/\/shop\.example\.com\/ went to Service default\/app-1, the rules send it to Service default\/app-0 \(the longest matching Prefix path \/ of default\/ing-0\)$/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(Ingresses.resource, (i) => ({ ...i, metadata: { ...i.metadata, creationTimestamp: (i.metadata.creationTimestamp ?? '').replace(/\d/g, (d) => String(9 - Number(d))) } })) }),
    steps: [...BACKENDS, shop('nginx'), WAIT, { ...shop('nginx'), i: 1, paths: [{ path: '/', pathType: 'Prefix', app: 1 }] } as Step, WAIT],
  },
  {
    name: 'a controller that ignores an Ingress’s defaultBackend',
    invariant: 'ingressRoutesFollowRules',
    message: /^https:\/\/shop\.example\.com\/ went to default-backend, the rules send it to Service default\/app-0 \(no path of shop\.example\.com matches: the defaultBackend of default\/ing-0\)$/,
    plugin: sabotaged(ingressNginxPlugin(), { read: reads(Ingresses.resource, (i) => ({ ...i, spec: { ...(i as Ingress).spec, defaultBackend: undefined } }) as KubeObject) }),
    steps: [...BACKENDS, { ...shop('nginx'), paths: [{ path: '/api', pathType: 'Exact', app: 1 }], defaultBackend: true } as Step, WAIT],
  },
];
/** The Ingresses the last broken controller has published once (it drops their later writes). */
const published = new Set<string>();

describe('the ingress invariants against ingress-nginx broken on purpose', () => {
  for (const c of cases) {
    it(`${c.invariant} catches ${c.name}; the real controller passes the same steps`, async () => {
      published.clear();
      const { actions: _a, faults: _f, runs: _r, ...broken } = options(`ingress broken: ${c.invariant}`, fc.constant([]), c.plugin);
      const failure = (await runCase(broken, 1, c.steps, [])).failure;
      expect(failure?.invariant).toBe(c.invariant);
      expect(failure?.violations.map((v) => v.message)).toContainEqual(expect.stringMatching(c.message));
      const { actions: _a2, faults: _f2, runs: _r2, ...real } = options(`ingress real: ${c.invariant}`, fc.constant([]));
      expect((await runCase(real, 1, c.steps, [])).failure).toBeUndefined();
    }, 120_000);
  }
});
