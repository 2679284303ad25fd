import { evaluatePolicy } from '../engine/evaluate';
import type { PolicyNetwork } from '../engine/nn/network';
import { networkPolicy } from '../engine/policy-rollout';
import { DeltascopeError } from '../shared/errors';
import { METRIC_KEYS } from '../shared/metric-keys';
import type { TrainingSpec } from '../shared/training-spec';
import type { MetricRow } from '../store';

/**
 * Recovery to criterion (TrainingSpec.stopAtCriterion): a held-out evaluation of the network being
 * trained, logged as one point of the recovery curve — success of the checked reward and P(collect) of
 * every object kind at this env step — and whether the success is back within the margin of the
 * reference. The evaluation has its own seeded streams, so it never changes the training run.
 */

type Criterion = NonNullable<TrainingSpec['stopAtCriterion']>;

/** success ≥ reference − margin (a tiny tolerance so that a success equal to the bound counts). */
export function criterionMet(success: number, reference: number, margin: number): boolean {
  return success >= reference - margin - 1e-12;
}

/** Whether a check is due after moving from env step `from` to `to`: a multiple of checkEvery was crossed. */
export function checkDue(from: number, to: number, checkEvery: number): boolean {
  return Math.floor(to / checkEvery) > Math.floor(from / checkEvery);
}

export function recoveryCheck(
  network: PolicyNetwork,
  spec: TrainingSpec,
  criterion: Criterion,
  step: number,
): { rows: MetricRow[]; success: number; met: boolean } {
  const result = evaluatePolicy(
    networkPolicy(network),
    { env: spec.env, rewards: spec.rewards, trainReward: null },
    {
      episodes: criterion.episodes,
      policy: criterion.policy,
      seed: criterion.evalSeed,
      bootstrapResamples: 1,
    },
  );
  const reward = result.rewards.find((r) => r.name === criterion.reward);
  if (reward === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `stopAtCriterion.reward: the run logs no reward "${criterion.reward}" (it logs ${spec.rewards.map((r) => r.name).join(', ')})`,
    );
  }
  const success = reward.success.estimate;
  const met = criterionMet(success, criterion.reference, criterion.margin);
  const rows: MetricRow[] = [
    { key: METRIC_KEYS.recoverySuccess, step, value: success },
    ...result.kinds.map((k) => ({
      key: `${METRIC_KEYS.recoveryCollect}/${k.kind}`,
      step,
      value: k.collectRate.estimate,
    })),
    { key: METRIC_KEYS.recoveryCriterionMet, step, value: met ? 1 : 0 },
  ];
  return { rows, success, met };
}
