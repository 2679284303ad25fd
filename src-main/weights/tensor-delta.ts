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
  if (formatShape(ta.shape) !== formatShape(tb.shape)) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `tensor \`${ta.name}\`: ${a.label} has ${formatShape(ta.shape)}, ${b.label} has ${formatShape(tb.shape)}`,
    );
  }
  const out = new Float32Array(ta.count);
  const scratch = new Float32Array(Math.min(Math.max(1, chunk), Math.max(1, ta.count)));
  for (const [start, end] of chunkRanges(ta.count, chunk)) {
    const delta = out.subarray(start, end);
    const fromB = scratch.subarray(0, end - start);
    a.read(ta.name, start, delta);
    b.read(tb.name, start, fromB);
    for (let i = 0; i < delta.length; i++) delta[i] = fromB[i]! - delta[i]!;
  }
  return out;
}
