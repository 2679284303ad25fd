import { describe, expect, it } from 'vitest';
import { maxAbs, percentileAbs, robustLimit } from '../../../../src-renderer/heatmap/robust-scale';

describe('robust symmetric scale', () => {
  it('takes the nearest-rank percentile of |v|', () => {
    const values = Float32Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (i + 1));
    expect(percentileAbs(values, 100)).toBe(100);
    expect(percentileAbs(values, 99)).toBe(99);
    expect(percentileAbs(values, 50)).toBe(50);
    expect(percentileAbs(values, 0.5)).toBe(1);
  });

  it('ignores NaN and ±∞', () => {
    expect(percentileAbs([Number.NaN, 3, -Infinity, -1, Infinity, 2], 100)).toBe(3);
    expect(Number.isNaN(percentileAbs([Number.NaN], 50))).toBe(true);
    expect(maxAbs([Number.NaN, -4, Infinity, 2])).toBe(4);
  });

  it('is not dragged up by one outlier, unlike max|v|', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 0.01);
    values[123] = 50;
    const limit = robustLimit(values, 99);
    expect(limit).toBeLessThan(0.011);
    expect(limit).toBeGreaterThan(0.009);
    expect(maxAbs(values)).toBe(50);
  });

  it('falls back to max|v| for a mostly-zero delta and to 1 for an all-zero one', () => {
    const sparse = new Float32Array(1000);
    sparse[3] = -0.5;
    expect(robustLimit(sparse, 99)).toBe(0.5);
    expect(robustLimit(new Float32Array(10), 99)).toBe(1);
  });

  it('does not reorder its input', () => {
    const values = Float32Array.of(3, -1, 2);
    percentileAbs(values, 50);
    expect([...values]).toEqual([3, -1, 2]);
  });

  it('rejects a percentile outside (0, 100]', () => {
    expect(() => percentileAbs([1], 0)).toThrow(/percentile must be in \(0, 100\], got 0/);
    expect(() => robustLimit([1], 101)).toThrow(/percentile/);
  });
});
