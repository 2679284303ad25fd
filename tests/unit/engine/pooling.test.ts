import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src-main/shared/random';
import {
  hierarchicalBootstrapCi,
  pooledEffect,
  studentTQuantile,
  tIntervalOverReplications,
} from '../../../src-main/engine/pooling';

const options = { resamples: 2000, confidence: 0.95, seed: 17 };

/** R replications of n episodes: effect of replication r = centres[r], episode noise sd `noise`. */
function synthetic(centres: number[], n: number, noise: number, seed = 1): number[][] {
  const rng = createRng(seed);
  return centres.map((c) => Array.from({ length: n }, () => c + noise * rng.normal()));
}

const width = (ci: { low: number; high: number }): number => ci.high - ci.low;

describe('studentTQuantile', () => {
  it('matches tabulated t quantiles', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 2);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.303, 3);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(studentTQuantile(0.95, 10)).toBeCloseTo(1.812, 3);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776, 3);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.96, 2);
  });
});

describe('pooledEffect', () => {
  it('widens the pooled CI when replications disagree, at the same episode noise (hierarchical bootstrap, R = 3)', () => {
    const agree = pooledEffect(synthetic([0.2, 0.2, 0.2], 50, 0.3), options);
    const disagree = pooledEffect(synthetic([-0.1, 0.2, 0.5], 50, 0.3), options);
    expect(agree.method).toBe('hierarchical-bootstrap');
    expect(disagree.method).toBe('hierarchical-bootstrap');
    expect(agree.replicated).toBe(true);
    expect(width(disagree)).toBeGreaterThan(2 * width(agree));
    expect(disagree.low).toBeLessThan(0.2);
    expect(disagree.estimate).toBeCloseTo(disagree.perReplication.reduce((a, b) => a + b) / 3, 12);
  });

  it('widens the pooled CI when replications disagree (t-interval, R ≥ 5)', () => {
    const agree = pooledEffect(synthetic([0.2, 0.21, 0.19, 0.2, 0.2], 50, 0.3), options);
    const disagree = pooledEffect(synthetic([-0.2, 0.0, 0.2, 0.4, 0.6], 50, 0.3), options);
    expect(agree.method).toBe('t-interval');
    expect(disagree.method).toBe('t-interval');
    expect(width(disagree)).toBeGreaterThan(3 * width(agree));
    expect(disagree.low).toBeLessThan(0);
  });

  it('is wider than an episode-only bootstrap that pools every episode as one sample', () => {
    const reps = synthetic([-0.2, 0.1, 0.4], 100, 0.1);
    const pooled = hierarchicalBootstrapCi(reps, options);
    const flat = hierarchicalBootstrapCi([reps.flat()], options);
    expect(width(pooled)).toBeGreaterThan(5 * width(flat));
  });

  it('computes the t-interval m̄ ± t·s/√R over per-replication effects', () => {
    const ci = tIntervalOverReplications([1, 2, 3, 4, 5], 0.95);
    const half = (2.776445 * Math.sqrt(2.5)) / Math.sqrt(5);
    expect(ci.estimate).toBe(3);
    expect(ci.low).toBeCloseTo(3 - half, 4);
    expect(ci.high).toBeCloseTo(3 + half, 4);
  });

  it('marks fewer than 3 replications as not replicated', () => {
    expect(pooledEffect(synthetic([0.5], 30, 0.1), options)).toMatchObject({
      replications: 1,
      replicated: false,
    });
    expect(pooledEffect(synthetic([0.5, 0.5], 30, 0.1), options)).toMatchObject({
      replications: 2,
      replicated: false,
      method: 'hierarchical-bootstrap',
    });
  });

  it('is deterministic for a seed and changes with it', () => {
    const reps = synthetic([0.1, 0.3, 0.2], 40, 0.5);
    expect(pooledEffect(reps, options)).toEqual(pooledEffect(reps, options));
    expect(pooledEffect(reps, options)).not.toEqual(pooledEffect(reps, { ...options, seed: 18 }));
  });

  it('refuses empty replications and non-finite episodes with INVALID_SPEC naming where', () => {
    expect(() => pooledEffect([], options)).toThrow(/no replications/);
    expect(() => pooledEffect([[1], []], options)).toThrow(/replication 1 has no episodes/);
    expect(() => pooledEffect([[1, NaN]], options)).toThrow(/replication 0, episode 1/);
  });
});
