import type { PooledEffect } from '../shared/contract-protocol';
import { DeltascopeError } from '../shared/errors';
import { createRng } from '../shared/random';
import { quantileSorted } from './stats';

/**
 * Pooling an effect over R independent replications (each its own pretrain, fine-tunes and nulls),
 * so that an interval covers training noise as well as episode noise. Input: per replication, the
 * per-episode values of the effect (e.g. paired differences xₑ − yₑ on shared held-out episodes).
 * - R ≥ 5: t-interval over the R per-replication means, m̄ ± t_{R−1,(1+c)/2} · s/√R.
 * - R < 5: hierarchical percentile bootstrap: resample R replications with replacement, then each
 *   drawn replication's episodes with replacement; the statistic is the mean of the R resampled means.
 * - R < 3: same interval, but `replicated: false` — statements call it "not replicated", never a finding.
 * Every random step is seeded: the same inputs and seed give the same interval.
 */

/** Replications below which a pooled effect is "not replicated". */
export const MIN_REPLICATIONS = 3;
/** Replications from which the t-interval over per-replication effects is used. */
export const T_INTERVAL_REPLICATIONS = 5;
/** Random-stream id of the hierarchical bootstrap. */
export const HIERARCHICAL_STREAM = 0x4b1e;

export interface PoolingOptions {
  resamples: number;
  confidence: number;
  seed: number;
}

function invalid(message: string): DeltascopeError {
  return new DeltascopeError('INVALID_SPEC', message);
}

/** ln Γ(x), Lanczos (g = 7, n = 9), x > 0. */
function logGamma(x: number): number {
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularized incomplete beta (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    c = 1 + aa / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    c = 1 + aa / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Student-t CDF with ν degrees of freedom: 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0, symmetric. */
export function studentTCdf(t: number, nu: number): number {
  const tail = 0.5 * incompleteBeta(nu / (nu + t * t), nu / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Student-t quantile: the t with CDF p, by bisection on the CDF (|error| < 1e-10). */
export function studentTQuantile(p: number, nu: number): number {
  if (!(p > 0 && p < 1)) throw invalid(`studentTQuantile needs p in (0, 1); got ${p}`);
  if (!(nu > 0)) throw invalid(`studentTQuantile needs ν > 0 degrees of freedom; got ${nu}`);
  if (p < 0.5) return -studentTQuantile(1 - p, nu);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, nu) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, nu) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function meanOf(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

function checkReplications(replications: readonly (readonly number[])[]): void {
  if (replications.length === 0) throw invalid('pooled effect: no replications');
  replications.forEach((xs, r) => {
    if (xs.length === 0) throw invalid(`pooled effect: replication ${r} has no episodes`);
    xs.forEach((x, e) => {
      if (!Number.isFinite(x))
        throw invalid(`pooled effect: replication ${r}, episode ${e} = ${String(x)} is not finite`);
    });
  });
}

/** Hierarchical percentile bootstrap of the mean of per-replication means (replications, then episodes). */
export function hierarchicalBootstrapCi(
  replications: readonly (readonly number[])[],
  options: PoolingOptions,
): { estimate: number; low: number; high: number } {
  checkReplications(replications);
  const B = options.resamples;
  if (!Number.isInteger(B) || B < 1)
    throw invalid(`bootstrap resamples must be a positive integer; got ${B}`);
  if (!(options.confidence > 0 && options.confidence < 1))
    throw invalid(`confidence must lie strictly between 0 and 1; got ${options.confidence}`);
  const R = replications.length;
  const rng = createRng(options.seed, HIERARCHICAL_STREAM);
  const stats = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let total = 0;
    for (let r = 0; r < R; r++) {
      const xs = replications[rng.int(R)]!;
      let sum = 0;
      for (let e = 0; e < xs.length; e++) sum += xs[rng.int(xs.length)]!;
      total += sum / xs.length;
    }
    stats[b] = total / R;
  }
  stats.sort();
  const tail = (1 - options.confidence) / 2;
  return {
    estimate: meanOf(replications.map(meanOf)),
    low: quantileSorted(stats, tail),
    high: quantileSorted(stats, 1 - tail),
  };
}

/** t-interval over per-replication effects: m̄ ± t_{R−1,(1+c)/2} · s/√R (R ≥ 2). */
export function tIntervalOverReplications(
  effects: readonly number[],
  confidence: number,
): { estimate: number; low: number; high: number } {
  const R = effects.length;
  if (R < 2) throw invalid(`a t-interval needs at least 2 replications; got ${R}`);
  const m = meanOf(effects);
  const sd = Math.sqrt(effects.reduce((s, x) => s + (x - m) ** 2, 0) / (R - 1));
  const half = (studentTQuantile((1 + confidence) / 2, R - 1) * sd) / Math.sqrt(R);
  return { estimate: m, low: m - half, high: m + half };
}

/** The pooled effect over replications, saying which method made its interval and whether it is replicated. */
export function pooledEffect(
  replications: readonly (readonly number[])[],
  options: PoolingOptions,
): PooledEffect {
  checkReplications(replications);
  const perReplication = replications.map(meanOf);
  const R = replications.length;
  const useT = R >= T_INTERVAL_REPLICATIONS;
  const ci = useT
    ? tIntervalOverReplications(perReplication, options.confidence)
    : hierarchicalBootstrapCi(replications, options);
  return {
    method: useT ? 't-interval' : 'hierarchical-bootstrap',
    replications: R,
    replicated: R >= MIN_REPLICATIONS,
    estimate: ci.estimate,
    low: ci.low,
    high: ci.high,
    perReplication,
  };
}
