import type { HeatmapTileData } from './tile-types';

/** A tile as drawn: pooled cells, each covering rowFactor × colFactor matrix cells. */
export interface PooledTile {
  /** rows·cols values, row-major. */
  values: Float32Array;
  rows: number;
  cols: number;
  rowFactor: number;
  colFactor: number;
  rowStart: number;
  colStart: number;
}

/**
 * Pools a tile further by rowPool × colPool of its cells, each block keeping its element of largest
 * |v| with its sign (as the main side pools tiles: a single spike stays visible; NaN is ignored and
 * an all-NaN block gives 0). rowPool = colPool = 1 returns the tile's own values.
 */
export function poolTile(tile: HeatmapTileData, rowPool: number, colPool: number): PooledTile {
  for (const [name, pool] of [
    ['rowPool', rowPool],
    ['colPool', colPool],
  ] as const) {
    if (!(Number.isInteger(pool) && pool >= 1))
      throw new RangeError(`poolTile: ${name} must be a positive integer, got ${pool}`);
  }
  if (tile.values.length !== tile.rows * tile.cols) {
    throw new RangeError(
      `poolTile: a ${tile.rows}×${tile.cols} tile needs ${tile.rows * tile.cols} values, got ${tile.values.length}`,
    );
  }
  const base = {
    rowFactor: tile.factor * rowPool,
    colFactor: tile.factor * colPool,
    rowStart: tile.rowStart,
    colStart: tile.colStart,
  };
  if (rowPool === 1 && colPool === 1)
    return { ...base, values: tile.values, rows: tile.rows, cols: tile.cols };
  const rows = Math.ceil(tile.rows / rowPool);
  const cols = Math.ceil(tile.cols / colPool);
  const values = new Float32Array(rows * cols);
  const best = new Float64Array(rows * cols).fill(-1);
  for (let r = 0; r < tile.rows; r++) {
    const outRow = Math.floor(r / rowPool) * cols;
    for (let c = 0; c < tile.cols; c++) {
      const v = tile.values[r * tile.cols + c] as number;
      const a = v < 0 ? -v : v;
      const k = outRow + Math.floor(c / colPool);
      if (a > (best[k] as number)) {
        best[k] = a;
        values[k] = v;
      }
    }
  }
  return { ...base, values, rows, cols };
}

/** The value drawn for matrix cell (row, col), or undefined when the tile does not cover it. */
export function pooledValueAt(tile: PooledTile, row: number, col: number): number | undefined {
  const r = Math.floor((row - tile.rowStart) / tile.rowFactor);
  const c = Math.floor((col - tile.colStart) / tile.colFactor);
  if (r < 0 || c < 0 || r >= tile.rows || c >= tile.cols) return undefined;
  return tile.values[r * tile.cols + c];
}
