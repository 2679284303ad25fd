import { describe, expect, it } from 'vitest';
import { emaSmooth } from '../../../../src-main/shared/charts/smoothing';

describe('emaSmooth', () => {
  it('returns the raw values at weight 0', () => {
    expect(emaSmooth([3, -1, 7.5], 0)).toEqual([3, -1, 7.5]);
  });

  it('is debiased: a constant series stays constant from the first point', () => {
    for (const value of emaSmooth([5, 5, 5, 5], 0.9)) expect(value).toBeCloseTo(5, 12);
  });

  it('matches the TensorBoard recurrence by hand', () => {
    // w = 0.5: m1 = 0.5, s1 = 0.5/0.5 = 1; m2 = 0.25 + 1.5 = 1.75, s2 = 1.75/0.75
    const [s1, s2] = emaSmooth([1, 3], 0.5);
    expect(s1).toBeCloseTo(1, 12);
    expect(s2).toBeCloseTo(1.75 / 0.75, 12);
  });

  it('lags behind a step change more as the weight grows', () => {
    const step = [0, 0, 0, 0, 10, 10, 10, 10];
    const light = emaSmooth(step, 0.3)[5] as number;
    const heavy = emaSmooth(step, 0.9)[5] as number;
    expect(light).toBeGreaterThan(heavy);
    expect(heavy).toBeGreaterThan(0);
    expect(light).toBeLessThan(10);
  });

  it('passes non-finite values through without poisoning later points', () => {
    const out = emaSmooth([2, Number.NaN, 2, Number.POSITIVE_INFINITY, 2], 0.6);
    expect(out[1]).toBeNaN();
    expect(out[3]).toBe(Number.POSITIVE_INFINITY);
    expect(out[4]).toBeCloseTo(2, 12);
  });

  it('rejects weights outside [0, 1) naming the argument', () => {
    expect(() => emaSmooth([1], 1)).toThrow(/weight must be in \[0, 1\), got 1/);
    expect(() => emaSmooth([1], -0.1)).toThrow(/weight/);
    expect(() => emaSmooth([1], Number.NaN)).toThrow(/weight/);
  });

  it('handles an empty series', () => {
    expect(emaSmooth([], 0.5)).toEqual([]);
  });
});
