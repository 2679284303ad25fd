/**
 * Pan and zoom of a heatmap. A view places the matrix on screen with one scale across (columns) and
 * one down (rows): cell (row, col) covers the CSS-pixel rectangle
 * [x + col·sx, x + (col+1)·sx) × [y + row·sy, y + (row+1)·sy). Separate scales let a tall or wide
 * tensor (a 1014 × 64 first-layer kernel) fill the panel instead of being a thin strip in it.
 */

export interface HeatmapView {
  /** CSS pixels per cell across (a column's width). */
  sx: number;
  /** CSS pixels per cell down (a row's height). */
  sy: number;
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

/** Smallest and largest scale of each axis. */
export interface ZoomLimits {
  minSx: number;
  maxSx: number;
  minSy: number;
  maxSy: number;
}

/** Largest zoom: a cell side never grows beyond this many CSS pixels. */
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

/**
 * Each axis fills the viewport on its own: sx = min((W − 2p)/cols, maxCell), sy = min((H − 2p)/rows,
 * maxCell), matrix centred. The long side of a tall or wide tensor spans the panel and its short
 * side is stretched to fill the other direction.
 */
export function fitView(
  matrix: MatrixSize,
  viewport: Viewport,
  maxCellPx = MAX_CELL_PX,
  padding = 0,
): HeatmapView {
  checkMatrix(matrix, 'fitView');
  checkViewport(viewport, 'fitView');
  const pad = Math.max(0, Math.min(padding, viewport.width / 4, viewport.height / 4));
  const sx = Math.min((viewport.width - 2 * pad) / matrix.cols, maxCellPx);
  const sy = Math.min((viewport.height - 2 * pad) / matrix.rows, maxCellPx);
  return {
    sx,
    sy,
    x: (viewport.width - matrix.cols * sx) / 2,
    y: (viewport.height - matrix.rows * sy) / 2,
  };
}

/** Per axis: from a quarter of the fitting scale (the whole matrix small) up to maxCellPx per cell. */
export function zoomLimits(matrix: MatrixSize, viewport: Viewport, maxCellPx = MAX_CELL_PX): ZoomLimits {
  const fit = fitView(matrix, viewport, maxCellPx);
  return {
    minSx: fit.sx / 4,
    maxSx: Math.max(fit.sx, maxCellPx),
    minSy: fit.sy / 4,
    maxSy: Math.max(fit.sy, maxCellPx),
  };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * s' = clamp(s·factor) on each axis (a tall tensor's columns stop growing at the largest cell while
 * its rows keep zooming); the matrix point under (px, py) stays there: x' = px − (px − x)·sx'/sx.
 */
export function zoomAt(
  view: HeatmapView,
  factor: number,
  px: number,
  py: number,
  limits: ZoomLimits,
): HeatmapView {
  if (!(factor > 0 && Number.isFinite(factor)))
    throw new RangeError(`zoomAt: factor must be > 0, got ${factor}`);
  const sx = clamp(view.sx * factor, limits.minSx, limits.maxSx);
  const sy = clamp(view.sy * factor, limits.minSy, limits.maxSy);
  return { sx, sy, x: px - ((px - view.x) * sx) / view.sx, y: py - ((py - view.y) * sy) / view.sy };
}

/** Moves the matrix by (dx, dy) CSS pixels. */
export function panBy(view: HeatmapView, dx: number, dy: number): HeatmapView {
  return { ...view, x: view.x + dx, y: view.y + dy };
}

/** Keeps at least min(margin, matrix extent) pixels of the matrix inside the viewport on each axis. */
export function clampView(
  view: HeatmapView,
  matrix: MatrixSize,
  viewport: Viewport,
  margin = 48,
): HeatmapView {
  const width = matrix.cols * view.sx;
  const height = matrix.rows * view.sy;
  const keepX = Math.min(margin, width, viewport.width);
  const keepY = Math.min(margin, height, viewport.height);
  return {
    ...view,
    x: clamp(view.x, keepX - width, viewport.width - keepX),
    y: clamp(view.y, keepY - height, viewport.height - keepY),
  };
}

/** The cell under screen point (px, py): col = ⌊(px − x)/sx⌋, row = ⌊(py − y)/sy⌋; null outside the matrix. */
export function cellAt(
  view: HeatmapView,
  px: number,
  py: number,
  matrix: MatrixSize,
): { row: number; col: number } | null {
  const col = Math.floor((px - view.x) / view.sx);
  const row = Math.floor((py - view.y) / view.sy);
  if (row < 0 || col < 0 || row >= matrix.rows || col >= matrix.cols) return null;
  return { row, col };
}

/** The cells at least partly inside the viewport; null when none is. */
export function visibleCells(view: HeatmapView, viewport: Viewport, matrix: MatrixSize): CellRange | null {
  const col0 = Math.max(0, Math.floor(-view.x / view.sx));
  const row0 = Math.max(0, Math.floor(-view.y / view.sy));
  const col1 = Math.min(matrix.cols, Math.ceil((viewport.width - view.x) / view.sx));
  const row1 = Math.min(matrix.rows, Math.ceil((viewport.height - view.y) / view.sy));
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
 * The level of detail for one axis' scale: the smallest L whose pooled cells (2^L cells) cover at
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

/** Tiles pool square blocks; beyond this many levels between the axes the finer axis is pooled too. */
export const MAX_POOL_SKEW = 4;

export interface ViewDetail {
  /** Level of the tiles to fetch (each pools 2^level × 2^level cells). */
  level: number;
  /** Further pooling of those tiles' rows and columns (powers of two), done in the renderer. */
  rowPool: number;
  colPool: number;
}

/**
 * Detail for a view with different scales across and down: each axis wants its own level
 * (levelForScale); tiles come at the finer of the two (at most MAX_POOL_SKEW levels finer than the
 * coarser one, so a very thin view does not fetch the whole tensor), and the coarser axis is pooled
 * further so every drawn cell still covers at least one device pixel.
 */
export function detailForView(view: HeatmapView, pixelRatio: number, maxLevel: number): ViewDetail {
  const across = levelForScale(view.sx, pixelRatio, maxLevel);
  const down = levelForScale(view.sy, pixelRatio, maxLevel);
  const level = Math.max(Math.min(across, down), Math.max(across, down) - MAX_POOL_SKEW);
  return detailAt(view, pixelRatio, maxLevel, level);
}

/** The further pooling that tiles of `level` need for this view (coarser tiles need less or none). */
export function detailAt(view: HeatmapView, pixelRatio: number, maxLevel: number, level: number): ViewDetail {
  const across = levelForScale(view.sx, pixelRatio, maxLevel);
  const down = levelForScale(view.sy, pixelRatio, maxLevel);
  return { level, rowPool: 2 ** Math.max(0, down - level), colPool: 2 ** Math.max(0, across - level) };
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

/** Where a tile lands on screen: its matrix-cell extent (rows·rowFactor × cols·colFactor) times the scales. */
export function tileScreenRect(
  tile: {
    rowStart: number;
    colStart: number;
    rows: number;
    cols: number;
    rowFactor: number;
    colFactor: number;
  },
  view: HeatmapView,
): { x: number; y: number; width: number; height: number } {
  return {
    x: view.x + tile.colStart * view.sx,
    y: view.y + tile.rowStart * view.sy,
    width: tile.cols * tile.colFactor * view.sx,
    height: tile.rows * tile.rowFactor * view.sy,
  };
}

/**
 * Display size of a whole-tensor thumbnail in a box×box frame: a matrix fills the frame whatever its
 * aspect (a 1014 × 64 kernel is as legible as a 64 × 64 one; the shape is printed beside it); a
 * single row (a bias) stays a strip of box/8 px (at least minSide).
 */
export function thumbnailSize(
  matrix: MatrixSize,
  box: number,
  minSide = 10,
): { width: number; height: number } {
  checkMatrix(matrix, 'thumbnailSize');
  const strip = Math.max(minSide, Math.round(box / 8));
  if (matrix.rows === 1 && matrix.cols === 1) return { width: strip, height: strip };
  if (matrix.rows === 1) return { width: box, height: strip };
  if (matrix.cols === 1) return { width: strip, height: box };
  return { width: box, height: box };
}
