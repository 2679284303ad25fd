/**
 * Stable metric keys, CleanRL style. Keys are `group/name`; per-reward keys append `/<reward>`.
 * Stored as plain strings in the metrics table, so a key once written must never be renamed.
 */
export const METRIC_KEYS = {
  episodicReturn: 'charts/episodic_return',
  episodicLength: 'charts/episodic_length',
  success: 'charts/success',
  learningRate: 'charts/learning_rate',
  stepsPerSecond: 'charts/steps_per_second',
  policyLoss: 'losses/policy_loss',
  valueLoss: 'losses/value_loss',
  entropy: 'losses/entropy',
  approxKl: 'losses/approx_kl',
  clipFraction: 'losses/clipfrac',
  explainedVariance: 'losses/explained_variance',
  /** Recovery to criterion (TrainingSpec.stopAtCriterion): each check's held-out success of the checked reward. */
  recoverySuccess: 'recovery/success',
  /** Each check's held-out P(collect kind); per kind `recovery/collect/<kind>`. */
  recoveryCollect: 'recovery/collect',
  /** 1 at the check that met the criterion (the run stops there). */
  recoveryCriterionMet: 'recovery/criterion_met',
} as const;

export type MetricKey = (typeof METRIC_KEYS)[keyof typeof METRIC_KEYS];

/** Per-reward variant of a key, e.g. `charts/episodic_return/coin`. */
export function perRewardKey(key: MetricKey, rewardName: string): string {
  return `${key}/${rewardName}`;
}
