import { z } from 'zod';

/**
 * A reward is declarative data: weights over the environment's event features.
 * r_t = Σ_k collect[k]·φ_collect[k](t) + stepCost + Σ_region reach[name]·φ_reach[name](t)
 */
export const RewardSpecSchema = z
  .object({
    name: z.string().min(1).max(64).describe('Short unique name, e.g. "RA" or "coin".'),
    collect: z
      .record(z.string().min(1), z.number())
      .default({})
      .describe('Weight per collected object kind, e.g. { cheese: 1 }.'),
    stepCost: z.number().default(0).describe('Added to the reward on every step (usually ≤ 0).'),
    reach: z
      .record(z.string().min(1), z.number())
      .default({})
      .describe('Weight for entering a named region, e.g. { topRight: 0.5 }.'),
  })
  .strict();

export type RewardSpec = z.output<typeof RewardSpecSchema>;
