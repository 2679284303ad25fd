import { describe, expect, it } from 'vitest';
import {
  pooledLocalization,
  pooledPermutationPValue,
  type PooledLocalizationInput,
} from '../../../src-main/protocol';
import { permutationPValue } from '../../../src-main/protocol/localization-controls';
import { blueEvaluation, plantedReplications, syntheticReplication } from './localization-pooling-fixture';

const input = (replications: PooledLocalizationInput['replications']): PooledLocalizationInput => ({
  rbNew: 'blue',
  aggregator: 'mean',
  replications,
  pooling: { resamples: 400, confidence: 0.95, seed: 1 },
});

/** A replication of fixed returns: MA 0 everywhere, full = `full`, top = `top`, one random draw = `random`. */
function exact(seed: number, full: number[], top: number[], random: number[]) {
  const zeros = full.map(() => 0);
  return {
    seed,
    base: blueEvaluation(zeros),
    full: blueEvaluation(full),
    masks: [
      { selection: 'top' as const, kPercent: 20, draw: 0, result: blueEvaluation(top) },
      { selection: 'random' as const, kPercent: 20, draw: 0, result: blueEvaluation(random) },
    ],
  };
}

describe('pooledLocalization', () => {
  it("divides each replication by its own full fine-tune's gain, not one shared denominator", () => {
    // Replication 1: full gain 0.2, top gains 0.1; replication 2: full gain 0.6, top gains 0.3. Each recovers
    // half of its own full fine-tune; one shared denominator (0.4) would say 25 % and 75 %.
    const ten = (ones: number) => Array.from({ length: 10 }, (_, e) => (e < ones ? 1 : 0));
    const pooled = pooledLocalization(
      input([exact(1, ten(2), ten(1), ten(0)), exact(2, ten(6), ten(3), ten(1))]),
    )!;
    expect(pooled.seeds).toEqual([1, 2]);
    expect(pooled.fullGain.perReplication).toEqual([0.2, 0.6]);
    const k = pooled.ks[0]!;
    const top = k.fractions.find((f) => f.selection === 'top')!.effect;
    expect(top.perReplication.map((x) => +x.toFixed(12))).toEqual([0.5, 0.5]);
    const vsRandom = k.paired.find((p) => p.versus === 'random')!.effect;
    expect(vsRandom.perReplication[0]).toBeCloseTo(0.5, 12);
    expect(vsRandom.perReplication[1]).toBeCloseTo(2 / 6, 12);
    expect(top).toMatchObject({ replications: 2, replicated: false, method: 'hierarchical-bootstrap' });
  });

  it('pools every mask kind and comparison over the replications, with a pooled permutation p-value', () => {
    const pooled = pooledLocalization(input(plantedReplications(3)))!;
    expect(pooled.excluded).toEqual([]);
    const k = pooled.ks[0]!;
    expect(k.kPercent).toBe(20);
    expect(k.fractions.map((f) => f.selection)).toEqual([
      'top',
      'random',
      'bottom',
      'null-drift',
      'saliency',
      'fisher',
    ]);
    expect(k.paired.map((p) => p.versus)).toEqual(['random', 'null-drift', 'saliency', 'fisher']);
    for (const p of k.paired) {
      expect(p.seeds).toEqual([1, 2, 3]);
      expect(p.effect.perReplication).toHaveLength(3);
    }
    expect(k.randomNull).toMatchObject({ seeds: [1, 2, 3], draws: [5, 5, 5], atLeastTop: [0, 0, 0] });
    // Top above all 5 draws in 3 replications: (1/6)³.
    expect(k.randomNull!.pValue).toBeCloseTo(1 / 216, 12);
    const top = k.fractions[0]!.effect;
    expect(top.estimate).toBeGreaterThan(0.5);
    expect(top.low).toBeLessThanOrEqual(Math.min(...top.perReplication));
  });

  it('widens the pooled interval when the replications disagree', () => {
    const agree = [0.7, 0.72, 0.74].map((top, r) =>
      syntheticReplication(r + 1, { fullGain: 0.5, top, random: [0.2, 0.2] }),
    );
    const disagree = [0.2, 0.9, 0.5].map((top, r) =>
      syntheticReplication(r + 1, { fullGain: 0.5, top, random: [0.2, 0.2] }),
    );
    const width = (reps: typeof agree) => {
      const e = pooledLocalization(input(reps))!.ks[0]!.paired[0]!.effect;
      return e.high - e.low;
    };
    expect(width(disagree)).toBeGreaterThan(2 * width(agree));
  });

  it('leaves out a replication whose full fine-tune did not gain, and says which', () => {
    const reps = plantedReplications(3);
    reps[1] = { ...reps[1]!, full: reps[1]!.base };
    const pooled = pooledLocalization(input(reps))!;
    expect(pooled.excluded).toEqual([2]);
    expect(pooled.fullGain.perReplication[1]).toBe(0);
    expect(pooled.ks[0]!.paired[0]!.seeds).toEqual([1, 3]);
  });

  it('refuses evaluations of different episodes with SHAPE_MISMATCH naming the replication and mask', () => {
    const reps = plantedReplications(1);
    const [top, ...rest] = reps[0]!.masks;
    reps[0] = { ...reps[0]!, masks: [{ ...top!, result: blueEvaluation([1, 0, 1]) }, ...rest] };
    expect(() => pooledLocalization(input(reps))).toThrow(/seed 1, top 20 % #0: 3 episodes where MA has 80/);
  });

  it('is null without replications', () => {
    expect(pooledLocalization(input([]))).toBeNull();
  });
});

describe('pooledPermutationPValue', () => {
  it('is the single-replication permutation p-value for R = 1', () => {
    for (const g of [0, 2, 5]) {
      const random = Array.from({ length: 5 }, (_, i) => (i < g ? 2 : 0));
      expect(pooledPermutationPValue([{ atLeastTop: g, draws: 5 }])).toBeCloseTo(
        permutationPValue(1, random),
        12,
      );
    }
  });

  it('is the lower tail of the sum of independent uniform ranks', () => {
    // G₁, G₂ uniform on {0, 1}: P(G₁ + G₂ ≤ 0) = 1/4, ≤ 1: 3/4, ≤ 2: 1.
    expect(
      pooledPermutationPValue([
        { atLeastTop: 0, draws: 1 },
        { atLeastTop: 0, draws: 1 },
      ]),
    ).toBeCloseTo(0.25);
    expect(
      pooledPermutationPValue([
        { atLeastTop: 1, draws: 1 },
        { atLeastTop: 0, draws: 1 },
      ]),
    ).toBeCloseTo(0.75);
    expect(
      pooledPermutationPValue([
        { atLeastTop: 1, draws: 1 },
        { atLeastTop: 1, draws: 1 },
      ]),
    ).toBe(1);
  });

  it('refuses counts outside 0…M naming the replication', () => {
    expect(() => pooledPermutationPValue([{ atLeastTop: 6, draws: 5 }])).toThrow(/replication 0 has 6 of 5/);
  });
});
