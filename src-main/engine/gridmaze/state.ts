import type { GridMazeConfig } from '../../shared/gridmaze-config';
import { UNIFORM_PLACEMENT } from '../../shared/gridmaze-config';
import { createRng, type Rng } from '../../shared/random';
import { carveMaze, createMazeScratch, type MazeScratch } from './maze';
import type { ObservedState } from './observation';
import { placeAgentAndObjects, type PlacementSquare } from './placement';
import { regionMasks } from './regions';

/**
 * The mutable state of N gridmaze episodes as flat typed arrays (env-major), plus the per-episode
 * reset and the transition. Each env draws from its own PRNG stream (`createRng(seed, envIndex)`), so
 * env i sees the same sequence of mazes whatever the number of envs.
 */

/** Moves of actions 0 up, 1 down, 2 left, 3 right as (drow, dcol). */
export const MOVES: readonly (readonly [number, number])[] = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];

export interface GridMazeState extends ObservedState {
  numEnvs: number;
  regionCount: number;
  /** Steps taken in the current episode, per env. */
  step: Int32Array;
  /** collectedAt[i·K + k] = step (1-based) at which kind k was collected this episode, 0 if not. */
  collectedAt: Int32Array;
  /** reached[i·G + g] = 1 once the agent has been in region g this episode (a start inside counts). */
  reached: Uint8Array;
  rngs: Rng[];
}

/** Static data derived once from the config. */
export interface GridMazeGeometry {
  size: number;
  cells: number;
  /** Region masks, region-major: [G × S²]. */
  masks: Uint8Array;
  agentRule: PlacementSquare;
  kindRules: PlacementSquare[];
  /** Cell offsets of the four moves. */
  moveOffsets: Int32Array;
  scratch: MazeScratch;
  free: Int32Array;
}

export function createGeometry(config: GridMazeConfig): GridMazeGeometry {
  const size = config.size;
  const rule = (name: string): PlacementSquare => {
    const region = config.regions.find((candidate) => candidate.name === name);
    return name === UNIFORM_PLACEMENT || region === undefined
      ? null
      : { corner: region.corner, size: region.size };
  };
  return {
    size,
    cells: size * size,
    masks: regionMasks(config.regions, size),
    agentRule: rule(config.agentStart),
    kindRules: config.kinds.map((kind) => rule(config.placement[kind] ?? UNIFORM_PLACEMENT)),
    moveOffsets: Int32Array.from(MOVES, ([dr, dc]) => dr * size + dc),
    scratch: createMazeScratch(size),
    free: new Int32Array(size * size),
  };
}

export function createState(config: GridMazeConfig, numEnvs: number, seed: number): GridMazeState {
  const cells = config.size * config.size;
  const kindCount = config.kinds.length;
  const regionCount = config.regions.length;
  return {
    numEnvs,
    size: config.size,
    kindCount,
    regionCount,
    walls: new Float32Array(numEnvs * cells).fill(1),
    agent: new Int32Array(numEnvs),
    objects: new Int32Array(numEnvs * kindCount).fill(-1),
    step: new Int32Array(numEnvs),
    collectedAt: new Int32Array(numEnvs * kindCount),
    reached: new Uint8Array(numEnvs * regionCount),
    rngs: Array.from({ length: numEnvs }, (_, i) => createRng(seed, i)),
  };
}

/** Marks the regions the agent starts in as reached and clears the episode counters of env i. */
export function beginEpisode(state: GridMazeState, geometry: GridMazeGeometry, i: number): void {
  const here = state.agent[i] as number;
  state.step[i] = 0;
  state.collectedAt.fill(0, i * state.kindCount, (i + 1) * state.kindCount);
  for (let g = 0; g < state.regionCount; g++) {
    state.reached[i * state.regionCount + g] = geometry.masks[g * geometry.cells + here] as number;
  }
}

/** New episode in env i: a new maze, then the start and the objects. */
export function resetEnv(state: GridMazeState, geometry: GridMazeGeometry, loops: number, i: number): void {
  const rng = state.rngs[i] as Rng;
  carveMaze(geometry.size, loops, rng, state.walls, i * geometry.cells, geometry.scratch);
  placeAgentAndObjects(
    state.walls,
    i * geometry.cells,
    geometry.size,
    geometry.agentRule,
    geometry.kindRules,
    rng,
    geometry.free,
    i,
    state.agent,
    state.objects,
  );
  beginEpisode(state, geometry, i);
}

/**
 * One transition of env i: move (a wall leaves the agent in place), collect objects on the new cell
 * (they vanish), count the step, fire first entries into regions. Writes φ into events[0 … K+G) and
 * returns whether any object was collected.
 */
export function advanceEnv(
  state: GridMazeState,
  geometry: GridMazeGeometry,
  i: number,
  action: number,
  events: Uint8Array,
): boolean {
  const { kindCount, regionCount, objects, reached } = state;
  const cells = geometry.cells;
  let here = state.agent[i] as number;
  const target = here + (geometry.moveOffsets[action] as number);
  if (state.walls[i * cells + target] === 0) here = target; // the border is wall, so target stays in the grid
  state.agent[i] = here;
  const step = (state.step[i] as number) + 1;
  state.step[i] = step;
  let collected = false;
  for (let k = 0; k < kindCount; k++) {
    const hit = objects[i * kindCount + k] === here;
    events[k] = hit ? 1 : 0;
    if (hit) {
      objects[i * kindCount + k] = -1;
      state.collectedAt[i * kindCount + k] = step;
      collected = true;
    }
  }
  for (let g = 0; g < regionCount; g++) {
    const enter = reached[i * regionCount + g] === 0 && geometry.masks[g * cells + here] === 1;
    events[kindCount + g] = enter ? 1 : 0;
    if (enter) reached[i * regionCount + g] = 1;
  }
  return collected;
}
