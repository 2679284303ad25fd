import { summariseEpisodes } from '../../../src-main/engine/evaluate';
import type { EvaluationResult } from '../../../src-main/shared/contract-evaluation';

/**
 * An evaluation of n episodes in one env on rewards RA and coin: episode e returns `ra(e)` on RA and
 * collects the cheese (at step 3) when that is positive; it collects the coin (at step 5) when
 * e < `coinHits`.
 */
export function cheeseCoinEvaluation(
  n: number,
  coinHits: number,
  ra: (e: number) => number,
): EvaluationResult {
  const episodes = Array.from({ length: n }, (_, e) => ({
    envIndex: 0,
    length: 10,
    returns: { RA: ra(e), coin: e < coinHits ? 1 : 0 },
    success: { RA: ra(e) > 0, coin: e < coinHits },
    collected: { cheese: ra(e) > 0, coin: e < coinHits },
    collectedAtStep: { cheese: ra(e) > 0 ? 3 : 0, coin: e < coinHits ? 5 : 0 },
  }));
  return summariseEpisodes(episodes, {
    rewardNames: ['RA', 'coin'],
    kinds: ['cheese', 'coin'],
    policy: 'sampled',
    seed: 0,
    numEnvs: 1,
    confidence: 0.95,
    bootstrapResamples: 100,
    trainReward: null,
  });
}
