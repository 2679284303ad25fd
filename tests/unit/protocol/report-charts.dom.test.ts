// @vitest-environment happy-dom
import { init, use, type EChartsType } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { describe, expect, it } from 'vitest';
import { createApp, h, nextTick } from 'vue';
import { renderChartSvg } from '../../../src-main/protocol/report-charts';
import { buildIntervalLinesOptions } from '../../../src-main/shared/charts/interval-lines-options';
import { negationSeries } from '../../../src-main/shared/charts/protocol-series';
import ChartFigure from '../../../src-renderer/components/common/ChartFigure.vue';
// The app's registrations for the protocol charts (it adds its canvas renderer; a DOM test has no
// canvas, so the app's component draws with the SVG renderer here).
import '../../../src-renderer/components/protocol/protocol-echarts';
import { negationTable } from '../shared/tables/protocol-table-fixture';

use([SVGRenderer]);

const SIZE = { width: 720, height: 260 };

/** The visible lines of a chart's SVG (a band's edges are transparent): one per series, `M x y L x y …`. */
function lines(svg: string): string[] {
  return [...svg.matchAll(/<path d="(M[^"]+)"[^>]*>/g)]
    .filter((m) => m[0].includes('stroke-width="2"') && !m[0].includes('stroke-opacity="0"'))
    .map((m) => m[1]!);
}

/** The texts of an SVG (legend entries, axis titles and tick labels). */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

async function renderInApp(option: ReturnType<typeof buildIntervalLinesOptions>): Promise<{
  svg: string;
  chart: EChartsType;
}> {
  let chart: EChartsType | null = null;
  const host = document.createElement('div');
  document.body.append(host);
  createApp({
    render: () =>
      h(ChartFigure, {
        title: 'negation',
        option,
        exportName: 'negation',
        height: SIZE.height,
        createChart: (element: HTMLElement) => {
          chart = init(element, null, { renderer: 'svg', ...SIZE });
          return chart;
        },
      }),
  }).mount(host);
  await nextTick();
  const svg = host.querySelector('.chart-figure__canvas svg');
  if (svg === null || chart === null) throw new Error('ChartFigure drew no chart');
  return { svg: svg.outerHTML, chart };
}

describe("the report's charts", () => {
  it("draws an option the same way as the app's chart component: same series, point counts and values", async () => {
    const option = buildIntervalLinesOptions({
      series: negationSeries(negationTable, 'coin'),
      xName: 'α',
      yName: 'P(collect coin)',
      highlightX: 1,
      yRange: [0, 1],
    });
    const report = renderChartSvg(option, SIZE);
    const app = await renderInApp(option);

    // Series names: the legend of both.
    const names = ['MA − α·Δ', 'MA − α·r (random)', 'MA + α·Δ', 'control (MA recovered)', 'MA'];
    for (const name of names) {
      expect(texts(report)).toContain(name);
      expect(texts(app.svg)).toContain(name);
    }
    // One drawn line per series, with one vertex per α, at the same coordinates (= the same values).
    expect(lines(report)).toHaveLength(names.length);
    expect(lines(report).map((d) => d.split('L').length)).toEqual(names.map(() => 2));
    // (The string is written with one decimal, the DOM with two.)
    const vertices = (svg: string): number[][] =>
      lines(svg).map((d) => d.match(/-?\d+(\.\d+)?/g)!.map(Number));
    const appVertices = vertices(app.svg);
    expect(appVertices.map((v) => v.length)).toEqual(vertices(report).map((v) => v.length));
    vertices(report).forEach((line, i) =>
      line.forEach((coordinate, j) =>
        expect(Math.abs(coordinate - appVertices[i]![j]!)).toBeLessThanOrEqual(0.06),
      ),
    );
    // And the app's chart holds the option's values.
    const appSeries = app.chart.getOption().series as { id: string; data: unknown[] }[];
    expect(appSeries.filter((s) => names.includes(s.id)).map((s) => s.data)).toEqual(
      (option.series as { id: string; data: unknown[] }[])
        .filter((s) => names.includes(s.id))
        .map((s) => s.data),
    );
    app.chart.dispose();
  });
});
