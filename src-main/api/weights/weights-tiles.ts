import type { DiffView, HeatmapTilePayload, OverviewTilePayload } from '../../shared/contract-weights';
import { DeltascopeError } from '../../shared/errors';
import {
  absPercentileFrom,
  buildHeatmapView,
  deltaFill,
  formatShape,
  levelSize,
  levelToFit,
  matchTensorMaps,
  matrixShape,
  mismatchError,
  poolMatrix,
  pyramidTile,
  readTensorDelta,
  readWholeTensor,
  symmetricColorScale,
  tensorAsMatrix,
  type AbsHistogram,
  type AbsPercentile,
  type ColorScale,
  type HeatmapMatrix,
  type SourceTensor,
  type TensorMismatch,
  type TensorSource,
} from '../../weights';
import { ByteLruCache } from './weights-cache';
import type { LazySide } from './weights-sources';

/**
 * Heatmap tiles, whole-model overviews and hover read-outs of a tensor seen as Δ = B − A, A or B.
 * Computed when a tensor is first viewed, from that tensor alone (read chunk by chunk from a model
 * file, folder or stored checkpoint; never the whole model), then cached: its 2-D view, its
 * level-of-detail pyramid (every level ≥ 1, a third of the view's size) and its colour scales, so the
 * first paint's tiles and every pan or zoom after it are copies, not passes over the tensor.
 */

interface TensorView {
  matrix: HeatmapMatrix;
  /** Levels 1…top (index L − 1 holds level L). */
  pyramid: HeatmapMatrix[];
  /** |v| histogram of the matrix (for its colour scales), when it was built with one. */
  histogram: AbsHistogram | null;
  scales: Map<number, ColorScale>;
}

/** Base64 of the float32 values, little-endian (the byte order of every host Deltascope runs on). */
export function float32Base64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function tensorOf(side: LazySide, name: string): SourceTensor {
  const tensor = side.tensors.get(name);
  if (tensor === undefined) {
    const names = [...side.tensors.keys()];
    const listed = names.slice(0, 8).join(', ') + (names.length > 8 ? `, … (${names.length} in all)` : '');
    throw new DeltascopeError(
      'NOT_FOUND',
      `${side.side.label} has no tensor \`${name}\` (it has: ${listed}).`,
      {
        tensor: name,
      },
    );
  }
  return tensor;
}

/** The tensor pair for `name`; SHAPE_MISMATCH naming both shapes when they differ. */
function tensorPair(a: LazySide, b: LazySide, name: string): [SourceTensor, SourceTensor] {
  const ta = tensorOf(a, name);
  const tb = tensorOf(b, name);
  if (formatShape(ta.shape) !== formatShape(tb.shape)) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `tensor \`${name}\`: ${a.side.label} has ${formatShape(ta.shape)}, ${b.side.label} has ${formatShape(tb.shape)}`,
    );
  }
  return [ta, tb];
}

/** Both sides opened for one request, closed after it whatever happens. */
function withOpen<T>(a: LazySide, b: LazySide, use: (sa: TensorSource, sb: TensorSource) => T): T {
  const sa = a.open();
  try {
    const sb = b.open();
    try {
      return use(sa, sb);
    } finally {
      sb.close();
    }
  } finally {
    sa.close();
  }
}

/** The values a view draws: Δ = B − A read pairwise, or one side's own tensor. */
function readView(
  a: LazySide,
  b: LazySide,
  sa: TensorSource,
  sb: TensorSource,
  name: string,
  view: DiffView,
): { shape: readonly number[]; data: Float32Array } {
  if (view === 'delta') {
    const [ta, tb] = tensorPair(a, b, name);
    return { shape: ta.shape, data: readTensorDelta(sa, sb, ta, tb) };
  }
  const tensor = tensorOf(view === 'a' ? a : b, name);
  return { shape: tensor.shape, data: readWholeTensor(view === 'a' ? sa : sb, tensor).data };
}

/** The colour scale of symmetricColorScale from a percentile already found: max|v| when it is 0. */
function colorScaleFrom(found: AbsPercentile, percentile: number): ColorScale {
  if (found.count === 0) return { limit: 0, percentile, maxAbs: 0 };
  return { limit: found.value > 0 ? found.value : found.maxAbs, percentile, maxAbs: found.maxAbs };
}

/** Default budget of cached tensor views: 384 MiB (a 4096 × 11008 Δ with its pyramid is 240 MiB), each kept up to 5 minutes. */
const VIEW_CACHE_BYTES = 384 * 1024 * 1024;
const VIEW_CACHE_AGE_MS = 5 * 60 * 1000;
/** Overview thumbnails kept (a few KiB each). */
const OVERVIEW_CACHE_BYTES = 32 * 1024 * 1024;

export class TensorViews {
  private readonly cache = new ByteLruCache<TensorView>(VIEW_CACHE_BYTES, VIEW_CACHE_AGE_MS);
  private readonly thumbnails = new ByteLruCache<OverviewTilePayload>(
    OVERVIEW_CACHE_BYTES,
    VIEW_CACHE_AGE_MS,
  );

  private key(a: LazySide, b: LazySide, name: string, view: DiffView): string {
    const own = view === 'a' ? a : b;
    return view === 'delta' ? `delta|${a.key}|${b.key}|${name}` : `raw|${own.key}|${name}`;
  }

  /** The 2-D view of Δ, A or B for one tensor with its pyramid (computed on first use, then cached). */
  view(a: LazySide, b: LazySide, name: string, view: DiffView): TensorView {
    return this.cache.getOrCreate(
      this.key(a, b, name, view),
      () =>
        withOpen(a, b, (sa, sb) => {
          // One pass: Δ (or the side) read a few rows at a time, histogrammed and pooled as it comes.
          let built;
          if (view === 'delta') {
            const [ta, tb] = tensorPair(a, b, name);
            built = buildHeatmapView(ta.shape, deltaFill(sa, sb, ta, tb));
          } else {
            const tensor = tensorOf(view === 'a' ? a : b, name);
            const source = view === 'a' ? sa : sb;
            built = buildHeatmapView(tensor.shape, (start, out) => source.read(name, start, out));
          }
          return { ...built, scales: new Map() };
        }),
      (entry) =>
        entry.pyramid.reduce((sum, level) => sum + level.data.byteLength, entry.matrix.data.byteLength),
    );
  }

  scale(view: TensorView, percentile: number): ColorScale {
    let scale = view.scales.get(percentile);
    if (scale === undefined) {
      scale =
        view.histogram === null
          ? symmetricColorScale(view.matrix.data, percentile)
          : colorScaleFrom(absPercentileFrom(view.matrix.data, view.histogram, percentile), percentile);
      view.scales.set(percentile, scale);
    }
    return scale;
  }

  /**
   * The overview thumbnails of `names` (cached each): a tensor whose view is cached is pooled from
   * it; any other is read once for its thumbnail and not kept, so paging through hundreds of
   * tensors does not push the opened heatmaps out of the cache.
   */
  overviewTiles(
    a: LazySide,
    b: LazySide,
    names: readonly string[],
    params: { view: DiffView; maxSize: number; percentile: number },
  ): OverviewTilePayload[] {
    const keyOf = (name: string) =>
      `${this.key(a, b, name, params.view)}|${params.maxSize}|${params.percentile}`;
    const missing = names.filter((name) => this.thumbnails.get(keyOf(name)) === undefined);
    if (missing.length > 0) {
      const make = (name: string, sa: TensorSource, sb: TensorSource): OverviewTilePayload => {
        const shape = tensorOf(params.view === 'b' ? b : a, name).shape;
        let view = this.cache.get(this.key(a, b, name, params.view));
        if (view === undefined) {
          const read = readView(a, b, sa, sb, name, params.view);
          view = {
            matrix: tensorAsMatrix(read.shape, read.data),
            pyramid: [],
            histogram: null,
            scales: new Map(),
          };
        }
        const { matrix } = view;
        const level = levelToFit(matrix, params.maxSize);
        const pooled = poolMatrix(matrix, level);
        return {
          name,
          shape: [...shape],
          layout: matrix.layout,
          matrixRows: matrix.rows,
          matrixCols: matrix.cols,
          level,
          rows: pooled.rows,
          cols: pooled.cols,
          values: float32Base64(pooled.data),
          scale: this.scale(view, params.percentile),
        };
      };
      withOpen(a, b, (sa, sb) => {
        for (const name of missing) {
          const tile = make(name, sa, sb);
          this.thumbnails.set(keyOf(name), tile, tile.values.length + 256);
        }
      });
    }
    return names.map((name) => this.thumbnails.get(keyOf(name)) as OverviewTilePayload);
  }

  clear(): void {
    this.cache.clear();
    this.thumbnails.clear();
  }
}

export interface TileParams {
  tensor: string;
  view: DiffView;
  level?: number | undefined;
  tileRow: number;
  tileCol: number;
  tileSize: number;
  percentile: number;
}

export function heatmapTilePayload(
  views: TensorViews,
  a: LazySide,
  b: LazySide,
  params: TileParams,
): HeatmapTilePayload {
  const shape = tensorOf(params.view === 'b' ? b : a, params.tensor).shape;
  const view = views.view(a, b, params.tensor, params.view);
  const { matrix } = view;
  const fitLevel = levelToFit(matrix, params.tileSize);
  const level = params.level ?? fitLevel;
  const size = levelSize(matrix, level);
  const tile = pyramidTile(matrix, view.pyramid, {
    level,
    tileRow: params.tileRow,
    tileCol: params.tileCol,
    tileSize: params.tileSize,
  });
  return {
    tensor: params.tensor,
    view: params.view,
    shape: [...shape],
    layout: matrix.layout,
    matrixRows: matrix.rows,
    matrixCols: matrix.cols,
    level,
    factor: tile.factor,
    levelRows: size.rows,
    levelCols: size.cols,
    tileSize: params.tileSize,
    tilesDown: Math.ceil(size.rows / params.tileSize),
    tilesAcross: Math.ceil(size.cols / params.tileSize),
    fitLevel,
    tileRow: params.tileRow,
    tileCol: params.tileCol,
    rowStart: tile.rowStart,
    colStart: tile.colStart,
    rows: tile.rows,
    cols: tile.cols,
    values: float32Base64(tile.data),
    scale: views.scale(view, params.percentile),
  };
}

/** The tensors an overview shows: those both sides share (all of B's for view 'b'). */
function overviewNames(
  a: LazySide,
  b: LazySide,
  partial: boolean,
): { names: string[]; skipped: TensorMismatch[] } {
  const labels = [a.side.label, b.side.label];
  const { common, mismatches } = matchTensorMaps([a.tensors, b.tensors], labels);
  if (mismatches.length > 0 && !partial) throw mismatchError(mismatches, labels);
  return { names: common, skipped: mismatches };
}

export function overviewPayload(
  views: TensorViews,
  a: LazySide,
  b: LazySide,
  params: {
    view: DiffView;
    maxSize: number;
    percentile: number;
    partial: boolean;
    offset?: number | undefined;
    limit?: number | undefined;
  },
): { tensors: OverviewTilePayload[]; skipped: TensorMismatch[]; total: number; offset: number } {
  const { names, skipped } = overviewNames(a, b, params.partial);
  const offset = Math.min(params.offset ?? 0, names.length);
  const page = names.slice(offset, params.limit === undefined ? undefined : offset + params.limit);
  return { tensors: views.overviewTiles(a, b, page, params), skipped, total: names.length, offset };
}

/**
 * The tensor index under matrix cell (row, col), inverting the layouts of weights/heatmap-tiles.ts:
 * conv-mosaic cell (i·kh + y, o·kw + x) is W[y, x, i, o]; every other layout is row-major, so the
 * flat index is row·cols + col.
 */
export function cellIndex(
  shape: readonly number[],
  row: number,
  col: number,
): { index: number[]; flatIndex: number } {
  const { rows, cols, layout } = matrixShape(shape);
  if (row >= rows || col >= cols) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `cell (${row}, ${col}) is outside the ${rows}×${cols} heatmap of a tensor of shape ${formatShape(shape)}`,
    );
  }
  if (layout === 'conv-mosaic') {
    const [kh, kw, inC, outC] = shape as [number, number, number, number];
    const y = row % kh;
    const i = Math.floor(row / kh);
    const x = col % kw;
    const o = Math.floor(col / kw);
    return { index: [y, x, i, o], flatIndex: ((y * kw + x) * inC + i) * outC + o };
  }
  const flatIndex = row * cols + col;
  const index = new Array<number>(shape.length);
  let rest = flatIndex;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = rest % shape[d]!;
    rest = Math.floor(rest / shape[d]!);
  }
  return { index, flatIndex };
}

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

export function cellPayload(a: LazySide, b: LazySide, params: { tensor: string; row: number; col: number }) {
  const [ta] = tensorPair(a, b, params.tensor);
  const { index, flatIndex } = cellIndex(ta.shape, params.row, params.col);
  // One element of each side: a positioned read, whatever the model's size.
  const [va, vb] = withOpen(a, b, (sa, sb) => {
    const one = new Float32Array(2);
    sa.read(params.tensor, flatIndex, one.subarray(0, 1));
    sb.read(params.tensor, flatIndex, one.subarray(1, 2));
    return [one[0]!, one[1]!];
  });
  return {
    tensor: params.tensor,
    row: params.row,
    col: params.col,
    index,
    flatIndex,
    a: finiteOrNull(va),
    b: finiteOrNull(vb),
    // Δ as the statistics take it: in float64, from the two float32 values.
    delta: finiteOrNull(vb - va),
  };
}
