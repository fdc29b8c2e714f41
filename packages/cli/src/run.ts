/**
 * `kubeloop run`: check the manifests, build a simulated cluster, apply them, run it on virtual
 * time and print the final state — the thin orchestrator over the pure pieces
 * ({@link collectManifestFiles}, {@link buildTables}, core's `parseDuration`).
 *
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NodeMetricses, Nodes, PodMetricses, builtinResources, createBuiltinRegistry, parseManifests } from '@kubeloop/core';
import type { KubeObject, ResourceDefinition } from '@kubeloop/core';
import { DEFAULT_SETTLE_MAX_MS, SimCluster, SimClusterError } from '@kubeloop/testing';
import type { TraceEntry } from '@kubeloop/testing';
import { stringify } from 'yaml';
import { humanDuration } from './duration.js';
import type { CliIo } from './io.js';
import { InputError, MANIFEST_EXTENSIONS, collectManifestFiles, loadManifestFiles, nodeFs, readManifestFile } from './manifests.js';
import type { ManifestFs } from './manifests.js';
import { isScenario, parseScenario } from './scenario.js';
import type { Scenario, ScenarioStep } from './scenario.js';
import { unreconciledWarnings } from './reconciled.js';
import { buildTables, formatNames, formatTables, isTabular } from './table.js';
import type { OutputFormat, Table } from './table.js';
import { topNodesTable, topPodsTable } from './top.js';
import { trafficTable } from './traffic.js';
import { SERVED_KUBERNETES_VERSION } from './version.js';

export { OUTPUT_FORMATS } from './table.js';
export type { OutputFormat } from './table.js';

/** What `kubeloop run` was asked to do, after the command line was parsed. */
export interface RunOptions {
  /** Manifest files and directories, in order; or one scenario file. */
  readonly paths: readonly string[];
  /** How many nodes the cluster has (`node-1` … `node-n`); else the scenario's, else 3. */
  readonly nodes?: number | undefined;
  /** The seed of the cluster's randomness; else the scenario's, else 1. */
  readonly seed?: number | undefined;
  /** Run this many virtual milliseconds; `undefined` settles instead. Not with a scenario. */
  readonly forMs?: number | undefined;
  /**
   * How long settling may take, in virtual milliseconds, before the cluster is declared not
   * settled (default {@link @kubeloop/testing!DEFAULT_SETTLE_MAX_MS | DEFAULT_SETTLE_MAX_MS},
   * 10 minutes). Also the default of a scenario's `settle` steps.
   */
  readonly timeoutMs?: number | undefined;
  /** How to print the final state. */
  readonly output: OutputFormat;
  /** Where to write the trace (one JSON line per change), if anywhere. */
  readonly traceFile?: string | undefined;
}

/**
 * How far each step of `--for` (and of a scenario's `advance`) advances: the progress line is
 * redrawn between steps. The steps are the same whether or not a progress line is shown, so
 * output never depends on the terminal.
 */
export const ADVANCE_STEP_MS = 10_000;

/**
 * The `--trace` file, written as the cluster runs: one JSON line per change, buffered in chunks
 * of about 64 KiB, so that nothing of the trace is kept in memory.
 */
class TraceFile {
  readonly #fd: number;
  readonly #path: string;
  #chunk: string[] = [];
  #size = 0;

  constructor(path: string) {
    this.#path = path;
    try {
      this.#fd = openSync(path, 'w');
    } catch (e) {
      throw new InputError(`--trace ${path}: cannot write the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    }
  }

  /** The first write that failed: reported by close, so that a full disk cannot break the cluster's watches. */
  #failure: unknown;

  readonly write = (entry: TraceEntry): void => {
    if (this.#failure !== undefined) return;
    const line = `${JSON.stringify(entry)}\n`;
    this.#chunk.push(line);
    this.#size += line.length;
    if (this.#size < 65_536) return;
    try {
      this.#flush();
    } catch (e) {
      this.#failure = e;
    }
  };

  #flush(): void {
    if (this.#chunk.length > 0) writeSync(this.#fd, this.#chunk.join(''));
    this.#chunk = [];
    this.#size = 0;
  }

  /** Writes what is left and closes the file. Errors: the first failed write, as an InputError naming the file. */
  close(): void {
    try {
      if (this.#failure === undefined) this.#flush();
    } catch (e) {
      this.#failure = e;
    } finally {
      closeSync(this.#fd);
    }
    if (this.#failure !== undefined) throw new InputError(`--trace ${this.#path}: writing failed (${(this.#failure as NodeJS.ErrnoException).code ?? (this.#failure as Error).message})`, { cause: this.#failure });
  }
}

/** Every object of every built-in kind, kinds in registry order, as the API server lists them. */
async function allObjects(cluster: SimCluster): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const resource of builtinResources) {
    for (const item of (await cluster.list(resource)).items) out.push(item);
  }
  return out;
}

async function progressLine(cluster: SimCluster): Promise<string> {
  const objects = await allObjects(cluster);
  const pods = objects.filter((o) => o.kind === 'Pod') as { status?: { phase?: string } }[];
  const running = pods.filter((p) => p.status?.phase === 'Running').length;
  const pending = pods.filter((p) => (p.status?.phase ?? 'Pending') === 'Pending').length;
  return `virtual time ${humanDuration(cluster.now())}  objects ${objects.length}  pods ${running} Running, ${pending} Pending`;
}

/**
 * Prints the final state in the chosen format: tables like `kubectl get` (`wide`: with
 * kubectl's wide columns), one `kind.group/name` per line (`name`, as `kubectl get -o name`), or
 * a Kubernetes `List` (`{"apiVersion":"v1","kind":"List","items":[...]}`) of every object as
 * JSON or YAML. Tables and names leave out Leases and Events unless their kinds are in `include`.
 * `served` are the kinds the cluster serves (default: the built-in ones), which say whether a
 * kind is namespaced and its group.
 */
export function formatState(objects: readonly KubeObject[], nowMs: number, output: OutputFormat, include: readonly string[] = [], served: readonly ResourceDefinition[] = builtinResources): string {
  const byKind = new Map(served.map((r) => [r.kind, r]));
  const groupOf = (kind: string) => byKind.get(kind)?.group ?? '';
  if (output === 'table' || output === 'wide') {
    return formatTables(buildTables(objects, nowMs, (kind) => byKind.get(kind)?.namespaced ?? false, { groupOf, include, wide: output === 'wide' }));
  }
  if (output === 'name') return formatNames(objects, { groupOf, include });
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  return output === 'json' ? `${JSON.stringify(list, null, 2)}\n` : stringify(list);
}

/**
 * The scenario among `files`, if one of them is a scenario: it must then be the only file and
 * hold only the `kind: Scenario` document.
 */
function findScenario(files: readonly string[], fs: ManifestFs): { path: string; body: Record<string, unknown> } | undefined {
  for (const path of files) {
    let docs;
    try {
      docs = parseManifests(readManifestFile(path, fs), path);
    } catch (e) {
      throw new InputError((e as Error).message, { cause: e });
    }
    if (!docs.some((d) => isScenario(d.body))) continue;
    if (files.length !== 1 || docs.length !== 1) throw new InputError(`${path}: a scenario runs alone: give only the scenario file, with only the Scenario document in it`);
    return { path, body: docs[0]!.body };
  }
  return undefined;
}

async function objectsOf(cluster: SimCluster, resources: readonly ResourceDefinition[] | 'all'): Promise<KubeObject[]> {
  if (resources === 'all') return allObjects(cluster);
  const out: KubeObject[] = [];
  for (const resource of resources) out.push(...(await cluster.list(resource)).items);
  return out;
}

/**
 * Applies `text` (from `source`) to the cluster and writes a warning to stderr for each applied
 * object that nothing in the cluster acts on ({@link unreconciledWarnings}), once per object
 * per run (`warned` remembers them).
 */
async function applyAndWarn(cluster: SimCluster, text: string, source: string, io: CliIo, warned: Set<string>): Promise<void> {
  const results = await cluster.apply(text, source);
  const applied = results.flatMap(({ object }) => {
    const resource = cluster.server.registry.forKind(object.apiVersion, object.kind);
    const key = `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
    if (resource === undefined || warned.has(key)) return [];
    return [{ resource, object, key }];
  });
  const warnings = unreconciledWarnings(applied, cluster.reconciledResources());
  for (const { key } of applied) warned.add(key);
  for (const w of warnings) io.stderr.write(`${w}\n`);
}

/** How a scenario step runs: where it prints, the settle bound, the progress callback. */
interface StepContext {
  readonly io: CliIo;
  /** The objects already warned about as reconciled by nothing. */
  readonly warned: Set<string>;
  readonly output: OutputFormat;
  readonly timeoutMs: number;
  readonly onProgress: () => Promise<void>;
}

/** Runs one scenario step; a `get` step prints in `output` format. */
async function runStep(cluster: SimCluster, step: ScenarioStep, { io, output, timeoutMs, onProgress, warned }: StepContext, firstGet: boolean): Promise<void> {
  switch (step.op) {
    case 'apply':
      await applyAndWarn(cluster, step.text, step.source, io, warned);
      return;
    case 'delete': {
      const options = step.propagationPolicy ? { propagationPolicy: step.propagationPolicy } : {};
      const names =
        step.name !== undefined
          ? [step.name]
          : (await cluster.list(step.resource, { labelSelector: step.selector, ...(step.namespace ? { namespace: step.namespace } : {}) })).items.map((o) => o.metadata.name ?? '');
      for (const name of names) await cluster.delete(step.resource, { namespace: step.namespace, name }, options);
      return;
    }
    case 'scale': {
      const key = { namespace: step.namespace, name: step.name };
      const scale = await cluster.server.getScale(step.resource, key);
      await cluster.server.updateScale(step.resource, key, { ...scale, spec: { ...scale.spec, replicas: step.replicas } });
      await cluster.clock.flush();
      return;
    }
    case 'patch':
      await cluster.server.patch(step.resource, { namespace: step.namespace, name: step.name }, { type: 'merge', body: step.patch });
      await cluster.clock.flush();
      return;
    case 'label':
      // As `kubectl label`: a merge patch of metadata.labels, null removing a label.
      await cluster.server.patch(step.resource, { namespace: step.namespace, name: step.name }, { type: 'merge', body: { metadata: { labels: step.labels } } });
      await cluster.clock.flush();
      return;
    case 'advance':
      // in steps, as --for: the progress line is redrawn between them (the steps are the same without a terminal)
      for (let left = step.ms; left > 0; left -= ADVANCE_STEP_MS) {
        await cluster.advance(Math.min(left, ADVANCE_STEP_MS));
        if (left > ADVANCE_STEP_MS) await onProgress();
      }
      return;
    case 'settle':
      await cluster.settle({ maxMs: step.timeoutMs ?? timeoutMs, onProgress });
      return;
    case 'stopNode':
      cluster.stopNode(step.node);
      return;
    case 'restoreNode':
      await cluster.restoreNode(step.node);
      return;
    case 'removeNode':
      await cluster.removeNode(step.node);
      return;
    case 'addNode':
      await cluster.addNode(step.spec);
      return;
    case 'echo':
      // narration belongs with the tables; JSON and YAML output stays one parseable List per get
      if (isTabular(output)) io.stdout.write(`${firstGet ? '' : '\n'}${step.text}\n`);
      return;
    case 'top': {
      // kubectl top prints tables only; in JSON and YAML runs it is left out, as narration is
      if (!isTabular(output)) return;
      io.stdout.write(`${firstGet ? '' : '\n'}# ${step.label} at ${humanDuration(cluster.now())}\n`);
      let table: Table;
      try {
        table = step.what === 'pods' ? topPodsTable((await cluster.list(PodMetricses)).items) : topNodesTable((await cluster.list(Nodes)).items, (await cluster.list(NodeMetricses)).items);
      } catch {
        io.stdout.write('error: Metrics API not available\n'); // kubectl's words without metrics-server
        return;
      }
      io.stdout.write(table.rows.length === 0 ? 'No resources found.\n' : formatTables([table]));
      return;
    }
    case 'traffic': {
      const model = cluster.traffic;
      if (model === undefined) throw new Error('this cluster simulates no traffic');
      const from = step.from === 'outside' ? ({ kind: 'outside' } as const) : ({ kind: 'pod', pod: { namespace: step.namespace, name: step.from.pod } } as const);
      if (from.kind === 'pod' && model.pod(from.pod) === undefined) throw new Error(`pods "${from.pod.name}" not found`);
      const outcomes = Array.from({ length: step.requests }, () => model.send({ from, url: step.to, headers: step.headers, insecure: step.insecure }));
      if (!isTabular(output)) return;
      io.stdout.write(`${firstGet ? '' : '\n'}# ${step.label} at ${humanDuration(cluster.now())}\n`);
      io.stdout.write(formatTables([trafficTable(step.to, outcomes)]));
      return;
    }
    case 'exec': {
      const model = cluster.traffic;
      const pod = model?.pod({ namespace: step.namespace, name: step.pod });
      if (model === undefined || pod === undefined) throw new Error(`pods "${step.pod}" not found`);
      if (pod.status?.phase !== 'Running') throw new Error(`cannot exec into a container in a completed pod; current phase is ${pod.status?.phase ?? 'Pending'}`);
      const { output: printed } = cluster.exec(pod, step.command)!;
      if (!isTabular(output)) return;
      io.stdout.write(`${firstGet ? '' : '\n'}# ${step.label} at ${humanDuration(cluster.now())}\n$ ${step.command}\n${printed}${printed === '' || printed.endsWith('\n') ? '' : '\n'}`);
      return;
    }
    case 'get': {
      const format = step.output ?? output;
      // the heading goes with the narration of a table run, and with any table
      if (isTabular(output) || isTabular(format)) io.stdout.write(`${firstGet ? '' : '\n'}# ${step.label} at ${humanDuration(cluster.now())}\n`);
      const text = formatState(await objectsOf(cluster, step.resources), cluster.clock.now(), format, step.resources === 'all' ? [] : step.resources.map((r) => r.kind), cluster.server.registry.all());
      io.stdout.write(text === '' ? 'No resources found.\n' : text); // as kubectl, which says so when a get finds nothing
      return;
    }
  }
}

/**
 * Runs `kubeloop run` and returns its exit code.
 *
 * Guarantees:
 * - every manifest is read, parsed, resolved to a served kind and checked by its schema before
 *   the cluster is built: bad input exits 1 with nothing applied. A scenario is checked whole
 *   (every step, resource, node, duration and manifest it applies) before it runs;
 * - the same options and files give the same output and trace, byte for byte (virtual time,
 *   seeded randomness; the progress line goes to stderr only when it is a terminal);
 * - `--settle` (the default) runs until the cluster is quiet. When it is not quiet within
 *   `timeoutMs` (10 virtual minutes), the state is still printed (it shows what is stuck), the
 *   trace is still written, then `error: the cluster did not settle: <what is still busy>` goes
 *   to stderr and the exit code is 1;
 * - the trace streams to `traceFile` as the cluster runs (nothing of it is kept in memory, and
 *   none at all without `traceFile`); a file that cannot be opened is bad input;
 * - settling advances in the same steps (of at most 10 virtual seconds) whether or not stderr
 *   is a terminal; only the drawing of the progress line depends on it;
 * - a scenario prints what its `get` steps ask for (the final state when it has none); a step
 *   that fails (a `settle` that does not get quiet, an object the API server rejects or cannot
 *   find) stops it with an error naming the step. The trace is written in every case.
 *
 * Errors: throws {@link InputError} for bad input, and the API server's or the cluster's error
 * for a failed write or step (with the step named); {@link main} prints them as `error: ...`.
 */
export async function run(options: RunOptions, io: CliIo, fs: ManifestFs = nodeFs): Promise<number> {
  const folder = scenarioFolder(options.paths, fs);
  if (folder !== undefined) return runScenarioFolder(folder, options, io, fs);
  const paths = collectManifestFiles(options.paths, fs);
  const found = findScenario(paths, fs);
  const registry = createBuiltinRegistry();
  // The kinds every cluster's add-ons serve (MetalLB's), which manifests may name as well; a
  // scenario asking for more add-ons adds theirs.
  for (const r of SimCluster.addOnResources()) registry.register(r);
  let scenario: Scenario | undefined;
  if (found) {
    if (options.forMs !== undefined) throw new InputError(`${found.path}: --for cannot be used with a scenario (use advance steps)`);
    scenario = parseScenario(found.body, found.path, registry, fs, options.nodes ?? 3);
  }
  const files = scenario ? [] : loadManifestFiles(paths, fs, registry);
  if (!scenario && files.every((f) => f.manifests.length === 0)) throw new InputError(`no manifests found in ${options.paths.join(', ')}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_SETTLE_MAX_MS;
  const traceFile = options.traceFile === undefined ? undefined : new TraceFile(options.traceFile);
  let cluster: SimCluster;
  try {
    // The trace streams to the file as it happens; without --trace none is kept.
    cluster = await SimCluster.create({
      seed: options.seed ?? scenario?.seed ?? 1,
      nodes: options.nodes ?? scenario?.nodes ?? 3,
      trace: traceFile?.write ?? 'none',
      metricsServer: scenario?.metricsServer ?? false,
      cloudProvider: scenario?.cloudProvider ?? false,
      ingressNginx: scenario?.ingressNginx ?? false,
      verticalPodAutoscaler: scenario?.verticalPodAutoscaler ?? false,
      nodeGroups: scenario?.nodeGroups,
      // what users see, as in a kind cluster: CoreDNS in kube-system
      clusterDns: scenario?.clusterDns ?? true,
      // pods that ask the API server's /version see what `kubeloop serve` reports
      kubernetesVersion: SERVED_KUBERNETES_VERSION,
    });
  } catch (e) {
    traceFile?.close();
    throw e;
  }
  // Settling always reports progress, at the same steps: only the drawing depends on the terminal.
  const progress = io.stderr.isTTY === true;
  const draw = async (): Promise<void> => {
    if (progress) io.stderr.write(`\r\x1b[2K${await progressLine(cluster)}`);
  };
  const clear = (): void => {
    if (progress) io.stderr.write('\r\x1b[2K');
  };
  let notQuiet: string | undefined;
  try {
    if (scenario) {
      await runScenario(cluster, scenario, found!.path, { io, output: options.output, timeoutMs, onProgress: draw, warned: new Set() }, clear);
      return 0;
    }
    const warned = new Set<string>();
    for (const file of files) await applyAndWarn(cluster, file.text, file.path, io, warned);
    await draw();
    if (options.forMs === undefined) {
      try {
        await cluster.settle({ maxMs: timeoutMs, onProgress: draw });
      } catch (e) {
        if (!(e instanceof SimClusterError) || e.code !== 'not-quiet') throw e;
        notQuiet = e.message;
      }
    } else {
      for (let left = options.forMs; left > 0; left -= ADVANCE_STEP_MS) {
        await cluster.advance(Math.min(left, ADVANCE_STEP_MS));
        await draw();
      }
    }
    clear();
    io.stdout.write(formatState(await allObjects(cluster), cluster.clock.now(), options.output));
  } finally {
    clear();
    try {
      await cluster.stop();
    } finally {
      traceFile?.close();
    }
  }
  if (notQuiet !== undefined) {
    io.stderr.write(`error: the cluster did not settle: ${notQuiet}\n`);
    return 1;
  }
  return 0;
}

/** The file names that mark a scenario in a folder: `*.scenario.yaml`, `*.scenario.yml`, `*.scenario.json`. */
export const SCENARIO_SUFFIXES: readonly string[] = ['.scenario.yaml', '.scenario.yml', '.scenario.json'];

/** Whether `path` holds one document, a scenario (false for a file that cannot be read or parsed). */
function isScenarioFile(path: string, fs: ManifestFs): boolean {
  try {
    const docs = parseManifests(readManifestFile(path, fs), path);
    return docs.length === 1 && isScenario(docs[0]!.body);
  } catch {
    return false;
  }
}

/**
 * The scenario files of a folder of scenarios, if `paths` is one: a single directory holding
 * files named `*.scenario.yaml` (or `.yml`, `.json`), whose other files are the manifests those
 * scenarios apply (not run on their own); or a directory whose every manifest file is a
 * scenario (`examples/cli/scenarios`). Sorted by name.
 *
 * @throws {@link InputError} for a folder of scenarios given with other paths.
 */
function scenarioFolder(paths: readonly string[], fs: ManifestFs): { dir: string; files: string[] } | undefined {
  const scenariosOf = (dir: string): string[] => {
    let names: readonly string[];
    try {
      if (!fs.isDirectory(dir)) return [];
      names = fs.readdir(dir);
    } catch {
      return [];
    }
    const sorted = [...names].sort();
    const marked = sorted.filter((name) => SCENARIO_SUFFIXES.some((suffix) => name.endsWith(suffix)));
    if (marked.length > 0) return marked.map((name) => join(dir, name));
    const files = sorted.filter((name) => MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext))).map((name) => join(dir, name));
    return files.length > 0 && files.every((f) => isScenarioFile(f, fs)) ? files : [];
  };
  const folders = paths.map((p) => ({ dir: p, files: scenariosOf(p) })).filter((f) => f.files.length > 0);
  if (folders.length === 0) return undefined;
  if (paths.length !== 1) throw new InputError(`${folders[0]!.dir}: a folder of scenarios runs alone: give only the folder (its other files are the manifests its scenarios apply)`);
  return folders[0];
}

/**
 * Runs every scenario of a folder in turn, each on a fresh cluster as if given alone: a
 * `# <file>` heading before each (with table output), its output, its error if it fails (the
 * next one still runs); then a summary on stderr, `ran 7 scenarios of <dir>: 7 succeeded` or
 * `...: 6 succeeded, 1 failed (<file>)`. Exit code 1 when one failed. `--for` and `--trace`
 * are for one run and are refused.
 */
async function runScenarioFolder(folder: { dir: string; files: readonly string[] }, options: RunOptions, io: CliIo, fs: ManifestFs): Promise<number> {
  if (options.traceFile !== undefined) throw new InputError(`${folder.dir}: --trace writes the trace of one run: give one scenario file of the folder`);
  if (options.forMs !== undefined) throw new InputError(`${folder.dir}: --for cannot be used with scenarios (use advance steps)`);
  const failed: string[] = [];
  for (const [i, file] of folder.files.entries()) {
    if (isTabular(options.output)) io.stdout.write(`${i === 0 ? '' : '\n'}# ${file}\n\n`);
    let code: number;
    try {
      code = await run({ ...options, paths: [file] }, io, fs);
    } catch (e) {
      io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      code = 1;
    }
    if (code !== 0) failed.push(file);
  }
  const ok = folder.files.length - failed.length;
  io.stderr.write(`ran ${folder.files.length} scenario${folder.files.length === 1 ? '' : 's'} of ${folder.dir}: ${ok} succeeded${failed.length > 0 ? `, ${failed.length} failed (${failed.join(', ')})` : ''}\n`);
  return failed.length > 0 ? 1 : 0;
}

/**
 * Runs a scenario's steps in order. A step that fails stops it, with an error naming the step;
 * a `settle` step that does not get quiet prints the state first (it shows what is stuck).
 */
async function runScenario(cluster: SimCluster, scenario: Scenario, path: string, context: StepContext, clear: () => void): Promise<void> {
  let firstGet = true;
  for (const step of scenario.steps) {
    await context.onProgress();
    // an apply may print warnings: they go on a line of their own
    if (step.op === 'get' || step.op === 'echo' || step.op === 'top' || step.op === 'traffic' || step.op === 'exec' || step.op === 'apply') clear();
    try {
      await runStep(cluster, step, context, firstGet);
      if (step.op === 'get' || step.op === 'echo' || step.op === 'top' || step.op === 'traffic' || step.op === 'exec') firstGet = false;
    } catch (e) {
      if (e instanceof SimClusterError && e.code === 'not-quiet') {
        clear();
        if (isTabular(context.output)) context.io.stdout.write(`${firstGet ? '' : '\n'}# ${step.label} did not settle, at ${humanDuration(cluster.now())}\n`);
        context.io.stdout.write(formatState(await allObjects(cluster), cluster.clock.now(), context.output));
        throw new Error(`${path} ${step.label}: the cluster did not settle: ${e.message}`, { cause: e });
      }
      throw new Error(`${path} ${step.label}: ${(e as Error).message}`, { cause: e });
    }
  }
  clear();
  if (!scenario.steps.some((s) => s.op === 'get')) context.io.stdout.write(formatState(await allObjects(cluster), cluster.clock.now(), context.output));
}
