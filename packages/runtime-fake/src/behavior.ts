/**
 * Container behaviors: what a simulated container does once started — run forever, crash or
 * complete after a while, fail its probes for a while, use CPU and memory, take time to stop.
 *
 * A behavior is chosen, for each container, from (later wins, field by field):
 * 1. the registry's default (runs forever, ready, exits 0 on SIGTERM at once);
 * 2. the registry entry for the container's image (exact `repo:tag` first, then `repo`);
 * 3. the container's command line, when the shell interpreter knows it as a whole (`sh -c …`,
 *    `sleep 5`, a bare `busybox`): it decides the exit, the log and the reaction to SIGTERM
 *    (replacing those of 1 and 2), see `./shell`;
 * 4. the pod annotation `kubeloop.dev/behavior`, then `kubeloop.dev/behavior.<container>`.
 *
 * The annotation grammar is documented in the package README and on {@link parseBehavior}.
 *
 * @module
 */
import type { Container, Pod } from '@kubeloop/core';
import { parseDuration, tryParseQuantity } from '@kubeloop/core';
import { RuntimeFakeError } from './errors.js';
import { imageRepository, normalizeImage } from './images.js';
import type { ContainerProgram, PodData } from './shell/program.js';
import { containerArgv, containerProgram } from './shell/program.js';
import type { ShellNetwork } from './shell/network.js';
import type { UsageShape } from './usage-shape.js';
import { firstTimeAbove, usageAt } from './usage-shape.js';
import { containerUsageShapes } from './usage.js';

/**
 * How one container behaves. Every field is optional; absent fields mean the default: run
 * until stopped, pass every probe, use nothing, exit 0 at once on SIGTERM.
 */
export interface ContainerBehavior {
  /** Exit on its own this many ms after starting (crash or completion); never when absent. */
  readonly exitAfterMs?: number | undefined;
  /** The exit code of that exit (default 0). */
  readonly exitCode?: number | undefined;
  /** Readiness probes fail for this many ms after start. */
  readonly notReadyForMs?: number | undefined;
  /** Liveness probes fail from this many ms after start on (the kubelet will restart it). */
  readonly livenessFailAfterMs?: number | undefined;
  /** Startup probes fail for this many ms after start. */
  readonly startupMs?: number | undefined;
  /** CPU used while running, in millicores. */
  readonly cpuMillicores?: number | undefined;
  /** Memory used right after start, in bytes. */
  readonly memoryBytes?: number | undefined;
  /** Memory growth per second while running, in bytes (a leak: ends in OOMKilled under a limit). */
  readonly memoryGrowthBytesPerSecond?: number | undefined;
  /**
   * Memory used over time since start (the `kubeloop.dev/memory-usage` annotation, see
   * `usage-shape.ts`); when set it replaces `memoryBytes` and `memoryGrowthBytesPerSecond`, and
   * the container is OOM-killed when it passes the memory limit.
   */
  readonly memoryShape?: UsageShape | undefined;
  /** How long it takes to exit after SIGTERM, in ms (default 0); `Infinity` ignores SIGTERM. */
  readonly stopAfterMs?: number | undefined;
  /** The exit code after SIGTERM (default 0). */
  readonly stopExitCode?: number | undefined;
  /**
   * The container's command line, run by the shell interpreter when the container starts: it
   * plans the exit (unless `exitAfterMs` is set, e.g. by an annotation), the reaction to
   * SIGTERM (unless `stopAfterMs` is set) and writes the container's log.
   */
  readonly program?: ContainerProgram | undefined;
}

/** What the kubelet knows of a pod when one of its containers starts (for its command line). */
export interface ContainerContext {
  /** The pod's IP, once its sandbox has one (`status.podIP` in `fieldRef`s). */
  readonly podIP?: (() => string | undefined) | undefined;
  /** The ConfigMaps and Secrets the pod refers to, once read (`env` and mounted files). */
  readonly data?: (() => PodData | undefined) | undefined;
  /** The pod's emptyDir volumes, shared by its containers' programs (see `containerProgram`). */
  readonly emptyDirs?: Map<string, Map<string, string>> | undefined;
}

/** The annotation choosing the behavior of every container of a pod. */
export const BEHAVIOR_ANNOTATION = 'kubeloop.dev/behavior';

/** The annotation choosing the behavior of one container: `kubeloop.dev/behavior.<container>`. */
export function containerBehaviorAnnotation(containerName: string): string {
  return `${BEHAVIOR_ANNOTATION}.${containerName}`;
}

function quantityNumber(item: string, text: string, milli: boolean): number {
  const q = tryParseQuantity(text);
  if (q === undefined || q.sign() < 0) throw new RuntimeFakeError('invalid-behavior', `invalid behavior item "${item}": "${text}" is not a non-negative quantity`);
  return milli ? q.milliValue() : q.value();
}

function durationOf(item: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (cause) {
    throw new RuntimeFakeError('invalid-behavior', `invalid behavior item "${item}": "${text}" is not a duration`, { cause });
  }
}

/**
 * Parses a behavior annotation value: comma-separated items, each either the name of a
 * behavior registered with {@link BehaviorRegistry.define} (applied first, in order) or a
 * `key=value` setting:
 *
 * | item | meaning |
 * |---|---|
 * | `crash-after=10s` | exit after 10 s with exit code 1 (unless `exit-code` says otherwise) |
 * | `complete-after=5s` | exit after 5 s with exit code 0 (unless `exit-code` says otherwise) |
 * | `exit-code=3` | the exit code of that exit |
 * | `not-ready-for=30s` | readiness probes fail for the first 30 s |
 * | `liveness-fail-after=1m` | liveness probes fail from 1 min after start on |
 * | `startup-time=20s` | startup probes fail for the first 20 s |
 * | `cpu=250m` | uses 250 millicores |
 * | `memory=64Mi` | uses 64 MiB |
 * | `memory-growth=1Mi` | uses 1 MiB more every second |
 * | `stop-after=5s` / `stop-after=never` | takes 5 s to exit on SIGTERM / ignores SIGTERM |
 * | `stop-exit-code=143` | the exit code after SIGTERM |
 *
 * Guarantees: pure; `named` resolves registered names.
 *
 * Errors: {@link RuntimeFakeError} `invalid-behavior` naming the item (unknown key, unknown
 * name, bad duration, quantity or exit code).
 *
 * @example
 * ```ts
 * parseBehavior('crash-after=10s,exit-code=2', () => undefined); // { exitAfterMs: 10000, exitCode: 2 }
 * ```
 */
export function parseBehavior(value: string, named: (name: string) => ContainerBehavior | undefined): ContainerBehavior {
  let out: ContainerBehavior = {};
  let exitCodeSet: number | undefined;
  let defaultExitCode: number | undefined;
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) {
      const preset = named(item);
      if (preset === undefined) throw new RuntimeFakeError('invalid-behavior', `invalid behavior item "${item}": no behavior of that name is registered`);
      out = { ...out, ...preset };
      continue;
    }
    const key = item.slice(0, eq).trim();
    const v = item.slice(eq + 1).trim();
    switch (key) {
      case 'crash-after':
        out = { ...out, exitAfterMs: durationOf(item, v) };
        defaultExitCode = 1;
        break;
      case 'complete-after':
        out = { ...out, exitAfterMs: durationOf(item, v) };
        defaultExitCode = 0;
        break;
      case 'exit-code':
      case 'stop-exit-code': {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 255) throw new RuntimeFakeError('invalid-behavior', `invalid behavior item "${item}": an exit code is an integer in 0..255`);
        if (key === 'exit-code') exitCodeSet = n;
        else out = { ...out, stopExitCode: n };
        break;
      }
      case 'not-ready-for':
        out = { ...out, notReadyForMs: durationOf(item, v) };
        break;
      case 'liveness-fail-after':
        out = { ...out, livenessFailAfterMs: durationOf(item, v) };
        break;
      case 'startup-time':
        out = { ...out, startupMs: durationOf(item, v) };
        break;
      case 'cpu':
        out = { ...out, cpuMillicores: quantityNumber(item, v, true) };
        break;
      case 'memory':
        out = { ...out, memoryBytes: quantityNumber(item, v, false) };
        break;
      case 'memory-growth':
        out = { ...out, memoryGrowthBytesPerSecond: quantityNumber(item, v, false) };
        break;
      case 'stop-after':
        out = { ...out, stopAfterMs: v === 'never' ? Number.POSITIVE_INFINITY : durationOf(item, v) };
        break;
      default:
        throw new RuntimeFakeError('invalid-behavior', `invalid behavior item "${item}": unknown key "${key}"`);
    }
  }
  const exitCode = exitCodeSet ?? defaultExitCode;
  return exitCode === undefined ? out : { ...out, exitCode };
}

/**
 * The behaviors a node's runtime knows: a default, per-image entries and named presets that
 * annotations refer to. Users (and plugins) add to it; the built-in presets are `forever`,
 * `crashloop` (`crash-after=5s,exit-code=1`), `job` (`complete-after=10s`) and `slow-start`
 * (`not-ready-for=30s,startup-time=30s`).
 *
 * Guarantees: lookups are deterministic; a later `image`/`define` for the same key replaces the
 * earlier one.
 *
 * @example
 * ```ts
 * const behaviors = new BehaviorRegistry()
 *   .image('example.com/batch', { exitAfterMs: 30_000 })   // every tag of that image
 *   .define('leaky', { memoryBytes: 50 * 2 ** 20, memoryGrowthBytesPerSecond: 2 ** 20 });
 * // a pod annotated `kubeloop.dev/behavior: leaky` now leaks 1 MiB/s
 * ```
 */
export class BehaviorRegistry {
  readonly #images = new Map<string, ContainerBehavior>();
  readonly #named = new Map<string, ContainerBehavior>([
    ['forever', {}],
    ['crashloop', { exitAfterMs: 5000, exitCode: 1 }],
    ['job', { exitAfterMs: 10_000, exitCode: 0 }],
    ['slow-start', { notReadyForMs: 30_000, startupMs: 30_000 }],
  ]);
  #default: ContainerBehavior = {};
  #network: ShellNetwork | undefined;
  #commands = true;

  /**
   * The network that `wget`, `curl` and `nslookup` in containers' command lines see (default:
   * nothing resolves; see `NO_NETWORK`). A networking simulation sets it.
   */
  setNetwork(network: ShellNetwork | undefined): this {
    this.#network = network;
    return this;
  }

  /**
   * Whether containers' command lines are interpreted (default true). With `false`, every
   * container follows its image entry, default and annotations only, as before the interpreter.
   */
  interpretCommands(on: boolean): this {
    this.#commands = on;
    return this;
  }

  /** Sets the behavior of containers nothing else matches (default `{}`: run forever, ready). */
  setDefault(behavior: ContainerBehavior): this {
    this.#default = behavior;
    return this;
  }

  /**
   * Sets the behavior of an image: `repo` (every tag) or `repo:tag` / `repo@digest` (exactly
   * that one). Names are normalized like a container runtime does (`nginx` is
   * `docker.io/library/nginx`).
   */
  image(image: string, behavior: ContainerBehavior): this {
    const key = image.includes(':') || image.includes('@') ? normalizeImage(image) : imageRepository(image);
    this.#images.set(key, behavior);
    return this;
  }

  /** Registers a named preset that annotations can refer to by name. */
  define(name: string, behavior: ContainerBehavior): this {
    if (name === '' || name.includes('=') || name.includes(',')) throw new RuntimeFakeError('invalid-behavior', `invalid behavior name "${name}": must not be empty or contain "=" or ","`);
    this.#named.set(name, behavior);
    return this;
  }

  /** The named preset, if registered. */
  named(name: string): ContainerBehavior | undefined {
    return this.#named.get(name);
  }

  #registered(image: string | undefined): boolean {
    return image !== undefined && image !== '' && (this.#images.has(normalizeImage(image)) || this.#images.has(imageRepository(image)));
  }

  /** The behavior registered for an image (exact reference first, then its repository), else the default. */
  forImage(image: string | undefined): ContainerBehavior {
    if (image === undefined || image === '') return this.#default;
    return this.#images.get(normalizeImage(image)) ?? this.#images.get(imageRepository(image)) ?? this.#default;
  }

  /**
   * The behavior of `container` in `pod`: the image's; then, if the shell interpreter knows the
   * container's command line (with the image's entrypoint/cmd, as Kubernetes combines them),
   * its `program` with the exit and SIGTERM fields cleared; then the pod annotation, then the
   * container annotation, field by field. So an annotation's `crash-after`/`complete-after`
   * or `stop-after` wins over what the command line would do (its log is still written, up to
   * the exit).
   *
   * Errors: {@link RuntimeFakeError} `invalid-behavior` for a malformed annotation.
   */
  resolve(pod: Pod, container: Container, context: ContainerContext = {}): ContainerBehavior {
    const annotations = pod.metadata.annotations ?? {};
    let out = this.forImage(container.image);
    // An image registered here says what the image does when the container gives no command.
    const ownCommand = container.command !== undefined || container.args !== undefined || !this.#registered(container.image);
    const program = this.#commands && ownCommand ? containerProgram({ pod, container, podIP: context.podIP, data: context.data, emptyDirs: context.emptyDirs, network: this.#network?.forPod?.(pod) ?? this.#network, fallback: out }) : undefined;
    if (program !== undefined) out = { ...out, exitAfterMs: undefined, exitCode: undefined, stopAfterMs: undefined, stopExitCode: undefined, program };
    else {
      const load = loadGeneratorBehavior(container.image, containerArgv(container, {}));
      if (load !== undefined) out = { ...out, ...load };
    }
    const all = annotations[BEHAVIOR_ANNOTATION];
    const own = annotations[containerBehaviorAnnotation(container.name)];
    const lookup = (name: string): ContainerBehavior | undefined => this.named(name);
    if (all !== undefined) out = { ...out, ...parseBehavior(all, lookup) };
    if (own !== undefined) out = { ...out, ...parseBehavior(own, lookup) };
    const memoryShape = containerUsageShapes(pod, container.name).memory;
    if (memoryShape !== undefined) out = { ...out, memoryShape };
    return out;
  }
}

/** A size as `stress` reads it: a number with an optional `B`, `K`, `M` or `G` suffix, in powers of 1024. */
function stressBytes(text: string | undefined): number | undefined {
  const m = /^(\d+)([bBkKmMgG]?)$/.exec(text ?? '');
  if (m === null) return undefined;
  const power = { '': 0, b: 0, k: 1, m: 2, g: 3 }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  return Number(m[1]) * 1024 ** power;
}

/** A duration as `stress --timeout` reads it: seconds, or a number with `s`, `m`, `h` or `d`. */
function stressSeconds(text: string | undefined): number | undefined {
  const m = /^(\d+)([smhd]?)$/.exec(text ?? '');
  if (m === null) return undefined;
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2]! as '' | 's' | 'm' | 'h' | 'd'];
}

/**
 * What a load generator does with its arguments, for the images kubernetes.io's resource tasks
 * run (`argv` is the container's command and args as Kubernetes combines them):
 * - `stress` (`polinux/stress`): `--vm N --vm-bytes B` workers hold N × B of memory (256M each
 *   by default) and spin a CPU each unless `--vm-hang`; `--cpu N` spins N CPUs; `--timeout T`
 *   ends it with exit 0 after T;
 * - `vish/stress`: `-cpus N` spins N CPUs.
 *
 * CPU use is what the workers would take; the container's limit caps it (CFS throttling), and
 * memory above its limit is an OOM kill, as for any behavior. Undefined for any other program.
 */
export function loadGeneratorBehavior(image: string | undefined, argv: readonly string[]): ContainerBehavior | undefined {
  const repository = imageRepository(image ?? '');
  const program = (argv[0] ?? '').slice((argv[0] ?? '').lastIndexOf('/') + 1);
  const value = (...names: string[]): string | undefined => {
    const i = argv.findIndex((a) => names.includes(a));
    return i < 0 ? undefined : argv[i + 1];
  };
  if (program === 'stress' || (repository === 'docker.io/polinux/stress' && argv.length === 0)) {
    const vm = Number(value('--vm', '-m') ?? '0') || 0;
    const cpu = Number(value('--cpu', '-c') ?? '0') || 0;
    const hang = argv.includes('--vm-hang');
    const bytes = stressBytes(value('--vm-bytes') ?? '256M') ?? 256 * 1024 ** 2;
    const timeout = stressSeconds(value('--timeout', '-t'));
    return { memoryBytes: vm * bytes, cpuMillicores: (cpu + (hang ? 0 : vm)) * 1000, ...(timeout === undefined ? {} : { exitAfterMs: timeout * 1000, exitCode: 0 }) };
  }
  if (repository === 'docker.io/vish/stress') return { cpuMillicores: (Number(value('-cpus') ?? '0') || 0) * 1000 };
  return undefined;
}

/** How a started container will end on its own, if it does. */
export interface PlannedExit {
  /** When, in ms after its start. */
  readonly afterMs: number;
  /** The exit code (137 for an OOM kill). */
  readonly exitCode: number;
  /** `Completed`, `Error` or `OOMKilled`. */
  readonly reason: 'Completed' | 'Error' | 'OOMKilled';
}

/**
 * The memory a container uses `elapsedMs` after its start: `memoryBytes` plus the growth.
 *
 * @example
 * ```ts
 * memoryUsage({ memoryBytes: 100, memoryGrowthBytesPerSecond: 10 }, 2500); // 125
 * ```
 */
export function memoryUsage(behavior: ContainerBehavior, elapsedMs: number): number {
  if (behavior.memoryShape !== undefined) return Math.floor(usageAt(behavior.memoryShape, elapsedMs));
  return (behavior.memoryBytes ?? 0) + Math.floor(((behavior.memoryGrowthBytesPerSecond ?? 0) * elapsedMs) / 1000);
}

/**
 * When and how a container with `behavior` and memory limit `memoryLimitBytes` ends on its own:
 * the earlier of its own exit and the moment its memory use exceeds the limit (the kernel's
 * OOM killer: exit code 137, reason `OOMKilled`; at the same moment, the OOM kill wins).
 * Undefined when it runs until stopped.
 *
 * @example
 * ```ts
 * // 100 MiB + 10 MiB/s under a 128 MiB limit: usage is exactly 128 MiB at 2.8 s, over it 1 ms later
 * plannedExit({ memoryBytes: 100 * Mi, memoryGrowthBytesPerSecond: 10 * Mi }, 128 * Mi);
 * // { afterMs: 2801, exitCode: 137, reason: 'OOMKilled' }
 * ```
 */
export function plannedExit(behavior: ContainerBehavior, memoryLimitBytes: number | undefined): PlannedExit | undefined {
  let oomAfter: number | undefined;
  if (memoryLimitBytes !== undefined && behavior.memoryShape !== undefined) {
    oomAfter = firstTimeAbove(behavior.memoryShape, memoryLimitBytes);
  } else if (memoryLimitBytes !== undefined) {
    const start = behavior.memoryBytes ?? 0;
    const growth = behavior.memoryGrowthBytesPerSecond ?? 0;
    if (start > memoryLimitBytes) oomAfter = 0;
    else if (growth > 0) {
      // first whole millisecond at which usage > limit
      let t = Math.ceil(((memoryLimitBytes - start + 1) * 1000) / growth);
      while (t > 0 && memoryUsage(behavior, t - 1) > memoryLimitBytes) t--;
      while (memoryUsage(behavior, t) <= memoryLimitBytes) t++;
      oomAfter = t;
    }
  }
  const exitAfter = behavior.exitAfterMs;
  if (oomAfter !== undefined && (exitAfter === undefined || oomAfter <= exitAfter)) return { afterMs: oomAfter, exitCode: 137, reason: 'OOMKilled' };
  if (exitAfter === undefined) return undefined;
  const exitCode = behavior.exitCode ?? 0;
  return { afterMs: exitAfter, exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' };
}
