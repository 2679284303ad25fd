import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src-main/shared/random';
import {
  localizationControls,
  percentileAmong,
  permutationPValue,
} from '../../../src-main/protocol/localization-controls';

const sampling = { confidence: 0.95, bootstrapResamples: 400, seed: 2 };

/** n episodes of N(mu, 1) returns from their own stream. */
function returns(seed: number, mu: number, n = 200): number[] {
  const rng = createRng(seed, 1);
  return Array.from({ length: n }, () => mu + rng.normal());
}

describe('random-mask null distribution and paired differences', () => {
  it('gives the permutation p-value (1 + #{random ≥ top}) / (M + 1) and the percentile', () => {
    const random = Array.from({ length: 19 }, (_, i) => i / 10);
    expect(permutationPValue(5, random)).toBeCloseTo(1 / 20);
    expect(percentileAmong(5, random)).toBe(1);
    expect(permutationPValue(-1, random)).toBe(1);
    expect(permutationPValue(0.95, random)).toBeCloseTo((1 + 9) / 20);
    expect(percentileAmong(0.9, random)).toBeCloseTo((9 + 0.5) / 19);
    expect(() => permutationPValue(1, [])).toThrow(/at least one random draw/);
  });

  it('a top mask better than every random draw gets p = 1/(M+1) and a paired difference above 0; one from the same distribution does not', () => {
    const random = Array.from({ length: 20 }, (_, m) => returns(100 + m, 0));
    const better = localizationControls(
      {
        kPercent: 20,
        top: returns(1, 1),
        random,
        baselines: [{ selection: 'saliency', returns: returns(2, 0.9) }],
      },
      sampling,
    );
    expect(better.randomNull).toMatchObject({ kPercent: 20, draws: 20, percentile: 1 });
    expect(better.randomNull!.pValue).toBeCloseTo(1 / 21);
    expect(better.randomNull!.band.low).toBeLessThan(better.randomNull!.band.high);
    const vsRandom = better.paired.find((p) => p.versus === 'random')!.difference;
    expect(vsRandom.low).toBeGreaterThan(0);
    // top ≈ saliency: the paired difference against the baseline covers 0.
    const vsSaliency = better.paired.find((p) => p.versus === 'saliency')!.difference;
    expect(vsSaliency.low).toBeLessThan(0.1);
    expect(vsSaliency.high).toBeGreaterThan(0);

    // A top mask that is one of the null's own draws (the 10th smallest of 20) sits mid-distribution.
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const middle = [...random].sort((a, b) => mean(a) - mean(b))[9]!;
    const same = localizationControls({ kPercent: 20, top: middle, random, baselines: [] }, sampling);
    expect(same.randomNull!.percentile).toBeCloseTo(9.5 / 20);
    expect(same.randomNull!.pValue).toBeCloseTo(12 / 21);
  });
});
