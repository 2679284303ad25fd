import { z } from 'zod';
import {
  RelevanceMapRecipeSchema,
  RelevanceTensorSummarySchema,
  type ArtifactKind,
} from './artifact-schemas';
import { CheckpointSummarySchema } from './domain';
import { ObservationLayoutSchema } from './observation-layout';

/**
 * Checkpoint diffs, heatmap tiles, checkpoint arithmetic, aggregation and model files: request and
 * response schemas, spread into `methods` of contract.ts. Implemented by api/weights/weights-handlers.ts over
 * the pure engine in src-main/weights (its DeltaStats, heatmap layouts and aggregators are mirrored
 * here field for field).
 *
 * The renderer never receives a whole checkpoint: a diff returns statistics, and tensors travel as
 * pooled heatmap tiles whose values are base64 of little-endian float32 (`decodeFloat32Base64`).
 *
 * Conventions: Δ = B − A. A `CheckpointRef` names a stored checkpoint, a model file on the main
 * side's disk (.safetensors, or a tfjs model.json / its folder), so two files dropped from the OS can
 * be diffed without importing them, or a stored relevance map (`{ artifactId }`; with a = b and view
 * 'a', the tile, cell and overview methods draw the map itself). Heatmap coordinates are cells of the tensor's 2-D view (rows ×
 * cols, see `MatrixLayoutSchema`); level L pools 2^L × 2^L cells into one, keeping the value of
 * largest |v| (sign kept), so a single spike stays visible at every zoom.
 */

const id = z.number().int().positive();
const finite = () => z.number().refine(Number.isFinite, 'must be a finite number');
const powerOfTwo = (min: number, max: number) =>
  z
    .number()
    .int()
    .min(min)
    .max(max)
    .refine((n) => (n & (n - 1)) === 0, 'must be a power of two');

/**
 * A stored checkpoint, a model file read from disk (never written to the database), or a stored
 * relevance map: diffing a map against itself with view 'a' draws the map.
 */
export const CheckpointRefSchema = z.union([
  z.object({ checkpointId: id }).strict(),
  z
    .object({
      file: z
        .string()
        .min(1)
        .describe('Path of a .safetensors file, a tfjs model.json, or a folder holding model.json.'),
    })
    .strict(),
  z
    .object({ artifactId: id.describe('A stored relevance map (weights.aggregate), read as a tensor map.') })
    .strict(),
]);
export type CheckpointRef = z.output<typeof CheckpointRefSchema>;

export const MODEL_FILE_FORMATS = ['safetensors', 'tfjs'] as const;
export const ModelFileFormatSchema = z.enum(MODEL_FILE_FORMATS);
export type ModelFileFormat = z.output<typeof ModelFileFormatSchema>;

/** One side of a comparison, as the UI names it. */
export const CheckpointSideSchema = z.object({
  /** "checkpoint 12" or the file name: the name every message uses. */
  label: z.string(),
  source: z.enum(['checkpoint', ...MODEL_FILE_FORMATS, 'relevance-map']),
  /** The stored checkpoint (null for a file or a relevance map). */
  checkpoint: CheckpointSummarySchema.nullable(),
  /** Name of the checkpoint's run (null for a file). */
  runName: z.string().nullable(),
  /** Absolute path of the file (null for a stored checkpoint). */
  file: z.string().nullable(),
  tensorCount: z.number().int(),
  paramCount: z.number().int(),
});
export type CheckpointSide = z.output<typeof CheckpointSideSchema>;

/** Bin k counts Δ in [−limit + k·w, −limit + (k+1)·w), w = 2·limit/counts.length; limit is just above max|Δ|. */
export const DeltaHistogramSchema = z.object({ limit: z.number(), counts: z.array(z.number()) });

/** Statistics of Δ over a tensor or the whole model (weights/delta-stats.ts). Null marks a ratio over a zero norm. */
export const DeltaStatsSchema = z.object({
  /** Finite elements compared. */
  count: z.number(),
  /** Elements skipped because A or B was NaN or ±∞. */
  nonFinite: z.number(),
  /** ‖Δ‖₂ */
  l2: z.number(),
  /** ‖Δ‖₂ / ‖A‖₂ */
  relativeL2: z.number().nullable(),
  maxAbs: z.number(),
  mean: z.number(),
  /** Population standard deviation of Δ. */
  std: z.number(),
  epsilon: z.number(),
  /** Elements with |Δ| > ε, and their share. */
  aboveEpsilon: z.number(),
  fractionAboveEpsilon: z.number(),
  /** ⟨A,B⟩ / (‖A‖₂‖B‖₂) */
  cosine: z.number().nullable(),
  /** Elements where A and B are non-zero with opposite signs, and their share. */
  signFlips: z.number(),
  signFlipFraction: z.number(),
  normA: z.number(),
  normB: z.number(),
  histogram: DeltaHistogramSchema,
});
export type DeltaStatsPayload = z.output<typeof DeltaStatsSchema>;

/**
 * How a tensor is drawn as rows × cols: [] → 1×1 'scalar'; [n] → 1×n 'strip'; [in,out] → in×out
 * 'matrix'; [kh,kw,in,out] → (in·kh)×(out·kw) 'conv-mosaic' (cell (i·kh+y, o·kw+x) = W[y,x,i,o]);
 * other ranks → (∏ leading dims)×last 'flattened'.
 */
export const MatrixLayoutSchema = z.enum(['scalar', 'strip', 'matrix', 'conv-mosaic', 'flattened']);
export type MatrixLayoutName = z.output<typeof MatrixLayoutSchema>;

const matrixFields = {
  shape: z.array(z.number().int()),
  layout: MatrixLayoutSchema,
  /** Size of the tensor's full 2-D view, in cells. */
  matrixRows: z.number().int(),
  matrixCols: z.number().int(),
};

export const TensorDiffSchema = z.object({
  name: z.string(),
  ...matrixFields,
  stats: DeltaStatsSchema,
  /** ‖Δ_t‖² / ‖Δ‖² of the whole model: where the change sits. Null when Δ = 0. */
  shareOfChange: z.number().nullable(),
});
export type TensorDiffPayload = z.output<typeof TensorDiffSchema>;

/** A tensor that could not be paired: different shapes, or missing from some side. */
export const TensorMismatchSchema = z.union([
  z.object({
    kind: z.literal('shape'),
    name: z.string(),
    shapes: z.array(z.array(z.number().int()).nullable()),
  }),
  z.object({
    kind: z.literal('missing'),
    name: z.string(),
    presentIn: z.array(z.string()),
    missingIn: z.array(z.string()),
  }),
]);
export type TensorMismatchPayload = z.output<typeof TensorMismatchSchema>;

export const DiffViewSchema = z
  .enum(['delta', 'a', 'b'])
  .describe('"delta": B − A; "a"/"b": that side\'s own weights.');
export type DiffView = z.output<typeof DiffViewSchema>;

/** Colours saturate at ±limit: the percentile-th |v| of the whole tensor view (max|v| if that is 0). */
export const ColorScaleSchema = z.object({ limit: z.number(), percentile: z.number(), maxAbs: z.number() });

const pair = { a: CheckpointRefSchema, b: CheckpointRefSchema };
const percentile = z.number().gt(0).max(100).default(99);

export const DiffComputeResultSchema = z.object({
  a: CheckpointSideSchema,
  b: CheckpointSideSchema,
  /** Per-tensor statistics, in A's tensor order. */
  tensors: z.array(TensorDiffSchema),
  /** Whole-model statistics over every diffed tensor. */
  model: DeltaStatsSchema,
  /** Tensors left out by `partial` (empty otherwise). */
  skipped: z.array(TensorMismatchSchema),
  /** Id of the job.progress / job.state events this diff emitted (large diffs only), else null. */
  jobId: z.string().nullable(),
  elapsedMs: z.number(),
});
export type DiffComputeResult = z.output<typeof DiffComputeResultSchema>;

export const HeatmapTileSchema = z.object({
  tensor: z.string(),
  view: DiffViewSchema,
  ...matrixFields,
  /** This tile's level; one tile cell pools factor×factor matrix cells (factor = 2^level). */
  level: z.number().int(),
  factor: z.number().int(),
  /** Size of the whole matrix at this level (cells), and how it is cut into tileSize² tiles. */
  levelRows: z.number().int(),
  levelCols: z.number().int(),
  tileSize: z.number().int(),
  tilesDown: z.number().int(),
  tilesAcross: z.number().int(),
  /** The coarsest useful level: the whole matrix fits in one tile. Level 0 is full resolution. */
  fitLevel: z.number().int(),
  tileRow: z.number().int(),
  tileCol: z.number().int(),
  /** Matrix cell (level 0) under this tile's top-left cell. */
  rowStart: z.number().int(),
  colStart: z.number().int(),
  /** This tile's size in cells (edge tiles are smaller than tileSize). */
  rows: z.number().int(),
  cols: z.number().int(),
  /** rows·cols float32 values, row-major, little-endian, base64 (`decodeFloat32Base64`). */
  values: z.string(),
  /** Robust symmetric scale of the whole tensor view (the same for every tile of it). */
  scale: ColorScaleSchema,
});
export type HeatmapTilePayload = z.output<typeof HeatmapTileSchema>;

export const OverviewTileSchema = z.object({
  name: z.string(),
  ...matrixFields,
  level: z.number().int(),
  rows: z.number().int(),
  cols: z.number().int(),
  /** rows·cols float32 values, row-major, little-endian, base64. */
  values: z.string(),
  scale: ColorScaleSchema,
});
export type OverviewTilePayload = z.output<typeof OverviewTileSchema>;

/** Cosines between deltas Δᵢ = otherᵢ − base; cosine[i][j] is null when either delta is zero. */
export const DeltaSimilaritySchema = z.object({
  /** ‖Δᵢ‖₂ */
  norms: z.array(z.number()),
  cosine: z.array(z.array(z.number().nullable())),
});

/** The aggregators of weights/aggregate.ts, with their parameters. */
export const AggregatorSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mean') }).strict(),
  z.object({ kind: z.literal('median') }).strict(),
  z.object({ kind: z.literal('mean-abs') }).strict(),
  z.object({ kind: z.literal('sign-agreement') }).strict(),
  z
    .object({
      kind: z.literal('ties'),
      density: z.number().gt(0).max(1).describe('Share of entries each delta keeps (0.2 = top 20% by |Δ|).'),
      lambda: finite().optional().describe('Scale of the merged delta. Default 1.'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('dare'),
      dropProbability: z.number().min(0).lt(1),
      seed: z.number().int(),
      combine: z.enum(['mean', 'sum']).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('null-normalized'),
      floorFraction: z
        .number()
        .positive()
        .optional()
        .describe(
          "Floor of the null scale |Δ_null| as a fraction of the tensor's median null scale. Default 0.1. Needs `nullDelta`.",
        ),
    })
    .strict(),
  z
    .object({
      kind: z.literal('variance-ratio'),
      groups: z
        .array(z.union([z.string(), z.number()]))
        .describe('The objective of each delta, in the order of `deltas`.'),
      epsilon: z.number().positive().optional(),
    })
    .strict(),
]);
export type AggregatorSpecPayload = z.output<typeof AggregatorSpecSchema>;

export const RELEVANCE_MAP_ARTIFACT_KIND = 'relevance-map' satisfies ArtifactKind;

export const RelevanceMapSummarySchema = z.object({
  artifactId: z.number().int(),
  experimentId: z.number().int().nullable(),
  name: z.string(),
  /** How to recompute it: aggregator, params (defaults filled in), base, inputs; `protocol` if the protocol made it. */
  recipe: RelevanceMapRecipeSchema,
  tensors: z.array(RelevanceTensorSummarySchema),
  paramCount: z.number().int(),
  createdAt: z.string(),
});
export type RelevanceMapSummary = z.output<typeof RelevanceMapSummarySchema>;

/** A stored artifact a list could not read: its id and why (the rest of the list is still shown). */
export const UnreadableArtifactSchema = z.object({
  artifactId: z.number().int(),
  experimentId: z.number().int().nullable(),
  kind: z.string(),
  name: z.string(),
  createdAt: z.string(),
  /** The decode error's message: which artifact, which field, what is wrong. */
  unreadable: z.string(),
});
export type UnreadableArtifact = z.output<typeof UnreadableArtifactSchema>;

export const RelevanceMapListEntrySchema = z.union([RelevanceMapSummarySchema, UnreadableArtifactSchema]);
export type RelevanceMapListEntry = z.output<typeof RelevanceMapListEntrySchema>;

export function isUnreadable<T extends object>(entry: T | UnreadableArtifact): entry is UnreadableArtifact {
  return 'unreadable' in entry;
}

const derivedTarget = {
  label: z.string().min(1).max(200).optional().describe('Checkpoint label; default: the formula.'),
  runName: z
    .string()
    .min(1)
    .max(128)
    .default('derived')
    .describe('Run (phase "derived") the result is saved under, in the experiment of the first input.'),
};

/** The inputs of an aggregation: weights.aggregate and weights.aggregateToFolder. */
const aggregateInputs = {
  base: id,
  deltas: z.array(id).min(1).max(64).describe('Fine-tuned checkpoints; each contributes Δᵢ = θᵢ − θ_base.'),
  aggregator: AggregatorSpecSchema,
  nullDelta: id.optional().describe('A null-control checkpoint; its Δ normalises "null-normalized".'),
};

const aggregateJobId = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe(
    "Id for this aggregation's job.progress / job.state events (large ones run in a worker thread) and diff.cancel; default: generated.",
  );

export const SafetensorsDtypeSchema = z.enum(['F32', 'BF16', 'F16']);

/** A sharded safetensors folder written by weights.aggregateToFolder. */
export const AggregateFolderResultSchema = z.object({
  /** Absolute path of the folder written. */
  folder: z.string(),
  /** Its files: the shards, model.safetensors.index.json, then config.json if the base had one. */
  files: z.array(z.string()),
  /** Bytes of all its files. */
  bytes: z.number().int(),
  tensorCount: z.number().int(),
  paramCount: z.number().int(),
  merged: z.boolean(),
});
export type AggregateFolderResult = z.output<typeof AggregateFolderResultSchema>;

export const weightsMethods = {
  'diff.compute': {
    doc: 'Statistics of Δ = B − A per tensor and for the whole model (no weights are returned). Large diffs run in a worker thread and emit job.progress.',
    request: z
      .object({
        ...pair,
        epsilon: finite().min(0).default(1e-6).describe('Threshold of `aboveEpsilon` (|Δ| > ε).'),
        partial: z
          .boolean()
          .default(false)
          .describe('Diff the tensors both sides share and list the rest in `skipped`, instead of failing.'),
        bins: powerOfTwo(2, 4096).default(64).describe('Histogram bins.'),
        jobId: z
          .string()
          .min(1)
          .max(64)
          .optional()
          .describe(
            "Id for this diff's job.progress / job.state events and diff.cancel; default: generated.",
          ),
      })
      .strict(),
    response: DiffComputeResultSchema,
  },
  'diff.cancel': {
    doc: 'Stops a running large diff or aggregation (by the jobId of diff.compute, weights.aggregate or weights.aggregateToFolder); that call fails with CANCELLED, an aggregation stores nothing and a folder write leaves no folder. False if no such job is running.',
    request: z.object({ jobId: z.string().min(1) }).strict(),
    response: z.object({ cancelled: z.boolean() }),
  },
  'diff.tile': {
    doc: "One tile of a tensor heatmap (Δ, A or B) at a level of detail, with the tensor's robust colour scale.",
    request: z
      .object({
        ...pair,
        tensor: z.string().min(1),
        view: DiffViewSchema.default('delta'),
        level: z
          .number()
          .int()
          .min(0)
          .max(30)
          .optional()
          .describe('Default: fitLevel (whole tensor in one tile).'),
        tileRow: z.number().int().min(0).default(0),
        tileCol: z.number().int().min(0).default(0),
        tileSize: z.number().int().min(8).max(1024).default(256),
        percentile,
      })
      .strict(),
    response: HeatmapTileSchema,
  },
  'diff.cell': {
    doc: 'The values under one matrix cell (level 0) of a tensor heatmap, for hover read-outs.',
    request: z
      .object({
        ...pair,
        tensor: z.string().min(1),
        row: z.number().int().min(0),
        col: z.number().int().min(0),
      })
      .strict(),
    response: z.object({
      tensor: z.string(),
      row: z.number().int(),
      col: z.number().int(),
      /** Index into the tensor (e.g. [y, x, in, out] for a conv kernel) and its row-major flat index. */
      index: z.array(z.number().int()),
      flatIndex: z.number().int(),
      /** null when the stored value is NaN or ±∞. */
      a: z.number().nullable(),
      b: z.number().nullable(),
      delta: z.number().nullable(),
    }),
  },
  'diff.overview': {
    doc: 'A small pooled heatmap of every tensor (≤ maxSize cells a side), for a whole-model overview; `offset`/`limit` ask for one page of a large model (only that page is read).',
    request: z
      .object({
        ...pair,
        view: DiffViewSchema.default('delta'),
        maxSize: z.number().int().min(4).max(256).default(64),
        percentile,
        partial: z.boolean().default(false),
        offset: z.number().int().min(0).default(0).describe('First tensor of the page, in checkpoint order.'),
        limit: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .optional()
          .describe('Tensors in the page; default: every tensor from `offset` on.'),
      })
      .strict(),
    response: z.object({
      tensors: z.array(OverviewTileSchema),
      skipped: z.array(TensorMismatchSchema),
      /** Tensors the whole overview has (those both sides share), of which this page starts at `offset`. */
      total: z.number().int(),
      offset: z.number().int(),
    }),
  },
  'diff.compareMany': {
    doc: 'Cosine similarity between the deltas Δᵢ = otherᵢ − base, per tensor and for the whole model.',
    request: z
      .object({
        base: CheckpointRefSchema,
        others: z.array(CheckpointRefSchema).min(2).max(16),
        partial: z.boolean().default(false),
      })
      .strict(),
    response: z.object({
      base: CheckpointSideSchema,
      others: z.array(CheckpointSideSchema),
      tensors: z.array(DeltaSimilaritySchema.extend({ name: z.string(), shape: z.array(z.number().int()) })),
      model: DeltaSimilaritySchema,
      skipped: z.array(TensorMismatchSchema),
    }),
  },
  'weights.combine': {
    doc: 'Saves Σ cᵢ·θᵢ of a linear formula over checkpoints (e.g. "2*#12 - #31", "A - alpha*(B - A)") as new derived checkpoint(s); one per alphaGrid value.',
    request: z
      .object({
        formula: z.string().min(1).max(2000),
        bindings: z
          .object({
            checkpoints: z
              .record(z.string(), id)
              .default({})
              .describe('Names bound to checkpoint ids, e.g. { A: 12 }.'),
            scalars: z
              .record(z.string(), finite())
              .default({})
              .describe('Names bound to numbers, e.g. { alpha: 0.5 }.'),
          })
          .strict()
          .default({ checkpoints: {}, scalars: {} }),
        alphaGrid: z
          .array(finite())
          .min(1)
          .max(64)
          .optional()
          .describe('Saves one checkpoint per value, bound to the scalar `alpha` in the formula.'),
        ...derivedTarget,
      })
      .strict(),
    response: z.object({
      runId: z.number().int(),
      results: z.array(
        z.object({
          /** The alphaGrid value, or null without a grid. */
          alpha: z.number().nullable(),
          checkpoint: CheckpointSummarySchema,
          terms: z.array(z.object({ checkpointId: z.number().int(), coefficient: z.number() })),
        }),
      ),
    }),
  },
  'weights.randomDirection': {
    doc: 'Saves A + r, r a seeded random direction with the per-tensor norms of Δ = B − A: the control for a negation.',
    request: z
      .object({
        a: id,
        b: id,
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1),
        scale: finite().default(1).describe('Saves A + scale·r (−1: the random analogue of a negation).'),
        ...derivedTarget,
      })
      .strict(),
    response: z.object({ runId: z.number().int(), checkpoint: CheckpointSummarySchema }),
  },
  'weights.aggregate': {
    doc: 'Folds the deltas (each checkpoint − base) into one per-parameter relevance map, stored as an artifact. Large maps run in a worker thread and emit job.progress (unit "tensors").',
    request: z
      .object({
        ...aggregateInputs,
        name: z.string().min(1).max(200).optional(),
        jobId: aggregateJobId,
      })
      .strict(),
    response: RelevanceMapSummarySchema,
  },
  'weights.aggregateToFolder': {
    doc: 'Folds the deltas like weights.aggregate but writes the result — the map, or with `merge` the merged model θ_base + map — as a Hugging Face sharded safetensors folder (shards + model.safetensors.index.json + the base\'s config.json), streamed chunk by chunk with no size cap; nothing is stored in the database. Large ones run in a worker thread and emit job.progress (unit "parameters"); diff.cancel stops one and leaves no folder. The folder must not exist or be empty (FILE_EXISTS names it otherwise) and appears only once complete.',
    request: z
      .object({
        ...aggregateInputs,
        folder: z
          .string()
          .min(1)
          .max(4096)
          .describe(
            'The folder to write: an absolute path (or ~/…) on the machine running Deltascope, whose parent exists.',
          ),
        merge: z
          .boolean()
          .default(false)
          .describe('Write θ_base + map, a model that loads elsewhere (mean, median, ties, dare).'),
        dtype: SafetensorsDtypeSchema.optional().describe(
          "dtype of the tensors written; default: the base's when merged, else F32.",
        ),
        shardBytes: z
          .number()
          .int()
          .min(1024)
          .optional()
          .describe('Largest shard in bytes (a larger tensor gets its own); default 2 GiB.'),
        jobId: aggregateJobId,
      })
      .strict(),
    response: AggregateFolderResultSchema,
  },
  'weights.relevanceMaps': {
    doc: 'Relevance maps stored in the open database (summaries, no data), oldest first; a map that cannot be read is listed with its id and the reason.',
    request: z.object({}).strict(),
    response: z.array(RelevanceMapListEntrySchema),
  },
  'weights.observation': {
    doc: "The observation a checkpoint's (or a relevance map's base's) first layer reads, from its run's env and net config, for drawing first-layer weights in observation space; null when unknown (a model file, a run without an env config, a first layer that does not fit).",
    request: z.object({ ref: CheckpointRefSchema }).strict(),
    response: ObservationLayoutSchema.nullable(),
  },
  'weights.inspect': {
    doc: 'The tensors (names, shapes) of a model file, without importing it.',
    request: z.object({ path: z.string().min(1) }).strict(),
    response: z.object({
      file: z.string(),
      format: ModelFileFormatSchema,
      tensors: z.array(
        z.object({ name: z.string(), shape: z.array(z.number().int()), sourceDtype: z.string() }),
      ),
      paramCount: z.number().int(),
      metadata: z.record(z.string(), z.string()),
    }),
  },
  'weights.import': {
    doc: 'Imports a .safetensors file or tfjs model as a checkpoint (experiment "imported", a run named after the file); a malformed file writes nothing.',
    request: z
      .object({
        path: z.string().min(1),
        label: z.string().min(1).max(200).optional(),
        experiment: z.string().min(1).max(128).default('imported'),
        reference: z
          .boolean()
          .default(false)
          .describe(
            'Reference the safetensors file or folder in place instead of copying it: its size, mtime and sha256 (per file and per block) are recorded, and every read refuses it (REFERENCE_CHANGED) once it changed.',
          ),
      })
      .strict(),
    response: z.object({
      checkpoint: CheckpointSummarySchema,
      runId: z.number().int(),
      experimentId: z.number().int(),
      format: ModelFileFormatSchema,
      sourceDtypes: z.record(z.string(), z.string()),
      nonFinite: z
        .object({
          total: z.number().int().positive(),
          tensors: z.record(z.string(), z.number().int().positive()),
        })
        .nullable()
        .describe(
          'NaN/±Infinity values in the file, in total and per tensor (null when every value is finite, or when imported by reference: values are then not read); imported as they are and also kept in the provenance (details.nonFinite).',
        ),
      reference: z.boolean().describe('True when the checkpoint refers to the file in place (not copied).'),
    }),
  },
  'weights.export': {
    doc: 'Writes a checkpoint as an F32 .safetensors file, or as a tfjs model (model.json + shards) into a folder.',
    request: z
      .object({
        checkpointId: id,
        path: z
          .string()
          .min(1)
          .describe('The .safetensors file, or the folder (or its model.json) for tfjs.'),
        format: ModelFileFormatSchema.default('safetensors'),
        overwrite: z.boolean().default(false),
      })
      .strict(),
    response: z.object({
      format: ModelFileFormatSchema,
      /** Files written (for tfjs: model.json first, then its shards). */
      paths: z.array(z.string()),
      tensorCount: z.number().int(),
      paramCount: z.number().int(),
    }),
  },
} as const satisfies Record<string, { doc: string; request: z.ZodType; response: z.ZodType }>;

export type WeightsMethodName = keyof typeof weightsMethods;

/** Decodes a tile's `values` (base64 of little-endian float32) without Node's Buffer. */
export function decodeFloat32Base64(text: string): Float32Array {
  const binary = atob(text);
  if (binary.length % 4 !== 0)
    throw new Error(`float32 data has ${binary.length} bytes, not a multiple of 4`);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
