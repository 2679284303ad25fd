import type { EvaluationResult, PolicyMode } from '../shared/contract-evaluation';
import { DeltascopeError } from '../shared/errors';
import type { GridMazeConfigInput, ObjectKind } from '../shared/gridmaze-config';
import type { RewardSpec } from '../shared/reward';
import type { EpisodeRecord } from './env-types';
import { createGridMaze } from './gridmaze';
import {
  DEFAULT_EVAL_ENVS,
  evaluationEnvSeed,
  runEpisodes,
  splitQuota,
  type PolicyFn,
} from './policy-rollout';
import { bootstrapMeanCi, mean, wilsonInterval } from './stats';

/**
 * Evaluation of a fixed policy on M held-out mazes under every reward of its environment:
 *   1. N envs on the evaluation maze stream (env seed 2^48 + seed, see policy-rollout.ts), env i
 *      playing ⌊M/N⌋ + [i < M mod N] episodes, one forward pass per step for the active envs;
 *   2. episodes ordered by (env, episode index) — the same M episodes on every run and for every
 *      policy, so two checkpoints evaluated with the same seed and numEnvs see the same mazes (paired);
 *   3. per reward: mean return with a percentile-bootstrap interval, success with a Wilson interval;
 *      per kind: P(collect) with a Wilson interval and the mean step of collection.
 */

export interface EvaluationEnvSetup {
  env: GridMazeConfigInput;
  /** Every reward to report (one env, all rewards computed on every step). */
  rewards: readonly RewardSpec[];
  /** The reward the policy was trained on, if known (reported, not used). */
  trainReward?: string | null;
}

export interface EvaluationOptions {
  episodes: number;
  policy: PolicyMode;
  /** Seed of the held-out maze stream, the action samplers and the bootstrap. */
  seed: number;
  /** Parallel envs (capped at `episodes`). Default DEFAULT_EVAL_ENVS (128). */
  numEnvs?: number;
  /** Bootstrap resamples B. Default 1000. */
  bootstrapResamples?: number;
  /** Interval coverage. Default 0.95. */
  confidence?: number;
  /** Called after each episode played (episodes done, episodes in all), e.g. for job progress. */
  onProgress?: (done: number, total: number) => void;
}

/** Plays the episodes and returns them in (env, episode index) order, with the env's kinds. */
export function playEvaluationEpisodes(
  policy: PolicyFn,
  setup: EvaluationEnvSetup,
  options: Pick<EvaluationOptions, 'episodes' | 'policy' | 'seed' | 'numEnvs' | 'onProgress'>,
): { episodes: EpisodeRecord[]; kinds: readonly ObjectKind[] } {
  const numEnvs = Math.min(options.numEnvs ?? DEFAULT_EVAL_ENVS, options.episodes);
  const quota = splitQuota(options.episodes, numEnvs);
  const env = createGridMaze(setup.env, setup.rewards, { numEnvs, seed: evaluationEnvSeed(options.seed) });
  const perEnv: EpisodeRecord[][] = Array.from({ length: numEnvs }, () => []);
  let played = 0;
  runEpisodes(
    env,
    policy,
    { mode: options.policy, actionSeed: options.seed, quota },
    {
      onEpisode: (record) => {
        perEnv[record.envIndex]?.push(record);
        options.onProgress?.(++played, options.episodes);
      },
    },
  );
  return { episodes: perEnv.flat(), kinds: env.kinds };
}

/** Evaluates `policy` (logits and value per observation row) as described at the top of this file. */
export function evaluatePolicy(
  policy: PolicyFn,
  setup: EvaluationEnvSetup,
  options: EvaluationOptions,
): EvaluationResult {
  const confidence = options.confidence ?? 0.95;
  const bootstrapResamples = options.bootstrapResamples ?? 1000;
  const numEnvs = Math.min(options.numEnvs ?? DEFAULT_EVAL_ENVS, options.episodes);
  const { episodes, kinds } = playEvaluationEpisodes(policy, setup, { ...options, numEnvs });
  if (episodes.length !== options.episodes) {
    throw new DeltascopeError('INTERNAL', `played ${episodes.length} episodes; expected ${options.episodes}`);
  }
  return summariseEpisodes(episodes, {
    rewardNames: setup.rewards.map((reward) => reward.name),
    kinds,
    policy: options.policy,
    seed: options.seed,
    numEnvs,
    confidence,
    bootstrapResamples,
    trainReward: setup.trainReward ?? null,
  });
}

export interface SummaryContext {
  rewardNames: readonly string[];
  kinds: readonly ObjectKind[];
  policy: PolicyMode;
  seed: number;
  numEnvs: number;
  confidence: number;
  bootstrapResamples: number;
  trainReward: string | null;
}

/** The statistics of a list of episodes (pure; the order of `episodes` is the order reported). */
export function summariseEpisodes(
  episodes: readonly EpisodeRecord[],
  context: SummaryContext,
): EvaluationResult {
  const n = episodes.length;
  if (n === 0) throw new DeltascopeError('INVALID_SPEC', 'no episodes to summarise');
  const { confidence, bootstrapResamples, seed } = context;
  const returns: Record<string, number[]> = {};
  const collectedAtStep: Record<string, number[]> = {};
  const rewards = context.rewardNames.map((name) => {
    const sample = episodes.map((episode) => episode.returns[name] ?? NaN);
    returns[name] = sample;
    const successes = episodes.filter((episode) => episode.success[name] === true).length;
    return {
      name,
      meanReturn: bootstrapMeanCi(sample, { resamples: bootstrapResamples, confidence, seed }),
      success: wilsonInterval(successes, n, confidence),
    };
  });
  const kinds = context.kinds.map((kind) => {
    const steps = episodes.map((episode) => episode.collectedAtStep[kind] ?? 0);
    collectedAtStep[kind] = steps;
    const hits = steps.filter((step) => step > 0);
    return {
      kind,
      collectRate: wilsonInterval(hits.length, n, confidence),
      meanStepsToCollect: hits.length === 0 ? null : mean(hits),
      collectedEpisodes: hits.length,
    };
  });
  const lengths = episodes.map((episode) => episode.length);
  return {
    format: 'deltascope.evaluation/1',
    policy: context.policy,
    episodes: n,
    seed,
    numEnvs: context.numEnvs,
    envSeed: evaluationEnvSeed(seed),
    confidence,
    bootstrapResamples,
    trainReward: context.trainReward,
    meanLength: mean(lengths),
    rewards,
    kinds,
    perEpisode: {
      envIndex: episodes.map((episode) => episode.envIndex),
      length: lengths,
      returns,
      collectedAtStep,
    },
  };
}
