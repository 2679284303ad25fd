import { describe, expect, it } from 'vitest';
import {
  buildIntervalForestOptions,
  FOREST_DOTS_SUFFIX,
  FOREST_INTERVAL_SUFFIX,
} from '../../../../src-main/shared/charts/interval-forest-options';

const rows = [
  { label: 'top − random', estimate: 0.3, low: 0.2, high: 0.4, perReplication: [0.25, 0.3, 0.35] },
  { label: 'top − Fisher', estimate: 0.05, low: -0.02, high: 0.12 },
];

describe('buildIntervalForestOptions', () => {
  it('draws per row its interval segment, its replications as dots, the estimates, and the 0 line', () => {
    const option = buildIntervalForestOptions({ rows, xName: 'fraction', percent: true });
    const series = option.series as { id: string; data: unknown[]; markLine?: { data: unknown[] } }[];
    const byId = new Map(series.map((s) => [s.id, s]));
    expect(byId.get(`top − random${FOREST_INTERVAL_SUFFIX}`)!.data).toEqual([
      [20, 'top − random'],
      [40, 'top − random'],
    ]);
    expect(byId.get(`top − random${FOREST_DOTS_SUFFIX}`)!.data).toEqual([
      [25, 'top − random'],
      [30, 'top − random'],
      [35, 'top − random'],
    ]);
    expect(byId.has(`top − Fisher${FOREST_DOTS_SUFFIX}`)).toBe(false);
    expect(byId.get('estimates')!.data).toHaveLength(2);
    expect(series[0]!.markLine!.data).toEqual([{ xAxis: 0 }]);
    // The value axis always includes 0; rows read top to bottom in the given order.
    expect(option.xAxis).toMatchObject({ type: 'value', scale: false });
    expect(option.yAxis).toMatchObject({
      type: 'category',
      data: ['top − random', 'top − Fisher'],
      inverse: true,
    });
  });

  it('refuses an estimate outside its interval, naming the row', () => {
    expect(() =>
      buildIntervalForestOptions({ rows: [{ label: 'bad', estimate: 1, low: 0, high: 0.5 }], xName: 'x' }),
    ).toThrow(/row "bad" has estimate 1 outside \[0, 0.5\]/);
  });
});
