import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src-main/shared/random';
import {
  bootstrapMeanCi,
  mean,
  normalQuantile,
  quantileSorted,
  wilsonInterval,
} from '../../../src-main/engine/stats';

const options = { resamples: 1000, confidence: 0.95, seed: 5 };

describe('bootstrapMeanCi', () => {
  it('gives a zero-width interval at the value for a constant sample', () => {
    expect(bootstrapMeanCi(new Array(50).fill(0.75), options)).toEqual({
      estimate: 0.75,
      low: 0.75,
      high: 0.75,
    });
  });

  it('centres the interval of a symmetric sample on its mean', () => {
    const sample = Array.from({ length: 201 }, (_, i) => i - 100);
    const ci = bootstrapMeanCi(sample, options);
    expect(ci.estimate).toBe(0);
    expect(ci.low).toBeLessThan(0);
    expect(ci.high).toBeGreaterThan(0);
    expect(Math.abs(ci.low + ci.high)).toBeLessThan(0.15 * (ci.high - ci.low));
  });

  it('has the width of the normal interval 2·1.96·σ/√n for a large sample', () => {
    const rng = createRng(11);
    const sample = Array.from({ length: 400 }, () => rng.normal() * 2 + 3);
    const m = mean(sample);
    const sd = Math.sqrt(sample.reduce((s, x) => s + (x - m) ** 2, 0) / (sample.length - 1));
    const ci = bootstrapMeanCi(sample, { ...options, resamples: 4000 });
    const expected = (2 * 1.96 * sd) / Math.sqrt(sample.length);
    expect(Math.abs(ci.high - ci.low - expected) / expected).toBeLessThan(0.1);
    expect(ci.low).toBeLessThan(m);
    expect(ci.high).toBeGreaterThan(m);
  });

  it('is deterministic for a seed and changes with it', () => {
    const sample = Array.from({ length: 30 }, (_, i) => (i * 7919) % 13);
    expect(bootstrapMeanCi(sample, options)).toEqual(bootstrapMeanCi(sample, options));
    expect(bootstrapMeanCi(sample, options)).not.toEqual(bootstrapMeanCi(sample, { ...options, seed: 6 }));
  });

  it('widens with the confidence level', () => {
    const sample = Array.from({ length: 40 }, (_, i) => Math.sin(i));
    const narrow = bootstrapMeanCi(sample, { ...options, confidence: 0.5 });
    const wide = bootstrapMeanCi(sample, { ...options, confidence: 0.99 });
    expect(wide.high - wide.low).toBeGreaterThan(narrow.high - narrow.low);
  });

  it('refuses empty or non-finite samples and bad confidence levels with INVALID_SPEC', () => {
    expect(() => bootstrapMeanCi([], options)).toThrow(/empty/);
    expect(() => bootstrapMeanCi([1, NaN], options)).toThrow(/sample\[1\]/);
    expect(() => bootstrapMeanCi([1, 2], { ...options, confidence: 1 })).toThrow(/confidence/);
  });
});

describe('quantiles and intervals', () => {
  it('interpolates quantiles linearly (type 7)', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileSorted([10, 20], 0.25)).toBe(12.5);
  });

  it('normalQuantile matches tabulated values', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 5);
  });

  it('Wilson intervals match published values and stay open at 0/n', () => {
    const zero = wilsonInterval(0, 10, 0.95);
    expect(zero.estimate).toBe(0);
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.2775, 4);
    const half = wilsonInterval(5, 10, 0.95);
    expect(half.low).toBeCloseTo(0.2366, 4);
    expect(half.high).toBeCloseTo(0.7634, 4);
    expect(() => wilsonInterval(11, 10, 0.95)).toThrow(/successes/);
  });
});
