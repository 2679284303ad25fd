import { drawColorBar, DEFAULT_COLOR_BAR_STYLE, type ColorBarStyle } from './color-bar';
import type { ValueScale } from '@shared/heatmap/value-scale';

export interface HeatmapExportOptions {
  /** First line above the heatmap, e.g. the tensor name and the two checkpoints. */
  title: string;
  /** Second line, e.g. the scale: "limit ±0.02 (p99), linear". */
  subtitle?: string;
  scale: ValueScale;
  style?: ColorBarStyle;
}

const PAD = 12;
const TITLE_HEIGHT = 38;
const BAR_AREA = 96;

/** One image: title, the heatmap exactly as drawn (device pixels), and its colour bar at the right. */
export function composeHeatmapImage(
  heatmap: HTMLCanvasElement,
  options: HeatmapExportOptions,
): HTMLCanvasElement {
  const ratio = heatmap.width / Math.max(1, heatmap.clientWidth || heatmap.width);
  const out = document.createElement('canvas');
  const cssWidth = heatmap.width / ratio;
  const cssHeight = heatmap.height / ratio;
  out.width = Math.round((cssWidth + BAR_AREA + 2 * PAD) * ratio);
  out.height = Math.round((cssHeight + TITLE_HEIGHT + 2 * PAD) * ratio);
  const ctx = out.getContext('2d');
  if (ctx === null) throw new Error('composeHeatmapImage: no 2d context');
  ctx.scale(ratio, ratio);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#1d2330';
  ctx.textBaseline = 'top';
  ctx.font = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  ctx.fillText(options.title, PAD, PAD);
  if (options.subtitle !== undefined) {
    ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    ctx.fillStyle = '#6b7280';
    ctx.fillText(options.subtitle, PAD, PAD + 18);
  }
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(heatmap, PAD, PAD + TITLE_HEIGHT, cssWidth, cssHeight);
  drawColorBar(
    ctx,
    {
      x: PAD + cssWidth + 16,
      y: PAD + TITLE_HEIGHT + 8,
      width: BAR_AREA - 16,
      height: Math.max(60, cssHeight - 16),
    },
    options.scale,
    options.style ?? DEFAULT_COLOR_BAR_STYLE,
  );
  return out;
}

/** canvas.toBlob as a promise; rejects when the browser cannot encode the canvas. */
export function canvasToPngBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (blob === null) reject(new Error('The browser could not encode the image as PNG.'));
      else resolve(blob);
    }, 'image/png');
  });
}
