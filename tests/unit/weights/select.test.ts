import { describe, expect, it } from 'vitest';
import { kthLargestAbs, kthSmallestAbs, quickselect } from '../../../src-main/weights/select';
import { expectError, noise } from './helpers';

describe('selection without a full sort', () => {
  it('finds order statistics of |x| that agree with sorting, with repeats and NaN', () => {
    const data = Float32Array.from(noise(20000, 8, 10), (v, i) => (i % 5 === 0 ? Math.trunc(v) : v));
    data[17] = NaN;
    const sorted = [...data]
      .filter((v) => !Number.isNaN(v))
      .map(Math.abs)
      .sort((a, b) => a - b);
    for (const k of [1, 2, 1000, 9999, 19998, 19999]) {
      expect(kthSmallestAbs(data, k)).toBe(sorted[k - 1]);
      expect(kthLargestAbs(data, k)).toBe(sorted[sorted.length - k]);
    }
  });

  it('selects in place', () => {
    const values = Float32Array.from([5, 1, 4, 1, 3, 9, 2]);
    expect(quickselect(values, 3)).toBe(3);
    expect(quickselect(Float32Array.from([2, 2, 2]), 1)).toBe(2);
  });

  it('rejects ranks outside the data', () => {
    expectError(() => kthSmallestAbs(Float32Array.from([1, 2]), 3), 'INVALID_SPEC');
  });
});
