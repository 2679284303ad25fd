import type { ErrorPayload } from '../../shared/errors';
import type { AggregatorSpec } from '../../weights';

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
}

export type AggregateWorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; outputs: { name: string; shape: number[]; data: Float32Array }[] }
  | { type: 'error'; error: ErrorPayload };
