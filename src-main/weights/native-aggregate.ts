import { addonFunctions, missingFunctions, probeAddon } from '../native/addon';
import type { Rng } from '../shared/random';

/**
 * The elementwise aggregators' loops in C (native/blas/src/aggregate.c, part of the `deltascope_blas`
 * addon): mean and mean-abs, median, and DARE's drop-and-rescale with its masks drawn in C from the
 * same xoshiro128** streams as shared/random.ts's Rng (the state is handed over and written back, so
 * the next draw in JS continues the stream). Results are bit for bit the JS loops'
 * (aggregate-elementwise.ts, aggregate-dare.ts; tests run both). Without the addon, or with
 * `DELTASCOPE_NATIVE_AGGREGATE=off`, the JS loops run.
 */

/**
 * `inputs` are the deltas when `base` is null; with a base, checkpoints θᵢ whose deltas θᵢ − θ_base
 * the kernel takes as it reads them, and with `merge` it writes θ_base + m instead of m.
 */
interface AggregateAddon {
  aggregateMean(
    inputs: Float32Array[],
    absolute: boolean,
    base: Float32Array | null,
    merge: boolean,
    out: Float32Array,
  ): void;
  aggregateMedian(inputs: Float32Array[], base: Float32Array | null, merge: boolean, out: Float32Array): void;
  dareChunk(
    inputs: Float32Array[],
    states: Uint32Array,
    p: number,
    rescale: number,
    divisor: number,
    base: Float32Array | null,
    merge: boolean,
    out: Float32Array,
  ): void;
}

/** θ_base of a run whose inputs are checkpoints, not deltas; `merge`: write θ_base + m. */
export interface NativeBase {
  base: Float32Array;
  merge: boolean;
}

const AGGREGATE_FUNCTIONS = [
  'aggregateMean',
  'aggregateMedian',
  'dareChunk',
] as const satisfies readonly (keyof AggregateAddon)[];
let loaded: AggregateAddon | null | undefined;
let enabled = true;

/**
 * The kernels in use, or null (no addon, switched off, or an addon built before them). A plain
 * object: tests spy on it to see that the aggregators call it.
 */
export function aggregateKernels(): AggregateAddon | null {
  if (!enabled) return null;
  const setting = process.env.DELTASCOPE_NATIVE_AGGREGATE ?? '';
  if (setting === 'off' || setting === '0') return null;
  if (loaded !== undefined) return loaded;
  loaded = null;
  const probe = probeAddon();
  if (probe.ok && missingFunctions(probe.exports, AGGREGATE_FUNCTIONS).length === 0)
    loaded = addonFunctions<AggregateAddon>(probe, AGGREGATE_FUNCTIONS);
  return loaded;
}

/** Whether the elementwise aggregators run their loops in C. */
export function nativeAggregateAvailable(): boolean {
  return aggregateKernels() !== null;
}

/** Switches the native loops off or back on (tests compare both); returns whether they are in use. */
export function setNativeAggregate(on: boolean): boolean {
  enabled = on;
  return nativeAggregateAvailable();
}

/**
 * out[j] = (1/n) Σᵢ Δᵢ[j] (of |Δᵢ[j]| when `absolute`); with `from`, the deltas are θᵢ − θ_base of
 * the given checkpoints (see NativeBase). False, doing nothing, without the addon.
 */
export function nativeMean(
  deltas: readonly Float32Array[],
  absolute: boolean,
  out: Float32Array,
  from: NativeBase | null = null,
): boolean {
  const kernels = aggregateKernels();
  if (kernels === null) return false;
  kernels.aggregateMean([...deltas], absolute, from?.base ?? null, from?.merge ?? false, out);
  return true;
}

/** out[j] = median over i of Δᵢ[j] (medianOfDeltas; `from` as nativeMean); false without the addon. */
export function nativeMedian(
  deltas: readonly Float32Array[],
  out: Float32Array,
  from: NativeBase | null = null,
): boolean {
  const kernels = aggregateKernels();
  if (kernels === null) return false;
  kernels.aggregateMedian([...deltas], from?.base ?? null, from?.merge ?? false, out);
  return true;
}

/**
 * One run of DARE (dareChunk): rngs[i] is delta i's mask stream at the run's first element, left
 * past the run as the JS loop leaves it; `from` as nativeMean. False, doing nothing, without the addon.
 */
export function nativeDare(
  deltas: readonly Float32Array[],
  rngs: readonly Rng[],
  p: number,
  rescale: number,
  divisor: number,
  out: Float32Array,
  from: NativeBase | null = null,
): boolean {
  const kernels = aggregateKernels();
  if (kernels === null) return false;
  const states = new Uint32Array(4 * rngs.length);
  rngs.forEach((rng, i) => states.set(rng.getState().s, 4 * i));
  kernels.dareChunk([...deltas], states, p, rescale, divisor, from?.base ?? null, from?.merge ?? false, out);
  rngs.forEach((rng, i) => {
    const [s0, s1, s2, s3] = states.subarray(4 * i, 4 * i + 4);
    rng.setState({ s: [s0!, s1!, s2!, s3!] });
  });
  return true;
}
