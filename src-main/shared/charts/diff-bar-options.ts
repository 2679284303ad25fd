import type { BarSeriesOption } from 'echarts/charts';
import type { GridComponentOption, TooltipComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { CHART_FONT_FAMILY } from './chart-font';
import { formatMetricValue } from './number-format';

export type BarChartOption = ComposeOption<BarSeriesOption | GridComponentOption | TooltipComponentOption>;

export interface StatBar {
  name: string;
  /** null (an undefined ratio) draws no bar. */
  value: number | null;
}

export const BAR_COLOR = '#4e79a7';
export const BAR_SELECTED_COLOR = '#e15759';
/** Height of one tensor's row in the horizontal bar chart. */
export const BAR_ROW_PX = 22;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Horizontal bars, one per tensor, top to bottom in the given order; the selected one highlighted. */
export function buildStatBarOptions(input: {
  bars: readonly StatBar[];
  statLabel: string;
  selected: string | null;
}): BarChartOption {
  const { bars, statLabel, selected } = input;
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    grid: { left: 8, right: 24, top: 8, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (param: unknown) => {
        const p = param as { name?: string; value?: number | null };
        const value = typeof p.value === 'number' ? formatMetricValue(p.value) : '—';
        return `<b>${escapeHtml(p.name ?? '')}</b><br>${escapeHtml(statLabel)}: ${value}`;
      },
    },
    xAxis: {
      type: 'value',
      axisLabel: { fontSize: 10, color: '#666', formatter: (v: number) => formatMetricValue(v) },
      splitLine: { lineStyle: { color: '#eee' } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: bars.map((bar) => bar.name),
      axisLabel: { fontSize: 11, color: '#333', fontFamily: 'ui-monospace, Menlo, Consolas, monospace' },
      axisTick: { show: false },
    },
    series: [
      {
        type: 'bar',
        name: statLabel,
        barMaxWidth: 16,
        data: bars.map((bar) => ({
          name: bar.name,
          value: bar.value ?? '-',
          itemStyle: { color: bar.name === selected ? BAR_SELECTED_COLOR : BAR_COLOR },
        })),
      },
    ],
  };
}

/** Histogram of Δ: bar k spans [−limit + k·w, −limit + (k+1)·w), w = 2·limit/n, drawn at its centre. */
export function buildHistogramOptions(input: {
  limit: number;
  counts: readonly number[];
  logCounts: boolean;
  valueLabel: string;
}): BarChartOption {
  const { limit, counts, logCounts, valueLabel } = input;
  const n = counts.length;
  if (n === 0) throw new RangeError('buildHistogramOptions: counts is empty');
  const width = (2 * limit) / n;
  const centres = counts.map((_, k) => -limit + (k + 0.5) * width);
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    grid: {
      left: 8,
      right: 16,
      top: 12,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: unknown) => {
        const list = Array.isArray(params) ? params : [params];
        const p = list[0] as { dataIndex?: number; value?: number } | undefined;
        if (p?.dataIndex === undefined) return '';
        const lo = -limit + p.dataIndex * width;
        return `${escapeHtml(valueLabel)} in [${formatMetricValue(lo)}, ${formatMetricValue(lo + width)})<br><b>${(counts[p.dataIndex] ?? 0).toLocaleString('en-US')}</b> parameters`;
      },
    },
    xAxis: {
      type: 'category',
      data: centres.map((c) => formatMetricValue(c)),
      axisLabel: { fontSize: 10, color: '#666', hideOverlap: true },
      axisTick: { alignWithLabel: true },
    },
    yAxis: logCounts
      ? {
          type: 'log',
          min: 1,
          logBase: 10,
          axisLabel: { fontSize: 10, color: '#666' },
          splitLine: { lineStyle: { color: '#eee' } },
        }
      : {
          type: 'value',
          axisLabel: { fontSize: 10, color: '#666' },
          splitLine: { lineStyle: { color: '#eee' } },
        },
    series: [
      {
        type: 'bar',
        name: 'count',
        barCategoryGap: '8%',
        itemStyle: { color: BAR_COLOR },
        // A log axis cannot place 0: empty bins draw nothing.
        data: counts.map((c) => (logCounts && c <= 0 ? '-' : c)),
      },
    ],
  };
}
