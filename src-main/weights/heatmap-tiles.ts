import { DeltascopeError } from '../shared/errors';
import { absPercentile } from './abs-percentile';
import { formatShape, shapeSize } from './tensor-map';

/**
 * Tensors as 2-D images for the heatmap renderer: layout, level-of-detail pooling that keeps
 * extremes visible, and a robust symmetric colour scale. Output is plain Float32Array + shape.
 *
 * Layouts (row-major, tfjs/Keras weight order):
 *   []                   → 1×1                'scalar'
 *   [n]        (bias)    → 1×n                'strip'
 *   [in, out]  (dense)   → in×out             'matrix'   (a zero-copy view)
 *   [kh,kw,in,out] (conv)→ (in·kh)×(out·kw)   'conv-mosaic': the kh×kw filter tile of input channel i
 *                          and output channel o sits at block row i, block column o, so
 *                          cell (i·kh + y, o·kw + x) = W[y, x, i, o]
 *   other ranks          → (∏ leading dims)×last   'flattened' (a zero-copy view)
 */

export type MatrixLayout = 'scalar' | 'strip' | 'matrix' | 'conv-mosaic' | 'flattened';

export interface HeatmapMatrix {
  rows: number;
  cols: number;
  layout: MatrixLayout;
  /** rows·cols values, row-major. */
  data: Float32Array;
}

export interface HeatmapTile {
  /** rows·cols pooled values, row-major. */
  data: Float32Array;
  rows: number;
  cols: number;
  /** LOD level: one tile cell pools a factor×factor block of the matrix, factor = 2^level. */
  level: number;
  factor: number;
  /** Matrix cell at the tile's top-left corner. */
  rowStart: number;
  colStart: number;
  /** Size of the full matrix. */
  matrixRows: number;
  matrixCols: number;
}

export const DEFAULT_TILE_SIZE = 256;

/** rows×cols and layout of a tensor of this shape (see the table above). */
export function matrixShape(shape: readonly number[]): { rows: number; cols: number; layout: MatrixLayout } {
  if (shape.length === 0) return { rows: 1, cols: 1, layout: 'scalar' };
  if (shape.length === 1) return { rows: 1, cols: shape[0]!, layout: 'strip' };
  if (shape.length === 2) return { rows: shape[0]!, cols: shape[1]!, layout: 'matrix' };
  if (shape.length === 4) {
    const [kh, kw, inC, outC] = shape as [number, number, number, number];
    return { rows: inC * kh, cols: outC * kw, layout: 'conv-mosaic' };
  }
  const cols = shape[shape.length - 1]!;
  return { rows: shapeSize(shape.slice(0, -1)), cols, layout: 'flattened' };
}

/** The tensor as a 2-D matrix; a view for every layout except the conv mosaic (one copy). */
export function tensorAsMatrix(shape: readonly number[], data: Float32Array): HeatmapMatrix {
  const size = shapeSize(shape);
  if (data.length !== size) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `tensor of shape ${formatShape(shape)} needs ${size} values; data has ${data.length}`,
    );
  }
  const { rows, cols, layout } = matrixShape(shape);
  if (layout !== 'conv-mosaic') return { rows, cols, layout, data };
  const [kh, kw, inC, outC] = shape as [number, number, number, number];
  const mosaic = new Float32Array(size);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < inC; i++) {
        const src = ((y * kw + x) * inC + i) * outC;
        const rowOffset = (i * kh + y) * cols;
        for (let o = 0; o < outC; o++) mosaic[rowOffset + o * kw + x] = data[src + o]!;
      }
    }
  }
  return { rows, cols, layout, data: mosaic };
}

function checkLevel(level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > 30) {
    throw new DeltascopeError('INVALID_SPEC', `heatmap level must be an integer in 0..30; got ${level}`);
  }
  return 2 ** level;
}

/** Size of the whole matrix at `level`: ⌈rows/2^level⌉ × ⌈cols/2^level⌉. */
export function levelSize(
  matrix: { rows: number; cols: number },
  level: number,
): { rows: number; cols: number } {
  const factor = checkLevel(level);
  return { rows: Math.ceil(matrix.rows / factor), cols: Math.ceil(matrix.cols / factor) };
}

/** The smallest level at which the whole matrix fits in maxSize×maxSize cells. */
export function levelToFit(matrix: { rows: number; cols: number }, maxSize: number): number {
  if (!Number.isInteger(maxSize) || maxSize < 1) {
    throw new DeltascopeError('INVALID_SPEC', `maxSize must be a positive integer; got ${maxSize}`);
  }
  let level = 0;
  while (Math.max(matrix.rows, matrix.cols) > maxSize * 2 ** level) level++;
  return level;
}

/**
 * Pools the factor×factor blocks of the matrix covering output cells [row0, row0+rows) ×
 * [col0, col0+cols): each cell takes the block element of largest |v|, sign kept (not the mean,
 * which would wash a single spike out); of equal |v| the larger value. NaN is ignored; an all-NaN
 * block gives 0.
 */
function poolRegion(
  matrix: HeatmapMatrix,
  factor: number,
  row0: number,
  col0: number,
  rows: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(rows * cols);
  const bestAbs = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    bestAbs.fill(-1);
    const outRow = r * cols;
    const srcRowEnd = Math.min((row0 + r + 1) * factor, matrix.rows);
    for (let sr = (row0 + r) * factor; sr < srcRowEnd; sr++) {
      const base = sr * matrix.cols;
      for (let c = 0; c < cols; c++) {
        const srcColEnd = Math.min((col0 + c + 1) * factor, matrix.cols);
        for (let sc = (col0 + c) * factor; sc < srcColEnd; sc++) {
          const v = matrix.data[base + sc]!;
          const a = v < 0 ? -v : v;
          // Ties go to the larger value, so pooling is associative (heatmap-pyramid.ts relies on it).
          if (a > bestAbs[c]! || (a === bestAbs[c]! && v > out[outRow + c]!)) {
            bestAbs[c] = a;
            out[outRow + c] = v;
          }
        }
      }
    }
  }
  return out;
}

/** The whole matrix pooled at `level` (factor 2^level in both directions). */
export function poolMatrix(matrix: HeatmapMatrix, level: number): HeatmapTile {
  const factor = checkLevel(level);
  const size = levelSize(matrix, level);
  const window = { row0: 0, col0: 0, rows: size.rows, cols: size.cols, factor };
  return placedTile(window, level, matrix, poolRegion(matrix, factor, 0, 0, size.rows, size.cols));
}

export interface TileRequest {
  level: number;
  tileRow: number;
  tileCol: number;
  /** Cells per tile side. Default 256. */
  tileSize?: number;
}

/** Where a tile lies in its level: its first cell and size in level cells, and the level's factor. */
export interface TileWindow {
  row0: number;
  col0: number;
  rows: number;
  cols: number;
  factor: number;
}

/** Where a tile of the level pyramid lies (requests checked). */
export function tileWindow(matrix: { rows: number; cols: number }, request: TileRequest): TileWindow {
  const { level, tileRow, tileCol, tileSize = DEFAULT_TILE_SIZE } = request;
  const factor = checkLevel(level);
  const size = levelSize(matrix, level);
  const tilesDown = Math.ceil(size.rows / tileSize);
  const tilesAcross = Math.ceil(size.cols / tileSize);
  if (!Number.isInteger(tileSize) || tileSize < 1) {
    throw new DeltascopeError('INVALID_SPEC', `tileSize must be a positive integer; got ${tileSize}`);
  }
  if (
    !Number.isInteger(tileRow) ||
    !Number.isInteger(tileCol) ||
    tileRow < 0 ||
    tileCol < 0 ||
    tileRow >= tilesDown ||
    tileCol >= tilesAcross
  ) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `tile (${tileRow}, ${tileCol}) is outside the ${tilesDown}×${tilesAcross} tiles of level ${level}`,
    );
  }
  const row0 = tileRow * tileSize;
  const col0 = tileCol * tileSize;
  return {
    row0,
    col0,
    rows: Math.min(tileSize, size.rows - row0),
    cols: Math.min(tileSize, size.cols - col0),
    factor,
  };
}

/**
 * The tile of `level` whose cells are `data`, placed where `window` lies in a matrix of
 * `matrix.rows` × `matrix.cols` (its top-left matrix cell is the window's first cell × factor).
 */
export function placedTile(
  window: TileWindow,
  level: number,
  matrix: { rows: number; cols: number },
  data: Float32Array,
): HeatmapTile {
  const { row0, col0, rows, cols, factor } = window;
  return {
    data,
    rows,
    cols,
    level,
    factor,
    rowStart: row0 * factor,
    colStart: col0 * factor,
    matrixRows: matrix.rows,
    matrixCols: matrix.cols,
  };
}

/** One tileSize×tileSize tile of the level pyramid (edge tiles are smaller). */
export function heatmapTile(matrix: HeatmapMatrix, request: TileRequest): HeatmapTile {
  const window = tileWindow(matrix, request);
  const { row0, col0, rows, cols, factor } = window;
  return placedTile(window, request.level, matrix, poolRegion(matrix, factor, row0, col0, rows, cols));
}

/** The whole matrix at the first level that fits in maxSize×maxSize cells. */
export function heatmapOverview(matrix: HeatmapMatrix, maxSize = 512): HeatmapTile {
  return poolMatrix(matrix, levelToFit(matrix, maxSize));
}

export interface ColorScale {
  /** Colours saturate at ±limit. */
  limit: number;
  percentile: number;
  maxAbs: number;
}

/**
 * limit = the p-th percentile of |v| by nearest rank (the ⌈p/100·n⌉-th smallest finite |v|), found
 * by histogram selection over |v|'s bit pattern (abs-percentile.ts), not a sort. If that is 0 (a mostly-zero tensor) the limit falls back to
 * max|v| so the few non-zero cells still show; it is 0 only when every value is 0.
 */
export function symmetricColorScale(data: Float32Array, percentile = 99): ColorScale {
  if (!(percentile > 0 && percentile <= 100)) {
    throw new DeltascopeError('INVALID_SPEC', `percentile must be in (0, 100]; got ${percentile}`);
  }
  const { value, maxAbs, count } = absPercentile(data, percentile);
  if (count === 0) return { limit: 0, percentile, maxAbs: 0 };
  return { limit: value > 0 ? value : maxAbs, percentile, maxAbs };
}
