/**
 * `kubectl top pods` and `kubectl top nodes` tables from the Resource Metrics API (pure): what
 * metrics-server last scraped, as kubectl prints it (`CPU(cores)` in millicores,
 * `MEMORY(bytes)` in mebibytes, and for nodes the share of allocatable as `CPU%` / `MEMORY%`).
 *
 * @module
 */
import { tryParseQuantity } from '@kubeloop/core';
import type { Node, NodeMetrics, PodMetrics } from '@kubeloop/core';
import type { Table } from './table.js';

function milli(text: string | undefined): number {
  const q = text === undefined ? undefined : tryParseQuantity(String(text));
  return q === undefined ? 0 : q.milliValue();
}

function bytes(text: string | undefined): number {
  const q = text === undefined ? undefined : tryParseQuantity(String(text));
  return q === undefined ? 0 : q.value();
}

const cpuCell = (m: number): string => `${Math.floor(m)}m`;
const memoryCell = (b: number): string => `${Math.floor(b / (1024 * 1024))}Mi`;

const byName = <T extends { metadata: { name?: string | undefined } }>(a: T, b: T): number => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0);

/**
 * `kubectl top pods`: NAME, CPU(cores), MEMORY(bytes) per pod, its containers summed, sorted by
 * name. A pod metrics-server has not scraped yet is not listed, as in kubectl.
 */
export function topPodsTable(metrics: readonly PodMetrics[]): Table {
  const rows = [...metrics].sort(byName).map((m) => {
    let cpu = 0;
    let memory = 0;
    for (const c of m.containers) {
      cpu += milli(c.usage['cpu']);
      memory += bytes(c.usage['memory']);
    }
    return [m.metadata.name ?? '', cpuCell(cpu), memoryCell(memory)];
  });
  return { kind: 'PodMetrics', columns: ['NAME', 'CPU(cores)', 'MEMORY(bytes)'], rows };
}

/**
 * `kubectl top nodes`: NAME, CPU(cores), CPU%, MEMORY(bytes), MEMORY% per node, the shares of
 * its allocatable truncated to whole percents; a node without metrics shows `<unknown>`.
 */
export function topNodesTable(nodes: readonly Node[], metrics: readonly NodeMetrics[]): Table {
  const of = new Map(metrics.map((m) => [m.metadata.name ?? '', m]));
  const rows = [...nodes].sort(byName).map((n) => {
    const name = n.metadata.name ?? '';
    const m = of.get(name);
    if (m === undefined) return [name, '<unknown>', '<unknown>', '<unknown>', '<unknown>'];
    const cpu = milli(m.usage['cpu']);
    const memory = bytes(m.usage['memory']);
    const cpuAlloc = milli(n.status?.allocatable?.['cpu']);
    const memAlloc = bytes(n.status?.allocatable?.['memory']);
    const pct = (used: number, of: number): string => (of > 0 ? `${Math.floor((used / of) * 100)}%` : '<unknown>');
    return [name, cpuCell(cpu), pct(cpu, cpuAlloc), memoryCell(memory), pct(memory, memAlloc)];
  });
  return { kind: 'NodeMetrics', columns: ['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], rows };
}
