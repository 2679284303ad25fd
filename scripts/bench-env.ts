/**
 * Throughput of the gridmaze environment alone: env steps per second for 64 envs at S = 11 (the
 * benchmark's configuration) under uniform-random actions, global and egocentric views.
 * Run: npx tsx scripts/bench-env.ts [seconds per case, default 3]
 * The reference (shared/bench/reference_ppo.py, numpy) spends about 26 ms per 8192 env steps inside
 * env.step, i.e. about 315k env steps/s.
 */
import { createGridMaze } from '../src-main/engine/gridmaze/index';
import { createRng } from '../src-main/shared/random';
import type { RewardSpec } from '../src-main/shared/reward';

const NUM_ENVS = 64;
const seconds = Number(process.argv[2] ?? 3);
const rewards: RewardSpec[] = [
  { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} },
  { name: 'RB', collect: { coin: 1 }, stepCost: 0, reach: {} },
];

function bench(view: 'global' | 'egocentric'): { stepsPerSecond: number; msPer8192: number } {
  const env = createGridMaze({ size: 11, view }, rewards, { numEnvs: NUM_ENVS, seed: 1 });
  const rng = createRng(2);
  const actions = new Int32Array(NUM_ENVS);
  const run = (steps: number): void => {
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < NUM_ENVS; i++) actions[i] = rng.int(4);
      env.step(actions);
    }
  };
  run(2000); // warm-up for the JIT
  let steps = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    run(128);
    steps += 128 * NUM_ENVS;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { stepsPerSecond: steps / elapsed, msPer8192: (8192 / (steps / elapsed)) * 1000 };
}

for (const view of ['global', 'egocentric'] as const) {
  const { stepsPerSecond, msPer8192 } = bench(view);
  console.log(
    `gridmaze S=11 K=2 ${view.padEnd(10)} ${NUM_ENVS} envs: ${Math.round(stepsPerSecond).toLocaleString('en')} env steps/s ` +
      `(${msPer8192.toFixed(2)} ms per 8192 steps; reference numpy ≈ 26 ms)`,
  );
}
