/**
 * The robust symmetric limit of a heatmap: a high percentile of |v| rather than max|v|, so one
 * outlier does not wash every other cell out to neutral.
 */

/** k-th smallest (0-based) of `values` by quickselect (Hoare partition, median-of-three); reorders `values`. */
function quickselect(values: Float32Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const a = values[lo] as number;
    const b = values[mid] as number;
    const c = values[hi] as number;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i += 1;
      while ((values[j] as number) > pivot) j -= 1;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i += 1;
        j -= 1;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k] as number;
  }
  return values[k] as number;
}

/**
 * p-th percentile of |v| over the finite values by nearest rank: the ⌈p/100·n⌉-th smallest |v|
 * (n finite values; p ∈ (0, 100]). NaN when there is no finite value.
 */
export function percentileAbs(values: ArrayLike<number>, percentile: number): number {
  if (!(percentile > 0 && percentile <= 100)) {
    throw new RangeError(`percentileAbs: percentile must be in (0, 100], got ${percentile}`);
  }
  const abs = new Float32Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    if (Number.isFinite(v)) abs[n++] = v < 0 ? -v : v;
  }
  if (n === 0) return Number.NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil((percentile / 100) * n)));
  return quickselect(abs.subarray(0, n), rank - 1);
}

/** max |v| over the finite values; 0 when there is none. */
export function maxAbs(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    const a = v < 0 ? -v : v;
    if (a > best && a !== Infinity) best = a;
  }
  return best;
}

/**
 * The colour limit: the p-th percentile of |v|; max|v| when that is 0 (a mostly-zero delta, whose
 * few changed cells must still show); 1 when every value is 0 (all cells neutral either way).
 */
export function robustLimit(values: ArrayLike<number>, percentile: number): number {
  const p = percentileAbs(values, percentile);
  if (p > 0) return p;
  const max = maxAbs(values);
  return max > 0 ? max : 1;
}
