import { initBackend } from '../../../src-main/engine/backend';
import { createGridMaze } from '../../../src-main/engine/gridmaze';
import { createNetwork } from '../../../src-main/engine/nn/network';
import { createNodeForkLauncher, JobQueue, type JobEventSink } from '../../../src-main/jobs';
import { completeNode, loadProtocol } from '../../../src-main/jobs/protocol/protocol-store';
import { openDatabase } from '../../../src-main/store';
import type { ExperimentSpecInput } from '../../../src-main/shared/experiment-spec';
import { WORKER_BUNDLE } from './jobs-test-helpers';

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

/** A queue whose workers run the bundled training worker (WORKER_BUNDLE, rebuilt when src-main is newer). */
export function sourceQueue(parallelism = 2, emit?: JobEventSink): JobQueue {
  return new JobQueue({
    launcher: createNodeForkLauncher({ entry: WORKER_BUNDLE }),
    parallelism,
    ...(emit === undefined ? {} : { emit }),
  });
}

/**
 * Marks every training node of experiment `experimentId` (file `path`) done with one checkpoint of a
 * freshly initialised network of the spec's shape, so a runner goes straight to the derive, evaluate
 * and analysis nodes (no PPO needed when a test is about those).
 */
export async function seedTrainingNodes(path: string, experimentId: number): Promise<void> {
  await initBackend();
  const db = openDatabase(path);
  try {
    const { spec, graph } = loadProtocol(db, experimentId);
    const probe = createGridMaze(spec.env, graph.evalRewards, { numEnvs: 1, seed: 0 });
    const network = createNetwork(
      {
        kind: spec.net.kind,
        obsShape: probe.obsShape,
        numActions: probe.numActions,
        hidden: spec.net.hidden,
        channels: spec.net.channels,
        denseWidth: spec.net.denseWidth,
      },
      1,
    );
    const tensors = network.exportWeights().map((t) => ({ name: t.name, shape: [...t.shape], data: t.data }));
    network.dispose();
    for (const node of graph.nodes) {
      if (node.params.kind !== 'train') continue;
      const run = db.runs.create({
        experimentId,
        name: node.id,
        phase: 'pretrain',
        reward: spec.ra,
        seed: node.seed,
        config: { env: spec.env, rewards: graph.evalRewards, net: spec.net },
        status: 'done',
      });
      const checkpoint = db.checkpoints.put({
        runId: run.id,
        step: 0,
        label: 'final',
        tensors,
        provenance: { kind: 'fixture', description: `untrained stand-in for ${node.id}` },
      });
      completeNode(db, experimentId, node.id, () => ({ runId: run.id, checkpointId: checkpoint.id }));
    }
  } finally {
    db.close();
  }
}
