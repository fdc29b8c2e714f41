/**
 * PVC protection under random claim and pod churn, with controller-manager crashes and a
 * lagging pod cache: a claim is never removed while a scheduled pod that has not terminated
 * mounts it (`claimNotRemovedWhileMounted`, registered by the plugin, checked after every
 * step), and once the cluster settles every claim still being deleted is held by a pod that
 * uses it. The live pod list upstream's controller makes before letting a claim go is what
 * keeps the first under a lagging cache: a controller without it is caught.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PersistentVolumeClaims, Pods, invariant, refOf } from '@kubeloop/core';
import type { Invariant, PersistentVolumeClaim, Pod } from '@kubeloop/core';
import { DEEP, DEFAULT_CONTROLLER_PLUGINS, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import type { Plugin } from '@kubeloop/core';
import { VOLUME_PROTECTION_PLUGIN_NAME, volumeProtectionPlugin } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 200 : 10;
const MAX_STEPS = 10;
const NODES = 2;
const ns = 'default';

type Step =
  | { readonly kind: 'create'; readonly i: number }
  | { readonly kind: 'deleteClaim'; readonly i: number }
  | { readonly kind: 'deletePod'; readonly i: number }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const), i: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteClaim' as const), i: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), i: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 30_000 })) }) },
);

const claim = (i: number) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `data-${i}`, namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
const pod = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `app-${i}`, namespace: ns },
  spec: { containers: [{ name: 'app', image: 'nginx' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${i}` } }] },
});

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  const ignore = () => undefined;
  switch (s.kind) {
    case 'create':
      // Either may exist already (or still be going): create what is missing.
      await cluster.server.create(PersistentVolumeClaims, claim(s.i) as never).catch(ignore);
      await cluster.server.create(Pods, pod(s.i) as never).catch(ignore);
      return;
    case 'deleteClaim':
      await cluster.server.delete(PersistentVolumeClaims, { namespace: ns, name: `data-${s.i}` }).catch(ignore);
      return;
    case 'deletePod':
      await cluster.server.delete(Pods, { namespace: ns, name: `app-${s.i}` }).catch(ignore);
      return;
    case 'wait':
      return context.advance(s.ms);
  }
}

function describeStep(s: Step): string {
  return s.kind === 'wait' ? `wait ${s.ms} ms` : `${s.kind} ${s.i}`;
}

/** After settling, a claim still being deleted is held by a scheduled pod that names it. */
const unusedClaimsGo: Invariant = invariant('unusedClaimsGo', 'After settling, every claim being deleted is mounted by a scheduled pod.', (state) => {
  const pods = state.of<Pod>('Pod');
  return state
    .of<PersistentVolumeClaim>('PersistentVolumeClaim')
    .filter((c) => c.metadata.deletionTimestamp !== undefined)
    .filter((c) => !pods.some((p) => p.metadata.namespace === c.metadata.namespace && p.spec.nodeName && (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === c.metadata.name)))
    .map((c) => ({ message: 'is being deleted and no scheduled pod uses it', objects: [refOf(c)] }));
});

function options(name: string, faults: fc.Arbitrary<FaultSchedule>, protection: Plugin = volumeProtectionPlugin()): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODES, controllerManager: { plugins: DEFAULT_CONTROLLER_PLUGINS.map((p) => (p.name === VOLUME_PROTECTION_PLUGIN_NAME ? protection : p)) } },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: describeStep,
    faults,
    liveness: [unusedClaimsGo],
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}

const stalePods = fc.record({ kind: fc.constant('staleReads' as const), resource: fc.constant('pods'), lag: fc.integer({ min: 1, max: 5 }), holdMs: fc.integer({ min: 100, max: 5_000 }) });

describe('PVC protection under claim and pod churn', () => {
  it('with controller-manager crashes: no mounted claim removed, and unused claims go after settling', async () => {
    await checkCluster(options('volume protection: crashes', faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);

  it('the same when the pod cache lags the store (held events) and the controller manager crashes', async () => {
    await checkCluster(options('volume protection: lagging pod cache', faultSchedulesWith([stalePods], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);

  it('a controller that trusts its lagging pod cache (no live list) removes a claim a running pod mounts', async () => {
    const cacheOnly = sabotaged(volumeProtectionPlugin(), { list: (r, o) => (r.resource === Pods.resource ? undefined : o) });
    const { actions: _a, faults: _f, runs: _r, ...run } = options('volume protection: cache only', fc.constant([]), cacheOnly);
    const steps: Step[] = [{ kind: 'create', i: 0 }, { kind: 'wait', ms: 5_000 }, { kind: 'deleteClaim', i: 0 }];
    const held: FaultSchedule = [{ kind: 'staleReads', resource: 'pods', lag: 5, holdMs: 60_000 }];
    expect((await runCase(run, 1, steps, held)).failure?.invariant).toBe('claimNotRemovedWhileMounted');
    const { actions: _a2, faults: _f2, runs: _r2, ...real } = options('volume protection: real', fc.constant([]));
    expect((await runCase(real, 1, steps, held)).failure).toBeUndefined();
  }, 120_000);
});
