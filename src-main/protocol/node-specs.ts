import { DeltascopeError } from '../shared/errors';
import type { ExperimentSpec } from '../shared/experiment-spec';
import type { RunPhase } from '../shared/domain';
import type { TrainingSpecInput } from '../shared/training-spec';
import type { JobGraph, JobNode, TrainRole } from './job-graph';

/** The training run of a train node: the experiment's env, net and PPO; the node's reward, budget and seed. */

const PHASE_OF_ROLE: Record<TrainRole, RunPhase> = {
  pretrain: 'pretrain',
  finetune: 'finetune',
  null: 'control',
  recover: 'retrain',
  localize: 'finetune',
  positive: 'finetune',
};

/** Checkpoints per run besides init and final: enough to resume a long run without losing much. */
const CHECKPOINTS_PER_RUN = 4;

export interface ResolvedInputs {
  /** Output checkpoint of the node's `initFrom`, or null for a fresh start. */
  initCheckpointId: number | null;
  /** Output artifact of the node's `maskFrom`, or null. */
  maskArtifactId: number | null;
  /** Recoveries to criterion: RA success of the node's `criterion.referenceEval` (the recovered control). */
  criterionReference?: number | null;
}

/** The TrainingSpec (as input to TrainingSpecSchema) of train node `node`. */
export function trainingSpecOfNode(
  spec: ExperimentSpec,
  graph: JobGraph,
  node: JobNode,
  inputs: ResolvedInputs,
): TrainingSpecInput {
  if (node.params.kind !== 'train')
    throw new DeltascopeError('INTERNAL', `node ${node.id} is not a training node`);
  const params = node.params;
  const batch = spec.ppo.numEnvs * spec.ppo.numSteps;
  const every = Math.max(batch, Math.ceil(params.steps / CHECKPOINTS_PER_RUN / batch) * batch);
  return {
    version: 1,
    experiment: spec.name,
    run: node.id,
    phase: PHASE_OF_ROLE[params.role],
    env: spec.env,
    rewards: graph.evalRewards,
    trainReward: params.trainReward,
    net: spec.net,
    ppo: spec.ppo,
    totalSteps: params.steps,
    seed: params.seed,
    checkpointEvery: every,
    ...(inputs.initCheckpointId === null ? {} : { init: { checkpointId: inputs.initCheckpointId } }),
    ...(inputs.maskArtifactId === null ? {} : { trainableMask: { artifactId: inputs.maskArtifactId } }),
    ...(params.criterion === undefined ? {} : { stopAtCriterion: stopAtCriterion(spec, node, inputs) }),
  };
}

function stopAtCriterion(
  spec: ExperimentSpec,
  node: JobNode,
  inputs: ResolvedInputs,
): NonNullable<TrainingSpecInput['stopAtCriterion']> {
  const criterion = node.params.kind === 'train' ? node.params.criterion : undefined;
  const reference = inputs.criterionReference;
  if (criterion === undefined || reference === undefined || reference === null) {
    throw new DeltascopeError(
      'INTERNAL',
      `node ${node.id} recovers to criterion but the RA success of ${criterion?.referenceEval ?? 'its reference'} was not resolved`,
    );
  }
  return {
    reward: spec.ra.name,
    reference,
    margin: criterion.margin,
    checkEvery: criterion.checkEvery,
    episodes: criterion.episodes,
    evalSeed: spec.evalSeed,
    policy: spec.evalPolicy,
  };
}
