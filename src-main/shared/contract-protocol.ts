import { z } from 'zod';
import { IntervalSchema } from './contract-evaluation';
import { ExperimentSpecSchema } from './experiment-spec';
import { GridMazeConfigSchema } from './gridmaze-config';
import { GroundTruthDataSchema, SpikeInDataSchema } from './known-answer-checks';
import {
  KNOWN_ANSWER_FORMAT,
  LOCALIZATION_FORMAT,
  MaskSelectionSchema,
  NEGATION_FORMAT,
  NegationMethodSchema,
  SUPERPOSITION_FORMAT,
  UpdateSignalsSchema,
} from './protocol-artifacts';
import { RewardSpecSchema } from './reward';

/**
 * The objective-isolation protocol over the API (spread into `methods` of contract.ts): design
 * (validate, presets, reward similarity), running (start/status/stop/resume/retryFailed/list) and the
 * report (data and a self-contained HTML export). Experiments run in the background through the
 * service's job queue; their progress is the `job.progress` stream with jobId `protocol-<experimentId>`
 * (unit "nodes") and `job.state` on start and end.
 *
 * The analyses' data schemas below are the one declaration of their stored artifacts (see
 * artifact-schemas.ts); src-main/protocol derives its types from them.
 */

const id = z.number().int().positive();
const count = z.number().int().nonnegative();
const experimentRef = z.object({ experimentId: id }).strict();

/** A correlation or distance; null where undefined (a reward constant on the sample). */
const matrix = z.array(z.array(z.number().nullable()));

/** One invalid field: `path` is dotted from the spec root, e.g. "rbs.0.name". */
export const SpecFieldErrorSchema = z.object({ path: z.string(), message: z.string() });
export type SpecFieldError = z.output<typeof SpecFieldErrorSchema>;

/**
 * A spec schema's issues as field errors, each at its dotted path from the spec root: the one
 * translation `protocol.validate`, the presets list and the renderer's spec forms all use.
 */
export function specFieldErrors(error: z.ZodError): SpecFieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

export const PROTOCOL_NODE_KINDS = [
  'train',
  'mask',
  'relevance-mask',
  'derive',
  'evaluate',
  'analysis',
] as const;
export const ProtocolNodeKindSchema = z.enum(PROTOCOL_NODE_KINDS);

export const ProtocolEstimateSchema = z.object({
  /** Env steps of every training node (pretrain, fine-tunes, null controls, recoveries, localization). */
  trainingSteps: count,
  /** Episodes played by every evaluation node. */
  evaluationEpisodes: count,
  /** Training env steps per second measured on this machine (one short PPO burst, cached per net/PPO shape); null when not measured. */
  stepsPerSecond: z.number().nullable(),
  /** Training jobs run at once (the queue's parallelism, capped by the runner's slots). */
  parallelRuns: z.number().int().positive(),
  /** Estimated wall time in seconds; null without a throughput measurement. */
  seconds: z.number().nullable(),
  /** How the estimate was made, in one sentence for the user. */
  basis: z.string(),
  /**
   * On a cluster (`run --on slurm|local`): the plan's tasks scheduled on `parallelTasks` nodes from
   * the same measured throughput, with the critical path that bounds it whatever the node count;
   * null without a throughput measurement.
   */
  cluster: z
    .object({
      parallelTasks: z.number().int().positive(),
      tasks: count,
      stages: count,
      wallSeconds: z.number(),
      criticalPathSeconds: z.number(),
      /** Scheduling seconds counted per task (submit-to-start and process start-up). */
      overheadSecondsPerTask: z.number(),
    })
    .nullable(),
});
export type ProtocolEstimate = z.output<typeof ProtocolEstimateSchema>;

export const ProtocolValidationSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(false), errors: z.array(SpecFieldErrorSchema).min(1) }),
  z.object({
    ok: z.literal(true),
    /** The spec with every default filled in. */
    spec: ExperimentSpecSchema,
    nodes: count,
    nodesByKind: z.record(ProtocolNodeKindSchema, count),
    /** Training runs of the graph (PPO jobs). */
    trainingRuns: count,
    estimate: ProtocolEstimateSchema.nullable(),
    /**
     * Warnings that do not stop a launch, at the field to change (absent before they existed): e.g. an
     * RB object that stands on every path to RA's in many mazes, so recovery to criterion cannot keep
     * the lean it tests.
     */
    notes: z.array(SpecFieldErrorSchema).optional(),
  }),
]);
export type ProtocolValidation = z.output<typeof ProtocolValidationSchema>;

export const RewardSimilarityWarningSchema = z.object({
  a: z.string(),
  b: z.string(),
  pearson: z.number(),
  message: z.string(),
  /**
   * 'overlap' (absent in results made before it existed): |ρ| above the threshold. 'uninformative':
   * both rewards' events are sparse, so a small |ρ| sits near its floor −√(pq/((1−p)(1−q))) whatever
   * the rewards are and does not show they differ.
   */
  kind: z.enum(['overlap', 'uninformative']).optional(),
  /** 'uninformative': the pair's event rates [p, q] and ρ's floor for rewards that never fire together. */
  eventRates: z.tuple([z.number(), z.number()]).optional(),
  floor: z.number().optional(),
});

export const RewardSimilarityResultSchema = z.object({
  names: z.array(z.string()),
  /** pearson[a][b] = ρ(R_a, R_b) over random-policy transitions. */
  pearson: matrix,
  /** epic[a][b] = D_EPIC(R_a, R_b) ∈ [0, 1]. */
  epic: matrix,
  samples: count,
  /** Per reward: share of the sampled transitions on which it fired an event (absent before it existed). */
  eventRates: z.array(z.number()).optional(),
  /**
   * |ρ| above the threshold between the first reward (RA) and an RB, or between two RBs; and pairs
   * whose ρ is uninformative because both rewards' events are sparse.
   */
  warnings: z.array(RewardSimilarityWarningSchema),
  threshold: z.number(),
  /**
   * Rewards whose pairs are not checked (absent before it existed): the positive controls' −RBᵢ, whose
   * ρ with RBᵢ is −1 by construction and which are no RB the protocol needs orthogonal.
   */
  unchecked: z.array(z.string()).optional(),
});
export type RewardSimilarityResult = z.output<typeof RewardSimilarityResultSchema>;

export const ProtocolPresetSchema = z.object({
  /** File name without `.json`, e.g. "tiny-5x5". */
  id: z.string(),
  file: z.string(),
  /** The preset's `name` field (the experiment name it creates). */
  name: z.string(),
  /** The raw JSON as written in the file (defaults not filled in), to load into the designer. */
  spec: z.record(z.string(), z.unknown()),
  /** Null when the preset validates; else its field errors. */
  errors: z.array(SpecFieldErrorSchema).nullable(),
});
export type ProtocolPreset = z.output<typeof ProtocolPresetSchema>;

export const ProtocolNodeOutputsSchema = z.object({
  runId: id.optional(),
  checkpointId: id.optional(),
  artifactId: id.optional(),
  artifactIds: z.array(id).optional(),
});

export const PROTOCOL_NODE_STATUSES = ['pending', 'ready', 'running', 'done', 'failed', 'blocked'] as const;

export const ProtocolNodeInfoSchema = z.object({
  id: z.string(),
  kind: ProtocolNodeKindSchema,
  seed: z.number().int(),
  deps: z.array(z.string()),
  status: z.enum(PROTOCOL_NODE_STATUSES),
  outputs: ProtocolNodeOutputsSchema,
  error: z.string().nullable(),
  /** When it started (protocol/node-timings.ts: a training node's run creation, else when it could start). */
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Training nodes: the training job's progress while it runs (env steps). */
  progress: z.object({ done: z.number(), total: z.number() }).nullable(),
});
export type ProtocolNodeInfo = z.output<typeof ProtocolNodeInfoSchema>;

/** idle: nothing running in this session; the other states are of this session's runner. */
export const PROTOCOL_STATES = ['idle', 'running', 'stopping', 'done', 'failed', 'cancelled'] as const;

export const ProtocolStatusSchema = z.object({
  experimentId: id,
  name: z.string(),
  /** `protocol-<experimentId>`: the jobId of its job.progress / job.state events. */
  jobId: z.string(),
  state: z.enum(PROTOCOL_STATES),
  done: count,
  total: count,
  failed: count,
  blocked: count,
  running: count,
  /** Seconds left from the cost rate of this session's finished nodes; null before any finished. */
  etaSeconds: z.number().nullable(),
  nodes: z.array(ProtocolNodeInfoSchema),
});
export type ProtocolStatus = z.output<typeof ProtocolStatusSchema>;

export const ProtocolListItemSchema = z.object({
  experimentId: id,
  name: z.string(),
  createdAt: z.string(),
  state: z.enum(PROTOCOL_STATES),
  done: count,
  total: count,
  failed: count,
});
export type ProtocolListItem = z.output<typeof ProtocolListItemSchema>;

const ProtocolStartedSchema = z.object({ experimentId: id, jobId: z.string() });

// ---- Report data: the analyses' artifacts (protocol/README.md) -----------------------------------

const interval = IntervalSchema;
const NegationMeasuresSchema = z.object({
  targetCollect: interval.nullable(),
  raReturn: interval,
  rbReturn: interval,
});
const NegationDifferenceSchema = z.object({ targetCollect: interval.nullable(), raReturn: interval });
/**
 * A recovery to criterion (spec.recoveryCriterion): the env steps it trained, whether its RA success
 * reached the criterion before the cap, and its curve — at each check, RA success and P(collect) of
 * every object kind on held-out episodes.
 */
export const RecoveryRecordSchema = z.object({
  runId: id,
  steps: count,
  reachedCriterion: z.boolean(),
  curve: z.array(z.object({ step: count, success: z.number(), collect: z.record(z.string(), z.number()) })),
});
export type RecoveryRecord = z.output<typeof RecoveryRecordSchema>;
export const NegationTableSchema = z.object({
  format: z.literal(NEGATION_FORMAT),
  seed: z.number().int(),
  raName: z.string(),
  confidence: z.number(),
  bootstrapResamples: count,
  episodes: count,
  rbs: z.array(z.object({ name: z.string(), targetKind: z.string().nullable() })),
  base: z.object({ checkpointId: id, measures: z.record(z.string(), NegationMeasuresSchema) }),
  control: z.object({ checkpointId: id, measures: z.record(z.string(), NegationMeasuresSchema) }),
  finetuned: z.array(z.object({ rb: z.string(), checkpointId: id, measures: NegationMeasuresSchema })),
  rows: z.array(
    z.object({
      rb: z.string(),
      /** A derive variant, or 'positive' (MA fine-tuned on −RBᵢ; alpha 1). */
      variant: NegationMethodSchema,
      alpha: z.number(),
      checkpointId: id,
      recoveredCheckpointId: id,
      before: NegationMeasuresSchema,
      after: NegationMeasuresSchema,
      afterVsRandom: NegationDifferenceSchema.nullable(),
      afterVsControl: NegationDifferenceSchema,
      /** Recovery to criterion (absent with fixed-budget recovery and in tables made before it existed). */
      recovery: RecoveryRecordSchema.optional(),
    }),
  ),
});
export type NegationTableData = z.output<typeof NegationTableSchema>;

export const TensorConcentrationSchema = z.object({
  tensor: z.string(),
  count: count,
  sizeShare: z.number(),
  share: z.number(),
  meanAbs: z.number(),
});
const nodeCheckpoint = z.object({ nodeId: z.string(), checkpointId: id });
const labelledInput = nodeCheckpoint.extend({ label: z.string() });
/** How a map was aggregated: aggregator, parameters with defaults filled in, delta (and null) checkpoint ids. */
export const AggregationRecipeSchema = z.object({
  aggregator: z.string(),
  params: z.record(z.string(), z.unknown()),
  inputs: z.array(id),
  nullInputs: z.array(id).optional(),
});
export const SuperpositionDataSchema = z.object({
  format: z.literal(SUPERPOSITION_FORMAT),
  seed: z.number().int(),
  base: nodeCheckpoint,
  rbInputs: z.array(labelledInput),
  nullInputs: z.array(labelledInput),
  maps: z.array(
    z.object({
      aggregator: z.string(),
      recipe: AggregationRecipeSchema,
      artifactId: id,
      concentration: z.array(TensorConcentrationSchema),
    }),
  ),
  nullMap: z.object({ artifactId: id, concentration: z.array(TensorConcentrationSchema) }).nullable(),
  /** Between- / within-objective variance ratio; absent in artifacts written before it existed. */
  varianceRatio: z
    .discriminatedUnion('status', [
      z.object({
        status: z.literal('computed'),
        groups: z.array(z.object({ label: z.string(), size: z.number().int() })),
        artifactId: id,
        concentration: z.array(TensorConcentrationSchema),
      }),
      z.object({
        status: z.literal('skipped'),
        groups: z.array(z.object({ label: z.string(), size: z.number().int() })),
        reason: z.string(),
      }),
    ])
    .optional(),
});
export type SuperpositionData = z.output<typeof SuperpositionDataSchema>;

export const KnownAnswerDataSchema = z.object({
  format: z.literal(KNOWN_ANSWER_FORMAT),
  seed: z.number().int(),
  plantedTensor: z.string(),
  aggregators: z.array(
    z.object({
      aggregator: z.string(),
      topTensor: z.string(),
      plantedShare: z.number(),
      plantedRank: z.number().int(),
      pass: z.boolean(),
    }),
  ),
  pass: z.boolean(),
});
export type KnownAnswerData = z.output<typeof KnownAnswerDataSchema>;

export const LocalizationDataSchema = z.object({
  format: z.literal(LOCALIZATION_FORMAT),
  seed: z.number().int(),
  rbNew: z.string(),
  aggregator: z.string(),
  /** Why parameters were excluded from the masks (absent before the movable restriction). */
  movableRule: z.string().optional(),
  confidence: z.number(),
  episodes: count,
  base: z.object({ checkpointId: id, rbNewReturn: interval }),
  full: z.object({ checkpointId: id, rbNewReturn: interval, gainOverBase: interval }),
  rows: z.array(
    z.object({
      selection: MaskSelectionSchema,
      kPercent: z.number(),
      selected: count,
      total: count,
      /** Movable parameters the k % was drawn from; total − movable were excluded (`movableRule`). */
      movable: count.optional(),
      /** Random masks: which of the M draws (absent before M draws). */
      draw: count.optional(),
      maskArtifactId: id,
      checkpointId: id,
      rbNewReturn: interval,
      gainOverBase: interval,
      fractionOfFull: interval.nullable(),
    }),
  ),
  /**
   * Per k, the null distribution of the M random masks' mean RB_new return: top-k's percentile among
   * them, the permutation p-value (1 + #{random ≥ top}) / (M + 1) and the draws' central 95 % band.
   */
  randomNull: z
    .array(
      z.object({
        kPercent: z.number(),
        draws: count,
        drawMeans: z.array(z.number()),
        topMean: z.number(),
        percentile: z.number(),
        pValue: z.number(),
        band: z.object({ low: z.number(), high: z.number() }),
      }),
    )
    .optional(),
  /** Per k, paired per-episode differences top − (mean of the random draws | each baseline mask). */
  paired: z
    .array(
      z.object({
        kPercent: z.number(),
        versus: z.enum(['random', 'null-drift', 'saliency', 'fisher']),
        difference: interval,
      }),
    )
    .optional(),
});
export type LocalizationData = z.output<typeof LocalizationDataSchema>;

/**
 * An effect pooled over R replications (engine/pooling.ts): a t-interval over the per-replication
 * effects when R ≥ 5, else a hierarchical bootstrap (replications, then episodes within each);
 * `replicated` is false when R < 3 (reported as "not replicated", never a finding).
 */
export const PooledEffectSchema = z.object({
  method: z.enum(['hierarchical-bootstrap', 't-interval']),
  replications: count,
  replicated: z.boolean(),
  estimate: z.number(),
  low: z.number(),
  high: z.number(),
  /** The effect of each replication (its mean over episodes), in replication order. */
  perReplication: z.array(z.number()),
});
export type PooledEffect = z.output<typeof PooledEffectSchema>;

/**
 * A negation headline effect pooled over replications: for RBᵢ, variant and α, the paired
 * per-episode difference (after recovery − control) on P(collect RBᵢ's object) and on RA's return.
 */
export const PooledNegationRowSchema = z.object({
  rb: z.string(),
  /** A derive variant, or 'positive' (the positive control: MA fine-tuned on −RBᵢ, alpha 1). */
  variant: NegationMethodSchema,
  alpha: z.number(),
  /** Seeds of the replications pooled (those whose evaluations were done). */
  seeds: z.array(z.number().int()),
  targetCollectVsControl: PooledEffectSchema.nullable(),
  raReturnVsControl: PooledEffectSchema,
  /**
   * Specificity (absent in reports made before it existed): Δ P(collect) of every object kind vs the
   * control, Δ RA success, and the contrast = Δ P(target) − mean Δ P(other kinds), per episode then pooled
   * (null when RBᵢ names no object or the env has no other kind). The headline is the contrast.
   */
  specificity: z
    .object({
      perKind: z.array(z.object({ kind: z.string(), effect: PooledEffectSchema })),
      raSuccessVsControl: PooledEffectSchema,
      contrast: PooledEffectSchema.nullable(),
    })
    .optional(),
  /** RA retention: per replication RA success of this arm / the control's, pooled over replications. */
  raRetention: PooledEffectSchema.nullable().optional(),
  /** Steps to criterion per replication (seeds order); null where the recovery hit its cap. Absent: fixed budget. */
  stepsToCriterion: z.array(count.nullable()).optional(),
});
export type PooledNegationRow = z.output<typeof PooledNegationRowSchema>;

/** What the top-k mask of the map is compared with: M random masks, and the baseline masks' top k. */
export const LOCALIZATION_COMPARISONS = ['random', 'null-drift', 'saliency', 'fisher'] as const;
export const LocalizationComparisonSchema = z.enum(LOCALIZATION_COMPARISONS);
export type LocalizationComparison = z.output<typeof LocalizationComparisonSchema>;

/**
 * The localization test pooled across replications (protocol/localization-pooling.ts). Each
 * replication is measured against its OWN full fine-tune: its denominator dᵣ = mean RB_new return of
 * its full fine-tune − its MA's, and a mask's effect is (xₑ − MAₑ)/dᵣ per episode (the fraction of the
 * full gain); top − X is (topₑ − Xₑ)/dᵣ, X the random draws' per-episode mean or a baseline's top k.
 * Each effect is pooled with engine/pooling.ts (the negation's pooling): its perReplication values
 * follow `seeds` of its own entry.
 */
export const PooledLocalizationSchema = z.object({
  rbNew: z.string(),
  aggregator: z.string(),
  /** Replications whose MA and full fine-tune are evaluated, in replication order. */
  seeds: z.array(z.number().int()),
  /** Each replication's own full fine-tune's gain in RB_new mean return over its MA (the denominators), pooled. */
  fullGain: PooledEffectSchema,
  /** Replications left out of the fractions: their full fine-tune did not raise RB_new's mean return (dᵣ ≤ 0). */
  excluded: z.array(z.number().int()),
  ks: z.array(
    z.object({
      kPercent: z.number(),
      /** Fraction of the full gain of each mask kind (random: the mean over the draws), pooled. */
      fractions: z.array(
        z.object({
          selection: MaskSelectionSchema,
          seeds: z.array(z.number().int()),
          effect: PooledEffectSchema,
        }),
      ),
      /** top − X in fractions of the full gain, paired per episode, pooled. */
      paired: z.array(
        z.object({
          versus: LocalizationComparisonSchema,
          seeds: z.array(z.number().int()),
          effect: PooledEffectSchema,
        }),
      ),
      /**
       * Top-k among each replication's M random masks: per replication (seeds order) the draws and
       * #{draws with mean return ≥ top's}, and the pooled permutation p-value P(Σ Gᵣ ≤ Σ gᵣ), Gᵣ
       * uniform on {0…Mᵣ} (exchangeable masks under the null; with R = 1 it is (1 + g)/(M + 1)).
       */
      randomNull: z
        .object({
          seeds: z.array(z.number().int()),
          draws: z.array(count),
          atLeastTop: z.array(count),
          pValue: z.number(),
        })
        .nullable(),
    }),
  ),
});
export type PooledLocalization = z.output<typeof PooledLocalizationSchema>;

/** Success (share of episodes collecting the reward's object) of one checkpoint on one reward. */
export const SuccessFigureSchema = z.object({
  /** "MA", "MB:coin", "random policy". */
  subject: z.string(),
  reward: z.string(),
  checkpointId: id.nullable(),
  success: interval,
  meanReturn: interval,
});
export type SuccessFigure = z.output<typeof SuccessFigureSchema>;

/**
 * Behavioural similarity of the rewards: each trained policy (MA, every MBᵢ) evaluated under every
 * reward. regret = mean return of the reward's own policy (MA for RA, MBⱼ for RBⱼ) − this policy's mean
 * return on it (null when the reward's own policy is not evaluated).
 */
export const BehaviourMatrixSchema = z.object({
  rewards: z.array(z.string()),
  rows: z.array(
    z.object({
      /** "MA", "MB:coin". */
      policy: z.string(),
      /** The reward the policy was trained on. */
      ownReward: z.string(),
      checkpointId: id.nullable(),
      cells: z.array(
        z.object({
          reward: z.string(),
          success: interval.nullable(),
          meanReturn: interval.nullable(),
          regret: z.number().nullable(),
        }),
      ),
    }),
  ),
});
export type BehaviourMatrix = z.output<typeof BehaviourMatrixSchema>;

export const ReportSeedSchema = z.object({
  seed: z.number().int(),
  /** MA on RA, each MBᵢ on RBᵢ, and the uniform-random policy on RA (the floor). */
  success: z.array(SuccessFigureSchema),
  /** MA and every MBᵢ under every reward (absent in reports built before it existed). */
  behaviour: BehaviourMatrixSchema.optional(),
  updateSignals: UpdateSignalsSchema.nullable(),
  negation: NegationTableSchema.nullable(),
  superposition: SuperpositionDataSchema.nullable(),
  knownAnswer: KnownAnswerDataSchema.nullable(),
  localization: LocalizationDataSchema.nullable(),
  /** This replication's latest known-answer checks (protocol.knownAnswerChecks); null until run. */
  spikeIn: SpikeInDataSchema.nullable().default(null),
  groundTruth: GroundTruthDataSchema.nullable().default(null),
});
export type ReportSeed = z.output<typeof ReportSeedSchema>;

export const ReportRunSchema = z.object({
  nodeId: z.string(),
  /** pretrain, finetune, null, recover, localize. */
  role: z.string(),
  trainReward: z.string(),
  seed: z.number().int(),
  runId: id,
});

/** `finding`: the CI excludes 0 (or the check passed); `null-result`: it includes 0; `note`: context. */
export const STATEMENT_KINDS = ['finding', 'null-result', 'note'] as const;
export const ReportStatementSchema = z.object({
  seed: z.number().int().nullable(),
  topic: z.enum(['success', 'similarity', 'negation', 'superposition', 'known-answer', 'localization']),
  kind: z.enum(STATEMENT_KINDS),
  text: z.string(),
});
export type ReportStatement = z.output<typeof ReportStatementSchema>;

/**
 * One opening paragraph of the report per question, pooled across replications with its CI and the
 * controls it beat or failed to beat; `not-run` when its inputs do not exist (protocol/verdicts.ts).
 */
export const REPORT_QUESTIONS = ['negation', 'superposition', 'localization', 'known-answer'] as const;
export const ReportVerdictSchema = z.object({
  question: z.enum(REPORT_QUESTIONS),
  kind: z.enum([...STATEMENT_KINDS, 'not-run']),
  text: z.string(),
});
export type ReportVerdict = z.output<typeof ReportVerdictSchema>;

export const PROTOCOL_REPORT_FORMAT = 'deltascope.protocol.report/1';

export const ProtocolReportSchema = z.object({
  format: z.literal(PROTOCOL_REPORT_FORMAT),
  experimentId: id,
  name: z.string(),
  createdAt: z.string(),
  generatedAt: z.string(),
  spec: ExperimentSpecSchema,
  progress: z.object({ done: count, total: count, failed: count, complete: z.boolean() }),
  /** Similarity of RA, every RBᵢ (effective reward) and RB_new; null if it could not be computed. */
  similarity: RewardSimilarityResultSchema.nullable(),
  /** Training runs for the curves (metrics.series on these run ids). */
  runs: z.array(ReportRunSchema),
  seeds: z.array(ReportSeedSchema),
  /** Negation headline effects pooled across replications (empty until a replication's negation is done). */
  pooledNegation: z.array(PooledNegationRowSchema).default([]),
  /** The localization test pooled across replications (null without spec.localization or before a replication has MA and its full fine-tune evaluated). */
  pooledLocalization: PooledLocalizationSchema.nullable().default(null),
  /** The opening verdict paragraphs, one per question (absent in reports made before they existed). */
  verdicts: z.array(ReportVerdictSchema).default([]),
  statements: z.array(ReportStatementSchema),
});
export type ProtocolReport = z.output<typeof ProtocolReportSchema>;

/** One stored attempt of a node: what it made or why it failed, as the runner recorded it. */
export const ProtocolNodeLogEntrySchema = z.object({
  /** The protocol-node record (artifact) this attempt is stored in. */
  artifactId: id,
  status: z.enum(['done', 'failed']),
  finishedAt: z.string(),
  outputs: ProtocolNodeOutputsSchema,
  error: z.string().nullable(),
});
export type ProtocolNodeLogEntry = z.output<typeof ProtocolNodeLogEntrySchema>;

export const ProtocolNodeLogSchema = z.object({
  experimentId: id,
  nodeId: z.string(),
  /** Every stored attempt, oldest first (the last one is the node's state); empty before its first. */
  entries: z.array(ProtocolNodeLogEntrySchema),
});
export type ProtocolNodeLog = z.output<typeof ProtocolNodeLogSchema>;

export const protocolMethods = {
  'protocol.validate': {
    doc: 'Check an experiment spec: field errors, or the resolved spec with node counts and an estimated wall time.',
    request: z
      .object({
        spec: z.unknown(),
        /** Measure training throughput on this machine if not cached (a ~1–3 s PPO burst). Default true. */
        estimate: z.boolean().default(true),
        /** Tasks run at once on a cluster, for the estimate's cluster projection. Default 8. */
        parallelTasks: z.number().int().min(1).max(100_000).default(8),
      })
      .strict(),
    response: ProtocolValidationSchema,
  },
  'rewards.similarity': {
    doc: 'Pearson and EPIC matrices of rewards in one env (the first reward is RA), with warnings when |ρ| exceeds the threshold.',
    request: z
      .object({
        env: GridMazeConfigSchema,
        rewards: z.array(RewardSpecSchema).min(2).max(16),
        samples: z.number().int().min(100).max(200_000).default(5000),
        threshold: z.number().gt(0).lt(1).default(0.3),
        seed: count.default(0),
      })
      .strict(),
    response: RewardSimilarityResultSchema,
  },
  'protocol.presets': {
    doc: 'The experiment presets shipped in resources/experiments.',
    request: z.object({}).strict(),
    response: z.array(ProtocolPresetSchema),
  },
  'protocol.start': {
    doc: 'Create a protocol experiment in the open database and run it in the background; progress as job.progress (jobId protocol-<id>).',
    request: z
      .object({
        spec: z.unknown(),
        /** Training jobs of this experiment at once (default 2). */
        trainingSlots: z.number().int().min(1).max(16).optional(),
      })
      .strict(),
    response: ProtocolStartedSchema,
  },
  'protocol.status': {
    doc: 'Every node of a protocol experiment with its status and outputs; done/total and ETA.',
    request: experimentRef,
    response: ProtocolStatusSchema,
  },
  'protocol.stop': {
    doc: 'Stop a running protocol: no new nodes; running training jobs write a last checkpoint. Resume later.',
    request: experimentRef,
    response: ProtocolStatusSchema,
  },
  'protocol.resume': {
    doc: 'Run a protocol experiment again from where it stopped (failed nodes stay failed).',
    request: experimentRef,
    response: ProtocolStartedSchema,
  },
  'protocol.retryFailed': {
    doc: 'Run a protocol experiment again, retrying its failed nodes (only those named in nodeIds, if given).',
    request: z
      .object({
        experimentId: id,
        /** Retry just these failed nodes; others that failed stay failed. Default: every failed node. */
        nodeIds: z.array(z.string().min(1)).min(1).max(10_000).optional(),
      })
      .strict(),
    response: ProtocolStartedSchema,
  },
  'protocol.nodeLog': {
    doc: "A node's log: every stored attempt (done or failed, when, its outputs and error), oldest first.",
    request: z.object({ experimentId: id, nodeId: z.string().min(1) }).strict(),
    response: ProtocolNodeLogSchema,
  },
  'protocol.list': {
    doc: 'Protocol experiments of the open database, oldest first.',
    request: z.object({}).strict(),
    response: z.array(ProtocolListItemSchema),
  },
  'protocol.report': {
    doc: 'The report data of a protocol experiment: spec, reward similarity, run ids, analyses, statements.',
    request: experimentRef,
    response: ProtocolReportSchema,
  },
  'protocol.exportReport': {
    doc: 'Write the report as one self-contained HTML file, with CSV tables next to it (<name>-negation.csv, …). Refuses existing files unless overwrite is set.',
    request: z
      .object({
        experimentId: id,
        path: z.string().min(1).describe('The .html file to write; its folder must exist.'),
        overwrite: z.boolean().default(false).describe('Replace existing files (never the open database).'),
      })
      .strict(),
    response: z.object({ htmlPath: z.string(), csvPaths: z.array(z.string()) }),
  },
} as const;
