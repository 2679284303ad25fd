import { DeltascopeError } from '../shared/errors';
import { nativeMean, nativeMedian } from './native-aggregate';

/**
 * Per-element aggregators over n deltas of one tensor (Δ₁ … Δₙ, equal length). Each works on a
 * single tensor so a caller can stream tensors one at a time. Sums run in float64; the result is
 * rounded to float32 once. Mean, mean-abs and median run in C when the addon is built
 * (native-aggregate.ts), bit for bit these loops.
 */

/** Throws SHAPE_MISMATCH naming the first delta whose length differs; returns the common length. */
export function checkDeltas(deltas: readonly Float32Array[], minimum = 1): number {
  if (deltas.length < minimum) {
    throw new DeltascopeError('INVALID_SPEC', `needs at least ${minimum} delta(s); got ${deltas.length}`);
  }
  const n = deltas[0]!.length;
  deltas.forEach((d, i) => {
    if (d.length !== n) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `deltas[${i}] has ${d.length} elements, deltas[0] has ${n}`,
      );
    }
  });
  return n;
}

/** out[j] = (1/n) Σᵢ Δᵢ[j] */
export function meanOfDeltas(deltas: readonly Float32Array[]): Float32Array {
  const size = checkDeltas(deltas);
  const out = new Float32Array(size);
  if (nativeMean(deltas, false, out)) return out;
  const sum = new Float64Array(size);
  for (const d of deltas) for (let j = 0; j < size; j++) sum[j]! += d[j]!;
  for (let j = 0; j < size; j++) out[j] = sum[j]! / deltas.length;
  return out;
}

/** out[j] = (1/n) Σᵢ |Δᵢ[j]| */
export function meanAbsOfDeltas(deltas: readonly Float32Array[]): Float32Array {
  const size = checkDeltas(deltas);
  const out = new Float32Array(size);
  if (nativeMean(deltas, true, out)) return out;
  const sum = new Float64Array(size);
  for (const d of deltas) for (let j = 0; j < size; j++) sum[j]! += Math.abs(d[j]!);
  for (let j = 0; j < size; j++) out[j] = sum[j]! / deltas.length;
  return out;
}

/** out[j] = median over i of Δᵢ[j]; for even n the mean of the two middle values. */
export function medianOfDeltas(deltas: readonly Float32Array[]): Float32Array {
  const size = checkDeltas(deltas);
  const n = deltas.length;
  const out = new Float32Array(size);
  if (nativeMedian(deltas, out)) return out;
  const column = new Float64Array(n);
  for (let j = 0; j < size; j++) {
    // Insertion sort: n (the number of runs) is small.
    for (let i = 0; i < n; i++) {
      const v = deltas[i]![j]!;
      let k = i - 1;
      while (k >= 0 && column[k]! > v) {
        column[k + 1] = column[k]!;
        k--;
      }
      column[k + 1] = v;
    }
    out[j] = n % 2 === 1 ? column[(n - 1) / 2]! : (column[n / 2 - 1]! + column[n / 2]!) / 2;
  }
  return out;
}

/**
 * out[j] = max(#{i: Δᵢ[j] > 0}, #{i: Δᵢ[j] < 0}) / n: the share of deltas carrying the majority
 * sign. Zeros count in n but for neither sign, so an element no delta moved scores 0.
 */
export function signAgreement(deltas: readonly Float32Array[]): Float32Array {
  const size = checkDeltas(deltas);
  const positive = new Uint32Array(size);
  const negative = new Uint32Array(size);
  for (const d of deltas) {
    for (let j = 0; j < size; j++) {
      const v = d[j]!;
      if (v > 0) positive[j]!++;
      else if (v < 0) negative[j]!++;
    }
  }
  const out = new Float32Array(size);
  for (let j = 0; j < size; j++) out[j] = Math.max(positive[j]!, negative[j]!) / deltas.length;
  return out;
}

/**
 * Floor of the null scale, as a fraction of the tensor's median null scale: a parameter the null
 * controls barely moved is divided by at least this share of what they typically moved in that tensor,
 * so one near-zero null coordinate cannot blow the ratio up (with `|Δ_null| + 1e-8` it reached 3·10⁴).
 * 0.1 bounds the map by 10× the tensor's |mean Δ| / median null scale.
 */
export const NULL_SCALE_FLOOR_FRACTION = 0.1;

/** Nulls needed before their per-parameter SD (n − 1 denominator) replaces their RMS as the scale. */
export const NULL_SD_MINIMUM = 3;

/** Median of the strictly positive values (0 when there are none). */
function medianOfPositive(values: Float64Array): number {
  const positive = Float64Array.from(values.filter((v) => v > 0)).sort();
  const n = positive.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? positive[(n - 1) / 2]! : (positive[n / 2 - 1]! + positive[n / 2]!) / 2;
}

/**
 * Per-parameter scale of the null drift: with fewer than NULL_SD_MINIMUM nulls the RMS across them,
 * √((1/k) Σ Δ_null,k[j]²); with at least that many their sample SD (centred, k − 1). Never signed,
 * so nulls that cancel do not shrink it.
 */
export function nullScale(nullDeltas: readonly Float32Array[]): Float64Array {
  const size = checkDeltas(nullDeltas);
  const k = nullDeltas.length;
  const out = new Float64Array(size);
  if (k < NULL_SD_MINIMUM) {
    for (const d of nullDeltas) for (let j = 0; j < size; j++) out[j]! += d[j]! * d[j]!;
    for (let j = 0; j < size; j++) out[j] = Math.sqrt(out[j]! / k);
    return out;
  }
  const mean = meanOfDeltasF64(nullDeltas, size);
  for (const d of nullDeltas) {
    for (let j = 0; j < size; j++) {
      const r = d[j]! - mean[j]!;
      out[j]! += r * r;
    }
  }
  for (let j = 0; j < size; j++) out[j] = Math.sqrt(out[j]! / (k - 1));
  return out;
}

/**
 * out[j] = |(1/n) Σᵢ Δᵢ[j]| / max(s[j], f · median⁺(s)): how far the mean change stands above the
 * drift seen when fine-tuning on RA alone with other seeds. s is `nullScale` of the null deltas and
 * median⁺ the tensor's median over the parameters the nulls moved (s > 0); f = `floorFraction`
 * (default NULL_SCALE_FLOOR_FRACTION). A tensor the nulls never moved falls back to f · median⁺ of
 * |mean Δ| (so the map is ≤ 1/f there); a tensor nothing moved maps to 0. Bounded by
 * max|mean Δ| / (f · median⁺) in every case.
 */
export function nullNormalized(
  deltas: readonly Float32Array[],
  nullDeltas: readonly Float32Array[],
  floorFraction: number = NULL_SCALE_FLOOR_FRACTION,
): Float32Array {
  const size = checkDeltas(deltas);
  if (nullDeltas.length === 0) {
    throw new DeltascopeError('INVALID_SPEC', 'null-normalized needs at least one null delta');
  }
  nullDeltas.forEach((d, k) => {
    if (d.length !== size) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `null delta ${k} has ${d.length} elements, the deltas have ${size}`,
      );
    }
  });
  if (!(floorFraction > 0) || !Number.isFinite(floorFraction)) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `floorFraction must be a finite number > 0; got ${floorFraction}`,
    );
  }
  const mean = meanOfDeltasF64(deltas, size);
  const scale = nullScale(nullDeltas);
  let median = medianOfPositive(scale);
  if (median === 0) median = medianOfPositive(mean.map(Math.abs));
  const out = new Float32Array(size);
  if (median === 0) return out;
  const floor = floorFraction * median;
  for (let j = 0; j < size; j++) out[j] = Math.abs(mean[j]!) / Math.max(scale[j]!, floor);
  return out;
}

function meanOfDeltasF64(deltas: readonly Float32Array[], size: number): Float64Array {
  const sum = new Float64Array(size);
  for (const d of deltas) for (let j = 0; j < size; j++) sum[j]! += d[j]!;
  for (let j = 0; j < size; j++) sum[j] = sum[j]! / deltas.length;
  return sum;
}

/**
 * One-way ANOVA F per element, deltas grouped by objective (`groups[i]` labels Δᵢ):
 * F[j] = [Σ_g n_g(μ_g[j] − μ[j])² / (G − 1)] / [Σ_g Σ_{i∈g} (Δᵢ[j] − μ_g[j])² / (N − G) + ε].
 * Large where objectives disagree more than seeds within an objective do.
 */
export function varianceRatio(
  deltas: readonly Float32Array[],
  groups: readonly (string | number)[],
  epsilon: number,
): Float32Array {
  const size = checkDeltas(deltas, 3);
  if (groups.length !== deltas.length) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `groups has ${groups.length} labels for ${deltas.length} deltas`,
    );
  }
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) {
    throw new DeltascopeError('INVALID_SPEC', `epsilon must be a finite number > 0; got ${epsilon}`);
  }
  const labels = [...new Set(groups)];
  const G = labels.length;
  const N = deltas.length;
  if (G < 2 || N <= G) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `variance ratio needs ≥ 2 groups and more deltas than groups; got ${N} deltas in ${G} group(s)`,
    );
  }
  const members = labels.map((label) => deltas.filter((_, i) => groups[i] === label));
  const grand = meanOfDeltasF64(deltas, size);
  const between = new Float64Array(size);
  const within = new Float64Array(size);
  for (const group of members) {
    const mu = meanOfDeltasF64(group, size);
    for (let j = 0; j < size; j++) {
      const gap = mu[j]! - grand[j]!;
      between[j]! += group.length * gap * gap;
    }
    for (const d of group) {
      for (let j = 0; j < size; j++) {
        const r = d[j]! - mu[j]!;
        within[j]! += r * r;
      }
    }
  }
  const out = new Float32Array(size);
  for (let j = 0; j < size; j++) out[j] = between[j]! / (G - 1) / (within[j]! / (N - G) + epsilon);
  return out;
}
