import { growHistogram, type HistogramAccumulator } from './delta-histogram';

/**
 * The fused pass of delta-stats.ts (accumulateDelta) element by element: the kernel over whole groups
 * of LANES elements, the element outside them, the lanes' fold and the pass's shift. deltaPass in
 * native/blas/src/delta_stats.c runs the same float64 operations in the same lanes and order, so that
 * both give the same sums bit for bit (tests/unit/weights/native-delta.test.ts).
 */

// Slots of a pass's sums. S1…SAB are summed in LANES lanes (see deltaKernel) and folded at the end.
export const S1 = 0;
export const S2 = 1;
export const SD2 = 2;
export const SA2 = 3;
export const SB2 = 4;
export const SAB = 5;
export const MAX_ABS = 6;
export const ABOVE = 7;
export const FLIPS = 8;
export const NON_FINITE = 9;
export const SHIFT = 10;
/** Slots of a pass's sums (deltaPass in native/blas/src/delta_stats.c uses the same layout). */
const PASS_SLOTS = 11;
/**
 * Element i of a pass adds into lane i mod LANES of each of the six float64 sums (lane l of sum k
 * at k·LANES + l), each lane in element order, and a pass's sum is ((l0 + l1) + (l2 + l3)) +
 * ((l4 + l5) + (l6 + l7)). Eight independent chains instead of one: the native pass runs a group of
 * eight in one AVX-512 vector (two AVX2 ones), and the JS kernel gets faster too; the sums keep
 * their float64 accuracy (a different rounding order than one chain, not a worse one).
 */
export const LANES = 8;
export const LANE_SUMS = 6;

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
export const CHUNK = 65536;

/**
 * The fused kernel over whole groups of LANES elements from `start` (a multiple of LANES): per
 * element d = b − a (float64), then Σ(d−s), Σ(d−s)² (s = `shift`, for a stable variance), Σd², Σa²,
 * Σb², Σab into the element's lane, max|d|, #|d|>ε, #(a·b<0), and one histogram count. It stops at
 * the first group holding a |d| that is not below the histogram range R (a new maximum, or
 * non-finite), or with fewer than LANES elements left, and returns that index, so the loop holds
 * no calls; addElement takes the rest of that group.
 */
export function deltaKernel(
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
  let p4 = lanes[4]!;
  let p5 = lanes[5]!;
  let p6 = lanes[6]!;
  let p7 = lanes[7]!;
  let q0 = lanes[8]!;
  let q1 = lanes[9]!;
  let q2 = lanes[10]!;
  let q3 = lanes[11]!;
  let q4 = lanes[12]!;
  let q5 = lanes[13]!;
  let q6 = lanes[14]!;
  let q7 = lanes[15]!;
  let r0 = lanes[16]!;
  let r1 = lanes[17]!;
  let r2 = lanes[18]!;
  let r3 = lanes[19]!;
  let r4 = lanes[20]!;
  let r5 = lanes[21]!;
  let r6 = lanes[22]!;
  let r7 = lanes[23]!;
  let x0 = lanes[24]!;
  let x1 = lanes[25]!;
  let x2 = lanes[26]!;
  let x3 = lanes[27]!;
  let x4 = lanes[28]!;
  let x5 = lanes[29]!;
  let x6 = lanes[30]!;
  let x7 = lanes[31]!;
  let y0 = lanes[32]!;
  let y1 = lanes[33]!;
  let y2 = lanes[34]!;
  let y3 = lanes[35]!;
  let y4 = lanes[36]!;
  let y5 = lanes[37]!;
  let y6 = lanes[38]!;
  let y7 = lanes[39]!;
  let z0 = lanes[40]!;
  let z1 = lanes[41]!;
  let z2 = lanes[42]!;
  let z3 = lanes[43]!;
  let z4 = lanes[44]!;
  let z5 = lanes[45]!;
  let z6 = lanes[46]!;
  let z7 = lanes[47]!;
  let maxAbs = sums[MAX_ABS]!;
  let above = sums[ABOVE]!;
  let flips = sums[FLIPS]!;
  let i = start;
  for (; i + LANES <= end; i += LANES) {
    const a0 = a[i]!;
    const a1 = a[i + 1]!;
    const a2 = a[i + 2]!;
    const a3 = a[i + 3]!;
    const a4 = a[i + 4]!;
    const a5 = a[i + 5]!;
    const a6 = a[i + 6]!;
    const a7 = a[i + 7]!;
    const b0 = b[i]!;
    const b1 = b[i + 1]!;
    const b2 = b[i + 2]!;
    const b3 = b[i + 3]!;
    const b4 = b[i + 4]!;
    const b5 = b[i + 5]!;
    const b6 = b[i + 6]!;
    const b7 = b[i + 7]!;
    const d0 = b0 - a0;
    const d1 = b1 - a1;
    const d2 = b2 - a2;
    const d3 = b3 - a3;
    const d4 = b4 - a4;
    const d5 = b5 - a5;
    const d6 = b6 - a6;
    const d7 = b7 - a7;
    const e0 = Math.abs(d0);
    const e1 = Math.abs(d1);
    const e2 = Math.abs(d2);
    const e3 = Math.abs(d3);
    const e4 = Math.abs(d4);
    const e5 = Math.abs(d5);
    const e6 = Math.abs(d6);
    const e7 = Math.abs(d7);
    if (!(
      e0 < range &&
      e1 < range &&
      e2 < range &&
      e3 < range &&
      e4 < range &&
      e5 < range &&
      e6 < range &&
      e7 < range
    ))
      break;
    const t0 = d0 - shift;
    const t1 = d1 - shift;
    const t2 = d2 - shift;
    const t3 = d3 - shift;
    const t4 = d4 - shift;
    const t5 = d5 - shift;
    const t6 = d6 - shift;
    const t7 = d7 - shift;
    p0 += t0;
    p1 += t1;
    p2 += t2;
    p3 += t3;
    p4 += t4;
    p5 += t5;
    p6 += t6;
    p7 += t7;
    q0 += t0 * t0;
    q1 += t1 * t1;
    q2 += t2 * t2;
    q3 += t3 * t3;
    q4 += t4 * t4;
    q5 += t5 * t5;
    q6 += t6 * t6;
    q7 += t7 * t7;
    r0 += d0 * d0;
    r1 += d1 * d1;
    r2 += d2 * d2;
    r3 += d3 * d3;
    r4 += d4 * d4;
    r5 += d5 * d5;
    r6 += d6 * d6;
    r7 += d7 * d7;
    x0 += a0 * a0;
    x1 += a1 * a1;
    x2 += a2 * a2;
    x3 += a3 * a3;
    x4 += a4 * a4;
    x5 += a5 * a5;
    x6 += a6 * a6;
    x7 += a7 * a7;
    y0 += b0 * b0;
    y1 += b1 * b1;
    y2 += b2 * b2;
    y3 += b3 * b3;
    y4 += b4 * b4;
    y5 += b5 * b5;
    y6 += b6 * b6;
    y7 += b7 * b7;
    const m0 = a0 * b0;
    const m1 = a1 * b1;
    const m2 = a2 * b2;
    const m3 = a3 * b3;
    const m4 = a4 * b4;
    const m5 = a5 * b5;
    const m6 = a6 * b6;
    const m7 = a7 * b7;
    z0 += m0;
    z1 += m1;
    z2 += m2;
    z3 += m3;
    z4 += m4;
    z5 += m5;
    z6 += m6;
    z7 += m7;
    maxAbs = Math.max(maxAbs, e0, e1, e2, e3, e4, e5, e6, e7);
    // +(bool) compiles to a flag-to-number move; an `if` here mispredicted on sparse updates (~2× slower).
    above +=
      +(e0 > eps) +
      +(e1 > eps) +
      +(e2 > eps) +
      +(e3 > eps) +
      +(e4 > eps) +
      +(e5 > eps) +
      +(e6 > eps) +
      +(e7 > eps);
    flips += +(m0 < 0) + +(m1 < 0) + +(m2 < 0) + +(m3 < 0) + +(m4 < 0) + +(m5 < 0) + +(m6 < 0) + +(m7 < 0);
    // ⌊d·scale⌋ is exact (scale is a power of two); adding `half` before flooring could round a
    // tiny negative Δ into the [0, w) bin.
    fine[Math.floor(d0 * scale) + half]! += 1;
    fine[Math.floor(d1 * scale) + half]! += 1;
    fine[Math.floor(d2 * scale) + half]! += 1;
    fine[Math.floor(d3 * scale) + half]! += 1;
    fine[Math.floor(d4 * scale) + half]! += 1;
    fine[Math.floor(d5 * scale) + half]! += 1;
    fine[Math.floor(d6 * scale) + half]! += 1;
    fine[Math.floor(d7 * scale) + half]! += 1;
  }
  lanes.set([
    p0,
    p1,
    p2,
    p3,
    p4,
    p5,
    p6,
    p7,
    q0,
    q1,
    q2,
    q3,
    q4,
    q5,
    q6,
    q7,
    r0,
    r1,
    r2,
    r3,
    r4,
    r5,
    r6,
    r7,
    x0,
    x1,
    x2,
    x3,
    x4,
    x5,
    x6,
    x7,
    y0,
    y1,
    y2,
    y3,
    y4,
    y5,
    y6,
    y7,
    z0,
    z1,
    z2,
    z3,
    z4,
    z5,
    z6,
    z7,
  ]);
  sums[MAX_ABS] = maxAbs;
  sums[ABOVE] = above;
  sums[FLIPS] = flips;
  return i;
}

/**
 * Element i outside the kernel's groups, with the same arithmetic: a non-finite Δ is counted and
 * skipped; otherwise the histogram grows if it must and the element adds into lane i mod LANES.
 */
export function addElement(
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

/** Lanes l … l + 7 of `lanes` folded: ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)). */
export function fold8(lanes: ArrayLike<number>, l: number): number {
  return (
    lanes[l]! +
    lanes[l + 1]! +
    (lanes[l + 2]! + lanes[l + 3]!) +
    (lanes[l + 4]! + lanes[l + 5]! + (lanes[l + 6]! + lanes[l + 7]!))
  );
}

/** Each lane-summed slot of `sums`, its lanes folded (fold8). */
export function foldLanes(sums: Float64Array, lanes: Float64Array): void {
  for (let k = 0; k < LANE_SUMS; k++) sums[k] = fold8(lanes, k * LANES);
}

/** The first finite b[i] − a[i] (0 if none): the shift that keeps the variance sums accurate. */
export function firstFiniteDelta(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = b[i]! - a[i]!;
    if (d - d === 0) return d;
  }
  return 0;
}
