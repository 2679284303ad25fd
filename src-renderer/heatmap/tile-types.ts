import type { TileAddress } from './view-transform';

/** One tile of pooled values as the renderer needs it (the API reply, decoded). */
export interface HeatmapTileData {
  /** rows·cols values, row-major. */
  values: Float32Array;
  rows: number;
  cols: number;
  level: number;
  /** Matrix cells per pooled cell side: 2^level. */
  factor: number;
  /** Matrix cell at the tile's top-left corner. */
  rowStart: number;
  colStart: number;
}

/** Where tiles come from: the API for a diff, an in-memory matrix in the benchmark. */
export interface TileSource {
  /** Size of the full matrix. */
  rows: number;
  cols: number;
  /** Pooled cells per tile side. */
  tileSize: number;
  fetchTile(address: TileAddress): Promise<HeatmapTileData>;
}
