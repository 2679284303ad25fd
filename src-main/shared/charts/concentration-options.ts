import type { BarSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { CHART_FONT_FAMILY } from './chart-font';
import { namedSeriesColors, seriesColor } from './palette';

export type ConcentrationOption = ComposeOption<
  BarSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>;

/** Grey of the parameter-share bars: the reference every map is read against. */
export const PARAMETER_SHARE_COLOR = '#9aa3ae';

export interface ConcentrationInput {
  tensors: readonly string[];
  /** Share of all parameters per tensor (tensors order). */
  sizeShare: readonly number[];
  /** Per aggregator (and the null map), its share Σ|mₜ| / Σ|m| per tensor. */
  maps: readonly { label: string; share: readonly number[] }[];
  palette?: readonly string[];
}

/** Grouped bars per tensor: the parameter share (grey) next to each map's share of |m|. */
export function buildConcentrationOptions(input: ConcentrationInput): ConcentrationOption {
  const { tensors, sizeShare, maps, palette } = input;
  const n = tensors.length;
  if (sizeShare.length !== n) {
    throw new RangeError(
      `buildConcentrationOptions: sizeShare has ${sizeShare.length} values for ${n} tensors`,
    );
  }
  for (const map of maps) {
    if (map.share.length !== n) {
      throw new RangeError(
        `buildConcentrationOptions: map "${map.label}" has ${map.share.length} shares for ${n} tensors`,
      );
    }
  }
  const percent = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '—');
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    grid: {
      left: 8,
      right: 16,
      top: 36,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    legend: { type: 'scroll', top: 4, left: 4, right: 4, textStyle: { fontSize: 11 } },
    tooltip: { trigger: 'axis', confine: true, valueFormatter: percent },
    xAxis: {
      type: 'category',
      data: [...tensors],
      axisLabel: {
        fontSize: 10,
        color: '#333',
        rotate: n > 3 ? 25 : 0,
        interval: 0,
        fontFamily: 'ui-monospace, Menlo, Consolas, monospace',
      },
    },
    yAxis: {
      type: 'value',
      min: 0,
      max: 1,
      axisLabel: { fontSize: 10, color: '#666', formatter: (v: number) => `${Math.round(v * 100)}%` },
      splitLine: { lineStyle: { color: '#eee' } },
    },
    series: [
      { type: 'bar', name: 'parameter share', color: PARAMETER_SHARE_COLOR, data: [...sizeShare] },
      ...maps.map((map, i) => ({
        type: 'bar' as const,
        name: map.label,
        color: seriesColor(i, palette ?? namedSeriesColors(maps.map((m) => m.label))),
        data: [...map.share],
      })),
    ],
  };
}
