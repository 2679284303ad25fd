import type { LineSeriesOption } from 'echarts/charts';
import type {
  DataZoomComponentOption,
  GridComponentOption,
  LegendComponentOption,
  ToolboxComponentOption,
  TooltipComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { CHART_FONT_FAMILY } from './chart-font';
import { formatCompact, formatCount, formatMetricValue } from './number-format';
import type { MetricSeries } from '../domain';
import { namedSeriesColors, seriesColor } from './palette';
import { emaSmooth } from './smoothing';

export type MetricsChartOption = ComposeOption<
  | LineSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | DataZoomComponentOption
  | ToolboxComponentOption
>;

/** What the x axis counts: environment steps, or training seconds (see metric-series-transforms). */
export type MetricsXAxis = 'step' | 'seconds';

export interface LineChartInput {
  series: readonly MetricSeries[];
  /** EMA weight in [0, 1); 0 draws the raw values only. */
  smoothing: number;
  /** The keys' common family (`charts/episodic_return`); the legend shows each key without it. */
  family?: string;
  /** Colours by series index; default: by name (a reward naming an object kind gets the kind's colour). */
  palette?: readonly string[];
  /** Title of the y axis; default: the family's last part ("episodic_return"), none without a family. */
  yName?: string;
  /** The x values are steps (default) or seconds of training; seconds are labelled as durations. */
  x?: MetricsXAxis;
  /** Title of the x axis; default none. */
  xName?: string;
  /** A logarithmic y axis; values ≤ 0 have no place on it and are left out (a gap in the line). */
  logY?: boolean;
  /**
   * The in-app tools: drag a rectangle to zoom into that region, a button to undo the zoom, and the
   * legend's cut names in full on hover. The report's static charts leave them out.
   */
  interactive?: boolean;
}

/** Seconds as an axis label: "45s", "3m 20s", "1h 05m". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  const total = Math.round(Math.abs(seconds));
  const sign = seconds < 0 ? '−' : '';
  if (total < 60) return `${sign}${total}s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${sign}${h}h ${String(m).padStart(2, '0')}m`;
  return s === 0 ? `${sign}${m}m` : `${sign}${m}m ${String(s).padStart(2, '0')}s`;
}

/** Widest legend entry in px before its name is cut with "…" (the full name shows on hover). */
export const LEGEND_ITEM_MAX_WIDTH = 180;

/**
 * The y range of values that are all (nearly) equal: ±10 % of the value (±1 around 0), so a
 * constant series (episode length at the horizon) is a visible line mid-plot instead of the axis
 * collapsing onto it; null when the values vary (ECharts scales the axis itself).
 */
export function constantRange(series: readonly MetricSeries[]): { min: number; max: number } | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const v of s.values) {
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo > hi) return null;
  const pad = Math.max(Math.abs(hi) * 0.1, 1);
  if (hi - lo > pad * 1e-6) return null;
  return { min: lo - pad, max: hi + pad };
}

/** Suffix of the faint raw line's series id; the smoothed line's id is the bare key. */
export const RAW_SERIES_SUFFIX = '\u0000raw';
/** Opacity of the raw line drawn behind the smoothed one. */
export const RAW_LINE_OPACITY = 0.22;

interface TooltipItem {
  seriesId: string;
  seriesName: string;
  color: string;
  step: number;
  value: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function asTooltipItem(param: unknown): TooltipItem | null {
  if (typeof param !== 'object' || param === null) return null;
  const p = param as Record<string, unknown>;
  const value = p.value;
  if (!Array.isArray(value) || typeof value[0] !== 'number' || typeof value[1] !== 'number') return null;
  return {
    seriesId: String(p.seriesId ?? ''),
    seriesName: String(p.seriesName ?? ''),
    color: typeof p.color === 'string' ? p.color : '#888',
    step: value[0],
    value: value[1],
  };
}

/** Tooltip HTML: the step, then per key the smoothed value and (if drawn) the raw one in brackets. */
export function formatMetricsTooltip(params: unknown, x: MetricsXAxis = 'step'): string {
  const items = (Array.isArray(params) ? params : [params]).map(asTooltipItem).filter((x) => x !== null);
  if (items.length === 0) return '';
  const rows = new Map<string, { color: string; main?: number; raw?: number }>();
  for (const item of items) {
    const row = rows.get(item.seriesName) ?? { color: item.color };
    rows.set(item.seriesName, row);
    if (item.seriesId.endsWith(RAW_SERIES_SUFFIX)) row.raw = item.value;
    else {
      row.main = item.value;
      row.color = item.color;
    }
  }
  const lines = [...rows.entries()].map(([name, row]) => {
    const main = row.main === undefined ? '' : formatMetricValue(row.main);
    const raw =
      row.raw === undefined ? '' : ` <span style="opacity:.6">(raw ${formatMetricValue(row.raw)})</span>`;
    const dot = `<span style="display:inline-block;width:8px;height:8px;border-radius:2px;margin-right:6px;background:${escapeHtml(row.color)}"></span>`;
    return `<div>${dot}${escapeHtml(name)}: <b>${main}</b>${raw}</div>`;
  });
  const at = items[0]?.step ?? 0;
  const header = x === 'seconds' ? `${formatSeconds(at)} of training` : `step ${formatCount(at)}`;
  return `<div style="font-size:12px"><div style="margin-bottom:2px;opacity:.7">${header}</div>${lines.join('')}</div>`;
}

/** Legend text for `key` in a chart of `family`: the family's last part, or the key's own suffix. */
export function legendLabel(key: string, family: string | undefined): string {
  if (family === undefined) return key;
  if (key === family) return family.split('/').pop() ?? key;
  return key.startsWith(`${family}/`) ? key.slice(family.length + 1) : key;
}

/** [x, y] pairs; on a log axis a value ≤ 0 becomes a gap (null), which ECharts leaves undrawn. */
function points(
  steps: readonly number[],
  values: readonly number[],
  logY: boolean,
): [number, number | null][] {
  return steps.map((step, i) => {
    const value = values[i] as number;
    return [step, logY && !(value > 0) ? null : value];
  });
}

/** One line chart over environment steps: per key a smoothed line over its faint raw line. */
export function buildLineChartOptions(input: LineChartInput): MetricsChartOption {
  const { series, smoothing } = input;
  const logY = input.logY === true;
  const x = input.x ?? 'step';
  const yName = input.yName ?? (input.family === undefined ? undefined : input.family.split('/').pop());
  const palette = input.palette ?? namedSeriesColors(series.map((s) => legendLabel(s.key, input.family)));
  if (!Number.isFinite(smoothing) || smoothing < 0 || smoothing >= 1) {
    throw new RangeError(`buildLineChartOptions: smoothing must be in [0, 1), got ${smoothing}`);
  }
  for (const s of series) {
    if (s.steps.length !== s.values.length) {
      throw new RangeError(
        `buildLineChartOptions: series "${s.key}" has ${s.steps.length} steps but ${s.values.length} values`,
      );
    }
  }
  const lines: LineSeriesOption[] = [];
  series.forEach((s, index) => {
    const color = seriesColor(index, palette);
    const common = {
      type: 'line' as const,
      name: s.key,
      showSymbol: false,
      symbol: 'none',
      color,
      emphasis: { disabled: true },
      animation: false,
    };
    if (smoothing > 0) {
      lines.push({
        ...common,
        id: `${s.key}${RAW_SERIES_SUFFIX}`,
        data: points(s.steps, s.values, logY),
        lineStyle: { width: 1, opacity: RAW_LINE_OPACITY },
        z: 1,
      });
    }
    lines.push({
      ...common,
      id: s.key,
      data: points(s.steps, smoothing > 0 ? emaSmooth(s.values, smoothing) : s.values, logY),
      lineStyle: { width: 2 },
      z: 2,
    });
  });
  return {
    animation: false,
    color: [...palette],
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    // The grid rect is also the outer bound that axis labels are kept inside (ECharts 6's containLabel).
    grid: {
      left: 8,
      right: 18,
      top: 34,
      bottom: 6,
      outerBoundsMode: 'same',
      // 'all' keeps the y axis title inside too.
      outerBoundsContain: 'all',
    },
    legend: {
      type: 'scroll',
      top: 4,
      left: 4,
      // Room for the zoom tools at the top right.
      right: input.interactive === true ? 64 : 4,
      icon: 'roundRect',
      itemWidth: 12,
      itemHeight: 8,
      itemGap: 14,
      textStyle: {
        fontSize: 11,
        color: '#444',
        ...(input.interactive === true
          ? { width: LEGEND_ITEM_MAX_WIDTH, overflow: 'truncate' as const }
          : {}),
      },
      ...(input.interactive === true ? { tooltip: { show: true } } : {}),
      formatter: (name: string) => legendLabel(name, input.family),
      data: series.map((s) => s.key),
    },
    tooltip: {
      trigger: 'axis',
      confine: true,
      axisPointer: { type: 'line', lineStyle: { color: '#999', width: 1 } },
      formatter: (params: unknown) => formatMetricsTooltip(params, x),
    },
    ...(input.interactive === true
      ? {
          toolbox: {
            top: 0,
            right: 2,
            itemSize: 13,
            feature: {
              dataZoom: {
                title: { zoom: 'Drag a rectangle to zoom into it', back: 'Undo the last zoom' },
                filterMode: 'none' as const,
              },
            },
          },
        }
      : {}),
    xAxis: {
      type: 'value',
      // Environment steps; the axis spans exactly the recorded steps, so only the round ticks inside
      // it are labelled (the ends would print odd values such as 2.048k).
      min: 'dataMin',
      max: 'dataMax',
      axisLabel: {
        fontSize: 10,
        color: '#666',
        showMinLabel: false,
        showMaxLabel: false,
        formatter: (value: number) => (x === 'seconds' ? formatSeconds(value) : formatCompact(value)),
      },
      ...(input.xName === undefined
        ? {}
        : {
            name: input.xName,
            nameLocation: 'middle' as const,
            nameGap: 22,
            nameTextStyle: { fontSize: 11, color: '#555' },
          }),
      // At the bottom of the plot even when the values cross zero.
      axisLine: { onZero: false, lineStyle: { color: '#bbb' } },
      splitLine: { show: true, lineStyle: { color: '#eee' } },
    },
    yAxis: {
      type: logY ? 'log' : 'value',
      scale: true,
      ...(logY ? {} : (constantRange(series) ?? {})),
      ...(yName === undefined
        ? {}
        : {
            name: yName,
            nameLocation: 'middle' as const,
            nameGap: 38,
            nameTextStyle: { fontSize: 11, color: '#555' },
          }),
      axisLabel: { fontSize: 10, color: '#666', formatter: (value: number) => formatMetricValue(value) },
      splitLine: { lineStyle: { color: '#eee' } },
    },
    dataZoom: [{ type: 'inside', xAxisIndex: 0, filterMode: 'none' }],
    series: lines,
  };
}
