/** The ReplicaSet invariants find what they promise, naming the objects. */
import { describe, expect, it } from 'vitest';
import { formatRef, PodSchema, ReplicaSetSchema } from '@kubeloop/core';
import type { Pod, ReplicaSet } from '@kubeloop/core';
import { replicaCountsMatch, replicaInvariants, singleController, statusMatchesPods } from './invariants.js';

const rs = (replicas: number, status: Partial<ReplicaSet['status']> = {}): ReplicaSet =>
  ReplicaSetSchema.parse({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web', generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x' }] } } },
    status: { replicas: 0, observedGeneration: 1, ...status },
  });

const pod = (name: string, refs: { kind: string; uid: string }[] = [{ kind: 'ReplicaSet', uid: 'uid-web' }], ready = true): Pod =>
  PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: refs.map((r) => ({ apiVersion: 'apps/v1', kind: r.kind, name: 'web', uid: r.uid, controller: true })) },
    spec: { containers: [{ name: 'a', image: 'x' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });

describe('ReplicaSet invariants', () => {
  it('hold for a ReplicaSet with its replicas and a truthful status', () => {
    const state = { pods: [pod('a'), pod('b')], replicaSets: [rs(2, { replicas: 2, readyReplicas: 2, availableReplicas: 2 })] };
    expect(replicaInvariants(state)).toEqual([]);
  });

  it('replicaCountsMatch names the owner with too few or too many pods', () => {
    expect(replicaCountsMatch({ pods: [pod('a')], replicaSets: [rs(2)] })).toEqual([
      { objects: [{ kind: 'ReplicaSet', namespace: 'default', name: 'web' }], message: 'controls 1 active pods, spec.replicas is 2' },
    ]);
  });

  it('singleController flags two controller references and a reference whose uid belongs to another kind', () => {
    const twice = pod('a', [{ kind: 'ReplicaSet', uid: 'uid-web' }, { kind: 'ReplicationController', uid: 'uid-rc' }]);
    const wrongKind = pod('b', [{ kind: 'ReplicationController', uid: 'uid-web' }]);
    expect(singleController({ pods: [twice, wrongKind], replicaSets: [rs(2)] }).map((v) => formatRef(v.objects[0]!))).toEqual(['Pod default/a', 'Pod default/b']);
  });

  it('statusMatchesPods flags a stale replicas/readyReplicas count and an old observedGeneration', () => {
    const stale = rs(2, { replicas: 1, readyReplicas: 2, observedGeneration: 0 });
    const messages = statusMatchesPods({ pods: [pod('a'), pod('b', undefined, false)], replicaSets: [stale] }).map((v) => v.message);
    expect(messages).toEqual(['status.replicas 1, active pods 2', 'status.readyReplicas 2, ready pods 1', 'status.observedGeneration 0, generation 1']);
  });
});
