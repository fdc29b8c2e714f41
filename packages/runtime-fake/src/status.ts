/**
 * The pod status the kubelet reports, computed purely from the pod and the kubelet's view of
 * its containers (upstream `generateAPIPodStatus`, `getPhase` and the condition generators).
 *
 * @module
 */
import type { ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from '@kubeloop/core';
import { deepEqual, formatTime, podQOSClass } from '@kubeloop/core';

/** The kubelet's view of a pod's runtime, the input of {@link computePodStatus}. */
export interface PodRuntimeView {
  /** The node's InternalIP. */
  readonly hostIP: string;
  /** The pod's IP, once its sandbox exists. */
  readonly podIP?: string | undefined;
  /** When the kubelet first admitted the pod (ms). */
  readonly startTime: number;
  /** Whether the sandbox (network, volumes) is ready: `PodReadyToStartContainers`. */
  readonly sandboxReady: boolean;
  /** Init container statuses, in spec order (absent entries are reported as unknown). */
  readonly initContainerStatuses: readonly ContainerStatus[];
  /** Container statuses, in spec order. */
  readonly containerStatuses: readonly ContainerStatus[];
  /** The pod will run nothing more (terminated after deletion, or done): phase is decided from exit codes. */
  readonly terminal: boolean;
  /** The kubelet failed the pod itself (e.g. `DeadlineExceeded`): phase `Failed` with this reason and message. */
  readonly failure?: { readonly reason: string; readonly message: string } | undefined;
}

/** The phases a pod may move to from each phase (upstream: never back from Succeeded or Failed). */
export const ALLOWED_PHASE_TRANSITIONS: Readonly<Record<PodPhase, readonly PodPhase[]>> = Object.freeze({
  Pending: ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'],
  Running: ['Running', 'Succeeded', 'Failed', 'Unknown'],
  Unknown: ['Unknown', 'Pending', 'Running', 'Succeeded', 'Failed'],
  Succeeded: ['Succeeded'],
  Failed: ['Failed'],
});

function isInitDone(s: ContainerStatus | undefined): boolean {
  if (s === undefined) return false;
  if (s.state?.terminated !== undefined) return s.state.terminated.exitCode === 0;
  if (s.state?.waiting !== undefined) return s.lastState?.terminated?.exitCode === 0;
  return false;
}

/** A sidecar (init container with `restartPolicy: Always`) counts as initialized once running and started. */
function isSidecarStarted(s: ContainerStatus | undefined): boolean {
  return s?.state?.running !== undefined && s.started === true;
}

function isInitFailed(s: ContainerStatus | undefined): boolean {
  if (s === undefined) return false;
  if (s.state?.terminated !== undefined) return s.state.terminated.exitCode !== 0;
  if (s.state?.waiting !== undefined) return s.lastState?.terminated !== undefined && s.lastState.terminated.exitCode !== 0;
  return false;
}

/**
 * The pod phase from its container statuses (upstream `getPhase`):
 * - an init container failed under restartPolicy Never → `Failed`;
 * - init containers not all done, or a container waiting for its first start → `Pending`;
 * - a container running → `Running`;
 * - all stopped: when `terminal`, `Succeeded` if all exited 0 else `Failed`; otherwise
 *   `Running` under Always (they restart), `Succeeded` if all exited 0, `Failed` under Never,
 *   `Running` under OnFailure (the failed ones restart).
 */
export function podPhase(pod: Pod, init: readonly ContainerStatus[], main: readonly ContainerStatus[], terminal: boolean): PodPhase {
  const policy = pod.spec.restartPolicy;
  const byName = (list: readonly ContainerStatus[], name: string): ContainerStatus | undefined => list.find((s) => s.name === name);
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  for (const c of pod.spec.initContainers ?? []) {
    const s = byName(init, c.name);
    if (c.restartPolicy === 'Always') {
      if (!isSidecarStarted(s)) pendingSidecars++;
      continue;
    }
    if (isInitDone(s)) continue;
    pendingInit++;
    if (isInitFailed(s)) failedInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of pod.spec.containers) {
    const s = byName(main, c.name);
    if (s?.state?.running !== undefined) running++;
    else if (s?.state?.terminated !== undefined) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s?.state?.waiting !== undefined) {
      if (s.lastState?.terminated !== undefined) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInit > 0 && (policy === 'Never' || terminal)) return 'Failed';
  if (pendingInit > 0 || (pendingSidecars > 0 && running === 0 && stopped === 0)) return terminal ? 'Failed' : 'Pending';
  if (waiting > 0) return terminal ? 'Failed' : 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(previous: readonly PodCondition[] | undefined, now: number, next: Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>): PodCondition {
  const old = previous?.find((c) => c.type === next.type);
  // Unchanged: the reported condition itself, so the new status shares it with the old one.
  if (old !== undefined && sameCondition(old, next)) return old;
  const lastTransitionTime = old !== undefined && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : formatTime(now);
  return { ...next, lastProbeTime: null, lastTransitionTime };
}

/**
 * Whether `old` is what {@link condition} would build from `next`: the same status, reason and
 * message, a transition time, a null probe time, and no other field.
 */
function sameCondition(old: PodCondition, next: Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>): boolean {
  if (old.status !== next.status || old.reason !== next.reason || old.message !== next.message || old.lastProbeTime !== null || !old.lastTransitionTime) return false;
  let keys = 0;
  for (const key in old) if ((old as Record<string, unknown>)[key] !== undefined) keys++;
  let expected = 2;
  for (const key in next) if ((next as Record<string, unknown>)[key] !== undefined) expected++;
  return keys === expected;
}

/** The conditions {@link computePodStatus} computes; the others of a pod are kept as they are. */
const OWNED_CONDITIONS: ReadonlySet<string> = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);
/** The order upstream's kubelet reports its conditions in (others after them). */
const CONDITION_ORDER: readonly string[] = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

/**
 * The status the kubelet should report for `pod`, given its runtime view, at `now`.
 *
 * Guarantees:
 * - pure; `lastTransitionTime` of a condition only moves when its status changes;
 * - the phase only moves along {@link ALLOWED_PHASE_TRANSITIONS}: never back from `Succeeded`
 *   or `Failed`, never from `Running` back to `Pending`; and it is not terminal while any
 *   container still runs (a sidecar being stopped), unless `view.terminal`;
 * - conditions `PodReadyToStartContainers`, `Initialized`, `ContainersReady`, `Ready` with
 *   upstream's reasons (`ContainersNotInitialized`, `ContainersNotReady`, `PodCompleted`,
 *   `ReadinessGatesNotReady`); `PodScheduled` and foreign conditions are kept as they are;
 * - `hostIP`, `podIP`, `startTime`, `qosClass` as upstream.
 */
export function computePodStatus(pod: Pod, view: PodRuntimeView, now: number): PodStatus {
  const previous = pod.status.conditions;
  const old = pod.status.phase;
  let phase = podPhase(pod, view.initContainerStatuses, view.containerStatuses, view.terminal);
  // Upstream reports no terminal phase while a container (e.g. a sidecar being stopped) still runs.
  const isRunning = (c: ContainerStatus): boolean => c.state?.running !== undefined;
  const anyRunning = view.initContainerStatuses.some(isRunning) || view.containerStatuses.some(isRunning);
  if ((phase === 'Succeeded' || phase === 'Failed') && !view.terminal && anyRunning && old !== 'Succeeded' && old !== 'Failed') phase = old === 'Unknown' ? 'Running' : old;
  if (view.failure !== undefined) phase = 'Failed';
  if (old === 'Succeeded' || old === 'Failed') phase = old;
  // A pod that ran does not go back to Pending (a restarting container counts as stopped, not waiting).
  if (old === 'Running' && phase === 'Pending') phase = 'Running';

  const initStatus = (name: string): ContainerStatus | undefined => view.initContainerStatuses.find((s) => s.name === name);
  const wasInitialized = previous?.find((c) => c.type === 'Initialized')?.status === 'True';
  const incompleteInit = wasInitialized
    ? [] // once initialized, a pod stays initialized (a sidecar restarting does not undo it)
    : (pod.spec.initContainers ?? []).filter((c) => !(c.restartPolicy === 'Always' ? isSidecarStarted(initStatus(c.name)) : isInitDone(initStatus(c.name)))).map((c) => c.name);
  const sidecars = (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  const unready = [
    ...sidecars.filter((c) => initStatus(c.name)?.ready !== true).map((c) => c.name),
    ...pod.spec.containers.filter((c) => view.containerStatuses.find((s) => s.name === c.name)?.ready !== true).map((c) => c.name),
  ];
  const completed = phase === 'Succeeded';

  const initialized =
    incompleteInit.length === 0 || (completed && incompleteInit.length === 0)
      ? condition(previous, now, { type: 'Initialized', status: 'True', ...(completed && (pod.spec.initContainers ?? []).length > 0 ? { reason: 'PodCompleted' } : {}) })
      : condition(previous, now, { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incompleteInit.join(' ')}]` });
  const containersReady =
    unready.length === 0 && !completed
      ? condition(previous, now, { type: 'ContainersReady', status: 'True' })
      : completed
        ? condition(previous, now, { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' })
        : condition(previous, now, { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` });
  const missingGates = (pod.spec.readinessGates ?? []).map((g) => g.conditionType).filter((t) => previous?.find((c) => c.type === t)?.status !== 'True');
  const ready =
    containersReady.status !== 'True'
      ? condition(previous, now, { type: 'Ready', status: 'False', reason: containersReady.reason ?? 'ContainersNotReady', ...(containersReady.message === undefined ? {} : { message: containersReady.message }) })
      : missingGates.length > 0
        ? condition(previous, now, { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: `corresponding condition of pod readiness gate "${missingGates[0]!}" does not exist.` })
        : condition(previous, now, { type: 'Ready', status: 'True' });
  const sandbox = condition(previous, now, { type: 'PodReadyToStartContainers', status: view.sandboxReady && !view.terminal ? 'True' : 'False' });

  const others = (previous ?? []).filter((c) => !OWNED_CONDITIONS.has(c.type));
  const scheduled = others.some((c) => c.type === 'PodScheduled') ? [] : [condition(previous, now, { type: 'PodScheduled', status: 'True' })];
  const conditions = [...scheduled, ...others, sandbox, initialized, containersReady, ready];
  conditions.sort((a, b) => rank(CONDITION_ORDER, a.type) - rank(CONDITION_ORDER, b.type));

  const status: PodStatus = {
    ...pod.status,
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    startTime: pod.status.startTime ?? formatTime(view.startTime),
    containerStatuses: [...view.containerStatuses],
    qosClass: podQOSClass(pod.spec),
  };
  if (view.failure !== undefined && phase === 'Failed') {
    status.reason = view.failure.reason;
    status.message = view.failure.message;
  }
  if (view.podIP !== undefined) {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  }
  if ((pod.spec.initContainers ?? []).length > 0) status.initContainerStatuses = [...view.initContainerStatuses];
  return status;
}

function rank(order: readonly string[], type: string): number {
  const i = order.indexOf(type);
  return i < 0 ? order.length : i;
}

/**
 * Whether `status` differs from what `pod` already reports (the kubelet writes only then); key
 * order and undefined members never count as a change.
 */
export function statusChanged(pod: Pod, status: PodStatus): boolean {
  return !deepEqual(pod.status, status);
}
