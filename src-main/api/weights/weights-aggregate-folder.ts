import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { AggregateFolderResult, AggregatorSpecPayload } from '../../shared/contract-weights';
import { DeltascopeError } from '../../shared/errors';
import type { DeltascopeDb } from '../../store';
import {
  aggregatedSource,
  writeSafetensorsFolder,
  type AggregatorSpec,
  type SafetensorsDtype,
  type TensorSource,
} from '../../weights';

/**
 * An aggregation written as a Hugging Face sharded safetensors folder (shards +
 * model.safetensors.index.json + the base's config.json) instead of a stored map: streamed through
 * weights/source-aggregate.ts chunk by chunk into weights/formats/safetensors-writer.ts (built
 * under a temporary name, renamed into place once complete), so it has no size cap. One path for
 * `deltascope aggregate --out` (cli/aggregate-command.ts) and the app's weights.aggregateToFolder
 * (weights-aggregate-runner.ts, in a worker thread when large).
 */

export interface AggregateFolderInput {
  spec: AggregatorSpec;
  base: TensorSource;
  deltas: readonly TensorSource[];
  nulls: readonly TensorSource[];
  /** Write θ_base + map (a merged model) instead of the map. */
  merge: boolean;
  out: string;
  /** dtype of every tensor written; default the aggregated source's (the base's when merged, else F32). */
  dtype?: SafetensorsDtype | undefined;
  maxShardBytes?: number | undefined;
  memoryBudgetBytes?: number | undefined;
  /** A folder whose config.json is copied next to the shards. */
  configFrom: string | null;
  /** How the inputs are named in the folder's metadata (the CLI: as typed; the app: checkpoint ids). */
  baseName: string;
  deltaNames: readonly string[];
  onProgress?: ((doneElements: number, totalElements: number) => void) | undefined;
}

export interface WrittenFolder {
  files: string[];
  tensorCount: number;
  paramCount: number;
}

/** Folds the deltas and streams the result into the new folder `out`; returns the files written. */
export function writeAggregateFolder(input: AggregateFolderInput): WrittenFolder {
  const source = aggregatedSource({
    spec: input.spec,
    base: input.base,
    deltas: input.deltas,
    nulls: input.nulls,
    merge: input.merge,
    ...(input.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: input.memoryBudgetBytes }),
  });
  const files = writeSafetensorsFolder(input.out, source, {
    ...(input.dtype === undefined ? {} : { dtype: input.dtype }),
    ...(input.maxShardBytes === undefined ? {} : { maxShardBytes: input.maxShardBytes }),
    ...(input.onProgress === undefined ? {} : { onProgress: input.onProgress }),
    chunkElements: source.chunkElements,
    configFrom: input.configFrom,
    metadata: {
      generatedBy: 'Deltascope',
      aggregator: JSON.stringify(input.spec),
      base: input.baseName,
      deltas: JSON.stringify(input.deltaNames),
      merged: String(input.merge),
    },
  });
  return {
    files,
    tensorCount: source.tensors.length,
    paramCount: source.tensors.reduce((sum, t) => sum + t.count, 0),
  };
}

/** The folder an input checkpoint was imported from, if it holds a config.json. */
export function configFolder(db: DeltascopeDb, checkpointIds: readonly number[]): string | null {
  for (const id of checkpointIds) {
    const run = db.runs.get(db.checkpoints.get(id).runId);
    const source = (run.config as { source?: { file?: unknown } }).source;
    if (typeof source?.file !== 'string') continue;
    const folder =
      existsSync(source.file) && statSync(source.file).isDirectory() ? source.file : dirname(source.file);
    if (existsSync(join(folder, 'config.json'))) return folder;
  }
  return null;
}

/**
 * The folder a user named, made absolute: `~` is the home folder of the machine running
 * Deltascope; a relative path is refused (relative to what? the browser's user cannot tell).
 */
export function resolveOutFolder(path: string): string {
  const text = path.trim();
  const expanded = text === '~' ? homedir() : /^~[\\/]/.test(text) ? join(homedir(), text.slice(2)) : text;
  if (!isAbsolute(expanded)) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `Give the output folder as an absolute path on the machine running Deltascope (e.g. ${join(homedir(), 'merged-model')}); got "${path}".`,
      { path },
    );
  }
  return resolve(expanded);
}

/** weights.aggregateToFolder's parameters, the folder already resolved. */
export interface AggregateFolderParams {
  base: number;
  deltas: number[];
  aggregator: AggregatorSpecPayload;
  nullDelta?: number | undefined;
  folder: string;
  merge: boolean;
  dtype?: SafetensorsDtype | undefined;
  shardBytes?: number | undefined;
}

/** Writes the aggregation of stored checkpoints to `params.folder`, on the calling thread. */
export function aggregateCheckpointsToFolder(
  db: DeltascopeDb,
  params: AggregateFolderParams,
  onProgress?: (doneElements: number, totalElements: number) => void,
): AggregateFolderResult {
  const opened: TensorSource[] = [];
  const open = (id: number): TensorSource => {
    const source = db.checkpoints.openSource(id);
    opened.push(source);
    return source;
  };
  try {
    const base = open(params.base);
    const deltas = params.deltas.map(open);
    const nulls = params.nullDelta === undefined ? [] : [open(params.nullDelta)];
    const written = writeAggregateFolder({
      spec: params.aggregator as AggregatorSpec,
      base,
      deltas,
      nulls,
      merge: params.merge,
      out: params.folder,
      dtype: params.dtype,
      maxShardBytes: params.shardBytes,
      configFrom: configFolder(db, [params.base, ...params.deltas]),
      baseName: String(params.base),
      deltaNames: params.deltas.map(String),
      onProgress,
    });
    return {
      folder: params.folder,
      files: written.files,
      bytes: written.files.reduce((sum, file) => sum + statSync(file).size, 0),
      tensorCount: written.tensorCount,
      paramCount: written.paramCount,
      merged: params.merge,
    };
  } finally {
    for (const source of opened) source.close();
  }
}
