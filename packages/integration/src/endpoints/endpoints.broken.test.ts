/**
 * The Endpoints suite's invariants, each shown failing on Endpoints and EndpointSlice
 * controllers broken on purpose (the reference plugin seeing the cluster through a distorted
 * manager, see `../sabotage.ts`) and holding on the real ones under the same fixed case: an
 * invariant that no broken controller can trip checks nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Plugin, Pod, Service } from '@kubeloop/core';
import { endpointWritesFollowPodsInvariant, lastChangeTriggerTimeInvariant, runCase, terminatingEndpointsWithinInvariant } from '@kubeloop/testing';
import type { Invariant } from '@kubeloop/testing';
import { endpointsPlugin } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';
import { MAX_PER_SLICE, options } from './fixtures.js';
import type { PodSpec, ServiceSpec, Step } from './fixtures.js';

/** `svc-0` over app=a, port 8080 → 80 and metrics → the container port named metrics. */
const SERVICE: ServiceSpec = { selector: { app: 'a' }, targetPort: 80, publishNotReadyAddresses: false, headless: false, metrics: 'byName', reservedLabels: false };
/** A pod of app=a that serves both ports; `over` on top. */
const pod = (over: Partial<PodSpec> = {}): PodSpec => ({ app: 'a', tier: 'x', neverReady: false, namedPort: true, metrics: true, hostname: false, lingers: false, ...over });

/** The Endpoints plugin (both controllers) seeing pods and Services through `read` (broken on purpose). */
function sees(read: { pod?: (pod: Pod) => Pod; service?: (service: Service) => Service }): Plugin {
  return sabotaged(endpointsPlugin({ endpointSlices: { maxEndpointsPerSlice: MAX_PER_SLICE } }), {
    read: (resource, o) => (resource.kind === 'Pod' && read.pod !== undefined ? read.pod(o as Pod) : resource.kind === 'Service' && read.service !== undefined ? read.service(o as Service) : o),
  });
}

/** The first violation a fixed case fails with `broken` (`invariant: message`), after checking that the real controllers pass it; `safety` is judged too. */
async function brokenFails(broken: Plugin, actions: readonly Step[], safety: readonly Invariant[] = []): Promise<string | undefined> {
  const real = await runCase({ ...options('endpoints: real', fc.constant([])), safety }, 1, actions, []);
  if (real.failure !== undefined) console.error(JSON.stringify(real.failure, null, 2));
  expect(real.failure).toBeUndefined();
  const outcome = await runCase({ ...options('endpoints: broken', fc.constant([]), broken), safety }, 1, actions, []);
  return outcome.failure === undefined ? undefined : `${outcome.failure.invariant}: ${outcome.failure.violations[0]?.message ?? ''}`;
}

/** A ready pod and one that never passes readiness behind `svc-0`. */
const READY_AND_NOT: readonly Step[] = [{ kind: 'init', services: [SERVICE], pods: [pod(), pod({ neverReady: true })] }, { kind: 'wait', ms: 20_000 }];

/** A ready pod that lingers 45 s on SIGTERM, deleted once running, behind `svc-0`. */
const TERMINATING: readonly Step[] = [
  { kind: 'init', services: [SERVICE], pods: [pod(), pod({ lingers: true })] },
  { kind: 'deletePod', pick: 0, afterMs: 5_000, selected: true },
  { kind: 'wait', ms: 5_000 },
];

/** A pod as a controller that takes every pod for Ready sees it. */
const alwaysReady = (p: Pod): Pod => ({ ...p, status: { ...p.status, conditions: [...(p.status?.conditions ?? []).filter((c) => c.type !== 'Ready'), { type: 'Ready', status: 'True' }] } }) as Pod;

describe('the Endpoints invariants fail on Endpoints and EndpointSlice controllers broken on purpose', () => {
  it('controllers whose deletions of Endpoints are lost leave a deleted Service\'s Endpoints: noEndpointsWithoutService fails', async () => {
    const keepsEndpoints = sabotaged(endpointsPlugin({ endpointSlices: { maxEndpointsPerSlice: MAX_PER_SLICE } }), { dropDelete: (resource) => resource.kind === 'Endpoints' });
    // Service #1 is svc-0 (the API server's `kubernetes` Service sorts first).
    expect(await brokenFails(keepsEndpoints, [...READY_AND_NOT, { kind: 'deleteService', pick: 1 }, { kind: 'wait', ms: 5_000 }])).toBe('noEndpointsWithoutService: Endpoints default/svc-0 is left although its Service is gone');
  }, 60_000);

  it('controllers that publish a pod that is not Ready as ready fail endpointsMatchPods after settling', async () => {
    expect(await brokenFails(sees({ pod: alwaysReady }), READY_AND_NOT)).toMatch(/^endpointsMatchPods: Endpoints default\/svc-0 lists ready \[10\.1\.\d\.\d, 10\.1\.\d\.\d\], pods say \[10\.1\.\d\.\d\]$/);
  }, 60_000);

  it('the same controllers fail endpointWritesFollowPods at their first write', async () => {
    expect(await brokenFails(sees({ pod: alwaysReady }), READY_AND_NOT, [endpointWritesFollowPodsInvariant])).toBe(
      'endpointWritesFollowPods: Endpoints default/svc-0 written at 0 ms lists pod pod-0 as ready, which does not show the pod as it was (Ready False/none/none, terminating false/false/false)',
    );
  }, 60_000);

  it('controllers that leave the last-change-trigger-time annotation off their first write fail lastChangeTriggerTime', async () => {
    const TRIGGER = 'endpoints.kubernetes.io/last-change-trigger-time';
    const unstamped = sabotaged(endpointsPlugin({ endpointSlices: { maxEndpointsPerSlice: MAX_PER_SLICE } }), {
      create: (resource, o) => {
        if (resource.kind !== 'Endpoints' || o.metadata.annotations?.[TRIGGER] === undefined) return o;
        const { [TRIGGER]: _, ...annotations } = o.metadata.annotations;
        return { ...o, metadata: { ...o.metadata, annotations } };
      },
    });
    expect(await brokenFails(unstamped, READY_AND_NOT, [lastChangeTriggerTimeInvariant])).toBe(
      "lastChangeTriggerTime: Endpoints default/svc-0 written at 0 ms is the first write for Service svc-0 and carries no last-change-trigger-time (the Service's creation at the latest)",
    );
  }, 60_000);

  it('controllers that drop the ports\' appProtocol fail endpointDetails (endpointsMatchPods, which judges addresses, passes)', async () => {
    const noAppProtocol = (s: Service): Service => ({ ...s, spec: { ...s.spec, ports: (s.spec.ports ?? []).map(({ appProtocol: _, ...port }) => port) } }) as Service;
    expect(await brokenFails(sees({ service: noAppProtocol }), READY_AND_NOT)).toBe('endpointDetails: Service svc-0: Endpoints list pod-0 on ports [metrics/9090/TCP/, web/80/TCP/], it serves [metrics/9090/TCP/http, web/80/TCP/]');
  }, 60_000);

  it('controllers that drop the pods\' hostnames fail endpointDetails', async () => {
    const noHostname = (p: Pod): Pod => {
      const { hostname: _, ...spec } = p.spec;
      return { ...p, spec } as Pod;
    };
    expect(await brokenFails(sees({ pod: noHostname }), [{ kind: 'init', services: [SERVICE], pods: [pod({ hostname: true })] }, { kind: 'wait', ms: 20_000 }])).toBe('endpointDetails: Service svc-0: Endpoints address of pod-0 has hostname undefined, expected host-0');
  }, 60_000);

  it('controllers that do not see a pod terminating keep it ready in the Endpoints: terminatingEndpointsWithin fails while it lingers', async () => {
    const notTerminating = (p: Pod): Pod => {
      const { deletionTimestamp: _, deletionGracePeriodSeconds: __, ...metadata } = p.metadata;
      return { ...p, metadata } as Pod;
    };
    expect(await brokenFails(sees({ pod: notTerminating }), TERMINATING, [terminatingEndpointsWithinInvariant()])).toBe('terminatingEndpointsWithin: Endpoints default/svc-0 still lists pod pod-1, terminating since over 2000 ms');
  }, 60_000);
});
