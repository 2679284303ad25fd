import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import type { TensorEntry } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';

/**
 * The on-disk layout of a checkpoint: every tensor's float32 elements concatenated (little-endian)
 * into one BLOB, and a manifest saying where each tensor sits. Pure functions over typed arrays.
 */

export interface TensorInput {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface PackedCheckpoint {
  manifest: TensorEntry[];
  blob: Buffer;
  sha256: string;
  paramCount: number;
}

const BYTES_PER_FLOAT = 4;

/** Float32Array bytes are written as-is, which is little-endian only on little-endian hosts. */
function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') {
    throw new DeltascopeError(
      'INTERNAL',
      'Deltascope stores float32 weights little-endian and runs only on little-endian machines.',
    );
  }
}

/** Checks names and shapes first, then lays the tensors out back to back: offset_i = 4·Σ_{j<i} n_j. */
export function packTensors(tensors: readonly TensorInput[]): PackedCheckpoint {
  const paramCount = checkTensors(tensors);
  const blob = Buffer.alloc(paramCount * BYTES_PER_FLOAT);
  const manifest: TensorEntry[] = [];
  let byteOffset = 0;
  for (const { name, shape, data } of tensors) {
    blob.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), byteOffset);
    manifest.push({ name, shape: [...shape], dtype: 'float32', byteOffset, byteLength: data.byteLength });
    byteOffset += data.byteLength;
  }
  return { manifest, blob, sha256: sha256Hex(blob), paramCount };
}

/** Checks names and shapes (INVALID_PAYLOAD / SHAPE_MISMATCH naming the tensor); returns Σ sizes. */
export function checkTensors(tensors: readonly TensorInput[]): number {
  assertLittleEndianHost();
  if (tensors.length === 0)
    throw new DeltascopeError('INVALID_PAYLOAD', 'A checkpoint needs at least one tensor.');
  const seen = new Set<string>();
  let paramCount = 0;
  for (const tensor of tensors) {
    checkTensor(tensor, seen);
    paramCount += tensor.data.length;
  }
  return paramCount;
}

function checkTensor(tensor: TensorInput, seen: Set<string>): void {
  const { name, shape, data } = tensor;
  if (typeof name !== 'string' || name.length === 0) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `Every tensor needs a non-empty name; got ${JSON.stringify(name)}.`,
    );
  }
  if (seen.has(name))
    throw new DeltascopeError('INVALID_PAYLOAD', `Tensor \`${name}\` appears twice in the checkpoint.`);
  seen.add(name);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `Tensor \`${name}\` has an invalid shape ${JSON.stringify(shape)}.`,
    );
  }
  if (!(data instanceof Float32Array)) {
    throw new DeltascopeError('INVALID_PAYLOAD', `Tensor \`${name}\` must hold a Float32Array.`);
  }
  const expected = shape.reduce((product, dim) => product * dim, 1);
  if (expected !== data.length) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `Tensor \`${name}\` has shape [${shape.join(',')}] (${expected} values) but holds ${data.length} values.`,
      { tensor: name, shape, length: data.length },
    );
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A Float32Array over the bytes; copies only when the bytes do not start on a 4-byte boundary. */
export function float32View(bytes: Uint8Array): Float32Array {
  assertLittleEndianHost();
  if (bytes.byteLength % BYTES_PER_FLOAT !== 0) {
    throw new DeltascopeError(
      'DATABASE_CORRUPT',
      `A weights BLOB of ${bytes.byteLength} bytes is not a whole number of float32 values.`,
    );
  }
  const aligned = bytes.byteOffset % BYTES_PER_FLOAT === 0 ? bytes : Uint8Array.prototype.slice.call(bytes);
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / BYTES_PER_FLOAT);
}

const BYTES_PER_ELEMENT: Record<TensorEntry['dtype'], number> = { float32: 4, bfloat16: 2, float16: 2 };

/**
 * Returns a description of the first manifest entry that does not fit, or null if all fit: each
 * entry's bytes are ∏shape × its dtype's size, and the entries lie within `weightsByteLength`.
 */
export function manifestProblem(manifest: readonly TensorEntry[], weightsByteLength: number): string | null {
  for (const entry of manifest) {
    const count = entry.shape.reduce((product, dim) => product * dim, 1);
    const size = BYTES_PER_ELEMENT[entry.dtype];
    if (entry.byteOffset % size !== 0 || entry.byteLength !== count * size) {
      return `tensor \`${entry.name}\` has shape [${entry.shape.join(',')}] but ${entry.byteLength} bytes at offset ${entry.byteOffset}`;
    }
    if (entry.byteOffset + entry.byteLength > weightsByteLength) {
      return `tensor \`${entry.name}\` ends at byte ${entry.byteOffset + entry.byteLength}, past the ${weightsByteLength}-byte weights`;
    }
  }
  return null;
}

/** Each tensor as a subarray of `weights` (views, no copies). */
export function sliceTensors(
  manifest: readonly TensorEntry[],
  weights: Float32Array,
): Map<string, { shape: number[]; data: Float32Array }> {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const entry of manifest) {
    const start = entry.byteOffset / BYTES_PER_FLOAT;
    tensors.set(entry.name, {
      shape: [...entry.shape],
      data: weights.subarray(start, start + entry.byteLength / BYTES_PER_FLOAT),
    });
  }
  return tensors;
}
