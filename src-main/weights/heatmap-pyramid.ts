import { DeltascopeError } from '../shared/errors';
import {
  heatmapTile,
  levelSize,
  type HeatmapMatrix,
  type HeatmapTile,
  type TileRequest,
} from './heatmap-tiles';

/**
 * The level-of-detail pyramid of a heatmap matrix, built once when a tensor is first viewed: level
 * L + 1 pools the 2×2 blocks of level L, so every level costs a quarter of the one below and all of
 * them together a third of the matrix. A tile of level L ≥ 1 is then a copy out of level L instead of
 * a pass over 4^L matrix cells per tile cell. Pooling keeps the element of largest |v| (ties: the
 * larger value), which is associative, so a pyramid tile equals `heatmapTile` of the matrix (up to
 * the sign of a zero in a block whose other cells are all NaN).
 */

/** One level up: each cell the element of largest |v| of its 2×2 block (ties → larger v; NaN ignored; an all-NaN block → 0). */
export function poolByTwo(matrix: HeatmapMatrix): HeatmapMatrix {
  const outRows = Math.ceil(matrix.rows / 2);
  const outCols = Math.ceil(matrix.cols / 2);
  const out = new Float32Array(outRows * outCols);
  poolRowsByTwo(matrix, 0, outRows, out);
  return { rows: outRows, cols: outCols, layout: matrix.layout, data: out };
}

/**
 * Output rows [outRow0, outRow1) of `poolByTwo(matrix)` into `out` (the whole level's array): a
 * caller that produces the matrix a few rows at a time pools them while they are in cache.
 */
export function poolRowsByTwo(
  matrix: { rows: number; cols: number; data: Float32Array },
  outRow0: number,
  outRow1: number,
  out: Float32Array,
): void {
  const { rows, cols, data } = matrix;
  const outCols = Math.ceil(cols / 2);
  for (let r = outRow0; r < outRow1; r++) {
    const top = 2 * r * cols;
    // A last odd row pairs with itself (the same element twice changes nothing).
    const bottom = 2 * r + 1 < rows ? top + cols : top;
    const o = r * outCols;
    for (let k = 0; k < outCols; k++) {
      const c = 2 * k;
      const right = c + 1 < cols ? 1 : 0;
      // Largest |v| first, then the larger v; NaN (never ≥ 0) never wins; nothing → 0.
      let best = 0;
      let bestAbs = -1;
      let v = data[top + c]!;
      let a = v < 0 ? -v : v;
      if (a > bestAbs || (a === bestAbs && v > best)) {
        best = v;
        bestAbs = a;
      }
      v = data[top + c + right]!;
      a = v < 0 ? -v : v;
      if (a > bestAbs || (a === bestAbs && v > best)) {
        best = v;
        bestAbs = a;
      }
      v = data[bottom + c]!;
      a = v < 0 ? -v : v;
      if (a > bestAbs || (a === bestAbs && v > best)) {
        best = v;
        bestAbs = a;
      }
      v = data[bottom + c + right]!;
      a = v < 0 ? -v : v;
      if (a > bestAbs || (a === bestAbs && v > best)) {
        best = v;
        bestAbs = a;
      }
      out[o + k] = best;
    }
  }
}

/** Levels 1 … `top` of the matrix (index L − 1 holds level L); `level1`, if given, is level 1 already pooled. */
export function buildPyramid(matrix: HeatmapMatrix, top: number, level1?: HeatmapMatrix): HeatmapMatrix[] {
  if (!Number.isInteger(top) || top < 0 || top > 30) {
    throw new DeltascopeError('INVALID_SPEC', `pyramid top level must be an integer in 0..30; got ${top}`);
  }
  const levels: HeatmapMatrix[] = [];
  let current = matrix;
  for (let level = 1; level <= top; level++) {
    current = level === 1 && level1 !== undefined ? level1 : poolByTwo(current);
    levels.push(current);
  }
  return levels;
}

/**
 * One tile of `level`, cut from the pyramid when it holds that level (else pooled from the matrix):
 * the same cells, factor and position as `heatmapTile(matrix, request)`.
 */
export function pyramidTile(
  matrix: HeatmapMatrix,
  pyramid: readonly HeatmapMatrix[],
  request: TileRequest,
): HeatmapTile {
  const stored = request.level >= 1 ? pyramid[request.level - 1] : undefined;
  if (stored === undefined) return heatmapTile(matrix, request);
  const size = levelSize(matrix, request.level);
  if (stored.rows !== size.rows || stored.cols !== size.cols) {
    throw new DeltascopeError(
      'INTERNAL',
      `pyramid level ${request.level} is ${stored.rows}×${stored.cols}; the matrix needs ${size.rows}×${size.cols}`,
    );
  }
  const tile = heatmapTile(stored, { ...request, level: 0 });
  const factor = 2 ** request.level;
  return {
    ...tile,
    level: request.level,
    factor,
    rowStart: tile.rowStart * factor,
    colStart: tile.colStart * factor,
    matrixRows: matrix.rows,
    matrixCols: matrix.cols,
  };
}
