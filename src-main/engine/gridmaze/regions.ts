import type { GridMazeRegion, RegionCorner } from '../../shared/gridmaze-config';

/** Region geometry: k×k squares of interior cells in a corner of an S×S grid (the border is not counted). */

/** True if (row, col) lies in the k×k interior square at `corner` of a size×size grid. */
export function inCornerSquare(
  row: number,
  col: number,
  corner: RegionCorner,
  k: number,
  size: number,
): boolean {
  const top = corner === 'top-left' || corner === 'top-right';
  const left = corner === 'top-left' || corner === 'bottom-left';
  const rowOk = top ? row >= 1 && row <= k : row >= size - 1 - k && row <= size - 2;
  const colOk = left ? col >= 1 && col <= k : col >= size - 1 - k && col <= size - 2;
  return rowOk && colOk;
}

/** Region masks, region-major: mask[g·size² + cell] = 1 if the cell is in region g. */
export function regionMasks(regions: readonly GridMazeRegion[], size: number): Uint8Array {
  const cells = size * size;
  const masks = new Uint8Array(regions.length * cells);
  regions.forEach((region, g) => {
    for (let cell = 0; cell < cells; cell++) {
      const row = Math.floor(cell / size);
      if (inCornerSquare(row, cell % size, region.corner, region.size, size)) masks[g * cells + cell] = 1;
    }
  });
  return masks;
}
