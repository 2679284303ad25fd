import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { createGridMaze } from '../../../src-main/engine/gridmaze';
import { createNetwork } from '../../../src-main/engine/nn/network';
import { createPpoTrainer, type PpoConfig, type PpoTrainer } from '../../../src-main/engine/ppo';
import type { RewardSpec } from '../../../src-main/shared/reward';

/**
 * PPO with `updateWorkers: 2`: each minibatch's gradient is computed half on this thread and half on
 * a worker_thread with its own tfjs. Runs must stay deterministic and resume bit-exactly, and stay
 * within float noise of the single-thread update.
 */

const RA: RewardSpec = { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} };
const TINY: Partial<PpoConfig> = {
  numEnvs: 8,
  numSteps: 16,
  numMinibatches: 2,
  updateEpochs: 2,
  totalTimesteps: 8 * 16 * 6,
  seed: 5,
  updateWorkers: 2,
};

const trainers: PpoTrainer[] = [];

function makeTrainer(config: Partial<PpoConfig>, netSeed = 1): PpoTrainer {
  const env = createGridMaze({ size: 5, kinds: ['cheese'], horizon: 8 }, [RA], { numEnvs: 8, seed: 5 });
  const network = createNetwork(
    { kind: 'mlp', obsShape: env.obsShape, numActions: env.numActions, hidden: [32, 32] },
    netSeed,
  );
  const trainer = createPpoTrainer({ env, network, config });
  trainers.push(trainer);
  return trainer;
}

function weightsOf(trainer: PpoTrainer): Float32Array[] {
  return trainer.state().weights.map((w) => w.data);
}

const untimed = (m: Record<string, number>): Record<string, number> => {
  const { ['charts/steps_per_second']: _speed, ...rest } = m;
  return rest;
};

describe('PPO with two update workers', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    return () => trainers.forEach((t) => t.dispose());
  });

  it('is deterministic for a seed, and within float noise of the one-thread update', () => {
    const a = makeTrainer(TINY);
    const b = makeTrainer(TINY);
    const one = makeTrainer({ ...TINY, updateWorkers: 1 });
    const ra = [a.iterate(), a.iterate()];
    const rb = [b.iterate(), b.iterate()];
    one.iterate();
    one.iterate();
    expect(untimed(rb[1]!.metrics)).toEqual(untimed(ra[1]!.metrics));
    weightsOf(b).forEach((w, i) => expect(w).toEqual(weightsOf(a)[i]));
    weightsOf(one).forEach((w, i) => {
      const other = weightsOf(a)[i]!;
      let diff = 0;
      for (let j = 0; j < w.length; j++) diff = Math.max(diff, Math.abs(w[j]! - other[j]!));
      expect(diff).toBeLessThan(1e-4); // 32 Adam steps of ≤ 2.5e-4 each; only summation order differs
    });
  });

  it('resumes from state() to the same final weights as an uninterrupted run', () => {
    const straight = makeTrainer(TINY);
    for (let i = 0; i < 4; i++) straight.iterate();
    const first = makeTrainer(TINY);
    first.iterate();
    first.iterate();
    const checkpoint = structuredClone(first.state());
    const resumed = makeTrainer(TINY, 99); // different initial weights: the state must replace them
    resumed.restoreState(checkpoint);
    resumed.iterate();
    const last = resumed.iterate();
    expect(last.iteration).toBe(4);
    weightsOf(resumed).forEach((w, i) => expect(w).toEqual(weightsOf(straight)[i]));
    expect(resumed.state().optimizer).toEqual(straight.state().optimizer);
  });

  it('rejects other worker counts, and iterating after dispose', () => {
    expect(() => makeTrainer({ ...TINY, updateWorkers: 3 })).toThrow(/updateWorkers is 3; expected 1 or 2/);
    const trainer = makeTrainer(TINY);
    trainer.dispose();
    expect(() => trainer.iterate()).toThrow(expect.objectContaining({ code: 'TRAINER_DISPOSED' }));
  });
});
