import { createHash } from 'node:crypto';
import { fstatSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DeltascopeError } from '../../shared/errors';
import type { FileFingerprint, ModelFingerprint } from './file-fingerprint';

/**
 * Reads of a file that must still be the one fingerprinted (file-fingerprint.ts): its size and
 * mtime are checked when it is opened and before each block is read, and each block read is hashed
 * and compared with the recorded sha256 before any of its bytes are returned. One block is held at
 * a time per source (`BlockCache`, shared by a folder's shards).
 */

/** Who expects the files unchanged, for messages: `checkpoint 7`. */
export interface ExpectedFiles {
  fingerprint: ModelFingerprint;
  owner: string;
}

/** The one block a source holds. */
export interface BlockCache {
  buffer: Uint8Array;
  /** `path:block` of the block in `buffer`, or null. */
  key: string | null;
}

export function createBlockCache(): BlockCache {
  return { buffer: new Uint8Array(0), key: null };
}

const AGAIN =
  'Restore the file, or import it again (with --reference to point at it as it is now, or without to copy it into the database).';

export function referenceChanged(owner: string, path: string, problem: string): DeltascopeError {
  return new DeltascopeError(
    'REFERENCE_CHANGED',
    `${owner} refers in place to ${path}, which changed since it was imported: ${problem}. ${AGAIN}`,
    { path, owner },
  );
}

export function expectedFile(expected: ExpectedFiles, name: string, path: string): FileFingerprint {
  const file = expected.fingerprint.files.find((f) => f.name === name);
  if (file === undefined) {
    throw referenceChanged(expected.owner, path, `\`${name}\` was not one of its files at import`);
  }
  return file;
}

/** What differs between a file's size and mtime now and at import, or null. */
function statProblem(stat: { size: number; mtimeMs: number }, file: FileFingerprint): string | null {
  if (stat.size !== file.size) return `its size was ${file.size} bytes and is now ${stat.size}`;
  if (stat.mtimeMs !== file.mtimeMs) {
    return `it was modified at ${new Date(stat.mtimeMs).toISOString()} (at import: ${new Date(file.mtimeMs).toISOString()})`;
  }
  return null;
}

/** The expected file's size and mtime against the open descriptor's. */
export function checkStat(fd: number, path: string, file: FileFingerprint, owner: string): void {
  const problem = statProblem(fstatSync(fd), file);
  if (problem !== null) throw referenceChanged(owner, path, problem);
}

/** Whole-file check of a small file read at once (the index). */
export function checkWholeFile(bytes: Uint8Array, path: string, file: FileFingerprint, owner: string): void {
  if (createHash('sha256').update(bytes).digest('hex') !== file.sha256) {
    throw referenceChanged(owner, path, 'its contents no longer match the sha256 recorded at import');
  }
}

/** Positioned reads of `path` (open as `fd`) through verified blocks. */
export function verifiedReader(
  fd: number,
  path: string,
  file: FileFingerprint,
  expected: ExpectedFiles,
  cache: BlockCache,
): (target: Uint8Array, position: number) => void {
  const { blockBytes } = expected.fingerprint;
  const load = (block: number): void => {
    const key = `${path}:${block}`;
    if (cache.key === key) return;
    cache.key = null;
    checkStat(fd, path, file, expected.owner);
    const start = block * blockBytes;
    const length = Math.min(blockBytes, file.size - start);
    if (cache.buffer.length < length) cache.buffer = new Uint8Array(length);
    const bytes = cache.buffer.subarray(0, length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, bytes, done, length - done, start + done);
      if (n === 0) throw referenceChanged(expected.owner, path, `it ends before byte ${start + length}`);
      done += n;
    }
    if (createHash('sha256').update(bytes).digest('hex') !== file.blocks[block]) {
      throw referenceChanged(
        expected.owner,
        path,
        `bytes ${start}–${start + length - 1} no longer match the sha256 recorded at import (rewritten with the same size and time?)`,
      );
    }
    cache.key = key;
  };
  return (target, position) => {
    let done = 0;
    while (done < target.length) {
      const at = position + done;
      const block = Math.floor(at / blockBytes);
      if (block >= file.blocks.length) {
        throw referenceChanged(expected.owner, path, `a read reaches byte ${at}, past its end`);
      }
      load(block);
      const offset = at - block * blockBytes;
      const take = Math.min(
        target.length - done,
        Math.min(blockBytes, file.size - block * blockBytes) - offset,
      );
      target.set(cache.buffer.subarray(offset, offset + take), done);
      done += take;
    }
  };
}

/**
 * The cheap check, by size and mtime only (no hashing): whether the files of a reference at `path`
 * (the file or folder given at import) are still there unchanged. For a cached copy of its weights.
 */
export function checkFingerprintStats(path: string, expected: ExpectedFiles): void {
  let root: string;
  try {
    root = statSync(path).isDirectory() ? path : dirname(path);
  } catch {
    throw referenceChanged(expected.owner, path, 'it is gone');
  }
  for (const file of expected.fingerprint.files) {
    const at = join(root, file.name);
    let stat;
    try {
      stat = statSync(at);
    } catch {
      throw referenceChanged(expected.owner, at, 'the file is gone');
    }
    const problem = statProblem(stat, file);
    if (problem !== null) throw referenceChanged(expected.owner, at, problem);
  }
}
