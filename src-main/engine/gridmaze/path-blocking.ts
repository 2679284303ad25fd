import { DeltascopeError } from '../../shared/errors';
import type { GridMazeConfigInput, ObjectKind } from '../../shared/gridmaze-config';
import { GridMazeEnv } from './env';
import type { GridMazeLayout } from './layout';

/**
 * How often an object stands in the way of another: the share of freshly drawn mazes in which kind
 * `blocker` lies on every path from the agent's start to kind `target` that fits in the horizon. In
 * those mazes an agent that avoids `blocker` cannot reach `target`, so a policy that keeps a lean away
 * from `blocker` (what negating Δ_blocker should leave) cannot recover `target`'s success to the
 * control's: recovery to criterion then has to erase the very lean it is meant to keep. A perfect
 * maze (loops 0) makes this common (about 31 % of 7×7 mazes for two of four objects).
 */

/** Steps of the shortest path from the agent to `goal` that avoids cell `avoid` (−1: none); −1 if none. */
export function shortestPath(layout: GridMazeLayout, goal: number, avoid: number): number {
  const { size, walls } = layout;
  const start = layout.agent.row * size + layout.agent.col;
  const dist = new Int32Array(size * size).fill(-1);
  dist[start] = 0;
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const cell = queue[head]!;
    if (cell === goal) return dist[cell]!;
    for (const next of [cell - size, cell + size, cell - 1, cell + 1]) {
      if (walls[next] === 0 && dist[next] === -1 && next !== avoid) {
        dist[next] = dist[cell]! + 1;
        queue.push(next);
      }
    }
  }
  return -1;
}

/**
 * Share of `mazes` mazes (stream `seed`) where `target` is reachable within the horizon but not
 * without stepping on `blocker`. Both kinds must be in `config.kinds`.
 */
export function blockingRate(
  config: GridMazeConfigInput,
  target: ObjectKind,
  blocker: ObjectKind,
  mazes: number,
  seed: number,
): number {
  if (!Number.isInteger(mazes) || mazes < 1) {
    throw new DeltascopeError('INVALID_SPEC', `blockingRate: mazes must be a positive integer; got ${mazes}`);
  }
  const env = new GridMazeEnv(config, [{ name: 'probe', collect: {}, stepCost: 0, reach: {} }], {
    numEnvs: mazes,
    seed,
  });
  const kinds = env.config.kinds;
  for (const kind of [target, blocker]) {
    if (!kinds.includes(kind)) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        `blockingRate: kind "${kind}" is not in the env's kinds (${kinds.join(', ')})`,
      );
    }
  }
  const horizon = env.config.horizon;
  let blocked = 0;
  for (let i = 0; i < mazes; i++) {
    const layout = env.layout(i);
    const cell = (kind: ObjectKind): number => {
      const object = layout.objects.find((o) => o.kind === kind)!;
      return object.row * layout.size + object.col;
    };
    const free = shortestPath(layout, cell(target), -1);
    if (free < 0 || free > horizon) continue;
    const around = shortestPath(layout, cell(target), cell(blocker));
    if (around < 0 || around > horizon) blocked++;
  }
  return blocked / mazes;
}
