import type { DiffView, HeatmapTilePayload, OverviewTilePayload } from '../../shared/contract-weights';
import { DeltascopeError } from '../../shared/errors';
import {
  formatShape,
  levelSize,
  levelToFit,
  matchTensorMaps,
  matrixShape,
  mismatchError,
  tileNeedsRead,
  viewBytes,
  viewPercentile,
  viewTile,
  type ColorScale,
  type HeatmapTile,
  type HeatmapView,
  type TensorMismatch,
  type TensorSource,
  type TileRequest,
} from '../../weights';
import type { ComputeRunner } from '../compute/compute-runner';
import { ByteLruCache } from './weights-cache';
import {
  colorScaleFrom,
  float32Base64,
  runHeatmapTask,
  tensorOf,
  tensorPair,
  thumbnailLevel,
  thumbnailPayload,
  threadCanOpen,
  type HeatmapTask,
  type HeatmapTaskResult,
  type ViewFrame,
} from './weights-heatmap-task';
import type { LazySide } from './weights-sources';

export { float32Base64 } from './weights-heatmap-task';

/**
 * Heatmap tiles, whole-model overviews and hover read-outs of a tensor seen as Δ = B − A, A or B.
 * Computed when a tensor is first viewed, from that tensor alone (read chunk by chunk from a model
 * file, folder or stored checkpoint; never the whole model), then cached: its heatmap view
 * (weights/heatmap-view.ts: the levels of detail from its base level up, and the |v| histogram)
 * and its colour scales, so the first paint's tiles and every pan or zoom at or above the base
 * are copies, not passes over the tensor. A large tensor's view starts a few levels up (bounded
 * memory); a tile below it reads just its region. Whatever reads the tensor (the view's pass, a
 * tile below the base, a percentile the view does not hold, a thumbnail not cut from a cached view)
 * is a task of weights-heatmap-task.ts run in the API's compute thread (`compute`), so the event loop
 * only cuts tiles of at most tileSize² cells from kept levels; without `compute` (the CLI) inline.
 */

interface TensorView extends HeatmapView {
  /** Colour scales by percentile, found or being found. */
  scales: Map<number, Promise<ColorScale>>;
}

/** One side's name and tensor list, as the checks of weights-heatmap-task.ts take it. */
function listed(side: LazySide) {
  return { label: side.side.label, tensors: side.tensors };
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

/** The view without its levels (what a task that reads below its base needs). */
function frameOf(view: TensorView): ViewFrame {
  const { levels: _levels, scales: _scales, ...frame } = view;
  return frame;
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

export interface TensorViewsOptions {
  /** The largest view kept at level 0 (weights/heatmap-view.ts; tests use small ones). */
  fullCells?: number;
  /** Runs the tasks that read tensors in its interactive thread; absent: inline. */
  compute?: Pick<ComputeRunner, 'quick'> | null;
}

export class TensorViews {
  private readonly cache = new ByteLruCache<TensorView>(VIEW_CACHE_BYTES, VIEW_CACHE_AGE_MS);
  private readonly thumbnails = new ByteLruCache<OverviewTilePayload>(
    OVERVIEW_CACHE_BYTES,
    VIEW_CACHE_AGE_MS,
  );
  /** Views being built, so concurrent first tiles of one tensor share one pass. */
  private readonly building = new Map<string, Promise<TensorView>>();

  constructor(private readonly options: TensorViewsOptions = {}) {}

  private key({ a, b, name, view }: ViewTarget): string {
    const own = view === 'a' ? a : b;
    return view === 'delta' ? `delta|${a.key}|${b.key}|${name}` : `raw|${own.key}|${name}`;
  }

  /** Runs a task that reads the sides' tensors: in the compute thread, or inline without one. */
  private async run<T extends HeatmapTask>(
    a: LazySide,
    b: LazySide,
    task: T,
    label: string,
  ): Promise<HeatmapTaskResult<T>> {
    const { compute } = this.options;
    if (compute === undefined || compute === null || !threadCanOpen(a.spec) || !threadCanOpen(b.spec)) {
      return withOpen(a, b, (sa, sb) =>
        runHeatmapTask({ ...listed(a), source: sa }, { ...listed(b), source: sb }, task),
      );
    }
    return compute.quick<HeatmapTaskResult<T>>({ kind: 'heatmap', a: a.spec, b: b.spec, task }, label);
  }

  /**
   * The heatmap view of Δ, A or B for one tensor (computed on first use, then cached); the first
   * paint's `percentile` is found in the same pass when it can be.
   */
  view(target: ViewTarget, percentile?: number): Promise<TensorView> {
    const key = this.key(target);
    const cached = this.cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.building.get(key);
    if (pending === undefined) {
      const { name, view } = target;
      const task: HeatmapTask = {
        op: 'view',
        name,
        view,
        fullCells: this.options.fullCells,
        ...(percentile === undefined ? {} : { percentile }),
      };
      pending = this.run(target.a, target.b, task, `Heatmap of \`${name}\``)
        .then((built) => {
          const made: TensorView = { ...built, scales: new Map() };
          this.cache.set(key, made, viewBytes(made));
          return made;
        })
        .finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  /** The colour scale at `percentile` (cached per view); a view kept above level 0 may read its tensor once for it. */
  scale(target: ViewTarget, view: TensorView, percentile: number): Promise<ColorScale> {
    let scale = view.scales.get(percentile);
    if (scale === undefined) {
      const found = this.findScale(target, view, percentile);
      scale = found;
      view.scales.set(percentile, found);
      found.catch(() => {
        if (view.scales.get(percentile) === found) view.scales.delete(percentile);
      });
    }
    return scale;
  }

  private async findScale(target: ViewTarget, view: TensorView, percentile: number): Promise<ColorScale> {
    // A whole view (≤ fullCells values) or a percentile its pass found: no read.
    if (view.baseLevel === 0 || view.percentiles.has(percentile)) {
      return colorScaleFrom(viewPercentile(view, percentile, null), percentile);
    }
    const { name } = target;
    const task = { op: 'percentile', name, view: target.view, frame: frameOf(view), percentile } as const;
    const found = await this.run(target.a, target.b, task, `Colour scale of \`${name}\``);
    return colorScaleFrom(found, percentile);
  }

  /** One tile of the view (a tile below its base level reads its region, in the compute thread). */
  async tile(target: ViewTarget, view: TensorView, request: TileRequest): Promise<HeatmapTile> {
    if (!tileNeedsRead(view, request.level)) return viewTile(view, request, null);
    const { name } = target;
    const task = { op: 'tile', name, view: target.view, frame: frameOf(view), request } as const;
    return this.run(target.a, target.b, task, `Heatmap tile of \`${name}\``);
  }

  /**
   * The overview thumbnails of `names` (cached each): a tensor whose view is cached is pooled from
   * it; any other is read for its thumbnail alone (a large one pooled straight to the thumbnail's
   * level, in the compute thread) and not kept, so paging through hundreds of tensors does not push
   * the opened heatmaps out of the cache.
   */
  async overviewTiles(
    a: LazySide,
    b: LazySide,
    names: readonly string[],
    params: { view: DiffView; maxSize: number; percentile: number },
  ): Promise<OverviewTilePayload[]> {
    const { view: side, maxSize, percentile } = params;
    const targetOf = (name: string): ViewTarget => ({ a, b, name, view: side });
    const keyOf = (name: string) => `${this.key(targetOf(name))}|${maxSize}|${percentile}`;
    const found = new Map<string, OverviewTilePayload>();
    const keep = (tile: OverviewTilePayload) => {
      found.set(tile.name, tile);
      this.thumbnails.set(keyOf(tile.name), tile, tile.values.length + 256);
    };
    const toRead: string[] = [];
    for (const name of names) {
      const kept = this.thumbnails.get(keyOf(name));
      if (kept !== undefined) {
        found.set(name, kept);
        continue;
      }
      const target = targetOf(name);
      const view = this.cache.get(this.key(target));
      const shape = tensorOf(listed(side === 'b' ? b : a), name).shape;
      const level = thumbnailLevel(shape, maxSize);
      const scaleKnown =
        view !== undefined &&
        (view.baseLevel === 0 || view.scales.has(percentile) || view.percentiles.has(percentile));
      if (view === undefined || !scaleKnown || tileNeedsRead(view, level)) {
        toRead.push(name);
        continue;
      }
      const pooled = viewTile(view, { level, tileRow: 0, tileCol: 0, tileSize: maxSize }, null);
      keep(thumbnailPayload(name, shape, view, level, pooled, await this.scale(target, view, percentile)));
    }
    if (toRead.length > 0) {
      const task = { op: 'thumbnails', names: toRead, params, fullCells: this.options.fullCells } as const;
      const label = `Overview of ${toRead.length} tensor${toRead.length === 1 ? '' : 's'}`;
      for (const tile of await this.run(a, b, task, label)) keep(tile);
    }
    return names.map((name) => found.get(name)!);
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

export async function heatmapTilePayload(
  views: TensorViews,
  a: LazySide,
  b: LazySide,
  params: TileParams,
): Promise<HeatmapTilePayload> {
  const shape = tensorOf(listed(params.view === 'b' ? b : a), params.tensor).shape;
  const target: ViewTarget = { a, b, name: params.tensor, view: params.view };
  const view = await views.view(target, params.percentile);
  const fitLevel = levelToFit(view, params.tileSize);
  const level = params.level ?? fitLevel;
  const size = levelSize(view, level);
  const tile = await views.tile(target, view, {
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
    scale: await views.scale(target, view, params.percentile),
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

export async function overviewPayload(
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
): Promise<{ tensors: OverviewTilePayload[]; skipped: TensorMismatch[]; total: number; offset: number }> {
  const { names, skipped } = overviewNames(a, b, params.partial);
  const offset = Math.min(params.offset ?? 0, names.length);
  const page = names.slice(offset, params.limit === undefined ? undefined : offset + params.limit);
  return { tensors: await views.overviewTiles(a, b, page, params), skipped, total: names.length, offset };
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
  const [ta] = tensorPair(listed(a), listed(b), params.tensor);
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
