/**
 * The pod worker: one pod's life on one node, as a state machine over virtual time. The
 * kubelet (the orchestrator) feeds it inputs — is the pod being deleted, are its volumes
 * there — and asks it to advance to `now`; the worker replays every deadline up to `now` in
 * order (pull finished, container exited, probe due, back-off over), so a kubelet that was
 * stopped catches up exactly.
 *
 * Each container's life (pull, start, exit, restart with back-off) is decided by the pure
 * {@link containerStep}; the worker runs what it asks of the runtime and feeds the answers
 * back. The other decisions are made by the pure helpers {@link stepProbe}, {@link probeAnswer},
 * {@link plannedExit} (through the runtime) and {@link computePodStatus}.
 *
 * @module
 */
import type { Container, ContainerState, ContainerStatus, Pod, Probe } from '@kubeloop/core';
import { formatTime, tryParseQuantity } from '@kubeloop/core';
import type { ContainerBehavior } from './behavior.js';
import type { ContainerMachineInput, ContainerMachineState, ContainerPhase } from './container.js';
import { containerStep, initialContainerState } from './container.js';
import { formatDuration } from './duration.js';
import type { ProbeKind, ProbeState } from './probe.js';
import { initialProbeState, probeAnswer, stepProbe } from './probe.js';
import type { ContainerExit, FakeContainerRuntime, RuntimeContainer } from './runtime.js';
import { knowsCommand } from './shell/interpret.js';
import { NO_NETWORK } from './shell/network.js';
import { execShell } from './shell/program.js';

/** An event the worker wants recorded on its pod. */
export interface PodEvent {
  /** `Normal` or `Warning`. */
  readonly type: 'Normal' | 'Warning';
  /** Upstream's reason (`Pulling`, `Pulled`, `Created`, `Started`, `Killing`, `BackOff`, ...). */
  readonly reason: string;
  /** Upstream's message. */
  readonly message: string;
  /**
   * The container the event is about, as upstream's container reference names it
   * (`spec.containers{web}`, `spec.initContainers{setup}`); absent for the pod as a whole.
   */
  readonly fieldPath?: string;
}

/** What the kubelet tells the worker about the outside world. */
export interface WorkerInput {
  /** When the pod is being deleted: the deadline (its `deletionTimestamp`) in ms. */
  readonly deletionDeadline?: number | undefined;
  /**
   * The pod's phase in the API is `Succeeded` or `Failed`, written by someone else (an
   * eviction): its containers are stopped within its grace period from now, and nothing is
   * started again (upstream's pod worker begins teardown of a pod in a terminal phase).
   */
  readonly terminalPhase?: boolean;
  /**
   * Whether every volume can be mounted; else the event to report, retried with backoff:
   * `reason` `FailedMount` unless given (`FailedAttachVolume` for a Multi-Attach error).
   */
  readonly volumes: { readonly ok: true } | { readonly ok: false; readonly message: string; readonly reason?: string | undefined };
}

/** One container of the pod: its spec and what the worker needs of it, and its {@link containerStep} state. */
interface Slot {
  readonly spec: Container;
  readonly init: boolean;
  /** Its `involvedObject.fieldPath` in events: `spec.containers{name}` or `spec.initContainers{name}`. */
  readonly fieldPath: string;
  /** An init container with `restartPolicy: Always` (a sidecar): runs alongside the containers. */
  readonly sidecar: boolean;
  /** Whether it (a sidecar) has been started once, which lets the next init container start. */
  everStarted: boolean;
  readonly behavior: ContainerBehavior;
  readonly memoryLimitBytes: number | undefined;
  /** The container's state machine; replaced (never mutated) at each step. */
  c: ContainerMachineState;
}

/** How long the kubelet waits before it tries again to create a container whose environment could not be built: 10 s. */
const CONFIG_RETRY_MS = 10_000;
/** The mount retry back-off (upstream `nestedpendingoperations`: 500 ms doubling to 2 min 2 s). */
const MOUNT_RETRY_INITIAL_MS = 500;
const MOUNT_RETRY_MAX_MS = 122_000;

/** Whether an exited container restarts under the pod's restart policy (upstream `ShouldContainerBeRestarted`). */
export function shouldRestart(policy: Pod['spec']['restartPolicy'], init: boolean, exitCode: number, killedByProbe: boolean): boolean {
  if (init) return policy !== 'Never' && exitCode !== 0;
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0 || killedByProbe;
  return false;
}

/**
 * One pod on one node.
 *
 * Guarantees: init containers run one at a time in spec order, each only after the previous
 * exited 0; regular containers start only after all init containers succeeded; nothing starts
 * once the pod is being deleted; once `terminal`, the worker changes nothing more.
 */
export class PodWorker {
  readonly #pod: () => Pod;
  readonly #configError: ((c: Container) => string | undefined) | undefined;
  readonly #runtime: FakeContainerRuntime;
  readonly #allocateIP: () => string;
  readonly #slots: Slot[];
  readonly #events: PodEvent[] = [];
  #cursor: number;
  #sandboxReady = false;
  #podIP: string | undefined;
  #mountRetryAt = Number.NEGATIVE_INFINITY;
  #mountDelay = MOUNT_RETRY_INITIAL_MS;
  #volumesMissing = false;
  #terminal = false;
  #changes = 0;
  #input: WorkerInput | undefined;
  #deadlineExceeded = false;
  /** The containers (not sidecars) are all done for good: sidecars are being stopped. */
  #mainsDone = false;
  /** Being deleted or past its active deadline: containers are stopped, nothing starts. */
  #halting = false;

  /**
   * Builds the worker of a pod admitted at `now`. `pod` returns the latest pod object;
   * `behaviorOf` resolves each container's behavior (errors propagate to the caller).
   */
  constructor(pod: () => Pod, runtime: FakeContainerRuntime, behaviorOf: (c: Container) => ContainerBehavior, allocateIP: () => string, now: number, configError?: (c: Container) => string | undefined) {
    this.#pod = pod;
    this.#configError = configError;
    this.#runtime = runtime;
    this.#allocateIP = allocateIP;
    this.#cursor = now;
    this.startTime = now;
    const p = pod();
    const slot = (spec: Container, init: boolean): Slot => {
      const limit = spec.resources?.limits?.['memory'];
      const q = limit === undefined ? undefined : tryParseQuantity(limit);
      return { spec, init, fieldPath: `spec.${init ? 'initContainers' : 'containers'}{${spec.name}}`, sidecar: init && spec.restartPolicy === 'Always', everStarted: false, behavior: behaviorOf(spec), memoryLimitBytes: q?.value(), c: initialContainerState(spec.name, spec.image ?? '', podRef(p)) };
    };
    this.#slots = [...(p.spec.initContainers ?? []).map((c) => slot(c, true)), ...p.spec.containers.map((c) => slot(c, false))];
  }

  /** Whether a container waits for a ConfigMap, Secret or key its environment names (the kubelet reads them again before the next advance). */
  get awaitingConfig(): boolean {
    return this.#slots.some((s) => s.c.phase.kind === 'config-error');
  }

  /** When the kubelet admitted the pod (ms). */
  readonly startTime: number;

  /** Whether the sandbox (network and volumes) is ready. */
  get sandboxReady(): boolean {
    return this.#sandboxReady;
  }

  /** The pod's IP, once the sandbox exists. */
  get podIP(): string | undefined {
    return this.#podIP;
  }

  /**
   * Why the kubelet failed the pod itself, if it did: `activeDeadlineSeconds` passed
   * (upstream reason `DeadlineExceeded`).
   */
  get failure(): { readonly reason: string; readonly message: string } | undefined {
    return this.#deadlineExceeded ? { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' } : undefined;
  }

  /** Whether the pod will run nothing more. */
  get terminal(): boolean {
    return this.#terminal;
  }

  /** The containers this worker started, running or exited (for cleanup). */
  containerIDs(): string[] {
    const ids: string[] = [];
    for (const s of this.#slots) {
      if (s.c.phase.kind === 'running' || s.c.phase.kind === 'exited' || s.c.phase.kind === 'backoff') ids.push(s.c.phase.container.id);
      if (s.c.lastTerminated !== undefined) ids.push(s.c.lastTerminated.container.id);
    }
    return ids;
  }

  /** The running containers (name and runtime id), in spec order. */
  runningContainers(): { name: string; id: string }[] {
    const out: { name: string; id: string }[] = [];
    for (const s of this.#slots) if (s.c.phase.kind === 'running') out.push({ name: s.spec.name, id: s.c.phase.container.id });
    return out;
  }

  /** The events produced since the last call, oldest first. */
  drainEvents(): PodEvent[] {
    return this.#events.splice(0);
  }

  /**
   * Advances to `now`, replaying every deadline on the way in time order.
   *
   * Guarantees: afterwards no deadline ≤ `now` is pending; calling it again with the same
   * `now` and input changes nothing.
   */
  advance(now: number, input: WorkerInput): void {
    // Deadlines before `now` are replayed with what was known then; the new input applies from `now`.
    const known = this.#input ?? input;
    let t = this.#cursor;
    for (let guard = 0; guard < 1_000_000; guard++) {
      this.#settleAt(t, known);
      const next = this.nextDeadline();
      if (next === undefined || next >= now || next <= t) break;
      t = next;
    }
    this.#input = input;
    this.#settleAt(Math.max(t, now), input);
    this.#cursor = Math.max(this.#cursor, now);
  }

  /** The earliest time at which something will happen on its own; undefined when nothing will. */
  nextDeadline(): number | undefined {
    if (this.#terminal) return undefined;
    let next = Number.POSITIVE_INFINITY;
    const at = (t: number): void => {
      if (t < next) next = t;
    };
    if (!this.#sandboxReady && this.#volumesMissing) at(this.#mountRetryAt);
    const active = this.#activeDeadline();
    if (active !== undefined && !this.#deadlineExceeded) at(active);
    for (const s of this.#slots) {
      const st = s.c.phase;
      // Nothing starts any more once the pod is halting, nor a sidecar once the containers are done.
      const mayStart = !this.#halting && !(s.sidecar && this.#mainsDone);
      if (st.kind === 'pulling') {
        if (mayStart) at(st.readyAt);
      } else if (st.kind === 'backoff') {
        if (mayStart) at(st.until);
      } else if (st.kind === 'config-error') {
        // upstream's pod worker retries a failed sync after a back-off: the ConfigMap may exist by then
        if (mayStart) at(this.#cursor + CONFIG_RETRY_MS);
      } else if (st.kind === 'running') {
        if (st.container.exit !== undefined) at(st.container.exit.at);
        if (!st.container.stopping) for (const k of this.#activeProbes(s, st)) at(st.probes[k]!.nextAt);
      }
    }
    return next === Number.POSITIVE_INFINITY ? undefined : next;
  }

  /** When `activeDeadlineSeconds` runs out (counted from the kubelet's admission), if set. */
  #activeDeadline(): number | undefined {
    const seconds = this.#pod().spec.activeDeadlineSeconds;
    return seconds === undefined ? undefined : this.startTime + seconds * 1000;
  }

  #probe(s: Slot, kind: ProbeKind): Probe | undefined {
    return kind === 'startup' ? s.spec.startupProbe : kind === 'liveness' ? s.spec.livenessProbe : s.spec.readinessProbe;
  }

  #started(st: Extract<ContainerPhase, { kind: 'running' }>): boolean {
    const startup = st.probes.startup;
    return startup === undefined || startup.result === 'success';
  }

  #activeProbes(s: Slot, st: Extract<ContainerPhase, { kind: 'running' }>): ProbeKind[] {
    if (s.init && !s.sidecar) return [];
    if (!this.#started(st)) return st.probes.startup === undefined ? [] : ['startup'];
    return (['liveness', 'readiness'] as const).filter((k) => st.probes[k] !== undefined);
  }


  /** Records an event on the pod, or on the container of slot `s`. */
  #emit(type: PodEvent['type'], reason: string, message: string, s?: Slot): void {
    this.#events.push(s === undefined ? { type, reason, message } : { type, reason, message, fieldPath: s.fieldPath });
  }

  /** Runs {@link #step} at `t` until nothing changes. */
  #settleAt(t: number, input: WorkerInput): void {
    for (let i = 0; i < 100; i++) {
      const before = this.#changes;
      this.#step(t, input);
      if (this.#changes === before) return;
    }
  }

  #step(t: number, input: WorkerInput): void {
    if (this.#terminal) return;
    // What the runtime did on its own by t.
    for (const s of this.#slots) {
      const st = s.c.phase;
      if (st.kind !== 'running') continue;
      const exit = this.#runtime.exited(st.container.id, t);
      if (exit !== undefined) this.#feed(s, { type: 'Exited', exit }, t);
    }
    const pod = this.#pod();
    const active = this.#activeDeadline();
    if (active !== undefined && t >= active && !this.#deadlineExceeded) {
      this.#deadlineExceeded = true;
      this.#changes++;
      this.#emit('Warning', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
    }
    if (input.deletionDeadline !== undefined || input.terminalPhase === true || this.#deadlineExceeded) {
      this.#halting = true;
      const stopBy = input.deletionDeadline ?? (this.#deadlineExceeded && active !== undefined ? active : t) + pod.spec.terminationGracePeriodSeconds * 1000;
      let running = 0;
      for (const s of this.#slots) {
        const st = s.c.phase;
        if (st.kind !== 'running') continue;
        running++;
        if (!st.container.stopping) {
          this.#emit('Normal', 'Killing', `Stopping container ${s.spec.name}`, s);
          this.#runtime.stop(st.container.id, t, stopBy, this.#preStopMs(s, st.container, t));
          this.#changes++;
        }
      }
      if (running === 0) {
        this.#terminal = true;
        this.#changes++;
      }
      return;
    }
    if (!this.#sandboxReady) {
      if (!input.volumes.ok) {
        this.#volumesMissing = true;
        if (t >= this.#mountRetryAt) {
          this.#emit('Warning', input.volumes.reason ?? 'FailedMount', input.volumes.message);
          this.#mountRetryAt = t + this.#mountDelay;
          this.#mountDelay = Math.min(this.#mountDelay * 2, MOUNT_RETRY_MAX_MS);
        }
        return;
      }
      this.#volumesMissing = false;
      this.#sandboxReady = true;
      this.#podIP = this.#allocateIP();
      this.#changes++;
    }
    this.#runProbes(t, pod);
    let initDone = true;
    for (const s of this.#slots) {
      if (!s.init) continue;
      if (s.sidecar) {
        // A sidecar starts in init order, lets the next init container start once it has
        // started, and is restarted whenever it exits until the containers are done.
        if (!this.#mainsDone) this.#drive(s, t, pod);
        if (!s.everStarted && s.c.phase.kind === 'running' && this.#started(s.c.phase)) {
          s.everStarted = true;
          this.#changes++;
        }
        if (s.everStarted) continue;
        initDone = false;
        break;
      }
      if (s.c.phase.kind === 'exited' && s.c.phase.exit.exitCode === 0) continue;
      initDone = false;
      this.#drive(s, t, pod);
      if (s.c.phase.kind === 'exited' && !shouldRestart(pod.spec.restartPolicy, true, s.c.phase.exit.exitCode, false)) {
        this.#terminal = true; // an init container failed for good: the pod failed
        this.#changes++;
      }
      break;
    }
    if (!initDone) return;
    let live = 0;
    for (const s of this.#slots) {
      if (s.init) continue;
      this.#drive(s, t, pod);
      const st = s.c.phase;
      if (st.kind !== 'exited' || shouldRestart(pod.spec.restartPolicy, false, st.exit.exitCode, st.killedByProbe)) live++;
    }
    if (live === 0) {
      if (!this.#mainsDone) {
        this.#mainsDone = true;
        this.#changes++;
      }
      // The containers are done: stop the sidecars, then the pod is done.
      let sidecars = 0;
      for (const s of this.#slots) {
        const st = s.c.phase;
        if (!s.sidecar || st.kind !== 'running') continue;
        sidecars++;
        if (!st.container.stopping) {
          this.#emit('Normal', 'Killing', `Stopping container ${s.spec.name}`, s);
          this.#runtime.stop(st.container.id, t, t + pod.spec.terminationGracePeriodSeconds * 1000, this.#preStopMs(s, st.container, t));
          this.#changes++;
        }
      }
      if (sidecars === 0) {
        this.#terminal = true;
        this.#changes++;
      }
    }
  }

  /** Whether an init container no longer holds back the ones after it (exited 0; a sidecar: started once). */
  #initDone(s: Slot): boolean {
    return s.sidecar ? s.everStarted : s.c.phase.kind === 'exited' && s.c.phase.exit.exitCode === 0;
  }

  /** Moves one container along: start it, finish its pull, restart it or back off ({@link containerStep}). */
  #drive(s: Slot, t: number, pod: Pod): void {
    const st = s.c.phase;
    const ended = st.kind === 'exited' || st.kind === 'backoff';
    const restart = ended && (s.sidecar ? !this.#mainsDone : shouldRestart(pod.spec.restartPolicy, s.init, st.exit.exitCode, st.killedByProbe));
    this.#feed(s, { type: 'Drive', t, restart }, t);
  }

  /**
   * Feeds `input` to the container's state machine and runs what it asks at `t` — events, the
   * runtime's image and run calls, whose answers are fed back — until it asks for nothing more.
   */
  #feed(s: Slot, input: ContainerMachineInput, t: number): void {
    for (let next: ContainerMachineInput | undefined = input; next !== undefined; ) {
      const [actions, state] = containerStep(s.c, next);
      if (state !== s.c) {
        s.c = state;
        this.#changes++;
      }
      next = undefined;
      for (const action of actions) {
        switch (action.type) {
          case 'Emit':
            this.#emit(action.event.type, action.event.reason, action.event.message, s);
            break;
          case 'Remove':
            this.#runtime.remove(action.id);
            break;
          case 'EnsureImage': {
            const image = s.spec.image ?? '';
            next = { type: 'Image', t, availability: this.#runtime.ensureImage(image, s.spec.imagePullPolicy ?? 'IfNotPresent', t), sizeBytes: this.#runtime.imageSize(image) };
            break;
          }
          case 'Run': {
            const why = this.#configError?.(s.spec);
            next = why === undefined ? { type: 'Launched', ...this.#launch(s, t) } : { type: 'ConfigError', message: why };
            break;
          }
        }
      }
    }
  }

  /** Creates and starts an instance of the container at `t`, with its probes' first states. */
  #launch(s: Slot, t: number): { container: RuntimeContainer; probes: Partial<Record<ProbeKind, ProbeState>> } {
    const container = this.#runtime.run(this.#pod().metadata.uid ?? '', s.spec.name, s.spec.image ?? '', s.behavior, s.memoryLimitBytes, t);
    const probes: Partial<Record<ProbeKind, ProbeState>> = {};
    if (!s.init || s.sidecar) {
      for (const kind of ['startup', 'liveness', 'readiness'] as const) {
        const p = this.#probe(s, kind);
        if (p !== undefined) probes[kind] = initialProbeState(kind, p, t);
      }
    }
    return { container, probes };
  }

  #runProbes(t: number, pod: Pod): void {
    for (const s of this.#slots) {
      const st = s.c.phase;
      if (st.kind !== 'running' || st.container.stopping) continue;
      let probes: Partial<Record<ProbeKind, ProbeState>> | undefined; // copied when a probe runs
      let killedByProbe = st.killedByProbe;
      for (const kind of this.#activeProbes(s, st)) {
        const state = (probes ?? st.probes)[kind]!;
        if (state.nextAt > t) continue;
        probes ??= { ...st.probes };
        const probe = this.#probe(s, kind)!;
        const { answer, why } = this.#probeOnce(kind, probe, s, st.container, t);
        const next = stepProbe(state, probe, answer, t);
        probes[kind] = next;
        this.#changes++;
        const label = kind === 'startup' ? 'Startup' : kind === 'liveness' ? 'Liveness' : 'Readiness';
        if (answer === 'failure' && next.failures === 1) this.#emit('Warning', 'Unhealthy', `${label} probe failed: ${why}`, s);
        if (kind !== 'readiness' && next.result === 'failure') {
          this.#emit('Normal', 'Killing', `Container ${s.spec.name} failed ${kind} probe, will be restarted`, s);
          const grace = (probe.terminationGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds) * 1000;
          this.#runtime.stop(st.container.id, t, t + grace, this.#preStopMs(s, st.container, t));
          killedByProbe = true;
          break;
        }
        if (kind === 'startup' && next.result === 'success') {
          // liveness and readiness start once the startup probe succeeded
          for (const k of ['liveness', 'readiness'] as const) {
            const p = this.#probe(s, k);
            if (p !== undefined) probes[k] = initialProbeState(k, p, t);
          }
        }
      }
      if (probes !== undefined) s.c = { ...s.c, phase: { ...st, probes, killedByProbe } };
    }
  }

  /**
   * One run of a probe at `t`. An `exec` probe of a container whose command line the shell
   * interpreter runs is run in it, on the files its script has by then (upstream's exec prober:
   * success on exit code 0; a command still running after `timeoutSeconds` fails as timed out).
   * Any other probe answers by the container's behavior (`probeAnswer`).
   */
  #probeOnce(kind: ProbeKind, probe: Probe, s: Slot, container: RuntimeContainer, t: number): { answer: 'success' | 'failure'; why: string } {
    const command = probe.exec?.command;
    const ran = command === undefined ? undefined : this.#runtime.get(container.id)?.program?.exec(command, t);
    if (ran === undefined) return { answer: probeAnswer(kind, s.behavior, t - container.startedAt), why: 'HTTP probe failed with statuscode: 503' };
    const timeoutMs = Math.max(1, probe.timeoutSeconds) * 1000;
    if (ran.endedAt === undefined || ran.endedAt - t > timeoutMs) return { answer: 'failure', why: `command ${JSON.stringify(command!.join(' '))} timed out` };
    return ran.exitCode === 0 ? { answer: 'success', why: '' } : { answer: 'failure', why: ran.output.replace(/\n+$/, '') };
  }

  /**
   * How long the container's preStop hook runs when it is stopped at `t` (upstream
   * `executePreStopHook`, which runs before SIGTERM): `sleep` its seconds; `exec` as long as the
   * command takes in the container (a command the shell interpreter does not know, or one that
   * never ends, takes no time / the whole grace period); `httpGet` and `tcpSocket` no time.
   */
  #preStopMs(s: Slot, container: RuntimeContainer, t: number): number {
    const hook = s.spec.lifecycle?.preStop;
    if (hook === undefined) return 0;
    if (hook.sleep !== undefined) return Math.max(0, hook.sleep.seconds) * 1000;
    const command = hook.exec?.command;
    if (command === undefined) return 0;
    const program = this.#runtime.get(container.id)?.program;
    // A container run by its image's behavior: the hook runs in a bare shell (its sleeps are what take time).
    const ran = program !== undefined ? program.exec(command, t) : knowsCommand(command) ? execShell(command, { env: {}, files: new Map(), hostname: '', network: NO_NETWORK }, t) : undefined;
    if (ran === undefined) return 0;
    return ran.endedAt === undefined ? Number.POSITIVE_INFINITY : ran.endedAt - t;
  }

  /** The init container statuses, in spec order. */
  initContainerStatuses(): ContainerStatus[] {
    return this.#slots.filter((s) => s.init).map((s) => this.#status(s));
  }

  /** The container statuses, in spec order. */
  containerStatuses(): ContainerStatus[] {
    return this.#slots.filter((s) => !s.init).map((s) => this.#status(s));
  }

  #status(s: Slot): ContainerStatus {
    const st = s.c.phase;
    const image = s.spec.image ?? '';
    const lastState: ContainerState = s.c.lastTerminated === undefined ? {} : { terminated: terminated(s.c.lastTerminated.container, s.c.lastTerminated.exit) };
    const base = { name: s.spec.name, image, lastState, restartCount: s.c.restartCount };
    switch (st.kind) {
      case 'new': {
        const waitingInit = !s.init && this.#slots.some((o) => o.init && !this.#initDone(o));
        return { ...base, state: { waiting: { reason: s.init || waitingInit ? 'PodInitializing' : 'ContainerCreating' } }, ready: false, started: false, imageID: '' };
      }
      case 'never-pull':
        return { ...base, state: { waiting: { reason: 'ErrImageNeverPull', message: st.message } }, ready: false, started: false, imageID: '' };
      case 'invalid-image':
        return { ...base, state: { waiting: { reason: 'InvalidImageName', message: st.message } }, ready: false, started: false, imageID: '' };
      case 'config-error':
        return { ...base, state: { waiting: { reason: 'CreateContainerConfigError', message: st.message } }, ready: false, started: false, imageID: '' };
      case 'pulling':
        return { ...base, state: { waiting: { reason: 'ContainerCreating' } }, ready: false, started: false, imageID: '' };
      case 'running': {
        const started = (!s.init || s.sidecar) && this.#started(st);
        const readiness = st.probes.readiness;
        const ready = (!s.init || s.sidecar) && started && (readiness === undefined || readiness.result === 'success');
        return { ...base, state: { running: { startedAt: formatTime(st.container.startedAt) } }, ready, started, imageID: st.container.imageID, containerID: st.container.id };
      }
      case 'exited':
        return { ...base, state: { terminated: terminated(st.container, st.exit) }, ready: false, started: false, imageID: st.container.imageID, containerID: st.container.id };
      case 'backoff': {
        const message = `back-off ${formatDuration(st.delayMs)} restarting failed container=${s.spec.name} pod=${podRef(this.#pod())}`;
        return { ...base, lastState: { terminated: terminated(st.container, st.exit) }, state: { waiting: { reason: 'CrashLoopBackOff', message } }, ready: false, started: false, imageID: st.container.imageID, containerID: st.container.id };
      }
    }
  }
}

function terminated(c: RuntimeContainer, exit: ContainerExit): NonNullable<ContainerState['terminated']> {
  return { exitCode: exit.exitCode, reason: exit.reason, startedAt: formatTime(c.startedAt), finishedAt: formatTime(exit.at), containerID: c.id };
}

function podRef(pod: Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}
