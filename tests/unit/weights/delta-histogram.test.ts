import { describe, expect, it } from 'vitest';
import { deltaStats } from '../../../src-main/weights/delta-stats';
import { expectError, noise } from './helpers';

const histogramOf = (values: number[], bins = 8) =>
  deltaStats(new Float32Array(values.length), Float32Array.from(values), { bins }).histogram;

describe('single-pass Δ histogram', () => {
  it('does not depend on the order values arrive in (range growth merges bins exactly)', () => {
    const values = [...noise(3000, 11)].map((v, i) => v * 2 ** ((i % 40) - 30));
    const ascending = [...values].sort((x, y) => Math.abs(x) - Math.abs(y));
    const descending = [...ascending].reverse();
    const expected = histogramOf(values, 64);
    expect(histogramOf(ascending, 64)).toEqual(expected);
    expect(histogramOf(descending, 64)).toEqual(expected);
  });

  it('survives one jump across ~200 binary orders of magnitude', () => {
    // limit: max|Δ| = 1e30 → R = 2^100; smallest j > 16 with 2^100·j/32 > 1e30 (2^100 ≈ 1.27e30) is 26.
    const { limit, counts } = histogramOf([1e-30, -1e-30, 0, 1e30], 4);
    expect(limit).toBe((2 ** 100 * 26) / 32);
    // bins of width limit/2: [-limit, -limit/2) [-limit/2, 0) [0, limit/2) [limit/2, limit)
    expect(counts).toEqual([0, 1, 2, 1]);
  });

  it('counts Δ = 0 in the bin starting at 0 and a tiny negative Δ in the one below', () => {
    expect(histogramOf([0, 0, -(2 ** -149), 1], 4).counts).toEqual([0, 1, 2, 1]);
  });

  it('requires a power-of-two bin count', () => {
    expect(expectError(() => histogramOf([1], 10), 'INVALID_SPEC').message).toBe(
      'histogram bins must be a power of two between 2 and 4096; got 10',
    );
  });
});
