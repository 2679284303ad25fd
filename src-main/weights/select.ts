import { DeltascopeError } from '../shared/errors';

/**
 * Order statistics of |x| without sorting (or copying) the whole array: a histogram of |x| over
 * [0, max|x|] finds the bin holding the wanted rank, then an exact quickselect runs on that bin's
 * values only. Three linear passes, memory O(bins + one bin). Non-finite entries are ignored.
 */

const SELECT_BINS = 4096;

export interface AbsSummary {
  /** Finite entries. */
  count: number;
  maxAbs: number;
}

export function absSummary(data: Float32Array): AbsSummary {
  let count = 0;
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const a = v < 0 ? -v : v;
    if (a === Infinity || a !== a) continue;
    count++;
    if (a > maxAbs) maxAbs = a;
  }
  return { count, maxAbs };
}

/** Bin of |x| in [0, max]: ⌊|x|/max·B⌋ clamped to B−1 (the same expression in every pass). */
function binOf(abs: number, maxAbs: number): number {
  const bin = Math.floor((abs / maxAbs) * SELECT_BINS);
  return bin >= SELECT_BINS ? SELECT_BINS - 1 : bin;
}

/** The k-th smallest (1-based) |x| among the finite entries of `data`. */
export function kthSmallestAbs(data: Float32Array, k: number, summary = absSummary(data)): number {
  const { count, maxAbs } = summary;
  if (!Number.isInteger(k) || k < 1 || k > count) {
    throw new DeltascopeError('INVALID_SPEC', `rank ${k} is outside 1..${count} (finite entries)`);
  }
  if (maxAbs === 0) return 0;
  const counts = new Float64Array(SELECT_BINS);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const a = v < 0 ? -v : v;
    if (a <= maxAbs) counts[binOf(a, maxAbs)]! += 1;
  }
  let bin = 0;
  let below = 0;
  while (below + counts[bin]! < k) below += counts[bin++]!;
  const candidates = new Float32Array(counts[bin]!);
  let c = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const a = v < 0 ? -v : v;
    if (a <= maxAbs && binOf(a, maxAbs) === bin) candidates[c++] = a;
  }
  return quickselect(candidates, k - below - 1);
}

/** The k-th largest (1-based) |x| among the finite entries of `data`. */
export function kthLargestAbs(data: Float32Array, k: number, summary = absSummary(data)): number {
  return kthSmallestAbs(data, summary.count - k + 1, summary);
}

/** Rearranges `values` in place so values[index] is the (index+1)-th smallest; returns it (Hoare, median of three). */
export function quickselect(values: Float32Array, index: number): number {
  if (index < 0 || index >= values.length) {
    throw new DeltascopeError('INVALID_SPEC', `index ${index} is outside 0..${values.length - 1}`);
  }
  let lo = 0;
  let hi = values.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const pivot = medianOfThree(values[lo]!, values[mid]!, values[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (index <= j) hi = j;
    else if (index >= i) lo = i;
    else break;
  }
  return values[index]!;
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a < b) return b < c ? b : a < c ? c : a;
  return a < c ? a : b < c ? c : b;
}
