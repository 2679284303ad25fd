import { describe, expect, it } from 'vitest';
import { pooledNegation, type ReplicationNegationInput } from '../../../src-main/protocol';
import { cheeseCoinEvaluation } from './evaluation-fixture';
import type { EvaluationResult } from '../../../src-main/shared/contract-evaluation';

/** n episodes: `coin` collected in the first `coinHits`, RA return 1 in all. */
const evaluation = (n: number, coinHits: number): EvaluationResult =>
  cheeseCoinEvaluation(n, coinHits, () => 1);

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

/** n episodes: cheese in the first `cheese`, coin in the first `coin` (RA = cheese). */
const kinds = (cheese: number, coin: number): EvaluationResult =>
  cheeseCoinEvaluation(n, coin, (e) => (e < cheese ? 1 : 0));

describe('pooledNegation specificity', () => {
  const specificity = (after: (r: number) => EvaluationResult) =>
    pooledNegation({
      raName: 'RA',
      rbs: [{ name: 'coin', targetKind: 'coin' }],
      kinds: ['cheese', 'coin'],
      raKinds: ['cheese'],
      replications: [1, 2, 3].map((seed) => ({
        seed,
        control: kinds(30, 30),
        points: [
          {
            rb: 'coin',
            variant: 'negate' as const,
            alpha: 1,
            after: after(seed),
            recovery: { steps: 64 * seed, reachedCriterion: seed !== 3 },
          },
        ],
      })),
      pooling: { resamples: 500, confidence: 0.95, seed: 1 },
    })[0]!;

  it('separates general damage (every object down: contrast ≈ 0) from a targeted lean (only the target down)', () => {
    const damage = specificity((r) => kinds(30 - 8 - r, 30 - 8 - r));
    expect(damage.targetCollectVsControl!.high).toBeLessThan(0);
    expect(damage.specificity!.contrast!.estimate).toBeCloseTo(0, 12);
    expect(damage.specificity!.perKind.map((k) => k.kind)).toEqual(['cheese', 'coin']);
    expect(damage.raRetention!.estimate).toBeLessThan(1);
    const lean = specificity((r) => kinds(30, 30 - 8 - r));
    // contrast = Δ coin − Δ cheese = Δ coin here.
    expect(lean.specificity!.contrast!.estimate).toBeCloseTo(lean.targetCollectVsControl!.estimate, 12);
    expect(lean.specificity!.contrast!.high).toBeLessThan(0);
    expect(lean.raRetention!.estimate).toBeCloseTo(1, 12);
    expect(lean.specificity!.raSuccessVsControl.estimate).toBe(0);
  });

  it('records steps to criterion per replication, null where the cap was hit', () => {
    expect(specificity((r) => kinds(30, 30 - r)).stepsToCriterion).toEqual([64, 128, null]);
  });
});
