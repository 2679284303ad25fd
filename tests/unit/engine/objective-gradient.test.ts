import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { createGridMaze } from '../../../src-main/engine/gridmaze';
import { createNetwork } from '../../../src-main/engine/nn/network';
import { probeObjectiveGradient } from '../../../src-main/engine/objective-gradient';
import { DEFAULT_PPO_CONFIG } from '../../../src-main/engine/ppo';

beforeAll(async () => {
  await initBackend('cpu');
});

const LOSS = { ...DEFAULT_PPO_CONFIG, entCoef: 0.01 };

function probe(seed: number, fisherRows = 32) {
  const env = createGridMaze(
    { size: 5, kinds: ['cheese', 'coin'], horizon: 16, view: 'egocentric' },
    [
      { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} },
      { name: 'coin', collect: { coin: 1 }, stepCost: 0, reach: {} },
    ],
    { numEnvs: 4, seed, trainReward: 'coin' },
  );
  const network = createNetwork(
    { kind: 'mlp', obsShape: env.obsShape, numActions: env.numActions, hidden: [8] },
    1,
  );
  try {
    return {
      result: probeObjectiveGradient({
        env,
        network,
        numSteps: 32,
        gamma: 0.99,
        gaeLambda: 0.95,
        loss: LOSS,
        seed,
        fisherRows,
      }),
      obsShape: env.obsShape,
    };
  } finally {
    network.dispose();
  }
}

describe('the gradient of a reward objective at the current weights', () => {
  it('is exactly 0 on first-layer rows of inputs that never vary, non-zero on the heads, and the Fisher is 0 where the gradient is', () => {
    const { result, obsShape } = probe(3);
    expect(result.rows).toBe(128);
    expect(result.fisherRows).toBe(32);
    const names = result.params.map((p) => p.name);
    const dense1 = names.indexOf('torso.dense1.kernel');
    const g = result.gradient[dense1]!;
    const f = result.fisher[dense1]!;
    const hidden = 8;
    const rowsOf = obsShape[0] * obsShape[1] * obsShape[2];
    let deadRows = 0;
    for (let r = 0; r < rowsOf; r++) {
      const row = g.subarray(r * hidden, (r + 1) * hidden);
      if (row.every((x) => x === 0)) {
        deadRows += 1;
        expect(f.subarray(r * hidden, (r + 1) * hidden).every((x) => x === 0)).toBe(true);
      }
    }
    // Some planes are all zero in every window (e.g. an object absent around the agent at the edges).
    expect(deadRows).toBeGreaterThan(0);
    expect(deadRows).toBeLessThan(rowsOf);
    for (const name of ['policy.kernel', 'value.kernel']) {
      expect(result.gradient[names.indexOf(name)]!.some((x) => x !== 0)).toBe(true);
    }
    expect(result.fisher.every((t) => t.every((x) => x >= 0))).toBe(true);
    expect(result.fisher[names.indexOf('value.kernel')]!.every((x) => x === 0)).toBe(true);
  });

  it('is deterministic per seed', () => {
    const a = probe(5, 8).result;
    const b = probe(5, 8).result;
    expect(a.gradient.map((t) => [...t])).toEqual(b.gradient.map((t) => [...t]));
  });
});
