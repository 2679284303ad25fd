import type { LineSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  LegendComponentOption,
  MarkLineComponentOption,
  TooltipComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { CHART_FONT_FAMILY } from './chart-font';
import { formatMetricValue } from './number-format';
import { namedSeriesColors, seriesColor } from './palette';

export type IntervalLinesOption = ComposeOption<
  | LineSeriesOption
  | ScatterSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | MarkLineComponentOption
>;

/** One estimate with its confidence interval at an x position (e.g. α or k %). */
export interface IntervalPoint {
  x: number;
  estimate: number;
  low: number;
  high: number;
  /** The value of each replication (pooled intervals): drawn as dots beside the interval. */
  perReplication?: readonly number[];
}

export interface IntervalSeries {
  name: string;
  points: readonly IntervalPoint[];
  /** Drawn dashed and without a band (controls, references; their CIs are in the tooltip). */
  dashed?: boolean;
}

export interface IntervalLinesInput {
  series: readonly IntervalSeries[];
  xName: string;
  yName: string;
  /** An x position marked by a vertical line (α = 1, the full negation). */
  highlightX?: number;
  /** Fixed y range, e.g. [0, 1] for probabilities. */
  yRange?: [number, number];
  palette?: readonly string[];
}

/** Opacity of a series' confidence band behind its line. */
export const BAND_OPACITY = 0.14;
/** Suffixes of the two invisible stacked series that draw a band: low, then high − low. */
export const BAND_LOW_SUFFIX = '\u0000low';
export const BAND_WIDTH_SUFFIX = '\u0000band';
/** Suffix of the scatter series of a series' per-replication dots. */
export const REPLICATION_SUFFIX = '\u0000replications';
/** Radius of a per-replication dot. */
export const REPLICATION_DOT_SIZE = 6;

/** The x positions of every series, ascending, as category labels (so bands stack by position). */
export function intervalCategories(series: readonly IntervalSeries[]): number[] {
  const xs = new Set<number>();
  for (const s of series) for (const p of s.points) xs.add(p.x);
  return [...xs].sort((a, b) => a - b);
}

/**
 * Lines of estimates against x with their CIs as shaded bands: per series, low (invisible) and
 * high − low stacked on it with a filled area, then the estimate line on top.
 */
export function buildIntervalLinesOptions(input: IntervalLinesInput): IntervalLinesOption {
  const { series, xName, yName, highlightX, yRange, palette } = input;
  for (const s of series) {
    for (const p of s.points) {
      if (!(p.low <= p.estimate + 1e-12 && p.estimate <= p.high + 1e-12)) {
        throw new RangeError(
          `buildIntervalLinesOptions: series "${s.name}" at x=${p.x} has estimate ${p.estimate} outside [${p.low}, ${p.high}]`,
        );
      }
    }
  }
  const named = namedSeriesColors(series.map((s) => s.name));
  const xs = intervalCategories(series);
  const labels = xs.map(String);
  const column = (s: IntervalSeries, pick: (p: IntervalPoint) => number): (number | '-')[] =>
    xs.map((x) => {
      const point = s.points.find((p) => p.x === x);
      return point === undefined ? '-' : pick(point);
    });
  const lines: (LineSeriesOption | ScatterSeriesOption)[] = [];
  series.forEach((s, i) => {
    const color = seriesColor(i, palette ?? named);
    const stack = `band-${i}`;
    if (s.dashed !== true) {
      lines.push(
        {
          type: 'line',
          id: `${s.name}${BAND_LOW_SUFFIX}`,
          name: s.name,
          data: column(s, (p) => p.low),
          color,
          stack,
          z: 1,
          symbol: 'none',
          lineStyle: { opacity: 0 },
          tooltip: { show: false },
          silent: true,
        },
        {
          type: 'line',
          id: `${s.name}${BAND_WIDTH_SUFFIX}`,
          name: s.name,
          data: column(s, (p) => p.high - p.low),
          color,
          stack,
          z: 1,
          symbol: 'none',
          lineStyle: { opacity: 0 },
          areaStyle: { color, opacity: BAND_OPACITY },
          tooltip: { show: false },
          silent: true,
        },
      );
    }
    lines.push({
      type: 'line',
      id: s.name,
      name: s.name,
      data: column(s, (p) => p.estimate),
      color,
      // The first series (the one the chart is about) is drawn over the references.
      z: 2 + series.length - i,
      symbolSize: 5,
      lineStyle: { width: 2, type: s.dashed === true ? 'dashed' : 'solid' },
      ...(i === 0 && highlightX !== undefined && xs.includes(highlightX)
        ? {
            markLine: {
              symbol: 'none',
              silent: true,
              label: { formatter: `${xName} = ${highlightX}`, fontSize: 10, color: '#555' },
              lineStyle: { color: '#999', type: 'dotted', width: 1.5 },
              data: [{ xAxis: String(highlightX) }],
            },
          }
        : {}),
    });
  });
  // Each replication's value as a hollow dot at its x, over the pooled line and band.
  series.forEach((s, i) => {
    const dots = s.points.flatMap((p) =>
      (p.perReplication ?? []).map((v) => [String(p.x), v] as [string, number]),
    );
    if (dots.length === 0) return;
    lines.push({
      type: 'scatter',
      id: `${s.name}${REPLICATION_SUFFIX}`,
      name: s.name,
      data: dots,
      symbol: 'circle',
      symbolSize: REPLICATION_DOT_SIZE,
      itemStyle: { color: '#fff', borderColor: seriesColor(i, palette ?? named), borderWidth: 1.5 },
      z: 3 + series.length,
      tooltip: { show: false },
      silent: true,
    });
  });
  const intervalsOf = new Map(series.map((s) => [s.name, s.points]));
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    grid: {
      left: 8,
      right: 20,
      top: 36,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    legend: {
      type: 'scroll',
      top: 4,
      left: 4,
      right: 4,
      icon: 'roundRect',
      textStyle: { fontSize: 11 },
      data: series.map((s) => s.name),
    },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: unknown) => {
        const list = (Array.isArray(params) ? params : [params]) as {
          seriesId?: string;
          seriesName?: string;
          dataIndex?: number;
          color?: string;
        }[];
        const rows = list
          .filter((p) => p.seriesId === p.seriesName)
          .map((p) => {
            const x = xs[p.dataIndex ?? -1];
            const point = intervalsOf.get(p.seriesName ?? '')?.find((q) => q.x === x);
            if (point === undefined) return '';
            const reps =
              point.perReplication === undefined || point.perReplication.length === 0
                ? ''
                : `; per replication ${point.perReplication.map((v) => formatMetricValue(v)).join(', ')}`;
            return `<span style="color:${p.color ?? '#888'}">●</span> ${p.seriesName}: ${formatMetricValue(point.estimate)} [${formatMetricValue(point.low)}, ${formatMetricValue(point.high)}]${reps}`;
          })
          .filter((row) => row !== '');
        const x = xs[list[0]?.dataIndex ?? -1];
        return [`${yName} at ${xName} = ${x ?? ''}`, ...rows].join('<br>');
      },
    },
    xAxis: {
      type: 'category',
      name: xName,
      nameLocation: 'middle',
      nameGap: 24,
      nameTextStyle: { fontSize: 11, color: '#555' },
      boundaryGap: false,
      data: labels,
      axisLabel: { fontSize: 10, color: '#555' },
    },
    yAxis: {
      type: 'value',
      ...(yRange === undefined ? { scale: true } : { min: yRange[0], max: yRange[1] }),
      axisLabel: { fontSize: 10, color: '#666', formatter: (v: number) => formatMetricValue(v) },
      splitLine: { lineStyle: { color: '#eee' } },
    },
    series: lines,
  };
}
