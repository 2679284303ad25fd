import type { GridComponentOption, TooltipComponentOption } from 'echarts/components';
import { CHART_FONT_FAMILY } from './chart-font';

/** One cell of a matrix heatmap: [column, row, value], '-' for an undefined value (drawn empty). */
export type MatrixCell = [number, number, number | '-'];

/**
 * What every matrix heatmap (cosine, reward similarity, block × kind) shares: no animation, the
 * chart font, a grid whose labels stay inside the chart with `right` pixels left for the colour bar,
 * and a tooltip that names the hovered cell through `describe(row, column, value)`.
 */
export function matrixChartFrame(
  right: number,
  describe: (row: number, column: number, value: number | '-') => string,
): {
  animation: false;
  textStyle: { fontFamily: string };
  grid: GridComponentOption;
  tooltip: TooltipComponentOption;
} {
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    grid: { left: 8, right, top: 8, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    tooltip: {
      confine: true,
      formatter: (param: unknown) => {
        const cell = (param as { value?: MatrixCell }).value;
        if (cell === undefined) return '';
        const [column, row, value] = cell;
        return describe(row, column, value);
      },
    },
  };
}
