/**
 * `kubeloop serve --metrics-server`: the metrics API kubectl top and the HPA read, as on a
 * cluster with the metrics-server add-on; without it, `kubectl top` says what it says on a
 * cluster without one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServe } from './serve.js';
import type { RunningServe } from './serve.js';
import { installedKubectls, runKubectl } from './kubectl-harness.js';

const present = installedKubectls('the metrics-server tests of kubeloop serve');
const running: RunningServe[] = [];
afterAll(async () => {
  for (const r of running) await r.stop();
});

async function serve(metricsServer: boolean): Promise<string> {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'kubeloop-metrics-')), 'kubeconfig');
  // 60 virtual seconds per real second: the first scrape (15 s) comes within a second.
  running.push(await startServe({ nodes: 2, speed: 60, kubeconfigPath: kubeconfig, metricsServer }));
  return kubeconfig;
}

describe.runIf(present.length > 0)('kubeloop serve and the metrics API', () => {
  const kubectl = present[0]!.path;

  it('serves kubectl top nodes with --metrics-server ("Metrics API not available" without it), and kubernetes.io\'s HPA walkthrough runs through kubectl to 7 replicas', async () => {
    const without = await runKubectl(kubectl, ['--kubeconfig', await serve(false), 'top', 'nodes']);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toContain('Metrics API not available');

    const kubeconfig = await serve(true);
    let top = await runKubectl(kubectl, ['--kubeconfig', kubeconfig, 'top', 'nodes']);
    // Until the first scrape is in: at most 10 virtual minutes on the cluster's clock, which follows the wall clock.
    const clock = running.at(-1)!.cluster.clock;
    for (const deadline = clock.now() + 600_000; top.code !== 0 && clock.now() < deadline; ) {
      await clock.sleep(5_000);
      top = await runKubectl(kubectl, ['--kubeconfig', kubeconfig, 'top', 'nodes']);
    }
    expect(top.code, top.stderr).toBe(0);
    // kubectl 1.33 prints CPU(%) where 1.27 prints CPU%.
    expect(top.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+CPU\(?%\)?\s+MEMORY\(bytes\)\s+MEMORY\(?%\)?\s*$/m);
    expect(top.stdout).toMatch(/^node-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/m);

    // kubernetes.io's HPA walkthrough, through kubectl: php-apache, autoscale at 50% CPU, a wget
    // load generator; the HPA scales the Deployment out until the average is under the target.
    const k = (...args: string[]) => runKubectl(kubectl, ['--kubeconfig', kubeconfig, ...args]);
    expect((await k('apply', '-f', new URL('../../../../examples/hpa/php-apache.yaml', import.meta.url).pathname)).code).toBe(0);
    expect((await k('autoscale', 'deployment', 'php-apache', '--cpu-percent=50', '--min=1', '--max=10')).stdout).toBe('horizontalpodautoscaler.autoscaling/php-apache autoscaled\n');
    expect((await k('run', 'load-generator', '--image=busybox:1.28', '--restart=Never', '--', '/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://php-apache; done')).code).toBe(0);
    // As the walkthrough's own output once it settles: 7 replicas, the average just under the target
    // (the clock follows the wall clock: on a busy machine it takes more polls to get there).
    const settled = /^php-apache\s+Deployment\/php-apache\s+cpu: 4\d%\/50%\s+1\s+10\s+7\s/;
    let hpa = '';
    for (const deadline = clock.now() + 900_000; clock.now() < deadline && !settled.test(hpa); ) {
      await clock.sleep(15_000);
      hpa = (await k('get', 'hpa', 'php-apache', '--no-headers')).stdout;
    }
    expect(hpa).toMatch(settled);
    // And it stays there.
    await clock.sleep(120_000);
    expect((await k('get', 'hpa', 'php-apache', '--no-headers')).stdout).toMatch(settled);
  });
});
