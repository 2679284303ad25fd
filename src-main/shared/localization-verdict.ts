import {
  LOCALIZATION_COMPARISONS,
  type LocalizationComparison,
  type PooledEffect,
  type PooledLocalization,
} from './contract-protocol';

/**
 * The localization verdict at one k from the pooled test (runtime-free: the report's verdict and
 * statements and the app derive it from here). The map's top-k mask localizes the objective only if
 *   1. the full fine-tunes gain on RB_new (pooled denominators, replicated, interval above 0), and
 *   2. top − X, in fractions of each replication's own full gain, is replicated (R ≥ 3) with its pooled
 *      interval wholly above 0 for X = the random masks AND every baseline (null-drift map, gradient
 *      saliency, Fisher): a baseline not run cannot be beaten, so the verdict is then not a finding, and
 *   3. the pooled permutation p-value of top among the random masks is below 1 − confidence.
 * An interval that touches or includes 0 is never "beats".
 */

export const LOCALIZATION_COMPARISON_LABELS: Record<LocalizationComparison, string> = {
  random: 'random masks',
  'null-drift': 'null-drift top k',
  saliency: 'gradient-saliency top k',
  fisher: 'Fisher top k',
};

/** beats: replicated, interval above 0; below: replicated, interval below 0; includes-0: touches or straddles 0. */
export type ComparisonStatus = 'beats' | 'below' | 'includes-0' | 'not-replicated' | 'not-run';

/** How each status is said in the verdict, the report's table and the app. */
export const COMPARISON_STATUS_WORDS: Record<ComparisonStatus, string> = {
  beats: 'above 0: beats it',
  below: 'below 0: worse than it',
  'includes-0': 'touches or includes 0: does not beat it',
  'not-replicated': 'not replicated',
  'not-run': 'not run',
};

export interface LocalizationComparisonResult {
  versus: LocalizationComparison;
  effect: PooledEffect | null;
  status: ComparisonStatus;
}

export interface LocalizationVerdict {
  kPercent: number;
  /** top's fraction of the full gain, pooled. */
  top: PooledEffect | null;
  fullGain: PooledEffect;
  comparisons: LocalizationComparisonResult[];
  /** Pooled permutation p-value of top among the random masks (null without random masks). */
  pValue: number | null;
  finding: boolean;
  /** No claim either way: fewer than 3 replications. */
  replicated: boolean;
  /** Why it is or is not a finding, in one sentence. */
  reason: string;
}

/** Where a pooled interval lies relative to 0. Strict: low = 0 touches 0 and is not "above". */
export function statusOf(effect: PooledEffect | null): ComparisonStatus {
  if (effect === null) return 'not-run';
  if (!effect.replicated) return 'not-replicated';
  if (effect.low > 0) return 'beats';
  if (effect.high < 0) return 'below';
  return 'includes-0';
}

/** The k of the headline: the largest k of the spec that has a pooled entry (fixed in advance, not picked by result). */
export function headlineK(pooled: PooledLocalization): number | null {
  const ks = pooled.ks.filter((k) => k.fractions.some((f) => f.selection === 'top')).map((k) => k.kPercent);
  return ks.length === 0 ? null : Math.max(...ks);
}

export function localizationVerdict(
  pooled: PooledLocalization,
  kPercent: number,
  confidence: number,
): LocalizationVerdict | null {
  const entry = pooled.ks.find((k) => k.kPercent === kPercent);
  if (entry === undefined) return null;
  const top = entry.fractions.find((f) => f.selection === 'top')?.effect ?? null;
  const comparisons = LOCALIZATION_COMPARISONS.map((versus): LocalizationComparisonResult => {
    const effect = entry.paired.find((p) => p.versus === versus)?.effect ?? null;
    return { versus, effect, status: statusOf(effect) };
  });
  const pValue = entry.randomNull?.pValue ?? null;
  const alpha = 1 - confidence;
  const gain = pooled.fullGain;
  const unreplicated = [gain, top, ...comparisons.map((c) => c.effect)].filter(
    (e): e is PooledEffect => e !== null && !e.replicated,
  );
  const replicated = unreplicated.length === 0;
  const failed = comparisons.filter((c) => c.status !== 'beats');
  let reason: string;
  let finding = false;
  if (!replicated)
    reason = `R = ${Math.min(...unreplicated.map((e) => e.replications))} < 3 replications: no claim either way`;
  else if (!(gain.low > 0))
    reason = `the full fine-tunes' gain on ${pooled.rbNew} does not exclude 0, so a fraction of it means nothing`;
  else if (failed.length > 0)
    reason = `top − X does not lie above 0 for X = ${failed
      .map((c) => `${LOCALIZATION_COMPARISON_LABELS[c.versus]}${c.status === 'not-run' ? ' (not run)' : ''}`)
      .join(', ')}`;
  else if (pValue === null || !(pValue < alpha))
    reason = `top-k is not ranked above the random masks (pooled permutation p = ${pValue === null ? '–' : pValue.toFixed(3)} ≥ ${alpha.toFixed(2)})`;
  else {
    finding = true;
    reason =
      'top − random and top − every baseline lie above 0 and the pooled permutation p is below the level';
  }
  return { kPercent, top, fullGain: gain, comparisons, pValue, finding, replicated, reason };
}
