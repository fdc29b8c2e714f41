/**
 * The kubelet's decisions about one pod, as a pure state machine (the house pattern of core's
 * `informer/watcher.ts`): {@link podSyncStep} `(state, input) → [actions, state]`. The kubelet
 * (the orchestrator) runs the actions — reads the Node, starts the pod worker, checks volumes,
 * advances the worker, writes status and events, confirms a deletion, requeues — and feeds
 * what came back into the next step. Tests drive it with plain arrays.
 *
 * One sync of a pod, as upstream's `syncPod` / `HandlePodAdditions`:
 *
 * ```
 *             Sync                NodeRead: fits           WorkerStarted
 *   Unadmitted ─────▶ Admitting ──────────────▶ Admitted ─────────────────┐
 *       │               │  NodeRead: rejected     │ ▲  Sync                 ▼
 *       │ Sync:         ▼  (event, Failed)        │ │  CheckVolumes ─▶ VolumesChecked
 *       │ finished    Refused ◀── WorkerFailed ───┘ │                        │
 *       ▼ (confirm deletion only)                   │  Advance ◀──────────────┘
 *      (no state change)                            └── Advanced: events, status if changed,
 *                                                       then confirm deletion or requeue
 * ```
 *
 * @module
 */
import type { Pod, PodStatus } from '@kubeloop/core';
import { deepEqual, parseTime } from '@kubeloop/core';
import type { AdmissionContext } from './admission.js';
import { admissionRejection, rejectionEventMessage } from './admission.js';
import type { PodRuntimeView } from './status.js';
import { computePodStatus, statusChanged } from './status.js';
import type { PodEvent, WorkerInput } from './worker.js';

/**
 * What the kubelet knows of one pod (one uid) between syncs:
 *
 * - `Unadmitted`: not judged yet (or a judgement was interrupted).
 * - `Admitting`: the Node is being read to judge the pod.
 * - `Refused`: rejected at admission, or its containers cannot be created (a malformed behavior
 *   annotation): this kubelet never runs it.
 * - `Admitted`: a pod worker runs it; `sandboxReady` says whether its volumes were mounted
 *   (then they are not checked again).
 */
export type PodSyncState =
  | { readonly phase: 'Unadmitted' }
  | { readonly phase: 'Admitting' }
  | { readonly phase: 'Refused' }
  | { readonly phase: 'Admitted'; readonly sandboxReady: boolean };

/**
 * What happened, as fed to {@link podSyncStep}:
 *
 * - `Sync`: the pod's key came out of the kubelet's queue; `pod` is the cached pod bound to
 *   this node.
 * - `NodeRead`: the Node was read for admission; `context` is what admission judges on.
 * - `WorkerStarted` / `WorkerFailed`: the pod worker was built, or building it failed (`message`).
 * - `VolumesChecked`: whether every volume can be mounted.
 * - `Advanced`: the worker advanced to `now`: its runtime `view`, the `events` it produced,
 *   when it next has something to do (`nextDeadline`), and `latest`, the pod as cached now
 *   (undefined, or another uid, when it left the node meanwhile).
 */
export type PodSyncInput =
  | { readonly type: 'Sync'; readonly pod: Pod }
  | { readonly type: 'NodeRead'; readonly pod: Pod; readonly context: AdmissionContext }
  | { readonly type: 'WorkerStarted'; readonly pod: Pod }
  | { readonly type: 'WorkerFailed'; readonly pod: Pod; readonly message: string }
  | { readonly type: 'VolumesChecked'; readonly pod: Pod; readonly volumes: WorkerInput['volumes'] }
  | {
      readonly type: 'Advanced';
      readonly pod: Pod;
      readonly latest: Pod | undefined;
      readonly view: PodRuntimeView;
      readonly events: readonly PodEvent[];
      readonly nextDeadline: number | undefined;
      readonly now: number;
    };

/**
 * What {@link podSyncStep} asks the kubelet to do, in order. The actions marked "→" produce
 * the next input; at most one of them is asked for per step, and it comes last.
 *
 * - `ReadNode` → `NodeRead`: read the Node as the API server has it now, and what the pods
 *   admitted here use.
 * - `StartWorker` → `WorkerStarted` / `WorkerFailed`: build the pod's worker.
 * - `CheckVolumes` → `VolumesChecked`: look for the ConfigMaps, Secrets and claims it mounts.
 * - `Advance` → `Advanced`: advance the worker to now with this input.
 * - `RecordEvent`: record an event on `pod`.
 * - `WriteStatus`: write `status` (the kubelet stops this sync if the pod is gone).
 * - `ReleaseIP`: the pod will run nothing more: free its IP.
 * - `ConfirmDelete`: delete the pod with grace period 0 (its containers are all stopped).
 * - `RequeueAt`: sync the pod again at `at` (ms), unless something syncs it earlier.
 */
export type PodSyncAction =
  | { readonly type: 'ReadNode' }
  | { readonly type: 'StartWorker' }
  | { readonly type: 'CheckVolumes' }
  | { readonly type: 'Advance'; readonly input: WorkerInput }
  | { readonly type: 'RecordEvent'; readonly pod: Pod; readonly event: PodEvent }
  | { readonly type: 'WriteStatus'; readonly pod: Pod; readonly status: PodStatus }
  | { readonly type: 'ReleaseIP' }
  | { readonly type: 'ConfirmDelete'; readonly pod: Pod }
  | { readonly type: 'RequeueAt'; readonly at: number };

/** The state of a pod the kubelet has not seen before. */
export const initialPodSyncState: PodSyncState = Object.freeze({ phase: 'Unadmitted' });

/** When the pod must be gone by (its `deletionTimestamp`, ms), if it is being deleted. */
export function deletionDeadline(pod: Pod): number | undefined {
  return pod.metadata.deletionTimestamp === undefined ? undefined : parseTime(pod.metadata.deletionTimestamp);
}

/**
 * Whether two versions of a pod differ in what the kubelet runs it by (upstream
 * `podsDifferSemantically`): spec, labels, annotations, deletion timestamp and grace period.
 * Status, resourceVersion and managed fields do not count. Unchanged parts are usually the same
 * object in both versions (a status write keeps them), which `deepEqual` answers at once.
 */
export function podsDifferSemantically(a: Pod, b: Pod): boolean {
  return (
    a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp ||
    a.metadata.deletionGracePeriodSeconds !== b.metadata.deletionGracePeriodSeconds ||
    !deepEqual(a.spec, b.spec) ||
    !deepEqual(a.metadata.labels, b.metadata.labels) ||
    !deepEqual(a.metadata.annotations, b.metadata.annotations)
  );
}

function isFinished(pod: Pod): boolean {
  return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
}

// States and inputs most pods share (a kubelet keeps one of each per pod).
const ADMITTED: Readonly<Record<'true' | 'false', PodSyncState>> = Object.freeze({ true: Object.freeze({ phase: 'Admitted', sandboxReady: true }), false: Object.freeze({ phase: 'Admitted', sandboxReady: false }) });
const VOLUMES_OK: WorkerInput['volumes'] = Object.freeze({ ok: true });
const RUN: WorkerInput = Object.freeze({ deletionDeadline: undefined, volumes: VOLUMES_OK });

function admitted(sandboxReady: boolean): PodSyncState {
  return ADMITTED[sandboxReady ? 'true' : 'false'];
}

/**
 * The next step of an admitted pod: mount its volumes first, unless they are or it is going
 * away (being deleted, or its phase in the API is terminal: then its containers are stopped).
 */
function syncAdmitted(pod: Pod, sandboxReady: boolean): PodSyncAction {
  const deadline = deletionDeadline(pod);
  if (isFinished(pod)) return { type: 'Advance', input: { deletionDeadline: deadline, volumes: VOLUMES_OK, terminalPhase: true } };
  if (deadline === undefined && sandboxReady) return { type: 'Advance', input: RUN };
  if (sandboxReady || deadline !== undefined) return { type: 'Advance', input: { deletionDeadline: deadline, volumes: VOLUMES_OK } };
  return { type: 'CheckVolumes' };
}

/**
 * Advances the kubelet's view of one pod by one input. Pure: same state and input, same result.
 *
 * Transitions:
 * - `Unadmitted` / `Admitting` + `Sync`: a pod already `Succeeded` or `Failed` (finished before
 *   this kubelet knew it, e.g. its state was lost) is never run again: only its deletion is
 *   confirmed, if it is being deleted. Otherwise → `Admitting`, `ReadNode`.
 * - `Admitting` + `NodeRead`: rejected by `admissionRejection` → `Refused`, a `Warning` event
 *   with upstream's reason and message, and status `Failed` with the same; else `StartWorker`.
 * - `Admitting` + `WorkerStarted` → `Admitted`, then as a `Sync` of an admitted pod.
 *   `WorkerFailed` → `Refused` with a `FailedCreatePodContainer` warning.
 * - `Admitted` + `Sync`: `CheckVolumes` until the sandbox is ready, else (or once the pod is
 *   being deleted) `Advance`. `VolumesChecked` → `Advance`. A pod whose phase in the API is
 *   `Succeeded` or `Failed` is advanced with `terminalPhase`: its containers are stopped, even
 *   when that phase was written by someone else (upstream's pod worker tears it down).
 * - `Admitted` + `Advanced`: the worker's events; nothing more if the pod left meanwhile; else
 *   `ReleaseIP` once terminal, `WriteStatus` when the status computed by `computePodStatus`
 *   differs from the stored one, then `ConfirmDelete` when it is being deleted and terminal,
 *   else `RequeueAt` the worker's next deadline.
 * - `Refused` + `Sync`: nothing (a refused pod stays refused), except that the deletion of a
 *   finished (rejected, so `Failed`) pod is confirmed.
 *
 * Guarantees: an input that does not belong to the current phase is ignored (`[[], state]`).
 *
 * @example
 * ```ts
 * podSyncStep(initialPodSyncState, { type: 'Sync', pod }); // [[{ type: 'ReadNode' }], { phase: 'Admitting' }]
 * ```
 */
export function podSyncStep(state: PodSyncState, input: PodSyncInput): [readonly PodSyncAction[], PodSyncState] {
  switch (state.phase) {
    case 'Unadmitted':
    case 'Admitting':
      switch (input.type) {
        case 'Sync':
          if (isFinished(input.pod)) return [input.pod.metadata.deletionTimestamp === undefined ? [] : [{ type: 'ConfirmDelete', pod: input.pod }], initialPodSyncState];
          return [[{ type: 'ReadNode' }], { phase: 'Admitting' }];
        case 'NodeRead': {
          if (state.phase !== 'Admitting') return [[], state];
          const rejection = admissionRejection(input.pod, input.context);
          if (rejection === undefined) return [[{ type: 'StartWorker' }], state];
          const { pod } = input;
          return [
            [
              { type: 'RecordEvent', pod, event: { type: 'Warning', reason: rejection.reason, message: rejectionEventMessage(rejection) } },
              { type: 'WriteStatus', pod, status: { ...pod.status, phase: 'Failed', reason: rejection.reason, message: rejection.message } },
            ],
            { phase: 'Refused' },
          ];
        }
        case 'WorkerStarted':
          if (state.phase !== 'Admitting') return [[], state];
          return [[syncAdmitted(input.pod, false)], admitted(false)];
        case 'WorkerFailed':
          if (state.phase !== 'Admitting') return [[], state];
          return [[{ type: 'RecordEvent', pod: input.pod, event: { type: 'Warning', reason: 'FailedCreatePodContainer', message: input.message } }], { phase: 'Refused' }];
        default:
          return [[], state];
      }

    case 'Refused':
      // A pod refused at admission is Failed: its deletion is still confirmed.
      if (input.type === 'Sync' && isFinished(input.pod) && input.pod.metadata.deletionTimestamp !== undefined) return [[{ type: 'ConfirmDelete', pod: input.pod }], state];
      return [[], state];

    case 'Admitted':
      switch (input.type) {
        case 'Sync':
          return [[syncAdmitted(input.pod, state.sandboxReady)], state];
        case 'VolumesChecked':
          return [[{ type: 'Advance', input: input.volumes.ok && deletionDeadline(input.pod) === undefined ? RUN : { deletionDeadline: deletionDeadline(input.pod), volumes: input.volumes } }], state];
        case 'Advanced': {
          const { pod, latest, view } = input;
          const next: PodSyncState = view.sandboxReady === state.sandboxReady ? state : admitted(view.sandboxReady);
          const actions: PodSyncAction[] = input.events.map((event) => ({ type: 'RecordEvent', pod: latest ?? pod, event }));
          if (latest === undefined || latest.metadata.uid !== pod.metadata.uid) return [actions, next];
          if (view.terminal) actions.push({ type: 'ReleaseIP' });
          const status = computePodStatus(latest, view, input.now);
          if (statusChanged(latest, status)) actions.push({ type: 'WriteStatus', pod: latest, status });
          if (deletionDeadline(pod) !== undefined && view.terminal) actions.push({ type: 'ConfirmDelete', pod: latest });
          else if (input.nextDeadline !== undefined) actions.push({ type: 'RequeueAt', at: input.nextDeadline });
          return [actions, next];
        }
        default:
          return [[], state];
      }
  }
}
