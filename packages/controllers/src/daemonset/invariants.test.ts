/** oneDaemonPodPerEligibleNode, daemonPodsUpdated and rollingUpdateAvailability, on hand-made states with worked numbers. */
import { describe, expect, it } from 'vitest';
import { DaemonSetSchema, NodeSchema, PodSchema } from '@kubeloop/core';
import type { DaemonSet, Node, Pod } from '@kubeloop/core';
import { CONTROLLER_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL, TEMPLATE_GENERATION_ANNOTATION } from './decide.js';
import { daemonPodsUpdated, oneDaemonPodPerEligibleNode, rollingUpdateAvailability } from './invariants.js';

const ds = (updateStrategy: Record<string, unknown> = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, nodeSelector?: Record<string, string>): DaemonSet =>
  DaemonSetSchema.parse({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'uid-agent', generation: 2, annotations: { [TEMPLATE_GENERATION_ANNOTATION]: '2' } },
    spec: { selector: { matchLabels: { app: 'agent' } }, updateStrategy, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox:1.37' }], ...(nodeSelector ? { nodeSelector } : {}) } } },
  });
const node = (name: string, labels: Record<string, string> = {}): Node => NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });
const pod = (name: string, nodeName: string, options: { ready?: boolean; hash?: string; generation?: string; deleting?: boolean } = {}): Pod =>
  PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: { app: 'agent', ...(options.hash === undefined ? {} : { [CONTROLLER_REVISION_HASH_LABEL]: options.hash }), ...(options.generation === undefined ? {} : { [POD_TEMPLATE_GENERATION_LABEL]: options.generation }) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true }],
      ...(options.deleting === true ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName, containers: [{ name: 'a', image: 'busybox' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
  });

describe('daemonPodsUpdated', () => {
  it('holds when every pod has the current hash, or the current template generation (upstream IsPodUpdated)', () => {
    const state = { daemonSets: [ds()], nodes: [node('n1'), node('n2')], pods: [pod('a', 'n1', { hash: 'new' }), pod('b', 'n2', { hash: 'old', generation: '2' })] };
    expect(daemonPodsUpdated(state, () => 'new')).toEqual([]);
  });

  it('names a pod of an older revision and its node; OnDelete DaemonSets and pods being deleted are not judged', () => {
    const pods = [pod('a', 'n1', { hash: 'new' }), pod('b', 'n2', { hash: 'old', generation: '1' }), pod('c', 'n3', { hash: 'old', deleting: true })];
    expect(daemonPodsUpdated({ daemonSets: [ds()], nodes: [], pods }, () => 'new')).toEqual([
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'n2' }], message: 'pod b of default/agent is not of its current revision (hash old, current new)' },
    ]);
    expect(daemonPodsUpdated({ daemonSets: [ds({ type: 'OnDelete' })], nodes: [], pods }, () => 'new')).toEqual([]);
  });
});

describe('rollingUpdateAvailability', () => {
  const nodes = ['n1', 'n2', 'n3', 'n4'].map((n) => node(n));

  it('maxUnavailable 1 of 4 nodes: one node without a ready pod holds, two break it (naming them)', () => {
    const one = [pod('a', 'n1'), pod('b', 'n2'), pod('c', 'n3', { ready: false }), pod('d', 'n4')];
    expect(rollingUpdateAvailability({ daemonSets: [ds()], nodes, pods: one })).toEqual([]);
    const two = [pod('a', 'n1'), pod('b', 'n2', { deleting: true }), pod('c', 'n3', { ready: false }), pod('d', 'n4')];
    expect(rollingUpdateAvailability({ daemonSets: [ds()], nodes, pods: two })).toEqual([
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }], message: 'default/agent: 2 nodes without a ready daemon pod (n2, n3), more than maxUnavailable 1' },
    ]);
  });

  it('maxUnavailable 50% of 4 nodes rounds to 2; nodes the DaemonSet does not select do not count', () => {
    const pods = [pod('a', 'n1'), pod('b', 'n2')];
    expect(rollingUpdateAvailability({ daemonSets: [ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } })], nodes, pods })).toEqual([]);
    const selected = [node('n1', { ds: 'yes' }), node('n2', { ds: 'yes' }), node('n3'), node('n4')];
    expect(rollingUpdateAvailability({ daemonSets: [ds(undefined, { ds: 'yes' })], nodes: selected, pods: [pod('a', 'n1')] })).toEqual([]);
  });

  it('does not judge a surging rollout (maxSurge > 0) or an OnDelete DaemonSet', () => {
    expect(rollingUpdateAvailability({ daemonSets: [ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } })], nodes, pods: [] })).toEqual([]);
    expect(rollingUpdateAvailability({ daemonSets: [ds({ type: 'OnDelete' })], nodes, pods: [] })).toEqual([]);
  });
});

describe('oneDaemonPodPerEligibleNode', () => {
  const tainted = (name: string, key: string, effect: string): Node => NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints: [{ key, effect }] } });

  it('a cordoned node still runs a daemon pod (daemon pods tolerate unschedulable); a NoSchedule taint keeps the pod it has; a NoExecute taint leaves none', () => {
    const nodes = [tainted('cordoned', 'node.kubernetes.io/unschedulable', 'NoSchedule'), tainted('db', 'dedicated', 'NoSchedule'), tainted('gpu', 'dedicated', 'NoExecute')];
    expect(oneDaemonPodPerEligibleNode({ daemonSets: [ds()], nodes, pods: [pod('a', 'cordoned'), pod('b', 'db')] })).toEqual([]);
    expect(oneDaemonPodPerEligibleNode({ daemonSets: [ds()], nodes, pods: [pod('b', 'db'), pod('c', 'gpu')] })).toEqual([
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'cordoned' }], message: 'node cordoned should run exactly one daemon pod of default/agent but has 0' },
      { objects: [{ kind: 'DaemonSet', namespace: 'default', name: 'agent' }, { kind: 'Node', name: 'gpu' }], message: 'node gpu is not eligible for default/agent but runs c' },
    ]);
  });
});
