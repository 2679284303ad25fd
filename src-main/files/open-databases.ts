import { realpathSync, statSync, type BigIntStats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The database files open in this process, so that no writer of a user-named path can replace one:
 * the store guards each file it opens and releases it on close; safe-write asks `openDatabaseAt`.
 * A file is recognised by device and inode (so a symlink or hard link to it is caught) and by real
 * path (so its -wal/-shm/-journal side files are caught before SQLite has created them).
 */

/** Device and inode of a file: the same pair is the same file, whatever path reaches it. */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

export interface DatabaseGuard {
  /** The database's path as opened. */
  readonly path: string;
  /** Its device and inode when it was opened. */
  readonly identity: FileIdentity;
  /** Stops guarding it (on close). Idempotent. */
  release(): void;
}

const SIDE_SUFFIXES = ['', '-wal', '-shm', '-journal'] as const;
const guards = new Set<DatabaseGuard>();

/** Device and inode of the file at `path` (following symlinks), or null when there is none. */
export function fileIdentity(path: string): FileIdentity | null {
  let stats: BigIntStats | undefined;
  try {
    stats = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return null;
  }
  return stats === undefined ? null : { dev: stats.dev, ino: stats.ino };
}

export function sameFile(a: FileIdentity | null, b: FileIdentity | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}

/** Guards the database at `path` (an existing file) until the returned guard is released. */
export function guardDatabase(path: string): DatabaseGuard {
  const identity = fileIdentity(path);
  if (identity === null) throw new Error(`guardDatabase: ${path} does not exist`);
  const guard: DatabaseGuard = { path, identity, release: () => guards.delete(guard) };
  guards.add(guard);
  return guard;
}

/** The canonical name of `path` whether or not it exists: its folder's real path plus its name. */
function canonicalName(path: string): string | null {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return null;
  }
}

/**
 * The path of the open database that writing `target` would hit — the file itself (through any
 * symlink or hard link, or under the name it had when opened) or one of its side files — or null.
 */
export function openDatabaseAt(target: string): string | null {
  const targetId = fileIdentity(target);
  const targetName = canonicalName(target);
  for (const guard of guards) {
    if (sameFile(targetId, guard.identity)) return guard.path;
    const dbName = canonicalName(guard.path);
    for (const suffix of SIDE_SUFFIXES) {
      const side = `${guard.path}${suffix}`;
      if (sameFile(targetId, fileIdentity(side))) return guard.path;
      if (targetName !== null && dbName !== null && targetName === `${dbName}${suffix}`) return guard.path;
    }
  }
  return null;
}
