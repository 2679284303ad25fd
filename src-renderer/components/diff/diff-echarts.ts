import { BarChart, HeatmapChart } from 'echarts/charts';
import {
  GridComponent,
  LegendScrollComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from 'echarts/components';
import { use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

// The diff charts' parts: bars (statistics, histograms, norms) and the small n×n cosine heatmap.
use([
  BarChart,
  HeatmapChart,
  GridComponent,
  TooltipComponent,
  LegendScrollComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
]);

export { createChart, type EChartsType } from '../runs/echarts-runtime';
