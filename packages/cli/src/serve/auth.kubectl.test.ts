import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from './serve.js';
import type { RunningServe } from './serve.js';
import { installedKubectls, runKubectl } from './kubectl-harness.js';
import type { KubectlResult } from './kubectl-harness.js';

// Real kubectl against `kubeloop serve` with a second user from a token file, RBAC and
// ServiceAccount tokens: what kube-apiserver with --token-auth-file and RBAC answers.
const present = installedKubectls('the RBAC kubectl tests of kubeloop serve');

const dir = mkdtempSync(join(tmpdir(), 'kubeloop-serve-auth-'));
const kubeconfig = join(dir, 'kubeconfig');
const tokens = join(dir, 'tokens.csv');
let serve: RunningServe;

beforeAll(async () => {
  writeFileSync(tokens, 'jane-secret-token,jane,1001,"devs"\n');
  serve = await startServe({ nodes: 1, speed: 20, kubeconfigPath: kubeconfig, tokenAuthFile: tokens });
});
afterAll(async () => {
  await serve?.stop();
});

function kubectl(path: string, ...args: string[]): Promise<KubectlResult> {
  return runKubectl(path, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args]);
}

/** kubectl as jane, the token file's user. */
const asJane = (path: string, ...args: string[]) => kubectl(path, '--token', 'jane-secret-token', ...args);

/** Waits (on the cluster's clock) until `check` holds, at most `virtualMs`. */
async function eventually(check: () => Promise<boolean>, virtualMs = 120_000): Promise<void> {
  const deadline = serve.cluster.clock.now() + virtualMs;
  while (!(await check())) {
    if (serve.cluster.clock.now() > deadline) throw new Error('condition not reached in time');
    await serve.cluster.clock.sleep(1_000);
  }
}

/** A RoleBinding of the ClusterRole `role` to `subject` in `namespace`. */
const binding = (namespace: string, name: string, role: string, subject: object) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name, namespace },
  subjects: [subject],
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
});

/** `kubectl create -f` of `object` written (as JSON) to `file`. */
function createFrom(path: string, file: string, object: object) {
  writeFileSync(join(dir, file), JSON.stringify(object));
  return kubectl(path, 'create', '-f', join(dir, file));
}

const rbac = (namespace: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${namespace}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
  namespace: ${namespace}
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: jane-reads-pods
  namespace: ${namespace}
subjects:
- kind: User
  name: jane
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
`;

describe.runIf(present.length > 0)('real kubectl against kubeloop serve: authentication and RBAC', () => {
  for (const { version, path } of present) {
    const ns = `team-${version.replace('.', '')}`;
    it(`kubectl ${version}: a token-file user reads pods where a RoleBinding lets it and gets upstream's 403 elsewhere; auth can-i`, async () => {
      const file = join(dir, `${ns}.yaml`);
      writeFileSync(file, rbac(ns));
      const created = await kubectl(path, 'create', '-f', file);
      expect(created.stderr).toBe('');
      expect(created.stdout).toContain(`rolebinding.rbac.authorization.k8s.io/jane-reads-pods created`);

      const allowed = await asJane(path, 'get', 'pods', '-n', ns);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stderr.trim()).toBe(`No resources found in ${ns} namespace.`);
      const denied = await asJane(path, 'get', 'pods', '-n', 'default');
      expect(denied.code).not.toBe(0);
      expect(denied.stderr.trim()).toBe('Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"');
      const nodes = await asJane(path, 'get', 'nodes');
      expect(nodes.stderr.trim()).toBe('Error from server (Forbidden): nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope');

      const canList = await asJane(path, 'auth', 'can-i', 'list', 'pods', '-n', ns);
      expect([canList.code, canList.stdout.trim()]).toEqual([0, 'yes']);
      const canCreate = await asJane(path, 'auth', 'can-i', 'create', 'deployments', '-n', ns);
      expect([canCreate.code, canCreate.stdout.trim()]).toEqual([1, 'no']);
      const adminCan = await kubectl(path, 'auth', 'can-i', 'create', 'deployments', '-n', ns);
      expect([adminCan.code, adminCan.stdout.trim()]).toEqual([0, 'yes']);

      // The aggregated `edit` ClusterRole, granted in the namespace, lets jane create deployments there.
      // (create -f: the typed `kubectl create rolebinding` posts protobuf, which serve does not read yet)
      const bound = await createFrom(path, `${ns}-edit.yaml`, binding(ns, 'jane-edits', 'edit', { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' }));
      expect(bound.stdout.trim(), bound.stderr).toBe('rolebinding.rbac.authorization.k8s.io/jane-edits created');
      await eventually(async () => (await asJane(path, 'auth', 'can-i', 'create', 'deployments', '-n', ns)).stdout.trim() === 'yes');
      const elsewhere = await asJane(path, 'auth', 'can-i', 'create', 'deployments', '-n', 'default');
      expect(elsewhere.stdout.trim()).toBe('no');

      const wide = await kubectl(path, 'get', 'rolebindings', '-n', ns, '-o', 'wide');
      expect(wide.stdout).toMatch(/^jane-edits\s+ClusterRole\/edit\s+\d+s\s+jane\s*$/m);
    });
  }

  for (const { version, path } of present) {
    it(`kubectl ${version}: auth can-i --list shows the rules; whoami; create token gives a ServiceAccount token the server knows`, async () => {
      const ns = `team-${version.replace('.', '')}`;
      const list = await asJane(path, 'auth', 'can-i', '--list', '-n', ns);
      expect(list.code, list.stderr).toBe(0);
      // pod-reader's get, list, watch merged with edit's writes into one line
      expect(list.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[create delete deletecollection patch update get list watch\]$/m);
      expect(list.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);

      const whoami = await asJane(path, 'auth', 'whoami', '-o', 'json');
      expect(whoami.code, whoami.stderr).toBe(0);
      expect(JSON.parse(whoami.stdout)).toMatchObject({ kind: 'SelfSubjectReview', status: { userInfo: { username: 'jane', uid: '1001', groups: ['devs', 'system:authenticated'] } } });

      expect((await createFrom(path, 'bot.yaml', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot', namespace: ns } })).code).toBe(0);
      const token = await kubectl(path, 'create', 'token', 'bot', '-n', ns);
      expect(token.code, token.stderr).toBe(0);
      const bot = token.stdout.trim();
      expect(bot.split('.')).toHaveLength(3);
      const denied = await kubectl(path, '--token', bot, 'get', 'pods', '-n', ns);
      expect(denied.stderr.trim()).toBe(`Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:${ns}:bot" cannot list resource "pods" in API group "" in the namespace "${ns}"`);
      expect((await createFrom(path, 'bot-views.yaml', binding(ns, 'bot-views', 'view', { kind: 'ServiceAccount', name: 'bot', namespace: ns }))).code).toBe(0);
      await eventually(async () => (await kubectl(path, '--token', bot, 'get', 'pods', '-n', ns)).code === 0);
      const unknown = await kubectl(path, '--token', 'not-a-token', 'get', 'pods');
      expect(unknown.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
    });
  }

  for (const { version, path } of present) {
    it(`kubectl ${version}: --as and --as-group act as another user where RBAC allows impersonate, with upstream's 403 where not`, async () => {
      const ns = `team-${version.replace('.', '')}`;
      const whoami = await kubectl(path, 'auth', 'whoami', '--as', 'jane', '--as-group', 'devs', '-o', 'json');
      expect(whoami.code, whoami.stderr).toBe(0);
      expect(JSON.parse(whoami.stdout)).toMatchObject({ status: { userInfo: { username: 'jane', groups: ['devs', 'system:authenticated'] } } });
      // The admin acting as jane has jane's rights, not its own.
      const reads = await kubectl(path, 'get', 'pods', '-n', ns, '--as', 'jane');
      expect(reads.code, reads.stderr).toBe(0);
      const denied = await kubectl(path, 'get', 'pods', '-n', 'default', '--as', 'jane');
      expect(denied.stderr.trim()).toBe('Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"');
      const can = await kubectl(path, 'auth', 'can-i', 'create', 'deployments', '-n', 'default', '--as', 'jane');
      expect(can.stdout.trim()).toBe('no');
      // jane may not impersonate: the 403 names what was asked.
      const refused = await asJane(path, 'get', 'pods', '-n', ns, '--as', 'root');
      expect(refused.stderr.trim()).toBe('Error from server (Forbidden): users "root" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope');
      // Upstream's `edit` (jane's in its namespace) lets it impersonate the ServiceAccounts there, so jane acts as bot (a viewer).
      const sa = await asJane(path, 'get', 'pods', '-n', ns, '--as', `system:serviceaccount:${ns}:bot`);
      expect(sa.code, sa.stderr).toBe(0);
      const botWrites = await asJane(path, 'auth', 'can-i', 'create', 'pods', '-n', ns, '--as', `system:serviceaccount:${ns}:bot`);
      expect(botWrites.stdout.trim()).toBe('no');
      const elsewhere = await asJane(path, 'get', 'pods', '-n', 'default', '--as', 'system:serviceaccount:default:default');
      expect(elsewhere.stderr.trim()).toBe('Error from server (Forbidden): serviceaccounts "default" is forbidden: User "jane" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "default"');
    });
  }

  for (const { version, path } of present) {
    it(`kubectl ${version}: create -f a TokenReview or SubjectAccessReview is answered, and api-resources lists the review kinds create-only`, async () => {
      const ns = `team-${version.replace('.', '')}`;
      // kubectl maps the kind through discovery before posting: without the review kinds listed there it fails.
      const admin = await createFrom(path, 'admin-review.yaml', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: serve.token } });
      expect(admin.code, admin.stderr).toBe(0);
      expect(admin.stdout.trim()).toBe('tokenreview.authentication.k8s.io/<unknown> created');
      writeFileSync(join(dir, 'jane-review.yaml'), JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'jane-secret-token' } }));
      const jane = await kubectl(path, 'create', '-f', join(dir, 'jane-review.yaml'), '-o', 'json');
      expect(jane.code, jane.stderr).toBe(0);
      expect(JSON.parse(jane.stdout)).toMatchObject({ kind: 'TokenReview', status: { authenticated: true, user: { username: 'jane', uid: '1001', groups: ['devs', 'system:authenticated'] } } });
      writeFileSync(join(dir, 'admin-review.yaml'), JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: serve.token } }));
      const authenticated = await kubectl(path, 'create', '-f', join(dir, 'admin-review.yaml'), '-o', 'jsonpath={.status.authenticated} {.status.user.username}');
      expect(authenticated.code, authenticated.stderr).toBe(0);
      expect(authenticated.stdout).toBe('true kubernetes-admin');
      writeFileSync(join(dir, 'sar.yaml'), JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'jane', groups: ['devs'], resourceAttributes: { namespace: ns, verb: 'list', resource: 'pods' } } }));
      const sar = await kubectl(path, 'create', '-f', join(dir, 'sar.yaml'), '-o', 'jsonpath={.status.allowed}');
      expect(sar.code, sar.stderr).toBe(0);
      expect(sar.stdout).toBe('true');

      const resources = await kubectl(path, 'api-resources', '-o', 'wide');
      expect(resources.code, resources.stderr).toBe(0);
      expect(resources.stdout).toMatch(/^tokenreviews\s+authentication\.k8s\.io\/v1\s+false\s+TokenReview\s+create\s*$/m);
      expect(resources.stdout).toMatch(/^selfsubjectreviews\s+authentication\.k8s\.io\/v1\s+false\s+SelfSubjectReview\s+create\s*$/m);
      expect(resources.stdout).toMatch(/^localsubjectaccessreviews\s+authorization\.k8s\.io\/v1\s+true\s+LocalSubjectAccessReview\s+create\s*$/m);
      for (const kind of ['SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview']) {
        expect(resources.stdout).toMatch(new RegExp(`^${kind.toLowerCase()}s\\s+authorization\\.k8s\\.io/v1\\s+false\\s+${kind}\\s+create\\s*$`, 'm'));
      }
    });
  }
});
