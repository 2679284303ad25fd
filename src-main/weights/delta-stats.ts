import { DeltascopeError } from '../shared/errors';
import {
  createHistogram,
  finishHistogram,
  mergeHistogram,
  type DeltaHistogram,
  type HistogramAccumulator,
} from './delta-histogram';
import {
  ABOVE,
  addElement,
  CHUNK,
  createPassSums,
  deltaKernel,
  firstFiniteDelta,
  fold8,
  FLIPS,
  foldLanes,
  LANE_SUMS,
  LANES,
  MAX_ABS,
  NON_FINITE,
  S1,
  S2,
  SA2,
  SAB,
  SB2,
  SD2,
  SHIFT,
} from './delta-kernel';

/**
 * Statistics of Δ = B − A over one tensor or a whole model, computed in ONE fused pass over A and B
 * with float64 accumulators, without materialising Δ (unless the caller passes an output array).
 * Δ is taken in float64 (b − a of two float32 values), so the statistics do not inherit the
 * rounding of a float32 delta. Elements where A or B is NaN/±∞ are skipped and counted in
 * `nonFinite`; every other figure is over the finite elements only.
 */

export const DEFAULT_EPSILON = 1e-6;

/** JSON-able statistics; `null` marks a ratio that is undefined (a zero norm). */
export interface DeltaStats {
  /** Finite elements compared. */
  count: number;
  /** Elements skipped because A or B was NaN or ±∞. */
  nonFinite: number;
  /** ‖Δ‖₂ */
  l2: number;
  /** ‖Δ‖₂ / ‖A‖₂; null when ‖A‖₂ = 0. */
  relativeL2: number | null;
  /** max |Δ| */
  maxAbs: number;
  /** mean of Δ */
  mean: number;
  /** population standard deviation of Δ */
  std: number;
  /** ε used for `aboveEpsilon` (strict: |Δ| > ε). */
  epsilon: number;
  aboveEpsilon: number;
  fractionAboveEpsilon: number;
  /** ⟨A,B⟩ / (‖A‖₂‖B‖₂); null when either norm is 0. */
  cosine: number | null;
  /** Elements where A and B are both non-zero with opposite signs (a·b < 0). A zero on either side is no flip. */
  signFlips: number;
  signFlipFraction: number;
  normA: number;
  normB: number;
  histogram: DeltaHistogram;
}

/** Mergeable float64 sums behind DeltaStats (mean/variance kept as Chan's (n, mean, M2)). */
export interface DeltaAccumulator {
  epsilon: number;
  count: number;
  nonFinite: number;
  mean: number;
  m2: number;
  sumSqDelta: number;
  sumSqA: number;
  sumSqB: number;
  dotAB: number;
  maxAbs: number;
  aboveEpsilon: number;
  signFlips: number;
  histogram: HistogramAccumulator;
}

export interface DeltaStatsOptions {
  /** Threshold for `aboveEpsilon`. Default 1e-6. */
  epsilon?: number;
  /** Histogram bins, a power of two. Default 64. */
  bins?: number;
}

export function createDeltaAccumulator(options: DeltaStatsOptions = {}): DeltaAccumulator {
  const epsilon = options.epsilon ?? DEFAULT_EPSILON;
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new DeltascopeError('INVALID_SPEC', `epsilon must be a finite number ≥ 0; got ${epsilon}`);
  }
  return {
    epsilon,
    count: 0,
    nonFinite: 0,
    mean: 0,
    m2: 0,
    sumSqDelta: 0,
    sumSqA: 0,
    sumSqB: 0,
    dotAB: 0,
    maxAbs: 0,
    aboveEpsilon: 0,
    signFlips: 0,
    histogram: createHistogram(options.bins),
  };
}

/**
 * One fused pass over a and b into `acc` (see deltaKernel). If `out` is given, Δ rounded to
 * float32 is written into it by a plain subtraction loop of its own: a store in the statistics
 * kernel made it ~25% slower for every caller, and only callers that keep Δ pay for this loop.
 */
export function accumulateDelta(
  acc: DeltaAccumulator,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array | null = null,
): void {
  const n = a.length;
  if (b.length !== n) {
    throw new DeltascopeError('SHAPE_MISMATCH', `A has ${n} elements but B has ${b.length}`);
  }
  if (out !== null && out.length !== n) {
    throw new DeltascopeError('SHAPE_MISMATCH', `out has ${out.length} elements but A and B have ${n}`);
  }
  if (out !== null) for (let j = 0; j < n; j++) out[j] = b[j]! - a[j]!;
  else if (sameBits(a, b)) {
    accumulateUnchanged(acc, a);
    return;
  }
  const shift = firstFiniteDelta(a, b);
  const sums = createPassSums(acc.maxAbs);
  const lanes = new Float64Array(LANE_SUMS * LANES);
  const hist = acc.histogram;
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + CHUNK);
    i = deltaKernel(a, b, i, end, shift, acc.epsilon, sums, lanes, hist.fine, hist.range);
    const groupEnd = Math.min(end, i + LANES);
    for (; i < groupEnd; i++) addElement(a, b, i, shift, acc.epsilon, sums, lanes, hist);
  }
  foldLanes(sums, lanes);
  sums[SHIFT] = shift;
  mergePass(acc, sums, n);
}

/**
 * Folds one pass over n elements into `acc`: `sums` holds the pass's slots (S1…NON_FINITE, its
 * shift in SHIFT, its max|Δ| in MAX_ABS); its histogram counts are already in acc.histogram.
 * Shared by the JS kernel and the native one (native-delta.ts).
 */
export function mergePass(acc: DeltaAccumulator, sums: Float64Array, n: number): void {
  const shift = sums[SHIFT]!;
  const nonFinite = sums[NON_FINITE]!;
  const count = n - nonFinite;
  if (count > 0) {
    // Chan et al. merge of (n, mean, M2) with this pass's (count, shift + s1/count, s2 − s1²/count).
    const s1 = sums[S1]!;
    const mean = shift + s1 / count;
    const m2 = Math.max(0, sums[S2]! - (s1 * s1) / count);
    mergeMoments(acc, count, mean, m2);
  }
  acc.nonFinite += nonFinite;
  acc.sumSqDelta += sums[SD2]!;
  acc.sumSqA += sums[SA2]!;
  acc.sumSqB += sums[SB2]!;
  acc.dotAB += sums[SAB]!;
  acc.maxAbs = Math.max(acc.maxAbs, sums[MAX_ABS]!);
  acc.aboveEpsilon += sums[ABOVE]!;
  acc.signFlips += sums[FLIPS]!;
}

/**
 * Whether a and b hold the same bits (an unchanged tensor or chunk: frozen layers, embeddings,
 * untouched heads). Stops at the first difference, so a changed chunk costs a few elements.
 */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * accumulateDelta for b bit-identical to a, with the identical result in one cheap pass: every
 * finite Δ is +0 (so the shift, Σ(d−s), Σ(d−s)², Σd², max|Δ|, #|Δ|>ε and the sign flips add
 * nothing, and each count lands in the centre fine bin), Σb² and Σab are Σa² term for term and lane
 * for lane (b·b and a·b are a·a), and a non-finite a is skipped and counted as the kernel does.
 */
function accumulateUnchanged(acc: DeltaAccumulator, a: Float32Array): void {
  // Σa² in the kernel's lanes (element i into lane i mod LANES), folded as foldLanes does.
  const lanes = [0, 0, 0, 0, 0, 0, 0, 0];
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v === 0) lanes[i % LANES]! += v * v;
    else nonFinite++;
  }
  const sumSq = fold8(lanes, 0);
  const count = a.length - nonFinite;
  if (count > 0) mergeMoments(acc, count, 0, 0);
  acc.nonFinite += nonFinite;
  acc.sumSqDelta += 0;
  acc.sumSqA += sumSq;
  acc.sumSqB += sumSq;
  acc.dotAB += sumSq;
  // Counts are integers in float64: adding `count` once equals adding 1 `count` times.
  acc.histogram.fine[acc.histogram.fine.length / 2]! += count;
}

/** (n, μ, M2) ⊕ (m, ν, N2) = (n+m, μ + (ν−μ)·m/(n+m), M2 + N2 + (ν−μ)²·n·m/(n+m)). */
function mergeMoments(acc: DeltaAccumulator, count: number, mean: number, m2: number): void {
  const total = acc.count + count;
  const delta = mean - acc.mean;
  acc.mean += (delta * count) / total;
  acc.m2 += m2 + (delta * delta * acc.count * count) / total;
  acc.count = total;
}

/** Folds `source` into `target` (e.g. per-tensor accumulators into the whole-model one). */
export function mergeDeltaAccumulators(target: DeltaAccumulator, source: DeltaAccumulator): void {
  if (source.count > 0) mergeMoments(target, source.count, source.mean, source.m2);
  target.nonFinite += source.nonFinite;
  target.sumSqDelta += source.sumSqDelta;
  target.sumSqA += source.sumSqA;
  target.sumSqB += source.sumSqB;
  target.dotAB += source.dotAB;
  target.maxAbs = Math.max(target.maxAbs, source.maxAbs);
  target.aboveEpsilon += source.aboveEpsilon;
  target.signFlips += source.signFlips;
  mergeHistogram(target.histogram, source.histogram);
}

/** The JSON-able statistics of an accumulator. */
export function finishDeltaStats(acc: DeltaAccumulator): DeltaStats {
  const l2 = Math.sqrt(acc.sumSqDelta);
  const normA = Math.sqrt(acc.sumSqA);
  const normB = Math.sqrt(acc.sumSqB);
  const count = acc.count;
  return {
    count,
    nonFinite: acc.nonFinite,
    l2,
    relativeL2: normA === 0 ? null : l2 / normA,
    maxAbs: acc.maxAbs,
    mean: count === 0 ? 0 : acc.mean,
    std: count === 0 ? 0 : Math.sqrt(acc.m2 / count),
    epsilon: acc.epsilon,
    aboveEpsilon: acc.aboveEpsilon,
    fractionAboveEpsilon: count === 0 ? 0 : acc.aboveEpsilon / count,
    // Clamp: rounding can push |cos| a hair past 1 for (anti)parallel A and B.
    cosine: normA === 0 || normB === 0 ? null : Math.max(-1, Math.min(1, acc.dotAB / (normA * normB))),
    signFlips: acc.signFlips,
    signFlipFraction: count === 0 ? 0 : acc.signFlips / count,
    normA,
    normB,
    histogram: finishHistogram(acc.histogram, acc.maxAbs),
  };
}

/** Statistics of Δ = b − a for one pair of arrays (one fused pass). */
export function deltaStats(a: Float32Array, b: Float32Array, options: DeltaStatsOptions = {}): DeltaStats {
  const acc = createDeltaAccumulator(options);
  accumulateDelta(acc, a, b);
  return finishDeltaStats(acc);
}
