import type { TensorEntry } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';

/** One named tensor: its shape and its float32 elements in row-major order (often a view into a BLOB). */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A checkpoint's tensors by name, in checkpoint order (Map keeps insertion order). */
export type TensorMap = ReadonlyMap<string, NamedTensor>;

/** A checkpoint packed as one contiguous float32 buffer plus the manifest that locates each tensor. */
export interface PackedTensors {
  manifest: TensorEntry[];
  weights: Float32Array;
}

const FLOAT32_BYTES = 4;

/** size = ∏ shape[i]; 1 for a scalar shape []. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** `[484,256]`, the form every message uses. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0);
}

/**
 * Builds a map of zero-copy views into `weights` from a manifest whose byte offsets are relative to
 * `weights[0]` (the layout the store writes). Throws INVALID_FILE naming `source` if the manifest does
 * not fit the buffer.
 */
export function tensorMapFromManifest(
  manifest: readonly TensorEntry[],
  weights: Float32Array,
  source = 'checkpoint',
): TensorMap {
  const map = new Map<string, NamedTensor>();
  for (const entry of manifest) {
    const where = `${source}: tensor \`${entry.name}\``;
    if (map.has(entry.name))
      throw new DeltascopeError('INVALID_FILE', `${where} appears twice in the manifest`);
    if (!isValidShape(entry.shape)) {
      throw new DeltascopeError(
        'INVALID_FILE',
        `${where} has an invalid shape ${JSON.stringify(entry.shape)}`,
      );
    }
    const expectedBytes = shapeSize(entry.shape) * FLOAT32_BYTES;
    if (entry.byteLength !== expectedBytes) {
      throw new DeltascopeError(
        'INVALID_FILE',
        `${where} has shape ${formatShape(entry.shape)} (${expectedBytes} bytes) but a byte length of ${entry.byteLength}`,
      );
    }
    if (entry.byteOffset % FLOAT32_BYTES !== 0) {
      throw new DeltascopeError(
        'INVALID_FILE',
        `${where} starts at byte ${entry.byteOffset}, not a multiple of 4`,
      );
    }
    if (entry.byteOffset + entry.byteLength > weights.byteLength) {
      throw new DeltascopeError(
        'INVALID_FILE',
        `${where} spans bytes ${entry.byteOffset}..${entry.byteOffset + entry.byteLength} but the weights hold ${weights.byteLength} bytes`,
      );
    }
    const start = entry.byteOffset / FLOAT32_BYTES;
    const data = weights.subarray(start, start + entry.byteLength / FLOAT32_BYTES);
    map.set(entry.name, { name: entry.name, shape: [...entry.shape], data });
  }
  return map;
}

/**
 * Builds a map from tensors, checking names are unique and each `data` holds ∏shape elements.
 * The arrays are kept as given (no copy).
 */
export function tensorMapFromTensors(tensors: Iterable<NamedTensor>, source = 'tensors'): TensorMap {
  const map = new Map<string, NamedTensor>();
  for (const tensor of tensors) {
    if (tensor.name.length === 0)
      throw new DeltascopeError('INVALID_PAYLOAD', `${source}: a tensor has an empty name`);
    if (map.has(tensor.name)) {
      throw new DeltascopeError('INVALID_PAYLOAD', `${source}: tensor \`${tensor.name}\` appears twice`);
    }
    if (!isValidShape(tensor.shape)) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `${source}: tensor \`${tensor.name}\` has an invalid shape ${JSON.stringify(tensor.shape)}`,
      );
    }
    const size = shapeSize(tensor.shape);
    if (tensor.data.length !== size) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `${source}: tensor \`${tensor.name}\` has shape ${formatShape(tensor.shape)} (${size} elements) but ${tensor.data.length} values`,
      );
    }
    map.set(tensor.name, { name: tensor.name, shape: [...tensor.shape], data: tensor.data });
  }
  return map;
}

/**
 * Copies every tensor, in map order, into one contiguous buffer and returns it with its manifest;
 * `allocate` makes the buffer (e.g. over a SharedArrayBuffer for worker threads).
 */
export function packTensorMap(
  map: TensorMap,
  allocate: (length: number) => Float32Array = (length) => new Float32Array(length),
): PackedTensors {
  const weights = allocate(paramCount(map));
  const manifest: TensorEntry[] = [];
  let offset = 0;
  for (const tensor of map.values()) {
    weights.set(tensor.data, offset);
    manifest.push({
      name: tensor.name,
      shape: [...tensor.shape],
      dtype: 'float32',
      byteOffset: offset * FLOAT32_BYTES,
      byteLength: tensor.data.length * FLOAT32_BYTES,
    });
    offset += tensor.data.length;
  }
  return { manifest, weights };
}

/** Total number of float32 parameters: Σ_t ∏ shape_t. */
export function paramCount(map: TensorMap): number {
  let count = 0;
  for (const tensor of map.values()) count += tensor.data.length;
  return count;
}

/** Per-tensor parameter counts, in map order. */
export function tensorParamCounts(map: TensorMap): { name: string; shape: number[]; count: number }[] {
  return [...map.values()].map((t) => ({ name: t.name, shape: [...t.shape], count: t.data.length }));
}

/** A new map with the same names and shapes, each tensor's data produced by `fn`. */
export function mapTensorData(map: TensorMap, fn: (tensor: NamedTensor) => Float32Array): TensorMap {
  const out = new Map<string, NamedTensor>();
  for (const tensor of map.values()) {
    const data = fn(tensor);
    if (data.length !== tensor.data.length) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `tensor \`${tensor.name}\` of shape ${formatShape(tensor.shape)} was mapped to ${data.length} values`,
      );
    }
    out.set(tensor.name, { name: tensor.name, shape: tensor.shape, data });
  }
  return out;
}
