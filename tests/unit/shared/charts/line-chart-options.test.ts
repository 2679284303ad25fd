import { describe, expect, it } from 'vitest';
import {
  RAW_LINE_OPACITY,
  RAW_SERIES_SUFFIX,
  buildLineChartOptions,
  constantRange,
  formatMetricsTooltip,
  formatSeconds,
  legendLabel,
} from '../../../../src-main/shared/charts/line-chart-options';
import { namedSeriesColors, OBJECT_KIND_COLORS } from '../../../../src-main/shared/charts/palette';
import type { MetricSeries } from '@shared';

const returns: MetricSeries = {
  key: 'charts/episodic_return',
  steps: [0, 10, 20],
  values: [0, 10, 0],
  totalPoints: 3,
};
const coin: MetricSeries = {
  key: 'charts/episodic_return/coin',
  steps: [0, 10],
  values: [1, 2],
  totalPoints: 2,
};

interface LineLike {
  id: string;
  name: string;
  color: string;
  data: [number, number | null][];
  lineStyle: { width: number; opacity?: number };
}

function lines(smoothing: number, series: MetricSeries[] = [returns, coin]): LineLike[] {
  return buildLineChartOptions({ series, smoothing }).series as unknown as LineLike[];
}

describe('buildLineChartOptions', () => {
  it('draws one full-opacity line per key, in its name’s colour, when smoothing is 0', () => {
    const out = lines(0);
    expect(out.map((l) => l.id)).toEqual([returns.key, coin.key]);
    expect(out.map((l) => l.color)).toEqual(namedSeriesColors([returns.key, coin.key]));
    expect(out[1]?.color).toBe(OBJECT_KIND_COLORS.coin);
    expect(out[0]?.data).toEqual([
      [0, 0],
      [10, 10],
      [20, 0],
    ]);
  });

  it('adds a faint raw line under each smoothed line, sharing its name so the legend toggles both', () => {
    const out = lines(0.5);
    expect(out).toHaveLength(4);
    const raw = out.find((l) => l.id === `${returns.key}${RAW_SERIES_SUFFIX}`);
    const smooth = out.find((l) => l.id === returns.key);
    expect(raw?.name).toBe(returns.key);
    expect(smooth?.name).toBe(returns.key);
    expect(raw?.color).toBe(smooth?.color);
    expect(raw?.lineStyle.opacity).toBe(RAW_LINE_OPACITY);
    expect(raw?.data.map((p) => p[1])).toEqual([0, 10, 0]);
    // Smoothed values damp the spike: s2 = 0.5·10 / 0.75
    expect(smooth?.data[1]?.[1]).toBeCloseTo(5 / 0.75, 12);
    expect(smooth?.data[1]?.[0]).toBe(10);
  });

  it('uses environment steps on a value x axis and lists each key once in the legend', () => {
    const option = buildLineChartOptions({ series: [returns, coin], smoothing: 0.6 });
    expect(option.xAxis).toMatchObject({ type: 'value', min: 'dataMin', max: 'dataMax' });
    expect(option.legend).toMatchObject({ data: [returns.key, coin.key] });
    expect(option.tooltip).toMatchObject({ trigger: 'axis' });
  });

  it('rejects a smoothing weight outside [0, 1) and mismatched series', () => {
    expect(() => buildLineChartOptions({ series: [returns], smoothing: 1 })).toThrow(
      /smoothing must be in \[0, 1\)/,
    );
    expect(() =>
      buildLineChartOptions({
        series: [{ key: 'bad', steps: [1], values: [], totalPoints: 1 }],
        smoothing: 0,
      }),
    ).toThrow(/"bad" has 1 steps but 0 values/);
  });
});

describe('legendLabel', () => {
  it('names a family’s variants by their suffix and the family key by its metric name', () => {
    expect(legendLabel('charts/episodic_return', 'charts/episodic_return')).toBe('episodic_return');
    expect(legendLabel('charts/episodic_return/coin', 'charts/episodic_return')).toBe('coin');
    expect(legendLabel('losses/entropy', undefined)).toBe('losses/entropy');
  });
});

describe('formatMetricsTooltip', () => {
  it('shows the step and, per key, the smoothed value with the raw one beside it', () => {
    const html = formatMetricsTooltip([
      {
        seriesId: `${returns.key}${RAW_SERIES_SUFFIX}`,
        seriesName: returns.key,
        color: '#4e79a7',
        value: [12000, 9.5],
      },
      { seriesId: returns.key, seriesName: returns.key, color: '#4e79a7', value: [12000, 7.25] },
    ]);
    expect(html).toContain('step 12,000');
    expect(html).toContain('charts/episodic_return: <b>7.25</b>');
    expect(html).toContain('raw 9.5');
  });

  it('escapes HTML in key names', () => {
    const html = formatMetricsTooltip({
      seriesId: '<x>',
      seriesName: '<img src=x>',
      color: '#000',
      value: [1, 2],
    });
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;img');
  });
});

describe('the y axis of a metrics chart', () => {
  const length: MetricSeries = {
    key: 'charts/episodic_length',
    steps: [0, 10, 20],
    values: [24, 24, 24],
    totalPoints: 3,
  };
  type Axis = { name?: string; min?: number; max?: number };

  it('draws a constant series mid-plot with a sane range instead of collapsing the axis', () => {
    expect(constantRange([length])).toEqual({ min: 24 - 2.4, max: 24 + 2.4 });
    expect(constantRange([{ ...length, values: [0, 0, 0] }])).toEqual({ min: -1, max: 1 });
    expect(constantRange([returns])).toBeNull();
    const axis = buildLineChartOptions({ series: [length], smoothing: 0 }).yAxis as Axis;
    expect([axis.min, axis.max]).toEqual([21.6, 26.4]);
  });

  it('is titled by the family, or as asked', () => {
    const titled = buildLineChartOptions({
      series: [returns],
      smoothing: 0,
      family: 'charts/episodic_return',
    });
    expect((titled.yAxis as Axis).name).toBe('episodic_return');
    const asked = buildLineChartOptions({ series: [returns], smoothing: 0, yName: 'return' });
    expect((asked.yAxis as Axis).name).toBe('return');
    expect((buildLineChartOptions({ series: [returns], smoothing: 0 }).yAxis as Axis).name).toBeUndefined();
  });
});

describe('the in-app options: log y, training time, zoom tools', () => {
  const loss: MetricSeries = {
    key: 'losses/value_loss',
    steps: [0, 10, 20],
    values: [4, 0, 0.5],
    totalPoints: 3,
  };

  it('puts a log y axis under the lines and leaves values ≤ 0 out as gaps', () => {
    const option = buildLineChartOptions({ series: [loss], smoothing: 0, logY: true });
    expect(option.yAxis).toMatchObject({ type: 'log' });
    expect((option.yAxis as { min?: number }).min).toBeUndefined();
    const line = (option.series as unknown as LineLike[])[0]!;
    expect(line.data).toEqual([
      [0, 4],
      [10, null],
      [20, 0.5],
    ]);
    expect(buildLineChartOptions({ series: [loss], smoothing: 0 }).yAxis).toMatchObject({ type: 'value' });
  });

  it('labels a seconds axis and the tooltip as training time', () => {
    const option = buildLineChartOptions({
      series: [loss],
      smoothing: 0,
      x: 'seconds',
      xName: 'training time',
    });
    const axis = option.xAxis as { name: string; axisLabel: { formatter: (v: number) => string } };
    expect(axis.name).toBe('training time');
    expect(axis.axisLabel.formatter(200)).toBe('3m 20s');
    const tooltip = option.tooltip as { formatter: (p: unknown) => string };
    expect(
      tooltip.formatter({ seriesId: loss.key, seriesName: loss.key, color: '#000', value: [75, 1] }),
    ).toContain('1m 15s of training');
  });

  it('adds the rectangle zoom and cut legend names with a hover tooltip only when interactive', () => {
    const app = buildLineChartOptions({ series: [loss], smoothing: 0, interactive: true });
    expect(app.toolbox).toMatchObject({ feature: { dataZoom: { filterMode: 'none' } } });
    expect(app.legend).toMatchObject({ tooltip: { show: true }, textStyle: { overflow: 'truncate' } });
    const report = buildLineChartOptions({ series: [loss], smoothing: 0 });
    expect(report.toolbox).toBeUndefined();
    expect((report.legend as { tooltip?: unknown }).tooltip).toBeUndefined();
  });
});

describe('formatSeconds', () => {
  it('reads as seconds, minutes and hours', () => {
    expect(formatSeconds(45.4)).toBe('45s');
    expect(formatSeconds(120)).toBe('2m');
    expect(formatSeconds(3900)).toBe('1h 05m');
  });
});
