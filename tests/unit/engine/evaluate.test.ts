import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { evaluatePolicy } from '../../../src-main/engine/evaluate';
import { createGridMaze, type GridMazeLayout } from '../../../src-main/engine/gridmaze';
import { evaluationEnvSeed, networkPolicy, splitQuota } from '../../../src-main/engine/policy-rollout';
import { alwaysRightCollections, fixedLogitNetwork, obsShapeOf, REWARDS } from './policy-fixtures';

const S7 = { size: 7 };

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => tf.disposeVariables());

/** The mazes of the first `perEnv[i]` episodes of each env of the evaluation stream (episodes run to H). */
function evaluationMazes(seed: number, perEnv: Int32Array): GridMazeLayout[] {
  const N = perEnv.length;
  const env = createGridMaze(S7, REWARDS, { numEnvs: N, seed: evaluationEnvSeed(seed) });
  const mazes: GridMazeLayout[][] = Array.from({ length: N }, (_, i) => [env.layout(i)]);
  const right = new Int32Array(N).fill(3);
  const most = Math.max(...perEnv);
  for (let episode = 1; episode < most; episode++) {
    for (let t = 0; t < env.config.horizon; t++) env.step(right);
    for (let i = 0; i < N; i++) mazes[i]!.push(env.layout(i));
  }
  return mazes.flatMap((list, i) => list.slice(0, perEnv[i]));
}

// 1,500 evaluated episodes of a network policy: a few seconds with the native kernels, up to ~20 s on
// plain tfjs-wasm on a loaded 2-core machine.
describe('evaluatePolicy', { timeout: 60_000 }, () => {
  it('a uniform policy (zero policy head) reproduces the random-policy success floor at S=7', () => {
    const net = fixedLogitNetwork(obsShapeOf(S7), [0, 0, 0, 0]);
    const result = evaluatePolicy(
      networkPolicy(net),
      { env: S7, rewards: REWARDS },
      {
        episodes: 1500,
        policy: 'sampled',
        seed: 1,
      },
    );
    net.dispose();
    const [ra, coin] = result.rewards;
    // shared/bench: 0.44 (cheese) and ≈0.43 (coin) over many episodes; 3σ at n = 1500 is 0.038.
    expect(Math.abs(ra!.success.estimate - 0.44)).toBeLessThan(0.04);
    expect(Math.abs(coin!.success.estimate - 0.43)).toBeLessThan(0.04);
    // One object per kind, weight 1: the return is the success indicator.
    expect(ra!.meanReturn.estimate).toBeCloseTo(ra!.success.estimate, 12);
    expect(ra!.meanReturn.low).toBeLessThan(ra!.meanReturn.estimate);
    expect(ra!.meanReturn.high).toBeGreaterThan(ra!.meanReturn.estimate);
    expect(result.kinds.map((k) => k.kind)).toEqual(['cheese', 'coin']);
    expect(result.kinds[0]!.collectRate.estimate).toBe(ra!.success.estimate);
    expect(result.meanLength).toBe(64);
    expect(result.episodes).toBe(1500);
  });

  it('a greedy always-right policy collects exactly the objects on its row before the first wall', () => {
    const net = fixedLogitNetwork(obsShapeOf(S7), [0, 0.5, -1, 2]);
    const result = evaluatePolicy(
      networkPolicy(net),
      { env: S7, rewards: REWARDS },
      {
        episodes: 100,
        policy: 'greedy',
        seed: 9,
        numEnvs: 16,
      },
    );
    net.dispose();
    const mazes = evaluationMazes(9, splitQuota(100, 16));
    const expected = mazes.map(alwaysRightCollections);
    expect(expected.some((hits) => Object.keys(hits).length > 0)).toBe(true);
    for (const kind of ['cheese', 'coin']) {
      expect(result.perEpisode.collectedAtStep[kind]).toEqual(expected.map((hits) => hits[kind] ?? 0));
    }
    const cheese = expected.filter((hits) => hits.cheese !== undefined);
    expect(result.kinds[0]!.collectedEpisodes).toBe(cheese.length);
    expect(result.kinds[0]!.meanStepsToCollect).toBeCloseTo(
      cheese.reduce((s, hits) => s + hits.cheese!, 0) / cheese.length,
      12,
    );
    expect(result.perEpisode.returns.RA).toEqual(expected.map((hits) => (hits.cheese === undefined ? 0 : 1)));
  });

  it('greedy and sampled differ for a non-uniform policy, and each is deterministic for its seed', () => {
    const net = fixedLogitNetwork(obsShapeOf(S7), [0, 0, 1, 1.5]);
    const run = (policy: 'greedy' | 'sampled', seed: number) =>
      evaluatePolicy(networkPolicy(net), { env: S7, rewards: REWARDS }, { episodes: 200, policy, seed });
    const greedy = run('greedy', 4);
    const sampled = run('sampled', 4);
    expect(sampled.rewards[0]!.success.estimate).not.toBe(greedy.rewards[0]!.success.estimate);
    // Always right collects only on the start row; a policy that also moves left, up and down does better.
    expect(sampled.rewards[0]!.success.estimate).toBeGreaterThan(greedy.rewards[0]!.success.estimate);
    expect(run('sampled', 4)).toEqual(sampled);
    expect(run('sampled', 5)).not.toEqual(sampled);
    net.dispose();
  });

  it('counts exactly M episodes, in env order, when episodes end at different times', () => {
    const config = { size: 7, terminateOn: 'any' as const };
    const net = fixedLogitNetwork(obsShapeOf(config), [0, 0, 0, 0]);
    const result = evaluatePolicy(
      networkPolicy(net),
      { env: config, rewards: REWARDS },
      {
        episodes: 50,
        policy: 'sampled',
        seed: 2,
        numEnvs: 8,
      },
    );
    net.dispose();
    const { envIndex, length } = result.perEpisode;
    expect(envIndex).toHaveLength(50);
    expect(new Set(length).size).toBeGreaterThan(5);
    expect(envIndex).toEqual([...envIndex].sort((a, b) => a - b));
    const perEnv = Array.from({ length: 8 }, (_, i) => envIndex.filter((e) => e === i).length);
    expect(perEnv).toEqual([7, 7, 6, 6, 6, 6, 6, 6]);
    // terminateOn "any": an episode shorter than H ended by a collection.
    length.forEach((l, e) => {
      if (l < 64)
        expect(
          result.perEpisode.collectedAtStep.cheese![e] === l ||
            result.perEpisode.collectedAtStep.coin![e] === l,
        ).toBe(true);
    });
  });

  it('plays held-out mazes: the evaluation stream is not the training stream of the same seed', () => {
    expect(evaluationEnvSeed(3)).toBe(2 ** 48 + 3);
    const training = createGridMaze(S7, REWARDS, { numEnvs: 1, seed: 3 }).layout(0);
    const held = createGridMaze(S7, REWARDS, { numEnvs: 1, seed: evaluationEnvSeed(3) }).layout(0);
    expect(held).not.toEqual(training);
    expect(() => evaluationEnvSeed(-1)).toThrow(/evaluation seed/);
  });
});
