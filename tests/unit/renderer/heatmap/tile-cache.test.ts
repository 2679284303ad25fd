import { describe, expect, it } from 'vitest';
import { createLruCache } from '../../../../src-renderer/heatmap/tile-cache';

describe('LRU tile cache', () => {
  it('evicts the least recently used entries beyond its budget', () => {
    const evicted: string[] = [];
    const cache = createLruCache<string>(3, (value) => evicted.push(value));
    cache.set('a', 'A', 1);
    cache.set('b', 'B', 1);
    cache.set('c', 'C', 1);
    expect(cache.get('a')).toBe('A'); // a is now the most recent
    cache.set('d', 'D', 1);
    expect(evicted).toEqual(['B']);
    expect(cache.has('b')).toBe(false);
    expect(cache.size).toBe(3);
    expect(cache.cost).toBe(3);
  });

  it('keeps a new entry even when it alone exceeds the budget', () => {
    const cache = createLruCache<number>(2);
    cache.set('x', 1, 1);
    cache.set('big', 2, 5);
    expect(cache.has('x')).toBe(false);
    expect(cache.get('big')).toBe(2);
  });

  it('replaces, deletes and clears with the eviction callback', () => {
    const evicted: number[] = [];
    const cache = createLruCache<number>(10, (value) => evicted.push(value));
    cache.set('k', 1, 2);
    cache.set('k', 2, 2);
    cache.delete('k');
    cache.set('m', 3, 1);
    cache.clear();
    expect(evicted).toEqual([1, 2, 3]);
    expect(cache.size).toBe(0);
    expect(cache.cost).toBe(0);
  });
});
