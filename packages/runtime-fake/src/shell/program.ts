/**
 * From a container spec to a running program: Kubernetes' rules for `command`/`args` over the
 * image's entrypoint/cmd, the container's environment and mounted files, and a
 * {@link ContainerProgram} that the runtime starts — planning the exit up front and producing
 * log lines lazily, on virtual time.
 *
 * @module
 */
import type { Client, ConfigMap, Container, Pod, Secret } from '@kubeloop/core';
import { ConfigMaps, Secrets, isApiError, tryParseQuantity } from '@kubeloop/core';
import { imageRepository } from '../images.js';
import type { ShellEnd, ShellEnvironment, ShellHints } from './interpret.js';
import { knowsCommand, runShell } from './interpret.js';
import type { ShellNetwork } from './network.js';
import { NO_NETWORK } from './network.js';
import { CLUSTER_DOMAIN } from '../traffic/dns.js';

/** An image's own `ENTRYPOINT` and `CMD`, as its image config has them. */
export interface ImageCommand {
  /** `ENTRYPOINT` (empty when unset). */
  readonly entrypoint?: readonly string[] | undefined;
  /** `CMD`. */
  readonly cmd?: readonly string[] | undefined;
}

/**
 * The entrypoint/cmd of well-known shell images (by normalized repository): with no command of
 * their own they run a shell on an empty, closed standard input, which exits 0 at once — so a
 * Deployment of bare `busybox` crash-loops, as in a real cluster. Other images are unknown here:
 * without a command they follow their behavior (by default, run until stopped, as a server does).
 */
export const IMAGE_COMMANDS: Readonly<Record<string, ImageCommand>> = {
  'docker.io/library/busybox': { cmd: ['sh'] },
  'registry.k8s.io/busybox': { cmd: ['sh'] },
  'gcr.io/google-containers/busybox': { cmd: ['sh'] },
  'docker.io/library/alpine': { cmd: ['/bin/sh'] },
  'docker.io/library/bash': { entrypoint: ['docker-entrypoint.sh'], cmd: ['bash'] },
  'docker.io/library/ubuntu': { cmd: ['/bin/bash'] },
  'docker.io/library/debian': { cmd: ['bash'] },
};

/** Shell images: their own program is the shell (never handed over to). */
const SHELL_IMAGES = new Set(Object.keys(IMAGE_COMMANDS));

/**
 * Expands Kubernetes' `$(VAR)` references in a command, argument or env value (upstream
 * `expansion.Expand`): a defined variable is replaced, an undefined one is left as written,
 * `$$` is a literal `$`.
 *
 * @example
 * ```ts
 * expandReferences('echo $(GREETING) $(MISSING) $$(HOME)', { GREETING: 'hi' }); // 'echo hi $(MISSING) $(HOME)'
 * ```
 */
export function expandReferences(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(env, name) ? env[name]! : all;
  });
}

/**
 * The argv a container runs, as Kubernetes combines it with the image (upstream
 * `kuberuntime.makeRuntimeContainer` / docker semantics): `command` replaces the entrypoint and,
 * when given, drops the image's cmd; `args` replaces the cmd. `$(VAR)` references are expanded
 * from the container's environment.
 *
 * @example
 * ```ts
 * containerArgv({ name: 'c', image: 'busybox', args: ['sleep', '5'] }, {}); // ['sleep', '5']
 * containerArgv({ name: 'c', image: 'busybox' }, {});                       // ['sh']
 * ```
 */
export function containerArgv(container: Container, env: Readonly<Record<string, string>>, images: Readonly<Record<string, ImageCommand>> = IMAGE_COMMANDS): string[] {
  const image = images[imageRepository(container.image ?? '')] ?? {};
  const entrypoint = container.command ?? image.entrypoint ?? [];
  const cmd = container.args ?? (container.command === undefined ? (image.cmd ?? []) : []);
  return [...entrypoint, ...cmd].map((a) => expandReferences(a, env));
}

/** The ConfigMaps and Secrets a pod refers to (volumes, `env`, `envFrom`), as the kubelet read them: data by name. */
export interface PodData {
  /** ConfigMap `data` by name (absent: not found). */
  readonly configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Secret data, decoded, by name (absent: not found). */
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The files of the pod's node that `hostPath` volumes mount, by absolute path (none when absent). */
  readonly hostFiles?: ReadonlyMap<string, string> | undefined;
}

/** What a pod that refers to no ConfigMap and no Secret reads. */
const NO_POD_DATA: PodData = Object.freeze({ configMaps: new Map(), secrets: new Map() });

/** The names of the ConfigMaps and Secrets `pod` refers to. */
function referencedObjects(pod: Pod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const v of pod.spec.volumes ?? []) {
    if (v.configMap?.name !== undefined) configMaps.add(v.configMap.name);
    if (v.secret?.secretName !== undefined) secrets.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name !== undefined) configMaps.add(s.configMap.name);
      if (s.secret?.name !== undefined) secrets.add(s.secret.name);
    }
  }
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name !== undefined) configMaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name !== undefined) secrets.add(e.valueFrom.secretKeyRef.name);
    }
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef?.name !== undefined) configMaps.add(f.configMapRef.name);
      if (f.secretRef?.name !== undefined) secrets.add(f.secretRef.name);
    }
  }
  return { configMaps, secrets };
}

function decodeSecret(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries((secret as { stringData?: Record<string, string> }).stringData ?? {})) out[k] = v;
  return out;
}

/**
 * Reads the ConfigMaps and Secrets `pod` refers to (the kubelet calls it once, when it sets up
 * the pod's sandbox). Missing objects are left out.
 *
 * Errors: rejects with the API error for anything but NotFound.
 */
export async function loadPodData(client: Client, pod: Pod): Promise<PodData> {
  const namespace = pod.metadata.namespace ?? 'default';
  const { configMaps, secrets } = referencedObjects(pod);
  // Most pods refer to nothing: they share one empty answer (a kubelet keeps one per pod).
  if (configMaps.size === 0 && secrets.size === 0) return NO_POD_DATA;
  const get = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      if (isApiError(error, 'NotFound')) return undefined;
      throw error;
    }
  };
  const cms = new Map<string, Record<string, string>>();
  for (const name of configMaps) {
    const cm: ConfigMap | undefined = await get(() => client.get(ConfigMaps, { namespace, name }));
    if (cm !== undefined) cms.set(name, { ...(cm.data ?? {}) });
  }
  const ss = new Map<string, Record<string, string>>();
  for (const name of secrets) {
    const s: Secret | undefined = await get(() => client.get(Secrets, { namespace, name }));
    if (s !== undefined) ss.set(name, decodeSecret(s));
  }
  return { configMaps: cms, secrets: ss };
}

/** The annotation the Job controller sets on the pods of an Indexed Job. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** The pod's host name (`spec.hostname`, else its name), as `hostname` prints it in the pod. */
export function podHostname(pod: Pod): string {
  return (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63);
}

function fieldValue(pod: Pod, path: string, podIP: string | undefined): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m !== null) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return podIP ?? pod.status.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return pod.status.hostIP ?? '';
    default:
      return '';
  }
}

/**
 * A map as a downward API volume file holds it (upstream `fieldpath.FormatMap`): one
 * `key="value"` line per entry, sorted by key, without a final newline.
 */
function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

/**
 * The kubelet-managed `/etc/hosts` of a pod (upstream `managedHostsFileContent`): localhost and
 * the IPv6 names, the pod's IP with its host name (its FQDN first when it has a subdomain), then
 * the `hostAliases`.
 */
export function managedHostsFile(pod: Pod, podIP: string): string {
  const hostname = podHostname(pod);
  const subdomain = pod.spec.subdomain;
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    subdomain === undefined || subdomain === '' ? `${podIP}\t${hostname}` : `${podIP}\t${hostname}.${subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${CLUSTER_DOMAIN}\t${hostname}`,
  ];
  const aliases = pod.spec.hostAliases ?? [];
  if (aliases.length > 0) lines.push('', '# Entries added by HostAliases.', ...aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}`));
  return `${lines.join('\n')}\n`;
}

function resourceValue(pod: Pod, container: Container, ref: { containerName?: string | undefined; resource: string; divisor?: string | number | undefined }): string {
  const target = ref.containerName === undefined ? container : ([...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === ref.containerName) ?? container);
  const [kind, resource] = ref.resource.split('.') as [string, string];
  const list = kind === 'limits' ? target.resources?.limits : target.resources?.requests;
  const q = tryParseQuantity(String(list?.[resource] ?? (kind === 'requests' ? '0' : '')));
  const divisor = tryParseQuantity(String(ref.divisor ?? '1'));
  if (q === undefined || divisor === undefined || divisor.milliValue() === 0) return '';
  return String(Math.ceil(q.milliValue() / divisor.milliValue()));
}

/**
 * The environment of `container` in `pod` (upstream `kubelet.makeEnvironmentVariables`):
 * `PATH`, `HOSTNAME`, `HOME`, the `kubernetes` Service's variables, then `envFrom`, then
 * `env` in order (`value` with `$(VAR)` expansion, `fieldRef`, `resourceFieldRef`,
 * `configMapKeyRef`, `secretKeyRef`). `JOB_COMPLETION_INDEX` comes from the pod's
 * `batch.kubernetes.io/job-completion-index` annotation when `env` does not set it (the Job
 * controller normally injects it as a `fieldRef`).
 *
 * Caveats: a missing ConfigMap/Secret or key gives no variable (upstream: `CreateContainerConfigError`
 * unless optional).
 */
export function containerEnvironment(pod: Pod, container: Container, data: PodData | undefined, podIP: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOSTNAME: podHostname(pod),
    HOME: '/root',
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
  };
  for (const from of container.envFrom ?? []) {
    const source = from.configMapRef?.name !== undefined ? data?.configMaps.get(from.configMapRef.name) : from.secretRef?.name !== undefined ? data?.secrets.get(from.secretRef.name) : undefined;
    for (const [k, v] of Object.entries(source ?? {})) env[`${from.prefix ?? ''}${k}`] = v;
  }
  const index = pod.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (index !== undefined) env['JOB_COMPLETION_INDEX'] = index;
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (from === undefined) env[e.name] = expandReferences(e.value ?? '', env);
    else if (from.fieldRef !== undefined) env[e.name] = fieldValue(pod, from.fieldRef.fieldPath, podIP);
    else if (from.resourceFieldRef !== undefined) env[e.name] = resourceValue(pod, container, from.resourceFieldRef);
    else if (from.configMapKeyRef !== undefined) {
      const v = data?.configMaps.get(from.configMapKeyRef.name ?? '')?.[from.configMapKeyRef.key];
      if (v !== undefined) env[e.name] = v;
    } else if (from.secretKeyRef !== undefined) {
      const v = data?.secrets.get(from.secretKeyRef.name ?? '')?.[from.secretKeyRef.key];
      if (v !== undefined) env[e.name] = v;
    }
  }
  return env;
}

/**
 * Why the kubelet cannot build `container`'s environment from `data` (upstream
 * `makeEnvironmentVariables`, which fails the container with `CreateContainerConfigError`): a
 * ConfigMap or Secret that `envFrom` or an `env` key reference names and that does not exist
 * (`configmap "special-config" not found`), or a key it lacks (`couldn't find key
 * special.how in ConfigMap default/special-config`); references marked `optional` are skipped.
 * `envFrom` is checked first, then `env`, in order. Undefined when nothing is missing.
 */
export function containerConfigError(pod: Pod, container: Container, data: PodData): string | undefined {
  const namespace = pod.metadata.namespace ?? 'default';
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef !== undefined && from.configMapRef.optional !== true && !data.configMaps.has(from.configMapRef.name ?? '')) return `configmap "${from.configMapRef.name ?? ''}" not found`;
    if (from.secretRef !== undefined && from.secretRef.optional !== true && !data.secrets.has(from.secretRef.name ?? '')) return `secret "${from.secretRef.name ?? ''}" not found`;
  }
  for (const e of container.env ?? []) {
    for (const [ref, kind, objects] of [
      [e.valueFrom?.configMapKeyRef, 'ConfigMap', data.configMaps],
      [e.valueFrom?.secretKeyRef, 'Secret', data.secrets],
    ] as const) {
      if (ref === undefined || ref.optional === true) continue;
      const object = objects.get(ref.name ?? '');
      if (object === undefined) return `${kind.toLowerCase()} "${ref.name ?? ''}" not found`;
      if (!Object.hasOwn(object, ref.key)) return `couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name ?? ''}`;
    }
  }
  return undefined;
}

/** Where the service account volume is mounted in every container. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The files `container` sees from its ConfigMap, Secret, projected and downward API volume
 * mounts, by absolute path (`<mountPath>/<key or item path>`; a `subPath` mount is the one
 * file), the node's files under a `hostPath` mount (`PodData.hostFiles`), the service
 * account's `namespace` file (unless `automountServiceAccountToken: false`)
 * and, once the pod has an IP of its own, the kubelet-managed `/etc/hosts` ({@link managedHostsFile}).
 */
export function containerFiles(pod: Pod, container: Container, data: PodData | undefined, podIP: string | undefined): Map<string, string> {
  const files = new Map<string, string>();
  // The service account volume every pod gets unless it opts out (only its namespace file here).
  if (pod.spec.automountServiceAccountToken !== false) files.set(`${SERVICE_ACCOUNT_DIR}/namespace`, pod.metadata.namespace ?? 'default');
  // The kubelet manages /etc/hosts in every container of a pod with its own network.
  const ip = podIP ?? pod.status?.podIP;
  if (pod.spec.hostNetwork !== true && ip !== undefined) files.set('/etc/hosts', managedHostsFile(pod, ip));
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  for (const mount of container.volumeMounts ?? []) {
    const v = volumes.get(mount.name);
    if (v === undefined) continue;
    const entries = new Map<string, string>();
    const add = (source: Readonly<Record<string, string>> | undefined, items: readonly { key: string; path: string }[] | undefined): void => {
      if (source === undefined) return;
      if (items === undefined) for (const [k, value] of Object.entries(source)) entries.set(k, value);
      else for (const item of items) if (source[item.key] !== undefined) entries.set(item.path, source[item.key]!);
    };
    if (v.configMap !== undefined) add(data?.configMaps.get(v.configMap.name ?? ''), v.configMap.items);
    if (v.secret !== undefined) add(data?.secrets.get(v.secret.secretName ?? ''), v.secret.items);
    const downward = (items: readonly { path: string; fieldRef?: { fieldPath: string } | undefined; resourceFieldRef?: Parameters<typeof resourceValue>[2] | undefined }[] | undefined): void => {
      for (const item of items ?? []) {
        if (item.fieldRef !== undefined) entries.set(item.path, fieldValue(pod, item.fieldRef.fieldPath, podIP));
        else if (item.resourceFieldRef !== undefined) entries.set(item.path, resourceValue(pod, container, item.resourceFieldRef));
      }
    };
    downward(v.downwardAPI?.items);
    // A hostPath volume: the node's file at that path, or its files under that directory.
    if (v.hostPath !== undefined) {
      const root = v.hostPath.path.replace(/\/+$/, '');
      for (const [path, text] of data?.hostFiles ?? []) {
        if (path === root) {
          files.set(mount.mountPath.replace(/\/+$/, ''), text);
        } else if (path.startsWith(`${root}/`)) entries.set(path.slice(root.length + 1), text);
      }
    }
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap !== undefined) add(data?.configMaps.get(s.configMap.name ?? ''), s.configMap.items);
      if (s.secret !== undefined) add(data?.secrets.get(s.secret.name ?? ''), s.secret.items);
      downward(s.downwardAPI?.items);
    }
    const base = mount.mountPath.replace(/\/+$/, '');
    if (mount.subPath !== undefined && mount.subPath !== '') {
      const one = entries.get(mount.subPath);
      if (one !== undefined) files.set(base, one);
      continue;
    }
    for (const [path, value] of entries) files.set(`${base}/${path}`, value);
  }
  return files;
}

/** `files` with the network's `/etc/resolv.conf` added, when it gives one. */
export function withResolvConf(files: Map<string, string>, network: ShellNetwork): Map<string, string> {
  const text = network.resolvConf?.();
  if (text !== undefined) files.set('/etc/resolv.conf', text);
  return files;
}

/** One line of a container's log, as the runtime keeps it. */
export interface ContainerLogLine {
  /** When it was written (virtual ms). */
  readonly at: number;
  /** `stdout` or `stderr`. */
  readonly stream: 'stdout' | 'stderr';
  /** The line, without its newline. */
  readonly text: string;
}

/** How a started program will end on its own, as planned at its start. */
export interface ProgramPlan {
  /** When it exits (ms after start) and with which code; undefined when it runs until stopped. */
  readonly exit: { readonly afterMs: number; readonly exitCode: number } | undefined;
  /** How long it takes to exit after SIGTERM (`Infinity`: it ignores SIGTERM, as a shell as PID 1 does). */
  readonly stopAfterMs: number;
  /** The exit code after SIGTERM. */
  readonly stopExitCode: number;
}

/** A program started in a container: its plan, and its log produced on demand. */
export interface ProgramRun {
  /** The plan made at start. */
  readonly plan: ProgramPlan;
  /**
   * Produces the lines written up to `until` (inclusive; at most the last `keep` of them are
   * needed) and hands each to `emit`, in order; later calls continue where the last stopped.
   */
  logsUntil(until: number, keep: number, emit: (line: ContainerLogLine) => void): void;
  /**
   * Runs `argv` inside the container at virtual time `at` (an exec probe, `kubectl exec`): with
   * the container's environment and mounted files, and the files its own script has at `at`
   * (what it wrote, removed or left in its emptyDir volumes by then). The command's own file
   * changes are not kept. Undefined when the interpreter does not know `argv`.
   */
  exec(argv: readonly string[], at: number): ProgramExec | undefined;
}

/** What a command run in a container by {@link ProgramRun.exec} did. */
export interface ProgramExec {
  /** Its output, stdout and stderr interleaved. */
  readonly output: string;
  /** Its exit code; undefined when it did not end within the budget (a loop, `sleep infinity`). */
  readonly exitCode: number | undefined;
  /** When it ended (virtual ms), if it did. */
  readonly endedAt: number | undefined;
}

/** Loop iterations (and sleeps) an exec, or the replay of a script up to a time, follows at most. */
const EXEC_BUDGET = 10_000;

/**
 * Runs `argv` (which `knowsCommand` accepted) from `at` to its end, within a budget of
 * {@link EXEC_BUDGET} events: what it printed, its exit code and when it ended (both undefined
 * when it hangs, loops for ever or outlives the budget; exit 0 when it runs one of the image's
 * own programs, which behave as the image does). `files` are its writable files.
 */
export function execShell(argv: readonly string[], environment: ShellEnvironment, at: number, files?: Map<string, string>): ProgramExec {
  const run = runShell({ argv, environment, start: at, files });
  let output = '';
  for (let steps = 0; steps < EXEC_BUDGET; steps++) {
    const r = run.next();
    if (r.done === true) {
      const end = r.value;
      // One of the image's own programs (a health check such as `zookeeper-ready`) answers as the image behaves: it succeeds.
      if (end.kind === 'handover') return { output, exitCode: 0, endedAt: end.at };
      return { output, exitCode: end.kind === 'exit' ? end.code : undefined, endedAt: end.kind === 'exit' ? end.at : undefined };
    }
    if (r.value.kind === 'output') output += r.value.text;
    if (r.value.kind === 'forever') break;
  }
  return { output, exitCode: undefined, endedAt: undefined };
}

/** What a container's command line does, as the runtime starts it. */
export interface ContainerProgram {
  /** The argv that runs (after Kubernetes combined command/args with the image's). */
  readonly argv: readonly string[];
  /** Starts it at virtual time `start`. */
  start(start: number): ProgramRun;
}

/** Loop iterations the planner follows before it takes a script for one that runs until stopped. */
export const PLAN_ITERATION_BUDGET = 20_000;

/** What the image's own program does when a script hands over to it (its registered behavior). */
export interface ImageFallback {
  readonly exitAfterMs?: number | undefined;
  readonly exitCode?: number | undefined;
  readonly stopAfterMs?: number | undefined;
  readonly stopExitCode?: number | undefined;
}

/**
 * Plans a script: runs it ahead (ignoring its output) until it exits, is found to repeat
 * forever, hangs, hands over to the image, or runs out of the iteration budget.
 */
function plan(environment: () => ShellEnvironment, argv: readonly string[], start: number, fallback: ImageFallback, files: Map<string, string>): ProgramPlan {
  const run = runShell({ argv, environment: environment(), start, files });
  let ticks = 0;
  let end: ShellEnd | undefined;
  let trap: string | undefined;
  for (;;) {
    const r = run.next();
    if (r.done === true) {
      end = r.value;
      break;
    }
    if (r.value.kind === 'forever') break;
    if (r.value.kind === 'trap') trap = r.value.action;
    if (r.value.kind === 'tick' && ++ticks > PLAN_ITERATION_BUDGET) break;
  }
  // A shell (or the command it runs) as PID 1 has no SIGTERM handler: the signal is ignored
  // and the container is killed at the end of its grace period — unless the script traps
  // SIGTERM with a handler that exits (`trap 'exit 0' TERM`): then it stops at once.
  const handlerExit = trap === undefined ? null : /(?:^|[;&|\s])exit(?:\s+(\d+))?\s*;?\s*$/.exec(trap);
  const ignoresTerm = handlerExit === null ? { stopAfterMs: Number.POSITIVE_INFINITY, stopExitCode: 0 } : { stopAfterMs: 0, stopExitCode: Number(handlerExit[1] ?? '0') % 256 };
  if (end === undefined || end.kind === 'hang') return { exit: undefined, ...ignoresTerm };
  if (end.kind === 'exit') return { exit: { afterMs: end.at - start, exitCode: end.code }, ...ignoresTerm };
  return {
    exit: fallback.exitAfterMs === undefined ? undefined : { afterMs: end.at - start + fallback.exitAfterMs, exitCode: fallback.exitCode ?? 0 },
    stopAfterMs: fallback.stopAfterMs ?? 0,
    stopExitCode: fallback.stopExitCode ?? 0,
  };
}

/** Where a program's environment comes from when it starts. */
export interface ProgramContext {
  /** The pod (as it was when the kubelet admitted it). */
  readonly pod: Pod;
  /** The container. */
  readonly container: Container;
  /** The pod's IP, once the sandbox has one. */
  readonly podIP?: (() => string | undefined) | undefined;
  /** The ConfigMaps and Secrets the pod refers to, once the kubelet read them. */
  readonly data?: (() => PodData | undefined) | undefined;
  /** The network for `wget`/`curl`/`nslookup` (default {@link NO_NETWORK}). */
  readonly network?: ShellNetwork | undefined;
  /** What the image's own program does, if a script hands over to it. */
  readonly fallback?: ImageFallback | undefined;
  /** Entrypoint/cmd of images (default {@link IMAGE_COMMANDS}). */
  readonly images?: Readonly<Record<string, ImageCommand>> | undefined;
  /**
   * The pod's emptyDir volumes (volume name → files by path inside the volume), shared by its
   * containers and kept across their restarts; see {@link containerProgram}.
   */
  readonly emptyDirs?: Map<string, Map<string, string>> | undefined;
}

/** The container's mounts of emptyDir volumes: volume name and mount path (no trailing `/`). */
function emptyDirMounts(pod: Pod, container: Container): { readonly volume: string; readonly base: string }[] {
  const empty = new Set((pod.spec.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name));
  return (container.volumeMounts ?? []).filter((m) => empty.has(m.name) && (m.subPath ?? '') === '').map((m) => ({ volume: m.name, base: m.mountPath.replace(/\/+$/, '') }));
}

/** Words of an image name that say nothing about its program. */
const GENERIC_IMAGE_WORDS = new Set(['kubernetes', 'k8s', 'docker', 'image', 'images', 'library', 'server', 'test', 'e2e', 'example']);

/**
 * Whether `command`, which the shell does not know, is one of the image's own programs, judged
 * by the image's name (`program`, the repository's last segment): it starts with it (`nginx`
 * in `nginx`, `mysqld` in `mysql`), it shares a distinctive word with it (`start-zookeeper` in
 * `kubernetes-zookeeper`), or it is the official images' `docker-entrypoint.sh`.
 */
export function imageOwnsCommand(program: string, command: string): boolean {
  if (command.startsWith(program) || command === 'docker-entrypoint.sh') return true;
  const words = (text: string): string[] => text.split(/[-_.]/).filter((w) => w.length >= 4 && !GENERIC_IMAGE_WORDS.has(w));
  const own = new Set(words(program));
  return words(command).some((w) => own.has(w));
}

/**
 * The program `context.container` runs, if the interpreter knows its command line as a whole
 * (see `knowsCommand`); undefined otherwise — the container then follows its image's behavior.
 *
 * Guarantees: deterministic; starting it never throws (a bad script is a run that exits 2 with
 * the shell's message in its log).
 *
 * emptyDir volumes (`context.emptyDirs`): a started program sees the volume's files under its
 * mount path and may change them. Its script is run to its end when it starts (the plan), and
 * the files it leaves in the volume are stored back then: containers started later (the next
 * init container, the app containers, a restart) see them. A container running at the same
 * time sees them only if it starts after the writer did (a simplification: there is no
 * shared file system while two containers run).

 *
 * @example
 * ```ts
 * const program = containerProgram({ pod, container: { name: 'c', image: 'bash', command: ['bash', '-c', 'echo "Hello world!" && sleep 5 && exit 42'] } });
 * program?.start(0).plan; // { exit: { afterMs: 5000, exitCode: 42 }, stopAfterMs: Infinity, stopExitCode: 0 }
 * ```
 */
export function containerProgram(context: ProgramContext): ContainerProgram | undefined {
  const { pod, container } = context;
  // `$(VAR)` references rarely name the program: decide on the raw argv before building the environment.
  if (!knowsCommand(containerArgv(container, {}, context.images))) return undefined;
  const argv = containerArgv(container, containerEnvironment(pod, container, context.data?.(), context.podIP?.()), context.images);
  if (!knowsCommand(argv)) return undefined;
  const repository = imageRepository(container.image ?? '');
  const program = repository.slice(repository.lastIndexOf('/') + 1);
  const isImageProgram = SHELL_IMAGES.has(repository) || program === '' ? undefined : (name: string): boolean => imageOwnsCommand(program, name);
  return {
    argv,
    start(start: number): ProgramRun {
      const data = context.data?.();
      const podIP = context.podIP?.();
      const env = containerEnvironment(pod, container, data, podIP);
      const runArgv = containerArgv(container, env, context.images);
      const network = context.network ?? NO_NETWORK;
      const directories = (container.volumeMounts ?? []).map((m) => m.mountPath);
      const environment = (): ShellEnvironment => ({ env, files: withResolvConf(containerFiles(pod, container, data, podIP), network), hostname: podHostname(pod), network, isImageProgram, directories });
      const mounts = context.emptyDirs === undefined ? [] : emptyDirMounts(pod, container);
      const seed = (): Map<string, string> => {
        const files = new Map<string, string>();
        for (const { volume, base } of mounts) for (const [path, text] of context.emptyDirs?.get(volume) ?? []) files.set(`${base}/${path}`, text);
        return files;
      };
      const left = seed();
      const logFiles = seed();
      const startFiles = seed();
      /** The script's files at `at`: replayed from its start up to the sleep (or end) that spans `at`. */
      const filesAt = (at: number): Map<string, string> => {
        const files = new Map(startFiles);
        const live: { files?: ReadonlyMap<string, string> } = {};
        const replay = runShell({ argv: runArgv, environment: environment(), start, files, live });
        for (let steps = 0; steps < EXEC_BUDGET; steps++) {
          const r = replay.next();
          if (r.done === true) return files;
          const e = r.value;
          // `forever`: every further iteration leaves the state as it is now.
          if (e.at > at || e.kind === 'forever' || (e.kind === 'sleep' && e.until > at)) break;
        }
        return new Map(live.files ?? files);
      };
      const planned = plan(environment, runArgv, start, context.fallback ?? {}, left);
      for (const { volume, base } of mounts) {
        const kept = new Map<string, string>();
        for (const [path, text] of left) if (path.startsWith(`${base}/`)) kept.set(path.slice(base.length + 1), text);
        context.emptyDirs?.set(volume, kept);
      }
      const hints: ShellHints = {};
      const run = runShell({ argv: runArgv, environment: environment(), start, hints, files: logFiles });
      let partial: { at: number; text: string; stream: 'stdout' | 'stderr' } | undefined;
      let pending: { readonly at: number; readonly stream: 'stdout' | 'stderr'; readonly text: string } | undefined;
      let done = false;
      const emitText = (at: number, stream: 'stdout' | 'stderr', text: string, emit: (line: ContainerLogLine) => void): void => {
        let rest = text;
        for (;;) {
          const nl = rest.indexOf('\n');
          if (nl < 0) break;
          const head = rest.slice(0, nl);
          if (partial !== undefined && partial.stream === stream) {
            emit({ at: partial.at, stream, text: partial.text + head });
            partial = undefined;
          } else {
            if (partial !== undefined) emit({ at: partial.at, stream: partial.stream, text: partial.text });
            partial = undefined;
            emit({ at, stream, text: head });
          }
          rest = rest.slice(nl + 1);
        }
        if (rest !== '') partial = partial !== undefined && partial.stream === stream ? { ...partial, text: partial.text + rest } : { at, stream, text: rest };
      };
      return {
        plan: planned,
        exec: (argv, at) => (knowsCommand(argv) ? execShell(argv, environment(), at, filesAt(at)) : undefined),
        logsUntil(until, keep, emit) {
          hints.horizon = until;
          hints.keepLines = keep;
          if (pending !== undefined) {
            if (pending.at > until) return;
            emitText(pending.at, pending.stream, pending.text, emit);
            pending = undefined;
          }
          while (!done) {
            const r = run.next();
            if (r.done === true) {
              done = true;
              if (partial !== undefined && partial.at <= until) emit({ at: partial.at, stream: partial.stream, text: partial.text });
              partial = undefined;
              return;
            }
            const ev = r.value;
            if (ev.kind !== 'output') {
              if (ev.at > until) return;
              continue;
            }
            if (ev.at > until) {
              pending = ev;
              return;
            }
            emitText(ev.at, ev.stream, ev.text, emit);
          }
        },
      };
    },
  };
}
