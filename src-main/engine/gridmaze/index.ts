import type { GridMazeConfigInput } from '../../shared/gridmaze-config';
import type { RewardSpec } from '../../shared/reward';
import { GridMazeEnv, type GridMazeOptions } from './env';

/**
 * Public entry of the gridmaze environment.
 *
 *   const env = createGridMaze({ size: 7 }, [{ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} }],
 *                              { numEnvs: 64, seed: 1 });
 *   let obs = env.reset();
 *   const { obs, rewards, allRewards, terminated, truncated, finalObs, episodes } = env.step(actions);
 *
 * The config is parsed with GridMazeConfigSchema (every field has the benchmark's default).
 */
export function createGridMaze(
  config: GridMazeConfigInput,
  rewards: readonly RewardSpec[],
  options: GridMazeOptions,
): GridMazeEnv {
  return new GridMazeEnv(config, rewards, options);
}

export { GridMazeEnv, parseGridMazeConfig, type GridMazeOptions } from './env';
export { formatLayout, parseLayout, KIND_SYMBOLS, type GridMazeLayout } from './layout';
export type { GridMazeSnapshot } from './snapshot';
