/**
 * Shell arithmetic (`$(( ))`, `(( ))`, array subscripts): integers, the C operators the shell
 * has, variables by name, assignments (`=`, `+=`, `++`, ...).
 *
 * @module
 */

/** A failed arithmetic evaluation; the message is the shell's (`division by 0`, `syntax error`). */
export class ArithmeticError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = 'ArithmeticError';
  }
}

/** Variable access for {@link evaluateArithmetic}. */
export interface ArithmeticScope {
  /** The variable's value ('' or undefined count as 0). */
  get(name: string): string | undefined;
  /** Sets a variable. */
  set(name: string, value: string): void;
}

type Tok = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

const OPS = ['**=', '<<=', '>>=', '&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '**', '+', '-', '*', '/', '%', '<', '>', '=', '!', '~', '&', '|', '^', '(', ')', '?', ':', ','];

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+|\d+)/.exec(text.slice(i));
    if (num !== null) {
      const s = num[1]!;
      out.push({ t: 'num', v: /^0[xX]/.test(s) ? parseInt(s, 16) : s.length > 1 && s.startsWith('0') ? parseInt(s, 8) : Number(s) });
      i += s.length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (id !== null) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw new ArithmeticError(`syntax error: invalid arithmetic operator (error token is "${text.slice(i)}")`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  return out;
}

const BINARY: Record<string, number> = { ',': 1, '||': 4, '&&': 5, '|': 6, '^': 7, '&': 8, '==': 9, '!=': 9, '<': 10, '>': 10, '<=': 10, '>=': 10, '<<': 11, '>>': 11, '+': 12, '-': 12, '*': 13, '/': 13, '%': 13, '**': 14 };
const ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '|=', '^=', '**=']);

/**
 * Evaluates `text` as shell arithmetic with 64-bit-like integer semantics (JavaScript numbers,
 * truncated division). An empty text is 0.
 *
 * Errors: {@link ArithmeticError} for a syntax error or a division by zero.
 *
 * @example
 * ```ts
 * const vars = new Map([['i', '4']]);
 * evaluateArithmetic('i * 2 + 1', { get: (n) => vars.get(n), set: (n, v) => vars.set(n, v) }); // 9
 * ```
 */
export function evaluateArithmetic(text: string, scope: ArithmeticScope, depth = 0): number {
  if (depth > 64) throw new ArithmeticError('expression recursion level exceeded');
  const toks = tokenize(text);
  let i = 0;
  const peek = (): Tok | undefined => toks[i];
  const isOp = (v: string): boolean => {
    const t = toks[i];
    return t !== undefined && t.t === 'op' && t.v === v;
  };
  const valueOf = (name: string): number => {
    const raw = (scope.get(name) ?? '').trim();
    if (raw === '') return 0;
    if (/^-?\d+$/.test(raw)) return Number(raw);
    return evaluateArithmetic(raw, scope, depth + 1);
  };
  const int = (n: number): number => (Number.isFinite(n) ? Math.trunc(n) : 0);
  const binary = (op: string, a: number, b: number): number => {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/':
      case '%':
        if (b === 0) throw new ArithmeticError('division by 0');
        return op === '/' ? int(a / b) : a % b;
      case '**': return a ** b;
      case '<<': return a << b;
      case '>>': return a >> b;
      case '&': return a & b;
      case '|': return a | b;
      case '^': return a ^ b;
      case '<': return a < b ? 1 : 0;
      case '>': return a > b ? 1 : 0;
      case '<=': return a <= b ? 1 : 0;
      case '>=': return a >= b ? 1 : 0;
      case '==': return a === b ? 1 : 0;
      case '!=': return a !== b ? 1 : 0;
      case '&&': return a !== 0 && b !== 0 ? 1 : 0;
      case '||': return a !== 0 || b !== 0 ? 1 : 0;
      case ',': return b;
      default: throw new ArithmeticError(`syntax error: operand expected`);
    }
  };
  const primary = (): number => {
    const t = peek();
    if (t === undefined) throw new ArithmeticError('syntax error: operand expected');
    i++;
    if (t.t === 'num') return t.v;
    if (t.t === 'id') {
      const next = peek();
      if (next?.t === 'op' && (next.v === '++' || next.v === '--')) {
        i++;
        const v = valueOf(t.v);
        scope.set(t.v, String(next.v === '++' ? v + 1 : v - 1));
        return v;
      }
      if (next?.t === 'op' && ASSIGN.has(next.v)) {
        i++;
        const rhs = ternary();
        const v = next.v === '=' ? rhs : binary(next.v.slice(0, -1), valueOf(t.v), rhs);
        scope.set(t.v, String(v));
        return v;
      }
      return valueOf(t.v);
    }
    switch (t.v) {
      case '(': {
        const v = comma();
        if (!isOp(')')) throw new ArithmeticError('syntax error: missing `)\'');
        i++;
        return v;
      }
      case '-': return -primary();
      case '+': return primary();
      case '!': return primary() === 0 ? 1 : 0;
      case '~': return ~primary();
      case '++':
      case '--': {
        const id = peek();
        if (id?.t !== 'id') throw new ArithmeticError('syntax error: operand expected');
        i++;
        const v = valueOf(id.v) + (t.v === '++' ? 1 : -1);
        scope.set(id.v, String(v));
        return v;
      }
      default:
        throw new ArithmeticError(`syntax error: operand expected (error token is "${t.v}")`);
    }
  };
  const climb = (min: number): number => {
    let left = primary();
    for (;;) {
      const t = peek();
      if (t?.t !== 'op') return left;
      const prec = BINARY[t.v];
      if (prec === undefined || prec < min || t.v === ',') return left;
      i++;
      const right = climb(t.v === '**' ? prec : prec + 1);
      left = binary(t.v, left, right);
    }
  };
  const ternary = (): number => {
    const cond = climb(2);
    if (!isOp('?')) return cond;
    i++;
    const a = ternary();
    if (!isOp(':')) throw new ArithmeticError("syntax error: expected `:'");
    i++;
    const b = ternary();
    return cond !== 0 ? a : b;
  };
  const comma = (): number => {
    let v = ternary();
    while (isOp(',')) {
      i++;
      v = ternary();
    }
    return v;
  };
  if (toks.length === 0) return 0;
  const v = comma();
  if (i < toks.length) {
    const t = toks[i]!;
    throw new ArithmeticError(`syntax error in expression (error token is "${t.t === 'num' ? t.v : t.v}")`);
  }
  return v;
}
