import { DeltascopeError } from '../../shared/errors';
import { formatShape, isValidShape, shapeSize, type NamedTensor, type TensorMap } from '../tensor-map';
import {
  float32Bytes,
  invalidFile,
  isRecord,
  parseJson,
  readBfloat16,
  readFloat16,
  readFloat32,
  readFloat64,
  shortValue,
} from './decode';

/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 header
 * length N, N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, …,
 * "__metadata__"?: { string: string } }`, then the data section; offsets are relative to the data
 * section. Read: F32, F16, BF16, F64 → float32. Write: F32. Like the reference implementation, a
 * file whose tensors overlap or leave bytes of the data section unaccounted for is rejected.
 */

/** Bytes per element of each dtype Deltascope reads. */
const READABLE: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
/** Valid safetensors dtypes Deltascope does not import (named as unsupported, not unknown). */
const UNSUPPORTED = [
  'BOOL',
  'U8',
  'I8',
  'U16',
  'I16',
  'U32',
  'I32',
  'U64',
  'I64',
  'F8_E4M3',
  'F8_E5M2',
  'C64',
];
const METADATA_KEY = '__metadata__';
const HEADER_ALIGN = 8;

export interface ImportedWeights {
  /** Tensors under their original names, in data-section order (safetensors) or manifest order (tfjs). */
  tensors: TensorMap;
  /** safetensors `__metadata__` (empty if absent); for tfjs, format/generatedBy/convertedBy. */
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file before conversion to float32. */
  sourceDtypes: Record<string, string>;
}

interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function readHeaderLength(bytes: Uint8Array, file: string): number {
  if (bytes.length < 8) {
    throw invalidFile(file, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(bytes.length - 8)) {
    throw invalidFile(
      file,
      `header length ${length} exceeds the ${bytes.length - 8} bytes after the length field`,
    );
  }
  return Number(length);
}

function parseEntry(name: string, raw: unknown, file: string, dataLength: number): HeaderEntry {
  const where = `tensor \`${name}\``;
  if (name.length === 0) throw invalidFile(file, 'a tensor has an empty name');
  if (!isRecord(raw)) throw invalidFile(file, `${where}: header entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string') throw invalidFile(file, `${where}: missing dtype`);
  if (!(dtype in READABLE)) {
    if (UNSUPPORTED.includes(dtype)) {
      throw invalidFile(
        file,
        `${where} has dtype ${dtype}, which cannot be imported (supported: F32, F16, BF16, F64)`,
      );
    }
    throw invalidFile(file, `${where} has unknown dtype ${shortValue(dtype)}`);
  }
  if (!isValidShape(shape)) throw invalidFile(file, `${where} has an invalid shape ${shortValue(shape)}`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    throw invalidFile(file, `${where} has invalid data_offsets ${shortValue(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw invalidFile(
      file,
      `${where} data_offsets [${begin},${end}] are out of range: the data section has ${dataLength} bytes (file truncated?)`,
    );
  }
  const needed = shapeSize(shape) * READABLE[dtype]!;
  if (end - begin !== needed) {
    throw invalidFile(
      file,
      `${where} of shape ${formatShape(shape)} and dtype ${dtype} needs ${needed} bytes but data_offsets [${begin},${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function parseMetadata(raw: unknown, file: string): Record<string, string> {
  if (!isRecord(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    throw invalidFile(file, '`__metadata__` must map strings to strings');
  }
  return { ...(raw as Record<string, string>) };
}

/** Overlaps, holes and trailing bytes make a file invalid (as in the reference implementation). */
function checkLayout(entries: HeaderEntry[], dataLength: number, file: string): void {
  let cursor = 0;
  let previous: HeaderEntry | null = null;
  for (const entry of entries) {
    if (previous !== null && entry.begin < previous.end) {
      throw invalidFile(
        file,
        `tensors \`${previous.name}\` [${previous.begin},${previous.end}] and \`${entry.name}\` [${entry.begin},${entry.end}] overlap`,
      );
    }
    if (entry.begin > cursor)
      throw invalidFile(file, `bytes ${cursor}..${entry.begin} of the data section belong to no tensor`);
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) {
    throw invalidFile(file, `the data section has ${dataLength - cursor} bytes after the last tensor`);
  }
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
  const headerLength = readHeaderLength(bytes, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw invalidFile(file, 'header is not valid UTF-8');
  }
  const header = parseJson(text, file, 'header');
  if (!isRecord(header)) throw invalidFile(file, 'header must be a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(raw, file);
    else entries.push(parseEntry(name, raw, file, dataLength));
  }
  entries.sort((x, y) => x.begin - y.begin || x.end - y.end);
  checkLayout(entries, dataLength, file);
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
