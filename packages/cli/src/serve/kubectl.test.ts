import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../command.js';
import type { Writer } from '../io.js';
import { startServe } from './serve.js';
import type { RunningServe } from './serve.js';
import { installedKubectls, runKubectl } from './kubectl-harness.js';
import type { KubectlResult } from './kubectl-harness.js';

// Real kubectl against `kubeloop serve` started in this process (HTTPS, generated CA, token,
// kubeconfig). kubectl runs as a child process, asynchronously: the server shares this event loop.
const present = installedKubectls('the kubectl tests of kubeloop serve');

const dir = mkdtempSync(join(tmpdir(), 'kubeloop-serve-'));
const kubeconfig = join(dir, 'kubeconfig');
let serve: RunningServe;

beforeAll(async () => {
  // 20 virtual seconds per real second: image pulls and container starts take a fraction of a second.
  serve = await startServe({ nodes: 2, speed: 20, kubeconfigPath: kubeconfig });
});
afterAll(async () => {
  await serve?.stop();
});

function kubectl(path: string, ...args: string[]): Promise<KubectlResult> {
  return runKubectl(path, ['--kubeconfig', kubeconfig, ...args]);
}

/** Waits (on the cluster's clock, which follows the wall clock) until `check` holds, at most `virtualMs`. */
async function eventually(check: () => Promise<boolean>, virtualMs = 120_000): Promise<void> {
  const deadline = serve.cluster.clock.now() + virtualMs;
  while (!(await check())) {
    if (serve.cluster.clock.now() > deadline) throw new Error('condition not reached in time');
    await serve.cluster.clock.sleep(1_000);
  }
}

const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;

/** The header line of a kubectl table, its columns split on runs of spaces. */
const header = (text: string) => text.split('\n')[0]!.trim().split(/\s{2,}/);

describe.runIf(present.length > 0)('real kubectl against kubeloop serve', () => {
  it('writes a kubeconfig with the server, the CA and the token', () => {
    const text = readFileSync(kubeconfig, 'utf8');
    expect(text).toContain(`server: ${serve.url}`);
    expect(text).toContain(`certificate-authority-data: ${Buffer.from(serve.caCertPem).toString('base64')}`);
    expect(text).toContain(`token: ${serve.token}`);
  });

  for (const { version, path } of present) {
    it(`kubectl ${version}: version, api-resources, create -f, get deployments and pods, get -o name, set image, rollout status, scale, delete`, async () => {
      const v = await kubectl(path, 'version', '-o', 'json');
      expect(v.code, v.stderr).toBe(0);
      expect((JSON.parse(v.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion).toMatch(/^v1\.34\.0\+kubeloop/);

      const resources = await kubectl(path, 'api-resources');
      expect(resources.code, resources.stderr).toBe(0);
      expect(resources.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      expect(resources.stdout).toMatch(/^nodes\s+no\s+v1\s+false\s+Node$/m);

      const name = `web-${version.replace('.', '')}`;
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, deployment(name));
      const created = await kubectl(path, 'create', '-f', file);
      expect(created.stderr).toBe('');
      expect(created.stdout.trim()).toBe(`deployment.apps/${name} created`);

      const deployments = await kubectl(path, 'get', 'deployments');
      expect(header(deployments.stdout)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      expect(deployments.stdout).toContain(name);

      let pods = '';
      await eventually(async () => {
        pods = (await kubectl(path, 'get', 'pods', '-l', `app=${name}`)).stdout;
        return pods.split('\n').filter((l) => / 1\/1 +Running /.test(l)).length === 2;
      });
      expect(header(pods)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      const wide = await kubectl(path, 'get', 'pods', '-l', `app=${name}`, '-o', 'wide');
      expect(header(wide.stdout)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
      const nodes = await kubectl(path, 'get', 'nodes');
      expect(header(nodes.stdout)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
      expect(nodes.stdout).toMatch(/^node-1\s+Ready\s/m);

      const names = await kubectl(path, 'get', 'deployments', '-o', 'name');
      expect(names.stdout.split('\n')).toContain(`deployment.apps/${name}`);
      const json = await kubectl(path, 'get', 'deployment', name, '-o', 'json');
      expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'Deployment', metadata: { name, namespace: 'default' }, status: { readyReplicas: 2 } });

      // Strategic merge patches with lists: set image merges the container by name, and a
      // rollout replaces the pods.
      const image = await kubectl(path, 'set', 'image', `deployment/${name}`, 'web=nginx:1.28');
      expect(image.stdout.trim(), image.stderr).toBe(`deployment.apps/${name} image updated`);
      const rollout = await kubectl(path, 'rollout', 'status', `deployment/${name}`, '--timeout=30s');
      expect(rollout.stdout, rollout.stderr).toContain(`deployment "${name}" successfully rolled out`);
      const scaled = await kubectl(path, 'scale', `deployment/${name}`, '--replicas=1');
      expect(scaled.stdout.trim()).toBe(`deployment.apps/${name} scaled`);
      const images = await kubectl(path, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[*].image}');
      expect(images.stdout).toBe('1 nginx:1.28');

      const deleted = await kubectl(path, 'delete', 'deployment', name);
      expect(deleted.stdout.trim()).toBe(`deployment.apps "${name}" deleted`);
      const missing = await kubectl(path, 'get', 'deployment', name);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr.trim()).toBe(`Error from server (NotFound): deployments.apps "${name}" not found`);
    });
  }

  it(`kubectl ${present[0]?.version}: get -w prints the rows of objects as they change`, async () => {
    const child = spawn(present[0]!.path, ['--kubeconfig', kubeconfig, 'get', 'configmaps', '-w']);
    let out = '';
    // Resolves once a whole line matches: a chunk may end in the middle of the row.
    const seen = (line: RegExp) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (out.split('\n').slice(0, -1).some((l) => line.test(l))) resolve();
        };
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString('utf8');
          check();
        });
        check();
      });
    // With no ConfigMap yet kubectl prints no header: wait until its watch is open.
    await eventually(() => Promise.resolve(serve.api.openWatches > 0));
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: "1"\n');
    expect((await kubectl(present[0]!.path, 'create', '-f', file)).code).toBe(0);
    try {
      await Promise.race([seen(/^watched\s/), eventually(() => Promise.resolve(false), 60_000)]);
    } finally {
      child.kill();
    }
    expect(header(out)).toEqual(['NAME', 'DATA', 'AGE']);
    expect(out).toMatch(/^watched\s+1\s+\d+s$/m);
  });
});

describe('kubeloop serve (the command)', () => {
  it('prints the URL and how to use the kubeconfig, and stops cleanly when interrupted', async () => {
    const controller = new AbortController();
    let text = '';
    let ready: () => void = () => {};
    const started = new Promise<void>((resolve) => (ready = resolve));
    const stdout: Writer = {
      write: (s: string) => {
        text += s;
        if (text.includes('Press Ctrl-C')) ready();
      },
    };
    const stderr: Writer = { write: (s: string) => void (text += s) };
    const file = join(dir, 'command.kubeconfig');
    const code = main(['serve', '--nodes', '1', '--kubeconfig', file], { stdout, stderr, signal: controller.signal });
    await started;
    expect(text).toMatch(/^kubeloop serve: a simulated cluster of 1 node at https:\/\/127\.0\.0\.1:\d+ \(virtual time x1\)$/m);
    expect(text).toContain(`export KUBECONFIG=${file}`);
    expect(existsSync(file)).toBe(true);
    controller.abort();
    expect(await code).toBe(0);
    expect(text).toContain('kubeloop serve: stopped');
  });
});
