/**
 * The fake cloud's service controller (cloud-controller-manager's `service` controller) under
 * random Service churn — Services created as ClusterIP, NodePort or LoadBalancer (some with a
 * `loadBalancerClass` the cloud must leave alone), their type changed back and forth, their
 * ports changed, deleted — over a cloud range of two addresses, so that Services wait for one
 * and get one when another gives it back; with controller-manager crashes, then cut watches and
 * a lagging Service cache.
 *
 * Checked: the invariants the plugin registers — no two Services show one address
 * (`cloudLoadBalancerAddressesUnique`, safety) and, once settled, every LoadBalancer has an
 * address unless the cloud has none left (`cloudLoadBalancersProvisioned`), a Service that is no
 * longer a LoadBalancer shows none (`cloudLoadBalancersReleased`), every address is the cloud's
 * (`cloudLoadBalancerAddressesInRange`). Each is then shown failing on a service controller
 * broken on purpose (`../sabotage.ts`).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { METALLB_PLUGIN_NAME, fakeCloudLoadBalancerPlugin } from '@kubeloop/controllers';
import { Services } from '@kubeloop/core';
import type { KubeObject, Plugin, Service } from '@kubeloop/core';
import { DEEP, DEFAULT_CONTROLLER_PLUGINS, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 200 : 10;
const MAX_STEPS = 12;
const NODES = 1;
const ns = 'default';
/** Two addresses (203.0.113.1 and .2): four Services compete for them. */
const CLOUD_RANGE = '203.0.113.0/30';
const OTHER_CLASS = 'example.com/internal-lb';

type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

type Step =
  | { readonly kind: 'create'; readonly i: number; readonly type: ServiceType; readonly otherClass: boolean }
  | { readonly kind: 'retype'; readonly i: number; readonly type: ServiceType }
  | { readonly kind: 'ports'; readonly i: number; readonly port: number }
  | { readonly kind: 'delete'; readonly i: number }
  | { readonly kind: 'wait'; readonly ms: number };

const types = fc.constantFrom<ServiceType>('ClusterIP', 'NodePort', 'LoadBalancer', 'LoadBalancer');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), i: fc.nat(3), type: types, otherClass: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('create' as const), i: fc.nat(3), type: fc.constant('LoadBalancer' as const), otherClass: fc.constant(true) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('retype' as const), i: fc.nat(3), type: types }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ports' as const), i: fc.nat(3), port: fc.constantFrom(80, 443, 8080) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), i: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 10_000 })) }) },
);

const service = (s: Extract<Step, { kind: 'create' }>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `svc-${s.i}`, namespace: ns },
  spec: { type: s.type, selector: { app: `svc-${s.i}` }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...(s.otherClass && s.type === 'LoadBalancer' ? { loadBalancerClass: OTHER_CLASS } : {}) },
});

/** `svc` turned into a `type` Service as `kubectl edit` would leave it valid: a ClusterIP has no node ports, only a LoadBalancer has LoadBalancer fields. */
function retyped(svc: Service, type: ServiceType): Service {
  const spec = { ...svc.spec, type };
  if (type !== 'LoadBalancer') Object.assign(spec, { allocateLoadBalancerNodePorts: undefined, loadBalancerClass: undefined });
  if (type === 'ClusterIP') Object.assign(spec, { externalTrafficPolicy: undefined, ports: (svc.spec.ports ?? []).map((p) => ({ ...p, nodePort: undefined })) });
  return { ...svc, spec };
}

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  const ignore = () => undefined;
  const key = { namespace: ns, name: `svc-${s.kind === 'wait' ? 0 : s.i}` };
  switch (s.kind) {
    case 'create':
      await cluster.server.create(Services, service(s) as never).catch(ignore);
      return;
    case 'delete':
      await cluster.server.delete(Services, key).catch(ignore);
      return;
    case 'retype': {
      const svc = await cluster.server.get(Services, key).catch(ignore);
      if (svc !== undefined) await cluster.server.update(Services, retyped(svc, s.type) as never).catch(ignore);
      return;
    }
    case 'ports': {
      const svc = await cluster.server.get(Services, key).catch(ignore);
      if (svc !== undefined) await cluster.server.update(Services, { ...svc, spec: { ...svc.spec, ports: (svc.spec.ports ?? []).map((p) => ({ ...p, port: s.port })) } } as never).catch(ignore);
      return;
    }
    case 'wait':
      return context.advance(s.ms);
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'create':
      return `create svc-${s.i} ${s.type}${s.otherClass ? ` (loadBalancerClass ${OTHER_CLASS})` : ''}`;
    case 'retype':
      return `svc-${s.i} → ${s.type}`;
    case 'ports':
      return `svc-${s.i} port → ${s.port}`;
    case 'delete':
      return `delete svc-${s.i}`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>, cloud: Plugin = fakeCloudLoadBalancerPlugin({ addressRange: CLOUD_RANGE })): CheckClusterOptions<Step> {
  return {
    name,
    // the cloud's service controller in the controller manager (not MetalLB), so that crashes and watch faults reach it
    cluster: { nodes: NODES, controllerManager: { plugins: [...DEFAULT_CONTROLLER_PLUGINS.filter((p) => p.name !== METALLB_PLUGIN_NAME), cloud] } },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: describeStep,
    faults,
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}

const staleServices = faultArbitrary({ kinds: ['staleReads'], resources: ['services'] });
const cutWatches = faultArbitrary({ kinds: ['expireWatches'], expireWatchesAfterMs: { min: 500, max: 15_000 } });

describe('the cloud service controller under Service churn', () => {
  it('with controller-manager crashes: never one address for two Services; once settled, every LoadBalancer has one unless the cloud has none left, no other type keeps one, all are the cloud’s', async () => {
    await checkCluster(options('cloud lb: crashes', faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);

  it('the same when watches are cut (410 and relist) and the controller manager crashes', async () => {
    await checkCluster(options('cloud lb: cut watches', faultSchedulesWith([cutWatches], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);

  it('the same when the Service cache lags the store (held events) and the controller manager crashes', async () => {
    await checkCluster(options('cloud lb: lagging service cache', faultSchedulesWith([staleServices], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: NODES }))));
  }, 120_000);
});

/** What each broken controller gets wrong, the steps that show it, and the invariant (and message) that must see it. */
const lb = (i: number): Step => ({ kind: 'create', i, type: 'LoadBalancer', otherClass: false });
const WAIT: Step = { kind: 'wait', ms: 2_000 };
const writes = (f: (svc: Service) => Service | undefined) => (r: { resource: string }, o: KubeObject) => (r.resource === Services.resource ? f(o as Service) : o);
const addresses = (svc: Service) => svc.status.loadBalancer?.ingress ?? [];
const cases: { name: string; invariant: string; message: RegExp; plugin: Plugin; steps: Step[] }[] = [
  {
    name: 'a controller blind to the addresses other Services hold',
    invariant: 'cloudLoadBalancerAddressesUnique',
    message: /^shows load balancer address 203\.0\.113\.1, which default\/svc-0 shows too$/,
    plugin: sabotaged(fakeCloudLoadBalancerPlugin({ addressRange: CLOUD_RANGE }), { read: (r, o) => (r.resource === Services.resource ? ({ ...o, status: {} } as KubeObject) : o) }),
    steps: [lb(0), WAIT, lb(1), WAIT],
  },
  {
    name: 'a controller whose load balancers are made but whose status writes giving their address are lost',
    invariant: 'cloudLoadBalancersProvisioned',
    message: /^is a LoadBalancer without an address while 2 of the cloud's 2 addresses in 203\.0\.113\.0\/30 are free$/,
    plugin: sabotaged(fakeCloudLoadBalancerPlugin({ addressRange: CLOUD_RANGE }), { rewriteStatus: writes((s) => (addresses(s).length > 0 ? undefined : s)) }),
    steps: [lb(0), WAIT],
  },
  {
    name: 'a controller that never clears the status of a Service that stops being a LoadBalancer',
    invariant: 'cloudLoadBalancersReleased',
    message: /^is of type NodePort and still shows load balancer \[203\.0\.113\.1\]$/,
    plugin: sabotaged(fakeCloudLoadBalancerPlugin({ addressRange: CLOUD_RANGE }), { rewriteStatus: writes((s) => (addresses(s).length === 0 ? undefined : s)) }),
    steps: [lb(0), WAIT, { kind: 'retype', i: 0, type: 'NodePort' }, WAIT],
  },
  {
    name: 'a controller that publishes an address outside the cloud’s range',
    invariant: 'cloudLoadBalancerAddressesInRange',
    message: /^shows load balancer address 198\.51\.100\.1, which is not one of the cloud's addresses in 203\.0\.113\.0\/30$/,
    plugin: sabotaged(fakeCloudLoadBalancerPlugin({ addressRange: CLOUD_RANGE }), {
      rewriteStatus: writes((s) => ({ ...s, status: { ...s.status, loadBalancer: { ingress: addresses(s).map((i) => ({ ...i, ip: i.ip?.replace(/^203\.0\.113\./, '198.51.100.') })) } } })),
    }),
    steps: [lb(0), WAIT],
  },
];

describe('the cloud load balancer invariants against service controllers broken on purpose', () => {
  for (const c of cases) {
    it(`${c.invariant} catches ${c.name}; the real controller passes the same steps`, async () => {
      const { actions: _a, faults: _f, runs: _r, ...broken } = options(`cloud lb broken: ${c.invariant}`, fc.constant([]), c.plugin);
      const failure = (await runCase(broken, 1, c.steps, [])).failure;
      expect(failure?.invariant).toBe(c.invariant);
      expect(failure?.violations.map((v) => v.message)).toEqual([expect.stringMatching(c.message)]);
      const { actions: _a2, faults: _f2, runs: _r2, ...real } = options(`cloud lb real: ${c.invariant}`, fc.constant([]));
      expect((await runCase(real, 1, c.steps, [])).failure).toBeUndefined();
    }, 120_000);
  }
});
