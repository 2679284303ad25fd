import { buildColorLut, rgbToHex, unpackRgb } from '../shared/charts/color-map';
import { formatMetricValue } from '../shared/charts/number-format';
import { colorizeValues } from '../shared/heatmap/colorize';
import { scaleTicks, type ValueScale } from '../shared/heatmap/value-scale';
import { measureTextWidth } from './report-charts';

/**
 * Heatmaps as static SVG for the report: one or more small grids of cells coloured by the app's
 * colour scale (shared/heatmap/colorize over the shared diverging colour map, so a value has the same
 * colour in the app and the report), each with its title and row/column rulers, and one colour bar for
 * all of them. Cells of one colour are one `<path>` in cell units, so a 64 × 64 grid stays small.
 * The layout measures its labels (report-charts' text widths), so no label is clipped.
 */

/** One grid: rows × cols values (row-major), its title and what its rows and columns are. */
export interface SvgGrid {
  title: string;
  rows: number;
  cols: number;
  values: Float32Array;
  /** Rows and columns of the tensor the (pooled) grid covers; ruler ticks count these. */
  rowExtent?: number;
  colExtent?: number;
  /** A cell outlined (the agent's cell of an egocentric view). */
  mark?: { x: number; y: number } | null;
}

export interface SvgGridsInput {
  grids: readonly SvgGrid[];
  /** Colours saturate at ±limit (every grid on the one scale). */
  limit: number;
  /** Pixels per cell across and down. */
  cellWidth: number;
  cellHeight: number;
  /** The rulers' titles ("cell x", "unit"). */
  rowTitle: string;
  colTitle: string;
  /** What a value is, above the colour bar ("Σ|m| over 64 units"). */
  valueLabel: string;
  /** The figure's accessible name. */
  ariaLabel: string;
  /** Grids wrap to a new line beyond this width. */
  maxWidth?: number;
}

const FONT = 'system-ui,-apple-system,Segoe UI,sans-serif';
const TITLE_FONT = `600 12px ${FONT}`;
const TICK_FONT = `10px ${FONT}`;
const AXIS_FONT = `11px ${FONT}`;
const TEXT_COLOR = '#374151';
const GAP = 18;
const TICK = 3;
const BAR_WIDTH = 14;
const lut = buildColorLut();

function esc(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function width(text: string, font: string): number {
  return Math.ceil(measureTextWidth(text, font));
}

/** Ruler ticks over [0, extent): multiples of the smallest 1-2-5 step at least `minStep` (in indices) apart. */
export function rulerIndices(extent: number, minStep: number): number[] {
  let step = 1;
  for (let decade = 1; step < minStep; decade *= 10) {
    step = [1, 2, 5, 10].map((m) => m * decade).find((s) => s >= minStep) ?? 10 * decade;
  }
  const ticks: number[] = [];
  for (let i = 0; i < extent; i += step) ticks.push(i);
  return ticks;
}

/**
 * The cells of a grid as one path per colour, in cell units (scaled by the caller's transform); a run
 * of equal cells along a row is one rectangle.
 */
function cellPaths(grid: SvgGrid, scale: ValueScale): string {
  const pixels = new Uint32Array(grid.values.length);
  colorizeValues(grid.values, pixels, lut, scale);
  const byColor = new Map<number, string[]>();
  for (let y = 0; y < grid.rows; y++) {
    for (let x = 0; x < grid.cols;) {
      const word = pixels[y * grid.cols + x] as number;
      let run = 1;
      while (x + run < grid.cols && pixels[y * grid.cols + x + run] === word) run++;
      const cells = byColor.get(word) ?? [];
      cells.push(`M${x} ${y}h${run}v1h-${run}z`);
      byColor.set(word, cells);
      x += run;
    }
  }
  return [...byColor]
    .map(([word, cells]) => `<path fill="${rgbToHex(unpackRgb(word))}" d="${cells.join('')}"/>`)
    .join('');
}

interface Placed {
  grid: SvgGrid;
  x: number;
  y: number;
  box: { width: number; height: number; left: number; top: number };
}

/** The SVG of the grids, their rulers and one colour bar at the right. */
export function heatmapGridsSvg(input: SvgGridsInput): string {
  const { grids, cellWidth, cellHeight } = input;
  const scale: ValueScale = { limit: input.limit > 0 ? input.limit : 1, mode: 'linear', decades: 3 };
  const ticks = scaleTicks(scale);
  const tickLabels = ticks.map((t) => formatMetricValue(t.value));
  const barLabelWidth = Math.max(...tickLabels.map((l) => width(l, TICK_FONT)));
  const barTitleWidth = width(input.valueLabel, AXIS_FONT);
  const barBlock = Math.max(BAR_WIDTH + TICK + 4 + barLabelWidth, barTitleWidth) + GAP;
  const maxWidth = (input.maxWidth ?? 1000) - barBlock;

  // Each grid's box: title above, row ruler and its title left, column ruler and its title below.
  const placed: Placed[] = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  let figureWidth = 0;
  for (const grid of grids) {
    const gridW = grid.cols * cellWidth;
    const gridH = grid.rows * cellHeight;
    const rowExtent = grid.rowExtent ?? grid.rows;
    const rowLabelWidth = Math.max(...rulerIndices(rowExtent, 1).map((i) => width(String(i), TICK_FONT)));
    const left = 14 + rowLabelWidth + TICK + 3;
    const top = 18;
    const box = {
      width: Math.max(
        left + gridW + 6,
        width(grid.title, TITLE_FONT) + 4,
        left + width(input.colTitle, AXIS_FONT),
      ),
      height: top + gridH + TICK + 12 + 16,
      left,
      top,
    };
    if (x > 0 && x + box.width > maxWidth) {
      x = 0;
      y += lineHeight + GAP;
      lineHeight = 0;
    }
    placed.push({ grid, x, y, box });
    x += box.width + GAP;
    figureWidth = Math.max(figureWidth, x - GAP);
    lineHeight = Math.max(lineHeight, box.height);
  }
  const barHeight = Math.max(100, Math.min(220, lineHeight - 30));
  const barX = figureWidth + GAP;
  const totalWidth = barX + barBlock - GAP + 2;
  const totalHeight = Math.max(y + lineHeight, 18 + barHeight + 8) + 2;

  const parts = placed.map((p) => gridSvg(p, input, scale));
  parts.push(colorBarSvg(barX, barHeight, ticks, tickLabels, input.valueLabel));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${totalWidth}" height="${totalHeight}" viewBox="0 0 ${totalWidth} ${totalHeight}" role="img" aria-label="${esc(input.ariaLabel)}" font-family="${esc(FONT)}">` +
    parts.join('') +
    '</svg>'
  );
}

function gridSvg(p: Placed, input: SvgGridsInput, scale: ValueScale): string {
  const { grid, box } = p;
  const cw = input.cellWidth;
  const ch = input.cellHeight;
  const gridW = grid.cols * cw;
  const gridH = grid.rows * ch;
  const ox = p.x + box.left;
  const oy = p.y + box.top;
  const rowExtent = grid.rowExtent ?? grid.rows;
  const colExtent = grid.colExtent ?? grid.cols;
  const out: string[] = [
    `<g class="heatmap-grid" data-title="${esc(grid.title)}" data-rows="${grid.rows}" data-cols="${grid.cols}">`,
    `<text x="${p.x}" y="${p.y + 12}" font-size="12" font-weight="600" fill="#111827">${esc(grid.title)}</text>`,
    `<g class="cells" transform="translate(${ox} ${oy}) scale(${cw} ${ch})" shape-rendering="crispEdges">${cellPaths(grid, scale)}</g>`,
    `<rect x="${ox - 0.5}" y="${oy - 0.5}" width="${gridW + 1}" height="${gridH + 1}" fill="none" stroke="#d1d5db"/>`,
  ];
  if (grid.mark) {
    out.push(
      `<rect x="${ox + grid.mark.x * cw + 0.5}" y="${oy + grid.mark.y * ch + 0.5}" width="${cw - 1}" height="${ch - 1}" fill="none" stroke="#222"/>`,
    );
  }
  // Row ruler (left): ticks at the centres of the indices they name, at least 12 px apart.
  const rowStep = Math.max(1, Math.ceil((12 * rowExtent) / gridH));
  for (const i of rulerIndices(rowExtent, rowStep)) {
    const ty = oy + ((i + 0.5) / rowExtent) * gridH;
    out.push(
      `<line x1="${ox - TICK}" x2="${ox}" y1="${ty}" y2="${ty}" stroke="#9ca3af"/>`,
      `<text x="${ox - TICK - 2}" y="${ty + 3.5}" font-size="10" text-anchor="end" fill="${TEXT_COLOR}">${i}</text>`,
    );
  }
  // Column ruler (below): at least one label's width apart.
  const labelWidth = width(String(colExtent - 1), TICK_FONT) + 6;
  const colStep = Math.max(1, Math.ceil((labelWidth * colExtent) / gridW));
  for (const i of rulerIndices(colExtent, colStep)) {
    const tx = ox + ((i + 0.5) / colExtent) * gridW;
    out.push(
      `<line x1="${tx}" x2="${tx}" y1="${oy + gridH}" y2="${oy + gridH + TICK}" stroke="#9ca3af"/>`,
      `<text x="${tx}" y="${oy + gridH + TICK + 10}" font-size="10" text-anchor="middle" fill="${TEXT_COLOR}">${i}</text>`,
    );
  }
  out.push(
    `<text x="${ox}" y="${oy + gridH + TICK + 25}" font-size="11" fill="#555">${esc(input.colTitle)}</text>`,
    `<text transform="translate(${p.x + 10} ${oy + gridH / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="#555">${esc(input.rowTitle)}</text>`,
    '</g>',
  );
  return out.join('');
}

function colorBarSvg(
  x: number,
  height: number,
  ticks: readonly { t: number }[],
  labels: readonly string[],
  title: string,
): string {
  const top = 20;
  // The bar samples the same lookup table as the cells, top = +limit.
  const stops: string[] = [];
  const samples = 21;
  for (let i = 0; i < samples; i++) {
    const t = 1 - (2 * i) / (samples - 1);
    const index = Math.round(((t + 1) / 2) * (lut.packed.length - 1));
    stops.push(
      `<stop offset="${(i / (samples - 1)).toFixed(3)}" stop-color="${rgbToHex(unpackRgb(lut.packed[index] as number))}"/>`,
    );
  }
  // Every bar is the same gradient, so one id serves the whole document.
  const id = 'ds-color-bar';
  const out = [
    `<g class="color-bar">`,
    `<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops.join('')}</linearGradient></defs>`,
    `<text x="${x}" y="${top - 8}" font-size="11" fill="#555">${esc(title)}</text>`,
    `<rect x="${x}" y="${top}" width="${BAR_WIDTH}" height="${height}" fill="url(#${id})" stroke="#d1d5db"/>`,
  ];
  ticks.forEach((tick, i) => {
    const ty = top + ((1 - tick.t) / 2) * height;
    out.push(
      `<line x1="${x + BAR_WIDTH}" x2="${x + BAR_WIDTH + TICK}" y1="${ty}" y2="${ty}" stroke="#9ca3af"/>`,
      `<text x="${x + BAR_WIDTH + TICK + 3}" y="${ty + 3.5}" font-size="10" fill="${TEXT_COLOR}">${esc(labels[i] ?? '')}</text>`,
    );
  });
  out.push('</g>');
  return out.join('');
}
