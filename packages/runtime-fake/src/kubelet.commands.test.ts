/**
 * Containers that do what their command lines say, end to end: the real API server, a fake
 * kubelet and a virtual clock. The command lines are kubernetes.io's batch examples.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, ConfigMaps, Pods, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { BehaviorRegistry } from './behavior.js';
import type { FakeKubelet } from './kubelet.js';
import { startFakeNode } from './plugin.js';
import { RuntimeFakeError } from './errors.js';

async function node(behaviors = new BehaviorRegistry(), runtime: { logLimits?: { maxLines?: number } } = {}): Promise<{ clock: VirtualClock; server: ApiServer; kubelet: FakeKubelet; run(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Promise<void>; pod(name: string): Promise<Pod> }> {
  const clock = new VirtualClock();
  const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
  const kubelet = await startFakeNode({ client: server, clock, rng: seededRng(2), node: { name: 'node-1' }, behaviors, runtime });
  return {
    clock,
    server,
    kubelet,
    async run(name, spec, annotations) {
      await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) }, spec: spec as unknown as Pod['spec'] });
      await server.bind({ namespace: 'default', name }, { name: 'node-1' });
      await clock.flush();
    },
    pod: (name) => server.get(Pods, { namespace: 'default', name }),
  };
}

const text = (lines: readonly { text: string }[]): string[] => lines.map((l) => l.text);

describe('containers run their command lines', () => {
  it("bash -c 'echo \"Hello world!\" && sleep 5 && exit 42' fails with exit code 42 after 5 s, its line in the log", async () => {
    const s = await node();
    await s.run('main', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'docker.io/library/bash:5', command: ['bash'], args: ['-c', 'echo "Hello world!" && sleep 5 && exit 42'] }] });
    await s.clock.advance(4000); // bash: 50 MB by default → pulled in 3 s
    let pod = await s.pod('main');
    expect(pod.status.phase).toBe('Running');
    const started = Date.parse(pod.status.containerStatuses![0]!.state!.running!.startedAt!);
    expect(text(s.kubelet.logs('default', 'main', 'main'))).toEqual(['Hello world!']);
    await s.clock.advance(5000);
    pod = await s.pod('main');
    expect(pod.status.phase).toBe('Failed');
    const terminated = pod.status.containerStatuses![0]!.state!.terminated!;
    expect(terminated).toMatchObject({ exitCode: 42, reason: 'Error' });
    expect(Date.parse(terminated.finishedAt!) - started).toBe(5000);
    const logs = s.kubelet.logs('default', 'main', 'main');
    expect(logs).toEqual([{ at: started, stream: 'stdout', text: 'Hello world!' }]);
  });

  it("busybox sh -c 'date; echo Hello from the Kubernetes cluster' succeeds with two log lines", async () => {
    const s = await node();
    await s.run('hello', { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox:1.28', imagePullPolicy: 'IfNotPresent', command: ['/bin/sh', '-c', 'date; echo Hello from the Kubernetes cluster'] }] });
    await s.clock.advance(2000);
    const pod = await s.pod('hello');
    expect(pod.status.phase).toBe('Succeeded');
    expect(pod.status.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const logs = s.kubelet.logs('default', 'hello', 'hello');
    expect(logs).toHaveLength(2);
    expect(logs[0]!.text).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}$/);
    expect(logs[1]!.text).toBe('Hello from the Kubernetes cluster');
  });

  it('crash-loops a bare busybox under restartPolicy Always (sh exits 0 at once), as in a real cluster', async () => {
    const s = await node();
    await s.run('bare', { containers: [{ name: 'busybox', image: 'busybox' }] });
    await s.clock.advance(60_000);
    const pod = await s.pod('bare');
    const status = pod.status.containerStatuses![0]!;
    expect(status.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(status.restartCount).toBeGreaterThanOrEqual(3);
    expect(pod.status.phase).toBe('Running');
  });

  it('lets an explicit annotation win over the command line', async () => {
    const s = await node();
    await s.run('annotated', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo start; sleep 3600'] }] }, { 'kubeloop.dev/behavior': 'crash-after=10s,exit-code=3' });
    await s.clock.advance(12_000);
    const pod = await s.pod('annotated');
    expect(pod.status.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(text(s.kubelet.logs('default', 'annotated', 'c'))).toEqual(['start']);
  });

  it('follows the image behavior for commands it does not know (nginx -g "daemon off;")', async () => {
    const s = await node(new BehaviorRegistry().image('nginx', { exitAfterMs: 7000, exitCode: 0 }));
    await s.run('web', { restartPolicy: 'Never', containers: [{ name: 'web', image: 'nginx:1.27', command: ['nginx', '-g', 'daemon off;'] }] });
    await s.clock.advance(4000 + 7000);
    expect((await s.pod('web')).status.phase).toBe('Succeeded');
  });

  it('kills a shell loop at the end of the grace period on deletion (a shell as PID 1 ignores SIGTERM)', async () => {
    const s = await node();
    await s.run('loop', { terminationGracePeriodSeconds: 20, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'while true; do echo tick; sleep 5; done'] }] });
    await s.clock.advance(11_000);
    expect(text(s.kubelet.logs('default', 'loop', 'c'))).toEqual(['tick', 'tick', 'tick']);
    await s.server.delete(Pods, { namespace: 'default', name: 'loop' });
    await s.clock.advance(19_000);
    expect((await s.pod('loop')).metadata.deletionTimestamp).toBeDefined();
    await s.clock.advance(2000);
    await expect(s.pod('loop')).rejects.toThrow();
  });

  it('keeps the last lines of a chatty container, and the previous instance after a restart', async () => {
    const s = await node(new BehaviorRegistry(), { logLimits: { maxLines: 3 } });
    await s.run('chatty', { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo "line $i"; done; sleep 1; exit 1'] }] });
    await s.clock.advance(2000);
    expect(text(s.kubelet.logs('default', 'chatty', 'c'))).toEqual(['line 3', 'line 4', 'line 5']);
    // the first restart is immediate: the current instance runs again, the exited one is "previous"
    await s.clock.advance(500);
    expect((await s.pod('chatty')).status.containerStatuses![0]!.restartCount).toBe(1);
    expect(text(s.kubelet.logs('default', 'chatty', 'c', { previous: true }))).toEqual(['line 3', 'line 4', 'line 5']);
  });

  it('reads a mounted ConfigMap and sees the Indexed Job completion index', async () => {
    const s = await node();
    await s.server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'words', namespace: 'default' }, data: { greeting: 'hello' } });
    await s.run(
      'indexed-2-abcde',
      {
        restartPolicy: 'Never',
        volumes: [{ name: 'words', configMap: { name: 'words' } }],
        containers: [
          {
            name: 'worker',
            image: 'bash',
            volumeMounts: [{ name: 'words', mountPath: '/input' }],
            env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
            command: ['bash', '-c', 'items=(foo bar baz qux xyz); echo "$(cat /input/greeting) ${items[$JOB_COMPLETION_INDEX]} from $(hostname)"; echo "$MY_IP"'],
          },
        ],
      },
      { 'batch.kubernetes.io/job-completion-index': '2' },
    );
    await s.clock.advance(4000);
    expect((await s.pod('indexed-2-abcde')).status.phase).toBe('Succeeded');
    const pod = await s.pod('indexed-2-abcde');
    expect(text(s.kubelet.logs('default', 'indexed-2-abcde', 'worker'))).toEqual(['hello baz from indexed-2-abcde', pod.status.podIP]);
  });

  it("runs indexed-job.yaml's pod: the init container writes the index's item to an emptyDir, the worker reverses it", async () => {
    const s = await node();
    const volumeMounts = [{ mountPath: '/input', name: 'input' }];
    await s.run(
      'indexed-job-2-abcde',
      {
        restartPolicy: 'Never',
        initContainers: [{ name: 'input', image: 'docker.io/library/bash', command: ['bash', '-c', 'items=(foo bar baz qux xyz)\necho ${items[$JOB_COMPLETION_INDEX]} > /input/data.txt\n'], volumeMounts }],
        containers: [{ name: 'worker', image: 'docker.io/library/busybox', command: ['rev', '/input/data.txt'], volumeMounts }],
        volumes: [{ name: 'input', emptyDir: {} }],
      },
      { 'batch.kubernetes.io/job-completion-index': '2' },
    );
    await s.clock.advance(10_000);
    const pod = await s.pod('indexed-job-2-abcde');
    expect(pod.status.phase).toBe('Succeeded');
    expect(pod.status.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(text(s.kubelet.logs('default', 'indexed-job-2-abcde', 'worker'))).toEqual(['zab']);
  });

  it('keeps an emptyDir per pod: a container restart sees what the previous instance wrote, another pod does not', async () => {
    const s = await node();
    const spec = {
      restartPolicy: 'OnFailure',
      containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo run >> /cache/runs; cat /cache/runs; [ $(wc -l < /cache/runs) -ge 2 ]'], volumeMounts: [{ mountPath: '/cache/', name: 'cache' }] }],
      volumes: [{ name: 'cache', emptyDir: {} }],
    };
    await s.run('a', spec);
    await s.clock.advance(30_000);
    expect((await s.pod('a')).status.phase).toBe('Succeeded');
    expect(text(s.kubelet.logs('default', 'a', 'c', { previous: true }))).toEqual(['run']);
    expect(text(s.kubelet.logs('default', 'a', 'c'))).toEqual(['run', 'run']);
    await s.run('b', { ...spec, restartPolicy: 'Never' });
    await s.clock.advance(5_000);
    expect((await s.pod('b')).status.phase).toBe('Failed');
    expect(text(s.kubelet.logs('default', 'b', 'c'))).toEqual(['run']);
  });

  it("answers kubectl's errors for logs it does not have", async () => {
    const s = await node();
    await s.run('p', { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] });
    const err = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(RuntimeFakeError);
        return (e as RuntimeFakeError).message;
      }
      return 'no error';
    };
    expect(err(() => s.kubelet.logs('default', 'p', 'c'))).toBe('container "c" in pod "p" is waiting to start: ContainerCreating');
    expect(err(() => s.kubelet.logs('default', 'nope', 'c'))).toBe('pods "nope" not found');
    expect(err(() => s.kubelet.logs('default', 'p', 'x'))).toBe('container x is not valid for pod p');
    await s.clock.advance(1000);
    expect(s.kubelet.logs('default', 'p', 'c')).toEqual([]);
    expect(err(() => s.kubelet.logs('default', 'p', 'c', { previous: true }))).toBe('previous terminated container "c" in pod "p" not found');
  });
});
