import { describe, expect, it } from 'vitest';
import {
  episodeView,
  positionCount,
  stepPosition,
  type EpisodeRecording,
} from '../../../../src-renderer/maze/episode-frames';

/** A 5×5 maze; the agent walks right twice from (1, 1), collecting the cheese at (1, 2) on its first step. */
function recording(): EpisodeRecording {
  const walls = Array.from({ length: 25 }, (_, i) => {
    const row = Math.floor(i / 5);
    const col = i % 5;
    return row === 0 || row === 4 || col === 0 || col === 4 ? 1 : 0;
  });
  type Placed = EpisodeRecording['final']['objects'][number];
  const cheese: Placed = { kind: 'cheese', row: 1, col: 2 };
  const coin: Placed = { kind: 'coin', row: 3, col: 3 };
  const frame = (t: number, col: number, objects: Placed[], ra: number) => ({
    t,
    agent: { row: 1, col },
    objects,
    action: 3,
    probs: [0.1, 0.1, 0.1, 0.7],
    value: 0.5 - t * 0.1,
    rewards: { RA: ra, RB: 0 },
    collected: ra > 0 ? [cheese.kind] : [],
  });
  return {
    format: 'deltascope.episode/1',
    size: 5,
    kinds: ['cheese', 'coin'],
    rewardNames: ['RA', 'RB'],
    actionNames: ['up', 'down', 'left', 'right'],
    walls,
    mazeSeed: 0,
    envSeed: 2 ** 48,
    policy: 'greedy',
    seed: 0,
    frames: [frame(0, 1, [cheese, coin], 1), frame(1, 2, [coin], 0)],
    trail: [
      { row: 1, col: 1 },
      { row: 1, col: 2 },
      { row: 1, col: 3 },
    ],
    final: { agent: { row: 1, col: 3 }, objects: [coin] },
    outcome: {
      length: 2,
      terminated: false,
      returns: { RA: 1, RB: 0 },
      collectedAtStep: { cheese: 1, coin: 0 },
      success: { RA: true, RB: false },
    },
  };
}

describe('episodeView', () => {
  it('shows the state before action t with its policy output and the return so far', () => {
    const view = episodeView(recording(), 1);
    expect(view.agent).toEqual({ row: 1, col: 2 });
    expect(view.objects.map((o) => o.kind)).toEqual(['coin']);
    expect(view.trail).toHaveLength(2);
    expect(view.probs).toEqual([0.1, 0.1, 0.1, 0.7]);
    expect(view.value).toBeCloseTo(0.4, 12);
    expect(view.returnsSoFar).toEqual({ RA: 1, RB: 0 });
    expect(view.final).toBe(false);
  });

  it('has one more position than frames: the final state, with no action', () => {
    const rec = recording();
    expect(positionCount(rec)).toBe(3);
    const last = episodeView(rec, 2);
    expect(last.final).toBe(true);
    expect(last.agent).toEqual({ row: 1, col: 3 });
    expect(last.trail).toHaveLength(3);
    expect(last.action).toBeNull();
    expect(last.probs).toBeNull();
  });

  it('refuses positions outside the episode', () => {
    expect(() => episodeView(recording(), 3)).toThrow(/\[0, 2\], got 3/);
    expect(() => episodeView(recording(), -1)).toThrow(RangeError);
  });
});

describe('stepPosition', () => {
  it('moves by delta and stops at both ends', () => {
    expect(stepPosition(1, 1, 3)).toBe(2);
    expect(stepPosition(2, 1, 3)).toBe(2);
    expect(stepPosition(1, -10, 3)).toBe(0);
    expect(stepPosition(5, 0, 0)).toBe(0);
  });
});
