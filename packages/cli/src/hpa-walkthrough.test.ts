/**
 * The kubernetes.io HorizontalPodAutoscaler walkthrough (examples/hpa/, its manifests unchanged)
 * through `kubeloop run`: the Deployment scales out under load and back to 1 minutes after the
 * load stops. The load is the CPU the docs' busybox loop causes, given as annotations until the
 * traffic model can run the loop itself (see the scenario's header).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from './command.js';
import type { Writer } from './io.js';

const scenario = join(fileURLToPath(new URL('../../../', import.meta.url)), 'examples/hpa/php-apache.scenario.yaml');

function buffer(): Writer & { text: string } {
  const out = { text: '', write: (s: string) => void (out.text += s) };
  return out;
}

/** The HPA row of a get step: column title → cell. */
function hpaRow(stdout: string, n: number): Record<string, string> {
  const part = stdout.split(/^(?=# step |== )/m).find((p) => p.startsWith(`# step ${n} (get) at `))!;
  const [head, row] = part.split('\n').slice(1, 3) as [string, string];
  const columns = head.split(/ {3,}/);
  return Object.fromEntries(row.split(/ {3,}/).map((cell, i) => [columns[i]!, cell]));
}

describe('the kubernetes.io HPA walkthrough (examples/hpa/php-apache.scenario.yaml)', () => {
  it('reads 0% idle, scales out to 10 under load (250% of the request, at the 500m limit), and back to 1 after the load stops', async () => {
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', scenario], { stdout, stderr })).toBe(0);
    expect(hpaRow(stdout.text, 5)).toMatchObject({ REFERENCE: 'Deployment/php-apache', TARGETS: 'cpu: 0%/50%', MINPODS: '1', MAXPODS: '10', REPLICAS: '1' });
    expect(hpaRow(stdout.text, 9)).toMatchObject({ TARGETS: 'cpu: 250%/50%', REPLICAS: '10' });
    expect(hpaRow(stdout.text, 13)).toMatchObject({ TARGETS: 'cpu: 0%/50%', REPLICAS: '1' });
  });
});
