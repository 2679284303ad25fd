import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, hashString, mulberry32 } from '../../../src-main/weights/prng';

describe('seeded PRNG', () => {
  it('is mulberry32: the reference outputs for seed 1', () => {
    // From the reference implementation (bryc/code, PRNGs.md), ×2^32.
    const next = mulberry32(1);
    expect([next(), next(), next()]).toEqual([2693262067, 11749833, 2265367787]);
  });

  it('hashes strings with FNV-1a', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
  });

  it('derives distinct, stable per-tensor streams (pinned: DARE tests rely on these draws)', () => {
    expect(deriveSeed(7, 'w', 0)).toBe(387314168);
    expect(deriveSeed(7, 'w', 1)).toBe(310929062);
    expect(deriveSeed(7, 'w', 0)).not.toBe(deriveSeed(8, 'w', 0));
    expect(deriveSeed(7, 'w', 0)).not.toBe(deriveSeed(7, 'v', 0));
  });

  it('gives Gaussian draws with mean ≈ 0 and variance ≈ 1', () => {
    const rng = createRng(5);
    const n = 20000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const g = rng.gaussian();
      sum += g;
      sumSq += g * g;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
  });
});
