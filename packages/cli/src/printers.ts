/**
 * The table definition of every kind kubeloop serves, in one place: kubectl's column
 * definitions (the shape of `metav1.TableColumnDefinition`: name, type, format, priority,
 * description) and a pure row function per kind, as kubernetes `pkg/printers/internalversion`
 * (`printers.go`) defines them. `kubeloop run` prints them ({@link buildTables}); the HTTP API's
 * server-side `Table` responses can serve the same definitions and cells.
 *
 * Priority 0 columns are printed always, priority 1 columns only with `-o wide`, as kubectl does.
 * Two columns are kubeloop's own, printed by default because ownership and placement are what a
 * learner looks at: a pod's NODE (kubectl's wide NODE column, moved to the default view) and the
 * OWNER of pods and ReplicaSets.
 *
 * @module
 */
import { selectorFromSet, toSelectorString } from '@kubeloop/core';
import type {
  ConfigMap,
  Container,
  ControllerRevision,
  CronJob,
  DaemonSet,
  Deployment,
  EndpointSlice,
  Endpoints,
  Event,
  HorizontalPodAutoscaler,
  Ingress,
  IngressClass,
  Job,
  KubeObject,
  LabelSelector,
  Lease,
  MetricSpec,
  MetricStatus,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  PriorityClass,
  ReplicaSet,
  ReplicationController,
  ResourceQuota,
  RoleBinding,
  Secret,
  Service,
  ServiceAccount,
  StatefulSet,
  StorageClass,
} from '@kubeloop/core';
import { humanDuration } from './duration.js';

/** One column of a kind's table: the shape of kubernetes `metav1.TableColumnDefinition`. */
export interface TableColumnDefinition {
  /** The column's name as kubectl spells it in the definition (`Nominated Node`); printed upper-cased. */
  readonly name: string;
  /** The OpenAPI type of its cells: `string`, `integer`, `number` or `boolean`. */
  readonly type: 'string' | 'integer' | 'number' | 'boolean';
  /** An OpenAPI format hint: `name` marks the column holding the object's name. */
  readonly format?: 'name' | undefined;
  /** What the column shows (the description a Table response carries). */
  readonly description: string;
  /** 0: printed always; 1: printed with `-o wide` only. */
  readonly priority: 0 | 1;
}

/** One cell: a string, or a number or boolean for `integer`/`boolean` columns (printed as kubectl's `%v`). */
export type TableCell = string | number | boolean;

/** What a row function may read besides the object: the current (virtual) time, epoch ms. */
export interface PrintContext {
  /** Now, in epoch milliseconds, the time ages are measured to. */
  readonly nowMs: number;
}

/**
 * A kind's table definition: its columns and the row function giving one cell per column, in
 * column order, for one object (pure).
 */
export interface KindPrinter {
  /** The columns, in order, the `Name` column among them. */
  readonly columns: readonly TableColumnDefinition[];
  /** The cells of `object`'s row, one per column, in column order. */
  readonly cells: (object: KubeObject, context: PrintContext) => readonly TableCell[];
}

/** The description kubectl gives the Name column (from `ObjectMeta.name`). */
const NAME_DESCRIPTION = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.';
const AGE_DESCRIPTION = 'CreationTimestamp is a timestamp representing the server time when this object was created.';

function col(name: string, description: string, options: { type?: TableColumnDefinition['type']; priority?: 0 | 1; format?: 'name' } = {}): TableColumnDefinition {
  return { name, type: options.type ?? 'string', ...(options.format ? { format: options.format } : {}), description, priority: options.priority ?? 0 };
}

const NAME = col('Name', NAME_DESCRIPTION, { format: 'name' });
const AGE = col('Age', AGE_DESCRIPTION);
const CONTAINERS = col('Containers', 'Names of each container in the template.', { priority: 1 });
const IMAGES = col('Images', 'Images referenced by each container in the template.', { priority: 1 });
const SELECTOR = col('Selector', 'A label query over pods that should match the replica count.', { priority: 1 });
const OWNER = col('Owner', "kubeloop's column: the controller among metadata.ownerReferences (else the first owner) as Kind/name.");

/** The age of `object` at `nowMs`, as kubectl's `translateTimestampSince` (`<unknown>` without a creation time). */
export function age(object: KubeObject, nowMs: number): string {
  const created = object.metadata.creationTimestamp;
  return created ? humanDuration(nowMs - Date.parse(created)) : '<unknown>';
}

/**
 * kubectl's `metav1.FormatLabelSelector`: the selector's canonical string (requirements sorted by
 * key: `app=web,tier in (a,b)`), `<none>` for no selector or an empty one, `<error>` for an invalid one.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (selector === undefined) return '<none>';
  try {
    const text = toSelectorString(selector);
    return text === '' ? '<none>' : text;
  } catch {
    return '<error>';
  }
}

/** kubectl's `labels.FormatLabels`: `k=v` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const text = selectorFromSet(labels ?? {}).toString();
  return text === '' ? '<none>' : text;
}

/** kubectl's `layoutContainerCells`: container names and images, each comma-separated. */
function containerCells(containers: readonly Container[] | undefined): [string, string] {
  return [(containers ?? []).map((c) => c.name).join(','), (containers ?? []).map((c) => c.image ?? '').join(',')];
}

/**
 * The STATUS column of a pod, as kubectl's pod printer derives it: the phase (`Pending` before
 * any status is written), replaced by the pod's reason, or `SchedulingGated` while its
 * `PodScheduled` condition says so; `Init:<reason>` or `Init:<done>/<total>`
 * while init containers run (a started sidecar does not count as running init); else, or once
 * the pod's `Initialized` condition is True (a sidecar killed at the end counts no more), the
 * reason of the first container that is waiting or terminated (`ExitCode:<n>`/`Signal:<n>`
 * without a reason); `Terminating` once deletion started.
 */
export function podStatus(pod: Pod): string {
  const status = pod.status;
  let reason: string = status?.reason ?? status?.phase ?? 'Pending'; // a pod no one has written status for yet is pending
  if ((status?.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';
  let initializing = false;
  const inits = status?.initContainerStatuses ?? [];
  const initTotal = pod.spec?.initContainers?.length ?? inits.length;
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  for (const [i, c] of inits.entries()) {
    const terminated = c.state?.terminated;
    if (terminated && terminated.exitCode === 0) continue;
    // A sidecar that has started does not hold initialization up.
    if (sidecars.has(c.name) && c.started === true) continue;
    if (terminated) reason = `Init:${terminated.reason ?? (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`)}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
    initializing = true;
    break;
  }
  if (!initializing || initializedTrue(pod)) {
    const containers = status?.containerStatuses ?? [];
    for (let i = containers.length - 1; i >= 0; i--) {
      const state = containers[i]!.state;
      if (state?.waiting?.reason) reason = state.waiting.reason;
      else if (state?.terminated?.reason) reason = state.terminated.reason;
      else if (state?.terminated) reason = state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode}`;
    }
  }
  if (pod.metadata.deletionTimestamp) reason = status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

/** Whether the pod's `Initialized` condition is True. */
function initializedTrue(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
}

/**
 * READY and RESTARTS as kubectl counts them: sidecars (init containers with `restartPolicy:
 * Always`) count as containers, ready once started and ready, and their restarts add up with
 * the containers'. While an init container holds the pod up (and it is not `Initialized`),
 * RESTARTS is the init containers' restarts up to that one (a crash-looping init container
 * shows its count).
 */
function podReadyAndRestarts(pod: Pod): [string, number] {
  const statuses = pod.status?.containerStatuses ?? [];
  const sidecarNames = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const inits = pod.status?.initContainerStatuses ?? [];
  const sidecars = inits.filter((c) => sidecarNames.has(c.name));
  const total = (pod.spec?.containers?.length ?? statuses.length) + sidecarNames.size;
  const ready = statuses.filter((c) => c.ready).length + sidecars.filter((c) => c.started === true && c.ready).length;
  let initRestarts = 0;
  let initializing = false;
  for (const c of inits) {
    initRestarts += c.restartCount ?? 0;
    if (c.state?.terminated?.exitCode === 0 || (sidecarNames.has(c.name) && c.started === true)) continue;
    initializing = true;
    break;
  }
  const restarts = initializing && !initializedTrue(pod) ? initRestarts : [...sidecars, ...statuses].reduce((n, c) => n + (c.restartCount ?? 0), 0);
  return [`${ready}/${total}`, restarts];
}

/** kubectl's READINESS GATES: `<true gates>/<gates>`, `<none>` for a pod without readiness gates. */
function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const trueGates = gates.filter((g) => pod.status?.conditions?.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${trueGates}/${gates.length}`;
}

/**
 * The STATUS column of a node, as kubectl's `printNode`: `Ready` when the Ready condition is
 * True, `NotReady` when it is anything else (False or Unknown), `Unknown` only when the node
 * reports no Ready condition at all; `,SchedulingDisabled` appended when cordoned
 * (`spec.unschedulable`).
 */
export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const base = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  return node.spec?.unschedulable ? `${base},SchedulingDisabled` : base;
}

/** kubectl's ROLES of a node: the `node-role.kubernetes.io/<role>` labels and `kubernetes.io/role`, sorted; `<none>`. */
function nodeRoles(node: Node): string {
  const prefix = 'node-role.kubernetes.io/';
  const labels = node.metadata.labels ?? {};
  const roles = new Set(
    Object.keys(labels)
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length))
      .filter(Boolean),
  );
  if (labels['kubernetes.io/role']) roles.add(labels['kubernetes.io/role']);
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

/**
 * The OWNER column: the controller among `metadata.ownerReferences` (else the first owner) as
 * `Kind/name`, e.g. `ReplicaSet/pi-web-5d8f4b7c9`; `<none>` for an object nobody owns. (kubectl
 * shows this only with custom columns; here it is printed for pods and ReplicaSets, the objects
 * whose owner is the story.)
 */
export function ownerOf(object: KubeObject): string {
  const refs = object.metadata.ownerReferences ?? [];
  const owner = refs.find((r) => r.controller === true) ?? refs[0];
  return owner ? `${owner.kind}/${owner.name}` : '<none>';
}

/**
 * kubectl's ACCESS MODES (`GetAccessModesAsString`): RWO, ROX, RWX, RWOP in that order, those
 * present, comma-separated.
 */
function accessModesText(modes: readonly string[] | undefined): string {
  const short: readonly [string, string][] = [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ];
  return short
    .filter(([mode]) => (modes ?? []).includes(mode as never))
    .map(([, s]) => s)
    .join(',');
}

/** kubectl's list of endpoints: the first three `ip:port`, then `+ n more...`. */
function endpointList(addresses: readonly string[]): string {
  if (addresses.length === 0) return '<none>';
  const shown = addresses.slice(0, 3).join(',');
  return addresses.length > 3 ? `${shown} + ${addresses.length - 3} more...` : shown;
}

/** kubectl's `makePortString`: `port/protocol`, `port:nodePort/protocol` with a node port; `<none>`. */
function servicePorts(service: Service): string {
  const ports = (service.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`);
  return ports.length > 0 ? ports.join(',') : '<none>';
}

/** A load balancer status's addresses (IP, else hostname), de-duplicated, comma-separated. */
function loadBalancerText(ingress: readonly { ip?: string | undefined; hostname?: string | undefined }[] | undefined): string {
  return [...new Set((ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean))].join(',');
}

/**
 * kubectl's `getServiceExternalIP`: ClusterIP and NodePort show `spec.externalIPs` or `<none>`;
 * LoadBalancer its load balancer's addresses and external IPs, `<pending>` while it has none;
 * ExternalName its `externalName`.
 */
function externalIp(service: Service): string {
  const type = service.spec?.type ?? 'ClusterIP';
  const externalIPs = service.spec?.externalIPs ?? [];
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerText(service.status?.loadBalancer?.ingress);
      const all = [...(lb ? lb.split(',') : []), ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return service.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** When an Event was last seen: its series' last observation, else its last timestamp, event time or creation. */
export function eventLastSeen(e: Event): string | undefined {
  return e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? undefined;
}

function sinceOrUnknown(at: string | undefined, nowMs: number): string {
  return at === undefined ? '<unknown>' : humanDuration(nowMs - Date.parse(at));
}

/**
 * kubectl's STATUS of a Job (1.30+ `printJob`): the first True condition of Complete, Failed,
 * then `Terminating` while being deleted, then Suspended, FailureTarget, SuccessCriteriaMet;
 * `Running` otherwise.
 */
export function jobStatus(job: Job): string {
  const has = (type: string) => (job.status.conditions ?? []).some((c) => c.type === type && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp !== undefined) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/**
 * kubectl's COMPLETIONS of a Job: `<succeeded>/<completions>`; without completions (a work
 * queue) `<succeeded>/1`, or `<succeeded>/1 of <parallelism>` when more than one pod runs.
 */
export function jobCompletions(job: Job): string {
  const succeeded = job.status.succeeded ?? 0;
  if (job.spec.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  if (job.spec.parallelism !== undefined && job.spec.parallelism > 1) return `${succeeded}/1 of ${job.spec.parallelism}`;
  return `${succeeded}/1`;
}

/** kubectl's DURATION of a Job: from `startTime` to `completionTime`, or to now while it runs; empty before it starts. */
function jobDuration(job: Job, nowMs: number): string {
  if (job.status.startTime === undefined) return '';
  const start = Date.parse(job.status.startTime);
  const end = job.status.completionTime === undefined ? nowMs : Date.parse(job.status.completionTime);
  return humanDuration(end - start);
}

/**
 * kubectl's REQUEST and LIMIT columns of a ResourceQuota: `name: used/hard` for each resource of
 * `spec.hard` in name order, the `limits.*` ones under LIMIT, the rest under REQUEST.
 */
function quotaColumns(q: ResourceQuota): [string, string] {
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(q.spec?.hard ?? {}).sort()) {
    const cell = `${name}: ${q.status?.used?.[name] ?? '0'}/${q.status?.hard?.[name] ?? '0'}`;
    (name.split('.')[0] === 'limits' && name.includes('.') ? limit : request).push(cell);
  }
  return [request.join(', '), limit.join(', ')];
}

/**
 * kubectl's TARGETS of a HorizontalPodAutoscaler (`formatHPAMetrics`): per metric of
 * `spec.metrics`, `current/target` with the matching `status.currentMetrics` entry
 * (`<unknown>` before the first measurement): `cpu: 40%/50%` for a utilization target,
 * `cpu: 200m/500m` for an average value, `(avg)` after Object and External average values;
 * at most two, then `+ n more...`; `<none>` without metrics.
 */
export function hpaTargets(specs: readonly MetricSpec[] | undefined, statuses: readonly MetricStatus[] | undefined): string {
  if (specs === undefined || specs.length === 0) return '<none>';
  const str = (q: unknown) => (q === undefined ? '<unknown>' : String(q));
  const list = specs.map((spec, i) => {
    const status = statuses?.[i];
    switch (spec.type) {
      case 'External':
      case 'Object': {
        const source = spec.type === 'External' ? spec.external : spec.object;
        const current = spec.type === 'External' ? status?.external?.current : status?.object?.current;
        if (source?.target.averageValue !== undefined) return `${str(current?.averageValue)}/${String(source.target.averageValue)} (avg)`;
        return `${str(current?.value)}/${str(source?.target.value)}`;
      }
      case 'Pods':
        return `${str(status?.pods?.current.averageValue)}/${str(spec.pods?.target.averageValue)}`;
      case 'Resource':
      case 'ContainerResource': {
        const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const current = spec.type === 'Resource' ? status?.resource?.current : status?.containerResource?.current;
        if (source?.target.averageValue !== undefined) return `${source.name}: ${str(current?.averageValue)}/${String(source.target.averageValue)}`;
        const now = current?.averageUtilization === undefined ? '<unknown>' : `${current.averageUtilization}%`;
        const target = source?.target.averageUtilization === undefined ? '<auto>' : `${source.target.averageUtilization}%`;
        return `${source?.name ?? ''}: ${now}/${target}`;
      }
      default:
        return '<unknown type>';
    }
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

/** kubectl's HOSTS of an Ingress (`formatHosts`): the rules' hosts, at most three then `+ n more...`; `*` for none. */
function ingressHosts(rules: Ingress['spec']['rules']): string {
  const all = rules ?? [];
  const hosts = all.slice(0, 3).map((r) => r.host ?? '').filter(Boolean);
  if (hosts.length === 0) return '*';
  return all.length > 3 ? `${hosts.join(',')} + ${all.length - 3} more...` : hosts.join(',');
}

const BINDING_COLUMNS: readonly TableColumnDefinition[] = [
  NAME,
  col('Role', 'RoleRef can only reference the current namespace. It can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
  AGE,
  col('Users', 'Users in the roleBinding', { priority: 1 }),
  col('Groups', 'Groups in the roleBinding', { priority: 1 }),
  col('ServiceAccounts', 'ServiceAccounts in the roleBinding', { priority: 1 }),
];

/** A RoleBinding's or ClusterRoleBinding's row (upstream `printRoleBinding`): `Kind/name` of the role, then users, groups and `namespace/name` service accounts. */
function bindingCells(o: KubeObject, { nowMs }: PrintContext): TableCell[] {
  const binding = o as RoleBinding;
  const subjects = binding.subjects ?? [];
  const names = (kind: string) => subjects.filter((s) => s.kind === kind).map((s) => (kind === 'ServiceAccount' && s.namespace ? `${s.namespace}/${s.name}` : s.name)).join(', ');
  return [o.metadata.name ?? '', `${binding.roleRef?.kind ?? ''}/${binding.roleRef?.name ?? ''}`, age(o, nowMs), names('User'), names('Group'), names('ServiceAccount')];
}

/** Whether a StorageClass is marked default (`storageclass.kubernetes.io/is-default-class` or its beta form `"true"`). */
function isDefaultClass(object: KubeObject): boolean {
  const a = object.metadata.annotations ?? {};
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

/** `String(n ?? 0)` kept as a number for `integer` cells. */
function n(value: number | undefined): number {
  return value ?? 0;
}

/** The replicas workload printers share: `<ready>/<desired>`. */
function readyOf(ready: number | undefined, desired: number | undefined): string {
  return `${ready ?? 0}/${desired ?? 0}`;
}

/**
 * Every kind's table, as kubectl prints it (column names, order, priorities and cells from
 * `printers.go`), plus kubeloop's NODE and OWNER columns noted on {@link KindPrinter}. Kinds
 * not listed print NAME and AGE ({@link DEFAULT_PRINTER}).
 */
export const PRINTERS: Readonly<Record<string, KindPrinter>> = {
  Pod: {
    columns: [
      NAME,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted.', { type: 'integer' }),
      AGE,
      col('IP', 'podIP address allocated to the pod.', { priority: 1 }),
      col('Node', 'NodeName is the name of the node the pod is bound to (printed by default here; kubectl prints it with -o wide).'),
      col('Nominated Node', 'nominatedNodeName is set when this pod preempts other pods on the node.', { priority: 1 }),
      col('Readiness Gates', 'The readiness gates whose condition is True, of all the pod has.', { priority: 1 }),
      OWNER,
    ],
    cells: (o, { nowMs }) => {
      const pod = o as Pod;
      const [ready, restarts] = podReadyAndRestarts(pod);
      const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
      return [o.metadata.name ?? '', ready, podStatus(pod), restarts, age(o, nowMs), ip, pod.spec?.nodeName || '<none>', pod.status?.nominatedNodeName || '<none>', readinessGates(pod), ownerOf(o)];
    },
  },
  Node: {
    columns: [
      NAME,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      AGE,
      col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'The node InternalIP address.', { priority: 1 }),
      col('External-IP', 'The node ExternalIP address.', { priority: 1 }),
      col('OS-Image', 'OS Image reported by the node.', { priority: 1 }),
      col('Kernel-Version', 'Kernel Version reported by the node.', { priority: 1 }),
      col('Container-Runtime', 'ContainerRuntime Version reported by the node.', { priority: 1 }),
    ],
    cells: (o, { nowMs }) => {
      const node = o as Node;
      const info = node.status?.nodeInfo;
      return [o.metadata.name ?? '', nodeStatus(node), nodeRoles(node), age(o, nowMs), info?.kubeletVersion ?? '', nodeAddress(node, 'InternalIP'), nodeAddress(node, 'ExternalIP'), info?.osImage || '<unknown>', info?.kernelVersion || '<unknown>', info?.containerRuntimeVersion || '<unknown>'];
    },
  },
  ReplicaSet: {
    columns: [NAME, col('Desired', 'Replicas is the number of desired replicas.', { type: 'integer' }), col('Current', 'Replicas is the most recently observed number of replicas.', { type: 'integer' }), col('Ready', 'The number of ready replicas.', { type: 'integer' }), AGE, CONTAINERS, IMAGES, SELECTOR, OWNER],
    cells: (o, { nowMs }) => {
      const rs = o as ReplicaSet;
      return [o.metadata.name ?? '', n(rs.spec?.replicas), n(rs.status?.replicas), n(rs.status?.readyReplicas), age(o, nowMs), ...containerCells(rs.spec?.template?.spec?.containers), formatLabelSelector(rs.spec?.selector), ownerOf(o)];
    },
  },
  ReplicationController: {
    columns: [NAME, col('Desired', 'Replicas is the number of desired replicas.', { type: 'integer' }), col('Current', 'Replicas is the most recently observed number of replicas.', { type: 'integer' }), col('Ready', 'The number of ready replicas.', { type: 'integer' }), AGE, CONTAINERS, IMAGES, SELECTOR],
    cells: (o, { nowMs }) => {
      const rc = o as ReplicationController;
      return [o.metadata.name ?? '', n(rc.spec?.replicas), n(rc.status?.replicas), n(rc.status?.readyReplicas), age(o, nowMs), ...containerCells(rc.spec?.template?.spec?.containers), formatLabels(rc.spec?.selector)];
    },
  },
  Deployment: {
    columns: [NAME, col('Ready', 'Number of the pod with ready state'), col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', { type: 'integer' }), col('Available', 'Total number of available pods targeted by this deployment.', { type: 'integer' }), AGE, CONTAINERS, IMAGES, SELECTOR],
    cells: (o, { nowMs }) => {
      const d = o as Deployment;
      return [o.metadata.name ?? '', readyOf(d.status?.readyReplicas, d.spec?.replicas ?? 1), n(d.status?.updatedReplicas), n(d.status?.availableReplicas), age(o, nowMs), ...containerCells(d.spec?.template?.spec?.containers), formatLabelSelector(d.spec?.selector)];
    },
  },
  DaemonSet: {
    columns: [
      NAME,
      col('Desired', 'The total number of nodes that should be running the daemon pod.', { type: 'integer' }),
      col('Current', 'The number of nodes running at least one daemon pod and supposed to.', { type: 'integer' }),
      col('Ready', 'The number of nodes running the daemon pod with a Ready pod.', { type: 'integer' }),
      col('Up-to-date', 'The total number of nodes running the updated daemon pod.', { type: 'integer' }),
      col('Available', 'The number of nodes running the daemon pod with an available pod.', { type: 'integer' }),
      col('Node Selector', "The pod template's nodeSelector."),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, { nowMs }) => {
      const ds = o as DaemonSet;
      const st = ds.status;
      return [o.metadata.name ?? '', n(st?.desiredNumberScheduled), n(st?.currentNumberScheduled), n(st?.numberReady), n(st?.updatedNumberScheduled), n(st?.numberAvailable), formatLabels(ds.spec?.template?.spec?.nodeSelector), age(o, nowMs), ...containerCells(ds.spec?.template?.spec?.containers), formatLabelSelector(ds.spec?.selector)];
    },
  },
  StatefulSet: {
    columns: [NAME, col('Ready', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
    cells: (o, { nowMs }) => {
      const sts = o as StatefulSet;
      return [o.metadata.name ?? '', readyOf(sts.status?.readyReplicas, sts.spec?.replicas ?? 1), age(o, nowMs), ...containerCells(sts.spec?.template?.spec?.containers)];
    },
  },
  ControllerRevision: {
    columns: [NAME, col('Controller', 'Controller of the object'), col('Revision', 'Revision indicates the revision of the state represented by Data.', { type: 'integer' }), AGE],
    cells: (o, { nowMs }) => {
      const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
      const group = ref?.apiVersion.includes('/') ? `.${ref.apiVersion.split('/')[0]}` : '';
      return [o.metadata.name ?? '', ref ? `${ref.kind.toLowerCase()}${group}/${ref.name}` : '<none>', (o as ControllerRevision).revision ?? 0, age(o, nowMs)];
    },
  },
  Job: {
    columns: [NAME, col('Status', 'Status of the job.'), col('Completions', 'The number of pods which reached phase Succeeded.'), col('Duration', 'Time required to complete the job.'), AGE, CONTAINERS, IMAGES, SELECTOR],
    cells: (o, { nowMs }) => {
      const job = o as Job;
      return [o.metadata.name ?? '', jobStatus(job), jobCompletions(job), jobDuration(job, nowMs), age(o, nowMs), ...containerCells(job.spec.template?.spec?.containers), formatLabelSelector(job.spec.selector)];
    },
  },
  CronJob: {
    columns: [
      NAME,
      col('Schedule', 'The schedule in Cron format.'),
      col('Timezone', 'The time zone name for the given schedule.'),
      col('Suspend', 'This flag tells the controller to suspend subsequent executions (printed True/False, as kubectl\'s printBoolPtr; the API server defaults it to false).', { type: 'boolean' }),
      col('Active', 'A list of pointers to currently running jobs.', { type: 'integer' }),
      col('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, { nowMs }) => {
      const cj = o as CronJob;
      const last = cj.status?.lastScheduleTime;
      const jobSpec = cj.spec.jobTemplate?.spec;
      return [o.metadata.name ?? '', cj.spec.schedule, cj.spec.timeZone ?? '<none>', cj.spec.suspend === true ? 'True' : 'False', cj.status?.active?.length ?? 0, last === undefined ? '<none>' : humanDuration(nowMs - Date.parse(last)), age(o, nowMs), ...containerCells(jobSpec?.template?.spec?.containers), formatLabelSelector(jobSpec?.selector)];
    },
  },
  HorizontalPodAutoscaler: {
    columns: [NAME, col('Reference', 'The target of the scale.'), col('Targets', 'The metrics: current/target.'), col('MinPods', 'The lower limit for the number of replicas.'), col('MaxPods', 'The upper limit for the number of replicas.', { type: 'integer' }), col('Replicas', 'The current number of replicas of the target.', { type: 'integer' }), AGE],
    cells: (o, { nowMs }) => {
      const hpa = o as HorizontalPodAutoscaler;
      const ref = hpa.spec.scaleTargetRef;
      return [o.metadata.name ?? '', `${ref.kind}/${ref.name}`, hpaTargets(hpa.spec.metrics, hpa.status?.currentMetrics), hpa.spec.minReplicas === undefined ? '<unset>' : String(hpa.spec.minReplicas), hpa.spec.maxReplicas, n(hpa.status?.currentReplicas), age(o, nowMs)];
    },
  },
  PodDisruptionBudget: {
    columns: [NAME, col('Min Available', 'The minimum number of pods that must be available.'), col('Max Unavailable', 'The maximum number of pods that may be unavailable.'), col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', { type: 'integer' }), AGE],
    cells: (o, { nowMs }) => {
      const pdb = o as PodDisruptionBudget;
      return [o.metadata.name ?? '', pdb.spec.minAvailable === undefined ? 'N/A' : String(pdb.spec.minAvailable), pdb.spec.maxUnavailable === undefined ? 'N/A' : String(pdb.spec.maxUnavailable), n(pdb.status?.disruptionsAllowed), age(o, nowMs)];
    },
  },
  VerticalPodAutoscaler: {
    // The autoscaler repository's CRD additionalPrinterColumns: Mode, the first container's
    // target CPU and memory, whether a recommendation is provided; empty cells before there is one.
    columns: [NAME, col('Mode', 'The update mode (.spec.updatePolicy.updateMode).'), col('CPU', "The first container's target CPU."), col('Mem', "The first container's target memory."), col('Provided', 'Whether a recommendation is provided (the RecommendationProvided condition).'), AGE],
    cells: (o, { nowMs }) => {
      const vpa = o as KubeObject & {
        spec?: { updatePolicy?: { updateMode?: string } };
        status?: { recommendation?: { containerRecommendations?: { target?: Record<string, string> }[] }; conditions?: { type: string; status: string }[] };
      };
      const target = vpa.status?.recommendation?.containerRecommendations?.[0]?.target;
      const provided = vpa.status?.conditions?.find((c) => c.type === 'RecommendationProvided')?.status;
      return [o.metadata.name ?? '', vpa.spec?.updatePolicy?.updateMode ?? '', target?.['cpu'] ?? '', target?.['memory'] ?? '', provided ?? '', age(o, nowMs)];
    },
  },
  Service: {
    columns: [NAME, col('Type', 'How the service is exposed.'), col('Cluster-IP', 'The IP address of the service.'), col('External-IP', 'Addresses outside the cluster that reach the service.'), col('Port(s)', 'The ports the service exposes.'), AGE, col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', { priority: 1 })],
    cells: (o, { nowMs }) => {
      const svc = o as Service;
      return [o.metadata.name ?? '', svc.spec?.type ?? 'ClusterIP', svc.spec?.clusterIPs?.[0] ?? svc.spec?.clusterIP ?? '<none>', externalIp(svc), servicePorts(svc), age(o, nowMs), formatLabels(svc.spec?.selector)];
    },
  },
  Endpoints: {
    columns: [NAME, col('Endpoints', 'The set of all endpoints (ip:port).'), AGE],
    cells: (o, { nowMs }) => {
      const addresses = ((o as Endpoints).subsets ?? []).flatMap((sub) => (sub.addresses ?? []).flatMap((a) => ((sub.ports ?? []).length > 0 ? (sub.ports ?? []).map((p) => `${a.ip}:${p.port}`) : [a.ip])));
      return [o.metadata.name ?? '', endpointList(addresses), age(o, nowMs)];
    },
  },
  EndpointSlice: {
    columns: [NAME, col('AddressType', 'The type of address carried by this EndpointSlice.'), col('Ports', 'The network ports exposed by each endpoint.'), col('Endpoints', 'The endpoints of this slice.'), AGE],
    cells: (o, { nowMs }) => {
      const slice = o as EndpointSlice;
      const ports = (slice.ports ?? []).map((p) => String(p.port ?? '')).filter(Boolean);
      return [o.metadata.name ?? '', slice.addressType ?? '', ports.length > 0 ? ports.join(',') : '<unset>', endpointList((slice.endpoints ?? []).flatMap((e) => e.addresses ?? [])), age(o, nowMs)];
    },
  },
  Ingress: {
    columns: [NAME, col('Class', 'The name of the IngressClass resource that should be used for additional configuration'), col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'), col('Address', 'Address is a list containing ingress points for the load-balancer'), col('Ports', 'Ports of TLS configurations that open'), AGE],
    cells: (o, { nowMs }) => {
      const ing = o as Ingress;
      return [o.metadata.name ?? '', ing.spec.ingressClassName ?? '<none>', ingressHosts(ing.spec.rules), loadBalancerText(ing.status?.loadBalancer?.ingress), (ing.spec.tls ?? []).length > 0 ? '80, 443' : '80', age(o, nowMs)];
    },
  },
  IPAddressPool: {
    // MetalLB's CRD printer columns (kubebuilder printcolumn).
    columns: [NAME, col('Auto Assign', 'spec.autoAssign'), col('Avoid Buggy IPs', 'spec.avoidBuggyIPs'), col('Addresses', 'spec.addresses'), AGE],
    cells: (o, { nowMs }) => {
      const spec = (o as unknown as { spec?: { autoAssign?: boolean; avoidBuggyIPs?: boolean; addresses?: string[] } }).spec;
      return [o.metadata.name ?? '', String(spec?.autoAssign ?? true), String(spec?.avoidBuggyIPs ?? false), JSON.stringify(spec?.addresses ?? []), age(o, nowMs)];
    },
  },
  IngressClass: {
    columns: [NAME, col('Controller', 'Controller that is responsible for handling this class'), col('Parameters', 'A reference to a resource with additional parameters'), AGE],
    cells: (o, { nowMs }) => {
      const p = (o as IngressClass).spec.parameters;
      return [o.metadata.name ?? '', (o as IngressClass).spec.controller ?? '', p === undefined ? '<none>' : `${p.kind}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name}`, age(o, nowMs)];
    },
  },
  PersistentVolume: {
    columns: [
      NAME,
      col('Capacity', 'capacity is the description of the persistent volume\'s resources and capacity.'),
      col('Access Modes', 'accessModes contains all ways the volume can be mounted.'),
      col('Reclaim Policy', 'What happens to a persistent volume when released from its claim.'),
      col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
      col('Claim', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
      col('StorageClass', 'StorageClass of the pv'),
      col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
      col('Reason', 'reason is a brief CamelCase string that describes any failure.'),
      AGE,
      col('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', { priority: 1 }),
    ],
    cells: (o, { nowMs }) => {
      const pv = o as PersistentVolume;
      const ref = pv.spec?.claimRef;
      const phase = pv.metadata.deletionTimestamp !== undefined ? 'Terminating' : (pv.status?.phase ?? 'Pending');
      return [o.metadata.name ?? '', pv.spec?.capacity?.['storage'] ?? '', accessModesText(pv.spec?.accessModes), pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain', phase, ref === undefined ? '' : `${ref.namespace ?? ''}/${ref.name ?? ''}`, pv.spec?.storageClassName ?? '', pv.spec?.volumeAttributesClassName ?? '<unset>', pv.status?.reason ?? '', age(o, nowMs), pv.spec?.volumeMode ?? 'Filesystem'];
    },
  },
  PersistentVolumeClaim: {
    columns: [
      NAME,
      col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
      col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
      col('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.'),
      col('StorageClass', 'StorageClass of the pvc'),
      col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
      AGE,
      col('VolumeMode', 'volumeMode defines what type of volume is required by the claim.', { priority: 1 }),
    ],
    cells: (o, { nowMs }) => {
      const pvc = o as PersistentVolumeClaim;
      const bound = pvc.spec?.volumeName !== undefined && pvc.spec.volumeName !== '';
      const phase = pvc.metadata.deletionTimestamp !== undefined ? 'Terminating' : (pvc.status?.phase ?? 'Pending');
      return [o.metadata.name ?? '', phase, pvc.spec?.volumeName ?? '', bound ? (pvc.status?.capacity?.['storage'] ?? '') : '', bound ? accessModesText(pvc.status?.accessModes) : '', pvc.spec?.storageClassName ?? '', pvc.spec?.volumeAttributesClassName ?? '<unset>', age(o, nowMs), pvc.spec?.volumeMode ?? 'Filesystem'];
    },
  },
  StorageClass: {
    columns: [NAME, col('Provisioner', 'provisioner indicates the type of the provisioner.'), col('ReclaimPolicy', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes.'), col('VolumeBindingMode', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'), col('AllowVolumeExpansion', 'allowVolumeExpansion shows whether the storage class allow volume expand.'), AGE],
    cells: (o, { nowMs }) => {
      const sc = o as StorageClass;
      return [`${o.metadata.name ?? ''}${isDefaultClass(o) ? ' (default)' : ''}`, sc.provisioner, sc.reclaimPolicy ?? 'Delete', sc.volumeBindingMode ?? 'Immediate', sc.allowVolumeExpansion === true, age(o, nowMs)];
    },
  },
  PriorityClass: {
    columns: [
      NAME,
      col('Value', 'The integer priority that pods of this class receive.', { type: 'integer' }),
      col('Global-Default', 'Whether pods without a priorityClassName get this class.', { type: 'boolean' }),
      AGE,
      col('PreemptionPolicy', 'Whether pods of this class may preempt lower-priority pods.'),
    ],
    cells: (o, { nowMs }) => {
      const pc = o as PriorityClass;
      return [o.metadata.name ?? '', pc.value, pc.globalDefault === true, age(o, nowMs), pc.preemptionPolicy ?? 'PreemptLowerPriority'];
    },
  },
  Namespace: {
    columns: [NAME, col('Status', 'The status of the namespace'), AGE],
    cells: (o, { nowMs }) => [o.metadata.name ?? '', (o as Namespace).status?.phase ?? 'Active', age(o, nowMs)],
  },
  ConfigMap: {
    columns: [NAME, col('Data', 'Data contains the configuration data.', { type: 'integer' }), AGE],
    cells: (o, { nowMs }) => [o.metadata.name ?? '', Object.keys((o as ConfigMap).data ?? {}).length + Object.keys((o as ConfigMap).binaryData ?? {}).length, age(o, nowMs)],
  },
  Secret: {
    columns: [NAME, col('Type', 'Used to facilitate programmatic handling of secret data.'), col('Data', 'Data contains the secret data.', { type: 'integer' }), AGE],
    cells: (o, { nowMs }) => [o.metadata.name ?? '', (o as Secret).type ?? 'Opaque', Object.keys((o as Secret).data ?? {}).length, age(o, nowMs)],
  },
  ServiceAccount: {
    columns: [NAME, col('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.', { type: 'integer' }), AGE],
    cells: (o, { nowMs }) => [o.metadata.name ?? '', ((o as ServiceAccount).secrets ?? []).length, age(o, nowMs)],
  },
  Lease: {
    columns: [NAME, col('Holder', 'holderIdentity contains the identity of the holder of a current lease.'), AGE],
    cells: (o, { nowMs }) => [o.metadata.name ?? '', (o as Lease).spec?.holderIdentity ?? '', age(o, nowMs)],
  },
  ResourceQuota: {
    columns: [NAME, AGE, col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'), col('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.')],
    cells: (o, { nowMs }) => [o.metadata.name ?? '', age(o, nowMs), ...quotaColumns(o as ResourceQuota)],
  },
  LimitRange: {
    columns: [NAME, col('Created At', AGE_DESCRIPTION)],
    cells: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ?? ''],
  },
  Role: { columns: [NAME, col('Created At', AGE_DESCRIPTION)], cells: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ?? ''] },
  ClusterRole: { columns: [NAME, col('Created At', AGE_DESCRIPTION)], cells: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ?? ''] },
  RoleBinding: { columns: BINDING_COLUMNS, cells: bindingCells },
  ClusterRoleBinding: { columns: BINDING_COLUMNS, cells: bindingCells },
  Event: {
    columns: [
      col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'Type of this event (Normal, Warning).'),
      col('Reason', 'The reason for the transition into the object\'s current status.'),
      col('Object', 'The object that this event is about.'),
      col('Subobject', 'The field of the object the event is about (e.g. spec.containers{name}).', { priority: 1 }),
      col('Source', 'The component reporting this event.', { priority: 1 }),
      col('Message', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'The time at which the event was first recorded.', { priority: 1 }),
      col('Count', 'The number of times this event has occurred.', { priority: 1 }),
      { ...NAME, priority: 1 },
    ],
    cells: (o, { nowMs }) => {
      const e = o as Event;
      const object = `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`;
      const component = e.source?.component || e.reportingComponent || '';
      const host = e.source?.host || e.reportingInstance || '';
      const source = host ? `${component}, ${host}` : component;
      const first = e.firstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? undefined;
      return [sinceOrUnknown(eventLastSeen(e), nowMs), e.type ?? '', e.reason ?? '', object, e.involvedObject.fieldPath ?? '', source, e.message ?? '', sinceOrUnknown(first, nowMs), e.series?.count ?? e.count ?? 1, o.metadata.name ?? ''];
    },
  },
};

/** The table of a kind with no printer of its own: NAME and AGE, as kubectl's default table. */
export const DEFAULT_PRINTER: KindPrinter = {
  columns: [NAME, AGE],
  cells: (o, { nowMs }) => [o.metadata.name ?? '', age(o, nowMs)],
};

/** The printer of `kind`: its entry of {@link PRINTERS}, else {@link DEFAULT_PRINTER}. */
export function printerFor(kind: string): KindPrinter {
  return PRINTERS[kind] ?? DEFAULT_PRINTER;
}
