import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBuiltinRegistry, versionDocument, type Pod } from '@kubeloop/core';
import { main } from './command.js';
import type { Writer } from './io.js';
import type { ManifestFs } from './manifests.js';
import { parseScenario } from './scenario.js';
import { SERVED_KUBERNETES_VERSION } from './version.js';

const registry = createBuiltinRegistry();
const pod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n`;
const fs: ManifestFs = {
  isDirectory: () => false,
  readdir: () => [],
  readFile: (path) => {
    if (path === 'dir/pod.yaml') return pod;
    if (path === 'dir/bad.yaml') return pod.replace('apiVersion', 'piVersion');
    throw new Error('ENOENT');
  },
};

function parse(steps: unknown[], cluster: unknown = { nodes: 2 }) {
  return parseScenario({ kind: 'Scenario', cluster, steps }, 'dir/s.yaml', registry, fs);
}

describe('parseScenario', () => {
  it('reads top steps and the metricsServer switch of the cluster, and names a bad one', () => {
    const s = parse([{ top: 'pods' }, { top: 'nodes' }], { nodes: 1, metricsServer: true });
    expect(s.steps).toMatchObject([{ op: 'top', what: 'pods' }, { op: 'top', what: 'nodes' }]);
    expect(s.metricsServer).toBe(true);
    expect(() => parse([{ top: 'deployments' }])).toThrow('dir/s.yaml (Scenario, steps[0].top): must be pods or nodes, got "deployments"');
    expect(() => parse([{ top: 'pods' }], { metricsServer: 'yes' })).toThrow('dir/s.yaml (Scenario, cluster.metricsServer): must be true or false, got "yes"');
    expect(() => parse([{ top: 'pods' }], { nodes: 1, metrics: true })).toThrow('dir/s.yaml (Scenario, cluster.metrics): unknown field "metrics" (fields: seed, nodes, metricsServer, cloudProvider, ingressNginx, verticalPodAutoscaler, nodeGroups, clusterDns)');
  });

  it('reads the cloudProvider and ingressNginx switches of the cluster, and names a bad one', () => {
    expect(parse([{ top: 'pods' }], { nodes: 1, cloudProvider: true }).cloudProvider).toBe(true);
    expect(parse([{ top: 'pods' }], { nodes: 1 }).cloudProvider).toBeUndefined();
    expect(() => parse([{ top: 'pods' }], { cloudProvider: 'aws' })).toThrow('dir/s.yaml (Scenario, cluster.cloudProvider): must be true or false, got "aws"');
    expect(parse([{ top: 'pods' }], { nodes: 1, ingressNginx: true }).ingressNginx).toBe(true);
    expect(() => parse([{ top: 'pods' }], { ingressNginx: 'yes' })).toThrow('dir/s.yaml (Scenario, cluster.ingressNginx): must be true or false, got "yes"');
  });

  it('reads traffic and exec steps with their defaults, and names a bad field', () => {
    const s = parse([{ traffic: { to: 'http://web:8088/', from: 'pod/client', requests: 30, headers: { 'X-Canary': 'always' } } }, { traffic: { to: 'http://node-1:30080' } }, { exec: { pod: 'client', command: 'nslookup web' } }]);
    expect(s.steps).toMatchObject([
      { op: 'traffic', to: 'http://web:8088/', from: { pod: 'client' }, namespace: 'default', requests: 30, headers: { 'X-Canary': 'always' } },
      { op: 'traffic', to: 'http://node-1:30080', from: 'outside', requests: 100, headers: {} },
      { op: 'exec', pod: 'client', namespace: 'default', command: 'nslookup web' },
    ]);
    expect(() => parse([{ traffic: { to: 'web', from: 'node/x' } }])).toThrow('dir/s.yaml (Scenario, steps[0].traffic.from): must be outside or pod/<name>, got "node/x"');
    expect(() => parse([{ traffic: { to: 'http://web', requests: 0 } }])).toThrow('steps[0].traffic.requests): must be a whole number from 1 to 1000000, got 0');
    expect(() => parse([{ traffic: { to: 'http://web/ x' } }])).toThrow('steps[0].traffic.to): must be a URL (http://<host>[:port]/<path>), got "http://web/ x"');
    expect(() => parse([{ traffic: { to: 'http://web', count: 3 } }])).toThrow('steps[0].traffic.count): unknown field "count" (fields: to, from, namespace, requests, headers, insecure)');
    expect(parse([{ traffic: { to: 'https://shop.example.com', insecure: true } }]).steps).toMatchObject([{ op: 'traffic', insecure: true }]);
    expect(parse([{ traffic: { to: 'https://shop.example.com' } }]).steps).toMatchObject([{ op: 'traffic', insecure: false }]);
    expect(() => parse([{ traffic: { to: 'https://shop.example.com', insecure: 'yes' } }])).toThrow('steps[0].traffic.insecure): must be true or false, got "yes"');
    expect(() => parse([{ exec: { pod: 'client' } }])).toThrow('steps[0].exec.command): must be a command line');
  });

  it('runs traffic and exec steps: where the requests went, and what the command printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-traffic-'));
    const file = join(dir, 's.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'Scenario',
        cluster: { nodes: 1 },
        steps: [
          { apply: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
          { apply: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } },
          { apply: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty' }, spec: { selector: { app: 'none' }, ports: [{ port: 80 }] } } },
          { apply: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1d'] }] } } },
          'settle',
          { traffic: { to: 'http://web/nope', from: 'pod/client', requests: 4 } },
          { traffic: { to: 'http://empty', from: 'pod/client', requests: 2 } },
          { exec: { pod: 'client', command: 'hostname; echo hi' } },
          { exec: { pod: 'missing', command: 'hostname' } },
        ],
      }),
    );
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', file], { stdout, stderr })).toBe(1);
    expect(stdout.text).toMatch(/^# step 6 \(traffic\) at 30s\nTARGET +BACKEND +POD +REQUESTS +SHARE\nhttp:\/\/web\/nope +service\/web +web \(404\) +4 +100\.0%\n/m);
    expect(stdout.text).toContain('http://empty   service/empty   <connection refused>   2          100.0%');
    expect(stdout.text).toContain('# step 8 (exec) at 30s\n$ hostname; echo hi\nclient\nhi\n');
    expect(stderr.text).toBe(`error: ${file} step 9 (exec): pods "missing" not found\n`);
  });

  it('execs with the Secret env and volume an nginx container has, and the files a shell container\'s script wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-exec-'));
    const file = join(dir, 's.yaml');
    const reader = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'reader' },
      spec: {
        containers: [{ name: 'app', image: 'nginx', env: [{ name: 'SECRET_USERNAME', valueFrom: { secretKeyRef: { name: 'creds', key: 'username' } } }], volumeMounts: [{ name: 's', mountPath: '/etc/secret-volume' }] }],
        volumes: [{ name: 's', secret: { secretName: 'creds' } }],
      },
    };
    const writer = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'writer' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo ready > /tmp/state; sleep 1d'] }] } };
    const creds = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { username: 'my-app' } };
    writeFileSync(file, JSON.stringify({ kind: 'Scenario', cluster: { nodes: 1 }, steps: [{ apply: creds }, { apply: reader }, { apply: writer }, 'settle', { exec: { pod: 'reader', command: 'printenv SECRET_USERNAME; cat /etc/secret-volume/username' } }, { exec: { pod: 'writer', command: 'cat /tmp/state' } }] }));
    const stdout = buffer();
    expect(await main(['run', file], { stdout, stderr: buffer() })).toBe(0);
    expect(stdout.text).toContain('$ printenv SECRET_USERNAME; cat /etc/secret-volume/username\nmy-app\nmy-app\n');
    expect(stdout.text).toContain('$ cat /tmp/state\nready\n');
  });

  it('reaches the API server through the kubernetes Service as kind\'s anonymous client does: /version, 403 elsewhere, 400 over plain HTTP, its certificate refused from outside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-apiserver-'));
    const file = join(dir, 's.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'Scenario',
        cluster: { nodes: 1 },
        steps: [
          { apply: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { containers: [{ name: 'c', image: 'curlimages/curl', command: ['sleep', '1d'] }] } } },
          'settle',
          { exec: { pod: 'client', command: 'curl -sk https://kubernetes.default.svc/version' } },
          { exec: { pod: 'client', command: 'curl -sk https://kubernetes.default.svc/api' } },
          { exec: { pod: 'client', command: 'curl -s http://kubernetes.default.svc:443/' } },
          { traffic: { to: 'https://10.96.0.1/healthz', requests: 2 } },
          { traffic: { to: 'https://10.96.0.1/healthz', requests: 2, insecure: true } },
        ],
      }),
    );
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', file], { stdout, stderr })).toBe(0);
    expect(stdout.text).toContain(`$ curl -sk https://kubernetes.default.svc/version\n${JSON.stringify(versionDocument(SERVED_KUBERNETES_VERSION), null, 2)}`);
    expect(stdout.text).toContain('$ curl -sk https://kubernetes.default.svc/api\n{\n  "kind": "Status",\n  "apiVersion": "v1",\n  "metadata": {},\n  "status": "Failure",\n  "message": "forbidden: User \\"system:anonymous\\" cannot get path \\"/api\\"",\n  "reason": "Forbidden",\n  "details": {},\n  "code": 403\n}');
    expect(stdout.text).toContain('$ curl -s http://kubernetes.default.svc:443/\nClient sent an HTTP request to an HTTPS server.\n');
    expect(stdout.text).toMatch(/https:\/\/10\.96\.0\.1\/healthz +service\/kubernetes +<SSL certificate problem: unable to get local issuer certificate> +2 +100\.0%/);
    expect(stdout.text).toMatch(/https:\/\/10\.96\.0\.1\/healthz +service\/kubernetes +kube-apiserver +2 +100\.0%/);
    expect(stderr.text).toBe('');
  });

  it('reads node groups (bootDelay as a duration) and the verticalPodAutoscaler switch, whose kind the steps may then apply', () => {
    const vpa = { apiVersion: 'autoscaling.k8s.io/v1', kind: 'VerticalPodAutoscaler', metadata: { name: 'v' }, spec: { targetRef: { kind: 'Deployment', name: 'd' } } };
    const s = parse([{ apply: vpa }, { get: 'vpa' }], { nodes: 1, verticalPodAutoscaler: true, nodeGroups: [{ name: 'pool', maxSize: 3, cpu: '2', bootDelay: '30s' }] });
    expect(s.verticalPodAutoscaler).toBe(true);
    expect(s.nodeGroups).toEqual([{ name: 'pool', maxSize: 3, cpu: '2', bootDelayMs: 30_000 }]);
    expect(() => parse([{ apply: vpa }], { nodes: 1 })).toThrow('VerticalPodAutoscaler');
    expect(() => parse([{ top: 'pods' }], { nodeGroups: [{ name: 'pool', minSize: 4, maxSize: 3 }] })).toThrow('dir/s.yaml (Scenario, cluster.nodeGroups): invalid node group "pool": need whole numbers 0 ≤ minSize (4) ≤ maxSize (3)');
    expect(() => parse([{ top: 'pods' }], { nodeGroups: [{ name: 'pool', maxSize: 3, size: 2 }] })).toThrow('dir/s.yaml (Scenario, cluster.nodeGroups[0].size): unknown field "size"');
    expect(() => parse([{ top: 'pods' }], { nodeGroups: [{ name: 'pool', maxSize: 3, bootDelay: 'soon' }] })).toThrow('cluster.nodeGroups[0].bootDelay');
  });

  it('reads every kind of step, resolving resources as kubectl get names them', () => {
    const s = parse([
      { apply: 'pod.yaml' },
      { apply: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } },
      'settle',
      { advance: '1m30s' },
      { stopNode: 'node-2' },
      { restoreNode: 'node-2' },
      { scale: { resource: 'deploy', name: 'web', replicas: 4 } },
      { patch: { resource: 'po', name: 'p', patch: { metadata: { labels: { a: 'b' } } } } },
      { delete: { resource: 'pods', selector: 'app=web', propagationPolicy: 'Foreground' } },
      { get: ['pods', 'nodes'] },
      { get: 'all' },
      { label: { resource: 'no', name: 'node-1', labels: { disk: 'ssd', zone: null } } },
      { settle: { timeout: '2m' } },
      { echo: '== Act 2\nthe node comes back\n' },
      { addNode: { name: 'node-3', cpu: '8', labels: { disk: 'ssd' } } },
      { removeNode: 'node-3' },
      { addNode: 'node-4' },
    ]);
    expect(s.steps.map((x) => x.op)).toEqual(['apply', 'apply', 'settle', 'advance', 'stopNode', 'restoreNode', 'scale', 'patch', 'delete', 'get', 'get', 'label', 'settle', 'echo', 'addNode', 'removeNode', 'addNode']);
    expect(s.steps[14]).toMatchObject({ spec: { name: 'node-3', cpu: '8', labels: { disk: 'ssd' } } });
    expect(s.steps[16]).toMatchObject({ spec: { name: 'node-4' } });
    expect(s.steps[11]).toMatchObject({ resource: { kind: 'Node' }, namespace: undefined, name: 'node-1', labels: { disk: 'ssd', zone: null } });
    expect(s.steps[12]).toMatchObject({ timeoutMs: 120_000 });
    expect(s.steps[13]).toMatchObject({ text: '== Act 2\nthe node comes back' });
    expect(s.steps[0]).toMatchObject({ source: 'dir/pod.yaml', text: pod });
    expect(s.steps[3]).toMatchObject({ ms: 90_000 });
    expect(s.steps[6]).toMatchObject({ resource: { kind: 'Deployment' }, namespace: 'default', name: 'web', replicas: 4 });
    expect(s.steps[8]).toMatchObject({ resource: { kind: 'Pod' }, selector: 'app=web', propagationPolicy: 'Foreground' });
  });

  it.each([
    [[{ apply: 'bad.yaml' }], 'dir/bad.yaml (document 1, Pod "p"): apiVersion not set (found unknown field "piVersion")'],
    [[{ apply: 'missing.yaml' }], 'dir/missing.yaml: cannot read file'],
    [[{ apply: { apiVersion: 'v1', kind: 'Gizmo', metadata: { name: 'g' } } }], 'dir/s.yaml step 1 (apply) (document 1, Gizmo "g"): no matches for kind "Gizmo" in version "v1"'],
    [[{ stopNode: 'node-3' }], 'dir/s.yaml (Scenario, steps[0].stopNode): no node "node-3" in this cluster (nodes: node-1, node-2)'],
    [[{ removeNode: 'node-3' }], 'dir/s.yaml (Scenario, steps[0].removeNode): no node "node-3" in this cluster (nodes: node-1, node-2)'],
    [[{ addNode: 'node-2' }], 'dir/s.yaml (Scenario, steps[0].addNode.name): node "node-2" is already in this cluster (to bring back a stopped or removed node, use restoreNode)'],
    [[{ addNode: { name: 'node-3', gpus: 2 } }], 'dir/s.yaml (Scenario, steps[0].addNode.gpus): unknown field "gpus" (fields: name, cpu, memory, pods, ephemeralStorage, allocatable, labels, taints, podCIDR, internalIP)'],
    [[{ addNode: { cpu: '2' } }], 'dir/s.yaml (Scenario, steps[0].addNode.name): must name the node'],
    [[{ addNode: { name: 'node-3', cpu: 'lots' } }], 'dir/s.yaml (Scenario, steps[0].addNode): invalid node "node-3": cpu "lots" is not a non-negative quantity'],
    [[{ addNode: { name: 'node-3', labels: { pool: 'a b' } } }], 'dir/s.yaml (Scenario, steps[0].addNode): invalid node "node-3": Node "node-3" is invalid: metadata.labels: Invalid value: "a b"'],
    [[{ addNode: { name: 'node-3', taints: [{ key: 'dedicated', effect: 'Sometimes' }] } }], 'dir/s.yaml (Scenario, steps[0].addNode): invalid node "node-3": Node "node-3" is invalid: spec.taints[0].effect'],
    [[{ addNode: 'Node_3' }], 'dir/s.yaml (Scenario, steps[0].addNode): invalid node "Node_3": Node "Node_3" is invalid: metadata.name'],
    [[{ advance: 'soon' }], 'dir/s.yaml (Scenario, steps[0].advance): invalid duration "soon"'],
    [[{ scale: { resource: 'pods', name: 'p', replicas: 2 } }], 'dir/s.yaml (Scenario, steps[0].scale.resource): pods has no scale subresource'],
    [[{ delete: { resource: 'pods' } }], 'dir/s.yaml (Scenario, steps[0].delete): needs exactly one of name and selector'],
    [[{ get: 'widgets' }], 'dir/s.yaml (Scenario, steps[0].get.get): unknown resource "widgets"'],
    [[{ jump: 1 }], 'dir/s.yaml (Scenario, steps[0]): unknown step "jump"'],
    [[{ settle: {}, advance: '1s' }], 'dir/s.yaml (Scenario, steps[0]): a step is an object with exactly one of'],
    [[], 'dir/s.yaml (Scenario, steps): must be a non-empty list of steps'],
    [[{ label: { resource: 'nodes', name: 'node-1', labels: {} } }], 'dir/s.yaml (Scenario, steps[0].label.labels): must be a map of labels to set (a value of null removes the label)'],
    [[{ label: { resource: 'nodes', name: 'node-1', labels: { size: 3 } } }], 'dir/s.yaml (Scenario, steps[0].label.labels.size): must be a string, or null to remove the label, got 3'],
    [[{ label: { resource: 'nodes', labels: { a: 'b' } } }], 'dir/s.yaml (Scenario, steps[0].label.name): must be set'],
    [[{ echo: '' }], 'dir/s.yaml (Scenario, steps[0].echo): must be a line of text'],
    [[{ settle: { timeout: 'soon' } }], 'dir/s.yaml (Scenario, steps[0].settle.timeout): invalid duration "soon"'],
    [[{ settle: { quiet: '1m' } }], 'dir/s.yaml (Scenario, steps[0].settle.quiet): unknown option "quiet" (options: timeout)'],
  ])('rejects %j before anything runs, naming the file, step and field', (steps, message) => {
    expect(() => parse(steps)).toThrow(message);
  });

  it.each([
    [[{ name: 'a' }, { name: 'a' }], 'dir/s.yaml (Scenario, cluster.nodes[1].name): node "a" is already in this cluster'],
    [[{ name: 'a', gpus: 1 }], 'dir/s.yaml (Scenario, cluster.nodes[0].gpus): unknown field "gpus"'],
    [[{ name: 'a', memory: '-1Gi' }], 'dir/s.yaml (Scenario, cluster.nodes[0]): invalid node "a": memory "-1Gi" is not a non-negative quantity'],
    [[{ name: 'a', labels: { 'bad key!': 'x' } }], 'dir/s.yaml (Scenario, cluster.nodes[0]): invalid node "a": Node "a" is invalid: metadata.labels: Invalid value: "bad key!"'],
  ])('rejects cluster.nodes %j before the cluster is built, naming the node and field', (nodes, message) => {
    expect(() => parse([{ echo: 'hi' }], { nodes })).toThrow(message);
  });
});

function buffer(isTTY = false): Writer & { text: string } {
  const out = { text: '', isTTY, write: (s: string) => void (out.text += s) };
  return out;
}

describe('kubeloop run with a scenario', () => {
  it('runs the node-down example step by step, printing what its get steps ask for', async () => {
    const file = fileURLToPath(new URL('../../../examples/cli/scenarios/node-down.yaml', import.meta.url));
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', file], { stdout, stderr })).toBe(0);
    expect(stderr.text).toBe('');
    expect(stdout.text).toMatch(/^# step 3 \(get\) at 30s\nNAMESPACE +NAME +READY/);
    expect(stdout.text).toMatch(/^# step 11 \(get\) at 3m$/m);
    expect(stdout.text).not.toMatch(/pod\/web /);
    expect(stdout.text).toMatch(/^default +pod\/extra +1\/1 +Running/m);
    expect(stdout.text.match(/^node\/node-\d +Ready/gm)).toHaveLength(2);
  });

  it('runs the unschedulable-pod example: a pod too big for any node stays Pending, a pod waiting for a node label runs once a node is labelled', async () => {
    const file = fileURLToPath(new URL('../../../examples/cli/scenarios/unschedulable-pod.yaml', import.meta.url));
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', file], { stdout, stderr })).toBe(0);
    expect(stderr.text).toBe('');
    const [before, after] = stdout.text.split(/^# step 6 /m);
    expect(before).toMatch(/^default +pod\/big +0\/1 +Pending +0 +20s +<none> +<none>$/m);
    expect(before).toMatch(/^default +pod\/ssd-only +0\/1 +Pending /m);
    expect(before).toMatch(/^default +20s +Warning +FailedScheduling +pod\/big +0\/2 nodes are available: 2 Insufficient cpu\./m);
    expect(before).toMatch(/^default +20s +Warning +FailedScheduling +pod\/ssd-only +0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\./m);
    expect(after).toMatch(/^default +pod\/big +0\/1 +Pending /m);
    expect(after).toMatch(/^default +pod\/ssd-only +1\/1 +Running +0 +\d+s +small-2 /m);
  });

  it('runs the sidecar-outofcpu example: 600m app + 500m sidecar on a 1-CPU node, rejected by the kubelet when bound by hand (OutOfcpu), unschedulable through the scheduler', async () => {
    const file = fileURLToPath(new URL('../../../examples/cli/scenarios/sidecar-outofcpu.yaml', import.meta.url));
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', file], { stdout, stderr })).toBe(0);
    expect(stderr.text).toBe('');
    // Ages and event times depend on whether the scheduler's first try comes before or after
    // the kubelet rejects the other pod (then it retries after its 1 s back-off); both are
    // what a cluster does. The statuses and messages are the point. (used: 200: CoreDNS's two
    // pods request 100m each on the only node, as in a one-node kind cluster)
    expect(stdout.text).toMatch(/^default +pod\/bound +0\/2 +OutOfcpu +0 +2[01]s +small +<none>$/m);
    expect(stdout.text).toMatch(/^default +pod\/scheduled +0\/2 +Pending +0 +2[01]s +<none> +<none>$/m);
    expect(stdout.text).toMatch(/^default +2[01]s +Warning +OutOfcpu +pod\/bound +.*Node didn't have enough resource: cpu, requested: 1100, used: 200, capacity: 1000$/m);
    expect(stdout.text).toMatch(/^default +2[01]s +Warning +FailedScheduling +pod\/scheduled +0\/1 nodes are available: 1 Insufficient cpu\. /m);
    const json = buffer();
    expect(await main(['run', file, '-o', 'json'], { stdout: json, stderr: buffer() })).toBe(0);
    const pods = new Map((JSON.parse(json.text) as { items: Pod[] }).items.filter((o) => o.kind === 'Pod').map((p) => [p.metadata.name, p]));
    expect(pods.get('bound')?.status).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 1100, used: 200, capacity: 1000" });
    expect(pods.get('scheduled')?.status.phase).toBe('Pending');
    expect(pods.get('scheduled')?.status.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message: expect.stringMatching(/^0\/1 nodes are available: 1 Insufficient cpu\./) });
  });

  it('runs the quota example: the ReplicaSet creates what the quota allows and reports the refusal; a raised quota lets the third pod in', async () => {
    const file = fileURLToPath(new URL('../../../examples/cli/scenarios/quota.yaml', import.meta.url));
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', file], { stdout, stderr })).toBe(0);
    expect(stderr.text).toBe('');
    const [before, after] = stdout.text.split(/^# step 10 /m);
    expect(before!.match(/^default +pod\/web-\S+ +1\/1 +Running /gm)).toHaveLength(2);
    expect(before).toMatch(/^default +resourcequota\/compute +\S+ +pods: 2\/5, requests\.cpu: 800m\/1 +limits\.memory: 512Mi\/2Gi$/m);
    expect(before).toMatch(/ Warning +FailedCreate +replicaset\/web-\S+ +Error creating: pods "web-\S+" is forbidden: exceeded quota: compute, requested: requests\.cpu=400m, used: requests\.cpu=800m, limited: requests\.cpu=1$/m);
    expect(after!.match(/^default +pod\/web-\S+ +1\/1 +Running /gm)).toHaveLength(3);
    expect(after).toMatch(/^default +resourcequota\/compute +\S+ +pods: 3\/5, requests\.cpu: 1200m\/2 +limits\.memory: 768Mi\/2Gi$/m);
  });

  it('runs the node-replaced example: a node joins, the old one leaves, and its pods come back on the new one once the pod GC collects them', async () => {
    const file = fileURLToPath(new URL('../../../examples/cli/scenarios/node-replaced.yaml', import.meta.url));
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', file], { stdout, stderr })).toBe(0);
    expect(stderr.text).toBe('');
    const [, removed, replaced] = stdout.text.split(/^# step (?:8|11) /m);
    // Right after the removal: the Node is gone, its pods are still listed on it.
    expect(removed!.match(/^default +pod\/web-\S+ +1\/1 +Running +0 +\S+ +old /gm)).toHaveLength(3);
    expect(removed!.match(/^node\/\S+/gm)).toEqual(['node/new']);
    // After the quarantine: three new pods, on the new node.
    expect(replaced!.match(/^default +web-\S+ +1\/1 +Running +0 +\S+ +new /gm)).toHaveLength(3);
    expect(replaced).not.toMatch(/ old /);
  });

  it('says "No resources found." for a get step that finds nothing, and prints echo lines with the tables only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-scenario-'));
    writeFileSync(join(dir, 's.yaml'), 'kind: Scenario\ncluster: {clusterDns: false}\nsteps:\n  - echo: Nothing yet.\n  - get: deployments\n');
    const stdout = buffer();
    expect(await main(['run', join(dir, 's.yaml')], { stdout, stderr: buffer() })).toBe(0);
    expect(stdout.text).toBe('Nothing yet.\n\n# step 2 (get) at 0s\nNo resources found.\n');
    const json = buffer();
    expect(await main(['run', join(dir, 's.yaml'), '-o', 'json'], { stdout: json, stderr: buffer() })).toBe(0);
    expect(JSON.parse(json.text)).toEqual({ apiVersion: 'v1', kind: 'List', items: [] });
  });

  it('prints a get step in its own format (wide, name) when it says so, the others in -o\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-scenario-'));
    writeFileSync(join(dir, 'p.yaml'), pod);
    writeFileSync(join(dir, 's.yaml'), 'kind: Scenario\ncluster: {nodes: 1, clusterDns: false}\nsteps:\n  - apply: p.yaml\n  - settle\n  - get: {resources: pods, output: wide}\n  - get: {resources: [pods, nodes], output: name}\n  - get: pods\n');
    const stdout = buffer();
    expect(await main(['run', join(dir, 's.yaml')], { stdout, stderr: buffer() })).toBe(0);
    const [wide, names, plain] = stdout.text.split(/^# step \d \(get\) at \S+\n/m).slice(1);
    expect(wide).toMatch(/^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES +OWNER\ndefault +p +1\/1 +Running +0 +\S+ +10\.\S+ +node-1 +<none> +<none> +<none>\n/);
    expect(names).toBe('pod/p\nnode/node-1\n\n');
    expect(plain).toMatch(/^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE +NODE +OWNER\n/);
    expect(() => parse([{ get: { resources: 'pods', output: 'xml' } }])).toThrow('steps[0].get.output): must be one of table, wide, name, json, yaml, got "xml"');
  });

  it('redraws the progress line during long advance steps when stderr is a terminal, printing the same tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-scenario-'));
    writeFileSync(join(dir, 's.yaml'), 'kind: Scenario\ncluster: {nodes: 1, clusterDns: false}\nsteps:\n  - advance: 35s\n  - get: nodes\n');
    const stdout = buffer();
    const stderr = buffer(true);
    expect(await main(['run', join(dir, 's.yaml')], { stdout, stderr })).toBe(0);
    // (the objects include the default StorageClass, the two system PriorityClasses and the `kubernetes` Service with its Endpoints and EndpointSlice)
    expect(stderr.text.split('\r\x1b[2K').filter(Boolean)).toEqual(['virtual time 0s  objects 12  pods 0 Running, 0 Pending', 'virtual time 10s  objects 12  pods 0 Running, 0 Pending', 'virtual time 20s  objects 12  pods 0 Running, 0 Pending', 'virtual time 30s  objects 12  pods 0 Running, 0 Pending', 'virtual time 35s  objects 12  pods 0 Running, 0 Pending']);
    const plain = buffer();
    expect(await main(['run', join(dir, 's.yaml')], { stdout: plain, stderr: buffer() })).toBe(0);
    expect(stdout.text).toBe(plain.text);
  });

  it('prints the ClusterIP and node port the API server gave a NodePort Service, beside the kubernetes Service at 10.96.0.1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-scenario-'));
    const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}\n';
    writeFileSync(join(dir, 'svc.yaml'), svc);
    writeFileSync(join(dir, 's.yaml'), 'kind: Scenario\ncluster: {nodes: 1}\nsteps:\n  - apply: svc.yaml\n  - get: services\n');
    const stdout = buffer();
    expect(await main(['run', join(dir, 's.yaml')], { stdout, stderr: buffer() })).toBe(0);
    // A dynamic ClusterIP is anywhere in 10.96.0.0/12 (10.96–10.111), past the static band; node ports come from 30000–32767.
    expect(stdout.text).toMatch(/\ndefault +kubernetes +ClusterIP +10\.96\.0\.1 +<none> +443\/TCP +\S+\n/);
    const web = /\ndefault +web +NodePort +(10\.(\d+)\.\d+\.\d+) +<none> +80:(3\d{4})\/TCP +/.exec(stdout.text);
    expect(web, stdout.text).not.toBeNull();
    expect(Number(web?.[2])).toBeGreaterThanOrEqual(96);
    expect(Number(web?.[2])).toBeLessThanOrEqual(111);
    expect(Number(web?.[3])).toBeGreaterThanOrEqual(30000);
    expect(Number(web?.[3])).toBeLessThanOrEqual(32767);
  });

  it('stops at a failing step with an error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-scenario-'));
    writeFileSync(join(dir, 's.yaml'), 'kind: Scenario\nsteps:\n  - delete: {resource: pods, name: ghost}\n');
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', join(dir, 's.yaml')], { stdout, stderr })).toBe(1);
    expect(stderr.text).toMatch(/^error: .*s\.yaml step 1 \(delete\): .*ghost.*\n$/);
  });

  it('labels and unlabels a node as kubectl label does, a null value removing the label', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-scenario-'));
    writeFileSync(
      join(dir, 's.yaml'),
      [
        'kind: Scenario',
        'cluster: {nodes: 1}',
        'steps:',
        '  - label: {resource: nodes, name: node-1, labels: {disk: ssd, zone: a}}',
        '  - label: {resource: nodes, name: node-1, labels: {zone: null}}',
      ].join('\n'),
    );
    const stdout = buffer();
    expect(await main(['run', join(dir, 's.yaml'), '-o', 'json'], { stdout, stderr: buffer() })).toBe(0);
    const node = (JSON.parse(stdout.text) as { items: { kind: string; metadata: { labels: Record<string, string> } }[] }).items.find((o) => o.kind === 'Node')!;
    expect(node.metadata.labels['disk']).toBe('ssd');
    expect(node.metadata.labels).not.toHaveProperty('zone');
  });

  it('prints the state and names the step when a settle step does not get quiet within its timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-scenario-'));
    writeFileSync(
      join(dir, 's.yaml'),
      [
        'kind: Scenario',
        'steps:',
        '  - apply: {apiVersion: v1, kind: Pod, metadata: {name: crasher, annotations: {kubeloop.dev/behavior: crashloop}}, spec: {containers: [{name: app, image: busybox}]}}',
        '  - settle: {timeout: 30s}',
        '  - get: pods',
      ].join('\n'),
    );
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', join(dir, 's.yaml')], { stdout, stderr })).toBe(1);
    expect(stdout.text).toMatch(/^# step 2 \(settle\) did not settle, at 30s$/m);
    expect(stdout.text).toMatch(/^default +pod\/crasher +0\/1 +CrashLoopBackOff +2 /m);
    expect(stderr.text).toMatch(/^error: .*s\.yaml step 2 \(settle\): the cluster did not settle: cluster not quiet after 30000 ms: .*default\/crasher \(Running \(CrashLoopBackOff\)\)\n$/);
  });

  it('refuses a scenario given with other files, and --for with a scenario', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-scenario-'));
    writeFileSync(join(dir, 's.yaml'), 'kind: Scenario\nsteps:\n  - settle\n');
    writeFileSync(join(dir, 'p.yaml'), pod);
    const stderr = buffer();
    expect(await main(['run', dir], { stdout: buffer(), stderr })).toBe(1);
    expect(stderr.text).toContain('a scenario runs alone');
    const stderr2 = buffer();
    expect(await main(['run', join(dir, 's.yaml'), '--for', '1m'], { stdout: buffer(), stderr: stderr2 })).toBe(1);
    expect(stderr2.text).toContain('--for cannot be used with a scenario');
  });
});
