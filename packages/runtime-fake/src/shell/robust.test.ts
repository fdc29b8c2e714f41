/**
 * Whatever a manifest's command line says, the interpreter answers with a run that ends (exit,
 * hang, hand-over) or goes on producing events — it never throws. Randomized over scripts built
 * from shell tokens, quotes and garbage.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { runShell } from './interpret.js';
import { NO_NETWORK } from './network.js';

const runs = process.env.KUBELOOP_DEEP === '1' ? 3000 : 300;

const token = fc.constantFrom(
  'echo', 'sleep 1', 'exit 3', 'true', 'false', 'if', 'then', 'elif', 'else', 'fi', 'while', 'until', 'do', 'done', 'for x in a b', 'case', 'in', 'esac',
  ';', ';;', '&&', '||', '|', '&', '\n', '(', ')', '{', '}', '$(', '`', '"', "'", '\\', '$', '${', '}', '$((', '))', '((', '[', ']', '[[', ']]', '=', 'x=1', 'a=(1 2)',
  '${a[1]}', '${x:-y}', '$?', '<', '>', '2>&1', '<<EOF', 'EOF', 'date', 'hostname', 'cat /f', 'printf "%s %d"', 'seq 3', 'read v', 'set -e', 'f()', 'break', 'continue',
  'return', 'eval', 'exec', 'wget http://x', 'curl -s x', 'nslookup x', 'test -f /f', '!', '#', ' ', 'x', '42', '-n', '$x', '$1', '"$@"', 'trap "exit 0" TERM',
);

function drain(script: string, shell: 'sh' | 'bash'): { kind: string; events: number } {
  const run = runShell({ argv: [shell, '-c', script], environment: { env: { HOME: '/root' }, files: new Map([['/f', 'data\n']]), hostname: 'h', network: NO_NETWORK }, start: 0 });
  let events = 0;
  for (;;) {
    const r = run.next();
    if (r.done === true) return { kind: r.value.kind, events };
    if (++events > 500) return { kind: 'running', events };
  }
}

describe('the interpreter never crashes', () => {
  test.prop([fc.array(token, { maxLength: 25 }).map((ts) => ts.join(' ')), fc.constantFrom('sh' as const, 'bash' as const)], { numRuns: runs })(
    'a script of shell tokens runs to an end or keeps running, without throwing',
    (script, shell) => {
      const r = drain(script, shell);
      expect(['exit', 'hang', 'handover', 'running']).toContain(r.kind);
    },
  );

  test.prop([fc.string({ maxLength: 60 })], { numRuns: runs })('arbitrary text too', (script) => {
    expect(['exit', 'hang', 'handover', 'running']).toContain(drain(script, 'sh').kind);
  });
});
