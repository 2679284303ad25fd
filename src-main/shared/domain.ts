import { z } from 'zod';
import { RewardSpecSchema } from './reward';

/** Records that the main side sends to the renderer. Plain data only. */

export const RUN_PHASES = ['pretrain', 'finetune', 'control', 'derived', 'retrain', 'imported'] as const;
export const RunPhaseSchema = z.enum(RUN_PHASES);
export type RunPhase = z.output<typeof RunPhaseSchema>;

export const RUN_STATUSES = ['created', 'running', 'paused', 'done', 'failed', 'cancelled'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.output<typeof RunStatusSchema>;

/** How a stored tensor's elements are encoded (chunked storage keeps an import's own dtype). */
export const DTYPES = ['float32', 'bfloat16', 'float16'] as const;

/** One tensor of a checkpoint: where its float32 elements sit in the weights BLOB. */
export const TensorEntrySchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(DTYPES),
  byteOffset: z.number().int().nonnegative(),
  byteLength: z.number().int().nonnegative(),
});
export type TensorEntry = z.output<typeof TensorEntrySchema>;

/** How a checkpoint came to be: training, arithmetic on other checkpoints, an import, or a fixture. */
export const ProvenanceSchema = z.object({
  kind: z.enum(['training', 'arithmetic', 'import', 'fixture']),
  description: z.string(),
  inputs: z.array(z.number().int()).default([]),
  formula: z.string().optional(),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type Provenance = z.output<typeof ProvenanceSchema>;

export const DatabaseInfoSchema = z.object({
  path: z.string(),
  fileName: z.string(),
  schemaVersion: z.number().int(),
  sizeBytes: z.number().int(),
  isDefault: z.boolean(),
  counts: z.object({
    experiments: z.number().int(),
    runs: z.number().int(),
    checkpoints: z.number().int(),
    metrics: z.number().int(),
    artifacts: z.number().int(),
  }),
});
export type DatabaseInfo = z.output<typeof DatabaseInfoSchema>;

export const RecentFileSchema = z.object({
  path: z.string(),
  openedAt: z.string(),
  exists: z.boolean(),
});
export type RecentFile = z.output<typeof RecentFileSchema>;

export const CheckpointSummarySchema = z.object({
  id: z.number().int(),
  runId: z.number().int(),
  step: z.number().int(),
  label: z.string(),
  parentCheckpointId: z.number().int().nullable(),
  tensorCount: z.number().int(),
  paramCount: z.number().int(),
  byteLength: z.number().int(),
  sha256: z.string(),
  provenance: ProvenanceSchema,
  createdAt: z.string(),
});
export type CheckpointSummary = z.output<typeof CheckpointSummarySchema>;

export const CheckpointDetailSchema = CheckpointSummarySchema.extend({
  tensors: z.array(TensorEntrySchema),
});
export type CheckpointDetail = z.output<typeof CheckpointDetailSchema>;

export const RunSummarySchema = z.object({
  id: z.number().int(),
  experimentId: z.number().int(),
  name: z.string(),
  phase: RunPhaseSchema,
  reward: RewardSpecSchema,
  seed: z.number().int().nullable(),
  status: RunStatusSchema,
  backend: z.string().nullable(),
  parentCheckpointId: z.number().int().nullable(),
  config: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  checkpointCount: z.number().int(),
  lastStep: z.number().int().nullable(),
});
export type RunSummary = z.output<typeof RunSummarySchema>;

export const RunNodeSchema = RunSummarySchema.extend({ checkpoints: z.array(CheckpointSummarySchema) });
export type RunNode = z.output<typeof RunNodeSchema>;

export const ExperimentSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
});
export type ExperimentSummary = z.output<typeof ExperimentSummarySchema>;

export const ExperimentNodeSchema = ExperimentSummarySchema.extend({ runs: z.array(RunNodeSchema) });
export type ExperimentNode = z.output<typeof ExperimentNodeSchema>;

export const MetricSeriesSchema = z.object({
  key: z.string(),
  steps: z.array(z.number()),
  values: z.array(z.number()),
  /** Rows in the requested range before downsampling. */
  totalPoints: z.number().int(),
});
export type MetricSeries = z.output<typeof MetricSeriesSchema>;

export const DirEntrySchema = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['dir', 'file']),
  isDeltascope: z.boolean(),
  sizeBytes: z.number().int().nullable(),
  modifiedAt: z.string().nullable(),
});
export type DirEntry = z.output<typeof DirEntrySchema>;

export const DirListingSchema = z.object({
  dir: z.string(),
  parent: z.string().nullable(),
  home: z.string(),
  entries: z.array(DirEntrySchema),
});
export type DirListing = z.output<typeof DirListingSchema>;

export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export const JobStateSchema = z.enum(JOB_STATES);
export type JobState = z.output<typeof JobStateSchema>;
