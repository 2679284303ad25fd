import type { z } from 'zod';
import { DeltascopeError } from '../shared/errors';
import {
  UPDATE_SIGNALS_FORMAT,
  type DeltaStatsSummarySchema,
  type UpdateSignalsData,
} from '../shared/protocol-artifacts';
import {
  accumulateDelta,
  assertMatchingTensors,
  createDeltaAccumulator,
  finishDeltaStats,
  mergeDeltaAccumulators,
  type DeltaStats,
  type TensorMap,
} from '../weights';

/**
 * Update signals Δᵢ = MBᵢ − MA of one replication: per-delta and per-tensor statistics, and the
 * cosine matrix of all deltas (RB fine-tunes and null controls), whole-model and per tensor.
 */

export { UPDATE_SIGNALS_FORMAT };

export type DeltaRole = UpdateSignals['deltas'][number]['role'];

export interface DeltaInput {
  /** RB name, or `null-k` for null control k. */
  label: string;
  role: DeltaRole;
  /** Node and checkpoint of the fine-tuned model MBᵢ. */
  nodeId: string;
  checkpointId: number;
  map: TensorMap;
}

/** The statistics kept in the artifact (the histogram is left out: use weights.diff for it). */
export type DeltaStatsSummary = z.output<typeof DeltaStatsSummarySchema>;
/** The stored artifact (one schema: UpdateSignalsSchema of shared/protocol-artifacts.ts). */
export type UpdateSignals = UpdateSignalsData;

function summarise(stats: DeltaStats): DeltaStatsSummary {
  return {
    l2: stats.l2,
    relativeL2: stats.relativeL2,
    maxAbs: stats.maxAbs,
    mean: stats.mean,
    std: stats.std,
    fractionAboveEpsilon: stats.fractionAboveEpsilon,
    signFlipFraction: stats.signFlipFraction,
  };
}

/** cos(x, y) = ⟨x, y⟩ / (‖x‖‖y‖) summed in float64 over aligned tensor pairs; null when a norm is 0. */
export function cosineOf(pairs: readonly (readonly [Float32Array, Float32Array])[]): number | null {
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (const [x, y] of pairs) {
    if (x.length !== y.length) {
      throw new DeltascopeError('SHAPE_MISMATCH', `cosineOf: arrays of ${x.length} and ${y.length} elements`);
    }
    for (let i = 0; i < x.length; i++) {
      dot += x[i]! * y[i]!;
      xx += x[i]! * x[i]!;
      yy += y[i]! * y[i]!;
    }
  }
  return xx === 0 || yy === 0 ? null : dot / Math.sqrt(xx * yy);
}

/** Δ = b − a element-wise, in a new array. */
function difference(b: Float32Array, a: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = b[i]! - a[i]!;
  return out;
}

function cosineMatrix(vectors: readonly (readonly Float32Array[])[]): (number | null)[][] {
  return vectors.map((x) => vectors.map((y) => cosineOf(x.map((tensor, t) => [tensor, y[t]!] as const))));
}

export function updateSignals(
  seed: number,
  base: { nodeId: string; checkpointId: number; map: TensorMap },
  deltas: readonly DeltaInput[],
): UpdateSignals {
  if (deltas.length === 0)
    throw new DeltascopeError('INVALID_SPEC', 'updateSignals needs at least one fine-tune');
  const names = assertMatchingTensors(
    [base.map, ...deltas.map((d) => d.map)],
    ['MA', ...deltas.map((d) => d.label)],
  );
  const tensors = names.map((name) => {
    const tensor = base.map.get(name)!;
    return { name, shape: [...tensor.shape], count: tensor.data.length };
  });
  // Δ per delta per tensor, materialised once: the cosines need every pair.
  const vectors = deltas.map((d) =>
    names.map((name) => difference(d.map.get(name)!.data, base.map.get(name)!.data)),
  );
  const summaries = deltas.map((d) => {
    const accumulators = names.map((name) => {
      const acc = createDeltaAccumulator();
      accumulateDelta(acc, base.map.get(name)!.data, d.map.get(name)!.data);
      return acc;
    });
    const total = createDeltaAccumulator();
    for (const acc of accumulators) mergeDeltaAccumulators(total, acc);
    return {
      label: d.label,
      role: d.role,
      nodeId: d.nodeId,
      checkpointId: d.checkpointId,
      total: summarise(finishDeltaStats(total)),
      perTensor: accumulators.map((acc) => summarise(finishDeltaStats(acc))),
    };
  });
  return {
    format: UPDATE_SIGNALS_FORMAT,
    seed,
    base: { nodeId: base.nodeId, checkpointId: base.checkpointId },
    tensors,
    deltas: summaries,
    cosine: cosineMatrix(vectors),
    perTensorCosine: Object.fromEntries(
      names.map((name, t) => [name, cosineMatrix(vectors.map((v) => [v[t]!]))]),
    ),
  };
}
