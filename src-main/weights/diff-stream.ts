import { DeltascopeError } from '../shared/errors';
import {
  accumulateDelta,
  createDeltaAccumulator,
  finishDeltaStats,
  mergeDeltaAccumulators,
  type DeltaStats,
  type DeltaStatsOptions,
} from './delta-stats';
import type { TensorDiff } from './diff';
import { accumulateRawDelta, nativeDeltaAvailable, nativeDeltaReads } from './native-delta';
import { matchTensorMaps, mismatchError, type TensorMismatch } from './tensor-match';
import { chunkRanges, sourceTensors, type TensorSource } from './tensor-source';

/**
 * Δ = B − A over two lazy sources, tensor by tensor and chunk by chunk: the same statistics as
 * diffCheckpoints (the accumulators merge exactly), with at most two float32 chunks plus each
 * source's scratch in memory, whatever the size of the checkpoints. When the native pass is built
 * (native-delta.ts) and both sources read raw bytes, chunks are read in their stored dtype and the
 * pass runs in C, with the same result bit for bit.
 */

/** Default memory budget of a streamed diff or aggregation: 1 GiB. */
export const DEFAULT_MEMORY_BUDGET_BYTES = 1024 * 1024 * 1024;
/** Chunks above this many elements buy no speed (each is already many milliseconds of work). */
const MAX_CHUNK_ELEMENTS = 1 << 22;
/** Per element and side: the float32 chunk plus at most 8 raw bytes (F64) in the source's scratch. */
const BYTES_PER_ELEMENT_AND_SIDE = 4 + 8;

/** Elements per chunk so that `sides` sources' chunks and scratch fit `budgetBytes`. */
export function chunkElementsFor(budgetBytes: number, sides = 2): number {
  if (!(budgetBytes > 0) || !Number.isFinite(budgetBytes)) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `the memory budget must be a positive number of bytes; got ${budgetBytes}`,
    );
  }
  const fit = Math.floor(budgetBytes / (sides * BYTES_PER_ELEMENT_AND_SIDE));
  if (fit < 1) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `a memory budget of ${budgetBytes} bytes cannot hold one element per side`,
    );
  }
  return Math.min(MAX_CHUNK_ELEMENTS, fit);
}

export interface SourceDiffOptions extends DeltaStatsOptions {
  /** Diff the tensors both share and list the rest in `skipped`, instead of throwing SHAPE_MISMATCH. */
  partial?: boolean;
  /** Bytes the diff may hold for chunks (default 1 GiB). */
  memoryBudgetBytes?: number;
  /** Called after each chunk with parameters done and in total. */
  onProgress?: (done: number, total: number) => void;
}

export interface SourceDiff {
  tensors: TensorDiff[];
  model: DeltaStats;
  skipped: TensorMismatch[];
  /** Most bytes of chunks and read scratch held at once (the figure the budget bounds). */
  peakBytesHeld: number;
}

/** Pairs the tensors of two sources: common names in A's order, and the mismatches. */
export function matchSources(
  a: TensorSource,
  b: TensorSource,
): { common: string[]; mismatches: TensorMismatch[] } {
  return matchTensorMaps([sourceTensors(a), sourceTensors(b)], [a.label, b.label]);
}

export function diffSources(a: TensorSource, b: TensorSource, options: SourceDiffOptions = {}): SourceDiff {
  const { common, mismatches } = matchSources(a, b);
  if (mismatches.length > 0 && options.partial !== true) throw mismatchError(mismatches, [a.label, b.label]);
  const tensorsA = sourceTensors(a);
  const chunk = chunkElementsFor(options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES);
  const largest = common.reduce((max, name) => Math.max(max, tensorsA.get(name)!.count), 0);
  const length = Math.max(1, Math.min(chunk, largest));
  const bufferA = new Float32Array(length);
  const bufferB = new Float32Array(length);
  const stats = { epsilon: options.epsilon, bins: options.bins };
  const model = createDeltaAccumulator(stats);
  const tensors: TensorDiff[] = [];
  const total = common.reduce((sum, name) => sum + tensorsA.get(name)!.count, 0);
  let done = 0;
  // Raw bytes are read into the same buffers (a float32 chunk is the largest a raw one can be).
  const rawA = new Uint8Array(bufferA.buffer);
  const rawB = new Uint8Array(bufferB.buffer);
  const native = nativeDeltaAvailable() && a.readRaw !== undefined && b.readRaw !== undefined;
  const tensorsB = sourceTensors(b);
  for (const name of common) {
    const tensor = tensorsA.get(name)!;
    const dtypeB = tensorsB.get(name)!.dtype;
    const raw = native && nativeDeltaReads(tensor.dtype) && nativeDeltaReads(dtypeB);
    const acc = createDeltaAccumulator(stats);
    for (const [start, end] of chunkRanges(tensor.count, length)) {
      if (raw) {
        accumulateRawDelta(
          acc,
          { dtype: tensor.dtype, bytes: a.readRaw!(name, start, end - start, rawA) },
          { dtype: dtypeB, bytes: b.readRaw!(name, start, end - start, rawB) },
        );
      } else {
        const chunkA = bufferA.subarray(0, end - start);
        const chunkB = bufferB.subarray(0, end - start);
        a.read(name, start, chunkA);
        b.read(name, start, chunkB);
        accumulateDelta(acc, chunkA, chunkB);
      }
      done += end - start;
      options.onProgress?.(done, total);
    }
    mergeDeltaAccumulators(model, acc);
    tensors.push({ name, shape: [...tensor.shape], stats: finishDeltaStats(acc) });
  }
  return {
    tensors,
    model: finishDeltaStats(model),
    skipped: mismatches,
    peakBytesHeld: bufferA.byteLength + bufferB.byteLength + a.peakBytesHeld() + b.peakBytesHeld(),
  };
}
