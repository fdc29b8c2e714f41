/**
 * The shell interpreter: runs a parsed script on virtual time as a lazy stream of
 * {@link ShellEvent}s (output at a time, loop ticks, a "runs forever" mark) ending in a
 * {@link ShellEnd} (exit code at a time, a hang, or a hand-over to the image's own program).
 *
 * Nothing runs ahead of its consumer: a `while true; do echo x; sleep 5; done` is a generator
 * that produces one line per 5 virtual seconds for as long as it is asked, and says `forever`
 * as soon as one iteration left the shell's state exactly as it found it.
 *
 * @module
 */
import type { Command, Redirect, Word, WordPart } from './ast.js';
import { ArithmeticError, evaluateArithmetic } from './arith.js';
import { formatDate } from './date.js';
import type { ShellNetwork } from './network.js';
import { ShellSyntaxError, parseScript } from './parse.js';
import type { ShellSyntaxProblem } from './parse.js';
import { piDigits } from './pi.js';

/** The first (`head -n`) or last (`tail -n`) `n` lines of `text`, each with its newline. */
function someLines(text: string, n: number, from: 'head' | 'tail'): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return (from === 'head' ? lines.slice(0, n) : lines.slice(Math.max(0, lines.length - n))).map((l) => `${l}\n`).join('');
}

/** Which shell's messages and quirks: busybox/dash `sh`, or `bash`. */
export type ShellDialect = 'sh' | 'bash';

/** What a script runs with: its environment, files, host name and network. */
export interface ShellEnvironment {
  /** The environment variables (the container's `env`, resolved). */
  readonly env: Readonly<Record<string, string>>;
  /** Files visible to the script (mounted ConfigMap/Secret keys), by absolute path. */
  readonly files: ReadonlyMap<string, string>;
  /** What `hostname` prints. */
  readonly hostname: string;
  /** Directories that exist without holding a known file (the container's volume mount paths). */
  readonly directories?: readonly string[] | undefined;
  /** The network commands' view of the network. */
  readonly network: ShellNetwork;
  /**
   * Whether an unknown command is the image's own program (`nginx` in an nginx image): running
   * it hands the container over to the image's behavior instead of failing with 127.
   */
  readonly isImageProgram?: ((name: string) => boolean) | undefined;
}

/** Something a running script did. */
export type ShellEvent =
  /** Output written to the container's log at virtual time `at` (ms). */
  | { readonly kind: 'output'; readonly at: number; readonly stream: 'stdout' | 'stderr'; readonly text: string }
  /** The script is in a loop that repeats with no end (same state after each iteration). */
  | { readonly kind: 'forever'; readonly at: number; readonly periodMs: number }
  /** One loop iteration finished (lets a consumer bound its work). */
  | { readonly kind: 'tick'; readonly at: number }
  /**
   * The script sleeps from `at` to `until`: nothing changes in between (a consumer that wants
   * the script's files at a time in that span may stop reading here).
   */
  | { readonly kind: 'sleep'; readonly at: number; readonly until: number }
  /**
   * The script set (or, with `action` undefined, reset) its SIGTERM handler: `action` is the
   * handler's text. Only a handler that exits makes the container stop on SIGTERM.
   */
  | { readonly kind: 'trap'; readonly at: number; readonly action: string | undefined };

/** How a script ended. */
export type ShellEnd =
  /** The shell exited with `code` at `at`. */
  | { readonly kind: 'exit'; readonly at: number; readonly code: number }
  /** It will never exit nor write again (a busy loop without `sleep`, `sleep infinity`). */
  | { readonly kind: 'hang'; readonly at: number }
  /** It ran the image's own program (`exec nginx ...`) at `at`: the image's behavior takes over. */
  | { readonly kind: 'handover'; readonly at: number; readonly argv: readonly string[] };

/** Hints a consumer gives a running script. */
export interface ShellHints {
  /**
   * The consumer only keeps the last `keepLines` lines written before `horizon`: a loop found
   * to repeat forever may skip whole iterations that would end before them.
   */
  horizon?: number | undefined;
  /** See `horizon`. */
  keepLines?: number | undefined;
}

/** A running script: its events, then its end. */
export type ShellRun = Generator<ShellEvent, ShellEnd, void>;

// ------------------------------------------------------------------------------------ signals

class ExitSignal {
  constructor(readonly code: number) {}
}
class LoopSignal {
  constructor(
    readonly kind: 'break' | 'continue',
    readonly levels: number,
  ) {}
}
class ReturnSignal {
  constructor(readonly code: number) {}
}
class HandoverSignal {
  constructor(readonly argv: readonly string[]) {}
}
class HangSignal {}

/** Where a file descriptor writes. */
type Sink = { readonly k: 'log'; readonly stream: 'stdout' | 'stderr' } | { readonly k: 'file'; readonly path: string } | { readonly k: 'null' } | { readonly k: 'buf'; readonly chunks: string[] };

/** A standard input being read: what commands consume is gone for the next one. */
class Stdin {
  #pos = 0;
  /** `consumed` is told whenever something is read (it changes the shell's state). */
  constructor(
    readonly text: string,
    readonly consumed: () => void,
  ) {}
  /** Everything not read yet. */
  rest(): string {
    const out = this.text.slice(this.#pos);
    if (out !== '') this.consumed();
    this.#pos = this.text.length;
    return out;
  }
  /** The next line (without its newline), undefined at the end. */
  line(): string | undefined {
    if (this.#pos >= this.text.length) return undefined;
    const nl = this.text.indexOf('\n', this.#pos);
    const end = nl < 0 ? this.text.length : nl;
    const out = this.text.slice(this.#pos, end);
    this.#pos = nl < 0 ? this.text.length : nl + 1;
    this.consumed();
    return out;
  }
}

interface IO {
  readonly out: Sink;
  readonly err: Sink;
  /** Standard input, when redirected or piped (else empty). */
  readonly input: Stdin | undefined;
}

/** A Map that counts the changes made to it (setting a key to the value it has is no change). */
class TrackedMap<K, V> extends Map<K, V> {
  constructor(
    readonly changed: () => void,
    entries?: Iterable<readonly [K, V]>,
  ) {
    super();
    if (entries !== undefined) for (const [k, v] of entries) super.set(k, v);
  }
  override set(key: K, value: V): this {
    if (!super.has(key) || super.get(key) !== value) this.changed();
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    if (super.has(key)) this.changed();
    return super.delete(key);
  }
}

/** A Set that counts the changes made to it. */
class TrackedSet<T> extends Set<T> {
  constructor(
    readonly changed: () => void,
    values?: Iterable<T>,
  ) {
    super();
    if (values !== undefined) for (const v of values) super.add(v);
  }
  override add(value: T): this {
    if (!super.has(value)) this.changed();
    return super.add(value);
  }
  override delete(value: T): boolean {
    if (super.has(value)) this.changed();
    return super.delete(value);
  }
}

interface ShellState {
  vars: Map<string, string>;
  arrays: Map<string, string[]>;
  exported: Set<string>;
  funcs: Map<string, Command>;
  files: Map<string, string>;
  status: number;
  errexit: boolean;
  nounset: boolean;
  pipefail: boolean;
  positional: string[];
  cwd: string;
  traps: Map<string, string>;
}

/** Commands the interpreter implements (builtins and the utilities of a busybox image). */
export const SHELL_COMMANDS: ReadonlySet<string> = new Set([
  ':', '.', '[', '[[', 'basename', 'break', 'cat', 'cd', 'continue', 'cp', 'curl', 'date', 'dirname', 'echo', 'env', 'eval', 'exec', 'exit', 'export',
  'expr', 'false', 'grep', 'head', 'hostname', 'let', 'local', 'ls', 'mkdir', 'mv', 'nc', 'ncat', 'nslookup', 'printenv', 'printf', 'pwd', 'read', 'readonly', 'return', 'rev', 'rm', 'seq', 'set',
  'shift', 'sleep', 'source', 'tail', 'test', 'touch', 'trap', 'true', 'uname', 'unset', 'wait', 'wc', 'wget', 'whoami', 'sh', 'bash', 'ash', 'dash',
]);

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash']);

/** Commands executed without virtual time passing before the shell counts itself as hung. */
const BUSY_LIMIT = 100_000;

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? trimmed : trimmed.slice(i + 1);
}

/**
 * Parses a duration as `sleep` reads it: a number with an optional `s`, `m`, `h` or `d`
 * suffix (`1.5`, `2m`), or `infinity`; several arguments add up. Undefined when invalid.
 *
 * @example
 * ```ts
 * sleepMs(['1.5']); // 1500
 * sleepMs(['1m', '30']); // 90000
 * ```
 */
export function sleepMs(args: readonly string[]): number | undefined {
  if (args.length === 0) return undefined;
  let total = 0;
  for (const a of args) {
    if (a === 'inf' || a === 'infinity') return Number.POSITIVE_INFINITY;
    const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(a);
    if (m === null) return undefined;
    const unit = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2]!]!;
    total += Math.round(Number(m[1]) * unit);
  }
  return total;
}

/** The shell's message for a syntax error, in its dialect (bash: `bash: -c: line 1: …`). */
export function syntaxErrorMessage(problem: ShellSyntaxProblem, dialect: ShellDialect, source = '-c'): string {
  if (dialect === 'bash') {
    const where = `bash: ${source}: line ${problem.line}:`;
    switch (problem.kind) {
      case 'quote':
        return `${where} unexpected EOF while looking for matching \`${problem.quote}'`;
      case 'unexpected':
        return `${where} syntax error near unexpected token \`${problem.token}'`;
      case 'eof':
        return `${where} syntax error: unexpected end of file`;
      case 'substitution':
        return `bash: ${problem.text}: bad substitution`;
    }
  }
  switch (problem.kind) {
    case 'quote':
      return `sh: syntax error: unterminated quoted string`;
    case 'unexpected':
      return `sh: syntax error: unexpected "${problem.token}"`;
    case 'eof':
      return `sh: syntax error: unexpected end of file`;
    case 'substitution':
      return `sh: syntax error: bad substitution`;
  }
}

/**
 * One shell process: state, clock, output. Every command is a generator yielding
 * {@link ShellEvent}s and returning its exit status.
 */
class Shell {
  now: number;
  /** Commands run since virtual time last moved. */
  busy = 0;
  /** How many time-dependent observations the script made (a loop iteration that made one cannot be taken to repeat). */
  impure = 0;
  /** Nesting of conditions (`if`, `while`, `&&` left sides, `!`), where errexit does not apply. */
  condDepth = 0;
  readonly pending: ShellEvent[] = [];
  /** How many lines reached the log (for skip-ahead). */
  logLines = 0;

  constructor(
    readonly dialect: ShellDialect,
    readonly envr: ShellEnvironment,
    readonly state: ShellState,
    start: number,
    readonly hints: ShellHints,
  ) {
    this.now = start;
  }

  get name(): string {
    return this.dialect;
  }

  // ------------------------------------------------------------------------------ output

  write(sink: Sink, text: string): void {
    if (text === '') return;
    switch (sink.k) {
      case 'log':
        this.pending.push({ kind: 'output', at: this.now, stream: sink.stream, text });
        for (const c of text) if (c === '\n') this.logLines++;
        return;
      case 'file':
        this.state.files.set(sink.path, (this.state.files.get(sink.path) ?? '') + text);
        return;
      case 'buf':
        sink.chunks.push(text);
        return;
      case 'null':
        return;
    }
  }

  *flush(): Generator<ShellEvent, void, void> {
    while (this.pending.length > 0) yield this.pending.shift()!;
  }

  error(io: IO, message: string): void {
    this.write(io.err, `${message}\n`);
  }

  /** `sh: <msg>` / `bash: line N: <msg>`. */
  diag(io: IO, line: number, message: string): void {
    this.error(io, this.dialect === 'bash' ? `bash: line ${line}: ${message}` : `sh: ${message}`);
  }

  advance(ms: number): void {
    if (ms > 0) {
      this.now += ms;
      this.busy = 0;
    }
  }

  path(p: string): string {
    const abs = p.startsWith('/') ? p : `${this.state.cwd.replace(/\/$/, '')}/${p}`;
    const out: string[] = [];
    for (const seg of abs.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') out.pop();
      else out.push(seg);
    }
    return `/${out.join('/')}`;
  }

  readFile(p: string): string | undefined {
    const path = this.path(p);
    return this.state.files.get(path) ?? this.envr.files.get(path);
  }

  isDir(p: string): boolean {
    const prefix = `${this.path(p).replace(/\/$/, '')}/`;
    if (prefix === '/' || ['/tmp/', '/etc/', '/var/', '/usr/', '/bin/', '/root/', '/home/', '/dev/', '/proc/'].includes(prefix)) return true;
    for (const k of this.state.files.keys()) if (k.startsWith(prefix)) return true;
    for (const k of this.envr.files.keys()) if (k.startsWith(prefix)) return true;
    for (const d of this.envr.directories ?? []) if (`${d.replace(/\/+$/, '')}/`.startsWith(prefix)) return true;
    return false;
  }

  // --------------------------------------------------------------------------- variables

  getVar(name: string): string | undefined {
    const arr = this.state.arrays.get(name);
    if (arr !== undefined) return arr[0];
    return this.state.vars.get(name);
  }

  setVar(name: string, value: string): void {
    this.state.arrays.delete(name);
    this.state.vars.set(name, value);
  }

  special(name: string): string | undefined {
    const s = this.state;
    switch (name) {
      case '?':
        return String(s.status);
      case '#':
        return String(s.positional.length);
      case '$':
        return '1';
      case '!':
        return '';
      case '-':
        return s.errexit ? 'e' : '';
      case '@':
      case '*':
        return s.positional.join(' ');
      case '0':
        return this.name;
      default:
        if (/^\d+$/.test(name)) return s.positional[Number(name) - 1];
        return undefined;
    }
  }

  // ------------------------------------------------------------------------------ expansion

  /** Expands one parameter part into its value(s); several values only for `"${a[@]}"`/`"$@"`. */
  *param(p: Extract<WordPart, { k: 'param' }>, io: IO, line: number): Generator<ShellEvent, string[], void> {
    const s = this.state;
    let values: string[] | undefined;
    const isSpecial = !/^[A-Za-z_]/.test(p.name);
    if (p.index !== undefined) {
      const idx = (yield* this.expandWord(p.index, io, line)).join(' ');
      const arr = s.arrays.get(p.name) ?? (s.vars.has(p.name) ? [s.vars.get(p.name)!] : undefined);
      if (idx === '@' || idx === '*') values = arr === undefined ? [] : arr.filter((x) => x !== undefined);
      else {
        const i = this.arith(idx, io, line);
        const v = arr?.[i < 0 ? (arr.length + i) : i];
        values = v === undefined ? undefined : [v];
      }
      if (p.length) return [String(idx === '@' || idx === '*' ? (values ?? []).length : (values?.[0] ?? '').length)];
      if (idx === '@' || idx === '*') {
        if (p.quoted && idx === '@') return values!;
        return [values!.join(' ')];
      }
    } else if (isSpecial) {
      if (p.name === '@' && p.quoted && !p.length) return [...s.positional];
      const v = this.special(p.name);
      values = v === undefined ? undefined : [v];
    } else {
      const v = this.getVar(p.name);
      values = v === undefined ? undefined : [v];
    }
    const value = values?.[0];
    if (p.length) return [String((value ?? '').length)];
    const unsetOrEmpty = value === undefined || (p.op?.startsWith(':') === true && value === '');
    switch (p.op) {
      case ':-':
      case '-':
        if (unsetOrEmpty) return [(yield* this.expandWord(p.arg ?? [], io, line)).join(' ')];
        break;
      case ':=':
      case '=':
        if (unsetOrEmpty) {
          const v = (yield* this.expandWord(p.arg ?? [], io, line)).join(' ');
          this.setVar(p.name, v);
          return [v];
        }
        break;
      case ':+':
      case '+':
        return unsetOrEmpty ? [''] : [(yield* this.expandWord(p.arg ?? [], io, line)).join(' ')];
      case ':?':
      case '?':
        if (unsetOrEmpty) {
          const msg = (yield* this.expandWord(p.arg ?? [], io, line)).join(' ');
          this.diag(io, line, `${p.name}: ${msg === '' ? 'parameter null or not set' : msg}`);
          throw new ExitSignal(this.dialect === 'bash' ? 1 : 2);
        }
        break;
      default:
        if (value === undefined && s.nounset && !isSpecial) {
          this.diag(io, line, this.dialect === 'bash' ? `${p.name}: unbound variable` : `${p.name}: parameter not set`);
          throw new ExitSignal(this.dialect === 'bash' ? 1 : 2);
        }
    }
    return [value ?? ''];
  }

  arith(text: string, io: IO, line: number): number {
    try {
      return evaluateArithmetic(text, { get: (n) => this.getVar(n), set: (n, v) => this.setVar(n, v) });
    } catch (e) {
      if (!(e instanceof ArithmeticError)) throw e;
      this.diag(io, line, `${text.trim()}: ${e.message}`);
      throw new ExitSignal(this.dialect === 'bash' ? 1 : 2);
    }
  }

  /** Expands a word into fields (field splitting on unquoted expansions; no globbing). */
  *expandWord(word: Word, io: IO, line: number, split = false): Generator<ShellEvent, string[], void> {
    const fields: string[] = [];
    let cur = '';
    let has = false;
    const addSplit = (text: string): void => {
      if (!split) {
        cur += text;
        if (text !== '') has = true;
        return;
      }
      const pieces = text.split(/[ \t\n]+/);
      pieces.forEach((piece, i) => {
        if (i > 0) {
          if (has) fields.push(cur);
          cur = '';
          has = false;
        }
        if (piece !== '') {
          cur += piece;
          has = true;
        }
      });
    };
    for (const p of word) {
      switch (p.k) {
        case 'lit':
          cur += p.v;
          has = true;
          break;
        case 'param': {
          const values = yield* this.param(p, io, line);
          if (p.quoted) {
            if (values.length === 0) break;
            values.forEach((v, i) => {
              if (i > 0) {
                fields.push(cur);
                cur = '';
              }
              cur += v;
              has = true;
            });
            if (values.length === 1 && values[0] === '') has = true;
          } else addSplit(values.join(' '));
          break;
        }
        case 'arith': {
          const text = (yield* this.expandWord(p.expr, io, line)).join(' ');
          const v = String(this.arith(text, io, line));
          if (p.quoted) {
            cur += v;
            has = true;
          } else addSplit(v);
          break;
        }
        case 'subst': {
          const out = (yield* this.capture(p.script, io)).replace(/\n+$/, '');
          if (p.quoted) {
            cur += out;
            has = true;
          } else addSplit(out);
          break;
        }
      }
    }
    if (has || (!split && fields.length === 0)) fields.push(cur);
    return fields;
  }

  *expandWords(words: readonly Word[], io: IO, line: number): Generator<ShellEvent, string[], void> {
    const out: string[] = [];
    for (const w of words) out.push(...(yield* this.expandWord(w, io, line, true)));
    return out;
  }

  /** Runs `script` in a subshell with its stdout captured (command substitution). */
  *capture(script: Command, io: IO): Generator<ShellEvent, string, void> {
    const chunks: string[] = [];
    yield* this.subshell(script, { out: { k: 'buf', chunks }, err: io.err, input: undefined });
    return chunks.join('');
  }

  *subshell(script: Command, io: IO): Generator<ShellEvent, number, void> {
    const saved = this.state;
    const s = this.state;
    const changed = this.changed;
    const copy: ShellState = {
      ...s,
      vars: new TrackedMap(changed, s.vars),
      arrays: new TrackedMap(changed, [...s.arrays].map(([k, v]) => [k, [...v]] as const)),
      exported: new TrackedSet(changed, s.exported),
      funcs: new TrackedMap(changed, s.funcs),
      positional: [...s.positional],
      traps: new TrackedMap(changed, s.traps),
      files: s.files,
    };
    (this as { state: ShellState }).state = copy;
    try {
      return yield* this.run(script, io);
    } catch (e) {
      if (e instanceof ExitSignal) return e.code;
      if (e instanceof LoopSignal) return 0;
      throw e;
    } finally {
      (this as { state: ShellState }).state = saved;
      saved.status = copy.status;
    }
  }

  // ------------------------------------------------------------------------------- running

  /** Runs a command; returns its exit status (and sets `$?`). */
  *run(cmd: Command, io: IO): Generator<ShellEvent, number, void> {
    const status = yield* this.#run(cmd, io);
    this.state.status = status;
    return status;
  }

  *#run(cmd: Command, io: IO): Generator<ShellEvent, number, void> {
    switch (cmd.k) {
      case 'simple': {
        const status = yield* this.simple(cmd, io);
        yield* this.flush();
        this.state.status = status;
        if (status !== 0 && this.state.errexit && this.condDepth === 0) throw new ExitSignal(status);
        return status;
      }
      case 'list': {
        let status = 0;
        for (const item of cmd.items) status = yield* this.run(item, io);
        return status;
      }
      case 'andor': {
        this.condDepth++;
        let left: number;
        try {
          left = yield* this.run(cmd.left, io);
        } finally {
          this.condDepth--;
        }
        if (cmd.op === '&&' ? left !== 0 : left === 0) return left;
        return yield* this.run(cmd.right, io);
      }
      case 'pipeline': {
        if (cmd.bang) this.condDepth++;
        let input = io.input;
        let status = 0;
        let failed = 0;
        try {
          for (let i = 0; i < cmd.commands.length; i++) {
            const last = i === cmd.commands.length - 1;
            const chunks: string[] = [];
            const stageIO: IO = { out: last ? io.out : { k: 'buf', chunks }, err: io.err, input };
            status = cmd.commands.length > 1 ? yield* this.subshell(cmd.commands[i]!, stageIO) : yield* this.run(cmd.commands[i]!, stageIO);
            if (status !== 0) failed = status;
            input = new Stdin(chunks.join(''), this.changed);
          }
        } finally {
          if (cmd.bang) this.condDepth--;
        }
        if (this.state.pipefail) status = failed;
        return cmd.bang ? (status === 0 ? 1 : 0) : status;
      }
      case 'if': {
        const rio = yield* this.redirected(cmd.redirects, io, 0);
        if (rio === undefined) return 1;
        for (const clause of cmd.clauses) {
          if ((yield* this.condition(clause.cond, rio)) === 0) return yield* this.run(clause.body, rio);
        }
        return cmd.otherwise === undefined ? 0 : yield* this.run(cmd.otherwise, rio);
      }
      case 'loop':
        return yield* this.loop(cmd, io);
      case 'for': {
        const rio = yield* this.redirected(cmd.redirects, io, 0);
        if (rio === undefined) return 1;
        const items = cmd.items === undefined ? [...this.state.positional] : yield* this.expandWords(cmd.items, rio, 0);
        let status = 0;
        for (const item of items) {
          this.setVar(cmd.name, item);
          try {
            status = yield* this.run(cmd.body, rio);
          } catch (e) {
            if (!(e instanceof LoopSignal)) throw e;
            if (e.levels > 1) throw new LoopSignal(e.kind, e.levels - 1);
            if (e.kind === 'break') break;
          }
          yield { kind: 'tick', at: this.now };
        }
        return status;
      }
      case 'case': {
        const rio = yield* this.redirected(cmd.redirects, io, 0);
        if (rio === undefined) return 1;
        const subject = (yield* this.expandWord(cmd.subject, rio, 0)).join(' ');
        for (const arm of cmd.arms) {
          for (const pat of arm.patterns) {
            if (globMatch(yield* this.patternOf(pat, rio), subject)) return yield* this.run(arm.body, rio);
          }
        }
        return 0;
      }
      case 'group': {
        const rio = yield* this.redirected(cmd.redirects, io, 0);
        if (rio === undefined) return 1;
        return cmd.subshell ? yield* this.subshell(cmd.body, rio) : yield* this.run(cmd.body, rio);
      }
      case 'function':
        this.state.funcs.set(cmd.name, cmd.body);
        return 0;
      case 'arith': {
        this.busy++;
        if (this.busy > BUSY_LIMIT) throw new HangSignal();
        const text = (yield* this.expandWord(cmd.expr, io, cmd.line)).join(' ');
        return this.arith(text, io, cmd.line) === 0 ? 1 : 0;
      }
      case 'arithfor': {
        const rio = yield* this.redirected(cmd.redirects, io, 0);
        if (rio === undefined) return 1;
        const evalPart = function* (this: Shell, w: Word, empty: number): Generator<ShellEvent, number, void> {
          const text = (yield* this.expandWord(w, rio, 0)).join(' ');
          return text.trim() === '' ? empty : this.arith(text, rio, 0);
        };
        let status = 0;
        yield* evalPart.call(this, cmd.init, 0);
        for (;;) {
          this.busy++;
          if (this.busy > BUSY_LIMIT) throw new HangSignal();
          if ((yield* evalPart.call(this, cmd.cond, 1)) === 0) break;
          try {
            status = yield* this.run(cmd.body, rio);
          } catch (e) {
            if (!(e instanceof LoopSignal)) throw e;
            if (e.levels > 1) throw new LoopSignal(e.kind, e.levels - 1);
            if (e.kind === 'break') break;
          }
          yield* evalPart.call(this, cmd.step, 0);
          yield { kind: 'tick', at: this.now };
        }
        return status;
      }
    }
  }

  *patternOf(word: Word, io: IO): Generator<ShellEvent, string, void> {
    // Quoted parts match literally: escape their glob characters.
    let out = '';
    for (const p of word) {
      const text = (yield* this.expandWord([p], io, 0)).join(' ');
      out += p.quoted || (p.k === 'lit' && p.quoted) ? text.replace(/[*?[\]\\]/g, (c) => `\\${c}`) : text;
    }
    return out;
  }

  *condition(cmd: Command, io: IO): Generator<ShellEvent, number, void> {
    this.condDepth++;
    try {
      return yield* this.run(cmd, io);
    } finally {
      this.condDepth--;
    }
  }

  /** Changes made to the state's variables, arrays, files, functions and traps so far. */
  version = 0;
  readonly changed = (): void => {
    this.version++;
  };

  /**
   * What identifies the shell's state at a loop iteration's start: the change count (equal
   * counts mean the tracked collections did not change in between) and the small fields.
   */
  snapshot(): string {
    const s = this.state;
    return `${this.version}|${s.status}|${s.cwd}|${s.errexit}|${s.nounset}|${s.pipefail}|${JSON.stringify(s.positional)}`;
  }

  *loop(cmd: Extract<Command, { k: 'loop' }>, io: IO): Generator<ShellEvent, number, void> {
    const rio = yield* this.redirected(cmd.redirects, io, 0);
    if (rio === undefined) return 1;
    let status = 0;
    let previous: { key: string; at: number; lines: number } | undefined;
    for (;;) {
      const impureBefore = this.impure;
      const key = this.snapshot();
      if (previous !== undefined && previous.key === key) {
        const period = this.now - previous.at;
        if (period === 0) throw new HangSignal();
        yield { kind: 'forever', at: this.now, periodMs: period };
        // The same state again: every later iteration does the same, `period` ms apart.
        // Skip iterations whose lines the consumer would not keep anyway.
        const { horizon, keepLines } = this.hints;
        if (horizon !== undefined && keepLines !== undefined) {
          const perIteration = Math.max(1, this.logLines - previous.lines);
          const needed = Math.ceil(keepLines / perIteration) + 1;
          const target = horizon - needed * period;
          if (this.now < target) this.now += Math.floor((target - this.now) / period) * period;
        }
      }
      const at = this.now;
      const lines = this.logLines;
      const c = yield* this.condition(cmd.cond, rio);
      if (cmd.until ? c === 0 : c !== 0) break;
      try {
        status = yield* this.run(cmd.body, rio);
      } catch (e) {
        if (!(e instanceof LoopSignal)) throw e;
        if (e.levels > 1) throw new LoopSignal(e.kind, e.levels - 1);
        if (e.kind === 'break') break;
      }
      yield { kind: 'tick', at: this.now };
      previous = this.impure !== impureBefore ? undefined : { key, at, lines };
    }
    return status;
  }

  /** Applies redirections; undefined (after printing the error) when one fails. */
  *redirected(redirects: readonly Redirect[], io: IO, line: number): Generator<ShellEvent, IO | undefined, void> {
    if (redirects.length === 0) return io;
    let out = io.out;
    let err = io.err;
    let input = io.input;
    for (const r of redirects) {
      const target = (yield* this.expandWord(r.target, io, line)).join(' ');
      if (r.heredoc === true) {
        input = new Stdin(target, this.changed);
        continue;
      }
      if (r.op === '>&') {
        const src = target === '1' ? out : target === '2' ? err : undefined;
        if (src === undefined) {
          if (target === '-') continue;
          this.diag({ ...io, err }, line, `${target}: bad file descriptor`);
          return undefined;
        }
        if (r.fd === 1) out = src;
        else if (r.fd === 2) err = src;
        continue;
      }
      if (r.op === '<') {
        const text = this.readFile(target);
        if (text === undefined && target !== '/dev/null') {
          this.diag({ ...io, err }, line, `${target}: No such file or directory`);
          return undefined;
        }
        input = new Stdin(text ?? '', this.changed);
        continue;
      }
      let sink: Sink;
      if (target === '/dev/null') sink = { k: 'null' };
      else if (target === '/dev/stdout') sink = io.out;
      else if (target === '/dev/stderr') sink = io.err;
      else {
        const path = this.path(target);
        const dir = path.slice(0, path.lastIndexOf('/') + 1);
        if (this.envr.files.has(path) || [...this.envr.files.keys()].some((k) => k.startsWith(dir) && !k.slice(dir.length).includes('/'))) {
          this.diag({ ...io, err }, line, this.dialect === 'bash' ? `${target}: Read-only file system` : `can't create ${target}: Read-only file system`);
          return undefined;
        }
        if (r.op === '>') this.state.files.set(path, '');
        else if (!this.state.files.has(path)) this.state.files.set(path, '');
        sink = { k: 'file', path };
      }
      if (r.fd === 1) out = sink;
      else if (r.fd === 2) err = sink;
    }
    return { out, err, input };
  }

  *simple(cmd: Extract<Command, { k: 'simple' }>, io0: IO): Generator<ShellEvent, number, void> {
    this.busy++;
    if (this.busy > BUSY_LIMIT) throw new HangSignal();
    const argv = yield* this.expandWords(cmd.words, io0, cmd.line);
    const io = yield* this.redirected(cmd.redirects, io0, cmd.line);
    if (io === undefined) return 1;
    const assign = function* (this: Shell): Generator<ShellEvent, void, void> {
      for (const a of cmd.assigns) {
        if (a.array !== undefined) {
          const values = yield* this.expandWords(a.array, io, cmd.line);
          this.state.vars.delete(a.name);
          this.state.arrays.set(a.name, values);
        } else this.setVar(a.name, (yield* this.expandWord(a.value ?? [], io, cmd.line)).join(' '));
      }
    };
    if (argv.length === 0) {
      yield* assign.call(this);
      // The status of an assignment-only command is that of its last command substitution.
      return cmd.assigns.some((a) => a.value?.some((p) => p.k === 'subst')) ? this.state.status : 0;
    }
    if (cmd.assigns.length === 0) return yield* this.exec(argv, io, cmd.line);
    // Prefix assignments apply to this command only.
    const saved = new Map(cmd.assigns.map((a) => [a.name, this.state.vars.get(a.name)]));
    yield* assign.call(this);
    try {
      return yield* this.exec(argv, io, cmd.line);
    } finally {
      for (const [k, v] of saved) if (v === undefined) this.state.vars.delete(k);
      else this.state.vars.set(k, v);
    }
  }

  /** Runs a command by name: function, builtin, script file, image program, or not found. */
  *exec(argv: readonly string[], io: IO, line: number): Generator<ShellEvent, number, void> {
    const name = argv[0]!;
    const args = argv.slice(1);
    const fn = this.state.funcs.get(name);
    if (fn !== undefined) {
      const saved = this.state.positional;
      this.state.positional = [...args];
      try {
        return yield* this.run(fn, io);
      } catch (e) {
        if (e instanceof ReturnSignal) return e.code;
        throw e;
      } finally {
        this.state.positional = saved;
      }
    }
    const base = name.includes('/') ? basename(name) : name;
    const known = SHELL_COMMANDS.has(base) && (!name.includes('/') || /^\/(usr\/(local\/)?)?s?bin\//.test(name));
    if (known) return yield* this.builtin(base, args, io, line);
    if (base === 'perl' && args.some((a) => a.includes('bpi('))) return this.perlPi(args, io);
    const script = name.includes('/') ? this.readFile(name) : undefined;
    if (script !== undefined) return yield* this.runScriptText(script, name, args, io, this.dialect);
    if (this.envr.isImageProgram?.(base) === true) throw new HandoverSignal(argv);
    if (name.includes('/')) {
      this.diag(io, line, this.dialect === 'bash' ? `${name}: No such file or directory` : `${name}: not found`);
      return 127;
    }
    this.diag(io, line, this.dialect === 'bash' ? `${name}: command not found` : `${name}: not found`);
    return 127;
  }

  /** Runs script text in a child shell (`sh file`, `./file`) with its own variables. */
  *runScriptText(text: string, source: string, args: readonly string[], io: IO, dialect: ShellDialect): Generator<ShellEvent, number, void> {
    let script: Command;
    try {
      script = parseScript(text);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      this.error(io, syntaxErrorMessage(e.problem, dialect, source));
      return 2;
    }
    const saved = this.state.positional;
    this.state.positional = [...args];
    try {
      return yield* this.subshell(script, io);
    } finally {
      this.state.positional = saved;
    }
  }

  perlPi(args: readonly string[], io: IO): number {
    const m = /bpi\((\d+)\)/.exec(args.join(' '));
    const digits = Math.min(Number(m?.[1] ?? '2000'), 20_000);
    // Perl with bignum computes 2000 digits in a few seconds on a small node.
    this.advance(Math.max(500, Math.round(digits * 2)));
    this.write(io.out, `${piDigits(digits)}\n`);
    return 0;
  }

  // ------------------------------------------------------------------------------ builtins

  *builtin(name: string, args: readonly string[], io: IO, line: number): Generator<ShellEvent, number, void> {
    const s = this.state;
    switch (name) {
      case ':':
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'echo':
        return this.echo(args, io);
      case 'printf':
        return this.printf(args, io, line);
      case 'sleep': {
        const ms = sleepMs(args);
        if (ms === undefined) {
          this.error(io, args.length === 0 ? 'sleep: missing operand' : `sleep: invalid number '${args.find((a) => sleepMs([a]) === undefined) ?? args[0]}'`);
          return 1;
        }
        if (ms === Number.POSITIVE_INFINITY) {
          yield* this.flush();
          throw new HangSignal();
        }
        if (ms > 0) {
          yield* this.flush();
          yield { kind: 'sleep', at: this.now, until: this.now + ms };
        }
        this.advance(ms);
        return 0;
      }
      case 'exit': {
        const code = args.length === 0 ? s.status : Number(args[0]);
        if (!Number.isInteger(code)) {
          this.diag(io, line, `exit: ${args[0]}: numeric argument required`);
          throw new ExitSignal(2);
        }
        throw new ExitSignal(((code % 256) + 256) % 256);
      }
      case 'return': {
        const code = args.length === 0 ? s.status : Number(args[0]);
        throw new ReturnSignal(Number.isInteger(code) ? ((code % 256) + 256) % 256 : 2);
      }
      case 'break':
      case 'continue':
        throw new LoopSignal(name, Math.max(1, Number(args[0] ?? '1') || 1));
      case 'date': {
        let format: string | undefined;
        for (const a of args) if (a.startsWith('+')) format = a.slice(1);
        if (io.out.k !== 'log' && io.out.k !== 'null') this.impure++;
        this.write(io.out, `${formatDate(this.now, format)}\n`);
        return 0;
      }
      case 'hostname':
        this.write(io.out, `${this.envr.hostname}\n`);
        return 0;
      case 'whoami':
        this.write(io.out, 'root\n');
        return 0;
      case 'uname':
        this.write(io.out, args.includes('-a') ? `Linux ${this.envr.hostname} 6.8.0 #1 SMP x86_64 GNU/Linux\n` : 'Linux\n');
        return 0;
      case 'pwd':
        this.write(io.out, `${s.cwd}\n`);
        return 0;
      case 'cd': {
        const dir = args[0] ?? s.vars.get('HOME') ?? '/';
        if (!this.isDir(dir)) {
          this.diag(io, line, `cd: ${dir}: No such file or directory`);
          return 1;
        }
        s.cwd = this.path(dir);
        return 0;
      }
      case 'cat': {
        const files = args.filter((a) => !/^-[a-zA-Z]+$/.test(a));
        if (files.length === 0) {
          this.write(io.out, io.input?.rest() ?? '');
          return 0;
        }
        let status = 0;
        for (const f of files) {
          const text = f === '-' ? (io.input?.rest() ?? '') : this.readFile(f);
          if (text === undefined) {
            this.error(io, `cat: ${this.isDir(f) ? `read error: Is a directory` : `can't open '${f}': No such file or directory`}`);
            status = 1;
          } else this.write(io.out, text);
        }
        return status;
      }
      case 'rev': {
        // busybox/util-linux rev: each line's characters reversed, newlines kept
        const reverse = (text: string): string => text.split('\n').map((l) => [...l].reverse().join('')).join('\n');
        const files = args.filter((a) => a !== '-');
        if (files.length === 0) {
          this.write(io.out, reverse(io.input?.rest() ?? ''));
          return 0;
        }
        let status = 0;
        for (const f of files) {
          const text = this.readFile(f);
          if (text === undefined) {
            this.error(io, `rev: ${f}: No such file or directory`);
            status = 1;
          } else this.write(io.out, reverse(text));
        }
        return status;
      }
      case 'head':
      case 'tail': {
        let n = 10;
        const files: string[] = [];
        // tail -f follows the file for ever; -F also waits for a file that is not there yet.
        let follow: 'f' | 'F' | undefined;
        for (let i = 0; i < args.length; i++) {
          const a = args[i]!;
          if (a === '-n') n = Number(args[++i] ?? '10');
          else if (/^-n?\d+$/.test(a)) n = Number(a.replace(/^-n?/, ''));
          else if (name === 'tail' && /^-[fF]+$/.test(a)) follow = a.includes('F') ? 'F' : 'f';
          else files.push(a);
        }
        if (follow !== undefined && files.length > 0) {
          const followed = this.readFile(files[0]!);
          if (followed === undefined) {
            this.error(io, `tail: can't open '${files[0]!}': No such file or directory`);
            if (follow === 'f') {
              this.error(io, 'tail: no files');
              return 1;
            }
          } else this.write(io.out, someLines(followed, n, 'tail'));
          // What another process appends later is not seen: the follower only waits.
          yield* this.flush();
          throw new HangSignal();
        }
        const text = files.length === 0 ? (io.input?.rest() ?? '') : (this.readFile(files[0]!) ?? '');
        this.write(io.out, someLines(text, n, name));
        return 0;
      }
      case 'grep': {
        const flags = new Set<string>();
        const rest: string[] = [];
        for (const a of args) {
          if (/^-[a-zA-Z]+$/.test(a)) for (const f of a.slice(1)) flags.add(f);
          else rest.push(a);
        }
        const pattern = rest[0];
        if (pattern === undefined) {
          this.error(io, 'Usage: grep [-cilnqvEF] PATTERN [FILE]...');
          return 2;
        }
        const text = rest.length > 1 ? rest.slice(1).map((f) => this.readFile(f) ?? '').join('') : (io.input?.rest() ?? '');
        let re: RegExp;
        try {
          re = new RegExp(flags.has('F') ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : pattern, flags.has('i') ? 'i' : '');
        } catch {
          this.error(io, `grep: bad regex '${pattern}'`);
          return 2;
        }
        const lines = text.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        const matched = lines.filter((l) => re.test(l) !== flags.has('v'));
        if (flags.has('c')) this.write(io.out, `${matched.length}\n`);
        else if (!flags.has('q')) this.write(io.out, matched.map((l) => `${l}\n`).join(''));
        return matched.length > 0 ? 0 : 1;
      }
      case 'wc': {
        const text = args.filter((a) => !a.startsWith('-')).map((f) => this.readFile(f) ?? '').join('') || (io.input?.rest() ?? '');
        const lines = (text.match(/\n/g) ?? []).length;
        const words = text.split(/\s+/).filter((w) => w !== '').length;
        if (args.includes('-l')) this.write(io.out, `${lines}\n`);
        else if (args.includes('-w')) this.write(io.out, `${words}\n`);
        else if (args.includes('-c')) this.write(io.out, `${text.length}\n`);
        else this.write(io.out, `${String(lines).padStart(7)} ${String(words).padStart(7)} ${String(text.length).padStart(7)}\n`);
        return 0;
      }
      case 'ls': {
        const targets = args.filter((a) => !a.startsWith('-'));
        const dir = targets[0] ?? s.cwd;
        if (this.readFile(dir) !== undefined) {
          this.write(io.out, `${dir}\n`);
          return 0;
        }
        if (!this.isDir(dir)) {
          this.error(io, `ls: ${dir}: No such file or directory`);
          return 1;
        }
        const prefix = `${this.path(dir).replace(/\/$/, '')}/`;
        const names = new Set<string>();
        for (const k of [...s.files.keys(), ...this.envr.files.keys()]) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]!);
        for (const n of [...names].sort()) this.write(io.out, `${n}\n`);
        return 0;
      }
      case 'mkdir':
        return 0;
      case 'touch':
        for (const f of args) if (!f.startsWith('-') && this.readFile(f) === undefined) s.files.set(this.path(f), '');
        return 0;
      case 'rm':
        for (const f of args) if (!f.startsWith('-')) s.files.delete(this.path(f));
        return 0;
      case 'nc':
      case 'ncat': {
        // A listener (`ncat --listen --keep-open ... 3307`, a replication or backup server) waits
        // for connections for ever; the fake network carries no raw TCP, so a client fails.
        if (args.some((a) => a === '-l' || a === '--listen' || /^-[a-zA-Z]*l[a-zA-Z]*$/.test(a))) {
          yield* this.flush();
          throw new HangSignal();
        }
        this.error(io, name === 'ncat' ? 'Ncat: Connection refused.' : `${name}: connect failed: Connection refused`);
        return 1;
      }
      case 'cp':
      case 'mv': {
        const operands = args.filter((a) => !a.startsWith('-'));
        if (operands.length < 2) {
          this.error(io, `${name}: missing file operand`);
          return 1;
        }
        const dest = operands[operands.length - 1]!;
        const sources = operands.slice(0, -1);
        const intoDir = sources.length > 1 || dest.endsWith('/') || (this.isDir(dest) && this.readFile(dest) === undefined);
        let status = 0;
        for (const source of sources) {
          const text = this.readFile(source);
          if (text === undefined) {
            this.error(io, `${name}: can't stat '${source}': No such file or directory`);
            status = 1;
            continue;
          }
          const target = this.path(intoDir ? `${dest.replace(/\/+$/, '')}/${basename(source)}` : dest);
          if (this.envr.files.has(target)) {
            this.error(io, `${name}: can't create '${target}': Read-only file system`);
            status = 1;
            continue;
          }
          s.files.set(target, text);
          if (name === 'mv') s.files.delete(this.path(source));
        }
        return status;
      }
      case 'basename':
        this.write(io.out, `${basename(args[0] ?? '')}\n`);
        return 0;
      case 'dirname': {
        const p = args[0] ?? '.';
        const i = p.replace(/\/+$/, '').lastIndexOf('/');
        this.write(io.out, `${i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i)}\n`);
        return 0;
      }
      case 'seq': {
        const nums = args.map(Number);
        const [first, incr, last] = nums.length === 1 ? [1, 1, nums[0]!] : nums.length === 2 ? [nums[0]!, 1, nums[1]!] : [nums[0]!, nums[1]!, nums[2]!];
        if (nums.some((n) => !Number.isFinite(n)) || incr === 0) {
          this.error(io, `seq: invalid argument`);
          return 1;
        }
        let out = '';
        for (let v = first, k = 0; incr > 0 ? v <= last : v >= last; v += incr, k++) {
          if (k >= 100_000) break;
          out += `${v}\n`;
        }
        this.write(io.out, out);
        return 0;
      }
      case 'expr': {
        const text = args.join(' ').replace(/\\\*/g, '*');
        try {
          const v = evaluateArithmetic(text.replace(/ = /g, ' == '), { get: () => undefined, set: () => undefined });
          this.write(io.out, `${v}\n`);
          return v === 0 ? 1 : 0;
        } catch {
          this.error(io, 'expr: syntax error');
          return 2;
        }
      }
      case 'let': {
        let v = 0;
        for (const a of args) v = this.arith(a, io, line);
        return v === 0 ? 1 : 0;
      }
      case 'export':
      case 'readonly':
      case 'local': {
        for (const a of args) {
          if (a.startsWith('-')) continue;
          const eq = a.indexOf('=');
          const n = eq < 0 ? a : a.slice(0, eq);
          if (eq >= 0) this.setVar(n, a.slice(eq + 1));
          if (name === 'export') s.exported.add(n);
        }
        return 0;
      }
      case 'unset':
        for (const a of args) {
          if (a.startsWith('-')) continue;
          s.vars.delete(a);
          s.arrays.delete(a);
          s.funcs.delete(a);
        }
        return 0;
      case 'set': {
        for (let i = 0; i < args.length; i++) {
          const a = args[i]!;
          if (a === '--') {
            s.positional = args.slice(i + 1);
            break;
          }
          if (a === '-o' || a === '+o') {
            const opt = args[++i];
            if (opt === 'pipefail') s.pipefail = a === '-o';
            if (opt === 'errexit') s.errexit = a === '-o';
            if (opt === 'nounset') s.nounset = a === '-o';
            continue;
          }
          if (/^[-+][a-zA-Z]+$/.test(a)) {
            const on = a.startsWith('-');
            if (a.includes('e')) s.errexit = on;
            if (a.includes('u')) s.nounset = on;
            continue;
          }
          s.positional = args.slice(i);
          break;
        }
        return 0;
      }
      case 'shift': {
        const n = Number(args[0] ?? '1');
        if (n > s.positional.length) return 1;
        s.positional = s.positional.slice(n);
        return 0;
      }
      case 'trap': {
        if (args.length >= 2) {
          for (const sig of args.slice(1)) {
            const name = sig.replace(/^SIG/i, '').toUpperCase();
            const action = args[0] === '-' ? undefined : args[0]!;
            if (action === undefined) s.traps.delete(name);
            else s.traps.set(name, action);
            if (name === 'TERM' || name === '15') this.pending.push({ kind: 'trap', at: this.now, action });
          }
        }
        return 0;
      }
      case 'wait':
        return 0;
      case 'read': {
        const names = args.filter((a) => !a.startsWith('-'));
        const first = io.input?.line();
        if (first === undefined) return 1;
        const words = first.trim().split(/[ \t]+/);
        (names.length === 0 ? ['REPLY'] : names).forEach((n, i, all) => this.setVar(n, i === all.length - 1 ? words.slice(i).join(' ') : (words[i] ?? '')));
        return 0;
      }
      case 'env':
      case 'printenv': {
        if (name === 'printenv' && args.length > 0) {
          let status = 0;
          for (const a of args) {
            const v = s.exported.has(a) ? s.vars.get(a) : undefined;
            if (v === undefined) status = 1;
            else this.write(io.out, `${v}\n`);
          }
          return status;
        }
        if (name === 'env' && args.length > 0) {
          const i = args.findIndex((a) => !a.includes('='));
          if (i >= 0) return yield* this.exec(args.slice(i), io, line);
        }
        for (const k of [...s.exported].sort()) {
          const v = s.vars.get(k);
          if (v !== undefined) this.write(io.out, `${k}=${v}\n`);
        }
        return 0;
      }
      case 'test':
      case '[':
      case '[[': {
        let a = [...args];
        if (name !== 'test') {
          const close = name === '[' ? ']' : ']]';
          if (a[a.length - 1] !== close) {
            this.diag(io, line, name === '[' ? `[: missing \`]'` : `syntax error in conditional expression`);
            return 2;
          }
          a = a.slice(0, -1);
        }
        const r = this.test(a, name === '[[');
        if (typeof r === 'string') {
          this.diag(io, line, `${name}: ${r}`);
          return 2;
        }
        return r ? 0 : 1;
      }
      case 'eval': {
        const text = args.join(' ');
        return yield* this.evalText(text, io);
      }
      case '.':
      case 'source': {
        const file = args[0];
        const text = file === undefined ? undefined : this.readFile(file);
        if (text === undefined) {
          this.diag(io, line, `${name}: ${file ?? ''}: No such file or directory`);
          return 1;
        }
        return yield* this.evalText(text, io);
      }
      case 'exec': {
        if (args.length === 0) return 0;
        const status = yield* this.exec(args, io, line);
        throw new ExitSignal(status);
      }
      case 'sh':
      case 'bash':
      case 'ash':
      case 'dash':
        return yield* this.childShell(name === 'bash' ? 'bash' : 'sh', args, io);
      case 'wget':
        return this.wget(args, io);
      case 'curl':
        return this.curl(args, io);
      case 'nslookup':
        return this.nslookup(args, io);
      default:
        this.diag(io, line, `${name}: not found`);
        return 127;
    }
  }

  *evalText(text: string, io: IO): Generator<ShellEvent, number, void> {
    let script: Command;
    try {
      script = parseScript(text);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      this.error(io, syntaxErrorMessage(e.problem, this.dialect));
      return 2;
    }
    return yield* this.run(script, io);
  }

  *childShell(dialect: ShellDialect, args: readonly string[], io: IO): Generator<ShellEvent, number, void> {
    const parsed = parseShellArgs(args);
    if (parsed.script !== undefined) return yield* this.runScriptText(parsed.script, '-c', parsed.positional, io, dialect);
    if (parsed.file !== undefined) {
      const text = this.readFile(parsed.file);
      if (text === undefined) {
        this.error(io, dialect === 'bash' ? `bash: ${parsed.file}: No such file or directory` : `sh: can't open '${parsed.file}': No such file or directory`);
        return dialect === 'bash' ? 127 : 2;
      }
      return yield* this.runScriptText(text, parsed.file, parsed.positional, io, dialect);
    }
    // No script: reads its (empty) standard input and exits.
    return io.input === undefined ? 0 : yield* this.evalText(io.input.rest(), io);
  }

  echo(args: readonly string[], io: IO): number {
    let newline = true;
    let escapes = false;
    let i = 0;
    for (; i < args.length; i++) {
      const a = args[i]!;
      if (!/^-[neE]+$/.test(a)) break;
      if (a.includes('n')) newline = false;
      if (a.includes('e')) escapes = true;
      if (a.includes('E')) escapes = false;
    }
    let text = args.slice(i).join(' ');
    if (escapes) {
      const cut = text.indexOf('\\c');
      if (cut >= 0) {
        text = text.slice(0, cut);
        newline = false;
      }
      text = unescape(text);
    }
    this.write(io.out, newline ? `${text}\n` : text);
    return 0;
  }

  printf(args: readonly string[], io: IO, line: number): number {
    if (args.length === 0) {
      this.error(io, 'printf: usage: printf format [arguments]');
      return 2;
    }
    const format = args[0]!;
    const rest = args.slice(1);
    let k = 0;
    let out = '';
    let status = 0;
    do {
      let used = false;
      out += format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdiuxXofgcb%])|\\(0[0-7]{0,3}|[\\abfnrtv"])/g, (_all, flags: string | undefined, width: string | undefined, prec: string | undefined, conv: string | undefined, esc: string | undefined) => {
        if (esc !== undefined) return unescape(`\\${esc}`);
        if (conv === '%') return '%';
        used = true;
        const arg = rest[k++] ?? '';
        let text: string;
        switch (conv) {
          case 's':
            text = prec === undefined ? arg : arg.slice(0, Number(prec));
            break;
          case 'b':
            text = unescape(arg);
            break;
          case 'c':
            text = arg.slice(0, 1);
            break;
          default: {
            const n = arg === '' ? 0 : Number(arg);
            if (!Number.isFinite(n)) {
              this.diag(io, line, `printf: ${arg}: invalid number`);
              status = 1;
            }
            const v = Number.isFinite(n) ? n : 0;
            if (conv === 'f') text = v.toFixed(prec === undefined ? 6 : Number(prec));
            else if (conv === 'g') text = String(v);
            else if (conv === 'x') text = Math.trunc(v).toString(16);
            else if (conv === 'X') text = Math.trunc(v).toString(16).toUpperCase();
            else if (conv === 'o') text = Math.trunc(v).toString(8);
            else text = String(Math.trunc(v));
            if ((flags ?? '').includes('+') && v >= 0) text = `+${text}`;
          }
        }
        const w = Number(width ?? '0');
        if (text.length < w) text = (flags ?? '').includes('-') ? text.padEnd(w) : (flags ?? '').includes('0') && conv !== 's' ? text.padStart(w, '0') : text.padStart(w);
        return text;
      });
      if (!used) break;
    } while (k < rest.length);
    this.write(io.out, out);
    return status;
  }

  test(a: readonly string[], extended: boolean): boolean | string {
    const unary = (op: string, x: string): boolean | string => {
      switch (op) {
        case '-z':
          return x === '';
        case '-n':
          return x !== '';
        case '-e':
        case '-f':
        case '-r':
        case '-s':
        case '-x':
          return op === '-s' ? (this.readFile(x) ?? '') !== '' : this.readFile(x) !== undefined || (op === '-e' && this.isDir(x));
        case '-d':
          return this.isDir(x) && this.readFile(x) === undefined;
        default:
          return `${op}: unary operator expected`;
      }
    };
    const binary = (x: string, op: string, y: string): boolean | string => {
      const num = (v: string): number | string => (/^\s*-?\d+\s*$/.test(v) ? Number(v) : `${v}: integer expression expected`);
      switch (op) {
        case '=':
        case '==':
          return extended ? globMatch(y, x) : x === y;
        case '!=':
          return extended ? !globMatch(y, x) : x !== y;
        case '<':
          return x < y;
        case '>':
          return x > y;
        case '=~':
          try {
            // bash keeps the match and its groups in BASH_REMATCH (emptied when nothing matched)
            const m = new RegExp(y).exec(x);
            this.state.arrays.set('BASH_REMATCH', m === null ? [] : m.map((g) => g ?? ''));
            return m !== null;
          } catch {
            return false;
          }
        case '-eq':
        case '-ne':
        case '-lt':
        case '-le':
        case '-gt':
        case '-ge': {
          const p = num(x);
          const q = num(y);
          if (typeof p === 'string') return p;
          if (typeof q === 'string') return q;
          return op === '-eq' ? p === q : op === '-ne' ? p !== q : op === '-lt' ? p < q : op === '-le' ? p <= q : op === '-gt' ? p > q : p >= q;
        }
        default:
          return `${op}: binary operator expected`;
      }
    };
    const expr = (xs: readonly string[]): boolean | string => {
      const or = xs.findIndex((x) => x === '-o' || x === '||');
      if (or > 0) {
        const l = expr(xs.slice(0, or));
        const r = expr(xs.slice(or + 1));
        return typeof l === 'string' ? l : typeof r === 'string' ? r : l || r;
      }
      const and = xs.findIndex((x) => x === '-a' || x === '&&');
      if (and > 0) {
        const l = expr(xs.slice(0, and));
        const r = expr(xs.slice(and + 1));
        return typeof l === 'string' ? l : typeof r === 'string' ? r : l && r;
      }
      if (xs[0] === '!' && xs.length > 1) {
        const r = expr(xs.slice(1));
        return typeof r === 'string' ? r : !r;
      }
      if (xs[0] === '(' && xs[xs.length - 1] === ')') return expr(xs.slice(1, -1));
      switch (xs.length) {
        case 0:
          return false;
        case 1:
          return xs[0] !== '';
        case 2:
          return unary(xs[0]!, xs[1]!);
        case 3:
          return binary(xs[0]!, xs[1]!, xs[2]!);
        default:
          return 'too many arguments';
      }
    };
    return expr(a);
  }

  // ------------------------------------------------------------------------------- network

  #timed(ms: number | undefined): void {
    if (this.envr.network.timeInvariant !== true) this.impure++;
    this.advance(ms ?? 0);
  }

  wget(args: readonly string[], io: IO): number {
    let quiet = false;
    let output: string | undefined;
    let timeoutMs = 900_000;
    let url: string | undefined;
    // short options bundle as getopt's do: `-qO-` is `-q -O -`, `-qT5` is `-q -T 5`
    const expanded: string[] = [];
    for (const a of args) {
      const bundle = /^-([qS]+)([OT]?)(.*)$/.exec(a);
      if (bundle === null || (bundle[2] === '' && bundle[3] !== '') || a.length <= 2) expanded.push(a);
      else expanded.push(...[...bundle[1]!].map((c) => `-${c}`), ...(bundle[2] === '' ? [] : [`-${bundle[2]}`, ...(bundle[3] === '' ? [] : [bundle[3]!])]));
    }
    for (let i = 0; i < expanded.length; i++) {
      const a = expanded[i]!;
      if (a === '-q' || a === '--quiet') quiet = true;
      else if (a === '-O' || a === '--output-document') output = expanded[++i];
      else if (a.startsWith('-O') && a.length > 2) output = a.slice(2);
      else if (a === '-T' || a === '--timeout') timeoutMs = Number(expanded[++i] ?? '900') * 1000;
      else if (a === '--spider' || a === '-S') continue;
      else if (!a.startsWith('-')) url = a;
    }
    if (url === undefined) {
      this.error(io, 'BusyBox v1.36.1 multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...');
      return 1;
    }
    const full = /^[a-z]+:\/\//.test(url) ? url : `http://${url}`;
    const host = hostOf(full);
    const answer = this.envr.network.http(full, this.now);
    if (!quiet && answer.kind !== 'unresolved') this.error(io, `Connecting to ${host.port === undefined ? host.name : `${host.name}:${host.port}`} (${host.name}:${host.port ?? (full.startsWith('https:') ? 443 : 80)})`);
    switch (answer.kind) {
      case 'unresolved':
        this.#timed(answer.ms ?? 0);
        this.error(io, `wget: bad address '${host.name}'`);
        return 1;
      case 'refused':
        this.#timed(answer.ms);
        this.error(io, `wget: can't connect to remote host: Connection refused`);
        return 1;
      case 'timeout':
        this.#timed(Math.min(answer.ms, timeoutMs));
        this.error(io, 'wget: download timed out');
        return 1;
      case 'response': {
        this.#timed(answer.ms);
        if (answer.status >= 400) {
          this.error(io, `wget: server returned error: HTTP/1.1 ${answer.status} ${statusText(answer.status)}`);
          return 1;
        }
        const file = output ?? (basename(new URL(full).pathname) || 'index.html');
        if (file === '-') this.write(io.out, answer.body);
        else {
          if (!quiet) this.error(io, `saving to '${file}'`);
          this.state.files.set(this.path(file), answer.body);
        }
        return 0;
      }
    }
  }

  curl(args: readonly string[], io: IO): number {
    let silent = false;
    let fail = false;
    let output: string | undefined;
    let url: string | undefined;
    let maxMs = Number.POSITIVE_INFINITY;
    let showErrors = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-o' || a === '--output') output = args[++i];
      else if (a === '-m' || a === '--max-time' || a === '--connect-timeout') maxMs = Number(args[++i] ?? '0') * 1000;
      else if (a === '-H' || a === '-X' || a === '-d' || a === '-w' || a === '-u' || a === '-A') i++;
      else if (/^-[a-zA-Z]+$/.test(a)) {
        if (a.includes('s')) silent = true;
        if (a.includes('f')) fail = true;
        if (a.includes('S')) showErrors = true;
      } else if (a === '--silent') silent = true;
      else if (a === '--fail') fail = true;
      else if (!a.startsWith('-')) url = a;
    }
    const report = (code: number, message: string): number => {
      if (!silent || showErrors) this.error(io, `curl: (${code}) ${message}`);
      return code;
    };
    if (url === undefined) {
      this.error(io, "curl: try 'curl --help' or 'curl --manual' for more information");
      return 2;
    }
    const full = /^[a-z]+:\/\//.test(url) ? url : `http://${url}`;
    const host = hostOf(full);
    const answer = this.envr.network.http(full, this.now);
    switch (answer.kind) {
      case 'unresolved':
        this.#timed(answer.ms ?? 0);
        return report(6, `Could not resolve host: ${host.name}`);
      case 'refused':
        this.#timed(answer.ms);
        return report(7, `Failed to connect to ${host.name} port ${host.port ?? 80} after 0 ms: Couldn't connect to server`);
      case 'timeout': {
        const waited = Math.min(answer.ms, maxMs);
        this.#timed(waited);
        return report(28, `Connection timed out after ${waited} milliseconds`);
      }
      case 'response':
        this.#timed(answer.ms);
        if (fail && answer.status >= 400) return report(22, `The requested URL returned error: ${answer.status}`);
        if (output !== undefined && output !== '-') this.state.files.set(this.path(output), answer.body);
        else this.write(io.out, answer.body);
        return 0;
    }
  }

  nslookup(args: readonly string[], io: IO): number {
    const name = args.find((a) => !a.startsWith('-'));
    if (name === undefined) {
      this.error(io, 'BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]');
      return 1;
    }
    const timeoutMs = this.envr.network.dnsTimeoutMs?.(this.now);
    if (timeoutMs !== undefined) {
      // BusyBox's words when its queries to the server all go unanswered
      this.#timed(timeoutMs);
      this.write(io.out, ';; connection timed out; no servers could be reached\n\n');
      return 1;
    }
    this.#timed(0);
    const addresses = this.envr.network.resolve(name, this.now);
    const server = 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n';
    if (addresses.length === 0) {
      this.write(io.out, `${server}** server can't find ${name}: NXDOMAIN\n\n`);
      return 1;
    }
    const shown = this.envr.network.canonicalName?.(name, this.now) ?? name;
    this.write(io.out, `${server}Name:\t${shown}\n${addresses.map((a) => `Address: ${a}`).join('\n')}\n\n`);
    return 0;
  }
}

function statusText(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' } as Record<number, string>)[status] ?? '';
}

function hostOf(url: string): { name: string; port: string | undefined } {
  const m = /^[a-z]+:\/\/([^/:?#]+)(?::(\d+))?/.exec(url);
  return { name: m?.[1] ?? url, port: m?.[2] };
}

function unescape(text: string): string {
  return text.replace(/\\(0[0-7]{0,3}|[\\abfnrtv"]|.)/g, (all, c: string) => {
    switch (c[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case '\\': return '\\';
      case '"': return '"';
      case '0': return String.fromCharCode(parseInt(c.slice(1) || '0', 8));
      default: return all;
    }
  });
}

/** Shell pattern matching (`*`, `?`, `[...]`, backslash escapes) of a whole string. */
export function globMatch(pattern: string, text: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(text);
}

/** What `sh`/`bash` were asked to run: `-c script [name [args…]]`, a script file, or stdin. */
export function parseShellArgs(args: readonly string[]): { script?: string; file?: string; positional: string[]; errexit: boolean; nounset: boolean; pipefail: boolean } {
  let errexit = false;
  let nounset = false;
  let pipefail = false;
  let command = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-o' || a === '+o') {
      if (args[i + 1] === 'pipefail') pipefail = a === '-o';
      if (args[i + 1] === 'errexit') errexit = a === '-o';
      i++;
      continue;
    }
    if (a === '--login' || a === '--norc' || a === '--noprofile' || a === '--posix') continue;
    if (!/^[-+][a-zA-Z]+$/.test(a)) break;
    if (a.startsWith('-')) {
      if (a.includes('c')) command = true;
      if (a.includes('e')) errexit = true;
      if (a.includes('u')) nounset = true;
    }
  }
  const rest = args.slice(i);
  if (command) return { script: rest[0] ?? '', positional: rest.slice(2), errexit, nounset, pipefail };
  if (rest.length > 0) return { file: rest[0]!, positional: rest.slice(1), errexit, nounset, pipefail };
  return { positional: [], errexit, nounset, pipefail };
}

/** The start of a shell run: the program and its arguments. */
export interface ShellInvocation {
  /** `argv` as the container runs it (after Kubernetes combined command/args with the image's). */
  readonly argv: readonly string[];
  /** The environment. */
  readonly environment: ShellEnvironment;
  /** Virtual time at which it starts (ms). */
  readonly start: number;
  /** Consumer hints (see {@link ShellHints}); may be changed while the run is consumed. */
  readonly hints?: ShellHints | undefined;
  /**
   * Writable files the script starts with, by absolute path (a pod's emptyDir contents). When
   * the run ends (exit, hang or handover), this map is set to the files the script leaves:
   * these, changed, plus every file it wrote. Unchanged when the run is abandoned before its end.
   */
  readonly files?: Map<string, string> | undefined;
  /**
   * Set when the run starts to the script's own file table, live: read between events, it is
   * the files as the script has them at that point (e.g. at a `sleep` event, for the whole
   * sleep).
   */
  readonly live?: { files?: ReadonlyMap<string, string> } | undefined;
}

/**
 * Whether the interpreter knows `argv` as a whole: a shell (`sh`, `bash`, `/bin/sh`, ...),
 * one of its builtin utilities (`sleep`, `echo`, `date`, `cat`, `wget`, ...), the bash image's
 * `docker-entrypoint.sh`, or Perl's π one-liner. Anything else (`nginx -g 'daemon off;'`,
 * `python app.py`, an empty argv) is the image's business.
 *
 * @example
 * ```ts
 * knowsCommand(['bash', '-c', 'exit 3']); // true
 * knowsCommand(['nginx', '-g', 'daemon off;']); // false
 * ```
 */
export function knowsCommand(argv: readonly string[]): boolean {
  const resolved = unwrapEntrypoint(argv);
  if (resolved.length === 0) return false;
  const base = basename(resolved[0]!);
  if (base === 'perl') return resolved.some((a) => a.includes('bpi('));
  return SHELL_COMMANDS.has(base) && !['break', 'continue', 'return', 'exit', 'shift', 'local', 'export', 'readonly', 'unset', 'set', 'eval', '.', 'source', 'trap', 'wait', 'cd', 'let', 'read', ':', '[[', 'exec'].includes(base);
}

/** The bash image's `docker-entrypoint.sh`: runs `bash` with the arguments if they begin with an option, else the arguments. */
function unwrapEntrypoint(argv: readonly string[]): readonly string[] {
  if (argv.length > 0 && basename(argv[0]!) === 'docker-entrypoint.sh') {
    const rest = argv.slice(1);
    return rest.length === 0 || rest[0]!.startsWith('-') ? ['bash', ...rest] : rest;
  }
  return argv;
}

/**
 * Runs `argv` (which {@link knowsCommand} accepted) on virtual time, lazily.
 *
 * Guarantees: deterministic (the same invocation gives the same events and end); never throws
 * for anything the script does — a syntax error is output plus `exit 2`, an unknown command
 * `sh: x: not found` and status 127; an infinite loop whose iterations leave the state unchanged
 * yields `forever`; more than 100 000 commands without virtual time passing end in `hang`.
 *
 * @example
 * ```ts
 * const run = runShell({ argv: ['sh', '-c', 'echo hi; sleep 2; exit 3'], environment, start: 0 });
 * // yields { kind: 'output', at: 0, stream: 'stdout', text: 'hi\n' }, returns { kind: 'exit', at: 2000, code: 3 }
 * ```
 */
export function* runShell(invocation: ShellInvocation): ShellRun {
  const left: { files?: ReadonlyMap<string, string> } = {};
  const end = yield* runShellWith(invocation, left);
  if (invocation.files !== undefined && left.files !== undefined) {
    const files = [...left.files];
    invocation.files.clear();
    for (const [k, v] of files) invocation.files.set(k, v);
  }
  return end;
}

function* runShellWith(invocation: ShellInvocation, left: { files?: ReadonlyMap<string, string> }): ShellRun {
  const argv = unwrapEntrypoint(invocation.argv);
  const first = basename(argv[0] ?? '');
  const dialect: ShellDialect = first === 'bash' ? 'bash' : 'sh';
  const env = invocation.environment;
  let bump = (): void => undefined;
  const changed = (): void => bump();
  const state: ShellState = {
    vars: new TrackedMap(changed, Object.entries(env.env)),
    arrays: new TrackedMap(changed),
    exported: new TrackedSet(changed, Object.keys(env.env)),
    funcs: new TrackedMap(changed),
    files: new TrackedMap(changed, invocation.files),
    status: 0,
    errexit: false,
    nounset: false,
    pipefail: false,
    positional: [],
    cwd: '/',
    traps: new TrackedMap(changed),
  };
  left.files = state.files;
  if (invocation.live !== undefined) invocation.live.files = state.files;
  const shell = new Shell(dialect, env, state, invocation.start, invocation.hints ?? {});
  bump = shell.changed;
  const io: IO = { out: { k: 'log', stream: 'stdout' }, err: { k: 'log', stream: 'stderr' }, input: undefined };
  let code: number;
  try {
    if (SHELLS.has(first)) {
      const parsed = parseShellArgs(argv.slice(1));
      state.errexit = parsed.errexit;
      state.nounset = parsed.nounset;
      state.pipefail = parsed.pipefail;
      state.positional = parsed.positional;
      let text: string | undefined = parsed.script;
      const source = parsed.file ?? '-c';
      if (parsed.file !== undefined) {
        text = shell.readFile(parsed.file);
        if (text === undefined) {
          shell.error(io, dialect === 'bash' ? `bash: ${parsed.file}: No such file or directory` : `sh: can't open '${parsed.file}': No such file or directory`);
          yield* shell.flush();
          return { kind: 'exit', at: shell.now, code: dialect === 'bash' ? 127 : 2 };
        }
      }
      if (text === undefined) return { kind: 'exit', at: shell.now, code: 0 };
      let script: Command;
      try {
        script = parseScript(text);
      } catch (e) {
        if (!(e instanceof ShellSyntaxError)) throw e;
        shell.error(io, syntaxErrorMessage(e.problem, dialect, source));
        yield* shell.flush();
        return { kind: 'exit', at: shell.now, code: 2 };
      }
      code = yield* shell.run(script, io);
    } else code = yield* shell.exec(argv, io, 1);
  } catch (e) {
    yield* shell.flush();
    if (e instanceof ExitSignal) return { kind: 'exit', at: shell.now, code: e.code };
    if (e instanceof HangSignal) return { kind: 'hang', at: shell.now };
    if (e instanceof HandoverSignal) return { kind: 'handover', at: shell.now, argv: e.argv };
    if (e instanceof LoopSignal) return { kind: 'exit', at: shell.now, code: 0 };
    if (e instanceof ReturnSignal) return { kind: 'exit', at: shell.now, code: e.code };
    throw e;
  }
  yield* shell.flush();
  return { kind: 'exit', at: shell.now, code };
}
