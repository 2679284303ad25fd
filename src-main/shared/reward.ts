import { z } from 'zod';

/**
 * Largest |weight| of a reward term. Per-step rewards, returns over a 100 000-step horizon and their
 * squares (the value loss, float32) then stay finite; 1e308 overflowed them to ±Infinity.
 */
export const MAX_REWARD_WEIGHT = 1e6;
/** A reward weight: finite, |w| ≤ MAX_REWARD_WEIGHT. */
export const rewardWeight = () => z.number().min(-MAX_REWARD_WEIGHT).max(MAX_REWARD_WEIGHT);

/**
 * A reward is declarative data: weights over the environment's event features.
 * r_t = Σ_k collect[k]·φ_collect[k](t) + stepCost + Σ_region reach[name]·φ_reach[name](t)
 */
export const RewardSpecSchema = z
  .object({
    name: z.string().min(1).max(64).describe('Short unique name, e.g. "RA" or "coin".'),
    collect: z
      .record(z.string().min(1), rewardWeight())
      .default({})
      .describe('Weight per collected object kind, e.g. { cheese: 1 }.'),
    stepCost: rewardWeight().default(0).describe('Added to the reward on every step (usually ≤ 0).'),
    reach: z
      .record(z.string().min(1), rewardWeight())
      .default({})
      .describe('Weight for entering a named region, e.g. { topRight: 0.5 }.'),
  })
  .strict();

export type RewardSpec = z.output<typeof RewardSpecSchema>;
