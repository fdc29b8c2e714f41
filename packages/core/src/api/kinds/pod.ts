/**
 * Pods (core/v1): the pod spec shared by every workload template, its validation
 * (pkg/apis/core/validation `ValidatePodSpec`), its defaults (pkg/apis/core/v1/defaults.go)
 * and the `Pod` kind itself.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { validateLabelSelector } from '../labels.js';
import { LabelSelectorSchema, ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { validateLabels } from '../validation.js';
import { IntOrStringSchema, ResourceListSchema, checkDns1123Label, checkDns1123Subdomain, checkPortNumOrName, checkQualifiedName, check, duplicate, duplicates, equalExcept, forbidden, invalidValue, isValidPortName, nonNegative, nonNegativeQuantities, notFoundValue, oneOf, compareQuantities, quantitySign, required } from './internal.js';
import { deepEqual } from '../../util/objects.js';

// ---------------------------------------------------------------------------------------------
// References

/** A reference to another object (`involvedObject`, `claimRef`, `targetRef`, ...). */
export const ObjectReferenceSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});
/** A reference to another object. */
export type ObjectReference = z.infer<typeof ObjectReferenceSchema>;

/** A reference to an object in the same namespace by name (`imagePullSecrets[]`). */
export const LocalObjectReferenceSchema = z.object({ name: z.string().optional() });
/** A reference to an object in the same namespace by name. */
export type LocalObjectReference = z.infer<typeof LocalObjectReferenceSchema>;

// ---------------------------------------------------------------------------------------------
// Containers

/** The transport protocols of ports: `TCP` (the default), `UDP`, `SCTP`. */
export const ProtocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);
/** `TCP`, `UDP` or `SCTP`. */
export type Protocol = z.infer<typeof ProtocolSchema>;

/** A port a container exposes (`containers[].ports[]`); `protocol` defaults to TCP. */
export const ContainerPortSchema = z.object({
  name: z.string().optional(),
  containerPort: z.number().int(),
  hostPort: z.number().int().optional(),
  hostIP: z.string().optional(),
  protocol: ProtocolSchema.default('TCP'),
});
/** A port a container exposes. */
export type ContainerPort = z.infer<typeof ContainerPortSchema>;

const KeySelectorSchema = z.object({
  name: z.string().optional(),
  key: z.string(),
  optional: z.boolean().optional(),
});

/** Where an environment variable's value comes from (`env[].valueFrom`). */
export const EnvVarSourceSchema = z.object({
  fieldRef: z.object({ apiVersion: z.string().default('v1'), fieldPath: z.string() }).optional(),
  resourceFieldRef: z
    .object({ containerName: z.string().optional(), resource: z.string(), divisor: z.union([z.string(), z.number()]).optional() })
    .optional(),
  configMapKeyRef: KeySelectorSchema.optional(),
  secretKeyRef: KeySelectorSchema.optional(),
});
/** Where an environment variable's value comes from. */
export type EnvVarSource = z.infer<typeof EnvVarSourceSchema>;

/** An environment variable of a container. */
export const EnvVarSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: EnvVarSourceSchema.optional(),
});
/** An environment variable of a container. */
export type EnvVar = z.infer<typeof EnvVarSchema>;

/** A source of many environment variables: every key of a ConfigMap or Secret. */
export const EnvFromSourceSchema = z.object({
  prefix: z.string().optional(),
  configMapRef: z.object({ name: z.string().optional(), optional: z.boolean().optional() }).optional(),
  secretRef: z.object({ name: z.string().optional(), optional: z.boolean().optional() }).optional(),
});
/** A source of many environment variables. */
export type EnvFromSource = z.infer<typeof EnvFromSourceSchema>;

/** Compute resources: `requests` (what the scheduler reserves) and `limits` (the cap). */
export const ResourceRequirementsSchema = z.object({
  requests: ResourceListSchema.optional(),
  limits: ResourceListSchema.optional(),
  claims: z.array(z.object({ name: z.string(), request: z.string().optional() })).optional(),
});
/** Compute resources of a container. */
export type ResourceRequirements = z.infer<typeof ResourceRequirementsSchema>;

/** A mount of a pod volume into a container. */
export const VolumeMountSchema = z.object({
  name: z.string(),
  mountPath: z.string(),
  readOnly: z.boolean().optional(),
  subPath: z.string().optional(),
  subPathExpr: z.string().optional(),
  mountPropagation: z.enum(['None', 'HostToContainer', 'Bidirectional']).optional(),
  recursiveReadOnly: z.enum(['Disabled', 'IfPossible', 'Enabled']).optional(),
});
/** A mount of a pod volume into a container. */
export type VolumeMount = z.infer<typeof VolumeMountSchema>;

/** Runs a command in the container (probe or lifecycle handler). */
export const ExecActionSchema = z.object({ command: z.array(z.string()).optional() });
/** Runs a command in the container. */
export type ExecAction = z.infer<typeof ExecActionSchema>;

/** An HTTP GET against the container; `path` defaults to `/`, `scheme` to HTTP. */
export const HTTPGetActionSchema = z.object({
  path: z.string().default('/'),
  port: IntOrStringSchema,
  host: z.string().optional(),
  scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
  httpHeaders: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});
/** An HTTP GET against the container. */
export type HTTPGetAction = z.infer<typeof HTTPGetActionSchema>;

/** A TCP connection attempt to the container. */
export const TCPSocketActionSchema = z.object({ port: IntOrStringSchema, host: z.string().optional() });
/** A TCP connection attempt to the container. */
export type TCPSocketAction = z.infer<typeof TCPSocketActionSchema>;

/** A gRPC health check (`grpc.health.v1.Health/Check`). */
export const GRPCActionSchema = z.object({ port: z.number().int(), service: z.string().optional() });
/** A gRPC health check. */
export type GRPCAction = z.infer<typeof GRPCActionSchema>;

/**
 * A liveness, readiness or startup probe: exactly one handler, and its timing with upstream's
 * defaults (timeout 1 s, period 10 s, success threshold 1, failure threshold 3).
 */
export const ProbeSchema = z.object({
  exec: ExecActionSchema.optional(),
  httpGet: HTTPGetActionSchema.optional(),
  tcpSocket: TCPSocketActionSchema.optional(),
  grpc: GRPCActionSchema.optional(),
  initialDelaySeconds: z.number().int().optional(),
  timeoutSeconds: z.number().int().default(1),
  periodSeconds: z.number().int().default(10),
  successThreshold: z.number().int().default(1),
  failureThreshold: z.number().int().default(3),
  terminationGracePeriodSeconds: z.number().int().optional(),
});
/** A container probe. */
export type Probe = z.infer<typeof ProbeSchema>;

/** A lifecycle hook handler (`postStart`, `preStop`). */
export const LifecycleHandlerSchema = z.object({
  exec: ExecActionSchema.optional(),
  httpGet: HTTPGetActionSchema.optional(),
  tcpSocket: TCPSocketActionSchema.optional(),
  sleep: z.object({ seconds: z.number().int() }).optional(),
});
/** A lifecycle hook handler. */
export type LifecycleHandler = z.infer<typeof LifecycleHandlerSchema>;

/** Container lifecycle hooks. */
export const LifecycleSchema = z.object({
  postStart: LifecycleHandlerSchema.optional(),
  preStop: LifecycleHandlerSchema.optional(),
  stopSignal: z.string().optional(),
});
/** Container lifecycle hooks. */
export type Lifecycle = z.infer<typeof LifecycleSchema>;

/** Security settings are kept as written (not interpreted by kubeloop). */
const OpaqueObjectSchema = z.record(z.string(), z.unknown());

/**
 * A container (or init container). `imagePullPolicy` is defaulted by the kind's `defaults`
 * hook from the image tag (Always for `:latest` or no tag, IfNotPresent otherwise).
 */
export const ContainerSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  ports: z.array(ContainerPortSchema).optional(),
  envFrom: z.array(EnvFromSourceSchema).optional(),
  env: z.array(EnvVarSchema).optional(),
  resources: ResourceRequirementsSchema.optional(),
  resizePolicy: z.array(z.object({ resourceName: z.string(), restartPolicy: z.string() })).optional(),
  restartPolicy: z.enum(['Always']).optional(),
  volumeMounts: z.array(VolumeMountSchema).optional(),
  volumeDevices: z.array(z.object({ name: z.string(), devicePath: z.string() })).optional(),
  livenessProbe: ProbeSchema.optional(),
  readinessProbe: ProbeSchema.optional(),
  startupProbe: ProbeSchema.optional(),
  lifecycle: LifecycleSchema.optional(),
  terminationMessagePath: z.string().default('/dev/termination-log'),
  terminationMessagePolicy: z.enum(['File', 'FallbackToLogsOnError']).default('File'),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  securityContext: OpaqueObjectSchema.optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
});
/** A container. */
export type Container = z.infer<typeof ContainerSchema>;

// ---------------------------------------------------------------------------------------------
// Volumes

const KeyToPathSchema = z.object({ key: z.string(), path: z.string(), mode: z.number().int().optional() });

/** The downward API projection of pod fields and container resources into files. */
export const DownwardAPIVolumeSourceSchema = z.object({
  items: z
    .array(
      z.object({
        path: z.string(),
        fieldRef: z.object({ apiVersion: z.string().default('v1'), fieldPath: z.string() }).optional(),
        resourceFieldRef: z
          .object({ containerName: z.string().optional(), resource: z.string(), divisor: z.union([z.string(), z.number()]).optional() })
          .optional(),
        mode: z.number().int().optional(),
      }),
    )
    .optional(),
  defaultMode: z.number().int().optional(),
});

/** A PersistentVolumeClaim spec (also used by ephemeral volumes and StatefulSet claim templates). */
export const PersistentVolumeClaimSpecSchema = z.object({
  accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'])).optional(),
  selector: LabelSelectorSchema.optional(),
  resources: z.object({ requests: ResourceListSchema.optional(), limits: ResourceListSchema.optional() }).optional(),
  volumeName: z.string().optional(),
  storageClassName: z.string().optional(),
  volumeMode: z.enum(['Filesystem', 'Block']).default('Filesystem'),
  dataSource: z.object({ apiGroup: z.string().optional(), kind: z.string(), name: z.string() }).optional(),
  dataSourceRef: z
    .object({ apiGroup: z.string().optional(), kind: z.string(), name: z.string(), namespace: z.string().optional() })
    .optional(),
  volumeAttributesClassName: z.string().optional(),
});
/** A PersistentVolumeClaim spec. */
export type PersistentVolumeClaimSpec = z.infer<typeof PersistentVolumeClaimSpecSchema>;

/**
 * A pod volume: a name and exactly one source. Modelled sources: emptyDir, hostPath,
 * configMap, secret, persistentVolumeClaim, projected, downwardAPI, nfs, csi, ephemeral.
 */
export const VolumeSchema = z.object({
  name: z.string(),
  emptyDir: z.object({ medium: z.string().optional(), sizeLimit: z.union([z.string(), z.number()]).optional() }).optional(),
  hostPath: z
    .object({
      path: z.string(),
      type: z
        .enum(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'])
        .default(''),
    })
    .optional(),
  configMap: z
    .object({
      name: z.string().optional(),
      items: z.array(KeyToPathSchema).optional(),
      defaultMode: z.number().int().default(0o644),
      optional: z.boolean().optional(),
    })
    .optional(),
  secret: z
    .object({
      secretName: z.string().optional(),
      items: z.array(KeyToPathSchema).optional(),
      defaultMode: z.number().int().default(0o644),
      optional: z.boolean().optional(),
    })
    .optional(),
  persistentVolumeClaim: z.object({ claimName: z.string(), readOnly: z.boolean().optional() }).optional(),
  projected: z
    .object({
      sources: z
        .array(
          z.object({
            configMap: z
              .object({ name: z.string().optional(), items: z.array(KeyToPathSchema).optional(), optional: z.boolean().optional() })
              .optional(),
            secret: z
              .object({ name: z.string().optional(), items: z.array(KeyToPathSchema).optional(), optional: z.boolean().optional() })
              .optional(),
            downwardAPI: DownwardAPIVolumeSourceSchema.optional(),
            serviceAccountToken: z
              .object({ audience: z.string().optional(), expirationSeconds: z.number().int().optional(), path: z.string() })
              .optional(),
          }),
        )
        .optional(),
      defaultMode: z.number().int().default(0o644),
    })
    .optional(),
  downwardAPI: DownwardAPIVolumeSourceSchema.optional(),
  nfs: z.object({ server: z.string(), path: z.string(), readOnly: z.boolean().optional() }).optional(),
  csi: OpaqueObjectSchema.optional(),
  ephemeral: z
    .object({
      volumeClaimTemplate: z.object({ metadata: ObjectMetaSchema.optional(), spec: PersistentVolumeClaimSpecSchema }).optional(),
    })
    .optional(),
});
/** A pod volume. */
export type Volume = z.infer<typeof VolumeSchema>;

const VOLUME_SOURCES = [
  'emptyDir',
  'hostPath',
  'configMap',
  'secret',
  'persistentVolumeClaim',
  'projected',
  'downwardAPI',
  'nfs',
  'csi',
  'ephemeral',
] as const;

// ---------------------------------------------------------------------------------------------
// Scheduling

/** The effects of a taint: `NoSchedule`, `PreferNoSchedule`, `NoExecute`. */
export const TaintEffectSchema = z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
/** The effect of a taint. */
export type TaintEffect = z.infer<typeof TaintEffectSchema>;

/** A node taint (`spec.taints[]`): pods without a matching toleration are repelled. */
export const TaintSchema = z.object({
  key: z.string(),
  value: z.string().optional(),
  effect: TaintEffectSchema,
  timeAdded: z.string().optional(),
});
/** A node taint. */
export type Taint = z.infer<typeof TaintSchema>;

/**
 * A toleration (`spec.tolerations[]`). An empty `operator` means `Equal`; an empty `effect`
 * matches every effect; `tolerationSeconds` only applies to `NoExecute`.
 */
export const TolerationSchema = z.object({
  key: z.string().optional(),
  operator: z.string().optional(),
  value: z.string().optional(),
  effect: z.string().optional(),
  tolerationSeconds: z.number().int().optional(),
});
/** A toleration. */
export type Toleration = z.infer<typeof TolerationSchema>;

/** Operators of node selector requirements (label selector operators plus `Gt`, `Lt`). */
export const NodeSelectorOperatorSchema = z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
/** An operator of a node selector requirement. */
export type NodeSelectorOperator = z.infer<typeof NodeSelectorOperatorSchema>;

/** A requirement on a node label (`matchExpressions`) or field (`matchFields`). */
export const NodeSelectorRequirementSchema = z.object({
  key: z.string(),
  operator: NodeSelectorOperatorSchema,
  values: z.array(z.string()).optional(),
});
/** A requirement on a node label or field. */
export type NodeSelectorRequirement = z.infer<typeof NodeSelectorRequirementSchema>;

/** A node selector term: its requirements are ANDed. */
export const NodeSelectorTermSchema = z.object({
  matchExpressions: z.array(NodeSelectorRequirementSchema).optional(),
  matchFields: z.array(NodeSelectorRequirementSchema).optional(),
});
/** A node selector term. */
export type NodeSelectorTerm = z.infer<typeof NodeSelectorTermSchema>;

/** A node selector: its terms are ORed. */
export const NodeSelectorSchema = z.object({ nodeSelectorTerms: z.array(NodeSelectorTermSchema) });
/** A node selector. */
export type NodeSelector = z.infer<typeof NodeSelectorSchema>;

/** Node affinity: hard (`required...`) and weighted soft (`preferred...`) node constraints. */
export const NodeAffinitySchema = z.object({
  requiredDuringSchedulingIgnoredDuringExecution: NodeSelectorSchema.optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z
    .array(z.object({ weight: z.number().int(), preference: NodeSelectorTermSchema }))
    .optional(),
});
/** Node affinity. */
export type NodeAffinity = z.infer<typeof NodeAffinitySchema>;

/** A pod (anti-)affinity term: pods matching `labelSelector` in `namespaces`, per `topologyKey` domain. */
export const PodAffinityTermSchema = z.object({
  labelSelector: LabelSelectorSchema.optional(),
  namespaces: z.array(z.string()).optional(),
  topologyKey: z.string(),
  namespaceSelector: LabelSelectorSchema.optional(),
  matchLabelKeys: z.array(z.string()).optional(),
  mismatchLabelKeys: z.array(z.string()).optional(),
});
/** A pod (anti-)affinity term. */
export type PodAffinityTerm = z.infer<typeof PodAffinityTermSchema>;

/** A soft pod (anti-)affinity term with a weight in 1..100. */
export const WeightedPodAffinityTermSchema = z.object({ weight: z.number().int(), podAffinityTerm: PodAffinityTermSchema });
/** A weighted pod (anti-)affinity term. */
export type WeightedPodAffinityTerm = z.infer<typeof WeightedPodAffinityTermSchema>;

/** Pod affinity (co-location) or anti-affinity (spreading) rules. */
export const PodAffinitySchema = z.object({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(PodAffinityTermSchema).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(WeightedPodAffinityTermSchema).optional(),
});
/** Pod affinity or anti-affinity. */
export type PodAffinity = z.infer<typeof PodAffinitySchema>;

/** Scheduling constraints: node affinity, pod affinity and pod anti-affinity. */
export const AffinitySchema = z.object({
  nodeAffinity: NodeAffinitySchema.optional(),
  podAffinity: PodAffinitySchema.optional(),
  podAntiAffinity: PodAffinitySchema.optional(),
});
/** Scheduling constraints. */
export type Affinity = z.infer<typeof AffinitySchema>;

/** How to spread matching pods across topology domains (`topologySpreadConstraints[]`). */
export const TopologySpreadConstraintSchema = z.object({
  maxSkew: z.number().int(),
  topologyKey: z.string(),
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
  labelSelector: LabelSelectorSchema.optional(),
  minDomains: z.number().int().optional(),
  nodeAffinityPolicy: z.enum(['Honor', 'Ignore']).optional(),
  nodeTaintsPolicy: z.enum(['Honor', 'Ignore']).optional(),
  matchLabelKeys: z.array(z.string()).optional(),
});
/** A topology spread constraint. */
export type TopologySpreadConstraint = z.infer<typeof TopologySpreadConstraintSchema>;

// ---------------------------------------------------------------------------------------------
// Pod spec

/** The restart policies of a pod. */
export const RestartPolicySchema = z.enum(['Always', 'OnFailure', 'Never']);
/** `Always`, `OnFailure` or `Never`. */
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;

/**
 * The pod spec, with upstream's defaults: restartPolicy Always, terminationGracePeriodSeconds
 * 30, dnsPolicy ClusterFirst, schedulerName default-scheduler, enableServiceLinks true.
 */
export const PodSpecSchema = z.object({
  volumes: z.array(VolumeSchema).optional(),
  initContainers: z.array(ContainerSchema).optional(),
  containers: z.array(ContainerSchema),
  ephemeralContainers: z.array(OpaqueObjectSchema).optional(),
  restartPolicy: RestartPolicySchema.default('Always'),
  terminationGracePeriodSeconds: z.number().int().default(30),
  activeDeadlineSeconds: z.number().int().optional(),
  dnsPolicy: z.enum(['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']).default('ClusterFirst'),
  dnsConfig: OpaqueObjectSchema.optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  serviceAccountName: z.string().optional(),
  serviceAccount: z.string().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  securityContext: OpaqueObjectSchema.default(() => ({})),
  imagePullSecrets: z.array(LocalObjectReferenceSchema).optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  affinity: AffinitySchema.optional(),
  schedulerName: z.string().default('default-scheduler'),
  tolerations: z.array(TolerationSchema).optional(),
  hostAliases: z.array(z.object({ ip: z.string(), hostnames: z.array(z.string()).optional() })).optional(),
  priorityClassName: z.string().optional(),
  priority: z.number().int().optional(),
  preemptionPolicy: z.enum(['PreemptLowerPriority', 'Never']).optional(),
  readinessGates: z.array(z.object({ conditionType: z.string() })).optional(),
  runtimeClassName: z.string().optional(),
  enableServiceLinks: z.boolean().default(true),
  overhead: ResourceListSchema.optional(),
  topologySpreadConstraints: z.array(TopologySpreadConstraintSchema).optional(),
  os: z.object({ name: z.enum(['linux', 'windows']) }).optional(),
  schedulingGates: z.array(z.object({ name: z.string() })).optional(),
  hostUsers: z.boolean().optional(),
});
/** The pod spec. */
export type PodSpec = z.infer<typeof PodSpecSchema>;

/** Metadata and spec of the pods a workload creates (`spec.template`). */
export const PodTemplateSpecSchema = z.object({
  metadata: ObjectMetaSchema.prefault({}),
  spec: PodSpecSchema,
});
/** A pod template. */
export type PodTemplateSpec = z.infer<typeof PodTemplateSpecSchema>;

// ---------------------------------------------------------------------------------------------
// Pod status

/** The phases of a pod. */
export const PodPhaseSchema = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
/** `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`. */
export type PodPhase = z.infer<typeof PodPhaseSchema>;

/** A pod condition (`PodScheduled`, `Initialized`, `ContainersReady`, `Ready`, readiness gates...). */
export const PodConditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().optional(),
  lastProbeTime: z.string().nullish(),
  lastTransitionTime: z.string().nullish(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A pod condition. */
export type PodCondition = z.infer<typeof PodConditionSchema>;

/** The state of a container: at most one of waiting, running, terminated. */
export const ContainerStateSchema = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.object({ startedAt: z.string().optional() }).optional(),
  terminated: z
    .object({
      exitCode: z.number().int(),
      signal: z.number().int().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
      containerID: z.string().optional(),
    })
    .optional(),
});
/** The state of a container. */
export type ContainerState = z.infer<typeof ContainerStateSchema>;

/** The status of one container, as reported by the kubelet. */
export const ContainerStatusSchema = z.object({
  name: z.string(),
  state: ContainerStateSchema.optional(),
  lastState: ContainerStateSchema.optional(),
  ready: z.boolean(),
  restartCount: z.number().int(),
  image: z.string(),
  imageID: z.string(),
  containerID: z.string().optional(),
  started: z.boolean().optional(),
  allocatedResources: ResourceListSchema.optional(),
  resources: ResourceRequirementsSchema.optional(),
});
/** The status of one container. */
export type ContainerStatus = z.infer<typeof ContainerStatusSchema>;

/** The quality-of-service classes of a pod, derived from its containers' requests and limits. */
export const PodQOSClassSchema = z.enum(['Guaranteed', 'Burstable', 'BestEffort']);
/** `Guaranteed`, `Burstable` or `BestEffort`. */
export type PodQOSClass = z.infer<typeof PodQOSClassSchema>;

/** The pod status; a new pod is `Pending`. */
export const PodStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  phase: PodPhaseSchema.default('Pending'),
  conditions: z.array(PodConditionSchema).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: z.array(z.object({ ip: z.string() })).optional(),
  podIP: z.string().optional(),
  podIPs: z.array(z.object({ ip: z.string() })).optional(),
  startTime: z.string().optional(),
  initContainerStatuses: z.array(ContainerStatusSchema).optional(),
  containerStatuses: z.array(ContainerStatusSchema).optional(),
  ephemeralContainerStatuses: z.array(ContainerStatusSchema).optional(),
  qosClass: PodQOSClassSchema.optional(),
  resize: z.string().optional(),
});
/** The pod status. */
export type PodStatus = z.infer<typeof PodStatusSchema>;

/** A Pod (core/v1). */
export const PodSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: ObjectMetaSchema,
  spec: PodSpecSchema,
  status: PodStatusSchema.prefault({}),
});
/** A Pod. */
export type Pod = z.infer<typeof PodSchema>;

// ---------------------------------------------------------------------------------------------
// Defaulting

/**
 * Upstream's image pull policy default: `Always` when the image has the `:latest` tag or no
 * tag (and no digest), `IfNotPresent` otherwise.
 *
 * @example
 * ```ts
 * defaultImagePullPolicy('nginx');            // 'Always'
 * defaultImagePullPolicy('nginx:1.17-alpine'); // 'IfNotPresent'
 * defaultImagePullPolicy('localhost:5000/app'); // 'Always' (the colon belongs to the host)
 * ```
 */
export function defaultImagePullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  if (image === undefined || image === '') return 'Always';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Container, hostNetwork: boolean): Container {
  let out = c;
  if (out.imagePullPolicy === undefined) out = { ...out, imagePullPolicy: defaultImagePullPolicy(out.image) };
  // A container with limits but no request for a resource requests its limit.
  const limits = out.resources?.limits;
  if (limits !== undefined) {
    const requests = out.resources?.requests ?? {};
    let filled: Record<string, string> | undefined;
    for (const k in limits) {
      if (k in requests) continue;
      filled ??= { ...requests };
      filled[k] = limits[k]!;
    }
    if (filled !== undefined) out = { ...out, resources: { ...out.resources, requests: filled } };
  }
  // With hostNetwork, a port's hostPort defaults to its containerPort.
  if (hostNetwork && out.ports?.some((p) => p.hostPort === undefined)) {
    out = { ...out, ports: out.ports.map((p) => (p.hostPort === undefined ? { ...p, hostPort: p.containerPort } : p)) };
  }
  return out;
}

/**
 * Applies the pod spec defaults that depend on other fields (upstream `SetDefaults_PodSpec`,
 * `SetDefaults_Container`, `SetDefaults_Pod`): image pull policies, requests from limits,
 * hostPorts under hostNetwork, `serviceAccountName` from the deprecated `serviceAccount`.
 * Pure: returns a new spec when something changed, the same one otherwise.
 */
export function defaultPodSpec(spec: PodSpec): PodSpec {
  const hostNetwork = spec.hostNetwork === true;
  // Runs on every write of a pod or workload: allocates only when something is defaulted.
  const containers = defaultContainers(spec.containers, hostNetwork);
  const initContainers = spec.initContainers && defaultContainers(spec.initContainers, hostNetwork);
  let out =
    containers === spec.containers && initContainers === spec.initContainers
      ? spec
      : { ...spec, containers, ...(initContainers ? { initContainers } : {}) };
  if (out.serviceAccountName === undefined && out.serviceAccount !== undefined) {
    out = { ...out, serviceAccountName: out.serviceAccount };
  }
  return out;
}

/** `containers` with {@link defaultContainer} applied; the same array when none changed. */
function defaultContainers(containers: readonly Container[], hostNetwork: boolean): Container[] {
  let out: Container[] | undefined;
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i]!;
    const d = defaultContainer(c, hostNetwork);
    if (d !== c && out === undefined) out = containers.slice(0, i);
    if (out !== undefined) out.push(d);
  }
  return out ?? (containers as Container[]);
}

/** Applies {@link defaultPodSpec} to a template. */
export function defaultPodTemplate(template: PodTemplateSpec): PodTemplateSpec {
  const spec = defaultPodSpec(template.spec);
  return spec === template.spec ? template : { ...template, spec };
}

const COMPUTE_RESOURCES = ['cpu', 'memory'] as const;

/**
 * The QoS class of a pod (upstream `GetPodQOS`): `BestEffort` when no container requests or
 * limits cpu or memory, `Guaranteed` when every container has equal cpu and memory requests
 * and limits, `Burstable` otherwise.
 */
export function podQOSClass(spec: PodSpec): PodQOSClass {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const r of COMPUTE_RESOURCES) {
      const req = requests[r];
      const lim = limits[r];
      const reqSet = req !== undefined && quantitySign(req) !== 0;
      const limSet = lim !== undefined && quantitySign(lim) !== 0;
      if (reqSet || limSet) any = true;
      if (!limSet) guaranteed = false;
      else if (req !== undefined && compareQuantities(req, lim) !== 0) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

// ---------------------------------------------------------------------------------------------
// Validation

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const TOLERATION_OPERATORS = ['Equal', 'Exists'] as const;
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'] as const;

function validateProbe(probe: Probe | undefined, field: string, kind: 'liveness' | 'readiness' | 'startup'): FieldError[] {
  if (!probe) return [];
  const errs: FieldError[] = [];
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) errs.push(required(field, 'must specify a handler type'));
  else if (handlers.length > 1) errs.push(forbidden(`${field}.${handlers[1]!}`, 'may not specify more than 1 handler type'));
  errs.push(...validateHandlerPorts(probe, field));
  errs.push(...nonNegative(`${field}.initialDelaySeconds`, probe.initialDelaySeconds));
  errs.push(...nonNegative(`${field}.timeoutSeconds`, probe.timeoutSeconds));
  errs.push(...nonNegative(`${field}.periodSeconds`, probe.periodSeconds));
  errs.push(...nonNegative(`${field}.successThreshold`, probe.successThreshold));
  errs.push(...nonNegative(`${field}.failureThreshold`, probe.failureThreshold));
  if (kind !== 'readiness' && probe.successThreshold !== 1) {
    errs.push(invalidValue(`${field}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  if (kind === 'readiness' && probe.terminationGracePeriodSeconds !== undefined) {
    errs.push(invalidValue(`${field}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(invalidValue(`${field}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return errs;
}

function validateHandlerPorts(h: LifecycleHandler | Probe, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (h.httpGet) errs.push(...checkPortNumOrName(`${field}.httpGet.port`, h.httpGet.port));
  if (h.tcpSocket) errs.push(...checkPortNumOrName(`${field}.tcpSocket.port`, h.tcpSocket.port));
  if ('grpc' in h && h.grpc) errs.push(...checkPortNumOrName(`${field}.grpc.port`, h.grpc.port));
  if (h.exec && (h.exec.command ?? []).length === 0) errs.push(required(`${field}.exec.command`));
  return errs;
}

function validateLifecycle(lc: Lifecycle | undefined, field: string): FieldError[] {
  if (!lc) return [];
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = lc[hook];
    if (!h) continue;
    const f = `${field}.${hook}`;
    const handlers = (['exec', 'httpGet', 'tcpSocket', 'sleep'] as const).filter((k) => h[k] !== undefined);
    if (handlers.length === 0) errs.push(required(f, 'must specify a handler type'));
    else if (handlers.length > 1) errs.push(forbidden(`${f}.${handlers[1]!}`, 'may not specify more than 1 handler type'));
    errs.push(...validateHandlerPorts(h, f));
  }
  return errs;
}

/**
 * Validates compute resources: names are qualified names, quantities ≥ 0, and each request is
 * at most its limit (`requests: Invalid value: "2": must be less than or equal to cpu limit of 1`).
 */
export function validateResourceRequirements(res: ResourceRequirements | undefined, field: string): FieldError[] {
  if (!res) return [];
  const errs: FieldError[] = [];
  for (const [part, list] of [['limits', res.limits], ['requests', res.requests]] as const) {
    for (const name of Object.keys(list ?? {})) errs.push(...checkQualifiedName(`${field}.${part}[${name}]`, name));
    errs.push(...nonNegativeQuantities(`${field}.${part}`, list));
  }
  for (const [name, req] of Object.entries(res.requests ?? {})) {
    const lim = res.limits?.[name];
    if (lim === undefined) continue;
    if (compareQuantities(req, lim) === 1) {
      errs.push(invalidValue(`${field}.requests`, req, `must be less than or equal to ${name} limit of ${lim}`));
    }
  }
  return errs;
}

function validateContainer(
  c: Container,
  field: string,
  volumes: ReadonlySet<string>,
  hostNetwork: boolean,
  init: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  if (c.name === '') errs.push(required(`${field}.name`));
  else errs.push(...checkDns1123Label(`${field}.name`, c.name));
  if (c.image === undefined || c.image.trim() === '') errs.push(required(`${field}.image`));
  else if (c.image !== c.image.trim()) errs.push(invalidValue(`${field}.image`, c.image, 'must not have leading or trailing whitespace'));
  // Ports
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((p, i) => {
    const pf = `${field}.ports[${i}]`;
    if (p.name !== undefined && p.name !== '') {
      errs.push(...check(`${pf}.name`, p.name, isValidPortName(p.name)));
      if (portNames.has(p.name)) errs.push(duplicate(`${pf}.name`, p.name));
      portNames.add(p.name);
    }
    if (p.containerPort === 0) errs.push(required(`${pf}.containerPort`));
    else if (p.containerPort < 1 || p.containerPort > 65535) {
      errs.push(invalidValue(`${pf}.containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'));
    }
    if (p.hostPort !== undefined && p.hostPort !== 0 && (p.hostPort < 1 || p.hostPort > 65535)) {
      errs.push(invalidValue(`${pf}.hostPort`, p.hostPort, 'must be between 1 and 65535, inclusive'));
    }
    if (hostNetwork && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
      errs.push(invalidValue(`${pf}.hostPort`, p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
    }
  });
  // Environment
  (c.env ?? []).forEach((e, i) => {
    const ef = `${field}.env[${i}]`;
    if (e.name === '') errs.push(required(`${ef}.name`));
    else if (!ENV_VAR_NAME.test(e.name)) {
      errs.push(
        invalidValue(
          `${ef}.name`,
          e.name,
          "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
        ),
      );
    }
    if (e.valueFrom) {
      const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter(
        (s) => e.valueFrom?.[s] !== undefined,
      );
      if (e.value !== undefined && e.value !== '' && sources.length > 0) {
        errs.push(invalidValue(`${ef}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      }
      if (sources.length === 0) errs.push(invalidValue(`${ef}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) errs.push(invalidValue(`${ef}.valueFrom`, '', 'may not have more than one field specified at a time'));
    }
  });
  (c.envFrom ?? []).forEach((e, i) => {
    const n = (e.configMapRef ? 1 : 0) + (e.secretRef ? 1 : 0);
    if (n !== 1) errs.push(invalidValue(`${field}.envFrom[${i}]`, '', 'must specify one of: `configMapRef` or `secretRef`'));
  });
  // Volume mounts
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mf = `${field}.volumeMounts[${i}]`;
    if (m.name === '') errs.push(required(`${mf}.name`));
    else if (!volumes.has(m.name)) errs.push(notFoundValue(`${mf}.name`, m.name));
    if (m.mountPath === '') errs.push(required(`${mf}.mountPath`));
    else if (mountPaths.has(m.mountPath)) errs.push(invalidValue(`${mf}.mountPath`, m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    if (m.subPath !== undefined && m.subPathExpr !== undefined && m.subPath !== '' && m.subPathExpr !== '') {
      errs.push(invalidValue(`${mf}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
    }
  });
  errs.push(...validateResourceRequirements(c.resources, `${field}.resources`));
  if (init && c.restartPolicy !== 'Always') {
    // Plain init containers run to completion: probes and lifecycle are not allowed.
    for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const) {
      if (c[p] !== undefined) errs.push(forbidden(`${field}.${p}`, `may not be set for init containers without restartPolicy=Always`));
    }
  } else {
    errs.push(...validateProbe(c.livenessProbe, `${field}.livenessProbe`, 'liveness'));
    errs.push(...validateProbe(c.readinessProbe, `${field}.readinessProbe`, 'readiness'));
    errs.push(...validateProbe(c.startupProbe, `${field}.startupProbe`, 'startup'));
    errs.push(...validateLifecycle(c.lifecycle, `${field}.lifecycle`));
  }
  if (!init && c.restartPolicy !== undefined) errs.push(forbidden(`${field}.restartPolicy`, 'may not be set for non-init containers'));
  return errs;
}

function validateVolumes(volumes: readonly Volume[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const vf = `${field}[${i}]`;
    if (v.name === '') errs.push(required(`${vf}.name`));
    else {
      errs.push(...checkDns1123Label(`${vf}.name`, v.name));
      if (names.has(v.name)) errs.push(duplicate(`${vf}.name`, v.name));
      names.add(v.name);
    }
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined);
    if (sources.length === 0) errs.push(required(vf, 'must specify a volume type'));
    else if (sources.length > 1) errs.push(forbidden(`${vf}.${sources[1]!}`, 'may not specify more than 1 volume type'));
    if (v.hostPath && v.hostPath.path === '') errs.push(required(`${vf}.hostPath.path`));
    if (v.persistentVolumeClaim && v.persistentVolumeClaim.claimName === '') {
      errs.push(required(`${vf}.persistentVolumeClaim.claimName`));
    }
    if (v.secret && v.secret.secretName !== undefined && v.secret.secretName !== '') {
      errs.push(...checkDns1123Subdomain(`${vf}.secret.secretName`, v.secret.secretName));
    }
    if (v.configMap && (v.configMap.name === undefined || v.configMap.name === '')) {
      errs.push(required(`${vf}.configMap.name`));
    }
  });
  return errs;
}

/**
 * Validates node selector terms (used by node affinity and PersistentVolume node affinity):
 * operators and their values, as upstream `ValidateNodeSelectorRequirement`.
 */
export function validateNodeSelectorTerm(term: NodeSelectorTerm, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [part, reqs] of [['matchExpressions', term.matchExpressions], ['matchFields', term.matchFields]] as const) {
    (reqs ?? []).forEach((r, i) => {
      const rf = `${field}.${part}[${i}]`;
      const n = (r.values ?? []).length;
      switch (r.operator) {
        case 'In':
        case 'NotIn':
          if (n === 0) errs.push(required(`${rf}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
          break;
        case 'Exists':
        case 'DoesNotExist':
          if (n > 0) errs.push(forbidden(`${rf}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
          break;
        case 'Gt':
        case 'Lt':
          if (n !== 1 || !/^-?[0-9]+$/.test(r.values?.[0] ?? '')) {
            errs.push(required(`${rf}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
          }
          break;
      }
      if (part === 'matchExpressions') errs.push(...checkQualifiedName(`${rf}.key`, r.key));
    });
  }
  return errs;
}

function validateWeight(field: string, weight: number): FieldError[] {
  return weight < 1 || weight > 100 ? [invalidValue(field, weight, 'must be in the range 1-100')] : [];
}

function validatePodAffinityTerm(t: PodAffinityTerm, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (t.labelSelector) errs.push(...validateLabelSelector(t.labelSelector, `${field}.labelSelector`));
  if (t.namespaceSelector) errs.push(...validateLabelSelector(t.namespaceSelector, `${field}.namespaceSelector`));
  (t.namespaces ?? []).forEach((ns, i) => errs.push(...checkDns1123Label(`${field}.namespaces[${i}]`, ns)));
  if (t.topologyKey === '') errs.push(required(`${field}.topologyKey`, 'can not be empty'));
  else errs.push(...checkQualifiedName(`${field}.topologyKey`, t.topologyKey));
  return errs;
}

function validatePodAffinity(a: PodAffinity | undefined, field: string): FieldError[] {
  if (!a) return [];
  const errs: FieldError[] = [];
  (a.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) =>
    errs.push(...validatePodAffinityTerm(t, `${field}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`)),
  );
  (a.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((w, i) => {
    const wf = `${field}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    errs.push(...validateWeight(`${wf}.weight`, w.weight));
    errs.push(...validatePodAffinityTerm(w.podAffinityTerm, `${wf}.podAffinityTerm`));
  });
  return errs;
}

/** Validates scheduling affinity: node selector terms, weights in 1..100, pod affinity terms. */
export function validateAffinity(a: Affinity | undefined, field: string): FieldError[] {
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = a.nodeAffinity;
  if (na) {
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      const rf = `${field}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
      if (req.nodeSelectorTerms.length === 0) errs.push(required(`${rf}.nodeSelectorTerms`, 'must have at least one node selector term'));
      req.nodeSelectorTerms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, `${rf}.nodeSelectorTerms[${i}]`)));
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
      const pf = `${field}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      errs.push(...validateWeight(`${pf}.weight`, p.weight));
      errs.push(...validateNodeSelectorTerm(p.preference, `${pf}.preference`));
    });
  }
  errs.push(...validatePodAffinity(a.podAffinity, `${field}.podAffinity`));
  errs.push(...validatePodAffinity(a.podAntiAffinity, `${field}.podAntiAffinity`));
  return errs;
}

/**
 * Validates tolerations as upstream `ValidateTolerations`: operator `Equal`/`Exists`, an empty
 * key only with `Exists`, no value with `Exists`, `tolerationSeconds` only with `NoExecute`.
 */
export function validateTolerations(tolerations: readonly Toleration[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const tf = `${field}[${i}]`;
    if (t.key !== undefined && t.key !== '') errs.push(...checkQualifiedName(`${tf}.key`, t.key));
    const op = t.operator ?? '';
    if ((t.key ?? '') === '' && op !== 'Exists') {
      errs.push(
        invalidValue(`${tf}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
      );
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(invalidValue(`${tf}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === 'Exists') {
      if (t.value !== undefined && t.value !== '') {
        errs.push(invalidValue(`${tf}.operator`, t, 'value must be empty when `operator` is \'Exists\''));
      }
    } else if (op !== '' && op !== 'Equal') {
      errs.push(...oneOf(`${tf}.operator`, op, TOLERATION_OPERATORS));
    }
    if (t.effect !== undefined && t.effect !== '') errs.push(...oneOf(`${tf}.effect`, t.effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateTopologySpread(cs: readonly TopologySpreadConstraint[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (cs ?? []).forEach((c, i) => {
    const cf = `${field}[${i}]`;
    if (c.maxSkew <= 0) errs.push(invalidValue(`${cf}.maxSkew`, c.maxSkew, 'must be greater than zero'));
    if (c.topologyKey === '') errs.push(required(`${cf}.topologyKey`, 'can not be empty'));
    else errs.push(...checkQualifiedName(`${cf}.topologyKey`, c.topologyKey));
    if (c.minDomains !== undefined) {
      if (c.minDomains <= 0) errs.push(invalidValue(`${cf}.minDomains`, c.minDomains, 'must be greater than 0'));
      else if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(
          invalidValue(`${cf}.minDomains`, c.minDomains, 'can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway'),
        );
      }
    }
    const pair = `{${c.topologyKey}, ${c.whenUnsatisfiable}}`;
    if (seen.has(pair)) errs.push(duplicate(cf, pair));
    seen.add(pair);
    if (c.labelSelector) errs.push(...validateLabelSelector(c.labelSelector, `${cf}.labelSelector`));
  });
  return errs;
}

/**
 * Validates a pod spec at `field` (e.g. `spec` or `spec.template.spec`), as upstream
 * `ValidatePodSpec`: containers present with unique DNS-1123 names and images, ports in range,
 * volumes unique with exactly one source and referenced mounts, probes, resources,
 * affinity, tolerations, topology spread, DNS-1123 hostname/subdomain. `extraVolumeNames` are
 * volumes provided from elsewhere (a StatefulSet's claim templates) that mounts may refer to.
 */
export function validatePodSpec(spec: PodSpec, field: string, extraVolumeNames: readonly string[] = []): FieldError[] {
  const errs: FieldError[] = [];
  const volumes = spec.volumes ?? [];
  errs.push(...validateVolumes(volumes, `${field}.volumes`));
  const volumeNames = new Set([...volumes.map((v) => v.name), ...extraVolumeNames]);
  const hostNetwork = spec.hostNetwork === true;
  if (spec.containers.length === 0) errs.push(required(`${field}.containers`));
  spec.containers.forEach((c, i) => errs.push(...validateContainer(c, `${field}.containers[${i}]`, volumeNames, hostNetwork, false)));
  (spec.initContainers ?? []).forEach((c, i) =>
    errs.push(...validateContainer(c, `${field}.initContainers[${i}]`, volumeNames, hostNetwork, true)),
  );
  // Container names are unique across init and regular containers.
  const all = [
    ...(spec.initContainers ?? []).map((c, i) => ({ name: c.name, f: `${field}.initContainers[${i}].name` })),
    ...spec.containers.map((c, i) => ({ name: c.name, f: `${field}.containers[${i}].name` })),
  ];
  const names = new Set<string>();
  for (const { name, f } of all) {
    if (name === '') continue;
    if (names.has(name)) errs.push(duplicate(f, name));
    names.add(name);
  }
  errs.push(...nonNegative(`${field}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds));
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)) {
    errs.push(invalidValue(`${field}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  errs.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));
  if (spec.serviceAccountName) errs.push(...checkDns1123Subdomain(`${field}.serviceAccountName`, spec.serviceAccountName));
  if (spec.nodeName) errs.push(...checkDns1123Subdomain(`${field}.nodeName`, spec.nodeName));
  if (spec.hostname) errs.push(...checkDns1123Label(`${field}.hostname`, spec.hostname));
  if (spec.subdomain) errs.push(...checkDns1123Label(`${field}.subdomain`, spec.subdomain));
  if (spec.priorityClassName) errs.push(...checkDns1123Subdomain(`${field}.priorityClassName`, spec.priorityClassName));
  errs.push(...validateAffinity(spec.affinity, `${field}.affinity`));
  errs.push(...validateTolerations(spec.tolerations, `${field}.tolerations`));
  errs.push(...validateTopologySpread(spec.topologySpreadConstraints, `${field}.topologySpreadConstraints`));
  (spec.readinessGates ?? []).forEach((g, i) =>
    errs.push(...checkQualifiedName(`${field}.readinessGates[${i}].conditionType`, g.conditionType)),
  );
  errs.push(...duplicates(spec.imagePullSecrets ?? [], (s) => s.name, (i) => `${field}.imagePullSecrets[${i}].name`));
  if (spec.dnsPolicy === 'None' && spec.dnsConfig === undefined) {
    errs.push(required(`${field}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
  }
  return errs;
}

/**
 * Validates a workload's pod template at `field` (`spec.template`): its labels and its spec.
 * The selector match and restart policy rules of each workload are checked by the workload.
 */
export function validatePodTemplateSpec(template: PodTemplateSpec, field: string, extraVolumeNames: readonly string[] = []): FieldError[] {
  return [
    ...validateLabels(template.metadata.labels, `${field}.metadata.labels`),
    ...validatePodSpec(template.spec, `${field}.spec`, extraVolumeNames),
  ];
}

/** Pod spec fields `validatePodUpdate` checks separately (or lets change). */
const POD_MUTABLE: ReadonlySet<string> = new Set(['containers', 'initContainers', 'activeDeadlineSeconds', 'tolerations', 'schedulingGates']);
const POD_MUTABLE_WITH_GRACE: ReadonlySet<string> = new Set([...POD_MUTABLE, 'terminationGracePeriodSeconds']);
const IMAGE_ONLY: ReadonlySet<string> = new Set(['image']);

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * Upstream `ValidatePodUpdate`: a pod's spec is immutable except container images,
 * `activeDeadlineSeconds` (may be set or lowered), tolerations (additions only) and removal
 * of scheduling gates. Binding (`spec.nodeName`) goes through the `binding` subresource.
 */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const a = pod.spec;
  const b = old.spec;
  if (b.activeDeadlineSeconds !== undefined) {
    if (a.activeDeadlineSeconds === undefined) {
      errs.push(invalidValue('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    } else if (a.activeDeadlineSeconds > b.activeDeadlineSeconds) {
      errs.push(
        invalidValue('spec.activeDeadlineSeconds', a.activeDeadlineSeconds, 'must be less than or equal to previous value'),
      );
    }
  }
  // As upstream's `validateOnlyAddedTolerations`: each old toleration must still be there, its
  // tolerationSeconds aside (those may change).
  const oldTolerations = b.tolerations ?? [];
  const kept = oldTolerations.every((t) => (a.tolerations ?? []).some((n) => deepEqual({ ...n, tolerationSeconds: undefined }, { ...t, tolerationSeconds: undefined })));
  if (!kept) errs.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  const oldGates = b.schedulingGates ?? [];
  const newGates = a.schedulingGates ?? [];
  if (!newGates.every((g) => oldGates.some((o) => o.name === g.name))) {
    errs.push(forbidden('spec.schedulingGates', 'only deletion is allowed, but found new scheduling gate'));
  }
  // A negative grace period may be raised to 1 (upstream keeps this escape hatch).
  const graceFixed = b.terminationGracePeriodSeconds < 0 && a.terminationGracePeriodSeconds === 1;
  const sameContainers = (x: readonly Container[] | undefined, y: readonly Container[] | undefined): boolean =>
    (x ?? []).length === (y ?? []).length && (x ?? []).every((c, i) => equalExcept(c, y![i]!, IMAGE_ONLY));
  const unchanged =
    equalExcept(a, b, graceFixed ? POD_MUTABLE_WITH_GRACE : POD_MUTABLE) &&
    sameContainers(a.containers, b.containers) &&
    sameContainers(a.initContainers, b.initContainers);
  if (!unchanged) errs.push(forbidden('spec', POD_UPDATE_FORBIDDEN));
  return errs;
}

/**
 * Upstream's pod strategy `applySchedulingGatedCondition`: a pod created with scheduling gates
 * (and no `PodScheduled` condition) gets `PodScheduled` False with reason `SchedulingGated`,
 * which `kubectl get pods` shows as its STATUS until the gates are removed.
 */
function applySchedulingGatedCondition(pod: Pod): Pod {
  if ((pod.spec.schedulingGates ?? []).length === 0 || (pod.status.conditions ?? []).some((c) => c.type === 'PodScheduled')) return pod;
  const gated: PodCondition = { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' };
  return { ...pod, status: { ...pod.status, conditions: [...(pod.status.conditions ?? []), gated] } };
}

/**
 * Pods (core/v1, `po`): upstream's pod defaulting (restartPolicy Always, grace period 30 s,
 * image pull policy by tag, requests from limits, `status.phase` Pending and the QoS class),
 * the `SchedulingGated` condition of a gated pod, `ValidatePodCreate` and `ValidatePodUpdate`, the status subresource and the field selectors
 * that kubelets, the scheduler and kubectl use.
 */
export const Pods = defineResource({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  shortNames: ['po'],
  namespaced: true,
  schema: PodSchema,
  subresources: { status: true },
  defaults(pod) {
    const spec = defaultPodSpec(pod.spec);
    const qosClass = pod.status.qosClass ?? podQOSClass(spec);
    if (spec === pod.spec && qosClass === pod.status.qosClass) return pod;
    return { ...pod, spec, status: { ...pod.status, qosClass } };
  },
  prepareForCreate: applySchedulingGatedCondition,
  validate(pod) {
    return validatePodSpec(pod.spec, 'spec');
  },
  validateUpdate(pod, old) {
    return validatePodUpdate(pod, old);
  },
  fieldSelectors: {
    'spec.nodeName': { get: (p) => p.spec.nodeName ?? '' },
    'spec.restartPolicy': { get: (p) => p.spec.restartPolicy },
    'spec.schedulerName': { get: (p) => p.spec.schedulerName },
    'spec.serviceAccountName': { get: (p) => p.spec.serviceAccountName ?? '' },
    'spec.hostNetwork': { get: (p) => String(p.spec.hostNetwork ?? false) },
    'status.phase': { get: (p) => p.status.phase },
    'status.podIP': { get: (p) => p.status.podIP ?? '' },
    'status.nominatedNodeName': { get: (p) => p.status.nominatedNodeName ?? '' },
  },
});
