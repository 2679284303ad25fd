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
import { accumulateRawDelta, nativeDeltaAvailable, type RawChunk } from './native-delta';
import { formatShape, type NamedTensor, type TensorMap } from './tensor-map';
import { matchTensorMaps, mismatchError, type TensorMismatch } from './tensor-match';

/** Options for diffing checkpoint A against checkpoint B (Δ = B − A). */
export interface DiffOptions extends DeltaStatsOptions {
  /** Diff the tensors A and B share and list the rest in `skipped`, instead of throwing SHAPE_MISMATCH. */
  partial?: boolean;
  /** Also return Δ as float32 tensors (written in the same pass). Costs one checkpoint of memory. */
  keepDelta?: boolean;
  /** Names for A and B in messages, e.g. ['checkpoint 12', 'checkpoint 31']. Default ['A', 'B']. */
  labels?: [string, string];
}

export interface TensorDiff {
  name: string;
  shape: number[];
  stats: DeltaStats;
}

export interface CheckpointDiff {
  /** Per-tensor statistics, in A's tensor order. */
  tensors: TensorDiff[];
  /** Whole-model statistics over every diffed tensor (exactly the merge of the per-tensor sums). */
  model: DeltaStats;
  /** Tensors left out by `partial: true` (empty otherwise). */
  skipped: TensorMismatch[];
  /** Δ = B − A per tensor when `keepDelta` was set, else null. */
  delta: TensorMap | null;
}

/** Streaming state: feed tensor pairs one at a time (e.g. straight from the store), then finish. */
export interface ModelDiffAccumulator {
  readonly options: DeltaStatsOptions;
  readonly model: DeltaAccumulator;
  readonly tensors: TensorDiff[];
}

export function createModelDiff(options: DeltaStatsOptions = {}): ModelDiffAccumulator {
  const resolved = { epsilon: options.epsilon, bins: options.bins };
  return { options: resolved, model: createDeltaAccumulator(resolved), tensors: [] };
}

/**
 * Diffs one tensor pair into the running model statistics and returns its own statistics.
 * Δ is written to `out` if one is given.
 */
export function addTensorDiff(
  state: ModelDiffAccumulator,
  a: NamedTensor,
  b: NamedTensor,
  out: Float32Array | null = null,
): TensorDiff {
  if (formatShape(a.shape) !== formatShape(b.shape)) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `tensor \`${a.name}\`: A has ${formatShape(a.shape)}, B has ${formatShape(b.shape)}`,
    );
  }
  const acc = createDeltaAccumulator(state.options);
  // The native pass gives the same sums bit for bit (native-delta.ts); Δ itself is written in JS.
  if (out === null && nativeDeltaAvailable() && a.data.length === b.data.length) {
    accumulateRawDelta(acc, rawF32(a.data), rawF32(b.data));
  } else accumulateDelta(acc, a.data, b.data, out);
  mergeDeltaAccumulators(state.model, acc);
  const diff = { name: a.name, shape: [...a.shape], stats: finishDeltaStats(acc) };
  state.tensors.push(diff);
  return diff;
}

function rawF32(values: Float32Array): RawChunk {
  return { dtype: 'F32', bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function finishModelDiff(state: ModelDiffAccumulator): DeltaStats {
  return finishDeltaStats(state.model);
}

/**
 * Δ = B − A for every tensor, with per-tensor and whole-model statistics from one fused pass per
 * tensor. Throws SHAPE_MISMATCH listing every mismatched tensor unless `partial` is set.
 */
export function diffCheckpoints(a: TensorMap, b: TensorMap, options: DiffOptions = {}): CheckpointDiff {
  const labels = options.labels ?? ['A', 'B'];
  const { common, mismatches } = matchTensorMaps([a, b], labels);
  if (mismatches.length > 0 && options.partial !== true) throw mismatchError(mismatches, labels);
  const state = createModelDiff(options);
  const delta = options.keepDelta === true ? new Map<string, NamedTensor>() : null;
  for (const name of common) {
    const ta = a.get(name)!;
    const tb = b.get(name)!;
    const out = delta === null ? null : new Float32Array(ta.data.length);
    addTensorDiff(state, ta, tb, out);
    if (delta !== null && out !== null) delta.set(name, { name, shape: [...ta.shape], data: out });
  }
  return { tensors: state.tensors, model: finishModelDiff(state), skipped: mismatches, delta };
}
