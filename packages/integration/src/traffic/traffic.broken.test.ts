/**
 * Each traffic invariant the traffic plugin registers, shown failing on a router broken on
 * purpose (the real kube-proxy model watching a distorted view, see `../sabotage.ts`), and
 * holding on the real one under the same steps: an invariant no broken router trips checks
 * nothing.
 */
import { describe, expect, it } from 'vitest';
import { EndpointSlices, Services } from '@kubeloop/core';
import type { EndpointSlice, KubeObject, Service } from '@kubeloop/core';
import { runCase } from '@kubeloop/testing';
import type { RunOptions, SimClusterOptions } from '@kubeloop/testing';
import { trafficPlugin } from '@kubeloop/runtime-fake';
import type { TrafficPlugin, TrafficPluginOptions } from '@kubeloop/runtime-fake';
import { sabotaged } from '../sabotage.js';
import type { Sabotage } from '../sabotage.js';
import { clientPod, webPod, webServices } from './fixtures.js';

type Step = 'apply' | 'wait' | 'traffic';

function scenario(traffic: SimClusterOptions['traffic']): RunOptions<Step> {
  return {
    name: 'traffic: broken on purpose',
    cluster: { nodes: 3, traffic },
    perform: async (cluster, step, context) => {
      if (step === 'apply') {
        await cluster.apply([...webServices({ external: 'Local', internal: 'Local' }), webPod('web-0', 'node-1', true), webPod('web-1', 'node-2', false), clientPod('client-2', 'node-2'), clientPod('client-1', 'node-1')]);
      }
      if (step === 'traffic') {
        const model = cluster.traffic!;
        for (const node of ['node-1', 'node-2', 'node-3']) for (let i = 0; i < 10; i++) model.send({ url: `http://${node}:30080/` });
        for (const client of ['client-1', 'client-2']) for (let i = 0; i < 10; i++) model.send({ from: { kind: 'pod', pod: { namespace: 'default', name: client } }, url: 'http://web/' });
      }
      await context.advance(step === 'wait' ? 30_000 : 1_000);
    },
    stableMs: 10_000,
  };
}

const STEPS: Step[] = ['apply', 'wait', 'traffic', 'wait'];

/** A traffic plugin whose model watches the cluster through `sabotage`. */
function broken(sabotage: Sabotage): (options: TrafficPluginOptions) => TrafficPlugin {
  return (options) => {
    const real = trafficPlugin(options);
    return { ...sabotaged(real, sabotage), model: real.model };
  };
}

const rewriteSlices = (f: (s: EndpointSlice) => EndpointSlice): Sabotage => ({ watch: (r, o) => (r.resource === EndpointSlices.resource ? (f(o as EndpointSlice) as KubeObject) : o) });

const cases: { name: string; invariant: string; traffic: (options: TrafficPluginOptions) => TrafficPlugin }[] = [
  {
    name: 'a router that takes every endpoint for ready',
    invariant: 'trafficReachesReadyEndpoints',
    traffic: broken(rewriteSlices((s) => ({ ...s, endpoints: s.endpoints.map((e) => ({ ...e, conditions: { ...e.conditions, ready: true } })) }))),
  },
  {
    name: 'a router that ignores externalTrafficPolicy and internalTrafficPolicy Local',
    invariant: 'trafficLocalStaysOnNode',
    traffic: broken({ watch: (r, o) => (r.resource === Services.resource ? ({ ...o, spec: { ...(o as Service).spec, externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' } } as KubeObject) : o) }),
  },
  {
    name: 'a DNS server that publishes the headless Service’s not-ready endpoints',
    invariant: 'dnsAnswersReadyEndpoints',
    traffic: broken(rewriteSlices((s) => (s.metadata.labels?.['kubernetes.io/service-name'] === 'web-headless' ? { ...s, endpoints: s.endpoints.map((e) => ({ ...e, conditions: { ...e.conditions, ready: true } })) } : s))),
  },
];

describe('the traffic invariants against routers broken on purpose', () => {
  it('the real router passes: Local traffic stays on its node (dropped where none is), only the ready pod answers, DNS lists it alone', async () => {
    const outcome = await runCase(scenario(true), 1, STEPS, []);
    expect(outcome.failure).toBeUndefined();
  });

  for (const c of cases) {
    it(`${c.invariant} catches ${c.name}`, async () => {
      const outcome = await runCase(scenario(c.traffic), 1, STEPS, []);
      expect(outcome.failure?.invariant).toBe(c.invariant);
    });
  }
});
