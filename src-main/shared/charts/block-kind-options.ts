import type { HeatmapSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { matrixChartFrame } from './matrix-chart-frame';
import { divergingColor, rgbToHex } from './color-map';
import { formatMetricValue } from './number-format';

export type BlockKindMatrixOption = ComposeOption<
  HeatmapSeriesOption | GridComponentOption | TooltipComponentOption | VisualMapComponentOption
>;

/** Height of one block's row in the block × kind matrix. */
export const BLOCK_ROW_PX = 18;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The positive half of the heatmaps' diverging map (0 neutral → largest red) for a norm ≥ 0. */
export function sequentialStops(): string[] {
  return Array.from({ length: 9 }, (_, i) => rgbToHex(divergingColor(i / 8)));
}

/**
 * Blocks down, kinds across, one cell per (block, kind) coloured by `values[row][kind]` from 0 to
 * the largest value; a null value (no tensor of that kind in the block, or an undefined ratio) is
 * left blank. The item name of a cell is `row|kind`, so a click can open that cell's tensors.
 */
export function buildBlockKindMatrixOptions(input: {
  rows: readonly string[];
  kinds: readonly string[];
  values: readonly (readonly (number | null)[])[];
  statLabel: string;
}): BlockKindMatrixOption {
  const { rows, kinds, values, statLabel } = input;
  if (values.length !== rows.length || values.some((row) => row.length !== kinds.length)) {
    throw new RangeError(
      `buildBlockKindMatrixOptions: expected ${rows.length} rows of ${kinds.length} values`,
    );
  }
  const data: { name: string; value: [number, number, number | '-'] }[] = [];
  let max = 0;
  values.forEach((row, i) =>
    row.forEach((value, j) => {
      if (value !== null && Number.isFinite(value)) max = Math.max(max, value);
      data.push({
        name: `${rows[i] ?? ''}|${kinds[j] ?? ''}`,
        value: [j, i, value === null || !Number.isFinite(value) ? '-' : value],
      });
    }),
  );
  return {
    ...matrixChartFrame(84, (i, j, v) => {
      const text = v === '-' ? '—' : formatMetricValue(v);
      return `block <b>${escapeHtml(rows[i] ?? '')}</b> · <b>${escapeHtml(kinds[j] ?? '')}</b><br>${escapeHtml(statLabel)} = ${text}`;
    }),
    xAxis: {
      type: 'category',
      position: 'top',
      data: [...kinds],
      axisLabel: { fontSize: 11, color: '#333', interval: 0 },
      axisLine: { show: false },
      axisTick: { show: false },
      splitArea: { show: false },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: [...rows],
      axisLabel: {
        fontSize: 10,
        color: '#333',
        interval: rows.length > 40 ? 'auto' : 0,
        fontFamily: 'ui-monospace, Menlo, Consolas, monospace',
      },
      axisLine: { show: false },
      axisTick: { show: false },
    },
    visualMap: {
      type: 'continuous',
      min: 0,
      max: max > 0 ? max : 1,
      calculable: false,
      orient: 'vertical',
      right: 4,
      top: 'middle',
      itemHeight: Math.max(60, Math.min(180, rows.length * BLOCK_ROW_PX - 40)),
      itemWidth: 12,
      text: [formatMetricValue(max), '0'],
      textStyle: { fontSize: 10, color: '#444' },
      inRange: { color: sequentialStops() },
    },
    series: [
      {
        type: 'heatmap',
        name: statLabel,
        data,
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
        emphasis: { itemStyle: { borderColor: '#1d2330', borderWidth: 1 } },
      },
    ],
  };
}
