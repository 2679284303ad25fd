import { DeltascopeError } from '../shared/errors';

/**
 * A histogram of Δ that is filled in the same single pass as the other statistics, before max|Δ|
 * is known, and that merges exactly across tensors into the whole-model histogram.
 *
 * How: values are counted in FINE_PER_BIN × bins fine bins over [−R, R), where R is the smallest
 * power of two strictly above every |Δ| seen so far (at least MIN_RANGE). When a larger |Δ| arrives,
 * R doubles k times and each run of 2^k fine bins merges (exact: R and the bin count are powers of
 * two). At the end the output range is `limit` = R·j/FINE_PER_BIN for the smallest j with
 * limit > max|Δ|, so max|Δ| < limit ≤ max|Δ|·(1 + 2/FINE_PER_BIN); every output bin is a run of j
 * whole fine bins, so no count is split. Bins must be a power of two (so F/(2R) is one too).
 */

/** Fine bins per output bin; the output range overshoots max|Δ| by at most 2/FINE_PER_BIN (6.25%). */
export const FINE_PER_BIN = 32;
export const DEFAULT_HISTOGRAM_BINS = 64;
const MAX_BINS = 4096;

/** Bin k holds Δ in [−limit + k·w, −limit + (k+1)·w), w = 2·limit/counts.length. */
export interface DeltaHistogram {
  /** Symmetric range [−limit, limit); 0 when every Δ is 0 (then all counts sit in bin bins/2). */
  limit: number;
  counts: number[];
}

/**
 * Starting R: 2^-149, the smallest float32 subnormal, so every non-zero b − a of two float32 values
 * is ≥ R and zeros still fall below it. R is never 0, so the fill loop needs no special case.
 */
export const MIN_RANGE = 2 ** -149;

/** The mutable state while filling; `range` is R. */
export interface HistogramAccumulator {
  readonly bins: number;
  range: number;
  /** Fine counts; float64 so whole-model sums cannot overflow. */
  fine: Float64Array;
}

export function checkHistogramBins(bins: number): void {
  if (!Number.isInteger(bins) || bins < 2 || bins > MAX_BINS || (bins & (bins - 1)) !== 0) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `histogram bins must be a power of two between 2 and ${MAX_BINS}; got ${bins}`,
    );
  }
}

export function createHistogram(bins = DEFAULT_HISTOGRAM_BINS): HistogramAccumulator {
  checkHistogramBins(bins);
  return { bins, range: MIN_RANGE, fine: new Float64Array(bins * FINE_PER_BIN) };
}

/**
 * Grows R to the smallest power of two above `absValue` (which must be finite) in one pass:
 * doubling R k times sends fine bin i to ⌊i/2^k⌋ + F/2 − F/2^(k+1). Beyond k = log₂F − 1 every
 * old count already sits in one of the two centre bins, so k is capped there.
 */
export function growHistogram(hist: HistogramAccumulator, absValue: number): void {
  if (absValue < hist.range) return;
  let range = hist.range;
  let k = 0;
  while (range <= absValue) {
    range *= 2;
    k++;
  }
  const size = hist.fine.length;
  const shift = Math.min(k, Math.log2(size) - 1);
  const offset = size / 2 - size / 2 ** (shift + 1);
  const merged = new Float64Array(size);
  for (let i = 0; i < size; i++) merged[(i >> shift) + offset]! += hist.fine[i]!;
  hist.fine = merged;
  hist.range = range;
}

/** Adds `source` into `target` (same bin count), growing whichever has the smaller range. */
export function mergeHistogram(target: HistogramAccumulator, source: HistogramAccumulator): void {
  if (target.bins !== source.bins) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `cannot merge histograms of ${source.bins} and ${target.bins} bins`,
    );
  }
  let fine = source.fine;
  // Bring the smaller range up to the larger (growing to cover R/2 yields exactly R).
  if (source.range > target.range) {
    growHistogram(target, source.range / 2);
  } else if (source.range < target.range) {
    const copy: HistogramAccumulator = { bins: source.bins, range: source.range, fine: source.fine.slice() };
    growHistogram(copy, target.range / 2);
    fine = copy.fine;
  }
  for (let i = 0; i < fine.length; i++) target.fine[i]! += fine[i]!;
}

/** The output histogram: `bins` bins over [−limit, limit) with limit just above `maxAbs`. */
export function finishHistogram(hist: HistogramAccumulator, maxAbs: number): DeltaHistogram {
  const counts = new Array<number>(hist.bins).fill(0);
  if (maxAbs === 0) {
    let total = 0;
    for (const c of hist.fine) total += c;
    counts[hist.bins / 2] = total;
    return { limit: 0, counts };
  }
  let j = FINE_PER_BIN / 2;
  while (j < FINE_PER_BIN && (hist.range * j) / FINE_PER_BIN <= maxAbs) j++;
  const start = (hist.bins * (FINE_PER_BIN - j)) / 2;
  for (let k = 0; k < hist.bins; k++) {
    let sum = 0;
    for (let f = start + k * j; f < start + (k + 1) * j; f++) sum += hist.fine[f]!;
    counts[k] = sum;
  }
  return { limit: (hist.range * j) / FINE_PER_BIN, counts };
}
