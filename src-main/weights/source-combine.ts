import { DeltascopeError } from '../shared/errors';
import { combineArrays } from './arithmetic';
import { DEFAULT_MEMORY_BUDGET_BYTES } from './diff-stream';
import type { SafetensorsDtype } from './formats/safetensors-header';
import { matchTensorMaps, mismatchError } from './tensor-match';
import {
  chunkRanges,
  missingTensor,
  sourceTensors,
  type SourceTensor,
  type TensorSource,
} from './tensor-source';

/**
 * θ = Σ cᵢ·θᵢ over lazy sources (stored checkpoints, model files and folders), computed chunk by
 * chunk when read: exactly `linearCombination` (combineArrays is elementwise), holding one float32
 * chunk per input whatever the model size. Written with writeSafetensorsFolder or
 * CheckpointsRepo.putFromSource, a merge of models of any size stays within the memory budget.
 */

export interface SourceTerm {
  coefficient: number;
  source: TensorSource;
}

export interface CombinedSourceOptions {
  label?: string;
  /** dtype of every output tensor; default: the inputs' dtype of that tensor when they agree, else F32. */
  dtype?: SafetensorsDtype;
  /** Bytes the chunks of the inputs (float32 and raw) may take; default 1 GiB. */
  memoryBudgetBytes?: number;
  /** Bytes per element the reader of this source holds too (a writer: 12), kept inside the budget. */
  readerBytesPerElement?: number;
}

/** A computed source, with the chunk its reader should use to stay inside the budget. */
export interface ChunkedSource extends TensorSource {
  readonly chunkElements: number;
}

/** Bytes per element and input a chunked read holds: the float32 chunk and at most 8 raw bytes. */
export const BYTES_PER_INPUT_ELEMENT = 4 + 8;

/** Elements per chunk so that `inputs` float32 chunks and their raw scratch fit `budgetBytes`. */
export function chunkElementsForInputs(budgetBytes: number, inputs: number, extraPerElement = 0): number {
  if (!(budgetBytes > 0) || !Number.isFinite(budgetBytes)) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `the memory budget must be a positive number of bytes; got ${budgetBytes}`,
    );
  }
  const perElement = inputs * BYTES_PER_INPUT_ELEMENT + extraPerElement;
  const fit = Math.floor(budgetBytes / perElement);
  if (fit < 1) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `a memory budget of ${budgetBytes} bytes cannot hold one element of ${inputs} inputs (${perElement} bytes)`,
    );
  }
  return Math.min(1 << 22, fit);
}

/** The tensors every source has with the same shape, in the first source's order (SHAPE_MISMATCH otherwise). */
export function matchSourceList(sources: readonly TensorSource[]): SourceTensor[] {
  const labels = sources.map((s) => s.label);
  const { common, mismatches } = matchTensorMaps(sources.map(sourceTensors), labels);
  if (mismatches.length > 0) throw mismatchError(mismatches, labels);
  const first = sourceTensors(sources[0]!);
  return common.map((name) => first.get(name)!);
}

/** The dtype shared by `name` in every source, else F32. */
export function commonDtype(sources: readonly TensorSource[], name: string): SafetensorsDtype {
  const dtypes = new Set(sources.map((s) => sourceTensors(s).get(name)?.dtype));
  const [only] = dtypes;
  return dtypes.size === 1 && only !== undefined && only !== 'F64' ? only : 'F32';
}

export function combinedSource(
  terms: readonly SourceTerm[],
  options: CombinedSourceOptions = {},
): ChunkedSource {
  if (terms.length === 0) throw new DeltascopeError('INVALID_SPEC', 'a combination needs at least one term');
  terms.forEach((t, i) => {
    if (!Number.isFinite(t.coefficient)) {
      throw new DeltascopeError('INVALID_SPEC', `coefficient ${i} is ${t.coefficient}, not a finite number`);
    }
  });
  const sources = terms.map((t) => t.source);
  const matched = matchSourceList(sources);
  const tensors: SourceTensor[] = matched.map((t) => ({
    ...t,
    shape: [...t.shape],
    dtype: options.dtype ?? commonDtype(sources, t.name),
  }));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  // Terms with coefficient 0 are never read (0·A + 1·B is B bit for bit, as in combineArrays).
  const active = terms.filter((t) => t.coefficient !== 0);
  const coefficients = active.map((t) => t.coefficient);
  const largest = tensors.reduce((max, t) => Math.max(max, t.count), 0);
  const chunkElements = chunkElementsForInputs(
    options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES,
    active.length || 1,
    options.readerBytesPerElement ?? 0,
  );
  const chunk = Math.max(1, Math.min(largest, chunkElements));
  let scratch: Float32Array[] = [];
  const label = options.label ?? terms.map((t) => `${t.coefficient}·${t.source.label}`).join(' + ');
  return {
    label,
    tensors,
    metadata: {},
    chunkElements,
    read(name, start, out) {
      const tensor = byName.get(name);
      if (tensor === undefined) throw missingTensor(label, name);
      if (active.length === 0) {
        out.fill(0);
        return;
      }
      if (scratch.length === 0) scratch = active.map(() => new Float32Array(chunk));
      for (const [from, to] of chunkRanges(out.length, chunk)) {
        const parts = active.map((t, i) => {
          const part = scratch[i]!.subarray(0, to - from);
          t.source.read(name, start + from, part);
          return part;
        });
        combineArrays(coefficients, parts, out.subarray(from, to));
      }
    },
    peakBytesHeld: () =>
      scratch.reduce((sum, s) => sum + s.byteLength, 0) +
      active.reduce((sum, t) => sum + t.source.peakBytesHeld(), 0),
    close() {
      scratch = [];
    },
  };
}
