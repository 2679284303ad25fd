import { describe, expect, it } from 'vitest';
import {
  PARAMETER_SHARE_COLOR,
  buildConcentrationOptions,
} from '../../../../src-main/shared/charts/concentration-options';
import {
  BAND_LOW_SUFFIX,
  BAND_WIDTH_SUFFIX,
  buildIntervalLinesOptions,
  intervalCategories,
} from '../../../../src-main/shared/charts/interval-lines-options';
import {
  DISTANCE_STOPS,
  buildSimilarityMatrixOptions,
} from '../../../../src-main/shared/charts/similarity-matrix-options';

type Series = {
  id?: string;
  name?: string;
  data: unknown[];
  stack?: string;
  color?: string;
  markLine?: { data: { xAxis: string }[] };
};
const seriesOf = (option: { series?: unknown }) => option.series as Series[];

describe('similarity matrix options', () => {
  it('places cell (i, j) at column j, row i, prints values, and blanks undefined cells', () => {
    const option = buildSimilarityMatrixOptions({
      labels: ['RA', 'coin'],
      matrix: [
        [1, 0.25],
        [0.25, null],
      ],
      scale: 'correlation',
      measure: 'Pearson ρ',
    });
    expect(seriesOf(option)[0]?.data).toEqual([
      [0, 0, 1],
      [1, 0, 0.25],
      [0, 1, 0.25],
      [1, 1, '-'],
    ]);
    const visualMap = option.visualMap as { min: number; max: number };
    expect([visualMap.min, visualMap.max]).toEqual([-1, 1]);
  });

  it('colours a distance on [0, 1] with the sequential stops', () => {
    const option = buildSimilarityMatrixOptions({
      labels: ['a', 'b'],
      matrix: [
        [0, 0.7],
        [0.7, 0],
      ],
      scale: 'distance',
      measure: 'EPIC',
    });
    const visualMap = option.visualMap as { min: number; inRange: { color: string[] } };
    expect(visualMap.min).toBe(0);
    expect(visualMap.inRange.color).toEqual([...DISTANCE_STOPS]);
  });

  it('refuses a matrix that does not match its labels', () => {
    expect(() =>
      buildSimilarityMatrixOptions({ labels: ['a', 'b'], matrix: [[1]], scale: 'correlation', measure: 'ρ' }),
    ).toThrow(/2×2/);
  });
});

describe('interval lines options', () => {
  const series = [
    {
      name: 'negate',
      points: [
        { x: 1, estimate: 0.2, low: 0.1, high: 0.3 },
        { x: 0.5, estimate: 0.5, low: 0.4, high: 0.6 },
      ],
    },
    { name: 'control', dashed: true, points: [{ x: 0, estimate: 0.8, low: 0.7, high: 0.9 }] },
  ];

  it('draws each band as low plus (high − low) stacked, on the sorted union of x positions', () => {
    expect(intervalCategories(series)).toEqual([0, 0.5, 1]);
    const option = buildIntervalLinesOptions({ series, xName: 'α', yName: 'P', highlightX: 1 });
    const lines = seriesOf(option);
    // The dashed reference has a line but no band.
    expect(lines).toHaveLength(4);
    expect(lines.filter((s) => s.id?.startsWith('control'))).toHaveLength(1);
    const low = lines.find((s) => s.id === `negate${BAND_LOW_SUFFIX}`);
    const band = lines.find((s) => s.id === `negate${BAND_WIDTH_SUFFIX}`);
    expect(low?.data).toEqual(['-', 0.4, 0.1]);
    expect((band?.data as number[]).slice(1).map((v) => Number(v.toFixed(6)))).toEqual([0.2, 0.2]);
    expect(low?.stack).toBe(band?.stack);
    expect(lines.find((s) => s.id === 'negate')?.data).toEqual(['-', 0.5, 0.2]);
    // α = 1 is marked on the first series.
    expect(lines.find((s) => s.id === 'negate')?.markLine?.data).toEqual([{ xAxis: '1' }]);
  });

  it('refuses an estimate outside its interval', () => {
    expect(() =>
      buildIntervalLinesOptions({
        series: [{ name: 'bad', points: [{ x: 0, estimate: 2, low: 0, high: 1 }] }],
        xName: 'α',
        yName: 'P',
      }),
    ).toThrow(/outside/);
  });
});

describe('concentration options', () => {
  it('puts the parameter share first in grey, then one bar series per map', () => {
    const option = buildConcentrationOptions({
      tensors: ['a', 'b'],
      sizeShare: [0.9, 0.1],
      maps: [{ label: 'mean', share: [0.5, 0.5] }],
    });
    const bars = seriesOf(option);
    expect(bars.map((s) => s.name)).toEqual(['parameter share', 'mean']);
    expect(bars[0]?.color).toBe(PARAMETER_SHARE_COLOR);
    expect(bars[1]?.data).toEqual([0.5, 0.5]);
  });

  it('refuses shares that do not match the tensors', () => {
    expect(() =>
      buildConcentrationOptions({ tensors: ['a'], sizeShare: [1], maps: [{ label: 'm', share: [1, 0] }] }),
    ).toThrow(/"m" has 2 shares for 1 tensors/);
  });
});
