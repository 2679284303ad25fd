import { LineChart, ScatterChart } from 'echarts/charts';
import {
  GridComponent,
  LegendScrollComponent,
  MarkLineComponent,
  TooltipComponent,
} from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

/**
 * protocol-echarts.ts for DOM tests: happy-dom has no canvas, so the protocol charts are drawn by
 * ECharts' SVG renderer at a fixed size. `vi.mock('…/protocol-echarts', () => import('./svg-protocol-echarts.dom'))`.
 */
use([
  LineChart,
  ScatterChart,
  GridComponent,
  LegendScrollComponent,
  MarkLineComponent,
  TooltipComponent,
  SVGRenderer,
]);

export const createChart = (element: HTMLElement) =>
  init(element, null, { renderer: 'svg', width: 900, height: 360 });
