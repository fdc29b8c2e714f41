/**
 * Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`),
 * decoded to the JSON form the rest of the handler speaks.
 *
 * Why: kubectl 1.33's typed clients (`create deployment`, `create configmap`, `create secret`,
 * `autoscale` (from 1.32), `drain`'s evictions…) send protobuf bodies unconditionally, and client-go has no fallback to
 * JSON on a 415 for protobuf (its 415 fallback is for CBOR only). kube-apiserver decodes them
 * with the Go types' generated code; this module decodes the kinds those commands write, from a
 * table of upstream's field numbers (`generated.proto` of k8s.io/api and apimachinery).
 *
 * The wire format: the 4 bytes `k8s\0`, then a `runtime.Unknown` message — field 1 its
 * `TypeMeta` (1 `apiVersion`, 2 `kind`), field 2 the object's own message.
 *
 * Guarantees: zero values of non-pointer Go fields (empty strings, 0, false, an empty `Time`)
 * are dropped, as Go's JSON encoding drops them (`omitempty`), so the result equals what the
 * same client would have sent as JSON; a pointer field (`replicas`, `immutable`…) keeps its
 * value even when zero. A field this table does not know fails the decoding when it carries
 * a non-zero value (nothing is dropped silently); an unknown all-zero field is skipped.
 *
 * Errors: {@link ProtobufDecodeError} for a malformed body, an unknown kind or an unknown
 * non-zero field.
 *
 * @module
 */
import { formatTime } from '@kubeloop/core';

/** A protobuf body that could not be decoded (malformed, or a kind or field not in the table). */
export class ProtobufDecodeError extends Error {
  /** `malformed`: broken wire data; `unsupported`: a kind or field kubeloop does not decode. */
  readonly code: 'malformed' | 'unsupported';
  constructor(code: 'malformed' | 'unsupported', message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
    this.code = code;
  }
}

/** The media type of Kubernetes' protobuf encoding. */
export const KUBERNETES_PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** The scalar types of the table; `pointer` fields keep zero values. */
type Scalar = 'string' | 'int' | 'bool' | 'bytes';
/** What a field holds: a scalar, a named message, a map with string keys, or an upstream special. */
type FieldType = Scalar | 'time' | 'quantity' | 'intstr' | { readonly message: string } | { readonly map: Scalar | 'quantity' };
interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: true;
  readonly pointer?: true;
  /** The message's fields are inlined into the parent (Go's embedded struct, e.g. `ProbeHandler`). */
  readonly inline?: true;
}
type MessageSpec = Readonly<Record<number, FieldSpec>>;

const s = (name: string): FieldSpec => ({ name, type: 'string' });
const sp = (name: string): FieldSpec => ({ name, type: 'string', pointer: true });
const i = (name: string): FieldSpec => ({ name, type: 'int' });
const ip = (name: string): FieldSpec => ({ name, type: 'int', pointer: true });
const b = (name: string): FieldSpec => ({ name, type: 'bool' });
const bp = (name: string): FieldSpec => ({ name, type: 'bool', pointer: true });
const strings = (name: string): FieldSpec => ({ name, type: 'string', repeated: true });
const msg = (name: string, message: string): FieldSpec => ({ name, type: { message } });
const msgs = (name: string, message: string): FieldSpec => ({ name, type: { message }, repeated: true });
const map = (name: string, value: Scalar | 'quantity'): FieldSpec => ({ name, type: { map: value } });

/** Upstream's field numbers, per message (k8s.io/api and apimachinery `generated.proto`). */
const MESSAGES: Readonly<Record<string, MessageSpec>> = {
  ObjectMeta: {
    1: s('name'), 2: s('generateName'), 3: s('namespace'), 4: s('selfLink'), 5: s('uid'), 6: s('resourceVersion'), 7: i('generation'),
    8: { name: 'creationTimestamp', type: 'time' }, 9: { name: 'deletionTimestamp', type: 'time' }, 10: ip('deletionGracePeriodSeconds'),
    11: map('labels', 'string'), 12: map('annotations', 'string'), 13: msgs('ownerReferences', 'OwnerReference'), 14: strings('finalizers'),
  },
  OwnerReference: { 1: s('kind'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 6: bp('controller'), 7: bp('blockOwnerDeletion') },
  LabelSelector: { 1: map('matchLabels', 'string'), 2: msgs('matchExpressions', 'LabelSelectorRequirement') },
  LabelSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: strings('values') },
  DeleteOptions: { 1: ip('gracePeriodSeconds'), 2: msg('preconditions', 'Preconditions'), 3: bp('orphanDependents'), 4: sp('propagationPolicy'), 5: strings('dryRun') },
  Preconditions: { 1: sp('uid'), 2: sp('resourceVersion') },
  // apps/v1
  Deployment: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'DeploymentSpec'), 3: msg('status', 'Empty') },
  DeploymentSpec: {
    1: ip('replicas'), 2: msg('selector', 'LabelSelector'), 3: msg('template', 'PodTemplateSpec'), 4: msg('strategy', 'DeploymentStrategy'),
    5: i('minReadySeconds'), 6: ip('revisionHistoryLimit'), 7: b('paused'), 9: ip('progressDeadlineSeconds'),
  },
  DeploymentStrategy: { 1: s('type'), 2: msg('rollingUpdate', 'RollingUpdateDeployment') },
  RollingUpdateDeployment: { 1: { name: 'maxUnavailable', type: 'intstr' }, 2: { name: 'maxSurge', type: 'intstr' } },
  // core/v1
  PodTemplateSpec: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'PodSpec') },
  PodSpec: {
    1: msgs('volumes', 'Volume'), 2: msgs('containers', 'Container'), 3: s('restartPolicy'), 4: ip('terminationGracePeriodSeconds'), 5: ip('activeDeadlineSeconds'),
    6: s('dnsPolicy'), 7: map('nodeSelector', 'string'), 8: s('serviceAccountName'), 9: s('serviceAccount'), 10: s('nodeName'), 11: b('hostNetwork'),
    16: s('hostname'), 17: s('subdomain'), 19: s('schedulerName'), 20: msgs('initContainers', 'Container'), 21: bp('automountServiceAccountToken'),
    22: msgs('tolerations', 'Toleration'), 24: s('priorityClassName'), 25: ip('priority'), 30: bp('enableServiceLinks'),
  },
  Container: {
    1: s('name'), 2: s('image'), 3: strings('command'), 4: strings('args'), 5: s('workingDir'), 6: msgs('ports', 'ContainerPort'), 7: msgs('env', 'EnvVar'),
    8: msg('resources', 'ResourceRequirements'), 9: msgs('volumeMounts', 'VolumeMount'), 10: msg('livenessProbe', 'Probe'), 11: msg('readinessProbe', 'Probe'),
    13: s('terminationMessagePath'), 14: s('imagePullPolicy'), 16: b('stdin'), 17: b('stdinOnce'), 18: b('tty'), 20: s('terminationMessagePolicy'),
    22: msg('startupProbe', 'Probe'), 24: sp('restartPolicy'),
  },
  ContainerPort: { 1: s('name'), 2: i('hostPort'), 3: i('containerPort'), 4: s('protocol'), 5: s('hostIP') },
  EnvVar: { 1: s('name'), 2: s('value') },
  ResourceRequirements: { 1: map('limits', 'quantity'), 2: map('requests', 'quantity') },
  VolumeMount: { 1: s('name'), 2: b('readOnly'), 3: s('mountPath'), 4: s('subPath') },
  Volume: { 1: s('name') },
  Toleration: { 1: s('key'), 2: s('operator'), 3: s('value'), 4: s('effect'), 5: ip('tolerationSeconds') },
  Probe: { 1: { name: 'handler', type: { message: 'ProbeHandler' }, inline: true }, 2: i('initialDelaySeconds'), 3: i('timeoutSeconds'), 4: i('periodSeconds'), 5: i('successThreshold'), 6: i('failureThreshold') },
  ProbeHandler: { 1: msg('exec', 'ExecAction'), 2: msg('httpGet', 'HTTPGetAction'), 3: msg('tcpSocket', 'TCPSocketAction') },
  ExecAction: { 1: strings('command') },
  HTTPGetAction: { 1: s('path'), 2: { name: 'port', type: 'intstr' }, 3: s('host'), 4: s('scheme') },
  TCPSocketAction: { 1: { name: 'port', type: 'intstr' }, 2: s('host') },
  ConfigMap: { 1: msg('metadata', 'ObjectMeta'), 2: map('data', 'string'), 3: map('binaryData', 'bytes'), 4: bp('immutable') },
  Secret: { 1: msg('metadata', 'ObjectMeta'), 2: map('data', 'bytes'), 3: s('type'), 4: map('stringData', 'string'), 5: bp('immutable') },
  Namespace: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'NamespaceSpec'), 3: msg('status', 'Empty') },
  NamespaceSpec: { 1: strings('finalizers') },
  ServiceAccount: { 1: msg('metadata', 'ObjectMeta'), 4: bp('automountServiceAccountToken') },
  Service: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'ServiceSpec'), 3: msg('status', 'Empty') },
  ServiceSpec: {
    1: msgs('ports', 'ServicePort'), 2: map('selector', 'string'), 3: s('clusterIP'), 4: s('type'), 5: strings('externalIPs'), 7: s('sessionAffinity'),
    10: s('externalName'), 11: s('externalTrafficPolicy'), 18: strings('clusterIPs'), 19: strings('ipFamilies'), 17: sp('ipFamilyPolicy'), 22: sp('internalTrafficPolicy'),
  },
  ServicePort: { 1: s('name'), 2: s('protocol'), 3: i('port'), 4: { name: 'targetPort', type: 'intstr' }, 5: i('nodePort'), 6: sp('appProtocol') },
  // policy/v1
  Eviction: { 1: msg('metadata', 'ObjectMeta'), 2: msg('deleteOptions', 'DeleteOptions') },
  PodDisruptionBudget: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'PodDisruptionBudgetSpec'), 3: msg('status', 'Empty') },
  PodDisruptionBudgetSpec: { 1: { name: 'minAvailable', type: 'intstr' }, 2: msg('selector', 'LabelSelector'), 3: { name: 'maxUnavailable', type: 'intstr' }, 4: sp('unhealthyPodEvictionPolicy') },
  // batch/v1
  Job: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'JobSpec'), 3: msg('status', 'Empty') },
  JobSpec: {
    1: ip('parallelism'), 2: ip('completions'), 3: ip('activeDeadlineSeconds'), 4: msg('selector', 'LabelSelector'), 5: bp('manualSelector'), 6: msg('template', 'PodTemplateSpec'),
    7: ip('backoffLimit'), 8: ip('ttlSecondsAfterFinished'), 9: sp('completionMode'), 10: bp('suspend'), 12: ip('backoffLimitPerIndex'), 13: ip('maxFailedIndexes'), 14: sp('podReplacementPolicy'), 15: sp('managedBy'),
  },
  CronJob: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'CronJobSpec'), 3: msg('status', 'Empty') },
  CronJobSpec: {
    1: s('schedule'), 2: ip('startingDeadlineSeconds'), 3: s('concurrencyPolicy'), 4: bp('suspend'), 5: msg('jobTemplate', 'JobTemplateSpec'), 6: ip('successfulJobsHistoryLimit'), 7: ip('failedJobsHistoryLimit'), 8: sp('timeZone'),
  },
  JobTemplateSpec: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'JobSpec') },
  // autoscaling/v1 and v2 (`kubectl autoscale`: v1 up to 1.32, v2 from 1.33); their metric
  // messages differ, hence the version prefix, as the Go packages name them.
  'v1.HorizontalPodAutoscaler': { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'v1.HorizontalPodAutoscalerSpec'), 3: msg('status', 'Empty') },
  'v1.HorizontalPodAutoscalerSpec': { 1: msg('scaleTargetRef', 'CrossVersionObjectReference'), 2: ip('minReplicas'), 3: i('maxReplicas'), 4: ip('targetCPUUtilizationPercentage') },
  CrossVersionObjectReference: { 1: s('kind'), 2: s('name'), 3: s('apiVersion') },
  'v2.HorizontalPodAutoscaler': { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'v2.HorizontalPodAutoscalerSpec'), 3: msg('status', 'Empty') },
  'v2.HorizontalPodAutoscalerSpec': {
    1: msg('scaleTargetRef', 'CrossVersionObjectReference'), 2: ip('minReplicas'), 3: i('maxReplicas'), 4: msgs('metrics', 'v2.MetricSpec'), 5: msg('behavior', 'v2.HorizontalPodAutoscalerBehavior'),
  },
  'v2.MetricSpec': {
    1: s('type'), 2: msg('object', 'v2.ObjectMetricSource'), 3: msg('pods', 'v2.PodsMetricSource'), 4: msg('resource', 'v2.ResourceMetricSource'), 5: msg('external', 'v2.ExternalMetricSource'),
    7: msg('containerResource', 'v2.ContainerResourceMetricSource'),
  },
  'v2.ObjectMetricSource': { 1: msg('describedObject', 'CrossVersionObjectReference'), 2: msg('target', 'v2.MetricTarget'), 3: msg('metric', 'v2.MetricIdentifier') },
  'v2.PodsMetricSource': { 1: msg('metric', 'v2.MetricIdentifier'), 2: msg('target', 'v2.MetricTarget') },
  'v2.ResourceMetricSource': { 1: s('name'), 2: msg('target', 'v2.MetricTarget') },
  'v2.ContainerResourceMetricSource': { 1: s('name'), 2: msg('target', 'v2.MetricTarget'), 3: s('container') },
  'v2.ExternalMetricSource': { 1: msg('metric', 'v2.MetricIdentifier'), 2: msg('target', 'v2.MetricTarget') },
  'v2.MetricIdentifier': { 1: s('name'), 2: msg('selector', 'LabelSelector') },
  'v2.MetricTarget': { 1: s('type'), 2: { name: 'value', type: 'quantity' }, 3: { name: 'averageValue', type: 'quantity' }, 4: ip('averageUtilization') },
  'v2.HorizontalPodAutoscalerBehavior': { 1: msg('scaleUp', 'v2.HPAScalingRules'), 2: msg('scaleDown', 'v2.HPAScalingRules') },
  'v2.HPAScalingRules': { 1: sp('selectPolicy'), 2: msgs('policies', 'v2.HPAScalingPolicy'), 3: ip('stabilizationWindowSeconds'), 4: { name: 'tolerance', type: 'quantity' } },
  'v2.HPAScalingPolicy': { 1: s('type'), 2: i('value'), 3: i('periodSeconds') },
  /** A status a client sends empty (it is the server's to write). */
  Empty: {},
};

/** The message of each kind decoded, by `apiVersion/kind`. */
const KINDS: Readonly<Record<string, string>> = {
  'apps/v1/Deployment': 'Deployment',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/Namespace': 'Namespace',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'policy/v1/Eviction': 'Eviction',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'autoscaling/v1/HorizontalPodAutoscaler': 'v1.HorizontalPodAutoscaler',
  'autoscaling/v2/HorizontalPodAutoscaler': 'v2.HorizontalPodAutoscaler',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
  'v1/DeleteOptions': 'DeleteOptions',
};

/** A wire field: its number, wire type and value (varint as bigint, length-delimited as bytes). */
interface WireField {
  readonly field: number;
  readonly wire: number;
  readonly value: bigint | Uint8Array;
}

/** Splits one message into its fields. */
function fields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new ProtobufDecodeError('malformed', 'protobuf: truncated varint');
      const byte = buf[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ProtobufDecodeError('malformed', 'protobuf: varint too long');
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) throw new ProtobufDecodeError('malformed', 'protobuf: field number 0');
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const length = Number(varint());
      if (pos + length > buf.length) throw new ProtobufDecodeError('malformed', 'protobuf: length past the end of the message');
      out.push({ field, wire, value: buf.subarray(pos, pos + length) });
      pos += length;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > buf.length) throw new ProtobufDecodeError('malformed', 'protobuf: truncated fixed-width field');
      out.push({ field, wire, value: buf.subarray(pos, pos + size) });
      pos += size;
    } else throw new ProtobufDecodeError('malformed', `protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function text(v: bigint | Uint8Array): string {
  if (typeof v === 'bigint') throw new ProtobufDecodeError('malformed', 'protobuf: a string field carried a varint');
  try {
    return utf8.decode(v);
  } catch {
    throw new ProtobufDecodeError('malformed', 'protobuf: a string field is not valid UTF-8');
  }
}
function bytes(v: bigint | Uint8Array): Uint8Array {
  if (typeof v === 'bigint') throw new ProtobufDecodeError('malformed', 'protobuf: a bytes field carried a varint');
  return v;
}
function int(v: bigint | Uint8Array): number {
  if (typeof v !== 'bigint') throw new ProtobufDecodeError('malformed', 'protobuf: an integer field is not a varint');
  return Number(BigInt.asIntN(64, v));
}

/** A scalar's JSON value, or undefined for Go's zero value (dropped unless the field is a pointer). */
function scalar(type: Scalar, v: bigint | Uint8Array): unknown {
  switch (type) {
    case 'string':
      return text(v);
    case 'int':
      return int(v);
    case 'bool':
      return int(v) !== 0;
    case 'bytes':
      return Buffer.from(bytes(v)).toString('base64');
  }
}
const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false;

/** A map entry (`key` = 1, `value` = 2). */
function mapEntry(buf: Uint8Array, value: Scalar | 'quantity'): [string, unknown] {
  let key = '';
  let out: unknown = value === 'int' ? 0 : value === 'bool' ? false : '';
  for (const f of fields(buf)) {
    if (f.field === 1) key = text(f.value);
    else if (f.field === 2) out = value === 'quantity' ? quantity(bytes(f.value)) : scalar(value, f.value);
  }
  return [key, out];
}

/** `resource.Quantity`: field 1, its string form. */
function quantity(buf: Uint8Array): string {
  const f = fields(buf).find((x) => x.field === 1);
  return f === undefined ? '0' : text(f.value);
}

/** `intstr.IntOrString`: 1 type (0 int, 1 string), 2 intVal, 3 strVal. */
function intOrString(buf: Uint8Array): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  for (const f of fields(buf)) {
    if (f.field === 1) type = int(f.value);
    else if (f.field === 2) intVal = int(f.value);
    else if (f.field === 3) strVal = text(f.value);
  }
  return type === 1 ? strVal : intVal;
}

/** `metav1.Time`: 1 seconds, 2 nanos (always 0 on the wire for `Time`); undefined for the zero time. */
function time(buf: Uint8Array): string | undefined {
  const f = fields(buf).find((x) => x.field === 1);
  const seconds = f === undefined ? 0 : int(f.value);
  return seconds === 0 ? undefined : formatTime(seconds * 1000);
}

function message(name: string, buf: Uint8Array, path: string): Record<string, unknown> {
  const spec = MESSAGES[name];
  if (spec === undefined) throw new ProtobufDecodeError('unsupported', `protobuf: kubeloop does not decode ${name}; send the body as JSON`);
  const out: Record<string, unknown> = {};
  for (const f of fields(buf)) {
    const field = spec[f.field];
    if (field === undefined) {
      const zero = typeof f.value === 'bigint' ? f.value === 0n : f.value.length === 0;
      if (zero) continue;
      throw new ProtobufDecodeError('unsupported', `protobuf: field ${f.field} of ${name} (${path || '<root>'}) is not decoded by kubeloop; send the body as JSON`);
    }
    const at = path === '' ? field.name : `${path}.${field.name}`;
    const type = field.type;
    let value: unknown;
    if (typeof type === 'string') {
      if (type === 'time') value = time(bytes(f.value));
      else if (type === 'quantity') value = quantity(bytes(f.value));
      else if (type === 'intstr') value = intOrString(bytes(f.value));
      else {
        value = scalar(type, f.value);
        if (!field.repeated && !field.pointer && isZero(value)) value = undefined;
      }
    } else if ('message' in type) {
      const nested = message(type.message, bytes(f.value), at);
      if (field.inline) {
        Object.assign(out, nested);
        continue;
      }
      value = Object.keys(nested).length === 0 && !field.repeated ? undefined : nested;
    } else {
      const [k, v] = mapEntry(bytes(f.value), type.map);
      out[field.name] = { ...((out[field.name] as Record<string, unknown> | undefined) ?? {}), [k]: v };
      continue;
    }
    if (field.repeated) out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), value];
    else if (value !== undefined) out[field.name] = value;
    else delete out[field.name];
  }
  return out;
}

/** Whether `body` starts with the protobuf envelope's magic bytes `k8s\0`. */
export function hasProtobufMagic(body: Uint8Array): boolean {
  return body.length >= 4 && body[0] === 0x6b && body[1] === 0x38 && body[2] === 0x73 && body[3] === 0x00;
}

/**
 * Decodes a Kubernetes protobuf body to its JSON object, `apiVersion` and `kind` included.
 *
 * @example
 * ```ts
 * decodeKubernetesProtobuf(body); // { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', ... }, spec: { ... } }
 * ```
 *
 * Errors: {@link ProtobufDecodeError} (see the module).
 */
export function decodeKubernetesProtobuf(body: Uint8Array): Record<string, unknown> {
  if (!hasProtobufMagic(body)) throw new ProtobufDecodeError('malformed', 'protobuf: the body does not start with the k8s\\0 magic bytes');
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array();
  for (const f of fields(body.subarray(4))) {
    if (f.field === 1) {
      for (const t of fields(bytes(f.value))) {
        if (t.field === 1) apiVersion = text(t.value);
        else if (t.field === 2) kind = text(t.value);
      }
    } else if (f.field === 2) raw = bytes(f.value);
    else if (f.field === 3 && bytes(f.value).length > 0) throw new ProtobufDecodeError('unsupported', 'protobuf: content encodings are not supported');
  }
  const name = KINDS[`${apiVersion}/${kind}`];
  if (name === undefined) throw new ProtobufDecodeError('unsupported', `protobuf: kubeloop does not decode ${kind || 'an object without kind'} (${apiVersion}); send the body as JSON`);
  return { apiVersion, kind, ...message(name, raw, '') };
}
