import { describe, expect, it } from 'vitest';
import { learningRateAt, WARMUP_START_FRACTION, warmupFactor } from '../../../src-main/engine/lr-schedule';

describe('learning-rate schedule', () => {
  it('ramps linearly from the start fraction to 1 over the warm-up, then stays at 1', () => {
    const factors = [1, 2, 3, 4, 5, 6, 7].map((i) => warmupFactor(i, 4));
    expect(factors[0]).toBe(WARMUP_START_FRACTION);
    const step = (1 - WARMUP_START_FRACTION) / 4;
    factors.slice(0, 5).forEach((f, i) => expect(f).toBeCloseTo(WARMUP_START_FRACTION + i * step, 12));
    expect(factors.slice(4)).toEqual([1, 1, 1]);
  });

  it('multiplies the annealed rate during the warm-up', () => {
    const config = { learningRate: 0.01, annealLr: true, warmupIterations: 2 };
    expect(learningRateAt(1, 10, config)).toBeCloseTo(0.01 * WARMUP_START_FRACTION, 15);
    expect(learningRateAt(2, 10, config)).toBeCloseTo((0.009 * (1 + WARMUP_START_FRACTION)) / 2, 15);
    expect(learningRateAt(3, 10, config)).toBe((1 - 2 / 10) * 0.01);
    expect(learningRateAt(5, 10, { ...config, annealLr: false })).toBe(0.01);
    expect(learningRateAt(1, 10, { ...config, annealLr: false })).toBe(0.01 * WARMUP_START_FRACTION);
  });

  it('without warm-up is CleanRL’s annealing, bit for bit', () => {
    for (const iteration of [1, 2, 37, 100]) {
      expect(
        learningRateAt(iteration, 100, { learningRate: 2.5e-4, annealLr: true, warmupIterations: 0 }),
      ).toBe((1 - (iteration - 1) / 100) * 2.5e-4);
      expect(
        learningRateAt(iteration, 100, { learningRate: 2.5e-4, annealLr: false, warmupIterations: 0 }),
      ).toBe(2.5e-4);
    }
  });
});
