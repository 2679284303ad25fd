import { describe, expect, it } from 'vitest';
import type { RewardSpec } from '../../../src-main/shared/reward';
import { addComponent, compileRewards, rewardFromEvents } from '../../../src-main/engine/rewards';
import { parseGridMazeConfig } from '../../../src-main/engine/gridmaze';

const config = parseGridMazeConfig({
  kinds: ['cheese', 'coin'],
  regions: [{ name: 'top_right', corner: 'top-right', size: 3 }],
});
const spec = (
  name: string,
  collect: Record<string, number>,
  stepCost = 0,
  reach: Record<string, number> = {},
): RewardSpec => ({
  name,
  collect,
  stepCost,
  reach,
});

describe('compileRewards', () => {
  it('lays weights out reward-major over [kinds…, regions…] and marks rewarded kinds', () => {
    const compiled = compileRewards(
      [spec('RA', { cheese: 1 }), spec('RX', { cheese: -1, coin: 2 }, -0.05, { top_right: 0.5 })],
      config,
    );
    expect(compiled.features).toEqual(['cheese', 'coin', 'reach:top_right']);
    expect(Array.from(compiled.weights)).toEqual([1, 0, 0, -1, 2, 0.5]);
    expect(Array.from(compiled.stepCost)).toEqual([0, -0.05]);
    expect(Array.from(compiled.rewarded)).toEqual([1, 0, 0, 1]);
    const events = Uint8Array.from([0, 1, 1]); // coin collected on entering the region
    expect(rewardFromEvents(compiled, 0, events, 0)).toBe(0);
    expect(rewardFromEvents(compiled, 1, events, 0)).toBeCloseTo(2 + 0.5 - 0.05, 12);
  });

  it('names the reward and the kind or region the environment lacks', () => {
    expect(() => compileRewards([spec('RG', { red_gem: 1 })], config)).toThrow(
      'reward "RG" weights kind "red_gem", which this environment lacks (kinds: cheese, coin)',
    );
    expect(() => compileRewards([spec('RR', {}, 0, { bottom: 1 })], config)).toThrow(
      'reward "RR" weights region "bottom", which this environment lacks (regions: top_right)',
    );
    expect(() => compileRewards([spec('RA', {}), spec('RA', {})], config)).toThrow(/"RA" is used twice/);
    expect(() => compileRewards([], config)).toThrow(/at least one reward/);
    expect(() => compileRewards([spec('RN', { cheese: Number.NaN })], config)).toThrow(
      /collect.cheese must be a finite/,
    );
  });
});

describe('addComponent', () => {
  it('RB = RA plus a component adds weights and step costs without touching RA', () => {
    const RA = spec('RA', { cheese: 1 }, -0.01);
    const RB = addComponent(RA, 'RB', {
      collect: { coin: 1, cheese: 0.5 },
      stepCost: -0.02,
      reach: { top_right: 1 },
    });
    expect(RB).toEqual({
      name: 'RB',
      collect: { cheese: 1.5, coin: 1 },
      stepCost: expect.closeTo(-0.03, 12),
      reach: { top_right: 1 },
    });
    expect(RA).toEqual(spec('RA', { cheese: 1 }, -0.01));
    expect(addComponent(RA, 'same', {})).toEqual({ ...RA, name: 'same' });
  });
});
