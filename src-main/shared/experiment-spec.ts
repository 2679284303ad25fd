import { z } from 'zod';
import { GridMazeConfigSchema } from './gridmaze-config';
import { MAX_REWARD_WEIGHT, RewardSpecSchema, rewardWeight, type RewardSpec } from './reward';
import {
  checkMinibatches,
  MAX_TOTAL_STEPS,
  NetSpecSchema,
  networkParamNames,
  PpoSpecSchema,
} from './training-spec';

/**
 * An objective-isolation experiment as data (the protocol of docs: pretrain MA on RA, fine-tune MBᵢ on
 * each RBᵢ and null controls on RA, negate/add/randomise the deltas, recover on RA, evaluate, analyse).
 * Versioned; every field has a default and a one-line doc. protocol/job-graph.ts turns it into nodes.
 */

export const EXPERIMENT_SPEC_VERSION = 1;

const positiveInt = () => z.number().int().positive();
/** Env steps of a protocol phase: each becomes a training run's totalSteps. */
const steps = () => positiveInt().max(MAX_TOTAL_STEPS);
const MAX_SEED = 2 ** 31 - 1;
const seed = () =>
  z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1);
const rewardName = () =>
  z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and hold only letters, digits, _ and -')
    .max(48);

/** One alternative reward RBᵢ: a reward of its own, or RA plus a component (`addToRA`). */
export const RbSpecSchema = z
  .object({
    name: rewardName().describe('Short unique name, e.g. "coin"; also names the fine-tune run.'),
    collect: z
      .record(z.string().min(1), rewardWeight())
      .default({})
      .describe('Weight per collected kind of the RB component, e.g. { coin: 1 }.'),
    stepCost: rewardWeight().default(0).describe('Added on every step by the RB component.'),
    reach: z
      .record(z.string().min(1), rewardWeight())
      .default({})
      .describe('Weight for entering a named region, in the RB component.'),
    addToRA: z
      .boolean()
      .default(false)
      .describe('true: the fine-tune reward is RA plus this component; false: this component alone.'),
  })
  .strict();
export type RbSpec = z.output<typeof RbSpecSchema>;

export const AggregatorChoiceSchema = z.enum([
  'mean',
  'median',
  'mean-abs',
  'sign-agreement',
  'ties',
  'dare',
  'null-normalized',
]);
export type AggregatorChoice = z.output<typeof AggregatorChoiceSchema>;

export const LocalizationSpecSchema = z
  .object({
    rbNew: RbSpecSchema.describe(
      'The held-out reward RB_new, not among the RBs the relevance map was made from.',
    ),
    kPercents: z
      .array(z.number().gt(0).max(100))
      .min(1)
      .max(12)
      .default([1, 5, 20])
      .describe('Sizes k of the masks, in % of all parameters.'),
    steps: steps().default(100_000).describe('Env steps of each masked fine-tune and of the full fine-tune.'),
    aggregator: AggregatorChoiceSchema.default('mean').describe(
      'Whose relevance map picks the top/bottom k %.',
    ),
    randomMasks: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(20)
      .describe(
        'Random k % masks per k (each a masked fine-tune): their null distribution gives top-k a permutation p-value.',
      ),
  })
  .strict();
export type LocalizationSpec = z.output<typeof LocalizationSpecSchema>;

/** Recovery to criterion of the derived checkpoints (the control's recovery keeps recoverySteps). */
export const RecoveryCriterionSpecSchema = z
  .object({
    margin: z
      .number()
      .min(0)
      .max(1)
      .default(0.03)
      .describe('Stop once RA success ≥ the recovered control’s RA success − margin.'),
    maxSteps: steps()
      .default(100_000)
      .describe('Step cap of each recovery; a run that hits it did not recover.'),
    checkEvery: positiveInt()
      .max(MAX_TOTAL_STEPS)
      .default(8192)
      .describe('Env steps between checks of RA success (one also runs before training).'),
    episodes: positiveInt()
      .max(100_000)
      .default(200)
      .describe('Held-out episodes of each check (the points of the recovery curve).'),
  })
  .strict();
export type RecoveryCriterionSpec = z.output<typeof RecoveryCriterionSpecSchema>;

/** α from 0 to 1 in steps of 0.1, rounded so that JSON shows 0.3, not 0.30000000000000004. */
export const DEFAULT_ALPHAS: readonly number[] = Array.from({ length: 11 }, (_, i) => i / 10);

export const ExperimentSpecSchema = z
  .object({
    version: z
      .literal(EXPERIMENT_SPEC_VERSION)
      .default(EXPERIMENT_SPEC_VERSION)
      .describe('Spec format version.'),
    name: z
      .string()
      .min(1)
      .max(96)
      .regex(/^\S(.*\S)?$/, 'must not start or end with whitespace')
      .default('objective-isolation')
      .describe('Experiment name (unique in the database); every run of the protocol belongs to it.'),
    description: z
      .string()
      .max(4000)
      .default('')
      .describe('What the experiment (or preset) is for and why its settings were chosen.'),
    env: GridMazeConfigSchema.prefault({ size: 7 }).describe('The gridmaze environment of every run.'),
    ra: RewardSpecSchema.prefault({ name: 'RA', collect: { cheese: 1 } }).describe(
      'RA: the reward MA is pretrained on, the null controls fine-tune on and recovery trains on.',
    ),
    rbs: z
      .array(RbSpecSchema)
      .min(1)
      .max(12)
      .prefault([{ name: 'coin', collect: { coin: 1 } }])
      .describe('The alternative rewards RBᵢ; each gives one fine-tune MBᵢ of MA.'),
    seeds: positiveInt().max(32).default(1).describe('Independent replications of the whole protocol.'),
    seedBase: seed().default(1).describe('Seed of replication 0; replication r uses seedBase + r.'),
    net: NetSpecSchema.prefault({}).describe('The actor-critic network of every run.'),
    ppo: PpoSpecSchema.prefault({}).describe('PPO settings of every training run.'),
    pretrainSteps: steps().default(1_000_000).describe('Env steps of pretraining MA on RA.'),
    finetuneSteps: steps()
      .default(300_000)
      .describe('Env steps of each fine-tune (MBᵢ on RBᵢ and the null controls on RA).'),
    nullControls: z
      .number()
      .int()
      .min(0)
      .max(8)
      .default(1)
      .describe('Null-drift controls: fine-tunes of MA on RA itself with other seeds.'),
    alphas: z
      .array(z.number().min(0).max(10))
      .min(1)
      .max(64)
      .default([...DEFAULT_ALPHAS])
      .describe('Scales α of the derived checkpoints MA − α·Δᵢ, MA + α·Δᵢ and MA − α·rᵢ.'),
    recoverySteps: steps()
      .default(50_000)
      .describe('Env steps of recovery training on RA of every derived checkpoint and of MA.'),
    recoveryCriterion: RecoveryCriterionSpecSchema.nullable()
      .default(null)
      .describe(
        'Recovery to criterion: retrain each derived checkpoint on RA until its RA success is within `margin` of the recovered control’s (null: every recovery runs recoverySteps).',
      ),
    positiveControl: z
      .boolean()
      .default(false)
      .describe(
        'Positive control of the negation test: fine-tune MA on −RBᵢ (penalise the object) for finetuneSteps, recovered and evaluated like a derived point.',
      ),
    evalEpisodes: positiveInt().max(100_000).default(500).describe('Held-out episodes per evaluation.'),
    evalSeed: seed().default(0).describe('Seed of the held-out maze stream (paired across checkpoints).'),
    evalPolicy: z
      .enum(['greedy', 'sampled'])
      .default('sampled')
      .describe('Evaluate the greedy or the sampled policy.'),
    bootstrapResamples: positiveInt().max(100_000).default(1000).describe('Bootstrap resamples of every CI.'),
    confidence: z.number().gt(0).lt(1).default(0.95).describe('Coverage of every confidence interval.'),
    aggregators: z
      .array(AggregatorChoiceSchema)
      .min(1)
      .default(['mean', 'median', 'sign-agreement', 'ties', 'dare', 'null-normalized'])
      .describe(
        'How the RB deltas are superposed into relevance maps (null-normalized needs a null control).',
      ),
    tiesDensity: z.number().gt(0).max(1).default(0.2).describe('TIES: share of each delta kept per tensor.'),
    dareDropProbability: z.number().min(0).lt(1).default(0.5).describe('DARE: drop probability p.'),
    knownAnswer: z
      .object({
        tensor: z
          .string()
          .min(1)
          .describe('The one tensor every fine-tune may change, e.g. "torso.dense1.kernel".'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe(
        'Known-answer variant: fine-tunes are masked to one tensor, so the relevance map must concentrate there.',
      ),
    localization: LocalizationSpecSchema.nullable()
      .default(null)
      .describe(
        'Localization test: fine-tune MA on RB_new with only the top/random/bottom k % of the map trainable, vs a full fine-tune.',
      ),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const names = [
      ...spec.rbs.map((rb) => rb.name),
      ...(spec.localization === null ? [] : [spec.localization.rbNew.name]),
    ];
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i || name === spec.ra.name) {
        ctx.addIssue({
          code: 'custom',
          path: i < spec.rbs.length ? ['rbs', i, 'name'] : ['localization', 'rbNew', 'name'],
          message: `reward name "${name}" is used twice (RA is "${spec.ra.name}")`,
        });
      }
    });
    const regions = new Set(spec.env.regions.map((region) => region.name));
    const checkReward = (
      reward: { collect: Record<string, number>; reach: Record<string, number> },
      path: (string | number)[],
    ): void => {
      for (const kind of Object.keys(reward.collect)) {
        if (!(spec.env.kinds as readonly string[]).includes(kind)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'collect', kind],
            message: `kind "${kind}" is not in env.kinds (${spec.env.kinds.join(', ')})`,
          });
        }
      }
      for (const region of Object.keys(reward.reach)) {
        if (!regions.has(region)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'reach', region],
            message: `region "${region}" is not declared in env.regions`,
          });
        }
      }
    };
    checkReward(spec.ra, ['ra']);
    spec.rbs.forEach((rb, i) => checkReward(rb, ['rbs', i]));
    if (spec.localization !== null) {
      checkReward(spec.localization.rbNew, ['localization', 'rbNew']);
      if (!spec.aggregators.includes(spec.localization.aggregator)) {
        ctx.addIssue({
          code: 'custom',
          path: ['localization', 'aggregator'],
          message: `"${spec.localization.aggregator}" is not one of spec.aggregators (${spec.aggregators.join(', ')})`,
        });
      }
    }
    if (spec.seedBase + spec.seeds - 1 > MAX_SEED) {
      ctx.addIssue({
        code: 'custom',
        path: ['seedBase'],
        message: `replication seeds run from seedBase to seedBase + seeds − 1 = ${spec.seedBase + spec.seeds - 1}, over the largest seed ${MAX_SEED}`,
      });
    }
    spec.rbs.forEach((rb, i) => {
      if (!rb.addToRA) return;
      const sum = effectiveRbReward(spec.ra, rb);
      const terms: [string, number][] = [
        ['stepCost', sum.stepCost],
        ...Object.entries(sum.collect).map(([k, w]): [string, number] => [`collect.${k}`, w]),
        ...Object.entries(sum.reach).map(([k, w]): [string, number] => [`reach.${k}`, w]),
      ];
      for (const [term, weight] of terms) {
        if (!(Math.abs(weight) <= MAX_REWARD_WEIGHT)) {
          ctx.addIssue({
            code: 'custom',
            path: ['rbs', i, 'addToRA'],
            message: `RA + "${rb.name}" has ${term} = ${weight}, beyond ±${MAX_REWARD_WEIGHT}`,
          });
        }
      }
    });
    if (spec.knownAnswer !== null) {
      const names = networkParamNames(spec.net);
      if (!names.includes(spec.knownAnswer.tensor)) {
        ctx.addIssue({
          code: 'custom',
          path: ['knownAnswer', 'tensor'],
          message: `the network has no tensor "${spec.knownAnswer.tensor}" (it has ${names.join(', ')})`,
        });
      }
    }
    const batch = checkMinibatches(spec.ppo, ctx);
    const budgets: [(string | number)[], number][] = [
      ...(spec.recoveryCriterion === null
        ? []
        : [[['recoveryCriterion', 'maxSteps'], spec.recoveryCriterion.maxSteps] as [string[], number]]),
      [['pretrainSteps'], spec.pretrainSteps],
      [['finetuneSteps'], spec.finetuneSteps],
      [['recoverySteps'], spec.recoverySteps],
      ...(spec.localization === null
        ? []
        : [[['localization', 'steps'], spec.localization.steps] as [string[], number]]),
    ];
    for (const [path, steps] of budgets) {
      if (steps < batch) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${steps} is less than one PPO iteration (numEnvs × numSteps = ${batch})`,
        });
      }
    }
    spec.alphas.forEach((alpha, i) => {
      if (spec.alphas.indexOf(alpha) !== i) {
        ctx.addIssue({ code: 'custom', path: ['alphas', i], message: `α = ${alpha} appears twice` });
      }
    });
    if (spec.aggregators.includes('null-normalized') && spec.nullControls === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['aggregators'],
        message: '"null-normalized" needs at least one null control (nullControls ≥ 1)',
      });
    }
  })
  .describe('An objective-isolation experiment: pretrain, fine-tune, negate, recover, evaluate, analyse.');

export type ExperimentSpec = z.output<typeof ExperimentSpecSchema>;
export type ExperimentSpecInput = z.input<typeof ExperimentSpecSchema>;

/** The reward a fine-tune on `rb` maximises: the component alone, or RA's weights plus it. */
export function effectiveRbReward(ra: RewardSpec, rb: RbSpec): RewardSpec {
  if (!rb.addToRA) return { name: rb.name, collect: rb.collect, stepCost: rb.stepCost, reach: rb.reach };
  const sum = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
    const out = { ...a };
    for (const [key, value] of Object.entries(b)) out[key] = (out[key] ?? 0) + value;
    return out;
  };
  return {
    name: rb.name,
    collect: sum(ra.collect, rb.collect),
    stepCost: ra.stepCost + rb.stepCost,
    reach: sum(ra.reach, rb.reach),
  };
}

/** The name of −RBᵢ, the positive control's reward (penalise RBᵢ's object). */
export function negatedRbName(rb: { name: string }): string {
  return `neg-${rb.name}`;
}

/**
 * The rewards of the positive controls (−RBᵢ for every RBᵢ when spec.positiveControl), by name: their
 * similarity to RBᵢ is −1 by construction, so no similarity warning is about them.
 */
export function positiveControlRewardNames(spec: Pick<ExperimentSpec, 'positiveControl' | 'rbs'>): string[] {
  return spec.positiveControl ? spec.rbs.map(negatedRbName) : [];
}

/** −RBᵢ: RBᵢ's component with every weight negated (added to RA when RBᵢ is added to RA). */
export function negatedRbReward(ra: RewardSpec, rb: RbSpec): RewardSpec {
  const negate = (r: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(r).map(([k, w]) => [k, -w]));
  return effectiveRbReward(ra, {
    ...rb,
    name: negatedRbName(rb),
    collect: negate(rb.collect),
    reach: negate(rb.reach),
    stepCost: -rb.stepCost,
  });
}

/** The object kind RBᵢ is about: the kind of largest positive weight in its component, or null. */
export function rbTargetKind(rb: RbSpec): string | null {
  const best = Object.entries(rb.collect)
    .filter(([, weight]) => weight > 0)
    .sort((x, y) => y[1] - x[1])[0];
  return best?.[0] ?? null;
}
