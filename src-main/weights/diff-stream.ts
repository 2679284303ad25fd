import { DeltascopeError } from '../shared/errors';
import {
  accumulateDelta,
  createDeltaAccumulator,
  finishDeltaStats,
  mergeDeltaAccumulators,
  type DeltaAccumulator,
  type DeltaStats,
  type DeltaStatsOptions,
} from './delta-stats';
import type { TensorDiff } from './diff';
import {
  nativeDeltaAvailable,
  nativeDeltaMaps,
  nativeDeltaReads,
  startFileDelta,
  startRawDelta,
  type PendingPass,
} from './native-delta';
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

/** Chunk buffers of the native path: one pair being read while the passes of two others run. */
const BUFFER_SETS = 3;
/** Chunks of at least this many elements are mapped by the native pass where the sources allow it. */
const MAP_MIN_ELEMENTS = 1 << 16;

export function diffSources(a: TensorSource, b: TensorSource, options: SourceDiffOptions = {}): SourceDiff {
  const { common, mismatches } = matchSources(a, b);
  if (mismatches.length > 0 && options.partial !== true) throw mismatchError(mismatches, [a.label, b.label]);
  const tensorsA = sourceTensors(a);
  const tensorsB = sourceTensors(b);
  const budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  const chunk = chunkElementsFor(budget);
  const largest = common.reduce((max, name) => Math.max(max, tensorsA.get(name)!.count), 0);
  const length = Math.max(1, Math.min(chunk, largest));
  // Pairs of buffers for `elements` float32s (the largest a raw chunk of that many can be), made
  // when first needed and grown to at most `length`; the JS path uses the first as float32 chunks.
  // Three pairs of 4 bytes per element and side are the 4 + 8 the chunk size was budgeted with.
  // Mapped chunks (startFileDelta) need none: held counts the bytes of the buffers and of the
  // mappings in flight, which are kept within the budget too.
  const sets: [Uint8Array, Uint8Array][] = [];
  let held = 0;
  let peakHeld = 0;
  const hold = (bytes: number): void => {
    held += bytes;
    peakHeld = Math.max(peakHeld, held);
  };
  const buffers = (k: number, elements: number): [Uint8Array, Uint8Array] => {
    while (sets.length <= k) sets.push([new Uint8Array(0), new Uint8Array(0)]);
    const set = sets[k]!;
    if (set[0].length < elements * 4) {
      const size = Math.min(length, Math.max(elements, MAP_MIN_ELEMENTS)) * 4;
      hold(2 * (size - set[0].length));
      set[0] = new Uint8Array(size);
      set[1] = new Uint8Array(size);
    }
    return set;
  };
  const stats = { epsilon: options.epsilon, bins: options.bins };
  const model = createDeltaAccumulator(stats);
  const tensors: TensorDiff[] = [];
  const total = common.reduce((sum, name) => sum + tensorsA.get(name)!.count, 0);
  let done = 0;
  const progress = (count: number): void => {
    done += count;
    options.onProgress?.(done, total);
  };
  const finishTensor = (name: string, acc: DeltaAccumulator): void => {
    mergeDeltaAccumulators(model, acc);
    tensors.push({ name, shape: [...tensorsA.get(name)!.shape], stats: finishDeltaStats(acc) });
  };
  // Native passes in flight, merged strictly in the order they started (so the sums are added in
  // the same order as one after the other); the last chunk of a tensor also finishes the tensor.
  const pending: { pass: PendingPass; acc: DeltaAccumulator; last: string | null; mapped: number }[] = [];
  const finishOldest = (): void => {
    const { pass, acc, last, mapped } = pending.shift()!;
    pass.finish(acc);
    held -= mapped;
    progress(pass.count);
    if (last !== null) finishTensor(last, acc);
  };
  const native = nativeDeltaAvailable() && a.readRaw !== undefined && b.readRaw !== undefined;
  const maps = native && nativeDeltaMaps() && a.rawFileRange !== undefined && b.rawFileRange !== undefined;
  const raw = common.map(
    (name) =>
      native && nativeDeltaReads(tensorsA.get(name)!.dtype) && nativeDeltaReads(tensorsB.get(name)!.dtype),
  );
  // A tensor on the JS path (F64) holds the sources' decoding scratch too: then one pair of
  // buffers, the pass of a chunk running while the next is read, so that the budget still holds.
  const setCount = raw.every(Boolean) ? BUFFER_SETS : 1;
  let next = 0;
  try {
    for (const [index, name] of common.entries()) {
      const tensor = tensorsA.get(name)!;
      const dtypeB = tensorsB.get(name)!.dtype;
      const acc = createDeltaAccumulator(stats);
      if (raw[index]! && tensor.count > 0) {
        for (const [start, end] of chunkRanges(tensor.count, length)) {
          const count = end - start;
          const last = end === tensor.count ? name : null;
          const rangeA = maps && count >= MAP_MIN_ELEMENTS ? a.rawFileRange!(name, start, count) : null;
          const rangeB = rangeA !== null ? b.rawFileRange!(name, start, count) : null;
          if (rangeA !== null && rangeB !== null) {
            // Left in the files: the pass maps them (no read, no buffer), two passes in flight.
            const mapped = rangeA.byteLength + rangeB.byteLength;
            while (pending.length >= 2 || (pending.length > 0 && held + mapped > budget)) finishOldest();
            hold(mapped);
            const pass = startFileDelta(
              acc,
              { dtype: tensor.dtype, range: rangeA },
              { dtype: dtypeB, range: rangeB },
            );
            pending.push({ pass, acc, last, mapped });
            continue;
          }
          while (pending.length >= setCount) finishOldest();
          const [rawA, rawB] = buffers(next++ % setCount, count);
          const chunkA = { dtype: tensor.dtype, bytes: a.readRaw!(name, start, count, rawA) };
          const chunkB = { dtype: dtypeB, bytes: b.readRaw!(name, start, count, rawB) };
          while (pending.length >= Math.max(1, setCount - 1)) finishOldest();
          pending.push({ pass: startRawDelta(acc, chunkA, chunkB), acc, last, mapped: 0 });
        }
        continue;
      }
      while (pending.length > 0) finishOldest();
      const [rawA, rawB] = buffers(0, length);
      for (const [start, end] of chunkRanges(tensor.count, length)) {
        const chunkA = new Float32Array(rawA.buffer, 0, end - start);
        const chunkB = new Float32Array(rawB.buffer, 0, end - start);
        a.read(name, start, chunkA);
        b.read(name, start, chunkB);
        accumulateDelta(acc, chunkA, chunkB);
        progress(end - start);
      }
      finishTensor(name, acc);
    }
    while (pending.length > 0) finishOldest();
  } finally {
    // After an error, passes still in flight read the sources' files (or buffers): wait for them
    // before the caller closes the sources. Their results are dropped; the first error is thrown.
    for (const { pass, acc } of pending.splice(0)) {
      try {
        pass.finish(acc);
      } catch {
        // the error that stopped the diff is the one the caller gets
      }
    }
  }
  return {
    tensors,
    model: finishDeltaStats(model),
    skipped: mismatches,
    peakBytesHeld: peakHeld + a.peakBytesHeld() + b.peakBytesHeld(),
  };
}
