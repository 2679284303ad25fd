/**
 * Writes the observations declared by src-main/shared/observation-layout.ts. Observations: float32 one-hot planes [wall, agent, kind_1 … kind_K], channel-major, row-major within a
 * plane (a collected object's plane is all zero). Global view: (K+2, S, S). Egocentric view: (K+2, V, V)
 * with V = 2S−1, the agent always at (S−1, S−1), cells outside the grid read as wall.
 */

/** What the observation writers read: walls (1 = wall) per env, agent cell, object cells (−1 = collected). */
export interface ObservedState {
  size: number;
  kindCount: number;
  walls: Float32Array;
  agent: Int32Array;
  objects: Int32Array;
}

/** obs[offset …] = global planes of env i; length (K+2)·S². */
export function writeGlobalObs(
  state: ObservedState,
  envIndex: number,
  out: Float32Array,
  offset: number,
): void {
  const { size, kindCount, walls, agent, objects } = state;
  const cells = size * size;
  const wallStart = envIndex * cells;
  for (let cell = 0; cell < cells; cell++) out[offset + cell] = walls[wallStart + cell] as number;
  out.fill(0, offset + cells, offset + (kindCount + 2) * cells);
  out[offset + cells + (agent[envIndex] as number)] = 1;
  for (let k = 0; k < kindCount; k++) {
    const at = objects[envIndex * kindCount + k] as number;
    if (at >= 0) out[offset + (2 + k) * cells + at] = 1;
  }
}

/** obs[offset …] = egocentric planes of env i: window cell (wr, wc) shows grid cell (wr − (S−1) + ar, wc − (S−1) + ac). */
export function writeEgocentricObs(
  state: ObservedState,
  envIndex: number,
  out: Float32Array,
  offset: number,
): void {
  const { size, kindCount, walls, agent, objects } = state;
  const side = 2 * size - 1;
  const window = side * side;
  const here = agent[envIndex] as number;
  const shiftRow = size - 1 - Math.floor(here / size);
  const shiftCol = size - 1 - (here % size);
  out.fill(1, offset, offset + window); // outside the grid reads as wall
  const wallStart = envIndex * size * size;
  for (let r = 0; r < size; r++) {
    const dst = offset + (r + shiftRow) * side + shiftCol;
    const src = wallStart + r * size;
    for (let c = 0; c < size; c++) out[dst + c] = walls[src + c] as number;
  }
  out.fill(0, offset + window, offset + (kindCount + 2) * window);
  out[offset + window + (size - 1) * side + (size - 1)] = 1;
  for (let k = 0; k < kindCount; k++) {
    const at = objects[envIndex * kindCount + k] as number;
    if (at < 0) continue;
    const row = Math.floor(at / size) + shiftRow;
    const col = (at % size) + shiftCol;
    out[offset + (2 + k) * window + row * side + col] = 1;
  }
}
