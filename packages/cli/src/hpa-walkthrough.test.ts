/**
 * The kubernetes.io HorizontalPodAutoscaler walkthrough (examples/hpa/, its manifests unchanged)
 * through `kubeloop run`: the Deployment scales out under load and back to 1 minutes after the
 * load stops: once with the load given as annotations (php-apache.scenario.yaml), once with the
 * docs' busybox load generator itself, its wget loop run by the traffic model
 * (load-generator.scenario.yaml).
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

const loadScenario = join(fileURLToPath(new URL('../../../', import.meta.url)), 'examples/hpa/load-generator.scenario.yaml');

describe('the kubernetes.io HPA walkthrough with its busybox load generator (examples/hpa/load-generator.scenario.yaml)', () => {
  it('scales 1 → 5 → 7 under the wget loop (250%, then 65%, then 47% of the request) and back to 1 after the 5-minute stabilization once the loop is deleted', async () => {
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', loadScenario], { stdout, stderr })).toBe(0);
    const over = (step: number): [string, string] => {
      const row = hpaRow(stdout.text, step);
      return [row['TARGETS']!, row['REPLICAS']!];
    };
    expect(hpaRow(stdout.text, 5)).toMatchObject({ REFERENCE: 'Deployment/php-apache', MINPODS: '1', MAXPODS: '10' });
    // before the load; 20 s into it (the one pod throttled at its 500m limit); 45 s; 3 minutes
    expect([5, 9, 12, 15].map(over)).toEqual([
      ['cpu: 0%/50%', '1'],
      ['cpu: 250%/50%', '5'],
      ['cpu: 65%/50%', '7'],
      ['cpu: 47%/50%', '7'],
    ]);
    // 1, 4 and 7 minutes after the load generator was deleted
    expect([20, 23, 26].map(over)).toEqual([
      ['cpu: 0%/50%', '7'],
      ['cpu: 0%/50%', '7'],
      ['cpu: 0%/50%', '1'],
    ]);
    // every php-apache pod at 100 req/s × 6.5 ms / 7 + its 1m baseline
    expect(stdout.text).toMatch(/php-apache-\S+ +94m +10Mi/);
  });
});
