import { DeltascopeError } from '../../shared/errors';
import type { CheckpointSide } from '../../shared/contract-weights';
import type { TensorEntry } from '../../shared/domain';
import {
  matchTensorMaps,
  mismatchError,
  tensorMapFromManifest,
  type TensorMap,
  type TensorMismatch,
} from '../../weights';
import type { LoadedSource } from './weights-sources';

/**
 * diff.compareMany: how alike several deltas Δᵢ = otherᵢ − base are, per tensor and for the whole
 * model, as cosine similarities from one Gram matrix per tensor (summed for the model). It reads every
 * element of every input, so the API runs it in a compute thread (compute/compute-worker.ts), handed
 * the loaded sources' SharedArrayBuffer weights (not copied).
 */

/** A loaded source as a compute thread receives it: its side, manifest and shared weights. */
export type CompareInput = Pick<LoadedSource, 'side' | 'manifest' | 'weights'>;

/** What compareDeltas reads of a source. */
type Compared = { side: CheckpointSide; map: TensorMap };

/** A compute thread's view of a loaded source: its tensors over the shared weights. */
export function loaded(input: { side: CheckpointSide; manifest: TensorEntry[]; weights: Float32Array }) {
  return { side: input.side, map: tensorMapFromManifest(input.manifest, input.weights, input.side.label) };
}

/** The part of a loaded source a compute thread needs. */
export function compareInput({ side, manifest, weights }: LoadedSource): CompareInput {
  return { side, manifest, weights };
}

/** G[i·n + j] = Σₖ (xᵢ[k] − base[k])·(xⱼ[k] − base[k]), in float64 (n = others.length). */
export function deltaGram(base: Float32Array, others: readonly Float32Array[]): Float64Array {
  const n = others.length;
  others.forEach((x, i) => {
    if (x.length !== base.length) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `others[${i}] has ${x.length} elements, base has ${base.length}`,
      );
    }
  });
  const gram = new Float64Array(n * n);
  const d = new Float64Array(n);
  for (let k = 0; k < base.length; k++) {
    const b = base[k]!;
    for (let i = 0; i < n; i++) d[i] = others[i]![k]! - b;
    for (let i = 0; i < n; i++) {
      const di = d[i]!;
      if (di === 0) continue;
      for (let j = i; j < n; j++) gram[i * n + j]! += di * d[j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) gram[i * n + j] = gram[j * n + i]!;
  return gram;
}

/** norms[i] = √G[i,i]; cosine[i][j] = G[i,j] / (norms[i]·norms[j]), null when either norm is 0. */
export function gramToSimilarity(
  gram: Float64Array,
  n: number,
): { norms: number[]; cosine: (number | null)[][] } {
  const norms = Array.from({ length: n }, (_, i) => Math.sqrt(Math.max(0, gram[i * n + i]!)));
  const cosine = norms.map((ni, i) =>
    norms.map((nj, j) => {
      if (ni === 0 || nj === 0) return null;
      // Clamp: rounding can push |cos| a hair past 1 for (anti)parallel deltas.
      return Math.max(-1, Math.min(1, gram[i * n + j]! / (ni * nj)));
    }),
  );
  return { norms, cosine };
}

export function compareDeltas(base: Compared, others: readonly Compared[], partial: boolean) {
  const sources = [base, ...others];
  const labels = sources.map((s) => s.side.label);
  const { common, mismatches } = matchTensorMaps(
    sources.map((s) => s.map),
    labels,
  );
  if (mismatches.length > 0 && !partial) throw mismatchError(mismatches, labels);
  const n = others.length;
  const modelGram = new Float64Array(n * n);
  const tensors = common.map((name) => {
    const tensor = base.map.get(name)!;
    const gram = deltaGram(
      tensor.data,
      others.map((o) => o.map.get(name)!.data),
    );
    for (let k = 0; k < gram.length; k++) modelGram[k]! += gram[k]!;
    return { name, shape: [...tensor.shape], ...gramToSimilarity(gram, n) };
  });
  const skipped: TensorMismatch[] = mismatches;
  return {
    base: base.side,
    others: others.map((o) => o.side),
    tensors,
    model: gramToSimilarity(modelGram, n),
    skipped,
  };
}
