/**
 * MetalLB under random LoadBalancer churn — Services created (some sharing an address key,
 * some on other ports), deleted, turned into ClusterIPs and back, the pool grown and shrunk —
 * with controller-manager crashes and a lagging Service cache: no two Services ever hold one
 * address unless MetalLB's sharing rules allow it (`loadBalancerAddressesUnique`, safety), and
 * once settled every address is in the pool (`loadBalancerAddressesInPools`) and a Service
 * waits `<pending>` only while the pool has no free address (`pendingOnlyWhenPoolFull`, below).
 * A controller that does not see the addresses others hold is caught.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IPAddressPools, METALLB_PLUGIN_NAME, metallbPlugin } from '@kubeloop/controllers';
import { Namespaces, Services, invariant, refOf } from '@kubeloop/core';
import type { Invariant, KubeObject, Plugin, Service } from '@kubeloop/core';
import { DEEP, DEFAULT_CONTROLLER_PLUGINS, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 200 : 10;
const MAX_STEPS = 12;
const NODES = 1;
const ns = 'default';

type Step =
  | { readonly kind: 'create'; readonly i: number; readonly share: boolean; readonly udp: boolean }
  | { readonly kind: 'delete'; readonly i: number }
  | { readonly kind: 'retype'; readonly i: number; readonly type: 'ClusterIP' | 'LoadBalancer' }
  | { readonly kind: 'pool'; readonly size: number }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), i: fc.nat(4), share: fc.boolean(), udp: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), i: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retype' as const), i: fc.nat(4), type: fc.constantFrom('ClusterIP' as const, 'LoadBalancer' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pool' as const), size: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 10_000 })) }) },
);

const FIRST = 240;
const pool = (size: number) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata: { name: 'pool', namespace: 'metallb-system' },
  spec: { addresses: [`192.168.1.${FIRST}-192.168.1.${FIRST + size - 1}`] },
});
const service = (s: Extract<Step, { kind: 'create' }>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `lb-${s.i}`, namespace: ns, ...(s.share ? { annotations: { 'metallb.universe.tf/allow-shared-ip': 'shared' } } : {}) },
  spec: { type: 'LoadBalancer', selector: { app: `lb-${s.i}` }, ports: [s.udp ? { port: 53, protocol: 'UDP' } : { port: 80, protocol: 'TCP' }] },
});

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  const ignore = () => undefined;
  switch (s.kind) {
    case 'create':
      await cluster.server.create(Services, service(s) as never).catch(ignore);
      return;
    case 'delete':
      await cluster.server.delete(Services, { namespace: ns, name: `lb-${s.i}` }).catch(ignore);
      return;
    case 'retype': {
      const svc = await cluster.server.get(Services, { namespace: ns, name: `lb-${s.i}` }).catch(ignore);
      if (svc === undefined) return;
      await cluster.server.update(Services, { ...svc, spec: { ...svc.spec, type: s.type, ...(s.type === 'ClusterIP' ? { externalTrafficPolicy: undefined, allocateLoadBalancerNodePorts: undefined, ports: (svc.spec.ports ?? []).map((p) => ({ ...p, nodePort: undefined })) } : {}) } } as never).catch(ignore);
      return;
    }
    case 'pool': {
      await cluster.server.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } } as never).catch(ignore);
      const old = await cluster.server.get(IPAddressPools, { namespace: 'metallb-system', name: 'pool' }).catch(ignore);
      if (old === undefined) await cluster.server.create(IPAddressPools, pool(s.size) as never).catch(ignore);
      else await cluster.server.update(IPAddressPools, { ...old, spec: { ...old.spec, ...pool(s.size).spec } } as never).catch(ignore);
      return;
    }
    case 'wait':
      return context.advance(s.ms);
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'create':
      return `create lb-${s.i}${s.share ? ' shared' : ''}${s.udp ? ' udp/53' : ' tcp/80'}`;
    case 'delete':
      return `delete lb-${s.i}`;
    case 'retype':
      return `lb-${s.i} → ${s.type}`;
    case 'pool':
      return `pool of ${s.size}`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

/**
 * After settling, a LoadBalancer Service without an address means every address of the pool is
 * held (a free one could go to any Service). Stated from the pool's range in its own arithmetic.
 */
const pendingOnlyWhenPoolFull: Invariant = invariant('pendingOnlyWhenPoolFull', 'After settling, a LoadBalancer waits for an address only while every address of the pool is held.', (state) => {
  const p = state.get<KubeObject & { spec: { addresses: string[] } }>('IPAddressPool', 'metallb-system', 'pool');
  if (p === undefined) return [];
  const last = Number(/-192\.168\.1\.(\d+)$/.exec(p.spec.addresses[0] ?? '')?.[1] ?? FIRST - 1);
  const size = last - FIRST + 1;
  const services = state.of<Service>('Service');
  const held = new Set(services.flatMap((s) => (s.status.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '')));
  const inPool = [...held].filter((ip) => ip.startsWith('192.168.1.') && Number(ip.slice(10)) >= FIRST && Number(ip.slice(10)) <= last).length;
  return services
    .filter((s) => s.spec.type === 'LoadBalancer' && (s.status.loadBalancer?.ingress ?? []).length === 0 && inPool < size)
    .map((s) => ({ message: `waits for an address while ${size - inPool} of the pool's ${size} are free`, objects: [refOf(s)] }));
});

function options(name: string, faults: fc.Arbitrary<FaultSchedule>, metallb: Plugin = metallbPlugin()): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODES, controllerManager: { plugins: DEFAULT_CONTROLLER_PLUGINS.map((p) => (p.name === METALLB_PLUGIN_NAME ? metallb : p)) } },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: describeStep,
    faults,
    liveness: [pendingOnlyWhenPoolFull],
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}

const staleServices = fc.record({ kind: fc.constant('staleReads' as const), resource: fc.constant('services'), lag: fc.integer({ min: 1, max: 5 }), holdMs: fc.integer({ min: 100, max: 5_000 }) });

describe('MetalLB under LoadBalancer churn', () => {
  it('with controller-manager crashes: never one address for two Services that may not share it; addresses in the pool and none idle while one waits, once settled', async () => {
    await checkCluster(options('metallb: crashes', faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);

  it('the same when the Service cache lags the store (held events) and the controller manager crashes', async () => {
    await checkCluster(options('metallb: lagging service cache', faultSchedulesWith([staleServices], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);

  it('a controller blind to the addresses other Services hold gives one address twice', async () => {
    const blind = sabotaged(metallbPlugin(), { read: (r, o) => (r.resource === Services.resource ? ({ ...o, status: {} } as KubeObject) : o) });
    const { actions: _a, faults: _f, runs: _r, ...run } = options('metallb: blind', fc.constant([]), blind);
    const steps: Step[] = [{ kind: 'pool', size: 3 }, { kind: 'create', i: 0, share: false, udp: false }, { kind: 'wait', ms: 2_000 }, { kind: 'create', i: 1, share: false, udp: false }, { kind: 'wait', ms: 2_000 }];
    expect((await runCase(run, 1, steps, [])).failure?.invariant).toBe('loadBalancerAddressesUnique');
    const { actions: _a2, faults: _f2, runs: _r2, ...real } = options('metallb: real', fc.constant([]));
    expect((await runCase(real, 1, steps, [])).failure).toBeUndefined();
  }, 120_000);
});
