import { describe, expect, it } from 'vitest';
import type { GridMazeConfigInput } from '../../../../src-main/shared/gridmaze-config';
import type { RewardSpec } from '../../../../src-main/shared/reward';
import { createGridMaze, formatLayout, type GridMazeEnv } from '../../../../src-main/engine/gridmaze';
import { addComponent } from '../../../../src-main/engine/rewards';

// Hand-checked 7×7 maze: the agent at (1,1), cheese at (1,3), coin at (3,3); (1,3) → (3,3) goes round
// by (1,5), (2,5), (3,5).
const MAZE = `
#######
#A.c..#
#.###.#
#.#o..#
#.#####
#.....#
#######`;

const UP = 0;
const DOWN = 1;
const LEFT = 2;
const RIGHT = 3;

const RA: RewardSpec = { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} };
const RB: RewardSpec = { name: 'RB', collect: { coin: 1 }, stepCost: 0, reach: {} };
const REWARDS: RewardSpec[] = [
  RA,
  RB,
  addComponent(RA, 'RAB', { collect: { coin: 1 } }),
  { name: 'Rcost', collect: { cheese: 1 }, stepCost: -0.1, reach: {} },
  { name: 'Rmix', collect: { cheese: -2, coin: 3 }, stepCost: 0, reach: {} },
];

function makeEnv(config: GridMazeConfigInput = {}, rewards = REWARDS): GridMazeEnv {
  const env = createGridMaze({ size: 7, ...config }, rewards, { numEnvs: 2, seed: 11 });
  env.setLayout(0, MAZE);
  return env;
}

/** Steps env 0 with `action` (env 1 bumps upwards or moves, whatever its maze). */
function step(env: GridMazeEnv, action: number): ReturnType<GridMazeEnv['step']> {
  return env.step(Int32Array.from([action, UP]));
}

/** Rewards of env 0 under every reward, by name. */
function rewardsOf(env: GridMazeEnv, result: ReturnType<GridMazeEnv['step']>): Record<string, number> {
  return Object.fromEntries(
    env.rewardNames.map((name, r) => [name, result.allRewards[r * env.numEnvs] as number]),
  );
}

/** Independent oracle: global planes [wall, agent, cheese, coin] of a text layout. */
function globalPlanes(text: string, kinds = ['cheese', 'coin']): Float32Array {
  const rows = text.trim().split('\n');
  const size = rows.length;
  const planes = new Float32Array((kinds.length + 2) * size * size);
  const symbols: Record<string, string> = { cheese: 'c', coin: 'o', red_gem: 'r', blue_gem: 'b' };
  rows.forEach((row, r) =>
    [...row].forEach((ch, c) => {
      const cell = r * size + c;
      if (ch === '#') planes[cell] = 1;
      if (ch === 'A') planes[size * size + cell] = 1;
      kinds.forEach((kind, k) => {
        if (symbols[kind] === ch) planes[(2 + k) * size * size + cell] = 1;
      });
    }),
  );
  return planes;
}

function row(buffer: Float32Array, env: GridMazeEnv, i: number): Float32Array {
  return buffer.slice(i * env.obsSize, (i + 1) * env.obsSize);
}

describe('gridmaze moves', () => {
  it('a move into a wall leaves the agent in place; open moves go up, down, left, right', () => {
    const env = makeEnv();
    const at = (): [number, number] => [env.layout(0).agent.row, env.layout(0).agent.col];
    step(env, UP);
    expect(at()).toEqual([1, 1]);
    step(env, LEFT);
    expect(at()).toEqual([1, 1]);
    step(env, DOWN);
    expect(at()).toEqual([2, 1]);
    step(env, RIGHT); // (2,2) is wall
    expect(at()).toEqual([2, 1]);
    step(env, UP);
    expect(at()).toEqual([1, 1]);
    step(env, RIGHT);
    expect(at()).toEqual([1, 2]);
    expect(env.layout(0).step).toBe(6);
  });

  it('rejects bad actions, naming the env and the shape', () => {
    const env = makeEnv();
    expect(() => env.step(Int32Array.from([4, 0]))).toThrow(/actions\[0\] = 4/);
    expect(() => env.step(Int32Array.from([0]))).toThrow(/length 1; expected numEnvs = 2/);
  });
});

describe('gridmaze collection, events and rewards', () => {
  it('collecting an object rewards every reward by its weight once, then the object vanishes', () => {
    const env = makeEnv();
    expect(rewardsOf(env, step(env, RIGHT))).toEqual({
      RA: 0,
      RB: 0,
      RAB: 0,
      Rcost: expect.closeTo(-0.1, 6),
      Rmix: 0,
    });
    const collect = step(env, RIGHT);
    expect(rewardsOf(env, collect)).toEqual({
      RA: 1,
      RB: 0,
      RAB: 1,
      Rcost: expect.closeTo(0.9, 6),
      Rmix: -2,
    });
    expect(collect.rewards[0]).toBe(1); // RA is the training reward (the first)
    expect(collect.terminated[0]).toBe(0);
    expect(env.layout(0).objects).toEqual([{ kind: 'coin', row: 3, col: 3 }]);
    const cheesePlane = row(collect.obs, env, 0).slice(2 * 49, 3 * 49);
    expect(cheesePlane.every((v) => v === 0)).toBe(true);
    step(env, LEFT);
    expect(rewardsOf(env, step(env, RIGHT)).RA).toBe(0); // back on the emptied cell: nothing
    for (const action of [RIGHT, RIGHT, DOWN, DOWN, LEFT]) step(env, action);
    const coin = step(env, LEFT);
    expect(rewardsOf(env, coin)).toEqual({ RA: 0, RB: 1, RAB: 1, Rcost: expect.closeTo(-0.1, 6), Rmix: 3 });
    expect(env.layout(0).objects).toEqual([]);
    expect(formatLayout(env.layout(0)).split('\n')[3]).toBe('#.#A..#');
  });

  it('trainReward picks the row returned in `rewards`', () => {
    const env = createGridMaze({ size: 7 }, REWARDS, { numEnvs: 2, seed: 1, trainReward: 'Rmix' });
    env.setLayout(0, MAZE);
    expect(env.trainRewardIndex).toBe(4);
    step(env, RIGHT);
    expect(step(env, RIGHT).rewards[0]).toBe(-2);
    expect(() => createGridMaze({}, REWARDS, { numEnvs: 1, seed: 1, trainReward: 'RZ' })).toThrow(
      /"RZ" is not one/,
    );
  });

  it('under terminateOn "none" an episode runs to the horizon and logs every reward', () => {
    const env = makeEnv({ horizon: 12 });
    const actions = [RIGHT, RIGHT, RIGHT, RIGHT, DOWN, DOWN, LEFT, LEFT, UP, UP, UP];
    for (const action of actions) expect(step(env, action).episodes).toEqual([]);
    const last = step(env, UP);
    expect(last.truncated[0]).toBe(1);
    expect(last.terminated[0]).toBe(0);
    const record = last.episodes.find((e) => e.envIndex === 0);
    expect(record).toEqual({
      envIndex: 0,
      returns: { RA: 1, RB: 1, RAB: 2, Rcost: expect.closeTo(1 + 1 * 0 - 1.2, 6), Rmix: 1 },
      length: 12,
      collected: { cheese: true, coin: true },
      collectedAtStep: { cheese: 2, coin: 8 },
      success: { RA: true, RB: true, RAB: true, Rcost: true, Rmix: true },
    });
  });

  it('under terminateOn "any" the first collection ends the episode and auto-resets', () => {
    const env = makeEnv({ terminateOn: 'any' });
    step(env, RIGHT);
    const result = step(env, RIGHT);
    expect(result.terminated[0]).toBe(1);
    expect(result.truncated[0]).toBe(0);
    expect(result.episodes).toEqual([
      {
        envIndex: 0,
        returns: { RA: 1, RB: 0, RAB: 1, Rcost: expect.closeTo(0.8, 6), Rmix: -2 },
        length: 2,
        collected: { cheese: true, coin: false },
        collectedAtStep: { cheese: 2 },
        success: { RA: true, RB: false, RAB: true, Rcost: true, Rmix: false },
      },
    ]);
    const fresh = env.layout(0);
    expect(fresh.step).toBe(0);
    expect(fresh.objects.map((o) => o.kind)).toEqual(['cheese', 'coin']);
    expect(row(result.obs, env, 0)).toEqual(globalPlanes(formatLayout(fresh)));
    expect(row(result.finalObs, env, 0)).toEqual(globalPlanes(MAZE.replace('A.c', '..A')));
  });

  it('truncates at H with the final observation, then shows the new episode', () => {
    const env = makeEnv({ horizon: 4 });
    env.setLayout(1, MAZE.replace('A.c', '.Ac'));
    for (let t = 1; t < 4; t++) {
      const result = step(env, UP);
      expect(Array.from(result.truncated)).toEqual([0, 0]);
    }
    const last = step(env, UP);
    expect(Array.from(last.truncated)).toEqual([1, 1]);
    expect(Array.from(last.terminated)).toEqual([0, 0]);
    expect(row(last.finalObs, env, 0)).toEqual(globalPlanes(MAZE));
    expect(row(last.finalObs, env, 1)).toEqual(globalPlanes(MAZE.replace('A.c', '.Ac')));
    expect(last.episodes.map((e) => [e.envIndex, e.length, e.returns.Rcost])).toEqual([
      [0, 4, expect.closeTo(-0.4, 6)],
      [1, 4, expect.closeTo(-0.4, 6)],
    ]);
    expect(last.episodes[0]?.success).toEqual({
      RA: false,
      RB: false,
      RAB: false,
      Rcost: false,
      Rmix: false,
    });
    for (const i of [0, 1]) {
      expect(env.layout(i).step).toBe(0);
      expect(row(last.obs, env, i)).toEqual(globalPlanes(formatLayout(env.layout(i))));
    }
  });
});

describe('gridmaze regions', () => {
  const regions = [{ name: 'top_right', corner: 'top-right' as const, size: 2 }];
  const reach: RewardSpec = { name: 'Reach', collect: {}, stepCost: 0, reach: { top_right: 1 } };

  it('φ_reach fires once per episode, on the first step that enters the region', () => {
    const env = makeEnv({ regions }, [RA, reach]);
    const reachOf = (action: number): number => step(env, action).allRewards[1 * 2] as number;
    expect([RIGHT, RIGHT, RIGHT].map(reachOf)).toEqual([0, 0, 1]); // (1,4) is in rows 1–2, cols 4–5
    expect([LEFT, RIGHT, RIGHT, DOWN].map(reachOf)).toEqual([0, 0, 0, 0]);
  });

  it('a start inside the region counts as reached', () => {
    const env = makeEnv({ regions }, [RA, reach]);
    env.setLayout(0, MAZE.replace('A.c..#', '..c.A#'));
    const rewards = [RIGHT, LEFT, DOWN].map((action) => step(env, action).allRewards[2] as number);
    expect(rewards).toEqual([0, 0, 0]);
  });
});

describe('gridmaze observations', () => {
  it('global view: channel-major planes [wall, agent, cheese, coin], env-major rows', () => {
    const env = makeEnv();
    const other = MAZE.replace('A.c', 'c.A').replace('#.#o', '#o#.');
    env.setLayout(1, other);
    expect(env.obsShape).toEqual([4, 7, 7]);
    expect(env.obsSize).toBe(196);
    const obs = env.observe();
    expect(obs.length).toBe(2 * 196);
    const S2 = 49;
    const at = (i: number, plane: number, r: number, c: number): number =>
      obs[i * 196 + plane * S2 + r * 7 + c] as number;
    expect([
      at(0, 0, 0, 0),
      at(0, 0, 1, 1),
      at(0, 0, 2, 2),
      at(0, 1, 1, 1),
      at(0, 2, 1, 3),
      at(0, 3, 3, 3),
    ]).toEqual([1, 0, 1, 1, 1, 1]);
    expect([at(1, 1, 1, 3), at(1, 2, 1, 1), at(1, 3, 3, 1), at(1, 3, 3, 3)]).toEqual([1, 1, 1, 0]);
    expect(row(obs, env, 0)).toEqual(globalPlanes(MAZE));
    expect(row(obs, env, 1)).toEqual(globalPlanes(other));
  });

  it('egocentric view: side 2S−1, agent at the centre, outside the grid reads as wall', () => {
    const env = makeEnv({ view: 'egocentric' });
    expect(env.obsShape).toEqual([4, 13, 13]);
    const V = 13;
    const oracle = (agentRow: number, agentCol: number, planes: Float32Array): Float32Array => {
      const out = new Float32Array(4 * V * V);
      for (let p = 0; p < 4; p++) {
        for (let wr = 0; wr < V; wr++) {
          for (let wc = 0; wc < V; wc++) {
            const r = wr - 6 + agentRow;
            const c = wc - 6 + agentCol;
            const inside = r >= 0 && r < 7 && c >= 0 && c < 7;
            out[p * V * V + wr * V + wc] = inside ? (planes[p * 49 + r * 7 + c] as number) : p === 0 ? 1 : 0;
          }
        }
      }
      return out;
    };
    const obs = env.observe();
    expect(obs[0]).toBe(1); // window (0,0) is grid (−5,−5): outside
    expect(obs[6 * V + 6]).toBe(0); // the agent's own cell is open
    expect(obs[V * V + 6 * V + 6]).toBe(1); // agent plane: the centre
    expect(obs[2 * V * V + 6 * V + 8]).toBe(1); // cheese two cells to the right
    expect(obs[3 * V * V + 8 * V + 8]).toBe(1); // coin two down, two right
    expect(row(obs, env, 0)).toEqual(oracle(1, 1, globalPlanes(MAZE)));
    for (const action of [RIGHT, RIGHT, RIGHT, RIGHT, DOWN]) step(env, action);
    expect(env.layout(0).agent).toEqual({ row: 2, col: 5 });
    const moved = MAZE.replace('#A.c..#', '#.....#').replace('#.###.#', '#.###A#');
    expect(row(env.observe(), env, 0)).toEqual(oracle(2, 5, globalPlanes(moved)));
  });

  it('keeps the previous step’s observations valid until the next step returns', () => {
    const env = makeEnv();
    const first = step(env, RIGHT).obs;
    const copy = first.slice();
    const second = step(env, RIGHT).obs;
    expect(second).not.toBe(first);
    expect(first).toEqual(copy);
  });
});

describe('gridmaze layouts', () => {
  it('round-trips text layouts and rejects malformed ones', () => {
    const env = makeEnv();
    expect(formatLayout(env.layout(0))).toBe(MAZE.trim());
    expect(() => env.setLayout(0, MAZE.replace('#A', '.A'))).toThrow(/border cell \(1, 0\)/);
    expect(() => env.setLayout(0, MAZE.replace('A', '.'))).toThrow(/no agent/);
    expect(() => env.setLayout(0, MAZE.replace('c', 'r'))).toThrow(/unknown symbol "r"/);
    expect(() => env.setLayout(0, '###\n#A#\n###')).toThrow(/expected 7 rows/);
    expect(() => env.layout(2)).toThrow(/envIndex 2/);
  });
});
