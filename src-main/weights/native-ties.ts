import { addonFunctions, missingFunctions, probeAddon } from '../native/addon';
import type { TrimRule } from './aggregate-ties';

/**
 * TIES merging's hot loops in C (tiesTrim and tiesMerge in native/blas/src/ties.c, part of the
 * `deltascope_blas` addon): a delta's trim rule by a radix select on the bits of |v|, and the
 * elected-sign disjoint mean of a run of elements. Results are bit for bit the JS functions'
 * (aggregate-ties.ts, ties-stream.ts; tests run both). Also the two-term combination every
 * aggregation over sources is made of (a delta θ − θ_base, a merge θ_base + m: combineArrays in
 * arithmetic.ts). Without the addon, or with `DELTASCOPE_NATIVE_TIES=off`, the JS loops run.
 */

interface TiesAddon {
  tiesTrim(delta: Float32Array, keep: number, out: Float64Array): void;
  tiesMerge(
    deltas: Float32Array[],
    thresholds: Float64Array,
    ties: Float64Array,
    lambda: number,
    out: Float32Array,
  ): void;
  combine2(cx: number, x: Float32Array, cy: number, y: Float32Array, out: Float32Array): void;
  tiesHistogram(
    chunk: Float32Array,
    high: Float64Array,
    tallies: Float64Array,
    h: number,
    low: Float64Array | null,
  ): void;
}

const TIES_FUNCTIONS = [
  'tiesTrim',
  'tiesMerge',
  'combine2',
  'tiesHistogram',
] as const satisfies readonly (keyof TiesAddon)[];
let loaded: TiesAddon | null | undefined;
let enabled = true;

function addon(): TiesAddon | null {
  if (!enabled) return null;
  const setting = process.env.DELTASCOPE_NATIVE_TIES ?? '';
  if (setting === 'off' || setting === '0') return null;
  if (loaded !== undefined) return loaded;
  loaded = null;
  // (float32 arrays: no byte order to mind.) An addon built before the TIES kernels: the JS loops.
  const probe = probeAddon();
  if (probe.ok && missingFunctions(probe.exports, TIES_FUNCTIONS).length === 0)
    loaded = addonFunctions<TiesAddon>(probe, TIES_FUNCTIONS);
  return loaded;
}

/** Whether TIES runs its loops in C. */
export function nativeTiesAvailable(): boolean {
  return addon() !== null;
}

/** Switches the native TIES loops off or back on (tests compare both); returns whether they are in use. */
export function setNativeTies(on: boolean): boolean {
  enabled = on;
  return nativeTiesAvailable();
}

/** The trim rule of one delta (keep its `keep` largest |v|), or null without the addon. */
export function nativeTrimRule(delta: Float32Array, keep: number): TrimRule | null {
  const kernels = addon();
  if (kernels === null) return null;
  const out = new Float64Array(2);
  kernels.tiesTrim(delta, keep, out);
  return { threshold: out[0]!, tieBudget: out[1]! };
}

/**
 * The merge of one run of elements into `out` (deltas untouched); `ties[i]`, the threshold ties
 * delta i may still keep, is decremented as in tiesChunk. Returns false without the addon.
 */
export function nativeTiesMerge(
  deltas: readonly Float32Array[],
  rules: readonly TrimRule[],
  ties: number[],
  lambda: number,
  out: Float32Array,
): boolean {
  const kernels = addon();
  if (kernels === null) return false;
  const left = Float64Array.from(ties);
  kernels.tiesMerge(
    [...deltas],
    Float64Array.from(rules, (r) => r.threshold),
    left,
    lambda,
    out,
  );
  left.forEach((value, i) => (ties[i] = value));
  return true;
}

/** Below this many elements the JS loop is as fast as a call into the addon. */
const COMBINE_MIN_ELEMENTS = 1024;

/**
 * out[j] = cx·x[j] + cy·y[j] in float64, rounded to float32 (combineArrays' two-term loop; out may be
 * x or y). Returns false, doing nothing, without the addon or for short arrays.
 */
export function nativeCombine2(
  cx: number,
  x: Float32Array,
  cy: number,
  y: Float32Array,
  out: Float32Array,
): boolean {
  if (out.length < COMBINE_MIN_ELEMENTS) return false;
  const kernels = addon();
  if (kernels === null) return false;
  kernels.combine2(cx, x, cy, y, out);
  return true;
}

/**
 * One chunk of the streamed trim rule's passes (streamedTrimRules in ties-stream.ts): with `low`
 * null, |v|'s high 15 bits into `high` and the finite and infinite entries into tallies[0], [1];
 * with `low`, the low 16 bits of the |v| whose high bits are h. False (nothing done) without the
 * addon or for a short chunk.
 */
export function nativeTiesHistogram(
  chunk: Float32Array,
  high: Float64Array,
  tallies: Float64Array,
  h: number,
  low: Float64Array | null,
): boolean {
  if (chunk.length < COMBINE_MIN_ELEMENTS) return false;
  const kernels = addon();
  if (kernels === null) return false;
  kernels.tiesHistogram(chunk, high, tallies, h, low);
  return true;
}
