import type { TensorEntry } from '../shared/domain';
import type { ErrorPayload } from '../shared/errors';
import type { DeltaStats, DeltaStatsOptions, TensorDiff } from '../weights';

/** What the diff worker thread receives (as workerData) and posts back. */
export interface DiffWorkerInput {
  a: { manifest: TensorEntry[]; weights: Float32Array };
  b: { manifest: TensorEntry[]; weights: Float32Array };
  /** Tensors to diff (present in both with the same shape), in A's order. */
  names: string[];
  labels: [string, string];
  options: DeltaStatsOptions;
}

export type DiffWorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; tensors: TensorDiff[]; model: DeltaStats }
  | { type: 'error'; error: ErrorPayload };
