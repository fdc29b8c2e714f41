/**
 * ResourceQuota: what quota counts, by table; and the admission hook on an API server under
 * generated creates and deletes (a property). The controller with the hook on a SimCluster,
 * where a Deployment meets a quota, is in `packages/integration/src/resourcequota/`.
 *
 * Invariant of the property, in words: whatever pods are created and deleted, the pods the
 * store holds never use more of a quota's resources than its limits, every create the hook
 * refuses is a 403 `exceeded quota` naming the resources it would exceed, and every create it
 * admits fits.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { ApiServer, ConfigMaps, PodSchema, Pods, ReplicaSets, ResourceQuotas, Services, VirtualClock, createBuiltinRegistry, isApiError, parseQuantity, seededRng } from '@kubeloop/core';
import type { Pod, ResourceQuota } from '@kubeloop/core';
import { resourceQuotaAdmission } from './admission.js';
import { formatUsage, podConstraintViolation, quotaUsage, scopesSelect, tracks } from './decide.js';

const runs = process.env['KUBELOOP_DEEP'] === '1' ? 2_000 : 100;

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
const container = (name: string, resources: Resources = {}, extra: Record<string, unknown> = {}) => ({ name, image: 'nginx', resources, ...extra });

function pod(spec: Record<string, unknown>, status: Record<string, unknown> = {}): Pod {
  return PodSchema.parse({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec, status });
}

const usage = (p: Pod, now = 0): Record<string, string> => Object.fromEntries([...quotaUsage(Pods, p, now)].map(([k, v]) => [k, v.toString()]));

function quota(spec: Record<string, unknown>): ResourceQuota {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'default' }, spec, status: {} } as ResourceQuota;
}

describe('what quota counts (upstream quota evaluators)', () => {
  it('charges a pod its requests and limits: containers and sidecars summed, the larger init container, plus overhead', () => {
    const p = pod({
      initContainers: [container('init', { requests: { cpu: '2' } }), container('side', { requests: { cpu: '100m', memory: '64Mi' } }, { restartPolicy: 'Always' })],
      containers: [container('app', { requests: { cpu: '500m', memory: '128Mi', 'example.com/gpu': '1' }, limits: { cpu: '1' } })],
      overhead: { cpu: '10m' },
    });
    expect(usage(p)).toEqual({
      'count/pods': '1',
      pods: '1',
      cpu: '2010m',
      'requests.cpu': '2010m',
      'limits.cpu': '1010m',
      memory: '192Mi',
      'requests.memory': '192Mi',
      'requests.example.com/gpu': '1',
    });
  });

  it('adds the whole overhead to requests, but to limits only where a limit is set (upstream PodRequests/PodLimits)', () => {
    const p = pod({ containers: [container('app', { requests: { cpu: '100m' }, limits: { cpu: '200m' } })], overhead: { cpu: '10m', memory: '16Mi' } });
    expect(usage(p)).toMatchObject({ 'requests.cpu': '110m', 'requests.memory': '16Mi', 'limits.cpu': '210m' });
    expect(usage(p)['limits.memory']).toBeUndefined();
  });

  it('stops charging a pod its compute once it has finished or its deletion grace has run out, but still counts it as an object', () => {
    expect(usage(pod({ containers: [container('a', { requests: { cpu: '1' } })] }, { phase: 'Succeeded' }))).toEqual({ 'count/pods': '1' });
    const deleting = PodSchema.parse({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 },
      spec: { containers: [container('a', { requests: { cpu: '1' } })] },
    });
    const t = Date.UTC(2026, 0, 1); // a fixed instant for fixtures, not the wall clock
    expect(usage(deleting, t + 60_000)['requests.cpu']).toBe('1');
    expect(usage(deleting, t + 60_001)['requests.cpu']).toBeUndefined();
  });

  it('counts Services, their load balancers and node ports, and knows which names a kind can use', () => {
    const lb = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } };
    expect(Object.fromEntries([...quotaUsage(Services, lb as never, 0)].map(([k, v]) => [k, v.toString()]))).toEqual({ 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '2' });
    expect(tracks(Pods, 'requests.cpu')).toBe(true);
    expect(tracks(Pods, 'requests.example.com/gpu')).toBe(true);
    expect(tracks(Pods, 'services')).toBe(false);
    expect(tracks(ConfigMaps, 'count/configmaps')).toBe(true);
    expect(tracks(ConfigMaps, 'configmaps')).toBe(true);
    expect(tracks(ReplicaSets, 'count/replicasets.apps')).toBe(true);
    expect(tracks(ReplicaSets, 'pods')).toBe(false);
  });

  it('selects pods by scope, and nothing else with a scoped quota', () => {
    const bestEffort = pod({ containers: [container('a')] });
    const burstable = pod({ containers: [container('a', { requests: { memory: '64Mi' } })], priorityClassName: 'high', activeDeadlineSeconds: 60 });
    expect(scopesSelect(quota({ scopes: ['BestEffort'] }), Pods, bestEffort)).toBe(true);
    expect(scopesSelect(quota({ scopes: ['BestEffort'] }), Pods, burstable)).toBe(false);
    expect(scopesSelect(quota({ scopes: ['NotBestEffort', 'Terminating'] }), Pods, burstable)).toBe(true);
    expect(scopesSelect(quota({ scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }), Pods, burstable)).toBe(true);
    expect(scopesSelect(quota({ scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }), Pods, bestEffort)).toBe(false);
    expect(scopesSelect(quota({ scopes: ['NotTerminating'] }), ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } as never)).toBe(false);
    expect(scopesSelect(quota({}), ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } as never)).toBe(true);
  });

  it("says which containers miss a tracked cpu or memory figure, in upstream's words", () => {
    const p = pod({ initContainers: [container('init', { requests: { cpu: '1' } })], containers: [container('app', { limits: { memory: '1Gi' } }), container('side', { requests: { cpu: '1' } })] });
    expect(podConstraintViolation(p, ['requests.cpu', 'limits.memory', 'pods'])).toBe('must specify limits.memory for: init,side; requests.cpu for: app');
    expect(podConstraintViolation(p, ['pods', 'requests.storage'])).toBeUndefined();
    expect(formatUsage(new Map([['pods', parseQuantity('2')], ['cpu', parseQuantity('1500m')]]), ['pods', 'cpu'])).toBe('cpu=1500m,pods=2');
  });
});

/** An API server with the ResourceQuota hook and a quota whose status a controller has computed. */
async function serverWithQuota(hard: Record<string, string>): Promise<ApiServer> {
  const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(5), registry: createBuiltinRegistry(), admission: [resourceQuotaAdmission()] });
  const q = await server.create(ResourceQuotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'default' }, spec: { hard } } as ResourceQuota);
  await server.updateStatus(ResourceQuotas, { ...q, status: { hard, used: Object.fromEntries(Object.keys(hard).map((k) => [k, '0'])) } });
  return server;
}

const cpuPod = (name: string, cpu: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [container('app', { requests: { cpu } })] } }) as Pod;

describe('the ResourceQuota admission hook', () => {
  it('refuses with 403 what would exceed the quota, a pod without a tracked request, and a quota whose usage is not known', async () => {
    const server = await serverWithQuota({ pods: '2', 'requests.cpu': '1' });
    await server.create(Pods, cpuPod('a', '600m'));
    const over = await server.create(Pods, cpuPod('b', '500m')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isApiError(over, 'Forbidden')).toBe(true);
    expect((over as Error).message).toBe('pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
    await expect(server.create(Pods, { ...cpuPod('c', '1'), spec: { containers: [container('app')] } } as Pod)).rejects.toThrow('pods "c" is forbidden: failed quota: compute: must specify requests.cpu for: app');
    await server.create(Pods, cpuPod('d', '400m'));
    await expect(server.create(Pods, cpuPod('e', '0'))).rejects.toThrow('pods "e" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2');
    // Another namespace is not this quota's business.
    await server.create(Pods, { ...cpuPod('f', '4'), metadata: { name: 'f', namespace: 'kube-system' } } as Pod);
    expect((await server.list(Pods, { namespace: 'default' })).items.map((p) => p.metadata.name)).toEqual(['a', 'd']);

    const q = await server.get(ResourceQuotas, { namespace: 'default', name: 'compute' });
    await server.updateStatus(ResourceQuotas, { ...q, status: { hard: { pods: '2', 'requests.cpu': '1' }, used: { pods: '2' } } });
    await expect(server.create(Pods, cpuPod('g', '0'))).rejects.toThrow('pods "g" is forbidden: status unknown for quota: compute, resources: pods,requests.cpu');
  });

  test.prop([fc.array(fc.oneof(fc.record({ create: fc.constantFrom('100m', '250m', '400m', '1') }), fc.record({ remove: fc.nat() })), { maxLength: 30 })], { numRuns: runs })(
    'never lets the pods in the store use more than the quota, and refuses only what would not fit',
    async (ops) => {
      const server = await serverWithQuota({ pods: '4', 'requests.cpu': '1500m' });
      const used = async () => {
        const pods = (await server.list(Pods, { namespace: 'default' })).items;
        return { pods: pods.length, milli: pods.reduce((s, p) => s + parseQuantity(p.spec.containers[0]!.resources?.requests?.['cpu'] ?? '0').milliValue(), 0) };
      };
      let n = 0;
      for (const op of ops) {
        if ('remove' in op) {
          const pods = (await server.list(Pods, { namespace: 'default' })).items;
          if (pods.length > 0) await server.delete(Pods, { namespace: 'default', name: pods[op.remove % pods.length]!.metadata.name ?? '' }, { gracePeriodSeconds: 0 });
          continue;
        }
        const before = await used();
        const fits = before.pods + 1 <= 4 && before.milli + parseQuantity(op.create).milliValue() <= 1500;
        const result = await server.create(Pods, cpuPod(`p${n++}`, op.create)).then(
          () => 'created',
          (e: unknown) => e,
        );
        if (fits) expect(result).toBe('created');
        else expect(isApiError(result, 'Forbidden') && (result as Error).message.includes('exceeded quota: compute')).toBe(true);
        const after = await used();
        expect(after.pods).toBeLessThanOrEqual(4);
        expect(after.milli).toBeLessThanOrEqual(1500);
      }
    },
  );
});
