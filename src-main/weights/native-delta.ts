import { probeAddon } from '../native/addon';
import { DeltascopeError } from '../shared/errors';
import { createHistogram, mergeHistogram, type HistogramAccumulator } from './delta-histogram';
import { createPassSums } from './delta-kernel';
import { mergePass, type DeltaAccumulator } from './delta-stats';
import { invalidFile } from './formats/decode';
import type { SafetensorsDtype } from './formats/safetensors-header';
import type { RawFileRange } from './tensor-source';

/**
 * The diff statistics' fused pass in C (deltaPass in native/blas/src/delta_stats.c, part of the
 * `deltascope_blas` addon that `npm install` builds when a C compiler is present). It reads the raw
 * little-endian bytes of both chunks in their stored dtype (F32, F16, BF16), so a streamed diff
 * neither decodes chunks to float32 nor runs the pass in JS, and it gives bit for bit what
 * accumulateDelta gives on the decoded chunks (tests run both). The pass needs no BLAS library; when
 * the addon is not built (or `DELTASCOPE_NATIVE_DELTA=off`) callers keep the JS kernel.
 */

/** Dtype codes of deltaPass. */
const DTYPE_CODES: Partial<Record<SafetensorsDtype, number>> = { F32: 0, F16: 1, BF16: 2 };

interface DeltaAddon {
  deltaPass(
    a: Uint8Array,
    dtypeA: number,
    b: Uint8Array,
    dtypeB: number,
    epsilon: number,
    sums: Float64Array,
    fine: Float64Array,
    range: number,
  ): number;
  /** deltaPass on a thread of its own; the arrays must stay untouched until deltaPassFinish. */
  deltaPassStart(...args: Parameters<DeltaAddon['deltaPass']>): object;
  /** Waits for the pass; returns the range (the sums are in the `sums` given to deltaPassStart). */
  deltaPassFinish(handle: object): number;
  /**
   * deltaPassStart over `count` elements at byte `position` of two open files, which the pass's
   * thread maps (POSIX builds only; finished by deltaPassFinish).
   */
  deltaPassFilesStart?(
    fdA: number,
    positionA: number,
    dtypeA: number,
    fdB: number,
    positionB: number,
    dtypeB: number,
    count: number,
    epsilon: number,
    sums: Float64Array,
    fine: Float64Array,
    range: number,
  ): object;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let loaded: DeltaAddon | null | undefined;
let enabled = true;
let mapping = true;

function loadAddon(): DeltaAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const setting = process.env.DELTASCOPE_NATIVE_DELTA ?? '';
  if (setting === 'off' || setting === '0' || !LITTLE_ENDIAN_HOST) return loaded;
  const probe = probeAddon();
  if (!probe.ok) return loaded;
  const { deltaPass, deltaPassStart, deltaPassFinish, deltaPassFilesStart } =
    probe.exports as Partial<DeltaAddon>;
  // An addon built from sources older than deltaPass: keep the JS kernel.
  if (
    typeof deltaPass === 'function' &&
    typeof deltaPassStart === 'function' &&
    typeof deltaPassFinish === 'function'
  )
    loaded = { deltaPass, deltaPassStart, deltaPassFinish, deltaPassFilesStart };
  return loaded;
}

/** Whether streamed diffs use the native pass (the addon is built and it is not switched off). */
export function nativeDeltaAvailable(): boolean {
  return enabled && loadAddon() !== null;
}

/** Switches the native pass off or back on (tests compare both paths); returns whether it is in use. */
export function setNativeDelta(on: boolean): boolean {
  enabled = on;
  return nativeDeltaAvailable();
}

/**
 * Whether streamed diffs may hand the native pass file ranges to map (startFileDelta) instead of
 * chunks read into buffers: the addon has deltaPassFilesStart (POSIX builds), and neither
 * setNativeDeltaMapping(false) nor `DELTASCOPE_NATIVE_DELTA_MAP=off` turned it off.
 */
export function nativeDeltaMaps(): boolean {
  const setting = process.env.DELTASCOPE_NATIVE_DELTA_MAP ?? '';
  return (
    mapping &&
    setting !== 'off' &&
    setting !== '0' &&
    nativeDeltaAvailable() &&
    loaded?.deltaPassFilesStart !== undefined
  );
}

/** Switches the mapped reads of startFileDelta off or back on (tests compare both); returns nativeDeltaMaps(). */
export function setNativeDeltaMapping(on: boolean): boolean {
  mapping = on;
  return nativeDeltaMaps();
}

/** Whether deltaPass reads this dtype (F64 is decoded to float32 and takes the JS kernel). */
export function nativeDeltaReads(dtype: SafetensorsDtype): boolean {
  return DTYPE_CODES[dtype] !== undefined;
}

/** Raw little-endian bytes of a chunk in its stored dtype. */
export interface RawChunk {
  dtype: SafetensorsDtype;
  bytes: Uint8Array;
}

/** The addon and both dtype codes, after checking that the chunks hold as many elements. */
function checked(
  a: RawChunk,
  b: RawChunk,
): { addon: DeltaAddon; codeA: number; codeB: number; count: number } {
  const addon = enabled ? loadAddon() : null;
  const codeA = DTYPE_CODES[a.dtype];
  const codeB = DTYPE_CODES[b.dtype];
  if (addon === null || codeA === undefined || codeB === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `the native diff pass is not available for ${a.dtype} − ${b.dtype} (addon not built or switched off)`,
    );
  }
  const count = a.bytes.length / (codeA === 0 ? 4 : 2);
  const countB = b.bytes.length / (codeB === 0 ? 4 : 2);
  if (countB !== count) {
    throw new DeltascopeError('SHAPE_MISMATCH', `A has ${count} elements but B has ${countB}`);
  }
  return { addon, codeA, codeB, count };
}

/**
 * accumulateDelta(acc, decode(a), decode(b)) computed by the native pass on the raw chunks. Throws
 * when the addon is not available (check nativeDeltaAvailable first).
 */
export function accumulateRawDelta(acc: DeltaAccumulator, a: RawChunk, b: RawChunk): void {
  const { addon, codeA, codeB, count } = checked(a, b);
  const sums = createPassSums(acc.maxAbs);
  const hist = acc.histogram;
  hist.range = addon.deltaPass(a.bytes, codeA, b.bytes, codeB, acc.epsilon, sums, hist.fine, hist.range);
  mergePass(acc, sums, count);
}

/** A pass started by startRawDelta; `finish` waits for it and merges it into the accumulator. */
export interface PendingPass {
  /** Elements in the pass. */
  readonly count: number;
  finish(acc: DeltaAccumulator): void;
}

/** Passes shorter than this run at once on the calling thread (a thread costs tens of µs). */
const THREAD_MIN_ELEMENTS = 1 << 16;

/**
 * Starts the native pass over two raw chunks on a thread of its own (short ones run at once), into
 * sums and a histogram of its own; `finish(acc)` merges them. Passes finished in the order they
 * were started give bit for bit what accumulateRawDelta (and accumulateDelta) give one after the
 * other: each pass's sums start from zero either way, max|Δ| is a max, and histogram counts are
 * integers that re-bin exactly (delta-histogram.ts). The chunks' bytes must stay untouched until
 * `finish`.
 */
export function startRawDelta(acc: DeltaAccumulator, a: RawChunk, b: RawChunk): PendingPass {
  const { addon, codeA, codeB, count } = checked(a, b);
  const sums = createPassSums();
  const hist = createHistogram(acc.histogram.bins);
  const args = [a.bytes, codeA, b.bytes, codeB, acc.epsilon, sums, hist.fine, hist.range] as const;
  if (count < THREAD_MIN_ELEMENTS) {
    hist.range = addon.deltaPass(...args);
    return pendingPass(count, sums, hist, null);
  }
  const handle = addon.deltaPassStart(...args);
  return pendingPass(count, sums, hist, () => addon.deltaPassFinish(handle));
}

/**
 * A started pass: `finish(target)` waits for its native part (`wait`, which returns the histogram's
 * range; null when the pass already ran) and merges its sums and histogram into `target`, once.
 */
function pendingPass(
  count: number,
  sums: Float64Array,
  hist: HistogramAccumulator,
  wait: (() => number) | null,
): PendingPass {
  let finished = false;
  return {
    count,
    finish(target) {
      if (finished) return;
      finished = true;
      if (wait !== null) hist.range = wait();
      mergePass(target, sums, count);
      mergeHistogram(target.histogram, hist);
    },
  };
}

/** A chunk as its stored bytes' place in an open file (TensorSource.rawFileRange). */
export interface FileChunk {
  dtype: SafetensorsDtype;
  range: RawFileRange;
}

/**
 * startRawDelta over two chunks left in their files: the pass's thread maps each file range, runs
 * the pass over the mapped bytes (no copy out of the page cache) and unmaps them, with the same
 * result bit for bit as over the bytes read. The files must stay open until `finish`; one that
 * shrank meanwhile is an INVALID_FILE error from `finish`. Throws when nativeDeltaMaps() is false.
 */
export function startFileDelta(acc: DeltaAccumulator, a: FileChunk, b: FileChunk): PendingPass {
  const addon = nativeDeltaMaps() ? loaded! : null;
  const codeA = DTYPE_CODES[a.dtype];
  const codeB = DTYPE_CODES[b.dtype];
  if (addon?.deltaPassFilesStart === undefined || codeA === undefined || codeB === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `the native diff pass cannot map ${a.dtype} − ${b.dtype} chunks (addon not built, switched off, or not POSIX)`,
    );
  }
  const count = a.range.byteLength / (codeA === 0 ? 4 : 2);
  const countB = b.range.byteLength / (codeB === 0 ? 4 : 2);
  if (countB !== count) {
    throw new DeltascopeError('SHAPE_MISMATCH', `A has ${count} elements but B has ${countB}`);
  }
  const sums = createPassSums();
  const hist = createHistogram(acc.histogram.bins);
  const handle = addon.deltaPassFilesStart(
    a.range.fd,
    a.range.position,
    codeA,
    b.range.fd,
    b.range.position,
    codeB,
    count,
    acc.epsilon,
    sums,
    hist.fine,
    hist.range,
  );
  return pendingPass(count, sums, hist, () => {
    try {
      return addon.deltaPassFinish(handle);
    } catch (error) {
      const { message, code } = error as Error & { code?: string };
      // The addon throws DELTASCOPE_DELTA_FILE for a file it could not read (naming its side, A or
      // B); anything else (out of memory) is not the file's fault.
      if (code !== 'DELTASCOPE_DELTA_FILE')
        throw new DeltascopeError('INTERNAL', `the native diff pass failed: ${message}`);
      const files = a.range.file === b.range.file ? a.range.file : `A ${a.range.file}, B ${b.range.file}`;
      throw invalidFile(files, `a chunk could not be read: ${message}`);
    }
  });
}
