/**
 * `kubeloop run`: check the manifests, build a simulated cluster, apply them, run it on virtual
 * time and print the final state — the thin orchestrator over the pure pieces
 * ({@link collectManifestFiles}, {@link buildTables}, {@link parseDuration}).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { builtinResources } from '@kubeloop/core';
import type { KubeObject } from '@kubeloop/core';
import { SimCluster, SimClusterError } from '@kubeloop/testing';
import { stringify } from 'yaml';
import { humanDuration } from './duration.js';
import type { CliIo } from './io.js';
import { InputError, collectManifestFiles, loadManifestFiles, nodeFs } from './manifests.js';
import type { ManifestFs } from './manifests.js';
import { buildTables, formatTables } from './table.js';

/** The output formats of `kubeloop run -o`. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What `kubeloop run` was asked to do, after the command line was parsed. */
export interface RunOptions {
  /** Manifest files and directories, in order. */
  readonly paths: readonly string[];
  /** How many nodes the cluster has (`node-1` … `node-n`). */
  readonly nodes: number;
  /** The seed of the cluster's randomness. */
  readonly seed: number;
  /** Run this many virtual milliseconds; `undefined` settles instead. */
  readonly forMs?: number | undefined;
  /** How to print the final state. */
  readonly output: OutputFormat;
  /** Where to write the trace (one JSON line per change), if anywhere. */
  readonly traceFile?: string | undefined;
}

/**
 * How far each step of `--for` advances: the progress line is redrawn between steps. The steps
 * are the same whether or not a progress line is shown, so output never depends on the terminal.
 */
export const ADVANCE_STEP_MS = 10_000;

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
 * Prints the final state in the chosen format: tables like `kubectl get`, or a Kubernetes
 * `List` (`{"apiVersion":"v1","kind":"List","items":[...]}`) of every object as JSON or YAML.
 */
export function formatState(objects: readonly KubeObject[], nowMs: number, output: OutputFormat): string {
  if (output === 'table') {
    const namespaced = new Map(builtinResources.map((r) => [r.kind, r.namespaced]));
    return formatTables(buildTables(objects, nowMs, (kind) => namespaced.get(kind) ?? false));
  }
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  return output === 'json' ? `${JSON.stringify(list, null, 2)}\n` : stringify(list);
}

/**
 * Runs `kubeloop run` and returns its exit code.
 *
 * Guarantees:
 * - every manifest is read, parsed, resolved to a served kind and checked by its schema before
 *   the cluster is built: bad input exits 1 with nothing applied;
 * - the same options and files give the same output and trace, byte for byte (virtual time,
 *   seeded randomness; the progress line goes to stderr only when it is a terminal);
 * - `--settle` (the default) runs until the cluster is quiet. When it is not quiet within
 *   10 virtual minutes, the state is still printed (it shows what is stuck), the trace is still
 *   written, then `error: <what is still busy>` goes to stderr and the exit code is 1.
 *
 * Errors: returns 1 after writing `error: <message>` to stderr for bad input, an API server
 * rejection while applying, or a cluster that does not settle; never a stack trace.
 */
export async function run(options: RunOptions, io: CliIo, fs: ManifestFs = nodeFs): Promise<number> {
  const files = loadManifestFiles(collectManifestFiles(options.paths, fs), fs);
  if (files.every((f) => f.manifests.length === 0)) throw new InputError(`no manifests found in ${options.paths.join(', ')}`);
  const cluster = await SimCluster.create({ seed: options.seed, nodes: options.nodes });
  const progress = io.stderr.isTTY === true;
  const draw = async () => {
    if (progress) io.stderr.write(`\r\x1b[2K${await progressLine(cluster)}`);
  };
  let notQuiet: string | undefined;
  try {
    for (const file of files) await cluster.apply(file.text, file.path);
    await draw();
    if (options.forMs === undefined) {
      try {
        await cluster.settle();
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
    if (progress) io.stderr.write('\r\x1b[2K');
    io.stdout.write(formatState(await allObjects(cluster), cluster.clock.now(), options.output));
    if (options.traceFile !== undefined) {
      const json = cluster.traceJson();
      writeFileSync(options.traceFile, json === '' ? '' : `${json}\n`);
    }
  } finally {
    await cluster.stop();
  }
  if (notQuiet !== undefined) {
    io.stderr.write(`error: the cluster did not settle: ${notQuiet}\n`);
    return 1;
  }
  return 0;
}
