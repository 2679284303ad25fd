import { describe, expect, it } from 'vitest';
import { createGridMaze } from '../../../../src-main/engine/gridmaze';
import { createRng } from '../../../../src-main/shared/random';

/**
 * The strongest check that our semantics equal the reference's: the random-policy success floor.
 * shared/bench/README.md reports, over 5 000 episodes (RA = cheese, K = 2, H = 64, terminate on none):
 * S=7 success 0.44, coin 0.42; S=11 0.16, 0.17. (Rerunning the reference env for 40 000 episodes gave
 * 0.431 / 0.429 and 0.164 / 0.161: cheese and coin are exchangeable, the gap is sampling noise.)
 */
function floor(size: number, episodes: number): { success: number; coin: number } {
  const numEnvs = 64;
  const env = createGridMaze({ size }, [{ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} }], {
    numEnvs,
    seed: 2024,
  });
  const policy = createRng(7);
  const actions = new Int32Array(numEnvs);
  let done = 0;
  let success = 0;
  let coin = 0;
  while (done < episodes) {
    for (let i = 0; i < numEnvs; i++) actions[i] = policy.int(4);
    for (const episode of env.step(actions).episodes) {
      done++;
      if (episode.success.RA) success++;
      if (episode.collected.coin) coin++;
      expect(episode.length).toBe(64);
    }
  }
  return { success: success / done, coin: coin / done };
}

describe('random-policy success floor matches the reference', () => {
  it('S=7: success ≈ 0.44, coin ≈ 0.42', () => {
    const { success, coin } = floor(7, 12800);
    expect(Math.abs(success - 0.44)).toBeLessThan(0.025);
    expect(Math.abs(coin - 0.42)).toBeLessThan(0.025);
  });

  it('S=11: success ≈ 0.16, coin ≈ 0.17', () => {
    const { success, coin } = floor(11, 12800);
    expect(Math.abs(success - 0.16)).toBeLessThan(0.025);
    expect(Math.abs(coin - 0.17)).toBeLessThan(0.025);
  });
});
