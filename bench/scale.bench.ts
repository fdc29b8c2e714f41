/**
 * Scale benchmark (issue 22): bare pods and Deployments at (nodes, pods) = (100, 1k),
 * (500, 10k), (1,000, 20k), (2,000, 40k), (5,000, 150k), each size in a fresh process
 * (`scale-run.ts`): wall time from apply to every pod Running, store writes per pod, peak RSS,
 * the live heap once every pod runs, and the growth exponent fitted over the sizes (least squares of log time on log pods). CPU
 * time is printed too: on a shared machine it says what wall time would be on an idle one.
 * `KUBELOOP_BENCH_SCALE=100:1000,500:10000` picks sizes; `KUBELOOP_BENCH_SCALE_MODES=pods`
 * picks the workloads (`pods`, `deployments`).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env['KUBELOOP_BENCH_SCALE'] ?? '100:1000,500:10000,1000:20000,2000:40000,5000:150000').split(',').map((s) => s.split(':').map(Number) as [number, number]);
const MODES = (process.env['KUBELOOP_BENCH_SCALE_MODES'] ?? 'pods,deployments').split(',');

interface Result {
  readonly mode: string;
  readonly nodes: number;
  readonly pods: number;
  readonly running: number;
  readonly toRunningS: number;
  readonly cpuS: number;
  readonly writesPerPod: number;
  readonly peakRssMiB: number;
  /** The heap after a full collection once every pod runs. */
  readonly liveHeapMiB?: number | undefined;
}

function runOne(nodes: number, pods: number, mode: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    // Node's default heap limit (about 4 GiB on this machine), as `kubeloop run` has it: a
    // larger one lets V8 put off collecting until the heap is far above what the cluster holds,
    // and the peak RSS then measures the collector's laziness rather than the simulation.
    const child = spawn(process.execPath, ['--expose-gc', '--max-semi-space-size=64', '--import', 'tsx', join(here, 'scale-run.ts'), String(nodes), String(pods), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`scale-run ${mode} ${nodes}/${pods} exited with ${code}`));
      else resolve(JSON.parse(line) as Result);
    });
  });
}

/** Many minutes at full size: `pnpm bench` runs it only when named (`pnpm bench scale`). */
export const onDemand = true;

/** The slope of log(time) over log(pods): 1 is linear. */
function exponent(results: readonly Result[]): number {
  const xs = results.map((r) => Math.log(r.pods));
  const ys = results.map((r) => Math.log(r.toRunningS));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/** The figures of this bench. */
export async function figures(): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const mode of MODES) {
    const results: Result[] = [];
    for (const [nodes, pods] of SIZES) {
      const r = await runOne(nodes, pods, mode);
      results.push(r);
      const label = `${mode === 'pods' ? 'bare pods' : 'Deployment pods'} ${pods.toLocaleString('en-US')} on ${nodes.toLocaleString('en-US')} nodes`;
      out.push({ name: `${label}: to Running (${r.running} running)`, value: r.toRunningS, unit: 's wall' });
      out.push({ name: `${label}: CPU time of the whole process`, value: r.cpuS, unit: 's CPU' });
      out.push({ name: `${label}: writes per pod`, value: r.writesPerPod, unit: 'writes' });
      out.push({ name: `${label}: peak RSS`, value: r.peakRssMiB, unit: 'MiB' });
      if (r.liveHeapMiB !== undefined) out.push({ name: `${label}: live heap once Running (after a full collection)`, value: r.liveHeapMiB, unit: 'MiB' });
    }
    if (results.length > 1) out.push({ name: `${mode}: growth exponent of wall time over pods`, value: exponent(results), unit: '' });
  }
  return out;
}
