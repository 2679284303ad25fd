import { DeltascopeError } from '../shared/errors';
import { createRng } from '../shared/random';

/**
 * Small statistics for evaluation results, as pure functions over plain arrays. Every interval is
 * `{ estimate, low, high }`; every random step is seeded (same inputs ⇒ same interval everywhere).
 */

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

/** Random-stream id of the bootstrap resampling (see shared/random deriveSeed64). */
export const BOOTSTRAP_STREAM = 0xb007;

function invalid(message: string): DeltascopeError {
  return new DeltascopeError('INVALID_SPEC', message);
}

function checkSample(xs: ArrayLike<number>, name: string): void {
  if (xs.length === 0) throw invalid(`${name} is empty; need at least one value`);
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw invalid(`${name}[${i}] = ${String(xs[i])} is not a finite number`);
  }
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw invalid(`confidence must lie strictly between 0 and 1; got ${confidence}`);
  }
}

/** x̄ = Σ xᵢ / n. */
export function mean(xs: ArrayLike<number>): number {
  checkSample(xs, 'sample');
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i] as number;
  return sum / xs.length;
}

/** Quantile q of an ascending sample by linear interpolation: x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]), h = (n − 1)q (Hyndman–Fan type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  checkSample(sorted, 'sorted sample');
  if (!(q >= 0 && q <= 1)) throw invalid(`quantile q must lie in [0, 1]; got ${q}`);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[hi] as number) - a);
}

export interface BootstrapOptions {
  /** Bootstrap resamples B. */
  resamples: number;
  /** Coverage of the interval, e.g. 0.95. */
  confidence: number;
  /** Seed of the resampling stream. */
  seed: number;
}

/**
 * Percentile bootstrap of the mean: B resamples of n values drawn with replacement, interval =
 * quantiles (1 − c)/2 and (1 + c)/2 of the B resample means; estimate = the sample mean. The same
 * seed and n draw the same resample indices, so samples of one set of episodes are resampled in pairs.
 */
export function bootstrapMeanCi(xs: ArrayLike<number>, options: BootstrapOptions): Interval {
  checkSample(xs, 'sample');
  checkConfidence(options.confidence);
  const B = options.resamples;
  if (!Number.isInteger(B) || B < 1)
    throw invalid(`bootstrap resamples must be a positive integer; got ${B}`);
  const n = xs.length;
  const rng = createRng(options.seed, BOOTSTRAP_STREAM);
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xs[rng.int(n)] as number;
    means[b] = sum / n;
  }
  means.sort();
  const tail = (1 - options.confidence) / 2;
  return { estimate: mean(xs), low: quantileSorted(means, tail), high: quantileSorted(means, 1 - tail) };
}

/**
 * Standard normal quantile Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2e-9):
 * central region |p − ½| ≤ 0.475 a rational function of (p − ½)², tails a rational function of √(−2 ln p).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw invalid(`normalQuantile needs p in (0, 1); got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * Wilson score interval of a proportion k/n: (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n),
 * z = Φ⁻¹((1 + c)/2). Unlike the bootstrap, it keeps a non-zero width at 0/n and n/n.
 */
export function wilsonInterval(successes: number, n: number, confidence: number): Interval {
  checkConfidence(confidence);
  if (!Number.isInteger(n) || n < 1) throw invalid(`wilsonInterval needs n ≥ 1 trials; got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw invalid(`wilsonInterval needs 0 ≤ successes ≤ n = ${n}; got ${successes}`);
  }
  const z = normalQuantile((1 + confidence) / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
