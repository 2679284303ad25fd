import { createHash } from 'node:crypto';
import { closeSync, fstatSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { DeltascopeError } from '../../shared/errors';
import { openCheckedFileSync } from './checked-file';
import { parseSafetensorsIndex } from './safetensors-index';

/**
 * What a checkpoint imported by reference remembers of its files, to refuse reading them once they
 * changed: per file (a .safetensors file, or a folder's index and every shard it names) the size,
 * the modification time, the sha256 of the whole file and the sha256 of each `blockBytes` block.
 * Opening checks size and mtime; every byte a read returns comes from a block whose sha256 was
 * checked when it was read (fingerprint-reader.ts), so a file rewritten with the same size and
 * mtime is refused too. Computed in one sequential pass over the files.
 */

/** Block of a fingerprint: one sha256 per 16 MiB; a reader holds one block. */
export const FINGERPRINT_BLOCK_BYTES = 16 * 1024 * 1024;

export const FileFingerprintSchema = z.object({
  /** Relative to the model's folder (a single file: its name). */
  name: z.string().min(1),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  blocks: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
});
export type FileFingerprint = z.output<typeof FileFingerprintSchema>;

export const ModelFingerprintSchema = z.object({
  blockBytes: z.number().int().positive(),
  files: z.array(FileFingerprintSchema).min(1),
});
export type ModelFingerprint = z.output<typeof ModelFingerprintSchema>;

/** Hashes one file (whole and per block) in one pass, checking it did not change meanwhile. */
export function fingerprintFile(
  path: string,
  name: string,
  blockBytes = FINGERPRINT_BLOCK_BYTES,
): FileFingerprint {
  const { fd, size } = openCheckedFileSync(path, { maxBytes: Number.POSITIVE_INFINITY });
  try {
    const before = fstatSync(fd);
    const whole = createHash('sha256');
    const blocks: string[] = [];
    const buffer = new Uint8Array(Math.max(1, Math.min(blockBytes, size)));
    for (let at = 0; at < size; at += blockBytes) {
      const length = Math.min(blockBytes, size - at);
      const block = buffer.subarray(0, length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, block, done, length - done, at + done);
        if (n === 0) throw changedWhileHashing(path);
        done += n;
      }
      whole.update(block);
      blocks.push(createHash('sha256').update(block).digest('hex'));
    }
    const after = fstatSync(fd);
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw changedWhileHashing(path);
    return { name, size, mtimeMs: before.mtimeMs, sha256: whole.digest('hex'), blocks };
  } finally {
    closeSync(fd);
  }
}

function changedWhileHashing(path: string): DeltascopeError {
  return new DeltascopeError('IO_ERROR', `${path} changed while it was being hashed; try again`, { path });
}

/**
 * The fingerprint of a safetensors model: `file` is a .safetensors file, or a folder's
 * model.safetensors.index.json (then the index and each shard it names, in name order).
 */
export function fingerprintSafetensors(
  resolved: { kind: 'file' | 'index'; path: string },
  blockBytes = FINGERPRINT_BLOCK_BYTES,
): ModelFingerprint {
  if (resolved.kind === 'file') {
    return { blockBytes, files: [fingerprintFile(resolved.path, basename(resolved.path), blockBytes)] };
  }
  const dir = dirname(resolved.path);
  const indexName = basename(resolved.path);
  const index = fingerprintFile(resolved.path, indexName, blockBytes);
  // The shard list comes from the bytes just hashed being parsed again: a later change of the index
  // is caught by its own sha256 when the reference is opened.
  const text = readText(resolved.path);
  const { shards } = parseSafetensorsIndex(text, `${basename(dir)}/${indexName}`);
  const files = [...shards].sort().map((shard) => fingerprintFile(join(dir, shard), shard, blockBytes));
  return { blockBytes, files: [index, ...files] };
}

function readText(path: string): string {
  const { fd, size } = openCheckedFileSync(path, { maxBytes: 100_000_000 });
  try {
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, bytes, done, size - done, done);
      if (n === 0) throw changedWhileHashing(path);
      done += n;
    }
    return new TextDecoder().decode(bytes);
  } finally {
    closeSync(fd);
  }
}

/** The sha256 a referenced checkpoint is known by: of its files' names and hashes, one per line. */
export function fingerprintDigest(fingerprint: ModelFingerprint): string {
  const lines = fingerprint.files.map((f) => `${f.sha256}  ${f.name}\n`).join('');
  return fingerprint.files.length === 1
    ? fingerprint.files[0]!.sha256
    : createHash('sha256').update(lines).digest('hex');
}
