import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beginWrite, openDatabaseAt, type SafeWriteOptions } from '../../files';
import { DeltascopeError } from '../../shared/errors';
import { chunkRanges, type SourceTensor, type TensorSource } from '../tensor-source';
import { DTYPE_BYTES, encodeChunk } from './dtype-codec';
import { HEADER_ALIGN, METADATA_KEY, type SafetensorsDtype } from './safetensors-header';
import { SAFETENSORS_INDEX } from './safetensors-index';

/**
 * Streams a TensorSource into a .safetensors file or a Hugging Face sharded folder
 * (`model-0000k-of-0000n.safetensors` + `model.safetensors.index.json`, plus the source's
 * `config.json`), one chunk at a time, so a result of any size is written in bounded memory.
 * Each tensor keeps its source dtype unless one is forced. A file goes through the safe writer
 * (src-main/files: temporary file, rename, never the open database, an existing file only with
 * `overwrite`); a folder is built under a temporary name beside it (`partialFolderPath`) and renamed
 * into place, and an existing folder is never replaced: only an empty one (made by a folder picker,
 * say) is taken.
 */

/** Default shard size of a written folder: 2 GiB. */
export const DEFAULT_SHARD_BYTES = 2 * 1024 * 1024 * 1024;
const WRITE_CHUNK_ELEMENTS = 1 << 20;

export interface SafetensorsWriteOptions {
  /** dtype of every tensor; default: each tensor's own dtype in the source. */
  dtype?: SafetensorsDtype;
  metadata?: Record<string, string>;
  /** Elements read from the source at a time (default 2²⁰): the writer holds 12 bytes per element. */
  chunkElements?: number;
}

export interface FolderWriteOptions extends SafetensorsWriteOptions {
  /** Largest shard in bytes (a larger tensor gets a shard of its own). Default 2 GiB. */
  maxShardBytes?: number;
  /** A folder whose config.json (and generation_config.json) are copied next to the shards. */
  configFrom?: string | null;
  /** Called after each chunk written: elements written so far, of the whole source's. */
  onProgress?: (doneElements: number, totalElements: number) => void;
}

function dtypeOf(tensor: SourceTensor, options: SafetensorsWriteOptions): SafetensorsDtype {
  return options.dtype ?? tensor.dtype;
}

/**
 * Checks that a sharded folder can be written at `dir`: FILE_EXISTS naming it when it is the open
 * database, a file, or a folder that is not empty; FILE_NOT_FOUND when its parent folder is missing.
 * True when `dir` is an existing empty folder (the writer then replaces it).
 */
export function checkFolderTarget(dir: string): boolean {
  if (openDatabaseAt(dir) !== null) {
    throw new DeltascopeError('FILE_EXISTS', `Refusing to write ${dir}: it is the open database.`, {
      path: dir,
    });
  }
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      throw new DeltascopeError(
        'FILE_EXISTS',
        `${dir} already exists and is a file, not a folder; choose another folder name.`,
        { path: dir },
      );
    }
    const entries = readdirSync(dir);
    if (entries.length === 0) return true;
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new DeltascopeError(
      'FILE_EXISTS',
      `${dir} already exists and is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}: ${shown}); choose a new or empty folder, nothing was written.`,
      { path: dir },
    );
  }
  const parent = dirname(dir);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new DeltascopeError(
      'FILE_NOT_FOUND',
      `Cannot write ${dir}: its parent folder ${parent} does not exist.`,
      { path: dir },
    );
  }
  return false;
}

/** Where a folder is built before it is renamed to `dir` (hidden, beside it; removed on failure). */
export function partialFolderPath(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}.${process.pid}.partial`);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** The header bytes (space-padded to 8) for `tensors` laid out back to back in order. */
function headerBytes(tensors: readonly SourceTensor[], options: SafetensorsWriteOptions): Uint8Array {
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined && Object.keys(options.metadata).length > 0)
    header[METADATA_KEY] = { ...options.metadata };
  let offset = 0;
  for (const tensor of tensors) {
    if (tensor.name === METADATA_KEY) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `a tensor cannot be named ${METADATA_KEY} in a safetensors file`,
      );
    }
    const dtype = dtypeOf(tensor, options);
    const end = offset + tensor.count * DTYPE_BYTES[dtype];
    header[tensor.name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = Math.ceil(json.length / HEADER_ALIGN) * HEADER_ALIGN;
  const out = new Uint8Array(8 + length).fill(0x20, 8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  out.set(json, 8);
  return out;
}

/** Writes `tensors` of `source` as one safetensors file at `path` (no temp name: callers do that). */
function writeFileFrom(
  path: string,
  source: TensorSource,
  tensors: readonly SourceTensor[],
  options: SafetensorsWriteOptions,
  flags: 'wx' | 'r+' = 'wx',
  onChunk?: (elements: number) => void,
): void {
  const fd = openSync(path, flags);
  try {
    writeAll(fd, headerBytes(tensors, options));
    const largest = tensors.reduce((max, t) => Math.max(max, t.count), 0);
    const values = new Float32Array(
      Math.max(1, Math.min(largest, Math.floor(options.chunkElements ?? WRITE_CHUNK_ELEMENTS))),
    );
    const raw = new Uint8Array(values.length * 8);
    for (const tensor of tensors) {
      const dtype = dtypeOf(tensor, options);
      for (const [start, end] of chunkRanges(tensor.count, values.length)) {
        const chunk = values.subarray(0, end - start);
        source.read(tensor.name, start, chunk);
        const bytes = raw.subarray(0, chunk.length * DTYPE_BYTES[dtype]);
        encodeChunk(dtype, chunk, bytes);
        writeAll(fd, bytes);
        onChunk?.(chunk.length);
      }
    }
  } finally {
    closeSync(fd);
  }
}

function ioFailure(path: string, error: unknown): DeltascopeError {
  if (error instanceof DeltascopeError) return error;
  return new DeltascopeError('IO_ERROR', `cannot write ${path}: ${(error as Error).message}`, { path });
}

/** Writes the whole source as one .safetensors file (temporary file, then rename). */
export function writeSafetensorsFromSource(
  path: string,
  source: TensorSource,
  options: SafetensorsWriteOptions & SafeWriteOptions = {},
): void {
  const pending = beginWrite({ path, extensions: ['.safetensors'] }, options);
  try {
    writeFileFrom(pending.tempPath, source, source.tensors, options, 'r+');
    pending.commit();
  } catch (error) {
    pending.abort();
    throw ioFailure(path, error);
  }
}

/** Groups tensors, in order, into shards of at most `maxBytes` (a larger tensor alone). */
export function planShards(
  tensors: readonly SourceTensor[],
  maxBytes: number,
  dtype?: SafetensorsDtype,
): SourceTensor[][] {
  const shards: SourceTensor[][] = [];
  let current: SourceTensor[] = [];
  let bytes = 0;
  for (const tensor of tensors) {
    const size = tensor.count * DTYPE_BYTES[dtype ?? tensor.dtype];
    if (current.length > 0 && bytes + size > maxBytes) {
      shards.push(current);
      current = [];
      bytes = 0;
    }
    current.push(tensor);
    bytes += size;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

const shardName = (k: number, n: number) =>
  `model-${String(k).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;

/** Writes the source as a sharded folder at `dir` (built under a temporary name, then renamed). */
export function writeSafetensorsFolder(
  dir: string,
  source: TensorSource,
  options: FolderWriteOptions = {},
): string[] {
  const maxBytes = options.maxShardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `the shard size must be a positive whole number of bytes; got ${maxBytes}`,
    );
  }
  const emptyFolder = checkFolderTarget(dir);
  const temporary = partialFolderPath(dir);
  const shards = planShards(source.tensors, maxBytes, options.dtype);
  const names: string[] = [];
  const totalElements = source.tensors.reduce((sum, t) => sum + t.count, 0);
  let doneElements = 0;
  const onChunk =
    options.onProgress === undefined
      ? undefined
      : (elements: number) => options.onProgress!((doneElements += elements), totalElements);
  let made = false;
  try {
    mkdirSync(temporary); // beside `dir`, whose parent must exist: no other folder is created
    made = true;
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    shards.forEach((tensors, i) => {
      const name = shardName(i + 1, shards.length);
      writeFileFrom(join(temporary, name), source, tensors, options, 'wx', onChunk);
      names.push(name);
      for (const t of tensors) {
        weightMap[t.name] = name;
        totalSize += t.count * DTYPE_BYTES[dtypeOf(t, options)];
      }
    });
    const index = { metadata: { ...options.metadata, total_size: totalSize }, weight_map: weightMap };
    writeFileSync(join(temporary, SAFETENSORS_INDEX), `${JSON.stringify(index, null, 2)}\n`);
    names.push(SAFETENSORS_INDEX);
    for (const config of ['config.json', 'generation_config.json']) {
      const from = options.configFrom ? join(options.configFrom, config) : null;
      if (from !== null && existsSync(from)) {
        copyFileSync(from, join(temporary, config));
        names.push(config);
      }
    }
    // rename(2) could replace an empty folder, but not on Windows: remove it just before.
    if (emptyFolder) rmdirSync(dir);
    renameSync(temporary, dir);
  } catch (error) {
    // Another write of the same folder in this process may own an existing temporary folder.
    if (made) rmSync(temporary, { recursive: true, force: true });
    throw ioFailure(dir, error);
  }
  return names.map((name) => join(dir, name));
}
