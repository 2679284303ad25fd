import { describe, expect, it } from 'vitest';
import type { GridMazeConfigInput } from '../../../../src-main/shared/gridmaze-config';
import type { RewardSpec } from '../../../../src-main/shared/reward';
import type { StepResult } from '../../../../src-main/engine/env-types';
import { createGridMaze, type GridMazeEnv } from '../../../../src-main/engine/gridmaze';
import { createRng } from '../../../../src-main/shared/random';

const REWARDS: RewardSpec[] = [
  { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} },
  { name: 'RB', collect: { coin: 1 }, stepCost: -0.01, reach: { top_right: 0.5 } },
];
const CONFIG: GridMazeConfigInput = {
  size: 7,
  loops: 0.2,
  horizon: 20,
  terminateOn: 'any',
  regions: [{ name: 'top_right', corner: 'top-right', size: 3 }],
};

/** Copies of everything a step returns, for `steps` steps of actions from `actionSeed`. */
function record(env: GridMazeEnv, steps: number, actionSeed: number): unknown[] {
  const rng = createRng(actionSeed);
  const actions = new Int32Array(env.numEnvs);
  const out: unknown[] = [];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < env.numEnvs; i++) actions[i] = rng.int(4);
    const r: StepResult = env.step(actions);
    out.push({
      obs: Array.from(r.obs),
      rewards: Array.from(r.rewards),
      allRewards: Array.from(r.allRewards),
      terminated: Array.from(r.terminated),
      truncated: Array.from(r.truncated),
      episodes: r.episodes,
    });
  }
  return out;
}

describe('determinism', () => {
  it('same seed ⇒ identical mazes, observations, rewards and episodes', () => {
    const a = createGridMaze(CONFIG, REWARDS, { numEnvs: 8, seed: 123 });
    const b = createGridMaze(CONFIG, REWARDS, { numEnvs: 8, seed: 123 });
    expect(Array.from(b.reset())).toEqual(Array.from(a.reset()));
    const ra = record(a, 200, 9);
    expect(record(b, 200, 9)).toEqual(ra);
    expect(ra.flatMap((step) => (step as { episodes: unknown[] }).episodes).length).toBeGreaterThan(50);
  });

  it('different seeds ⇒ different mazes', () => {
    const a = createGridMaze(CONFIG, REWARDS, { numEnvs: 4, seed: 1 });
    const b = createGridMaze(CONFIG, REWARDS, { numEnvs: 4, seed: 2 });
    for (let i = 0; i < 4; i++) expect(b.layout(i).walls).not.toEqual(a.layout(i).walls);
  });

  it('env i sees the same episodes whatever the number of envs', () => {
    const small = createGridMaze(CONFIG, REWARDS, { numEnvs: 2, seed: 5 });
    const large = createGridMaze(CONFIG, REWARDS, { numEnvs: 6, seed: 5 });
    expect(large.layout(1)).toEqual(small.layout(1));
  });
});

describe('snapshot and restore', () => {
  it('a restored env continues exactly as the original', () => {
    const original = createGridMaze(CONFIG, REWARDS, { numEnvs: 8, seed: 77 });
    record(original, 50, 1);
    const snapshot = JSON.parse(JSON.stringify(original.snapshot())) as unknown;
    const expected = record(original, 50, 2);
    const resumed = createGridMaze(CONFIG, REWARDS, { numEnvs: 8, seed: 999 });
    record(resumed, 13, 3); // whatever it did before is overwritten
    resumed.restore(snapshot);
    expect(record(resumed, 50, 2)).toEqual(expected);
  });

  it('refuses a snapshot of a different environment and leaves the env unchanged', () => {
    const env = createGridMaze(CONFIG, REWARDS, { numEnvs: 8, seed: 77 });
    const snapshot = env.snapshot();
    const before = env.layout(0);
    const bigger = createGridMaze({ ...CONFIG, size: 9 }, REWARDS, { numEnvs: 8, seed: 77 });
    expect(() => bigger.restore(snapshot)).toThrow(/taken with config/);
    expect(() => createGridMaze(CONFIG, REWARDS, { numEnvs: 4, seed: 1 }).restore(snapshot)).toThrow(
      /8 envs/,
    );
    expect(() => env.restore({ ...snapshot, agent: [1, 2] })).toThrow(/agent must be an array of length 8/);
    expect(() => env.restore({ ...snapshot, rngs: snapshot.rngs.map(() => ({ s: [0, 0, 0, 0] })) })).toThrow(
      /all zero/,
    );
    expect(env.layout(0)).toEqual(before);
  });
});
