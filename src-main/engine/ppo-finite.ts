import { DeltascopeError } from '../shared/errors';
import type { MinibatchStats } from './ppo-loss';

/**
 * The guard PPO runs after every update: a NaN or ±Infinity in the rollout, the loss or the weights
 * stops the run with an error naming the iteration, the env step, what went non-finite and the likely
 * cause, before a checkpoint could store such weights (once NaN, every later update is NaN too).
 */

export interface FiniteCheckInput {
  iteration: number;
  globalStep: number;
  rewards: Float32Array;
  returns: Float32Array;
  stats: readonly MinibatchStats[];
  params: readonly { name: string; values: ArrayLike<number> }[];
  config: { learningRate: number; entCoef: number; vfCoef: number; maxGradNorm: number };
}

function countNonFinite(values: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) count += 1;
  return count;
}

/** Throws NON_FINITE (see the file comment) if anything of the iteration is NaN or ±Infinity. */
export function checkFiniteIteration(input: FiniteCheckInput): void {
  const { iteration, globalStep, config } = input;
  const where = `PPO produced non-finite values at iteration ${iteration} (env step ${globalStep.toLocaleString('en-US')})`;
  const fail = (what: string, cause: string): never => {
    throw new DeltascopeError(
      'NON_FINITE',
      `${where}: ${what}. Likely cause: ${cause}. The run stops here; its last checkpoint holds the weights before this iteration.`,
      {
        iteration,
        step: globalStep,
      },
    );
  };
  const badRewards = countNonFinite(input.rewards);
  if (badRewards > 0) {
    fail(
      `${badRewards} of ${input.rewards.length} rewards of the rollout are NaN or ±Infinity`,
      'reward weights too large (collect, stepCost, reach)',
    );
  }
  const badReturns = countNonFinite(input.returns);
  if (badReturns > 0) {
    fail(
      `${badReturns} of ${input.returns.length} returns overflowed`,
      'rewards × horizon beyond float32 range (lower the reward weights or ppo.gamma), or value estimates that diverged',
    );
  }
  const stat = input.stats.find(
    (s) => ![s.loss, s.policyLoss, s.valueLoss, s.entropy].every(Number.isFinite),
  );
  if (stat !== undefined) {
    const terms = `loss ${stat.loss}, policy loss ${stat.policyLoss}, value loss ${stat.valueLoss}, entropy ${stat.entropy}`;
    fail(
      `the PPO loss is not finite (${terms})`,
      `a loss coefficient too large (ppo.entCoef = ${config.entCoef}, ppo.vfCoef = ${config.vfCoef}) or a learning rate too high (ppo.learningRate = ${config.learningRate})`,
    );
  }
  for (const param of input.params) {
    const bad = countNonFinite(param.values);
    if (bad > 0) {
      fail(
        `${bad} of ${param.values.length} weights of \`${param.name}\` became NaN or ±Infinity after the update`,
        `a learning rate too high (ppo.learningRate = ${config.learningRate}) or gradient clipping too loose (ppo.maxGradNorm = ${config.maxGradNorm})`,
      );
    }
  }
}
