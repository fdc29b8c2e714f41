/**
 * Properties of the fake kubelet's restart policy, on bare pods (no controller) in a SimCluster:
 * pods with `restartPolicy` Never, OnFailure or Always, whose containers (one or two, now and
 * then after an init container) run forever, exit 0, exit non-zero, or are killed by a failing
 * liveness probe, at drawn times (the runtime's behaviour annotations, `kubeloop.dev/behavior.<container>`);
 * pods deleted now and then. The properties, for every run:
 *
 * - under `Never` no container restarts, under `OnFailure` no container restarts after exiting 0
 *   (the toolkit's `podRestartPolicyHonoured`; one with a liveness probe is restarted after a
 *   probe kill whatever its exit code, as upstream), and a pod's phase only moves along the pod
 *   lifecycle (`podPhaseTransitionsAllowed`), on every pod version the store went through;
 * - after settling, a pod whose containers have all terminated and will not be restarted is
 *   `Succeeded` (all exited 0) or `Failed` (one did not), and a `Succeeded` pod's containers all
 *   exited 0 (`podPhaseFollowsContainers`, below, from the pod lifecycle documentation).
 *
 * They hold without faults and when kubelets stop and come back (the containers run on
 * meanwhile; the kubelet catches its pods up when it starts again) and when the clock jumps.
 *
 * A kubelet broken on purpose — the real one reading each pod's `restartPolicy` as `Always`,
 * through a client that rewrites the pods it lists and watches (`../sabotage.ts`) — fails
 * `podRestartPolicyHonoured` in fixed cases the real kubelet passes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pods, isApiError } from '@kubeloop/core';
import type { KubeObject, Pod } from '@kubeloop/core';
import { fakeNodesPlugin } from '@kubeloop/runtime-fake';
import { DEEP, checkCluster, faultSchedules, invariant, podPhaseTransitionsAllowed, podRestartPolicyHonoured, refOf, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster, Violation } from '@kubeloop/testing';
import type { Plugin } from '@kubeloop/core';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 200 : 12;
const MAX_STEPS = 8;
const NODES = 2;

type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** What a container does once started. */
type Behavior =
  | { readonly kind: 'forever' }
  | { readonly kind: 'complete'; readonly afterS: number }
  | { readonly kind: 'crash'; readonly afterS: number; readonly exitCode: number }
  /** A liveness probe that starts failing after `afterS`: the kubelet kills the container. */
  | { readonly kind: 'liveness'; readonly afterS: number };

interface PodSpec {
  readonly restartPolicy: RestartPolicy;
  /** A regular init container (runs to completion before the containers), if any. */
  readonly init: Behavior | undefined;
  readonly containers: readonly Behavior[];
}

type Step = { readonly kind: 'create'; readonly pod: PodSpec } | { readonly kind: 'delete'; readonly pick: number } | { readonly kind: 'wait'; readonly ms: number };

const behavior: fc.Arbitrary<Behavior> = fc.oneof(
  fc.constant<Behavior>({ kind: 'forever' }),
  fc.record({ kind: fc.constant('complete' as const), afterS: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('crash' as const), afterS: fc.integer({ min: 1, max: 20 }), exitCode: fc.constantFrom(1, 2, 137) }),
  fc.record({ kind: fc.constant('liveness' as const), afterS: fc.integer({ min: 1, max: 20 }) }),
);
const initBehavior: fc.Arbitrary<Behavior> = fc.oneof(
  fc.record({ kind: fc.constant('complete' as const), afterS: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('crash' as const), afterS: fc.integer({ min: 1, max: 5 }), exitCode: fc.constantFrom(1, 2) }),
);
const podSpec: fc.Arbitrary<PodSpec> = fc.record({
  restartPolicy: fc.constantFrom<RestartPolicy>('Never', 'OnFailure', 'Always'),
  init: fc.option(initBehavior, { freq: 4, nil: undefined }),
  containers: fc.array(behavior, { minLength: 1, maxLength: 2 }),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), pod: podSpec }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(20) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1_000, max: 60_000 })) }) },
);
const steps = fc.array(step, { minLength: 1, maxLength: MAX_STEPS });

/** The `kubeloop.dev/behavior.<container>` annotation value of a behavior (none: runs until stopped). */
function annotation(b: Behavior): string | undefined {
  switch (b.kind) {
    case 'forever':
      return undefined;
    case 'complete':
      return `complete-after=${b.afterS}s`;
    case 'crash':
      return `crash-after=${b.afterS}s,exit-code=${b.exitCode}`;
    case 'liveness':
      return `liveness-fail-after=${b.afterS}s`;
  }
}

const IMAGE = 'registry.k8s.io/pause:3.9';

/** The pod a spec describes, named `p-<index>`. */
function podOf(spec: PodSpec, index: number): Pod {
  const annotations: Record<string, string> = {};
  const container = (name: string, b: Behavior) => {
    const a = annotation(b);
    if (a !== undefined) annotations[`kubeloop.dev/behavior.${name}`] = a;
    return { name, image: IMAGE, ...(b.kind === 'liveness' ? { livenessProbe: { exec: { command: ['true'] }, periodSeconds: 1, failureThreshold: 1 } } : {}) };
  };
  const containers = spec.containers.map((b, i) => container(`app-${i}`, b));
  const initContainers = spec.init === undefined ? [] : [container('init', spec.init)];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${index}`, namespace: 'default', annotations },
    spec: { restartPolicy: spec.restartPolicy, ...(initContainers.length > 0 ? { initContainers } : {}), containers },
  } as unknown as Pod;
}

function describeBehavior(b: Behavior): string {
  switch (b.kind) {
    case 'forever':
      return 'runs until stopped';
    case 'complete':
      return `exits 0 after ${b.afterS} s`;
    case 'crash':
      return `exits ${b.exitCode} after ${b.afterS} s`;
    case 'liveness':
      return `fails its liveness probe after ${b.afterS} s`;
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'create':
      return `create a pod, restartPolicy ${s.pod.restartPolicy}${s.pod.init === undefined ? '' : `, an init container that ${describeBehavior(s.pod.init)}`}, containers: ${s.pod.containers.map(describeBehavior).join('; ')}`;
    case 'delete':
      return `delete pod #${s.pick} (modulo their count)`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

/** Per run: how many pods were created (their names). */
interface RunState {
  created: number;
}

async function perform(cluster: SimCluster, s: Step, context: RunContext<RunState>): Promise<void> {
  switch (s.kind) {
    case 'create':
      await cluster.server.create(Pods, podOf(s.pod, context.state.created++));
      return;
    case 'delete': {
      const pods = (await cluster.server.list(Pods, { namespace: 'default' })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
      const pod = pods[s.pick % Math.max(1, pods.length)];
      if (pod === undefined) return;
      try {
        await cluster.server.delete(Pods, { namespace: 'default', name: pod.metadata.name ?? '' });
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
      }
      return;
    }
    case 'wait':
      await context.advance(s.ms);
      return;
  }
}

/**
 * Liveness: a pod's phase says what its containers did (the pod lifecycle documentation: a pod
 * is `Succeeded` when "all containers in the Pod have terminated in success, and will not be
 * restarted", `Failed` when "all containers in the Pod have terminated, and at least one
 * container has terminated in failure"). After settling, for every pod not being deleted:
 *
 * - a pod whose containers have all terminated and will not restart — under `Never`, or under
 *   `OnFailure` with every exit 0 — is `Succeeded` if every exit was 0, else `Failed`;
 * - under `Never`, a pod whose init container terminated non-zero is `Failed` (its containers
 *   never start);
 * - a `Succeeded` pod has every container terminated with exit code 0.
 *
 * Stated from the pod statuses alone. A pod whose node's kubelet is stopped is not judged
 * (after settling the toolkit has restored every node).
 */
const podPhaseFollowsContainers = invariant('podPhaseFollowsContainers', 'A pod whose containers all terminated and will not restart is Succeeded if all exited 0, else Failed; a Succeeded pod has every container exited 0.', (state) => {
  const out: Violation[] = [];
  for (const pod of state.of<Pod>('Pod')) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    const name = `pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    const phase = pod.status?.phase ?? 'Pending';
    const policy = pod.spec.restartPolicy ?? 'Always';
    const statuses = pod.status?.containerStatuses ?? [];
    const exits = statuses.map((c) => c.state?.terminated?.exitCode);
    const allTerminated = statuses.length === pod.spec.containers.length && exits.every((e) => e !== undefined);
    const allZero = allTerminated && exits.every((e) => e === 0);
    if (phase === 'Succeeded' && !allZero) out.push({ message: `${name} is Succeeded, but its containers' exit codes are ${exits.map((e) => e ?? 'none').join(', ')}`, objects: [refOf(pod)] });
    const done = allTerminated && (policy === 'Never' || (policy === 'OnFailure' && allZero));
    const expected = done ? (allZero ? 'Succeeded' : 'Failed') : undefined;
    if (expected !== undefined && phase !== expected) out.push({ message: `${name}: its containers all terminated (exit codes ${exits.join(', ')}) under restartPolicy ${policy}, but its phase is ${phase}, not ${expected}`, objects: [refOf(pod)] });
    const initFailed = (pod.status?.initContainerStatuses ?? []).some((c) => (c.state?.terminated?.exitCode ?? 0) !== 0);
    if (policy === 'Never' && initFailed && phase !== 'Failed') out.push({ message: `${name}: an init container failed under restartPolicy Never, but its phase is ${phase}, not Failed`, objects: [refOf(pod)] });
  }
  return out;
});

function options(name: string, faults: fc.Arbitrary<FaultSchedule>): CheckClusterOptions<Step, RunState> {
  return {
    name,
    cluster: { nodes: NODES, controllerManager: false },
    runState: () => ({ created: 0 }),
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    safety: [podRestartPolicyHonoured, podPhaseTransitionsAllowed],
    liveness: [podPhaseFollowsContainers],
    stepMs: 100,
    // A container that crash-loops writes at each exit and restart until its back-off outgrows
    // the 20 s quiet window (the third restart waits 40 s): up to two minutes of settling.
    settleMaxMs: 600_000,
    stableMs: 0,
    runs: RUNS,
  };
}

/** What the settled runs showed, across runs: the cases the invariants are about. */
const seen = { runs: 0, neverFailed: 0, onFailureRestarted: 0, onFailureSucceeded: 0 };

/** Counts the settled runs with a Never pod Failed, an OnFailure container restarted, an OnFailure pod Succeeded (never fails). */
const casesSeen = invariant('restartCasesSeen', 'Counts the runs that reached the restart policies\' cases (never fails).', (state) => {
  seen.runs++;
  const pods = state.of<Pod>('Pod');
  const policy = (p: Pod) => p.spec.restartPolicy ?? 'Always';
  if (pods.some((p) => policy(p) === 'Never' && p.status?.phase === 'Failed')) seen.neverFailed++;
  if (pods.some((p) => policy(p) === 'OnFailure' && (p.status?.containerStatuses ?? []).some((c) => (c.restartCount ?? 0) > 0))) seen.onFailureRestarted++;
  if (pods.some((p) => policy(p) === 'OnFailure' && p.status?.phase === 'Succeeded')) seen.onFailureSucceeded++;
  return [];
});

describe('kubelet restart policies on bare pods', () => {
  it('for any pods of each restartPolicy whose containers exit 0, exit non-zero, fail liveness or run on: no restart the policy forbids, phases only move forward, and a finished pod ends Succeeded or Failed as its containers exited', async () => {
    Object.assign(seen, { runs: 0, neverFailed: 0, onFailureRestarted: 0, onFailureSucceeded: 0 });
    await checkCluster({ ...options('kubelet: restart policies', fc.constant([])), liveness: [podPhaseFollowsContainers, casesSeen] });
    // The drawn runs reach each case the invariants judge.
    expect(seen.neverFailed).toBeGreaterThan(0);
    expect(seen.onFailureRestarted).toBeGreaterThan(0);
    expect(seen.onFailureSucceeded).toBeGreaterThan(0);
  }, 120_000);

  it('the same holds when kubelets stop and come back (they catch their pods up) and when the clock jumps', async () => {
    await checkCluster(options('kubelet: restart policies, kubelet restarts', faultSchedules({ kinds: ['stopNode', 'restoreNode', 'clockJump'], maxFaults: 3, steps: MAX_STEPS, nodes: NODES })));
  }, 120_000);
});

// A kubelet broken on purpose: the real fake kubelet, reading the pods bound to its node
// through a client that rewrites their restartPolicy. The SimCluster runs no nodes of its own
// here; the nodes come from the plugin (broken or not), so both runs are alike but for it.

/** A pod as a kubelet that takes `policies` for `Always` reads it. */
function readAsAlways(policies: readonly RestartPolicy[]) {
  return (resource: { readonly resource: string }, object: KubeObject): KubeObject => {
    if (resource.resource !== Pods.resource) return object;
    const pod = object as Pod;
    return policies.includes(pod.spec.restartPolicy ?? 'Always') ? ({ ...pod, spec: { ...pod.spec, restartPolicy: 'Always' } } as KubeObject) : object;
  };
}

/**
 * One fake node, `node-1`, as a plugin of its own (the SimCluster's fake-nodes plugin, with no
 * nodes, keeps its name).
 */
function oneNode(): Plugin {
  return { ...fakeNodesPlugin({ nodes: [{ name: 'node-1' }] }), name: 'kubelet-test/node-1' };
}

/** {@link oneNode} with a kubelet that reads the pods' restartPolicy as `Always` when it is one of `policies`. */
function brokenKubelets(policies: readonly RestartPolicy[]): Plugin {
  const rewrite = readAsAlways(policies);
  return sabotaged(oneNode(), { list: rewrite, watch: rewrite, get: (r, _key, o) => rewrite(r, o) });
}

/** Runs `actions` on `nodes` as the cluster's only nodes. */
function fixedCase(nodes: Plugin, actions: readonly Step[]) {
  return runCase({ ...options('kubelet: broken on purpose', fc.constant([])), cluster: { nodes: 0, controllerManager: false, plugins: [nodes] } }, 1, actions, []);
}

/** Runs `actions` on the broken kubelets (expecting `invariant` to fail) and on real ones (expecting a pass); the first violation's message. */
async function failsOnlyWhenBroken(policies: readonly RestartPolicy[], actions: readonly Step[], invariantName: string): Promise<string> {
  const broken = await fixedCase(brokenKubelets(policies), actions);
  expect(broken.failure?.invariant).toBe(invariantName);
  const real = await fixedCase(oneNode(), actions);
  expect(real.failure).toBeUndefined();
  return broken.failure?.violations[0]?.message ?? '';
}

describe('kubelet restart policies, on a kubelet broken on purpose', () => {
  it('a kubelet that restarts a restartPolicy Never container after it exits non-zero fails podRestartPolicyHonoured', async () => {
    const actions: Step[] = [
      { kind: 'create', pod: { restartPolicy: 'Never', init: undefined, containers: [{ kind: 'crash', afterS: 2, exitCode: 1 }] } },
      { kind: 'wait', ms: 10_000 },
    ];
    expect(await failsOnlyWhenBroken(['Never'], actions, 'podRestartPolicyHonoured')).toBe('pod default/p-0: container app-0 restarted 1 time(s) under restartPolicy Never');
  }, 60_000);

  it('a kubelet that restarts a restartPolicy OnFailure container after it exits 0 fails podRestartPolicyHonoured', async () => {
    // Two containers: one exits 0, the other runs on, so the pod is not done when the first exits.
    const actions: Step[] = [
      { kind: 'create', pod: { restartPolicy: 'OnFailure', init: undefined, containers: [{ kind: 'complete', afterS: 2 }, { kind: 'forever' }] } },
      { kind: 'wait', ms: 10_000 },
    ];
    expect(await failsOnlyWhenBroken(['OnFailure'], actions, 'podRestartPolicyHonoured')).toBe('pod default/p-0: container app-0 was restarted after it exited 0, under restartPolicy OnFailure');
  }, 60_000);
});
