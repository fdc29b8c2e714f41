/**
 * kubectl top's tables from PodMetrics and NodeMetrics: millicores, mebibytes, and shares of
 * the node's allocatable truncated to whole percents.
 */
import { describe, expect, it } from 'vitest';
import type { Node, NodeMetrics, PodMetrics } from '@kubeloop/core';
import { formatTables } from './table.js';
import { topNodesTable, topPodsTable } from './top.js';

const pm = (name: string, cpu: string, memory: string): PodMetrics =>
  ({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name, namespace: 'default' }, timestamp: '2026-01-01T00:00:15Z', window: '15s', containers: [{ name: 'c', usage: { cpu, memory } }] }) as PodMetrics;

describe('kubectl top', () => {
  it('prints pods sorted by name, containers summed, CPU in millicores and memory in Mi', () => {
    const two = { ...pm('b', '1000000n', '1024Ki'), containers: [{ name: 'x', usage: { cpu: '300000000n', memory: '10240Ki' } }, { name: 'y', usage: { cpu: '50000000n', memory: '2048Ki' } }] } as PodMetrics;
    expect(formatTables([topPodsTable([two, pm('a', '1000000n', '2048Ki')])])).toBe('NAME   CPU(cores)   MEMORY(bytes)\na      1m           2Mi\nb      350m         12Mi\n');
  });

  it('prints nodes with CPU% and MEMORY% of allocatable, and <unknown> for a node not scraped', () => {
    const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { allocatable: { cpu: '4', memory: '8Gi' } } }) as unknown as Node;
    const nm = { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: 'node-1' }, timestamp: '2026-01-01T00:00:15Z', window: '15s', usage: { cpu: '950000000n', memory: '292864Ki' } } as NodeMetrics;
    expect(topNodesTable([node('node-2'), node('node-1')], [nm]).rows).toEqual([
      ['node-1', '950m', '23%', '286Mi', '3%'],
      ['node-2', '<unknown>', '<unknown>', '<unknown>', '<unknown>'],
    ]);
  });
});
