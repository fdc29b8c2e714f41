/**
 * Semantic validation of the built-in kinds: each row is an invalid object and the exact
 * `field: reason` line the API server gives for it (pkg/apis/<group>/validation upstream).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceDefinition } from '../registry.js';
import {
  ConfigMaps,
  CronJobs,
  DaemonSets,
  Deployments,
  EndpointSlices,
  Events,
  HorizontalPodAutoscalers,
  IngressClasses,
  Ingresses,
  Jobs,
  Leases,
  LimitRanges,
  Nodes,
  PersistentVolumeClaims,
  PersistentVolumes,
  PodDisruptionBudgets,
  Pods,
  ReplicaSets,
  ReplicationControllers,
  Secrets,
  Services,
  StatefulSets,
  StorageClasses,
} from './index.js';

/** Decode, default and validate (and, with `old`, validate the update) like admission does. */
function errorsOf<T extends KubeObject>(def: ResourceDefinition<T>, raw: unknown, oldRaw?: unknown): string[] {
  const decode = (r: unknown): T => {
    const parsed = def.schema.parse(r);
    return def.defaults ? def.defaults(parsed) : parsed;
  };
  const obj = decode(raw);
  const errs = [...(def.validate?.(obj) ?? [])];
  if (oldRaw !== undefined) errs.push(...(def.validateUpdate?.(obj, decode(oldRaw)) ?? []));
  return errs.map(formatFieldError);
}

const c = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'app:1', ...extra });
const pod = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec });
const tpl = (labels: Record<string, string>, spec: Record<string, unknown> = {}) => ({ metadata: { labels }, spec: { containers: [c()], ...spec } });
const deploy = (spec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: tpl({ app: 'web' }), ...spec },
});
const rs = (spec: Record<string, unknown>) => ({ ...deploy(spec), kind: 'ReplicaSet' });
const ds = (spec: Record<string, unknown>) => ({ ...deploy(spec), kind: 'DaemonSet' });
const sts = (spec: Record<string, unknown>) => ({ ...deploy(spec), kind: 'StatefulSet' });
const svc = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec });
const job = (spec: Record<string, unknown>) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi', uid: 'u1' },
  spec: { template: tpl({}, { restartPolicy: 'Never' }), ...spec },
});
const hpa = (spec: Record<string, unknown>) => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web' },
  spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
});
const ing = (spec: Record<string, unknown>) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'shop' }, spec });
const backend = { service: { name: 'shop', port: { number: 80 } } };

type Row = readonly [string, ResourceDefinition<never>, unknown, readonly string[]];
const row = <T extends KubeObject>(name: string, def: ResourceDefinition<T>, raw: unknown, expected: readonly string[]): Row =>
  [name, def as unknown as ResourceDefinition<never>, raw, expected] as const;

const CREATE: readonly Row[] = [
  // Pods
  row('a pod without containers', Pods, pod({ containers: [] }), ['spec.containers: Required value']),
  row('a container without image', Pods, pod({ containers: [{ name: 'app' }] }), ['spec.containers[0].image: Required value']),
  row('a container without name', Pods, pod({ containers: [{ name: '', image: 'a' }] }), ['spec.containers[0].name: Required value']),
  row('a container name that is not a DNS-1123 label', Pods, pod({ containers: [c({ name: 'App_1' })] }), [
    "spec.containers[0].name: Invalid value: \"App_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  ]),
  row('duplicate container names', Pods, pod({ containers: [c(), c()] }), ['spec.containers[1].name: Duplicate value: "app"']),
  row('an init container named like a container', Pods, pod({ initContainers: [c()], containers: [c()] }), [
    'spec.containers[0].name: Duplicate value: "app"',
  ]),
  row('a container port out of range', Pods, pod({ containers: [c({ ports: [{ containerPort: 70000 }] })] }), [
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ]),
  row('a hostPort that differs from containerPort under hostNetwork', Pods, pod({ hostNetwork: true, containers: [c({ ports: [{ containerPort: 80, hostPort: 81 }] })] }), [
    'spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true',
  ]),
  row('a probe without handler', Pods, pod({ containers: [c({ livenessProbe: { periodSeconds: 5 } })] }), [
    'spec.containers[0].livenessProbe: Required value: must specify a handler type',
  ]),
  row('a liveness probe with successThreshold 2', Pods, pod({ containers: [c({ livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } })] }), [
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  ]),
  row('a request above its limit', Pods, pod({ containers: [c({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] }), [
    'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
  ]),
  row('a negative request', Pods, pod({ containers: [c({ resources: { requests: { memory: '-1' } } })] }), [
    'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
  ]),
  row('a mount of a volume that does not exist', Pods, pod({ containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })] }), [
    'spec.containers[0].volumeMounts[0].name: Not found: "data"',
  ]),
  row('a volume without source', Pods, pod({ volumes: [{ name: 'data' }], containers: [c()] }), [
    'spec.volumes[0]: Required value: must specify a volume type',
  ]),
  row('duplicate volume names', Pods, pod({ volumes: [{ name: 'd', emptyDir: {} }, { name: 'd', emptyDir: {} }], containers: [c()] }), [
    'spec.volumes[1].name: Duplicate value: "d"',
  ]),
  row('a negative grace period', Pods, pod({ terminationGracePeriodSeconds: -1, containers: [c()] }), [
    'spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0',
  ]),
  row('a toleration with value under Exists', Pods, pod({ tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }], containers: [c()] }), [
    'spec.tolerations[0].operator: Invalid value: {"key":"k","operator":"Exists","value":"v"}: value must be empty when `operator` is \'Exists\'',
  ]),
  row('a toleration with an unknown operator', Pods, pod({ tolerations: [{ key: 'k', operator: 'Like' }], containers: [c()] }), [
    'spec.tolerations[0].operator: Unsupported value: "Like": supported values: "Equal", "Exists"',
  ]),
  row('a toleration with an unknown effect', Pods, pod({ tolerations: [{ key: 'k', effect: 'NoRun' }], containers: [c()] }), [
    'spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"',
  ]),
  row('tolerationSeconds without NoExecute', Pods, pod({ tolerations: [{ key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }], containers: [c()] }), [
    "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
  ]),
  row('an empty toleration key without Exists', Pods, pod({ tolerations: [{ operator: 'Equal', value: 'x' }], containers: [c()] }), [
    'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
  ]),
  row('an affinity weight of 0', Pods, pod({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } }, containers: [c()] }), [
    'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
  ]),
  row('a pod affinity term without topologyKey', Pods, pod({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } }, topologyKey: '' }] } }, containers: [c()] }), [
    'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
  ]),
  row('a node selector In without values', Pods, pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] } } }, containers: [c()] }), [
    "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
  ]),
  row('a topology spread with maxSkew 0', Pods, pod({ topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }], containers: [c()] }), [
    'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
  ]),
  // Workloads
  row('a Deployment whose selector does not match its template', Deployments, deploy({ template: tpl({ app: 'api' }) }), [
    'spec.template.metadata.labels: Invalid value: {"app":"api"}: `selector` does not match template `labels`',
  ]),
  row('a Deployment with an empty selector', Deployments, deploy({ selector: {} }), ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']),
  row('a Deployment template with restartPolicy Never', Deployments, deploy({ template: tpl({ app: 'web' }, { restartPolicy: 'Never' }) }), [
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]),
  row('a Deployment with negative replicas', Deployments, deploy({ replicas: -1 }), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']),
  row('a Deployment with maxSurge and maxUnavailable both 0', Deployments, deploy({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
  ]),
  row('a Deployment with a malformed percentage', Deployments, deploy({ strategy: { rollingUpdate: { maxSurge: '25', maxUnavailable: 1 } } }), [
    "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"25\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
  ]),
  row('a Deployment with maxUnavailable above 100%', Deployments, deploy({ strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '150%' } } }), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
  ]),
  row('a Recreate Deployment with rollingUpdate', Deployments, deploy({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }), [
    "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
  ]),
  row('a progress deadline not above minReadySeconds', Deployments, deploy({ minReadySeconds: 600 }), [
    'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds',
  ]),
  row('a ReplicaSet with an invalid selector operator', ReplicaSets, rs({ selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In' }] } }), [
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
  ]),
  row('a ReplicaSet template with activeDeadlineSeconds', ReplicaSets, rs({ template: tpl({ app: 'web' }, { activeDeadlineSeconds: 10 }) }), [
    'spec.template.spec.activeDeadlineSeconds: Invalid value: 10: activeDeadlineSeconds in ReplicaSet is not Supported',
  ]),
  row('a DaemonSet with an empty selector', DaemonSets, ds({ selector: {} }), ['spec.selector: Invalid value: {}: empty selector is invalid for daemonset']),
  row('a DaemonSet with maxUnavailable and maxSurge both 0', DaemonSets, ds({ updateStrategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }), [
    'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
  ]),
  row('a StatefulSet mounting an unknown volume', StatefulSets, sts({ template: tpl({ app: 'web' }, { containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })] }) }), [
    'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"',
  ]),
  row('a StatefulSet claim template without storage request', StatefulSets, sts({ volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] }), [
    'spec.volumeClaimTemplates[0].spec.resources[storage]: Required value',
  ]),
  row('a StatefulSet with a negative partition', StatefulSets, sts({ updateStrategy: { rollingUpdate: { partition: -1 } } }), [
    'spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0',
  ]),
  row('a ReplicationController whose selector does not match its template', ReplicationControllers, {
    apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { selector: { app: 'x' }, template: tpl({ app: 'y' }) },
  }, ['spec.template.metadata.labels: Invalid value: {"app":"y"}: `selector` does not match template `labels`']),
  row('a Job with restartPolicy Always', Jobs, job({ template: tpl({}) }), [
    'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
  ]),
  row('a Job with a negative backoffLimit', Jobs, job({ backoffLimit: -1 }), ['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0']),
  row('an Indexed Job without completions', Jobs, job({ completionMode: 'Indexed', parallelism: 2 }), [
    'spec.completions: Required value: when completion mode is Indexed',
  ]),
  row('a Job with manualSelector and no selector', Jobs, job({ manualSelector: true }), ['spec.selector: Required value']),
  row('a CronJob with an empty schedule', CronJobs, {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '', jobTemplate: { spec: { template: tpl({}, { restartPolicy: 'Never' }) } } },
  }, ['spec.schedule: Required value']),
  row('a CronJob with a TZ schedule', CronJobs, {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: 'TZ=UTC 0 * * * *', jobTemplate: { spec: { template: tpl({}, { restartPolicy: 'Never' }) } } },
  }, ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']),
  // Services
  // As upstream, the defaulted targetPort (= port) is reported too.
  row('a Service port out of range', Services, svc({ ports: [{ port: 0 }] }), [
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]),
  row('a Service without ports', Services, svc({ selector: { app: 'web' } }), ['spec.ports: Required value']),
  row('two unnamed Service ports', Services, svc({ ports: [{ port: 80 }, { port: 443 }] }), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']),
  row('two Service ports with one name', Services, svc({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 443 }] }), ['spec.ports[1].name: Duplicate value: "http"']),
  row('a nodePort on a ClusterIP Service', Services, svc({ ports: [{ port: 80, nodePort: 30080 }] }), [
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
  ]),
  row('a nodePort outside 30000-32767', Services, svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }), [
    'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]),
  row('a headless LoadBalancer', Services, svc({ type: 'LoadBalancer', clusterIP: 'None', ports: [{ port: 80 }] }), [
    "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services",
  ]),
  row('an ExternalName Service without externalName', Services, svc({ type: 'ExternalName' }), ['spec.externalName: Required value']),
  row('externalTrafficPolicy on a ClusterIP Service', Services, svc({ externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }), [
    "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set when `type` is 'NodePort' or 'LoadBalancer'",
  ]),
  row('a named targetPort longer than 15 characters', Services, svc({ ports: [{ port: 80, targetPort: 'a-very-long-port-name' }] }), [
    'spec.ports[0].targetPort: Invalid value: "a-very-long-port-name": must be no more than 15 characters',
  ]),
  // Storage
  row('a PVC without access modes', PersistentVolumeClaims, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { resources: { requests: { storage: '1Gi' } } },
  }, ['spec.accessModes: Required value: at least 1 access mode is required']),
  row('a PVC requesting 0 storage', PersistentVolumeClaims, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: 0 } } },
  }, ['spec.resources[storage]: Invalid value: "0": must be greater than zero']),
  row('a PV without capacity, access modes or source', PersistentVolumes, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' } }, [
    'spec.accessModes: Required value',
    'spec.capacity: Required value',
    'spec: Required value: must specify a volume type',
  ]),
  row('a StorageClass without provisioner', StorageClasses, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 's' }, provisioner: '' }, [
    'provisioner: Required value',
  ]),
  // Other kinds
  row('duplicate node taints', Nodes, {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoSchedule' }] },
  }, ['spec.taints[1]: Duplicate value: {"key":"k","effect":"NoSchedule"}: taints must be unique by key and effect pair']),
  row('a ConfigMap key with a slash', ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'a/b': 'x' } }, [
    "data: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]),
  row('a TLS Secret without tls.key', Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==' } }, [
    'data[tls.key]: Required value',
  ]),
  row('an Event about an object in another namespace', Events, {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'a' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'b' },
  }, ['involvedObject.namespace: Invalid value: "b": does not match event.namespace']),
  row('a LimitRange with min above max', LimitRanges, {
    apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'l' }, spec: { limits: [{ type: 'Pod', min: { cpu: '2' }, max: { cpu: '1' } }] },
  }, ['spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1']),
  row('an HPA with minReplicas above maxReplicas', HorizontalPodAutoscalers, hpa({ minReplicas: 6 }), [
    'spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`',
  ]),
  row('an HPA with minReplicas 0', HorizontalPodAutoscalers, hpa({ minReplicas: 0 }), ['spec.minReplicas: Invalid value: 0: must be greater than or equal to 1']),
  row('an HPA Resource metric without its source', HorizontalPodAutoscalers, hpa({ metrics: [{ type: 'Resource' }] }), [
    'spec.metrics[0].resource: Required value: must populate information for the given metric source',
  ]),
  row('an HPA Utilization target without averageUtilization', HorizontalPodAutoscalers, hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] }), [
    'spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
  ]),
  row('an Ingress without rules or default backend', Ingresses, ing({}), ['spec: Invalid value: {}: either `defaultBackend` or `rules` must be specified']),
  row('an Ingress path without pathType', Ingresses, ing({ rules: [{ host: 'shop.local', http: { paths: [{ path: '/', backend }] } }] }), [
    'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
  ]),
  row('an Ingress Prefix path that is not absolute', Ingresses, ing({ rules: [{ http: { paths: [{ path: 'order', pathType: 'Prefix', backend }] } }] }), [
    'spec.rules[0].http.paths[0].path: Invalid value: "order": must be an absolute path',
  ]),
  row('an Ingress host that is an IP', Ingresses, ing({ rules: [{ host: '10.0.0.1', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] }), [
    'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
  ]),
  row('an Ingress backend with port name and number', Ingresses, ing({ defaultBackend: { service: { name: 'shop', port: { name: 'http', number: 80 } } } }), [
    'spec.defaultBackend.service.port: Invalid value: {"name":"http","number":80}: cannot set both port name & port number',
  ]),
  row('an IngressClass with a controller without domain', IngressClasses, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'nginx' } }, [
    'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
  ]),
  row('an EndpointSlice endpoint without addresses', EndpointSlices, {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', endpoints: [{ addresses: [] }],
  }, ['endpoints[0].addresses: Required value: must contain at least 1 address']),
  row('a Lease with a zero duration', Leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } }, [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
  ]),
  row('a PDB with both minAvailable and maxUnavailable', PodDisruptionBudgets, {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { minAvailable: 1, maxUnavailable: '120%', selector: { matchLabels: { app: 'web' } } },
  }, [
    'spec: Invalid value: {"minAvailable":1,"maxUnavailable":"120%","selector":{"matchLabels":{"app":"web"}}}: minAvailable and maxUnavailable cannot be both set',
    'spec.maxUnavailable: Invalid value: "120%": must not be greater than 100%',
  ]),
];

describe('validation on create', () => {
  it.each(CREATE)('rejects %s', (_name, def, raw, expected) => {
    expect(errorsOf(def, raw)).toEqual(expected);
  });

  it('rejects a Deployment without selector or template when decoding (the schema requires them)', () => {
    const r = Deployments.schema.safeParse({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: {} });
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['spec.selector', 'spec.template']);
  });

  it('accepts a walkthrough-style StatefulSet whose mounts name its claim templates', () => {
    const raw = sts({
      template: tpl({ app: 'web' }, { containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })] }),
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1G' } } } }],
    });
    expect(errorsOf(StatefulSets, raw)).toEqual([]);
  });
});

const UPDATE: readonly (readonly [string, ResourceDefinition<never>, unknown, unknown, readonly string[]])[] = [
  [
    'a changed Deployment selector',
    Deployments as unknown as ResourceDefinition<never>,
    deploy({ selector: { matchLabels: { app: 'web', tier: 'a' } }, template: tpl({ app: 'web', tier: 'a' }) }),
    deploy({}),
    ['spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"a"}}: field is immutable'],
  ],
  [
    'a changed StatefulSet serviceName',
    StatefulSets as unknown as ResourceDefinition<never>,
    sts({ serviceName: 'other' }),
    sts({ serviceName: 'db' }),
    [
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ],
  ],
  [
    'a changed Service clusterIP',
    Services as unknown as ResourceDefinition<never>,
    svc({ clusterIP: '10.0.0.2', ports: [{ port: 80 }] }),
    svc({ clusterIP: '10.0.0.1', ports: [{ port: 80 }] }),
    ['spec.clusterIP: Invalid value: "10.0.0.2": field is immutable'],
  ],
  [
    'a changed PVC storage class',
    PersistentVolumeClaims as unknown as ResourceDefinition<never>,
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'slow', resources: { requests: { storage: '1Gi' } } } },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } },
    ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'],
  ],
  [
    'a changed Job template',
    Jobs as unknown as ResourceDefinition<never>,
    job({ template: tpl({}, { restartPolicy: 'OnFailure' }) }),
    job({}),
    [
      'spec.template: Invalid value: {"metadata":{"labels":{"controller-uid":"u1","job-name":"pi","batch.kubernetes.io/controller-uid":"u1","batch.kubernetes.io/job-name":"pi"}},"spec":{"containers":[{"name":"app","image":"app:1","terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"OnFailure","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler","enableServiceLinks":true}}: field is immutable',
    ],
  ],
  [
    'a pod update beyond images',
    Pods as unknown as ResourceDefinition<never>,
    pod({ containers: [c({ image: 'app:2', command: ['sh'] })] }),
    pod({ containers: [c()] }),
    [
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    ],
  ],
  [
    'a changed StorageClass provisioner',
    StorageClasses as unknown as ResourceDefinition<never>,
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 's' }, provisioner: 'b.io/x' },
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 's' }, provisioner: 'a.io/x' },
    ['provisioner: Forbidden: updates to provisioner are forbidden.'],
  ],
];

describe('validation on update', () => {
  it.each(UPDATE)('rejects %s', (_name, def, raw, old, expected) => {
    expect(errorsOf(def, raw, old)).toEqual(expected);
  });

  it('lets a pod add tolerations and change the tolerationSeconds of one it has, but not drop or alter one (upstream validateOnlyAddedTolerations)', () => {
    const drain = { key: 'example.com/drain', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 };
    const before = pod({ containers: [c()], tolerations: [drain] });
    const forbidden = ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds'];
    expect(errorsOf(Pods, pod({ containers: [c()], tolerations: [{ ...drain, tolerationSeconds: 60 }] }), before)).toEqual([]);
    expect(errorsOf(Pods, pod({ containers: [c()], tolerations: [drain, { key: 'x', operator: 'Exists' }] }), before)).toEqual([]);
    expect(errorsOf(Pods, pod({ containers: [c()], tolerations: [{ ...drain, key: 'example.com/other' }] }), before)).toEqual(forbidden);
    expect(errorsOf(Pods, pod({ containers: [c()] }), before)).toEqual(forbidden);
  });

  it('lets a Deployment change replicas and template', () => {
    expect(errorsOf(Deployments, deploy({ replicas: 4, template: tpl({ app: 'web', v: '2' }) }), deploy({}))).toEqual([]);
  });

  it('lets a StatefulSet change replicas, template and update strategy', () => {
    expect(errorsOf(StatefulSets, sts({ replicas: 3, updateStrategy: { type: 'OnDelete' } }), sts({}))).toEqual([]);
  });

  it('lets a DaemonSet switch to OnDelete keeping its rollingUpdate, as upstream (only RollingUpdate requires it, nothing forbids it)', () => {
    const rolling = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
    expect(errorsOf(DaemonSets, ds({ updateStrategy: { ...rolling, type: 'OnDelete' } }), ds({ updateStrategy: rolling }))).toEqual([]);
  });

  it('lets a pod change its image and add a toleration', () => {
    const next = pod({ containers: [c({ image: 'app:2' })], tolerations: [{ key: 'a', operator: 'Exists' }] });
    expect(errorsOf(Pods, next, pod({ containers: [c()] }))).toEqual([]);
  });

  it('lets a PVC grow its storage request and bind a volume name once', () => {
    const claim = (storage: string, volumeName?: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'c' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...(volumeName ? { volumeName } : {}) },
    });
    expect(errorsOf(PersistentVolumeClaims, claim('2Gi', 'pv-1'), claim('1Gi'))).toEqual([]);
    expect(errorsOf(PersistentVolumeClaims, claim('2Gi', 'pv-2'), claim('1Gi', 'pv-1'))).toHaveLength(1);
  });
});

describe('pod update rules (property)', () => {
  it('accepts any change limited to images, added tolerations and a lower deadline, and rejects any other spec change', () => {
    const image = fc.stringMatching(/^[a-z]{1,6}(:[0-9]{1,2})?$/);
    fc.assert(
      fc.property(image, image, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 99 }), (img1, img2, added, deadline, lower) => {
        // As a read-modify-write client would, keep the stored imagePullPolicy (its default
        // depends on the tag, so a re-defaulted one could differ and be a forbidden change).
        const old = pod({ containers: [c({ image: img1, imagePullPolicy: 'IfNotPresent' })], activeDeadlineSeconds: deadline, tolerations: [{ key: 'a', operator: 'Exists' }] });
        const tolerations = [{ key: 'a', operator: 'Exists' }, ...Array.from({ length: added }, (_, i) => ({ key: `k${i}`, operator: 'Exists' }))];
        const next = pod({ containers: [c({ image: img2, imagePullPolicy: 'IfNotPresent' })], activeDeadlineSeconds: Math.max(1, deadline - lower), tolerations });
        expect(errorsOf(Pods, next, old)).toEqual([]);
        const changed = pod({ containers: [c({ image: img2, imagePullPolicy: 'IfNotPresent', args: ['x'] })], activeDeadlineSeconds: deadline, tolerations });
        expect(errorsOf(Pods, changed, old)).toHaveLength(1);
      }),
    );
  });
});
