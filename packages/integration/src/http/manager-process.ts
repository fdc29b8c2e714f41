/**
 * One operator process for the leader-election test (leader.test.ts): the Greeting example's
 * controller in a `Manager` with leader election on a Lease, talking to the cluster through
 * core's `HttpClient`, configured from a kubeconfig — what a user's operator binary does.
 *
 * Usage: `node --import tsx manager-process.ts <kubeconfig> <identity>`. It prints one JSON line
 * per event on stdout (`started`, `leading`, `stopped`) and stops gracefully on SIGTERM.
 */
import { pathToFileURL } from 'node:url';
import { HttpClient, RealClock, createBuiltinRegistry, createManager, loadKubeconfig, seededRng } from '@kubeloop/core';
import { greetingController } from '../../../../examples/greeting/controller.js';
import { Greetings } from '../../../../examples/greeting/greeting.js';

/** The Lease the operator processes contend for, and its timing (short, for a test). */
export const OPERATOR_LEASE = { leaseName: 'greeting-operator', leaseNamespace: 'default', leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 } as const;

async function main(kubeconfig: string, identity: string): Promise<void> {
  const say = (event: string): void => void process.stdout.write(`${JSON.stringify({ event, identity })}\n`);
  const clock = new RealClock();
  const client = new HttpClient({ connection: loadKubeconfig({ path: kubeconfig }), clock });
  const manager = createManager({
    client,
    clock,
    rng: seededRng(1),
    registry: createBuiltinRegistry().register(Greetings),
    name: identity,
    leaderElection: { ...OPERATOR_LEASE, identity },
    onError: (e) => void process.stderr.write(`${identity}: ${e instanceof Error ? e.message : String(e)}\n`),
  });
  greetingController(manager);
  void manager.elected.then(() => say('leading'));
  void manager.done.then(() => {
    say('stopped');
    client.close();
  });
  process.on('SIGTERM', () => void manager.stop().finally(() => process.exit(0)));
  await manager.start();
  say('started');
}

// Run only as a program, not when imported (the test reads OPERATOR_LEASE).
const [script, kubeconfig, identity] = process.argv.slice(1);
if (script !== undefined && import.meta.url === pathToFileURL(script).href && kubeconfig !== undefined && identity !== undefined) {
  main(kubeconfig, identity).catch((e: unknown) => {
    process.stderr.write(`${identity}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
