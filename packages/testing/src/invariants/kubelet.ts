/**
 * Invariants of the kubelet's side of a pod's life: the phases it reports.
 *
 * @module
 */
import type { Pod, PodPhase } from '@kubeloop/core';
import { refOf, transitionInvariant } from './types.js';
import type { Invariant, Violation } from './types.js';

/**
 * The pod phases and the moves between them, as the Kubernetes pod lifecycle documentation
 * states them ("Pod phase", kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle), written
 * here and not taken from the fake kubelet this invariant checks:
 *
 * - a pod starts `Pending`, moves to `Running` once its node runs a container, and ends
 *   `Succeeded` or `Failed` (a pod that never ran a container may end directly);
 * - `Succeeded` and `Failed` are terminal: a pod never leaves them (the kubelet reads a terminal
 *   phase back from the API server and keeps it; Jobs and the pod garbage collector count on it);
 * - a pod that ran never goes back to `Pending` (a container restart keeps it `Running`);
 * - `Unknown` is "the state of the Pod could not be obtained": any non-terminal phase may become
 *   `Unknown`, and `Unknown` may become any phase once the state is known again.
 */
export const POD_PHASE_TRANSITIONS: Readonly<Record<PodPhase, readonly PodPhase[]>> = Object.freeze({
  Pending: ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'],
  Running: ['Running', 'Succeeded', 'Failed', 'Unknown'],
  Unknown: ['Unknown', 'Pending', 'Running', 'Succeeded', 'Failed'],
  Succeeded: ['Succeeded'],
  Failed: ['Failed'],
});

/** Whether `to` may follow `from` (a phase outside the table, or none, is not judged). */
function allowed(from: string, to: string): boolean {
  const next = (POD_PHASE_TRANSITIONS as Readonly<Record<string, readonly PodPhase[] | undefined>>)[from];
  return next === undefined || (next as readonly string[]).includes(to);
}

/**
 * Transition (safety): a pod's `status.phase` only moves along the documented pod lifecycle
 * ({@link POD_PHASE_TRANSITIONS}, stated independently of the kubelet it checks): never out of `Succeeded` or
 * `Failed` (upstream's kubelet forces a terminal phase it reads back from the API server, and its
 * status manager refuses to leave one: a Job or a pod garbage collector counts on it), and not
 * from `Running` back to `Pending`.
 *
 * Every pod version the store went through since the previous state is judged, in trace order,
 * per pod uid (`state.changes`), so a pod that went `Succeeded → Running → Succeeded` between two
 * checks is caught, and a pod deleted and recreated with the same name (a new uid) starts afresh.
 * A state without changes (built by hand) compares the pods of the two states by uid. A version
 * without a phase is skipped (the next one is compared with the last phase seen).
 *
 * In `GENERIC_SAFETY`: whatever writes pod status (the fake kubelet, or a controller of
 * yours patching it), a pod that leaves a terminal phase is a bug in any cluster, and the check
 * reads only Pod changes (a map lookup or two per pod version), so it costs little at every step.
 */
export const podPhaseTransitionsAllowed: Invariant = transitionInvariant(
  'podPhaseTransitionsAllowed',
  "A pod's phase only moves along the kubelet's allowed transitions: never out of Succeeded or Failed, never from Running back to Pending.",
  (previous, state) => {
    const out: Violation[] = [];
    const phases = new Map<string, string>();
    const judge = (pod: Pod): void => {
      const uid = pod.metadata.uid;
      const to = pod.status?.phase;
      if (uid === undefined || to === undefined) return;
      const from = phases.get(uid);
      if (from !== undefined && from !== to && !allowed(from, to)) {
        out.push({ message: `pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} (uid ${uid}) went from phase ${from} to ${to}`, objects: [refOf(pod)] });
      }
      phases.set(uid, to);
    };
    if (state.changes.length === 0) {
      for (const p of previous.of<Pod>('Pod')) if (p.metadata.uid !== undefined && p.status?.phase !== undefined) phases.set(p.metadata.uid, p.status.phase);
      for (const p of state.of<Pod>('Pod')) judge(p);
      return out;
    }
    for (const change of state.changes) {
      if (change.object.kind !== 'Pod') continue;
      const pod = change.object as Pod;
      const uid = pod.metadata.uid;
      // A pod's first version in this step is compared with its version in the previous state (same uid).
      if (uid !== undefined && !phases.has(uid)) {
        const before = previous.get<Pod>('Pod', pod.metadata.namespace, pod.metadata.name ?? '');
        if (before?.metadata.uid === uid && before.status?.phase !== undefined) phases.set(uid, before.status.phase);
      }
      judge(pod);
    }
    return out;
  },
);

/**
 * What a pod's `restartPolicy` forbids in one pod version: under `Never`, a container (or a
 * regular init container) restarted at all; under `OnFailure`, a container restarted (or waiting
 * in back-off to be) after it exited 0 (its last termination says so) — unless it has a liveness
 * or startup probe: upstream's kubelet kills a container whose probe fails and restarts it under
 * `OnFailure` whatever its exit code (`computePodActions` restarts a probe-killed container
 * unless the policy is `Never`), and the status shows only the exit code the process gave on
 * SIGTERM, often 0 (the `Killing` event that tells why may be spam-filtered away). Sidecars
 * (init containers with `restartPolicy: Always`) restart whatever the pod's policy, so they are
 * not judged.
 */
function restartPolicyBreaches(pod: Pod): string[] {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return [];
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const statuses = [...(pod.status?.initContainerStatuses ?? []).filter((c) => !sidecars.has(c.name)), ...(pod.status?.containerStatuses ?? [])];
  const probed = new Set(pod.spec.containers.filter((c) => c.livenessProbe !== undefined || c.startupProbe !== undefined).map((c) => c.name));
  const out: string[] = [];
  for (const c of statuses) {
    if (policy === 'Never' && (c.restartCount ?? 0) > 0) out.push(`container ${c.name} restarted ${c.restartCount} time(s) under restartPolicy Never`);
    if (policy === 'OnFailure' && (c.restartCount ?? 0) > 0 && c.lastState?.terminated?.exitCode === 0 && !probed.has(c.name)) out.push(`container ${c.name} was restarted after it exited 0, under restartPolicy OnFailure`);
  }
  return out;
}

/**
 * Transition (safety): the kubelet honours each pod's `restartPolicy` — under `Never` no
 * container is ever restarted (`restartCount` stays 0), under `OnFailure` a container that
 * exited 0 is not restarted (upstream `kuberuntime`'s `ShouldContainerBeRestarted`); a container
 * with a liveness or startup probe is not judged after exiting 0 under `OnFailure` (a probe kill
 * restarts it whatever the exit code). Stated from
 * the pod statuses alone, not from the fake kubelet's code. Every pod version since the previous
 * state is judged (`state.changes`); a state without changes judges its pods.
 *
 * In `GENERIC_SAFETY`: whatever runs the pods, a restart the policy forbids is a bug.
 */
export const podRestartPolicyHonoured: Invariant = transitionInvariant(
  'podRestartPolicyHonoured',
  "The kubelet honours each pod's restartPolicy: under Never no container restarts, under OnFailure no container restarts after exiting 0 (unless a liveness or startup probe killed it).",
  (_previous, state) => {
    const pods = state.changes.length === 0 ? state.of<Pod>('Pod') : state.changes.filter((c) => c.object.kind === 'Pod').map((c) => c.object as Pod);
    const out: Violation[] = [];
    for (const pod of pods) {
      for (const breach of restartPolicyBreaches(pod)) out.push({ message: `pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}: ${breach}`, objects: [refOf(pod)] });
    }
    return out;
  },
);
