/**
 * Service addresses as upstream's Service REST storage allocates them
 * (`pkg/registry/core/service/storage/alloc.go`, `ipallocator`, `portallocator`): the pure
 * allocation in tables, then through the API server (create, update, delete, restart).
 */
import { describe, expect, it } from 'vitest';
import { ApiError, isApiError } from '../../api/errors.js';
import { createBuiltinRegistry } from '../../api/kinds/index.js';
import { Endpoints, Services, type Service } from '../../api/kinds/service.js';
import { EndpointSlices } from '../../api/kinds/discovery.js';
import { VirtualClock } from '../../clock/virtual.js';
import { seededRng } from '../../rng/seeded.js';
import { SlowStorage, turns } from '../../testing/index.js';
import { MemoryStorage } from '../memory.js';
import { ApiServer } from '../server.js';
import { allocateNext, allocateService, clusterIPRange, formatIPv4, holdingsOf, nodePortRange, parseIPv4, type ServiceHoldings } from './services.js';

const RANGES = { clusterIPs: clusterIPRange('10.96.0.0/12'), nodePorts: nodePortRange('30000-32767') };
const NONE: ServiceHoldings = { clusterIPs: new Set(), nodePorts: new Set() };

function svc(name: string, spec: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP' }], ...spec },
    status: {},
  };
}

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return `${e.reason}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('ranges', () => {
  it('takes 10.96.0.0/12 as 10.96.0.1–10.111.255.254, with the first 256 addresses as the static band', () => {
    const r = RANGES.clusterIPs;
    expect(formatIPv4(r.base)).toBe('10.96.0.1');
    expect(formatIPv4(r.base + r.size - 1)).toBe('10.111.255.254');
    expect(r.staticBand).toBe(256);
  });

  it('takes 30000-32767 as 2768 ports with a static band of 86 (upstream calculateRangeOffset)', () => {
    expect(RANGES.nodePorts).toMatchObject({ base: 30000, size: 2768, staticBand: 86 });
  });

  it('rejects what is not an IPv4 CIDR or a port range', () => {
    expect(() => clusterIPRange('10.96.0.1/12')).toThrow(/host bits/);
    expect(() => clusterIPRange('fd00::/108')).toThrow(TypeError);
    expect(() => nodePortRange('32767-30000')).toThrow(TypeError);
    expect(parseIPv4('10.96.0.256')).toBeUndefined();
  });

  it('allocates dynamically from the upper band, and from the static band only once the upper one is full', () => {
    const small = { text: 't', base: 100, size: 20, staticBand: 16 };
    const rng = seededRng(1);
    for (let i = 0; i < 50; i++) expect(allocateNext(small, () => false, rng)).toBeGreaterThanOrEqual(116);
    expect(allocateNext(small, (v) => v >= 116, rng)).toBeLessThan(116);
    expect(allocateNext(small, () => true, rng)).toBeUndefined();
  });
});

describe('allocateService', () => {
  const table: { name: string; spec: Partial<Service['spec']>; expect: (s: Service['spec']) => void }[] = [
    {
      name: 'a ClusterIP Service gets an address from the upper band, SingleStack IPv4',
      spec: {},
      expect: (s) => {
        expect(s.clusterIPs).toEqual([s.clusterIP]);
        const n = parseIPv4(s.clusterIP ?? '') ?? 0;
        expect(n - RANGES.clusterIPs.base).toBeGreaterThanOrEqual(256);
        expect(s.ipFamilies).toEqual(['IPv4']);
        expect(s.ipFamilyPolicy).toBe('SingleStack');
      },
    },
    { name: 'a headless Service gets none', spec: { clusterIP: 'None' }, expect: (s) => expect([s.clusterIP, s.clusterIPs, s.ipFamilies]).toEqual(['None', ['None'], ['IPv4']]) },
    {
      name: 'an ExternalName Service gets none, nor IP families',
      spec: { type: 'ExternalName', externalName: 'example.com', ports: [], ipFamilies: ['IPv4'] },
      expect: (s) => expect([s.clusterIP, s.clusterIPs, s.ipFamilies, s.ipFamilyPolicy]).toEqual([undefined, undefined, undefined, undefined]),
    },
    { name: 'a requested address in the static band is given', spec: { clusterIP: '10.96.0.10' }, expect: (s) => expect(s.clusterIPs).toEqual(['10.96.0.10']) },
    {
      name: 'a NodePort Service gets a node port per port, the same one for the same port number',
      spec: { type: 'NodePort', ports: [{ name: 'tcp', port: 53, protocol: 'TCP' }, { name: 'udp', port: 53, protocol: 'UDP' }, { name: 'h', port: 80, protocol: 'TCP' }] },
      expect: (s) => {
        const [a, b, c] = (s.ports ?? []).map((p) => p.nodePort ?? 0);
        expect(a).toBe(b);
        expect(c).not.toBe(a);
        for (const p of [a, c]) expect(p).toBeGreaterThanOrEqual(30086);
        expect(c).toBeLessThanOrEqual(32767);
      },
    },
    { name: 'a requested node port is kept', spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] }, expect: (s) => expect(s.ports?.[0]?.nodePort).toBe(30080) },
    {
      name: 'a LoadBalancer Service gets node ports, and a health check node port with externalTrafficPolicy Local',
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
      expect: (s) => {
        expect(s.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
        expect(s.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
        expect(s.healthCheckNodePort).not.toBe(s.ports?.[0]?.nodePort);
      },
    },
    { name: 'a LoadBalancer Service with externalTrafficPolicy Cluster gets no health check port', spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' }, expect: (s) => expect(s.healthCheckNodePort).toBeUndefined() },
    {
      name: 'allocateLoadBalancerNodePorts: false allocates none, but honours a requested one',
      spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ name: 'a', port: 80, protocol: 'TCP' }, { name: 'b', port: 81, protocol: 'TCP', nodePort: 30081 }] },
      expect: (s) => expect(s.ports?.map((p) => p.nodePort)).toEqual([undefined, 30081]),
    },
  ];
  for (const row of table) {
    it(row.name, () => row.expect(allocateService(svc('s', row.spec), undefined, NONE, RANGES, seededRng(1)).spec));
  }

  const taken = holdingsOf([svc('other', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] })]);
  const errors: { name: string; spec: Partial<Service['spec']>; message: string }[] = [
    {
      name: 'an address in use',
      spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] },
      message: 'Invalid: Service "s" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    },
    {
      name: 'an address outside the range',
      spec: { clusterIP: '10.0.0.5' },
      message:
        'Invalid: Service "s" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.5"]: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    },
    { name: 'the network address', spec: { clusterIP: '10.96.0.0' }, message: 'Invalid: Service "s" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.0"]: failed to allocate IP 10.96.0.0: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
    { name: 'no IP at all', spec: { clusterIP: 'x' }, message: 'Invalid: Service "s" is invalid: spec.clusterIPs[0]: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' },
    {
      name: 'a node port in use',
      spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] },
      message: 'Invalid: Service "s" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    },
    {
      name: 'a health check node port in use',
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30080 },
      message: 'InternalError: Internal error occurred: failed to allocate requested HealthCheck NodePort 30080: provided port is already allocated',
    },
  ];
  for (const row of errors) {
    it(`rejects ${row.name} as upstream does`, () => {
      expect(message(() => allocateService(svc('s', row.spec), undefined, taken, RANGES, seededRng(1)))).toBe(row.message);
    });
  }

  it('fails with upstream\'s internal error when the range is full', () => {
    const tiny = { clusterIPs: clusterIPRange('10.96.0.0/30'), nodePorts: nodePortRange('30000-30000') };
    const full = holdingsOf([svc('a', { clusterIP: '10.96.0.1' }), svc('b', { clusterIP: '10.96.0.2', type: 'NodePort', ports: [{ port: 1, protocol: 'TCP', nodePort: 30000 }] })]);
    expect(message(() => allocateService(svc('s'), undefined, full, tiny, seededRng(1)))).toBe('InternalError: Internal error occurred: failed to allocate a serviceIP: range is full');
    expect(message(() => allocateService(svc('s', { type: 'NodePort', clusterIP: 'None' }), undefined, full, tiny, seededRng(1)))).toMatch(/failed to allocate a nodePort: range is full/);
  });

  it('keeps the values a Service holds on update, and allocates on a change to a type that needs more', () => {
    const old = allocateService(svc('s'), undefined, NONE, RANGES, seededRng(1));
    const same = allocateService(old, old, NONE, RANGES, seededRng(2));
    expect(same.spec.clusterIP).toBe(old.spec.clusterIP);
    const np = allocateService({ ...old, spec: { ...old.spec, type: 'NodePort' } }, old, NONE, RANGES, seededRng(2));
    expect(np.spec.clusterIP).toBe(old.spec.clusterIP);
    expect(np.spec.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    // Its own node port is not "already allocated" to itself.
    const again = allocateService(np, np, holdingsOf([]), RANGES, seededRng(3));
    expect(again.spec.ports).toEqual(np.spec.ports);
  });

  it('allocates the same way for the same seed', () => {
    const a = allocateService(svc('s', { type: 'NodePort' }), undefined, NONE, RANGES, seededRng(7));
    const b = allocateService(svc('s', { type: 'NodePort' }), undefined, NONE, RANGES, seededRng(7));
    expect(b.spec).toEqual(a.spec);
  });
});

async function newServer(storage = new MemoryStorage({ clock: new VirtualClock() }), seed = 1) {
  const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(seed), registry: createBuiltinRegistry(), storage });
  await server.ready;
  return server;
}

const manifest = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1' as const,
  kind: 'Service' as const,
  metadata: { name, namespace: 'default' },
  spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec },
});

async function rejection(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return isApiError(e) ? `${e.code} ${e.message}` : String(e);
}

describe('the API server allocates Service addresses', () => {
  it('creates the kubernetes Service in default at 10.96.0.1, port 443 (https) to 6443, as upstream', async () => {
    const server = await newServer();
    const k = await server.get(Services, { namespace: 'default', name: 'kubernetes' });
    expect(k.spec).toMatchObject({ type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] });
    expect(k.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
    expect(k.spec.selector).toBeUndefined();
  });

  it("writes the kubernetes Service's Endpoints and EndpointSlice as upstream's endpoint reconciler does: the API server's address, port https 6443", async () => {
    const server = await newServer();
    const ep = await server.get(Endpoints, { namespace: 'default', name: 'kubernetes' });
    expect(ep.metadata.labels).toEqual({ 'endpointslice.kubernetes.io/skip-mirror': 'true' });
    expect(ep.subsets).toEqual([{ addresses: [{ ip: '172.18.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
    const slice = await server.get(EndpointSlices, { namespace: 'default', name: 'kubernetes' });
    expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });
    expect(slice).toMatchObject({ addressType: 'IPv4', endpoints: [{ addresses: ['172.18.0.1'], conditions: { ready: true } }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] });
    const other = new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: createBuiltinRegistry(), advertiseAddress: '192.168.0.9' });
    await other.ready;
    expect((await other.get(EndpointSlices, { namespace: 'default', name: 'kubernetes' })).endpoints).toEqual([{ addresses: ['192.168.0.9'], conditions: { ready: true } }]);
  });

  it('creates the kubernetes Service over a storage that settles later, once default exists', async () => {
    const storage = new SlowStorage();
    const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: createBuiltinRegistry(), storage });
    await server.ready;
    await turns(50);
    storage.catchUp();
    expect((await server.get(Services, { namespace: 'default', name: 'kubernetes' })).spec.clusterIP).toBe('10.96.0.1');
    const a = await server.create(Services, manifest('a', { clusterIP: '10.96.0.30' }));
    expect(a.spec.clusterIP).toBe('10.96.0.30');
    // A second create racing the first, before the storage's cache has seen it, is still refused.
    const racing = [server.create(Services, manifest('b', { clusterIP: '10.96.0.31' })), server.create(Services, manifest('c', { clusterIP: '10.96.0.31' }))];
    const outcomes = await Promise.allSettled(racing);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    // Written, but not yet in the lagging cache: still held.
    expect(await rejection(server.create(Services, manifest('d', { clusterIP: '10.96.0.31' })))).toMatch(/provided IP is already allocated/);
    await turns(50);
    storage.catchUp();
    expect(await rejection(server.create(Services, manifest('e', { clusterIP: '10.96.0.31' })))).toMatch(/provided IP is already allocated/);
    const holder = outcomes[0]?.status === 'fulfilled' ? 'b' : 'c';
    await server.delete(Services, { namespace: 'default', name: holder });
    await turns(50);
    storage.catchUp();
    expect((await server.create(Services, manifest('f', { clusterIP: '10.96.0.31' }))).spec.clusterIP).toBe('10.96.0.31');
  });

  it('takes the kubernetes Service from another service CIDR', async () => {
    const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: createBuiltinRegistry(), serviceClusterIPRange: '10.0.0.0/16' });
    await server.ready;
    expect((await server.get(Services, { namespace: 'default', name: 'kubernetes' })).spec.clusterIP).toBe('10.0.0.1');
    expect((await server.create(Services, manifest('web'))).spec.clusterIP).toMatch(/^10\.0\./);
  });

  it('gives a Service a ClusterIP with upstream defaults, and rejects a second Service asking for it', async () => {
    const server = await newServer();
    const web = await server.create(Services, manifest('web'));
    expect(web.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    expect(web.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    expect(web.spec.externalTrafficPolicy).toBeUndefined();
    const ip = web.spec.clusterIP ?? '';
    expect(await rejection(server.create(Services, manifest('copy', { clusterIP: ip })))).toBe(
      `422 Service "copy" is invalid: spec.clusterIPs: Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated`,
    );
    expect(await rejection(server.create(Services, manifest('api', { clusterIP: '10.96.0.1' })))).toMatch(/failed to allocate IP 10.96.0.1: provided IP is already allocated/);
  });

  it('gives the cluster DNS its requested 10.96.0.10, which no dynamic allocation takes', async () => {
    const server = await newServer();
    const dns = await server.create(Services, { ...manifest('kube-dns', { clusterIP: '10.96.0.10' }), metadata: { name: 'kube-dns', namespace: 'kube-system' } });
    expect(dns.spec.clusterIPs).toEqual(['10.96.0.10']);
    const ips = [];
    for (let i = 0; i < 50; i++) ips.push((await server.create(Services, manifest(`s${i}`))).spec.clusterIP ?? '');
    const base = parseIPv4('10.96.0.1') ?? 0;
    expect(ips.every((ip) => (parseIPv4(ip) ?? 0) - base >= 256)).toBe(true);
    expect(new Set(ips).size).toBe(50);
  });

  it('rejects a node port in use and one out of range, with upstream\'s messages', async () => {
    const server = await newServer();
    await server.create(Services, manifest('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(await rejection(server.create(Services, manifest('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })))).toBe(
      '422 Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    );
    expect(await rejection(server.create(Services, manifest('c', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })))).toBe(
      '422 Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
  });

  it('releases node ports on a change to ClusterIP, and the IP on a change to ExternalName', async () => {
    const server = await newServer();
    const a = await server.create(Services, manifest('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(a.spec.externalTrafficPolicy).toBe('Cluster');
    const ip = a.spec.clusterIP ?? '';
    const c = await server.update(Services, { ...a, spec: { ...a.spec, type: 'ClusterIP', externalTrafficPolicy: undefined, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] } });
    expect(c.spec.ports?.[0]?.nodePort).toBeUndefined();
    expect(c.spec.clusterIP).toBe(ip);
    expect((await server.create(Services, manifest('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).spec.ports?.[0]?.nodePort).toBe(30080);
    await server.update(Services, { ...c, spec: { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' } });
    expect((await server.create(Services, manifest('d', { clusterIP: ip }))).spec.clusterIP).toBe(ip);
  });

  it('gives an address back on a change from ExternalName, and keeps the one it has on re-apply without one', async () => {
    const server = await newServer();
    const e = await server.create(Services, manifest('e', { type: 'ExternalName', externalName: 'example.com', ports: undefined, selector: undefined }));
    expect(e.spec.clusterIP).toBeUndefined();
    const c = await server.update(Services, { ...e, spec: { type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP' }] } });
    expect(c.spec.clusterIP).toMatch(/^10\./);
    const again = await server.update(Services, { ...c, spec: { ...c.spec, clusterIP: undefined, clusterIPs: undefined } });
    expect(again.spec.clusterIP).toBe(c.spec.clusterIP);
  });

  it('drops what a new type cannot have when only the type changes (upstream dropTypeDependentFields), releasing it', async () => {
    const server = await newServer();
    const key = { namespace: 'default', name: 'a' };
    await server.create(Services, manifest('a', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30080 }] }));
    const np = await server.patch(Services, key, { type: 'merge', body: { spec: { type: 'NodePort' } } });
    expect([np.spec.healthCheckNodePort, np.spec.allocateLoadBalancerNodePorts, np.spec.ports?.[0]?.nodePort, np.spec.externalTrafficPolicy]).toEqual([undefined, undefined, 30080, 'Local']);
    const c = await server.patch(Services, key, { type: 'merge', body: { spec: { type: 'ClusterIP' } } });
    expect([c.spec.ports?.[0]?.nodePort, c.spec.externalTrafficPolicy]).toEqual([undefined, undefined]);
    expect((await server.create(Services, manifest('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).spec.ports?.[0]?.nodePort).toBe(30080);
    const ip = c.spec.clusterIP ?? '';
    const e = await server.patch(Services, key, { type: 'merge', body: { spec: { type: 'ExternalName', externalName: 'example.com' } } });
    expect([e.spec.clusterIP, e.spec.clusterIPs, e.spec.ipFamilies]).toEqual([undefined, undefined, undefined]);
    expect((await server.create(Services, manifest('d', { clusterIP: ip }))).spec.clusterIP).toBe(ip);
  });

  it('leaves a node port the user changed along with the type for validation to reject', async () => {
    const server = await newServer();
    await server.create(Services, manifest('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(await rejection(server.patch(Services, { namespace: 'default', name: 'a' }, { type: 'merge', body: { spec: { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30081 }] } } }))).toMatch(
      /spec.ports\[0\].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'/,
    );
  });

  it('keeps the clusterIP immutable (upstream\'s field is immutable)', async () => {
    const server = await newServer();
    const a = await server.create(Services, manifest('a', { clusterIP: '10.96.0.20' }));
    expect(await rejection(server.update(Services, { ...a, spec: { ...a.spec, clusterIP: '10.96.0.21', clusterIPs: ['10.96.0.21'] } }))).toMatch(
      /^422 Service "a" is invalid: .*spec.clusterIP: Invalid value: "10.96.0.21": field is immutable/,
    );
  });

  it('releases everything on delete', async () => {
    const server = await newServer();
    await server.create(Services, manifest('a', { clusterIP: '10.96.0.20', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    await server.delete(Services, { namespace: 'default', name: 'a' });
    const b = await server.create(Services, manifest('b', { clusterIP: '10.96.0.20', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect([b.spec.clusterIP, b.spec.ports?.[0]?.nodePort]).toEqual(['10.96.0.20', 30080]);
  });

  it('gives a LoadBalancer Service with externalTrafficPolicy Local a health check node port, and frees it on a change to Cluster', async () => {
    const server = await newServer();
    const lb = await server.create(Services, manifest('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
    expect(lb.spec.allocateLoadBalancerNodePorts).toBe(true);
    const hc = lb.spec.healthCheckNodePort ?? 0;
    expect(hc).toBeGreaterThanOrEqual(30000);
    await server.update(Services, { ...lb, spec: { ...lb.spec, externalTrafficPolicy: 'Cluster', healthCheckNodePort: undefined } });
    const np = await server.create(Services, manifest('np', { type: 'NodePort', ports: [{ port: 80, nodePort: hc }] }));
    expect(np.spec.ports?.[0]?.nodePort).toBe(hc);
  });

  it('allocates nothing on a dry run', async () => {
    const server = await newServer();
    const dry = await server.create(Services, manifest('a', { clusterIP: '10.96.0.20' }), { dryRun: true });
    expect(dry.spec.clusterIP).toBe('10.96.0.20');
    expect((await server.create(Services, manifest('b', { clusterIP: '10.96.0.20' }))).spec.clusterIP).toBe('10.96.0.20');
  });

  it('knows what is allocated after a restart on the same storage (the allocation is read from the stored Services)', async () => {
    const storage = new MemoryStorage({ clock: new VirtualClock() });
    const first = await newServer(storage, 1);
    const a = await first.create(Services, manifest('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    const second = await newServer(storage, 2);
    expect((await second.list(Services, { namespace: 'default' })).items.map((s) => s.metadata.name)).toEqual(['a', 'kubernetes']);
    expect(await rejection(second.create(Services, manifest('b', { clusterIP: a.spec.clusterIP })))).toMatch(/provided IP is already allocated/);
    expect(await rejection(second.create(Services, manifest('c', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })))).toMatch(/provided port is already allocated/);
  });

  it('follows what another server writes to the same storage, and what it deletes', async () => {
    const storage = new MemoryStorage({ clock: new VirtualClock() });
    const a = await newServer(storage, 1);
    const b = await newServer(storage, 2);
    await b.create(Services, manifest('x', { clusterIP: '10.96.0.40' }));
    await a.create(Services, manifest('y', { type: 'NodePort', ports: [{ port: 80, nodePort: 30090 }] }));
    expect(await rejection(a.create(Services, manifest('z', { clusterIP: '10.96.0.40' })))).toMatch(/provided IP is already allocated/);
    expect(await rejection(b.create(Services, manifest('z', { type: 'NodePort', ports: [{ port: 80, nodePort: 30090 }] })))).toMatch(/provided port is already allocated/);
    await b.delete(Services, { namespace: 'default', name: 'x' });
    expect((await a.create(Services, manifest('z', { clusterIP: '10.96.0.40' }))).spec.clusterIP).toBe('10.96.0.40');
  });

  it('allocates the same addresses for the same seed', async () => {
    const ips = async () => {
      const server = await newServer();
      const out = [];
      for (const n of ['a', 'b', 'c']) out.push((await server.create(Services, manifest(n, { type: 'NodePort' }))).spec);
      return out.map((s) => `${s.clusterIP} ${s.ports?.[0]?.nodePort}`);
    };
    expect(await ips()).toEqual(await ips());
  });
});
