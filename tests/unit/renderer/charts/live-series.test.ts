import { describe, expect, it } from 'vitest';
import {
  dropTrainedDuplicates,
  isMonitorKey,
  mergeLiveSeries,
} from '../../../../src-renderer/charts/live-series';
import type { MetricSeries } from '@shared';

const stored: MetricSeries[] = [
  { key: 'charts/episodic_return/RA', steps: [256, 512], values: [0.1, 0.2], totalPoints: 2 },
];

describe('mergeLiveSeries', () => {
  it('appends only the live readings newer than the last stored step', () => {
    const merged = mergeLiveSeries(stored, [
      { step: 512, latest: { 'charts/episodic_return/RA': 9 } },
      { step: 768, latest: { 'charts/episodic_return/RA': 0.3 } },
    ]);
    expect(merged).toEqual([
      { key: 'charts/episodic_return/RA', steps: [256, 512, 768], values: [0.1, 0.2, 0.3], totalPoints: 3 },
    ]);
  });

  it('starts a series for a key seen only live and skips non-finite values', () => {
    const merged = mergeLiveSeries(
      [],
      [
        { step: 256, latest: { 'charts/success': 0.5, 'charts/success/RB': Number.NaN } },
        { step: 512, latest: { 'charts/success': 0.75, 'charts/success/RB': 0.25 } },
      ],
    );
    expect(merged.map((s) => [s.key, s.steps, s.values])).toEqual([
      ['charts/success', [256, 512], [0.5, 0.75]],
      ['charts/success/RB', [512], [0.25]],
    ]);
  });

  it('leaves the stored series untouched', () => {
    mergeLiveSeries(stored, [{ step: 1024, latest: { 'charts/episodic_return/RA': 1 } }]);
    expect(stored[0]?.steps).toEqual([256, 512]);
  });

  it('names the series whose steps and values differ in length', () => {
    const bad = [{ key: 'k', steps: [1, 2], values: [1], totalPoints: 2 }];
    expect(() => mergeLiveSeries(bad, [])).toThrow(/"k" has 2 steps but 1 values/);
  });
});

describe('monitor keys', () => {
  it('keeps return and success, overall and per reward, and nothing else', () => {
    expect(isMonitorKey('charts/episodic_return')).toBe(true);
    expect(isMonitorKey('charts/success/RA')).toBe(true);
    expect(isMonitorKey('charts/episodic_length')).toBe(false);
    expect(isMonitorKey('charts/successes')).toBe(false);
    expect(isMonitorKey('losses/value_loss')).toBe(false);
  });

  it('drops the overall key that repeats the trained reward’s own key', () => {
    const series = ['charts/success', 'charts/success/RA', 'charts/success/RB', 'charts/episodic_return'].map(
      (key) => ({ key, steps: [1], values: [1], totalPoints: 1 }),
    );
    expect(dropTrainedDuplicates(series, 'RA').map((s) => s.key)).toEqual([
      'charts/success/RA',
      'charts/success/RB',
      'charts/episodic_return',
    ]);
    expect(dropTrainedDuplicates(series, null)).toHaveLength(4);
  });
});
