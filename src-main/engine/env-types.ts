/**
 * The vectorised-environment interface that PPO, evaluation and the agent viewer program against.
 * Arrays are flat typed arrays, env-major: row i of `obs` is obs[i*obsSize … (i+1)*obsSize).
 */

/** What one finished episode logged, under every reward of the environment. */
export interface EpisodeRecord {
  envIndex: number;
  /** Undiscounted return of the episode under each reward, keyed by reward name. */
  returns: Record<string, number>;
  /** Steps taken, including the last one. */
  length: number;
  /** Whether each object kind was collected during the episode, keyed by kind name. */
  collected: Record<string, boolean>;
  /** Step (1-based, within the episode) at which each kind was collected; absent if never. */
  collectedAtStep: Record<string, number>;
  /** Success under each reward: collected at least one kind whose weight in that reward is > 0. */
  success: Record<string, boolean>;
}

export interface StepResult {
  /** Next observations [numEnvs*obsSize]; a finished env already shows its new episode. */
  obs: Float32Array;
  /** Reward of the training reward, [numEnvs]. */
  rewards: Float32Array;
  /** Rewards under every reward of the environment, [rewardCount*numEnvs], reward-major. */
  allRewards: Float32Array;
  /** 1 where the episode terminated (termination rule), else 0. [numEnvs] */
  terminated: Uint8Array;
  /** 1 where the episode was truncated at the horizon, else 0. [numEnvs] */
  truncated: Uint8Array;
  /** Final observation of each truncated env [numEnvs*obsSize]; rows of other envs are unspecified. */
  finalObs: Float32Array;
  /** Episodes that finished during this step. */
  episodes: EpisodeRecord[];
}

export interface VecEnv {
  readonly numEnvs: number;
  /** Channels, height, width of one observation. */
  readonly obsShape: readonly [number, number, number];
  /** Product of obsShape. */
  readonly obsSize: number;
  readonly numActions: number;
  /** Names of all rewards of this environment; `trainRewardIndex` picks the one in `rewards`. */
  readonly rewardNames: readonly string[];
  readonly trainRewardIndex: number;
  /** Object kinds in plane order. */
  readonly kinds: readonly string[];
  /** Resets every env and returns the observations. */
  reset(): Float32Array;
  /** Steps every env with one action each (Int32Array of length numEnvs). */
  step(actions: Int32Array): StepResult;
  /** Plain-data state (mazes, positions, PRNG state) for checkpoint/resume. */
  snapshot(): unknown;
  restore(snapshot: unknown): void;
}
