/**
 * endpointWritesFollowPods and lastChangeTriggerTime are each fed the writes of a controller
 * broken on purpose (one that ignores a deletion, a deleted node or publishNotReadyAddresses;
 * one whose trigger time tracker forgets what it published).
 *
 * noEndpointsWithoutService: the Endpoints of a deleted Service must go (upstream syncService on
 * a NotFound Service). endpointsMatchPods: which pods a Service's endpoints must list, as the
 * invariant states it on its own (named ports, terminal pods).
 */
import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH_MS, clusterState, formatTime } from '@kubeloop/core';
import type { ClusterState, EndpointSlice, Endpoints, KubeObject, Node, Pod, Service, StateChange } from '@kubeloop/core';
import { endpointWritesFollowPods, endpointsMatchPods, lastChangeTriggerTime, noEndpointsWithoutService, terminatingEndpointsWithin } from './invariants.js';

const service = (namespace: string, name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec: { selector: { app: name } } }) as unknown as Service;
const endpoints = (namespace: string, name: string): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace, name } }) as unknown as Endpoints;

describe('noEndpointsWithoutService', () => {
  it('holds when every Endpoints has its Service, and skips the API server’s default/kubernetes', () => {
    expect(noEndpointsWithoutService({ services: [service('default', 'web')], endpoints: [endpoints('default', 'web'), endpoints('default', 'kubernetes')] })).toEqual([]);
  });

  it('names Endpoints whose Service is gone, matching by namespace and name (a same-named Service elsewhere does not count; kubernetes outside default is not skipped)', () => {
    const violations = noEndpointsWithoutService({ services: [service('other', 'web')], endpoints: [endpoints('default', 'web'), endpoints('other', 'web'), endpoints('other', 'kubernetes')] });
    expect(violations).toEqual([
      { objects: [{ kind: 'Endpoints', namespace: 'default', name: 'web' }], message: 'Endpoints default/web is left although its Service is gone' },
      { objects: [{ kind: 'Endpoints', namespace: 'other', name: 'kubernetes' }], message: 'Endpoints other/kubernetes is left although its Service is gone' },
    ]);
  });
});

describe('endpointsMatchPods', () => {
  const web = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] } } as unknown as Service;
  const pod = (name: string, ip: string, options: { port?: string; phase?: string; restartPolicy?: string } = {}): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'default', name, labels: { app: 'web' } },
      spec: { restartPolicy: options.restartPolicy ?? 'Always', containers: [{ name: 'c', image: 'nginx', ports: options.port === undefined ? [] : [{ name: options.port, containerPort: 8080, protocol: 'TCP' }] }] },
      status: { phase: options.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
    }) as unknown as Pod;
  const endpoints = (ready: string[]): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'default', name: 'web' }, subsets: [{ addresses: ready.map((ip) => ({ ip })) }] }) as unknown as Endpoints;
  const slice = (ready: string[]): EndpointSlice =>
    ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: 'default', name: 'web-x', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4',
      endpoints: ready.map((ip, i) => ({ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: 'default', name: `p${i}` } })),
    }) as unknown as EndpointSlice;
  // p1 declares the named port, p2 does not, p3 completed for good (restartPolicy Never).
  const pods = [pod('p1', '10.0.0.1', { port: 'http' }), pod('p2', '10.0.0.2'), pod('p3', '10.0.0.3', { port: 'http', phase: 'Succeeded', restartPolicy: 'Never' })];

  it('holds when the Endpoints list the pods that resolve the named targetPort, and the slices every selected pod that can serve', () => {
    expect(endpointsMatchPods({ services: [web], pods, endpoints: [endpoints(['10.0.0.1'])], endpointSlices: [slice(['10.0.0.1', '10.0.0.2'])] })).toEqual([]);
  });

  it('names the Service whose Endpoints list a pod without the named port, or a pod that completed for good', () => {
    const violations = endpointsMatchPods({ services: [web], pods, endpoints: [endpoints(['10.0.0.1', '10.0.0.2', '10.0.0.3'])], endpointSlices: [slice(['10.0.0.1', '10.0.0.2', '10.0.0.3'])] });
    expect(violations.map((v) => v.objects)).toEqual([[{ kind: 'Service', namespace: 'default', name: 'web' }], [{ kind: 'Service', namespace: 'default', name: 'web' }]]);
    expect(violations.map((v) => v.message)).toEqual(['Endpoints default/web lists ready [10.0.0.1, 10.0.0.2, 10.0.0.3], pods say [10.0.0.1]', 'EndpointSlices [web-x] list ready [10.0.0.1, 10.0.0.2, 10.0.0.3], pods say [10.0.0.1, 10.0.0.2]']);
  });
});

describe('endpointsMatchPods with nodes', () => {
  const web = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } as unknown as Service;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'p1', labels: { app: 'web' } }, spec: { nodeName: 'gone', containers: [] }, status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] } } as unknown as Pod;
  const endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'default', name: 'web' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] } as unknown as Endpoints;
  const slice = (ips: string[]): EndpointSlice =>
    ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: 'default', name: 'web-x', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: 'default', name: 'p1' } })),
    }) as unknown as EndpointSlice;

  it('does not judge the slices of a pod whose node is gone (upstream drops it only at the next sync), but still its Endpoints', () => {
    expect(endpointsMatchPods({ services: [web], pods: [pod], endpoints: [endpoints], endpointSlices: [slice([])], nodes: [] })).toEqual([]);
    expect(endpointsMatchPods({ services: [web], pods: [pod], endpoints: [endpoints], endpointSlices: [slice(['10.0.0.1'])], nodes: [] })).toEqual([]);
    expect(endpointsMatchPods({ services: [web], pods: [pod], endpoints: [{ ...endpoints, subsets: [] }], endpointSlices: [slice([])], nodes: [] }).map((v) => v.message)).toEqual(['Endpoints default/web lists ready [], pods say [10.0.0.1]']);
  });

  it('expects the pod in the slices when its node exists, or when nodes are not given', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gone' } } as unknown as Node;
    expect(endpointsMatchPods({ services: [web], pods: [pod], endpoints: [endpoints], endpointSlices: [slice([])], nodes: [node] })).toHaveLength(1);
    expect(endpointsMatchPods({ services: [web], pods: [pod], endpoints: [endpoints], endpointSlices: [slice([])] })).toHaveLength(1);
  });
});

/** A run's states, one per batch of changes (each change with its virtual ms), as the checker chains them. */
function run(...batches: { t: number; changes: [StateChange['type'], KubeObject, number][] }[]): ClusterState {
  let state: ClusterState | undefined;
  const live = new Map<string, KubeObject>();
  for (const batch of batches) {
    const changes: StateChange[] = batch.changes.map(([type, object, t]) => ({ type, object, t }));
    for (const c of changes) {
      const key = `${c.object.kind}/${c.object.metadata.namespace ?? ''}/${c.object.metadata.name ?? ''}`;
      if (c.type === 'DELETED') live.delete(key);
      else live.set(key, c.object);
    }
    state = clusterState([...live.values()], batch.t, changes, state);
  }
  return state!;
}

const at = (ms: number): string => formatTime(VIRTUAL_EPOCH_MS + ms);

describe('endpointWritesFollowPods', () => {
  const service = (publishNotReadyAddresses = false): Service =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web', uid: 's1' }, spec: { selector: { app: 'web' }, publishNotReadyAddresses } }) as unknown as Service;
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } } as unknown as Node;
  const pod = (deleting: boolean, ready = true): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'default', name: 'p1', uid: 'u1', labels: { app: 'web' }, ...(deleting ? { deletionTimestamp: at(46_000) } : {}) },
      spec: { nodeName: 'node-1', containers: [] },
      status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at(0) }] },
    }) as unknown as Pod;
  const slice = (conditions: { ready: boolean; serving: boolean; terminating: boolean }): EndpointSlice =>
    ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: 'default', name: 'web-x', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions, targetRef: { kind: 'Pod', namespace: 'default', name: 'p1', uid: 'u1' } }],
    }) as unknown as EndpointSlice;
  const endpoints = (field: 'addresses' | 'notReadyAddresses'): Endpoints =>
    ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'default', name: 'web' }, subsets: [{ [field]: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', namespace: 'default', name: 'p1', uid: 'u1' } }] }] }) as unknown as Endpoints;
  const start = (svc: Service) => ({ t: 0, changes: [['ADDED', node, 0], ['ADDED', svc, 0], ['ADDED', pod(false), 0]] as [StateChange['type'], KubeObject, number][] });

  it('holds for a terminating pod published as terminating and serving, not ready, and left out of the Endpoints', () => {
    const state = run(start(service()), { t: 2_000, changes: [['MODIFIED', pod(true), 1_000], ['MODIFIED', slice({ ready: false, serving: true, terminating: true }), 2_000], ['MODIFIED', { ...endpoints('addresses'), subsets: [] } as Endpoints, 2_000]] });
    expect(endpointWritesFollowPods(state)).toEqual([]);
  });

  it('accepts a write that shows the pod as it was just before a change made at the same instant', () => {
    const state = run(start(service()), { t: 1_000, changes: [['MODIFIED', pod(true), 1_000], ['MODIFIED', slice({ ready: true, serving: true, terminating: false }), 1_000]] });
    expect(endpointWritesFollowPods(state)).toEqual([]);
  });

  it('fails a slice controller that ignores the deletion (ready, not terminating) written after it', () => {
    const state = run(start(service()), { t: 2_000, changes: [['MODIFIED', pod(true), 1_000], ['MODIFIED', slice({ ready: true, serving: true, terminating: false }), 2_000]] });
    expect(endpointWritesFollowPods(state).map((v) => v.message)).toEqual([
      'EndpointSlice default/web-x written at 2000 ms lists pod p1 with {"ready":true,"serving":true,"terminating":false}, which does not show the pod as it was (Ready True, terminating true, node node-1)',
    ]);
  });

  it('fails a slice that calls a terminating pod ready without publishNotReadyAddresses, and accepts it with', () => {
    const broken = run(start(service()), { t: 2_000, changes: [['MODIFIED', pod(true), 1_000], ['MODIFIED', slice({ ready: true, serving: true, terminating: true }), 2_000]] });
    expect(endpointWritesFollowPods(broken)).toHaveLength(1);
    const tolerated = run(start(service(true)), { t: 2_000, changes: [['MODIFIED', pod(true), 1_000], ['MODIFIED', slice({ ready: true, serving: true, terminating: true }), 2_000]] });
    expect(endpointWritesFollowPods(tolerated)).toEqual([]);
  });

  it('fails an Endpoints write that keeps a terminating pod among the ready addresses, or a not-ready pod there, and accepts both with publishNotReadyAddresses', () => {
    const terminating = run(start(service()), { t: 2_000, changes: [['MODIFIED', pod(true), 1_000], ['MODIFIED', endpoints('addresses'), 2_000]] });
    expect(endpointWritesFollowPods(terminating).map((v) => v.message)).toEqual(['Endpoints default/web written at 2000 ms lists pod p1 as ready, which does not show the pod as it was (Ready True, terminating true)']);
    const notReady = run(start(service()), { t: 2_000, changes: [['MODIFIED', pod(false, false), 1_000], ['MODIFIED', endpoints('addresses'), 2_000]] });
    expect(endpointWritesFollowPods(notReady)).toHaveLength(1);
    expect(endpointWritesFollowPods(run(start(service()), { t: 2_000, changes: [['MODIFIED', pod(false, false), 1_000], ['MODIFIED', endpoints('notReadyAddresses'), 2_000]] }))).toEqual([]);
    expect(endpointWritesFollowPods(run(start(service(true)), { t: 2_000, changes: [['MODIFIED', pod(true, false), 1_000], ['MODIFIED', endpoints('addresses'), 2_000]] }))).toEqual([]);
  });

  it('fails a write that lists a pod deleted before, or a slice endpoint on a Node deleted before (not with publishNotReadyAddresses)', () => {
    const gonePod = run(start(service()), { t: 2_000, changes: [['DELETED', pod(true), 1_000], ['MODIFIED', slice({ ready: false, serving: true, terminating: true }), 2_000]] });
    expect(endpointWritesFollowPods(gonePod).map((v) => v.message)).toEqual(['EndpointSlice default/web-x written at 2000 ms lists pod p1, deleted (or never there) before']);
    const goneNode = run(start(service()), { t: 2_000, changes: [['DELETED', node, 1_000], ['MODIFIED', slice({ ready: true, serving: true, terminating: false }), 2_000]] });
    expect(endpointWritesFollowPods(goneNode)).toHaveLength(1);
    const tolerated = run(start(service(true)), { t: 2_000, changes: [['DELETED', node, 1_000], ['MODIFIED', slice({ ready: true, serving: true, terminating: false }), 2_000]] });
    expect(endpointWritesFollowPods(tolerated)).toEqual([]);
  });
});

describe('lastChangeTriggerTime', () => {
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web', creationTimestamp: at(0) }, spec: { selector: { app: 'web' } } } as unknown as Service;
  const pod = (readySince: number): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'p1', labels: { app: 'web' } }, spec: { containers: [] }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at(readySince) }] } }) as unknown as Pod;
  const endpoints = (trigger: string): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'default', name: 'web', annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': trigger } } }) as unknown as Endpoints;
  // The Service is created at 0 and first synced at 1 s (a change at the instant of a write may have come after its sync).
  const first = { t: 1_000, changes: [['ADDED', service, 0], ['ADDED', endpoints(at(0)), 1_000]] as [StateChange['type'], KubeObject, number][] };

  it("holds for the Service's creation at its first write, then the Ready transition of a pod written since", () => {
    const state = run(first, { t: 5_000, changes: [['ADDED', pod(4_000), 4_000], ['MODIFIED', endpoints(at(4_000)), 5_000]] });
    expect(lastChangeTriggerTime(state)).toEqual([]);
  });

  it('fails a tracker that forgets what it published (the creation again, or a pod transition published before)', () => {
    const again = run(first, { t: 5_000, changes: [['ADDED', pod(4_000), 4_000], ['MODIFIED', endpoints(at(0)), 5_000]] });
    expect(lastChangeTriggerTime(again).map((v) => v.message)).toEqual([
      "Endpoints default/web written at 5000 ms carries last-change-trigger-time 2026-01-01T00:00:00Z, which is neither the creation of the Service nor a pod's Ready transition written since the controller's previous write for it (at 1000 ms)",
    ]);
    const stale = run(first, { t: 5_000, changes: [['ADDED', pod(4_000), 4_000], ['MODIFIED', endpoints(at(4_000)), 5_000]] }, { t: 9_000, changes: [['MODIFIED', endpoints(at(4_000)), 9_000]] });
    expect(lastChangeTriggerTime(stale)).toHaveLength(1);
  });

  it('accepts any selected pod’s transition after the Service changed (a new selector), and fails a time later than the write', () => {
    const published = { t: 4_000, changes: [['ADDED', pod(2_000), 2_000], ['MODIFIED', endpoints(at(2_000)), 3_000]] as [StateChange['type'], KubeObject, number][] };
    const reselected = run(first, published, { t: 9_000, changes: [['MODIFIED', service, 8_000], ['MODIFIED', endpoints(at(2_000)), 9_000]] });
    expect(lastChangeTriggerTime(reselected)).toEqual([]);
    const unchanged = run(first, published, { t: 9_000, changes: [['MODIFIED', endpoints(at(2_000)), 9_000]] });
    expect(lastChangeTriggerTime(unchanged)).toHaveLength(1);
    const future = run(first, { t: 9_000, changes: [['ADDED', pod(12_000), 9_000], ['MODIFIED', endpoints(at(12_000)), 9_000]] });
    expect(lastChangeTriggerTime(future).map((v) => v.message)).toEqual(['Endpoints default/web written at 9000 ms carries last-change-trigger-time 2026-01-01T00:00:12Z, later than the write']);
  });

  it('fails a first write for a Service without the annotation (a tracker that does not count a new Service), not a later one', () => {
    const bare = { apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'default', name: 'web' } } as unknown as Endpoints;
    expect(lastChangeTriggerTime(run({ t: 1_000, changes: [['ADDED', service, 0], ['ADDED', bare, 1_000]] })).map((v) => v.message)).toEqual([
      'Endpoints default/web written at 1000 ms is the first write for Service web and carries no last-change-trigger-time (the Service\'s creation at the latest)',
    ]);
    expect(lastChangeTriggerTime(run(first, { t: 2_000, changes: [['MODIFIED', bare, 2_000]] }))).toEqual([]);
  });

  it('fails a write listing a pod that became Ready after the previous write without the annotation (a tracker blind to readiness changes)', () => {
    const listing = { apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'default', name: 'web' }, subsets: [{ addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', namespace: 'default', name: 'p1' } }] }] } as unknown as Endpoints;
    expect(lastChangeTriggerTime(run(first, { t: 5_000, changes: [['ADDED', pod(4_000), 4_000], ['MODIFIED', listing, 5_000]] })).map((v) => v.message)).toEqual([
      "Endpoints default/web written at 5000 ms lists pod p1, whose Ready transition came after the controller's previous write for Service web (at 1000 ms), and carries no last-change-trigger-time",
    ]);
    // Ready within the second of the previous write: a sync may have seen it then.
    expect(lastChangeTriggerTime(run(first, { t: 5_000, changes: [['ADDED', pod(1_000), 1_000], ['MODIFIED', listing, 5_000]] }))).toEqual([]);
  });
});

describe('terminatingEndpointsWithin', () => {
  const service = (publishNotReadyAddresses: boolean): Service =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { selector: { app: 'web' }, publishNotReadyAddresses } }) as unknown as Service;
  // Deleted at 10 s with a 45 s grace period: terminating until 55 s.
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'p1', uid: 'u1', labels: { app: 'web' }, deletionTimestamp: at(55_000), deletionGracePeriodSeconds: 45 }, spec: { containers: [] }, status: { podIP: '10.0.0.1' } } as unknown as Pod;
  const ref = { kind: 'Pod', namespace: 'default', name: 'p1', uid: 'u1' };
  const endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'default', name: 'web' }, subsets: [{ addresses: [{ ip: '10.0.0.1', targetRef: ref }] }] } as unknown as Endpoints;
  const slice = (conditions: object): EndpointSlice =>
    ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { namespace: 'default', name: 'web-x', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions, targetRef: ref }] }) as unknown as EndpointSlice;

  it('fails an Endpoints controller that keeps a terminating pod, and a slice controller that does not mark it, once the bound has passed', () => {
    const state = clusterState([service(false), pod, endpoints, slice({ ready: true, serving: true, terminating: false })], 13_000);
    expect(terminatingEndpointsWithin(state, 2_000).map((v) => v.message)).toEqual([
      'Endpoints default/web still lists pod p1, terminating since over 2000 ms',
      'EndpointSlice default/web-x lists pod p1, terminating since over 2000 ms, with {"ready":true,"serving":true,"terminating":false}',
    ]);
  });

  it('holds within the bound, with the pod marked, and with publishNotReadyAddresses (listed, ready, terminating)', () => {
    expect(terminatingEndpointsWithin(clusterState([service(false), pod, endpoints, slice({ ready: true, serving: true, terminating: false })], 11_000), 2_000)).toEqual([]);
    expect(terminatingEndpointsWithin(clusterState([service(false), pod, { ...endpoints, subsets: [] } as Endpoints, slice({ ready: false, serving: true, terminating: true })], 13_000), 2_000)).toEqual([]);
    expect(terminatingEndpointsWithin(clusterState([service(true), pod, endpoints, slice({ ready: true, serving: true, terminating: true })], 13_000), 2_000)).toEqual([]);
  });
});
