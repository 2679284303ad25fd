import { DeltascopeError } from '../shared/errors';
import { addToAbsHistogram, emptyAbsHistogram, type AbsHistogram } from './abs-percentile';
import { DTYPE_BYTES } from './formats/dtype-codec';
import { levelSize, matrixShape, poolMatrix, type HeatmapMatrix } from './heatmap-tiles';
import {
  nativeAbsInRange,
  nativeHeatmapAvailable,
  nativeHeatmapReads,
  nativeHeatmapRows,
  type RawPair,
} from './native-heatmap';
import { deltaFill } from './tensor-delta';
import type { SourceTensor, TensorSource } from './tensor-source';

/**
 * The passes of a large tensor's heatmap, over its values read a chunk of whole rows at a time from
 * a source (a model file or folder, a stored checkpoint), never held whole: one pass pools the
 * tensor at a chosen level and fills the |v| histogram of its colour scale; another collects the
 * values of one histogram bin (an exact percentile); a region read gives the cells of a tile below
 * that level. Each runs in C over the stored bytes when the addon is built and both sources give
 * raw F32/F16/BF16 chunks (native-heatmap.ts), else in JS over decoded float32 chunks: the same
 * result either way.
 */

/** A tensor's values (Δ = B − A, or one side) in its row-major heatmap layout. */
export interface HeatmapReader {
  readonly shape: readonly number[];
  /** Writes elements [start, start + out.length) as float32 into `out`. */
  fill(start: number, out: Float32Array): void;
  /** The stored bytes of elements [start, start + count), or null when the native pass cannot read them. */
  raw: ((start: number, count: number) => RawPair) | null;
}

/** Raw reads of one tensor into a scratch buffer of its own (grown as needed). */
function rawReader(
  source: TensorSource,
  tensor: SourceTensor,
): ((start: number, count: number) => RawPair['b']) | null {
  const readRaw = source.readRaw?.bind(source);
  if (readRaw === undefined || !nativeHeatmapReads(tensor.dtype)) return null;
  let scratch = new Uint8Array(0);
  return (start, count) => {
    const bytes = count * DTYPE_BYTES[tensor.dtype];
    if (scratch.length < bytes) scratch = new Uint8Array(bytes);
    return { dtype: tensor.dtype, bytes: readRaw(tensor.name, start, count, scratch) };
  };
}

/** One side's tensor as itself. */
export function tensorReader(source: TensorSource, tensor: SourceTensor): HeatmapReader {
  const raw = rawReader(source, tensor);
  return {
    shape: tensor.shape,
    fill: (start, out) => source.read(tensor.name, start, out),
    raw: raw === null ? null : (start, count) => ({ a: null, b: raw(start, count) }),
  };
}

/** Δ = B − A of one tensor (SHAPE_MISMATCH when the shapes differ). */
export function deltaReader(
  a: TensorSource,
  b: TensorSource,
  ta: SourceTensor,
  tb: SourceTensor,
): HeatmapReader {
  const fill = deltaFill(a, b, ta, tb);
  const rawA = rawReader(a, ta);
  const rawB = rawReader(b, tb);
  return {
    shape: ta.shape,
    fill,
    raw:
      rawA === null || rawB === null
        ? null
        : (start, count) => ({ a: rawA(start, count), b: rawB(start, count) }),
  };
}

/** Elements per chunk of a pass (rounded to whole row groups): 8 MiB of BF16 per side. */
const PASS_CHUNK = 1 << 22;
/** The first chunk of a pass that predicts a window is this many times smaller. */
const FIRST_CHUNK_SHARE = 16;

function checkRowMajor(reader: HeatmapReader): { rows: number; cols: number } {
  const { rows, cols, layout } = matrixShape(reader.shape);
  if (layout === 'conv-mosaic') {
    throw new DeltascopeError(
      'INTERNAL',
      'a conv kernel is laid out as a mosaic: it is read whole, not in row passes',
    );
  }
  return { rows, cols };
}

/** Whether passes over this reader run in C. */
function native(reader: HeatmapReader): reader is HeatmapReader & { raw: NonNullable<HeatmapReader['raw']> } {
  return reader.raw !== null && nativeHeatmapAvailable();
}

/** Which values a pooling pass also collects: the |v| whose float32 pattern is in [low, high), at most `capacity`. */
export interface PassWindow {
  low: number;
  high: number;
  capacity: number;
}

export interface PassOptions {
  chunkElements?: number;
  /**
   * Called once, after the first chunk, with the histogram so far and how many elements it holds:
   * the window of values to collect from every element (the bin a percentile will likely fall in),
   * or null for none.
   */
  window?: (partial: AbsHistogram, seen: number) => PassWindow | null;
}

export interface PassResult {
  pooled: HeatmapMatrix;
  histogram: AbsHistogram;
  /** The collected |v| of the window, in element order; null when none was asked or they did not fit. */
  collected: { low: number; high: number; values: Float32Array } | null;
}

/** |v| of `chunk` in [low, high) appended to `out` from `at`; returns the new count (counting past the end). */
function collectJs(chunk: Float32Array, low: number, high: number, out: Float32Array, at: number): number {
  const bits = new Int32Array(chunk.buffer, chunk.byteOffset, chunk.length);
  let found = at;
  for (let i = 0; i < chunk.length; i++) {
    const u = bits[i]! & 0x7fffffff;
    if (u >= low && u < high) {
      if (found < out.length) out[found] = Math.abs(chunk[i]!);
      found++;
    }
  }
  return found;
}

/**
 * One pass: the matrix pooled at `level` (each cell the element of largest |v| of its 2^L × 2^L
 * block, as poolMatrix), the |v| histogram of every element and, if asked, the values of a window.
 */
export function poolingPass(reader: HeatmapReader, level: number, options: PassOptions = {}): PassResult {
  const { rows, cols } = checkRowMajor(reader);
  const { layout } = matrixShape(reader.shape);
  const size = levelSize({ rows, cols }, level);
  const factor = 2 ** level;
  const pooled = new Float32Array(size.rows * size.cols);
  const histogram = emptyAbsHistogram();
  const chunkElements = options.chunkElements ?? PASS_CHUNK;
  const rowsIn = (elements: number) =>
    factor * Math.max(1, Math.floor(elements / Math.max(1, cols * factor)));
  const chunkRows = rowsIn(chunkElements);
  // A window is predicted from a first chunk a sixteenth of the others (its values are then
  // collected in a pass of their own).
  const firstRows = options.window === undefined ? chunkRows : rowsIn(chunkElements / FIRST_CHUNK_SHARE);
  const useNative = native(reader);
  let values = new Float32Array(0);
  let window: PassWindow | null = null;
  let collected = new Float32Array(0);
  let found = 0;
  for (let r0 = 0, n = 0; r0 < rows && cols > 0; r0 += n) {
    n = Math.min(r0 === 0 ? firstRows : chunkRows, rows - r0);
    const out = pooled.subarray((r0 / factor) * size.cols, Math.ceil((r0 + n) / factor) * size.cols);
    const collecting = window !== null && found <= collected.length;
    if (useNative) {
      const pair = reader.raw(r0 * cols, n * cols);
      if (collecting) {
        const rest = collected.subarray(found);
        const done = nativeHeatmapRows(pair, cols, factor, out, histogram, { ...window!, out: rest });
        found += done.overflow ? rest.length + 1 : done.written;
      } else nativeHeatmapRows(pair, cols, factor, out, histogram);
      if (r0 === 0 && options.window !== undefined) {
        window = options.window(histogram, n * cols);
        if (window !== null) {
          collected = new Float32Array(window.capacity);
          found = nativeAbsInRange(pair, window.low, window.high, collected);
        }
      }
      continue;
    }
    if (values.length < n * cols) values = new Float32Array(n * cols);
    const chunk = values.subarray(0, n * cols);
    reader.fill(r0 * cols, chunk);
    addToAbsHistogram(chunk, 0, chunk.length, histogram);
    out.set(poolMatrix({ rows: n, cols, layout, data: chunk }, level).data);
    if (collecting) found = collectJs(chunk, window!.low, window!.high, collected, found);
    if (r0 === 0 && options.window !== undefined) {
      window = options.window(histogram, n * cols);
      if (window !== null) {
        collected = new Float32Array(window.capacity);
        found = collectJs(chunk, window.low, window.high, collected, 0);
      }
    }
  }
  return {
    pooled: { rows: size.rows, cols: size.cols, layout, data: pooled },
    histogram,
    collected:
      window === null || found > collected.length
        ? null
        : { low: window.low, high: window.high, values: collected.subarray(0, found) },
  };
}

/** The |v| of every element whose float32 pattern (sign cleared) is in [low, high); `expected` of them. */
export function absInRange(
  reader: HeatmapReader,
  low: number,
  high: number,
  expected: number,
  chunkElements = PASS_CHUNK,
): Float32Array {
  const total = reader.shape.reduce((x, y) => x * y, 1);
  const out = new Float32Array(expected);
  let found = 0;
  let values = new Float32Array(0);
  for (let start = 0; start < total; start += chunkElements) {
    const n = Math.min(chunkElements, total - start);
    if (native(reader)) {
      found += nativeAbsInRange(reader.raw(start, n), low, high, out.subarray(Math.min(found, expected)));
      continue;
    }
    if (values.length < n) values = new Float32Array(n);
    const chunk = values.subarray(0, n);
    reader.fill(start, chunk);
    const bits = new Int32Array(chunk.buffer, chunk.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const u = bits[i]! & 0x7fffffff;
      if (u >= low && u < high) {
        if (found < expected) out[found] = Math.abs(chunk[i]!);
        found++;
      }
    }
  }
  if (found !== expected) {
    throw new DeltascopeError(
      'INTERNAL',
      `a second read found ${found} values in a histogram bin that held ${expected} (did the file change while open?)`,
    );
  }
  return out;
}

/** Matrix cells [row0, row0 + rows) × [col0, col0 + cols), read at full resolution. */
export function readRegion(
  reader: HeatmapReader,
  row0: number,
  rows: number,
  col0: number,
  cols: number,
): HeatmapMatrix {
  const matrix = checkRowMajor(reader);
  const { layout } = matrixShape(reader.shape);
  if (row0 < 0 || col0 < 0 || row0 + rows > matrix.rows || col0 + cols > matrix.cols) {
    throw new DeltascopeError(
      'INTERNAL',
      `region [${row0}, ${row0 + rows}) × [${col0}, ${col0 + cols}) is outside the ${matrix.rows}×${matrix.cols} matrix`,
    );
  }
  const data = new Float32Array(rows * cols);
  if (cols === matrix.cols) reader.fill(row0 * matrix.cols, data);
  else
    for (let r = 0; r < rows; r++)
      reader.fill((row0 + r) * matrix.cols + col0, data.subarray(r * cols, (r + 1) * cols));
  return { rows, cols, layout, data };
}
