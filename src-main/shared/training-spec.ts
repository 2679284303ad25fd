import { z } from 'zod';
import { RunPhaseSchema } from './domain';
import { GridMazeConfigSchema } from './gridmaze-config';
import { RewardSpecSchema } from './reward';

/**
 * A training job as data: which environment, rewards, network and PPO settings, how long, and where
 * the run is stored. Versioned; every field has a default and a one-line doc. The PPO defaults are
 * the benchmark's (engine/ppo.ts DEFAULT_PPO_CONFIG; a unit test keeps the two equal).
 */

export const TRAINING_SPEC_VERSION = 1;
/** Largest env-step budget of a run (and of every protocol phase that becomes one). */
export const MAX_TOTAL_STEPS = 1e12;

/**
 * Default `ppo.warmupIterations`: a run from a checkpoint starts a fresh Adam at the full rate, whose
 * first iteration measured approx-KL 0.3–1.7 on the demo and dropped a control from 0.91 to 0.53 RA success.
 */
export const DEFAULT_CHECKPOINT_WARMUP_ITERATIONS = 5;

const positiveInt = () => z.number().int().positive();
const id = () => z.number().int().positive();
const name = () =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^\S(.*\S)?$/, 'must not start or end with whitespace');

export const NetSpecSchema = z
  .object({
    kind: z
      .enum(['mlp', 'cnn'])
      .default('mlp')
      .describe(
        '"mlp": dense tanh torso over the flattened observation; "cnn": 3×3 ReLU convs then a dense ReLU layer.',
      ),
    hidden: z
      .array(positiveInt().max(4096))
      .min(1)
      .max(8)
      .default([256, 256])
      .describe('MLP: widths of the tanh torso layers.'),
    channels: z
      .array(positiveInt().max(512))
      .min(1)
      .max(8)
      .default([16, 32])
      .describe('CNN: output channels of the 3×3 ReLU convolutions.'),
    denseWidth: positiveInt()
      .max(4096)
      .default(256)
      .describe('CNN: width of the dense ReLU layer after flatten.'),
  })
  .strict()
  .describe('The actor-critic network (parameter names: torso.*, policy.*, value.*).');

export const PpoSpecSchema = z
  .object({
    numEnvs: positiveInt().max(4096).default(64).describe('Parallel environments.'),
    numSteps: positiveInt()
      .max(100_000)
      .default(128)
      .describe('Rollout steps per environment per iteration.'),
    learningRate: z
      .number()
      .positive()
      .max(1)
      .default(2.5e-4)
      .describe('Adam learning rate (the start value when annealed).'),
    annealLr: z.boolean().default(true).describe('Anneal the learning rate linearly to 0 over the run.'),
    adamEps: z.number().positive().max(1).default(1e-5).describe('Adam epsilon.'),
    gamma: z.number().min(0).max(1).default(0.99).describe('Discount factor γ.'),
    gaeLambda: z.number().min(0).max(1).default(0.95).describe('GAE λ.'),
    updateEpochs: positiveInt().max(100).default(4).describe('PPO epochs over each batch.'),
    numMinibatches: positiveInt()
      .default(32)
      .describe('Minibatches per epoch; must divide numEnvs × numSteps.'),
    normAdv: z.boolean().default(true).describe('Normalise advantages per minibatch.'),
    clipCoef: z.number().positive().max(10).default(0.2).describe('Ratio clip ε; also the value-clip range.'),
    clipVloss: z.boolean().default(true).describe('Use the clipped value loss.'),
    entCoef: z.number().min(0).max(10).default(0.01).describe('Entropy bonus coefficient.'),
    vfCoef: z.number().min(0).max(10).default(0.5).describe('Value loss coefficient.'),
    maxGradNorm: z
      .number()
      .positive()
      .max(1000)
      .default(0.5)
      .describe('Clip the global gradient norm to this.'),
    targetKl: z
      .number()
      .positive()
      .max(1000)
      .nullable()
      .default(null)
      .describe("Stop an update's epochs once approx-KL exceeds this; null = never."),
    warmupIterations: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(DEFAULT_CHECKPOINT_WARMUP_ITERATIONS)
      .describe(
        'Runs from a checkpoint (init) only: iterations over which the learning rate ramps linearly from 5 % to the full rate, so the fresh Adam does not knock the trained policy down; 0 = none. Fresh weights never warm up.',
      ),
    successWindow: positiveInt()
      .max(1_000_000)
      .default(1000)
      .describe('Finished episodes in the success-rate window of charts/success.'),
    updateWorkers: z
      .union([z.literal(1), z.literal(2)])
      .default(1)
      .describe(
        'Threads computing each minibatch gradient: 1, or 2 (this thread and a worker, half the rows each; deterministic per count, not bit-equal to 1).',
      ),
  })
  .strict()
  .describe('PPO settings; omitted fields take the benchmark defaults.');

/**
 * The PPO batch numEnvs × numSteps must split into numMinibatches equal minibatches: an issue at
 * ppo.numMinibatches otherwise. Returns the batch size.
 */
export function checkMinibatches(
  ppo: { numEnvs: number; numSteps: number; numMinibatches: number },
  ctx: z.RefinementCtx,
): number {
  const batch = ppo.numEnvs * ppo.numSteps;
  if (batch % ppo.numMinibatches !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['ppo', 'numMinibatches'],
      message: `the batch numEnvs × numSteps = ${batch} does not split into ${ppo.numMinibatches} minibatches`,
    });
  }
  return batch;
}

export const TrainingSpecSchema = z
  .object({
    version: z.literal(TRAINING_SPEC_VERSION).default(TRAINING_SPEC_VERSION).describe('Spec format version.'),
    experiment: name().default('default').describe('Experiment the run belongs to (created if absent).'),
    run: name().default('run').describe('Name of the run inside its experiment.'),
    phase: RunPhaseSchema.default('pretrain').describe(
      'Role of the run: pretrain (MA), finetune (MBᵢ), control, …',
    ),
    env: GridMazeConfigSchema.prefault({}).describe('The gridmaze environment.'),
    rewards: z
      .array(RewardSpecSchema)
      .min(1)
      .max(32)
      .prefault([{ name: 'RA', collect: { cheese: 1 } }])
      .describe('Every reward the run logs (returns and success per reward); one of them is trained on.'),
    trainReward: name()
      .optional()
      .describe('Name of the reward PPO maximises; defaults to the first of `rewards`.'),
    net: NetSpecSchema.prefault({}).describe('The actor-critic network; omitted fields take their defaults.'),
    ppo: PpoSpecSchema.prefault({}).describe('PPO settings; omitted fields take the benchmark defaults.'),
    totalSteps: positiveInt()
      .max(MAX_TOTAL_STEPS)
      .default(3_000_000)
      .describe('Env-step budget (rounded down to whole iterations of numEnvs × numSteps).'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1)
      .describe('Seed of the environments, the initial weights and PPO sampling.'),
    checkpointEvery: positiveInt()
      .default(100_000)
      .describe(
        'Env steps between checkpoints (each with optimizer and resume state); one is always written at the end.',
      ),
    init: z
      .object({ checkpointId: id().describe('Stored checkpoint whose weights the run starts from.') })
      .strict()
      .optional()
      .describe(
        'Fine-tune from a stored checkpoint (it becomes the run’s parent); omitted = fresh weights from the seed.',
      ),
    trainableMask: z
      .object({ artifactId: id().describe('Artifact holding float32 masks (1 train, 0 frozen) per tensor.') })
      .strict()
      .optional()
      .describe(
        'Per-element mask for sparse fine-tuning; tensors the mask does not name stay fully trainable.',
      ),
    stopAtCriterion: z
      .object({
        reward: name().describe('The reward whose success is checked (RA).'),
        reference: z.number().min(0).max(1).describe('The success to recover to (the control’s).'),
        margin: z.number().min(0).max(1).describe('Stop once success ≥ reference − margin.'),
        checkEvery: positiveInt().describe('Env steps between checks (a check also runs at the start).'),
        episodes: positiveInt().max(100_000).describe('Held-out episodes of each check.'),
        evalSeed: z.number().int().min(0).describe('Seed of the held-out mazes of each check.'),
        policy: z.enum(['greedy', 'sampled']).describe('Policy mode of each check.'),
      })
      .strict()
      .optional()
      .describe(
        'Recovery to criterion: evaluate every checkEvery steps and stop early once the success is within the margin; totalSteps is the cap. Each check is logged as recovery/* metrics.',
      ),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const names = spec.rewards.map((reward) => reward.name);
    names.forEach((rewardName, i) => {
      if (names.indexOf(rewardName) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['rewards', i, 'name'],
          message: `reward name "${rewardName}" is used twice`,
        });
      }
    });
    if (spec.trainReward !== undefined && !names.includes(spec.trainReward)) {
      ctx.addIssue({
        code: 'custom',
        path: ['trainReward'],
        message: `"${spec.trainReward}" is not one of the rewards (${names.join(', ')})`,
      });
    }
    const regions = new Set(spec.env.regions.map((region) => region.name));
    spec.rewards.forEach((reward, i) => {
      for (const kind of Object.keys(reward.collect)) {
        if (!(spec.env.kinds as readonly string[]).includes(kind)) {
          ctx.addIssue({
            code: 'custom',
            path: ['rewards', i, 'collect', kind],
            message: `kind "${kind}" is not in env.kinds (${spec.env.kinds.join(', ')})`,
          });
        }
      }
      for (const region of Object.keys(reward.reach)) {
        if (!regions.has(region)) {
          ctx.addIssue({
            code: 'custom',
            path: ['rewards', i, 'reach', region],
            message: `region "${region}" is not declared in env.regions`,
          });
        }
      }
    });
    const batch = checkMinibatches(spec.ppo, ctx);
    if (spec.totalSteps < batch) {
      ctx.addIssue({
        code: 'custom',
        path: ['totalSteps'],
        message: `${spec.totalSteps} is less than one iteration (numEnvs × numSteps = ${batch})`,
      });
    }
  })
  .transform((spec) => ({ ...spec, trainReward: spec.trainReward ?? spec.rewards[0]!.name }))
  .describe('A PPO training run on the gridmaze environment.');

/** The trainable tensors of the actor-critic of `net` (engine/nn/network.ts; a unit test keeps them equal). */
export function networkParamNames(net: NetSpec): string[] {
  const layers =
    net.kind === 'mlp'
      ? net.hidden.map((_, i) => `torso.dense${i + 1}`)
      : [...net.channels.map((_, i) => `torso.conv${i + 1}`), 'torso.dense1'];
  return [...layers, 'policy', 'value'].flatMap((layer) => [`${layer}.kernel`, `${layer}.bias`]);
}

export type TrainingSpec = z.output<typeof TrainingSpecSchema>;
export type TrainingSpecInput = z.input<typeof TrainingSpecSchema>;
export type NetSpec = z.output<typeof NetSpecSchema>;
export type PpoSpec = z.output<typeof PpoSpecSchema>;

/** Env steps per iteration and the iteration count: iterations = ⌊totalSteps / (numEnvs·numSteps)⌋. */
export function trainingBudget(spec: TrainingSpec): {
  batchSize: number;
  iterations: number;
  totalSteps: number;
} {
  const batchSize = spec.ppo.numEnvs * spec.ppo.numSteps;
  const iterations = Math.floor(spec.totalSteps / batchSize);
  return { batchSize, iterations, totalSteps: iterations * batchSize };
}
