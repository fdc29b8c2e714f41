/**
 * Defaults, conversions, registry wiring and type-level guarantees of the built-in kinds.
 * Defaults cite pkg/apis/<group>/v1/defaults.go upstream.
 */
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { KubeObject } from '../meta.js';
import type { ResourceDefinition } from '../registry.js';
import {
  CronJobs,
  DaemonSets,
  Deployments,
  Endpoints,
  EndpointSlices,
  HorizontalPodAutoscalers,
  Jobs,
  LimitRanges,
  Namespaces,
  Nodes,
  PersistentVolumeClaims,
  PersistentVolumes,
  Pods,
  ReplicaSets,
  ReplicationControllers,
  Secrets,
  Services,
  StatefulSets,
  StorageClasses,
  builtinResources,
  createBuiltinRegistry,
  defaultImagePullPolicy,
  Events,
  generateJobSelector,
  patchServiceAllocatedValues,
  podQOSClass,
  type Deployment,
  type Endpoints as EndpointsObject,
  type HorizontalPodAutoscaler,
  type Pod,
  type Service,
} from './index.js';

/** Decodes and defaults like the API server: schema parse, then the kind's `defaults` hook. */
function admit<T extends KubeObject>(def: ResourceDefinition<T>, raw: unknown): T {
  const parsed = def.schema.parse(raw);
  return def.defaults ? def.defaults(parsed) : parsed;
}

const container = (image: string, extra: Record<string, unknown> = {}) => ({ name: 'c', image, ...extra });
const podTemplate = (labels: Record<string, string>, spec: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: { containers: [container('nginx:1.17')], ...spec },
});

describe('Pod defaults', () => {
  const pod = (spec: Record<string, unknown>) =>
    admit(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec });

  it('defaults restartPolicy, grace period, DNS policy, scheduler and status phase as upstream', () => {
    const p = pod({ containers: [container('nginx')] });
    expect(p.spec.restartPolicy).toBe('Always');
    expect(p.spec.terminationGracePeriodSeconds).toBe(30);
    expect(p.spec.dnsPolicy).toBe('ClusterFirst');
    expect(p.spec.schedulerName).toBe('default-scheduler');
    expect(p.spec.enableServiceLinks).toBe(true);
    expect(p.status.phase).toBe('Pending');
    expect(p.spec.containers[0]).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.17-alpine', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'Always'],
    ['registry.local:5000/team/app:v2', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef', 'IfNotPresent'],
  ])('defaults imagePullPolicy of %s to %s', (image, policy) => {
    expect(defaultImagePullPolicy(image)).toBe(policy);
    expect(pod({ containers: [container(image)] }).spec.containers[0]!.imagePullPolicy).toBe(policy);
  });

  it('keeps an explicit imagePullPolicy', () => {
    const p = pod({ containers: [container('nginx', { imagePullPolicy: 'Never' })] });
    expect(p.spec.containers[0]!.imagePullPolicy).toBe('Never');
  });

  it('defaults probe timings, HTTP path and scheme, and port protocol TCP', () => {
    const p = pod({
      containers: [container('app:1', { ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } })],
    });
    const c = p.spec.containers[0]!;
    expect(c.ports?.[0]?.protocol).toBe('TCP');
    expect(c.readinessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it('requests the limit of a resource that has a limit and no request', () => {
    const p = pod({ containers: [container('app:1', { resources: { limits: { cpu: '500m', memory: 128 }, requests: { cpu: '100m' } } })] });
    expect(p.spec.containers[0]!.resources).toEqual({
      limits: { cpu: '500m', memory: '128' },
      requests: { cpu: '100m', memory: '128' },
    });
  });

  it('defaults hostPort to containerPort under hostNetwork', () => {
    const p = pod({ hostNetwork: true, containers: [container('app:1', { ports: [{ containerPort: 8080 }] })] });
    expect(p.spec.containers[0]!.ports?.[0]?.hostPort).toBe(8080);
  });

  it.each([
    ['BestEffort', {}],
    ['Burstable', { requests: { cpu: '100m' } }],
    ['Guaranteed', { limits: { cpu: '1', memory: '1Gi' } }],
    ['Guaranteed', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } }],
    ['Burstable', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } }],
  ])('computes qosClass %s for resources %j', (qos, resources) => {
    const p = pod({ containers: [container('app:1', { resources })] });
    expect(p.status.qosClass).toBe(qos);
    expect(podQOSClass(p.spec)).toBe(qos);
  });
});

describe('Deployment defaults', () => {
  const deployment = (spec: Record<string, unknown> = {}) =>
    admit(Deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate({ app: 'web' }), ...spec },
    });

  it('gives a Deployment without strategy RollingUpdate 25%/25%, 1 replica, history 10, deadline 600', () => {
    const d = deployment();
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
  });

  it('fills only the missing half of a partial rollingUpdate', () => {
    const d = deployment({ strategy: { rollingUpdate: { maxSurge: 1 } } });
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: '25%' });
  });

  it('gives a Recreate Deployment no rollingUpdate', () => {
    expect(deployment({ strategy: { type: 'Recreate' } }).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('applies pod defaults to the template', () => {
    const d = deployment();
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    expect(d.spec.template.spec.containers[0]!.imagePullPolicy).toBe('IfNotPresent');
  });
});

describe('defaults of the other workloads', () => {
  it('gives a StatefulSet OrderedReady, RollingUpdate partition 0 and Retain/Retain', () => {
    const sts = admit(StatefulSets, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: { selector: { matchLabels: { app: 'db' } }, template: podTemplate({ app: 'db' }) },
    });
    expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.revisionHistoryLimit).toBe(10);
  });

  it('gives a DaemonSet RollingUpdate with maxUnavailable 1 and maxSurge 0', () => {
    const ds = admit(DaemonSets, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'proxy' },
      spec: { selector: { matchLabels: { app: 'proxy' } }, template: podTemplate({ app: 'proxy' }) },
    });
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  });

  it('gives a ReplicaSet 1 replica', () => {
    const rs = admit(ReplicaSets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate({ app: 'web' }) },
    });
    expect(rs.spec.replicas).toBe(1);
  });

  it('takes a ReplicationController selector and labels from its template', () => {
    const rc = admit(ReplicationControllers, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web' },
      spec: { template: podTemplate({ app: 'web' }) },
    });
    expect(rc.spec.selector).toEqual({ app: 'web' });
    expect(rc.metadata.labels).toEqual({ app: 'web' });
    expect(rc.spec.replicas).toBe(1);
  });

  it('gives a Job one completion at parallelism 1, backoffLimit 6 and a controller-uid selector', () => {
    const job = admit(Jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', uid: 'u-1' },
      spec: { template: podTemplate({ app: 'pi' }, { restartPolicy: 'Never' }) },
    });
    expect(job.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
    expect(job.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    expect(job.spec.template.metadata.labels).toMatchObject({ app: 'pi', 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi' });
    expect(Jobs.validate!(job)).toEqual([]);
  });

  it('generates no selector before the Job has a uid, and none with manualSelector', () => {
    const raw = (extra: Record<string, unknown>) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', ...extra },
      spec: { template: podTemplate({ app: 'pi' }, { restartPolicy: 'Never' }) },
    });
    const before = admit(Jobs, raw({}));
    expect(before.spec.selector).toBeUndefined();
    expect(before.metadata.labels).toEqual({ app: 'pi' });
    expect(generateJobSelector(before)).toBe(before);
    const withUid = generateJobSelector({ ...before, metadata: { ...before.metadata, uid: 'u-2' } });
    expect(withUid.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-2' } });
    expect(Jobs.validate!(withUid)).toEqual([]);
    const manual = admit(Jobs, { ...raw({ uid: 'u-3' }), spec: { ...raw({}).spec, manualSelector: true, selector: { matchLabels: { app: 'pi' } } } });
    expect(manual.spec.selector).toEqual({ matchLabels: { app: 'pi' } });
  });

  it('narrows a selector given without manualSelector to the Job, as upstream generateSelector, and rejects another controller-uid', () => {
    const spec = { selector: { matchLabels: { app: 'pi' } }, template: podTemplate({ app: 'pi' }, { restartPolicy: 'Never' }) };
    const job = admit(Jobs, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', uid: 'u-4' }, spec });
    expect(job.spec.selector).toEqual({ matchLabels: { app: 'pi', 'batch.kubernetes.io/controller-uid': 'u-4' } });
    expect(job.spec.template.metadata.labels).toMatchObject({ app: 'pi', 'controller-uid': 'u-4', 'batch.kubernetes.io/controller-uid': 'u-4' });
    expect(generateJobSelector(job)).toBe(job);
    expect(Jobs.validate!(job)).toEqual([]);
    const foreign = admit(Jobs, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', uid: 'u-5' }, spec: { ...spec, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } } } });
    expect(Jobs.validate!(foreign).map((e) => `${e.field}: ${e.detail}`).join('\n')).toContain('`selector` not auto-generated');
  });

  it('leaves completions unset when only parallelism is given', () => {
    const job = admit(Jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'q' },
      spec: { parallelism: 3, template: podTemplate({}, { restartPolicy: 'OnFailure' }) },
    });
    expect(job.spec.completions).toBeUndefined();
    expect(job.spec.parallelism).toBe(3);
  });

  it('gives a CronJob Allow, not suspended, history limits 3 and 1', () => {
    const cj = admit(CronJobs, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'hello' },
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: podTemplate({}, { restartPolicy: 'OnFailure' }) } } },
    });
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(CronJobs.validate!(cj)).toEqual([]);
  });
});

describe('defaults of the other kinds', () => {
  it('gives a Service ClusterIP, None affinity, TCP and targetPort = port', () => {
    const svc = admit(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster' });
    expect(svc.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    expect(svc.spec.externalTrafficPolicy).toBeUndefined();
  });

  it('gives NodePort and LoadBalancer Services externalTrafficPolicy Cluster', () => {
    const svc = admit(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    expect(svc.spec.externalTrafficPolicy).toBe('Cluster');
    expect(svc.spec.allocateLoadBalancerNodePorts).toBe(true);
  });

  it('carries allocated clusterIP and nodePorts into an update that omits them', () => {
    const old = admit(Services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { type: 'NodePort', clusterIP: '10.0.0.10', ports: [{ port: 80, nodePort: 30080 }] },
    });
    const update = admit(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    const patched = patchServiceAllocatedValues(update, old);
    expect(patched.spec.clusterIP).toBe('10.0.0.10');
    expect(patched.spec.ports?.[0]?.nodePort).toBe(30080);
    expect(Services.validateUpdate!(patched, old)).toEqual([]);
  });

  it('starts a Namespace Active, and PVs and PVCs Pending with volumeMode Filesystem', () => {
    expect(admit(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }).status.phase).toBe('Active');
    const pv = admit(PersistentVolumes, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: {} });
    expect(pv.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect(pv.status.phase).toBe('Pending');
    const pvc = admit(PersistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: {} });
    expect(pvc.spec.volumeMode).toBe('Filesystem');
    expect(pvc.status.phase).toBe('Pending');
  });

  it('lets a claim bound to a larger volume be updated with its request unchanged; a request may shrink only above status.capacity (upstream RecoverVolumeExpansionFailure)', () => {
    const claim = (storage: string) => admit(PersistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } });
    const old = { ...claim('5Gi'), status: { phase: 'Bound' as const, capacity: { storage: '2Gi' } } };
    const small = { ...claim('1Gi'), status: { phase: 'Bound' as const, capacity: { storage: '2Gi' } } };
    const withFinalizer = { ...small, metadata: { ...small.metadata, finalizers: ['kubernetes.io/pvc-protection'] } };
    expect(PersistentVolumeClaims.validateUpdate!(withFinalizer, small)).toEqual([]);
    expect(PersistentVolumeClaims.validateUpdate!(claim('3Gi'), old)).toEqual([]);
    expect(PersistentVolumeClaims.validateUpdate!(claim('2Gi'), old).map((e) => `${e.field}: ${e.detail}`)).toEqual(['spec.resources.requests.storage: field can not be less than status.capacity']);
  });

  it('folds Secret stringData into base64 data and defaults the type to Opaque', () => {
    const s = admit(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'hunter2' } });
    expect(s).toMatchObject({ type: 'Opaque', data: { password: 'aHVudGVyMg==' } });
    expect(s.stringData).toBeUndefined();
  });

  it('defaults LimitRange container limits from max and requests from the default limit', () => {
    const lr = admit(LimitRanges, {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'l' },
      spec: { limits: [{ type: 'Container', max: { cpu: '2' }, default: { memory: '256Mi' }, min: { cpu: '100m' } }] },
    });
    expect(lr.spec.limits[0]).toMatchObject({ default: { cpu: '2', memory: '256Mi' }, defaultRequest: { cpu: '2', memory: '256Mi' } });
  });

  it('defaults StorageClass reclaimPolicy Delete and binding Immediate, EndpointSlice ports TCP', () => {
    const sc = admit(StorageClasses, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'example.com/fast' });
    expect(sc).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    const es = admit(EndpointSlices, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'] }],
      ports: [{ port: 80 }],
    });
    expect(es.ports).toEqual([{ name: '', protocol: 'TCP', port: 80 }]);
  });

  it('normalizes numeric quantities to strings', () => {
    const n = admit(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { capacity: { cpu: 4, pods: 110, memory: '8Gi' } } });
    expect(n.status.capacity).toEqual({ cpu: '4', pods: '110', memory: '8Gi' });
  });

  it('rejects a malformed quantity at decode time with upstream message', () => {
    const r = Pods.schema.safeParse({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [container('a:1', { resources: { requests: { cpu: 'lots' } } })] },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['spec.containers.0.resources.requests.cpu', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ]);
  });

  it('drops unknown fields (the API server prunes them)', () => {
    const p = Pods.schema.parse({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [container('a:1')], bogus: 1 } });
    expect('bogus' in p.spec).toBe(false);
  });
});

describe('HorizontalPodAutoscaler', () => {
  const hpa = (spec: Record<string, unknown>) =>
    admit(HorizontalPodAutoscalers, { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec });
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

  it('defaults minReplicas to 1 and metrics to CPU at 80% utilization', () => {
    const h = hpa({ scaleTargetRef: target, maxReplicas: 5 });
    expect(h.spec.minReplicas).toBe(1);
    expect(h.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    expect(h.spec.behavior).toBeUndefined();
  });

  it('fills a partial behavior with the upstream scale-up and scale-down rules', () => {
    const h = hpa({ scaleTargetRef: target, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    expect(h.spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });

  it('converts an autoscaling/v1 manifest with targetCPUUtilizationPercentage to a v2 Resource metric', () => {
    const registry = createBuiltinRegistry();
    const v1 = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'pi-web' },
      spec: { scaleTargetRef: target, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 50 },
      status: { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 150 },
    };
    const def = registry.forKind('autoscaling/v1', 'HorizontalPodAutoscaler');
    expect(def).toBe(HorizontalPodAutoscalers);
    const converted = HorizontalPodAutoscalers.conversions!['autoscaling/v1']!(v1);
    const h: HorizontalPodAutoscaler = admit(HorizontalPodAutoscalers, converted);
    expect(h.apiVersion).toBe('autoscaling/v2');
    expect(h.spec).toEqual({
      scaleTargetRef: target,
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    });
    expect(h.status.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 150 } } }]);
    expect(HorizontalPodAutoscalers.validate!(h)).toEqual([]);
  });
});

describe('the built-in registry', () => {
  const registry = createBuiltinRegistry();

  it.each([
    ['deploy', Deployments],
    ['deployments.apps', Deployments],
    ['Deployment', Deployments],
    ['po', Pods],
    ['pods', Pods],
    ['svc', Services],
    ['ep', Endpoints],
    ['endpoints', Endpoints],
    ['rc', ReplicationControllers],
    ['sts', StatefulSets],
    ['ds', DaemonSets],
    ['cj', CronJobs],
    ['hpa', HorizontalPodAutoscalers],
    ['horizontalpodautoscalers.autoscaling', HorizontalPodAutoscalers],
    ['pvc', PersistentVolumeClaims],
    ['ns', Namespaces],
    ['no', Nodes],
    ['endpointslices', EndpointSlices],
    ['sc', StorageClasses],
    ['ev', Events],
    ['quota', createBuiltinRegistry().forResource('resourcequotas')],
    ['limits', createBuiltinRegistry().forResource('limitranges')],
    ['ing', createBuiltinRegistry().forResource('ingresses.networking.k8s.io')],
    ['pdb', createBuiltinRegistry().forResource('poddisruptionbudgets.policy')],
    ['cm', createBuiltinRegistry().forResource('configmaps')],
    ['sa', createBuiltinRegistry().forResource('serviceaccounts')],
    ['pv', PersistentVolumes],
    ['leases', createBuiltinRegistry().forResource('leases.coordination.k8s.io')],
  ])('resolves %s', (name, def) => {
    expect(registry.lookup(name)).toBe(def);
  });

  it('serves every kind of the brief, each once', () => {
    const kinds = registry.all().map((d) => `${d.apiVersion}/${d.kind}`);
    expect(kinds).toHaveLength(33);
    expect(new Set(kinds).size).toBe(33);
    expect(builtinResources).toHaveLength(33);
  });

  it('marks Namespace, Node, PersistentVolume, StorageClass, IngressClass, PriorityClass, ClusterRole and ClusterRoleBinding cluster-scoped', () => {
    const clusterScoped = builtinResources.filter((d) => !d.namespaced).map((d) => d.kind).sort();
    expect(clusterScoped).toEqual(['ClusterRole', 'ClusterRoleBinding', 'IngressClass', 'Namespace', 'Node', 'PersistentVolume', 'PriorityClass', 'StorageClass']);
  });

  it('serves the scale subresource for Deployments, ReplicaSets, StatefulSets and ReplicationControllers', () => {
    const scalable = builtinResources.filter((d) => d.subresources.scale).map((d) => d.kind).sort();
    expect(scalable).toEqual(['Deployment', 'ReplicaSet', 'ReplicationController', 'StatefulSet']);
    expect(Deployments.subresources.scale).toEqual({
      specReplicasPath: 'spec.replicas',
      statusReplicasPath: 'status.replicas',
      labelSelectorPath: 'spec.selector',
    });
  });

  it('names Namespaces and Services as DNS-1123 labels', () => {
    expect(Namespaces.nameRule).toBe('dns1123-label');
    expect(Services.nameRule).toBe('dns1123-label');
    expect(Pods.nameRule).toBe('dns1123-subdomain');
  });

  it('reads pod field selectors as strings, empty when unset', () => {
    const p = admit(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [container('a:1')] } });
    const get = (f: string) => Pods.fieldSelectors![f]!.get(p);
    expect([get('spec.nodeName'), get('status.phase'), get('spec.hostNetwork'), get('spec.restartPolicy')]).toEqual([
      '',
      'Pending',
      'false',
      'Always',
    ]);
  });
});

describe('field selectors', () => {
  it('reads event fields the way kubectl get events --field-selector does', () => {
    const ev = admit(Events, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u' },
      reason: 'Pulled',
      type: 'Normal',
      source: { component: 'kubelet' },
    });
    const get = (f: string) => Events.fieldSelectors![f]!.get(ev);
    expect(['involvedObject.kind', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.fieldPath', 'reason', 'type', 'source'].map(get)).toEqual([
      'Pod',
      'web',
      'u',
      '',
      'Pulled',
      'Normal',
      'kubelet',
    ]);
  });

  it('exposes replicas of ReplicaSets and successes of Jobs', () => {
    expect(Object.keys(ReplicaSets.fieldSelectors ?? {})).toEqual(['status.replicas']);
    expect(Object.keys(Jobs.fieldSelectors ?? {})).toEqual(['status.successful']);
    expect(Object.keys(Secrets.fieldSelectors ?? {})).toEqual(['type']);
    expect(Object.keys(Nodes.fieldSelectors ?? {})).toEqual(['spec.unschedulable']);
    expect(Object.keys(Namespaces.fieldSelectors ?? {})).toEqual(['status.phase']);
  });
});

describe('types', () => {
  it('makes every typed definition assignable to the untyped ResourceDefinition', () => {
    expectTypeOf(Pods).toExtend<ResourceDefinition>();
    expectTypeOf(Deployments).toExtend<ResourceDefinition>();
    expectTypeOf(Endpoints).toExtend<ResourceDefinition<EndpointsObject>>();
    expectTypeOf(HorizontalPodAutoscalers).toExtend<ResourceDefinition>();
    const defs: ResourceDefinition[] = [Pods, Services, Deployments];
    expect(defs).toHaveLength(3);
  });

  it('makes upstream defaults non-optional in the inferred types', () => {
    expectTypeOf<Deployment['spec']['replicas']>().toEqualTypeOf<number>();
    expectTypeOf<Pod['spec']['restartPolicy']>().toEqualTypeOf<'Always' | 'OnFailure' | 'Never'>();
    expectTypeOf<Service['spec']['type']>().toEqualTypeOf<'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName'>();
  });
});

describe('defaulting is idempotent', () => {
  it('gives the same object when a defaulted Deployment is decoded and defaulted again (property)', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    fc.assert(
      fc.property(
        label,
        fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
        fc.option(fc.constantFrom('RollingUpdate', 'Recreate'), { nil: undefined }),
        fc.constantFrom('nginx', 'nginx:1.17', 'app:latest', 'reg:5000/app'),
        (app, replicas, strategy, image) => {
          const raw = {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'd' },
            spec: {
              ...(replicas === undefined ? {} : { replicas }),
              ...(strategy === undefined ? {} : { strategy: { type: strategy } }),
              selector: { matchLabels: { app } },
              template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image }] } },
            },
          };
          const once = admit(Deployments, raw);
          expect(admit(Deployments, once)).toEqual(once);
          expect(Deployments.validate!(once)).toEqual([]);
        },
      ),
    );
  });
});
