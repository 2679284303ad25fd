import { closeSync, constants, fstatSync, openSync, realpathSync, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { DeltascopeError } from '../../shared/errors';
import { invalidFile } from './decode';

/**
 * The checks every model-file reader makes before it reads a byte (whole-file and streaming readers
 * alike): the path is a regular file (a FIFO would block forever, `/dev/zero` never ends), its size is
 * under a cap, and a tfjs shard resolves — by real path, through symlinks — inside the model's folder
 * and names a file no other shard of the model names.
 */

/** Default largest model file (and largest total of a tfjs model's shards) a reader accepts: 8 GiB. */
export const DEFAULT_MAX_MODEL_FILE_BYTES = 8 * 1024 ** 3;
/** Environment variable overriding the cap, in bytes (e.g. `DELTASCOPE_MAX_MODEL_FILE_BYTES=2e9`). */
export const MAX_MODEL_FILE_BYTES_ENV = 'DELTASCOPE_MAX_MODEL_FILE_BYTES';

/** The cap on a model file's size: DELTASCOPE_MAX_MODEL_FILE_BYTES if set to a positive number, else 8 GiB. */
export function maxModelFileBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MAX_MODEL_FILE_BYTES_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_MODEL_FILE_BYTES;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `${MAX_MODEL_FILE_BYTES_ENV} must be a positive number of bytes; got "${raw}"`,
    );
  }
  return Math.floor(value);
}

export interface CheckedFileOptions {
  /** Largest size accepted, in bytes; default maxModelFileBytes(). */
  maxBytes?: number;
}

export interface CheckedFile {
  /** Open for reading; the caller closes it. */
  handle: FileHandle;
  /** Size in bytes, from the open handle (so it is the size of what will be read). */
  size: number;
}

function kindOf(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** "12.3 MB" style sizes for messages. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The error of a file (or a model's shards together) over the cap. */
export function tooLarge(path: string, size: number, maxBytes: number, what = 'is'): DeltascopeError {
  return new DeltascopeError(
    'INVALID_FILE',
    `${basename(path)}: ${what} ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit on model files (raise it with ${MAX_MODEL_FILE_BYTES_ENV}=<bytes>)`,
    { path, size, maxBytes },
  );
}

function ioError(path: string, error: unknown): DeltascopeError {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return new DeltascopeError('FILE_NOT_FOUND', `${path} does not exist`, { path });
  return new DeltascopeError('IO_ERROR', `cannot read ${path}: ${(error as Error).message}`, { path });
}

/**
 * Opens `path` for reading if it is a regular file no larger than the cap. Opened non-blocking, so a
 * FIFO without a writer is refused at once instead of hanging; the checks use the open handle, so
 * the file cannot be swapped between the check and the read.
 */
export async function openCheckedFile(path: string, options: CheckedFileOptions = {}): Promise<CheckedFile> {
  const maxBytes = options.maxBytes ?? maxModelFileBytes();
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EISDIR') {
      throw new DeltascopeError('INVALID_FILE', `${path} is a folder, not a file`, { path });
    }
    throw ioError(path, error);
  }
  try {
    return { handle, size: checkStat(await handle.stat(), path, maxBytes) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The size of an opened file if it is a regular file under the cap. */
function checkStat(stat: Stats, path: string, maxBytes: number): number {
  if (!stat.isFile()) {
    throw new DeltascopeError(
      'INVALID_FILE',
      `${path} is ${kindOf(stat)}, not a regular file; model files must be regular files`,
      { path },
    );
  }
  if (stat.size > maxBytes) throw tooLarge(path, stat.size, maxBytes);
  return stat.size;
}

/**
 * openCheckedFile for synchronous positioned readers (formats/safetensors-reader.ts): the same
 * checks on the open descriptor; the caller closes `fd`.
 */
export function openCheckedFileSync(
  path: string,
  options: CheckedFileOptions = {},
): { fd: number; size: number } {
  const maxBytes = options.maxBytes ?? maxModelFileBytes();
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EISDIR') {
      throw new DeltascopeError('INVALID_FILE', `${path} is a folder, not a file`, { path });
    }
    throw ioError(path, error);
  }
  try {
    return { fd, size: checkStat(fstatSync(fd), path, maxBytes) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Reads a whole checked file (see openCheckedFile): exactly the size it had when opened. */
export async function readCheckedFile(path: string, options: CheckedFileOptions = {}): Promise<Uint8Array> {
  return readOpenedFile(await openCheckedFile(path, options), path);
}

/** Reads all `size` bytes of a file from openCheckedFile, then closes it. */
export async function readOpenedFile({ handle, size }: CheckedFile, path: string): Promise<Uint8Array> {
  try {
    const bytes = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(bytes, at, size - at, at);
      if (bytesRead === 0) {
        throw new DeltascopeError('IO_ERROR', `${path} became shorter while it was read; try again`, {
          path,
        });
      }
      at += bytesRead;
    }
    return bytes;
  } catch (error) {
    if (error instanceof DeltascopeError) throw error;
    throw ioError(path, error);
  } finally {
    await handle.close();
  }
}

/** Real path of a folder or file; FILE_NOT_FOUND / IO_ERROR naming it. */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    throw ioError(path, error);
  }
}

/**
 * The real path of shard `shard` (as written in model.json `file`) of the model whose folder has real
 * path `realDir`, or null if it does not exist. INVALID_FILE if the name is absolute or climbs with
 * `..`, or if the file it resolves to — following symlinks — lies outside the folder.
 */
export async function shardRealPath(realDir: string, shard: string, file: string): Promise<string | null> {
  const normalized = checkShardName(shard, file);
  let real: string;
  try {
    real = await realpath(join(realDir, normalized));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw ioError(join(realDir, normalized), error);
  }
  return checkInside(realDir, real, shard, file);
}

/** shardRealPath for synchronous readers (the shards of a safetensors folder). */
export function shardRealPathSync(realDir: string, shard: string, file: string): string | null {
  const normalized = checkShardName(shard, file);
  let real: string;
  try {
    real = realpathSync(join(realDir, normalized));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw ioError(join(realDir, normalized), error);
  }
  return checkInside(realDir, real, shard, file);
}

/** Real path of a folder or file, synchronously; FILE_NOT_FOUND / IO_ERROR naming it. */
export function realPathOfSync(path: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    throw ioError(path, error);
  }
}

function checkShardName(shard: string, file: string): string {
  const normalized = normalize(shard);
  if (isAbsolute(shard) || normalized === '..' || normalized.startsWith(`..${sep}`)) {
    throw invalidFile(file, `shard path \`${shard}\` points outside the model's folder`);
  }
  return normalized;
}

function checkInside(realDir: string, real: string, shard: string, file: string): string {
  const inside = relative(realDir, real);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw invalidFile(
      file,
      `shard \`${shard}\` resolves (through a symlink) to a file outside the model's folder`,
    );
  }
  return real;
}
