/**
 * The kubelet's per-pod decisions, driven with plain arrays of inputs: each table row is a
 * sequence of inputs and the actions the kubelet must run, as upstream's `HandlePodAdditions`
 * (admission), `syncPod` (status), and `syncTerminatedPod` / the status manager's final delete.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Node, Pod } from '@kubeloop/core';
import { VIRTUAL_EPOCH_MS, formatTime } from '@kubeloop/core';
import type { AdmissionContext } from './admission.js';
import type { PodSyncAction, PodSyncInput, PodSyncState } from './pod-sync.js';
import { initialPodSyncState, podSyncStep, podsDifferSemantically } from './pod-sync.js';
import type { PodRuntimeView } from './status.js';

const T0 = VIRTUAL_EPOCH_MS;

function pod(extra: { spec?: Partial<Pod['spec']>; status?: Partial<Pod['status']>; deletionTimestamp?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', ...(extra.deletionTimestamp === undefined ? {} : { deletionTimestamp: extra.deletionTimestamp }) },
    spec: { nodeName: 'node-1', restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'nginx:1.25', resources: { requests: { cpu: '600m' } } }], ...extra.spec },
    status: { phase: 'Pending', ...extra.status },
  } as unknown as Pod;
}

const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: {} }, spec: {}, status: {} } as unknown as Node;
const context = (usedCpu = 0): AdmissionContext => ({ node, allocatable: { cpu: 1000, memory: 2 ** 34, pods: 110 }, used: { cpu: usedCpu, memory: 0, pods: usedCpu > 0 ? 1 : 0 }, usedPorts: [] });

const waiting = (reason: string): ContainerStatus => ({ name: 'app', image: 'nginx:1.25', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason } }, lastState: {} });
const running = (at: number): ContainerStatus => ({ name: 'app', image: 'nginx:1.25', imageID: 'docker.io/library/nginx@sha256:1', containerID: 'containerd://1', ready: true, started: true, restartCount: 0, state: { running: { startedAt: formatTime(at) } }, lastState: {} });
const exited = (at: number, exitCode: number): ContainerStatus => ({ name: 'app', image: 'nginx:1.25', imageID: 'docker.io/library/nginx@sha256:1', containerID: 'containerd://1', ready: false, started: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: formatTime(T0), finishedAt: formatTime(at) } }, lastState: {} });

function view(containerStatuses: ContainerStatus[], extra: Partial<PodRuntimeView> = {}): PodRuntimeView {
  return { hostIP: '172.18.0.2', podIP: '10.1.0.2', startTime: T0, sandboxReady: true, initContainerStatuses: [], containerStatuses, terminal: false, ...extra };
}

function advanced(p: Pod, v: PodRuntimeView, now: number, nextDeadline?: number, latest: Pod | undefined = p): PodSyncInput {
  return { type: 'Advanced', pod: p, latest, view: v, events: [], nextDeadline, now };
}

/** Feeds `inputs` in order; returns every action and the final state. */
function run(inputs: readonly PodSyncInput[], state: PodSyncState = initialPodSyncState): { actions: PodSyncAction[]; state: PodSyncState } {
  const actions: PodSyncAction[] = [];
  for (const input of inputs) {
    const [out, next] = podSyncStep(state, input);
    actions.push(...out);
    state = next;
  }
  return { actions, state };
}

/** The actions by type, with the detail that matters for a table. */
function summary(actions: readonly PodSyncAction[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'RecordEvent':
        return `RecordEvent ${a.event.type} ${a.event.reason}`;
      case 'WriteStatus':
        return `WriteStatus ${a.status.phase ?? ''}${a.status.reason === undefined ? '' : ` ${a.status.reason}`}`;
      case 'RequeueAt':
        return `RequeueAt +${a.at - T0}`;
      case 'Advance':
        return `Advance${a.input.deletionDeadline === undefined ? '' : ` deleting@+${a.input.deletionDeadline - T0}`}${a.input.terminalPhase === true ? ' terminal-phase' : ''}${a.input.volumes.ok ? '' : ' volumes-missing'}`;
      default:
        return a.type;
    }
  });
}

describe('podSyncStep', () => {
  const p = pod();
  const deleting = pod({ deletionTimestamp: formatTime(T0 + 30_000), status: { phase: 'Running' } });

  it.each<[string, PodSyncInput[], string[], PodSyncState['phase']]>([
    [
      'a pod bound to the node: admitted, volumes checked, advanced; the pull is under way: status Pending, requeued at the pull end',
      [{ type: 'Sync', pod: p }, { type: 'NodeRead', pod: p, context: context() }, { type: 'WorkerStarted', pod: p }, { type: 'VolumesChecked', pod: p, volumes: { ok: true } }, advanced(p, view([waiting('ContainerCreating')]), T0, T0 + 4000)],
      ['ReadNode', 'StartWorker', 'CheckVolumes', 'Advance', 'WriteStatus Pending', 'RequeueAt +4000'],
      'Admitted',
    ],
    [
      'a pod that does not fit: OutOfcpu, a Warning event and phase Failed, and nothing more',
      [{ type: 'Sync', pod: p }, { type: 'NodeRead', pod: p, context: context(600) }, { type: 'Sync', pod: p }],
      ['ReadNode', 'RecordEvent Warning OutOfcpu', 'WriteStatus Failed OutOfcpu'],
      'Refused',
    ],
    [
      'a pod whose containers cannot be created (bad behavior annotation): FailedCreatePodContainer, never run',
      [{ type: 'Sync', pod: p }, { type: 'NodeRead', pod: p, context: context() }, { type: 'WorkerFailed', pod: p, message: 'bad' }, { type: 'Sync', pod: p }],
      ['ReadNode', 'StartWorker', 'RecordEvent Warning FailedCreatePodContainer'],
      'Refused',
    ],
    [
      'a pod that finished before the kubelet knew it (state lost): never run again, its deletion confirmed',
      [{ type: 'Sync', pod: pod({ status: { phase: 'Succeeded' } }) }, { type: 'Sync', pod: pod({ status: { phase: 'Succeeded' }, deletionTimestamp: formatTime(T0) }) }],
      ['ConfirmDelete'],
      'Unadmitted',
    ],
    [
      'a rejected (Failed) pod being deleted: its deletion is confirmed',
      [{ type: 'Sync', pod: p }, { type: 'NodeRead', pod: p, context: context(600) }, { type: 'Sync', pod: pod({ status: { phase: 'Failed' }, deletionTimestamp: formatTime(T0) }) }],
      ['ReadNode', 'RecordEvent Warning OutOfcpu', 'WriteStatus Failed OutOfcpu', 'ConfirmDelete'],
      'Refused',
    ],
    [
      'an input of another phase (a late node read) is ignored',
      [{ type: 'NodeRead', pod: p, context: context() }, { type: 'VolumesChecked', pod: p, volumes: { ok: true } }],
      [],
      'Unadmitted',
    ],
  ])('%s', (_name, inputs, expected, phase) => {
    const { actions, state } = run(inputs);
    expect(summary(actions)).toEqual(expected);
    expect(state.phase).toBe(phase);
  });

  it('keeps checking volumes until the sandbox is ready, then no more', () => {
    const admitted: PodSyncState = { phase: 'Admitted', sandboxReady: false };
    const missing = { ok: false as const, message: 'MountVolume.SetUp failed for volume "config" : configmap "settings" not found' };
    let r = run([{ type: 'Sync', pod: p }, { type: 'VolumesChecked', pod: p, volumes: missing }, advanced(p, view([waiting('ContainerCreating')], { sandboxReady: false, podIP: undefined }), T0, T0 + 500)], admitted);
    expect(summary(r.actions)).toEqual(['CheckVolumes', 'Advance volumes-missing', 'WriteStatus Pending', 'RequeueAt +500']);
    r = run([advanced(p, view([waiting('ContainerCreating')]), T0 + 500, T0 + 4000), { type: 'Sync', pod: p }], r.state);
    expect(summary(r.actions)).toEqual(['WriteStatus Pending', 'RequeueAt +4000', 'Advance']);
    expect(r.state).toEqual({ phase: 'Admitted', sandboxReady: true });
  });

  it('writes the status only when it changed (no write storms), and still requeues at the next deadline', () => {
    const admitted: PodSyncState = { phase: 'Admitted', sandboxReady: true };
    const [first] = podSyncStep(admitted, advanced(p, view([running(T0 + 4000)]), T0 + 4000, T0 + 14_000));
    const write = first.find((a) => a.type === 'WriteStatus');
    expect(write?.type === 'WriteStatus' ? write.status.phase : undefined).toBe('Running');
    const stored = { ...p, status: write?.type === 'WriteStatus' ? write.status : p.status };
    const [again] = podSyncStep(admitted, advanced(stored, view([running(T0 + 4000)]), T0 + 14_000, T0 + 24_000));
    expect(summary(again)).toEqual(['RequeueAt +24000']);
  });

  it('deletes gracefully: advances with the deletionTimestamp as deadline, writes the final status once the containers stopped, then confirms the deletion', () => {
    const admitted: PodSyncState = { phase: 'Admitted', sandboxReady: true };
    const stopping = { type: 'Advanced' as const, pod: deleting, latest: deleting, view: view([running(T0)]), events: [{ type: 'Normal' as const, reason: 'Killing', message: 'Stopping container app' }], nextDeadline: T0 + 5000, now: T0 };
    const done = advanced(deleting, view([exited(T0 + 5000, 0)], { terminal: true }), T0 + 5000);
    const r = run([{ type: 'Sync', pod: deleting }, stopping, { type: 'Sync', pod: deleting }, done], admitted);
    expect(summary(r.actions)).toEqual(['Advance deleting@+30000', 'RecordEvent Normal Killing', 'WriteStatus Running', 'RequeueAt +5000', 'Advance deleting@+30000', 'ReleaseIP', 'WriteStatus Succeeded', 'ConfirmDelete']);
  });

  it('stops the containers of a pod someone else marked Failed, keeps that phase, and confirms no deletion (none was asked)', () => {
    const admitted: PodSyncState = { phase: 'Admitted', sandboxReady: true };
    const evicted = pod({ status: { phase: 'Failed', reason: 'Evicted' } });
    const done = advanced(evicted, view([exited(T0 + 5000, 137)], { terminal: true }), T0 + 5000);
    const r = run([{ type: 'Sync', pod: evicted }, done], admitted);
    expect(summary(r.actions)).toEqual(['Advance terminal-phase', 'ReleaseIP', 'WriteStatus Failed Evicted']);
  });

  it('records the events but writes nothing for a pod that left the node during the sync', () => {
    const admitted: PodSyncState = { phase: 'Admitted', sandboxReady: true };
    const recreated = { ...p, metadata: { ...p.metadata, uid: 'uid-2' } };
    for (const latest of [undefined, recreated]) {
      const [actions] = podSyncStep(admitted, { type: 'Advanced', pod: p, latest, view: view([running(T0)]), events: [{ type: 'Normal', reason: 'Started', message: 'Started container app' }], nextDeadline: T0 + 1000, now: T0 });
      expect(summary(actions)).toEqual(['RecordEvent Normal Started']);
    }
  });
});

describe('podsDifferSemantically (what makes an update sync the pod)', () => {
  const base = pod();
  it.each<[string, Pod, boolean]>([
    ['a status change only', { ...base, status: { phase: 'Running' } }, false],
    ['a new resourceVersion', { ...base, metadata: { ...base.metadata, resourceVersion: '42' } }, false],
    ['an equal copy of the spec', { ...base, spec: structuredClone(base.spec) }, false],
    ['a spec change', pod({ spec: { activeDeadlineSeconds: 5 } }), true],
    ['a label', { ...base, metadata: { ...base.metadata, labels: { app: 'web' } } }, true],
    ['an annotation', { ...base, metadata: { ...base.metadata, annotations: { note: 'x' } } }, true],
    ['a deletion', pod({ deletionTimestamp: formatTime(T0) }), true],
    ['a new grace period', { ...base, metadata: { ...base.metadata, deletionGracePeriodSeconds: 0 } }, true],
  ])('%s: %s', (_what, other, differs) => {
    expect(podsDifferSemantically(base, other)).toBe(differs);
  });
});
