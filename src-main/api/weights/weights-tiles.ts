import type { DiffView, HeatmapTilePayload, OverviewTilePayload } from '../../shared/contract-weights';
import { DeltascopeError } from '../../shared/errors';
import {
  baseLevelOf,
  buildHeatmapView,
  deltaReader,
  formatShape,
  levelSize,
  levelToFit,
  matchTensorMaps,
  matrixShape,
  mismatchError,
  tensorReader,
  tileNeedsRead,
  viewBytes,
  viewPercentile,
  viewTile,
  type AbsPercentile,
  type ColorScale,
  type HeatmapReader,
  type HeatmapTile,
  type HeatmapView,
  type SourceTensor,
  type TensorMismatch,
  type TensorSource,
  type TileRequest,
} from '../../weights';
import { ByteLruCache } from './weights-cache';
import type { LazySide } from './weights-sources';

/**
 * Heatmap tiles, whole-model overviews and hover read-outs of a tensor seen as Δ = B − A, A or B.
 * Computed when a tensor is first viewed, from that tensor alone (read chunk by chunk from a model
 * file, folder or stored checkpoint; never the whole model), then cached: its heatmap view
 * (weights/heatmap-view.ts: the levels of detail from its base level up, and the |v| histogram)
 * and its colour scales, so the first paint's tiles and every pan or zoom at or above the base
 * are copies, not passes over the tensor. A large tensor's view starts a few levels up (bounded
 * memory); a tile below it reads just its region.
 */

interface TensorView extends HeatmapView {
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
function readerOf(
  a: LazySide,
  b: LazySide,
  sa: TensorSource,
  sb: TensorSource,
  name: string,
  view: DiffView,
): HeatmapReader {
  if (view === 'delta') {
    const [ta, tb] = tensorPair(a, b, name);
    return deltaReader(sa, sb, ta, tb);
  }
  return tensorReader(view === 'a' ? sa : sb, tensorOf(view === 'a' ? a : b, name));
}

/** The colour scale of symmetricColorScale from a percentile already found: max|v| when it is 0. */
function colorScaleFrom(found: AbsPercentile, percentile: number): ColorScale {
  if (found.count === 0) return { limit: 0, percentile, maxAbs: 0 };
  return { limit: found.value > 0 ? found.value : found.maxAbs, percentile, maxAbs: found.maxAbs };
}

/** Default budget of cached tensor views: 384 MiB (a view holds at most 16 MiB and its pyramid), each kept up to 5 minutes. */
const VIEW_CACHE_BYTES = 384 * 1024 * 1024;
const VIEW_CACHE_AGE_MS = 5 * 60 * 1000;
/** Overview thumbnails kept (a few KiB each). */
const OVERVIEW_CACHE_BYTES = 32 * 1024 * 1024;

/** One tensor of one diff, seen as Δ, A or B. */
interface ViewTarget {
  a: LazySide;
  b: LazySide;
  name: string;
  view: DiffView;
}

export class TensorViews {
  private readonly cache = new ByteLruCache<TensorView>(VIEW_CACHE_BYTES, VIEW_CACHE_AGE_MS);
  private readonly thumbnails = new ByteLruCache<OverviewTilePayload>(
    OVERVIEW_CACHE_BYTES,
    VIEW_CACHE_AGE_MS,
  );

  /** `fullCells`: the largest view kept at level 0 (weights/heatmap-view.ts; tests use small ones). */
  constructor(private readonly options: { fullCells?: number } = {}) {}

  private key({ a, b, name, view }: ViewTarget): string {
    const own = view === 'a' ? a : b;
    return view === 'delta' ? `delta|${a.key}|${b.key}|${name}` : `raw|${own.key}|${name}`;
  }

  /** Runs `use` with the target's values open for reading. */
  private reading<T>(target: ViewTarget, use: (reader: HeatmapReader) => T): T {
    return withOpen(target.a, target.b, (sa, sb) =>
      use(readerOf(target.a, target.b, sa, sb, target.name, target.view)),
    );
  }

  /**
   * The heatmap view of Δ, A or B for one tensor (computed on first use, then cached); the first
   * paint's `percentile` is found in the same pass when it can be.
   */
  view(target: ViewTarget, percentile?: number): TensorView {
    return this.cache.getOrCreate(
      this.key(target),
      () => ({
        ...this.reading(target, (reader) =>
          buildHeatmapView(reader, { ...this.options, ...(percentile === undefined ? {} : { percentile }) }),
        ),
        scales: new Map(),
      }),
      viewBytes,
    );
  }

  /** The colour scale at `percentile` (cached per view); a view kept above level 0 reads its tensor once for it. */
  scale(
    target: ViewTarget,
    view: TensorView,
    percentile: number,
    open: HeatmapReader | null = null,
  ): ColorScale {
    let scale = view.scales.get(percentile);
    if (scale === undefined) {
      const found =
        view.baseLevel === 0 || open !== null
          ? viewPercentile(view, percentile, open)
          : this.reading(target, (reader) => viewPercentile(view, percentile, reader));
      scale = colorScaleFrom(found, percentile);
      view.scales.set(percentile, scale);
    }
    return scale;
  }

  /** One tile of the view (a tile below its base level reads its region). */
  tile(target: ViewTarget, view: TensorView, request: TileRequest): HeatmapTile {
    return tileNeedsRead(view, request.level)
      ? this.reading(target, (reader) => viewTile(view, request, reader))
      : viewTile(view, request, null);
  }

  /**
   * The overview thumbnails of `names` (cached each): a tensor whose view is cached is pooled from
   * it; any other is read for its thumbnail alone (a large one pooled straight to the thumbnail's
   * level) and not kept, so paging through hundreds of tensors does not push the opened heatmaps
   * out of the cache.
   */
  overviewTiles(
    a: LazySide,
    b: LazySide,
    names: readonly string[],
    params: { view: DiffView; maxSize: number; percentile: number },
  ): OverviewTilePayload[] {
    const targetOf = (name: string): ViewTarget => ({ a, b, name, view: params.view });
    const keyOf = (name: string) => `${this.key(targetOf(name))}|${params.maxSize}|${params.percentile}`;
    const missing = names.filter((name) => this.thumbnails.get(keyOf(name)) === undefined);
    if (missing.length > 0) {
      const make = (name: string, sa: TensorSource, sb: TensorSource): OverviewTilePayload => {
        const target = targetOf(name);
        const shape = tensorOf(params.view === 'b' ? b : a, name).shape;
        const reader = readerOf(a, b, sa, sb, name, params.view);
        const level = levelToFit(matrixShape(shape), params.maxSize);
        const view: TensorView = this.cache.get(this.key(target)) ?? {
          ...buildHeatmapView(reader, {
            ...this.options,
            percentile: params.percentile,
            // A large tensor is pooled straight to the thumbnail's level.
            minBaseLevel: baseLevelOf(shape, this.options.fullCells) > 0 ? level : 0,
          }),
          scales: new Map(),
        };
        const pooled = viewTile(view, { level, tileRow: 0, tileCol: 0, tileSize: params.maxSize }, reader);
        return {
          name,
          shape: [...shape],
          layout: view.layout,
          matrixRows: view.rows,
          matrixCols: view.cols,
          level,
          rows: pooled.rows,
          cols: pooled.cols,
          values: float32Base64(pooled.data),
          scale: this.scale(target, view, params.percentile, reader),
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
  const target: ViewTarget = { a, b, name: params.tensor, view: params.view };
  const view = views.view(target, params.percentile);
  const fitLevel = levelToFit(view, params.tileSize);
  const level = params.level ?? fitLevel;
  const size = levelSize(view, level);
  const tile = views.tile(target, view, {
    level,
    tileRow: params.tileRow,
    tileCol: params.tileCol,
    tileSize: params.tileSize,
  });
  return {
    tensor: params.tensor,
    view: params.view,
    shape: [...shape],
    layout: view.layout,
    matrixRows: view.rows,
    matrixCols: view.cols,
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
    scale: views.scale(target, view, params.percentile),
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
