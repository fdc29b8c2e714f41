/**
 * Label selectors, as upstream's `k8s.io/apimachinery/pkg/labels` and
 * `metav1.LabelSelectorAsSelector`: the string form used by `?labelSelector=` and
 * `Scale.status.selector` (`app=web,tier in (a,b),!canary`), the structured form of
 * `spec.selector` (`matchLabels` + `matchExpressions`), matching, validation, and printing one
 * as the other.
 *
 * @module
 */
import type { FieldError } from './errors.js';
import type { LabelSelector, LabelSelectorRequirement } from './meta.js';
import { isQualifiedName, isValidLabelValue, validateLabels } from './validation.js';

/**
 * The operator of one requirement. `In`, `NotIn`, `Exists`, `DoesNotExist` come from both
 * forms; `=`, `==` and `!=` from the string form and `matchLabels` (which becomes `=`); `gt`
 * and `lt` (string form `k>3`, `k<3`) compare label values as integers.
 */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | '=' | '==' | '!=' | 'gt' | 'lt';

/**
 * One requirement of a selector: a key, an operator and its values.
 *
 * Guarantees (for requirements made by this module): the key is a qualified name, the values
 * valid label values, sorted and without duplicates; `In`/`NotIn` have at least one value,
 * `=`, `==`, `!=`, `gt`, `lt` exactly one (an integer for `gt`/`lt`), `Exists` and
 * `DoesNotExist` none.
 */
export interface Requirement {
  /** The label key, e.g. `app` or `example.com/team`. */
  readonly key: string;
  /** How the label's value is tested. */
  readonly operator: SelectorOperator;
  /** The values the operator compares with (sorted, distinct). */
  readonly values: readonly string[];
}

/**
 * A parsed, validated label selector: the AND of its {@link requirements}.
 *
 * Guarantees: immutable; `matches` is pure; `toString()` is the canonical string form
 * (requirements sorted by key, values sorted), and {@link parseSelector} of it gives a selector
 * that matches the same label sets and prints the same text. The one exception is
 * {@link nothing}, which prints as `''` like upstream's `labels.Nothing()`, and that text
 * parses as {@link everything}.
 */
export interface Selector {
  /** Whether a label set satisfies every requirement (`undefined` labels count as `{}`). */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** Whether the selector has no requirements, i.e. matches everything. `nothing` is not empty. */
  empty(): boolean;
  /** The canonical string form, e.g. `app=web,tier in (a,b)`. */
  toString(): string;
  /**
   * The value `key` must have for this selector to match, when a requirement pins it
   * (`key=v`, `key==v` or `key in (v)`); `undefined` otherwise. Lets a cache use a label index.
   */
  requiresExactMatch(key: string): string | undefined;
  /** The requirements, sorted by key (stable for equal keys). */
  readonly requirements: readonly Requirement[];
}

/**
 * Why a selector is rejected:
 *
 * - `syntax`: the string form does not parse (the message names the token and its position);
 * - `invalid`: a requirement is malformed (bad key, bad value, wrong number of values, unknown
 *   operator).
 */
export type SelectorErrorCode = 'syntax' | 'invalid';

/**
 * A label or field selector that cannot be used. The store answers it with 400 BadRequest.
 *
 * @example
 * ```ts
 * try { parseSelector('app in web'); }
 * catch (e) {
 *   // SelectorError: unable to parse requirement: found 'web', expected: '(' (at position 7)
 * }
 * ```
 */
export class SelectorError extends Error {
  /** What is wrong. */
  readonly code: SelectorErrorCode;
  /** The selector text (or a rendering of the structured selector) that was rejected. */
  readonly input: string;
  /** For `syntax`: the 0-based offset of the offending token in `input`. */
  readonly position: number | undefined;

  constructor(code: SelectorErrorCode, message: string, input: string, position?: number) {
    super(message);
    this.name = 'SelectorError';
    this.code = code;
    this.input = input;
    this.position = position;
  }
}

// ---------------------------------------------------------------------------------------------
// Requirements

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Upstream parses `gt`/`lt` operands with `strconv.ParseInt(v, 10, 64)`. */
function parseInt64(value: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(value)) return undefined;
  const n = BigInt(value);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function hasLabel(labels: Readonly<Record<string, string>>, key: string): boolean {
  return Object.hasOwn(labels, key);
}

/** The reasons a requirement is malformed (upstream `labels.NewRequirement`), or `[]`. */
function requirementProblems(key: string, operator: SelectorOperator, values: readonly string[]): string[] {
  const problems: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) problems.push(`invalid label key "${key}": ${keyErrs.join('; ')}`);
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) problems.push("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) problems.push('exact-match compatibility requires one single value');
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) problems.push('values set must be empty for exists and does not exist');
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) problems.push("for 'Gt', 'Lt' operators, exactly one value is required");
      for (const v of values) {
        if (parseInt64(v) === undefined) problems.push(`for 'Gt', 'Lt' operators, the value must be an integer, got "${v}"`);
      }
      break;
    default:
      problems.push(`operator "${String(operator)}" is not supported`);
  }
  for (const v of values) {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) problems.push(`invalid label value "${v}" for key "${key}": ${valueErrs.join('; ')}`);
  }
  return problems;
}

/**
 * A validated requirement, as upstream's `labels.NewRequirement`. Values are sorted and
 * deduplicated (matching is unchanged).
 *
 * @throws {@link SelectorError} (`invalid`) naming every problem: a key that is not a qualified
 * name, a value that is not a label value, `In`/`NotIn` without values, `=`/`==`/`!=` without
 * exactly one value, `Exists`/`DoesNotExist` with values, `gt`/`lt` without one integer.
 */
export function newRequirement(key: string, operator: SelectorOperator, values: readonly string[] = []): Requirement {
  const problems = requirementProblems(key, operator, values);
  if (problems.length > 0) {
    throw new SelectorError('invalid', problems.join(', '), renderRequirement({ key, operator, values }));
  }
  return Object.freeze({ key, operator, values: Object.freeze([...new Set(values)].sort()) });
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  switch (r.operator) {
    case 'In':
    case '=':
    case '==':
      return hasLabel(labels, r.key) && r.values.includes(labels[r.key]!);
    case 'NotIn':
    case '!=':
      return !hasLabel(labels, r.key) || !r.values.includes(labels[r.key]!);
    case 'Exists':
      return hasLabel(labels, r.key);
    case 'DoesNotExist':
      return !hasLabel(labels, r.key);
    case 'gt':
    case 'lt': {
      if (!hasLabel(labels, r.key)) return false;
      const actual = parseInt64(labels[r.key]!);
      const bound = parseInt64(r.values[0] ?? '');
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

/** Upstream `Requirement.String()`: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`, `k>3`. */
function renderRequirement(r: Requirement): string {
  const values = [...r.values].sort().join(',');
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'In':
      return `${r.key} in (${values})`;
    case 'NotIn':
      return `${r.key} notin (${values})`;
    case 'gt':
      return `${r.key}>${values}`;
    case 'lt':
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Selectors

class RequirementsSelector implements Selector {
  readonly requirements: readonly Requirement[];

  constructor(requirements: readonly Requirement[]) {
    // Array.prototype.sort is stable: requirements on the same key keep their order.
    this.requirements = Object.freeze([...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
    Object.freeze(this);
  }

  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    const set = labels ?? {};
    for (const r of this.requirements) if (!requirementMatches(r, set)) return false;
    return true;
  }

  empty(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map(renderRequirement).join(',');
  }

  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'In') && r.values.length === 1) return r.values[0];
    }
    return undefined;
  }
}

class NothingSelector implements Selector {
  readonly requirements: readonly Requirement[] = Object.freeze([]);

  constructor() {
    Object.freeze(this);
  }

  matches(): boolean {
    return false;
  }

  empty(): boolean {
    return false;
  }

  toString(): string {
    return '';
  }

  requiresExactMatch(): string | undefined {
    return undefined;
  }
}

/** The selector that matches every label set (upstream `labels.Everything()`); prints `''`. */
export const everything: Selector = new RequirementsSelector([]);

/**
 * The selector that matches nothing (upstream `labels.Nothing()`), what a missing structured
 * selector means. Caveat: it prints as `''`, which parses as {@link everything}; never send
 * it in string form.
 */
export const nothing: Selector = new NothingSelector();

/** A selector that is the AND of `requirements` (validate them with {@link newRequirement}). */
export function selectorFromRequirements(requirements: readonly Requirement[]): Selector {
  return requirements.length === 0 ? everything : new RequirementsSelector(requirements);
}

/**
 * The selector `k1=v1,k2=v2` of a plain label map, as upstream's `labels.SelectorFromSet`
 * (a Service's or ReplicationController's `spec.selector`). An undefined or empty map gives
 * {@link everything}.
 *
 * @throws {@link SelectorError} (`invalid`) for a key or value that is not a valid label.
 */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined): Selector {
  if (!set) return everything;
  return selectorFromRequirements(Object.entries(set).map(([k, v]) => newRequirement(k, '=', [v])));
}

const STRUCTURED_OPERATORS: Readonly<Record<string, SelectorOperator>> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
};

/**
 * The selector of a structured `LabelSelector`, as upstream's `metav1.LabelSelectorAsSelector`:
 *
 * - `undefined` / `null` → {@link nothing} (a missing selector selects no pods);
 * - `{}` (no `matchLabels`, no `matchExpressions`) → {@link everything};
 * - otherwise every `matchLabels` entry (as `key=value`) AND every `matchExpressions` entry.
 *
 * @example
 * ```ts
 * const s = selectorFromLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] });
 * s.toString();                          // 'app=web,tier in (a,b)'
 * s.matches({ app: 'web', tier: 'a' });  // true
 * ```
 * @throws {@link SelectorError} (`invalid`) for an unknown operator or a malformed requirement
 * (see {@link newRequirement}); {@link validateLabelSelector} reports the same problems as
 * field errors.
 */
export function selectorFromLabelSelector(ls: LabelSelector | undefined | null): Selector {
  if (ls === undefined || ls === null) return nothing;
  const labels = Object.entries(ls.matchLabels ?? {});
  const expressions = ls.matchExpressions ?? [];
  if (labels.length + expressions.length === 0) return everything;
  const requirements: Requirement[] = labels.map(([k, v]) => newRequirement(k, '=', [v]));
  for (const expr of expressions) requirements.push(requirementFromExpression(expr));
  return new RequirementsSelector(requirements);
}

function requirementFromExpression(expr: LabelSelectorRequirement): Requirement {
  const operator = STRUCTURED_OPERATORS[expr.operator as string];
  if (operator === undefined) {
    throw new SelectorError('invalid', `"${String(expr.operator)}" is not a valid label selector operator`, JSON.stringify(expr));
  }
  return newRequirement(expr.key, operator, expr.values ?? []);
}

/**
 * Whether `labels` satisfy a structured selector (see {@link selectorFromLabelSelector}): a
 * missing selector matches nothing, `{}` everything. An invalid selector matches nothing
 * (admission rejects those; this never throws).
 */
export function matchesLabelSelector(
  ls: LabelSelector | undefined | null,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  let selector: Selector;
  try {
    selector = selectorFromLabelSelector(ls);
  } catch (e) {
    if (e instanceof SelectorError) return false;
    throw e;
  }
  return selector.matches(labels);
}

/**
 * The string form of a structured selector, as a `Scale`'s `status.selector` holds it (what
 * upstream computes with `LabelSelectorAsSelector(...).String()`): requirements sorted by key,
 * values sorted, e.g. `app=web,tier in (a,b)`. `{}` gives `''`.
 *
 * Guarantees: `parseSelector(toSelectorString(ls))` matches exactly the label sets that
 * `selectorFromLabelSelector(ls)` matches.
 *
 * @throws {@link SelectorError} (`invalid`) for an invalid selector.
 */
export function toSelectorString(ls: LabelSelector): string {
  return selectorFromLabelSelector(ls).toString();
}

/**
 * Validates a structured selector with upstream's `ValidateLabelSelector` rules and messages,
 * reporting paths under `field` (e.g. `spec.selector`):
 *
 * - `matchLabels`: keys are qualified names, values label values (at `field.matchLabels`);
 * - `matchExpressions[i].values`: `Required value: must be specified when `operator` is 'In' or
 *   'NotIn'`, or `Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'`;
 * - `matchExpressions[i].operator`: `Invalid value: "X": not a valid selector operator`;
 * - `matchExpressions[i].key`: a qualified name; `matchExpressions[i].values[j]`: a label value.
 *
 * Returns `[]` for a valid (or missing) selector.
 */
export function validateLabelSelector(ls: LabelSelector | undefined | null, field: string): FieldError[] {
  if (ls === undefined || ls === null) return [];
  const errs: FieldError[] = [...validateLabels(ls.matchLabels, `${field}.matchLabels`)];
  (ls.matchExpressions ?? []).forEach((expr, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errs.push({
            type: 'FieldValueRequired',
            field: `${path}.values`,
            detail: "must be specified when `operator` is 'In' or 'NotIn'",
          });
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push({
            type: 'FieldValueForbidden',
            field: `${path}.values`,
            detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          });
        }
        break;
      default:
        errs.push({ type: 'FieldValueInvalid', field: `${path}.operator`, value: expr.operator, detail: 'not a valid selector operator' });
    }
    for (const detail of isQualifiedName(expr.key)) {
      errs.push({ type: 'FieldValueInvalid', field: `${path}.key`, value: expr.key, detail });
    }
    values.forEach((v, j) => {
      for (const detail of isValidLabelValue(v)) {
        errs.push({ type: 'FieldValueInvalid', field: `${path}.values[${j}]`, value: v, detail });
      }
    });
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------
// The string form

type TokenType = 'id' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'eos';

interface Token {
  readonly type: TokenType;
  readonly literal: string;
  readonly pos: number;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

/**
 * Upstream's lexer: whitespace separates tokens; `= ! ( ) , > <` are symbols (`==` and `!=`
 * are one token); anything else up to the next whitespace or symbol is an identifier (the
 * keywords `in` and `notin` are identifiers the parser recognizes where an operator is due).
 */
function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.has(c)) {
      i++;
    } else if (SPECIAL.has(c)) {
      const two = text.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ type: two, literal: two, pos: i });
        i += 2;
      } else {
        tokens.push({ type: c as TokenType, literal: c, pos: i });
        i++;
      }
    } else {
      const start = i;
      while (i < text.length && !WHITESPACE.has(text[i]!) && !SPECIAL.has(text[i]!)) i++;
      tokens.push({ type: 'id', literal: text.slice(start, i), pos: start });
    }
  }
  tokens.push({ type: 'eos', literal: '', pos: text.length });
  return tokens;
}

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

/** A recursive-descent parser over the token list, following upstream's `labels.Parser`. */
class Parser {
  #i = 0;
  readonly #tokens: Token[];
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
    this.#tokens = lex(text);
  }

  #peek(): Token {
    return this.#tokens[this.#i]!;
  }

  #next(): Token {
    const t = this.#tokens[this.#i]!;
    if (t.type !== 'eos') this.#i++;
    return t;
  }

  #fail(t: Token, expected: string, inRequirement: boolean): never {
    const prefix = inRequirement ? 'unable to parse requirement: ' : '';
    const found = t.type === 'eos' ? 'end of string' : `'${t.literal}'`;
    throw new SelectorError('syntax', `${prefix}found ${found}, expected: ${expected} (at position ${t.pos})`, this.#text, t.pos);
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.type === 'eos') return requirements;
      if (t.type !== 'id' && t.type !== '!') this.#fail(t, "!, identifier, or 'end of string'", false);
      requirements.push(this.#requirement());
      const sep = this.#next();
      if (sep.type === 'eos') return requirements;
      if (sep.type !== ',') this.#fail(sep, "',' or 'end of string'", false);
      const after = this.#peek();
      if (after.type !== 'id' && after.type !== '!') this.#fail(after, "identifier after ','", false);
    }
  }

  #requirement(): Requirement {
    let negated = false;
    let t = this.#next();
    if (t.type === '!') {
      negated = true;
      t = this.#next();
    }
    if (t.type !== 'id') this.#fail(t, 'identifier', true);
    const key = t.literal;
    // `!key` takes no operator: whatever follows must be `,` or the end (checked by parse()).
    if (negated) return this.#make(key, 'DoesNotExist', [], t.pos);
    const after = this.#peek();
    if (after.type === 'eos' || after.type === ',') return this.#make(key, 'Exists', [], t.pos);
    const op = this.#operator();
    const values = op === 'In' || op === 'NotIn' ? this.#valueSet() : this.#exactValue();
    return this.#make(key, op, values, t.pos);
  }

  #make(key: string, op: SelectorOperator, values: string[], pos: number): Requirement {
    const problems = requirementProblems(key, op, values);
    if (problems.length > 0) {
      throw new SelectorError(
        'invalid',
        `unable to parse requirement: ${problems.join(', ')} (at position ${pos})`,
        this.#text,
        pos,
      );
    }
    return newRequirement(key, op, values);
  }

  #operator(): SelectorOperator {
    const t = this.#next();
    switch (t.type) {
      case 'id':
        if (t.literal === 'in') return 'In';
        if (t.literal === 'notin') return 'NotIn';
        break;
      case '=':
      case '==':
      case '!=':
        return t.type;
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        break;
    }
    return this.#fail(t, BINARY_OPERATORS, true);
  }

  /** `( v1, v2 )`; upstream reads empty slots as the empty value: `()`, `(,a)`, `(a,)`. */
  #valueSet(): string[] {
    const open = this.#next();
    if (open.type !== '(') this.#fail(open, "'('", true);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = this.#next();
      if (t.type === ')') {
        if (expectValue) values.push('');
        return values;
      }
      if (t.type === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (t.type === 'id' && expectValue) {
        values.push(t.literal);
        expectValue = false;
      } else {
        this.#fail(t, expectValue ? "',', ')' or identifier" : "',' or ')'", true);
      }
    }
  }

  /** The one value after `=`, `==`, `!=`, `>` or `<`; nothing before `,` or the end is `''`. */
  #exactValue(): string[] {
    const t = this.#peek();
    if (t.type === 'eos' || t.type === ',') return [''];
    this.#next();
    if (t.type !== 'id') this.#fail(t, 'identifier', true);
    return [t.literal];
  }
}

/**
 * Parses the string form of a label selector, as upstream's `labels.Parse`:
 *
 * - `k=v`, `k==v`, `k!=v` (a missing label satisfies `!=`), `k in (a,b)`, `k notin (a,b)`
 *   (a missing label satisfies `notin`), `k` (exists), `!k` (does not exist), `k>3`, `k<3`
 *   (integer comparisons), joined by `,` (AND), with optional whitespace between tokens;
 * - `k=` and `k in ()` name the empty value;
 * - `''` (or only whitespace) selects everything.
 *
 * @example
 * ```ts
 * const s = parseSelector('app=web,tier in (a,b),!canary,env!=prod');
 * s.matches({ app: 'web', tier: 'a' }); // true
 * s.toString();                          // 'app=web,!canary,env!=prod,tier in (a,b)'
 * ```
 * @throws {@link SelectorError}: `syntax` naming the unexpected token and its position
 * (`found ')', expected: identifier (at position 4)`), or `invalid` for a bad key, value or
 * operand (`invalid label key "-a": ...`).
 */
export function parseSelector(text: string): Selector {
  return selectorFromRequirements(new Parser(text).parse());
}
