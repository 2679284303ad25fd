import { describe, expect, it } from 'vitest';
import {
  dropDuplicateSeries,
  overWallTime,
  secondsAtStep,
  wallClockFromRates,
} from '../../../../src-main/shared/charts/metric-series-transforms';
import type { MetricSeries } from '@shared';

function series(key: string, steps: number[], values: number[]): MetricSeries {
  return { key, steps, values, totalPoints: steps.length };
}

describe('dropDuplicateSeries', () => {
  it('drops the family key when a per-reward key repeats it point for point, keeping the specific one', () => {
    const success = series('charts/success', [1, 2], [0.1, Number.NaN]);
    const ra = series('charts/success/RA', [1, 2], [0.1, Number.NaN]);
    const coin = series('charts/success/coin', [1, 2], [0.3, 0.4]);
    expect(dropDuplicateSeries([success, ra, coin]).map((s) => s.key)).toEqual([
      'charts/success/RA',
      'charts/success/coin',
    ]);
  });

  it('keeps series that differ in one value or one step, and empty series', () => {
    const a = series('charts/success', [1, 2], [0.1, 0.2]);
    const b = series('charts/success/RA', [1, 2], [0.1, 0.25]);
    const c = series('charts/success/coin', [1, 3], [0.1, 0.2]);
    expect(dropDuplicateSeries([a, b, c])).toHaveLength(3);
    expect(dropDuplicateSeries([series('x', [], []), series('x/y', [], [])])).toHaveLength(2);
  });
});

describe('training wall clock', () => {
  // 100 steps at 10/s, then 100 more at 50/s: 10 s, then 12 s.
  const rates = series('charts/steps_per_second', [100, 200], [10, 50]);

  it('sums (sᵢ − sᵢ₋₁) / rateᵢ from step 0, skipping unusable rates', () => {
    expect(wallClockFromRates(rates)).toEqual({ steps: [100, 200], seconds: [10, 12] });
    const gappy = series('r', [100, 150, 200], [10, Number.NaN, 50]);
    expect(wallClockFromRates(gappy)).toEqual({ steps: [100, 200], seconds: [10, 12] });
    expect(wallClockFromRates(series('r', [5], [0]))).toBeNull();
  });

  it('interpolates between readings and extrapolates at the first and last rate', () => {
    const clock = wallClockFromRates(rates)!;
    expect(secondsAtStep(clock, 0)).toBe(0);
    expect(secondsAtStep(clock, 50)).toBeCloseTo(5, 12);
    expect(secondsAtStep(clock, 150)).toBeCloseTo(11, 12);
    expect(secondsAtStep(clock, 300)).toBeCloseTo(14, 12);
  });

  it('moves a series onto training seconds, leaving its values', () => {
    const clock = wallClockFromRates(rates)!;
    const moved = overWallTime(series('charts/episodic_return', [100, 200], [1, 2]), clock);
    expect(moved.steps).toEqual([10, 12]);
    expect(moved.values).toEqual([1, 2]);
  });
});
