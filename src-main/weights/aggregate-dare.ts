import { DeltascopeError } from '../shared/errors';
import { checkDeltas } from './aggregate-elementwise';
import { createRng, streamIdOf } from '../shared/random';

/**
 * DARE (Yu et al. 2023, "Language Models are Super Mario"), applied to one tensor: each entry of
 * each Δᵢ is dropped with probability p and survivors are rescaled by 1/(1 − p), so E[result] = Δᵢ;
 * the rescaled deltas are then averaged (or summed).
 *
 * Randomness: Δᵢ of tensor `name` draws one uniform u per element, in index order, from
 * stream (name, i) of `seed` (`createRng(seed, streamIdOf(name, i))`, shared/random); the entry is dropped iff u < p. Each (tensor, input) has
 * its own stream, so the mask does not depend on the order tensors are visited in.
 */

export interface DareParams {
  /** Drop probability p in [0, 1). */
  dropProbability: number;
  seed: number;
  /** How the rescaled deltas are combined. Default 'mean'. */
  combine?: 'mean' | 'sum';
}

/** out[j] = combine over i of [uᵢⱼ ≥ p]·Δᵢ[j]/(1 − p) */
export function dareMerge(deltas: readonly Float32Array[], params: DareParams, name: string): Float32Array {
  const size = checkDeltas(deltas);
  const { dropProbability: p, seed, combine = 'mean' } = params;
  if (!(p >= 0 && p < 1))
    throw new DeltascopeError('INVALID_SPEC', `DARE drop probability must be in [0, 1); got ${p}`);
  if (!Number.isInteger(seed))
    throw new DeltascopeError('INVALID_SPEC', `DARE seed must be an integer; got ${seed}`);
  const rescale = 1 / (1 - p);
  const sum = new Float64Array(size);
  deltas.forEach((delta, i) => {
    const rng = createRng(seed, streamIdOf(name, i));
    for (let j = 0; j < size; j++) {
      if (rng.float() >= p) sum[j]! += delta[j]! * rescale;
    }
  });
  const divisor = combine === 'mean' ? deltas.length : 1;
  const out = new Float32Array(size);
  for (let j = 0; j < size; j++) out[j] = sum[j]! / divisor;
  return out;
}
