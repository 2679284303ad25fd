import { DeltascopeError } from '../shared/errors';
import { createRng, streamIdOf } from '../shared/random';
import type { NamedTensor, TensorMap } from './tensor-map';

/**
 * r = g·‖Δ‖₂/‖g‖₂ with g ~ N(0, I) drawn from stream `name` of `seed` (shared/random): a random direction
 * with the same L2 norm as `delta`. The control for every negation experiment: "is it this
 * direction, or any change of this size?". A zero `delta` gives zeros.
 */
export function randomTensorLike(delta: Float32Array, seed: number, name: string): Float32Array {
  if (!Number.isInteger(seed))
    throw new DeltascopeError('INVALID_SPEC', `seed must be an integer; got ${seed}`);
  const n = delta.length;
  let sumSq = 0;
  for (let i = 0; i < n; i++) sumSq += delta[i]! * delta[i]!;
  const out = new Float32Array(n);
  if (sumSq === 0 || n === 0) return out;
  const rng = createRng(seed, streamIdOf(name));
  // Draws are stored as float32 and the norm is taken of what was stored, so no float64 copy is needed.
  let drawSq = 0;
  for (let i = 0; i < n; i++) {
    out[i] = rng.normal();
    drawSq += out[i]! * out[i]!;
  }
  const factor = Math.sqrt(sumSq / drawSq);
  for (let i = 0; i < n; i++) out[i] = out[i]! * factor;
  return out;
}

/** A random direction with the same per-tensor norms ‖r_t‖₂ = ‖Δ_t‖₂ as `delta` (seeded, per tensor name). */
export function randomDirectionLike(delta: TensorMap, seed: number): TensorMap {
  const out = new Map<string, NamedTensor>();
  for (const tensor of delta.values()) {
    out.set(tensor.name, {
      name: tensor.name,
      shape: [...tensor.shape],
      data: randomTensorLike(tensor.data, seed, tensor.name),
    });
  }
  return out;
}
