import { describe, expect, it } from 'vitest';
import { summariseEpisodes } from '../../../src-main/engine/evaluate';
import { pooledNegation, type ReplicationNegationInput } from '../../../src-main/protocol';
import type { EvaluationResult } from '../../../src-main/shared/contract-evaluation';

/** n episodes: `coin` collected in the first `coinHits`, RA return 1 in all. */
function evaluation(n: number, coinHits: number): EvaluationResult {
  const episodes = Array.from({ length: n }, (_, e) => ({
    envIndex: 0,
    length: 10,
    returns: { RA: 1, coin: e < coinHits ? 1 : 0 },
    success: { RA: true, coin: e < coinHits },
    collected: { cheese: true, coin: e < coinHits },
    collectedAtStep: { cheese: 3, coin: e < coinHits ? 5 : 0 },
  }));
  return summariseEpisodes(episodes, {
    rewardNames: ['RA', 'coin'],
    kinds: ['cheese', 'coin'],
    policy: 'sampled',
    seed: 0,
    numEnvs: 1,
    confidence: 0.95,
    bootstrapResamples: 100,
    trainReward: null,
  });
}

const n = 40;
/** Replication s: control collects coin in 30 of 40 episodes, MA − 1·Δ(coin) recovered in 30 − drop. */
function replication(seed: number, drop: number): ReplicationNegationInput {
  return {
    seed,
    control: evaluation(n, 30),
    points: [{ rb: 'coin', variant: 'negate', alpha: 1, after: evaluation(n, 30 - drop) }],
  };
}

const input = (drops: number[]) => ({
  raName: 'RA',
  rbs: [{ name: 'coin', targetKind: 'coin' }],
  replications: drops.map((d, r) => replication(r + 1, d)),
  pooling: { resamples: 500, confidence: 0.95, seed: 1 },
});

describe('pooledNegation', () => {
  it('pools each point across replications: per-replication effects, method, replicated flag', () => {
    const [row] = pooledNegation(input([8, 10, 12]));
    expect(row).toMatchObject({ rb: 'coin', variant: 'negate', alpha: 1, seeds: [1, 2, 3] });
    const target = row!.targetCollectVsControl!;
    expect(target.perReplication).toEqual([-0.2, -0.25, -0.3]);
    expect(target).toMatchObject({ method: 'hierarchical-bootstrap', replications: 3, replicated: true });
    expect(target.estimate).toBeCloseTo(-0.25, 12);
    expect(target.high).toBeLessThan(0);
    expect(row!.raReturnVsControl.estimate).toBe(0);
  });

  it('widens when replications disagree and is deterministic for a seed', () => {
    const agree = pooledNegation(input([10, 10, 10, 10, 10]))[0]!.targetCollectVsControl!;
    const disagree = pooledNegation(input([0, 20, 5, 15, 10]))[0]!.targetCollectVsControl!;
    expect(agree.method).toBe('t-interval');
    expect(agree.high - agree.low).toBe(0);
    expect(disagree.high - disagree.low).toBeGreaterThan(0.2);
    expect(pooledNegation(input([8, 10, 12]))).toEqual(pooledNegation(input([8, 10, 12])));
  });

  it('marks a single replication as not replicated', () => {
    const [row] = pooledNegation(input([20]));
    expect(row!.targetCollectVsControl).toMatchObject({ replications: 1, replicated: false });
  });

  it('refuses unpaired evaluations with SHAPE_MISMATCH naming the replication and point', () => {
    const bad = input([10]);
    bad.replications[0]!.control = evaluation(20, 10);
    expect(() => pooledNegation(bad)).toThrow(/seed 1, coin\|negate\|1: 40 vs 20 episodes/);
  });
});
