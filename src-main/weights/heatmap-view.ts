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
import { absInRange, poolingPass, readRegion, type HeatmapReader, type PassWindow } from './heatmap-pass';
import { buildPyramid, poolRowsByTwo } from './heatmap-pyramid';
import {
  heatmapTile,
  levelSize,
  levelToFit,
  matrixShape,
  placedTile,
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
  /** Percentiles of |v| found while building (a view kept above level 0 finds the one it was asked for in its pass). */
  percentiles: Map<number, AbsPercentile>;
}

/** Cells kept per view: 1 Mi (4 MiB of float32), so a 4096 × 11008 tensor is kept from level 3 (512 × 1376) up. */
export const FULL_CELLS = 1 << 20;
/** Elements per chunk of the whole-matrix build (rounded to whole row pairs). */
const CHUNK_ELEMENTS = 1 << 20;

export interface HeatmapViewOptions {
  /** Largest level kept in memory, in cells (default FULL_CELLS). */
  fullCells?: number;
  /** Lowest base level: a thumbnail needs no level below its own. */
  minBaseLevel?: number;
  /** Elements per chunk read (tests use small ones). */
  chunkElements?: number;
  /** The percentile of |v| the first paint needs: a view kept above level 0 finds it in its pass, most often. */
  percentile?: number;
}

/** Ranks on each side of a percentile (in percent) that its predicted window spans. */
const WINDOW_RANKS = 0.2;
/** Most values a pass collects for a percentile: 8 Mi (32 MiB). */
const WINDOW_CAPACITY = 1 << 23;

/**
 * The window of |v| patterns to collect for `percentile` of `total` elements, predicted from the
 * histogram of the first `seen`: the bins of the ranks within WINDOW_RANKS of it, with room for
 * 1.5× their share of all elements (null when that is over WINDOW_CAPACITY). A percentile that
 * falls outside (a tensor whose rows differ in scale) takes a pass of its own.
 */
function percentileWindow(percentile: number, total: number) {
  return (partial: AbsHistogram, seen: number): PassWindow | null => {
    const from = absPercentileBin(partial, seen, Math.max(percentile - WINDOW_RANKS, 1e-9));
    const to = absPercentileBin(partial, seen, Math.min(percentile + WINDOW_RANKS, 100));
    if (from === null || to === null) return null;
    let inWindow = 0;
    for (let bin = from.low >>> 16; bin < to.high >>> 16; bin++) inWindow += partial.counts[bin]!;
    if (from.low === 0) inWindow += partial.zeros;
    const capacity = Math.ceil((1.5 * inWindow * total) / Math.max(1, seen)) + 65_536;
    return capacity > WINDOW_CAPACITY ? null : { low: from.low, high: to.high, capacity };
  };
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
  const { rows, cols, layout } = matrixShape(reader.shape);
  const { percentile, chunkElements } = options;
  const { pooled, histogram, collected } = poolingPass(reader, base, {
    ...(chunkElements === undefined ? {} : { chunkElements }),
    ...(percentile === undefined ? {} : { window: percentileWindow(percentile, rows * cols) }),
  });
  const top = Math.max(base, levelToFit({ rows, cols }, 1));
  const levels = [pooled, ...buildPyramid(pooled, top - base)];
  const view: HeatmapView = {
    rows,
    cols,
    layout,
    baseLevel: base,
    levels,
    histogram,
    percentiles: new Map(),
  };
  const bin = percentile === undefined ? null : absPercentileBin(histogram, rows * cols, percentile);
  if (bin !== null && collected !== null && bin.low >= collected.low && bin.high <= collected.high) {
    const { values } = collected;
    const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
    const inBin = new Float32Array(bin.inBin);
    let c = 0;
    for (let i = 0; i < values.length && c < inBin.length; i++)
      if (bits[i]! >= bin.low && bits[i]! < bin.high) inBin[c++] = values[i]!;
    if (c === inBin.length) view.percentiles.set(percentile!, absPercentileIn(bin, inBin));
  }
  return view;
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
    return { rows, cols, layout, baseLevel: 0, levels, histogram, percentiles: new Map() };
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
  return { rows, cols, layout, baseLevel: 0, levels, histogram, percentiles: new Map() };
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
  const window = tileWindow(view, request);
  const { row0, col0, rows, cols, factor } = window;
  const placed = (data: Float32Array): HeatmapTile => placedTile(window, request.level, view, data);
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
  const found = view.percentiles.get(percentile);
  if (found !== undefined) return found;
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
