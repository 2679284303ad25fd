import { pearsonFloor, rewardSimilarity, SPARSE_EVENT_RATE } from '../../engine/reward-similarity';
import type { GridMazeConfigInput, RewardSimilarityResult, RewardSpec } from '../../shared';

/**
 * Reward similarity for the designer and the report: Pearson and EPIC matrices (engine/reward-similarity)
 * with NaN as null, and a warning for every pair (RA, RBᵢ) or (RBᵢ, RBⱼ) whose |ρ| exceeds `threshold`
 * — the protocol assumes the RBs are roughly orthogonal to RA and to each other, so that a delta's
 * lean can be attributed to its RB. The first reward is RA. A pair whose rewards both fire on fewer
 * than SPARSE_EVENT_RATE of the transitions gets an 'uninformative' warning instead of passing: its ρ
 * sits near −√(pq/((1−p)(1−q))) whatever the rewards are. Pairs with a positive control's reward −RBᵢ
 * are not checked: ρ(RBᵢ, −RBᵢ) = −1 by construction, and −RBᵢ is no RB the protocol needs orthogonal.
 */

export interface SimilarityOptions {
  samples: number;
  threshold: number;
  seed: number;
  /** Rewards whose pairs are not checked (the positive controls' −RBᵢ; none by default). */
  unchecked?: readonly string[];
}

type Warning = RewardSimilarityResult['warnings'][number];

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

const percent = (p: number) => `${(p * 100).toFixed(p < 0.01 ? 2 : 1)}%`;

/** A pair of sparse rewards whose |ρ| is small: say why that does not show they differ. */
function uninformative(a: string, b: string, rho: number, p: number, q: number): Warning {
  const floor = pearsonFloor(p, q);
  return {
    a,
    b,
    pearson: rho,
    kind: 'uninformative',
    eventRates: [p, q],
    floor,
    message:
      `ρ(${a}, ${b}) = ${rho.toFixed(3)} is uninformative: ${a} fires on ${percent(p)} and ${b} on ` +
      `${percent(q)} of random-policy transitions (sparse events, < ${percent(SPARSE_EVENT_RATE)}), so ρ sits ` +
      `near its floor ${floor.toFixed(3)} (= −√(pq/((1−p)(1−q))), rewards that never fire together) ` +
      `whatever the rewards are. It does not show the rewards are different; compare EPIC and the ` +
      `fine-tunes' behaviour.`,
  };
}

/**
 * Warnings for |ρ| > threshold between reward 0 (RA) and each other, and between two others; with
 * `eventRates`, also for pairs of sparse rewards whose small |ρ| is uninformative. Pairs with a reward
 * of `unchecked` (the positive controls' −RBᵢ) get none.
 */
export function similarityWarnings(
  names: readonly string[],
  pearson: readonly (readonly (number | null)[])[],
  threshold: number,
  eventRates?: readonly number[],
  unchecked: readonly string[] = [],
): Warning[] {
  const warnings: Warning[] = [];
  for (let a = 0; a < names.length; a++) {
    for (let b = a + 1; b < names.length; b++) {
      const rho = pearson[a]?.[b] ?? null;
      if (rho === null || unchecked.includes(names[a]!) || unchecked.includes(names[b]!)) continue;
      if (Math.abs(rho) <= threshold) {
        const p = eventRates?.[a];
        const q = eventRates?.[b];
        if (p !== undefined && q !== undefined && p < SPARSE_EVENT_RATE && q < SPARSE_EVENT_RATE) {
          warnings.push(uninformative(names[a]!, names[b]!, rho, p, q));
        }
        continue;
      }
      const what =
        a === 0 ? `${names[b]} is far from orthogonal to ${names[0]}` : `${names[a]} and ${names[b]} overlap`;
      warnings.push({
        a: names[a]!,
        b: names[b]!,
        pearson: rho,
        kind: 'overlap',
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
  const unchecked = (options.unchecked ?? []).filter((name) => result.names.includes(name));
  const pearson = result.pearson.map((row) => row.map(finiteOrNull));
  const epic = result.epic.map((row) => row.map(finiteOrNull));
  return {
    names: result.names,
    pearson,
    epic,
    samples: result.samples,
    eventRates: result.eventRates,
    warnings: similarityWarnings(result.names, pearson, options.threshold, result.eventRates, unchecked),
    threshold: options.threshold,
    ...(unchecked.length === 0 ? {} : { unchecked }),
  };
}

/**
 * A similarity result without the warnings about pairs with an `unchecked` reward, which it then names:
 * for a result stored before the positive controls were exempt (a report baseline of an older database).
 */
export function withUncheckedRewards(
  similarity: RewardSimilarityResult,
  unchecked: readonly string[],
): RewardSimilarityResult {
  const names = unchecked.filter((name) => similarity.names.includes(name));
  if (names.length === 0) return similarity;
  return {
    ...similarity,
    warnings: similarity.warnings.filter((w) => !names.includes(w.a) && !names.includes(w.b)),
    unchecked: names,
  };
}
