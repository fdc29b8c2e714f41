/**
 * Server-side `Table` responses (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), built
 * from the CLI's {@link PRINTERS}: the same column definitions and cells `kubeloop run` prints,
 * served so that `kubectl get` prints kubectl's columns.
 *
 * @module
 */
import type { KubeObject } from '@kubeloop/core';
import { printerFor } from '../printers.js';
import type { KindPrinter, TableColumnDefinition } from '../printers.js';

/** What a Table row carries besides its cells (`?includeObject=`): nothing, metadata only (the default), or the whole object. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/**
 * The printer kubectl should see for `kind`: the CLI's, minus kubeloop's own additions
 * (the OWNER column is dropped and a pod's NODE goes back to a wide column), so that `kubectl
 * get` prints exactly kubectl's columns.
 */
export function kubectlPrinter(kind: string): KindPrinter {
  const printer = printerFor(kind);
  const keep: number[] = [];
  const columns: TableColumnDefinition[] = [];
  printer.columns.forEach((c, i) => {
    if (c.name === 'Owner' && c.description.startsWith("kubeloop's column")) return;
    keep.push(i);
    columns.push(kind === 'Pod' && c.name === 'Node' ? { ...c, priority: 1, description: 'NodeName is the name of the node the pod is bound to.' } : c);
  });
  if (keep.length === printer.columns.length && columns.every((c, i) => c === printer.columns[i])) return printer;
  return { columns, cells: (object, context) => { const all = printer.cells(object, context); return keep.map((i) => all[i]!); } };
}

function rowObject(object: KubeObject, include: IncludeObject): object | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

/**
 * A `meta.k8s.io/v1` `Table` of `objects` (all of `kind`) at `nowMs`: the column definitions
 * (unless `noHeaders`), one row per object with its cells and, per `include`, its object.
 */
export function toTable(kind: string, objects: readonly KubeObject[], options: { nowMs: number; resourceVersion?: string | undefined; include: IncludeObject; noHeaders?: boolean }): object {
  const printer = kubectlPrinter(kind);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.resourceVersion !== undefined ? { resourceVersion: options.resourceVersion } : {},
    columnDefinitions: options.noHeaders ? [] : printer.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority })),
    rows: objects.map((o) => {
      const object = rowObject(o, options.include);
      return { cells: printer.cells(o, { nowMs: options.nowMs }), ...(object ? { object } : {}) };
    }),
  };
}
