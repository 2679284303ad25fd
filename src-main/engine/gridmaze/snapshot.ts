import { DeltascopeError } from '../../shared/errors';
import type { GridMazeConfig } from '../../shared/gridmaze-config';
import type { RngState } from '../../shared/random';
import type { GridMazeState } from './state';

/** Plain, JSON-safe state of a gridmaze VecEnv: everything needed to continue a run identically. */
export interface GridMazeSnapshot {
  format: 'deltascope.gridmaze/1';
  config: GridMazeConfig;
  rewardNames: string[];
  numEnvs: number;
  walls: number[];
  agent: number[];
  objects: number[];
  step: number[];
  collectedAt: number[];
  reached: number[];
  /** Undiscounted return so far, reward-major [R × N]. */
  returns: number[];
  rngs: RngState[];
}

/** JSON with object keys sorted, so configs compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function takeSnapshot(
  config: GridMazeConfig,
  rewardNames: readonly string[],
  state: GridMazeState,
  returns: Float64Array,
): GridMazeSnapshot {
  return {
    format: 'deltascope.gridmaze/1',
    config: JSON.parse(JSON.stringify(config)) as GridMazeConfig,
    rewardNames: [...rewardNames],
    numEnvs: state.numEnvs,
    walls: Array.from(state.walls),
    agent: Array.from(state.agent),
    objects: Array.from(state.objects),
    step: Array.from(state.step),
    collectedAt: Array.from(state.collectedAt),
    reached: Array.from(state.reached),
    returns: Array.from(returns),
    rngs: state.rngs.map((rng) => rng.getState()),
  };
}

function fail(message: string): DeltascopeError {
  return new DeltascopeError('INVALID_PAYLOAD', `gridmaze snapshot: ${message}`);
}

function checkArray(name: string, source: unknown, length: number): number[] {
  if (!Array.isArray(source) || source.length !== length) {
    const got = Array.isArray(source) ? `length ${source.length}` : typeof source;
    throw fail(`field ${name} must be an array of length ${length}; got ${got}`);
  }
  source.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw fail(`${name}[${i}] is not a finite number`);
  });
  return source as number[];
}

/**
 * Restores state and returns from a snapshot taken of an env with the same config, rewards and env
 * count. Everything is checked before anything is written, so a bad snapshot leaves the env unchanged.
 */
export function restoreSnapshot(
  raw: unknown,
  config: GridMazeConfig,
  rewardNames: readonly string[],
  state: GridMazeState,
  returns: Float64Array,
): void {
  if (raw === null || typeof raw !== 'object') throw fail('not an object');
  const snap = raw as Partial<GridMazeSnapshot>;
  if (snap.format !== 'deltascope.gridmaze/1') throw fail(`unknown format ${String(snap.format)}`);
  if (snap.numEnvs !== state.numEnvs)
    throw fail(`taken with ${snap.numEnvs} envs; this env has ${state.numEnvs}`);
  if (canonical(snap.config) !== canonical(config)) {
    throw fail(`taken with config ${canonical(snap.config)}; this env has ${canonical(config)}`);
  }
  if (canonical(snap.rewardNames) !== canonical(rewardNames)) {
    throw fail(`taken with rewards ${canonical(snap.rewardNames)}; this env has ${canonical(rewardNames)}`);
  }
  const fields: [string, unknown, Int32Array | Float32Array | Uint8Array | Float64Array][] = [
    ['walls', snap.walls, state.walls],
    ['agent', snap.agent, state.agent],
    ['objects', snap.objects, state.objects],
    ['step', snap.step, state.step],
    ['collectedAt', snap.collectedAt, state.collectedAt],
    ['reached', snap.reached, state.reached],
    ['returns', snap.returns, returns],
  ];
  const checked = fields.map(([name, source, target]) => checkArray(name, source, target.length));
  if (!Array.isArray(snap.rngs) || snap.rngs.length !== state.numEnvs)
    throw fail(`needs ${state.numEnvs} RNG states`);
  const rngStates = snap.rngs;
  const previous = state.rngs.map((rng) => rng.getState());
  try {
    rngStates.forEach((rngState, i) => state.rngs[i]?.setState(rngState));
  } catch (error) {
    previous.forEach((rngState, i) => state.rngs[i]?.setState(rngState));
    throw error;
  }
  fields.forEach(([, , target], f) => target.set(checked[f] as number[]));
}
