import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src-main/shared/random';
import {
  channelOfElements,
  observationGroundTruth,
} from '../../../src-main/protocol/observation-ground-truth';
import { observationLayout } from '../../../src-main/shared/observation-layout';
import type { TensorMap } from '../../../src-main/weights';

// 3×3 maze, egocentric: 5×5 window, channels wall, agent, cheese, coin, red_gem → dense1 [125, 4].
const env = {
  kinds: ['cheese', 'coin', 'red_gem'] as ('cheese' | 'coin' | 'red_gem')[],
  size: 3,
  view: 'egocentric' as const,
};
const layout = observationLayout(env, { kind: 'mlp' });
const CELLS = 25;

/** A first-layer delta of small drift everywhere and `boost` × more on the rows of `channel`. */
function delta(seed: number, channel: number, boost: number): TensorMap {
  const rng = createRng(seed, 1);
  const data = Float32Array.from({ length: 125 * 4 }, (_, i) => {
    const c = Math.floor(Math.floor(i / 4) / CELLS);
    return 0.01 * rng.normal() * (c === channel ? boost : 1);
  });
  return new Map([['torso.dense1.kernel', { name: 'torso.dense1.kernel', shape: [125, 4], data }]]);
}

const rbs = [
  { label: 'coin', checkpointId: 2, kind: 'coin', map: delta(1, 3, 3) },
  { label: 'gem', checkpointId: 3, kind: 'red_gem', map: delta(2, 4, 3) },
];

describe('observation ground truth', () => {
  it('maps dense first-layer rows to channels c·H·W … and conv kernels by axis 2', () => {
    const channels = channelOfElements(layout, [125, 4]);
    expect(channels[0]).toBe(0);
    expect(channels[3 * CELLS * 4]).toBe(3);
    expect(channels[125 * 4 - 1]).toBe(4);
    const conv = observationLayout(env, { kind: 'cnn' });
    const byAxis = channelOfElements(conv, [3, 3, 5, 2]);
    expect([...byAxis.slice(0, 10)]).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it("passes when each RB's delta sits on its own object's channel rows", () => {
    const result = observationGroundTruth({
      seed: 1,
      baseCheckpointId: 1,
      layout,
      rbDeltas: rbs,
      nullDeltas: [delta(9, -1, 1)],
    });
    expect(result.parameterShare).toBeCloseTo(0.2);
    const coin = result.rbs[0]!;
    expect(coin.ownShare).toBeGreaterThan(0.4);
    expect(coin.othersShare).toBeLessThan(0.2);
    expect(coin.nullOwnShare).toBeCloseTo(0.2, 1);
    expect(result.pass).toBe(true);
  });

  it('FAILS when a stage is broken: the channel layout shifted by one object', () => {
    const shifted = { ...layout, channels: ['wall', 'agent', 'red_gem', 'cheese', 'coin'] };
    const result = observationGroundTruth({
      seed: 1,
      baseCheckpointId: 1,
      layout: shifted,
      rbDeltas: rbs,
      nullDeltas: [],
    });
    expect(result.pass).toBe(false);
    expect(result.verdict).toMatch(/below/);
  });

  it('FAILS when the deltas do not favour their own object (uniform drift)', () => {
    const flat = rbs.map((rb, i) => ({ ...rb, map: delta(20 + i, -1, 1) }));
    expect(
      observationGroundTruth({ seed: 1, baseCheckpointId: 1, layout, rbDeltas: flat, nullDeltas: [] }).pass,
    ).toBe(false);
  });

  it('refuses a first layer that does not read this observation', () => {
    const wrong = new Map([
      ['torso.dense1.kernel', { name: 'torso.dense1.kernel', shape: [100, 4], data: new Float32Array(400) }],
    ]);
    expect(() =>
      observationGroundTruth({
        seed: 1,
        baseCheckpointId: 1,
        layout,
        rbDeltas: [{ ...rbs[0]!, map: wrong }],
        nullDeltas: [],
      }),
    ).toThrow(/does not read a 5×5×5 observation/);
  });
});
