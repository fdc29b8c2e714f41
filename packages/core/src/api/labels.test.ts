import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { runs } from '../testing/index.js';
import { formatFieldError } from './errors.js';
import type { LabelSelector, LabelSelectorRequirement } from './meta.js';
import {
  SelectorError,
  everything,
  matchesLabelSelector,
  newRequirement,
  nothing,
  parseSelector,
  selectorFromLabelSelector,
  selectorFromSet,
  toSelectorString,
  validateLabelSelector,
} from './labels.js';

function selectorErrorOf(text: string): SelectorError {
  try {
    parseSelector(text);
  } catch (e) {
    if (e instanceof SelectorError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

describe('parseSelector', () => {
  // Upstream: k8s.io/apimachinery/pkg/labels/selector_test.go (TestSelectorParse, TestSelectorMatches).
  it.each([
    ['', ''],
    ['   ', ''],
    ['app=web', 'app=web'],
    ['app==web', 'app==web'],
    ['app = web', 'app=web'],
    ['env!=prod', 'env!=prod'],
    ['tier in (b,a)', 'tier in (a,b)'],
    ['tier in(a , b , a)', 'tier in (a,b)'],
    ['x notin (y)', 'x notin (y)'],
    ['track', 'track'],
    ['!canary', '!canary'],
    ['app=web,tier in (a,b),!canary,env!=prod,track,x notin (y)', 'app=web,!canary,env!=prod,tier in (a,b),track,x notin (y)'],
    ['k=', 'k='],
    ['k in ()', 'k in ()'],
    ['k in (,a)', 'k in (,a)'],
    ['k in (a,)', 'k in (,a)'],
    ['replicas>3', 'replicas>3'],
    ['replicas<3', 'replicas<3'],
    ['in=notin', 'in=notin'],
    ['in in (in,notin)', 'in in (in,notin)'],
    ['example.com/team=a_b.c-d', 'example.com/team=a_b.c-d'],
    ['b=1,a=2,b!=3', 'a=2,b=1,b!=3'],
  ])('parses %j and prints it canonically as %j', (text, canonical) => {
    const s = parseSelector(text);
    expect(s.toString()).toBe(canonical);
    expect(parseSelector(s.toString()).toString()).toBe(canonical);
  });

  it('selects everything with an empty string', () => {
    const s = parseSelector('');
    expect(s.empty()).toBe(true);
    expect(s.matches(undefined)).toBe(true);
    expect(s.matches({ a: 'b' })).toBe(true);
  });

  it.each([
    ['app=web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app=web', {}, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['app!=web', { app: 'db' }, true],
    ['tier in (a,b)', { tier: 'b' }, true],
    ['tier in (a,b)', { tier: 'c' }, false],
    ['tier in (a,b)', {}, false],
    ['tier notin (a,b)', {}, true],
    ['tier notin (a,b)', { tier: 'a' }, false],
    ['track', { track: '' }, true],
    ['track', {}, false],
    ['!canary', {}, true],
    ['!canary', { canary: 'true' }, false],
    ['k=', { k: '' }, true],
    ['k=', {}, false],
    ['k in ()', { k: '' }, true],
    ['n>3', { n: '4' }, true],
    ['n>3', { n: '3' }, false],
    ['n>3', { n: 'four' }, false],
    ['n>3', {}, false],
    ['n<3', { n: '-1' }, true],
    ['app=web,!canary', { app: 'web', canary: 'x' }, false],
    ['app=web,!canary', { app: 'web' }, true],
    // An own property only: prototype keys of a plain object are not labels.
    ['constructor', {}, false],
    ['!toString', {}, true],
  ] as const)('%j on %j matches: %s', (text, labels, expected) => {
    expect(parseSelector(text).matches(labels)).toBe(expected);
  });

  it.each([
    [',', "found ',', expected: !, identifier, or 'end of string' (at position 0)", 'syntax'],
    ['a=b,', "found end of string, expected: identifier after ',' (at position 4)", 'syntax'],
    ['a=b,,c', "found ',', expected: identifier after ',' (at position 4)", 'syntax'],
    ['a b', 'unable to parse requirement: found \'b\', expected: in, notin, =, ==, !=, gt, lt (at position 2)', 'syntax'],
    ['app in web', "unable to parse requirement: found 'web', expected: '(' (at position 7)", 'syntax'],
    ['app in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')' (at position 10)", 'syntax'],
    ['app in (a', "unable to parse requirement: found end of string, expected: ',' or ')' (at position 9)", 'syntax'],
    ['app in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier (at position 8)", 'syntax'],
    ['a=b=c', "found '=', expected: ',' or 'end of string' (at position 3)", 'syntax'],
    ['!a=b', "found '=', expected: ',' or 'end of string' (at position 2)", 'syntax'],
    ['a=(', "unable to parse requirement: found '(', expected: identifier (at position 2)", 'syntax'],
    ['!', 'unable to parse requirement: found end of string, expected: identifier (at position 1)', 'syntax'],
    ['-a=b', 'invalid label key "-a"', 'invalid'],
    ['a=b/c', 'invalid label value "b/c" for key "a"', 'invalid'],
    ['n>x', "for 'Gt', 'Lt' operators, the value must be an integer", 'invalid'],
    ['a/b/c', 'invalid label key "a/b/c"', 'invalid'],
  ] as const)('rejects %j with a SelectorError naming the token and its position', (text, message, code) => {
    const e = selectorErrorOf(text);
    expect(e.code).toBe(code);
    expect(e.input).toBe(text);
    expect(e.message).toContain(message);
  });

  it('reads a missing value after an operator as the empty value, but an `in` needs its parentheses', () => {
    // upstream parseExactValue: `app=` and `app=,b` name the empty value.
    expect(parseSelector('app=,b').toString()).toBe('app=,b');
    expect(selectorErrorOf('app in').position).toBe(6);
  });
});

describe('structured selectors', () => {
  it('matches nothing for a missing selector and everything for {} (LabelSelectorAsSelector)', () => {
    expect(selectorFromLabelSelector(undefined)).toBe(nothing);
    expect(selectorFromLabelSelector(null).matches({})).toBe(false);
    expect(selectorFromLabelSelector({})).toBe(everything);
    expect(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).matches({ a: 'b' })).toBe(true);
    expect(nothing.empty()).toBe(false);
    expect(everything.empty()).toBe(true);
    expect(matchesLabelSelector(undefined, { a: 'b' })).toBe(false);
    expect(matchesLabelSelector({}, undefined)).toBe(true);
  });

  it('ANDs matchLabels and matchExpressions and prints them sorted by key', () => {
    const ls: LabelSelector = {
      matchLabels: { tier: 'web', app: 'shop' },
      matchExpressions: [
        { key: 'env', operator: 'NotIn', values: ['prod', 'dev'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'app', operator: 'Exists', values: [] },
      ],
    };
    const s = selectorFromLabelSelector(ls);
    expect(toSelectorString(ls)).toBe('app=shop,app,!canary,env notin (dev,prod),tier=web');
    expect(s.matches({ app: 'shop', tier: 'web' })).toBe(true);
    expect(s.matches({ app: 'shop', tier: 'web', env: 'prod' })).toBe(false);
    expect(s.matches({ app: 'shop', tier: 'web', canary: '1' })).toBe(false);
    expect(s.matches({ app: 'shop' })).toBe(false);
    expect(s.requiresExactMatch('app')).toBe('shop');
    expect(s.requiresExactMatch('env')).toBeUndefined();
  });

  it('rejects invalid structured selectors with a SelectorError, and matchesLabelSelector treats them as matching nothing', () => {
    const bad: LabelSelector[] = [
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      { matchExpressions: [{ key: 'a', operator: 'Gt' as 'In', values: ['1'] }] },
      { matchLabels: { 'a b': 'c' } },
    ];
    for (const ls of bad) {
      expect(() => selectorFromLabelSelector(ls)).toThrow(SelectorError);
      expect(matchesLabelSelector(ls, { a: 'x' })).toBe(false);
    }
    expect(() => selectorFromLabelSelector(bad[2])).toThrow('"Gt" is not a valid label selector operator');
  });

  it('builds the selector of a plain label map, as a Service selector', () => {
    expect(selectorFromSet({ b: '2', a: '1' }).toString()).toBe('a=1,b=2');
    expect(selectorFromSet(undefined)).toBe(everything);
    expect(selectorFromSet({})).toBe(everything);
    expect(() => selectorFromSet({ a: 'not valid' })).toThrow(SelectorError);
  });

  it('validates requirements like labels.NewRequirement', () => {
    expect(newRequirement('a', 'In', ['b', 'a', 'b']).values).toEqual(['a', 'b']);
    expect(() => newRequirement('a', '=', [])).toThrow('exact-match compatibility requires one single value');
    expect(() => newRequirement('a', 'gt', ['1', '2'])).toThrow("exactly one value is required");
    expect(() => newRequirement('a', 'NotIn', [])).toThrow("values set can't be empty");
  });
});

describe('validateLabelSelector', () => {
  // Upstream: apimachinery/pkg/apis/meta/v1/validation ValidateLabelSelector.
  it('requires values for In and NotIn', () => {
    const errs = validateLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] }, 'spec.selector');
    expect(errs.map(formatFieldError)).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
  });

  it('forbids values for Exists and DoesNotExist', () => {
    const errs = validateLabelSelector(
      { matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'DoesNotExist', values: ['x'] }] },
      'spec.selector',
    );
    expect(errs.map(formatFieldError)).toEqual([
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ]);
  });

  it('rejects unknown operators, bad keys and bad values with their field paths', () => {
    const ls = {
      matchLabels: { '-bad': 'ok', good: 'no good' },
      matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] } as unknown as LabelSelectorRequirement, { key: 'x/y/z', operator: 'In', values: ['ok', '-v'] }],
    } satisfies LabelSelector;
    const fields = validateLabelSelector(ls, 'spec.selector').map((e) => `${e.field} ${e.type}`);
    expect(fields).toEqual([
      'spec.selector.matchLabels FieldValueInvalid',
      'spec.selector.matchLabels FieldValueInvalid',
      'spec.selector.matchExpressions[0].operator FieldValueInvalid',
      'spec.selector.matchExpressions[1].key FieldValueInvalid',
      'spec.selector.matchExpressions[1].values[1] FieldValueInvalid',
    ]);
    expect(formatFieldError(validateLabelSelector(ls, 'spec.selector')[2]!)).toBe(
      'spec.selector.matchExpressions[0].operator: Invalid value: "Gt": not a valid selector operator',
    );
  });

  it('accepts valid and missing selectors', () => {
    expect(validateLabelSelector(undefined, 'spec.selector')).toEqual([]);
    expect(validateLabelSelector({}, 'spec.selector')).toEqual([]);
    expect(
      validateLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'k', operator: 'In', values: [''] }] }, 's'),
    ).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Small pools so that generated selectors and label sets often talk about the same labels. */
const key = fc.constantFrom('app', 'tier', 'env', 'example.com/team', 'x', 'in', 'notin');
const value = fc.constantFrom('', 'a', 'b', 'web', 'v1.2', 'in', 'A_b-9');
const labelSet = fc.dictionary(key, value, { maxKeys: 5 });

const expression: fc.Arbitrary<LabelSelectorRequirement> = fc.oneof(
  fc.record({ key, operator: fc.constantFrom('In' as const, 'NotIn' as const), values: fc.array(value, { minLength: 1, maxLength: 3 }) }),
  fc.record(
    { key, operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const), values: fc.constantFrom([] as string[]) },
    { requiredKeys: ['key', 'operator'] },
  ),
);
const labelSelector: fc.Arbitrary<LabelSelector> = fc.record(
  { matchLabels: fc.dictionary(key, value, { maxKeys: 3 }), matchExpressions: fc.array(expression, { maxLength: 4 }) },
  { requiredKeys: [] },
);

/** The meaning of a structured selector, written directly from the API reference. */
function modelMatches(ls: LabelSelector, labels: Record<string, string>): boolean {
  const has = (k: string) => Object.hasOwn(labels, k);
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) if (!has(k) || labels[k] !== v) return false;
  for (const e of ls.matchExpressions ?? []) {
    const vs = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? has(e.key) && vs.includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has(e.key) || !vs.includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has(e.key)
            : !has(e.key);
    if (!ok) return false;
  }
  return true;
}

describe('label selector properties', () => {
  test.prop([labelSelector, labelSet], { numRuns: runs(500, 20_000) })(
    'the string form and the structured form of a selector match the same label sets',
    (ls, labels) => {
      const structured = selectorFromLabelSelector(ls).matches(labels);
      expect(parseSelector(toSelectorString(ls)).matches(labels)).toBe(structured);
      expect(structured).toBe(modelMatches(ls, labels));
      expect(validateLabelSelector(ls, 'spec.selector')).toEqual([]);
    },
  );

  test.prop([labelSelector], { numRuns: runs(500, 20_000) })('parsing a printed selector prints it the same way', (ls) => {
    const text = selectorFromLabelSelector(ls).toString();
    const reparsed = parseSelector(text);
    expect(reparsed.toString()).toBe(text);
    expect(reparsed.requirements).toEqual(selectorFromLabelSelector(ls).requirements);
  });

  const tokenSoup = fc
    .array(fc.constantFrom('a', 'b', 'in', 'notin', '(', ')', ',', '!', '=', '==', '!=', '>', '<', ' ', '1', '-', '/', 'x.y'), {
      maxLength: 12,
    })
    .map((parts) => parts.join(''));

  test.prop([fc.oneof(fc.string(), tokenSoup)], { numRuns: runs(1000, 50_000) })(
    'fails only with a SelectorError on arbitrary text, and what parses re-parses to the same selector',
    (text) => {
      let printed: string;
      try {
        printed = parseSelector(text).toString();
      } catch (e) {
        expect(e).toBeInstanceOf(SelectorError);
        return;
      }
      expect(parseSelector(printed).toString()).toBe(printed);
    },
  );
});
