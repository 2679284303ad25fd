import type { PolicyMode, VisitationMode, VisitationResult } from '../shared/contract-evaluation';
import { DeltascopeError } from '../shared/errors';
import type { ObjectKind } from '../shared/gridmaze-config';
import type { EvaluationEnvSetup } from './evaluate';
import { createGridMaze, formatLayout, type GridMazeLayout } from './gridmaze';
import {
  DEFAULT_EVAL_ENVS,
  evaluationEnvSeed,
  moveAgent,
  runEpisodes,
  splitQuota,
  type PolicyFn,
} from './policy-rollout';

/**
 * Where a policy goes, as visit counts. A count is added for the start cell and for the cell after
 * every action (length + 1 per episode). Counts per absolute cell only mean something when the maze
 * is fixed, hence three modes:
 *   fixed-maze      one held-out maze (the first of stream mazeSeed), objects where that maze has them,
 *                   `episodesPerStart` episodes from every open cell without an object; S×S counts;
 *   start-relative  fresh held-out mazes; counts per offset (row, col) − start, on a (2S−1)² grid;
 *   object-relative fresh held-out mazes; counts per offset from the cell where `anchorKind` starts.
 * Positions follow the env's move rule (policy-rollout.ts moveAgent) from each episode's walls.
 */

export interface VisitationOptions {
  mode: VisitationMode;
  /** Fixed-maze: which held-out maze; relative modes: which held-out maze stream. */
  mazeSeed: number;
  policy: PolicyMode;
  /** Seed of the action samplers (sampled mode). Default 0. */
  seed?: number;
  /** Relative modes: episodes played. Default 256. */
  episodes?: number;
  /** Fixed-maze: episodes from each start cell. Default 1. */
  episodesPerStart?: number;
  /** Object-relative: the anchor kind. Default: the env's first kind. */
  anchorKind?: ObjectKind;
  /** Parallel envs. Default DEFAULT_EVAL_ENVS (128). */
  numEnvs?: number;
}

export function visitationHeatmap(
  policy: PolicyFn,
  setup: EvaluationEnvSetup,
  options: VisitationOptions,
): VisitationResult {
  return options.mode === 'fixed-maze' ? fixedMaze(policy, setup, options) : relative(policy, setup, options);
}

function fixedMaze(
  policy: PolicyFn,
  setup: EvaluationEnvSetup,
  options: VisitationOptions,
): VisitationResult {
  const envSeed = evaluationEnvSeed(options.mazeSeed);
  const maze = createGridMaze(setup.env, setup.rewards, { numEnvs: 1, seed: envSeed }).layout(0);
  const S = maze.size;
  const taken = new Set(maze.objects.map((o) => o.row * S + o.col));
  const starts: number[] = [];
  maze.walls.forEach((wall, cell) => {
    if (wall === 0 && !taken.has(cell)) starts.push(cell);
  });
  const perStart = options.episodesPerStart ?? 1;
  if (!Number.isInteger(perStart) || perStart < 1) {
    throw new DeltascopeError('INVALID_SPEC', `episodesPerStart must be a positive integer; got ${perStart}`);
  }
  const total = starts.length * perStart;
  const N = Math.min(options.numEnvs ?? DEFAULT_EVAL_ENVS, total);
  const env = createGridMaze(setup.env, setup.rewards, { numEnvs: N, seed: envSeed });
  const counts = new Array<number>(S * S).fill(0);
  const position = new Int32Array(N);
  let lengths = 0;
  runEpisodes(
    env,
    policy,
    { mode: options.policy, actionSeed: options.seed ?? 0, quota: splitQuota(total, N) },
    {
      onEpisodeStart: (i, j) => {
        // Env i plays global episodes e = i, i + N, i + 2N, …; episode e starts from starts[⌊e / perStart⌋].
        const cell = starts[Math.floor((i + j * N) / perStart)] as number;
        env.setLayout(i, formatLayout({ ...maze, agent: { row: Math.floor(cell / S), col: cell % S } }));
        position[i] = cell;
        counts[cell] = (counts[cell] as number) + 1;
      },
      onDecision: (i, action) => {
        const cell = moveAgent(maze.walls, S, position[i] as number, action);
        position[i] = cell;
        counts[cell] = (counts[cell] as number) + 1;
      },
      onEpisode: (record) => (lengths += record.length),
    },
  );
  return {
    format: 'deltascope.visitation/1',
    mode: 'fixed-maze',
    policy: options.policy,
    seed: options.seed ?? 0,
    mazeSeed: options.mazeSeed,
    size: S,
    rows: S,
    cols: S,
    counts,
    origin: null,
    anchor: null,
    episodes: total,
    visits: counts.reduce((a, b) => a + b, 0),
    meanLength: lengths / total,
    layout: { walls: maze.walls, objects: maze.objects },
    starts: starts.length,
  };
}

function relative(policy: PolicyFn, setup: EvaluationEnvSetup, options: VisitationOptions): VisitationResult {
  const episodes = options.episodes ?? 256;
  const N = Math.min(options.numEnvs ?? DEFAULT_EVAL_ENVS, episodes);
  const env = createGridMaze(setup.env, setup.rewards, {
    numEnvs: N,
    seed: evaluationEnvSeed(options.mazeSeed),
  });
  const S = env.config.size;
  const side = 2 * S - 1;
  const anchorKind = options.mode === 'object-relative' ? (options.anchorKind ?? env.kinds[0]) : undefined;
  if (anchorKind !== undefined && !env.kinds.includes(anchorKind)) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `anchorKind "${anchorKind}" is not in the env's kinds (${env.kinds.join(', ')})`,
    );
  }
  const counts = new Array<number>(side * side).fill(0);
  const position = new Int32Array(N);
  const anchor = new Int32Array(N);
  const walls: number[][] = Array.from({ length: N }, () => []);
  const visit = (i: number): void => {
    const here = position[i] as number;
    const there = anchor[i] as number;
    const dr = Math.floor(here / S) - Math.floor(there / S);
    const dc = (here % S) - (there % S);
    const index = (dr + S - 1) * side + (dc + S - 1);
    counts[index] = (counts[index] as number) + 1;
  };
  let lengths = 0;
  runEpisodes(
    env,
    policy,
    { mode: options.policy, actionSeed: options.seed ?? 0, quota: splitQuota(episodes, N) },
    {
      onEpisodeStart: (i) => {
        const layout: GridMazeLayout = env.layout(i);
        walls[i] = layout.walls;
        position[i] = layout.agent.row * S + layout.agent.col;
        const object = layout.objects.find((o) => o.kind === anchorKind);
        anchor[i] = object === undefined ? (position[i] as number) : object.row * S + object.col;
        visit(i);
      },
      onDecision: (i, action) => {
        position[i] = moveAgent(walls[i] as number[], S, position[i] as number, action);
        visit(i);
      },
      onEpisode: (record) => (lengths += record.length),
    },
  );
  return {
    format: 'deltascope.visitation/1',
    mode: options.mode,
    policy: options.policy,
    seed: options.seed ?? 0,
    mazeSeed: options.mazeSeed,
    size: S,
    rows: side,
    cols: side,
    counts,
    origin: { row: S - 1, col: S - 1 },
    anchor: anchorKind ?? 'start',
    episodes,
    visits: counts.reduce((a, b) => a + b, 0),
    meanLength: lengths / episodes,
    layout: null,
    starts: null,
  };
}
