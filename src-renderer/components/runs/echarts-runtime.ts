import { LineChart } from 'echarts/charts';
import {
  DataZoomInsideComponent,
  GridComponent,
  LegendScrollComponent,
  ToolboxComponent,
  TooltipComponent,
} from 'echarts/components';
import { init, use, type EChartsType } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

// Only the parts the metric charts use, so the bundle stays small.
use([
  LineChart,
  GridComponent,
  TooltipComponent,
  LegendScrollComponent,
  DataZoomInsideComponent,
  ToolboxComponent,
  CanvasRenderer,
]);

/** A canvas-rendered chart in `element`, sized to it. */
export function createChart(element: HTMLElement): EChartsType {
  return init(element, undefined, { renderer: 'canvas' });
}

export type { EChartsType };
