import { z } from 'zod';
import { RewardSpecSchema } from './reward';

/**
 * Shapes of the protocol's stored artifacts that are not report data (contract-protocol.ts holds
 * those): the job graph, a node's state, the update signals, and every analysis format string. The
 * TypeScript types in src-main/protocol are derived from these schemas.
 */

export const JOB_GRAPH_FORMAT = 'deltascope.protocol.graph/1' as const;
export const UPDATE_SIGNALS_FORMAT = 'deltascope.protocol.update-signals/1' as const;
export const NEGATION_FORMAT = 'deltascope.protocol.negation/1' as const;
export const SUPERPOSITION_FORMAT = 'deltascope.protocol.superposition/1' as const;
export const KNOWN_ANSWER_FORMAT = 'deltascope.protocol.known-answer/1' as const;
export const LOCALIZATION_FORMAT = 'deltascope.protocol.localization/1' as const;

const id = z.number().int().positive();
const count = z.number().int().nonnegative();

/**
 * Derived checkpoints: negate MA − α·Δᵢ; add MA + α·Δᵢ (a curve, never a finding); and the controls, each
 * norm-matched to Δᵢ per tensor: random MA − α·rᵢ (Gaussian over the movable parameters), null MA − α·Δ_null
 * (negated null drift), other MA − α·Δ_other (another RB's delta).
 */
export const DeriveVariantSchema = z.enum(['negate', 'add', 'random', 'null', 'other']);
/** A row of the negation test: a derived variant, or the positive control (MA fine-tuned on −RBᵢ). */
export const NegationMethodSchema = z.enum([...DeriveVariantSchema.options, 'positive']);
export const TrainRoleSchema = z.enum(['pretrain', 'finetune', 'null', 'recover', 'localize', 'positive']);

/** Recovery to criterion: train on RA until RA success ≥ the reference's − margin (checked every `checkEvery` steps). */
export const RecoveryCriterionParamsSchema = z.object({
  /** Evaluate node whose RA success is the reference (the recovered control's). */
  referenceEval: z.string(),
  margin: z.number(),
  checkEvery: z.number().int().positive(),
  episodes: z.number().int().positive(),
});
export const AnalysisKindSchema = z.enum([
  'update-signals',
  'negation',
  'superposition',
  'known-answer',
  'localization',
  /** The RB_new objective's gradient and diagonal Fisher at MA (movable set, saliency/Fisher baselines). */
  'gradient',
]);
/**
 * Which k % a localization mask trains: the top/bottom of the relevance map, a random draw, or a
 * baseline's top — the null-drift map, gradient saliency |∂J_RB_new/∂θ| at MA, or diagonal Fisher at MA.
 */
export const MaskSelectionSchema = z.enum(['top', 'random', 'bottom', 'null-drift', 'saliency', 'fisher']);

/** A localization mask node: the k % of a relevance map it trains (also the head of the stored mask's recipe). */
export const RelevanceMaskParamsSchema = z.object({
  kind: z.literal('relevance-mask'),
  /** The superposition analysis node whose map is used. */
  from: z.string(),
  aggregator: z.string(),
  selection: MaskSelectionSchema,
  kPercent: z.number(),
  randomSeed: z.number().int(),
  /** Random masks: which of the M draws (0 … M−1; absent = 0, graphs before M draws). */
  draw: count.optional(),
  /** The gradient analysis node whose non-zero gradient defines the movable set (absent on older graphs). */
  gradientFrom: z.string().optional(),
});

export const NodeParamsSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('train'),
    role: TrainRoleSchema,
    /** Name of the reward PPO maximises (one of `evalRewards` of the graph). */
    trainReward: z.string(),
    steps: count,
    seed: z.number().int(),
    /** Node whose output checkpoint the run starts from; null = fresh weights. */
    initFrom: z.string().nullable(),
    /** Node whose output is the trainable-mask artifact; null = everything trainable. */
    maskFrom: z.string().nullable(),
    /** RBᵢ name for fine-tunes; the derived checkpoint's node for recoveries. */
    subject: z.string().nullable(),
    /** Recoveries to criterion: stop once RA success is within the margin of the reference (absent: fixed budget). */
    criterion: RecoveryCriterionParamsSchema.optional(),
  }),
  z.object({ kind: z.literal('mask'), from: z.string(), tensor: z.string() }),
  RelevanceMaskParamsSchema,
  z.object({
    kind: z.literal('derive'),
    base: z.string(),
    target: z.string(),
    rb: z.string(),
    variant: DeriveVariantSchema,
    alpha: z.number(),
    randomSeed: z.number().int(),
    /** null / other: the node whose delta from `base` is the control direction (a null control, another RB). */
    reference: z.string().optional(),
    /** random: the fine-tunes whose non-zero Δ define the movable parameters the direction is drawn on. */
    movableFrom: z.array(z.string()).optional(),
  }),
  z.object({ kind: z.literal('evaluate'), target: z.string() }),
  z.object({ kind: z.literal('analysis'), analysis: AnalysisKindSchema }),
]);

export const JobNodeSchema = z.object({
  /** Stable id, e.g. `s1/derive/coin/negate/0.5`; also the name of the node's run. */
  id: z.string().min(1),
  /** Replication seed the node belongs to. */
  seed: z.number().int(),
  deps: z.array(z.string()),
  params: NodeParamsSchema,
});

export const JobGraphSchema = z.object({
  format: z.literal(JOB_GRAPH_FORMAT),
  /** Every reward logged by training runs and reported by evaluations: RA, each RBᵢ, then RB_new. */
  evalRewards: z.array(RewardSpecSchema),
  nodes: z.array(JobNodeSchema),
});
export type JobGraphData = z.output<typeof JobGraphSchema>;

export const NodeOutputsSchema = z
  .object({
    runId: id.optional(),
    checkpointId: id.optional(),
    artifactId: id.optional(),
    artifactIds: z.array(id).optional(),
  })
  .strict();

/** One node's outcome, appended as a `protocol-node` artifact; the latest per node wins. */
export const NodeStateSchema = z.object({
  nodeId: z.string().min(1),
  status: z.enum(['done', 'failed']),
  outputs: NodeOutputsSchema,
  error: z.string().nullable(),
  finishedAt: z.string(),
});

/** The statistics of one delta kept in the update-signals artifact (no histogram). */
export const DeltaStatsSummarySchema = z.object({
  l2: z.number(),
  relativeL2: z.number().nullable(),
  maxAbs: z.number(),
  mean: z.number(),
  std: z.number(),
  fractionAboveEpsilon: z.number(),
  signFlipFraction: z.number(),
});

const cosineMatrix = z.array(z.array(z.number().nullable()));

export const UpdateSignalsSchema = z.object({
  format: z.literal(UPDATE_SIGNALS_FORMAT),
  seed: z.number().int(),
  base: z.object({ nodeId: z.string(), checkpointId: id }),
  /** Every tensor, in checkpoint order. */
  tensors: z.array(z.object({ name: z.string(), shape: z.array(count), count })),
  deltas: z.array(
    z.object({
      label: z.string(),
      role: z.enum(['rb', 'null']),
      nodeId: z.string(),
      checkpointId: id,
      total: DeltaStatsSummarySchema,
      /** Same order as `tensors`. */
      perTensor: z.array(DeltaStatsSummarySchema),
    }),
  ),
  /** cos(Δᵢ, Δⱼ) over all parameters; rows and columns in `deltas` order; null where a norm is 0. */
  cosine: cosineMatrix,
  /** The same per tensor, keyed by tensor name. */
  perTensorCosine: z.record(z.string(), cosineMatrix),
});
export type UpdateSignalsData = z.output<typeof UpdateSignalsSchema>;
