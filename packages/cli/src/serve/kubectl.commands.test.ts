import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from './serve.js';
import type { RunningServe } from './serve.js';
import { installedKubectls } from './kubectl-harness.js';

// The kubectl commands the seeds use, run by real kubectl (the oldest and the newest on the
// machine) against one `kubeloop serve` started in this process. Each version works on its own
// objects (names carry the version), one command after the other in one test per area, so the
// file costs one cluster and a few dozen kubectl runs.
const present = installedKubectls('the kubectl command tests of kubeloop serve');

const dir = mkdtempSync(join(tmpdir(), 'kubeloop-kubectl-'));
const kubeconfig = join(dir, 'kubeconfig');
let serve: RunningServe;

beforeAll(async () => {
  // 20 virtual seconds per real second: rollouts and container starts take a fraction of a second.
  if (present.length > 0) serve = await startServe({ nodes: 2, speed: 20, kubeconfigPath: kubeconfig });
});
afterAll(async () => {
  await serve?.stop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(path: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(path, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs kubectl and expects it to succeed; its stdout. */
async function ok(path: string, ...args: string[]): Promise<string> {
  const r = await run(path, args);
  expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Waits (on the cluster's clock, which follows the wall clock) until `check` holds, at most `virtualMs`. */
async function eventually(check: () => Promise<boolean>, virtualMs = 120_000): Promise<void> {
  const deadline = serve.cluster.clock.now() + virtualMs;
  while (!(await check())) {
    if (serve.cluster.clock.now() > deadline) throw new Error('condition not reached in time');
    await serve.cluster.clock.sleep(1_000);
  }
}

const header = (text: string) => text.split('\n')[0]!.trim().split(/\s{2,}/);

describe.runIf(present.length > 0)('kubectl commands against kubeloop serve', () => {
  for (const { version, path } of present) {
    const v = version.replace('.', '');

    it(`kubectl ${version}: create deployment/configmap/secret (protobuf bodies for 1.33), get -o wide|json|yaml|name, label, annotate, patch, wait, scale`, async () => {
      const name = `app-${v}`;
      expect(await ok(path, 'create', 'deployment', name, '--image=nginx:1.27', '--replicas=2', '--port=80')).toBe(`deployment.apps/${name} created\n`);
      expect(await ok(path, 'create', 'configmap', `cm-${v}`, '--from-literal=greeting=hello')).toBe(`configmap/cm-${v} created\n`);
      expect(await ok(path, 'create', 'secret', 'generic', `secret-${v}`, '--from-literal=password=s3cret')).toBe(`secret/secret-${v} created\n`);
      const secret = JSON.parse(await ok(path, 'get', 'secret', `secret-${v}`, '-o', 'json')) as { type: string; data: Record<string, string> };
      expect(secret).toMatchObject({ type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } });
      expect(await ok(path, 'get', 'configmap', `cm-${v}`, '-o', 'jsonpath={.data.greeting}')).toBe('hello');
      expect(await ok(path, 'create', 'cronjob', `cron-${v}`, '--image=busybox', '--schedule=*/5 * * * *', '--', 'echo', 'hi')).toBe(`cronjob.batch/cron-${v} created\n`);
      expect(await ok(path, 'create', 'job', `job-${v}`, `--from=cronjob/cron-${v}`)).toBe(`job.batch/job-${v} created\n`);
      expect(await ok(path, 'wait', '--for=condition=Complete', `job/job-${v}`, '--timeout=60s')).toBe(`job.batch/job-${v} condition met\n`);

      expect(await ok(path, 'wait', '--for=condition=Available', `deployment/${name}`, '--timeout=60s')).toBe(`deployment.apps/${name} condition met\n`);
      expect(await ok(path, 'wait', '--for=jsonpath={.status.readyReplicas}=2', `deployment/${name}`, '--timeout=60s')).toBe(`deployment.apps/${name} condition met\n`);

      const wide = await ok(path, 'get', 'deployment', name, '-o', 'wide');
      expect(header(wide)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
      expect(wide).toMatch(new RegExp(`^${name}\\s+2/2\\s+2\\s+2\\s+\\S+\\s+nginx\\s+nginx:1.27\\s+app=${name}$`, 'm'));
      const yaml = await ok(path, 'get', 'deployment', name, '-o', 'yaml');
      expect(yaml).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\n/);
      expect(yaml).toContain(`  name: ${name}\n`);
      const deployment = JSON.parse(await ok(path, 'get', 'deployment', name, '-o', 'json')) as { spec: { template: { spec: { containers: { ports: unknown[] }[] } } } };
      expect(deployment.spec.template.spec.containers[0]!.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
      expect((await ok(path, 'get', 'pods', '-l', `app=${name}`, '-o', 'name')).trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^pod/${name}-`)), expect.stringMatching(new RegExp(`^pod/${name}-`))]);

      expect(await ok(path, 'label', 'deployment', name, 'tier=web')).toBe(`deployment.apps/${name} labeled\n`);
      expect(await ok(path, 'annotate', 'deployment', name, 'owner=team-a')).toMatch(new RegExp(`^deployment.apps/${name} annotated?\\n$`));
      expect(await ok(path, 'patch', 'deployment', name, '-p', '{"spec":{"minReadySeconds":1}}')).toBe(`deployment.apps/${name} patched\n`);
      expect(await ok(path, 'patch', 'deployment', name, '--type=json', '-p', '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":4}]')).toBe(`deployment.apps/${name} patched\n`);
      expect(await ok(path, 'patch', 'deployment', name, '--type=merge', '-p', '{"metadata":{"labels":{"tier":null}}}')).toBe(`deployment.apps/${name} patched\n`);
      expect(await ok(path, 'get', 'deployment', name, '-o', 'jsonpath={.metadata.labels} {.metadata.annotations.owner} {.spec.minReadySeconds} {.spec.revisionHistoryLimit}')).toBe(`{"app":"${name}"} team-a 1 4`);

      expect(await ok(path, 'scale', `deployment/${name}`, '--replicas=3')).toBe(`deployment.apps/${name} scaled\n`);
      await ok(path, 'wait', '--for=jsonpath={.status.availableReplicas}=3', `deployment/${name}`, '--timeout=60s');
      const pods = await ok(path, 'get', 'pods', '-l', `app=${name}`);
      expect(pods.split('\n').filter((l) => / 1\/1 +Running /.test(l))).toHaveLength(3);
    });

    it(`kubectl ${version}: rollout status, history, undo, restart, pause and resume; set image; describe with events`, async () => {
      const name = `roll-${v}`;
      await ok(path, 'create', 'deployment', name, '--image=nginx:1.27', '--replicas=2');
      expect(await ok(path, 'rollout', 'status', `deployment/${name}`, '--timeout=60s')).toContain(`deployment "${name}" successfully rolled out`);
      expect(await ok(path, 'set', 'image', `deployment/${name}`, 'nginx=nginx:1.28')).toBe(`deployment.apps/${name} image updated\n`);
      expect(await ok(path, 'rollout', 'status', `deployment/${name}`, '--timeout=60s')).toContain('successfully rolled out');
      const history = await ok(path, 'rollout', 'history', `deployment/${name}`);
      expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
      expect(await ok(path, 'rollout', 'undo', `deployment/${name}`)).toBe(`deployment.apps/${name} rolled back\n`);
      await ok(path, 'rollout', 'status', `deployment/${name}`, '--timeout=60s');
      expect(await ok(path, 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1.27');
      expect(await ok(path, 'rollout', 'pause', `deployment/${name}`)).toBe(`deployment.apps/${name} paused\n`);
      expect(await ok(path, 'get', 'deployment', name, '-o', 'jsonpath={.spec.paused}')).toBe('true');
      expect(await ok(path, 'rollout', 'resume', `deployment/${name}`)).toBe(`deployment.apps/${name} resumed\n`);
      expect(await ok(path, 'rollout', 'restart', `deployment/${name}`)).toBe(`deployment.apps/${name} restarted\n`);
      expect(await ok(path, 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.metadata.annotations}')).toContain('kubectl.kubernetes.io/restartedAt');
      await ok(path, 'rollout', 'status', `deployment/${name}`, '--timeout=60s');

      const describe = await ok(path, 'describe', 'deployment', name);
      expect(describe).toMatch(new RegExp(`^Name:\\s+${name}$`, 'm'));
      expect(describe).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
      expect(describe).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set /);
      const pod = (await ok(path, 'get', 'pods', '-l', `app=${name}`, '-o', 'jsonpath={.items[0].metadata.name}')).trim();
      expect(await ok(path, 'describe', 'pod', pod)).toMatch(/Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\//);
      const events = await ok(path, 'get', 'events', '--field-selector', `involvedObject.name=${pod}`);
      expect(header(events)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
      expect(events).toMatch(new RegExp(`Normal\\s+Scheduled\\s+pod/${pod}\\s+Successfully assigned default/${pod} to node-`));
    });

    it(`kubectl ${version}: autoscale (an autoscaling/v1 HPA up to 1.32, a v2 one in protobuf from 1.33), get hpa, apply and patch an autoscaling/v1 manifest`, async () => {
      const name = `scaled-${v}`;
      await ok(path, 'create', 'deployment', name, '--image=nginx:1.27');
      expect(await ok(path, 'autoscale', `deployment/${name}`, '--min=2', '--max=5', '--cpu-percent=50')).toBe(`horizontalpodautoscaler.autoscaling/${name} autoscaled\n`);
      const hpa = await ok(path, 'get', 'hpa', name);
      expect(header(hpa)).toEqual(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
      expect(hpa).toMatch(new RegExp(`^${name}\\s+Deployment/${name}\\s+cpu: \\S+/50%\\s+2\\s+5\\s`, 'm'));
      // Its minimum raises the Deployment from 1 to 2 replicas.
      await eventually(async () => (await ok(path, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}')) === '2');

      // An autoscaling/v1 manifest (older tutorials use them), applied, re-applied and patched through v1.
      const legacy = `legacy-${v}`;
      const file = join(dir, `${legacy}.yaml`);
      const manifest = (percent: number) =>
        `apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: ${legacy}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}\n  minReplicas: 2\n  maxReplicas: 4\n  targetCPUUtilizationPercentage: ${percent}\n`;
      writeFileSync(file, manifest(60));
      expect(await ok(path, 'apply', '-f', file)).toBe(`horizontalpodautoscaler.autoscaling/${legacy} created\n`);
      writeFileSync(file, manifest(65));
      expect(await ok(path, 'apply', '-f', file)).toBe(`horizontalpodautoscaler.autoscaling/${legacy} configured\n`);
      await ok(path, 'patch', 'horizontalpodautoscalers.v1.autoscaling', legacy, '--type=merge', '-p', '{"spec":{"maxReplicas":6}}');
      expect(await ok(path, 'get', 'horizontalpodautoscalers.v1.autoscaling', legacy, '-o', 'jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage} {.spec.maxReplicas}')).toBe('autoscaling/v1 65 6');
      expect(await ok(path, 'get', 'hpa', legacy, '-o', 'jsonpath={.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}')).toBe('autoscaling/v2 65');
      expect(await ok(path, 'delete', 'hpa', legacy)).toBe(`horizontalpodautoscaler.autoscaling "${legacy}" deleted\n`);
    });

    it(`kubectl ${version}: expose, logs (tail, timestamps, previous, follow to the container's exit), api-resources, delete with each --cascade`, async () => {
      const name = `web-${v}`;
      await ok(path, 'create', 'deployment', name, '--image=nginx:1.27');
      expect(await ok(path, 'expose', `deployment/${name}`, '--port=80', '--target-port=8080')).toBe(`service/${name} exposed\n`);
      const service = JSON.parse(await ok(path, 'get', 'service', name, '-o', 'json')) as { spec: { selector: unknown; ports: unknown[]; clusterIP: string } };
      expect(service.spec).toMatchObject({ selector: { app: name }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
      expect(service.spec.clusterIP).toMatch(/^10\./);

      const logger = `logger-${v}`;
      await ok(path, 'run', logger, '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 2; done');
      // Follow until the container exits (6 virtual seconds): kubectl ends on its own.
      await eventually(async () => (await run(path, ['get', 'pod', logger, '-o', 'jsonpath={.spec.nodeName}'])).stdout !== '');
      await eventually(async () => (await run(path, ['logs', logger])).code === 0);
      const followed = await ok(path, 'logs', '-f', logger);
      expect(followed).toBe('line 1\nline 2\nline 3\n');
      expect(await ok(path, 'logs', logger, '--tail=1')).toBe('line 3\n');
      expect(await ok(path, 'logs', logger, '--tail=1', '--timestamps')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 3\n$/);
      const previous = await run(path, ['logs', logger, '--previous']);
      expect(previous.code).not.toBe(0);
      expect(previous.stderr).toContain(`previous terminated container "${logger}" in pod "${logger}" not found`);
      const wrong = await run(path, ['logs', logger, '-c', 'nope']);
      expect(wrong.stderr).toContain(`container nope is not valid for pod ${logger}`);

      const resources = await ok(path, 'api-resources');
      expect(header(resources)).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
      expect(resources).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
      expect(resources).toMatch(/^events\s+ev\s+v1\s+true\s+Event$/m);
      expect(await ok(path, 'api-resources', '--verbs=deletecollection', '-o', 'name')).toContain('configmaps\n');

      for (const cascade of ['background', 'foreground', 'orphan'] as const) {
        const d = `cascade-${cascade}-${v}`;
        await ok(path, 'create', 'deployment', d, '--image=nginx:1.27');
        await ok(path, 'wait', '--for=condition=Available', `deployment/${d}`, '--timeout=60s');
        expect(await ok(path, 'delete', 'deployment', d, `--cascade=${cascade}`)).toBe(`deployment.apps "${d}" deleted\n`);
        const replicaSets = async () => (await ok(path, 'get', 'replicasets', '-l', `app=${d}`, '-o', 'name')).trim();
        if (cascade === 'orphan') {
          // The ReplicaSet stays, without its owner.
          expect(await replicaSets()).toMatch(new RegExp(`^replicaset.apps/${d}-`));
          expect(await ok(path, 'get', 'replicasets', '-l', `app=${d}`, '-o', 'jsonpath={.items[0].metadata.ownerReferences}')).toBe('');
        } else {
          await eventually(async () => (await replicaSets()) === '');
        }
      }
    });
  }

  it('kubectl exec runs commands in the fake containers over WebSocket (kubectl 1.30+), and kubectl 1.27 (SPDY only) is told so', async () => {
    for (const { version, path } of present) {
      const pod = `shell-${version.replace('.', '')}`;
      await ok(path, 'run', pod, '--image=busybox', '--restart=Never', '--', 'sleep', '3600');
      await ok(path, 'wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=60s');
      if (Number(version.split('.')[1]) < 30) {
        const refused = await run(path, ['exec', pod, '--', 'hostname']);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain('kubeloop serve speaks pods/exec over WebSocket (v5.channel.k8s.io or v4.channel.k8s.io), as kubectl 1.30 and later do by default; not over SPDY');
        continue;
      }
      expect(await ok(path, 'exec', pod, '--', 'hostname')).toBe(`${pod}\n`);
      // The pod's own environment and the cluster's DNS: the kubernetes Service's address.
      expect(await ok(path, 'exec', pod, '--', 'sh', '-c', 'echo $HOSTNAME; nslookup kubernetes.default | grep Address | tail -1')).toBe(`${pod}\nAddress: 10.96.0.1\n`);
      const failed = await run(path, ['exec', pod, '--', 'sh', '-c', 'exit 3']);
      expect(failed.code).toBe(3);
      expect(failed.stderr).toContain('command terminated with exit code 3');
    }
    const newest = present[0]!;
    if (Number(newest.version.split('.')[1]) >= 30) {
      // What the container's own script wrote, and what a Secret puts in an nginx container's
      // environment and volume (kubernetes.io's Secret tasks check both with kubectl exec).
      await ok(newest.path, 'run', 'writer', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo ready > /tmp/state; sleep 3600');
      await ok(newest.path, 'create', 'secret', 'generic', 'test-secret', '--from-literal=username=my-app');
      const file = join(dir, 'secret-pod.yaml');
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'secret-reader' },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'nginx',
                env: [{ name: 'SECRET_USERNAME', valueFrom: { secretKeyRef: { name: 'test-secret', key: 'username' } } }],
                volumeMounts: [{ name: 'secret-volume', mountPath: '/etc/secret-volume', readOnly: true }],
              },
            ],
            volumes: [{ name: 'secret-volume', secret: { secretName: 'test-secret' } }],
          },
        }),
      );
      await ok(newest.path, 'apply', '-f', file);
      await ok(newest.path, 'wait', '--for=condition=Ready', 'pod/writer', 'pod/secret-reader', '--timeout=60s');
      expect(await ok(newest.path, 'exec', 'writer', '--', 'cat', '/tmp/state')).toBe('ready\n');
      expect(await ok(newest.path, 'exec', 'secret-reader', '--', 'printenv', 'SECRET_USERNAME')).toBe('my-app\n');
      expect(await ok(newest.path, 'exec', 'secret-reader', '--', 'cat', '/etc/secret-volume/username')).toBe('my-app');
      for (const pod of ['writer', 'secret-reader']) await run(newest.path, ['delete', 'pod', pod, '--grace-period=0', '--force']);
    }
    // The bare pods go at once: kubectl drain, below, refuses a node with pods no controller owns.
    for (const { version, path } of present) await run(path, ['delete', 'pod', `shell-${version.replace('.', '')}`, '--grace-period=0', '--force']);
    await eventually(async () => (await run(present[0]!.path, ['get', 'pods', '-o', 'name'])).stdout.split('\n').every((l) => !/^pod\/(shell-|writer$|secret-reader$)/.test(l)));
  });

  it(`kubectl ${present[0]?.version}: cordon, drain (evictions) and uncordon a node`, async () => {
    const path = present[0]!.path;
    const name = 'drained';
    await ok(path, 'create', 'deployment', name, '--image=nginx:1.27', '--replicas=2');
    await ok(path, 'wait', '--for=condition=Available', `deployment/${name}`, '--timeout=60s');
    expect(await ok(path, 'cordon', 'node-1')).toBe('node/node-1 cordoned\n');
    expect(await ok(path, 'get', 'node', 'node-1')).toMatch(/^node-1\s+Ready,SchedulingDisabled\s/m);
    // drain evicts (discovery names pods/eviction's policy/v1 kind): a PodDisruptionBudget that
    // allows no disruption holds it back, with upstream's 429 message.
    expect(await ok(path, 'create', 'pdb', name, `--selector=app=${name}`, '--min-available=2')).toBe(`poddisruptionbudget.policy/${name} created\n`);
    await ok(path, 'wait', '--for=jsonpath={.status.currentHealthy}=2', `pdb/${name}`, '--timeout=60s');
    const held = await run(path, ['drain', 'node-1', '--ignore-daemonsets', '--timeout=2s']);
    expect(held.code).not.toBe(0);
    expect(held.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    await ok(path, 'delete', 'pdb', name);
    const drained = await ok(path, 'drain', 'node-1', '--ignore-daemonsets', '--timeout=60s');
    expect(drained).toContain('node/node-1 drained');
    await ok(path, 'wait', '--for=jsonpath={.status.availableReplicas}=2', `deployment/${name}`, '--timeout=60s');
    const nodes = await ok(path, 'get', 'pods', '-l', `app=${name}`, '-o', 'jsonpath={.items[*].spec.nodeName}');
    expect(nodes.split(' ').every((n) => n === 'node-2')).toBe(true);
    expect(await ok(path, 'uncordon', 'node-1')).toBe('node/node-1 uncordoned\n');
    expect(await ok(path, 'get', 'node', 'node-1', '-o', 'jsonpath={.spec.unschedulable}')).toBe('');
  });

  it(`kubectl ${present[present.length - 1]?.version}: get -w streams the rows of changing pods`, async () => {
    const path = present[present.length - 1]!.path;
    const child = spawn(path, ['--kubeconfig', kubeconfig, 'get', 'pods', '-l', 'watched=yes', '-w']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString('utf8')));
    try {
      await eventually(() => Promise.resolve(serve.api.openWatches > 0));
      await ok(path, 'run', 'watched', '--image=nginx:1.27', '--labels=watched=yes');
      await eventually(() => Promise.resolve(/^watched\s+1\/1\s+Running\s/m.test(out)), 60_000);
    } finally {
      child.kill();
    }
    expect(out).toMatch(/^watched\s+0\/1\s+(Pending|ContainerCreating)\s/m);
  });
});
