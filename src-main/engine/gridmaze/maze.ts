import type { Rng } from '../../shared/random';

/**
 * Maze carving, exactly as shared/bench/reference_ppo.py `carve_maze`: a perfect maze by randomised
 * depth-first search (recursive backtracker) over the lattice of cells whose row and column are both
 * odd, then optional loops. Grids are flat row-major arrays with 1 = wall, 0 = open.
 */

/** Reusable buffers so carving allocates nothing. */
export interface MazeScratch {
  visited: Uint8Array;
  stack: Int32Array;
  options: Int32Array;
}

export function createMazeScratch(size: number): MazeScratch {
  const m = (size - 1) / 2;
  return { visited: new Uint8Array(m * m), stack: new Int32Array(m * m), options: new Int32Array(4) };
}

/** Lattice neighbours (up, down, left, right) as (drow, dcol). */
const STEP_ROW = Int8Array.from([-1, 1, 0, 0]);
const STEP_COL = Int8Array.from([0, 0, -1, 1]);

/**
 * Carves a new maze into grid[offset … offset+size²). Start at a uniform lattice cell; repeatedly open a
 * uniform unvisited lattice neighbour of the stack top (and the wall between) and push it; pop at dead ends.
 * Then, if loops > 0, open each interior wall with exactly one odd coordinate with probability `loops`,
 * row-major, one uniform draw per such wall.
 */
export function carveMaze(
  size: number,
  loops: number,
  rng: Rng,
  grid: Float32Array | Uint8Array,
  offset: number,
  scratch: MazeScratch,
): void {
  const m = (size - 1) / 2;
  const { visited, stack, options } = scratch;
  grid.fill(1, offset, offset + size * size);
  visited.fill(0);
  const start = rng.int(m * m);
  visited[start] = 1;
  grid[offset + (2 * Math.floor(start / m) + 1) * size + 2 * (start % m) + 1] = 0;
  stack[0] = start;
  let depth = 1;
  while (depth > 0) {
    const top = stack[depth - 1] as number;
    const r = Math.floor(top / m);
    const c = top % m;
    let count = 0;
    for (let d = 0; d < 4; d++) {
      const nr = r + (STEP_ROW[d] as number);
      const nc = c + (STEP_COL[d] as number);
      if (nr >= 0 && nr < m && nc >= 0 && nc < m && visited[nr * m + nc] === 0)
        options[count++] = nr * m + nc;
    }
    if (count === 0) {
      depth--; // dead end: backtrack
      continue;
    }
    const next = options[rng.int(count)] as number;
    const nr = Math.floor(next / m);
    const nc = next % m;
    visited[next] = 1;
    grid[offset + (r + nr + 1) * size + (c + nc + 1)] = 0; // the wall cell between the two lattice cells
    grid[offset + (2 * nr + 1) * size + (2 * nc + 1)] = 0;
    stack[depth++] = next;
  }
  if (loops > 0) {
    for (let r = 1; r < size - 1; r++) {
      for (let c = 1; c < size - 1; c++) {
        const at = offset + r * size + c;
        if (grid[at] !== 0 && r % 2 !== c % 2 && rng.float() < loops) grid[at] = 0;
      }
    }
  }
}
