import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { DeltascopeError } from '../shared/errors';
import { openDatabaseAt } from './open-databases';

/**
 * Writes to paths a user named (reports, CSV tables, exported weights). Every such write:
 * refuses the open database and its side files (through symlinks and hard links too), any SQLite
 * file and anything but a regular file; refuses an existing file unless `overwrite` is set; checks
 * the extension; writes a temporary file in the target's folder and renames it into place, so a
 * failure leaves no partial file; and never creates a folder.
 */

export interface WriteTarget {
  /** The file to write; a relative path resolves against the working folder. */
  readonly path: string;
  /** The extensions it may end in, lower case with the dot, e.g. `['.html', '.htm']`. */
  readonly extensions: readonly string[];
}

export interface SafeWriteOptions {
  /** Replace an existing file (never the open database, an SQLite file or a folder). Default false. */
  readonly overwrite?: boolean | undefined;
}

/** A write in progress: fill `tempPath` (sync, async or streamed), then `commit` or `abort`. */
export interface PendingWrite {
  /** The final, absolute path. */
  readonly path: string;
  /** An empty temporary file beside `path`, created for this write. */
  readonly tempPath: string;
  /** Whether a file was at `path` when the write began. */
  readonly existed: boolean;
  /** Re-checks the target and moves the temporary file into place. */
  commit(): void;
  /** Deletes the temporary file. Idempotent; does nothing after `commit`. */
  abort(): void;
}

export type FileData = Uint8Array | string;

export interface FileToWrite {
  readonly target: WriteTarget;
  readonly data: FileData;
}

const SQLITE_MAGIC = 'SQLite format 3\0';
/** link(2) fails with these where a file system has no hard links; then an existence check + rename. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

function refused(path: string, why: string, code: 'FILE_EXISTS' | 'INVALID_PAYLOAD' = 'FILE_EXISTS') {
  return new DeltascopeError(code, `Refusing to write ${path}: ${why}`, { path });
}

function ioError(path: string, error: unknown): unknown {
  if (error instanceof DeltascopeError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : (error as Error).message;
  return new DeltascopeError('IO_ERROR', `Cannot write ${path}: ${why}.`, { path, fsCode: code });
}

function isSqliteFile(path: string): boolean {
  const head = Buffer.alloc(SQLITE_MAGIC.length);
  try {
    const fd = openSync(path, 'r');
    try {
      return (
        readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === SQLITE_MAGIC
      );
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** What is at `path` now, refusing what may never be replaced; true when a file is there. */
function checkExisting(path: string, overwrite: boolean): boolean {
  const database = openDatabaseAt(path);
  if (database !== null) {
    const how = database === path ? '' : ` (${path} leads to ${database})`;
    throw refused(path, `it is the open database${how}. Choose another file name.`);
  }
  const link = lstatSync(path, { throwIfNoEntry: false });
  if (link === undefined) return false;
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats !== undefined && !stats.isFile()) {
    const what = stats.isDirectory() ? 'a folder' : 'not a regular file';
    throw refused(path, `it is ${what}.`);
  }
  if (stats !== undefined && isSqliteFile(path)) {
    throw refused(
      path,
      'it is an SQLite database (perhaps a Deltascope database), which is never overwritten. Choose another file name.',
    );
  }
  if (!overwrite) {
    throw refused(
      path,
      'the file already exists. Choose another name, or allow overwriting (--force on the command line).',
    );
  }
  return true;
}

/**
 * Checks that `target` may be written — right extension, existing folder, not the open database,
 * not an existing file unless `overwrite` — and returns its absolute path.
 */
export function checkWriteTarget(target: WriteTarget, options: SafeWriteOptions = {}): string {
  const path = resolve(target.path);
  const extension = extname(path).toLowerCase();
  if (!target.extensions.includes(extension)) {
    const expected = target.extensions.join(' or ');
    const found = extension === '' ? 'has no extension' : `ends in ${extension}`;
    throw refused(path, `the name must end in ${expected}, and it ${found}.`, 'INVALID_PAYLOAD');
  }
  const folder = dirname(path);
  const folderStats = statSync(folder, { throwIfNoEntry: false });
  if (folderStats === undefined) {
    throw new DeltascopeError(
      'FILE_NOT_FOUND',
      `Cannot write ${path}: the folder ${folder} does not exist. Create it first.`,
      { path },
    );
  }
  if (!folderStats.isDirectory()) throw refused(path, `${folder} is not a folder.`);
  checkExisting(path, options.overwrite === true);
  return path;
}

/** Checks `target` and creates an empty temporary file beside it for the caller to fill. */
export function beginWrite(target: WriteTarget, options: SafeWriteOptions = {}): PendingWrite {
  const path = checkWriteTarget(target, options);
  const overwrite = options.overwrite === true;
  const existed = lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  const tempPath = join(
    dirname(path),
    `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    closeSync(openSync(tempPath, 'wx', 0o666));
  } catch (error) {
    throw ioError(path, error);
  }
  let state: 'open' | 'committed' | 'aborted' = 'open';
  const abort = (): void => {
    if (state !== 'open') return;
    state = 'aborted';
    rmSync(tempPath, { force: true });
  };
  const commit = (): void => {
    if (state !== 'open') throw new Error(`commit of ${path} after ${state}`);
    try {
      // The target may have changed since the check (a file created, a symlink to the database).
      checkExisting(path, overwrite);
      if (overwrite) renameSync(tempPath, path);
      else placeWithoutReplacing(tempPath, path);
      state = 'committed';
    } catch (error) {
      abort();
      throw ioError(path, error);
    }
  };
  return { path, tempPath, existed, commit, abort };
}

/** link(2) fails if `path` exists, so a file created meanwhile is never replaced. */
function placeWithoutReplacing(tempPath: string, path: string): void {
  try {
    linkSync(tempPath, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') throw refused(path, 'the file already exists (it appeared while writing).');
    if (!NO_HARD_LINKS.has(code)) throw error;
    if (lstatSync(path, { throwIfNoEntry: false }) !== undefined)
      throw refused(path, 'the file already exists (it appeared while writing).');
    renameSync(tempPath, path);
    return;
  }
  unlinkSync(tempPath);
}

/** Commits every pending write, in order; on a failure, removes the new files committed so far. */
function commitAll(pending: readonly PendingWrite[]): string[] {
  const done: PendingWrite[] = [];
  try {
    for (const write of pending) {
      write.commit();
      done.push(write);
    }
  } catch (error) {
    for (const write of pending) write.abort();
    for (const write of done) if (!write.existed) rmSync(write.path, { force: true });
    throw error;
  }
  return pending.map((write) => write.path);
}

/**
 * Writes a group of files (a report and its tables, a model and its shards) all or nothing as far
 * as the file system allows: every target is checked before the first byte is written, each is
 * written to a temporary file, and they are renamed into place only once all are complete.
 */
export function writeFilesSafelySync(
  files: readonly FileToWrite[],
  options: SafeWriteOptions = {},
): string[] {
  for (const file of files) checkWriteTarget(file.target, options);
  const pending: PendingWrite[] = [];
  try {
    for (const file of files) {
      const write = beginWrite(file.target, options);
      pending.push(write);
      try {
        const fd = openSync(write.tempPath, 'r+');
        try {
          writeFileSync(fd, file.data);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        throw ioError(write.path, error);
      }
    }
  } catch (error) {
    for (const write of pending) write.abort();
    throw error;
  }
  return commitAll(pending);
}

/** `writeFilesSafelySync` with the data written asynchronously (large weight files). */
export async function writeFilesSafely(
  files: readonly FileToWrite[],
  options: SafeWriteOptions = {},
): Promise<string[]> {
  for (const file of files) checkWriteTarget(file.target, options);
  const pending: PendingWrite[] = [];
  try {
    for (const file of files) {
      const write = beginWrite(file.target, options);
      pending.push(write);
      try {
        const handle = await open(write.tempPath, 'r+');
        try {
          await handle.writeFile(file.data);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        throw ioError(write.path, error);
      }
    }
  } catch (error) {
    for (const write of pending) write.abort();
    throw error;
  }
  return commitAll(pending);
}
