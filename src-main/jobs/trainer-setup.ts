import { createGridMaze } from '../engine/gridmaze';
import { createNetwork, networkSpecFor, type PolicyNetwork } from '../engine/nn/network';
import { createPpoTrainer, type PpoTrainer } from '../engine/ppo';
import type { VecEnv } from '../engine/env-types';
import { DeltascopeError } from '../shared/errors';
import type { TrainingSpec } from '../shared/training-spec';
import type { DeltascopeDb } from '../store';
import { readTrainableMask } from './trainable-mask';

/** Everything one training run computes with: the environments, the network and the PPO trainer. */
export interface TrainingSession {
  env: VecEnv;
  network: PolicyNetwork;
  trainer: PpoTrainer;
  dispose(): void;
}

/**
 * Builds the env, network and trainer of a spec. Seeds: the envs, the initial weights and PPO's
 * sampling streams all derive from `spec.seed` (each on its own stream). With `spec.init` the
 * weights come from that stored checkpoint and the learning rate warms up over
 * `ppo.warmupIterations` (fresh weights: never); with `spec.trainableMask` the optimizer updates only
 * the elements whose mask is 1.
 */
export function createTrainingSession(db: DeltascopeDb, spec: TrainingSpec): TrainingSession {
  const env = createGridMaze(spec.env, spec.rewards, {
    numEnvs: spec.ppo.numEnvs,
    seed: spec.seed,
    trainReward: spec.trainReward,
  });
  const network = createNetwork(networkSpecFor(spec.net, env), spec.seed);
  try {
    if (spec.init !== undefined) loadInitialWeights(db, network, spec.init.checkpointId);
    const masks =
      spec.trainableMask === undefined ? undefined : readTrainableMask(db, spec.trainableMask.artifactId);
    const trainer = createPpoTrainer({
      env,
      network,
      config: {
        ...spec.ppo,
        // only a run from trained weights starts its fresh Adam gently; pretraining is the reference's
        warmupIterations: spec.init === undefined ? 0 : spec.ppo.warmupIterations,
        totalTimesteps: spec.totalSteps,
        seed: spec.seed,
      },
      ...(masks === undefined ? {} : { masks }),
    });
    return { env, network, trainer, dispose: () => network.dispose() };
  } catch (error) {
    network.dispose();
    throw error;
  }
}

/** Copies a stored checkpoint's weights into the network; a mismatch names the checkpoint and tensor. */
function loadInitialWeights(db: DeltascopeDb, network: PolicyNetwork, checkpointId: number): void {
  const tensors = db.checkpoints.readTensors(checkpointId);
  try {
    network.importWeights([...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  } catch (error) {
    if (error instanceof DeltascopeError) {
      throw new DeltascopeError(
        error.code,
        `checkpoint ${checkpointId} cannot initialise this network (spec.init): ${error.message}`,
        { checkpointId },
      );
    }
    throw error;
  }
}
