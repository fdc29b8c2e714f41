/**
 * WaitForFirstConsumer binding under random pods and claims, with controller-manager crashes
 * and cut watches: at any time a binding is mutual and no pod is on a node its volume's node
 * affinity excludes; once the faults stop and the cluster settles, every claim a scheduled pod
 * uses is Bound and every pod not pinned by a nodeSelector runs (it can always follow its
 * volume).
 *
 * Checked against a scheduler broken on purpose: with the VolumeBinding filter ignoring bound
 * volumes' node affinity, `podsFollowTheirVolumes` fails; with the PreBind skipped,
 * `consumersAreServed` does (pods bound to nodes while their claims stay Pending).
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { PersistentVolumeClaims, Pods, invariant, isApiError, refOf } from '@kubeloop/core';
import type { Invariant, PersistentVolumeClaim, Pod } from '@kubeloop/core';
import { DEEP, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { bindingIsMutualInvariant, persistentVolumePlugin, podsFollowTheirVolumesInvariant } from '@kubeloop/controllers';

const RUNS = DEEP ? 200 : 8;
const MAX_STEPS = 10;
const NODES = 3;

type Step =
  | { readonly kind: 'claim'; readonly claim: number }
  | { readonly kind: 'pod'; readonly pod: number; readonly claim: number; readonly node: number | null }
  | { readonly kind: 'delete'; readonly pod: number }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('claim' as const), claim: fc.nat(1) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pod' as const), pod: fc.nat(3), claim: fc.nat(1), node: fc.option(fc.integer({ min: 1, max: NODES })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pod: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 30_000 })) }) },
);

const fast = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' };

async function createIfMissing(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!isApiError(error, 'AlreadyExists')) throw error;
  }
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  const ns = 'default';
  switch (s.kind) {
    case 'wait':
      return context.advance(s.ms);
    case 'claim':
      return createIfMissing(() =>
        cluster.server.create(PersistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `data-${s.claim}`, namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' } } as unknown as PersistentVolumeClaim),
      );
    case 'pod':
      return createIfMissing(() =>
        cluster.server.create(Pods, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `pod-${s.pod}`, namespace: ns },
          spec: {
            containers: [{ name: 'app', image: 'nginx:1.25' }],
            volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${s.claim}` } }],
            ...(s.node === null ? {} : { nodeSelector: { 'kubernetes.io/hostname': `node-${s.node}` } }),
          },
        } as unknown as Pod),
      );
    case 'delete':
      try {
        await cluster.server.delete(Pods, { namespace: ns, name: `pod-${s.pod}` });
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
      }
      return;
  }
}

/** Liveness, stated from the PersistentVolume documentation ("Volume Binding Mode"), independently of the binder and the scheduler. */
const consumersAreServed: Invariant = invariant('consumersAreServed', 'Every claim a scheduled pod uses is Bound, and every pod without a nodeSelector whose claim exists runs.', (state) => {
  const claims = new Map(state.of<PersistentVolumeClaim>('PersistentVolumeClaim').map((c) => [c.metadata.name ?? '', c]));
  const out = [];
  for (const pod of state.of<Pod>('Pod')) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    const claim = claims.get(pod.spec.volumes?.[0]?.persistentVolumeClaim?.claimName ?? '');
    if (claim === undefined) continue;
    if ((pod.spec.nodeName ?? '') !== '' && claim.status.phase !== 'Bound') out.push({ message: `is on ${pod.spec.nodeName ?? ''} but its claim ${claim.metadata.name ?? ''} is ${claim.status.phase ?? 'without a phase'}`, objects: [refOf(pod), refOf(claim)] });
    if (pod.spec.nodeSelector === undefined && pod.status.phase !== 'Running') out.push({ message: `is ${pod.status.phase ?? 'without a phase'}, though it could follow its volume`, objects: [refOf(pod)] });
  }
  return out;
});

function options(name: string, faults: fc.Arbitrary<FaultSchedule>): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODES, controllerManager: { plugins: [persistentVolumePlugin()] } },
    setup: async (cluster, context) => {
      await cluster.apply(fast);
      await perform(cluster, { kind: 'claim', claim: 0 }, context);
      await context.advance(5_000);
    },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: (s) => (s.kind === 'wait' ? `wait ${s.ms} ms` : s.kind === 'claim' ? `create claim data-${s.claim}` : s.kind === 'delete' ? `delete pod-${s.pod}` : `create pod-${s.pod} on data-${s.claim}${s.node === null ? '' : ` pinned to node-${s.node}`}`),
    faults,
    safety: [bindingIsMutualInvariant, podsFollowTheirVolumesInvariant],
    liveness: [consumersAreServed],
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}

describe('WaitForFirstConsumer under random pods and claims', () => {
  it('with controller-manager crashes: mutual bindings, pods only where their volumes are, and every consumer served after settling', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }));
    await checkCluster(options('waitforfirstconsumer: crashes', faults));
  }, 120_000);

  it('the same when every watch of the controller manager is cut with 410 Gone while the faults last', async () => {
    await checkCluster(options('waitforfirstconsumer: cut watches', faultSchedulesWith([faultArbitrary({ kinds: ['expireWatches'] })], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);
});
