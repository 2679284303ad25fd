import { describe, expect, it } from 'vitest';
import { computeReportBaseline } from '../../../../src-main/api/protocol/protocol-report-baseline';
import {
  similarityWarnings,
  withUncheckedRewards,
} from '../../../../src-main/api/protocol/protocol-similarity';
import { buildJobGraph } from '../../../../src-main/protocol';
import type { RewardSimilarityResult } from '../../../../src-main/shared';
import { ExperimentSpecSchema } from '../../../../src-main/shared/experiment-spec';

const spec = ExperimentSpecSchema.parse({
  env: { size: 5, kinds: ['cheese', 'coin', 'red_gem'], horizon: 16 },
  rbs: [
    { name: 'coin', collect: { coin: 1 } },
    { name: 'gem', collect: { red_gem: 1 } },
  ],
  ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 2 },
  pretrainSteps: 640,
  finetuneSteps: 640,
  recoverySteps: 64,
  alphas: [1],
  aggregators: ['mean'],
  evalEpisodes: 10,
  bootstrapResamples: 10,
  positiveControl: true,
});

const pairs = (result: RewardSimilarityResult): string[][] => result.warnings.map((w) => [w.a, w.b]);

describe("the report's reward similarity with positive controls", () => {
  it('shows −RBᵢ in the matrices but warns about none of its pairs (ρ(RBᵢ, −RBᵢ) = −1 by construction)', () => {
    const similarity = computeReportBaseline(spec, buildJobGraph(spec).evalRewards).similarity!;
    const coin = similarity.names.indexOf('coin');
    const negCoin = similarity.names.indexOf('neg-coin');
    expect(negCoin).toBeGreaterThan(0);
    expect(similarity.pearson[coin]![negCoin]).toBeCloseTo(-1, 9);
    // Without the exemption this very matrix warns "coin and neg-coin overlap: ρ = −1.00".
    const unexempt = similarityWarnings(similarity.names, similarity.pearson, similarity.threshold);
    expect(unexempt.map((w) => [w.a, w.b])).toContainEqual(['coin', 'neg-coin']);
    expect(pairs(similarity).flat()).not.toContain('neg-coin');
    expect(pairs(similarity).flat()).not.toContain('neg-gem');
    expect(similarity.unchecked).toEqual(['neg-coin', 'neg-gem']);
  });

  it('still checks every pair without positive controls', () => {
    const plain = ExperimentSpecSchema.parse({ ...spec, positiveControl: false });
    const similarity = computeReportBaseline(plain, buildJobGraph(plain).evalRewards).similarity!;
    expect(similarity.names).not.toContain('neg-coin');
    expect(similarity.unchecked).toBeUndefined();
  });

  it('drops the by-construction warnings of a similarity stored before the exemption', () => {
    const stored: RewardSimilarityResult = {
      names: ['RA', 'coin', 'neg-coin'],
      pearson: [
        [1, 0.5, -0.01],
        [0.5, 1, -1],
        [-0.01, -1, 1],
      ],
      epic: [
        [0, 0.3, 0.5],
        [0.3, 0, 1],
        [0.5, 1, 0],
      ],
      samples: 100,
      warnings: similarityWarnings(
        ['RA', 'coin', 'neg-coin'],
        [
          [1, 0.5, -0.01],
          [0.5, 1, -1],
          [-0.01, -1, 1],
        ],
        0.3,
      ),
      threshold: 0.3,
    };
    expect(pairs(stored)).toEqual([
      ['RA', 'coin'],
      ['coin', 'neg-coin'],
    ]);
    const fixed = withUncheckedRewards(stored, ['neg-coin', 'neg-gem']);
    expect(pairs(fixed)).toEqual([['RA', 'coin']]);
    expect(fixed.unchecked).toEqual(['neg-coin']);
    expect(withUncheckedRewards(stored, [])).toBe(stored);
  });
});
