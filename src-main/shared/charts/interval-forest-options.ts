import type { LineSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  MarkLineComponentOption,
  TooltipComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { CHART_FONT_FAMILY } from './chart-font';
import { REPLICATION_DOT_SIZE } from './interval-lines-options';
import { formatMetricValue } from './number-format';

export type IntervalForestOption = ComposeOption<
  | LineSeriesOption
  | ScatterSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | MarkLineComponentOption
>;

/** One row of a forest plot: a pooled estimate, its interval, and each replication's value. */
export interface ForestRow {
  label: string;
  estimate: number;
  low: number;
  high: number;
  perReplication?: readonly number[];
  color?: string;
}

/** Pixel height of one row, for sizing the chart. */
export const FOREST_ROW_PX = 30;
/** Suffixes of a row's series ids: its interval segment and its replications' dots. */
export const FOREST_INTERVAL_SUFFIX = '\u0000interval';
export const FOREST_DOTS_SUFFIX = '\u0000replications';
const DEFAULT_COLOR = '#4e79a7';

/**
 * A forest plot: one row per pooled effect, top to bottom in the given order — its interval as a
 * horizontal segment, its estimate as a filled dot, every replication's value as a hollow dot, and a
 * dotted line at x = 0 (an interval that touches it does not exclude 0). Values in `unit` (× 100 for '%').
 */
export function buildIntervalForestOptions(input: {
  rows: readonly ForestRow[];
  xName: string;
  percent?: boolean;
}): IntervalForestOption {
  const scale = input.percent === true ? 100 : 1;
  for (const r of input.rows) {
    if (!(r.low <= r.estimate + 1e-12 && r.estimate <= r.high + 1e-12)) {
      throw new RangeError(
        `buildIntervalForestOptions: row "${r.label}" has estimate ${r.estimate} outside [${r.low}, ${r.high}]`,
      );
    }
  }
  const labels = input.rows.map((r) => r.label);
  const series: (LineSeriesOption | ScatterSeriesOption)[] = [];
  input.rows.forEach((r, i) => {
    const color = r.color ?? DEFAULT_COLOR;
    series.push({
      type: 'line',
      id: `${r.label}${FOREST_INTERVAL_SUFFIX}`,
      name: r.label,
      data: [
        [r.low * scale, r.label],
        [r.high * scale, r.label],
      ],
      color,
      symbol: 'none',
      lineStyle: { width: 3, color },
      silent: true,
      tooltip: { show: false },
      z: 2,
      ...(i === 0
        ? {
            markLine: {
              symbol: 'none',
              silent: true,
              label: { show: false },
              lineStyle: { color: '#666', type: 'dotted', width: 1.5 },
              data: [{ xAxis: 0 }],
            },
          }
        : {}),
    });
    const dots = (r.perReplication ?? []).map((v) => [v * scale, r.label] as [number, string]);
    if (dots.length > 0) {
      series.push({
        type: 'scatter',
        id: `${r.label}${FOREST_DOTS_SUFFIX}`,
        name: r.label,
        data: dots,
        symbol: 'circle',
        symbolSize: REPLICATION_DOT_SIZE,
        itemStyle: { color: '#fff', borderColor: color, borderWidth: 1.5 },
        silent: true,
        tooltip: { show: false },
        z: 4,
      });
    }
  });
  series.push({
    type: 'scatter',
    id: 'estimates',
    name: 'pooled estimate',
    data: input.rows.map((r) => ({
      value: [r.estimate * scale, r.label],
      itemStyle: { color: r.color ?? DEFAULT_COLOR },
    })),
    symbol: 'diamond',
    symbolSize: 11,
    z: 3,
  });
  const byLabel = new Map(input.rows.map((r) => [r.label, r]));
  const unit = input.percent === true ? '%' : '';
  const fmt = (v: number): string => `${formatMetricValue(v * scale)}${unit}`;
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    grid: {
      left: 8,
      right: 24,
      top: 8,
      bottom: 30,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (param: unknown) => {
        const p = param as { value?: [number, string] };
        const r = byLabel.get(p.value?.[1] ?? '');
        if (r === undefined) return '';
        const reps =
          r.perReplication === undefined || r.perReplication.length === 0
            ? ''
            : `<br>per replication ${r.perReplication.map(fmt).join(', ')}`;
        return `${r.label}: ${fmt(r.estimate)} [${fmt(r.low)}, ${fmt(r.high)}]${reps}`;
      },
    },
    xAxis: {
      type: 'value',
      name: input.xName,
      nameLocation: 'middle',
      nameGap: 22,
      nameTextStyle: { fontSize: 11, color: '#555' },
      // Not `scale`: the axis always includes 0, the line every interval is judged against.
      scale: false,
      axisLabel: { fontSize: 10, color: '#666', formatter: (v: number) => `${formatMetricValue(v)}${unit}` },
      splitLine: { lineStyle: { color: '#eee' } },
    },
    yAxis: {
      type: 'category',
      data: labels,
      inverse: true,
      axisLabel: { fontSize: 11, color: '#333' },
      axisTick: { show: false },
    },
    series,
  };
}
