import type { BehaviourMatrix } from '../shared/contract-protocol';
import type { EvaluationResult } from '../shared/contract-evaluation';

/**
 * Behavioural similarity of the rewards (issue 11 §6): each trained policy under every reward, from the
 * evaluations the protocol already stores (every checkpoint is evaluated under RA and every RB). Two
 * rewards are behaviourally alike when the policy trained on one does about as well on the other as
 * that reward's own policy: regret ≈ 0 off the diagonal. Unlike Pearson ρ on random-policy transitions,
 * this does not vanish for sparse rewards.
 */

export interface BehaviourPolicy {
  /** "MA", "MB:coin". */
  policy: string;
  /** The reward it was trained on (RA for MA, RBᵢ for MBᵢ). */
  ownReward: string;
  checkpointId: number | null;
  /** Null when the policy's evaluation is not done yet. */
  result: Pick<EvaluationResult, 'rewards'> | null;
}

/**
 * rows[i].cells[j] = success and mean return of policy i under reward j, and regret = mean return of
 * reward j's own policy − policy i's (its estimates; null when either evaluation is missing).
 */
export function behaviourMatrix(
  rewards: readonly string[],
  policies: readonly BehaviourPolicy[],
): BehaviourMatrix {
  const rowOf = (p: BehaviourPolicy, reward: string) =>
    p.result?.rewards.find((r) => r.name === reward) ?? null;
  const own = new Map<string, number>();
  for (const p of policies) {
    const row = rowOf(p, p.ownReward);
    if (row !== null && !own.has(p.ownReward)) own.set(p.ownReward, row.meanReturn.estimate);
  }
  return {
    rewards: [...rewards],
    rows: policies.map((p) => ({
      policy: p.policy,
      ownReward: p.ownReward,
      checkpointId: p.checkpointId,
      cells: rewards.map((reward) => {
        const row = rowOf(p, reward);
        const best = own.get(reward);
        return {
          reward,
          success: row?.success ?? null,
          meanReturn: row?.meanReturn ?? null,
          regret: row === null || best === undefined ? null : best - row.meanReturn.estimate,
        };
      }),
    })),
  };
}
