import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { createGridMaze } from '../../../src-main/engine/gridmaze';
import { createNetwork, type NetworkSpec } from '../../../src-main/engine/nn/network';
import { createPpoTrainer, type PpoConfig, type PpoTrainer } from '../../../src-main/engine/ppo';
import { createRng } from '../../../src-main/shared/random';
import { DeltascopeError } from '../../../src-main/shared/errors';
import type { RewardSpec } from '../../../src-main/shared/reward';

/** PPO on a 5×5 gridmaze with one kind (cheese) and reward RA = cheese; horizon 8 keeps the floor low. */
const RA: RewardSpec = { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} };
const MAZE = { size: 5, kinds: ['cheese' as const], horizon: 8 };

function makeTrainer(config: Partial<PpoConfig>, net: Partial<NetworkSpec> = {}, netSeed = 1): PpoTrainer {
  const numEnvs = config.numEnvs ?? 8;
  const env = createGridMaze(MAZE, [RA], { numEnvs, seed: config.seed ?? 1 });
  const network = createNetwork(
    { kind: 'mlp', obsShape: env.obsShape, numActions: env.numActions, ...net },
    netSeed,
  );
  return createPpoTrainer({ env, network, config: { numEnvs, ...config } });
}

const TINY: Partial<PpoConfig> = {
  numEnvs: 8,
  numSteps: 16,
  numMinibatches: 2,
  updateEpochs: 2,
  totalTimesteps: 8 * 16 * 6,
  seed: 5,
};

function weightsOf(trainer: PpoTrainer): Float32Array[] {
  return trainer.state().weights.map((w) => w.data);
}

describe('PPO trainer', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('keeps the tensor count flat across iterations', () => {
    const trainer = makeTrainer(TINY, { kind: 'cnn', channels: [4, 8], denseWidth: 32 });
    trainer.iterate();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) trainer.iterate();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic: the same seed gives the same weights and metrics (MLP and CNN)', () => {
    for (const net of [{ hidden: [32, 32] }, { kind: 'cnn' as const, channels: [4, 8], denseWidth: 32 }]) {
      const a = makeTrainer(TINY, net);
      const b = makeTrainer(TINY, net);
      const ra = [a.iterate(), a.iterate()];
      const rb = [b.iterate(), b.iterate()];
      const untimed = (m: Record<string, number>): Record<string, number> => {
        const { ['charts/steps_per_second']: _speed, ...rest } = m;
        return rest;
      };
      expect(untimed(rb[1]!.metrics)).toEqual(untimed(ra[1]!.metrics));
      weightsOf(b).forEach((w, i) => expect(w).toEqual(weightsOf(a)[i]));
      const c = makeTrainer({ ...TINY, seed: 6 }, net);
      c.iterate();
      c.iterate();
      expect(weightsOf(c)[0]).not.toEqual(weightsOf(a)[0]);
    }
  });

  it('resumes from state() to the same final weights as an uninterrupted run', () => {
    const straight = makeTrainer(TINY);
    for (let i = 0; i < 4; i++) straight.iterate();
    const first = makeTrainer(TINY);
    first.iterate();
    first.iterate();
    const checkpoint = structuredClone(first.state());
    const resumed = makeTrainer(TINY, {}, 99); // different initial weights: the state must replace them
    resumed.restoreState(checkpoint);
    resumed.iterate();
    const last = resumed.iterate();
    expect(last.iteration).toBe(4);
    expect(last.globalStep).toBe(4 * 8 * 16);
    weightsOf(resumed).forEach((w, i) => expect(w).toEqual(weightsOf(straight)[i]));
    expect(resumed.state().optimizer).toEqual(straight.state().optimizer);
  });

  it('stops with NON_FINITE naming the iteration and the likely cause instead of training on NaN', () => {
    const trainer = makeTrainer({ ...TINY, entCoef: 1e308 });
    const error = (() => {
      try {
        trainer.iterate();
        return null;
      } catch (e) {
        return e as DeltascopeError;
      }
    })();
    expect(error).toBeInstanceOf(DeltascopeError);
    expect(error!.code).toBe('NON_FINITE');
    expect(error!.message).toMatch(
      /^PPO produced non-finite values at iteration 1 \(env step 128\): .* Likely cause: .*ppo\.entCoef = 1e\+308/,
    );
    const env = createGridMaze(MAZE, [{ ...RA, stepCost: 1e39 }], { numEnvs: 8, seed: 1 });
    const network = createNetwork({ kind: 'mlp', obsShape: env.obsShape, numActions: env.numActions }, 1);
    const overflow = createPpoTrainer({ env, network, config: TINY });
    expect(() => overflow.iterate()).toThrow(
      /at iteration 1 \(env step 128\): 128 of 128 rewards of the rollout are NaN or ±Infinity\. Likely cause: reward weights too large/,
    );
  });

  it('reports the reference metric keys, per reward too', () => {
    const result = makeTrainer(TINY).iterate();
    for (const key of [
      'charts/learning_rate',
      'charts/steps_per_second',
      'charts/episodic_return',
      'charts/episodic_return/RA',
      'charts/success',
      'charts/success/RA',
      'losses/policy_loss',
      'losses/value_loss',
      'losses/entropy',
      'losses/approx_kl',
      'losses/clipfrac',
    ]) {
      expect(Number.isFinite(result.metrics[key])).toBe(true);
    }
    expect(result.metrics['charts/learning_rate']).toBeCloseTo(2.5e-4, 12);
    expect(result.episodes.length).toBe(8 * 2); // 16 steps, horizon 8
  });

  it.each([1, 2])(
    'learns the 5×5 maze with %i update worker(s): success well above the random-policy floor measured here',
    async (updateWorkers) => {
      const numEnvs = 16;
      // the floor: a uniformly random policy on the same environment, 3000 episodes
      const env = createGridMaze(MAZE, [RA], { numEnvs, seed: 123 });
      env.reset();
      const rng = createRng(7);
      const actions = new Int32Array(numEnvs);
      let episodes = 0;
      let successes = 0;
      while (episodes < 3000) {
        for (let i = 0; i < numEnvs; i++) actions[i] = rng.int(4);
        for (const e of env.step(actions).episodes) {
          episodes += 1;
          successes += e.success.RA ? 1 : 0;
        }
      }
      const floor = successes / episodes;

      const trainer = makeTrainer({
        numEnvs,
        numSteps: 32,
        numMinibatches: 4,
        totalTimesteps: numEnvs * 32 * 60,
        seed: 3,
        successWindow: 500,
        updateWorkers,
      });
      let success = 0;
      for (let i = 0; i < trainer.numIterations; i++) {
        success = trainer.iterate().metrics['charts/success'] ?? 0;
        // 60 synchronous iterations take over a minute on a busy machine: without a turn of the event
        // loop, vitest's worker misses its own RPC deadline (60 s) and fails the whole run.
        await new Promise((resolve) => setImmediate(resolve));
      }
      trainer.dispose();
      expect(floor).toBeGreaterThan(0.25);
      expect(floor).toBeLessThan(0.45);
      expect(success).toBeGreaterThan(floor + 0.15);
    },
  );
});
