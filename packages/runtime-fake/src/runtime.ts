/**
 * The fake container runtime of one node: an image cache with pulls that take time, and
 * containers that are created, started, stopped and killed on a timeline decided by their
 * behavior. It keeps no timers: every question is asked with a time (`now`), and the answer is
 * a pure function of what happened before that time.
 *
 * @module
 */
import type { Rng } from '@kubeloop/core';
import { plannedExit, memoryUsage } from './behavior.js';
import type { ContainerBehavior } from './behavior.js';
import { RuntimeFakeError } from './errors.js';
import { imageSize, isImageReference, normalizeImage, pullDurationMs } from './images.js';
import type { ImageSpec, PullTiming } from './images.js';
import { ContainerLog } from './logs.js';
import type { LogLimits } from './logs.js';
import type { ContainerLogLine, ProgramRun } from './shell/program.js';

/** How a node's runtime is configured. */
export interface ContainerRuntimeOptions {
  /** Container ids and image digests. */
  readonly rng: Rng;
  /** Known images (by reference as written in pods, e.g. `nginx:1.25`): size or fixed pull time. */
  readonly images?: Readonly<Record<string, ImageSpec>> | undefined;
  /** Bandwidth and overhead of pulls. */
  readonly pullTiming?: PullTiming | undefined;
  /** Images present before anything runs (e.g. `registry.k8s.io/pause:3.10`). */
  readonly preloaded?: readonly string[] | undefined;
  /** How much log each container keeps (see {@link LogLimits}). */
  readonly logLimits?: LogLimits | undefined;
}

/** The outcome of asking for an image. */
export type ImageAvailability =
  /** Present: start at once. */
  | { readonly kind: 'present' }
  /** Being pulled (by this or an earlier request): ready at `readyAt`, the pull began at `startedAt`. */
  | { readonly kind: 'pulling'; readonly readyAt: number; readonly startedAt: number; readonly newPull: boolean }
  /** `imagePullPolicy: Never` and the image is not present (`ErrImageNeverPull`). */
  | { readonly kind: 'never-pull' }
  /** The reference is not an image name (`InvalidImageName`): `message` says why, as upstream's image manager. */
  | { readonly kind: 'invalid'; readonly message: string };

/** What remains of the grace period for SIGTERM after a preStop hook, at least (upstream `minimumGracePeriodInSeconds`): 2 s. */
const MINIMUM_GRACE_AFTER_HOOK_MS = 2000;

/** How a container ended. */
export interface ContainerExit {
  /** When (ms). */
  readonly at: number;
  /** The exit code: 137 for SIGKILL / OOM kill. */
  readonly exitCode: number;
  /** `Completed` (exit 0), `Error` or `OOMKilled`. */
  readonly reason: 'Completed' | 'Error' | 'OOMKilled';
}

/** A container as the runtime knows it. */
export interface RuntimeContainer {
  /** `containerd://<64 hex>`. */
  readonly id: string;
  /** The pod's uid. */
  readonly podUid: string;
  /** The container's name in the pod. */
  readonly name: string;
  /** The image reference, as written in the pod. */
  readonly image: string;
  /** The image's digest reference. */
  readonly imageID: string;
  /** Its behavior. */
  readonly behavior: ContainerBehavior;
  /** Its memory limit in bytes (the OOM threshold). */
  readonly memoryLimitBytes: number | undefined;
  /** When it was created and started (the fake starts containers as they are created). */
  readonly startedAt: number;
  /** Its end: planned by its behavior, or set by stop/kill. Not yet happened while `at > now`. */
  exit: ContainerExit | undefined;
  /** Whether a stop (SIGTERM) was requested. */
  stopping: boolean;
  /** Its command line's run, when the shell interpreter runs it (the source of its log). */
  readonly program?: ProgramRun | undefined;
  /** Its log (lines read from the program up to the last {@link FakeContainerRuntime.logs} call). */
  readonly log: ContainerLog;
}

interface ImageEntry {
  readonly readyAt: number;
  readonly startedAt: number;
  readonly digest: string;
  /** {@link FakeContainerRuntime.imageID}'s answer, built on first use (every container of the image reports it). */
  ref?: string;
}

/**
 * One node's container runtime.
 *
 * Guarantees:
 * - an image pulled once stays present (no image garbage collection);
 * - concurrent requests for an image being pulled share the one pull;
 * - a container's exit, once set, only moves earlier (a stop or kill never delays it);
 * - answers depend only on the calls made and the `now` given, never on ambient time.
 */
export class FakeContainerRuntime {
  readonly #options: ContainerRuntimeOptions;
  readonly #images = new Map<string, ImageEntry>();
  readonly #containers = new Map<string, RuntimeContainer>();
  #extraPullMs = 0;
  /** Extra pull time of single images, by normalized reference (on top of `#extraPullMs`). */
  readonly #imageExtraPullMs = new Map<string, number>();
  /** Extra load by `<pod uid>/<container name>`, added to what behaviors use. */
  readonly #load = new Map<string, { readonly cpuMillicores: number; readonly memoryBytes: number }>();

  /** Builds a runtime with the preloaded images present. */
  constructor(options: ContainerRuntimeOptions) {
    this.#options = options;
    for (const image of options.preloaded ?? []) this.#images.set(normalizeImage(image), { readyAt: Number.NEGATIVE_INFINITY, startedAt: Number.NEGATIVE_INFINITY, digest: this.#digest() });
  }

  #digest(): string {
    // One join, not 64 concatenations: a container keeps its id for life, and a rope of 64
    // pieces weighs about 2 KB where the flat string weighs 80 bytes.
    const digits = new Array<string>(64);
    for (let i = 0; i < 64; i++) digits[i] = this.#options.rng.int(16).toString(16);
    return digits.join('');
  }

  /** Whether `image` is present at `now` (pulled, or preloaded). */
  hasImage(image: string, now: number): boolean {
    const e = this.#images.get(normalizeImage(image));
    return e !== undefined && e.readyAt <= now;
  }

  /** The images present at `now`, as `status.images` reports them (largest first, as upstream). */
  images(now: number): { names: string[]; sizeBytes: number }[] {
    const out: { names: string[]; sizeBytes: number }[] = [];
    for (const [ref, e] of this.#images) {
      if (e.readyAt > now) continue;
      const repo = ref.slice(0, ref.lastIndexOf(':'));
      out.push({ names: [`${repo}@sha256:${e.digest}`, ref], sizeBytes: imageSize(ref, this.#spec(ref)) });
    }
    return out.sort((a, b) => b.sizeBytes - a.sizeBytes || (a.names[1]! < b.names[1]! ? -1 : 1));
  }

  #spec(image: string): ImageSpec | undefined {
    const images = this.#options.images;
    if (images === undefined) return undefined;
    const norm = normalizeImage(image);
    for (const k in images) if (normalizeImage(k) === norm) return images[k];
    return undefined;
  }

  /**
   * The time added to every pull that begins from now on (ms; default 0): a slow registry or
   * a congested node link, set and cleared at run time (e.g. by a fault schedule). A pull
   * already under way keeps its end; a request joining it waits for that end.
   *
   * Errors: {@link RuntimeFakeError} `invalid-node` for a negative or non-finite value.
   *
   * @example
   * ```ts
   * kubelet.runtime.extraPullMs = 30_000; // pulls starting from now take 30 s more
   * kubelet.runtime.extraPullMs = 0;      // back to normal
   * ```
   */
  get extraPullMs(): number {
    return this.#extraPullMs;
  }

  /** Sets the extra pull time (see the getter). */
  set extraPullMs(ms: number) {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RuntimeFakeError('invalid-node', `extraPullMs must be a finite number of ms >= 0, got ${ms}`);
    this.#extraPullMs = ms;
  }

  /**
   * The time added to pulls of one image that begin from now on (ms; 0 clears it): a slow
   * registry or a large layer of that image only. It adds to {@link FakeContainerRuntime.extraPullMs};
   * references are compared normalized (`nginx` is `docker.io/library/nginx:latest`). A pull
   * already under way keeps its end.
   *
   * Errors: {@link RuntimeFakeError} `invalid-node` for a negative or non-finite value (nothing
   * changes).
   *
   * @example
   * ```ts
   * kubelet.runtime.setImageExtraPullMs('registry.example.com/app:v2', 15_000);
   * kubelet.runtime.imageExtraPullMs('registry.example.com/app:v2'); // 15_000
   * ```
   */
  setImageExtraPullMs(image: string, ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RuntimeFakeError('invalid-node', `the extra pull time of ${image} must be a finite number of ms >= 0, got ${ms}`);
    const key = normalizeImage(image);
    if (ms === 0) this.#imageExtraPullMs.delete(key);
    else this.#imageExtraPullMs.set(key, ms);
  }

  /** The extra pull time set for `image` alone (0 if none; see {@link FakeContainerRuntime.setImageExtraPullMs}). */
  imageExtraPullMs(image: string): number {
    return this.#imageExtraPullMs.get(normalizeImage(image)) ?? 0;
  }

  /** The size in bytes the runtime assumes for `image`. */
  imageSize(image: string): number {
    return imageSize(image, this.#spec(image));
  }

  /**
   * Asks for `image` under `policy` at `now` (upstream `EnsureImageExists`):
   * - a reference that is not an image name: `invalid` (before any policy);
   * - `Never`: present, or `never-pull`;
   * - `IfNotPresent`: present, or a pull (joining one in flight);
   * - `Always`: a pull every time; an image already present only costs the pull overhead
   *   (the registry is asked for the digest, nothing is downloaded).
   *
   * A new pull also takes {@link FakeContainerRuntime.extraPullMs} more, and the image's own
   * extra time ({@link FakeContainerRuntime.setImageExtraPullMs}).
   */
  ensureImage(image: string, policy: 'Always' | 'IfNotPresent' | 'Never', now: number): ImageAvailability {
    if (!isImageReference(image)) return { kind: 'invalid', message: `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image name ${JSON.stringify(image)}: invalid reference format` };
    const key = normalizeImage(image);
    const e = this.#images.get(key);
    if (e !== undefined && e.readyAt > now) return { kind: 'pulling', readyAt: e.readyAt, startedAt: e.startedAt, newPull: false };
    if (policy === 'Never') return e === undefined ? { kind: 'never-pull' } : { kind: 'present' };
    if (policy === 'IfNotPresent' && e !== undefined) return { kind: 'present' };
    const timing = this.#options.pullTiming ?? {};
    const duration = (e === undefined ? pullDurationMs(image, this.#spec(image), timing) : Math.min(timing.overheadMs ?? 500, pullDurationMs(image, this.#spec(image), timing))) + this.#extraPullMs + (this.#imageExtraPullMs.get(key) ?? 0);
    const entry: ImageEntry = { readyAt: now + duration, startedAt: now, digest: e?.digest ?? this.#digest() };
    this.#images.set(key, entry);
    return { kind: 'pulling', readyAt: entry.readyAt, startedAt: now, newPull: true };
  }

  /** The digest reference of a present image (`docker.io/library/nginx@sha256:…`), or `''`. */
  imageID(image: string): string {
    const key = normalizeImage(image);
    const e = this.#images.get(key);
    if (e === undefined) return '';
    return (e.ref ??= `${key.slice(0, key.lastIndexOf(':'))}@sha256:${e.digest}`);
  }

  /**
   * Creates and starts a container at `now`; its behavior plans its own exit (completion,
   * crash, or OOM kill when its memory passes `memoryLimitBytes`).
   */
  run(podUid: string, name: string, image: string, declared: ContainerBehavior, memoryLimitBytes: number | undefined, now: number): RuntimeContainer {
    // A command line the interpreter runs plans the exit and SIGTERM reaction, unless the
    // behavior (an annotation) set them.
    const program = declared.program?.start(now);
    let behavior = declared;
    if (program !== undefined) {
      const { exit, stopAfterMs, stopExitCode } = program.plan;
      if (declared.exitAfterMs === undefined) behavior = { ...behavior, exitAfterMs: exit?.afterMs, exitCode: exit?.exitCode };
      if (declared.stopAfterMs === undefined) behavior = { ...behavior, stopAfterMs, stopExitCode: declared.stopExitCode ?? stopExitCode };
    }
    const plan = plannedExit(behavior, memoryLimitBytes);
    const c: RuntimeContainer = {
      id: `containerd://${this.#digest()}`,
      podUid,
      name,
      image,
      imageID: this.imageID(image),
      behavior,
      memoryLimitBytes,
      startedAt: now,
      exit: plan === undefined ? undefined : { at: now + plan.afterMs, exitCode: plan.exitCode, reason: plan.reason },
      stopping: false,
      program,
      log: new ContainerLog(this.#options.logLimits),
    };
    this.#containers.set(c.id, c);
    return c;
  }

  /** The latest instance of a pod's container (the running one, or the last that ran), if any. */
  current(podUid: string, containerName: string): RuntimeContainer | undefined {
    let found: RuntimeContainer | undefined;
    for (const c of this.#containers.values()) if (c.podUid === podUid && c.name === containerName) found = c;
    return found;
  }

  /** The container with this id, if the runtime has it. */
  get(id: string): RuntimeContainer | undefined {
    return this.#containers.get(id);
  }

  /** Whether the container has exited by `now`. */
  exited(id: string, now: number): ContainerExit | undefined {
    const exit = this.#containers.get(id)?.exit;
    return exit !== undefined && exit.at <= now ? exit : undefined;
  }

  /**
   * Stops the container at `now`: its preStop hook runs first for `preStopMs` (cut at
   * `deadline`), then it gets SIGTERM and exits after its behavior's `stopAfterMs` with its
   * `stopExitCode` — or, if that would be later than `deadline`, is killed then with exit code
   * 137 (reason `Error`). After a hook, at least 2 s remain for SIGTERM (upstream's
   * `minimumGracePeriodInSeconds`). An earlier planned exit stands.
   */
  stop(id: string, now: number, deadline: number, preStopMs = 0): void {
    const c = this.#containers.get(id);
    if (c === undefined || (c.exit !== undefined && c.exit.at <= now)) return;
    c.stopping = true;
    const termAt = Math.min(now + preStopMs, Math.max(now, deadline));
    const killAt = preStopMs > 0 ? Math.max(deadline, termAt + MINIMUM_GRACE_AFTER_HOOK_MS) : deadline;
    const stopAt = termAt + (c.behavior.stopAfterMs ?? 0);
    const exitCode = c.behavior.stopExitCode ?? 0;
    const exit: ContainerExit = stopAt <= killAt ? { at: stopAt, exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } : { at: Math.max(now, killAt), exitCode: 137, reason: 'Error' };
    if (c.exit === undefined || exit.at < c.exit.at) c.exit = exit;
  }

  /** Sends SIGKILL at `now`: exit code 137, reason `Error` (unless it has exited already). */
  kill(id: string, now: number): void {
    this.stop(id, now, now);
  }

  /**
   * The log of a pod's container at `now`: the lines its current instance wrote (or, with
   * `previous`, the instance before it), oldest first, at most the configured
   * {@link LogLimits}; lines stop at the instance's exit. Undefined when there is no such
   * instance (never started, or no previous one).
   *
   * Guarantees: lines are produced lazily up to `now` and kept; asking again later continues.
   */
  logs(podUid: string, containerName: string, options: { readonly previous?: boolean | undefined }, now: number): readonly ContainerLogLine[] | undefined {
    const instances = [...this.#containers.values()].filter((c) => c.podUid === podUid && c.name === containerName);
    const c = instances[instances.length - (options.previous === true ? 2 : 1)];
    if (c === undefined) return undefined;
    const until = c.exit === undefined ? now : Math.min(now, c.exit.at);
    if (c.program !== undefined && until > c.log.readUntil) {
      c.program.logsUntil(until, c.log.maxLines, (line) => c.log.append(line));
      c.log.readUntil = until;
    }
    return c.log.lines();
  }

  /** Removes a container (and forgets it). */
  remove(id: string): void {
    this.#containers.delete(id);
  }

  /**
   * Sets extra load on a pod's container (e.g. from simulated traffic), added to what its
   * behavior uses, for every instance of it (it survives restarts); `undefined` clears it.
   *
   * Caveats: extra memory does not cause OOM kills (only the behavior's memory does).
   */
  setLoad(podUid: string, containerName: string, load: { readonly cpuMillicores?: number; readonly memoryBytes?: number } | undefined): void {
    const key = `${podUid}/${containerName}`;
    if (load === undefined) this.#load.delete(key);
    else this.#load.set(key, { cpuMillicores: load.cpuMillicores ?? 0, memoryBytes: load.memoryBytes ?? 0 });
  }

  /** The load set on a pod's container with {@link FakeContainerRuntime.setLoad}, if any. */
  loadOf(podUid: string, containerName: string): { readonly cpuMillicores: number; readonly memoryBytes: number } | undefined {
    return this.#load.get(`${podUid}/${containerName}`);
  }

  /** What a running container uses at `now`: its behavior's CPU millicores and memory bytes plus any {@link FakeContainerRuntime.setLoad} (zero once exited). */
  usage(id: string, now: number): { cpuMillicores: number; memoryBytes: number } {
    const c = this.#containers.get(id);
    if (c === undefined || (c.exit !== undefined && c.exit.at <= now)) return { cpuMillicores: 0, memoryBytes: 0 };
    const extra = this.#load.get(`${c.podUid}/${c.name}`);
    return { cpuMillicores: (c.behavior.cpuMillicores ?? 0) + (extra?.cpuMillicores ?? 0), memoryBytes: memoryUsage(c.behavior, now - c.startedAt) + (extra?.memoryBytes ?? 0) };
  }

  /**
   * What a running container's behavior uses at `now`, the load added to it and the time since
   * its start, apart (undefined once exited); the kubelet's usage layers annotations and
   * baselines over these.
   */
  usageParts(id: string, now: number): { readonly behavior: ContainerBehavior; readonly memoryBytes: number; readonly extra: { readonly cpuMillicores: number; readonly memoryBytes: number } | undefined; readonly elapsedMs: number } | undefined {
    const c = this.#containers.get(id);
    if (c === undefined || (c.exit !== undefined && c.exit.at <= now)) return undefined;
    return { behavior: c.behavior, memoryBytes: memoryUsage(c.behavior, now - c.startedAt), extra: this.#load.get(`${c.podUid}/${c.name}`), elapsedMs: now - c.startedAt };
  }

  /** The containers the runtime has, running or exited, in creation order. */
  containers(): readonly RuntimeContainer[] {
    return [...this.#containers.values()];
  }
}
