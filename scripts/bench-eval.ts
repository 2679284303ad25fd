// Evaluation speed: episodes per second of engine/evaluate.ts for a freshly initialised actor-critic
// (MLP [256, 256] by default; --cnn for the CNN) on held-out mazes, per maze size and env count.
//   npx tsx scripts/bench-eval.ts [--episodes 1000] [--sizes 7,11] [--envs 64] [--cnn]
import { parseArgs } from 'node:util';
import { initBackend } from '../src-main/engine/backend';
import { evaluatePolicy } from '../src-main/engine/evaluate';
import { createGridMaze } from '../src-main/engine/gridmaze';
import { createNetwork } from '../src-main/engine/nn/network';
import { networkPolicy, type PolicyFn } from '../src-main/engine/policy-rollout';
import type { RewardSpec } from '../src-main/shared/reward';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '7,11' },
    envs: { type: 'string', default: '64' },
    cnn: { type: 'boolean', default: false },
  },
});
const episodes = Number(values.episodes);
const numEnvs = Number(values.envs);
const rewards: RewardSpec[] = [
  { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} },
  { name: 'coin', collect: { coin: 1 }, stepCost: 0, reach: {} },
];

const backend = await initBackend();
console.log(`backend ${backend.name} (simd ${backend.simd}), ${episodes} episodes, ${numEnvs} envs`);
for (const size of values.sizes.split(',').map(Number)) {
  const env = { size };
  const obsShape = createGridMaze(env, rewards, { numEnvs: 1, seed: 0 }).obsShape;
  const net = createNetwork({ kind: values.cnn ? 'cnn' : 'mlp', obsShape, numActions: 4 }, 1);
  let forwardMs = 0;
  const timed = networkPolicy(net);
  const policy: PolicyFn = (obs, batch) => {
    const t0 = performance.now();
    const out = timed(obs, batch);
    forwardMs += performance.now() - t0;
    return out;
  };
  evaluatePolicy(policy, { env, rewards }, { episodes: numEnvs, policy: 'greedy', seed: 99, numEnvs }); // warm-up
  for (const mode of ['greedy', 'sampled'] as const) {
    forwardMs = 0;
    const t0 = performance.now();
    evaluatePolicy(policy, { env, rewards }, { episodes, policy: mode, seed: 1, numEnvs });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `S=${size} ${values.cnn ? 'cnn' : 'mlp [256,256]'} ${mode.padEnd(7)}: ${(episodes / seconds).toFixed(0)} episodes/s ` +
        `(${seconds.toFixed(2)} s, forward passes ${((forwardMs / 1000 / seconds) * 100).toFixed(0)}%)`,
    );
  }
  net.dispose();
}
