import { DeltascopeError } from '../shared/errors';
import type { SafetensorsDtype } from './formats/safetensors-header';
import type { NamedTensor, TensorMap } from './tensor-map';

/**
 * A checkpoint read lazily: its tensors' names, shapes and stored dtypes up front, their values one
 * chunk at a time. Diffs and aggregations over sources hold a few chunks, never whole checkpoints,
 * so a model of any size fits a fixed memory budget. Backed by a model file or folder
 * (formats/safetensors-reader.ts), by a stored checkpoint, or by a TensorMap already in memory.
 */

export interface SourceTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** The dtype the values are stored in; reads decode it to float32 per chunk. */
  readonly dtype: SafetensorsDtype;
  /** ∏ shape */
  readonly count: number;
}

/** A tensor chunk's stored bytes in an open file (TensorSource.rawFileRange). */
export interface RawFileRange {
  fd: number;
  /** Byte offset of the chunk's first element. */
  position: number;
  byteLength: number;
  /** The file's name in messages (`folder/shard.safetensors`). */
  file: string;
}

export interface TensorSource {
  /** Name used in messages: a file name, a folder name, `checkpoint 12`. */
  readonly label: string;
  /** In checkpoint order. */
  readonly tensors: readonly SourceTensor[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Decodes elements [start, start + out.length) of tensor `name` into `out`. */
  read(name: string, start: number, out: Float32Array): void;
  /**
   * The stored little-endian bytes of elements [start, start + count) of tensor `name`, in its
   * dtype: a view of memory the source holds, or `scratch` (≥ count × bytes per element) filled.
   * Optional: it lets a diff skip decoding to float32 (native-delta.ts); without it, `read` is used.
   */
  readRaw?(name: string, start: number, count: number, scratch: Uint8Array): Uint8Array;
  /**
   * Where the stored bytes of elements [start, start + count) of tensor `name` lie in an open file,
   * for a reader that maps them instead of copying them (the native diff pass), or null when they
   * must be read through `readRaw` (a file checked as it is read). Optional, like readRaw. The
   * descriptor stays valid until `close`.
   */
  rawFileRange?(name: string, start: number, count: number): RawFileRange | null;
  /** Largest number of bytes of scratch buffers (raw file bytes before decoding) held at once. */
  peakBytesHeld(): number;
  close(): void;
}

/** The tensors of a source by name, for matchTensorMaps and lookups. */
export function sourceTensors(source: TensorSource): Map<string, SourceTensor> {
  return new Map(source.tensors.map((t) => [t.name, t]));
}

/** Σ ∏ shape over the source's tensors. */
export function sourceParamCount(source: TensorSource): number {
  return source.tensors.reduce((sum, t) => sum + t.count, 0);
}

/**
 * A TensorMap in memory as a source (reads copy out of its arrays, raw reads are views of them; it
 * holds no scratch). Raw bytes are the float32 array's own, little-endian on a little-endian host.
 */
export function mapSource(
  map: TensorMap,
  label: string,
  metadata: Record<string, string> = {},
): TensorSource {
  const tensors = [...map.values()].map((t) => ({
    name: t.name,
    shape: [...t.shape],
    dtype: 'F32' as const,
    count: t.data.length,
  }));
  return {
    label,
    tensors,
    metadata,
    read(name, start, out) {
      const tensor = map.get(name);
      if (tensor === undefined) throw missingTensor(label, name);
      out.set(tensor.data.subarray(start, start + out.length));
    },
    readRaw(name, start, count) {
      const tensor = map.get(name);
      if (tensor === undefined) throw missingTensor(label, name);
      const values = tensor.data.subarray(start, start + count);
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    },
    peakBytesHeld: () => 0,
    close: () => undefined,
  };
}

export function missingTensor(label: string, name: string): DeltascopeError {
  return new DeltascopeError('NOT_FOUND', `${label} has no tensor \`${name}\``, { label, name });
}

/** One tensor's values, whole (for callers that need it in memory, e.g. an import or a tile). */
export function readWholeTensor(source: TensorSource, tensor: SourceTensor): NamedTensor {
  const data = new Float32Array(tensor.count);
  if (tensor.count > 0) source.read(tensor.name, 0, data);
  return { name: tensor.name, shape: [...tensor.shape], data };
}

/** Every tensor in memory as float32 (only for checkpoints known to fit). */
export function sourceToMap(source: TensorSource): TensorMap {
  const map = new Map<string, NamedTensor>();
  for (const tensor of source.tensors) map.set(tensor.name, readWholeTensor(source, tensor));
  return map;
}

/** [start, end) element ranges of at most `chunk` elements covering a tensor of `count` elements. */
export function* chunkRanges(count: number, chunk: number): Generator<[number, number]> {
  const step = Math.max(1, Math.floor(chunk));
  for (let start = 0; start < count; start += step) yield [start, Math.min(count, start + step)];
}
