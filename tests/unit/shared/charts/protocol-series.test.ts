import { describe, expect, it } from 'vitest';
import { negationSeries } from '../../../../src-main/shared/charts/protocol-series';
import { negationTable as table } from '../tables/protocol-table-fixture';

describe('protocol series', () => {
  it('plots P(collect) after recovery per variant against α, with MA and the control as flat references', () => {
    const series = negationSeries(table, 'coin');
    expect(series.map((s) => s.name)).toEqual([
      'MA − α·Δ',
      'MA − α·r (random)',
      'MA + α·Δ',
      'control (MA recovered)',
      'MA',
    ]);
    expect(series[0]?.points.map((p) => [p.x, p.estimate])).toEqual([
      [0.5, 0.2],
      [1, 0.2],
    ]);
    expect(series[3]?.dashed).toBe(true);
    expect(negationSeries(table, 'coin', 'before')[0]?.points.map((p) => p.estimate)).toEqual([0.3, 0.3]);
    expect(series[3]?.points.map((p) => p.estimate)).toEqual([0.45, 0.45]);
  });
});
