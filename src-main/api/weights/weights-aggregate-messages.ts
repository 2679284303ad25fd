import type { AggregateFolderResult } from '../../shared/contract-weights';
import type { ErrorPayload } from '../../shared/errors';
import type { AggregatorSpec } from '../../weights';
import type { AggregateFolderParams } from './weights-aggregate-folder';

/** What the aggregation worker thread receives (as workerData) and posts back. */
export interface AggregateWorkerInput {
  /** The .deltascope file; the worker opens its own connection to it. */
  databasePath: string;
  base: number;
  deltas: number[];
  nullDelta?: number | undefined;
  spec: AggregatorSpec;
  /** Tensors to fold, already matched across every input, in the base's order. */
  names: string[];
  /** Write this folder (weights.aggregateToFolder) instead of posting the map back. */
  folder?: AggregateFolderParams | undefined;
}

export type AggregateWorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; outputs: { name: string; shape: number[]; data: Float32Array }[] }
  | { type: 'written'; result: AggregateFolderResult }
  | { type: 'error'; error: ErrorPayload };
