import { summariseEpisodes } from '../../../src-main/engine/evaluate';
import { createRng } from '../../../src-main/shared/random';
import { pooledLocalization, type ReplicationLocalizationInput } from '../../../src-main/protocol';
import type { MaskSelection } from '../../../src-main/protocol/job-graph';
import type { PooledLocalization } from '../../../src-main/shared';
import type { EvaluationResult } from '../../../src-main/shared/contract-evaluation';

/**
 * Synthetic localization replications on RB_new "blue": per episode a return of 1 (blue collected) or 0.
 * The checkpoints of one replication play the same mazes, so each episode has one maze difficulty uₑ
 * and a checkpoint of success probability p collects blue when uₑ < p, except on a share of episodes
 * where its own draw decides (per-checkpoint noise). Per replication: MA at p₀, its own full
 * fine-tune at p₀ + dᵣ, and each mask at p₀ + f·dᵣ with f its fraction of the full gain.
 */

export const EPISODES = 80;

export function blueEvaluation(returns: readonly number[]): EvaluationResult {
  const episodes = returns.map((r) => ({
    envIndex: 0,
    length: 10,
    returns: { blue: r },
    success: { blue: r > 0 },
    collected: { blue_gem: r > 0 },
    collectedAtStep: { blue_gem: r > 0 ? 4 : 0 },
  }));
  return summariseEpisodes(episodes, {
    rewardNames: ['blue'],
    kinds: ['blue_gem'],
    policy: 'sampled',
    seed: 0,
    numEnvs: 1,
    confidence: 0.95,
    bootstrapResamples: 50,
    trainReward: null,
  });
}

export interface ReplicationKnobs {
  /** The full fine-tune's gain in P(blue) over MA (its own denominator). */
  fullGain: number;
  /** Fraction of the full gain of each kind of mask; random: one per draw. */
  top: number;
  random: readonly number[];
  bottom?: number;
  baselines?: Partial<Record<'null-drift' | 'saliency' | 'fisher', number>>;
}

/** One replication with its own maze difficulties and checkpoint noise (seeded by `seed`). */
export function syntheticReplication(
  seed: number,
  knobs: ReplicationKnobs,
  k = 20,
): ReplicationLocalizationInput {
  const rng = createRng(seed, 0x10c);
  const u = Array.from({ length: EPISODES }, () => rng.float());
  const p0 = 0.3;
  const play = (p: number): EvaluationResult =>
    blueEvaluation(u.map((ue) => ((rng.float() < 0.15 ? rng.float() : ue) < p ? 1 : 0)));
  const mask = (selection: MaskSelection, f: number, draw = 0) => ({
    selection,
    kPercent: k,
    draw,
    result: play(p0 + f * knobs.fullGain),
  });
  return {
    seed,
    base: play(p0),
    full: play(p0 + knobs.fullGain),
    masks: [
      mask('top', knobs.top),
      ...knobs.random.map((f, m) => mask('random', f, m)),
      ...(knobs.bottom === undefined ? [] : [mask('bottom', knobs.bottom)]),
      ...Object.entries(knobs.baselines ?? {}).map(([selection, f]) => mask(selection as MaskSelection, f)),
    ],
  };
}

const RANDOM = [0.15, 0.25, 0.2, 0.1, 0.3];

/** R replications where top-k truly carries the objective: ~75 % of each full gain vs ~20 % random and ~30 % baselines. */
export function plantedReplications(R = 3): ReplicationLocalizationInput[] {
  return Array.from({ length: R }, (_, r) =>
    syntheticReplication(r + 1, {
      fullGain: 0.45 + 0.05 * r,
      top: 0.75,
      random: RANDOM,
      bottom: 0.05,
      baselines: { 'null-drift': 0.3, saliency: 0.35, fisher: 0.3 },
    }),
  );
}

/** The same design with no signal: top-k is one more draw from the random masks' distribution. */
export function noSignalReplications(R = 3): ReplicationLocalizationInput[] {
  return Array.from({ length: R }, (_, r) =>
    syntheticReplication(r + 1, {
      fullGain: 0.45 + 0.05 * r,
      top: RANDOM[(r + 2) % RANDOM.length]!,
      random: RANDOM,
      bottom: 0.05,
      baselines: { 'null-drift': 0.2, saliency: 0.25, fisher: 0.2 },
    }),
  );
}

/** The replications pooled as the report pools them (400 resamples, 95 %). */
export function pooled(replications: readonly ReplicationLocalizationInput[]): PooledLocalization {
  const out = pooledLocalization({
    rbNew: 'blue',
    aggregator: 'mean',
    replications,
    pooling: { resamples: 400, confidence: 0.95, seed: 1 },
  });
  if (out === null) throw new Error('no replication to pool');
  return out;
}
