import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from './serve.js';
import type { RunningServe } from './serve.js';
import { installedKubectls, runKubectl } from './kubectl-harness.js';
import type { KubectlResult } from './kubectl-harness.js';

// Real kubectl (the oldest and newest on the machine) against `kubeloop serve`: `explain` reads
// the OpenAPI generated from the zod schemas; client-side apply computes its three-way strategic
// merge patch from it; server-side apply is the server's, with managedFields and conflicts.
const present = installedKubectls('the kubectl apply and explain tests of kubeloop serve');

const dir = mkdtempSync(join(tmpdir(), 'kubeloop-apply-'));
const kubeconfig = join(dir, 'kubeconfig');
// A cache of its own, so that no OpenAPI document cached by another run is read.
const cacheDir = join(dir, 'cache');
let serve: RunningServe;

beforeAll(async () => {
  serve = await startServe({ nodes: 1, speed: 20, kubeconfigPath: kubeconfig });
});
afterAll(async () => {
  await serve?.stop();
});

function kubectl(path: string, ...args: string[]): Promise<KubectlResult> {
  return runKubectl(path, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args]);
}

const deployment = (name: string, replicas: number, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
${extra}  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
`;

function manifest(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe.runIf(present.length > 0)('real kubectl: explain and apply against kubeloop serve', () => {
  for (const { version, path } of present) {
    const suffix = version.replace('.', '');

    it(`kubectl ${version}: explain prints a field and a list of objects from the served OpenAPI`, async () => {
      const replicas = await kubectl(path, 'explain', 'deployment.spec.replicas');
      expect(replicas.code, replicas.stderr).toBe(0);
      expect(replicas.stdout).toMatch(/KIND:\s+Deployment/);
      expect(replicas.stdout).toMatch(/FIELD:\s+replicas\s+<integer>/);

      const containers = await kubectl(path, 'explain', 'pods.spec.containers');
      expect(containers.code, containers.stderr).toBe(0);
      expect(containers.stdout).toMatch(/FIELD:\s+containers\s+<\[\]Container>/);
      expect(containers.stdout).toMatch(/^\s+image\s+<string>/m);
      expect(containers.stdout).toMatch(/^\s+ports\s+<\[\]ContainerPort>/m);
    });

    it(`kubectl ${version}: client-side apply of a changed manifest removes the field it no longer has`, async () => {
      const name = `csa-${suffix}`;
      const first = await kubectl(path, 'apply', '-f', manifest(name, deployment(name, 2, '  minReadySeconds: 5\n')));
      expect(first.stdout.trim(), first.stderr).toBe(`deployment.apps/${name} created`);
      const annotated = await kubectl(path, 'get', 'deployment', name, '-o', `jsonpath={.spec.minReadySeconds} {.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}`);
      expect(annotated.stdout).toMatch(/^5 \{.*"minReadySeconds":5/);

      const second = await kubectl(path, 'apply', '-f', manifest(`${name}-changed`, deployment(name, 3)));
      expect(second.stdout.trim(), second.stderr).toBe(`deployment.apps/${name} configured`);
      expect(second.stderr).toBe('');
      const after = await kubectl(path, 'get', 'deployment', name, '-o', 'json');
      const object = JSON.parse(after.stdout) as { spec: { replicas: number; minReadySeconds?: number; template: { spec: { containers: { name: string; ports: unknown[] }[] } } } };
      expect(object.spec.replicas).toBe(3);
      expect(object.spec.minReadySeconds).toBeUndefined();
      expect(object.spec.template.spec.containers.map((c) => c.name)).toEqual(['web']);
      expect(object.spec.template.spec.containers[0]!.ports).toHaveLength(1);

      // Moving to server-side apply: kubectl hands the client-side manager's fields over to its own
      // (a JSON patch of managedFields), so the same manifest applies without conflicts.
      const upgraded = await kubectl(path, 'apply', '--server-side', '-f', manifest(`${name}-changed`, deployment(name, 3)));
      expect(upgraded.stdout.trim(), upgraded.stderr).toBe(`deployment.apps/${name} serverside-applied`);
      const managers = await kubectl(path, 'get', 'deployment', name, '-o', 'jsonpath={.metadata.managedFields[*].manager}', '--show-managed-fields');
      expect(managers.stdout.split(' ')).not.toContain('kubectl-client-side-apply');
    });

    it(`kubectl ${version}: server-side apply creates, re-applies, conflicts after kubectl scale, and --force-conflicts wins`, async () => {
      const name = `ssa-${suffix}`;
      const file = manifest(name, deployment(name, 2, '  minReadySeconds: 5\n'));
      const created = await kubectl(path, 'apply', '--server-side', '-f', file);
      expect(created.stdout.trim(), created.stderr).toBe(`deployment.apps/${name} serverside-applied`);
      const json = await kubectl(path, 'get', 'deployment', name, '-o', 'json', '--show-managed-fields');
      const object = JSON.parse(json.stdout) as { metadata: { managedFields: { manager: string; operation: string; fieldsType: string; fieldsV1: Record<string, unknown> }[] } };
      expect(object.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' })]);
      expect(object.metadata.managedFields[0]!.fieldsV1).toMatchObject({ 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } } } });

      const again = await kubectl(path, 'apply', '--server-side', '-f', manifest(`${name}-without-min-ready`, deployment(name, 2)));
      expect(again.stdout.trim(), again.stderr).toBe(`deployment.apps/${name} serverside-applied`);
      const dropped = await kubectl(path, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}/{.spec.minReadySeconds}');
      expect(dropped.stdout).toBe('2/');

      const scaled = await kubectl(path, 'scale', `deployment/${name}`, '--replicas=4');
      expect(scaled.stdout.trim(), scaled.stderr).toBe(`deployment.apps/${name} scaled`);
      const conflict = await kubectl(path, 'apply', '--server-side', '-f', file);
      expect(conflict.code).not.toBe(0);
      // kubectl scale names no field manager: the server records it under its User-Agent's program name.
      expect(conflict.stderr).toContain(`error: Apply failed with 1 conflict: conflict with "kubectl.${version}" with subresource "scale" using apps/v1: .spec.replicas\n`);
      expect((await kubectl(path, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('4');

      const forced = await kubectl(path, 'apply', '--server-side', '--force-conflicts', '-f', file);
      expect(forced.stdout.trim(), forced.stderr).toBe(`deployment.apps/${name} serverside-applied`);
      expect((await kubectl(path, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}/{.spec.minReadySeconds}')).stdout).toBe('2/5');
    });
  }
});
