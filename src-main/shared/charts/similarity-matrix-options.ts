import type { HeatmapSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { matrixChartFrame } from './matrix-chart-frame';
import { formatMetricValue } from './number-format';
import { divergingStops } from './cosine-matrix-options';

export type SimilarityMatrixOption = ComposeOption<
  HeatmapSeriesOption | GridComponentOption | TooltipComponentOption | VisualMapComponentOption
>;

/** Sequential stops for a distance in [0, 1]: white (0, identical) to deep blue (1, opposite). */
export const DISTANCE_STOPS = ['#ffffff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'] as const;

export interface SimilarityMatrixInput {
  labels: readonly string[];
  matrix: readonly (readonly (number | null)[])[];
  /** `correlation`: Pearson ρ on [−1, 1], diverging colours; `distance`: EPIC on [0, 1], sequential. */
  scale: 'correlation' | 'distance';
  /** Name in the tooltip, e.g. "Pearson ρ" or "EPIC distance". */
  measure: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The n×n similarity of the rewards, cell (i, j) = measure(Rᵢ, Rⱼ), with its value printed in it. */
export function buildSimilarityMatrixOptions(input: SimilarityMatrixInput): SimilarityMatrixOption {
  const { labels, matrix, scale, measure } = input;
  const n = labels.length;
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    throw new RangeError(`buildSimilarityMatrixOptions: expected a ${n}×${n} matrix for ${n} labels`);
  }
  const data: [number, number, number | '-'][] = [];
  matrix.forEach((row, i) => row.forEach((value, j) => data.push([j, i, value === null ? '-' : value])));
  const correlation = scale === 'correlation';
  return {
    ...matrixChartFrame(64, (i, j, v) => {
      const text = v === '-' ? 'undefined (a constant reward)' : formatMetricValue(v);
      return `${escapeHtml(measure)}(<b>${escapeHtml(labels[i] ?? '')}</b>, <b>${escapeHtml(labels[j] ?? '')}</b>) = ${text}`;
    }),
    xAxis: {
      type: 'category',
      data: [...labels],
      axisLabel: { fontSize: 11, color: '#333', rotate: n > 4 ? 30 : 0, interval: 0 },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: [...labels],
      axisLabel: { fontSize: 11, color: '#333', interval: 0 },
    },
    visualMap: {
      type: 'continuous',
      min: correlation ? -1 : 0,
      max: 1,
      calculable: false,
      orient: 'vertical',
      right: 4,
      top: 'middle',
      itemHeight: 110,
      itemWidth: 10,
      text: correlation ? ['+1', '−1'] : ['1', '0'],
      textStyle: { fontSize: 10, color: '#444' },
      inRange: { color: correlation ? divergingStops() : [...DISTANCE_STOPS] },
    },
    series: [
      {
        type: 'heatmap',
        data,
        label: {
          show: n <= 12,
          fontSize: 11,
          formatter: (param: unknown) => {
            const v = (param as { value?: [number, number, number | '-'] }).value?.[2];
            return typeof v === 'number' ? v.toFixed(2) : '–';
          },
        },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
        emphasis: { disabled: true },
      },
    ],
  };
}
