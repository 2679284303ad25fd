import { closeSync, existsSync, fstatSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DeltascopeError } from '../../shared/errors';
import { missingTensor, type SourceTensor, type TensorSource } from '../tensor-source';
import { shapeSize } from '../tensor-map';
import { DTYPE_BYTES, decodeChunk } from './dtype-codec';
import { invalidFile } from './decode';
import { parseHeader, readHeaderLength, type HeaderEntry, type ParsedHeader } from './safetensors-header';
import { openCheckedFileSync, realPathOfSync, shardRealPathSync } from './checked-file';
import { parseSafetensorsIndex, SAFETENSORS_INDEX } from './safetensors-index';
import {
  checkStat,
  checkWholeFile,
  createBlockCache,
  expectedFile,
  referenceChanged,
  verifiedReader,
  type BlockCache,
  type ExpectedFiles,
} from './fingerprint-reader';

/**
 * Opens a .safetensors file, a Hugging Face model folder (`model.safetensors.index.json` + shards,
 * or one `model.safetensors`) or an index file as a TensorSource. Only the headers are read on
 * open; values are read with positioned reads (fs.readSync at the tensor's offset), one chunk at a
 * time, and decoded from their own dtype into the caller's float32 chunk. F32 on a little-endian
 * host is read straight into that chunk; other dtypes go through one scratch buffer, the only
 * memory the source itself holds (reported by peakBytesHeld). `readRaw` reads the stored bytes into
 * the caller's buffer, undecoded (for the native diff pass); `rawFileRange` says where those bytes lie
 * in the open shard instead, so that the native pass maps them rather than having them copied (not for
 * a checkpoint referenced in place, whose reads are checked against its fingerprint).
 *
 * Files are opened through checked-file.ts (regular files only; shards by real path inside the
 * folder). The size cap on model files is not applied here — nothing is read whole — except to the
 * header (at most 100 MB, like the reference implementation); whole-file readers apply it.
 */

/** Largest header accepted (the reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;

interface Shard {
  path: string;
  /** Name used in messages: `folder/shard.safetensors` or `file.safetensors`. */
  label: string;
  fd: number;
  size: number;
  dataStart: number;
  /** Reads through blocks checked against a fingerprint (a checkpoint referenced in place), or null. */
  verified: ((target: Uint8Array, position: number) => void) | null;
}

/** How a source checks its files: against `expected` (with the one block it holds), or not at all. */
interface Checking {
  expected: ExpectedFiles | null;
  cache: BlockCache;
}

interface Located extends SourceTensor {
  shard: Shard;
  /** Absolute byte offset of element 0 in the shard file. */
  position: number;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function ioError(path: string, error: unknown): DeltascopeError {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return new DeltascopeError('FILE_NOT_FOUND', `${path} does not exist`, { path });
  return new DeltascopeError('IO_ERROR', `cannot read ${path}: ${(error as Error).message}`, { path });
}

/** Reads exactly `target.length` bytes at `position`; a short read means the file shrank. */
function readFully(shard: Shard, target: Uint8Array, position: number, what: string): void {
  if (shard.verified !== null) {
    shard.verified(target, position);
    return;
  }
  let done = 0;
  while (done < target.length) {
    let n: number;
    try {
      n = readSync(shard.fd, target, done, target.length - done, position + done);
    } catch (error) {
      throw ioError(shard.path, error);
    }
    if (n === 0) {
      throw invalidFile(
        shard.label,
        `${what}: the file ends at byte ${position + done} (truncated or changed while reading?)`,
      );
    }
    done += n;
  }
}

/** Throws (as readFully would on reading) when the shard's file now ends before byte `end`. */
function checkLength(shard: Shard, end: number, what: string): void {
  let size: number;
  try {
    size = fstatSync(shard.fd).size;
  } catch (error) {
    throw ioError(shard.path, error);
  }
  if (size < end) {
    throw invalidFile(
      shard.label,
      `${what}: the file ends at byte ${size} (truncated or changed while reading?)`,
    );
  }
}

/**
 * Opens one file and parses its header. Every check made before a model file is trusted sits
 * here (file type, size), so that shards and single files get the same ones.
 */
function openShard(
  path: string,
  label: string,
  name: string,
  checking: Checking,
): { shard: Shard; header: ParsedHeader } {
  const { expected } = checking;
  const { fd, size } = openExpected(path, expected);
  try {
    let verified: Shard['verified'] = null;
    if (expected !== null) {
      const file = expectedFile(expected, name, path);
      checkStat(fd, path, file, expected.owner);
      verified = verifiedReader(fd, path, file, expected, checking.cache);
    }
    const shard: Shard = { path, label, fd, size, dataStart: 0, verified };
    const prefix = new Uint8Array(Math.min(8, size));
    readFully(shard, prefix, 0, 'header length');
    const headerLength = readHeaderLength(prefix, size, label);
    if (headerLength > MAX_HEADER_BYTES) {
      throw invalidFile(
        label,
        `the header is ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit of safetensors headers`,
      );
    }
    const json = new Uint8Array(headerLength);
    readFully(shard, json, 8, 'header');
    shard.dataStart = 8 + headerLength;
    return { shard, header: parseHeader(json, size - shard.dataStart, label) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Opens a model file; a referenced one that is gone is REFERENCE_CHANGED, not FILE_NOT_FOUND. */
function openExpected(
  path: string,
  expected: ExpectedFiles | null,
  maxBytes = Number.POSITIVE_INFINITY,
): { fd: number; size: number } {
  try {
    return openCheckedFileSync(path, { maxBytes });
  } catch (error) {
    if (expected !== null && error instanceof DeltascopeError && error.code === 'FILE_NOT_FOUND') {
      throw referenceChanged(expected.owner, path, 'the file is gone');
    }
    throw error;
  }
}

/** A small text file (the index) read through the same checks. */
function readCheckedText(path: string, label: string, name: string, expected: ExpectedFiles | null): string {
  const { fd, size } = openExpected(path, expected, MAX_HEADER_BYTES);
  try {
    const bytes = new Uint8Array(size);
    readFully({ path, label, fd, size, dataStart: 0, verified: null }, bytes, 0, 'index');
    if (expected !== null) {
      const file = expectedFile(expected, name, path);
      checkStat(fd, path, file, expected.owner);
      checkWholeFile(bytes, path, file, expected.owner);
    }
    return new TextDecoder().decode(bytes);
  } finally {
    closeSync(fd);
  }
}

function locate(shard: Shard, entry: HeaderEntry): Located {
  return {
    name: entry.name,
    shape: entry.shape,
    dtype: entry.dtype,
    count: shapeSize(entry.shape),
    shard,
    position: shard.dataStart + entry.begin,
  };
}

function sourceOver(
  label: string,
  shards: Shard[],
  tensors: Located[],
  metadata: Record<string, string>,
  checking: Checking,
): TensorSource {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  let scratch = new Uint8Array(0);
  let peak = 0;
  const located = (name: string, start: number, count: number): Located => {
    const tensor = byName.get(name);
    if (tensor === undefined) throw missingTensor(label, name);
    if (start < 0 || start + count > tensor.count) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `${label}: elements [${start}, ${start + count}) are outside tensor \`${name}\` of ${tensor.count}`,
      );
    }
    return tensor;
  };
  const held = () => Math.max(peak, checking.cache.buffer.byteLength + scratch.byteLength);
  return {
    label,
    tensors,
    metadata,
    read(name, start, out) {
      const tensor = located(name, start, out.length);
      const bytes = DTYPE_BYTES[tensor.dtype];
      const position = tensor.position + start * bytes;
      const what = `tensor \`${name}\``;
      if (tensor.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
        // (a verified shard copies out of its checked block)
        readFully(tensor.shard, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), position, what);
        return;
      }
      const needed = out.length * bytes;
      if (scratch.length < needed) {
        scratch = new Uint8Array(needed);
        peak = Math.max(peak, needed);
      }
      const raw = scratch.subarray(0, needed);
      readFully(tensor.shard, raw, position, what);
      decodeChunk(tensor.dtype, raw, out);
      peak = held();
    },
    readRaw(name, start, count, target) {
      const tensor = located(name, start, count);
      const bytes = DTYPE_BYTES[tensor.dtype];
      if (target.length < count * bytes) {
        throw new DeltascopeError(
          'INVALID_PAYLOAD',
          `${label}: a raw read of ${count} elements of \`${name}\` needs ${count * bytes} bytes; the buffer has ${target.length}`,
        );
      }
      const raw = target.subarray(0, count * bytes);
      readFully(tensor.shard, raw, tensor.position + start * bytes, `tensor \`${name}\``);
      return raw;
    },
    rawFileRange(name, start, count) {
      const tensor = located(name, start, count);
      if (tensor.shard.verified !== null) return null;
      const bytes = DTYPE_BYTES[tensor.dtype];
      const range = {
        fd: tensor.shard.fd,
        position: tensor.position + start * bytes,
        byteLength: count * bytes,
        file: tensor.shard.label,
      };
      checkLength(tensor.shard, range.position + range.byteLength, `tensor \`${name}\``);
      return range;
    },
    peakBytesHeld: () => Math.max(peak, held()),
    close() {
      scratch = new Uint8Array(0);
      checking.cache.buffer = new Uint8Array(0);
      checking.cache.key = null;
      for (const shard of shards.splice(0)) closeSync(shard.fd);
    },
  };
}

function openSingleFile(path: string, checking: Checking): TensorSource {
  const label = basename(path);
  const { shard, header } = openShard(path, label, label, checking);
  return sourceOver(
    label,
    [shard],
    header.entries.map((e) => locate(shard, e)),
    header.metadata,
    checking,
  );
}

function openIndexedFolder(indexPath: string, checking: Checking): TensorSource {
  const dir = dirname(indexPath);
  const realDir = realPathOfSync(dir);
  const folder = basename(dir);
  const indexLabel = `${folder}/${basename(indexPath)}`;
  const index = parseSafetensorsIndex(
    readCheckedText(indexPath, indexLabel, basename(indexPath), checking.expected),
    indexLabel,
  );
  const shards: Shard[] = [];
  try {
    const tensors: Located[] = [];
    const opened = new Set<string>();
    for (const file of [...index.shards].sort()) {
      const names = [...index.weightMap].filter(([, s]) => s === file).map(([name]) => name);
      const path = shardRealPathSync(realDir, file, indexLabel);
      if (path === null) {
        if (checking.expected !== null) {
          throw referenceChanged(checking.expected.owner, join(dir, file), 'the file is gone');
        }
        const held =
          names.length > 3
            ? `${names.slice(0, 3).join('`, `')}\` and ${names.length - 3} more`
            : `${names.join('`, `')}\``;
        throw invalidFile(indexLabel, `shard \`${file}\` (holding \`${held}) is missing from the folder`);
      }
      if (opened.has(path))
        throw invalidFile(indexLabel, `shard \`${file}\` is the same file as another shard of the index`);
      opened.add(path);
      const { shard, header } = openShard(path, `${folder}/${file}`, file, checking);
      shards.push(shard);
      const inShard = new Set(header.entries.map((e) => e.name));
      for (const name of names) {
        if (!inShard.has(name)) {
          throw invalidFile(
            indexLabel,
            `the index maps tensor \`${name}\` to shard \`${file}\`, which does not hold it`,
          );
        }
      }
      for (const entry of header.entries) {
        if (index.weightMap.get(entry.name) !== file) {
          throw invalidFile(
            indexLabel,
            `shard \`${file}\` holds tensor \`${entry.name}\`, which the index does not map to it`,
          );
        }
        tensors.push(locate(shard, entry));
      }
    }
    return sourceOver(folder, shards, tensors, index.metadata, checking);
  } catch (error) {
    for (const shard of shards) closeSync(shard.fd);
    throw error;
  }
}

/** Where a path's safetensors live: the file itself, a folder's index, or a folder's model.safetensors. */
export function resolveSafetensorsPath(path: string): { kind: 'file' | 'index'; path: string } | null {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw ioError(path, error);
  }
  if (!isDirectory) return { kind: path.endsWith('.index.json') ? 'index' : 'file', path };
  const index = join(path, SAFETENSORS_INDEX);
  if (existsSync(index)) return { kind: 'index', path: index };
  const single = join(path, 'model.safetensors');
  if (existsSync(single)) return { kind: 'file', path: single };
  return null;
}

export interface OpenSourceOptions {
  /**
   * The files must be those fingerprinted (a checkpoint referenced in place): checked on open and
   * block by block on every read, REFERENCE_CHANGED naming `owner` and the file otherwise.
   */
  expect?: ExpectedFiles;
}

/** Opens a .safetensors file, an index file, or a folder holding either (see resolveSafetensorsPath). */
export function openSafetensorsSource(path: string, options: OpenSourceOptions = {}): TensorSource {
  const expected = options.expect ?? null;
  let resolved: ReturnType<typeof resolveSafetensorsPath>;
  try {
    resolved = resolveSafetensorsPath(path);
  } catch (error) {
    if (expected !== null && error instanceof DeltascopeError && error.code === 'FILE_NOT_FOUND') {
      throw referenceChanged(expected.owner, path, 'it is gone');
    }
    throw error;
  }
  if (resolved === null) {
    if (expected !== null)
      throw referenceChanged(expected.owner, path, 'it holds no safetensors model any more');
    throw invalidFile(basename(path), `the folder holds neither ${SAFETENSORS_INDEX} nor model.safetensors`);
  }
  const checking: Checking = { expected, cache: createBlockCache() };
  return resolved.kind === 'index'
    ? openIndexedFolder(resolved.path, checking)
    : openSingleFile(resolved.path, checking);
}
