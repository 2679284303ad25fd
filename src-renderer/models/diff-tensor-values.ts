import { DeltascopeError } from '@shared';
import type { CheckpointRef, DiffView } from '@shared/contract-weights';
import type { ApiClient } from '../api/client';
import type { DenseMatrix } from '@shared/heatmap/observation-fold';
import { decodeTile } from './diff-tile-source';

/** Full-resolution tiles asked of the main side when a whole tensor is needed. */
export const DENSE_TILE_SIZE = 1024;
/** The largest tensor view read whole (16 MiB of float32): the demo's first layer is 65 k cells. */
export const MAX_DENSE_CELLS = 4 * 1024 * 1024;

export interface DenseTarget {
  a: CheckpointRef;
  b: CheckpointRef;
  tensor: string;
  view: DiffView;
  rows: number;
  cols: number;
}

/**
 * A tensor's whole 2-D view at full resolution (level 0), assembled from `diff.tile`: what the
 * observation-space view folds. A tensor above MAX_DENSE_CELLS is refused with a message saying why.
 */
export async function fetchDenseMatrix(api: ApiClient, target: DenseTarget): Promise<DenseMatrix> {
  const { rows, cols } = target;
  if (rows * cols > MAX_DENSE_CELLS) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `${target.tensor} has ${rows}×${cols} cells; the observation-space view reads at most ${MAX_DENSE_CELLS} at once.`,
    );
  }
  const values = new Float32Array(rows * cols);
  const requests: Promise<void>[] = [];
  for (let tileRow = 0; tileRow * DENSE_TILE_SIZE < rows; tileRow++) {
    for (let tileCol = 0; tileCol * DENSE_TILE_SIZE < cols; tileCol++) {
      requests.push(
        api['diff.tile']({
          a: target.a,
          b: target.b,
          tensor: target.tensor,
          view: target.view,
          level: 0,
          tileRow,
          tileCol,
          tileSize: DENSE_TILE_SIZE,
        }).then((reply) => {
          const tile = decodeTile(reply);
          for (let r = 0; r < tile.rows; r++) {
            const from = r * tile.cols;
            values.set(
              tile.values.subarray(from, from + tile.cols),
              (tile.rowStart + r) * cols + tile.colStart,
            );
          }
        }),
      );
    }
  }
  await Promise.all(requests);
  return { rows, cols, values };
}
