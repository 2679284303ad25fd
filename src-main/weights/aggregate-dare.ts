import { DeltascopeError } from '../shared/errors';
import { checkDeltas } from './aggregate-elementwise';
import { createRng, streamIdOf, type Rng } from '../shared/random';
import { nativeDare } from './native-aggregate';

/**
 * DARE (Yu et al. 2023, "Language Models are Super Mario"), applied to one tensor: each entry of
 * each Δᵢ is dropped with probability p and survivors are rescaled by 1/(1 − p), so E[result] = Δᵢ;
 * the rescaled deltas are then averaged (or summed).
 *
 * Randomness: Δᵢ of tensor `name` draws one uniform u per element, in index order, from
 * stream (name, i) of `seed` (`createRng(seed, streamIdOf(name, i))`, shared/random); the entry is dropped iff u < p. Each (tensor, input) has
 * its own stream, so the mask does not depend on the order tensors are visited in.
 *
 * With the addon built, the loop (and the draws, from the same streams) runs in C (native-aggregate.ts),
 * bit for bit this one.
 */

export interface DareParams {
  /** Drop probability p in [0, 1). */
  dropProbability: number;
  seed: number;
  /** How the rescaled deltas are combined. Default 'mean'. */
  combine?: 'mean' | 'sum';
}

/** Throws INVALID_SPEC for a drop probability outside [0, 1) or a non-integer seed. */
export function checkDareParams(params: DareParams): void {
  const { dropProbability: p, seed } = params;
  if (!(p >= 0 && p < 1))
    throw new DeltascopeError('INVALID_SPEC', `DARE drop probability must be in [0, 1); got ${p}`);
  if (!Number.isInteger(seed))
    throw new DeltascopeError('INVALID_SPEC', `DARE seed must be an integer; got ${seed}`);
}

/** The mask streams of tensor `name`, one per delta, each at the tensor's element 0. */
export function dareRngs(seed: number, name: string, deltas: number): Rng[] {
  return Array.from({ length: deltas }, (_, i) => createRng(seed, streamIdOf(name, i)));
}

/** p, the survivors' factor 1/(1 − p), and what the sum is divided by (n for 'mean', 1 for 'sum'). */
export function dareScaling(
  params: DareParams,
  deltas: number,
): { p: number; rescale: number; divisor: number } {
  const { dropProbability: p, combine = 'mean' } = params;
  return { p, rescale: 1 / (1 - p), divisor: combine === 'mean' ? deltas : 1 };
}

/**
 * One run of consecutive elements of a tensor: rngs[i] must stand at the run's first element (it
 * is advanced past the run), so a tensor folded run by run gets exactly dareMerge's result.
 */
export function dareChunk(
  deltas: readonly Float32Array[],
  params: DareParams,
  rngs: readonly Rng[],
): Float32Array {
  const size = checkDeltas(deltas);
  const { p, rescale, divisor } = dareScaling(params, deltas.length);
  const out = new Float32Array(size);
  if (nativeDare(deltas, rngs, p, rescale, divisor, out)) return out;
  const sum = new Float64Array(size);
  deltas.forEach((delta, i) => {
    const rng = rngs[i]!;
    for (let j = 0; j < size; j++) {
      if (rng.float() >= p) sum[j]! += delta[j]! * rescale;
    }
  });
  for (let j = 0; j < size; j++) out[j] = sum[j]! / divisor;
  return out;
}

/** out[j] = combine over i of [uᵢⱼ ≥ p]·Δᵢ[j]/(1 − p) */
export function dareMerge(deltas: readonly Float32Array[], params: DareParams, name: string): Float32Array {
  checkDeltas(deltas);
  checkDareParams(params);
  return dareChunk(deltas, params, dareRngs(params.seed, name, deltas.length));
}
