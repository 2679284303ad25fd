import type { RegionCorner } from '../../shared/gridmaze-config';
import type { Rng } from '../../shared/random';
import { inCornerSquare } from './regions';

/**
 * Start and object placement. With every rule uniform this is the reference's draw of K+1 distinct
 * open cells (start first, then one object per kind in plane order): sequential uniform sampling
 * without replacement has the same distribution as numpy's `choice(n, K+1, replace=False)`.
 */

/** `null` = uniform over free open cells; otherwise a k×k corner square of interior cells. */
export type PlacementSquare = { corner: RegionCorner; size: number } | null;

/**
 * Index in free[used … count) of a uniform free cell inside `square`. If the square holds no free open
 * cell it grows by one cell (same corner) until it does: a deterministic fallback that keeps the object
 * as close to the intended corner as the maze allows. The whole interior always has a free cell.
 */
function pickInSquare(
  square: { corner: RegionCorner; size: number },
  gridSize: number,
  free: Int32Array,
  used: number,
  count: number,
  rng: Rng,
): number {
  for (let k = square.size; k <= gridSize - 2; k++) {
    let inside = 0;
    for (let i = used; i < count; i++) {
      const cell = free[i] as number;
      if (inCornerSquare(Math.floor(cell / gridSize), cell % gridSize, square.corner, k, gridSize)) inside++;
    }
    if (inside === 0) continue;
    let target = rng.int(inside);
    for (let i = used; i < count; i++) {
      const cell = free[i] as number;
      if (
        inCornerSquare(Math.floor(cell / gridSize), cell % gridSize, square.corner, k, gridSize) &&
        target-- === 0
      ) {
        return i;
      }
    }
  }
  return used + rng.int(count - used);
}

/**
 * Places the agent, then one object per kind, on distinct open cells of grid[offset … offset+size²).
 * Writes the agent's cell to agent[envIndex] and kind k's cell to objects[envIndex·K + k].
 * `free` is scratch of length ≥ size².
 */
export function placeAgentAndObjects(
  grid: Float32Array,
  offset: number,
  size: number,
  agentRule: PlacementSquare,
  kindRules: readonly PlacementSquare[],
  rng: Rng,
  free: Int32Array,
  envIndex: number,
  agent: Int32Array,
  objects: Int32Array,
): void {
  let count = 0;
  for (let cell = 0; cell < size * size; cell++) if (grid[offset + cell] === 0) free[count++] = cell;
  const kinds = kindRules.length;
  // free[0 … used) holds the cells taken so far (agent first, then kinds in order).
  for (let used = 0; used <= kinds; used++) {
    const rule = used === 0 ? agentRule : (kindRules[used - 1] ?? null);
    const at =
      rule === null ? used + rng.int(count - used) : pickInSquare(rule, size, free, used, count, rng);
    const cell = free[at] as number;
    free[at] = free[used] as number;
    free[used] = cell;
    if (used === 0) agent[envIndex] = cell;
    else objects[envIndex * kinds + used - 1] = cell;
  }
}
