import { DeltascopeError } from '../shared/errors';
import { formatShape } from './tensor-map';
import { chunkRanges, type SourceTensor, type TensorSource } from './tensor-source';

/** Elements decoded per read: 4 MiB of float32 per side. */
const DELTA_CHUNK = 1 << 20;
/** Elements `deltaFill` decodes at once per side (256 KiB of float32: stays in cache). */
const FILL_PIECE = 1 << 16;

/**
 * Δ = B − A of one tensor read from two sources chunk by chunk: out[i] = fround(b[i] − a[i]), the
 * value `combineArrays([1, −1], [b, a])` gives, without holding A or B whole (A is decoded into the
 * output, B into one chunk of scratch). SHAPE_MISMATCH naming both shapes when they differ.
 */
export function readTensorDelta(
  a: TensorSource,
  b: TensorSource,
  ta: SourceTensor,
  tb: SourceTensor,
  chunk = DELTA_CHUNK,
): Float32Array {
  const fill = deltaFill(a, b, ta, tb);
  const out = new Float32Array(ta.count);
  for (const [start, end] of chunkRanges(ta.count, chunk)) fill(start, out.subarray(start, end));
  return out;
}

/**
 * A reader of Δ's elements: `fill(start, out)` writes Δ[start, start + out.length) into `out`.
 */
export function deltaFill(
  a: TensorSource,
  b: TensorSource,
  ta: SourceTensor,
  tb: SourceTensor,
): (start: number, out: Float32Array) => void {
  if (formatShape(ta.shape) !== formatShape(tb.shape)) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `tensor \`${ta.name}\`: ${a.label} has ${formatShape(ta.shape)}, ${b.label} has ${formatShape(tb.shape)}`,
    );
  }
  // A and B are decoded into two small scratch arrays (kept in cache) and Δ written once to `out`.
  let fromA = new Float32Array(0);
  let fromB = new Float32Array(0);
  return (start, out) => {
    for (let offset = 0; offset < out.length; offset += FILL_PIECE) {
      const n = Math.min(FILL_PIECE, out.length - offset);
      if (fromA.length < n) {
        fromA = new Float32Array(n);
        fromB = new Float32Array(n);
      }
      const pieceA = fromA.length === n ? fromA : fromA.subarray(0, n);
      const pieceB = fromB.length === n ? fromB : fromB.subarray(0, n);
      a.read(ta.name, start + offset, pieceA);
      b.read(tb.name, start + offset, pieceB);
      for (let i = 0; i < n; i++) out[offset + i] = pieceB[i]! - pieceA[i]!;
    }
  };
}
