import { describe, expect, it } from 'vitest';
import { LruCache } from './lru.js';

describe('LruCache', () => {
  it('drops the least recently used key once full', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('a write to a held key refreshes it instead of growing', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([10, undefined, 3]);
  });

  it('stays at its capacity under many keys', () => {
    const cache = new LruCache<number, number>(4096);
    for (let i = 0; i < 100_000; i++) cache.set(i, i);
    expect(cache.size).toBe(4096);
    expect(cache.get(100_000 - 4096)).toBe(100_000 - 4096);
    expect(cache.get(100_000 - 4097)).toBeUndefined();
  });
});
