import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendChoice } from '../../../src-main/engine/backend';
import { createNetwork, type NetworkSpec } from '../../../src-main/engine/nn/network';
import {
  DEFAULT_PPO_CONFIG,
  advantageMoments,
  ppoMinibatchLoss,
  type MinibatchData,
  type MinibatchStats,
} from '../../../src-main/engine/ppo';
import { shardGradients } from '../../../src-main/engine/ppo-shard';
import { fixture } from './nn/reference-math';

/**
 * Data-parallel updates split a minibatch into row shards that use the whole minibatch's advantage
 * moments and row count: the shards' gradients and statistics must add up to the whole minibatch's.
 */

const OBS: [number, number, number] = [2, 3, 3];
const OBS_SIZE = 18;
const A = 4;
const ROWS = 24;

function minibatch(seed: number, rows = ROWS): { obs: Float32Array; mb: MinibatchData } {
  const u = fixture(rows * (OBS_SIZE + 5), seed);
  return {
    obs: Float32Array.from(u.subarray(0, rows * OBS_SIZE), (x) => (x > 0.3 ? 1 : 0)),
    mb: {
      actions: Int32Array.from(u.subarray(rows * OBS_SIZE, rows * (OBS_SIZE + 1)), (x) =>
        Math.min(A - 1, Math.floor(((x + 1) / 2) * A)),
      ),
      // log π_old around log(1/4): ratios near 1, some clipped
      logProbs: Float32Array.from(
        u.subarray(rows * (OBS_SIZE + 1), rows * (OBS_SIZE + 2)),
        (x) => -1.39 + 0.4 * x,
      ),
      advantages: Float32Array.from(
        u.subarray(rows * (OBS_SIZE + 2), rows * (OBS_SIZE + 3)),
        (x) => 3 * x + 0.5,
      ),
      returns: Float32Array.from(u.subarray(rows * (OBS_SIZE + 3), rows * (OBS_SIZE + 4))),
      values: Float32Array.from(u.subarray(rows * (OBS_SIZE + 4), rows * (OBS_SIZE + 5)), (x) => 0.5 * x),
    },
  };
}

function rowsOf(
  obs: Float32Array,
  mb: MinibatchData,
  start: number,
  end: number,
): [Float32Array, MinibatchData] {
  return [
    obs.subarray(start * OBS_SIZE, end * OBS_SIZE),
    {
      actions: mb.actions.subarray(start, end),
      logProbs: mb.logProbs.subarray(start, end),
      advantages: mb.advantages.subarray(start, end),
      returns: mb.returns.subarray(start, end),
      values: mb.values.subarray(start, end),
    },
  ];
}

const STAT_KEYS: (keyof MinibatchStats)[] = [
  'loss',
  'policyLoss',
  'valueLoss',
  'entropy',
  'approxKl',
  'clipFraction',
];

describe('ppoMinibatchLoss on row shards', () => {
  it('gives the whole minibatch’s dloss/dz row for row, and statistics that add up', () => {
    const { mb } = minibatch(3);
    const z = Float32Array.from(fixture(ROWS * (A + 1), 9), (x) => 0.8 * x);
    for (const normAdv of [true, false]) {
      const config = { ...DEFAULT_PPO_CONFIG, normAdv };
      const dzWhole = new Float32Array(ROWS * (A + 1));
      const whole = ppoMinibatchLoss(z, A, mb, config, dzWhole);
      const moments = { rows: ROWS, ...advantageMoments(mb.advantages) };
      const dzShards = new Float32Array(ROWS * (A + 1));
      const sums = Object.fromEntries(STAT_KEYS.map((k) => [k, 0])) as Record<keyof MinibatchStats, number>;
      for (const [start, end] of [
        [0, 10],
        [10, ROWS],
      ] as const) {
        const [, shard] = rowsOf(new Float32Array(0), mb, start, end);
        const dz = dzShards.subarray(start * (A + 1), end * (A + 1));
        const s = ppoMinibatchLoss(z.subarray(start * (A + 1), end * (A + 1)), A, shard, config, dz, moments);
        for (const k of STAT_KEYS) sums[k] += s[k];
      }
      expect(dzShards).toEqual(dzWhole); // same arithmetic per row: bit-identical
      for (const k of STAT_KEYS) expect(sums[k], k).toBeCloseTo(whole[k], 6);
    }
  });

  it('rejects a shard whose whole minibatch is smaller than the shard', () => {
    const { mb } = minibatch(4, 4);
    const dz = new Float32Array(4 * (A + 1));
    expect(() =>
      ppoMinibatchLoss(new Float32Array(4 * (A + 1)), A, mb, DEFAULT_PPO_CONFIG, dz, {
        rows: 2,
        mean: 0,
        std: 1,
      }),
    ).toThrow(/shard has 4 rows but its whole minibatch has 2/);
  });
});

for (const backend of ['wasm', 'cpu'] as BackendChoice[]) {
  describe(`shardGradients (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    const nets: NetworkSpec[] = [
      { kind: 'mlp', obsShape: OBS, numActions: A, hidden: [16, 8] },
      { kind: 'cnn', obsShape: OBS, numActions: A, channels: [3, 4], denseWidth: 8 },
    ];
    for (const spec of nets) {
      it(`${spec.kind}: the two half-minibatch gradients sum to the full-minibatch gradient`, () => {
        // value-head gain 1 and the policy head's 0.01 make every parameter's gradient non-trivial
        const net = createNetwork(spec, 2);
        const { obs, mb } = minibatch(5);
        const full = shardGradients(net, obs, mb, DEFAULT_PPO_CONFIG);
        const whole = { rows: ROWS, ...advantageMoments(mb.advantages) };
        const half = ROWS / 2;
        const a = shardGradients(net, ...rowsOf(obs, mb, 0, half), DEFAULT_PPO_CONFIG, whole);
        const b = shardGradients(net, ...rowsOf(obs, mb, half, ROWS), DEFAULT_PPO_CONFIG, whole);
        full.grads.forEach((g, k) => {
          const name = net.params[k]!.name;
          let scale = 0;
          for (const x of g) scale = Math.max(scale, Math.abs(x));
          expect(scale, `${name} has a gradient`).toBeGreaterThan(0);
          for (let i = 0; i < g.length; i++) {
            expect(Math.abs(a.grads[k]![i]! + b.grads[k]![i]! - g[i]!), name).toBeLessThan(
              1e-5 * scale + 1e-9,
            );
          }
        });
        for (const k of STAT_KEYS) expect(a.stats[k] + b.stats[k], k).toBeCloseTo(full.stats[k], 5);
        net.dispose();
      });
    }
  });
}
