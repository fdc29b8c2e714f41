/**
 * Printing objects as `kubectl get` does (pure): one table per kind, with each kind's columns
 * from its table definition (`PRINTERS` in printers.ts), ages in virtual time; and `-o name`.
 *
 * @module
 */
import type { Event, KubeObject } from '@kubeloop/core';
import { eventLastSeen, printerFor } from './printers.js';

export { jobCompletions, jobStatus, nodeStatus, ownerOf, podStatus } from './printers.js';

/**
 * The output formats of `kubeloop run -o` and of a scenario's `get` steps: `table` (kubectl's
 * default columns), `wide` (`kubectl get -o wide`), `name` (`kubectl get -o name`), `json`, `yaml`.
 */
export const OUTPUT_FORMATS = ['table', 'wide', 'name', 'json', 'yaml'] as const;

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Whether `output` prints tables (`table`, `wide`): narration and step headings go with tables only. */
export function isTabular(output: OutputFormat): boolean {
  return output === 'table' || output === 'wide';
}

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

/** Options of {@link buildTables}. */
export interface TableOptions {
  /** Each kind's API group (`''` for core, the default), for {@link formatTables}' `deployment.apps/web` prefix. */
  readonly groupOf?: ((kind: string) => string) | undefined;
  /** Kinds to print even though they are in {@link KINDS_NOT_TABULATED} (asked for by name: `get: events`). */
  readonly include?: readonly string[] | undefined;
  /** Print the priority 1 columns too, as `kubectl get -o wide` does. */
  readonly wide?: boolean | undefined;
}

/** Objects grouped by kind, kinds in order of first appearance, without {@link KINDS_NOT_TABULATED} unless included. */
function groupByKind(objects: readonly KubeObject[], include: readonly string[]): Map<string, KubeObject[]> {
  const byKind = new Map<string, KubeObject[]>();
  for (const o of objects) {
    if (KINDS_NOT_TABULATED.includes(o.kind) && !include.includes(o.kind)) continue;
    const list = byKind.get(o.kind) ?? [];
    list.push(o);
    byKind.set(o.kind, list);
  }
  return byKind;
}

/** A resourceVersion as a number, for ordering writes (the store's counter is one decimal sequence). */
function revision(o: KubeObject): number {
  const rv = Number(o.metadata.resourceVersion);
  return Number.isFinite(rv) ? rv : Number.POSITIVE_INFINITY;
}

/**
 * Events in the order they happened, as `kubectl get events` sorts them: by when they were last
 * seen; events last seen in the same second (timestamps have second precision) keep the order
 * the API server wrote them in (their resourceVersion, one cluster-wide increasing counter), so
 * `Scheduled` comes before `Pulling`, `Pulled`, `Created` and `Started`; then by name.
 */
export function sortEvents(events: readonly Event[]): Event[] {
  const seen = (e: Event) => {
    const at = eventLastSeen(e);
    return at === undefined ? Number.NaN : Date.parse(at);
  };
  return [...events].sort((a, b) => seen(a) - seen(b) || revision(a) - revision(b) || cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
}

function sortByName(list: readonly KubeObject[]): KubeObject[] {
  return [...list].sort((a, b) => cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
}

/**
 * The tables for `objects` at virtual time `nowMs` (epoch ms, as creation timestamps are): one
 * per kind present except {@link KINDS_NOT_TABULATED}, kinds in order of first appearance,
 * rows sorted by namespace then name (Events in the order they happened, {@link sortEvents}).
 * Namespaced kinds get a leading NAMESPACE column (as `kubectl get -A`). Each kind's columns
 * are its `PRINTERS` definition (kubectl's, see that module), upper-cased as kubectl
 * prints them: the priority 0 ones, and with `options.wide` the priority 1 ones too.
 * Among them, after NAME:
 * - Pod: READY STATUS RESTARTS AGE NODE OWNER (wide: READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES OWNER)
 * - Node: STATUS ROLES AGE VERSION (wide: + INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME)
 * - ReplicaSet: DESIRED CURRENT READY AGE OWNER (wide: CONTAINERS IMAGES SELECTOR before OWNER)
 * - Deployment: READY UP-TO-DATE AVAILABLE AGE (wide: + CONTAINERS IMAGES SELECTOR)
 * - DaemonSet: DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE
 * - StatefulSet: READY AGE
 * - Job: STATUS COMPLETIONS DURATION AGE, as kubectl 1.30 prints them
 * - CronJob: SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE
 * - HorizontalPodAutoscaler: REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE
 * - PodDisruptionBudget: MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE
 * - Service: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE (wide: + SELECTOR)
 * - Ingress: CLASS HOSTS ADDRESS PORTS AGE; IngressClass: CONTROLLER PARAMETERS AGE
 * - PersistentVolumeClaim: STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE
 * - PersistentVolume: CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE
 * - StorageClass: PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE, `(default)` after the default class's name
 * - Event (only when in `options.include`): LAST SEEN TYPE REASON OBJECT MESSAGE (no NAME)
 * - any kind without a printer: AGE
 *
 * OWNER is the controller among `metadata.ownerReferences` (else the first owner) as
 * `Kind/name`, `<none>` for an object nobody owns; it and the pod's NODE in the default view
 * are kubeloop's additions, the other columns are kubectl's.
 */
export function buildTables(objects: readonly KubeObject[], nowMs: number, namespaced: (kind: string) => boolean, options: TableOptions = {}): Table[] {
  const groupOf = options.groupOf ?? (() => '');
  const byKind = groupByKind(objects, options.include ?? []);
  return [...byKind].map(([kind, list]) => {
    const sorted = kind === 'Event' ? sortEvents(list as Event[]) : sortByName(list);
    const ns = namespaced(kind);
    const printer = printerFor(kind);
    const shown = printer.columns.flatMap((c, i) => (c.priority === 0 || options.wide === true ? [i] : []));
    const columns = [...(ns ? ['NAMESPACE'] : []), ...shown.map((i) => printer.columns[i]!.name.toUpperCase())];
    const rows = sorted.map((o) => {
      const cells = printer.cells(o, { nowMs });
      return [...(ns ? [o.metadata.namespace ?? ''] : []), ...shown.map((i) => String(cells[i] ?? ''))];
    });
    return { kind, group: groupOf(kind), columns, rows };
  });
}

/**
 * `kubectl get -o name`: one `<kind>[.<group>]/<name>` line per object (`pod/web-0`,
 * `deployment.apps/web`), kinds in order of first appearance and names sorted as in
 * {@link buildTables}, leaving out {@link KINDS_NOT_TABULATED} unless included.
 */
export function formatNames(objects: readonly KubeObject[], options: Pick<TableOptions, 'groupOf' | 'include'> = {}): string {
  const groupOf = options.groupOf ?? (() => '');
  const lines: string[] = [];
  for (const [kind, list] of groupByKind(objects, options.include ?? [])) {
    const group = groupOf(kind);
    const type = `${kind.toLowerCase()}${group ? `.${group}` : ''}`;
    for (const o of kind === 'Event' ? sortEvents(list as Event[]) : sortByName(list)) lines.push(`${type}/${o.metadata.name ?? ''}`);
  }
  return lines.map((l) => `${l}\n`).join('');
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
