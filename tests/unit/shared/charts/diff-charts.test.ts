import { describe, expect, it } from 'vitest';
import {
  BAR_COLOR,
  BAR_SELECTED_COLOR,
  buildHistogramOptions,
  buildStatBarOptions,
} from '../../../../src-main/shared/charts/diff-bar-options';
import {
  buildCosineMatrixOptions,
  buildDeltaNormsOptions,
  divergingStops,
} from '../../../../src-main/shared/charts/cosine-matrix-options';
import {
  buildBlockKindMatrixOptions,
  sequentialStops,
} from '../../../../src-main/shared/charts/block-kind-options';

type Series = { data: unknown[]; type: string; name?: string };
const seriesOf = (option: { series?: unknown }) => option.series as Series[];

describe('diff chart options', () => {
  it('draws one bar per tensor, the selected one highlighted, undefined values as gaps', () => {
    const option = buildStatBarOptions({
      bars: [
        { name: 'a', value: 2 },
        { name: 'b', value: null },
      ],
      statLabel: '‖Δ‖₂',
      selected: 'a',
    });
    const data = seriesOf(option)[0]?.data as {
      name: string;
      value: unknown;
      itemStyle: { color: string };
    }[];
    expect(data.map((d) => d.value)).toEqual([2, '-']);
    expect(data[0]?.itemStyle.color).toBe(BAR_SELECTED_COLOR);
    expect(data[1]?.itemStyle.color).toBe(BAR_COLOR);
    expect((option.yAxis as { data: string[] }).data).toEqual(['a', 'b']);
  });

  it('labels histogram bins by their centres and leaves empty bins out of a log axis', () => {
    const option = buildHistogramOptions({
      limit: 1,
      counts: [1, 0, 5, 2],
      logCounts: true,
      valueLabel: 'Δ',
    });
    expect((option.xAxis as { data: string[] }).data).toEqual(['-0.75', '-0.25', '0.25', '0.75']);
    expect(seriesOf(option)[0]?.data).toEqual([1, '-', 5, 2]);
    expect((option.yAxis as { type: string }).type).toBe('log');
    const linear = buildHistogramOptions({
      limit: 1,
      counts: [1, 0, 5, 2],
      logCounts: false,
      valueLabel: 'Δ',
    });
    expect(seriesOf(linear)[0]?.data).toEqual([1, 0, 5, 2]);
    expect(() => buildHistogramOptions({ limit: 1, counts: [], logCounts: false, valueLabel: 'Δ' })).toThrow(
      /empty/,
    );
  });

  it('lays the cosine matrix out cell by cell on the heatmaps’ diverging colours', () => {
    const option = buildCosineMatrixOptions({
      labels: ['coin', 'gem'],
      cosine: [
        [1, -0.2],
        [-0.2, null],
      ],
    });
    expect(seriesOf(option)[0]?.data).toEqual([
      [0, 0, 1],
      [1, 0, -0.2],
      [0, 1, -0.2],
      [1, 1, '-'],
    ]);
    const visualMap = option.visualMap as { min: number; max: number; inRange: { color: string[] } };
    expect([visualMap.min, visualMap.max]).toEqual([-1, 1]);
    expect(visualMap.inRange.color).toEqual(divergingStops());
    expect(divergingStops()[5]).toBe('#f7f7f7');
    expect(() => buildCosineMatrixOptions({ labels: ['a'], cosine: [[1, 2]] })).toThrow(/1×1 matrix/);
  });

  it('puts the norms of several deltas side by side per tensor', () => {
    const option = buildDeltaNormsOptions({
      tensors: ['k', 'b'],
      deltas: [
        { label: 'coin', norms: [3, 0.1] },
        { label: 'gem', norms: [0.5, 2] },
      ],
    });
    expect(seriesOf(option).map((s) => [s.name, s.data])).toEqual([
      ['coin', [3, 0.1]],
      ['gem', [0.5, 2]],
    ]);
    expect(() => buildDeltaNormsOptions({ tensors: ['k'], deltas: [{ label: 'x', norms: [] }] })).toThrow(
      /0 norms for 1 tensors/,
    );
  });
});

describe('block × kind matrix options', () => {
  it('puts kinds across, blocks down, blanks for absent cells, and a scale from 0 to the largest value', () => {
    const option = buildBlockKindMatrixOptions({
      rows: ['0', '1'],
      kinds: ['q', 'up'],
      values: [
        [1, null],
        [3, 4],
      ],
      statLabel: '‖Δ‖₂',
    });
    const data = seriesOf(option)[0]?.data as { name: string; value: unknown[] }[];
    expect(data.map((d) => d.value)).toEqual([
      [0, 0, 1],
      [1, 0, '-'],
      [0, 1, 3],
      [1, 1, 4],
    ]);
    expect(data[3]?.name).toBe('1|up');
    expect((option.visualMap as { min: number; max: number }).max).toBe(4);
    expect((option.xAxis as { data: string[] }).data).toEqual(['q', 'up']);
    // Zero is the heatmaps' neutral colour; the largest value their strongest red.
    expect(sequentialStops()[0]).toBe(divergingStops()[5]);
    expect(sequentialStops().at(-1)).toBe(divergingStops()[10]);
    expect(() =>
      buildBlockKindMatrixOptions({ rows: ['0'], kinds: ['q', 'k'], values: [[1]], statLabel: 'x' }),
    ).toThrow(/1 rows of 2 values/);
  });
});
