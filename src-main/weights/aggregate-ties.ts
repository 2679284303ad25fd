import { DeltascopeError } from '../shared/errors';
import { checkDeltas } from './aggregate-elementwise';
import { nativeTiesMerge, nativeTrimRule } from './native-ties';
import { absSummary, kthLargestAbs } from './select';

/**
 * TIES merging (Yadav et al. 2023, "TIES-Merging: Resolving Interference When Merging Models"),
 * applied to one tensor:
 *   1. Trim: keep the top-k = ⌈density·size⌉ entries of each Δᵢ by |value|, zero the rest.
 *   2. Elect: per element, γ[j] = sign(Σᵢ trimmedᵢ[j]) (the sign carrying more total mass).
 *   3. Disjoint mean: out[j] = λ · mean of trimmedᵢ[j] over the i whose non-zero trimmed value has
 *      sign γ[j]; 0 where none does (or where γ[j] = 0).
 *
 * Trimming is per tensor, where the paper trims the flattened whole model. Per tensor keeps every
 * layer represented (a head with large updates cannot use up the whole budget) and lets a caller
 * stream one tensor at a time. Ties at the threshold are kept in index order until k are kept, so
 * exactly k entries survive.
 */

export interface TiesParams {
  /** Share of entries each delta keeps, in (0, 1]. The paper's k = 20% is density 0.2. */
  density: number;
  /** Scale applied to the merged delta (the paper's λ). Default 1. */
  lambda?: number;
}

/** A keep-test for one delta: |v| > t, or |v| = t for the first `tieBudget` such entries. */
export interface TrimRule {
  threshold: number;
  tieBudget: number;
}

function trimRule(delta: Float32Array, keep: number): TrimRule {
  const native = nativeTrimRule(delta, keep);
  if (native !== null) return native;
  const summary = absSummary(delta);
  if (keep >= summary.count) return { threshold: -1, tieBudget: 0 };
  const threshold = kthLargestAbs(delta, keep, summary);
  let above = 0;
  for (let j = 0; j < delta.length; j++) if (Math.abs(delta[j]!) > threshold) above++;
  return { threshold, tieBudget: keep - above };
}

/** Calls visit(j, v) for each kept entry of `delta`, in index order. */
function forEachKept(delta: Float32Array, rule: TrimRule, visit: (j: number, v: number) => void): void {
  let ties = rule.tieBudget;
  for (let j = 0; j < delta.length; j++) {
    const v = delta[j]!;
    const a = Math.abs(v);
    if (a > rule.threshold) visit(j, v);
    else if (a === rule.threshold && ties > 0) {
      ties--;
      visit(j, v);
    }
  }
}

/** Throws INVALID_SPEC for a density outside (0, 1] or a non-finite λ. */
export function checkTiesParams(params: TiesParams): void {
  const { density, lambda = 1 } = params;
  if (!(density > 0 && density <= 1)) {
    throw new DeltascopeError('INVALID_SPEC', `TIES density must be in (0, 1]; got ${density}`);
  }
  if (!Number.isFinite(lambda))
    throw new DeltascopeError('INVALID_SPEC', `TIES lambda must be finite; got ${lambda}`);
}

export function tiesMerge(deltas: readonly Float32Array[], params: TiesParams): Float32Array {
  const size = checkDeltas(deltas);
  checkTiesParams(params);
  const { density, lambda = 1 } = params;
  const keep = Math.ceil(density * size);
  const rules = deltas.map((d) => trimRule(d, keep));
  const native = new Float32Array(size);
  const ties = rules.map((r) => r.tieBudget);
  if (nativeTiesMerge(deltas, rules, ties, lambda, native)) return native;
  const mass = new Float64Array(size);
  deltas.forEach((d, i) =>
    forEachKept(d, rules[i]!, (j, v) => {
      mass[j]! += v;
    }),
  );
  const sum = new Float64Array(size);
  const agreeing = new Uint32Array(size);
  deltas.forEach((d, i) =>
    forEachKept(d, rules[i]!, (j, v) => {
      if ((v > 0 && mass[j]! > 0) || (v < 0 && mass[j]! < 0)) {
        sum[j]! += v;
        agreeing[j]!++;
      }
    }),
  );
  const out = new Float32Array(size);
  for (let j = 0; j < size; j++) out[j] = agreeing[j]! === 0 ? 0 : (lambda * sum[j]!) / agreeing[j]!;
  return out;
}
