import { DeltascopeError } from '../shared/errors';
import { formatShape } from './tensor-map';
import { chunkRanges, type SourceTensor, type TensorSource } from './tensor-source';

/** Elements decoded per read: 4 MiB of float32 per side. */
const DELTA_CHUNK = 1 << 20;

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
 * A reader of Δ's elements: `fill(start, out)` writes Δ[start, start + out.length) into `out`
 * (A decoded into it, B into a scratch array that grows to the largest chunk asked for).
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
  let scratch = new Float32Array(0);
  return (start, out) => {
    if (scratch.length < out.length) scratch = new Float32Array(out.length);
    const fromB = scratch.subarray(0, out.length);
    a.read(ta.name, start, out);
    b.read(tb.name, start, fromB);
    for (let i = 0; i < out.length; i++) out[i] = fromB[i]! - out[i]!;
  };
}
