import { drawColorBar, DEFAULT_COLOR_BAR_STYLE, type ColorBarStyle } from './color-bar';
import type { ValueScale } from '@shared/heatmap/value-scale';

export interface HeatmapExportOptions {
  /** First line above the heatmap, e.g. the tensor name and the two checkpoints. */
  title: string;
  /** Second line, e.g. the scale: "limit ±0.02 (p99), linear". */
  subtitle?: string;
  scale: ValueScale;
  style?: ColorBarStyle;
  /** The row (left) and column (top) rulers as drawn next to the heatmap, and what they count. */
  rulers?: HeatmapExportRulers;
}

export interface HeatmapExportRulers {
  rows: HTMLCanvasElement;
  columns: HTMLCanvasElement;
  rowTitle: string;
  columnTitle: string;
}

const PAD = 12;
const TITLE_HEIGHT = 38;
const BAR_AREA = 96;
/** The axis titles' depth: the column title above the column ruler, the row title left of the row ruler. */
const AXIS_TITLE = 16;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** A canvas' size in CSS px (its backing store is `ratio` times larger). */
function cssSize(canvas: HTMLCanvasElement, ratio: number): { width: number; height: number } {
  return { width: canvas.width / ratio, height: canvas.height / ratio };
}

/**
 * One image: title, the heatmap exactly as drawn (device pixels) with its row and column rulers and
 * their titles, and its colour bar at the right.
 */
export function composeHeatmapImage(
  heatmap: HTMLCanvasElement,
  options: HeatmapExportOptions,
): HTMLCanvasElement {
  const ratio = heatmap.width / Math.max(1, heatmap.clientWidth || heatmap.width);
  const out = document.createElement('canvas');
  const { width: cssWidth, height: cssHeight } = cssSize(heatmap, ratio);
  const rulers = options.rulers;
  const rowRuler = rulers === undefined ? { width: 0, height: 0 } : cssSize(rulers.rows, ratio);
  const columnRuler = rulers === undefined ? { width: 0, height: 0 } : cssSize(rulers.columns, ratio);
  // The heatmap's top-left corner: right of the row title and ruler, below the column title and ruler.
  const left = PAD + (rulers === undefined ? 0 : AXIS_TITLE + rowRuler.width + 2);
  const top = PAD + TITLE_HEIGHT + (rulers === undefined ? 0 : AXIS_TITLE + columnRuler.height + 2);
  out.width = Math.round((left + cssWidth + BAR_AREA + PAD) * ratio);
  out.height = Math.round((top + cssHeight + PAD) * ratio);
  const ctx = out.getContext('2d');
  if (ctx === null) throw new Error('composeHeatmapImage: no 2d context');
  ctx.scale(ratio, ratio);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#1d2330';
  ctx.textBaseline = 'top';
  ctx.font = `600 13px ${FONT}`;
  ctx.fillText(options.title, PAD, PAD);
  if (options.subtitle !== undefined) {
    ctx.font = `11px ${FONT}`;
    ctx.fillStyle = '#6b7280';
    ctx.fillText(options.subtitle, PAD, PAD + 18);
  }
  ctx.imageSmoothingEnabled = false;
  if (rulers !== undefined) {
    ctx.drawImage(rulers.columns, left, top - columnRuler.height - 1, columnRuler.width, columnRuler.height);
    ctx.drawImage(rulers.rows, left - rowRuler.width - 1, top, rowRuler.width, rowRuler.height);
    ctx.font = `11px ${FONT}`;
    ctx.fillStyle = '#4a525c';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'center';
    ctx.fillText(
      `${rulers.columnTitle} →`,
      left + cssWidth / 2,
      top - columnRuler.height - AXIS_TITLE / 2 - 2,
    );
    ctx.save();
    ctx.translate(PAD + AXIS_TITLE / 2, top + cssHeight / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(`← ${rulers.rowTitle}`, 0, 0);
    ctx.restore();
    ctx.textAlign = 'start';
    ctx.textBaseline = 'top';
  }
  ctx.drawImage(heatmap, left, top, cssWidth, cssHeight);
  drawColorBar(
    ctx,
    {
      x: left + cssWidth + 16,
      y: top + 8,
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
