import { rewardSimilarity } from '../engine/reward-similarity';
import type { GridMazeConfigInput, RewardSimilarityResult, RewardSpec } from '../shared';

/**
 * Reward similarity for the designer and the report: Pearson and EPIC matrices (engine/reward-similarity)
 * with NaN as null, and a warning for every pair (RA, RBᵢ) or (RBᵢ, RBⱼ) whose |ρ| exceeds `threshold`
 * — the protocol assumes the RBs are roughly orthogonal to RA and to each other, so that a delta's
 * lean can be attributed to its RB. The first reward is RA.
 */

export interface SimilarityOptions {
  samples: number;
  threshold: number;
  seed: number;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Warnings for |ρ| > threshold between reward 0 (RA) and each other, and between two others. */
export function similarityWarnings(
  names: readonly string[],
  pearson: readonly (readonly (number | null)[])[],
  threshold: number,
): RewardSimilarityResult['warnings'] {
  const warnings: RewardSimilarityResult['warnings'] = [];
  for (let a = 0; a < names.length; a++) {
    for (let b = a + 1; b < names.length; b++) {
      const rho = pearson[a]?.[b] ?? null;
      if (rho === null || Math.abs(rho) <= threshold) continue;
      const what =
        a === 0 ? `${names[b]} is far from orthogonal to ${names[0]}` : `${names[a]} and ${names[b]} overlap`;
      warnings.push({
        a: names[a]!,
        b: names[b]!,
        pearson: rho,
        message: `${what}: ρ = ${rho.toFixed(2)} (|ρ| > ${threshold}) on random-policy transitions, so a lean toward one may come from the other.`,
      });
    }
  }
  return warnings;
}

/** The similarity of `rewards` in env `env`, with warnings. */
export function computeRewardSimilarity(
  env: GridMazeConfigInput,
  rewards: readonly RewardSpec[],
  options: SimilarityOptions,
): RewardSimilarityResult {
  const result = rewardSimilarity(env, rewards, { transitions: options.samples, seed: options.seed });
  const pearson = result.pearson.map((row) => row.map(finiteOrNull));
  const epic = result.epic.map((row) => row.map(finiteOrNull));
  return {
    names: result.names,
    pearson,
    epic,
    samples: result.samples,
    warnings: similarityWarnings(result.names, pearson, options.threshold),
    threshold: options.threshold,
  };
}
