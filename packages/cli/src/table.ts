/**
 * Printing objects as `kubectl get` does (pure): one table per kind, with kubectl's columns for
 * the kinds it prints specially (pods, nodes, workloads, services, ...) plus an OWNER column
 * where ownership is the point, and `NAME AGE` for every other kind, ages in virtual time.
 *
 * @module
 */
import type { ConfigMap, ControllerRevision, CronJob, DaemonSet, Deployment, EndpointSlice, Endpoints, Event, Job, KubeObject, Lease, Node, PersistentVolume, PersistentVolumeClaim, Pod, ReplicaSet, ResourceQuota, Service, StatefulSet } from '@kubeloop/core';
import { humanDuration } from './duration.js';

/** One printed table: a kind's header and rows, before padding. */
export interface Table {
  /** The kind the rows are of. */
  readonly kind: string;
  /** Column titles, as kubectl spells them. */
  readonly columns: readonly string[];
  /** One row per object, one cell per column. */
  readonly rows: readonly (readonly string[])[];
  /** The kind's API group (`''` for the core group), for the `deployment.apps/web` prefix. */
  readonly group?: string | undefined;
}

/**
 * Kinds left out of the tables (not out of `-o json`/`yaml`) unless asked for by name
 * ({@link TableOptions.include}): node Leases and Events change all the time and say little
 * about the state of a workload, as in `kubectl get all`.
 */
export const KINDS_NOT_TABULATED: readonly string[] = ['Lease', 'Event'];

function age(object: KubeObject, nowMs: number): string {
  const created = object.metadata.creationTimestamp;
  return created ? humanDuration(nowMs - Date.parse(created)) : '<unknown>';
}

/**
 * The STATUS column of a pod, as kubectl's pod printer derives it: the phase (`Pending` before
 * any status is written), replaced by the pod's reason; `Init:<reason>` or `Init:<done>/<total>`
 * while init containers run (a started sidecar does not count as running init); else the reason of the first container that is waiting or
 * terminated (`ExitCode:<n>`/`Signal:<n>` without a reason); `Terminating` once deletion started.
 */
export function podStatus(pod: Pod): string {
  const status = pod.status;
  let reason: string = status?.reason ?? status?.phase ?? 'Pending'; // a pod no one has written status for yet is pending
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
  if (!initializing) {
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

/**
 * READY and RESTARTS as kubectl counts them: sidecars (init containers with `restartPolicy:
 * Always`) count as containers, ready once started and ready, and their restarts add up with
 * the containers'.
 */
function podRow(pod: Pod): string[] {
  const statuses = pod.status?.containerStatuses ?? [];
  const sidecarNames = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const sidecars = (pod.status?.initContainerStatuses ?? []).filter((c) => sidecarNames.has(c.name));
  const total = (pod.spec?.containers?.length ?? statuses.length) + sidecarNames.size;
  const ready = statuses.filter((c) => c.ready).length + sidecars.filter((c) => c.started === true && c.ready).length;
  const restarts = [...sidecars, ...statuses].reduce((n, c) => n + (c.restartCount ?? 0), 0);
  return [`${ready}/${total}`, podStatus(pod), String(restarts)];
}

/** The STATUS column of a node: `Ready`, `NotReady` or `Unknown`, plus `,SchedulingDisabled`. */
export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const base = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  return node.spec?.unschedulable ? `${base},SchedulingDisabled` : base;
}

function nodeRoles(node: Node): string {
  const prefix = 'node-role.kubernetes.io/';
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length))
    .filter(Boolean)
    .sort();
  return roles.length > 0 ? roles.join(',') : '<none>';
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

function count(n: number | undefined): string {
  return String(n ?? 0);
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

/** kubectl's PersistentVolumeClaim cells after NAME (`printPersistentVolumeClaim`): capacity and modes once bound. */
function pvcCells(pvc: PersistentVolumeClaim, age: string): string[] {
  const bound = pvc.spec?.volumeName !== undefined && pvc.spec.volumeName !== '';
  const phase = pvc.metadata.deletionTimestamp !== undefined ? 'Terminating' : (pvc.status?.phase ?? 'Pending');
  return [phase, pvc.spec?.volumeName ?? '', bound ? (pvc.status?.capacity?.['storage'] ?? '') : '', bound ? accessModesText(pvc.status?.accessModes) : '', pvc.spec?.storageClassName ?? '', pvc.spec?.volumeAttributesClassName ?? '<unset>', age];
}

/** kubectl's PersistentVolume cells after NAME (`printPersistentVolume`). */
function pvCells(pv: PersistentVolume, age: string): string[] {
  const ref = pv.spec?.claimRef;
  const phase = pv.metadata.deletionTimestamp !== undefined ? 'Terminating' : (pv.status?.phase ?? 'Pending');
  return [pv.spec?.capacity?.['storage'] ?? '', accessModesText(pv.spec?.accessModes), pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain', phase, ref === undefined ? '' : `${ref.namespace ?? ''}/${ref.name ?? ''}`, pv.spec?.storageClassName ?? '', pv.spec?.volumeAttributesClassName ?? '<unset>', pv.status?.reason ?? '', age];
}

function selectorText(selector: Readonly<Record<string, string>> | undefined): string {
  const items = Object.entries(selector ?? {}).map(([k, v]) => `${k}=${v}`);
  return items.length > 0 ? items.join(',') : '<none>';
}

/** kubectl's list of endpoints: the first three `ip:port`, then `+ n more...`. */
function endpointList(addresses: readonly string[]): string {
  if (addresses.length === 0) return '<none>';
  const shown = addresses.slice(0, 3).join(',');
  return addresses.length > 3 ? `${shown} + ${addresses.length - 3} more...` : shown;
}

function servicePorts(service: Service): string {
  const ports = (service.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`);
  return ports.length > 0 ? ports.join(',') : '<none>';
}

function externalIp(service: Service): string {
  const ingress = (service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter(Boolean);
  const external = [...(service.spec?.externalIPs ?? []), ...ingress];
  if (external.length > 0) return external.join(',');
  return service.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>';
}

/** When an Event was last seen: its series' last observation, else its last timestamp, event time or creation. */
function eventLastSeen(e: Event): string | undefined {
  return e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? undefined;
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

/** Columns and cells of the kinds kubectl prints specially (after NAMESPACE and NAME, AGE kept in its place). */
const COLUMNS: Readonly<Record<string, { readonly columns: readonly string[]; readonly cells: (o: KubeObject, age: string, nowMs: number) => string[] }>> = {
  Pod: { columns: ['READY', 'STATUS', 'RESTARTS', 'AGE', 'NODE', 'OWNER'], cells: (o, age) => [...podRow(o as Pod), age, (o as Pod).spec?.nodeName ?? '<none>', ownerOf(o)] },
  Node: { columns: ['STATUS', 'ROLES', 'AGE', 'VERSION'], cells: (o, age) => [nodeStatus(o as Node), nodeRoles(o as Node), age, (o as Node).status?.nodeInfo?.kubeletVersion ?? ''] },
  ReplicaSet: {
    columns: ['DESIRED', 'CURRENT', 'READY', 'AGE', 'OWNER'],
    cells: (o, age) => {
      const rs = o as ReplicaSet;
      return [count(rs.spec?.replicas), count(rs.status?.replicas), count(rs.status?.readyReplicas), age, ownerOf(o)];
    },
  },
  Deployment: {
    columns: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    cells: (o, age) => {
      const d = o as Deployment;
      return [`${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, count(d.status?.updatedReplicas), count(d.status?.availableReplicas), age];
    },
  },
  DaemonSet: {
    columns: ['DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    cells: (o, age) => {
      const ds = o as DaemonSet;
      const st = ds.status;
      return [count(st?.desiredNumberScheduled), count(st?.currentNumberScheduled), count(st?.numberReady), count(st?.updatedNumberScheduled), count(st?.numberAvailable), selectorText(ds.spec?.template?.spec?.nodeSelector), age];
    },
  },
  StatefulSet: { columns: ['READY', 'AGE'], cells: (o, age) => [`${(o as StatefulSet).status?.readyReplicas ?? 0}/${(o as StatefulSet).spec?.replicas ?? 1}`, age] },
  PersistentVolumeClaim: { columns: ['STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE'], cells: (o, age) => pvcCells(o as PersistentVolumeClaim, age) },
  PersistentVolume: { columns: ['CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE'], cells: (o, age) => pvCells(o as PersistentVolume, age) },
  Job: {
    columns: ['STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    cells: (o, age, nowMs) => [jobStatus(o as Job), jobCompletions(o as Job), jobDuration(o as Job, nowMs), age],
  },
  ControllerRevision: {
    columns: ['CONTROLLER', 'REVISION', 'AGE'],
    cells: (o, age) => [ownerOf(o), String((o as ControllerRevision).revision ?? ''), age],
  },
  Service: {
    columns: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    cells: (o, age) => {
      const svc = o as Service;
      return [svc.spec?.type ?? 'ClusterIP', svc.spec?.clusterIP ?? '<none>', externalIp(svc), servicePorts(svc), age];
    },
  },
  Endpoints: {
    columns: ['ENDPOINTS', 'AGE'],
    cells: (o, age) => {
      const addresses = ((o as Endpoints).subsets ?? []).flatMap((sub) => (sub.addresses ?? []).flatMap((a) => ((sub.ports ?? []).length > 0 ? (sub.ports ?? []).map((p) => `${a.ip}:${p.port}`) : [a.ip])));
      return [endpointList(addresses), age];
    },
  },
  EndpointSlice: {
    columns: ['ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
    cells: (o, age) => {
      const slice = o as EndpointSlice;
      const ports = (slice.ports ?? []).map((p) => String(p.port ?? '')).filter(Boolean);
      return [slice.addressType ?? '', ports.length > 0 ? ports.join(',') : '<unset>', endpointList((slice.endpoints ?? []).flatMap((e) => e.addresses ?? [])), age];
    },
  },
  Lease: { columns: ['HOLDER', 'AGE'], cells: (o, age) => [(o as Lease).spec?.holderIdentity ?? '', age] },
  ConfigMap: { columns: ['DATA', 'AGE'], cells: (o, age) => [String(Object.keys((o as ConfigMap).data ?? {}).length + Object.keys((o as ConfigMap).binaryData ?? {}).length), age] },
  ResourceQuota: { columns: ['AGE', 'REQUEST', 'LIMIT'], cells: (o, age) => [age, ...quotaColumns(o as ResourceQuota)] },
  CronJob: { columns: ['SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'], cells: (o, age, nowMs) => cronJobCells(o as CronJob, age, nowMs) },
};

/**
 * kubectl's CronJob columns (`printCronJob`): SCHEDULE, TIMEZONE (`<none>` when unset),
 * SUSPEND (`True`/`False`), ACTIVE (how many Jobs `status.active` lists), LAST SCHEDULE (the
 * age of `status.lastScheduleTime`, `<none>` before the first), AGE.
 */
function cronJobCells(cj: CronJob, age: string, nowMs: number): string[] {
  const last = cj.status?.lastScheduleTime;
  const lastSchedule = last === undefined ? '<none>' : humanDuration(nowMs - Date.parse(last));
  return [cj.spec.schedule, cj.spec.timeZone ?? '<none>', cj.spec.suspend ? 'True' : 'False', String(cj.status?.active?.length ?? 0), lastSchedule, age];
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

/** Options of {@link buildTables}. */
export interface TableOptions {
  /** Each kind's API group (`''` for core, the default), for {@link formatTables}' `deployment.apps/web` prefix. */
  readonly groupOf?: ((kind: string) => string) | undefined;
  /** Kinds to print even though they are in {@link KINDS_NOT_TABULATED} (asked for by name: `get: events`). */
  readonly include?: readonly string[] | undefined;
}

function eventsTable(events: readonly Event[], nowMs: number, ns: boolean): Table {
  const seen = (e: Event) => {
    const at = eventLastSeen(e);
    return at === undefined ? Number.NaN : Date.parse(at);
  };
  const sorted = [...events].sort((a, b) => seen(a) - seen(b) || cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
  return {
    kind: 'Event',
    columns: [...(ns ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    rows: sorted.map((e) => {
      const at = seen(e);
      const object = `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`;
      return [...(ns ? [e.metadata.namespace ?? ''] : []), Number.isNaN(at) ? '<unknown>' : humanDuration(nowMs - at), e.type ?? '', e.reason ?? '', object, e.message ?? ''];
    }),
  };
}

/**
 * The tables for `objects` at virtual time `nowMs` (epoch ms, as creation timestamps are): one
 * per kind present except {@link KINDS_NOT_TABULATED}, kinds in order of first appearance,
 * rows sorted by namespace then name. Namespaced kinds get a leading NAMESPACE column (as
 * `kubectl get -A`). Columns, after NAME:
 * - Pod: READY STATUS RESTARTS AGE NODE OWNER
 * - Node: STATUS ROLES AGE VERSION
 * - ReplicaSet: DESIRED CURRENT READY AGE OWNER
 * - Deployment: READY UP-TO-DATE AVAILABLE AGE
 * - DaemonSet: DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE
 * - StatefulSet: READY AGE
 * - PersistentVolumeClaim: STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE
 * - PersistentVolume: CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE
 * - Job: STATUS COMPLETIONS DURATION AGE, as kubectl 1.30 prints them
 * - ControllerRevision: CONTROLLER REVISION AGE
 * - Service: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE
 * - Endpoints: ENDPOINTS AGE; EndpointSlice: ADDRESSTYPE PORTS ENDPOINTS AGE
 * - ConfigMap: DATA AGE; Lease: HOLDER AGE
 * - CronJob: SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE
 * - Event (only when in `options.include`): LAST SEEN TYPE REASON OBJECT MESSAGE, oldest first
 *   (kubectl's columns for events; no NAME)
 * - any other kind: AGE
 *
 * OWNER is the controller among `metadata.ownerReferences` (else the first owner) as
 * `Kind/name`, `<none>` for an object nobody owns; the other columns are kubectl's.
 */
export function buildTables(objects: readonly KubeObject[], nowMs: number, namespaced: (kind: string) => boolean, options: TableOptions = {}): Table[] {
  const groupOf = options.groupOf ?? (() => '');
  const include = options.include ?? [];
  const byKind = new Map<string, KubeObject[]>();
  for (const o of objects) {
    if (KINDS_NOT_TABULATED.includes(o.kind) && !include.includes(o.kind)) continue;
    const list = byKind.get(o.kind) ?? [];
    list.push(o);
    byKind.set(o.kind, list);
  }
  return [...byKind].map(([kind, list]) => {
    const sorted = [...list].sort((a, b) => cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
    const ns = namespaced(kind);
    if (kind === 'Event') return eventsTable(list as Event[], nowMs, ns);
    const lead = (o: KubeObject) => (ns ? [o.metadata.namespace ?? '', o.metadata.name ?? ''] : [o.metadata.name ?? '']);
    const head = ns ? ['NAMESPACE', 'NAME'] : ['NAME'];
    const special = COLUMNS[kind];
    const group = groupOf(kind);
    if (special) return { kind, group, columns: [...head, ...special.columns], rows: sorted.map((o) => [...lead(o), ...special.cells(o, age(o, nowMs), nowMs)]) };
    return { kind, group, columns: [...head, 'AGE'], rows: sorted.map((o) => [...lead(o), age(o, nowMs)]) };
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Renders tables as kubectl does: columns left-aligned and separated by three spaces, tables
 * separated by a blank line. With more than one table, names are prefixed with the lowercased
 * kind and its group (`pod/web-1`, `deployment.apps/web`), as `kubectl get all` prints them.
 */
export function formatTables(tables: readonly Table[]): string {
  const prefix = tables.length > 1;
  return tables
    .map((table) => {
      const nameAt = table.columns.indexOf('NAME');
      const type = `${table.kind.toLowerCase()}${table.group ? `.${table.group}` : ''}`;
      const rows = table.rows.map((r) => (prefix ? r.map((cell, i) => (i === nameAt ? `${type}/${cell}` : cell)) : r));
      const all = [table.columns, ...rows];
      const widths = table.columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
      return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
    })
    .join('\n');
}
