import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue';
import type { EChartsCoreOption } from 'echarts/core';
import { safeFileName } from '../../format/file-names';
import type { EChartsType } from '../runs/echarts-runtime';
import { downloadText, downloadUrl } from './download';

/** What `useEChart` needs: the host element, the option to draw and the chart factory. */
export interface UseEChartOptions {
  host: Ref<HTMLElement | null>;
  option: () => EChartsCoreOption;
  /** File name stem of exports. */
  exportName: () => string;
  /** Builds the chart in the host (the caller's `echarts/core` registrations). */
  createChart: (element: HTMLElement) => EChartsType;
  /** Runs once on the new chart before its first render (e.g. click handlers). */
  setup?: (chart: EChartsType) => void;
}

/** The chart's actions for its component: PNG/CSV export and a resize on the next frame. */
export interface EChartHandle {
  exportPng: () => void;
  exportCsv: (csv: (() => string) | undefined) => void;
  resizeNextFrame: () => void;
}

/**
 * Owns one ECharts instance of a component: built on mount in `host`, redrawn when `option`
 * changes, resized with its host, disposed before unmount.
 */
export function useEChart(options: UseEChartOptions): EChartHandle {
  let chart: EChartsType | null = null;
  let resizeObserver: ResizeObserver | null = null;

  function render(): void {
    chart?.setOption(options.option(), { notMerge: true, lazyUpdate: false });
  }

  function exportPng(): void {
    if (chart === null) return;
    downloadUrl(
      `${safeFileName(options.exportName())}.png`,
      chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }),
    );
  }

  function exportCsv(csv: (() => string) | undefined): void {
    if (csv !== undefined) downloadText(`${safeFileName(options.exportName())}.csv`, csv());
  }

  function resizeNextFrame(): void {
    requestAnimationFrame(() => chart?.resize());
  }

  onMounted(() => {
    const element = options.host.value;
    if (element === null) return;
    const created = options.createChart(element);
    chart = created;
    options.setup?.(created);
    render();
    resizeObserver = new ResizeObserver(() => chart?.resize());
    resizeObserver.observe(element);
  });

  onBeforeUnmount(() => {
    resizeObserver?.disconnect();
    chart?.dispose();
    chart = null;
  });

  watch(options.option, render);

  return { exportPng, exportCsv, resizeNextFrame };
}
