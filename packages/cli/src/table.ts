/**
 * Printing objects as `kubectl get` does (pure): one table per kind, with kubectl's columns for
 * pods and nodes and `NAME AGE` for every other kind, ages in virtual time.
 *
 * @module
 */
import type { KubeObject, Node, Pod } from '@kubeloop/core';
import { humanDuration } from './duration.js';

/** One printed table: a kind's header and rows, before padding. */
export interface Table {
  /** The kind the rows are of. */
  readonly kind: string;
  /** Column titles, as kubectl spells them. */
  readonly columns: readonly string[];
  /** One row per object, one cell per column. */
  readonly rows: readonly (readonly string[])[];
}

/**
 * Kinds left out of the tables (not out of `-o json`/`yaml`): node Leases and Events change all
 * the time and say little about the state of a workload, as in `kubectl get all`.
 */
export const KINDS_NOT_TABULATED: readonly string[] = ['Lease', 'Event'];

function age(object: KubeObject, nowMs: number): string {
  const created = object.metadata.creationTimestamp;
  return created ? humanDuration(nowMs - Date.parse(created)) : '<unknown>';
}

/**
 * The STATUS column of a pod, as kubectl's pod printer derives it: the phase (`Pending` before
 * any status is written), replaced by the pod's reason; `Init:<reason>` or `Init:<done>/<total>`
 * while init containers run; else the reason of the first container that is waiting or
 * terminated (`ExitCode:<n>`/`Signal:<n>` without a reason); `Terminating` once deletion started.
 */
export function podStatus(pod: Pod): string {
  const status = pod.status;
  let reason: string = status?.reason ?? status?.phase ?? 'Pending'; // a pod no one has written status for yet is pending
  let initializing = false;
  const inits = status?.initContainerStatuses ?? [];
  const initTotal = pod.spec?.initContainers?.length ?? inits.length;
  for (const [i, c] of inits.entries()) {
    const terminated = c.state?.terminated;
    if (terminated && terminated.exitCode === 0) continue;
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

function podRow(pod: Pod): string[] {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? statuses.length;
  const ready = statuses.filter((c) => c.ready).length;
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
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
 * The tables for `objects` at virtual time `nowMs` (epoch ms, as creation timestamps are): one
 * per kind present except {@link KINDS_NOT_TABULATED}, kinds in order of first appearance,
 * rows sorted by namespace then name. Namespaced kinds get a leading NAMESPACE column (as
 * `kubectl get -A`). Columns:
 * - Pod: NAME READY STATUS RESTARTS AGE NODE
 * - Node: NAME STATUS ROLES AGE VERSION
 * - any other kind: NAME AGE
 */
export function buildTables(objects: readonly KubeObject[], nowMs: number, namespaced: (kind: string) => boolean): Table[] {
  const byKind = new Map<string, KubeObject[]>();
  for (const o of objects) {
    if (KINDS_NOT_TABULATED.includes(o.kind)) continue;
    const list = byKind.get(o.kind) ?? [];
    list.push(o);
    byKind.set(o.kind, list);
  }
  return [...byKind].map(([kind, list]) => {
    const sorted = [...list].sort((a, b) => cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
    const ns = namespaced(kind);
    const lead = (o: KubeObject) => (ns ? [o.metadata.namespace ?? '', o.metadata.name ?? ''] : [o.metadata.name ?? '']);
    const head = ns ? ['NAMESPACE', 'NAME'] : ['NAME'];
    if (kind === 'Pod') {
      return {
        kind,
        columns: [...head, 'READY', 'STATUS', 'RESTARTS', 'AGE', 'NODE'],
        rows: sorted.map((o) => [...lead(o), ...podRow(o as Pod), age(o, nowMs), (o as Pod).spec?.nodeName ?? '<none>']),
      };
    }
    if (kind === 'Node') {
      return {
        kind,
        columns: [...head, 'STATUS', 'ROLES', 'AGE', 'VERSION'],
        rows: sorted.map((o) => [...lead(o), nodeStatus(o as Node), nodeRoles(o as Node), age(o, nowMs), (o as Node).status?.nodeInfo?.kubeletVersion ?? '']),
      };
    }
    return { kind, columns: [...head, 'AGE'], rows: sorted.map((o) => [...lead(o), age(o, nowMs)]) };
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Renders tables as kubectl does: columns left-aligned and separated by three spaces, tables
 * separated by a blank line. With more than one table, names are prefixed with the lowercased
 * kind (`pod/web-1`), as `kubectl get pods,nodes` prints them.
 */
export function formatTables(tables: readonly Table[]): string {
  const prefix = tables.length > 1;
  return tables
    .map((table) => {
      const nameAt = table.columns.indexOf('NAME');
      const rows = table.rows.map((r) => (prefix ? r.map((cell, i) => (i === nameAt ? `${table.kind.toLowerCase()}/${cell}` : cell)) : r));
      const all = [table.columns, ...rows];
      const widths = table.columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
      return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
    })
    .join('\n');
}
