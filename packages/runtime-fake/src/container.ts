/**
 * One container of a pod on a node, as a pure state machine: {@link containerStep}
 * `(state, input) → [actions, state]`, driven by the pod worker. The worker asks the runtime
 * what the actions ask (ensure the image, run the container, remove the previous instance) and
 * feeds the answers back; tests drive it with plain arrays.
 *
 * ```
 *        Drive           Image: present ──────────────▶ Run ─ Launched ─▶ running
 *   new ───────▶ EnsureImage ─ Image: pulling ─▶ pulling ─ Drive ≥ readyAt ─▶ Run
 *                             ─ Image: never-pull ─▶ never-pull (Drive: ask again)
 *                             ─ Image: invalid ─▶ invalid-image (for good)
 *   running ─ Exited ─▶ exited ─ Drive, restart: back-off over ─▶ new instance (EnsureImage)
 *                              ─ Drive, restart: backing off ─▶ backoff ─ Drive ≥ until ─▶ …
 * ```
 *
 * @module
 */
import type { BackoffEntry } from './backoff.js';
import { backoffStep } from './backoff.js';
import { formatDuration } from './duration.js';
import type { ProbeKind, ProbeState } from './probe.js';
import type { ContainerExit, ImageAvailability, RuntimeContainer } from './runtime.js';
import type { PodEvent } from './worker.js';

/**
 * Where one container instance is:
 *
 * - `new`: to be created (first start, or a restart whose back-off is over);
 * - `never-pull`: its image is missing and its pull policy is `Never` (`ErrImageNeverPull`);
 * - `invalid-image`: its image reference does not parse (`InvalidImageName`): it never starts;
 * - `config-error`: its environment names a ConfigMap, Secret or key that is missing
 *   (`CreateContainerConfigError`): it is created again at each drive;
 * - `pulling`: its image is being pulled until `readyAt`; this container asked at `startedAt`;
 * - `running`: started; `probes` are its probes' states, `killedByProbe` says a failed
 *   liveness or startup probe is stopping it;
 * - `exited`: it ended with `exit`;
 * - `backoff`: it ended and waits until `until` to restart (`CrashLoopBackOff`, `delayMs`).
 */
export type ContainerPhase =
  | { readonly kind: 'new' }
  | { readonly kind: 'never-pull'; readonly message: string }
  | { readonly kind: 'invalid-image'; readonly message: string }
  | { readonly kind: 'config-error'; readonly message: string }
  | { readonly kind: 'pulling'; readonly readyAt: number; readonly startedAt: number; readonly sizeBytes: number }
  | { readonly kind: 'running'; readonly container: RuntimeContainer; readonly probes: Readonly<Partial<Record<ProbeKind, ProbeState>>>; readonly killedByProbe: boolean }
  | { readonly kind: 'exited'; readonly container: RuntimeContainer; readonly exit: ContainerExit; readonly killedByProbe: boolean }
  | { readonly kind: 'backoff'; readonly container: RuntimeContainer; readonly exit: ContainerExit; readonly killedByProbe: boolean; readonly until: number; readonly delayMs: number };

/**
 * One container of a pod across its restarts.
 *
 * Invariants: `restartCount` counts the starts after the first; `lastTerminated` is the
 * previous instance (the runtime still has it, for its logs), absent before the first restart.
 */
export interface ContainerMachineState {
  /** The container's name in the pod. */
  readonly name: string;
  /** Its image, as written in the pod. */
  readonly image: string;
  /** The pod as events name it: `name_namespace(uid)`. */
  readonly podRef: string;
  /** The current instance. */
  readonly phase: ContainerPhase;
  /** Starts after the first. */
  readonly restartCount: number;
  /** The previous instance and how it ended. */
  readonly lastTerminated: { readonly container: RuntimeContainer; readonly exit: ContainerExit } | undefined;
  /** The restart back-off entry (CrashLoopBackOff). */
  readonly backoff: BackoffEntry | undefined;
}

/**
 * What happened, as fed to {@link containerStep}:
 *
 * - `Drive`: move the container along at `t`; `restart` says whether an exited instance should
 *   restart (the pod's restart policy, or a sidecar while the containers run).
 * - `Image`: the runtime's answer to `EnsureImage` at `t`, and the image's size in bytes.
 * - `Launched`: the runtime's answer to `Run`: the started instance and its probes' first states.
 * - `ConfigError`: the answer to `Run` when the container's environment cannot be built (a
 *   missing ConfigMap, Secret or key): why, as upstream words it.
 * - `Exited`: the running instance ended.
 */
export type ContainerMachineInput =
  | { readonly type: 'Drive'; readonly t: number; readonly restart: boolean }
  | { readonly type: 'Image'; readonly t: number; readonly availability: ImageAvailability; readonly sizeBytes: number }
  | { readonly type: 'Launched'; readonly container: RuntimeContainer; readonly probes: Readonly<Partial<Record<ProbeKind, ProbeState>>> }
  | { readonly type: 'ConfigError'; readonly message: string }
  | { readonly type: 'Exited'; readonly exit: ContainerExit };

/**
 * What {@link containerStep} asks the pod worker to do, in order:
 *
 * - `Emit`: record an event on the pod;
 * - `Remove`: remove an old instance from the runtime;
 * - `EnsureImage` → `Image`: ask the runtime for the image under the container's pull policy;
 * - `Run` → `Launched`: create and start an instance (or `ConfigError`: its environment cannot
 *   be built).
 *
 * At most one of `EnsureImage` and `Run` is asked for per step, and it comes last.
 */
export type ContainerMachineAction =
  | { readonly type: 'Emit'; readonly event: PodEvent }
  | { readonly type: 'Remove'; readonly id: string }
  | { readonly type: 'EnsureImage' }
  | { readonly type: 'Run' };

/** A container not yet created. */
export function initialContainerState(name: string, image: string, podRef: string): ContainerMachineState {
  return { name, image, podRef, phase: { kind: 'new' }, restartCount: 0, lastTerminated: undefined, backoff: undefined };
}

function pulled(state: ContainerMachineState, phase: Extract<ContainerPhase, { kind: 'pulling' }>): ContainerMachineAction[] {
  const took = formatDuration(phase.readyAt - phase.startedAt);
  return [{ type: 'Emit', event: { type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${state.image}" in ${took} (${took} including waiting). Image size: ${phase.sizeBytes} bytes.` } }, { type: 'Run' }];
}

/**
 * Advances one container by one input. Pure: same state and input, same result; a step that
 * changes nothing returns the very same state object.
 *
 * Transitions (upstream `SyncPod` → `startContainer`, `EnsureImageExists`, `doBackOff`):
 * - `new` / `never-pull` + `Drive` → `EnsureImage`.
 * - + `Image` `never-pull` → `never-pull` with an `ErrImageNeverPull` warning (once);
 *   `invalid` → `invalid-image` with an `InspectFailed` warning, for good;
 *   `pulling` → `Pulling`, then at once `Pulled` and `Run` if the image is already there;
 *   `present` → `Pulled` ("already present on machine") and `Run`.
 * - `pulling` + `Drive` at or after `readyAt` → `Pulled`, `Run`.
 * - + `Launched` → `running` with `Created` and `Started`; + `ConfigError` → `config-error`
 *   with a `Failed` warning (`Error: <why>`, once per reason); `config-error` + `Drive` → `Run`.
 * - `running` + `Exited` → `exited`.
 * - `exited` / `backoff` + `Drive` with `restart`: while backing off (see `backoffStep`) →
 *   `backoff` with a `BackOff` warning on entering it; else a new instance: `restartCount` + 1,
 *   the previous `lastTerminated` removed, `EnsureImage`. Without `restart`: nothing.
 */
export function containerStep(state: ContainerMachineState, input: ContainerMachineInput): [readonly ContainerMachineAction[], ContainerMachineState] {
  const phase = state.phase;
  switch (input.type) {
    case 'Drive':
      switch (phase.kind) {
        case 'new':
        case 'never-pull':
          return [[{ type: 'EnsureImage' }], state];
        case 'pulling':
          return phase.readyAt > input.t ? [[], state] : [pulled(state, phase), state];
        case 'running':
        case 'invalid-image':
          return [[], state];
        case 'config-error':
          return [[{ type: 'Run' }], state];
        case 'exited':
        case 'backoff': {
          if (!input.restart || (phase.kind === 'backoff' && phase.until > input.t)) return [[], state];
          const decision = backoffStep(state.backoff, phase.exit.at, input.t);
          if (decision.kind === 'wait') {
            if (phase.kind === 'backoff') return [[], state];
            const event: PodEvent = { type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${state.name} in pod ${state.podRef}` };
            return [[{ type: 'Emit', event }], { ...state, phase: { kind: 'backoff', container: phase.container, exit: phase.exit, killedByProbe: phase.killedByProbe, until: decision.until, delayMs: decision.delayMs } }];
          }
          const actions: ContainerMachineAction[] = state.lastTerminated === undefined ? [] : [{ type: 'Remove', id: state.lastTerminated.container.id }];
          actions.push({ type: 'EnsureImage' });
          return [actions, { ...state, phase: { kind: 'new' }, backoff: decision.entry, lastTerminated: { container: phase.container, exit: phase.exit }, restartCount: state.restartCount + 1 }];
        }
      }
      return [[], state];
    case 'Image': {
      if (phase.kind !== 'new' && phase.kind !== 'never-pull') return [[], state];
      const got = input.availability;
      switch (got.kind) {
        case 'never-pull': {
          if (phase.kind === 'never-pull') return [[], state];
          const message = `Container image "${state.image}" is not present with pull policy of Never`;
          return [[{ type: 'Emit', event: { type: 'Warning', reason: 'ErrImageNeverPull', message } }], { ...state, phase: { kind: 'never-pull', message } }];
        }
        case 'invalid':
          return [[{ type: 'Emit', event: { type: 'Warning', reason: 'InspectFailed', message: got.message } }], { ...state, phase: { kind: 'invalid-image', message: got.message } }];
        case 'pulling': {
          const pulling = { kind: 'pulling', readyAt: got.readyAt, startedAt: input.t, sizeBytes: input.sizeBytes } as const;
          const actions: ContainerMachineAction[] = [{ type: 'Emit', event: { type: 'Normal', reason: 'Pulling', message: `Pulling image "${state.image}"` } }];
          if (got.readyAt <= input.t) actions.push(...pulled(state, pulling));
          return [actions, { ...state, phase: pulling }];
        }
        case 'present':
          return [[{ type: 'Emit', event: { type: 'Normal', reason: 'Pulled', message: `Container image "${state.image}" already present on machine` } }, { type: 'Run' }], state];
      }
      return [[], state];
    }
    case 'ConfigError':
      if (phase.kind === 'config-error' && phase.message === input.message) return [[], state];
      return [[{ type: 'Emit', event: { type: 'Warning', reason: 'Failed', message: `Error: ${input.message}` } }], { ...state, phase: { kind: 'config-error', message: input.message } }];
    case 'Launched':
      return [
        [
          { type: 'Emit', event: { type: 'Normal', reason: 'Created', message: `Created container: ${state.name}` } },
          { type: 'Emit', event: { type: 'Normal', reason: 'Started', message: `Started container ${state.name}` } },
        ],
        { ...state, phase: { kind: 'running', container: input.container, probes: input.probes, killedByProbe: false } },
      ];
    case 'Exited':
      if (phase.kind !== 'running') return [[], state];
      return [[], { ...state, phase: { kind: 'exited', container: phase.container, exit: input.exit, killedByProbe: phase.killedByProbe } }];
  }
}
