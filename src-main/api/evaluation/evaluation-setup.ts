import type { z } from 'zod';
import type { EvaluationEnvSetup } from '../../engine/evaluate';
import { createGridMaze } from '../../engine/gridmaze';
import { createNetwork, networkSpecFor, type PolicyNetwork } from '../../engine/nn/network';
import type { WeightTensor } from '../../engine/nn/weights-io';
import type { EvaluationSetup } from '../../shared/contract-evaluation';
import type { CheckpointDetail, RunSummary } from '../../shared/domain';
import { DeltascopeError } from '../../shared/errors';
import { GridMazeConfigSchema, type GridMazeConfig } from '../../shared/gridmaze-config';
import { RewardSpecSchema, type RewardSpec } from '../../shared/reward';
import { NetSpecSchema, type NetSpec } from '../../shared/training-spec';
import { describeIssues } from '../../shared/validate';
import type { DeltascopeDb } from '../../store';

/**
 * What a stored checkpoint is played in: env, rewards and network shape, from (in order) the caller's
 * `setup`, the run's config (a TrainingSpec: `env`, `rewards`, `net`, `trainReward`), and fallbacks
 * — rewards: the run's own reward; net: the shape read off the checkpoint's tensors. The env has no
 * fallback: an observation size does not determine the maze size, kinds and view.
 */

export interface LoadedPolicy {
  checkpoint: CheckpointDetail;
  run: RunSummary;
  setup: EvaluationEnvSetup;
  network: PolicyNetwork;
}

function fromConfig<T extends z.ZodType>(run: RunSummary, key: string, schema: T): z.output<T> | undefined {
  const raw = run.config[key];
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `run ${run.id} ("${run.name}") has an invalid \`${key}\` in its config: ${describeIssues(parsed.error, `config.${key}`)}`,
    );
  }
  return parsed.data;
}

const RewardListSchema = RewardSpecSchema.array().min(1);

function shapeOf(checkpoint: CheckpointDetail, name: string): number[] | undefined {
  return checkpoint.tensors.find((tensor) => tensor.name === name)?.shape;
}

/** The net spec of a checkpoint's tensors: MLP widths from torso.denseN.kernel, CNN channels from torso.convN.kernel. */
export function inferNetSpec(checkpoint: CheckpointDetail): NetSpec {
  const widths = (prefix: string): number[] => {
    const out: number[] = [];
    for (let layer = 1; ; layer++) {
      const shape = shapeOf(checkpoint, `torso.${prefix}${layer}.kernel`);
      if (shape === undefined) return out;
      out.push(shape[shape.length - 1] as number);
    }
  };
  const channels = widths('conv');
  const dense = widths('dense');
  if (dense.length === 0 || shapeOf(checkpoint, 'policy.kernel') === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `checkpoint ${checkpoint.id} is not a Deltascope actor-critic (needs torso.dense1.kernel and policy.kernel; ` +
        `has ${checkpoint.tensors.map((t) => t.name).join(', ')})`,
    );
  }
  return channels.length > 0
    ? { kind: 'cnn', hidden: [256, 256], channels, denseWidth: dense[0] as number }
    : { kind: 'mlp', hidden: dense, channels: [16, 32], denseWidth: 256 };
}

/** Input features the checkpoint's first layer expects, or null if its tensors do not say. */
function expectedObsSize(
  checkpoint: CheckpointDetail,
  net: NetSpec,
  obsShape: readonly number[],
): number | null {
  if (net.kind === 'mlp') return shapeOf(checkpoint, 'torso.dense1.kernel')?.[0] ?? null;
  const cin = shapeOf(checkpoint, 'torso.conv1.kernel')?.[2];
  return cin === undefined ? null : cin * (obsShape[1] as number) * (obsShape[2] as number);
}

function describeEnv(env: GridMazeConfig): string {
  return `size ${env.size}, kinds ${env.kinds.join('+')}, ${env.view} view`;
}

/** Resolves the setup of a checkpoint (`override` already parsed by EvaluationSetupSchema) and builds its network with the stored weights (dispose it after use). */
export function loadPolicy(
  db: DeltascopeDb,
  checkpointId: number,
  override: EvaluationSetup = {},
): LoadedPolicy {
  const checkpoint = db.checkpoints.get(checkpointId);
  const run = db.runs.get(checkpoint.runId);
  const env: GridMazeConfig | undefined = override.env ?? fromConfig(run, 'env', GridMazeConfigSchema);
  if (env === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `run ${run.id} ("${run.name}") of checkpoint ${checkpointId} has no \`env\` in its config; ` +
        `pass the training environment as setup.env (CLI: --setup '{"env":{"size":7}}')`,
      { runId: run.id, checkpointId },
    );
  }
  const rewards: RewardSpec[] = override.rewards ??
    fromConfig(run, 'rewards', RewardListSchema) ?? [run.reward];
  const configTrain = run.config.trainReward;
  const trainReward = typeof configTrain === 'string' ? configTrain : run.reward.name;
  const net: NetSpec = override.net ?? fromConfig(run, 'net', NetSpecSchema) ?? inferNetSpec(checkpoint);
  const probe = createGridMaze(env, rewards, { numEnvs: 1, seed: 0 });
  const expected = expectedObsSize(checkpoint, net, probe.obsShape);
  if (expected !== null && expected !== probe.obsSize) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `checkpoint ${checkpointId} expects observations of ${expected} values; the env (${describeEnv(probe.config)}) ` +
        `gives ${probe.obsShape.join('×')} = ${probe.obsSize}. Pass the environment it was trained in as setup.env.`,
      { checkpointId },
    );
  }
  const network = createNetwork(networkSpecFor(net, probe), 0);
  try {
    const tensors: WeightTensor[] = [...db.checkpoints.readTensors(checkpointId)].map(([name, t]) => ({
      name,
      shape: t.shape,
      data: t.data,
    }));
    network.importWeights(tensors);
  } catch (error) {
    network.dispose();
    if (error instanceof DeltascopeError) {
      throw new DeltascopeError(
        error.code,
        `checkpoint ${checkpointId} does not fit its network: ${error.message}`,
        {
          checkpointId,
        },
      );
    }
    throw error;
  }
  const setup: EvaluationEnvSetup = {
    env,
    rewards,
    trainReward: rewards.some((reward) => reward.name === trainReward) ? trainReward : null,
  };
  return { checkpoint, run, setup, network };
}
