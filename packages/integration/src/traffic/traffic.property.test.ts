/**
 * Traffic under random pods, readiness, deletions and traffic policies (issue 19), with the
 * traffic plugin's invariants checked after every step and once the cluster settles:
 *
 * - a connection to a Service reaches an endpoint its EndpointSlices list as ready (or a serving
 *   terminating one when none is ready) — `trafficReachesReadyEndpoints`;
 * - under externalTrafficPolicy / internalTrafficPolicy Local it stays on its node —
 *   `trafficLocalStaysOnNode`;
 * - cluster DNS answers the Services' names with their ClusterIPs, the headless one's with its
 *   ready endpoints and each pod's hostname with its address — `dnsAnswersReadyEndpoints`.
 *
 * They hold without faults and when the controller manager (which writes the EndpointSlices
 * the router reads) crashes and its writes fail: the router follows the slices, however late.
 * `traffic.broken.test.ts` shows each failing on a router broken on purpose.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EndpointSlices, Pods, Services } from '@kubeloop/core';
import type { EndpointSlice, KubeObject } from '@kubeloop/core';
import { trafficPlugin } from '@kubeloop/runtime-fake';
import { sabotaged } from '../sabotage.js';
import { DEEP, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { NODE_NAMES, clientPod, webPod, webServices } from './fixtures.js';

const RUNS = DEEP ? 200 : 12;
const MAX_STEPS = 10;

type Node = (typeof NODE_NAMES)[number];
type Policy = 'Cluster' | 'Local';

type Step =
  | { readonly kind: 'init'; readonly external: Policy; readonly internal: Policy; readonly affinity: boolean; readonly pods: readonly { node: Node; ready: boolean }[] }
  | { readonly kind: 'addPod'; readonly node: Node; readonly ready: boolean }
  | { readonly kind: 'deletePod'; readonly pick: number }
  | { readonly kind: 'policies'; readonly external: Policy; readonly internal: Policy }
  | { readonly kind: 'trafficIn'; readonly node: Node; readonly requests: number }
  | { readonly kind: 'trafficFrom'; readonly node: Node; readonly requests: number }
  | { readonly kind: 'wait'; readonly ms: number };

const node = fc.constantFrom(...NODE_NAMES);
const policy = fc.constantFrom<Policy>('Cluster', 'Local');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addPod' as const), node, ready: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('policies' as const), external: policy, internal: policy }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('trafficIn' as const), node, requests: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('trafficFrom' as const), node, requests: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 20_000 })) }) },
);
const steps: fc.Arbitrary<readonly Step[]> = fc
  .tuple(policy, policy, fc.boolean(), fc.array(fc.record({ node, ready: fc.boolean() }), { maxLength: 4 }), fc.array(step, { maxLength: MAX_STEPS }))
  .map(([external, internal, affinity, pods, more]): Step[] => [{ kind: 'init', external, internal, affinity, pods }, ...more]);

interface RunState {
  pods: number;
}

async function perform(cluster: SimCluster, s: Step, context: RunContext<RunState>): Promise<void> {
  const model = cluster.traffic!;
  const pod = (n: Node, ready: boolean) => webPod(`web-${context.state.pods++}`, n, ready);
  switch (s.kind) {
    case 'init':
      await cluster.apply([...webServices(s), ...NODE_NAMES.map((n) => clientPod(`client-${n}`, n)), ...s.pods.map((p) => pod(p.node, p.ready))]);
      return;
    case 'addPod':
      await cluster.apply(pod(s.node, s.ready));
      return;
    case 'deletePod': {
      const pods = (await cluster.server.list(Pods, { namespace: 'default', labelSelector: 'app=web' })).items;
      const victim = pods[s.pick % Math.max(1, pods.length)];
      if (victim !== undefined) await cluster.server.delete(Pods, { namespace: 'default', name: victim.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'policies':
      await cluster.server.patch(Services, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { externalTrafficPolicy: s.external, internalTrafficPolicy: s.internal } } }).catch(() => undefined);
      return;
    case 'trafficIn':
      for (let i = 0; i < s.requests; i++) model.send({ url: `http://${s.node}:30080/` });
      return;
    case 'trafficFrom':
      for (let i = 0; i < s.requests; i++) model.send({ from: { kind: 'pod', pod: { namespace: 'default', name: `client-${s.node}` } }, url: 'http://web/' });
      return;
    case 'wait':
      await context.advance(s.ms);
      return;
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'init':
      return `Service web (externalTrafficPolicy ${s.external}, internalTrafficPolicy ${s.internal}${s.affinity ? ', ClientIP affinity' : ''}), web-headless, a client per node; pods ${s.pods.map((p) => `${p.node}${p.ready ? '' : ' never ready'}`).join(', ') || '(none)'}`;
    case 'addPod':
      return `add a pod on ${s.node}${s.ready ? '' : ', never ready'}`;
    case 'deletePod':
      return `delete pod #${s.pick} (modulo their count)`;
    case 'policies':
      return `set externalTrafficPolicy ${s.external}, internalTrafficPolicy ${s.internal}`;
    case 'trafficIn':
      return `${s.requests} requests from outside to ${s.node}:30080`;
    case 'trafficFrom':
      return `${s.requests} requests from the client on ${s.node} to http://web/`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>): CheckClusterOptions<Step, RunState> {
  return { name, cluster: { nodes: 3 }, runState: () => ({ pods: 0 }), actions: steps, perform, describe: describeStep, faults, stepMs: 1, stableMs: 10_000, runs: RUNS };
}

describe('traffic under random pods, readiness and traffic policies', () => {
  it('a connection reaches only a ready endpoint (or a serving terminating one when none is ready), Local traffic stays on its node, and DNS answers the ready endpoints', async () => {
    await checkCluster(options('traffic: no faults', fc.constant([])));
  }, 120_000);

  it('the same holds when the controller manager crashes and its writes fail (the EndpointSlices lag the pods)', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash', 'writeError', 'writeError'], maxFaults: 5, maxWrite: 40 }));
    await checkCluster(options('traffic: crashes and failing writes', faults));
  }, 120_000);

  it('fails on a router broken on purpose, one that takes every endpoint of Service web for ready', async () => {
    const everyEndpointReady = (r: { resource: string }, o: KubeObject): KubeObject => (r.resource === EndpointSlices.resource && o.metadata.labels?.['kubernetes.io/service-name'] === 'web' ? ({ ...o, endpoints: (o as EndpointSlice).endpoints.map((e) => ({ ...e, conditions: { ...e.conditions, ready: true } })) } as KubeObject) : o);
    const base = options('traffic: broken router', fc.constant([]));
    const broken: CheckClusterOptions<Step, RunState> = {
      ...base,
      cluster: {
        nodes: 3,
        traffic: (o) => {
          const real = trafficPlugin(o);
          return { ...sabotaged(real, { watch: everyEndpointReady }), model: real.model };
        },
      },
    };
    await expect(checkCluster(broken)).rejects.toThrow(/trafficReachesReadyEndpoints/);
  }, 120_000);
});
