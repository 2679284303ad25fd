import type { Provenance } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import type { NamedTensor, TensorMap } from './tensor-map';
import { nativeCombine2 } from './native-ties';
import { assertMatchingTensors } from './tensor-match';

/** One term cᵢ·θᵢ of a linear combination. */
export interface LinearTerm {
  coefficient: number;
  map: TensorMap;
  /** Name for error messages (e.g. 'checkpoint 12'). */
  label?: string;
}

/**
 * out[j] = fround(Σᵢ cᵢ·xᵢ[j]), summed in float64 and rounded to float32 once. Terms with cᵢ = 0 are
 * skipped, so A + (B − A), which reduces to 0·A + 1·B, returns B bit for bit.
 */
export function combineArrays(
  coefficients: readonly number[],
  arrays: readonly Float32Array[],
  out?: Float32Array,
): Float32Array {
  if (coefficients.length !== arrays.length) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `${coefficients.length} coefficients for ${arrays.length} arrays`,
    );
  }
  const n = arrays[0]?.length ?? out?.length ?? 0;
  arrays.forEach((array, i) => {
    if (array.length !== n) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `arrays[${i}] has ${array.length} elements, arrays[0] has ${n}`,
      );
    }
  });
  coefficients.forEach((c, i) => {
    if (!Number.isFinite(c))
      throw new DeltascopeError('INVALID_SPEC', `coefficient ${i} is ${c}, not a finite number`);
  });
  const result = out ?? new Float32Array(n);
  if (result.length !== n) {
    throw new DeltascopeError('SHAPE_MISMATCH', `out has ${result.length} elements, the inputs have ${n}`);
  }
  const active = arrays.filter((_, i) => coefficients[i] !== 0);
  const cs = coefficients.filter((c) => c !== 0);
  if (active.length === 0) return result.fill(0);
  if (active.length === 1) {
    const x = active[0]!;
    const c = cs[0]!;
    for (let j = 0; j < n; j++) result[j] = c * x[j]!;
    return result;
  }
  if (active.length === 2) {
    const x = active[0]!;
    const y = active[1]!;
    const cx = cs[0]!;
    const cy = cs[1]!;
    if (nativeCombine2(cx, x, cy, y, result)) return result;
    for (let j = 0; j < n; j++) result[j] = cx * x[j]! + cy * y[j]!;
    return result;
  }
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let i = 0; i < active.length; i++) sum += cs[i]! * active[i]![j]!;
    result[j] = sum;
  }
  return result;
}

/** θ = Σᵢ cᵢ·θᵢ over compatible checkpoints (same tensor names and shapes; SHAPE_MISMATCH otherwise). */
export function linearCombination(terms: readonly LinearTerm[]): TensorMap {
  if (terms.length === 0)
    throw new DeltascopeError('INVALID_SPEC', 'a linear combination needs at least one term');
  const labels = terms.map((t, i) => t.label ?? `term ${i + 1}`);
  const names = assertMatchingTensors(
    terms.map((t) => t.map),
    labels,
  );
  const coefficients = terms.map((t) => t.coefficient);
  const out = new Map<string, NamedTensor>();
  for (const name of names) {
    const tensors = terms.map((t) => t.map.get(name)!);
    const data = combineArrays(
      coefficients,
      tensors.map((t) => t.data),
    );
    out.set(name, { name, shape: [...tensors[0]!.shape], data });
  }
  return out;
}

/** Δ = B − A per tensor, rounded to float32. */
export function subtractMaps(b: TensorMap, a: TensorMap): TensorMap {
  return linearCombination([
    { coefficient: 1, map: b, label: 'B' },
    { coefficient: -1, map: a, label: 'A' },
  ]);
}

/** A + Δ per tensor. */
export function addMaps(a: TensorMap, delta: TensorMap): TensorMap {
  return linearCombination([
    { coefficient: 1, map: a, label: 'A' },
    { coefficient: 1, map: delta, label: 'Δ' },
  ]);
}

/** `count` evenly spaced values from `start` to `stop` inclusive. */
export function linspace(start: number, stop: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new DeltascopeError('INVALID_SPEC', `linspace count must be a positive integer; got ${count}`);
  }
  if (count === 1) return [start];
  return Array.from({ length: count }, (_, i) =>
    i === count - 1 ? stop : start + ((stop - start) * i) / (count - 1),
  );
}

export interface AlphaPoint {
  alpha: number;
  /** Human-readable formula, e.g. `A - 0.5*(B - A)`. */
  formula: string;
  map: TensorMap;
}

/**
 * θ(α) = A − α·(B − A) = (1 + α)·A − α·B for each α, yielded one at a time so a caller can evaluate
 * and drop each point before the next is built. α = 0 gives A; α = −1 gives B (both exactly).
 */
export function* alphaGrid(a: TensorMap, b: TensorMap, alphas: Iterable<number>): Generator<AlphaPoint> {
  assertMatchingTensors([a, b]);
  for (const alpha of alphas) {
    const map = linearCombination([
      { coefficient: 1 + alpha, map: a, label: 'A' },
      { coefficient: -alpha, map: b, label: 'B' },
    ]);
    yield { alpha, formula: `A - ${alpha}*(B - A)`, map };
  }
}

export interface ArithmeticProvenanceInput {
  formula: string;
  /** Checkpoint ids the result was computed from. */
  inputs: readonly number[];
  description?: string;
  details?: Record<string, unknown>;
}

/** The provenance record a caller saves with an arithmetic result (matches ProvenanceSchema). */
export function arithmeticProvenance(input: ArithmeticProvenanceInput): Provenance {
  return {
    kind: 'arithmetic',
    description: input.description ?? `computed as ${input.formula}`,
    inputs: [...input.inputs],
    formula: input.formula,
    details: { ...(input.details ?? {}) },
  };
}
