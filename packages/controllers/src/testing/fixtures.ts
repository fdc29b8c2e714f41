/**
 * Test fixtures: terse builders of nodes and pods with the API server's defaults applied, for
 * scheduler and controller tests.
 *
 * @module
 */
import { NodeSchema, PodSchema, type Affinity, type ContainerPort, type Node, type Pod, type Taint, type Toleration, type TopologySpreadConstraint } from '@kubeloop/core';

/** What {@link makeNode} accepts. */
export interface NodeSpecInput {
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: number;
  readonly labels?: Record<string, string>;
  readonly taints?: Taint[];
  readonly unschedulable?: boolean;
  readonly images?: { names: string[]; sizeBytes: number }[];
  readonly extra?: Record<string, string>;
}

/** A node with `allocatable` cpu/memory/pods (defaults 4 CPU, 8Gi, 110 pods) and `kubernetes.io/hostname`. */
export function makeNode(name: string, o: NodeSpecInput = {}): Node {
  return NodeSchema.parse({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: String(o.pods ?? 110), ...o.extra },
      ...(o.images ? { images: o.images } : {}),
    },
  });
}

/** What {@link makePod} accepts. */
export interface PodSpecInput {
  readonly namespace?: string;
  readonly cpu?: string;
  readonly memory?: string;
  readonly requests?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly nodeName?: string;
  readonly nodeSelector?: Record<string, string>;
  readonly affinity?: Affinity;
  readonly tolerations?: Toleration[];
  readonly ports?: Partial<ContainerPort>[];
  readonly priority?: number;
  readonly image?: string;
  readonly spread?: TopologySpreadConstraint[];
  readonly claims?: string[];
  readonly schedulerName?: string;
  readonly init?: Record<string, string>[];
  readonly overhead?: Record<string, string>;
}

/** A pod with one container requesting `cpu` / `memory` (if given). */
export function makePod(name: string, o: PodSpecInput = {}): Pod {
  const requests = { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}), ...o.requests };
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}`, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      containers: [
        {
          name: 'c',
          image: o.image ?? 'app:1',
          ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
          ...(o.ports ? { ports: o.ports.map((p) => ({ containerPort: p.containerPort ?? p.hostPort ?? 80, ...p })) } : {}),
        },
      ],
      ...(o.init ? { initContainers: o.init.map((r, i) => ({ name: `init-${i}`, image: 'init:1', resources: { requests: r } })) } : {}),
      ...(o.overhead ? { overhead: o.overhead } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.spread ? { topologySpreadConstraints: o.spread } : {}),
      ...(o.schedulerName ? { schedulerName: o.schedulerName } : {}),
      ...(o.claims ? { volumes: o.claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) } : {}),
    },
  });
}
