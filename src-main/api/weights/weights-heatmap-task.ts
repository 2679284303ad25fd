import { existsSync } from 'node:fs';
import type { DiffView, OverviewTilePayload } from '../../shared/contract-weights';
import type { TensorEntry } from '../../shared/domain';
import { DeltascopeError } from '../../shared/errors';
import { openDatabase } from '../../store';
import {
  baseLevelOf,
  buildHeatmapView,
  deltaReader,
  formatShape,
  levelToFit,
  mapSource,
  matrixShape,
  openSafetensorsSource,
  sourceTensors,
  tensorMapFromManifest,
  tensorReader,
  viewPercentile,
  viewTile,
  type AbsPercentile,
  type ColorScale,
  type HeatmapReader,
  type HeatmapTile,
  type HeatmapView,
  type SourceTensor,
  type TensorSource,
  type TileRequest,
} from '../../weights';

/**
 * The part of a heatmap request that reads a tensor, as one task: build a tensor's view (a pass over
 * all its values), cut a tile below the view's base level (a read of its region), find a colour
 * percentile the view does not hold (one more pass), or make overview thumbnails. Proportional to
 * the tensor's size, so the API runs it in its compute thread (compute/compute-worker.ts); without
 * one (the CLI) it runs inline. Each task gets both sides opened and returns plain data.
 */

/** One side's tensors, opened for reading. */
export interface OpenSide {
  label: string;
  tensors: ReadonlyMap<string, SourceTensor>;
  source: TensorSource;
}

/**
 * How a compute thread opens a side again: a safetensors file or folder by path, a stored checkpoint
 * through a read-only connection of its own, or weights already in memory in a SharedArrayBuffer
 * (shared with the thread, not copied).
 */
export type SideSpec =
  | { kind: 'file'; label: string; path: string }
  | { kind: 'checkpoint'; label: string; dbPath: string; checkpointId: number }
  | { kind: 'memory'; label: string; manifest: TensorEntry[]; weights: Float32Array };

/** Whether a compute thread can open the side (a stored checkpoint needs its database to be a file). */
export function threadCanOpen(spec: SideSpec): boolean {
  return spec.kind !== 'checkpoint' || existsSync(spec.dbPath);
}

/** Opens a side from its spec; `close` closes what it opened. */
function openSide(spec: SideSpec): { side: OpenSide; close: () => void } {
  const opened = (source: TensorSource, close: () => void) => ({
    side: { label: spec.label, tensors: sourceTensors(source), source },
    close,
  });
  if (spec.kind === 'file') {
    const source = openSafetensorsSource(spec.path);
    return opened(source, () => source.close());
  }
  if (spec.kind === 'memory') {
    const source = mapSource(tensorMapFromManifest(spec.manifest, spec.weights, spec.label), spec.label);
    return opened(source, () => source.close());
  }
  const db = openDatabase(spec.dbPath, { readOnly: true });
  try {
    const source = db.checkpoints.openSource(spec.checkpointId);
    return opened(source, () => {
      try {
        source.close();
      } finally {
        db.close();
      }
    });
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Opens both sides from their specs, runs `task` and closes them (in the compute thread). */
export function runHeatmapTaskOn<T extends HeatmapTask>(
  a: SideSpec,
  b: SideSpec,
  task: T,
): HeatmapTaskResult<T> {
  const sa = openSide(a);
  try {
    const sb = openSide(b);
    try {
      return runHeatmapTask(sa.side, sb.side, task);
    } finally {
      sb.close();
    }
  } finally {
    sa.close();
  }
}

/** A view without its levels: what a tile below its base or a percentile pass needs to know of it. */
export type ViewFrame = Omit<HeatmapView, 'levels'>;

export interface ThumbnailParams {
  view: DiffView;
  maxSize: number;
  percentile: number;
}

export type HeatmapTask =
  | { op: 'view'; name: string; view: DiffView; fullCells?: number | undefined; percentile?: number }
  | { op: 'tile'; name: string; view: DiffView; frame: ViewFrame; request: TileRequest }
  | { op: 'percentile'; name: string; view: DiffView; frame: ViewFrame; percentile: number }
  | {
      op: 'thumbnails';
      names: string[];
      params: ThumbnailParams;
      fullCells?: number | undefined;
    };

/** What each task returns. */
export interface HeatmapTaskResults {
  view: HeatmapView;
  tile: HeatmapTile;
  percentile: AbsPercentile;
  thumbnails: OverviewTilePayload[];
}

export type HeatmapTaskResult<T extends HeatmapTask> = HeatmapTaskResults[T['op']];

/** Base64 of the float32 values, little-endian (the byte order of every host Deltascope runs on). */
export function float32Base64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/** The side's tensor `name`; NOT_FOUND listing what it has. */
export function tensorOf(
  side: { label: string; tensors: ReadonlyMap<string, SourceTensor> },
  name: string,
): SourceTensor {
  const tensor = side.tensors.get(name);
  if (tensor === undefined) {
    const names = [...side.tensors.keys()];
    const listed = names.slice(0, 8).join(', ') + (names.length > 8 ? `, … (${names.length} in all)` : '');
    throw new DeltascopeError('NOT_FOUND', `${side.label} has no tensor \`${name}\` (it has: ${listed}).`, {
      tensor: name,
    });
  }
  return tensor;
}

type SideTensors = Pick<OpenSide, 'label' | 'tensors'>;

/** The tensor pair for `name`; SHAPE_MISMATCH naming both shapes when they differ. */
export function tensorPair(a: SideTensors, b: SideTensors, name: string): [SourceTensor, SourceTensor] {
  const ta = tensorOf(a, name);
  const tb = tensorOf(b, name);
  if (formatShape(ta.shape) !== formatShape(tb.shape)) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `tensor \`${name}\`: ${a.label} has ${formatShape(ta.shape)}, ${b.label} has ${formatShape(tb.shape)}`,
    );
  }
  return [ta, tb];
}

/** The values a view draws: Δ = B − A read pairwise, or one side's own tensor. */
function readerOf(a: OpenSide, b: OpenSide, name: string, view: DiffView): HeatmapReader {
  if (view === 'delta') {
    const [ta, tb] = tensorPair(a, b, name);
    return deltaReader(a.source, b.source, ta, tb);
  }
  const own = view === 'a' ? a : b;
  return tensorReader(own.source, tensorOf(own, name));
}

/** The colour scale of symmetricColorScale from a percentile already found: max|v| when it is 0. */
export function colorScaleFrom(found: AbsPercentile, percentile: number): ColorScale {
  if (found.count === 0) return { limit: 0, percentile, maxAbs: 0 };
  return { limit: found.value > 0 ? found.value : found.maxAbs, percentile, maxAbs: found.maxAbs };
}

/** The frame as a view with no kept level (viewTile and viewPercentile read it only below the base). */
function framed(frame: ViewFrame): HeatmapView {
  return { ...frame, levels: [] };
}

/** An overview thumbnail of one tensor, pooled at `level` from its view. */
export function thumbnailPayload(
  name: string,
  shape: readonly number[],
  view: Pick<HeatmapView, 'layout' | 'rows' | 'cols'>,
  level: number,
  pooled: HeatmapTile,
  scale: ColorScale,
): OverviewTilePayload {
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
    scale,
  };
}

/** The level an overview thumbnail of this shape is pooled at. */
export function thumbnailLevel(shape: readonly number[], maxSize: number): number {
  return levelToFit(matrixShape(shape), maxSize);
}

/**
 * A thumbnail read for itself (not kept): a large tensor is pooled straight to the thumbnail's level
 * in one pass that also finds its colour percentile, most often.
 */
function thumbnail(a: OpenSide, b: OpenSide, name: string, params: ThumbnailParams, fullCells?: number) {
  const shape = tensorOf(params.view === 'b' ? b : a, name).shape;
  const reader = readerOf(a, b, name, params.view);
  const level = thumbnailLevel(shape, params.maxSize);
  const view = buildHeatmapView(reader, {
    ...(fullCells === undefined ? {} : { fullCells }),
    percentile: params.percentile,
    minBaseLevel: baseLevelOf(shape, fullCells) > 0 ? level : 0,
  });
  const pooled = viewTile(view, { level, tileRow: 0, tileCol: 0, tileSize: params.maxSize }, reader);
  const scale = colorScaleFrom(viewPercentile(view, params.percentile, reader), params.percentile);
  return thumbnailPayload(name, shape, view, level, pooled, scale);
}

/** Runs one heatmap task over both sides, opened. */
export function runHeatmapTask<T extends HeatmapTask>(
  a: OpenSide,
  b: OpenSide,
  task: T,
): HeatmapTaskResult<T> {
  return runTask(a, b, task) as HeatmapTaskResult<T>;
}

function runTask(a: OpenSide, b: OpenSide, task: HeatmapTask): HeatmapTaskResults[HeatmapTask['op']] {
  switch (task.op) {
    case 'view': {
      const { fullCells, percentile } = task;
      return buildHeatmapView(readerOf(a, b, task.name, task.view), {
        ...(fullCells === undefined ? {} : { fullCells }),
        ...(percentile === undefined ? {} : { percentile }),
      });
    }
    case 'tile':
      return viewTile(framed(task.frame), task.request, readerOf(a, b, task.name, task.view));
    case 'percentile':
      return viewPercentile(framed(task.frame), task.percentile, readerOf(a, b, task.name, task.view));
    case 'thumbnails':
      return task.names.map((name) => thumbnail(a, b, name, task.params, task.fullCells));
  }
}
