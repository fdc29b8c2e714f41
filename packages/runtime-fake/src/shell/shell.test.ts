/**
 * The command-line interpreter, by tables: a container's command line → how long it runs, its
 * exit code and its log lines, on virtual time. Pure: no kubelet, no API server.
 */
import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@kubeloop/core';
import { formatDate } from './date.js';
import { knowsCommand, runShell, sleepMs } from './interpret.js';
import { NO_NETWORK } from './network.js';
import type { ShellNetwork } from './network.js';
import { parseScript } from './parse.js';
import { piDigits } from './pi.js';
import { containerArgv, containerProgram, expandReferences, imageOwnsCommand } from './program.js';
import type { ContainerLogLine, PodData } from './program.js';

const T0 = Date.UTC(2026, 11, 5, 17, 54, 25); // Sat Dec  5 17:54:25 UTC 2026

function pod(extra: { annotations?: Record<string, string>; volumes?: Pod['spec']['volumes']; hostname?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'job-1-abcde', namespace: 'default', uid: 'u1', labels: { app: 'job' }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { containers: [], nodeName: 'node-1', ...(extra.volumes ? { volumes: extra.volumes } : {}), ...(extra.hostname ? { hostname: extra.hostname } : {}) },
    status: { hostIP: '172.18.0.2' },
  } as unknown as Pod;
}

interface Outcome {
  /** ms until exit, or 'forever'. */
  ms: number | 'forever';
  code?: number | undefined;
  logs: string[];
}

/** Runs `container` from T0 and reads its log up to its exit (or `readMs` for one that runs forever). */
function outcome(container: Partial<Container>, options: { pod?: Pod; data?: PodData; podIP?: string; network?: ShellNetwork; readMs?: number; stamped?: boolean } = {}): Outcome {
  const c = { name: 'c', image: 'busybox:1.36', ...container } as Container;
  const program = containerProgram({ pod: options.pod ?? pod(), container: c, data: () => options.data, podIP: () => options.podIP, network: options.network });
  if (program === undefined) throw new Error('the interpreter does not know this command line');
  const run = program.start(T0);
  const exit = run.plan.exit;
  const lines: ContainerLogLine[] = [];
  run.logsUntil(T0 + (exit?.afterMs ?? options.readMs ?? 60_000), 1000, (l) => lines.push(l));
  const logs = lines.map((l) => (options.stamped === true ? `${(l.at - T0) / 1000}s ${l.text}` : l.stream === 'stderr' ? `!${l.text}` : l.text));
  return exit === undefined ? { ms: 'forever', logs } : { ms: exit.afterMs, code: exit.exitCode, logs };
}

const sh = (script: string): Partial<Container> => ({ command: ['sh', '-c', script] });
const bash = (script: string): Partial<Container> => ({ image: 'bash:5', command: ['bash', '-c', script] });

describe('command lines → duration, exit code, log', () => {
  const table: [string, Partial<Container>, Outcome][] = [
    // kubernetes.io: the pod failure policy example's container
    ['bash: echo && sleep && exit', bash('echo "Hello world!" && sleep 5 && exit 42'), { ms: 5000, code: 42, logs: ['Hello world!'] }],
    // kubernetes.io: cronjob.yaml
    ['sh: date; echo', { command: ['/bin/sh', '-c', 'date; echo Hello from the Kubernetes cluster'] }, { ms: 0, code: 0, logs: ['Sat Dec  5 17:54:25 UTC 2026', 'Hello from the Kubernetes cluster'] }],
    ['; runs on after a failure, && and || short-circuit', sh('false; echo a && false || echo b; false && echo no; true || echo no'), { ms: 0, code: 0, logs: ['a', 'b'] }],
    ['the status of the last command', sh('echo x; false'), { ms: 0, code: 1, logs: ['x'] }],
    ['exit without a code keeps $?', sh('(exit 7); exit'), { ms: 0, code: 7, logs: [] }],
    ['exit codes wrap at 256', sh('exit 300'), { ms: 0, code: 44, logs: [] }],
    ['sleep in seconds, fractions and units', sh('sleep 1.5; sleep 2m; sleep 1 1'), { ms: 1500 + 120_000 + 2000, code: 0, logs: [] }],
    ['newlines separate commands', sh('echo one\necho two\n\nexit 3\necho never'), { ms: 0, code: 3, logs: ['one', 'two'] }],
    ['if / elif / else', sh('if [ 1 -gt 2 ]; then echo a; elif [ "x" = "x" ]; then echo b; else echo c; fi'), { ms: 0, code: 0, logs: ['b'] }],
    ['for over words', sh('for x in a b c; do echo "item $x"; sleep 1; done'), { ms: 3000, code: 0, logs: ['item a', 'item b', 'item c'] }],
    ['while with a counter', sh('i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo "tick $i"; sleep 2; done; exit $i'), { ms: 6000, code: 3, logs: ['tick 1', 'tick 2', 'tick 3'] }],
    ['until', sh('n=3; until [ $n -eq 0 ]; do echo $n; n=$((n-1)); done'), { ms: 0, code: 0, logs: ['3', '2', '1'] }],
    ['break and continue', sh('for i in 1 2 3 4 5; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done'), { ms: 0, code: 0, logs: ['1', '3'] }],
    ['echo -n, -e, quotes, $? and braces', sh(`X=world; echo -n "hello "; echo '$X' "\${X}"; false; echo "status $?"; echo -e 'a\\tb'`), { ms: 0, code: 0, logs: ["hello $X world", 'status 1', 'a\tb'] }],
    ['printf', sh(`printf '%s=%d\\n' a 1 b 2; printf '%05.1f|%-3s|%x\\n' 3.14159 ab 255`), { ms: 0, code: 0, logs: ['a=1', 'b=2', '003.1|ab |ff'] }],
    ['parameter defaults and lengths', sh('echo ${MISSING:-fallback} ${#HOSTNAME} ${U:=set} $U'), { ms: 0, code: 0, logs: ['fallback 11 set set'] }],
    ['command substitution', sh('now=$(date +%s); echo "at $now"; echo "host `hostname`"'), { ms: 0, code: 0, logs: [`at ${T0 / 1000}`, 'host job-1-abcde'] }],
    ['files the script wrote', sh('echo x > /tmp/f; echo y >> /tmp/f; cat /tmp/f; cat /nope'), { ms: 0, code: 1, logs: ['x', 'y', "!cat: can't open '/nope': No such file or directory"] }],
    ['redirections to /dev/null and 2>&1', sh('nope 2>/dev/null; echo $?; echo out >/dev/null; nope2 2>&1'), { ms: 0, code: 127, logs: ['127', 'sh: nope2: not found'] }],
    ['an unknown command: sh', sh('frobnicate --now; echo $?'), { ms: 0, code: 0, logs: ['!sh: frobnicate: not found', '127'] }],
    ['an unknown command: bash', bash('echo a\nfrobnicate'), { ms: 0, code: 127, logs: ['a', '!bash: line 2: frobnicate: command not found'] }],
    ['set -e stops at the first failure', sh('set -e; echo a; false; echo b'), { ms: 0, code: 1, logs: ['a'] }],
    ['sh -e and conditions', { command: ['sh', '-ec', 'if false; then :; fi; false || echo ok; false; echo no'] }, { ms: 0, code: 1, logs: ['ok'] }],
    ['rev: each line reversed, from files or a pipe', sh('printf "baz\\nab c\\n" > /tmp/f; rev /tmp/f; echo héllo | rev; rev /nope'), { ms: 0, code: 1, logs: ['zab', 'c ba', 'olléh', '!rev: /nope: No such file or directory'] }],
    ['rev as the whole command line (indexed-job.yaml worker)', { command: ['rev', '/input/data.txt'] }, { ms: 0, code: 1, logs: ['!rev: /input/data.txt: No such file or directory'] }],
    ['pipes', sh('echo hello | cat; printf "a\\nb\\nc\\n" | wc -l'), { ms: 0, code: 0, logs: ['hello', '3'] }],
    ['case', sh('case "$HOSTNAME" in job-*) echo job;; *) echo other;; esac'), { ms: 0, code: 0, logs: ['job'] }],
    ['functions', sh('greet() { echo "hi $1"; return 3; }; greet you; echo $?'), { ms: 0, code: 0, logs: ['hi you', '3'] }],
    ['arithmetic', sh('echo $(( (2 + 3) * 4 % 7 )) $((10 / 3)) $(( 1 < 2 && 3 > 4 ))'), { ms: 0, code: 0, logs: ['6 3 0'] }],
    ['C-style for and (( ))', bash('for ((i=0; i<3; i++)); do (( i == 1 )) && continue; echo "i=$i"; done; (( 2 > 3 )); echo $?'), { ms: 0, code: 0, logs: ['i=0', 'i=2', '1'] }],
    ['seq and for', sh('for i in $(seq 3); do echo $i; done'), { ms: 0, code: 0, logs: ['1', '2', '3'] }],
    ['a here-document', sh('cat <<EOF\nhost $HOSTNAME\nEOF\necho done'), { ms: 0, code: 0, logs: ['host job-1-abcde', 'done'] }],
    ['while read over a file, lines alike', sh('printf "a\\na\\nb\\n" > /tmp/l; while read line; do echo "got $line"; sleep 1; done < /tmp/l'), { ms: 3000, code: 0, logs: ['got a', 'got a', 'got b'] }],
    ['set -euo pipefail, defaults, seq', bash('set -euo pipefail\necho "job ${JOB_NAME:-unknown}"\nfor i in $(seq 1 2); do\n  echo "item $i"\n  sleep 1\ndone\necho done'), { ms: 2000, code: 0, logs: ['job unknown', 'item 1', 'item 2', 'done'] }],
    ['a partial last line', sh('echo -n "no newline"'), { ms: 0, code: 0, logs: ['no newline'] }],
    ['sleep with a bad argument', sh('sleep abc'), { ms: 0, code: 1, logs: ["!sleep: invalid number 'abc'"] }],
    // kubernetes.io's indexed-job example
    ['bash arrays', bash('items=(foo bar baz qux xyz)\necho ${items[$JOB_COMPLETION_INDEX]} ${#items[@]} "${items[@]}"'), { ms: 0, code: 0, logs: ['baz 5 foo bar baz qux xyz'] }],
    // not a shell at all, but known utilities
    // kubernetes.io: "Define a command and arguments", and the classic keep-alive
    ['printenv with arguments', { command: ['printenv'], args: ['HOSTNAME', 'KUBERNETES_PORT'] }, { ms: 0, code: 0, logs: ['job-1-abcde', 'tcp://10.96.0.1:443'] }],
    // kubernetes.io: the sidecar examples (deployment-sidecar.yaml, job-sidecar.yaml) follow a log with tail -F
    ['tail -F follows for ever, waiting for a file not there yet', sh('tail -F /opt/logs.txt'), { ms: 'forever', logs: ["!tail: can't open '/opt/logs.txt': No such file or directory"] }],
    ['tail -f prints the last lines, then follows', sh('printf "a\\nb\\nc\\n" > /tmp/l; tail -n 2 -f /tmp/l'), { ms: 'forever', logs: ['b', 'c'] }],
    ['tail -f of a missing file fails', sh('tail -f /tmp/none'), { ms: 0, code: 1, logs: ["!tail: can't open '/tmp/none': No such file or directory", '!tail: no files'] }],
    ['/bin/bash -c -- with the script in args', { command: ['/bin/bash', '-c', '--'], args: ['while true; do sleep 30; done;'] }, { ms: 'forever', logs: [] }],
    ['/usr/local/bin/bash inside a script', bash('/usr/local/bin/bash -c "exit 6"'), { ms: 0, code: 6, logs: [] }],
    ['sleep as the command', { command: ['sleep', '30'] }, { ms: 30_000, code: 0, logs: [] }],
    ['echo as the command, args from $(VAR)', { command: ['echo'], args: ['$(GREETING)', '$(NOPE)'], env: [{ name: 'GREETING', value: 'hi' }] }, { ms: 0, code: 0, logs: ['hi $(NOPE)'] }],
    ['args only: the image has no entrypoint', { args: ['sh', '-c', 'exit 4'] }, { ms: 0, code: 4, logs: [] }],
    ['bare busybox: sh on a closed stdin exits at once', {}, { ms: 0, code: 0, logs: [] }],
    ['bare alpine', { image: 'alpine:3.20' }, { ms: 0, code: 0, logs: [] }],
    ['bare bash (docker-entrypoint.sh bash)', { image: 'bash' }, { ms: 0, code: 0, logs: [] }],
    ['bash image with options only', { image: 'bash', args: ['-c', 'exit 5'] }, { ms: 0, code: 5, logs: [] }],
    ['sh with a missing script file', { command: ['sh', '/scripts/run.sh'] }, { ms: 0, code: 2, logs: ["!sh: can't open '/scripts/run.sh': No such file or directory"] }],
  ];
  for (const [name, container, expected] of table) {
    it(`${name}: ${JSON.stringify([...(container.command ?? []), ...(container.args ?? [])])}`, () => {
      expect(outcome(container, { pod: pod({ annotations: { 'batch.kubernetes.io/job-completion-index': '2' } }) })).toEqual(expected);
    });
  }
});

describe('bad scripts are containers that fail, never a crash', () => {
  const table: [string, Partial<Container>, string][] = [
    ['an unbalanced double quote (sh)', sh('echo "Hello'), 'sh: syntax error: unterminated quoted string'],
    ['an unbalanced single quote (bash)', bash("echo 'Hello"), "bash: -c: line 1: unexpected EOF while looking for matching `''"],
    ['fi without if (sh)', sh('echo a; fi'), 'sh: syntax error: unexpected "fi"'],
    ['fi without if (bash)', bash('echo a; fi'), "bash: -c: line 1: syntax error near unexpected token `fi'"],
    ['an if left open', bash('if true; then echo a'), 'bash: -c: line 1: syntax error: unexpected end of file'],
    ['a do without done', sh('while true; do echo a'), 'sh: syntax error: unexpected end of file'],
    ['a bad substitution', bash('echo ${}'), 'bash: ${}: bad substitution'],
    ['a leading ;', sh('; echo a'), 'sh: syntax error: unexpected ";"'],
  ];
  for (const [name, container, message] of table) {
    it(`${name} exits 2 at once with the shell's message`, () => {
      expect(outcome(container)).toEqual({ ms: 0, code: 2, logs: [`!${message}`] });
    });
  }

  it('an arithmetic error stops the shell with its message', () => {
    expect(outcome(bash('echo a; echo $((1/0)); echo b'))).toEqual({ ms: 0, code: 1, logs: ['a', '!bash: line 1: 1/0: division by 0'] });
  });
});

describe('loops that never end', () => {
  it('runs `while true; do echo x; sleep 5; done` forever, one line every 5 s, produced lazily', () => {
    const c = { name: 'c', image: 'busybox', command: ['sh', '-c', 'while true; do echo "tick $(hostname)"; sleep 5; done'] } as Container;
    const run = containerProgram({ pod: pod(), container: c })!.start(T0);
    expect(run.plan.exit).toBeUndefined();
    // A shell as PID 1 ignores SIGTERM: killed at the end of the grace period.
    expect(run.plan.stopAfterMs).toBe(Number.POSITIVE_INFINITY);
    const lines: ContainerLogLine[] = [];
    run.logsUntil(T0 + 12_000, 100, (l) => lines.push(l));
    expect(lines.map((l) => [l.at - T0, l.text])).toEqual([
      [0, 'tick job-1-abcde'],
      [5000, 'tick job-1-abcde'],
      [10_000, 'tick job-1-abcde'],
    ]);
    run.logsUntil(T0 + 15_000, 100, (l) => lines.push(l));
    expect(lines.map((l) => l.at - T0)).toEqual([0, 5000, 10_000, 15_000]);
  });

  it('stops at once on SIGTERM when the script traps it with a handler that exits', () => {
    const plan = (script: string): unknown => {
      const { stopAfterMs, stopExitCode } = containerProgram({ pod: pod(), container: { name: 'c', image: 'busybox', command: ['sh', '-c', script] } as Container })!.start(T0).plan;
      return [stopAfterMs, stopExitCode];
    };
    expect(plan("trap 'echo bye; exit 0' TERM; while true; do sleep 1; done")).toEqual([0, 0]);
    expect(plan("trap 'exit 3' SIGTERM INT; sleep 3600")).toEqual([0, 3]);
    expect(plan("trap 'echo ignored' TERM; sleep 3600")).toEqual([Number.POSITIVE_INFINITY, 0]);
    expect(plan("trap 'exit 0' TERM; trap - TERM; sleep 3600")).toEqual([Number.POSITIVE_INFINITY, 0]);
  });

  it('reads a year of a forever loop in a few iterations: whole periods before the kept lines are skipped', () => {
    const c = { name: 'c', image: 'busybox', command: ['sh', '-c', 'while true; do date; sleep 5; done'] } as Container;
    const run = containerProgram({ pod: pod(), container: c })!.start(T0);
    const year = 365 * 86_400_000;
    const lines: ContainerLogLine[] = [];
    run.logsUntil(T0 + year, 10, (l) => lines.push(l));
    expect(lines.length).toBeLessThan(20);
    expect(lines.length).toBeGreaterThanOrEqual(10);
    const last = lines[lines.length - 1]!;
    expect(last.at).toBe(T0 + year);
    expect(last.text).toBe(formatDate(T0 + year));
  });

  it('takes a busy loop without sleep for one that runs forever, and stops producing output', () => {
    expect(outcome(sh('while :; do :; done'))).toEqual({ ms: 'forever', logs: [] });
    expect(outcome(sh('echo start; sleep infinity'))).toEqual({ ms: 'forever', logs: ['start'] });
  });

  it('follows a loop whose state changes until it ends', () => {
    expect(outcome(sh('i=0; while true; do i=$((i+1)); if [ $i -ge 500 ]; then exit 9; fi; sleep 1; done'))).toMatchObject({ ms: 499_000, code: 9 });
  });
});

describe("the container's environment and files", () => {
  const data: PodData = {
    configMaps: new Map([['settings', { 'app.properties': 'color=blue\n', GREETING: 'hello' }]]),
    secrets: new Map([['creds', { password: 's3cret' }]]),
  };
  const volumes = [
    { name: 'config', configMap: { name: 'settings' } },
    { name: 'secret', secret: { secretName: 'creds' } },
  ] as Pod['spec']['volumes'];
  const mounts = [
    { name: 'config', mountPath: '/etc/config' },
    { name: 'secret', mountPath: '/etc/secret', readOnly: true },
  ];

  it('reads mounted ConfigMap and Secret keys as files, and refuses to write them', () => {
    const c = { ...sh('cat /etc/config/app.properties; cat /etc/secret/password; echo; ls /etc/config; echo x > /etc/config/new'), volumeMounts: mounts };
    expect(outcome(c, { pod: pod({ volumes }), data })).toEqual({ ms: 0, code: 1, logs: ['color=blue', 's3cret', 'GREETING', 'app.properties', '!sh: can\'t create /etc/config/new: Read-only file system'] });
  });

  it('resolves env values, fieldRefs, configMapKeyRefs, secretKeyRefs and envFrom', () => {
    const c = {
      ...sh('echo $POD_NAME $NS $NODE $IP $HOST_IP $APP $GREETING $PASS $CFG_GREETING $COMBINED'),
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'GREETING' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'COMBINED', value: '$(POD_NAME)@$(NODE)' },
      ],
      envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }],
    } as unknown as Partial<Container>;
    expect(outcome(c, { data, podIP: '10.1.0.7' }).logs).toEqual(['job-1-abcde default node-1 10.1.0.7 172.18.0.2 job hello s3cret hello job-1-abcde@node-1']);
  });

  it('sees the kubelet-managed /etc/hosts, with hostAliases (kubernetes.io hostaliases-pod.yaml)', () => {
    const withAliases = { ...pod(), spec: { ...pod().spec, hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.3', hostnames: ['foo.remote', 'bar.remote'] }] } } as Pod;
    expect(outcome(sh('cat /etc/hosts'), { pod: withAliases, podIP: '10.244.0.5' }).logs).toEqual([
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      '10.244.0.5\tjob-1-abcde',
      '',
      '# Entries added by HostAliases.',
      '127.0.0.1\tfoo.local\tbar.local',
      '10.1.2.3\tfoo.remote\tbar.remote',
    ]);
    const headless = { ...pod({ hostname: 'web-0' }), spec: { ...pod({ hostname: 'web-0' }).spec, subdomain: 'nginx' } } as Pod;
    expect(outcome(sh('tail -n 1 /etc/hosts'), { pod: headless, podIP: '10.244.0.6' }).logs).toEqual(['10.244.0.6\tweb-0.nginx.default.svc.cluster.local\tweb-0']);
  });

  it('reads downward API files: labels and annotations as key="value" lines, and container resources (kubernetes.io dapi-volume.yaml, dapi-volume-resources.yaml)', () => {
    const labelled = { ...pod({ annotations: { builder: 'john-doe', build: 'two' } }), metadata: { ...pod().metadata, labels: { zone: 'us-est-coast', cluster: 'test-cluster1', rack: 'rack-22' }, annotations: { builder: 'john-doe', build: 'two' } } } as Pod;
    const podinfo = [{ name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }, { path: 'cpu_limit', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu', divisor: '1m' } }] } }];
    const c = { ...sh('cat /etc/podinfo/labels; echo; cat /etc/podinfo/annotations; echo; cat /etc/podinfo/cpu_limit; echo'), resources: { limits: { cpu: '500m' } }, volumeMounts: [{ name: 'podinfo', mountPath: '/etc/podinfo' }] } as unknown as Partial<Container>;
    expect(outcome(c, { pod: { ...labelled, spec: { ...labelled.spec, volumes: podinfo } } as unknown as Pod }).logs).toEqual([
      'cluster="test-cluster1"',
      'rack="rack-22"',
      'zone="us-est-coast"',
      'build="two"',
      'builder="john-doe"',
      '500',
    ]);
  });

  it('matches [[ =~ ]] against a regular expression with groups and keeps them in BASH_REMATCH (kubernetes.io mysql-statefulset.yaml)', () => {
    const script = '[[ `hostname` =~ -([0-9]+)$ ]] || exit 1\nordinal=${BASH_REMATCH[1]}\necho $((100 + ordinal)) ${BASH_REMATCH[0]}\n[[ abc =~ ^(x|y)$ ]] || echo "no match: ${#BASH_REMATCH[@]}"';
    expect(outcome(bash(script), { pod: pod({ hostname: 'mysql-2' }) })).toEqual({ ms: 0, code: 0, logs: ['102 -2', 'no match: 0'] });
  });

  it('keeps an ncat listener running (the MySQL StatefulSet\'s backup server), and fails an ncat client (no raw TCP in the fake network)', () => {
    const c = { ...bash('cd /var/lib/mysql\nexec ncat --listen --keep-open --send-only --max-conns=1 3307 -c "xtrabackup --backup"'), volumeMounts: [{ name: 'data', mountPath: '/var/lib/mysql', subPath: 'mysql' }] } as Partial<Container>;
    expect(outcome(c)).toEqual({ ms: 'forever', logs: [] });
    expect(outcome(sh('ncat --recv-only mysql-0.mysql 3307; echo $?')).logs).toEqual(['!Ncat: Connection refused.', '1']);
  });

  it('copies and moves files, into a directory or to a name', () => {
    const c = { ...sh('cp /etc/config/app.properties /tmp/; cp /tmp/app.properties /tmp/copy; mv /tmp/copy /tmp/moved; cat /tmp/app.properties /tmp/moved; ls /tmp; cp /nope /tmp/x; echo $?'), volumeMounts: mounts };
    expect(outcome(c, { pod: pod({ volumes }), data }).logs).toEqual(['color=blue', 'color=blue', 'app.properties', 'moved', "!cp: can't stat '/nope': No such file or directory", '1']);
  });

  it('prints the pod hostname (spec.hostname when set)', () => {
    expect(outcome(sh('hostname; echo $HOSTNAME'), { pod: pod({ hostname: 'db-0' }) }).logs).toEqual(['db-0', 'db-0']);
  });

  it('stamps each line with the virtual time it was written', () => {
    expect(outcome(sh('echo a; sleep 2; echo b; sleep 0.5; echo c'), { stamped: true }).logs).toEqual(['0s a', '2s b', '2.5s c']);
  });
});

describe('network commands go through the hook', () => {
  it('fails like a network error by default', () => {
    expect(outcome(sh('wget -q -O- http://web/; echo $?; curl -s http://web; echo $?; nslookup web >/dev/null; echo $?'))).toEqual({
      ms: 0,
      code: 0,
      logs: ["!wget: bad address 'web'", '1', '6', '1'],
    });
  });

  it('uses the network it is given, on virtual time', () => {
    const network: ShellNetwork = {
      http: (url) => (url === 'http://web/' ? { kind: 'response', status: 200, body: 'hello from web\n', ms: 50 } : { kind: 'refused' }),
      resolve: (name) => (name === 'web' ? ['10.96.0.12'] : []),
    };
    expect(outcome(sh('wget -q -O- http://web/; curl -sf http://web/; curl -sS http://other/; echo $?; nslookup web | grep -c Address'), { network, stamped: true }).logs).toEqual([
      '0.05s hello from web',
      '0.1s hello from web',
      "0.1s curl: (7) Failed to connect to other port 80 after 0 ms: Couldn't connect to server",
      '0.1s 7',
      '0.1s 2',
    ]);
  });
});

describe('polling loops', () => {
  it('waits forever for a service that never resolves (kubernetes.io init container example)', () => {
    const r = outcome(sh('until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done'), { readMs: 2000 });
    const attempt = ['Server:\t\t10.96.0.10', 'Address:\t10.96.0.10:53', '', "** server can't find myservice.default.svc.cluster.local: NXDOMAIN", '', 'waiting for myservice'];
    expect(r).toEqual({ ms: 'forever', logs: [...attempt, ...attempt] });
  });

  it('follows a loop that polls a network whose answers change with time (the init container that waits for a service)', () => {
    const network: ShellNetwork = {
      http: (_url, at) => (at >= T0 + 10_000 ? { kind: 'response', status: 200, body: 'ok\n' } : { kind: 'refused' }),
      resolve: () => [],
    };
    expect(outcome(sh('until wget -q -O- http://db:5432/ >/dev/null 2>&1; do echo waiting; sleep 2; done; echo up'), { network })).toEqual({
      ms: 10_000,
      code: 0,
      logs: ['waiting', 'waiting', 'waiting', 'waiting', 'waiting', 'up'],
    });
  });

  it('times out when no DNS server answers (CoreDNS down): nslookup after 10 s, wget and curl as unresolved after the resolver waited', () => {
    const network: ShellNetwork = { timeInvariant: true, http: () => ({ kind: 'unresolved', ms: 10_000 }), resolve: () => [], dnsTimeoutMs: () => 10_000 };
    expect(outcome(sh('nslookup web; echo $?'), { network, stamped: true })).toEqual({ ms: 10_000, code: 0, logs: ['10s ;; connection timed out; no servers could be reached', '10s ', '10s 1'] });
    expect(outcome(sh('wget -q -O- http://web/; curl -sS http://web/'), { network, stamped: true })).toEqual({ ms: 20_000, code: 6, logs: ["10s wget: bad address 'web'", '20s curl: (6) Could not resolve host: web'] });
  });

  it('follows a loop whose condition reads the clock, even through an inner loop', () => {
    const deadline = T0 / 1000 + 30;
    expect(outcome(sh(`while [ $(date +%s) -lt ${deadline} ]; do j=0; while [ $j -lt 1 ]; do j=1; done; sleep 10; done; echo done`))).toEqual({ ms: 30_000, code: 0, logs: ['done'] });
  });
});

describe('what the interpreter does not know is the image’s business', () => {
  const unknown: (string[] | undefined)[] = [['nginx', '-g', 'daemon off;'], ['python', 'app.py'], ['dotnet', 'Pi.Web.dll', '-m', 'web'], ['perl', '-e', 'print 1'], []];
  for (const argv of unknown) {
    it(`leaves ${JSON.stringify(argv)} to the image's behavior`, () => {
      expect(knowsCommand(argv ?? [])).toBe(false);
      expect(containerProgram({ pod: pod(), container: { name: 'c', image: 'nginx', ...(argv!.length > 0 ? { command: argv } : {}) } as Container })).toBeUndefined();
    });
  }

  it('hands over to the image when a script runs its own program (exec nginx)', () => {
    const c = { name: 'c', image: 'nginx:1.27', command: ['sh', '-c', 'echo starting; sleep 1; exec nginx -g "daemon off;"'] } as Container;
    const run = containerProgram({ pod: pod(), container: c, fallback: { exitAfterMs: 10_000, exitCode: 3 } })!.start(T0);
    expect(run.plan).toEqual({ exit: { afterMs: 11_000, exitCode: 3 }, stopAfterMs: 0, stopExitCode: 0 });
    const forever = containerProgram({ pod: pod(), container: c })!.start(T0);
    expect(forever.plan.exit).toBeUndefined();
  });

  it.each<[string, string, boolean]>([
    ['kubernetes-zookeeper', 'start-zookeeper', true],
    ['mysql', 'mysqld', true],
    ['redis', 'docker-entrypoint.sh', true],
    ['kubernetes-zookeeper', 'kubernetes-dashboard', false],
    ['nginx', 'zkOk.sh', false],
  ])('takes a command the shell does not know for the %s image\'s own (%s): %s', (program, command, owns) => {
    expect(imageOwnsCommand(program, command)).toBe(owns);
  });

  it('hands the ZooKeeper StatefulSet\'s start-zookeeper over to its image instead of failing with 127 (kubernetes.io zookeeper.yaml)', () => {
    const c = { name: 'kubernetes-zookeeper', image: 'registry.k8s.io/kubernetes-zookeeper:1.0-3.4.10', command: ['sh', '-c', 'start-zookeeper --servers=3 --data_dir=/var/lib/zookeeper/data'] } as Container;
    const run = containerProgram({ pod: pod(), container: c })!.start(T0);
    expect(run.plan.exit).toBeUndefined();
    // Its readiness probe runs the image's zookeeper-ready, which answers as the image behaves.
    expect(run.exec(['sh', '-c', 'zookeeper-ready 2181'], T0 + 10_000)).toEqual({ output: '', exitCode: 0, endedAt: T0 + 10_000 });
  });

  it('runs the pi one-liner of kubernetes.io job.yaml for a few seconds, printing 2000 digits', () => {
    const r = outcome({ image: 'perl:5.34.0', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] });
    expect(r.code).toBe(0);
    expect(r.ms).toBe(4000);
    expect(r.logs).toHaveLength(1);
    expect(r.logs[0]).toMatch(/^3\.14159265358979323846264338327950288419716939937510/);
    expect(r.logs[0]!.length).toBe(2001);
  });
});

describe('pieces', () => {
  it('reads sleep durations as sleep does', () => {
    expect([sleepMs(['1.5']), sleepMs(['2m']), sleepMs(['1h', '1']), sleepMs(['.5']), sleepMs(['infinity']), sleepMs(['x']), sleepMs([])]).toEqual([1500, 120_000, 3_601_000, 500, Number.POSITIVE_INFINITY, undefined, undefined]);
  });

  it('formats dates as date does', () => {
    expect(formatDate(0)).toBe('Thu Jan  1 00:00:00 UTC 1970');
    expect(formatDate(T0, '%Y-%m-%dT%H:%M:%S%z %a %j %s')).toBe('2026-12-05T17:54:25+0000 Sat 339 1796493265');
  });

  it('computes pi with rounding', () => {
    expect(piDigits(5)).toBe('3.1416');
    expect(piDigits(10)).toBe('3.141592654');
  });

  it('combines command and args with the image as Kubernetes does', () => {
    const c = (x: Partial<Container>): Container => ({ name: 'c', image: 'bash', ...x }) as Container;
    expect(containerArgv(c({}), {})).toEqual(['docker-entrypoint.sh', 'bash']);
    expect(containerArgv(c({ args: ['-c', 'x'] }), {})).toEqual(['docker-entrypoint.sh', '-c', 'x']);
    expect(containerArgv(c({ command: ['sh'] }), {})).toEqual(['sh']);
    expect(containerArgv(c({ command: ['sh'], args: ['-c', 'echo $(A)'] }), { A: '1' })).toEqual(['sh', '-c', 'echo 1']);
    expect(expandReferences('$$(A) $(A) $(B)', { A: 'x' })).toBe('$(A) x $(B)');
  });

  it('parses without running: a syntax tree', () => {
    expect(parseScript('a && b || c').k).toBe('andor');
  });

  it('is deterministic: the same invocation, the same events', () => {
    const environment = { env: {}, files: new Map<string, string>(), hostname: 'h', network: NO_NETWORK };
    const collect = (): unknown[] => {
      const g = runShell({ argv: ['sh', '-c', 'for i in 1 2 3; do date; sleep 1; done'], environment, start: T0 });
      const out: unknown[] = [];
      for (let r = g.next(); ; r = g.next()) {
        out.push(r.value);
        if (r.done === true) return out;
      }
    };
    expect(collect()).toEqual(collect());
  });
});
