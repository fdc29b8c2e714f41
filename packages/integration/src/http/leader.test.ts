/**
 * Two operator processes (manager-process.ts: the Greeting controller in a `Manager` with leader
 * election, over `HttpClient`) contend for one Lease through `kubeloop serve`: exactly one
 * leads and reconciles; when it dies (SIGKILL, no release), the other takes the Lease once it
 * expires and reconciles from then on. client-go's leader election, over real HTTP.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leases, RealClock } from '@kubeloop/core';
import { startServe } from '@kubeloop/cli';
import type { RunningServe } from '@kubeloop/cli';
import { Greetings } from '../../../../examples/greeting/greeting.js';
import { greetingResource } from './greeting-resource.js';
import { OPERATOR_LEASE } from './manager-process.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./manager-process.ts', import.meta.url));
const clock = new RealClock();

interface Operator {
  readonly identity: string;
  readonly child: ChildProcess;
  readonly events: string[];
  readonly exited: Promise<void>;
}

let serve: RunningServe;
const operators: Operator[] = [];
const kubeconfig = join(mkdtempSync(join(tmpdir(), 'kubeloop-leader-')), 'kubeconfig');

function startOperator(identity: string): Operator {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, kubeconfig, identity], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: string[] = [];
  createInterface(child.stdout!).on('line', (line) => {
    try {
      events.push((JSON.parse(line) as { event: string }).event);
    } catch {
      // not one of ours
    }
  });
  child.stderr!.on('data', (d: Buffer) => void process.stderr.write(d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const op = { identity, child, events, exited };
  operators.push(op);
  return op;
}

async function eventually(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = clock.now() + ms;
  while (!(await check())) {
    if (clock.now() > deadline) throw new Error('condition not reached in time');
    await clock.sleep(50);
  }
}

const lease = () => serve.cluster.server.get(Leases, { namespace: OPERATOR_LEASE.leaseNamespace, name: OPERATOR_LEASE.leaseName });
const greeting = (name: string) => ({ apiVersion: 'example.kubeloop.dev/v1' as const, kind: 'Greeting' as const, metadata: { name, namespace: 'default' }, spec: { message: `hello from ${name}` } });
const reconciled = async (name: string) => (await serve.cluster.server.get(Greetings, { namespace: 'default', name })).status?.observedGeneration === 1;

beforeAll(async () => {
  serve = await startServe({ nodes: 1, plugins: [greetingResource], kubeconfigPath: kubeconfig });
});
afterAll(async () => {
  for (const op of operators) if (op.child.exitCode === null) op.child.kill('SIGKILL');
  await Promise.all(operators.map((op) => op.exited));
  await serve?.stop();
});

describe('two Manager processes on one Lease through kubeloop serve', () => {
  it('exactly one leads and reconciles; after the leader dies the other takes the Lease over and reconciles', async () => {
    const a = startOperator('operator-a');
    const b = startOperator('operator-b');
    await eventually(() => a.events.includes('started') && b.events.includes('started'));
    await eventually(() => a.events.includes('leading') || b.events.includes('leading'));
    const [leader, follower] = a.events.includes('leading') ? [a, b] : [b, a];

    // For two Lease durations, the Lease stays with the leader and the follower never leads.
    const until = clock.now() + 2 * OPERATOR_LEASE.leaseDurationMs;
    const holders = new Set<string>();
    while (clock.now() < until) {
      holders.add((await lease()).spec?.holderIdentity ?? '');
      await clock.sleep(100);
    }
    expect([...holders]).toEqual([leader.identity]);
    expect(follower.events).not.toContain('leading');

    await serve.cluster.server.create(Greetings, greeting('first'));
    await eventually(() => reconciled('first'));

    const transitions = (await lease()).spec?.leaseTransitions ?? 0;
    leader.child.kill('SIGKILL');
    await leader.exited;
    await eventually(() => follower.events.includes('leading'), 4 * OPERATOR_LEASE.leaseDurationMs);
    const taken = await lease();
    expect(taken.spec?.holderIdentity).toBe(follower.identity);
    expect(taken.spec?.leaseTransitions).toBe(transitions + 1);

    await serve.cluster.server.create(Greetings, greeting('second'));
    await eventually(() => reconciled('second'));

    follower.child.kill('SIGTERM');
    await follower.exited;
    // A graceful stop releases the Lease (the Manager's releaseOnCancel): nobody holds it now.
    expect((await lease()).spec?.holderIdentity ?? '').toBe('');
  });
});
