/**
 * Load as rates: a container whose command line is a `wget`/`curl` loop
 * (`while sleep 0.01; do wget -q -O- http://php-apache; done`) is a request flow, found by
 * running one or two iterations of its script in the shell interpreter against a recording
 * network that answers at once. Its rate is the loop's: requests per iteration over the
 * iteration's virtual duration.
 *
 * @module
 */
import { runShell } from '../shell/interpret.js';
import type { ShellNetwork } from '../shell/network.js';

/** One URL a loop requests, and how often. */
export interface LoadFlowSpec {
  /** The URL as the script wrote it (`http://php-apache`). */
  readonly url: string;
  /** Requests per second. */
  readonly ratePerSecond: number;
}

/** Loop iterations followed before a script is taken not to be a steady load loop. */
const DETECT_TICKS = 64;

/**
 * The request flows of a script (its argv, as the container runs it), if it settles into a
 * loop that repeats forever and requests URLs; empty otherwise (a script that exits, waits for
 * a Service with `until wget ...`, or never requests anything).
 *
 * @example
 * ```ts
 * loadFlows(['/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://php-apache; done'], {}, 'load');
 * // [{ url: 'http://php-apache', ratePerSecond: 100 }]
 * ```
 */
export function loadFlows(argv: readonly string[], env: Readonly<Record<string, string>>, hostname: string): readonly LoadFlowSpec[] {
  const calls: { url: string; at: number }[] = [];
  const network: ShellNetwork = {
    timeInvariant: true,
    http: (url, at) => {
      calls.push({ url, at });
      return { kind: 'response', status: 200, body: 'OK!' };
    },
    resolve: () => ['10.96.0.1'],
  };
  const run = runShell({ argv, environment: { env, files: new Map(), hostname, network }, start: 0 });
  let ticks = 0;
  for (;;) {
    const r = run.next();
    if (r.done === true) return [];
    const e = r.value;
    if (e.kind === 'tick' && ++ticks > DETECT_TICKS) return [];
    if (e.kind !== 'forever') continue;
    if (e.periodMs <= 0) return [];
    const from = e.at - e.periodMs;
    const perUrl = new Map<string, number>();
    for (const c of calls) if (c.at >= from && c.at < e.at) perUrl.set(c.url, (perUrl.get(c.url) ?? 0) + 1);
    // a loop whose every iteration ends at the same instant it starts requests at `at` exactly
    if (perUrl.size === 0) for (const c of calls) if (c.at === e.at) perUrl.set(c.url, (perUrl.get(c.url) ?? 0) + 1);
    return [...perUrl].map(([url, n]) => ({ url, ratePerSecond: (n * 1000) / e.periodMs }));
  }
}
