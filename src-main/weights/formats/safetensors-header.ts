import { formatShape, isValidShape, shapeSize } from '../tensor-map';
import { invalidFile, isRecord, parseJson, shortValue } from './decode';

/**
 * The safetensors header (https://github.com/huggingface/safetensors): an 8-byte little-endian u64
 * length N, then N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, …,
 * "__metadata__"?: { string: string } }`. Parsed apart from the data so that a reader can open a
 * file of any size by its first 8 + N bytes and read tensors at their offsets.
 */

/** The floating-point dtypes Deltascope reads (and writes). */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64';

/** Bytes per element of each dtype Deltascope reads. */
export const READABLE: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
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
export const METADATA_KEY = '__metadata__';
export const HEADER_ALIGN = 8;

/** One tensor of a header; begin/end are byte offsets into the data section. */
export interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** The header length N from the file's first 8 bytes, checked against the file's size. */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw invalidFile(file, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(fileSize - 8)) {
    throw invalidFile(
      file,
      `header length ${length} exceeds the ${fileSize - 8} bytes after the length field`,
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
        `${where} has dtype ${dtype}, which cannot be imported or diffed (Deltascope reads the float dtypes F32, F16, BF16, F64)`,
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
  return { name, dtype: dtype as SafetensorsDtype, shape, begin, end };
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

export interface ParsedHeader {
  /** Tensors sorted by their position in the data section. */
  entries: HeaderEntry[];
  metadata: Record<string, string>;
}

/** Parses the N header bytes of a file whose data section holds `dataLength` bytes. */
export function parseHeader(json: Uint8Array, dataLength: number, file: string): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw invalidFile(file, 'header is not valid UTF-8');
  }
  const header = parseJson(text, file, 'header');
  if (!isRecord(header)) throw invalidFile(file, 'header must be a JSON object');
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(raw, file);
    else entries.push(parseEntry(name, raw, file, dataLength));
  }
  entries.sort((x, y) => x.begin - y.begin || x.end - y.end);
  checkLayout(entries, dataLength, file);
  return { entries, metadata };
}
