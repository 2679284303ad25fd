import { createNodeForkLauncher, JobQueue, type JobEventSink } from '../../../src-main/jobs';
import type { ExperimentSpecInput } from '../../../src-main/shared/experiment-spec';
import { WORKER_SOURCE } from './jobs-test-helpers';

/**
 * The tiny protocol of the tests: 5×5 maze, 1 seed, 2 RBs (one "RA plus a component"), 1 null control,
 * α ∈ {0.5, 1}, one-iteration recovery, 24 evaluation episodes: 17 trainings of 1–4 PPO iterations.
 */
export function tinyExperiment(overrides: Partial<ExperimentSpecInput> = {}): ExperimentSpecInput {
  return {
    name: 'tiny-protocol',
    env: { size: 5, kinds: ['cheese', 'coin', 'red_gem'], horizon: 16 },
    ra: { name: 'RA', collect: { cheese: 1 } },
    rbs: [
      { name: 'coin', collect: { coin: 1 } },
      { name: 'gem', collect: { red_gem: 1 }, addToRA: true },
    ],
    seeds: 1,
    net: { kind: 'mlp', hidden: [16] },
    ppo: {
      numEnvs: 4,
      numSteps: 16,
      numMinibatches: 2,
      updateEpochs: 2,
      learningRate: 0.003,
      successWindow: 50,
    },
    pretrainSteps: 256,
    finetuneSteps: 128,
    nullControls: 1,
    alphas: [0.5, 1],
    recoverySteps: 64,
    evalEpisodes: 24,
    bootstrapResamples: 200,
    ...overrides,
  };
}

/** A queue whose workers run src-main/jobs/worker.ts through tsx (the bundle may be stale). */
export function sourceQueue(parallelism = 2, emit?: JobEventSink): JobQueue {
  return new JobQueue({
    launcher: createNodeForkLauncher({ entry: WORKER_SOURCE, execArgv: ['--import', 'tsx'] }),
    parallelism,
    ...(emit === undefined ? {} : { emit }),
  });
}
