/**
 * The ReplicaSet controller end to end on a SimCluster (upstream
 * `pkg/controller/replicaset`): pods created from the template with a controller reference,
 * replaced when deleted, scaled in and out, with the status and events upstream publishes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Pods, ReplicaSets, controllerRef } from '@kubeloop/core';
import type { Pod, ReplicaSet } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { replicaSetPlugin } from './plugin.js';
import { replicaInvariants } from './invariants.js';

const WALKTHROUGH = fileURLToPath(new URL('../../../../examples/walkthroughs/replicaset-whoami-web.yaml', import.meta.url));

async function cluster(nodes = 3): Promise<SimCluster> {
  return SimCluster.create({ seed: 7, nodes, controllerManager: { plugins: [replicaSetPlugin()] } });
}

async function activePods(c: SimCluster, label: string): Promise<Pod[]> {
  return (await c.list(Pods, { namespace: 'default', labelSelector: label })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
}

async function rs(c: SimCluster, name: string): Promise<ReplicaSet> {
  return c.get(ReplicaSets, { namespace: 'default', name });
}

async function state(c: SimCluster) {
  return { pods: (await c.list(Pods)).items, replicaSets: (await c.list(ReplicaSets)).items };
}

describe('ReplicaSet walkthrough: whoami-web', () => {
  it('runs the pod, replaces deleted pods at once, and adds pods when scaled out', async () => {
    const c = await cluster();
    await c.apply(readFileSync(WALKTHROUGH, 'utf8'), 'replicaset-whoami-web.yaml');
    await c.settle();
    const [first] = await activePods(c, 'app=whoami-web');
    expect(first).toBeDefined();
    expect(controllerRef(first!)).toMatchObject({ kind: 'ReplicaSet', name: 'whoami-web', controller: true, blockOwnerDeletion: true });
    expect(first!.metadata.generateName).toBe('whoami-web-');
    expect((await rs(c, 'whoami-web')).status).toMatchObject({ replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 });

    // kubectl delete pods -l app=whoami-web: the replacement is created as soon as the old pod
    // is terminating, before it is gone.
    const deletedAt = c.now();
    for (const p of await activePods(c, 'app=whoami-web')) await c.delete(Pods, { namespace: 'default', name: p.metadata.name ?? '' });
    await c.advance(100);
    const replacements = await activePods(c, 'app=whoami-web');
    expect(replacements).toHaveLength(1);
    expect(replacements[0]!.metadata.name).not.toBe(first!.metadata.name);
    // Created within a few virtual milliseconds of the deletion: no back-off, no resync wait.
    const created = c.trace().find((e) => e.type === 'ADDED' && e.object.metadata.name === replacements[0]!.metadata.name);
    expect(created!.t - deletedAt).toBeLessThan(100);

    // kubectl scale rs whoami-web --replicas=3
    const current = await rs(c, 'whoami-web');
    await c.server.update(ReplicaSets, { ...current, spec: { ...current.spec, replicas: 3 } });
    await c.settle();
    const scaled = await activePods(c, 'app=whoami-web');
    expect(scaled).toHaveLength(3);
    expect(scaled.every((p) => p.status.phase === 'Running')).toBe(true);
    expect((await rs(c, 'whoami-web')).status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 2 });
    expect(replicaInvariants(await state(c))).toEqual([]);
    await c.stop();
  });
});
