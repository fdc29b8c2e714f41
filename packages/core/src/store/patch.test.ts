import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { runs } from '../testing/index.js';
import { applyJsonPatch, applyMergePatch } from './patch.js';
import { isApiError } from '../api/errors.js';

describe('merge patch (RFC 7386)', () => {
  it('merges objects, deletes keys set to null and replaces arrays', () => {
    const target = { spec: { replicas: 2, template: { x: 1 } }, list: [1, 2], keep: true };
    const out = applyMergePatch(target, { spec: { replicas: 4, template: null }, list: [3] });
    expect(out).toEqual({ spec: { replicas: 4 }, list: [3], keep: true });
    expect(target).toEqual({ spec: { replicas: 2, template: { x: 1 } }, list: [1, 2], keep: true });
  });

  test.prop([fc.jsonValue(), fc.jsonValue()], { numRuns: runs(200, 5000) })(
    'never modifies its input and is idempotent (applying the same patch twice changes nothing more)',
    (target, patch) => {
      const before = JSON.stringify(target);
      const once = applyMergePatch(target, patch);
      expect(JSON.stringify(target)).toBe(before);
      expect(applyMergePatch(once, patch)).toEqual(once);
    },
  );
});

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c1' }, { name: 'c2' }] } };

  it('adds, replaces, removes, moves, copies and tests values', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/x~1y', value: 'z' },
      { op: 'replace', path: '/spec/containers/0/name', value: 'first' },
      { op: 'add', path: '/spec/containers/-', value: { name: 'c3' } },
      { op: 'remove', path: '/spec/containers/1' },
      { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/d' },
      { op: 'test', path: '/metadata/labels/d', value: 'b' },
    ]);
    expect(out).toEqual({
      metadata: { labels: { 'x/y': 'z', c: 'b', d: 'b' } },
      spec: { containers: [{ name: 'first' }, { name: 'c3' }] },
    });
    expect(doc.spec.containers).toHaveLength(2);
  });

  it('rejects a path that does not exist with an Invalid error and applies nothing', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/spec/nope/x', value: 1 }])).toThrow(/does not exist/);
    try {
      applyJsonPatch(doc, [{ op: 'test', path: '/metadata/labels/a', value: 'other' }]);
      expect.unreachable();
    } catch (e) {
      expect(isApiError(e, 'Invalid')).toBe(true);
    }
  });

  it('rejects an out-of-bounds array index', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/spec/containers/5', value: {} }])).toThrow(/out of bounds/);
  });
});
