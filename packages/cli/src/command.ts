/**
 * The `kubeloop` command line, parsed with commander: `main(argv, io)` returns the exit code.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseCliDuration } from './duration.js';
import type { CliIo } from './io.js';
import { OUTPUT_FORMATS, run } from './run.js';
import { serve } from './serve/command.js';
import type { OutputFormat } from './run.js';
import { CLI_VERSION } from './version.js';

function wholeNumber(what: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${what} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

function positiveNumber(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) throw new InvalidArgumentError(`${what} must be a positive number, got "${value}"`);
    return n;
  };
}

const SERVE_HELP = `
Runs a simulated cluster (every built-in controller, fake nodes) whose virtual clock follows the
wall clock (--speed N: N times faster) and serves it as a Kubernetes API over HTTPS, with a CA
and serving certificate generated at start and an admin bearer token. Writes a kubeconfig for
kubectl (--kubeconfig, default ./kubeloop.kubeconfig). Ctrl-C stops it.

Served: discovery, get, list, watch, create, update, patch (JSON, merge, strategic merge,
server-side apply), delete, the status, scale, binding, eviction and log subresources, node proxy,
server-side Tables, OpenAPI v2 and v3, the protobuf bodies kubectl's typed commands send (create
deployment, autoscale, drain...), and HorizontalPodAutoscalers in autoscaling/v1 beside v2.
Bearer tokens (the admin's, a --token-auth-file, ServiceAccount tokens from kubectl create token)
and RBAC, with kubectl auth can-i. kubectl exec over WebSocket (kubectl 1.30 and later), the
command run to its end in the fake container. With --metrics-server: kubectl top and HPAs on CPU
and memory. Not yet: exec with stdin or a TTY (-i, -t), exec over SPDY (kubectl before 1.30),
attach, port-forward, protobuf responses.

Example:
  kubeloop serve --nodes 3 --kubeconfig /tmp/kl.yaml &
  KUBECONFIG=/tmp/kl.yaml kubectl create deployment web --image=nginx --replicas=2
  KUBECONFIG=/tmp/kl.yaml kubectl get pods -w`;

function duration(value: string): number {
  try {
    return parseCliDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

const RUN_HELP = `
Runs the manifests (files, or directories of *.yaml, *.yml and *.json files, sorted) on a
fresh simulated cluster on virtual time, then prints every object like kubectl get.

Every manifest is checked before anything runs: a malformed manifest, an unknown kind or a
field the kind's schema rejects exits 1, naming the file, the object and the field.

--settle (the default) runs until nothing but heartbeats changed for 20 virtual seconds. If the
cluster is still busy after 10 virtual minutes (--timeout), the state is printed anyway, then an
error naming what is still busy, and the exit code is 1.

A file whose document is kind: Scenario is run as a scenario: the cluster's shape and ordered
steps (apply a file or inline manifests, delete by name or selector, scale, patch, label,
advance, settle, stopNode, restoreNode, get, echo). Its get steps print; see the package README.
A folder holding *.scenario.yaml files (or only scenarios) runs each of them in turn.

-o wide adds kubectl's wide columns; -o name prints kind.group/name, one a line. An applied
object that nothing in the cluster reconciles is reported on stderr as a warning.

Exit codes: 0 done; 1 bad input, a rejected object, or a cluster that did not settle.

Examples:
  kubeloop run examples/cli
  kubeloop run examples/cli/scenarios/node-down.yaml
  kubeloop run examples/walkthroughs/02-deployment-pi-web.scenario.yaml
  kubeloop run examples/walkthroughs
  kubeloop run web.yaml --nodes 5 --for 2m -o json --trace trace.jsonl`;

/**
 * Runs the `kubeloop` command with `argv` (the arguments after the program name) and returns
 * the exit code; never throws and never calls `process.exit`.
 *
 * Guarantees: every user error prints `error: <message>` on `io.stderr` and returns 1, without a
 * stack trace; unknown commands and options print commander's message and return 1; `--help`
 * prints to `io.stdout` and returns 0.
 *
 * @example
 * ```ts
 * const code = await main(['run', 'examples/cli', '-o', 'json'], { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = new Command('kubeloop')
    .description('Run Kubernetes manifests on a simulated cluster, on virtual time.')
    .version(CLI_VERSION, '--version', 'print the kubeloop version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
  program
    .command('run')
    .description('apply manifests to a simulated cluster, run it and print the final state; or run a scenario')
    .argument('<paths...>', 'manifest files or directories, or one scenario file')
    .option('--nodes <n>', "number of nodes (default: the scenario's, else 3)", wholeNumber('--nodes'))
    .option('--seed <seed>', "seed of every random choice (default: the scenario's, else 1)", wholeNumber('--seed'))
    .addOption(new Option('--for <duration>', 'run this long in virtual time (90s, 2m, 1h30m)').argParser(duration).conflicts('settle'))
    .addOption(new Option('--settle', 'run until the cluster is quiet (the default)'))
    .addOption(new Option('--timeout <duration>', 'give up settling after this virtual time (default 10m)').argParser(duration).conflicts('for'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--trace <file>', 'write every change as one JSON line: {"t","type","object"}')
    .addHelpText('after', RUN_HELP)
    .action(async (paths: string[], opts: { nodes?: number; seed?: number; for?: number; timeout?: number; output: OutputFormat; trace?: string }) => {
      code = await run({ paths, nodes: opts.nodes, seed: opts.seed, forMs: opts.for, timeoutMs: opts.timeout, output: opts.output, traceFile: opts.trace }, io);
    });
  program
    .command('serve')
    .description('serve a simulated cluster as a Kubernetes API endpoint for kubectl, in real time')
    .option('--nodes <n>', 'number of nodes', wholeNumber('--nodes'), 3)
    .option('--seed <seed>', 'seed of every random choice', wholeNumber('--seed'), 1)
    .option('--speed <n>', 'virtual seconds per wall-clock second', positiveNumber('--speed'), 1)
    .option('--port <port>', 'port to listen on (0 picks a free one)', wholeNumber('--port'), 0)
    .option('--address <ip>', 'address to listen on', '127.0.0.1')
    .option('--kubeconfig <file>', 'where to write the kubeconfig', 'kubeloop.kubeconfig')
    .option('--token-auth-file <file>', 'more users: a CSV of token,user,uid,"group1,group2" (as kube-apiserver\'s)')
    .option('--metrics-server', 'run a metrics-server (kubectl top, HPA resource metrics), the add-on a kind or minikube cluster installs')
    .addHelpText('after', SERVE_HELP)
    .action(async (opts: { nodes: number; seed: number; speed: number; port: number; address: string; kubeconfig: string; tokenAuthFile?: string; metricsServer?: boolean }) => {
      code = await serve(opts, io);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
