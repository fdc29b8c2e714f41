/**
 * The Endpoints and EndpointSlice controllers end to end on a SimCluster (upstream
 * `pkg/controller/endpoint` and `pkg/controller/endpointslice`): the walkthrough's Service
 * `whoami-web` with three bare pods labelled as its ReplicaSet's template.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApiError, EndpointSlices, Endpoints, Events, Pods, Services, faults, isApiError, parseManifests } from '@kubeloop/core';
import type { EndpointSlice, Pod } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION } from '@kubeloop/controllers';
import { endpointsMatchPods } from '@kubeloop/controllers';
import { endpointsPlugin } from '@kubeloop/controllers';

const walkthrough = (file: string): string => readFileSync(fileURLToPath(new URL(`../../../../examples/walkthroughs/${file}`, import.meta.url)), 'utf8');
const SERVICE = walkthrough('service-whoami-web.yaml');

/** The labels and containers of the walkthrough ReplicaSet's pod template. */
function template(): { labels: Record<string, string>; containers: unknown[] } {
  const [rs] = parseManifests(walkthrough('replicaset-whoami-web.yaml'), 'replicaset-whoami-web.yaml');
  const t = (rs!.body as { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: unknown[] } } } }).spec.template;
  return { labels: t.metadata.labels, containers: t.spec.containers };
}

function pod(name: string, node: string): object {
  const t = template();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: t.labels },
    spec: { nodeSelector: { 'kubernetes.io/hostname': node }, containers: t.containers },
  };
}

async function cluster(): Promise<SimCluster> {
  return SimCluster.create({ seed: 3, nodes: 2, controllerManager: { plugins: [endpointsPlugin()] } });
}

async function state(c: SimCluster) {
  return {
    services: (await c.list(Services)).items,
    pods: (await c.list(Pods)).items,
    endpoints: (await c.list(Endpoints)).items,
    endpointSlices: (await c.list(EndpointSlices)).items,
  };
}

const podIP = async (c: SimCluster, name: string): Promise<string> => (await c.get(Pods, { namespace: 'default', name })).status.podIP ?? '';
const addresses = async (c: SimCluster, field: 'addresses' | 'notReadyAddresses'): Promise<string[]> =>
  ((await c.get(Endpoints, { namespace: 'default', name: 'whoami-web' })).subsets ?? []).flatMap((s) => (s[field] ?? []).map((a) => a.ip)).sort();
const slices = async (c: SimCluster): Promise<readonly EndpointSlice[]> => (await c.list(EndpointSlices, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=whoami-web' })).items;

describe('Service whoami-web endpoints', () => {
  it('lists the 3 ready pods on the target port, drops a deleted pod, and moves a pod that is no longer ready to notReadyAddresses', async () => {
    const c = await cluster();
    await c.apply(SERVICE, 'service-whoami-web.yaml');
    await c.apply([pod('web-a', 'node-1'), pod('web-b', 'node-1'), pod('web-c', 'node-2')]);
    await c.settle();

    const ips = await Promise.all(['web-a', 'web-b', 'web-c'].map((n) => podIP(c, n)));
    const ep = await c.get(Endpoints, { namespace: 'default', name: 'whoami-web' });
    expect(ep.metadata.labels).toEqual({ kiamol: 'ch06' });
    expect(ep.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME_ANNOTATION]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets![0]!.ports).toEqual([{ name: '', port: 80, protocol: 'TCP' }]);
    expect(ep.subsets![0]!.addresses!.map((a) => a.ip)).toEqual([...ips].sort());
    expect(ep.subsets![0]!.addresses!.find((a) => a.ip === ips[2])).toMatchObject({ nodeName: 'node-2', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-c' } });

    const [slice, ...more] = await slices(c);
    expect(more).toEqual([]);
    expect(slice!.metadata.labels).toMatchObject({ kiamol: 'ch06', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice!.metadata.ownerReferences).toMatchObject([{ kind: 'Service', name: 'whoami-web', controller: true }]);
    expect(slice!.addressType).toBe('IPv4');
    expect(slice!.ports).toEqual([{ name: '', port: 80, protocol: 'TCP' }]);
    expect(slice!.endpoints.map((e) => [e.addresses[0], e.conditions])).toEqual(ips.map((ip) => [ip, { ready: true, serving: true, terminating: false }]));
    expect(endpointsMatchPods(await state(c))).toEqual([]);

    // Deleting a pod: it leaves the Endpoints at once (terminating), and the slices once gone.
    await c.delete(Pods, { namespace: 'default', name: 'web-a' });
    await c.settle();
    expect(await addresses(c, 'addresses')).toEqual([ips[1], ips[2]].sort());
    expect((await slices(c)).flatMap((s) => s.endpoints.map((e) => e.addresses[0])).sort()).toEqual([ips[1], ips[2]].sort());
    expect(endpointsMatchPods(await state(c))).toEqual([]);

    // node-2 falls silent: the node lifecycle controller marks web-c Ready=False.
    c.stopNode('node-2');
    await c.advance(70_000);
    const webC: Pod = await c.get(Pods, { namespace: 'default', name: 'web-c' });
    expect(webC.status.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
    expect(await addresses(c, 'addresses')).toEqual([ips[1]]);
    expect(await addresses(c, 'notReadyAddresses')).toEqual([ips[2]]);
    const endpointC = (await slices(c)).flatMap((s) => s.endpoints).find((e) => e.targetRef?.name === 'web-c');
    expect(endpointC?.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(endpointsMatchPods(await state(c))).toEqual([]);
    await c.stop();
  });

  it('shows a terminating pod in the slices as terminating while it stops', async () => {
    const c = await cluster();
    await c.apply(SERVICE, 'service-whoami-web.yaml');
    await c.apply([{ ...pod('web-a', 'node-1'), metadata: { name: 'web-a', namespace: 'default', labels: template().labels, annotations: { 'kubeloop.dev/behavior': 'stop-after=20s' } } }]);
    await c.settle();
    await c.delete(Pods, { namespace: 'default', name: 'web-a' });
    await c.advance(2_000);
    expect(await addresses(c, 'addresses')).toEqual([]);
    const [e] = (await slices(c)).flatMap((s) => s.endpoints);
    expect(e?.conditions).toEqual({ ready: false, serving: true, terminating: true });
    await c.stop();
  });

  it('deletes the Endpoints of a deleted Service and leaves Services without a selector alone', async () => {
    const c = await cluster();
    await c.apply(SERVICE, 'service-whoami-web.yaml');
    await c.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'external', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    await c.apply({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external', namespace: 'default' }, subsets: [{ addresses: [{ ip: '192.168.0.9' }], ports: [{ port: 80 }] }] });
    await c.settle();
    // No pods: an Endpoints without subsets and one placeholder slice.
    expect((await c.get(Endpoints, { namespace: 'default', name: 'whoami-web' })).subsets ?? []).toEqual([]);
    expect((await slices(c)).map((s) => [s.endpoints, s.ports])).toEqual([[[], []]]);
    expect((await c.get(Endpoints, { namespace: 'default', name: 'external' })).subsets?.[0]?.addresses).toEqual([{ ip: '192.168.0.9' }]);

    await c.delete(Services, { namespace: 'default', name: 'whoami-web' });
    await c.settle();
    const gone = await c.get(Endpoints, { namespace: 'default', name: 'whoami-web' }).then(
      () => false,
      (e: unknown) => isApiError(e, 'NotFound'),
    );
    expect(gone).toBe(true);
    await c.stop();
  });

  it('records FailedToCreateEndpoint on the Endpoints when a create fails, and retries', async () => {
    let failed = 0;
    const refuseFirst = faults((r) => (r.verb === 'create' && r.resource?.resource === 'endpoints' && failed++ === 0 ? new ApiError('ServiceUnavailable', 'injected') : undefined));
    const c = await SimCluster.create({ seed: 3, nodes: 1, controllerManager: { plugins: [endpointsPlugin()], interceptors: [refuseFirst] } });
    await c.apply(SERVICE, 'service-whoami-web.yaml');
    await c.settle();
    expect((await c.get(Endpoints, { namespace: 'default', name: 'whoami-web' })).metadata.labels).toEqual({ kiamol: 'ch06' });
    const events = (await c.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'FailedToCreateEndpoint');
    expect(events.map((e) => [e.type, e.involvedObject.kind, e.involvedObject.name])).toEqual([['Warning', 'Endpoints', 'whoami-web']]);
    expect(events[0]!.message).toMatch(/^Failed to create endpoint for service default\/whoami-web: /);
    await c.stop();
  });
});
