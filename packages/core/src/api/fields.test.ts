import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { runs } from '../testing/index.js';
import { fieldSelectorFromSet, parseFieldSelector, unsupportedFields } from './fields.js';
import { SelectorError } from './labels.js';

function errorOf(text: string): SelectorError {
  try {
    parseFieldSelector(text);
  } catch (e) {
    if (e instanceof SelectorError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

const pod = (fields: Record<string, string>) => (f: string) => fields[f];

describe('parseFieldSelector', () => {
  // Upstream: k8s.io/apimachinery/pkg/fields/selector_test.go (TestSelectorParse, TestSelectorMatches).
  it.each([
    ['', ''],
    [',', ''],
    ['metadata.name=web-0', 'metadata.name=web-0'],
    ['metadata.name==web-0', 'metadata.name=web-0'],
    ['status.phase!=Running', 'status.phase!=Running'],
    ['spec.nodeName=', 'spec.nodeName='],
    ['x=a,,y=b', 'x=a,y=b'],
    ['y=b,x=a', 'x=a,y=b'],
    ['a=x\\,y', 'a=x\\,y'],
    ['a=x\\=y\\\\z', 'a=x\\=y\\\\z'],
    ['a!=b,a=c', 'a!=b,a=c'],
  ])('parses %j and prints it canonically as %j', (text, canonical) => {
    const s = parseFieldSelector(text);
    expect(s.toString()).toBe(canonical);
    expect(parseFieldSelector(canonical).toString()).toBe(canonical);
  });

  it('unescapes values', () => {
    expect(parseFieldSelector('a=x\\,y\\=z\\\\').requirements).toEqual([{ field: 'a', operator: '=', value: 'x,y=z\\' }]);
  });

  it.each([
    ['metadata.name=web-0', { 'metadata.name': 'web-0' }, true],
    ['metadata.name=web-0', { 'metadata.name': 'web-1' }, false],
    ['status.phase!=Running', { 'status.phase': 'Pending' }, true],
    ['status.phase!=Running', { 'status.phase': 'Running' }, false],
    ['status.phase!=Running', {}, true],
    // An unset field reads as '': the scheduler's "unscheduled pods" selector.
    ['spec.nodeName=', {}, true],
    ['spec.nodeName=', { 'spec.nodeName': 'n1' }, false],
    ['spec.nodeName!=', { 'spec.nodeName': 'n1' }, true],
    ['a=1,b=2', { a: '1', b: '2' }, true],
    ['a=1,b=2', { a: '1', b: '3' }, false],
    ['', {}, true],
  ] as const)('%j on %j matches: %s', (text, fields, expected) => {
    expect(parseFieldSelector(text).matches(pod(fields))).toBe(expected);
  });

  it.each([
    ['a', "invalid selector: 'a'; can't understand 'a'", 0],
    ['x=1,b', "invalid selector: 'x=1,b'; can't understand 'b'", 4],
    ['a=b=c', 'invalid field selector: unescaped character in value: =', 3],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x', 3],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\', 3],
    ['a<1', "invalid selector: 'a<1'; can't understand 'a<1'", 0],
  ] as const)('rejects %j with a SelectorError: %s', (text, message, position) => {
    const e = errorOf(text);
    expect(e.code).toBe('syntax');
    expect(e.message).toBe(message);
    expect(e.position).toBe(position);
    expect(e.input).toBe(text);
  });

  it('lists its fields once each, and reports the unsupported ones for a 400 "field label not supported"', () => {
    const s = parseFieldSelector('spec.foo=1,metadata.name=a,spec.foo!=2');
    expect(s.fields()).toEqual(['metadata.name', 'spec.foo']);
    expect(unsupportedFields(s, ['metadata.name', 'metadata.namespace'])).toEqual(['spec.foo']);
    expect(unsupportedFields(s, ['metadata.name', 'spec.foo'])).toEqual([]);
  });

  it('only reads the fields it names', () => {
    const read: string[] = [];
    parseFieldSelector('metadata.name=a').matches((f) => {
      read.push(f);
      return 'a';
    });
    expect(read).toEqual(['metadata.name']);
  });

  it('pins the value of an equality term for index lookups', () => {
    const s = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed');
    expect(s.requiresExactMatch('spec.nodeName')).toBe('n1');
    expect(s.requiresExactMatch('status.phase')).toBeUndefined();
    expect(s.empty()).toBe(false);
    expect(parseFieldSelector('').empty()).toBe(true);
  });

  it('builds a selector from a map of field values, escaping them', () => {
    const s = fieldSelectorFromSet({ 'spec.nodeName': 'n,1' });
    expect(s.toString()).toBe('spec.nodeName=n\\,1');
    expect(s.matches(pod({ 'spec.nodeName': 'n,1' }))).toBe(true);
  });
});

describe('field selector properties', () => {
  const field = fc.constantFrom('metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase');
  const value = fc.string({ unit: fc.constantFrom('a', 'b', '1', ',', '=', '\\', '-', '.'), maxLength: 6 });
  const requirement = fc.record({ field, operator: fc.constantFrom('=' as const, '!=' as const), value });
  const fields = fc.dictionary(field, value, { maxKeys: 4 });

  test.prop([fc.array(requirement, { maxLength: 4 }), fields], { numRuns: runs(500, 20_000) })(
    'printed selectors re-parse to the same terms and select the same objects',
    (reqs, obj) => {
      const text = reqs.map((r) => `${r.field}${r.operator}${r.value.replace(/[\\,=]/g, (c) => `\\${c}`)}`).join(',');
      const s = parseFieldSelector(text);
      expect(parseFieldSelector(s.toString()).toString()).toBe(s.toString());
      const model = reqs.every((r) => ((obj[r.field] ?? '') === r.value) === (r.operator === '='));
      expect(s.matches((f) => obj[f])).toBe(model);
      expect(parseFieldSelector(s.toString()).matches((f) => obj[f])).toBe(model);
    },
  );

  test.prop([fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('a', '=', '!', ',', '\\', ' ') }))], {
    numRuns: runs(1000, 50_000),
  })('fails only with a SelectorError on arbitrary text', (text) => {
    try {
      const s = parseFieldSelector(text);
      expect(parseFieldSelector(s.toString()).toString()).toBe(s.toString());
    } catch (e) {
      expect(e).toBeInstanceOf(SelectorError);
    }
  });
});
