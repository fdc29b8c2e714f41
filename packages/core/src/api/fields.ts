/**
 * Field selectors, as upstream's `k8s.io/apimachinery/pkg/fields`: `?fieldSelector=` terms
 * such as `metadata.name=web-0,status.phase!=Running,spec.nodeName=` that filter lists and
 * watches by a few well-known fields of each kind.
 *
 * Which fields a kind supports is the store's business: `metadata.name`, `metadata.namespace`
 * and the kind's registered `fieldSelectors` (see `ResourceSpec.fieldSelectors`). The store
 * checks a parsed selector with {@link unsupportedFields} and answers 400
 * `field label not supported: <name>` for the first unknown one, as upstream does.
 *
 * @module
 */
import { SelectorError } from './labels.js';

/** One term of a field selector: `field=value` (also written `==`) or `field!=value`. */
export interface FieldRequirement {
  /** The field path, e.g. `spec.nodeName`. Not validated here (see {@link unsupportedFields}). */
  readonly field: string;
  /** `=` (equal; `==` parses to it) or `!=` (not equal). */
  readonly operator: '=' | '!=';
  /** The value, unescaped. An unset field reads as `''`, so `spec.nodeName=` selects unscheduled pods. */
  readonly value: string;
}

/**
 * A parsed field selector: the AND of its {@link requirements}.
 *
 * Guarantees: immutable; `toString()` is canonical (terms sorted, values escaped, `==` written
 * `=`) and re-parses to a selector with the same text; an empty selector matches everything.
 */
export interface FieldSelector {
  /**
   * Whether an object passes every term. `get` reads a field of the object, `undefined` when
   * it is unset (compared as `''`, as upstream's `fields.Set`). `get` is only called for fields
   * the selector names.
   */
  matches(get: (field: string) => string | undefined): boolean;
  /** The fields the terms name, in term order, without duplicates. */
  fields(): string[];
  /** The canonical string form, e.g. `metadata.name=web-0,status.phase!=Running`. */
  toString(): string;
  /** Whether there are no terms (the selector matches everything). */
  empty(): boolean;
  /** The value `field` must have when a `field=value` term pins it; lets a cache use an index. */
  requiresExactMatch(field: string): string | undefined;
  /** The terms, in canonical order. */
  readonly requirements: readonly FieldRequirement[];
}

/** Escapes `\`, `,` and `=` with a backslash, as upstream's `fields.EscapeValue`. */
function escapeValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

function renderTerm(r: FieldRequirement): string {
  return `${r.field}${r.operator}${escapeValue(r.value)}`;
}

class TermsSelector implements FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  readonly #text: string;

  constructor(requirements: readonly FieldRequirement[]) {
    const terms = requirements.map((r) => ({ r: Object.freeze({ ...r }), text: renderTerm(r) }));
    terms.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    this.requirements = Object.freeze(terms.map((t) => t.r));
    this.#text = terms.map((t) => t.text).join(',');
    Object.freeze(this);
  }

  matches(get: (field: string) => string | undefined): boolean {
    for (const r of this.requirements) {
      const actual = get(r.field) ?? '';
      if ((actual === r.value) !== (r.operator === '=')) return false;
    }
    return true;
  }

  fields(): string[] {
    return [...new Set(this.requirements.map((r) => r.field))];
  }

  toString(): string {
    return this.#text;
  }

  empty(): boolean {
    return this.requirements.length === 0;
  }

  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }
}

/** Splits at commas that are not backslash-escaped, keeping each term's offset (upstream `splitTerms`). */
function splitTerms(text: string): { term: string; pos: number }[] {
  const terms: { term: string; pos: number }[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push({ term: text.slice(start, i), pos: start });
      start = i + 1;
    }
  }
  terms.push({ term: text.slice(start), pos: start });
  return terms;
}

/** Unescapes a value, throwing on a bad escape or a bare `,`/`=` (upstream `UnescapeValue`). */
function unescapeValue(value: string, input: string, pos: number): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') {
        const sequence = next === undefined ? '\\' : `\\${next}`;
        throw new SelectorError('syntax', `invalid field selector: invalid escape sequence: ${sequence}`, input, pos + i);
      }
      out += next;
      i++;
    } else if (c === ',' || c === '=') {
      throw new SelectorError('syntax', `invalid field selector: unescaped character in value: ${c}`, input, pos + i);
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Parses a field selector, as upstream's `fields.ParseSelector`: terms `field=value`,
 * `field==value` or `field!=value` joined by `,`; in values, `\,`, `\=` and `\\` stand for
 * `,`, `=` and `\`. Empty terms are skipped, so `''` selects everything. The field name is
 * everything before the first operator and is not validated here.
 *
 * @example
 * ```ts
 * const s = parseFieldSelector('spec.nodeName=,status.phase!=Failed');
 * s.matches((f) => ({ 'status.phase': 'Pending' })[f]); // true: nodeName unset reads as ''
 * s.fields(); // ['spec.nodeName', 'status.phase']
 * ```
 * @throws {@link SelectorError} (`syntax`) with upstream's message for a term without an
 * operator (`invalid selector: 'a'; can't understand 'a'`), a bad escape
 * (`invalid field selector: invalid escape sequence: \x`) or an unescaped `,`/`=` in a value
 * (`invalid field selector: unescaped character in value: =`).
 */
export function parseFieldSelector(text: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const { term, pos } of text.length === 0 ? [] : splitTerms(text)) {
    if (term === '') continue;
    const m = /!=|==|=/.exec(term);
    if (!m) throw new SelectorError('syntax', `invalid selector: '${text}'; can't understand '${term}'`, text, pos);
    const field = term.slice(0, m.index);
    const raw = term.slice(m.index + m[0].length);
    const value = unescapeValue(raw, text, pos + m.index + m[0].length);
    requirements.push({ field, operator: m[0] === '!=' ? '!=' : '=', value });
  }
  return new TermsSelector(requirements);
}

/**
 * The selector `f1=v1,f2=v2` for a map of field values (upstream `fields.SelectorFromSet`),
 * e.g. `fieldSelectorFromSet({ 'spec.nodeName': 'node-1' })`. Values are escaped as needed.
 */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldSelector {
  return new TermsSelector(Object.entries(set).map(([field, value]) => ({ field, operator: '=' as const, value })));
}

/**
 * The fields `sel` names that are not in `supported`, in the selector's order, each once.
 * The store rejects a request when this is not empty, as upstream:
 * `field label not supported: <first one>`.
 *
 * @example
 * ```ts
 * unsupportedFields(parseFieldSelector('spec.foo=1,metadata.name=a'), ['metadata.name']); // ['spec.foo']
 * ```
 */
export function unsupportedFields(sel: FieldSelector, supported: readonly string[]): string[] {
  const known = new Set(supported);
  return sel.fields().filter((f) => !known.has(f));
}
