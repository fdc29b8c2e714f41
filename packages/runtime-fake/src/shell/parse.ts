/**
 * The shell parser: script text → {@link Command} tree. A recursive-descent parser over a
 * character-level lexer, close to POSIX `sh` grammar (and the bits of bash that manifests use:
 * arrays, `${a[i]}`, `[[ ]]` as a command).
 *
 * @module
 */
import type { Assignment, Command, Redirect, Word, WordPart } from './ast.js';

/** Why a script does not parse; the shell formats the message in its own dialect. */
export type ShellSyntaxProblem =
  /** A quote (or `$(`, `${`, `` ` ``) left open at the end of the script. */
  | { readonly kind: 'quote'; readonly quote: string; readonly line: number }
  /** A token where none of its kind can go (`fi` without `if`, `;;` outside `case`, ...). */
  | { readonly kind: 'unexpected'; readonly token: string; readonly line: number }
  /** The script ended inside a compound command (`if` without `fi`, ...). */
  | { readonly kind: 'eof'; readonly line: number }
  /** A `${...}` the shell cannot read. */
  | { readonly kind: 'substitution'; readonly text: string; readonly line: number };

/** Thrown by {@link parseScript} for a script that does not parse. */
export class ShellSyntaxError extends Error {
  /** What is wrong, and where. */
  readonly problem: ShellSyntaxProblem;
  /** Builds the error from its problem. */
  constructor(problem: ShellSyntaxProblem) {
    super(`shell syntax error (${problem.kind}) on line ${problem.line}`);
    this.name = 'ShellSyntaxError';
    this.problem = problem;
  }
}

type Token =
  | { readonly t: 'word'; readonly parts: Word; readonly raw: string | undefined; readonly array?: readonly Word[] | undefined; readonly line: number }
  | { readonly t: 'op'; readonly v: string; readonly line: number }
  | { readonly t: 'redir'; readonly fd: number | 'both'; readonly op: '>' | '>>' | '<' | '>&' | '<<' | '<<-'; readonly line: number }
  | { readonly t: 'eof'; readonly line: number };

const META = ' \t\n;&|()<>';
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const RESERVED = new Set(['if', 'then', 'elif', 'else', 'fi', 'while', 'until', 'do', 'done', 'for', 'in', 'case', 'esac', '{', '}', '!']);

function pushLit(parts: WordPart[], v: string, quoted: boolean): void {
  const last = parts[parts.length - 1];
  if (last !== undefined && last.k === 'lit' && last.quoted === quoted) parts[parts.length - 1] = { k: 'lit', v: last.v + v, quoted };
  else parts.push({ k: 'lit', v, quoted });
}

interface PendingHeredoc {
  readonly delimiter: string;
  readonly expand: boolean;
  readonly strip: boolean;
  readonly redirect: { target: Word };
}

class Parser {
  pos = 0;
  line = 1;
  #peeked: Token | undefined;
  #heredocs: PendingHeredoc[] = [];

  constructor(readonly src: string) {}

  ch(offset = 0): string | undefined {
    return this.src[this.pos + offset];
  }

  peek(): Token {
    this.#peeked ??= this.#lex();
    return this.#peeked;
  }

  next(): Token {
    const t = this.peek();
    this.#peeked = undefined;
    return t;
  }

  #lex(): Token {
    for (;;) {
      const c = this.ch();
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '\\' && this.ch(1) === '\n') {
        this.pos += 2;
        this.line++;
      } else if (c === '#') {
        while (this.ch() !== undefined && this.ch() !== '\n') this.pos++;
      } else break;
    }
    const line = this.line;
    const c = this.ch();
    if (c === undefined) return { t: 'eof', line };
    if (c === '\n') {
      this.pos++;
      this.line++;
      this.#readHeredocs();
      return { t: 'op', v: '\n', line };
    }
    const two = this.src.slice(this.pos, this.pos + 2);
    if (two === '&>') {
      this.pos += 2;
      if (this.ch() === '>') this.pos++;
      return { t: 'redir', fd: 'both', op: '>', line };
    }
    if (two === '&&' || two === '||' || two === ';;') {
      this.pos += 2;
      return { t: 'op', v: two, line };
    }
    if (';&|()'.includes(c)) {
      this.pos++;
      return { t: 'op', v: c, line };
    }
    const redir = /^(\d*)(<<-|<<|>>|>&|<&|>\||<|>)/.exec(this.src.slice(this.pos, this.pos + 8));
    if (redir !== null) {
      const fdText = redir[1]!;
      const opText = redir[2]!;
      this.pos += redir[0].length;
      const op = opText === '>|' ? '>' : opText === '<&' ? '>&' : (opText as '>' | '>>' | '<' | '>&' | '<<' | '<<-');
      const fd = fdText !== '' ? Number(fdText) : op === '<' || op === '<<' || op === '<<-' ? 0 : 1;
      return { t: 'redir', fd, op, line };
    }
    return this.#readWordToken(line);
  }

  #readWordToken(line: number): Token {
    const parts = this.readWord();
    if (this.ch() === '(' && parts.length === 1 && parts[0]!.k === 'lit' && !parts[0]!.quoted && /^[A-Za-z_][A-Za-z0-9_]*=$/.test(parts[0]!.v)) {
      this.pos++;
      const array: Word[] = [];
      for (;;) {
        const c = this.ch();
        if (c === undefined) throw new ShellSyntaxError({ kind: 'eof', line: this.line });
        if (c === ' ' || c === '\t' || c === '\r') this.pos++;
        else if (c === '\n') {
          this.pos++;
          this.line++;
        } else if (c === ')') {
          this.pos++;
          break;
        } else if (META.includes(c)) throw new ShellSyntaxError({ kind: 'unexpected', token: c, line: this.line });
        else array.push(this.readWord());
      }
      return { t: 'word', parts, raw: undefined, array, line };
    }
    const only = parts[0];
    const raw = parts.length === 1 && only!.k === 'lit' && !only!.quoted ? only!.v : undefined;
    return { t: 'word', parts, raw, line };
  }

  /** Reads one unquoted word at the current position (stops at a metacharacter). */
  readWord(): WordPart[] {
    const parts: WordPart[] = [];
    for (;;) {
      const c = this.ch();
      if (c === undefined || META.includes(c)) break;
      if (c === '\\') {
        const n = this.ch(1);
        if (n === '\n') {
          this.pos += 2;
          this.line++;
          continue;
        }
        pushLit(parts, n ?? '\\', true);
        this.pos += n === undefined ? 1 : 2;
      } else if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError({ kind: 'quote', quote: "'", line: this.line });
        const text = this.src.slice(this.pos + 1, end);
        this.line += text.split('\n').length - 1;
        pushLit(parts, text, true);
        this.pos = end + 1;
      } else if (c === '"') {
        const start = this.line;
        this.pos++;
        const inner = this.readQuoted('"', true);
        if (this.ch() !== '"') throw new ShellSyntaxError({ kind: 'quote', quote: '"', line: start });
        this.pos++;
        if (inner.length === 0) pushLit(parts, '', true);
        for (const p of inner) if (p.k === 'lit') pushLit(parts, p.v, true);
        else parts.push(p);
      } else if (c === '$') this.readDollar(parts, false);
      else if (c === '`') this.readBacktick(parts, false);
      else {
        pushLit(parts, c, false);
        this.pos++;
      }
    }
    return parts;
  }

  /**
   * Reads word parts up to `stop` (not consumed): `"` inside double quotes, `}` inside `${…}`
   * (quotes processed unless `quoted`), or the end of the text.
   */
  readQuoted(stop: '"' | '}' | 'eof', quoted: boolean): WordPart[] {
    const parts: WordPart[] = [];
    let depth = 0;
    for (;;) {
      const c = this.ch();
      if (c === undefined) {
        if (stop === 'eof') return parts;
        throw new ShellSyntaxError({ kind: 'quote', quote: stop, line: this.line });
      }
      if (stop === '"' && c === '"') return parts;
      if (stop === '}' && c === '}' && depth === 0) return parts;
      if (c === '\\') {
        const n = this.ch(1);
        if (n === '\n') {
          this.pos += 2;
          this.line++;
        } else if (n !== undefined && (stop !== '"' || '$`"\\'.includes(n))) {
          pushLit(parts, n, true);
          this.pos += 2;
        } else {
          pushLit(parts, '\\', quoted);
          this.pos++;
        }
      } else if (c === '$') this.readDollar(parts, quoted);
      else if (c === '`') this.readBacktick(parts, quoted);
      else if (stop === '}' && !quoted && c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError({ kind: 'quote', quote: "'", line: this.line });
        pushLit(parts, this.src.slice(this.pos + 1, end), true);
        this.pos = end + 1;
      } else if (stop === '}' && !quoted && c === '"') {
        this.pos++;
        const inner = this.readQuoted('"', true);
        if (this.ch() !== '"') throw new ShellSyntaxError({ kind: 'quote', quote: '"', line: this.line });
        this.pos++;
        if (inner.length === 0) pushLit(parts, '', true);
        parts.push(...inner);
      } else {
        if (c === '\n') this.line++;
        if (stop === '}' && c === '{') depth++;
        if (stop === '}' && c === '}') depth--;
        pushLit(parts, c, quoted);
        this.pos++;
      }
    }
  }

  readBacktick(parts: WordPart[], quoted: boolean): void {
    const line = this.line;
    let i = this.pos + 1;
    let text = '';
    for (;;) {
      const c = this.src[i];
      if (c === undefined) throw new ShellSyntaxError({ kind: 'quote', quote: '`', line });
      if (c === '`') break;
      if (c === '\\' && '$`\\'.includes(this.src[i + 1] ?? '')) {
        text += this.src[i + 1];
        i += 2;
        continue;
      }
      if (c === '\n') this.line++;
      text += c;
      i++;
    }
    this.pos = i + 1;
    parts.push({ k: 'subst', script: parseSub(text, line), quoted });
  }

  readDollar(parts: WordPart[], quoted: boolean): void {
    const n = this.ch(1);
    if (n === '(' && this.ch(2) === '(') {
      const line = this.line;
      let i = this.pos + 3;
      let depth = 0;
      for (;;) {
        const c = this.src[i];
        if (c === undefined) throw new ShellSyntaxError({ kind: 'quote', quote: '))', line });
        if (c === '(') depth++;
        else if (c === ')') {
          if (depth === 0 && this.src[i + 1] === ')') break;
          depth--;
        }
        i++;
      }
      const text = this.src.slice(this.pos + 3, i);
      this.pos = i + 2;
      parts.push({ k: 'arith', expr: parseText(text, line), quoted });
      return;
    }
    if (n === '(') {
      this.pos += 2;
      this.#peeked = undefined;
      const script = this.parseList([')']);
      const close = this.next();
      if (close.t !== 'op' || close.v !== ')') throw close.t === 'eof' ? new ShellSyntaxError({ kind: 'quote', quote: ')', line: close.line }) : unexpected(close);
      parts.push({ k: 'subst', script, quoted });
      return;
    }
    if (n === '{') {
      this.readBraced(parts, quoted);
      return;
    }
    if (n !== undefined && NAME_START.test(n)) {
      let i = this.pos + 1;
      while (i < this.src.length && NAME_CHAR.test(this.src[i]!)) i++;
      parts.push({ k: 'param', name: this.src.slice(this.pos + 1, i), quoted });
      this.pos = i;
      return;
    }
    if (n !== undefined && /[0-9?#$@*!-]/.test(n)) {
      parts.push({ k: 'param', name: n, quoted });
      this.pos += 2;
      return;
    }
    pushLit(parts, '$', quoted);
    this.pos++;
  }

  readBraced(parts: WordPart[], quoted: boolean): void {
    const line = this.line;
    const start = this.pos;
    this.pos += 2;
    let length = false;
    if (this.ch() === '#' && this.ch(1) !== '}' && this.ch(1) !== undefined) {
      length = true;
      this.pos++;
    }
    let name = '';
    if (NAME_START.test(this.ch() ?? '')) {
      while (NAME_CHAR.test(this.ch() ?? '')) name += this.src[this.pos++];
    } else if (/[0-9]/.test(this.ch() ?? '')) {
      while (/[0-9]/.test(this.ch() ?? '')) name += this.src[this.pos++];
    } else if (/[?#$@*!-]/.test(this.ch() ?? '')) {
      name = this.ch()!;
      this.pos++;
    }
    const bad = (): ShellSyntaxError => {
      const end = this.src.indexOf('}', start);
      return end < 0 ? new ShellSyntaxError({ kind: 'quote', quote: '}', line }) : new ShellSyntaxError({ kind: 'substitution', text: this.src.slice(start, end + 1), line });
    };
    if (name === '') throw bad();
    let index: Word | undefined;
    if (this.ch() === '[') {
      const end = this.src.indexOf(']', this.pos);
      if (end < 0) throw bad();
      index = parseText(this.src.slice(this.pos + 1, end), line);
      this.pos = end + 1;
    }
    let op: NonNullable<Extract<WordPart, { k: 'param' }>['op']> | undefined;
    let arg: Word | undefined;
    const m = /^(:-|:=|:\+|:\?|-|=|\+|\?)/.exec(this.src.slice(this.pos, this.pos + 2));
    if (m !== null && !length) {
      op = m[1] as typeof op;
      this.pos += m[1]!.length;
      arg = this.readQuoted('}', quoted);
    }
    if (this.ch() !== '}') throw bad();
    this.pos++;
    parts.push({ k: 'param', name, quoted, length, index, op, arg });
  }

  #readHeredocs(): void {
    const pending = this.#heredocs;
    this.#heredocs = [];
    for (const h of pending) {
      const lines: string[] = [];
      for (;;) {
        if (this.pos >= this.src.length) break;
        const nl = this.src.indexOf('\n', this.pos);
        const raw = this.src.slice(this.pos, nl < 0 ? this.src.length : nl);
        this.pos = nl < 0 ? this.src.length : nl + 1;
        this.line++;
        const text = h.strip ? raw.replace(/^\t+/, '') : raw;
        if (text === h.delimiter) break;
        lines.push(text + '\n');
      }
      const body = lines.join('');
      h.redirect.target = h.expand ? parseText(body, this.line) : [{ k: 'lit', v: body, quoted: true }];
    }
  }

  // ------------------------------------------------------------------------------- grammar

  #atTerminator(terminators: readonly string[]): boolean {
    const t = this.peek();
    if (t.t === 'eof') return true;
    if (t.t === 'op') return terminators.includes(t.v);
    return t.t === 'word' && t.raw !== undefined && terminators.includes(t.raw);
  }

  #skipNewlines(): void {
    while (true) {
      const t = this.peek();
      if (t.t === 'op' && t.v === '\n') this.next();
      else return;
    }
  }

  /** A list of and-or lists separated by `;`, `&` or newlines, up to a terminator (not consumed). */
  parseList(terminators: readonly string[]): Command {
    const items: Command[] = [];
    this.#skipNewlines();
    while (!this.#atTerminator(terminators)) {
      items.push(this.#parseAndOr());
      const t = this.peek();
      if (t.t === 'op' && (t.v === ';' || t.v === '&' || t.v === '\n')) {
        this.next();
        this.#skipNewlines();
      } else if (!this.#atTerminator(terminators)) throw unexpected(t);
    }
    if (this.peek().t === 'eof' && terminators.length > 0) throw new ShellSyntaxError({ kind: 'eof', line: this.line });
    return items.length === 1 ? items[0]! : { k: 'list', items };
  }

  #nonEmpty(terminators: readonly string[]): Command {
    const before = this.peek();
    const body = this.parseList(terminators);
    if (body.k === 'list' && body.items.length === 0) throw unexpected(this.peek().t === 'eof' ? before : this.peek());
    return body;
  }

  #parseAndOr(): Command {
    let left = this.#parsePipeline();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.v !== '&&' && t.v !== '||')) return left;
      this.next();
      this.#skipNewlines();
      const right = this.#parsePipeline();
      left = { k: 'andor', op: t.v, left, right };
    }
  }

  #parsePipeline(): Command {
    let bang = false;
    const first = this.peek();
    if (first.t === 'word' && first.raw === '!') {
      this.next();
      bang = true;
    }
    const commands = [this.#parseCommand()];
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || t.v !== '|') break;
      this.next();
      this.#skipNewlines();
      commands.push(this.#parseCommand());
    }
    return commands.length === 1 && !bang ? commands[0]! : { k: 'pipeline', commands, bang };
  }

  #expectWord(word: string): void {
    const t = this.next();
    if (t.t === 'word' && t.raw === word) return;
    if (t.t === 'eof') throw new ShellSyntaxError({ kind: 'eof', line: t.line });
    throw unexpected(t);
  }

  #redirects(): Redirect[] {
    const out: Redirect[] = [];
    while (this.peek().t === 'redir') out.push(...this.#redirect());
    return out;
  }

  #redirect(): Redirect[] {
    const r = this.next() as Extract<Token, { t: 'redir' }>;
    const target = this.next();
    if (target.t !== 'word') throw target.t === 'eof' ? unexpected({ t: 'op', v: '\n', line: target.line }) : unexpected(target);
    if (r.op === '<<' || r.op === '<<-') {
      const delimiter = target.parts.map((p) => (p.k === 'lit' ? p.v : '')).join('');
      const expand = target.parts.every((p) => p.k !== 'lit' || !p.quoted);
      const redirect: { fd: number; op: '<'; target: Word; heredoc: true } = { fd: r.fd === 'both' ? 0 : r.fd, op: '<', target: [], heredoc: true };
      this.#heredocs.push({ delimiter, expand, strip: r.op === '<<-', redirect });
      return [redirect];
    }
    if (r.fd === 'both') return [{ fd: 1, op: '>', target: target.parts }, { fd: 2, op: '>&', target: [{ k: 'lit', v: '1', quoted: false }] }];
    return [{ fd: r.fd, op: r.op as Redirect['op'], target: target.parts }];
  }

  #parseCommand(): Command {
    const t = this.peek();
    if (t.t === 'word' && t.raw !== undefined && RESERVED.has(t.raw)) {
      switch (t.raw) {
        case 'if':
          return this.#parseIf();
        case 'while':
        case 'until':
          return this.#parseLoop(t.raw === 'until');
        case 'for':
          return this.#parseFor();
        case 'case':
          return this.#parseCase();
        case '{': {
          this.next();
          const body = this.#nonEmpty(['}']);
          this.#expectWord('}');
          return { k: 'group', body, subshell: false, redirects: this.#redirects() };
        }
        default:
          throw unexpected(t);
      }
    }
    if (t.t === 'op' && t.v === '(' && this.ch() === '(') {
      // `(( expr ))`: an arithmetic command (the lexer stopped after the first parenthesis).
      this.pos--;
      const line = this.line;
      const expr = this.#readDoubleParen()!;
      return { k: 'arith', expr: parseText(expr, line), line };
    }
    if (t.t === 'op' && t.v === '(') {
      this.next();
      const body = this.#nonEmpty([')']);
      const close = this.next();
      if (close.t !== 'op' || close.v !== ')') throw unexpected(close);
      return { k: 'group', body, subshell: true, redirects: this.#redirects() };
    }
    return this.#parseSimple();
  }

  #parseSimple(): Command {
    const assigns: Assignment[] = [];
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    const line = this.peek().line;
    for (;;) {
      const t = this.peek();
      if (t.t === 'redir') {
        redirects.push(...this.#redirect());
        continue;
      }
      if (t.t !== 'word') break;
      this.next();
      const first = t.parts[0];
      const m = words.length === 0 && first?.k === 'lit' && !first.quoted ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.v) : null;
      if (m !== null && first?.k === 'lit') {
        const rest = first.v.slice(m[0].length);
        const value: WordPart[] = [...(rest === '' ? [] : [{ k: 'lit' as const, v: rest, quoted: false }]), ...t.parts.slice(1)];
        assigns.push({ name: m[1]!, value: value.length === 0 ? [{ k: 'lit', v: '', quoted: true }] : value, array: t.array });
        continue;
      }
      words.push(t.parts);
      if (t.raw === '=~' && words.length >= 3 && words[0]!.length === 1 && words[0]![0]!.k === 'lit' && words[0]![0]!.v === '[[') {
        const regex = this.#readRegexWord();
        if (regex !== undefined) words.push([{ k: 'lit', v: regex, quoted: true }]);
        continue;
      }
      if (words.length === 1 && assigns.length === 0 && t.raw !== undefined && NAME_START.test(t.raw)) {
        const p = this.peek();
        if (p.t === 'op' && p.v === '(') {
          this.next();
          const close = this.next();
          if (close.t !== 'op' || close.v !== ')') throw unexpected(close);
          this.#skipNewlines();
          return { k: 'function', name: t.raw, body: this.#parseCommand() };
        }
      }
    }
    if (assigns.length === 0 && words.length === 0 && redirects.length === 0) {
      const t = this.peek();
      throw t.t === 'eof' ? new ShellSyntaxError({ kind: 'eof', line: t.line }) : unexpected(t);
    }
    return { k: 'simple', assigns, words, redirects, line };
  }

  /**
   * The regular expression after `=~` in `[[ ]]`, when it holds parentheses (bash reads it as
   * one word there: `-([0-9]+)$`): up to the next blank outside parentheses. Undefined (nothing
   * read) for an operand without parentheses or with quotes, which the lexer reads as usual.
   */
  #readRegexWord(): string | undefined {
    if (this.#peeked !== undefined) return undefined;
    let at = this.pos;
    while (this.src[at] === ' ' || this.src[at] === '\t') at++;
    let depth = 0;
    let end = at;
    for (; end < this.src.length; end++) {
      const c = this.src[end]!;
      if (c === '\\') {
        end++;
        continue;
      }
      if (c === '"' || c === "'" || c === '\n') return undefined;
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if ((c === ' ' || c === '\t') && depth <= 0) break;
    }
    const text = this.src.slice(at, end);
    if (!text.includes('(') || depth !== 0) return undefined;
    this.pos = end;
    return text;
  }

  #parseIf(): Command {
    this.next();
    const clauses: { cond: Command; body: Command }[] = [];
    let otherwise: Command | undefined;
    const cond = this.#nonEmpty(['then']);
    this.#expectWord('then');
    clauses.push({ cond, body: this.#nonEmpty(['elif', 'else', 'fi']) });
    for (;;) {
      const t = this.next();
      if (t.t === 'word' && t.raw === 'elif') {
        const c = this.#nonEmpty(['then']);
        this.#expectWord('then');
        clauses.push({ cond: c, body: this.#nonEmpty(['elif', 'else', 'fi']) });
      } else if (t.t === 'word' && t.raw === 'else') {
        otherwise = this.#nonEmpty(['fi']);
        this.#expectWord('fi');
        break;
      } else if (t.t === 'word' && t.raw === 'fi') break;
      else throw t.t === 'eof' ? new ShellSyntaxError({ kind: 'eof', line: t.line }) : unexpected(t);
    }
    return { k: 'if', clauses, otherwise, redirects: this.#redirects() };
  }

  #parseLoop(until: boolean): Command {
    this.next();
    const cond = this.#nonEmpty(['do']);
    this.#expectWord('do');
    const body = this.#nonEmpty(['done']);
    this.#expectWord('done');
    return { k: 'loop', until, cond, body, redirects: this.#redirects() };
  }

  /** Reads `((…))` starting at the current position (just before the first `(`); returns the inside. */
  #readDoubleParen(): string | undefined {
    let i = this.pos;
    while (this.src[i] === ' ' || this.src[i] === '\t') i++;
    if (this.src.slice(i, i + 2) !== '((') return undefined;
    const start = i + 2;
    let depth = 0;
    for (i = start; i < this.src.length; i++) {
      const c = this.src[i];
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0 && this.src[i + 1] === ')') {
          this.pos = i + 2;
          this.#peeked = undefined;
          return this.src.slice(start, i);
        }
        depth--;
      }
    }
    throw new ShellSyntaxError({ kind: 'quote', quote: '))', line: this.line });
  }

  #parseFor(): Command {
    this.next();
    const arith = this.#readDoubleParen();
    if (arith !== undefined) {
      const [init = '', cond = '', step = ''] = arith.split(';');
      const sep = this.peek();
      if (sep.t === 'op' && (sep.v === ';' || sep.v === '\n')) this.next();
      this.#skipNewlines();
      const open = this.peek();
      const brace = open.t === 'word' && open.raw === '{';
      this.next();
      if (!brace && !(open.t === 'word' && open.raw === 'do')) throw open.t === 'eof' ? new ShellSyntaxError({ kind: 'eof', line: open.line }) : unexpected(open);
      const body = this.#nonEmpty([brace ? '}' : 'done']);
      this.#expectWord(brace ? '}' : 'done');
      return { k: 'arithfor', init: parseText(init, this.line), cond: parseText(cond, this.line), step: parseText(step, this.line), body, redirects: this.#redirects() };
    }
    const nameTok = this.next();
    if (nameTok.t !== 'word' || nameTok.raw === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(nameTok.raw)) throw nameTok.t === 'eof' ? new ShellSyntaxError({ kind: 'eof', line: nameTok.line }) : unexpected(nameTok);
    this.#skipNewlines();
    let items: Word[] | undefined;
    const t = this.peek();
    if (t.t === 'word' && t.raw === 'in') {
      this.next();
      items = [];
      for (;;) {
        const w = this.peek();
        if (w.t !== 'word') break;
        this.next();
        items.push(w.parts);
      }
    }
    const sep = this.peek();
    if (sep.t === 'op' && (sep.v === ';' || sep.v === '\n')) this.next();
    this.#skipNewlines();
    this.#expectWord('do');
    const body = this.#nonEmpty(['done']);
    this.#expectWord('done');
    return { k: 'for', name: nameTok.raw, items, body, redirects: this.#redirects() };
  }

  #parseCase(): Command {
    this.next();
    const subject = this.next();
    if (subject.t !== 'word') throw subject.t === 'eof' ? new ShellSyntaxError({ kind: 'eof', line: subject.line }) : unexpected(subject);
    this.#skipNewlines();
    this.#expectWord('in');
    this.#skipNewlines();
    const arms: { patterns: Word[]; body: Command }[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === 'word' && t.raw === 'esac') {
        this.next();
        break;
      }
      if (t.t === 'eof') throw new ShellSyntaxError({ kind: 'eof', line: t.line });
      if (t.t === 'op' && t.v === '(') this.next();
      const patterns: Word[] = [];
      for (;;) {
        const p = this.next();
        if (p.t !== 'word') throw p.t === 'eof' ? new ShellSyntaxError({ kind: 'eof', line: p.line }) : unexpected(p);
        patterns.push(p.parts);
        const sep = this.next();
        if (sep.t === 'op' && sep.v === '|') continue;
        if (sep.t === 'op' && sep.v === ')') break;
        throw sep.t === 'eof' ? new ShellSyntaxError({ kind: 'eof', line: sep.line }) : unexpected(sep);
      }
      const body = this.parseList([';;', 'esac']);
      arms.push({ patterns, body });
      const end = this.peek();
      if (end.t === 'op' && end.v === ';;') {
        this.next();
        this.#skipNewlines();
      }
    }
    return { k: 'case', subject: subject.parts, arms, redirects: this.#redirects() };
  }
}

function unexpected(t: Token): ShellSyntaxError {
  const token = t.t === 'op' ? (t.v === '\n' ? 'newline' : t.v) : t.t === 'word' ? (t.raw ?? 'word') : t.t === 'redir' ? (t.op === '>&' ? '>&' : t.op) : 'end of file';
  return t.t === 'eof' ? new ShellSyntaxError({ kind: 'eof', line: t.line }) : new ShellSyntaxError({ kind: 'unexpected', token, line: t.line });
}

/** Parses text as the inside of double quotes (arithmetic, array subscripts, here-documents). */
function parseText(text: string, line: number): Word {
  const p = new Parser(text);
  p.line = line;
  return p.readQuoted('eof', false);
}

function parseSub(text: string, line: number): Command {
  const p = new Parser(text);
  p.line = line;
  const script = p.parseList([]);
  return script;
}

/**
 * Parses a shell script (the text after `sh -c`).
 *
 * Guarantees: pure; never throws anything but {@link ShellSyntaxError}.
 *
 * Errors: {@link ShellSyntaxError} for unbalanced quotes, a compound command left open, a token
 * out of place or an unreadable `${…}`.
 *
 * @example
 * ```ts
 * parseScript('echo "Hello world!" && sleep 5 && exit 42'); // an and-or chain of three simple commands
 * ```
 */
export function parseScript(text: string): Command {
  const p = new Parser(text);
  const script = p.parseList([]);
  const t = p.next();
  if (t.t !== 'eof') throw unexpected(t);
  return script;
}
