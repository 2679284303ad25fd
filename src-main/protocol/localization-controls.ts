import { bootstrapMeanCi } from '../engine/stats';
import type { LocalizationData } from '../shared/contract-protocol';
import { DeltascopeError } from '../shared/errors';
import type { Sampling } from './localization';

/**
 * What the top-k mask must beat to say the map localizes *the objective* rather than "where learning
 * happens" (issue 11 §3): the null distribution of M random k % masks (each a masked fine-tune) — top-k's
 * percentile among them and a permutation p-value — and per-episode paired differences against the
 * random draws' mean and against each baseline mask (null drift, gradient saliency, Fisher).
 */

/** p = (1 + #{random ≥ top}) / (M + 1): the permutation p-value of top against M random draws (one-sided, top larger). */
export function permutationPValue(top: number, random: readonly number[]): number {
  if (random.length === 0)
    throw new DeltascopeError('INVALID_SPEC', 'a permutation p-value needs at least one random draw');
  if (!Number.isFinite(top) || random.some((r) => !Number.isFinite(r))) {
    throw new DeltascopeError('INVALID_SPEC', 'a permutation p-value needs finite values');
  }
  return (1 + random.filter((r) => r >= top).length) / (random.length + 1);
}

/** Share of the random draws strictly below top (ties count half), in [0, 1]. */
export function percentileAmong(top: number, random: readonly number[]): number {
  if (random.length === 0) return 0;
  const below = random.filter((r) => r < top).length;
  const ties = random.filter((r) => r === top).length;
  return (below + ties / 2) / random.length;
}

export type RandomNullRow = NonNullable<LocalizationData['randomNull']>[number];
export type PairedRow = NonNullable<LocalizationData['paired']>[number];

/** Per-episode RB_new returns of every mask of one k. */
export interface KMasks {
  kPercent: number;
  top: readonly number[];
  /** One per random draw. */
  random: readonly (readonly number[])[];
  baselines: { selection: 'null-drift' | 'saliency' | 'fisher'; returns: readonly number[] }[];
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The random-mask null and the paired differences of one k. */
export function localizationControls(
  masks: KMasks,
  s: Sampling,
): { randomNull: RandomNullRow | null; paired: PairedRow[] } {
  const n = masks.top.length;
  const boot = { resamples: s.bootstrapResamples, confidence: s.confidence, seed: s.seed };
  const paired = (versus: PairedRow['versus'], other: readonly number[]): PairedRow => {
    if (other.length !== n) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `localization k = ${masks.kPercent} %: ${n} and ${other.length} episodes`,
      );
    }
    return {
      kPercent: masks.kPercent,
      versus,
      difference: bootstrapMeanCi(
        masks.top.map((x, e) => x - other[e]!),
        boot,
      ),
    };
  };
  const out: PairedRow[] = [];
  let randomNull: RandomNullRow | null = null;
  if (masks.random.length > 0) {
    const draws = masks.random.map(mean);
    const topMean = mean(masks.top);
    const sorted = [...draws].sort((a, b) => a - b);
    randomNull = {
      kPercent: masks.kPercent,
      draws: draws.length,
      drawMeans: draws,
      topMean,
      percentile: percentileAmong(topMean, draws),
      pValue: permutationPValue(topMean, draws),
      band: {
        low: sorted[Math.floor(0.025 * (sorted.length - 1))]!,
        high: sorted[Math.ceil(0.975 * (sorted.length - 1))]!,
      },
    };
    const randomMean = Array.from({ length: n }, (_, e) => mean(masks.random.map((r) => r[e]!)));
    out.push(paired('random', randomMean));
  }
  for (const b of masks.baselines) out.push(paired(b.selection, b.returns));
  return { randomNull, paired: out };
}
