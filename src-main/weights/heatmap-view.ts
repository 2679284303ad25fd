import { DeltascopeError } from '../shared/errors';
import {
  absPercentileBin,
  absPercentileFrom,
  absPercentileIn,
  addToAbsHistogram,
  emptyAbsHistogram,
  type AbsHistogram,
  type AbsPercentile,
} from './abs-percentile';
import { absInRange, poolingPass, readRegion, type HeatmapReader } from './heatmap-pass';
import { buildPyramid, poolRowsByTwo } from './heatmap-pyramid';
import {
  heatmapTile,
  levelSize,
  levelToFit,
  matrixShape,
  poolMatrix,
  tensorAsMatrix,
  tileWindow,
  type HeatmapMatrix,
  type HeatmapTile,
  type MatrixLayout,
  type TileRequest,
} from './heatmap-tiles';
import { shapeSize } from './tensor-map';

/**
 * A tensor's heatmap, built when it is first viewed, in one pass over its values. A tensor of at
 * most `fullCells` cells is kept whole (level 0) with its level-of-detail pyramid, so every tile is
 * a copy. A larger one (a 4096 × 11008 projection of a 7B model: 45M values) is not: the pass
 * (heatmap-pass.ts; in C when the addon is built) pools it straight to its base level, the first
 * level of at most `fullCells` cells, and fills the |v| histogram of its colour scale; the levels
 * above pool the base. Its first paint (the fit level, a few levels up) is then a copy; a tile
 * below the base (zoomed in) is pooled from a read of just its region; a colour percentile takes
 * one more pass that collects the values of the histogram bin holding it. So memory is bounded by
 * `fullCells` whatever the tensor's size.
 */

export interface HeatmapView {
  rows: number;
  cols: number;
  layout: MatrixLayout;
  /** Level of levels[0]: 0 when the matrix is kept whole. */
  baseLevel: number;
  /** Levels baseLevel … top (levels[i] is level baseLevel + i; the top one is a single cell). */
  levels: HeatmapMatrix[];
  histogram: AbsHistogram;
}

/** Cells kept per view: 4 Mi (16 MiB of float32), so a 4096 × 11008 tensor is kept at level 2. */
export const FULL_CELLS = 1 << 22;
/** Elements per chunk of the whole-matrix build (rounded to whole row pairs). */
const CHUNK_ELEMENTS = 1 << 20;

export interface HeatmapViewOptions {
  /** Largest level kept in memory, in cells (default FULL_CELLS). */
  fullCells?: number;
  /** Lowest base level: a thumbnail needs no level below its own. */
  minBaseLevel?: number;
  /** Elements per chunk read (tests use small ones). */
  chunkElements?: number;
}

/** The level a view of this matrix keeps as its base (0 for a conv mosaic, which is read whole). */
export function baseLevelOf(shape: readonly number[], fullCells = FULL_CELLS, minBaseLevel = 0): number {
  const matrix = matrixShape(shape);
  if (matrix.layout === 'conv-mosaic') return 0;
  let level = minBaseLevel;
  const cells = (l: number) => levelSize(matrix, l).rows * levelSize(matrix, l).cols;
  while (cells(level) > fullCells && level < 30) level++;
  return level;
}

export function buildHeatmapView(reader: HeatmapReader, options: HeatmapViewOptions = {}): HeatmapView {
  const base = baseLevelOf(reader.shape, options.fullCells, options.minBaseLevel);
  if (base === 0) return wholeView(reader, options.chunkElements);
  const { pooled, histogram } = poolingPass(reader, base, options.chunkElements);
  const { rows, cols, layout } = matrixShape(reader.shape);
  const top = Math.max(base, levelToFit({ rows, cols }, 1));
  return {
    rows,
    cols,
    layout,
    baseLevel: base,
    levels: [pooled, ...buildPyramid(pooled, top - base)],
    histogram,
  };
}

/**
 * The whole matrix and its pyramid, read a few rows at a time: each chunk of whole row pairs is
 * added to the histogram and pooled into level 1 while it is still in cache. A conv kernel (a
 * mosaic, not in storage order) is read whole, then pooled.
 */
function wholeView(reader: HeatmapReader, chunkElements = CHUNK_ELEMENTS): HeatmapView {
  const { shape } = reader;
  const { rows, cols, layout } = matrixShape(shape);
  const histogram = emptyAbsHistogram();
  const data = new Float32Array(shapeSize(shape));
  if (layout === 'conv-mosaic') {
    reader.fill(0, data);
    const matrix = tensorAsMatrix(shape, data);
    addToAbsHistogram(matrix.data, 0, matrix.data.length, histogram);
    const levels = [matrix, ...buildPyramid(matrix, levelToFit(matrix, 1))];
    return { rows, cols, layout, baseLevel: 0, levels, histogram };
  }
  const matrix: HeatmapMatrix = { rows, cols, layout, data };
  const top = levelToFit(matrix, 1);
  const level1: HeatmapMatrix = {
    rows: Math.ceil(rows / 2),
    cols: Math.ceil(cols / 2),
    layout,
    data: new Float32Array(Math.ceil(rows / 2) * Math.ceil(cols / 2)),
  };
  const chunkRows = Math.max(2, 2 * Math.floor(chunkElements / (2 * Math.max(1, cols))));
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const r1 = Math.min(rows, r0 + chunkRows);
    if (cols > 0) reader.fill(r0 * cols, data.subarray(r0 * cols, r1 * cols));
    addToAbsHistogram(data, r0 * cols, r1 * cols, histogram);
    if (top >= 1) poolRowsByTwo(matrix, r0 / 2, Math.ceil(r1 / 2), level1.data);
  }
  const levels = [matrix, ...(top >= 1 ? buildPyramid(matrix, top, level1) : [])];
  return { rows, cols, layout, baseLevel: 0, levels, histogram };
}

/** Bytes a view holds. */
export function viewBytes(view: HeatmapView): number {
  return view.levels.reduce((sum, level) => sum + level.data.byteLength, view.histogram.counts.byteLength);
}

/** A kept level, or null below the base. */
function keptLevel(view: HeatmapView, level: number): HeatmapMatrix | null {
  return level >= view.baseLevel ? (view.levels[level - view.baseLevel] ?? null) : null;
}

/** Whether a tile of `level` needs a read of the tensor (it lies below the view's base). */
export function tileNeedsRead(view: HeatmapView, level: number): boolean {
  return level < view.baseLevel;
}

/**
 * One tile, as heatmapTile(whole matrix, request) gives it: cut from a kept level, or, below the
 * base, pooled from a read of its region (`reader` is then required).
 */
export function viewTile(view: HeatmapView, request: TileRequest, reader: HeatmapReader | null): HeatmapTile {
  const { row0, col0, rows, cols, factor } = tileWindow(view, request);
  const placed = (data: Float32Array): HeatmapTile => ({
    data,
    rows,
    cols,
    level: request.level,
    factor,
    rowStart: row0 * factor,
    colStart: col0 * factor,
    matrixRows: view.rows,
    matrixCols: view.cols,
  });
  const kept = keptLevel(view, request.level);
  if (kept !== null) {
    // A kept level above the top (a request past the single cell) pools the top further.
    return placed(heatmapTile(kept, { ...request, level: 0 }).data);
  }
  if (request.level > view.baseLevel) {
    const top = view.levels[view.levels.length - 1]!;
    const up = request.level - (view.baseLevel + view.levels.length - 1);
    return placed(heatmapTile(top, { ...request, level: up }).data);
  }
  if (reader === null) {
    throw new DeltascopeError(
      'INTERNAL',
      `a tile of level ${request.level} (below the view's base ${view.baseLevel}) needs a reader`,
    );
  }
  const regionRows = Math.min(rows * factor, view.rows - row0 * factor);
  const regionCols = Math.min(cols * factor, view.cols - col0 * factor);
  const region = readRegion(reader, row0 * factor, regionRows, col0 * factor, regionCols);
  return placed(poolMatrix(region, request.level).data);
}

/** The p-th percentile of |v| (nearest rank, exact): from the kept matrix, or one pass over `reader` for the values of its bin. */
export function viewPercentile(
  view: HeatmapView,
  percentile: number,
  reader: HeatmapReader | null,
): AbsPercentile {
  if (view.baseLevel === 0) return absPercentileFrom(view.levels[0]!.data, view.histogram, percentile);
  const bin = absPercentileBin(view.histogram, view.rows * view.cols, percentile);
  if (bin === null) return { value: 0, maxAbs: 0, count: 0 };
  if (reader === null) {
    throw new DeltascopeError(
      'INTERNAL',
      `the percentile of a view kept at level ${view.baseLevel} needs a reader`,
    );
  }
  return absPercentileIn(bin, absInRange(reader, bin.low, bin.high, bin.inBin));
}
