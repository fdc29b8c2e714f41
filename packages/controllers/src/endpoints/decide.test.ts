/**
 * The endpoints decisions as tables: which pods are endpoints, named target ports, subset
 * repacking (upstream `pkg/api/v1/endpoints` `RepackSubsets`), the Endpoints write, trigger
 * times, and EndpointSlice packing (upstream `k8s.io/endpointslice` reconciler).
 */
import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH_MS, formatTime } from '@kubeloop/core';
import type { EndpointSlice, EndpointSubset, Node, Pod, Service, ServicePort } from '@kubeloop/core';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION, OVER_CAPACITY_ANNOTATION, endpointSubsets, endpointsWrite, findPort, repackSubsets, shouldPodBeInEndpoints, truncateSubsets } from './decide.js';
import { endpointSliceLabels, podToEndpoint, reconcileSlices, sliceToFill } from './slices.js';
import { TriggerTimeTracker } from './triggertime.js';

const T0 = VIRTUAL_EPOCH_MS;

interface PodOpts {
  ip?: string;
  ready?: boolean;
  labels?: Record<string, string>;
  deleting?: boolean;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  ports?: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
  node?: string;
  readySince?: number;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web' },
      ...(o.deleting === true ? { deletionTimestamp: formatTime(T0) } : {}),
    },
    spec: {
      nodeName: o.node ?? 'node-1',
      restartPolicy: o.restartPolicy ?? 'Always',
      containers: [{ name: 'web', image: 'nginx', ports: (o.ports ?? []).map((p) => ({ protocol: 'TCP', ...p })) }],
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ip === undefined ? {} : { podIP: o.ip, podIPs: [{ ip: o.ip }] }),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: formatTime(o.readySince ?? T0) }],
    },
  } as Pod;
}

function service(ports: Partial<ServicePort>[] = [{ port: 8088, targetPort: 80 }], extra: Partial<Service['spec']> = {}, labels?: Record<string, string>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', creationTimestamp: formatTime(T0), ...(labels === undefined ? {} : { labels }) },
    spec: { selector: { app: 'web' }, type: 'ClusterIP', sessionAffinity: 'None', ports: ports.map((p) => ({ protocol: 'TCP', port: 80, ...p })), ...extra },
    status: {},
  } as Service;
}

const ips = (subsets: EndpointSubset[], field: 'addresses' | 'notReadyAddresses') => subsets.flatMap((s) => (s[field] ?? []).map((a) => a.ip));

describe('shouldPodBeInEndpoints (upstream endpointsliceutil.ShouldPodBeInEndpoints)', () => {
  it.each<[string, PodOpts, boolean, boolean]>([
    ['a running pod with an IP', { ip: '10.1.0.2' }, false, true],
    ['a pod without an IP', {}, false, false],
    ['a terminating pod', { ip: '10.1.0.2', deleting: true }, false, false],
    ['a terminating pod, terminating included', { ip: '10.1.0.2', deleting: true }, true, true],
    ['a Succeeded pod with restartPolicy Never', { ip: '10.1.0.2', phase: 'Succeeded', restartPolicy: 'Never' }, false, false],
    ['a Failed pod with restartPolicy Never', { ip: '10.1.0.2', phase: 'Failed', restartPolicy: 'Never' }, false, false],
    ['a Failed pod with restartPolicy OnFailure (it restarts)', { ip: '10.1.0.2', phase: 'Failed', restartPolicy: 'OnFailure' }, false, true],
    ['a Succeeded pod with restartPolicy OnFailure', { ip: '10.1.0.2', phase: 'Succeeded', restartPolicy: 'OnFailure' }, false, false],
    ['a Succeeded pod with restartPolicy Always', { ip: '10.1.0.2', phase: 'Succeeded' }, false, true],
  ])('%s → %s/%s', (_, o, includeTerminating, want) => {
    expect(shouldPodBeInEndpoints(pod('p', o), includeTerminating)).toBe(want);
  });
});

describe('findPort (upstream podutil.FindPort)', () => {
  const p = pod('p', { ip: '10.1.0.2', ports: [{ name: 'http', containerPort: 80 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] });
  it.each<[string, Partial<ServicePort>, number | undefined]>([
    ['a numeric targetPort as is', { targetPort: 8080 }, 8080],
    ['no targetPort: the port', { port: 9000 }, 9000],
    ['a named targetPort looked up in the containers', { targetPort: 'http' }, 80],
    ['a named targetPort of another protocol is not found', { targetPort: 'dns' }, undefined],
    ['a named targetPort with the matching protocol', { targetPort: 'dns', protocol: 'UDP' }, 53],
    ['an unknown name', { targetPort: 'metrics' }, undefined],
  ])('%s', (_, sp, want) => {
    expect(findPort(p, { protocol: 'TCP', port: 80, ...sp } as ServicePort)).toBe(want);
  });
});

describe('endpointSubsets (upstream syncService)', () => {
  it('lists ready pods in addresses and not-ready ones in notReadyAddresses, on the target port', () => {
    const { subsets, ready, notReady } = endpointSubsets(service(), [pod('a', { ip: '10.1.0.3' }), pod('b', { ip: '10.1.0.2' }), pod('c', { ip: '10.1.0.4', ready: false })]);
    expect({ ready, notReady }).toEqual({ ready: 2, notReady: 1 });
    expect(subsets).toEqual([
      {
        addresses: [
          { ip: '10.1.0.2', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } },
          { ip: '10.1.0.3', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } },
        ],
        notReadyAddresses: [{ ip: '10.1.0.4', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'c', uid: 'uid-c' } }],
        ports: [{ name: '', port: 80, protocol: 'TCP' }],
      },
    ]);
  });

  it('skips pods without an IP and terminating pods', () => {
    const { subsets } = endpointSubsets(service(), [pod('a'), pod('b', { ip: '10.1.0.2', deleting: true }), pod('c', { ip: '10.1.0.3' })]);
    expect(ips(subsets, 'addresses')).toEqual(['10.1.0.3']);
    expect(ips(subsets, 'notReadyAddresses')).toEqual([]);
  });

  it('with publishNotReadyAddresses counts every pod ready, terminating ones included', () => {
    const svc = service(undefined, { publishNotReadyAddresses: true });
    const { subsets } = endpointSubsets(svc, [pod('a', { ip: '10.1.0.2', ready: false }), pod('b', { ip: '10.1.0.3', deleting: true })]);
    expect(ips(subsets, 'addresses')).toEqual(['10.1.0.2', '10.1.0.3']);
  });

  it('resolves a named targetPort per pod, leaving out pods that lack it', () => {
    const svc = service([{ name: 'web', port: 8088, targetPort: 'http' }]);
    const { subsets } = endpointSubsets(svc, [
      pod('a', { ip: '10.1.0.2', ports: [{ name: 'http', containerPort: 80 }] }),
      pod('b', { ip: '10.1.0.3', ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('c', { ip: '10.1.0.4' }),
    ]);
    expect(subsets.map((s) => [ips([s], 'addresses'), s.ports?.map((p) => p.port)])).toEqual([
      [['10.1.0.2'], [80]],
      [['10.1.0.3'], [8080]],
    ]);
  });

  it('lists a headless Service without ports with addresses and no ports', () => {
    const svc = service([], { clusterIP: 'None' });
    svc.spec.ports = [];
    expect(endpointSubsets(svc, [pod('a', { ip: '10.1.0.2' })]).subsets).toEqual([
      { addresses: [{ ip: '10.1.0.2', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }] },
    ]);
  });
});

describe('repackSubsets (upstream endpoints.RepackSubsets)', () => {
  const a = (ip: string) => ({ ip, targetRef: { kind: 'Pod', uid: ip } });
  const port = (n: number, name = `p${n}`) => ({ name, port: n, protocol: 'TCP' as const });

  it('merges the subsets of one port into one subset, sorted by IP', () => {
    expect(repackSubsets([{ addresses: [a('10.0.0.2')], ports: [port(80)] }, { addresses: [a('10.0.0.1')], ports: [port(80)] }])).toEqual([
      { addresses: [a('10.0.0.1'), a('10.0.0.2')], ports: [port(80)] },
    ]);
  });

  it('gives ports offered by the same addresses one subset', () => {
    expect(
      repackSubsets([
        { addresses: [a('10.0.0.1')], ports: [port(80)] },
        { addresses: [a('10.0.0.1')], ports: [port(443)] },
      ]),
    ).toEqual([{ addresses: [a('10.0.0.1')], ports: [port(443), port(80)] }]);
  });

  it('splits ports offered by different addresses: 10.0.0.1 alone offers 443', () => {
    expect(
      repackSubsets([
        { addresses: [a('10.0.0.1')], ports: [port(80)] },
        { addresses: [a('10.0.0.1')], ports: [port(443)] },
        { addresses: [a('10.0.0.2')], ports: [port(80)] },
      ]),
    ).toEqual([
      { addresses: [a('10.0.0.1')], ports: [port(443)] },
      { addresses: [a('10.0.0.1'), a('10.0.0.2')], ports: [port(80)] },
    ]);
  });

  it('counts an address both ready and not ready for a port as ready', () => {
    expect(repackSubsets([{ notReadyAddresses: [a('10.0.0.1')], ports: [port(80)] }, { addresses: [a('10.0.0.1')], ports: [port(80)] }])).toEqual([
      { addresses: [a('10.0.0.1')], ports: [port(80)] },
    ]);
  });

  it('keeps ready and not-ready addresses of a port in one subset', () => {
    expect(repackSubsets([{ addresses: [a('10.0.0.2')], ports: [port(80)] }, { notReadyAddresses: [a('10.0.0.1')], ports: [port(80)] }])).toEqual([
      { addresses: [a('10.0.0.2')], notReadyAddresses: [a('10.0.0.1')], ports: [port(80)] },
    ]);
  });

  it('keeps addresses without ports', () => {
    expect(repackSubsets([{ addresses: [a('10.0.0.1')] }, { addresses: [a('10.0.0.2')], ports: [] }])).toEqual([{ addresses: [a('10.0.0.1'), a('10.0.0.2')] }]);
  });

  it('returns nothing for nothing', () => {
    expect(repackSubsets([])).toEqual([]);
  });
});

describe('endpointsWrite', () => {
  const svc = service(undefined, {}, { kiamol: 'ch06' });
  const subsets = endpointSubsets(svc, [pod('a', { ip: '10.1.0.2' })]).subsets;

  it('creates an Endpoints named as the Service, with its labels and the trigger time', () => {
    const w = endpointsWrite(svc, undefined, subsets, T0 + 5_000);
    expect(w.kind).toBe('create');
    if (w.kind === 'none') return;
    expect(w.endpoints.metadata).toEqual({ name: 'web', namespace: 'default', labels: { kiamol: 'ch06' }, annotations: { [LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: formatTime(T0 + 5_000) } });
    expect(w.endpoints.subsets).toEqual(subsets);
  });

  it('does nothing when subsets and labels already match', () => {
    const current = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default', labels: { kiamol: 'ch06' }, resourceVersion: '7' }, subsets } as const;
    expect(endpointsWrite(svc, current, subsets, T0).kind).toBe('none');
  });

  it('updates when labels changed, clearing the trigger time when there is none', () => {
    const current = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default', resourceVersion: '7', annotations: { [LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: 'x' } }, subsets } as const;
    const w = endpointsWrite(svc, current, subsets, undefined);
    expect(w.kind).toBe('update');
    if (w.kind === 'none') return;
    expect(w.endpoints.metadata).toEqual({ name: 'web', namespace: 'default', resourceVersion: '7', labels: { kiamol: 'ch06' }, annotations: {} });
  });

  it('labels the Endpoints of a headless Service service.kubernetes.io/headless', () => {
    const w = endpointsWrite(service(undefined, { clusterIP: 'None' }), undefined, [], undefined);
    expect(w.kind === 'create' && w.endpoints.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
  });
});

describe('truncateSubsets (upstream truncateEndpoints, maxCapacity 1000)', () => {
  const addrs = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ ip: `${prefix}.${i}` }));
  const subset = (ready: number, notReady: number, prefix: string): EndpointSubset => ({ addresses: addrs(ready, `${prefix}.r`), notReadyAddresses: addrs(notReady, `${prefix}.n`) });
  const counts = (ss: EndpointSubset[]) => ss.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]);

  it.each<[string, [number, number][], [number, number][], boolean]>([
    ['1000 addresses fit', [[600, 0], [300, 100]], [[600, 0], [300, 100]], false],
    ['ready 600 + 300, not ready 100 + 300: the not-ready share the last 100 (25 and 75)', [[600, 100], [300, 300]], [[600, 25], [300, 75]], true],
    ['ready 1500 + 500: 750 and 250 ready, no not-ready', [[1500, 10], [500, 0]], [[750, 0], [250, 0]], true],
    ['ready 999 + 3: ceil(999/1002·1000) = 998, the last subset gets the 2 left', [[999, 0], [3, 0]], [[998, 0], [2, 0]], true],
  ])('%s', (_, input, want, truncated) => {
    const r = truncateSubsets(input.map(([a, b], i) => subset(a, b, `10.${i}`)));
    expect({ counts: counts(r.subsets), truncated: r.truncated }).toEqual({ counts: want, truncated });
  });

  it('marks a truncated Endpoints over-capacity: truncated, and does not rewrite it at the next sync', () => {
    const big = [subset(1200, 0, '10.0')];
    const w = endpointsWrite(service(), undefined, big, undefined);
    expect(w.kind === 'create' && [w.endpoints.metadata.annotations?.[OVER_CAPACITY_ANNOTATION], w.endpoints.subsets?.[0]?.addresses?.length]).toEqual(['truncated', 1000]);
    if (w.kind === 'none') return;
    expect(endpointsWrite(service(), w.endpoints, big, undefined).kind).toBe('none');
  });
});

describe('TriggerTimeTracker (upstream ComputeEndpointLastChangeTriggerTime)', () => {
  it('gives the earliest changed time: the Service creation first, then pods whose readiness moved, none for a deletion', () => {
    const t = new TriggerTimeTracker();
    const svc = service();
    const a = pod('a', { ip: '10.1.0.2', readySince: T0 + 10_000 });
    const b = pod('b', { ip: '10.1.0.3', readySince: T0 + 12_000 });
    expect(t.compute('default/web', svc, [a, b])).toBe(T0);
    expect(t.compute('default/web', svc, [a, b])).toBeUndefined();
    const b2 = pod('b', { ip: '10.1.0.3', ready: false, readySince: T0 + 30_000 });
    expect(t.compute('default/web', svc, [a, b2])).toBe(T0 + 30_000);
    expect(t.compute('default/web', svc, [a])).toBeUndefined();
  });
});

describe('EndpointSlices', () => {
  const nodes = new Map<string, Node>([['node-1', { metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'z1' } } } as unknown as Node]]);
  const input = (pods: Pod[], existing: EndpointSlice[] = [], max = 100) => ({ service: service(), pods, existing, node: (n: string) => nodes.get(n), maxEndpointsPerSlice: max });
  const named = (s: EndpointSlice, name: string): EndpointSlice => ({ ...s, metadata: { ...s.metadata, name, resourceVersion: '1' } });
  const ipsOf = (s: EndpointSlice) => s.endpoints.map((e) => e.addresses[0]);

  it.each<[string, PodOpts, { ready: boolean; serving: boolean; terminating: boolean }]>([
    ['a ready pod', { ip: '10.1.0.2' }, { ready: true, serving: true, terminating: false }],
    ['a not ready pod', { ip: '10.1.0.2', ready: false }, { ready: false, serving: false, terminating: false }],
    ['a ready terminating pod: serving but not ready', { ip: '10.1.0.2', deleting: true }, { ready: false, serving: true, terminating: true }],
  ])('podToEndpoint: %s', (_, o, conditions) => {
    expect(podToEndpoint(pod('a', o), nodes.get('node-1'), service())).toEqual({
      addresses: ['10.1.0.2'],
      conditions,
      nodeName: 'node-1',
      zone: 'z1',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' },
    });
  });

  it('labels slices with the service name and the managed-by controller, keeping the Service labels', () => {
    expect(endpointSliceLabels(service(undefined, {}, { kiamol: 'ch06', 'kubernetes.io/service-name': 'spoof' }))).toEqual({
      kiamol: 'ch06',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
  });

  it('creates one slice owned by the Service for 3 pods, with the resolved port', () => {
    const plan = reconcileSlices(input([pod('a', { ip: '10.1.0.2' }), pod('b', { ip: '10.1.0.3' }), pod('c', { ip: '10.1.0.4' })]));
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.create).toHaveLength(1);
    const [slice] = plan.create;
    expect(slice!.metadata.generateName).toBe('web-');
    expect(slice!.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    expect(slice!.addressType).toBe('IPv4');
    expect(slice!.ports).toEqual([{ name: '', port: 80, protocol: 'TCP' }]);
    expect(ipsOf(slice!)).toEqual(['10.1.0.2', '10.1.0.3', '10.1.0.4']);
  });

  it('packs 250 pods at most 100 per slice: 100, 100, 50', () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, { ip: `10.1.${Math.floor(i / 200)}.${(i % 200) + 2}` }));
    expect(reconcileSlices(input(pods)).create.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
  });

  it('on a pod deletion updates only the slice that held it', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, { ip: `10.1.0.${i + 2}` }));
    const [s1, s2] = reconcileSlices(input(pods, [], 3)).create.map((s, i) => named(s, `web-${i}`));
    expect([ipsOf(s1!), ipsOf(s2!)]).toEqual([['10.1.0.2', '10.1.0.3', '10.1.0.4'], ['10.1.0.5', '10.1.0.6']]);
    const plan = reconcileSlices(input(pods.filter((p) => p.metadata.name !== 'p0'), [s1!, s2!], 3));
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update.map((s) => [s.metadata.name, ipsOf(s)])).toEqual([['web-0', ['10.1.0.3', '10.1.0.4']]]);
  });

  it('puts a new pod into the fullest unchanged slice with room (getSliceToFill)', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, { ip: `10.1.0.${i + 2}` }));
    const slices = reconcileSlices(input(pods, [], 3)).create.map((s, i) => named(s, `web-${i}`));
    const plan = reconcileSlices(input([...pods, pod('p5', { ip: '10.1.0.7' })], slices, 3));
    expect(plan.create).toEqual([]);
    expect(plan.update.map((s) => [s.metadata.name, ipsOf(s)])).toEqual([['web-1', ['10.1.0.5', '10.1.0.6', '10.1.0.7']]]);
  });

  it('fills a slice being updated before touching unchanged ones', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, { ip: `10.1.0.${i + 2}` }));
    const slices = reconcileSlices(input(pods, [], 3)).create.map((s, i) => named(s, `web-${i}`));
    const next = [...pods.filter((p) => p.metadata.name !== 'p0'), pod('p5', { ip: '10.1.0.7' })];
    const plan = reconcileSlices(input(next, slices, 3));
    expect(plan.update.map((s) => [s.metadata.name, ipsOf(s)])).toEqual([['web-0', ['10.1.0.3', '10.1.0.4', '10.1.0.7']]]);
  });

  it('keeps one placeholder slice without endpoints or ports when nothing is selected', () => {
    const plan = reconcileSlices(input([]));
    expect(plan.create.map((s) => [s.endpoints, s.ports])).toEqual([[[], []]]);
    const placeholder = named(plan.create[0]!, 'web-0');
    expect(reconcileSlices(input([], [placeholder]))).toEqual({ create: [], update: [], delete: [], skippedPods: [] });
  });

  it('replaces a placeholder by updating it rather than deleting it and creating a slice', () => {
    const placeholder = named(reconcileSlices(input([])).create[0]!, 'web-0');
    const plan = reconcileSlices(input([pod('a', { ip: '10.1.0.2' })], [placeholder]));
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update.map((s) => [s.metadata.name, ipsOf(s), s.ports])).toEqual([['web-0', ['10.1.0.2'], [{ name: '', port: 80, protocol: 'TCP' }]]]);
  });

  it('skips pods on an unknown node, to retry later', () => {
    const plan = reconcileSlices(input([pod('a', { ip: '10.1.0.2', node: 'ghost' }), pod('b', { ip: '10.1.0.3' })]));
    expect(plan.skippedPods).toEqual(['a']);
    expect(plan.create.flatMap(ipsOf)).toEqual(['10.1.0.3']);
  });

  it('sliceToFill picks the fullest slice that still has room for all of them', () => {
    const s = (n: number, name: string) => ({ metadata: { name }, endpoints: Array.from({ length: n }) }) as unknown as EndpointSlice;
    expect(sliceToFill([s(5, 'a'), s(8, 'b'), s(9, 'c')], 2, 10)?.metadata.name).toBe('b');
    expect(sliceToFill([s(9, 'c')], 2, 10)).toBeUndefined();
  });
});
