/**
 * The Greeting operator's invariants under faults — the check of docs/testing-invariants.md:
 * users create, change and delete Greetings while the controller manager crashes, its caches
 * lag, its notifications are coalesced and its writes fail.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import type { ConfigMap } from '@kubeloop/core';
import { checkCluster, faultSchedules, invariant, ownerReferencesResolve, refOf } from '@kubeloop/testing';
import { greetingPlugin } from './controller.js';
import { Greetings, type Greeting } from './greeting.js';

/** Liveness: every Greeting not being deleted is published, with its current message. */
const greetingPublished = invariant(
  'greetingPublished',
  'Every Greeting not being deleted has a ConfigMap <name>-greeting holding its message.',
  (state) =>
    state
      .of<Greeting>('Greeting')
      .filter((g) => g.metadata.deletionTimestamp === undefined)
      .flatMap((g) => {
        const cm = state.get<ConfigMap>('ConfigMap', g.metadata.namespace, `${g.metadata.name}-greeting`);
        return cm?.data?.['message'] === g.spec.message
          ? []
          : [{ message: `Greeting ${g.metadata.name}: ConfigMap ${cm === undefined ? 'missing' : `holds ${JSON.stringify(cm.data)}`}`, objects: [refOf(g)] }];
      }),
);

type Action = { kind: 'apply'; name: string; message: string } | { kind: 'delete'; name: string };

describe('the Greeting operator under faults', () => {
  it('publishes every Greeting and leaves no ConfigMap behind its deleted Greeting (owner references resolve)', () =>
    checkCluster<Action>({
      name: 'greeting',
      cluster: { nodes: 0, controllerManager: { plugins: [greetingPlugin] } },
      resources: [Greetings],
      actions: fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant('apply' as const), name: fc.constantFrom('hello', 'bye'), message: fc.constantFrom('hi', 'hey') }),
          fc.record({ kind: fc.constant('delete' as const), name: fc.constantFrom('hello', 'bye') }),
        ),
        { maxLength: 8 },
      ),
      perform: async (cluster, a) => {
        if (a.kind === 'apply') await cluster.apply({ apiVersion: 'example.kubeloop.dev/v1', kind: 'Greeting', metadata: { name: a.name, namespace: 'default' }, spec: { message: a.message } });
        else await cluster.server.delete(Greetings, { namespace: 'default', name: a.name }).catch(() => undefined);
      },
      describe: (a) => (a.kind === 'apply' ? `apply Greeting ${a.name} message=${a.message}` : `delete Greeting ${a.name}`),
      faults: faultSchedules({ kinds: ['staleReads', 'crash', 'coalesce', 'writeError'], resources: ['*', 'configmaps'], maxWrite: 10, maxDelayMs: 900 }),
      liveness: [greetingPublished, ownerReferencesResolve],
      runs: process.env['KUBELOOP_DEEP'] === '1' ? 300 : 50,
      seed: 1, // the seed of the guide's counterexample; a failure prints its own
    }));
});
