import type { BarSeriesOption, HeatmapSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { CHART_FONT_FAMILY } from './chart-font';
import { matrixChartFrame } from './matrix-chart-frame';
import { formatMetricValue } from './number-format';
import { divergingColor, rgbToHex } from './color-map';
import { seriesColor } from './palette';

export type CosineMatrixOption = ComposeOption<
  HeatmapSeriesOption | GridComponentOption | TooltipComponentOption | VisualMapComponentOption
>;
export type NormsChartOption = ComposeOption<
  BarSeriesOption | GridComponentOption | TooltipComponentOption | LegendComponentOption
>;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The heatmaps' diverging colours at 11 evenly spaced points of [−1, 1], for a visualMap. */
export function divergingStops(): string[] {
  return Array.from({ length: 11 }, (_, i) => rgbToHex(divergingColor(-1 + i / 5)));
}

/** n×n cosine matrix, row i / column j = cos(Δᵢ, Δⱼ), coloured on [−1, 1]; null cells left blank. */
export function buildCosineMatrixOptions(input: {
  labels: readonly string[];
  cosine: readonly (readonly (number | null)[])[];
}): CosineMatrixOption {
  const { labels, cosine } = input;
  const n = labels.length;
  if (cosine.length !== n || cosine.some((row) => row.length !== n)) {
    throw new RangeError(`buildCosineMatrixOptions: expected a ${n}×${n} matrix for ${n} labels`);
  }
  const data: [number, number, number | '-'][] = [];
  cosine.forEach((row, i) => row.forEach((value, j) => data.push([j, i, value === null ? '-' : value])));
  return {
    ...matrixChartFrame(72, (i, j, v) => {
      const text = v === '-' ? 'undefined (a zero delta)' : formatMetricValue(v);
      return `cos(Δ <b>${escapeHtml(labels[i] ?? '')}</b>, Δ <b>${escapeHtml(labels[j] ?? '')}</b>) = ${text}`;
    }),
    xAxis: {
      type: 'category',
      data: [...labels],
      axisLabel: { fontSize: 10, color: '#333', rotate: n > 4 ? 30 : 0, interval: 0 },
      splitArea: { show: false },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: [...labels],
      axisLabel: { fontSize: 10, color: '#333', interval: 0 },
    },
    visualMap: {
      type: 'continuous',
      min: -1,
      max: 1,
      calculable: false,
      orient: 'vertical',
      right: 4,
      top: 'middle',
      itemHeight: 140,
      itemWidth: 12,
      text: ['+1', '−1'],
      textStyle: { fontSize: 10, color: '#444' },
      inRange: { color: divergingStops() },
    },
    series: [
      {
        type: 'heatmap',
        data,
        label: {
          show: n <= 10,
          fontSize: 10,
          formatter: (param: unknown) => {
            const v = (param as { value?: [number, number, number | '-'] }).value?.[2];
            return typeof v === 'number' ? v.toFixed(2) : '';
          },
        },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
        emphasis: { disabled: true },
      },
    ],
  };
}

/** Grouped bars: per tensor, ‖Δᵢ‖₂ of every compared delta, side by side. */
export function buildDeltaNormsOptions(input: {
  tensors: readonly string[];
  deltas: readonly { label: string; norms: readonly number[] }[];
}): NormsChartOption {
  const { tensors, deltas } = input;
  for (const delta of deltas) {
    if (delta.norms.length !== tensors.length) {
      throw new RangeError(
        `buildDeltaNormsOptions: delta "${delta.label}" has ${delta.norms.length} norms for ${tensors.length} tensors`,
      );
    }
  }
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    grid: {
      left: 8,
      right: 16,
      top: 34,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    legend: { type: 'scroll', top: 4, left: 4, right: 4, textStyle: { fontSize: 11 } },
    tooltip: {
      trigger: 'axis',
      confine: true,
      valueFormatter: (v: unknown) => (typeof v === 'number' ? formatMetricValue(v) : '—'),
    },
    xAxis: {
      type: 'category',
      data: [...tensors],
      axisLabel: {
        fontSize: 10,
        color: '#333',
        rotate: 30,
        interval: 0,
        fontFamily: 'ui-monospace, Menlo, Consolas, monospace',
      },
    },
    yAxis: {
      type: 'value',
      axisLabel: { fontSize: 10, color: '#666', formatter: (v: number) => formatMetricValue(v) },
      splitLine: { lineStyle: { color: '#eee' } },
    },
    series: deltas.map((delta, i) => ({
      type: 'bar' as const,
      name: delta.label,
      color: seriesColor(i),
      data: [...delta.norms],
    })),
  };
}
