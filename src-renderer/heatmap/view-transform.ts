/**
 * Pan and zoom of a heatmap. A view places the matrix on screen: cell (row, col) covers the CSS-pixel
 * square [x + col·scale, x + (col+1)·scale) × [y + row·scale, y + (row+1)·scale).
 */

export interface HeatmapView {
  /** CSS pixels per cell side. */
  scale: number;
  /** Screen position of the matrix's top-left corner. */
  x: number;
  y: number;
}

export interface Viewport {
  width: number;
  height: number;
}

export interface MatrixSize {
  rows: number;
  cols: number;
}

export interface CellRange {
  /** Inclusive start, exclusive end. */
  row0: number;
  row1: number;
  col0: number;
  col1: number;
}

export interface ZoomLimits {
  minScale: number;
  maxScale: number;
}

/** Largest zoom: a cell never grows beyond this many CSS pixels. */
export const MAX_CELL_PX = 64;

function checkMatrix(matrix: MatrixSize, fn: string): void {
  if (!(
    Number.isInteger(matrix.rows) &&
    Number.isInteger(matrix.cols) &&
    matrix.rows > 0 &&
    matrix.cols > 0
  )) {
    throw new RangeError(
      `${fn}: matrix must have positive integer rows and cols, got ${matrix.rows}×${matrix.cols}`,
    );
  }
}

function checkViewport(viewport: Viewport, fn: string): void {
  if (!(viewport.width > 0 && viewport.height > 0)) {
    throw new RangeError(`${fn}: viewport must be larger than 0×0, got ${viewport.width}×${viewport.height}`);
  }
}

/** scale = min((W − 2p)/cols, (H − 2p)/rows, maxCell), matrix centred: the whole matrix visible. */
export function fitView(
  matrix: MatrixSize,
  viewport: Viewport,
  maxCellPx = MAX_CELL_PX,
  padding = 0,
): HeatmapView {
  checkMatrix(matrix, 'fitView');
  checkViewport(viewport, 'fitView');
  const pad = Math.max(0, Math.min(padding, viewport.width / 4, viewport.height / 4));
  const scale = Math.min(
    (viewport.width - 2 * pad) / matrix.cols,
    (viewport.height - 2 * pad) / matrix.rows,
    maxCellPx,
  );
  return {
    scale,
    x: (viewport.width - matrix.cols * scale) / 2,
    y: (viewport.height - matrix.rows * scale) / 2,
  };
}

/** From a quarter of the fitting scale (the whole matrix small) up to maxCellPx per cell. */
export function zoomLimits(matrix: MatrixSize, viewport: Viewport, maxCellPx = MAX_CELL_PX): ZoomLimits {
  const fit = fitView(matrix, viewport, maxCellPx).scale;
  return { minScale: Math.min(fit, fit / 4), maxScale: Math.max(fit, maxCellPx) };
}

/** s' = clamp(s·factor); the matrix point under (px, py) stays there: x' = px − (px − x)·s'/s. */
export function zoomAt(
  view: HeatmapView,
  factor: number,
  px: number,
  py: number,
  limits: ZoomLimits,
): HeatmapView {
  if (!(factor > 0 && Number.isFinite(factor)))
    throw new RangeError(`zoomAt: factor must be > 0, got ${factor}`);
  const scale = Math.min(limits.maxScale, Math.max(limits.minScale, view.scale * factor));
  const ratio = scale / view.scale;
  return { scale, x: px - (px - view.x) * ratio, y: py - (py - view.y) * ratio };
}

/** Moves the matrix by (dx, dy) CSS pixels. */
export function panBy(view: HeatmapView, dx: number, dy: number): HeatmapView {
  return { scale: view.scale, x: view.x + dx, y: view.y + dy };
}

/** Keeps at least min(margin, matrix extent) pixels of the matrix inside the viewport on each axis. */
export function clampView(
  view: HeatmapView,
  matrix: MatrixSize,
  viewport: Viewport,
  margin = 48,
): HeatmapView {
  const width = matrix.cols * view.scale;
  const height = matrix.rows * view.scale;
  const keepX = Math.min(margin, width, viewport.width);
  const keepY = Math.min(margin, height, viewport.height);
  return {
    scale: view.scale,
    x: Math.min(viewport.width - keepX, Math.max(keepX - width, view.x)),
    y: Math.min(viewport.height - keepY, Math.max(keepY - height, view.y)),
  };
}

/** The cell under screen point (px, py): col = ⌊(px − x)/s⌋, row = ⌊(py − y)/s⌋; null outside the matrix. */
export function cellAt(
  view: HeatmapView,
  px: number,
  py: number,
  matrix: MatrixSize,
): { row: number; col: number } | null {
  const col = Math.floor((px - view.x) / view.scale);
  const row = Math.floor((py - view.y) / view.scale);
  if (row < 0 || col < 0 || row >= matrix.rows || col >= matrix.cols) return null;
  return { row, col };
}

/** The cells at least partly inside the viewport; null when none is. */
export function visibleCells(view: HeatmapView, viewport: Viewport, matrix: MatrixSize): CellRange | null {
  const col0 = Math.max(0, Math.floor(-view.x / view.scale));
  const row0 = Math.max(0, Math.floor(-view.y / view.scale));
  const col1 = Math.min(matrix.cols, Math.ceil((viewport.width - view.x) / view.scale));
  const row1 = Math.min(matrix.rows, Math.ceil((viewport.height - view.y) / view.scale));
  return col0 >= col1 || row0 >= row1 ? null : { row0, row1, col0, col1 };
}

/** The smallest L with max(rows, cols) ≤ tileSize·2^L: at L the whole matrix is one tile. */
export function topLevel(matrix: MatrixSize, tileSize: number): number {
  checkMatrix(matrix, 'topLevel');
  let level = 0;
  while (Math.max(matrix.rows, matrix.cols) > tileSize * 2 ** level) level += 1;
  return level;
}

/**
 * The level of detail for a zoom: the smallest L whose pooled cells (2^L cells each way) cover at
 * least one device pixel, L = max(0, ⌈log₂(1/(s·dpr))⌉), so no pooled extreme falls between pixels.
 */
export function levelForScale(scale: number, pixelRatio: number, maxLevel: number): number {
  if (!(scale > 0 && pixelRatio > 0)) {
    throw new RangeError(`levelForScale: scale and pixelRatio must be > 0, got ${scale} and ${pixelRatio}`);
  }
  const devicePx = scale * pixelRatio;
  // The epsilon keeps exact powers of two (s·dpr = 1/4 → L = 2) from rounding up a level.
  const level = devicePx >= 1 ? 0 : Math.ceil(Math.log2(1 / devicePx) - 1e-9);
  return Math.min(maxLevel, Math.max(0, level));
}

export interface TileAddress {
  level: number;
  tileRow: number;
  tileCol: number;
}

/** Tiles of `level` (tileSize pooled cells a side, each 2^L matrix cells) that cover `range`. */
export function tilesCovering(range: CellRange, level: number, tileSize: number): TileAddress[] {
  const span = tileSize * 2 ** level;
  const tiles: TileAddress[] = [];
  for (let tileRow = Math.floor(range.row0 / span); tileRow * span < range.row1; tileRow += 1) {
    for (let tileCol = Math.floor(range.col0 / span); tileCol * span < range.col1; tileCol += 1) {
      tiles.push({ level, tileRow, tileCol });
    }
  }
  return tiles;
}

/** Where a tile lands on screen: its matrix-cell extent times the scale, offset by the view. */
export function tileScreenRect(
  tile: { rowStart: number; colStart: number; rows: number; cols: number; factor: number },
  view: HeatmapView,
): { x: number; y: number; width: number; height: number } {
  return {
    x: view.x + tile.colStart * view.scale,
    y: view.y + tile.rowStart * view.scale,
    width: tile.cols * tile.factor * view.scale,
    height: tile.rows * tile.factor * view.scale,
  };
}
