import { DeltascopeError } from '../shared/errors';
import { createRng, streamIdOf } from '../shared/random';
import type { NamedTensor, TensorMap } from '../weights';

/**
 * The control directions of the negation test, each norm-matched to Δᵢ per tensor so that a control
 * moves every tensor exactly as far as −Δᵢ does: ‖c_t‖₂ = ‖Δᵢ,t‖₂ for every tensor t.
 *   random: Gaussian on the movable parameters only (zero elsewhere), so no norm is spent on weights no
 *           fine-tune can move (e.g. first-layer rows of inputs that never vary);
 *   null:   the null drift Δ_null (RA fine-tune with another seed) rescaled per tensor;
 *   other:  another RB's delta Δ_other rescaled per tensor.
 * A tensor where Δᵢ is 0 stays 0; a tensor where the source is 0 but Δᵢ is not cannot be matched and is
 * reported in `unmatched` (the control is then weaker on it, which the derived checkpoint records).
 */

export interface ControlDirection {
  map: TensorMap;
  /** Tensors where Δᵢ ≠ 0 but the source direction is 0 there, so the control leaves them at 0. */
  unmatched: string[];
}

function l2(data: Float32Array, keep?: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) if (keep === undefined || keep[i] === 1) sum += data[i]! * data[i]!;
  return Math.sqrt(sum);
}

/** ‖x_t‖₂ per tensor, in map order. */
export function perTensorNorms(map: TensorMap): Map<string, number> {
  return new Map([...map.values()].map((t) => [t.name, l2(t.data)]));
}

function checkSameLayout(a: TensorMap, b: TensorMap, what: string): void {
  for (const t of a.values()) {
    const other = b.get(t.name);
    if (other === undefined || other.data.length !== t.data.length) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `${what}: tensor \`${t.name}\` has ${t.data.length} elements in Δᵢ but ${other === undefined ? 'is missing' : `${other.data.length}`} in the control source`,
      );
    }
  }
}

/** c_t = source_t · ‖target_t‖ / ‖source_t‖ for every tensor t of `target`. */
export function normMatchedLike(
  source: TensorMap,
  target: TensorMap,
  what = 'norm matching',
): ControlDirection {
  checkSameLayout(target, source, what);
  const out = new Map<string, NamedTensor>();
  const unmatched: string[] = [];
  for (const t of target.values()) {
    const src = source.get(t.name)!.data;
    const want = l2(t.data);
    const have = l2(src);
    const data = new Float32Array(t.data.length);
    if (want > 0 && have > 0) {
      const factor = want / have;
      for (let i = 0; i < data.length; i++) data[i] = src[i]! * factor;
    } else if (want > 0) unmatched.push(t.name);
    out.set(t.name, { name: t.name, shape: [...t.shape], data });
  }
  return { map: out, unmatched };
}

/**
 * A Gaussian direction on the movable parameters (1 in `movable`; every parameter when a tensor has no
 * flags), zero elsewhere, with ‖r_t‖₂ = ‖target_t‖₂ per tensor; seeded per (seed, tensor name).
 */
export function movableRandomDirection(
  target: TensorMap,
  movable: ReadonlyMap<string, Uint8Array> | null,
  seed: number,
): ControlDirection {
  if (!Number.isInteger(seed))
    throw new DeltascopeError('INVALID_SPEC', `seed must be an integer; got ${seed}`);
  const out = new Map<string, NamedTensor>();
  const unmatched: string[] = [];
  for (const t of target.values()) {
    const flags = movable?.get(t.name);
    if (flags !== undefined && flags.length !== t.data.length) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `random control: the movable flags of \`${t.name}\` have ${flags.length} elements, Δᵢ has ${t.data.length}`,
      );
    }
    const data = new Float32Array(t.data.length);
    const want = l2(t.data);
    if (want > 0) {
      const rng = createRng(seed, streamIdOf(t.name));
      for (let i = 0; i < data.length; i++) {
        const g = rng.normal();
        data[i] = flags === undefined || flags[i] === 1 ? g : 0;
      }
      const have = l2(data);
      if (have > 0) {
        const factor = want / have;
        for (let i = 0; i < data.length; i++) data[i] = data[i]! * factor;
      } else unmatched.push(t.name);
    }
    out.set(t.name, { name: t.name, shape: [...t.shape], data });
  }
  return { map: out, unmatched };
}
