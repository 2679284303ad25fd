import { availableParallelism } from 'node:os';
import type { AbsHistogram } from './abs-percentile';
import { missingFunctions, probeAddon } from '../native/addon';
import { nativeDeltaReads, type RawChunk } from './native-delta';
import type { SafetensorsDtype } from './formats/safetensors-header';

/**
 * The heatmap pass in C (heatmapPass and absInRange in native/blas/src/heatmap_pass.c): over the raw
 * little-endian bytes of A and B (or of one side) in their stored dtype, each chunk's rows split among
 * the machine's cores. It gives bit for bit what the JS kernel of heatmap-pass.ts gives (tests run
 * both). Without the built addon (or after `setNativeHeatmap(false)`) callers keep the JS kernel.
 */

const DTYPE_CODES: Partial<Record<SafetensorsDtype, number>> = { F32: 0, F16: 1, BF16: 2 };

interface HeatmapAddon {
  heatmapPass(
    a: Uint8Array,
    dtypeA: number,
    b: Uint8Array,
    dtypeB: number,
    cols: number,
    factor: number,
    pooled: Float32Array,
    counts: Uint32Array,
    stats: Float64Array,
    threads: number,
    window: Float64Array,
    collected: Float32Array,
  ): void;
  absInRange(
    a: Uint8Array,
    dtypeA: number,
    b: Uint8Array,
    dtypeB: number,
    low: number,
    high: number,
    out: Float32Array,
  ): number;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
let loaded: HeatmapAddon | null | undefined;
let enabled = true;

function addon(): HeatmapAddon | null {
  if (!enabled) return null;
  if (loaded !== undefined) return loaded;
  loaded = null;
  // The kernels read little-endian bytes; an addon built before heatmapPass existed: the JS kernel.
  const probe = LITTLE_ENDIAN_HOST ? probeAddon() : null;
  if (probe?.ok === true && missingFunctions(probe.exports, ['heatmapPass', 'absInRange']).length === 0)
    loaded = probe.exports as unknown as HeatmapAddon;
  return loaded;
}

/** Whether heatmap passes run in C. */
export function nativeHeatmapAvailable(): boolean {
  return addon() !== null;
}

/** Switches the native heatmap pass off or back on (tests compare both kernels); returns whether it is in use. */
export function setNativeHeatmap(on: boolean): boolean {
  enabled = on;
  return nativeHeatmapAvailable();
}

/** Raw chunks of a heatmap pass: B's, and A's for a Δ (null when the values are B's own). */
export interface RawPair {
  a: RawChunk | null;
  b: RawChunk;
}

/** Whether the native pass reads chunks of these dtypes. */
export function nativeHeatmapReads(...dtypes: SafetensorsDtype[]): boolean {
  return dtypes.every(nativeDeltaReads);
}

const NO_BYTES = new Uint8Array(0);
/** Threads per pass: the cores there are, at most 8. */
const THREADS = Math.max(1, Math.min(8, availableParallelism()));

function args(pair: RawPair): [Uint8Array, number, Uint8Array, number] {
  const code = (chunk: RawChunk): number => {
    const found = DTYPE_CODES[chunk.dtype];
    if (found === undefined) throw new RangeError(`the native heatmap pass does not read ${chunk.dtype}`);
    return found;
  };
  return [pair.a?.bytes ?? NO_BYTES, pair.a === null ? 0 : code(pair.a), pair.b.bytes, code(pair.b)];
}

function required(): HeatmapAddon {
  const found = addon();
  if (found === null)
    throw new RangeError('the native heatmap pass is not available (check nativeHeatmapAvailable)');
  return found;
}

/** Values of a pass to collect: the |v| whose float32 pattern is in [low, high), into `out`. */
export interface CollectWindow {
  low: number;
  high: number;
  out: Float32Array;
}

const NO_WINDOW = { low: 0, high: 0, out: new Float32Array(0) };

/**
 * Whole rows of `cols` values (the first a multiple of `factor`) added to `histogram` and pooled at
 * `factor` into `pooled` (⌈rows/F⌉ × ⌈cols/F⌉ cells): addToAbsHistogram + poolMatrix, in C. The |v|
 * in `window` are written to its `out` in element order: how many, and whether some did not fit
 * (each thread has an equal share of `out`).
 */
export function nativeHeatmapRows(
  pair: RawPair,
  cols: number,
  factor: number,
  pooled: Float32Array,
  histogram: AbsHistogram,
  window: CollectWindow = NO_WINDOW,
): { written: number; overflow: boolean } {
  const stats = new Float64Array([histogram.zeros, histogram.nonFinite, histogram.maxBits, 0, 0]);
  const bounds = new Float64Array([window.low, window.high]);
  required().heatmapPass(
    ...args(pair),
    cols,
    factor,
    pooled,
    histogram.counts,
    stats,
    THREADS,
    bounds,
    window.out,
  );
  histogram.zeros = stats[0]!;
  histogram.nonFinite = stats[1]!;
  histogram.maxBits = stats[2]!;
  return { written: stats[3]!, overflow: stats[4]! !== 0 };
}

/** The |v| whose float32 pattern is in [low, high), written to `out` from its start; returns how many there are. */
export function nativeAbsInRange(pair: RawPair, low: number, high: number, out: Float32Array): number {
  return required().absInRange(...args(pair), low, high, out);
}
