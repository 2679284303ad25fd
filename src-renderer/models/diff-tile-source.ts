import {
  decodeFloat32Base64,
  type CheckpointRef,
  type DiffView,
  type HeatmapTilePayload,
} from '@shared/contract-weights';
import type { ApiClient } from '../api/client';
import type { HeatmapTileData, TileSource } from '../heatmap/tile-types';
import type { TileAddress } from '../heatmap/view-transform';

/** Pooled cells per tile side asked of the main side. */
export const DIFF_TILE_SIZE = 256;

export interface DiffTileTarget {
  a: CheckpointRef;
  b: CheckpointRef;
  tensor: string;
  view: DiffView;
  /** Size of the tensor's 2-D view (from the diff's per-tensor record). */
  rows: number;
  cols: number;
}

export interface DiffTileSource extends TileSource {
  /** The tensor's robust colour limit at `percentile` (one small request: the whole-tensor tile). */
  fetchScale(percentile: number): Promise<{ limit: number; maxAbs: number }>;
}

export function decodeTile(reply: HeatmapTilePayload): HeatmapTileData {
  const values = decodeFloat32Base64(reply.values);
  if (values.length !== reply.rows * reply.cols) {
    throw new RangeError(
      `tile ${reply.level}/${reply.tileRow}/${reply.tileCol} of ${reply.tensor} has ${values.length} values for ${reply.rows}×${reply.cols} cells`,
    );
  }
  return {
    values,
    rows: reply.rows,
    cols: reply.cols,
    level: reply.level,
    factor: reply.factor,
    rowStart: reply.rowStart,
    colStart: reply.colStart,
  };
}

/** Tiles of one tensor of a diff from `diff.tile`; the whole-tensor tile fetched for the scale is reused. */
export function createDiffTileSource(api: ApiClient, target: DiffTileTarget): DiffTileSource {
  const reused = new Map<string, HeatmapTileData>();
  const key = (a: TileAddress): string => `${a.level}/${a.tileRow}/${a.tileCol}`;
  const request = (address: Partial<TileAddress>, percentile = 99) =>
    api['diff.tile']({
      a: target.a,
      b: target.b,
      tensor: target.tensor,
      view: target.view,
      tileSize: DIFF_TILE_SIZE,
      percentile,
      ...address,
    });
  return {
    rows: target.rows,
    cols: target.cols,
    tileSize: DIFF_TILE_SIZE,
    async fetchTile(address) {
      const hit = reused.get(key(address));
      if (hit !== undefined) return hit;
      return decodeTile(await request(address));
    },
    async fetchScale(percentile) {
      // Without a level the main side answers with its fit level: the whole tensor in one tile.
      const reply = await request({}, percentile);
      reused.set(key({ level: reply.level, tileRow: 0, tileCol: 0 }), decodeTile(reply));
      return { limit: reply.scale.limit, maxAbs: reply.scale.maxAbs };
    },
  };
}
