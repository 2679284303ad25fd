import type { TrimRule } from './aggregate-ties';
import { nativeTiesHistogram, nativeTiesMerge } from './native-ties';

/**
 * TIES (aggregate-ties.ts) for a tensor too large to hold with its deltas: the same result, element
 * for element, from deltas read in chunks. Each delta's trim threshold — the exact k-th largest |v|
 * among its finite entries — comes from two streamed passes of a radix select on the bits of |v|
 * (for float32 ≥ 0, the order of the bit patterns is the order of the values): a histogram of the
 * high 15 bits finds the bucket of the rank, one of the low 16 bits within it the value. The
 * kept/elected/averaged step then runs chunk by chunk, ties at the threshold counted in index order.
 */

/** Streams one delta of the tensor: calls `visit` with consecutive chunks from element 0. */
export type ForEachChunk = (visit: (chunk: Float32Array) => void) => void;

const ABS_MASK = 0x7fffffff;
const INFINITY_BITS = 0x7f800000;

function bitsOf(chunk: Float32Array): Uint32Array {
  return new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length);
}

/** The trim rule of one delta (as trimRule in aggregate-ties.ts computes in memory). */
export function streamedTrimRule(forEachChunk: ForEachChunk, keep: number): TrimRule {
  return streamedTrimRules((visit) => forEachChunk((chunk) => visit([chunk])), 1, keep)[0]!;
}

/** Streams `count` deltas of one tensor together: calls `visit` with their consecutive chunks. */
export type ForEachChunks = (visit: (chunks: readonly Float32Array[]) => void) => void;

/**
 * The trim rules of `count` deltas read together (two passes over the tensor for all of them, where
 * one delta at a time would read it twice per delta).
 */
export function streamedTrimRules(forEachChunks: ForEachChunks, count: number, keep: number): TrimRule[] {
  const high = Array.from({ length: count }, () => new Float64Array(1 << 15));
  const finite = new Array<number>(count).fill(0);
  const infinite = new Array<number>(count).fill(0);
  // (what the native kernel counts, added to finite and infinite at the end: integers, exact)
  const tallies = Array.from({ length: count }, () => new Float64Array(2));
  forEachChunks((chunks) => {
    for (let i = 0; i < count; i++) {
      if (nativeTiesHistogram(chunks[i]!, high[i]!, tallies[i]!, 0, null)) continue;
      const bits = bitsOf(chunks[i]!);
      const counts = high[i]!;
      let f = 0;
      let inf = 0;
      for (let j = 0; j < bits.length; j++) {
        const a = bits[j]! & ABS_MASK;
        if (a >= INFINITY_BITS) {
          if (a === INFINITY_BITS) inf++;
          continue;
        }
        f++;
        counts[a >>> 16]! += 1;
      }
      finite[i]! += f;
      infinite[i]! += inf;
    }
  });
  tallies.forEach(([f, inf], i) => {
    finite[i]! += f!;
    infinite[i]! += inf!;
  });
  // Per delta: the bucket h of the rank and the entries below it; null when every entry is kept.
  const ranks = high.map((counts, i) => {
    if (keep >= finite[i]!) return null;
    const rank = finite[i]! - keep + 1; // 1-based, from the smallest
    let h = 0;
    let below = 0;
    while (below + counts[h]! < rank) below += counts[h++]!;
    return { rank, h, below, low: new Float64Array(1 << 16) };
  });
  if (ranks.some((r) => r !== null)) {
    forEachChunks((chunks) => {
      ranks.forEach((r, i) => {
        if (r === null) return;
        if (nativeTiesHistogram(chunks[i]!, high[i]!, tallies[i]!, r.h, r.low)) return;
        const bits = bitsOf(chunks[i]!);
        for (let j = 0; j < bits.length; j++) {
          const a = bits[j]! & ABS_MASK;
          if (a >>> 16 === r.h) r.low[a & 0xffff]! += 1;
        }
      });
    });
  }
  return ranks.map((r, i) => {
    if (r === null) return { threshold: -1, tieBudget: 0 };
    let { below } = r;
    let l = 0;
    while (below + r.low[l]! < r.rank) below += r.low[l++]!;
    const threshold = new Float32Array(new Uint32Array([((r.h << 16) | l) >>> 0]).buffer)[0]!;
    // Kept outright: finite entries above the threshold and the infinities (|±∞| > any threshold).
    const above = finite[i]! - below - r.low[l]! + infinite[i]!;
    return { threshold, tieBudget: keep - above };
  });
}

/** The ties at the threshold among elements [0, end) of a delta, for a read that does not start at 0. */
export function tiesBefore(chunk: Float32Array, rule: TrimRule): number {
  let n = 0;
  for (let j = 0; j < chunk.length; j++) if (Math.abs(chunk[j]!) === rule.threshold) n++;
  return n;
}

/**
 * One run of elements: zeroes each delta's entries that are not kept (in place; `ties[i]` is how
 * many threshold ties delta i may still keep, decremented), then the elected-sign disjoint mean
 * times λ. A kept 0 and a dropped entry weigh the same (neither adds mass nor agrees with a sign),
 * so this is tiesMerge's result. (With the native kernel, native-ties.ts, the deltas are left as
 * they were: the same result without the zeroing.)
 */
export function tiesChunk(
  deltas: readonly Float32Array[],
  rules: readonly TrimRule[],
  ties: number[],
  lambda: number,
  out: Float32Array,
): void {
  if (nativeTiesMerge(deltas, rules, ties, lambda, out)) return;
  deltas.forEach((delta, i) => {
    const { threshold } = rules[i]!;
    let left = ties[i]!;
    for (let j = 0; j < delta.length; j++) {
      const a = Math.abs(delta[j]!);
      if (a > threshold) continue;
      if (a === threshold && left > 0) {
        left--;
        continue;
      }
      delta[j] = 0;
    }
    ties[i] = left;
  });
  for (let j = 0; j < out.length; j++) {
    let mass = 0;
    for (const delta of deltas) mass += delta[j]!;
    let sum = 0;
    let agreeing = 0;
    for (const delta of deltas) {
      const v = delta[j]!;
      if ((v > 0 && mass > 0) || (v < 0 && mass < 0)) {
        sum += v;
        agreeing++;
      }
    }
    out[j] = agreeing === 0 ? 0 : (lambda * sum) / agreeing;
  }
}
