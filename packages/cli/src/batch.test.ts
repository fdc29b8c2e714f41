/**
 * The kubernetes.io batch examples (examples/batch/, the manifests unchanged) run through the
 * `kubeloop` command in-process: what a user would check with `kubectl get` and
 * `kubectl get -o json` after `kubeloop run examples/batch/batch.scenario.yaml`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CronJob, Job, Pod } from '@kubeloop/core';
import { main } from './command.js';
import type { Writer } from './io.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const batch = join(repo, 'examples/batch');
const scenario = join(batch, 'batch.scenario.yaml');

function buffer(): Writer & { text: string } {
  const out = { text: '', write: (s: string) => void (out.text += s) };
  return out;
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = buffer();
  const stderr = buffer();
  const code = await main(['run', ...args], { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The printed rows of a table, keyed by column title. */
function rows(table: string): Record<string, string>[] {
  const [head, ...lines] = table.trim().split('\n');
  const columns = head!.split(/ {3,}/);
  return lines.map((line) => Object.fromEntries(line.split(/ {3,}/).map((cell, i) => [columns[i]!, cell])));
}

/** The text a table-format `get` step printed (up to the next step or narration). */
function step(stdout: string, n: number): string {
  const part = stdout.split(/^(?=# step |== )/m).find((p) => p.startsWith(`# step ${n} (get) at `));
  if (part === undefined) throw new Error(`no get step ${n} in:\n${stdout}`);
  return part.slice(part.indexOf('\n') + 1).trim();
}

type Item = Job | Pod | CronJob;

describe('the kubernetes.io batch examples (examples/batch/batch.scenario.yaml)', () => {
  let table: { code: number; stdout: string; stderr: string };
  /** The Lists the scenario's get steps printed with `-o json`, in order. */
  let lists: Item[][];

  beforeAll(async () => {
    table = await run(scenario);
    const json = await run(scenario, '-o', 'json');
    expect(json.code).toBe(0);
    lists = json.stdout
      .split(/^(?=\{)/m)
      .filter((doc) => doc.trim() !== '')
      .map((doc) => (JSON.parse(doc) as { items: Item[] }).items);
    expect(lists).toHaveLength(3);
  });

  const job = (list: Item[], name: string): Job => {
    const found = list.find((o) => o.kind === 'Job' && o.metadata.name === name);
    if (found === undefined) throw new Error(`no Job ${name}`);
    return found as Job;
  };
  const condition = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

  it('uses the manifests of kubernetes.io unchanged', () => {
    const text = (file: string) => readFileSync(join(batch, file), 'utf8');
    expect(text('job.yaml')).toContain('command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]');
    expect(text('indexed-job.yaml')).toContain('echo ${items[$JOB_COMPLETION_INDEX]} > /input/data.txt');
    expect(text('job-pod-failure-policy-example.yaml')).toContain('- echo "Hello world!" && sleep 5 && exit 42');
    expect(text('cronjob.yaml')).toContain('- date; echo Hello from the Kubernetes cluster');
  });

  it('prints the Jobs like kubectl get: pi Complete 1/1, indexed-job Complete 5/5, the pod failure policy example Failed', () => {
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(rows(step(table.stdout, 6)).map((r) => [r['NAME'], r['STATUS'], r['COMPLETIONS']])).toEqual([
      ['indexed-job', 'Complete', '5/5'],
      ['job-pod-failure-policy-example', 'Failed', '0/12'],
      ['pi', 'Complete', '1/1'],
    ]);
  });

  it('completes job.yaml (pi) with one successful pod', () => {
    const pi = job(lists[0]!, 'pi');
    expect(pi.status?.succeeded).toBe(1);
    expect(condition(pi, 'Complete')).toMatchObject({ reason: 'CompletionsReached' });
    expect(condition(pi, 'Failed')).toBeUndefined();
  });

  it('completes indexed-job.yaml with completedIndexes 0-4, one Succeeded pod per index', () => {
    const indexed = job(lists[0]!, 'indexed-job');
    expect(indexed.status).toMatchObject({ succeeded: 5, completedIndexes: '0-4' });
    expect(condition(indexed, 'Complete')).toBeDefined();
    const pods = (lists[1] as Pod[]).filter((p) => p.metadata.labels?.['job-name'] === 'indexed-job');
    expect(pods.map((p) => [p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], p.status.phase]).sort()).toEqual(['0', '1', '2', '3', '4'].map((i) => [i, 'Succeeded']));
    // the init container wrote the input, the worker (rev) read it: both exited 0
    for (const pod of pods) {
      expect(pod.status.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0 });
      expect(pod.status.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    }
  });

  it('fails the pod failure policy example with reason PodFailurePolicy: its container exited 42 (FailJob rule)', () => {
    const failed = job(lists[0]!, 'job-pod-failure-policy-example');
    expect(condition(failed, 'Failed')).toMatchObject({
      reason: 'PodFailurePolicy',
      message: expect.stringMatching(/^Container main for pod default\/job-pod-failure-policy-example-\w+ failed with exit code 42 matching FailJob rule at index 0$/),
    });
    expect(condition(failed, 'Complete')).toBeUndefined();
    expect(failed.status?.succeeded ?? 0).toBe(0);
    const pods = (lists[1] as Pod[]).filter((p) => p.metadata.labels?.['job-name'] === 'job-pod-failure-policy-example');
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.some((p) => p.status.containerStatuses?.[0]?.state?.terminated?.exitCode === 42)).toBe(true);
  });

  it('creates a Job hello-<unix minutes> every minute from cronjob.yaml over 3 minutes, each Complete', () => {
    const last = lists[2]!;
    const hello = last.find((o) => o.kind === 'CronJob' && o.metadata.name === 'hello') as CronJob | undefined;
    expect(hello).toBeDefined();
    const jobs = last.filter((o): o is Job => o.kind === 'Job' && (o.metadata.name ?? '').startsWith('hello-'));
    expect(jobs).toHaveLength(3);
    const minutes = jobs.map((j) => Number(j.metadata.name!.slice('hello-'.length))).sort((a, b) => a - b);
    expect(minutes).toEqual([minutes[0]!, minutes[0]! + 1, minutes[0]! + 2]);
    for (const j of jobs) {
      const scheduled = Date.parse(j.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'] ?? '');
      expect(j.metadata.name).toBe(`hello-${scheduled / 60_000}`);
      expect(j.metadata.ownerReferences).toMatchObject([{ kind: 'CronJob', name: 'hello', controller: true }]);
      expect(condition(j, 'Complete')).toBeDefined();
    }
    expect(Date.parse(hello!.status?.lastScheduleTime ?? '')).toBe((minutes[2]! * 60_000));
    // kubectl get: the CronJob and its three Jobs
    const printed = step(table.stdout, 11);
    expect(printed).toMatch(/^default +cronjob\.batch\/hello +\* \* \* \* \* +<none> +False +0 /m);
    expect(rows(printed.split('\n\n')[1]!).filter((r) => r['NAME']!.startsWith('job.batch/hello-')).map((r) => [r['NAME'], r['STATUS']])).toEqual(
      minutes.map((m) => [`job.batch/hello-${m}`, 'Complete']),
    );
  });
});
