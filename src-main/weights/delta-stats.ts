import { DeltascopeError } from '../shared/errors';
import {
  createHistogram,
  finishHistogram,
  growHistogram,
  mergeHistogram,
  type DeltaHistogram,
  type HistogramAccumulator,
} from './delta-histogram';

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

// Slots of a pass's sums. S1…SAB are summed in LANES lanes (see deltaKernel) and folded at the end.
const S1 = 0;
const S2 = 1;
const SD2 = 2;
const SA2 = 3;
const SB2 = 4;
const SAB = 5;
const MAX_ABS = 6;
const ABOVE = 7;
const FLIPS = 8;
const NON_FINITE = 9;
const SHIFT = 10;
/** Slots of a pass's sums (deltaPass in native/blas/src/delta_stats.c uses the same layout). */
const PASS_SLOTS = 11;
/**
 * Element i of a pass adds into lane i mod LANES of each of the six float64 sums (lane l of sum k
 * at k·LANES + l), each lane in element order, and a pass's sum is (l0 + l1) + (l2 + l3). Four
 * independent chains instead of one: the native pass runs a group of four in one AVX2 vector, and
 * the JS kernel gets faster too; the sums keep their float64 accuracy (a different rounding order
 * than one chain, not a worse one).
 */
const LANES = 4;
const LANE_SUMS = 6;

/** Zeroed sums for one pass, MAX_ABS starting from `maxAbs` (see mergePass). */
export function createPassSums(maxAbs = 0): Float64Array {
  const sums = new Float64Array(PASS_SLOTS);
  sums[MAX_ABS] = maxAbs;
  return sums;
}
/**
 * The pass runs in chunks of this many elements (a multiple of LANES): V8 then optimises the
 * kernel as an ordinary hot function instead of on-stack-replacing one long loop, which measured
 * ~3× faster on a cold 10M diff.
 */
const CHUNK = 65536;

/**
 * The fused kernel over whole groups of LANES elements from `start` (a multiple of LANES): per
 * element d = b − a (float64), then Σ(d−s), Σ(d−s)² (s = `shift`, for a stable variance), Σd², Σa²,
 * Σb², Σab into the element's lane, max|d|, #|d|>ε, #(a·b<0), and one histogram count. It stops at
 * the first group holding a |d| that is not below the histogram range R (a new maximum, or
 * non-finite), or with fewer than LANES elements left, and returns that index, so the loop holds
 * no calls; addElement takes the rest of that group.
 */
function deltaKernel(
  a: Float32Array,
  b: Float32Array,
  start: number,
  end: number,
  shift: number,
  eps: number,
  sums: Float64Array,
  lanes: Float64Array,
  fine: Float64Array,
  range: number,
): number {
  const half = fine.length / 2;
  const scale = fine.length / (2 * range);
  let p0 = lanes[0]!;
  let p1 = lanes[1]!;
  let p2 = lanes[2]!;
  let p3 = lanes[3]!;
  let q0 = lanes[4]!;
  let q1 = lanes[5]!;
  let q2 = lanes[6]!;
  let q3 = lanes[7]!;
  let r0 = lanes[8]!;
  let r1 = lanes[9]!;
  let r2 = lanes[10]!;
  let r3 = lanes[11]!;
  let x0 = lanes[12]!;
  let x1 = lanes[13]!;
  let x2 = lanes[14]!;
  let x3 = lanes[15]!;
  let y0 = lanes[16]!;
  let y1 = lanes[17]!;
  let y2 = lanes[18]!;
  let y3 = lanes[19]!;
  let z0 = lanes[20]!;
  let z1 = lanes[21]!;
  let z2 = lanes[22]!;
  let z3 = lanes[23]!;
  let maxAbs = sums[MAX_ABS]!;
  let above = sums[ABOVE]!;
  let flips = sums[FLIPS]!;
  let i = start;
  for (; i + LANES <= end; i += LANES) {
    const a0 = a[i]!;
    const a1 = a[i + 1]!;
    const a2 = a[i + 2]!;
    const a3 = a[i + 3]!;
    const b0 = b[i]!;
    const b1 = b[i + 1]!;
    const b2 = b[i + 2]!;
    const b3 = b[i + 3]!;
    const d0 = b0 - a0;
    const d1 = b1 - a1;
    const d2 = b2 - a2;
    const d3 = b3 - a3;
    const e0 = Math.abs(d0);
    const e1 = Math.abs(d1);
    const e2 = Math.abs(d2);
    const e3 = Math.abs(d3);
    if (!(e0 < range && e1 < range && e2 < range && e3 < range)) break;
    const t0 = d0 - shift;
    const t1 = d1 - shift;
    const t2 = d2 - shift;
    const t3 = d3 - shift;
    p0 += t0;
    p1 += t1;
    p2 += t2;
    p3 += t3;
    q0 += t0 * t0;
    q1 += t1 * t1;
    q2 += t2 * t2;
    q3 += t3 * t3;
    r0 += d0 * d0;
    r1 += d1 * d1;
    r2 += d2 * d2;
    r3 += d3 * d3;
    x0 += a0 * a0;
    x1 += a1 * a1;
    x2 += a2 * a2;
    x3 += a3 * a3;
    y0 += b0 * b0;
    y1 += b1 * b1;
    y2 += b2 * b2;
    y3 += b3 * b3;
    const m0 = a0 * b0;
    const m1 = a1 * b1;
    const m2 = a2 * b2;
    const m3 = a3 * b3;
    z0 += m0;
    z1 += m1;
    z2 += m2;
    z3 += m3;
    maxAbs = Math.max(maxAbs, e0, e1, e2, e3);
    // +(bool) compiles to a flag-to-number move; an `if` here mispredicted on sparse updates (~2× slower).
    above += +(e0 > eps) + +(e1 > eps) + +(e2 > eps) + +(e3 > eps);
    flips += +(m0 < 0) + +(m1 < 0) + +(m2 < 0) + +(m3 < 0);
    // ⌊d·scale⌋ is exact (scale is a power of two); adding `half` before flooring could round a
    // tiny negative Δ into the [0, w) bin.
    fine[Math.floor(d0 * scale) + half]! += 1;
    fine[Math.floor(d1 * scale) + half]! += 1;
    fine[Math.floor(d2 * scale) + half]! += 1;
    fine[Math.floor(d3 * scale) + half]! += 1;
  }
  lanes.set([p0, p1, p2, p3, q0, q1, q2, q3, r0, r1, r2, r3, x0, x1, x2, x3, y0, y1, y2, y3, z0, z1, z2, z3]);
  sums[MAX_ABS] = maxAbs;
  sums[ABOVE] = above;
  sums[FLIPS] = flips;
  return i;
}

/**
 * Element i outside the kernel's groups, with the same arithmetic: a non-finite Δ is counted and
 * skipped; otherwise the histogram grows if it must and the element adds into lane i mod LANES.
 */
function addElement(
  a: Float32Array,
  b: Float32Array,
  i: number,
  shift: number,
  eps: number,
  sums: Float64Array,
  lanes: Float64Array,
  hist: HistogramAccumulator,
): void {
  const av = a[i]!;
  const bv = b[i]!;
  const d = bv - av;
  if (d - d !== 0) {
    sums[NON_FINITE]! += 1;
    return;
  }
  const ad = Math.abs(d);
  growHistogram(hist, ad);
  const lane = i % LANES;
  const t = d - shift;
  lanes[S1 * LANES + lane]! += t;
  lanes[S2 * LANES + lane]! += t * t;
  lanes[SD2 * LANES + lane]! += d * d;
  lanes[SA2 * LANES + lane]! += av * av;
  lanes[SB2 * LANES + lane]! += bv * bv;
  lanes[SAB * LANES + lane]! += av * bv;
  sums[MAX_ABS] = Math.max(sums[MAX_ABS]!, ad);
  sums[ABOVE]! += +(ad > eps);
  sums[FLIPS]! += +(av * bv < 0);
  const size = hist.fine.length;
  hist.fine[Math.floor(d * (size / (2 * hist.range))) + size / 2]! += 1;
}

/** Each lane-summed slot of `sums` = (l0 + l1) + (l2 + l3). */
function foldLanes(sums: Float64Array, lanes: Float64Array): void {
  for (let k = 0; k < LANE_SUMS; k++) {
    const l = k * LANES;
    sums[k] = lanes[l]! + lanes[l + 1]! + (lanes[l + 2]! + lanes[l + 3]!);
  }
}

/** The first finite b[i] − a[i] (0 if none): the shift that keeps the variance sums accurate. */
function firstFiniteDelta(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = b[i]! - a[i]!;
    if (d - d === 0) return d;
  }
  return 0;
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
  const lanes = [0, 0, 0, 0];
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v === 0) lanes[i % LANES]! += v * v;
    else nonFinite++;
  }
  const sumSq = lanes[0]! + lanes[1]! + (lanes[2]! + lanes[3]!);
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
