import { describe, expect, it } from 'vitest';
import type { EpisodeScan } from '@shared/contract-evaluation';
import { collectedTotals, matchingMazes, mazeMatches } from '../../../../src-renderer/models/episode-scan';

function outcome(checkpointId: number, collected: string[]) {
  return { checkpointId, length: 10, collected, returns: {}, success: {} };
}

const scan: EpisodeScan = {
  format: 'deltascope.episode-scan/1',
  checkpointIds: [5, 11],
  policy: 'greedy',
  seed: 0,
  kinds: ['cheese', 'coin'],
  rewardNames: ['RA', 'coin'],
  mazes: [
    { mazeSeed: 0, outcomes: [outcome(5, ['cheese', 'coin']), outcome(11, ['cheese'])] },
    { mazeSeed: 1, outcomes: [outcome(5, ['cheese']), outcome(11, ['coin'])] },
    { mazeSeed: 2, outcomes: [outcome(5, ['coin']), outcome(11, ['coin'])] },
  ],
};

describe('episode scan', () => {
  it('finds the mazes where A collects a kind, where only A or only B does, or both', () => {
    const seeds = (condition: Parameters<typeof matchingMazes>[1]) =>
      matchingMazes(scan, condition, 'coin').map((maze) => maze.mazeSeed);
    expect(seeds('a-collects')).toEqual([0, 2]);
    expect(seeds('a-misses')).toEqual([1]);
    expect(seeds('a-not-b')).toEqual([0]);
    expect(seeds('b-not-a')).toEqual([1]);
    expect(seeds('both')).toEqual([2]);
    expect(seeds('any')).toEqual([0, 1, 2]);
  });

  it('matches no maze on a condition about B when only A was scanned', () => {
    const alone = { mazeSeed: 0, outcomes: [outcome(5, ['coin'])] };
    expect(mazeMatches(alone, 'a-not-b', 'coin')).toBe(false);
    expect(mazeMatches(alone, 'a-collects', 'coin')).toBe(true);
  });

  it('counts per checkpoint in how many mazes it collected each kind', () => {
    expect(collectedTotals(scan)).toEqual([
      { checkpointId: 5, counts: { cheese: 2, coin: 2 } },
      { checkpointId: 11, counts: { cheese: 1, coin: 2 } },
    ]);
  });
});
