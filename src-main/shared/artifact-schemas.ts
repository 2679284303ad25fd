import { z } from 'zod';
import {
  EvaluationRecordSchema,
  EvaluationResultSummarySchema,
  EvaluationSummarySchema,
  PolicyModeSchema,
} from './contract-evaluation';
import {
  KnownAnswerDataSchema,
  LocalizationDataSchema,
  NegationTableSchema,
  RewardSimilarityResultSchema,
  SuperpositionDataSchema,
} from './contract-protocol';
import { TensorEntrySchema, type TensorEntry } from './domain';
import {
  GROUND_TRUTH_FORMAT,
  GroundTruthDataSchema,
  PlantedBlockSchema,
  SPIKE_IN_FORMAT,
  SpikeInDataSchema,
} from './known-answer-checks';
import { GridMazeConfigSchema } from './gridmaze-config';
import {
  AnalysisKindSchema,
  JOB_GRAPH_FORMAT,
  JobGraphSchema,
  KNOWN_ANSWER_FORMAT,
  LOCALIZATION_FORMAT,
  NEGATION_FORMAT,
  NodeStateSchema,
  RelevanceMaskParamsSchema,
  SUPERPOSITION_FORMAT,
  UPDATE_SIGNALS_FORMAT,
  UpdateSignalsSchema,
} from './protocol-artifacts';
import { RewardSpecSchema } from './reward';
import { NetSpecSchema } from './training-spec';

/**
 * Every kind of row in the store's `artifacts` table, declared once: the schema of its recipe (how
 * to recompute it), of its manifest (what a list shows without reading the data) and of its data
 * (JSON as UTF-8, little-endian float32 laid out by a tensor manifest, or none). Every writer goes
 * through `encodeArtifact` and every reader through `decodeArtifact` (artifact-codec.ts); the
 * TypeScript types are derived from these schemas.
 *
 * `ARTIFACT_SCHEMA_VERSION` is stamped on each row. Version 1 (before this table existed) is upgraded
 * by store migration 002; change a shape here only together with a new version and a migration.
 */

export const ARTIFACT_SCHEMA_VERSION = 2;

const id = z.number().int().positive();
const count = z.number().int().nonnegative();

/** The manifest of a JSON artifact: its format and a few facts shown without reading the data. */
function jsonManifest<F extends string, S extends z.ZodType>(format: F, summary: S) {
  return z.object({ encoding: z.literal('json-utf8'), format: z.literal(format), summary });
}

function json<S extends z.ZodType>(schema: S) {
  return { encoding: 'json' as const, schema };
}
function float32<M>(entries: (manifest: M) => readonly TensorEntry[]) {
  return { encoding: 'float32' as const, entries };
}
const none = { encoding: 'none' as const };

// ---- evaluation (eval.run and the protocol's evaluate nodes) -------------------------------------

export const EVALUATION_FORMAT = 'deltascope.evaluation/1' as const;
export const EvaluationRecipeSchema = z.object({
  /** Who ran it. */
  method: z.enum(['eval.run', 'protocol.evaluate']),
  checkpointId: id,
  runId: id,
  episodes: count,
  policy: PolicyModeSchema,
  seed: count,
  numEnvs: count,
  bootstrapResamples: count,
  confidence: z.number(),
  /** Enough to play the same episodes again. */
  setup: z.object({
    env: GridMazeConfigSchema,
    rewards: z.array(RewardSpecSchema),
    net: NetSpecSchema,
  }),
});
export type EvaluationRecipe = z.output<typeof EvaluationRecipeSchema>;
const StoredEvaluationSchema = EvaluationRecordSchema.omit({ id: true });
const evaluationManifest = jsonManifest(EVALUATION_FORMAT, EvaluationSummarySchema.omit({ id: true }));

// ---- relevance maps (weights.aggregate and the protocol's superposition) --------------------------

export const RelevanceMapRecipeSchema = z.object({
  aggregator: z.string(),
  /** Every parameter, defaults filled in (maps stored before v2 of null-normalized: `nullInput`, `epsilon`). */
  params: z.record(z.string(), z.unknown()),
  /** The checkpoint the deltas are taken from. */
  base: id,
  /** The checkpoints whose deltas were folded, in order. */
  inputs: z.array(id),
  /** null-normalized (and maps built from null controls): the null controls' checkpoints, in order. */
  nullInputs: z.array(id).optional(),
  /**
   * Set when the protocol made the map: its experiment, superposition node and the replication's
   * seed (absent on maps stored before it was recorded).
   */
  protocol: z.object({ experimentId: id, nodeId: z.string(), seed: z.number().int().optional() }).optional(),
});
export type RelevanceMapRecipe = z.output<typeof RelevanceMapRecipeSchema>;

export const RelevanceTensorSummarySchema = z.object({
  name: z.string(),
  shape: z.array(count),
  /** Σ|m| of this tensor over Σ|m| of the map (0 when the map is all zero). */
  massShare: z.number(),
  maxAbs: z.number(),
  mean: z.number(),
});
export type RelevanceTensorSummary = z.output<typeof RelevanceTensorSummarySchema>;

export const RelevanceMapManifestSchema = z.object({
  tensors: z.array(RelevanceTensorSummarySchema),
  /** Where each tensor sits in the float32 data. */
  entries: z.array(TensorEntrySchema),
  paramCount: count,
});
export type RelevanceMapManifest = z.output<typeof RelevanceMapManifestSchema>;

// ---- trainable masks (sparse fine-tuning) --------------------------------------------------------

export const TrainableMaskRecipeSchema = z.union([
  /** Known-answer mask: only `tensor` trains. */
  z.object({ protocol: id, nodeId: z.string(), tensor: z.string() }).strict(),
  /** Localization mask: the top/random/bottom k % of a relevance map. */
  z
    .object({ protocol: id, nodeId: z.string(), relevanceMap: id })
    .extend(RelevanceMaskParamsSchema.shape)
    .extend({
      selected: count,
      total: count,
      /** Candidates the k % was drawn from (absent on masks made before the movable restriction). */
      movable: count.optional(),
      /** Parameters excluded as immovable (total − movable) and the rule that defines movable. */
      excluded: count.optional(),
      movableRule: z.string().optional(),
    })
    .strict(),
  /** A mask made by hand (API, tests). */
  z.object({ description: z.string().optional() }).strict(),
]);
export type TrainableMaskRecipe = z.output<typeof TrainableMaskRecipeSchema>;

// ---- the protocol --------------------------------------------------------------------------------

export const ProtocolAnalysisRecipeSchema = z.object({
  /** The experiment id. */
  protocol: id,
  nodeId: z.string(),
  analysis: AnalysisKindSchema,
  deps: z.array(z.string()),
});
export type ProtocolAnalysisRecipe = z.output<typeof ProtocolAnalysisRecipeSchema>;

const summary = z.record(z.string(), z.unknown());
function analysis<F extends string, S extends z.ZodType>(format: F, data: S) {
  return { recipe: ProtocolAnalysisRecipeSchema, manifest: jsonManifest(format, summary), data: json(data) };
}

/**
 * What a protocol report compares against that depends on the spec alone (api/protocol/protocol-report-baseline.ts):
 * computed by the first report, stored once per experiment, read afterwards.
 */
export const REPORT_BASELINE_FORMAT = 'deltascope.report-baseline/1' as const;
export const ReportBaselineSchema = z.object({
  format: z.literal(REPORT_BASELINE_FORMAT),
  /** Null when it could not be computed (e.g. a reward that is constant on every sample). */
  similarity: RewardSimilarityResultSchema.nullable(),
  /** The uniform-random policy's evaluation on the spec's held-out mazes, without per-episode data. */
  floor: EvaluationResultSummarySchema,
});
export type ReportBaseline = z.output<typeof ReportBaselineSchema>;

/** A known-answer check run on demand (protocol.knownAnswerChecks) on one replication's checkpoints. */
export const KnownAnswerCheckRecipeSchema = z.object({
  protocol: id,
  seed: z.number().int(),
  method: z.literal('protocol.knownAnswerChecks'),
  /** Spike-in only: the planted block and SNRs asked for (defaults filled in). */
  block: PlantedBlockSchema.optional(),
  snrs: z.array(z.number()).optional(),
});
export type KnownAnswerCheckRecipe = z.output<typeof KnownAnswerCheckRecipeSchema>;

export const ARTIFACT_SCHEMAS = {
  evaluation: {
    recipe: EvaluationRecipeSchema,
    manifest: evaluationManifest,
    data: json(StoredEvaluationSchema),
  },
  'relevance-map': {
    recipe: RelevanceMapRecipeSchema,
    manifest: RelevanceMapManifestSchema,
    data: float32((manifest: RelevanceMapManifest) => manifest.entries),
  },
  'trainable-mask': {
    recipe: TrainableMaskRecipeSchema,
    manifest: z.array(TensorEntrySchema),
    data: float32((manifest: TensorEntry[]) => manifest),
  },
  'protocol-graph': {
    recipe: z.object({ format: z.literal(JOB_GRAPH_FORMAT), specVersion: z.number().int() }),
    manifest: jsonManifest(JOB_GRAPH_FORMAT, z.object({ nodes: count, byKind: z.record(z.string(), count) })),
    data: json(JobGraphSchema),
  },
  'protocol-node': {
    recipe: z.object({ experimentId: id, nodeId: z.string() }),
    manifest: NodeStateSchema,
    data: none,
  },
  'protocol-update-signals': analysis(UPDATE_SIGNALS_FORMAT, UpdateSignalsSchema),
  'protocol-negation': analysis(NEGATION_FORMAT, NegationTableSchema),
  'protocol-superposition': analysis(SUPERPOSITION_FORMAT, SuperpositionDataSchema),
  'protocol-known-answer': analysis(KNOWN_ANSWER_FORMAT, KnownAnswerDataSchema),
  'protocol-localization': analysis(LOCALIZATION_FORMAT, LocalizationDataSchema),
  'protocol-spike-in': {
    recipe: KnownAnswerCheckRecipeSchema,
    manifest: jsonManifest(SPIKE_IN_FORMAT, summary),
    data: json(SpikeInDataSchema),
  },
  'protocol-ground-truth': {
    recipe: KnownAnswerCheckRecipeSchema,
    manifest: jsonManifest(GROUND_TRUTH_FORMAT, summary),
    data: json(GroundTruthDataSchema),
  },
  'protocol-report-baseline': {
    recipe: z.object({ protocol: id, similaritySamples: count, floorPolicy: z.literal('uniform-random') }),
    manifest: jsonManifest(REPORT_BASELINE_FORMAT, summary),
    data: json(ReportBaselineSchema),
  },
} as const;

type Schemas = typeof ARTIFACT_SCHEMAS;
export type ArtifactKind = keyof Schemas;
export const ARTIFACT_KINDS = Object.keys(ARTIFACT_SCHEMAS) as ArtifactKind[];

export function isArtifactKind(kind: string): kind is ArtifactKind {
  return Object.hasOwn(ARTIFACT_SCHEMAS, kind);
}

export type ArtifactRecipe<K extends ArtifactKind> = z.output<Schemas[K]['recipe']>;
export type ArtifactManifest<K extends ArtifactKind> = z.output<Schemas[K]['manifest']>;
export type ArtifactData<K extends ArtifactKind> = Schemas[K]['data'] extends {
  encoding: 'json';
  schema: infer S extends z.ZodType;
}
  ? z.output<S>
  : Schemas[K]['data'] extends { encoding: 'float32' }
    ? Float32Array
    : null;

/** What a writer passes for kind K (schema inputs: fields with defaults may be left out). */
export interface ArtifactContentInput<K extends ArtifactKind> {
  recipe: z.input<Schemas[K]['recipe']>;
  manifest: z.input<Schemas[K]['manifest']>;
  data: Schemas[K]['data'] extends { encoding: 'json'; schema: infer S extends z.ZodType }
    ? z.input<S>
    : ArtifactData<K>;
}

/** The decoded content of one artifact of kind K. */
export interface ArtifactContent<K extends ArtifactKind> {
  recipe: ArtifactRecipe<K>;
  manifest: ArtifactManifest<K>;
  data: ArtifactData<K>;
}
