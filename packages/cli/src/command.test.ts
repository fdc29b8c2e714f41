import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SimCluster } from '@kubeloop/testing';
import { StatefulSets } from '@kubeloop/core';
import { main } from './command.js';
import { unreconciledWarnings } from './reconciled.js';
import type { Writer } from './io.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const examples = join(repo, 'examples');

function buffer(isTTY = false): Writer & { text: string } {
  const out = { text: '', isTTY, write: (s: string) => void (out.text += s) };
  return out;
}

async function kubeloop(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = buffer();
  const stderr = buffer();
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kubeloop-cli-'));
}

const barePod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: app\n    image: nginx\n`;

describe('kubeloop run', () => {
  it('rejects the walkthrough pod with a misspelt apiVersion before anything runs, naming the file and field', async () => {
    const file = join(examples, 'walkthroughs/pod-request-pod.yaml');
    const { code, stdout, stderr } = await kubeloop('run', file);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`error: ${file} (document 1, Pod "request-pod"): apiVersion not set (found unknown field "piVersion")\n`);
  });

  it('applies nothing when a later file is bad, and says so without a stack trace', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), barePod('good'));
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: Gadget\nmetadata:\n  name: g\n');
    const { code, stdout, stderr } = await kubeloop('run', dir);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: .*b\.yaml \(document 1, Gadget "g"\): no matches for kind "Gadget" in version "v1"\n$/);
  });

  it('rejects a document the API server would refuse (a bad label value, a selector its template does not match) before anything runs', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), barePod('good'));
    writeFileSync(join(dir, 'b.yaml'), `${barePod('fine')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\n    app: "not valid!"\n`);
    const bad = await kubeloop('run', dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error: .*b\.yaml \(document 2, ConfigMap "settings"\): ConfigMap "settings" is invalid: metadata\.labels: Invalid value: "not valid!": a valid label must be /);

    const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n      - name: web\n        image: nginx\n';
    writeFileSync(join(dir, 'b.yaml'), deployment);
    const mismatch = await kubeloop('run', dir);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toBe('');
    expect(mismatch.stderr).toMatch(/^error: .*b\.yaml \(document 1, Deployment "web"\): Deployment\.apps "web" is invalid: spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
  });

  it('names the file, document and object of an error the API server returns while applying, as for errors found before', async () => {
    const dir = tempDir();
    // kubernetes.io's memory-default example applied without creating its namespace first
    writeFileSync(join(dir, 'memory-defaults.yaml'), `${barePod('first')}---\napiVersion: v1\nkind: LimitRange\nmetadata:\n  name: mem-limit-range\n  namespace: default-mem-example\nspec:\n  limits:\n  - default:\n      memory: 512Mi\n    type: Container\n`);
    const { code, stderr } = await kubeloop('run', dir);
    expect(code).toBe(1);
    expect(stderr).toBe(`error: ${join(dir, 'memory-defaults.yaml')} (document 2, LimitRange "mem-limit-range"): namespaces "default-mem-example" not found\n`);
  });

  it('warns about an applied object of a kind nothing in the cluster reconciles, and not about data or reconciled kinds', async () => {
    const dir = tempDir();
    const hpa = 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n';
    const pdb = 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n';
    const ingress = 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n';
    writeFileSync(join(dir, 'a.yaml'), `${barePod('web')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n---\n${hpa}---\n${pdb}---\n${ingress}`);
    const { code, stdout, stderr } = await kubeloop('run', dir);
    expect(code).toBe(0);
    // the disruption controller reconciles the PodDisruptionBudget and the HPA controller the
    // HorizontalPodAutoscaler: no warning for them; nothing here runs an ingress controller
    expect(stderr).toBe('warning: nothing in this cluster reconciles Ingress "web"\n');
    // stored and printed all the same
    expect(stdout).toContain('horizontalpodautoscaler.autoscaling/web   Deployment/web');
  });

  it('warns about a StatefulSet when the cluster runs no StatefulSet controller', async () => {
    const sts = 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: app, image: nginx}]}\n';
    const cluster = await SimCluster.create({ seed: 1, nodes: 1, controllerManager: { plugins: [] } });
    try {
      const kinds = cluster.reconciledResources().map((r) => r.kind);
      // the scheduler, the fake kubelets and the node lifecycle controller still run
      expect(kinds).toEqual(expect.arrayContaining(['Pod', 'Node']));
      expect(kinds).not.toContain('StatefulSet');
    } finally {
      await cluster.stop();
    }
    const dir = tempDir();
    writeFileSync(join(dir, 'sts.yaml'), sts);
    const { stderr } = await kubeloop('run', dir);
    expect(stderr).toBe(''); // the default cluster runs the StatefulSet controller
    expect(unreconciledWarnings([{ resource: StatefulSets, object: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web' } } }], [])).toEqual(['warning: nothing in this cluster reconciles StatefulSet "web"']);
  });

  it('prints a pods table with the bare pods of a directory Running on the nodes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'one.yaml'), barePod('one'));
    writeFileSync(join(dir, 'two.yml'), barePod('two'));
    writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
    const { code, stdout, stderr } = await kubeloop('run', dir, '--nodes', '2');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE +NODE +OWNER$/m);
    expect(stdout).toMatch(/^default +pod\/one +1\/1 +Running +0 +\d+s +node-\d +<none>$/m);
    expect(stdout).toMatch(/^default +pod\/two +1\/1 +Running +0 +\d+s +node-\d +<none>$/m);
    expect(stdout).toMatch(/^NAME +STATUS +ROLES +AGE +VERSION$/m);
    expect(stdout.match(/^node\/node-\d +Ready /gm)).toHaveLength(2);
  });

  it('runs a Job to Complete, printed with kubectl\'s Job columns', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'job.yaml'),
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  completions: 2\n  template:\n    metadata:\n      annotations:\n        kubeloop.dev/behavior: complete-after=5s\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: pi\n        image: perl:5.34.0\n',
    );
    const { code, stdout, stderr } = await kubeloop('run', dir, '--nodes', '1');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAMESPACE +NAME +STATUS +COMPLETIONS +DURATION +AGE$/m);
    expect(stdout).toMatch(/^default +job\.batch\/pi +Complete +2\/2 +\d+s +\d+s$/m);
    expect(stdout.match(/^default +pod\/pi-[a-z0-9]{5} +0\/1 +Completed +0 +\d+s +node-1 +Job\/pi$/gm)).toHaveLength(2);
  });

  it('runs for a given virtual time with --for, which the ages show', async () => {
    const { code, stdout } = await kubeloop('run', join(examples, 'cli'), '--for', '2m');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^default +pod\/web +1\/1 +Running +0 +2m +node-\d +<none>$/m);
  });

  it('prints a Kubernetes List of every object with -o json, and the same List as YAML with -o yaml', async () => {
    const json = await kubeloop('run', join(examples, 'cli'), '-o', 'json');
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as { apiVersion: string; kind: string; items: { kind: string; metadata: { name: string; namespace?: string }; status?: { phase?: string } }[] };
    expect(list.apiVersion).toBe('v1');
    expect(list.kind).toBe('List');
    // (CoreDNS's two pods in kube-system too, as in a kind cluster)
    expect(list.items.filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'kube-system').map((o) => o.status?.phase)).toEqual(['Running', 'Running']);
    expect(list.items.filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'default').map((o) => [o.metadata.name, o.status?.phase])).toEqual([
      ['web', 'Running'],
      ['worker', 'Running'],
    ]);
    const yaml = await kubeloop('run', join(examples, 'cli'), '-o', 'yaml');
    expect(parse(yaml.stdout)).toEqual(list);
  });

  it('writes one JSON line per change with --trace, the very trace of a SimCluster given the same input', async () => {
    const file = join(examples, 'cli/pods.yaml');
    const traceFile = join(tempDir(), 'trace.jsonl');
    const { code } = await kubeloop('run', file, '--seed', '7', '--nodes', '2', '--trace', traceFile);
    expect(code).toBe(0);
    const lines = readFileSync(traceFile, 'utf8').trimEnd().split('\n');
    const cluster = await SimCluster.create({ seed: 7, nodes: 2, clusterDns: true });
    await cluster.apply(readFileSync(file, 'utf8'), file);
    await cluster.settle();
    await cluster.stop();
    expect(lines).toHaveLength(cluster.trace().length);
    expect(lines.join('\n')).toBe(cluster.traceJson());
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['t', 'type', 'object']);
  });

  it('gives the same output and trace for the same seed, run twice', async () => {
    const dir = tempDir();
    const runOnce = async (n: number) => {
      const r = await kubeloop('run', join(examples, 'cli'), '--seed', '42', '-o', 'json', '--trace', join(dir, `${n}.jsonl`));
      return [r.code, r.stdout, readFileSync(join(dir, `${n}.jsonl`), 'utf8')];
    };
    expect(await runOnce(1)).toEqual(await runOnce(2));
  });

  it('redraws the progress line while settling when stderr is a terminal; output and trace are those of a run without a terminal', async () => {
    const dir = tempDir();
    const stdout = buffer();
    const stderr = buffer(true);
    const code = await main(['run', join(examples, 'cli'), '--trace', join(dir, 'tty.jsonl')], { stdout, stderr });
    expect(code).toBe(0);
    const lines = stderr.text.split('\r\x1b[2K').filter(Boolean);
    // one line once applied, then one per settle step of at most 10 virtual seconds until quiet
    // (the objects include the default StorageClass `standard`, the two system PriorityClasses, the `kubernetes` Service with its
    // Endpoints and EndpointSlice, and cluster DNS: CoreDNS's Deployment, ReplicaSet, two pods
    // (Running from the start: kind's nodes have its image), their events, kube-dns and its endpoints)
    expect(lines).toEqual([
      'virtual time 0s  objects 44  pods 2 Running, 2 Pending',
      'virtual time 10s  objects 50  pods 4 Running, 0 Pending',
      'virtual time 20s  objects 50  pods 4 Running, 0 Pending',
      'virtual time 30s  objects 50  pods 4 Running, 0 Pending',
    ]);
    const plain = await kubeloop('run', join(examples, 'cli'), '--trace', join(dir, 'plain.jsonl'));
    expect(plain.stderr).toBe('');
    expect(stdout.text).toBe(plain.stdout);
    expect(readFileSync(join(dir, 'tty.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'plain.jsonl'), 'utf8'));
  });

  it('prints the state, writes the trace and exits 1 with "did not settle" when a crash-looping pod keeps the cluster busy past --timeout', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'crasher.yaml'),
      barePod('crasher').replace('  name: crasher\n', '  name: crasher\n  annotations:\n    kubeloop.dev/behavior: crashloop\n'),
    );
    const traceFile = join(dir, 'trace.jsonl');
    const { code, stdout, stderr } = await kubeloop('run', join(dir, 'crasher.yaml'), '--timeout', '30s', '--trace', traceFile);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^default +pod\/crasher +0\/1 +CrashLoopBackOff +2 +30s +node-\d\b/m);
    expect(stderr).toMatch(/^error: the cluster did not settle: cluster not quiet after 30000 ms: \d+ changes in the last 20000 ms \(Event: \d+, Pod: \d+\); pods not Running\/Ready: default\/crasher \(Running \(CrashLoopBackOff\)\)\n$/);
    const trace = readFileSync(traceFile, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { t: number; object: { kind: string; metadata: { name: string } } });
    expect(trace.some((e) => e.object.kind === 'Pod' && e.object.metadata.name === 'crasher')).toBe(true);
    expect(trace.at(-1)!.t).toBeLessThanOrEqual(30_000);
  });

  it('gives up after 10 virtual minutes by default when pods keep finishing every 15 s', async () => {
    const dir = tempDir();
    const pods = Array.from({ length: 41 }, (_, i) =>
      barePod(`job-${i + 1}`)
        .replace(`  name: job-${i + 1}\n`, `  name: job-${i + 1}\n  annotations:\n    kubeloop.dev/behavior: complete-after=${15 * (i + 1)}s\n`)
        .replace('spec:\n', 'spec:\n  restartPolicy: Never\n'),
    );
    writeFileSync(join(dir, 'jobs.yaml'), pods.join('---\n'));
    const { code, stdout, stderr } = await kubeloop('run', dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^default +pod\/job-1 +0\/1 +Completed +0 +10m /m);
    expect(stdout).toMatch(/^default +pod\/job-41 +1\/1 +Running +0 +10m /m);
    expect(stderr).toBe('error: the cluster did not settle: cluster not quiet after 600000 ms: 1 change in the last 20000 ms (Pod: 1); pods not Running/Ready: none\n');
  });

  it('says which --trace file it cannot write, before running anything', async () => {
    const { code, stdout, stderr } = await kubeloop('run', join(examples, 'cli'), '--trace', join(tempDir(), 'no/such/dir/trace.jsonl'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: --trace .*no\/such\/dir\/trace\.jsonl: cannot write the file \(ENOENT\)\n$/);
  });

  it.runIf(existsSync('/dev/full'))('exits 1 naming the --trace file when writing it fails (a full disk)', async () => {
    const { code, stderr } = await kubeloop('run', join(examples, 'cli'), '--trace', '/dev/full');
    expect(code).toBe(1);
    expect(stderr).toBe('error: --trace /dev/full: writing failed (ENOSPC)\n');
  });

  it('draws a progress line on stderr only when stderr is a terminal, leaving stdout unchanged', async () => {
    const stdout = buffer();
    const stderr = buffer(true);
    const code = await main(['run', join(examples, 'cli'), '--for', '30s'], { stdout, stderr });
    expect(code).toBe(0);
    expect(stderr.text).toContain('virtual time 30s  objects ');
    expect(stderr.text).toMatch(/pods 4 Running, 0 Pending/); // web, worker and CoreDNS's two
    expect(stdout.text).toBe((await kubeloop('run', join(examples, 'cli'), '--for', '30s')).stdout);
  });
});

describe('kubeloop command line', () => {
  it.each([
    [['run', 'examples/cli', '--bogus'], "error: unknown option '--bogus'"],
    [['frob'], "error: unknown command 'frob'"],
    [['run', 'examples/cli', '--for', '2x'], 'unknown unit "x" in duration "2x"'],
    [['run', 'examples/cli', '--for', '1m', '--settle'], "option '--for <duration>' cannot be used with option '--settle'"],
    [['run', 'examples/cli', '--for', '1m', '--timeout', '2m'], "option '--timeout <duration>' cannot be used with option '--for <duration>'"],
    [['run', 'examples/cli', '-o', 'xml'], 'Allowed choices are table, wide, name, json, yaml.'],
    [['run', 'examples/cli', '--nodes', 'three'], '--nodes must be a whole number, got "three"'],
    [['run', 'no/such/path'], 'error: no/such/path: no such file or directory'],
  ])('exits 1 with a one-line message for %j', async (argv, message) => {
    const { code, stdout, stderr } = await kubeloop(...argv);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('prints help on stdout and exits 0', async () => {
    const { code, stdout } = await kubeloop('run', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: kubeloop run [options] <paths...>');
  });

  // The installed bin (the built dist/main.js, plain node) is run by the outside-project test in
  // packages/integration/src/packaging; this runs the same entry from source, as `pnpm kubeloop` does.
  it('runs the executable entry as a real process', async () => {
    const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', entry, 'run', join(examples, 'cli'), '-o', 'json'], { cwd: repo });
    expect((JSON.parse(stdout) as { kind: string }).kind).toBe('List');
  });
});
