import type { TensorEntry } from '../../shared/domain';
import type { ErrorPayload } from '../../shared/errors';
import type { DeltaStats, DeltaStatsOptions, ExpectedFiles, TensorDiff } from '../../weights';

/**
 * How a side of a streamed diff is opened (again, inside a worker thread): a safetensors file or
 * folder by path (read chunk by chunk; `expect`: a checkpoint referenced in place, its files checked
 * against their fingerprint), or weights already in memory in a SharedArrayBuffer.
 */
export type StreamSpec =
  | { kind: 'file'; path: string; expect?: ExpectedFiles }
  | { kind: 'memory'; label: string; manifest: TensorEntry[]; weights: Float32Array };

/** What the diff worker thread receives (as workerData) and posts back. */
export interface DiffWorkerInput {
  a: StreamSpec;
  b: StreamSpec;
  partial: boolean;
  options: DeltaStatsOptions;
  memoryBudgetBytes: number;
}

export type DiffWorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; tensors: TensorDiff[]; model: DeltaStats; peakBytesHeld: number }
  | { type: 'error'; error: ErrorPayload };
