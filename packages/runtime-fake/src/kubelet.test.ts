/**
 * The fake kubelet end to end: the real API server, fake kubelets and a virtual clock. Pods are
 * bound by hand (the scheduler lives elsewhere). Each test cites the upstream behavior it pins.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, ConfigMaps, Events, Leases, NODE_LEASE_NAMESPACE, Nodes, Pods, VirtualClock, createBuiltinRegistry, parseTime, seededRng } from '@kubeloop/core';
import type { Event, Pod } from '@kubeloop/core';
import { BehaviorRegistry } from './behavior.js';
import type { FakeKubelet } from './kubelet.js';
import { inCIDR } from './node.js';
import type { FakeNodeConfig } from './node.js';
import { startFakeNode } from './plugin.js';

interface Sim {
  clock: VirtualClock;
  server: ApiServer;
  kubelets: FakeKubelet[];
  behaviors: BehaviorRegistry;
  run(pod: PodInput, node?: string): Promise<void>;
  pod(name: string): Promise<Pod>;
  events(name: string): Promise<Event[]>;
}

/** A pod manifest as tests write it. */
interface PodInput {
  name: string;
  annotations?: Record<string, string>;
  spec: Record<string, unknown>;
}

/**
 * These tests use a bare `busybox` as "some long-running app": registered as running until
 * stopped. (Unregistered, a bare busybox runs `sh` on a closed stdin and exits 0 at once, as in
 * a real cluster — see kubelet.commands.test.ts.)
 */
const longRunningBusybox = (): BehaviorRegistry => new BehaviorRegistry().image('busybox', {});

async function sim(nodes: FakeNodeConfig[] = [{ name: 'node-1' }], seed = 1, behaviors = longRunningBusybox()): Promise<Sim> {
  const clock = new VirtualClock();
  const server = new ApiServer({ clock, rng: seededRng(seed), registry: createBuiltinRegistry() });
  const kubelets: FakeKubelet[] = [];
  for (const [i, node] of nodes.entries()) kubelets.push(await startFakeNode({ client: server, clock, rng: seededRng(seed * 100 + i), node: { index: i, ...node }, behaviors }));
  return {
    clock,
    server,
    kubelets,
    behaviors,
    async run(pod, node = nodes[0]!.name) {
      await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: 'default', ...(pod.annotations ? { annotations: pod.annotations } : {}) }, spec: pod.spec as unknown as Pod['spec'] });
      await server.bind({ namespace: 'default', name: pod.name }, { name: node });
      await clock.flush();
    },
    pod: (name) => server.get(Pods, { namespace: 'default', name }),
    async events(name) {
      const list = await server.list(Events, { namespace: 'default' });
      return list.items.filter((e) => e.involvedObject.name === name).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    },
  };
}

const container = (name: string, image: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, image, ...extra });
const cond = (pod: Pod, type: string): string | undefined => pod.status.conditions?.find((c) => c.type === type)?.status;

describe('a pod bound to a fake node', () => {
  it('goes Pending with ContainerCreating, then Running and Ready, with a pod IP from the node CIDR', async () => {
    const s = await sim();
    await s.run({ name: 'web', spec: { containers: [container('web', 'nginx:1.25')] } });
    let pod = await s.pod('web');
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(cond(pod, 'PodScheduled')).toBe('True');
    expect(cond(pod, 'Ready')).toBe('False');
    // nginx is 70 MB at 20 MB/s plus 500 ms: the pull takes 4 s (upstream: Pulling, then Pulled)
    await s.clock.advance(4000);
    pod = await s.pod('web');
    expect(pod.status.phase).toBe('Running');
    expect(cond(pod, 'Ready')).toBe('True');
    expect(cond(pod, 'ContainersReady')).toBe('True');
    expect(cond(pod, 'Initialized')).toBe('True');
    expect(pod.status.containerStatuses?.[0]).toMatchObject({ name: 'web', ready: true, started: true, restartCount: 0, state: { running: {} } });
    expect(inCIDR(pod.status.podIP ?? '', s.kubelets[0]!.podCIDR)).toBe(true);
    expect(pod.status.hostIP).toBe(s.kubelets[0]!.nodeIP);
    expect(pod.status.startTime).toBeDefined();
    expect(pod.status.qosClass).toBe('BestEffort');
    const reasons = (await s.events('web')).map((e) => e.reason);
    expect(reasons).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('puts its status back when another client overwrites it, once', async () => {
    // Upstream: the kubelet is the source of truth of a pod's status; a status-only change goes
    // to HandlePodReconcile, and the status manager writes its own status again.
    const s = await sim();
    await s.run({ name: 'web', spec: { containers: [container('web', 'nginx:1.25')] } });
    await s.clock.advance(4000);
    const running = await s.pod('web');
    expect(cond(running, 'Ready')).toBe('True');
    const conditions = (running.status.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'NodeNotReady' } : c));
    await s.server.updateStatus(Pods, { ...running, status: { ...running.status, conditions } });
    await s.clock.flush();
    const put = await s.pod('web');
    expect(cond(put, 'Ready')).toBe('True');
    // Its own write comes back through the watch and is not written again.
    await s.clock.advance(60_000);
    expect((await s.pod('web')).metadata.resourceVersion).toBe(put.metadata.resourceVersion);
  });

  it('starts a second pod of the same image faster on the same node than on a fresh node (no pull)', async () => {
    const s = await sim([{ name: 'warm' }, { name: 'cold' }]);
    await s.run({ name: 'first', spec: { containers: [container('app', 'redis:7')] } }, 'warm');
    await s.clock.advance(10_000);
    await s.run({ name: 'again', spec: { containers: [container('app', 'redis:7')] } }, 'warm');
    await s.run({ name: 'elsewhere', spec: { containers: [container('app', 'redis:7')] } }, 'cold');
    expect((await s.pod('again')).status.phase).toBe('Running');
    expect((await s.pod('elsewhere')).status.phase).toBe('Pending');
    expect((await s.events('again')).map((e) => e.message)).toContain('Container image "redis:7" already present on machine');
    await s.clock.advance(3000); // 45 MB at 20 MB/s + 0.5 s = 2.75 s
    expect((await s.pod('elsewhere')).status.phase).toBe('Running');
  });

  it('keeps a pod in ContainerCreating with FailedMount while its ConfigMap is missing, and starts it once created', async () => {
    const s = await sim();
    await s.run({ name: 'cfg', spec: { volumes: [{ name: 'config', configMap: { name: 'settings' } }], containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(30_000);
    let pod = await s.pod('cfg');
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(pod.status.podIP).toBeUndefined();
    const failed = (await s.events('cfg')).filter((e) => e.reason === 'FailedMount');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ type: 'Warning', message: 'MountVolume.SetUp failed for volume "config" : configmap "settings" not found' });
    expect(failed[0]!.count).toBeGreaterThan(3); // retried with back-off, deduplicated into one Event
    await s.server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { a: '1' } });
    await s.clock.advance(60_000);
    pod = await s.pod('cfg');
    expect(pod.status.phase).toBe('Running');
  });

  it('keeps a container whose env names a missing ConfigMap in CreateContainerConfigError, and starts it with the value once the ConfigMap exists', async () => {
    const s = await sim();
    const env = [{ name: 'SPECIAL_LEVEL_KEY', valueFrom: { configMapKeyRef: { name: 'special-config', key: 'special.how' } } }];
    await s.run({ name: 'dapi-test-pod', spec: { containers: [container('test-container', 'registry.k8s.io/busybox', { command: ['/bin/sh', '-c', 'echo $(SPECIAL_LEVEL_KEY); sleep 3600'], env })] } });
    await s.clock.advance(20_000);
    let pod = await s.pod('dapi-test-pod');
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "special-config" not found' });
    expect((await s.events('dapi-test-pod')).filter((e) => e.reason === 'Failed').map((e) => e.message)).toEqual(['Error: configmap "special-config" not found']);
    // The ConfigMap without the key: a new reason.
    await s.server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'special-config', namespace: 'default' }, data: { other: 'x' } });
    await s.clock.advance(11_000);
    pod = await s.pod('dapi-test-pod');
    expect(pod.status.containerStatuses?.[0]?.state?.waiting?.message).toBe("couldn't find key special.how in ConfigMap default/special-config");
    const cm = await s.server.get(ConfigMaps, { namespace: 'default', name: 'special-config' });
    await s.server.update(ConfigMaps, { ...cm, data: { 'special.how': 'very' } });
    await s.clock.advance(11_000);
    pod = await s.pod('dapi-test-pod');
    expect(pod.status.phase).toBe('Running');
    expect(s.kubelets[0]!.logs('default', 'dapi-test-pod', 'test-container').map((l) => l.text)).toEqual(['very']);
  });

  it('waits for a PersistentVolumeClaim that does not exist', async () => {
    const s = await sim();
    await s.run({ name: 'db', spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }], containers: [container('db', 'postgres:16')] } });
    await s.clock.advance(20_000);
    expect((await s.pod('db')).status.phase).toBe('Pending');
    expect((await s.events('db')).find((e) => e.reason === 'FailedMount')?.message).toContain('persistentvolumeclaims "data" not found');
  });

  it('fails with ErrImageNeverPull when the image is missing and the policy is Never', async () => {
    const s = await sim();
    await s.run({ name: 'never', spec: { containers: [container('app', 'example.com/app:1', { imagePullPolicy: 'Never' })] } });
    await s.clock.advance(5000);
    const pod = await s.pod('never');
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImageNeverPull');
  });

  it('never starts a container whose image is not an image name (InvalidImageName, InspectFailed), as kubernetes.io\'s private-registry example left unedited', async () => {
    const s = await sim();
    await s.run({ name: 'private-reg', spec: { containers: [container('private-reg-container', '<your-private-image>')] } });
    await s.clock.advance(60_000);
    const pod = await s.pod('private-reg');
    const message = 'Failed to apply default image tag "<your-private-image>": couldn\'t parse image name "<your-private-image>": invalid reference format';
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: 'InvalidImageName', message });
    expect((await s.events('private-reg')).filter((e) => e.type === 'Warning').map((e) => [e.reason, e.message])).toEqual([['InspectFailed', message]]);
  });

  it('restarts a crashing container after 0, 10, 20, 40 s ... (CrashLoopBackOff), capped at 300 s', async () => {
    const s = await sim();
    s.behaviors.image('example.com/crasher', { exitAfterMs: 1000, exitCode: 1 });
    await s.run({ name: 'crash', spec: { containers: [container('app', 'example.com/crasher:1')] } });
    const starts: number[] = [];
    const t0 = s.clock.now();
    let last = -1;
    for (let i = 0; i < 1300; i++) {
      await s.clock.advance(1000);
      const st = (await s.pod('crash')).status.containerStatuses?.[0];
      if (st?.state?.running && st.restartCount !== last) {
        last = st.restartCount;
        starts.push(parseTime(st.state.running.startedAt ?? '') - t0);
      }
    }
    // started after the pull (3 s), then each run lasts 1 s; waits after each exit: 0, 10, 20, 40, 80, 160, 300, 300
    const gaps = starts.slice(1).map((t, i) => (t - starts[i]!) / 1000 - 1);
    expect(gaps.slice(0, 8)).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
    const pod = await s.pod('crash');
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('shows CrashLoopBackOff while waiting to restart', async () => {
    const s = await sim();
    await s.run({ name: 'loop', annotations: { 'kubeloop.dev/behavior': 'crash-after=1s,exit-code=2' }, spec: { containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(2000);
    await s.clock.advance(1500);
    const st = (await s.pod('loop')).status.containerStatuses?.[0];
    expect(st?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(st?.lastState?.terminated?.exitCode).toBe(2);
    expect(st?.restartCount).toBe(1);
    expect((await s.events('loop')).some((e) => e.reason === 'BackOff' && e.type === 'Warning')).toBe(true);
  });

  it('runs a container to completion: Succeeded under Never and OnFailure, Failed under Never with a non-zero exit', async () => {
    const s = await sim();
    await s.run({ name: 'ok', annotations: { 'kubeloop.dev/behavior': 'complete-after=5s' }, spec: { restartPolicy: 'Never', containers: [container('job', 'busybox:1.36')] } });
    await s.run({ name: 'ok2', annotations: { 'kubeloop.dev/behavior': 'complete-after=5s' }, spec: { restartPolicy: 'OnFailure', containers: [container('job', 'busybox:1.36')] } });
    await s.run({ name: 'bad', annotations: { 'kubeloop.dev/behavior': 'complete-after=5s,exit-code=3' }, spec: { restartPolicy: 'Never', containers: [container('job', 'busybox:1.36')] } });
    await s.clock.advance(60_000);
    const ok = await s.pod('ok');
    expect(ok.status.phase).toBe('Succeeded');
    expect(ok.status.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(ok.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect((await s.pod('ok2')).status.phase).toBe('Succeeded');
    const bad = await s.pod('bad');
    expect(bad.status.phase).toBe('Failed');
    expect(bad.status.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('restarts a failed container under OnFailure', async () => {
    const s = await sim();
    await s.run({ name: 'retry', annotations: { 'kubeloop.dev/behavior': 'complete-after=5s,exit-code=1' }, spec: { restartPolicy: 'OnFailure', containers: [container('job', 'busybox:1.36')] } });
    await s.clock.advance(30_000);
    const pod = await s.pod('retry');
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses?.[0]?.restartCount).toBeGreaterThanOrEqual(1);
  });

  it('runs init containers in order before the containers', async () => {
    const s = await sim();
    await s.run({
      name: 'init',
      annotations: { 'kubeloop.dev/behavior.first': 'complete-after=3s', 'kubeloop.dev/behavior.second': 'complete-after=4s' },
      spec: { initContainers: [container('first', 'busybox:1.36'), container('second', 'busybox:1.36')], containers: [container('app', 'busybox:1.36')] },
    });
    await s.clock.advance(1000); // pulled (2 MB: 0.6 s), first running
    let pod = await s.pod('init');
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.initContainerStatuses?.map((c) => Object.keys(c.state ?? {})[0])).toEqual(['running', 'waiting']);
    expect(pod.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
    expect(pod.status.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [first second]' });
    await s.clock.advance(4000);
    pod = await s.pod('init');
    expect(pod.status.initContainerStatuses?.map((c) => Object.keys(c.state ?? {})[0])).toEqual(['terminated', 'running']);
    await s.clock.advance(5000);
    pod = await s.pod('init');
    expect(pod.status.phase).toBe('Running');
    expect(cond(pod, 'Initialized')).toBe('True');
    // Each container's events name it as upstream's container reference does
    // (`kubectl get events -o wide` shows it as SUBOBJECT).
    const events = (await s.events('init')).map((e) => `${e.reason} ${e.involvedObject.fieldPath ?? '(pod)'}`);
    expect(events).toEqual([
      'Pulling spec.initContainers{first}',
      'Pulled spec.initContainers{first}',
      'Created spec.initContainers{first}',
      'Started spec.initContainers{first}',
      'Pulled spec.initContainers{second}',
      'Created spec.initContainers{second}',
      'Started spec.initContainers{second}',
      'Pulled spec.containers{app}',
      'Created spec.containers{app}',
      'Started spec.containers{app}',
    ]);
  });

  it('fails the pod when an init container fails under restartPolicy Never', async () => {
    const s = await sim();
    await s.run({ name: 'badinit', annotations: { 'kubeloop.dev/behavior.setup': 'crash-after=1s' }, spec: { restartPolicy: 'Never', initContainers: [container('setup', 'busybox:1.36')], containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(10_000);
    expect((await s.pod('badinit')).status.phase).toBe('Failed');
  });

  it('OOM-kills a container whose memory use passes its limit (exit 137, OOMKilled)', async () => {
    const s = await sim();
    await s.run({
      name: 'leak',
      annotations: { 'kubeloop.dev/behavior': 'memory=100Mi,memory-growth=10Mi' },
      spec: { restartPolicy: 'Never', containers: [container('app', 'busybox:1.36', { resources: { limits: { memory: '128Mi' } } })] },
    });
    await s.clock.advance(10_000);
    const pod = await s.pod('leak');
    expect(pod.status.phase).toBe('Failed');
    expect(pod.status.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('keeps a container unready while its readiness probe fails, then marks it Ready', async () => {
    const s = await sim();
    await s.run({
      name: 'slow',
      annotations: { 'kubeloop.dev/behavior': 'not-ready-for=25s' },
      spec: { containers: [container('app', 'busybox:1.36', { readinessProbe: { httpGet: { port: 8080 }, periodSeconds: 10 } })] },
    });
    await s.clock.advance(20_000);
    let pod = await s.pod('slow');
    expect(pod.status.phase).toBe('Running');
    expect(cond(pod, 'Ready')).toBe('False');
    expect(pod.status.conditions?.find((c) => c.type === 'ContainersReady')?.message).toBe('containers with unready status: [app]');
    await s.clock.advance(15_000);
    pod = await s.pod('slow');
    expect(cond(pod, 'Ready')).toBe('True');
  });

  it('reports started=false until the startup probe passes, and only then runs readiness', async () => {
    const s = await sim();
    await s.run({
      name: 'boot',
      annotations: { 'kubeloop.dev/behavior': 'startup-time=25s' },
      spec: { containers: [container('app', 'busybox:1.36', { startupProbe: { httpGet: { port: 80 }, periodSeconds: 10, failureThreshold: 5 }, readinessProbe: { httpGet: { port: 80 }, periodSeconds: 10 } })] },
    });
    await s.clock.advance(20_000);
    let st = (await s.pod('boot')).status.containerStatuses?.[0];
    expect(st).toMatchObject({ started: false, ready: false, state: { running: {} } });
    // probes at 0.6 s, 10.6 s, 20.6 s fail; 30.6 s passes; readiness then runs at once
    await s.clock.advance(11_000);
    st = (await s.pod('boot')).status.containerStatuses?.[0];
    expect(st).toMatchObject({ started: true, ready: true, restartCount: 0 });
  });

  it('restarts a container whose startup probe never passes', async () => {
    const s = await sim();
    await s.run({
      name: 'stuck',
      annotations: { 'kubeloop.dev/behavior': 'startup-time=10m' },
      spec: { containers: [container('app', 'busybox:1.36', { startupProbe: { httpGet: { port: 80 }, periodSeconds: 5, failureThreshold: 3 } })] },
    });
    await s.clock.advance(20_000);
    const st = (await s.pod('stuck')).status.containerStatuses?.[0];
    expect(st?.restartCount).toBe(1);
    expect((await s.events('stuck')).map((e) => e.message)).toContain('Container app failed startup probe, will be restarted');
  });

  it('keeps a pod whose Secret is missing in ContainerCreating with FailedMount', async () => {
    const s = await sim();
    await s.run({ name: 'sec', spec: { volumes: [{ name: 'creds', secret: { secretName: 'db-creds' } }], containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(5000);
    expect((await s.pod('sec')).status.phase).toBe('Pending');
    expect((await s.events('sec')).find((e) => e.reason === 'FailedMount')?.message).toBe('MountVolume.SetUp failed for volume "creds" : secret "db-creds" not found');
  });

  it('restarts a container whose liveness probe fails failureThreshold times', async () => {
    const s = await sim();
    await s.run({
      name: 'sick',
      annotations: { 'kubeloop.dev/behavior': 'liveness-fail-after=30s' },
      spec: { containers: [container('app', 'busybox:1.36', { livenessProbe: { httpGet: { port: 8080 }, periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 5 } })] },
    });
    await s.clock.advance(60_000);
    const pod = await s.pod('sick');
    expect(pod.status.containerStatuses?.[0]?.restartCount).toBe(1);
    expect((await s.events('sick')).map((e) => e.message)).toContain('Container app failed liveness probe, will be restarted');
  });
});

describe('exec probes run in the container, on the files its command line leaves', () => {
  it('kubernetes.io "Define a liveness command": healthy while /tmp/healthy exists, Unhealthy with cat\'s error once the script removed it, then restarted', async () => {
    const s = await sim();
    await s.run({
      name: 'liveness-exec',
      spec: {
        containers: [
          container('liveness', 'registry.k8s.io/busybox:1.27.2', {
            args: ['/bin/sh', '-c', 'touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600'],
            livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 5, periodSeconds: 5 },
          }),
        ],
      },
    });
    // (the container starts once busybox is pulled, about a second in; its probe runs every 5 s from 5 s after)
    await s.clock.advance(29_000);
    expect((await s.events('liveness-exec')).map((e) => e.reason)).not.toContain('Unhealthy');
    await s.clock.advance(8_000);
    const unhealthy = (await s.events('liveness-exec')).find((e) => e.reason === 'Unhealthy');
    expect(unhealthy?.message).toBe("Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory");
    await s.clock.advance(10_000);
    expect((await s.events('liveness-exec')).map((e) => e.message)).toContain('Container liveness failed liveness probe, will be restarted');
    // The shell as PID 1 ignores SIGTERM: killed at the end of the 30 s grace period, then restarted.
    await s.clock.advance(40_000);
    const pod = await s.pod('liveness-exec');
    expect(pod.status.containerStatuses?.[0]).toMatchObject({ restartCount: 1, state: { running: {} } });
    // The new container touched /tmp/healthy again: its probe passes until its own script removes it.
    const killings = (await s.events('liveness-exec')).filter((e) => e.reason === 'Killing').length;
    await s.clock.advance(20_000);
    expect((await s.events('liveness-exec')).filter((e) => e.reason === 'Killing').length).toBe(killings);
  });

  it('fails an exec probe whose command outlives timeoutSeconds', async () => {
    const s = await sim();
    await s.run({
      name: 'slow-probe',
      spec: {
        containers: [container('app', 'busybox:1.36', { args: ['sh', '-c', 'sleep 3600'], readinessProbe: { exec: { command: ['sh', '-c', 'sleep 5'] }, timeoutSeconds: 2, periodSeconds: 10 } })],
      },
    });
    await s.clock.advance(15_000);
    expect((await s.pod('slow-probe')).status.containerStatuses?.[0]?.ready).toBe(false);
    expect((await s.events('slow-probe')).find((e) => e.reason === 'Unhealthy')?.message).toBe('Readiness probe failed: command "sh -c sleep 5" timed out');
  });
});

describe('sidecar containers (init containers with restartPolicy Always)', () => {
  it('starts the sidecar, runs the next init container alongside it, then the containers', async () => {
    const s = await sim();
    await s.run({
      name: 'meshed',
      annotations: { 'kubeloop.dev/behavior.setup': 'complete-after=3s' },
      spec: {
        initContainers: [container('proxy', 'busybox:1.36', { restartPolicy: 'Always', readinessProbe: { httpGet: { port: 15021 }, periodSeconds: 5 } }), container('setup', 'busybox:1.36')],
        containers: [container('app', 'busybox:1.36')],
      },
    });
    await s.clock.advance(1000);
    let pod = await s.pod('meshed');
    expect(pod.status.initContainerStatuses?.map((c) => [c.name, Object.keys(c.state ?? {})[0], c.started])).toEqual([
      ['proxy', 'running', true],
      ['setup', 'running', false],
    ]);
    expect(pod.status.phase).toBe('Pending');
    await s.clock.advance(5000);
    pod = await s.pod('meshed');
    expect(pod.status.phase).toBe('Running');
    expect(cond(pod, 'Initialized')).toBe('True');
    expect(cond(pod, 'Ready')).toBe('True');
    expect(pod.status.initContainerStatuses?.[0]).toMatchObject({ name: 'proxy', ready: true, started: true });
  });

  it('stops the sidecar once the containers completed, and the pod succeeds', async () => {
    const s = await sim();
    await s.run({
      name: 'job',
      annotations: { 'kubeloop.dev/behavior.work': 'complete-after=5s', 'kubeloop.dev/behavior.logs': 'stop-after=2s' },
      spec: { restartPolicy: 'Never', initContainers: [container('logs', 'busybox:1.36', { restartPolicy: 'Always' })], containers: [container('work', 'busybox:1.36')] },
    });
    await s.clock.advance(6000);
    expect((await s.pod('job')).status.phase).toBe('Running'); // the sidecar is stopping
    await s.clock.advance(2000);
    const pod = await s.pod('job');
    expect(pod.status.phase).toBe('Succeeded');
    expect(pod.status.initContainerStatuses?.[0]?.state?.terminated).toBeDefined();
  });

  it('restarts a crashing sidecar even under restartPolicy Never', async () => {
    const s = await sim();
    await s.run({
      name: 'flaky',
      annotations: { 'kubeloop.dev/behavior.side': 'crash-after=2s' },
      spec: { restartPolicy: 'Never', initContainers: [container('side', 'busybox:1.36', { restartPolicy: 'Always' })], containers: [container('app', 'busybox:1.36')] },
    });
    await s.clock.advance(30_000);
    const pod = await s.pod('flaky');
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.initContainerStatuses?.[0]?.restartCount).toBeGreaterThanOrEqual(2);
    expect(cond(pod, 'Initialized')).toBe('True');
  });
});

describe('admission', () => {
  it('rejects a pod bound by hand to a node it does not fit on (OutOfcpu), and runs the ones that fit', async () => {
    const s = await sim([{ name: 'small', cpu: '1' }]);
    const req = (cpu: string): Record<string, unknown> => container('app', 'busybox:1.36', { resources: { requests: { cpu } } });
    await s.run({ name: 'first', spec: { containers: [req('600m')] } });
    await s.run({ name: 'second', spec: { containers: [req('600m')] } });
    await s.clock.advance(2000);
    expect((await s.pod('first')).status.phase).toBe('Running');
    const second = await s.pod('second');
    expect(second.status).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 600, used: 600, capacity: 1000" });
    expect(second.status.containerStatuses).toBeUndefined();
    expect((await s.events('second')).map((e) => e.reason)).toEqual(['OutOfcpu']);
  });

  it('counts only the pods still running: a finished or deleted pod frees its CPU, and a kubelet restart forgets nothing that runs', async () => {
    const s = await sim([{ name: 'small', cpu: '1' }]);
    const req = (cpu: string): Record<string, unknown> => container('app', 'busybox:1.36', { resources: { requests: { cpu } } });
    const phase = async (name: string): Promise<string | undefined> => (await s.pod(name)).status.phase;
    const rejectedWith = async (name: string): Promise<string | undefined> => (await s.pod(name)).status.message;
    // A pod that completes holds its 600m until it is Succeeded, then frees them.
    await s.run({ name: 'batch', annotations: { 'kubeloop.dev/behavior': 'complete-after=5s' }, spec: { restartPolicy: 'Never', containers: [req('600m')] } });
    await s.clock.advance(30_000);
    expect(await phase('batch')).toBe('Succeeded');
    await s.run({ name: 'web', spec: { containers: [req('600m')] } });
    await s.clock.advance(2000);
    expect(await phase('web')).toBe('Running');
    // A running pod holds its CPU, across a restart of the kubelet.
    s.kubelets[0]!.stop();
    await s.clock.advance(1000);
    await s.kubelets[0]!.start();
    await s.clock.advance(2000);
    await s.run({ name: 'extra', spec: { containers: [req('600m')] } });
    await s.clock.advance(2000);
    expect(await rejectedWith('extra')).toBe("Pod was rejected: Node didn't have enough resource: cpu, requested: 600, used: 600, capacity: 1000");
    // A pod deleted at once (no grace period: its containers are not stopped first) frees its CPU.
    await s.server.delete(Pods, { namespace: 'default', name: 'web' }, { gracePeriodSeconds: 0 });
    await s.clock.advance(1000);
    await s.run({ name: 'web-2', spec: { containers: [req('600m')] } });
    await s.clock.advance(2000);
    expect(await phase('web-2')).toBe('Running');
    // The rejected and finished pods hold nothing: 400m still fit beside web-2.
    await s.run({ name: 'small-one', spec: { containers: [req('400m')] } });
    await s.clock.advance(2000);
    expect(await phase('small-one')).toBe('Running');
    await s.run({ name: 'one-too-many', spec: { containers: [req('1m')] } });
    await s.clock.advance(2000);
    expect(await rejectedWith('one-too-many')).toBe("Pod was rejected: Node didn't have enough resource: cpu, requested: 1, used: 1000, capacity: 1000");
  });

  it('rejects a pod created with spec.nodeName (no scheduler) whose 600m app and 500m sidecar need 1100m of a 1-CPU node (OutOfcpu)', async () => {
    const s = await sim([{ name: 'small', cpu: '1' }]);
    const spec = {
      nodeName: 'small',
      initContainers: [container('proxy', 'busybox:1.36', { restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } })],
      containers: [container('app', 'busybox:1.36', { resources: { requests: { cpu: '600m' } } })],
    };
    await s.server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'meshed', namespace: 'default' }, spec: spec as unknown as Pod['spec'] });
    await s.clock.advance(2000);
    const pod = await s.pod('meshed');
    expect(pod.status).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 1100, used: 0, capacity: 1000" });
    expect(pod.status.initContainerStatuses).toBeUndefined();
    expect((await s.events('meshed')).map((e) => [e.type, e.reason])).toEqual([['Warning', 'OutOfcpu']]);
    // Upstream's rejectPod: the event has the bare reason, the status message the prefix.
    expect((await s.events('meshed')).map((e) => e.message)).toEqual(["Node didn't have enough resource: cpu, requested: 1100, used: 0, capacity: 1000"]);
  });
});

describe('node affinity at admission, and a machine that powers off', () => {
  const selecting = (pool: string): Record<string, unknown> => ({ nodeSelector: { pool }, containers: [container('app', 'busybox:1.36')] });

  it('rejects a pod bound by hand to a node its node selector does not match (NodeAffinity), judging the labels the Node has now', async () => {
    const s = await sim([{ name: 'node-1', labels: { pool: 'a' } }]);
    await s.run({ name: 'wrong', spec: selecting('b') });
    await s.server.patch(Nodes, { name: 'node-1' }, { type: 'merge', body: { metadata: { labels: { pool: 'b' } } } });
    // Labelled at run time: the pod bound next is judged against the new label.
    await s.run({ name: 'right', spec: selecting('b') });
    await s.clock.advance(2000);
    expect((await s.pod('wrong')).status).toMatchObject({ phase: 'Failed', reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    expect((await s.events('wrong')).map((e) => [e.type, e.reason])).toEqual([['Warning', 'NodeAffinity']]);
    expect((await s.pod('right')).status.phase).toBe('Running');
  });

  it('after a power-off, admits the pods still bound afresh on boot: a match runs in a new container, a mismatch is rejected', async () => {
    const s = await sim([{ name: 'node-1', labels: { pool: 'a' } }]);
    await s.run({ name: 'stays', spec: { containers: [container('app', 'busybox:1.36')] } });
    await s.run({ name: 'selects', spec: selecting('a') });
    await s.clock.advance(5000);
    const before = (await s.pod('stays')).status.containerStatuses?.[0]?.containerID;
    expect((await s.pod('selects')).status.phase).toBe('Running');

    s.kubelets[0]!.powerOff();
    expect(s.kubelets[0]!.usage()).toEqual([]);
    // The machine comes back without the label (the user relabelled its Node meanwhile).
    await s.server.patch(Nodes, { name: 'node-1' }, { type: 'merge', body: { metadata: { labels: { pool: null } } } });
    await s.kubelets[0]!.start();
    await s.clock.advance(5000);
    const stays = await s.pod('stays');
    expect(stays.status.phase).toBe('Running');
    expect(stays.status.containerStatuses?.[0]?.containerID).not.toBe(before);
    expect((await s.pod('selects')).status).toMatchObject({ phase: 'Failed', reason: 'NodeAffinity' });
  });
});

describe('host ports and NoExecute taints at admission', () => {
  const serving = (hostPort: number): Record<string, unknown> => ({ containers: [container('app', 'busybox:1.36', { ports: [{ containerPort: 80, hostPort }] })] });

  it('rejects a second pod bound by hand to the same host port (NodePorts); the port is free again once the first pod is gone', async () => {
    const s = await sim([{ name: 'node-1' }]);
    await s.run({ name: 'first', spec: serving(8080) });
    await s.run({ name: 'second', spec: serving(8080) });
    await s.run({ name: 'other', spec: serving(8081) });
    await s.clock.advance(2000);
    expect((await s.pod('first')).status.phase).toBe('Running');
    expect((await s.pod('other')).status.phase).toBe('Running');
    expect((await s.pod('second')).status).toMatchObject({ phase: 'Failed', reason: 'NodePorts', message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" });
    expect((await s.events('second')).map((e) => [e.type, e.reason])).toEqual([['Warning', 'NodePorts']]);

    await s.server.delete(Pods, { namespace: 'default', name: 'first' }, { gracePeriodSeconds: 0 });
    await s.run({ name: 'third', spec: serving(8080) });
    await s.clock.advance(2000);
    expect((await s.pod('third')).status.phase).toBe('Running');
  });

  it('rejects a pod bound by hand to a node with a NoExecute taint it does not tolerate (TaintToleration), and runs one that tolerates it', async () => {
    const s = await sim([{ name: 'node-1' }]);
    await s.server.patch(Nodes, { name: 'node-1' }, { type: 'merge', body: { spec: { taints: [{ key: 'maintenance', value: 'true', effect: 'NoExecute' }, { key: 'quiet', effect: 'NoSchedule' }] } } });
    await s.run({ name: 'plain', spec: { containers: [container('app', 'busybox:1.36')] } });
    await s.run({ name: 'tolerant', spec: { tolerations: [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute' }], containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(2000);
    expect((await s.pod('plain')).status).toMatchObject({ phase: 'Failed', reason: 'TaintToleration', message: "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" });
    // The NoSchedule taint is the scheduler's business, not the kubelet's.
    expect((await s.pod('tolerant')).status.phase).toBe('Running');
  });
});

describe('activeDeadlineSeconds', () => {
  it('stops the pod and fails it with DeadlineExceeded once the deadline has passed', async () => {
    const s = await sim();
    await s.run({ name: 'slowjob', spec: { activeDeadlineSeconds: 30, restartPolicy: 'Never', containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(29_000);
    expect((await s.pod('slowjob')).status.phase).toBe('Running');
    await s.clock.advance(2000);
    const pod = await s.pod('slowjob');
    expect(pod.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
    expect(pod.status.containerStatuses?.[0]?.state?.terminated).toBeDefined();
    expect((await s.events('slowjob')).map((e) => e.reason)).toContain('DeadlineExceeded');
  });
});

describe('a pod whose phase someone else set terminal', () => {
  it('stops its containers within the grace period and never restarts them; the phase stays Failed', async () => {
    // Upstream: the pod worker begins teardown of a pod whose API phase is Failed or Succeeded
    // (an eviction writes Failed), and generateAPIPodStatus keeps that phase.
    const s = await sim();
    await s.run({ name: 'evicted', annotations: { 'kubeloop.dev/behavior': 'crash-after=20s' }, spec: { terminationGracePeriodSeconds: 30, containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(5000);
    const running = await s.pod('evicted');
    expect(running.status.phase).toBe('Running');
    await s.server.updateStatus(Pods, { ...running, status: { ...running.status, phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } });
    await s.clock.advance(120_000);
    const pod = await s.pod('evicted');
    expect(pod.status).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    expect(pod.status.containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { terminated: {} } });
    const reasons = (await s.events('evicted')).map((e) => e.reason);
    expect(reasons).toContain('Killing');
    expect(reasons).not.toContain('BackOff');
    // Its IP is free again: nothing more runs.
    expect(pod.status.conditions?.find((c) => c.type === 'PodReadyToStartContainers')?.status).toBe('False');
  });
});

describe('graceful deletion', () => {
  it('stops the containers, waits for them within the grace period, then removes the pod', async () => {
    const s = await sim();
    await s.run({ name: 'bye', annotations: { 'kubeloop.dev/behavior': 'stop-after=5s' }, spec: { terminationGracePeriodSeconds: 30, containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(2000);
    await s.server.delete(Pods, { namespace: 'default', name: 'bye' });
    await s.clock.advance(4000);
    expect((await s.pod('bye')).metadata.deletionTimestamp).toBeDefined();
    await s.clock.advance(2000);
    await expect(s.pod('bye')).rejects.toMatchObject({ reason: 'NotFound' });
    expect((await s.events('bye')).map((e) => e.reason)).toContain('Killing');
  });

  it('deletes a pod whose other container is in CrashLoopBackOff without restarting it', async () => {
    const s = await sim();
    await s.run({
      name: 'mixed',
      annotations: { 'kubeloop.dev/behavior.a': 'crash-after=1s', 'kubeloop.dev/behavior.b': 'stop-after=never' },
      spec: { terminationGracePeriodSeconds: 30, containers: [container('a', 'busybox:1.36'), container('b', 'busybox:1.36')] },
    });
    await s.clock.advance(5000);
    expect((await s.pod('mixed')).status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    await s.server.delete(Pods, { namespace: 'default', name: 'mixed' });
    await s.clock.advance(29_000);
    expect((await s.pod('mixed')).status.containerStatuses?.[0]?.restartCount).toBe(1);
    await s.clock.advance(2000);
    await expect(s.pod('mixed')).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('runs the preStop hook before SIGTERM: a hook longer than the grace period holds the pod Terminating for all of it (kubernetes.io pod-with-graceful-termination.yaml)', async () => {
    const s = await sim();
    const preStop = { exec: { command: ['/bin/sh', '-c', 'sleep 180'] } };
    await s.run({ name: 'graceful', spec: { terminationGracePeriodSeconds: 120, containers: [container('nginx', 'nginx:latest', { lifecycle: { preStop } })] } });
    await s.clock.advance(5000);
    expect((await s.pod('graceful')).status.phase).toBe('Running');
    await s.server.delete(Pods, { namespace: 'default', name: 'graceful' });
    await s.clock.advance(110_000);
    expect((await s.pod('graceful')).metadata.deletionTimestamp).toBeDefined();
    await s.clock.advance(15_000);
    await expect(s.pod('graceful')).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('waits out a preStop sleep action, then stops the container at once on SIGTERM', async () => {
    const s = await sim();
    await s.run({ name: 'nap', spec: { terminationGracePeriodSeconds: 30, containers: [container('nginx', 'nginx:latest', { lifecycle: { preStop: { sleep: { seconds: 5 } } } })] } });
    await s.clock.advance(5000);
    await s.server.delete(Pods, { namespace: 'default', name: 'nap' });
    await s.clock.advance(4000);
    expect((await s.pod('nap')).metadata.deletionTimestamp).toBeDefined();
    await s.clock.advance(2000);
    await expect(s.pod('nap')).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('kills a container that ignores SIGTERM at the end of the grace period', async () => {
    const s = await sim();
    await s.run({ name: 'stubborn', annotations: { 'kubeloop.dev/behavior': 'stop-after=never' }, spec: { terminationGracePeriodSeconds: 10, containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(2000);
    await s.server.delete(Pods, { namespace: 'default', name: 'stubborn' });
    const deletedAt = s.clock.now();
    const seen: Pod[] = [];
    const sub = s.server.watch(Pods, { namespace: 'default' }).subscribe((e) => {
      if (e.type !== 'BOOKMARK') seen.push(e.object);
    });
    await s.clock.advance(9000);
    expect((await s.pod('stubborn')).metadata.deletionTimestamp).toBeDefined();
    await s.clock.advance(2000);
    await expect(s.pod('stubborn')).rejects.toMatchObject({ reason: 'NotFound' });
    sub.unsubscribe();
    const last = seen.filter((p) => p.status.containerStatuses?.[0]?.state?.terminated).at(-1);
    expect(last?.status.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(137);
    expect(parseTime(last?.status.containerStatuses?.[0]?.state?.terminated?.finishedAt ?? '') - deletedAt).toBe(10_000);
  });
});

describe('kubelet restarts', () => {
  it('forgets a pod force-deleted while it was stopped, and its containers', async () => {
    const s = await sim();
    await s.run({ name: 'gone', spec: { containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(2000);
    expect(s.kubelets[0]!.runtime.containers()).toHaveLength(1);
    s.kubelets[0]!.stop();
    await s.server.delete(Pods, { namespace: 'default', name: 'gone' }, { gracePeriodSeconds: 0 });
    await s.kubelets[0]!.start();
    await s.clock.flush();
    expect(s.kubelets[0]!.runtime.containers()).toHaveLength(0);
  });

  it('leaves a pod deleted gracefully while it is stopped Terminating until it comes back', async () => {
    const s = await sim();
    await s.run({ name: 'stuck', spec: { containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(2000);
    s.kubelets[0]!.stop();
    await s.server.delete(Pods, { namespace: 'default', name: 'stuck' });
    await s.clock.advance(120_000);
    expect((await s.pod('stuck')).metadata.deletionTimestamp).toBeDefined();
    await s.kubelets[0]!.start();
    await s.clock.advance(1000);
    await expect(s.pod('stuck')).rejects.toMatchObject({ reason: 'NotFound' });
  });
});

describe('resource usage', () => {
  it('runs kubernetes.io\'s stress containers as their arguments say: 150M held fits a 200Mi limit, 250M is OOM-killed under 100Mi, -cpus 2 is throttled to a 1-CPU limit', async () => {
    const s = await sim([{ name: 'node-1', cpu: '4', memory: '8Gi' }]);
    const stress = (bytes: string, limit: string): Record<string, unknown> => ({ command: ['stress'], args: ['--vm', '1', '--vm-bytes', bytes, '--vm-hang', '1'], resources: { requests: { memory: '50Mi' }, limits: { memory: limit } } });
    await s.run({ name: 'memory-demo', spec: { containers: [container('memory-demo-ctr', 'polinux/stress', stress('150M', '200Mi'))] } });
    await s.run({ name: 'memory-demo-2', spec: { containers: [container('memory-demo-2-ctr', 'polinux/stress', stress('250M', '100Mi'))] } });
    await s.run({ name: 'cpu-demo', spec: { containers: [container('cpu-demo-ctr', 'vish/stress', { args: ['-cpus', '2'], resources: { requests: { cpu: '500m' }, limits: { cpu: '1' } } })] } });
    await s.clock.advance(30_000);
    expect((await s.pod('memory-demo')).status.containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { running: {} } });
    expect((await s.pod('memory-demo-2')).status.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    const usage = new Map(s.kubelets[0]!.usage().map((p) => [p.name, p.containers[0]!]));
    expect(usage.get('memory-demo')?.memoryBytes).toBe(150 * 2 ** 20);
    expect(usage.get('cpu-demo')?.cpuMillicores).toBe(1000);
  });

  it('reports what running containers use, growing with a leak', async () => {
    const s = await sim();
    await s.run({ name: 'busy', annotations: { 'kubeloop.dev/behavior': 'cpu=250m,memory=64Mi,memory-growth=1Mi' }, spec: { containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(1000); // started at 0.6 s (2 MB pull)
    await s.clock.advance(10_000);
    expect(s.kubelets[0]!.usage()).toEqual([{ namespace: 'default', name: 'busy', uid: (await s.pod('busy')).metadata.uid, containers: [{ name: 'app', cpuMillicores: 250, memoryBytes: 64 * 2 ** 20 + Math.floor(2 ** 20 * 10.4) }] }]);
  });
});

describe('writes', () => {
  it('writes nothing more once a probed pod is steady (no status write storms)', async () => {
    const s = await sim();
    await s.run({ name: 'steady', spec: { containers: [container('app', 'busybox:1.36', { readinessProbe: { httpGet: { port: 80 }, periodSeconds: 5 }, livenessProbe: { httpGet: { port: 80 }, periodSeconds: 5 } })] } });
    await s.clock.advance(30_000);
    expect((await s.pod('steady')).status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    let writes = 0;
    const sub = s.server.watch(Pods, { namespace: 'default' }).subscribe((e) => {
      if (e.type === 'MODIFIED') writes++;
    });
    await s.clock.advance(600_000);
    sub.unsubscribe();
    expect(writes).toBe(0);
  });

  it('produces the same history from the same seed', async () => {
    const history = async (): Promise<string[]> => {
      const s = await sim([{ name: 'n1' }, { name: 'n2' }], 7);
      const out: string[] = [];
      const sub = s.server.watch(Pods, { namespace: 'default' }).subscribe((e) => {
        if (e.type !== 'BOOKMARK') out.push(`${s.clock.now()} ${e.type} ${JSON.stringify(e.object)}`);
      });
      await s.run({ name: 'a', annotations: { 'kubeloop.dev/behavior': 'crash-after=2s' }, spec: { containers: [container('app', 'nginx:1.25')] } }, 'n1');
      await s.run({ name: 'b', annotations: { 'kubeloop.dev/behavior': 'complete-after=3s' }, spec: { restartPolicy: 'Never', containers: [container('app', 'redis:7')] } }, 'n2');
      await s.clock.advance(120_000);
      sub.unsubscribe();
      return out;
    };
    const first = await history();
    expect(first.length).toBeGreaterThan(10);
    expect(await history()).toEqual(first);
  });
});

describe('added load', () => {
  it('adds load set on a container to what its behavior uses, and forgets it with the pod', async () => {
    const s = await sim();
    await s.run({ name: 'api', annotations: { 'kubeloop.dev/behavior': 'cpu=50m' }, spec: { containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(1000);
    expect(s.kubelets[0]!.setLoad({ namespace: 'default', name: 'api' }, 'app', { cpuMillicores: 250 })).toBe(true);
    expect(s.kubelets[0]!.usage()[0]?.containers[0]?.cpuMillicores).toBe(300);
    expect(s.kubelets[0]!.setLoad({ namespace: 'default', name: 'nope' }, 'app', { cpuMillicores: 1 })).toBe(false);
    await s.server.delete(Pods, { namespace: 'default', name: 'api' }, { gracePeriodSeconds: 0 });
    await s.clock.flush();
    expect(s.kubelets[0]!.usage()).toEqual([]);
  });
});

describe('host networking', () => {
  it('gives a hostNetwork pod the node IP and no address from the pod CIDR', async () => {
    const s = await sim();
    await s.run({ name: 'hn', spec: { hostNetwork: true, containers: [container('app', 'busybox:1.36')] } });
    await s.run({ name: 'normal', spec: { containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(2000);
    expect((await s.pod('hn')).status.podIP).toBe(s.kubelets[0]!.nodeIP);
    expect((await s.pod('normal')).status.podIP).toBe('10.1.0.2');
  });
});

describe('the node', () => {
  it('is registered with capacity, labels, pod CIDR, addresses and Ready conditions', async () => {
    const s = await sim([{ name: 'node-a', cpu: '8', memory: '32Gi', pods: 50, labels: { zone: 'a' } }]);
    const node = await s.server.get(Nodes, { name: 'node-a' });
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', zone: 'a' });
    expect(node.status.capacity).toMatchObject({ cpu: '8', memory: '32Gi', pods: '50', 'ephemeral-storage': '100Gi' });
    expect(node.status.allocatable).toMatchObject({ cpu: '8', memory: '32Gi', pods: '50' });
    expect(node.spec.podCIDR).toBe('10.1.0.0/24');
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '172.18.0.2' });
    expect(node.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    expect(node.status.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']);
  });

  it('has a machine ID of its own, which a pod mounting /etc/machine-id by hostPath reads (kubernetes.io basic-daemonset.yaml)', async () => {
    const s = await sim([{ name: 'node-a' }, { name: 'node-b' }]);
    const ids = await Promise.all(['node-a', 'node-b'].map(async (name) => (await s.server.get(Nodes, { name })).status.nodeInfo?.machineID ?? ''));
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[1]).not.toBe(ids[0]);
    const spec = {
      restartPolicy: 'Never',
      volumes: [{ name: 'machine-id', hostPath: { path: '/etc/machine-id', type: 'File' } }],
      containers: [container('log-machine-id', 'busybox:1.37', { command: ['sh', '-c', 'cat /etc/machine-id'], volumeMounts: [{ name: 'machine-id', mountPath: '/etc/machine-id', readOnly: true }] })],
    };
    await s.run({ name: 'reader', spec }, 'node-b');
    await s.clock.advance(5000);
    expect((await s.pod('reader')).status.phase).toBe('Succeeded');
    expect(s.kubelets[1]!.logs('default', 'reader', 'log-machine-id').map((l) => l.text)).toEqual([ids[1]]);
  });

  it('reports pulled images in its status within one heartbeat (for the scheduler\'s ImageLocality)', async () => {
    const s = await sim();
    expect((await s.server.get(Nodes, { name: 'node-1' })).status.images).toEqual([]);
    await s.run({ name: 'web', spec: { containers: [container('web', 'nginx:1.25')] } });
    await s.clock.advance(10_000);
    const images = (await s.server.get(Nodes, { name: 'node-1' })).status.images ?? [];
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ sizeBytes: 70_000_000 });
    expect(images[0]?.names).toContain('docker.io/library/nginx:1.25');
  });

  it('renews its Lease every 10 s, and stops renewing after stop()', async () => {
    const s = await sim();
    const renewTime = async (): Promise<number> => parseTime((await s.server.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name: 'node-1' })).spec.renewTime ?? '');
    const t0 = s.clock.now();
    expect(await renewTime()).toBe(t0);
    const lease = await s.server.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name: 'node-1' });
    expect(lease.spec).toMatchObject({ holderIdentity: 'node-1', leaseDurationSeconds: 40 });
    expect(lease.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: 'node-1' });
    await s.clock.advance(10_000);
    expect(await renewTime()).toBe(t0 + 10_000);
    await s.clock.advance(25_000);
    expect(await renewTime()).toBe(t0 + 30_000);
    s.kubelets[0]!.stop();
    await s.clock.advance(60_000);
    expect(await renewTime()).toBe(t0 + 30_000);
    await s.kubelets[0]!.start();
    expect(await renewTime()).toBe(t0 + 95_000);
  });

  it('stops updating pods while stopped and catches up when started again', async () => {
    const s = await sim();
    await s.run({ name: 'job', annotations: { 'kubeloop.dev/behavior': 'complete-after=20s' }, spec: { restartPolicy: 'Never', containers: [container('app', 'busybox:1.36')] } });
    await s.clock.advance(5000);
    s.kubelets[0]!.stop();
    await s.clock.advance(60_000);
    expect((await s.pod('job')).status.phase).toBe('Running');
    await s.kubelets[0]!.start();
    await s.clock.flush();
    expect((await s.pod('job')).status.phase).toBe('Succeeded');
  });
});
