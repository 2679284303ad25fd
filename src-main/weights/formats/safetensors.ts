import { DeltascopeError } from '../../shared/errors';
import { shapeSize, type NamedTensor, type TensorMap } from '../tensor-map';
import {
  HEADER_ALIGN,
  METADATA_KEY,
  parseHeader,
  readHeaderLength,
  type HeaderEntry,
} from './safetensors-header';
import { float32Bytes, readBfloat16, readFloat16, readFloat32, readFloat64 } from './decode';

/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 header
 * length N, N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, …,
 * "__metadata__"?: { string: string } }`, then the data section; offsets are relative to the data
 * section. Read: F32, F16, BF16, F64 → float32. Write: F32. Like the reference implementation, a
 * file whose tensors overlap or leave bytes of the data section unaccounted for is rejected.
 */

export interface ImportedWeights {
  /** Tensors under their original names, in data-section order (safetensors) or manifest order (tfjs). */
  tensors: TensorMap;
  /** safetensors `__metadata__` (empty if absent); for tfjs, format/generatedBy/convertedBy. */
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file before conversion to float32. */
  sourceDtypes: Record<string, string>;
}

function decode(bytes: Uint8Array, offset: number, entry: HeaderEntry): Float32Array {
  const count = shapeSize(entry.shape);
  const at = offset + entry.begin;
  switch (entry.dtype) {
    case 'F16':
      return readFloat16(bytes, at, count);
    case 'BF16':
      return readBfloat16(bytes, at, count);
    case 'F64':
      return readFloat64(bytes, at, count);
    default:
      return readFloat32(bytes, at, count);
  }
}

/** Parses a safetensors file; INVALID_FILE naming `file` and the problem if it is malformed. */
export function readSafetensors(bytes: Uint8Array, file = 'safetensors file'): ImportedWeights {
  const headerLength = readHeaderLength(bytes, bytes.length, file);
  const dataStart = 8 + headerLength;
  const { entries, metadata } = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, file);
  const tensors = new Map<string, NamedTensor>();
  const sourceDtypes: Record<string, string> = {};
  for (const entry of entries) {
    tensors.set(entry.name, { name: entry.name, shape: entry.shape, data: decode(bytes, dataStart, entry) });
    sourceDtypes[entry.name] = entry.dtype;
  }
  return { tensors, metadata, sourceDtypes };
}

/** Serialises tensors (map order) as an F32 safetensors file; the header is space-padded to 8 bytes. */
export function writeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const tensor of tensors.values()) {
    if (tensor.name === METADATA_KEY) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `a tensor cannot be named ${METADATA_KEY} in a safetensors file`,
      );
    }
    const end = offset + tensor.data.byteLength;
    header[tensor.name] = { dtype: 'F32', shape: [...tensor.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / HEADER_ALIGN) * HEADER_ALIGN;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const tensor of tensors.values()) {
    out.set(float32Bytes(tensor.data), at);
    at += tensor.data.byteLength;
  }
  return out;
}
