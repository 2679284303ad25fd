import { z } from 'zod';
import { GridMazeConfigSchema, ObjectKindSchema } from './gridmaze-config';
import { RewardSpecSchema } from './reward';
import { NetSpecSchema } from './training-spec';

/**
 * Checkpoint evaluation and episode recording (the agent viewer): request and result schemas, spread
 * into `methods` of contract.ts. Results are plain JSON; the engine (engine/evaluate.ts,
 * engine/episode-recorder.ts, engine/visitation.ts) returns exactly these types.
 *
 * Held-out mazes: every evaluation, recording and heatmap draws its mazes from env seed
 * 2^48 + seed (engine/policy-rollout.ts EVAL_SEED_OFFSET); training seeds are < 2^31, so evaluation
 * mazes never come from a training maze stream.
 */

const id = z.number().int().positive();
const count = z.number().int().nonnegative();
const seed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

export const POLICY_MODES = ['greedy', 'sampled'] as const;
export const PolicyModeSchema = z
  .enum(POLICY_MODES)
  .describe('"greedy": the most probable action (the first on ties); "sampled": a ~ softmax(logits).');
export type PolicyMode = z.output<typeof PolicyModeSchema>;

export const ACTION_NAMES = ['up', 'down', 'left', 'right'] as const;

/** An estimate with the bounds of its confidence interval. */
export const IntervalSchema = z.object({ estimate: z.number(), low: z.number(), high: z.number() });

/**
 * What a checkpoint is evaluated in, for runs whose config lacks it (and to override it): the env,
 * every reward to report, the network shape. Fields left out come from the run's config; then
 * rewards fall back to the run's own reward and the net to the shape read off the checkpoint.
 */
export const EvaluationSetupSchema = z
  .object({
    env: GridMazeConfigSchema.optional(),
    rewards: z.array(RewardSpecSchema).min(1).max(16).optional(),
    net: NetSpecSchema.optional(),
  })
  .strict();
export type EvaluationSetupInput = z.input<typeof EvaluationSetupSchema>;
export type EvaluationSetup = z.output<typeof EvaluationSetupSchema>;

export const EvaluationRewardSchema = z.object({
  name: z.string(),
  /** Mean undiscounted return with its percentile-bootstrap interval. */
  meanReturn: IntervalSchema,
  /** Share of episodes that collected a kind this reward weights > 0, with its Wilson interval. */
  success: IntervalSchema,
});

export const EvaluationKindSchema = z.object({
  kind: ObjectKindSchema,
  /** P(collect kind) with its Wilson interval. */
  collectRate: IntervalSchema,
  /** Mean 1-based step of collection over the episodes that collected it; null when none did. */
  meanStepsToCollect: z.number().nullable(),
  collectedEpisodes: count,
});

export const EvaluationPerEpisodeSchema = z.object({
  /** Episodes in order (env 0's first, second, …, then env 1's, …): the env that played each. */
  envIndex: z.array(count),
  length: z.array(count),
  returns: z.record(z.string(), z.array(z.number())),
  /** Per kind: step (1-based) of collection, 0 when not collected. */
  collectedAtStep: z.record(z.string(), z.array(count)),
});

const evaluationResultFields = {
  format: z.literal('deltascope.evaluation/1'),
  policy: PolicyModeSchema,
  episodes: count,
  seed: count,
  numEnvs: count,
  /** Env seed of the maze stream (EVAL_SEED_OFFSET + seed). */
  envSeed: z.number(),
  confidence: z.number(),
  bootstrapResamples: count,
  trainReward: z.string().nullable(),
  meanLength: z.number(),
  rewards: z.array(EvaluationRewardSchema),
  kinds: z.array(EvaluationKindSchema),
};

export const EvaluationResultSummarySchema = z.object(evaluationResultFields);
export const EvaluationResultSchema = z.object({
  ...evaluationResultFields,
  perEpisode: EvaluationPerEpisodeSchema,
});
export type EvaluationResult = z.output<typeof EvaluationResultSchema>;
export type EvaluationResultSummary = z.output<typeof EvaluationResultSummarySchema>;

const evaluationMeta = {
  /** Artifact id of the stored evaluation; null when it was not saved. */
  id: id.nullable(),
  checkpointId: id,
  runId: id,
  checkpointLabel: z.string(),
  checkpointStep: count,
  createdAt: z.string(),
  /** tfjs backend the forward passes ran on. */
  backend: z.string(),
  elapsedSeconds: z.number(),
  episodesPerSecond: z.number(),
};

export const EvaluationSummarySchema = z.object({ ...evaluationMeta, result: EvaluationResultSummarySchema });
export type EvaluationSummary = z.output<typeof EvaluationSummarySchema>;
export const EvaluationRecordSchema = z.object({ ...evaluationMeta, result: EvaluationResultSchema });
export type EvaluationRecord = z.output<typeof EvaluationRecordSchema>;

export const CellSchema = z.object({ row: count, col: count });
export type Cell = z.output<typeof CellSchema>;
export const PlacedObjectSchema = z.object({ kind: ObjectKindSchema, row: count, col: count });

export const EpisodeFrameSchema = z.object({
  /** Step index, 0-based: the state before action t. */
  t: count,
  agent: CellSchema,
  /** Objects present before the action. */
  objects: z.array(PlacedObjectSchema),
  action: z.number().int().min(0).max(3),
  /** π(a | s) for the actions up, down, left, right. */
  probs: z.array(z.number()),
  /** V(s) of the value head. */
  value: z.number(),
  /** Reward of this action under every reward of the environment. */
  rewards: z.record(z.string(), z.number()),
  /** Kinds collected by this action. */
  collected: z.array(ObjectKindSchema),
});
export type EpisodeFrame = z.output<typeof EpisodeFrameSchema>;

export const EpisodeRecordingSchema = z.object({
  format: z.literal('deltascope.episode/1'),
  size: count,
  kinds: z.array(ObjectKindSchema),
  rewardNames: z.array(z.string()),
  actionNames: z.array(z.string()),
  /** Row-major S×S, 1 = wall; the maze does not change during an episode. */
  walls: z.array(z.number().int().min(0).max(1)),
  mazeSeed: count,
  envSeed: z.number(),
  policy: PolicyModeSchema,
  seed: count,
  /** One frame per step: frames.length = the episode's length. */
  frames: z.array(EpisodeFrameSchema),
  /** Agent cells: the start, then after every action (length + 1); frame t's trail is trail[0 … t]. */
  trail: z.array(CellSchema),
  /** State after the last action. */
  final: z.object({ agent: CellSchema, objects: z.array(PlacedObjectSchema) }),
  outcome: z.object({
    length: count,
    terminated: z.boolean(),
    returns: z.record(z.string(), z.number()),
    collectedAtStep: z.record(z.string(), count),
    success: z.record(z.string(), z.boolean()),
  }),
});
export type EpisodeRecording = z.output<typeof EpisodeRecordingSchema>;

export const VISITATION_MODES = ['fixed-maze', 'start-relative', 'object-relative'] as const;
export const VisitationModeSchema = z
  .enum(VISITATION_MODES)
  .describe(
    '"fixed-maze": one maze, one episode from every free start cell, counts per cell; ' +
      '"start-relative": fresh mazes, counts per offset from the start cell; ' +
      '"object-relative": fresh mazes, counts per offset from an object kind’s cell.',
  );
export type VisitationMode = z.output<typeof VisitationModeSchema>;

export const VisitationResultSchema = z.object({
  format: z.literal('deltascope.visitation/1'),
  mode: VisitationModeSchema,
  policy: PolicyModeSchema,
  seed: count,
  mazeSeed: count,
  size: count,
  /** Grid of counts: S×S (fixed-maze) or (2S−1)×(2S−1) offsets (relative modes). */
  rows: count,
  cols: count,
  /** Row-major visit counts: the start cell and the cell after every action, of every episode. */
  counts: z.array(count),
  /** Relative modes: the grid cell of offset (0, 0), i.e. (S−1, S−1); null for fixed-maze. */
  origin: CellSchema.nullable(),
  /** Relative modes: "start" or the object kind; null for fixed-maze. */
  anchor: z.string().nullable(),
  episodes: count,
  visits: count,
  meanLength: z.number(),
  /** Fixed-maze: the maze (walls row-major, objects at the start); null otherwise. */
  layout: z
    .object({ walls: z.array(z.number().int().min(0).max(1)), objects: z.array(PlacedObjectSchema) })
    .nullable(),
  /** Fixed-maze: number of start cells. */
  starts: count.nullable(),
});
export type VisitationResult = z.output<typeof VisitationResultSchema>;

/** One maze of an episode scan: what each checkpoint did there. */
export const EpisodeScanMazeSchema = z.object({
  mazeSeed: count,
  /** In the order of the request's checkpointIds. */
  outcomes: z.array(
    z.object({
      checkpointId: id,
      length: count,
      /** Object kinds collected in the episode, in the environment's kind order. */
      collected: z.array(z.string()),
      returns: z.record(z.string(), z.number()),
      success: z.record(z.string(), z.boolean()),
    }),
  ),
});
export type EpisodeScanMaze = z.output<typeof EpisodeScanMazeSchema>;

export const EpisodeScanSchema = z.object({
  format: z.literal('deltascope.episode-scan/1'),
  checkpointIds: z.array(id),
  policy: PolicyModeSchema,
  seed: count,
  /** The environment's object kinds and reward names. */
  kinds: z.array(z.string()),
  rewardNames: z.array(z.string()),
  mazes: z.array(EpisodeScanMazeSchema),
});
export type EpisodeScan = z.output<typeof EpisodeScanSchema>;

const checkpointRequest = {
  checkpointId: id,
  policy: PolicyModeSchema.default('greedy'),
  seed: seed.default(0).describe('Seed of the evaluation maze stream and of action sampling.'),
  setup: EvaluationSetupSchema.optional(),
};

export const evaluationMethods = {
  'eval.run': {
    doc: 'Evaluate a checkpoint on held-out mazes under every reward of its environment; saved as an artifact.',
    request: z
      .object({
        ...checkpointRequest,
        episodes: z.number().int().min(1).max(20_000).default(200),
        numEnvs: z.number().int().min(1).max(1024).default(128),
        bootstrapResamples: z.number().int().min(100).max(100_000).default(1000),
        confidence: z.number().min(0.5).max(0.999).default(0.95),
        save: z.boolean().default(true),
        jobId: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe(
            "Id for this evaluation's job.progress / job.state events and eval.cancel; default: generated.",
          ),
      })
      .strict(),
    response: EvaluationRecordSchema,
  },
  'eval.cancel': {
    doc: 'Stops a running eval.run or episodes.visitation (by the jobId of its job.state events; eval.run takes one as a parameter); that call fails with CANCELLED and stores nothing. False if no such job is running.',
    request: z.object({ jobId: z.string().min(1) }).strict(),
    response: z.object({ cancelled: z.boolean() }),
  },
  'eval.list': {
    doc: 'Stored evaluations (without per-episode data) of one checkpoint, of one run, or all; oldest first.',
    request: z.object({ checkpointId: id.optional(), runId: id.optional() }).strict(),
    response: z.array(EvaluationSummarySchema),
  },
  'eval.get': {
    doc: 'One stored evaluation with its per-episode data.',
    request: z.object({ evaluationId: id }).strict(),
    response: EvaluationRecordSchema,
  },
  'episodes.record': {
    doc: 'Play one held-out episode with a checkpoint and return every step (agent viewer).',
    request: z
      .object({
        ...checkpointRequest,
        mazeSeed: seed.default(0).describe('Which held-out maze: the first episode of env 0 of that stream.'),
      })
      .strict(),
    response: EpisodeRecordingSchema,
  },
  'episodes.scan': {
    doc: 'Play held-out mazes fromMazeSeed … fromMazeSeed + mazes − 1 (the mazes of episodes.record) with one or two checkpoints of the same environment, same policy and seed, and return what each collected in each maze: to find the episodes where a behaviour shows.',
    request: z
      .object({
        checkpointIds: z.array(id).min(1).max(2),
        policy: PolicyModeSchema.default('greedy'),
        seed: seed.default(0).describe('Seed of action sampling (sampled policy).'),
        setup: EvaluationSetupSchema.optional(),
        fromMazeSeed: seed.default(0),
        mazes: z.number().int().min(1).max(500).default(64),
      })
      .strict(),
    response: EpisodeScanSchema,
  },
  'episodes.visitation': {
    doc: 'Visit counts of a checkpoint’s policy: per cell of one maze, or per offset from the start or an object.',
    request: z
      .object({
        ...checkpointRequest,
        mode: VisitationModeSchema.default('fixed-maze'),
        mazeSeed: seed.default(0),
        episodes: z
          .number()
          .int()
          .min(1)
          .max(20_000)
          .default(256)
          .describe('Relative modes: episodes played.'),
        episodesPerStart: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(1)
          .describe('Fixed-maze: episodes per start cell.'),
        anchorKind: ObjectKindSchema.optional().describe(
          'Object-relative: the kind (default: the first kind).',
        ),
        numEnvs: z.number().int().min(1).max(1024).default(128),
      })
      .strict(),
    response: VisitationResultSchema,
  },
} as const satisfies Record<string, { doc: string; request: z.ZodType; response: z.ZodType }>;

export type EvaluationMethodName = keyof typeof evaluationMethods;
