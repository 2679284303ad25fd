import type { DiffView, HeatmapTilePayload, OverviewTilePayload } from '../../shared/contract-weights';
import { DeltascopeError } from '../../shared/errors';
import {
  combineArrays,
  formatShape,
  heatmapTile,
  levelSize,
  levelToFit,
  matchTensorMaps,
  matrixShape,
  mismatchError,
  poolMatrix,
  symmetricColorScale,
  tensorAsMatrix,
  type ColorScale,
  type HeatmapMatrix,
  type NamedTensor,
  type TensorMismatch,
} from '../../weights';
import { ByteLruCache } from './weights-cache';
import type { LoadedSource } from './weights-sources';

/**
 * Heatmap tiles, whole-model overviews and hover read-outs of a tensor seen as Δ = B − A, A or B.
 * The 2-D view of a tensor (Δ computed once, a conv kernel laid out as a mosaic) and its colour
 * scale are cached, so panning and zooming only pools.
 */

interface TensorView {
  matrix: HeatmapMatrix;
  scales: Map<number, ColorScale>;
}

/** Base64 of the float32 values, little-endian (the byte order of every host Deltascope runs on). */
export function float32Base64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function tensorOf(source: LoadedSource, name: string): NamedTensor {
  const tensor = source.map.get(name);
  if (tensor === undefined) {
    const names = [...source.map.keys()];
    const listed = names.slice(0, 8).join(', ') + (names.length > 8 ? `, … (${names.length} in all)` : '');
    throw new DeltascopeError(
      'NOT_FOUND',
      `${source.side.label} has no tensor \`${name}\` (it has: ${listed}).`,
      {
        tensor: name,
      },
    );
  }
  return tensor;
}

/** The tensor pair for `name`; SHAPE_MISMATCH naming both shapes when they differ. */
function tensorPair(a: LoadedSource, b: LoadedSource, name: string): [NamedTensor, NamedTensor] {
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

/** Default budget of cached tensor views: 256 MiB, each kept up to 5 minutes. */
const VIEW_CACHE_BYTES = 256 * 1024 * 1024;
const VIEW_CACHE_AGE_MS = 5 * 60 * 1000;

export class TensorViews {
  private readonly cache = new ByteLruCache<TensorView>(VIEW_CACHE_BYTES, VIEW_CACHE_AGE_MS);

  /** The 2-D view of Δ, A or B for one tensor (cached). */
  view(a: LoadedSource, b: LoadedSource, name: string, view: DiffView): TensorView {
    const own = view === 'a' ? a : b;
    const key = view === 'delta' ? `delta|${a.key}|${b.key}|${name}` : `raw|${own.key}|${name}`;
    return this.cache.getOrCreate(
      key,
      () => {
        if (view !== 'delta') {
          const tensor = tensorOf(own, name);
          return { matrix: tensorAsMatrix(tensor.shape, tensor.data), scales: new Map() };
        }
        const [ta, tb] = tensorPair(a, b, name);
        const delta = combineArrays([1, -1], [tb.data, ta.data]);
        return { matrix: tensorAsMatrix(ta.shape, delta), scales: new Map() };
      },
      // Counted in full even when it is a view of a loaded checkpoint: it keeps that memory alive.
      (entry) => entry.matrix.data.byteLength,
    );
  }

  scale(view: TensorView, percentile: number): ColorScale {
    let scale = view.scales.get(percentile);
    if (scale === undefined) {
      scale = symmetricColorScale(view.matrix.data, percentile);
      view.scales.set(percentile, scale);
    }
    return scale;
  }

  clear(): void {
    this.cache.clear();
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
  a: LoadedSource,
  b: LoadedSource,
  params: TileParams,
): HeatmapTilePayload {
  const shape = tensorOf(params.view === 'b' ? b : a, params.tensor).shape;
  const view = views.view(a, b, params.tensor, params.view);
  const { matrix } = view;
  const fitLevel = levelToFit(matrix, params.tileSize);
  const level = params.level ?? fitLevel;
  const size = levelSize(matrix, level);
  const tile = heatmapTile(matrix, {
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
  a: LoadedSource,
  b: LoadedSource,
  partial: boolean,
): { names: string[]; skipped: TensorMismatch[] } {
  const labels = [a.side.label, b.side.label];
  const { common, mismatches } = matchTensorMaps([a.map, b.map], labels);
  if (mismatches.length > 0 && !partial) throw mismatchError(mismatches, labels);
  return { names: common, skipped: mismatches };
}

export function overviewPayload(
  views: TensorViews,
  a: LoadedSource,
  b: LoadedSource,
  params: { view: DiffView; maxSize: number; percentile: number; partial: boolean },
): { tensors: OverviewTilePayload[]; skipped: TensorMismatch[] } {
  const { names, skipped } = overviewNames(a, b, params.partial);
  const tensors = names.map((name): OverviewTilePayload => {
    const view = views.view(a, b, name, params.view);
    const { matrix } = view;
    const level = levelToFit(matrix, params.maxSize);
    const pooled = poolMatrix(matrix, level);
    return {
      name,
      shape: [...a.map.get(name)!.shape],
      layout: matrix.layout,
      matrixRows: matrix.rows,
      matrixCols: matrix.cols,
      level,
      rows: pooled.rows,
      cols: pooled.cols,
      values: float32Base64(pooled.data),
      scale: views.scale(view, params.percentile),
    };
  });
  return { tensors, skipped };
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

export function cellPayload(
  a: LoadedSource,
  b: LoadedSource,
  params: { tensor: string; row: number; col: number },
) {
  const [ta, tb] = tensorPair(a, b, params.tensor);
  const { index, flatIndex } = cellIndex(ta.shape, params.row, params.col);
  const va = ta.data[flatIndex]!;
  const vb = tb.data[flatIndex]!;
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
