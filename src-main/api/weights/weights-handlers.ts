import { existsSync } from 'node:fs';
import type { z } from 'zod';
import type { CheckpointRef, weightsMethods, WeightsMethodName } from '../../shared/contract-weights';
import type { DeltascopeDb } from '../../store';
import type { ComputeRunner } from '../compute/compute-runner';
import { listRelevanceMaps } from './weights-aggregate';
import { AggregateRunner } from './weights-aggregate-runner';
import { compareDeltas, compareInput } from './weights-compare';
import { combineCheckpoints, randomDirectionCheckpoint } from './weights-derive';
import { DiffRunner, type Emit } from './weights-diff';
import { exportCheckpoint, importModelFile, inspectModelFile } from './weights-files';
import { observationOf } from './weights-observation';
import { WeightSources, type ReadSource, type SourceReader } from './weights-sources';
import { cellPayload, heatmapTilePayload, overviewPayload, TensorViews } from './weights-tiles';

/**
 * The weights methods of the contract (shared/contract-weights.ts): diffs, heatmap tiles, checkpoint
 * arithmetic, aggregation and model files, over the pure engine in src-main/weights. Loaded
 * checkpoints and computed tensor views are cached (LRU) across calls.
 */

type Params<M extends WeightsMethodName> = z.output<(typeof weightsMethods)[M]['request']>;
type Response<M extends WeightsMethodName> = z.output<(typeof weightsMethods)[M]['response']>;
export type WeightsHandlers = { [M in WeightsMethodName]: (params: Params<M>) => Promise<Response<M>> };

export interface WeightsHandlerOptions {
  database: () => DeltascopeDb;
  /**
   * Runs what reads a tensor for a heatmap (views, tiles below a view's base, percentiles, overview
   * thumbnails) in its interactive thread, and delta comparisons and checkpoint arithmetic in its
   * threads; absent (the CLI), inline.
   */
  compute?: Pick<ComputeRunner, 'quick' | 'warmQuick' | 'task'>;
  /** Pushes job.progress / job.state of large diffs and aggregations. */
  emit: Emit;
  /** Called after checkpoints or artifacts were written to the open database. */
  onWritten?: () => void;
  /** Parameters from which a diff runs in a worker thread (default 2 000 000). */
  diffWorkerThreshold?: number;
  /** Parameters from which an aggregation runs in a worker thread (default 2 000 000). */
  aggregateWorkerThreshold?: number;
  /** Bytes of loaded checkpoints kept between calls (default 768 MiB). */
  cacheBytes?: number;
  /** Parameters from which a heatmap side is read tensor by tensor instead of loaded whole (default 16 Mi). */
  lazyFromParams?: number;
  /** Bytes a streamed diff may hold for its chunks (default 1 GiB). */
  memoryBudgetBytes?: number;
}

/** A ref as messages name it. */
function refLabel(ref: CheckpointRef): string {
  if ('checkpointId' in ref) return `checkpoint ${ref.checkpointId}`;
  if ('artifactId' in ref) return `relevance map ${ref.artifactId}`;
  return ref.file;
}

export function createWeightsHandlers(options: WeightsHandlerOptions): WeightsHandlers {
  const { database, compute } = options;
  // Whole sources (checkpoints, maps, model files of < lazyFromParams) are read in a compute thread.
  const reader: SourceReader | null =
    compute === undefined
      ? null
      : (ref, dbPath) =>
          compute.quick<ReadSource>({ kind: 'weights.read', ref, dbPath }, `Read ${refLabel(ref)}`);
  const sources = new WeightSources(database, options.cacheBytes, options.lazyFromParams, reader);
  const views = new TensorViews({ compute: options.compute ?? null });
  const diffs = new DiffRunner({
    emit: options.emit,
    ...(options.diffWorkerThreshold === undefined ? {} : { workerThreshold: options.diffWorkerThreshold }),
    ...(options.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: options.memoryBudgetBytes }),
  });
  const aggregates = new AggregateRunner({
    emit: options.emit,
    ...(options.aggregateWorkerThreshold === undefined
      ? {}
      : { workerThreshold: options.aggregateWorkerThreshold }),
  });
  // A compute thread reads and writes through a connection of its own: the open database must be a
  // file. Before a write, this connection checks that file, so a replaced, moved or overwritten
  // database is refused as any write here is.
  const writingThread = () => {
    const db = database();
    if (compute === undefined || !existsSync(db.path)) return null;
    db.assertWritable();
    return compute;
  };
  const readingThread = () => (compute !== undefined && existsSync(database().path) ? compute : null);
  const written = <T>(value: T): T => {
    options.onWritten?.();
    return value;
  };
  // Tiles, hovers and overviews read only the tensors they show (large models are never loaded whole).
  const pair = async (p: Params<'diff.tile'> | Params<'diff.cell'> | Params<'diff.overview'>) =>
    [await sources.lazy(p.a), await sources.lazy(p.b)] as const;

  return {
    'diff.compute': async (p) => {
      // The diff's heatmaps come next: their thread loads while the diff runs.
      options.compute?.warmQuick();
      const a = await sources.stream(p.a);
      let b;
      try {
        b = await sources.stream(p.b);
      } catch (error) {
        a.source.close();
        throw error;
      }
      return diffs.compute(a, b, p);
    },
    // One cancel for every worker job of this service: large diffs and large aggregations.
    'diff.cancel': async ({ jobId }) => ({ cancelled: diffs.cancel(jobId) || aggregates.cancel(jobId) }),
    'diff.tile': async (p) => {
      const [a, b] = await pair(p);
      return heatmapTilePayload(views, a, b, p);
    },
    'diff.cell': async (p) => {
      const [a, b] = await pair(p);
      return cellPayload(a, b, p);
    },
    'diff.overview': async (p) => {
      const [a, b] = await pair(p);
      return overviewPayload(views, a, b, p);
    },
    'diff.compareMany': async (p) => {
      const base = await sources.load(p.base);
      const others = [];
      for (const ref of p.others) others.push(await sources.load(ref));
      if (compute === undefined) return compareDeltas(base, others, p.partial);
      const request = {
        kind: 'diff.compareMany',
        base: compareInput(base),
        others: others.map(compareInput),
        partial: p.partial,
      } as const;
      return compute.task<ReturnType<typeof compareDeltas>>(request, `Compare ${others.length} deltas`)
        .result;
    },
    // Every element of the inputs, then a checkpoint written: in a compute thread, through its own connection.
    'weights.combine': async (p) => {
      const thread = writingThread();
      if (thread === null) return written(combineCheckpoints(database(), sources, p));
      const request = { kind: 'weights.combine', dbPath: database().path, params: p } as const;
      return written(
        await thread.task<ReturnType<typeof combineCheckpoints>>(request, 'Checkpoint arithmetic').result,
      );
    },
    'weights.randomDirection': async (p) => {
      const thread = writingThread();
      if (thread === null) return written(randomDirectionCheckpoint(database(), sources, p));
      const request = { kind: 'weights.randomDirection', dbPath: database().path, params: p } as const;
      type Stored = ReturnType<typeof randomDirectionCheckpoint>;
      return written(await thread.task<Stored>(request, 'Random direction').result);
    },
    'weights.aggregate': async (p) => written(await aggregates.aggregate(database(), p)),
    // Writes a folder on disk, not the database: no `written`.
    'weights.aggregateToFolder': async (p) => aggregates.aggregateToFolder(database(), p),
    'weights.relevanceMaps': async () => listRelevanceMaps(database()),
    'weights.observation': async ({ ref }) => observationOf(database(), ref),
    'weights.inspect': async ({ path }) => inspectModelFile(path),
    // The whole file read (or fingerprinted) and stored; a whole checkpoint read and written out.
    'weights.import': async (p) => {
      const thread = writingThread();
      if (thread === null) return written(await importModelFile(database(), p));
      const request = { kind: 'weights.import', dbPath: database().path, params: p } as const;
      type Imported = Awaited<ReturnType<typeof importModelFile>>;
      return written(await thread.task<Imported>(request, `Import ${p.path}`).result);
    },
    'weights.export': async (p) => {
      const thread = readingThread();
      if (thread === null) return exportCheckpoint(database(), sources, p);
      const request = { kind: 'weights.export', dbPath: database().path, params: p } as const;
      type Exported = Awaited<ReturnType<typeof exportCheckpoint>>;
      return thread.task<Exported>(request, `Export checkpoint ${p.checkpointId}`).result;
    },
  };
}
