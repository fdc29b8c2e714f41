/**
 * The LimitRanger admission plugin through the API server, following kubernetes.io's tasks
 * "Configure Default Memory Requests and Limits for a Namespace", "Configure Minimum and Maximum
 * CPU Constraints for a Namespace", "Limit Storage Consumption" and the quota walkthrough that
 * relies on LimitRange defaults. What a user checks: the pod's resources as stored, its
 * `kubernetes.io/limit-ranger` annotation, and the 403 text kubectl prints.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, LimitRanges, PersistentVolumeClaims, PluginHost, Pods, ResourceQuotas, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { LimitRange, LimitRangeItem, PersistentVolumeClaim, Pod, ResourceQuota } from '@kubeloop/core';
import { resourceQuotaPlugin } from '../resourcequota/index.js';
import { LIMIT_RANGER_ANNOTATION, limitRangerPlugin } from './index.js';

function newServer(withQuota = false): ApiServer {
  const registry = createBuiltinRegistry();
  const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(5), registry });
  const host = new PluginHost({ registry, admission: server }).use(limitRangerPlugin());
  if (withQuota) host.use(resourceQuotaPlugin());
  return server;
}

const limitRange = (name: string, ...limits: Partial<LimitRangeItem>[]): LimitRange =>
  ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace: 'default' }, spec: { limits: limits.map((l) => ({ type: 'Container', ...l })) } }) as LimitRange;

const pod = (name: string, resources?: { requests?: Record<string, string>; limits?: Record<string, string> }, init?: boolean): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: `${name}-ctr`, image: 'nginx', ...(resources === undefined ? {} : { resources }) }],
      ...(init === true ? { initContainers: [{ name: 'setup', image: 'busybox' }] } : {}),
    },
  }) as unknown as Pod;

const claim = (name: string, storage: string): PersistentVolumeClaim =>
  ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } }) as unknown as PersistentVolumeClaim;

describe('LimitRanger: default requests and limits', () => {
  // kubernetes.io "Configure Default Memory Requests and Limits for a Namespace".
  const memDefaults = limitRange('mem-limit-range', { default: { memory: '512Mi' }, defaultRequest: { memory: '256Mi' } });

  it('gives a container with no resources the default request and limit, and says so in an annotation', async () => {
    const server = newServer();
    await server.create(LimitRanges, memDefaults);
    const created = await server.create(Pods, pod('default-mem-demo'));
    expect(created.spec.containers[0]!.resources).toEqual({ requests: { memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect(created.metadata.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe('LimitRanger plugin set: memory request for container default-mem-demo-ctr; memory limit for container default-mem-demo-ctr');
  });

  it('takes the request from a container\'s own limit (API defaulting comes first), and the limit from the range when only a request is set', async () => {
    const server = newServer();
    await server.create(LimitRanges, memDefaults);
    const limitOnly = await server.create(Pods, pod('default-mem-demo-2', { limits: { memory: '1Gi' } }));
    expect(limitOnly.spec.containers[0]!.resources).toEqual({ requests: { memory: '1Gi' }, limits: { memory: '1Gi' } });
    expect(limitOnly.metadata.annotations?.[LIMIT_RANGER_ANNOTATION]).toBeUndefined();
    const requestOnly = await server.create(Pods, pod('default-mem-demo-3', { requests: { memory: '128Mi' } }));
    expect(requestOnly.spec.containers[0]!.resources).toEqual({ requests: { memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(requestOnly.metadata.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe('LimitRanger plugin set: memory limit for container default-mem-demo-3-ctr');
  });

  it('defaults init containers too, and leaves pods of other namespaces and pod updates alone', async () => {
    const server = newServer();
    await server.create(LimitRanges, memDefaults);
    const withInit = await server.create(Pods, pod('with-init', undefined, true));
    expect(withInit.spec.initContainers?.[0]?.resources).toEqual({ requests: { memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect(withInit.metadata.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe(
      'LimitRanger plugin set: memory request for container with-init-ctr; memory limit for container with-init-ctr; memory request for init container setup; memory limit for init container setup',
    );
    await server.create(Pods, { ...pod('elsewhere'), metadata: { name: 'elsewhere', namespace: 'kube-system' } });
    expect((await server.get(Pods, { namespace: 'kube-system', name: 'elsewhere' })).spec.containers[0]!.resources).toBeUndefined();
  });

  it('takes the LimitRange default of max for the limit, and of min for the request (LimitRange defaulting)', async () => {
    // kubernetes.io "Configure Minimum and Maximum CPU Constraints": min 200m, max 800m.
    const server = newServer();
    const stored = await server.create(LimitRanges, limitRange('cpu-min-max-demo-lr', { max: { cpu: '800m' }, min: { cpu: '200m' } }));
    expect(stored.spec.limits[0]).toMatchObject({ default: { cpu: '800m' }, defaultRequest: { cpu: '800m' } });
    const created = await server.create(Pods, pod('constraints-cpu-demo-4'));
    expect(created.spec.containers[0]!.resources).toEqual({ requests: { cpu: '800m' }, limits: { cpu: '800m' } });
  });
});

describe('LimitRanger: bounds', () => {
  const cpuMinMax = limitRange('cpu-min-max-demo-lr', { max: { cpu: '800m' }, min: { cpu: '200m' } });

  it.each<[string, Record<string, string>, Record<string, string>, string | undefined]>([
    ['within min and max', { cpu: '500m' }, { cpu: '800m' }, undefined],
    ['a limit above max (1.5 CPUs)', { cpu: '500m' }, { cpu: '1.5' }, 'pods "p" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m'],
    ['a request below min', { cpu: '100m' }, { cpu: '800m' }, 'pods "p" is forbidden: minimum cpu usage per Container is 200m, but request is 100m'],
  ])('%s', async (_name, requests, limits, error) => {
    const server = newServer();
    await server.create(LimitRanges, cpuMinMax);
    if (error === undefined) await expect(server.create(Pods, pod('p', { requests, limits }))).resolves.toBeDefined();
    else {
      await expect(server.create(Pods, pod('p', { requests, limits }))).rejects.toMatchObject({ reason: 'Forbidden', message: error });
      await expect(server.get(Pods, { namespace: 'default', name: 'p' })).rejects.toMatchObject({ reason: 'NotFound' });
    }
  });

  it('gives every reason at once, from every LimitRange of the namespace', async () => {
    const server = newServer();
    await server.create(LimitRanges, cpuMinMax);
    await server.create(LimitRanges, limitRange('mem-ratio', { maxLimitRequestRatio: { memory: '2' } }));
    await expect(server.create(Pods, pod('p', { requests: { cpu: '100m', memory: '100Mi' }, limits: { cpu: '1', memory: '400Mi' } }))).rejects.toMatchObject({
      message:
        'pods "p" is forbidden: [minimum cpu usage per Container is 200m, but request is 100m, maximum cpu usage per Container is 800m, but limit is 1, memory max limit to request ratio per Container is 2, but provided ratio is 4.000000]',
    });
  });

  it('bounds the pod as a whole with a type: Pod item (its containers summed)', async () => {
    const server = newServer();
    await server.create(LimitRanges, { ...limitRange('pod-max'), spec: { limits: [{ type: 'Pod', max: { memory: '1Gi' } }] } } as LimitRange);
    const two = (name: string, each: string): Pod => {
      const p = pod(name, { limits: { memory: each } });
      return { ...p, spec: { ...p.spec, containers: [p.spec.containers[0]!, { ...p.spec.containers[0]!, name: 'second' }] } };
    };
    await expect(server.create(Pods, two('fits', '512Mi'))).resolves.toBeDefined();
    await expect(server.create(Pods, two('too-big', '600Mi'))).rejects.toMatchObject({ message: 'pods "too-big" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1200Mi' });
  });

  it('bounds a claim\'s storage request on create and on update (kubernetes.io "Limit Storage Consumption")', async () => {
    const server = newServer();
    await server.create(LimitRanges, { ...limitRange('storagelimits'), spec: { limits: [{ type: 'PersistentVolumeClaim', max: { storage: '2Gi' }, min: { storage: '1Gi' } }] } } as LimitRange);
    await expect(server.create(PersistentVolumeClaims, claim('pvc-limit-lower', '500Mi'))).rejects.toMatchObject({
      message: 'persistentvolumeclaims "pvc-limit-lower" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi',
    });
    await expect(server.create(PersistentVolumeClaims, claim('pvc-limit-greater', '5Gi'))).rejects.toMatchObject({
      message: 'persistentvolumeclaims "pvc-limit-greater" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi',
    });
    const ok = await server.create(PersistentVolumeClaims, claim('fits', '1Gi'));
    const grown = { ...ok, spec: { ...ok.spec, resources: { requests: { storage: '3Gi' } } } };
    await expect(server.update(PersistentVolumeClaims, grown)).rejects.toMatchObject({ reason: 'Forbidden' });
  });

  it('does not check a pod again on update (its containers cannot change)', async () => {
    const server = newServer();
    const created = await server.create(Pods, pod('old', { requests: { cpu: '100m' }, limits: { cpu: '100m' } }));
    await server.create(LimitRanges, cpuMinMax);
    await expect(server.update(Pods, { ...created, metadata: { ...created.metadata, labels: { touched: 'yes' } } })).resolves.toBeDefined();
  });
});

describe('LimitRanger with ResourceQuota', () => {
  it('admits a pod that states no CPU request under a requests.cpu quota, with the request the LimitRange gives it', async () => {
    const server = newServer(true);
    const hard = { 'requests.cpu': '1', 'limits.cpu': '2' };
    const q = await server.create(ResourceQuotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'default' }, spec: { hard }, status: {} } as ResourceQuota);
    await server.updateStatus(ResourceQuotas, { ...q, status: { hard, used: { 'requests.cpu': '0', 'limits.cpu': '0' } } });
    await expect(server.create(Pods, pod('before'))).rejects.toMatchObject({ message: 'pods "before" is forbidden: failed quota: compute: must specify limits.cpu for: before-ctr; requests.cpu for: before-ctr' });
    await server.create(LimitRanges, limitRange('cpu-defaults', { default: { cpu: '500m' }, defaultRequest: { cpu: '250m' } }));
    const created = await server.create(Pods, pod('after'));
    expect(created.spec.containers[0]!.resources).toEqual({ requests: { cpu: '250m' }, limits: { cpu: '500m' } });
  });
});
