/**
 * podPhaseTransitionsAllowed: on hand-built states (every pod version between two checks, per
 * uid), and on SimClusters whose pods complete, crash and are deleted under each restartPolicy.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pods, isApiError } from '@kubeloop/core';
import type { KubeObject } from '@kubeloop/core';
import { ALLOWED_PHASE_TRANSITIONS, BEHAVIOR_ANNOTATION } from '@kubeloop/runtime-fake';
import { DEEP, GENERIC_SAFETY, POD_PHASE_TRANSITIONS, checkCluster, clusterState, podPhaseTransitionsAllowed, podRestartPolicyHonoured } from '../index.js';
import type { SimCluster, TraceEntry } from '../index.js';

const pod = (name: string, phase: string | undefined, uid = `uid-${name}`): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: phase === undefined ? {} : { phase } }) as KubeObject;
const modified = (object: KubeObject, t = 1): TraceEntry => ({ type: 'MODIFIED', object, t }) as TraceEntry;
const check = (before: readonly KubeObject[], after: readonly KubeObject[], changes: readonly TraceEntry[] = []) =>
  podPhaseTransitionsAllowed.check(clusterState(after, 2, changes), clusterState(before, 0));

describe('podPhaseTransitionsAllowed on hand-built states', () => {
  it('states the documented lifecycle in its own table, which every move the fake kubelet allows itself stays within', () => {
    // The invariant must not read the kubelet's table (a bug there would be invisible to it):
    // the kubelet's table is checked against the documented one instead.
    expect(POD_PHASE_TRANSITIONS).not.toBe(ALLOWED_PHASE_TRANSITIONS);
    for (const [from, tos] of Object.entries(ALLOWED_PHASE_TRANSITIONS)) {
      for (const to of tos) expect(POD_PHASE_TRANSITIONS[from as keyof typeof POD_PHASE_TRANSITIONS], `${from} → ${to}`).toContain(to);
    }
    expect(POD_PHASE_TRANSITIONS.Succeeded).toEqual(['Succeeded']);
    expect(POD_PHASE_TRANSITIONS.Failed).toEqual(['Failed']);
    expect(POD_PHASE_TRANSITIONS.Running).not.toContain('Pending');
  });

  it('is in GENERIC_SAFETY, and a first state (no previous) is not judged', () => {
    expect(GENERIC_SAFETY).toContain(podPhaseTransitionsAllowed);
    expect(podPhaseTransitionsAllowed.check(clusterState([pod('a', 'Succeeded')]), undefined)).toEqual([]);
  });

  it('accepts Pending → Running → Succeeded, Pending → Failed, Unknown → Running and a phase that stays (upstream getPhase moves)', () => {
    const changes = [modified(pod('a', 'Running')), modified(pod('a', 'Succeeded')), modified(pod('b', 'Failed')), modified(pod('c', 'Running')), modified(pod('d', 'Succeeded'))];
    expect(check([pod('a', 'Pending'), pod('b', 'Pending'), pod('c', 'Unknown'), pod('d', 'Succeeded')], [pod('a', 'Succeeded'), pod('b', 'Failed'), pod('c', 'Running'), pod('d', 'Succeeded')], changes)).toEqual([]);
  });

  it('names a pod that left Succeeded between two checks although both snapshots say Succeeded (the changes in between are judged)', () => {
    const changes = [modified(pod('a', 'Running')), modified(pod('a', 'Succeeded'))];
    expect(check([pod('a', 'Succeeded')], [pod('a', 'Succeeded')], changes)).toEqual([
      { message: 'pod default/a (uid uid-a) went from phase Succeeded to Running', objects: [{ kind: 'Pod', namespace: 'default', name: 'a' }] },
    ]);
  });

  it('names Failed → Succeeded, Failed → Pending and Running → Pending (the kubelet never leaves a terminal phase, and a pod that ran does not go back to Pending)', () => {
    const changes = [modified(pod('a', 'Succeeded')), modified(pod('b', 'Pending')), modified(pod('c', 'Pending'))];
    const violations = check([pod('a', 'Failed'), pod('b', 'Failed'), pod('c', 'Running')], [pod('a', 'Succeeded'), pod('b', 'Pending'), pod('c', 'Pending')], changes);
    expect(violations.map((v) => v.message)).toEqual([
      'pod default/a (uid uid-a) went from phase Failed to Succeeded',
      'pod default/b (uid uid-b) went from phase Failed to Pending',
      'pod default/c (uid uid-c) went from phase Running to Pending',
    ]);
  });

  it('judges per uid: a Succeeded pod deleted and recreated with the same name starts afresh as Pending', () => {
    const changes: TraceEntry[] = [{ type: 'DELETED', object: pod('a', 'Succeeded'), t: 1 } as TraceEntry, { type: 'ADDED', object: pod('a', 'Pending', 'uid-new'), t: 1 } as TraceEntry, modified(pod('a', 'Running', 'uid-new'))];
    expect(check([pod('a', 'Succeeded')], [pod('a', 'Running', 'uid-new')], changes)).toEqual([]);
  });

  it('skips versions without a phase, comparing the next one with the last phase seen', () => {
    expect(check([pod('a', 'Failed')], [pod('a', 'Running')], [modified(pod('a', undefined)), modified(pod('a', 'Running'))]).map((v) => v.message)).toEqual(['pod default/a (uid uid-a) went from phase Failed to Running']);
    expect(check([pod('a', undefined)], [pod('a', 'Running')], [modified(pod('a', 'Running'))])).toEqual([]);
  });

  it('without changes (hand-built states) compares the two snapshots by uid', () => {
    expect(check([pod('a', 'Succeeded')], [pod('a', 'Running')]).map((v) => v.message)).toEqual(['pod default/a (uid uid-a) went from phase Succeeded to Running']);
    expect(check([pod('a', 'Succeeded')], [pod('a', 'Pending', 'uid-other')])).toEqual([]);
  });
});

describe('podRestartPolicyHonoured on hand-built states', () => {
  const restarted = (name: string, restartPolicy: string, restartCount: number, lastExit: number | undefined, sidecarRestarts = 0): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', uid: `uid-${name}` },
      spec: { restartPolicy, initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }], containers: [{ name: 'c', image: 'busybox' }] },
      status: {
        phase: 'Running',
        initContainerStatuses: [{ name: 'proxy', restartCount: sidecarRestarts }],
        containerStatuses: [{ name: 'c', restartCount, ...(lastExit === undefined ? {} : { lastState: { terminated: { exitCode: lastExit } } }) }],
      },
    }) as KubeObject;
  const judge = (pods: readonly KubeObject[]) => podRestartPolicyHonoured.check(clusterState(pods, 2, pods.map((p) => modified(p))), clusterState([], 0)).map((v) => v.message);

  it('is in GENERIC_SAFETY', () => {
    expect(GENERIC_SAFETY).toContain(podRestartPolicyHonoured);
  });

  it('names a container restarted under Never, and one restarted after exiting 0 under OnFailure (a kubelet broken on purpose)', () => {
    expect(judge([restarted('never', 'Never', 1, 1), restarted('onfailure', 'OnFailure', 2, 0)])).toEqual([
      'pod default/never: container c restarted 1 time(s) under restartPolicy Never',
      'pod default/onfailure: container c was restarted after it exited 0, under restartPolicy OnFailure',
    ]);
  });

  it('accepts restarts after failures under OnFailure, any restart under Always, and sidecar restarts under Never (sidecars restart whatever the policy)', () => {
    expect(judge([restarted('failed', 'OnFailure', 3, 137), restarted('always', 'Always', 4, 0), restarted('sidecar', 'Never', 0, undefined, 2)])).toEqual([]);
  });

  it('does not judge an OnFailure container with a liveness or startup probe after it exited 0 (upstream restarts a probe-killed container whatever its exit code), but still judges it under Never', () => {
    const probed = (p: KubeObject, probe: 'livenessProbe' | 'startupProbe'): KubeObject => {
      const pod = p as KubeObject & { spec: { containers: object[] } };
      return { ...pod, spec: { ...pod.spec, containers: [{ ...pod.spec.containers[0], [probe]: { exec: { command: ['true'] } } }] } } as KubeObject;
    };
    expect(judge([probed(restarted('liveness', 'OnFailure', 2, 0), 'livenessProbe'), probed(restarted('startup', 'OnFailure', 1, 0), 'startupProbe'), probed(restarted('never', 'Never', 1, 0), 'livenessProbe')])).toEqual([
      'pod default/never: container c restarted 1 time(s) under restartPolicy Never',
    ]);
  });
});

// On a SimCluster: pods that complete, crash or run forever under each restartPolicy, deleted or not.

type Action =
  | { readonly kind: 'create'; readonly behavior: string; readonly restartPolicy: 'Always' | 'OnFailure' | 'Never' }
  | { readonly kind: 'delete'; readonly index: number }
  | { readonly kind: 'label'; readonly index: number; readonly value: string }
  | { readonly kind: 'restartKubelet'; readonly node: string; readonly downMs: number }
  | { readonly kind: 'wait'; readonly ms: number };

const BEHAVIORS = ['complete-after=2s', 'crash-after=2s', 'complete-after=1s,stop-after=5s', 'forever'];
const actions: fc.Arbitrary<readonly Action[]> = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('create' as const), behavior: fc.constantFrom(...BEHAVIORS), restartPolicy: fc.constantFrom('Always' as const, 'OnFailure' as const, 'Never' as const, 'Never' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), index: fc.nat({ max: 5 }) }) },
    // An update of a finished pod (as a controller relabelling it would) makes its kubelet sync it again.
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('label' as const), index: fc.nat({ max: 5 }), value: fc.constantFrom('a', 'b') }) },
    // A kubelet that comes back must not run a finished pod again (upstream skips terminal pods).
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restartKubelet' as const), node: fc.constantFrom('node-1', 'node-2'), downMs: fc.integer({ min: 0, max: 5_000 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 500, max: 8_000 }) }) },
  ),
  { minLength: 1, maxLength: 10 },
);

/** Pods created so far in the run (reset in setup: runs are sequential). */
let created = 0;

async function perform(cluster: SimCluster, a: Action): Promise<void> {
  switch (a.kind) {
    case 'create':
      await cluster.server.create(Pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p-${created++}`, namespace: 'default', annotations: { [BEHAVIOR_ANNOTATION]: a.behavior } },
        spec: { restartPolicy: a.restartPolicy, containers: [{ name: 'c', image: 'busybox:1.36' }] },
      } as never);
      return;
    case 'delete':
      if (created === 0) return;
      await cluster.server.delete(Pods, { namespace: 'default', name: `p-${a.index % created}` }).catch((e: unknown) => {
        if (!isApiError(e, 'NotFound')) throw e;
      });
      return;
    case 'label':
      if (created === 0) return;
      await cluster.server.patch(Pods, { namespace: 'default', name: `p-${a.index % created}` }, { type: 'merge', body: { metadata: { labels: { tier: a.value } } } }).catch((e: unknown) => {
        if (!isApiError(e, 'NotFound')) throw e;
      });
      return;
    case 'restartKubelet':
      cluster.stopNode(a.node);
      await cluster.advance(a.downMs);
      await cluster.restoreNode(a.node);
      return;
    case 'wait':
      await cluster.advance(a.ms);
      return;
  }
}

function describeAction(a: Action): string {
  switch (a.kind) {
    case 'create':
      return `create a pod (${a.behavior}, restartPolicy ${a.restartPolicy})`;
    case 'delete':
      return `delete pod #${a.index} (modulo the pods created)`;
    case 'label':
      return `label pod #${a.index} (modulo the pods created) tier=${a.value}`;
    case 'restartKubelet':
      return `restart the kubelet of ${a.node} (down ${a.downMs} ms)`;
    case 'wait':
      return `wait ${a.ms} ms`;
  }
}

describe('podPhaseTransitionsAllowed on a SimCluster', () => {
  it('pods that complete, crash or run forever under each restartPolicy, some relabelled or deleted mid-run, their kubelet restarted, never leave Succeeded or Failed nor go from Running back to Pending', async () => {
    await checkCluster<Action>({
      name: 'kubelet: pod phase transitions',
      cluster: { nodes: 2, controllerManager: { plugins: [] } },
      setup: () => {
        created = 0;
        return Promise.resolve();
      },
      actions,
      perform,
      describe: describeAction,
      safety: [podPhaseTransitionsAllowed],
      stepMs: 500,
      stableMs: 5_000,
      runs: DEEP ? 100 : 10,
    });
  }, 120_000);
});
