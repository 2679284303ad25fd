import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  LegendScrollComponent,
  MarkLineComponent,
  VisualMapContinuousComponent,
} from 'echarts/components';
import { init, setPlatformAPI, use, type EChartsCoreOption } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

/**
 * The report's charts: the app's ECharts options (src-main/shared/charts) rendered to SVG strings
 * by ECharts' server-side renderer, so the HTML report and the app draw each chart from one
 * option builder. The SVG is static (no script); tooltips and zoom are the app's.
 */
use([
  BarChart,
  HeatmapChart,
  LineChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  LegendScrollComponent,
  MarkLineComponent,
  VisualMapContinuousComponent,
  SVGRenderer,
]);

const NARROW = new Set("ilIjtf.,:;'|!()[]{} ");
const WIDE = new Set('mwMW@%—');

/**
 * Text width in px without a canvas: em widths of a wide sans-serif (DejaVu Sans, the usual Linux
 * fallback of system-ui), so that legends and labels laid out here do not overlap in the reader's
 * browser (ECharts' own fallback assumes Arial's narrower glyphs); monospace is 0.6 em a glyph.
 */
export function measureTextWidth(text: string, font: string): number {
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(font)?.[1] ?? 12);
  if (/mono|consolas|menlo/i.test(font)) return 0.62 * size * [...text].length;
  let em = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) em += 0.34;
    else if (WIDE.has(ch)) em += 0.92;
    else if (ch >= 'A' && ch <= 'Z') em += 0.7;
    else em += 0.62;
  }
  return em * size;
}

setPlatformAPI({
  measureText: (text = '', font = '12px sans-serif') => ({ width: measureTextWidth(text, font) }),
});

export interface ChartSize {
  width: number;
  height: number;
}

/** Axis titles the report adds where the option has none (the app's figure caption names them). */
export interface AxisTitles {
  x?: string;
  y?: string;
}

type AxisOption = Record<string, unknown>;

function titled(axis: unknown, title: string | undefined, gap: number): unknown {
  if (title === undefined || axis === null || typeof axis !== 'object' || Array.isArray(axis)) return axis;
  const a = axis as AxisOption;
  if (typeof a.name === 'string' && a.name !== '') return axis;
  return {
    ...a,
    name: title,
    nameLocation: 'middle',
    nameGap: gap,
    nameTextStyle: { fontSize: 11, color: '#555' },
  };
}

/**
 * The option with axis titles where it has none, and its grid sized to keep them (and the tick
 * labels) inside the picture: a static SVG cannot scroll to a clipped label.
 */
export function withAxisTitles(option: EChartsCoreOption, titles: AxisTitles): EChartsCoreOption {
  const grid = option.grid;
  return {
    ...option,
    xAxis: titled(option.xAxis, titles.x, 26),
    yAxis: titled(option.yAxis, titles.y, 44),
    ...(grid !== null && typeof grid === 'object' && !Array.isArray(grid)
      ? { grid: { ...grid, outerBoundsContain: 'all' } }
      : {}),
  };
}

/** One chart as an SVG string (a standalone `<svg>` element of the given size). */
export function renderChartSvg(option: EChartsCoreOption, size: ChartSize): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    // No tooltip component is registered: its formatters are HTML for the app's hover boxes.
    const { tooltip: _tooltip, dataZoom: _dataZoom, ...still } = option;
    chart.setOption({ ...still, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
