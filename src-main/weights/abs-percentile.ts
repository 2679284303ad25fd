import { DeltascopeError } from '../shared/errors';
import { quickselect } from './select';

/**
 * The nearest-rank p-th percentile of the finite |v| of a float32 array, exactly, in two passes:
 * a histogram of the top 16 bits of |v|'s IEEE-754 pattern (sign cleared; for non-negative floats
 * the bit pattern orders like the value, so bins are ordered, 2⁷ per octave), then a quickselect
 * over the values of the one bin holding the wanted rank. Integer work per element, no division:
 * several times faster than binning by |v|/max, which matters on a first view of a 45M-value tensor.
 */

const BINS = 1 << 16;
/** Bit patterns from here up (after clearing the sign) are ±∞ and NaN. */
const NON_FINITE = 0x7f800000;

export interface AbsPercentile {
  /** The ⌈p/100·n⌉-th smallest finite |v| (0 when there is none). */
  value: number;
  maxAbs: number;
  /** Finite elements. */
  count: number;
}

/** A histogram of |v| by its top 16 bits, filled chunk by chunk (`addToAbsHistogram`). */
export interface AbsHistogram {
  counts: Uint32Array;
  zeros: number;
  nonFinite: number;
  /** Largest finite |v|'s bit pattern. */
  maxBits: number;
}

export function emptyAbsHistogram(): AbsHistogram {
  return { counts: new Uint32Array(BINS), zeros: 0, nonFinite: 0, maxBits: 0 };
}

/** Adds elements [start, end) of `data` to the histogram. */
export function addToAbsHistogram(
  data: Float32Array,
  start: number,
  end: number,
  histogram: AbsHistogram,
): void {
  // Int32 (not Uint32) bits: `& 0x7fffffff` then stays a small integer, never a heap number.
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  const { counts } = histogram;
  let { maxBits, zeros, nonFinite } = histogram;
  for (let i = start; i < end; i++) {
    const u = bits[i]! & 0x7fffffff;
    // Zeros (unchanged elements of a fine-tune's Δ: often most of them) are counted apart, so the
    // histogram is not one long chain of increments of the same bin.
    if (u === 0) {
      zeros++;
      continue;
    }
    if (u >= NON_FINITE) {
      nonFinite++;
      continue;
    }
    counts[u >>> 16]! += 1;
    if (u > maxBits) maxBits = u;
  }
  Object.assign(histogram, { maxBits, zeros, nonFinite });
}

export function absPercentile(data: Float32Array, percentile: number): AbsPercentile {
  checkPercentile(percentile);
  const histogram = emptyAbsHistogram();
  addToAbsHistogram(data, 0, data.length, histogram);
  return absPercentileFrom(data, histogram, percentile);
}

function checkPercentile(percentile: number): void {
  if (!(percentile > 0 && percentile <= 100)) {
    throw new DeltascopeError('INVALID_SPEC', `percentile must be in (0, 100]; got ${percentile}`);
  }
}

/** Where the percentile lies in a histogram: the bin's |v| bit patterns [low, high), how many finite values it holds, and the rank sought among them (0-based). */
export interface PercentileBin {
  low: number;
  high: number;
  inBin: number;
  rankInBin: number;
  maxAbs: number;
  /** Finite elements in all. */
  count: number;
}

/** The bin of `histogram` (over `total` elements) holding the p-th percentile, or null when no element is finite. */
export function absPercentileBin(
  histogram: AbsHistogram,
  total: number,
  percentile: number,
): PercentileBin | null {
  checkPercentile(percentile);
  const counts = histogram.counts.slice();
  counts[0]! += histogram.zeros;
  const count = total - histogram.nonFinite;
  const maxAbs = new Float32Array(new Int32Array([histogram.maxBits]).buffer)[0]!;
  if (count === 0) return null;
  const rank = Math.min(count, Math.max(1, Math.ceil((percentile * count) / 100)));
  let bin = 0;
  let below = 0;
  while (below + counts[bin]! < rank) below += counts[bin++]!;
  const low = bin << 16;
  return { low, high: low + (1 << 16), inBin: counts[bin]!, rankInBin: rank - below - 1, maxAbs, count };
}

/** The percentile from the |v| of its bin's elements (in any order; `candidates` is reordered). */
export function absPercentileIn(bin: PercentileBin, candidates: Float32Array): AbsPercentile {
  if (candidates.length !== bin.inBin) {
    throw new DeltascopeError(
      'INTERNAL',
      `the percentile's bin holds ${bin.inBin} values; ${candidates.length} were collected`,
    );
  }
  return { value: quickselect(candidates, bin.rankInBin), maxAbs: bin.maxAbs, count: bin.count };
}

/** The percentile of `data` given its histogram (one pass over the values of one bin). */
export function absPercentileFrom(
  data: Float32Array,
  histogram: AbsHistogram,
  percentile: number,
): AbsPercentile {
  const bin = absPercentileBin(histogram, data.length, percentile);
  if (bin === null) return { value: 0, maxAbs: 0, count: 0 };
  const candidates = new Float32Array(bin.inBin);
  const { low, high } = bin;
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  let c = 0;
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i]! & 0x7fffffff;
    if (u >= low && u < high) candidates[c++] = Math.abs(data[i]!);
  }
  return absPercentileIn(bin, candidates);
}
